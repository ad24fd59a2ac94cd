from django.urls import path

from smartresponse.core.stub import placeholder

urlpatterns = [path("dashboard/", placeholder, name="dashboard")]
