from django.urls import path

from . import views

urlpatterns = [
    path("protocols/", views.protocol_list, name="protocol-list"),
    path("protocols/new/", views.protocol_new, name="protocol-new"),
    path("protocols/<int:pk>/", views.protocol_detail, name="protocol-detail"),
    path("protocols/<int:pk>/activate/", views.protocol_activate, name="protocol-activate"),
]

from . import replay_views  # noqa: E402

urlpatterns += [
    path("protocols/replay/", replay_views.replay_page, name="protocol-replay"),
    path("protocols/replay/<int:pk>/", replay_views.replay_run, name="protocol-replay-run"),
    path(
        "protocols/replay/<int:pk>/progress/",
        replay_views.replay_progress,
        name="protocol-replay-progress",
    ),
]
