from django.urls import path

from . import views

urlpatterns = [
    path("cases/", views.caseload, name="caseload"),
    path("cases/overdue/", views.overdue_page, name="cases-overdue"),
    path("cases/enrol/", views.enrol, name="case-enrol"),
    path("cases/rule/", views.rule_page, name="cases-rule"),
    path("cases/teams/", views.teams_page, name="cases-teams"),
    path("cases/<int:pk>/", views.case_page, name="case-detail"),
    path("cases/<int:pk>/status/", views.case_status, name="case-status"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:pk>/needs/", views.case_needs, name="case-needs"),
    path("cases/<int:pk>/goals/", views.goal_add, name="case-goal-add"),
    path("cases/<int:pk>/goals/<int:goal_pk>/", views.goal_status, name="case-goal-status"),
    path("cases/<int:pk>/notes/", views.note_add, name="case-note-add"),
    path("cases/<int:pk>/schedule/", views.task_schedule, name="case-schedule"),
    path("cases/<int:pk>/outreach/", views.case_outreach, name="case-outreach"),
    path("followups/<int:pk>/", views.task_outreach, name="followup-outreach"),
    path("followups/<int:pk>/take/", views.task_take, name="followup-take"),
    path("followups/<int:pk>/cancel/", views.task_cancel, name="followup-cancel"),
    path("followups/<int:pk>/give/", views.task_give, name="followup-give"),
]

urlpatterns += [
    path("cases/review/", views.review_page, name="cases-review"),
    path("cases/<int:pk>/refer/", views.case_refer, name="case-refer"),
    path("cases/person/<int:person_pk>/consents/new/", views.consent_new, name="consent-new"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("consents/<int:pk>/form/", views.consent_form, name="consent-form"),
    path("encounters/<int:pk>/refer/", views.encounter_refer, name="encounter-refer"),
    path("referrals/<int:pk>/", views.referral_page, name="referral-detail"),
    path("referrals/<int:pk>/status/", views.referral_status, name="referral-status"),
    path("referrals/<int:pk>/fhir/", views.referral_fhir, name="referral-fhir"),
    path("disclosures/<int:pk>/review/", views.disclosure_review, name="disclosure-review"),
]
