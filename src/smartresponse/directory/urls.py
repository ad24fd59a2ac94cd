from django.urls import path

from . import views

urlpatterns = [
    path("directory/", views.search, name="directory-search"),
    path("directory/services/<str:hsds_id>/", views.service_page, name="directory-service"),
    path(
        "directory/services/<str:hsds_id>/capacity/",
        views.capacity_page,
        name="directory-capacity",
    ),
]
