from django.urls import path

from . import views

urlpatterns = [
    path("protocols/", views.protocol_list, name="protocol-list"),
    path("protocols/new/", views.protocol_new, name="protocol-new"),
    path("protocols/<int:pk>/", views.protocol_detail, name="protocol-detail"),
    path("protocols/<int:pk>/activate/", views.protocol_activate, name="protocol-activate"),
]
