from django.urls import path

from . import clinical_views, views

urlpatterns = [
    path("my-unit/", views.my_unit, name="my-unit"),
    path("my-unit/partial/", views.my_unit_partial, name="my-unit-partial"),
    path("calls/<int:pk>/encounter/", views.encounter_new, name="encounter-new"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter-detail"),
]

# The clinical tools of an encounter (clinical roles only): encounters/clinical_views.py.
urlpatterns += [
    path(
        "encounters/<int:pk>/clinical/screen/<str:instrument>/",
        clinical_views.screen_new,
        name="clinical-screen",
    ),
    path(
        "encounters/<int:pk>/clinical/screens/<int:aid>/",
        clinical_views.screen_result,
        name="clinical-screen-result",
    ),
    path(
        "encounters/<int:pk>/clinical/safety-plan/",
        clinical_views.safety_plan_edit,
        name="clinical-safety-plan",
    ),
    path(
        "encounters/<int:pk>/clinical/safety-plan/print/",
        clinical_views.safety_plan_print,
        name="clinical-safety-plan-print",
    ),
    path(
        "encounters/<int:pk>/clinical/safety-plan/text/",
        clinical_views.safety_plan_text,
        name="clinical-safety-plan-text",
    ),
    path(
        "encounters/<int:pk>/clinical/safety-plan/given/",
        clinical_views.safety_plan_given,
        name="clinical-safety-plan-given",
    ),
    path(
        "encounters/<int:pk>/clinical/evaluation/",
        clinical_views.evaluation,
        name="clinical-evaluation",
    ),
]
