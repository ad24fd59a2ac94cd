from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "smartresponse.directory"
    label = "directory"
    verbose_name = "Resource directory"
