from django.urls import path

from . import views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/partial/", views.board_partial, name="board-partial"),
    path("units/<int:pk>/status/", views.unit_status, name="unit-status"),
]
