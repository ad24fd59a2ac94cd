from django.urls import path

from smartresponse.core.stub import placeholder

urlpatterns = [path("audit/", placeholder, name="audit-search")]
