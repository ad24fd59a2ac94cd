from django.urls import path

from smartresponse.core.stub import placeholder

urlpatterns = [path("board/", placeholder, name="board")]
