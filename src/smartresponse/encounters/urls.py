from django.urls import path

from smartresponse.core.stub import placeholder

urlpatterns = [path("my-unit/", placeholder, name="my-unit")]
