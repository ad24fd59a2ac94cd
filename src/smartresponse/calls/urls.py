from django.urls import path

from smartresponse.core.stub import placeholder

urlpatterns = [
    path("calls/", placeholder, name="call-list"),
    path("calls/new/", placeholder, name="call-new"),
    path("calls/<int:pk>/", placeholder, name="call-detail"),
]
