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

from . import training_views  # noqa: E402

urlpatterns += [
    path("training/", training_views.training_home, name="training-home"),
    path("training/sessions/<int:pk>/", training_views.training_session, name="training-session"),
    path(
        "training/sessions/<int:pk>/next/",
        training_views.training_scenario,
        name="training-scenario",
    ),
    path(
        "training/sessions/<int:pk>/answers/<int:n>/",
        training_views.training_feedback,
        name="training-feedback",
    ),
    path(
        "training/sessions/<int:pk>/finish/", training_views.training_finish, name="training-finish"
    ),
    path("training/scenarios/", training_views.training_scenarios, name="training-scenarios"),
    path(
        "training/scenarios/new/",
        training_views.training_scenario_new,
        name="training-scenario-new",
    ),
    path(
        "training/scenarios/from-call/",
        training_views.training_from_call,
        name="training-from-call",
    ),
    path(
        "training/scenarios/<int:pk>/",
        training_views.training_scenario_detail,
        name="training-scenario-detail",
    ),
    path("training/sessions/", training_views.training_sessions, name="training-sessions"),
    path("training/accuracy/", training_views.training_accuracy, name="training-accuracy"),
]
