from django.urls import path

from . import views

urlpatterns = [
    path("my-unit/", views.my_unit, name="my-unit"),
    path("my-unit/partial/", views.my_unit_partial, name="my-unit-partial"),
    path("calls/<int:pk>/encounter/", views.encounter_new, name="encounter-new"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter-detail"),
]
