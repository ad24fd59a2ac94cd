from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "smartresponse.accounts"
    label = "accounts"
