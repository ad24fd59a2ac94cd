from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.call_list, name="call-list"),
    path("calls/new/", views.call_new, name="call-new"),
    path("calls/<int:pk>/", views.call_detail, name="call-detail"),
    path("calls/<int:pk>/assign/", views.call_assign, name="call-assign"),
    path("calls/<int:pk>/override/", views.call_override_view, name="call-override"),
    path("calls/<int:pk>/queue/", views.call_queue_view, name="call-queue"),
    path("calls/<int:pk>/close/", views.call_close_view, name="call-close"),
]
