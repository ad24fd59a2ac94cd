"""The clinical tools of a crisis visit: screens scored as published, incomplete screens never
scored as zero, the safety plan and its printable copy, the decision on further evaluation,
and who may see any of it (clinical roles of the agency; never an officer)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from smartresponse.accounts.models import ApiToken
from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.cases.services import case_enrol
from smartresponse.encounters import instruments
from smartresponse.encounters.clinical_metrics import (
    EncounterScreening,
    risk_screening,
)
from smartresponse.encounters.clinical_selectors import risk_screening_for
from smartresponse.encounters.clinical_services import (
    SafetyPlanInput,
    assessment_record,
    evaluation_decide,
    safety_plan_mark_given,
    safety_plan_save,
)
from smartresponse.encounters.models import (
    Assessment,
    Encounter,
    EvaluationDecision,
    SafetyPlan,
)
from smartresponse.encounters.services import EncounterInput, PersonInput, encounter_create
from smartresponse.people.models import Person

pytestmark = pytest.mark.django_db

NAME = "Jordan Example"
WARNING_SIGN = "Not sleeping for two nights"
COPING = "Walk the dog along the lake"
HELPER = "Sister Maria 802-555-0142"


def make_encounter(user, names=(NAME,), *, arrived=None, documented_by=None):
    arrived = arrived or timezone.now() - dt.timedelta(minutes=40)
    call = Call.objects.create(
        agency=user.agency,
        received_at=arrived - dt.timedelta(minutes=15),
        call_type="Welfare Check",
        address="12 Pine St",
    )
    return encounter_create(
        user=documented_by or user,
        call=call,
        data=EncounterInput(
            arrived_at=arrived,
            cleared_at=arrived + dt.timedelta(minutes=30),
            disposition="resolved",
            people=[PersonInput(name=n) for n in names],
        ),
    )


@pytest.fixture
def encounter(clinician):
    return make_encounter(clinician)


def url(name, encounter, *args):
    return reverse(name, args=[encounter.pk, *args])


def scale_post(answers):
    return {f"item_{n}": str(v) for n, v in enumerate(answers, start=1) if v is not None}


def yes_no(**answers):
    return {k: ("yes" if v else "no") for k, v in answers.items() if v is not None}


def cssrs(user, encounter, behavior_past_3_months=None, now=None, **answers):
    return assessment_record(
        user=user,
        encounter=encounter,
        instrument="cssrs",
        answers=answers,
        behavior_past_3_months=behavior_past_3_months,
        now=now,
    )


# --- scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        [0] * 9,
        [1, 1, 1, 1, 1, 0, 0, 0, 0],  # 5: mild, the lowest mild total
        [2, 2, 2, 2, 2, 2, 2, 0, 0],  # 14: moderate, the highest moderate total
        [3, 3, 3, 3, 3, 1, 1, 1, 0],  # 18: moderately severe
        [3] * 9,  # 27: severe, item 9 above 0
    ],
)
def test_phq9_from_the_phone_form_is_stored_as_the_instrument_scores_it(
    client, clinician, encounter, answers
):
    client.force_login(clinician)
    response = client.post(url("clinical-screen", encounter, "phq9"), scale_post(answers))
    stored = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("clinical-screen-result", encounter, stored.pk)
    expected = instruments.phq9(answers)
    assert (stored.status, stored.total, stored.band) == ("complete", expected.total, expected.band)
    assert stored.answers == answers
    assert stored.needs_risk_screen is expected.needs_risk_screen
    assert stored.person == Person.objects.get(records__encounter=encounter)
    html = client.get(response["Location"]).content.decode()
    assert f'data-result="{expected.total}"' in html
    band = {
        "minimal": "Minimal",
        "mild": "Mild",
        "moderate": "Moderate",
        "moderately_severe": "Moderately severe",
        "severe": "Severe",
    }[expected.band]
    assert f"<strong>{expected.total} · {band}</strong>" in html


@pytest.mark.parametrize(
    "answers", [[0] * 7, [1, 1, 1, 1, 1, 0, 0], [2, 2, 2, 2, 2, 0, 0], [3, 3, 3, 3, 3, 0, 0]]
)
def test_gad7_is_stored_as_the_instrument_scores_it(clinician, encounter, answers):
    stored = assessment_record(
        user=clinician, encounter=encounter, instrument="gad7", answers=answers
    )
    expected = instruments.gad7(answers)
    assert (stored.total, stored.band) == (expected.total, expected.band)
    assert stored.band in {"minimal", "mild", "moderate", "severe"}


@pytest.mark.parametrize(
    ("answers", "recent", "risk"),
    [
        (dict(wish_dead=False, thoughts=False, behavior=False), None, "none"),
        (
            dict(wish_dead=True, thoughts=True, method=False, intent=False, plan=False),
            None,
            "low",
        ),
        (
            dict(wish_dead=True, thoughts=True, method=True, intent=False, plan=False),
            None,
            "moderate",
        ),
        (dict(wish_dead=True, thoughts=True, method=True, intent=False, plan=True), None, "high"),
        (dict(wish_dead=False, thoughts=False, behavior=True), False, "moderate"),
        (dict(wish_dead=False, thoughts=False, behavior=True), True, "high"),
    ],
)
def test_cssrs_risk_is_the_screeners_triage(clinician, encounter, answers, recent, risk):
    answers = {"behavior": False, **answers}
    stored = cssrs(clinician, encounter, behavior_past_3_months=recent, **answers)
    expected = instruments.cssrs_screen(answers, behavior_past_3_months=recent)
    assert stored.status == "complete"
    assert stored.risk == expected.risk.value == risk
    assert stored.reasons == list(expected.reasons)


def test_cssrs_without_javascript_skips_3_to_5_when_2_is_no(client, clinician, encounter):
    """The whole form is shown to a browser that cannot hide 3-5: answers left there after a
    no to question 2 are not asked questions, and must not raise the risk."""
    client.force_login(clinician)
    data = yes_no(wish_dead=True, thoughts=False, method=True, intent=True, plan=True)
    data.update(yes_no(behavior=False))
    response = client.post(url("clinical-screen", encounter, "cssrs"), data)
    assert response.status_code == 302
    stored = Assessment.objects.get()
    assert (stored.status, stored.risk) == ("complete", "low")
    assert stored.answers["method"] is None and stored.answers["plan"] is None
    html = client.get(response["Location"]).content.decode()
    assert "Low risk" in html
    assert html.count("not asked (question 2 was no)") == 3


# --- incomplete is never zero ----------------------------------------------------------------


def test_a_phq9_with_missing_items_is_incomplete_and_flagged_never_zero(
    client, clinician, encounter
):
    client.force_login(clinician)
    answers = [0, 0, 0, None, 0, 0, None, 0, 0]
    response = client.post(url("clinical-screen", encounter, "phq9"), scale_post(answers))
    assert response.status_code == 302
    stored = Assessment.objects.get()
    assert stored.status == "incomplete"
    assert stored.total is None and stored.band == ""
    assert stored.missing == [4, 7]
    html = client.get(response["Location"]).content.decode()
    assert "Incomplete: items 4 and 7 unanswered." in html
    assert "never counted as zero" in html
    assert "Total 0" not in html and 'data-result="0"' not in html
    assert "Minimal" not in html
    # The encounter page flags it too, and offers to finish it with the answers kept.
    page = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "Incomplete: items 4 and 7 unanswered." in page
    again = client.get(url("clinical-screen", encounter, "phq9") + f"?from={stored.pk}")
    assert re.search(r'name="item_1" value="0"[^>]*checked', again.content.decode())
    assert not re.search(r'name="item_4" value="\d"[^>]*checked', again.content.decode())


def test_an_empty_gad7_is_incomplete_not_a_zero_score(clinician, encounter):
    stored = assessment_record(
        user=clinician, encounter=encounter, instrument="gad7", answers=[None] * 7
    )
    assert stored.status == "incomplete" and stored.total is None
    assert stored.missing == [1, 2, 3, 4, 5, 6, 7]


def test_cssrs_left_blank_or_without_the_3_month_answer_is_incomplete(client, clinician, encounter):
    blank = cssrs(clinician, encounter, wish_dead=True, thoughts=None, behavior=False)
    assert (blank.status, blank.risk, blank.missing) == ("incomplete", "", ["thoughts"])
    when = cssrs(clinician, encounter, wish_dead=False, thoughts=False, behavior=True)
    assert when.status == "incomplete" and when.missing == ["behavior_past_3_months"]
    client.force_login(clinician)
    html = client.get(url("clinical-screen-result", encounter, when.pk)).content.decode()
    assert "Incomplete: question 6 unanswered." in html
    assert "within the past 3 months" in html
    assert "No risk identified" not in html


# --- bad input -------------------------------------------------------------------------------


def test_answers_off_the_scale_are_refused_item_by_item(client, clinician, encounter):
    with pytest.raises(ValidationError) as err:
        assessment_record(
            user=clinician,
            encounter=encounter,
            instrument="phq9",
            answers=[0, 1, 4, 0, 0, -1, 0, 0, 0],
        )
    assert set(err.value.message_dict) == {"item_3", "item_6"}
    with pytest.raises(ValidationError) as err:
        assessment_record(user=clinician, encounter=encounter, instrument="gad7", answers=[0, 1, 2])
    assert "answers" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        cssrs(clinician, encounter, wish_dead="maybe", thoughts=False, behavior=False)
    assert "wish_dead" in err.value.message_dict
    client.force_login(clinician)
    data = scale_post([0] * 9) | {"item_3": "7"}
    response = client.post(url("clinical-screen", encounter, "phq9"), data)
    assert response.status_code == 400
    assert "Not saved" in response.content.decode()
    assert Assessment.objects.count() == 0


def test_phq9_item_9_above_zero_prompts_the_cssrs(client, clinician, encounter):
    client.force_login(clinician)
    answers = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    response = client.post(url("clinical-screen", encounter, "phq9"), scale_post(answers))
    stored = Assessment.objects.get()
    assert stored.needs_risk_screen and stored.total == 1
    html = client.get(response["Location"]).content.decode()
    assert "screen for suicide risk now" in html
    assert f'href="{url("clinical-screen", encounter, "cssrs")}"' in html
    page = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "screen for suicide risk (C-SSRS)" in page
    cssrs(clinician, encounter, wish_dead=False, thoughts=False, behavior=False)
    page = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "screen for suicide risk (C-SSRS)" not in page


def test_the_latest_screen_of_each_instrument_is_the_one_shown(client, clinician, encounter):
    earlier = timezone.now() - dt.timedelta(minutes=20)
    assessment_record(
        user=clinician, encounter=encounter, instrument="gad7", answers=[3] * 7, now=earlier
    )
    assessment_record(user=clinician, encounter=encounter, instrument="gad7", answers=[0] * 7)
    client.force_login(clinician)
    html = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    section = html.split('data-tool="gad7"')[1].split("</li>")[0]
    assert "0 · Minimal" in section and "Severe" not in section
    assert Assessment.objects.filter(encounter=encounter).count() == 2


def test_an_encounter_with_two_identified_people_asks_who_was_screened(client, clinician):
    encounter = make_encounter(clinician, names=(NAME, "Sam Other"))
    people = list(Person.objects.filter(records__encounter=encounter).order_by("pk"))
    assert len(people) == 2
    client.force_login(clinician)
    form = client.get(url("clinical-screen", encounter, "gad7")).content.decode()
    assert "Who is this about?" in form
    response = client.post(url("clinical-screen", encounter, "gad7"), scale_post([1] * 7))
    assert response.status_code == 400 and Assessment.objects.count() == 0
    data = scale_post([1] * 7) | {"person": str(people[1].pk)}
    response = client.post(url("clinical-screen", encounter, "gad7"), data)
    assert response.status_code == 302
    assert Assessment.objects.get().person == people[1]


# --- who may see it --------------------------------------------------------------------------


@pytest.fixture
def everything(clinician, encounter):
    """An encounter with every clinical tool used."""
    phq = assessment_record(user=clinician, encounter=encounter, instrument="phq9", answers=[2] * 9)
    screen = cssrs(
        clinician,
        encounter,
        wish_dead=True,
        thoughts=True,
        method=True,
        intent=True,
        plan=False,
        behavior=False,
    )
    safety_plan_save(
        user=clinician,
        encounter=encounter,
        data=SafetyPlanInput(warning_signs=[WARNING_SIGN], coping_strategies=[COPING]),
    )
    evaluation_decide(
        user=clinician,
        encounter=encounter,
        outcome="voluntary",
        destination="Howard Center crisis unit",
        reason="High risk on the screener; agreed to go.",
    )
    return encounter, phq, screen


CLINICAL_WORDS = (
    "Clinical tools",
    "C-SSRS",
    "PHQ-9",
    "GAD-7",
    "Safety plan",
    "High risk",
    "Further evaluation",
    "Howard Center",
    WARNING_SIGN,
)


def clinical_pages(encounter, assessment):
    return [
        url("clinical-screen", encounter, "cssrs"),
        url("clinical-screen", encounter, "phq9"),
        url("clinical-screen", encounter, "gad7"),
        url("clinical-screen-result", encounter, assessment.pk),
        url("clinical-safety-plan", encounter),
        url("clinical-safety-plan-print", encounter),
        url("clinical-safety-plan-text", encounter),
        url("clinical-safety-plan-given", encounter),
        url("clinical-evaluation", encounter),
    ]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.DIRECTOR, Role.DISPATCHER])
def test_non_clinical_roles_get_403_on_every_clinical_page(client, make_user, everything, role):
    encounter, phq, screen = everything
    client.force_login(make_user(role))
    before = SafetyPlan.objects.get().sent_at
    for page in clinical_pages(encounter, screen):
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"how": "paper", "outcome": "none"}).status_code == 403, page
    assert SafetyPlan.objects.get().sent_at == before
    assert EvaluationDecision.objects.get().outcome == "voluntary"
    assert Assessment.objects.count() == 2


def test_the_officers_encounter_page_has_none_of_it(client, officer, everything):
    encounter, phq, screen = everything
    client.force_login(officer)
    for page in (
        reverse("encounter-detail", args=[encounter.pk]),
        reverse("call-detail", args=[encounter.call_id]),
    ):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        for word in CLINICAL_WORDS:
            assert word not in html, (page, word)
        assert "/clinical/" not in html
    assert not AuditEvent.objects.filter(user=officer, action="clinical.view").exists()


def test_the_officers_api_has_none_of_it(client, officer, everything):
    encounter, phq, screen = everything
    _, secret = ApiToken.issue(officer, name="tests")
    response = client.get(
        f"/api/v1/calls/{encounter.call_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    body = response.content.decode().lower()
    for word in ("cssrs", "phq", "gad7", '"risk"', "safety_plan", "evaluation", "howard"):
        assert word not in body, word
    schema = client.get("/api/v1/openapi.json").content.decode().lower()
    assert "assessment" not in schema and "safety_plan" not in schema and "cssrs" not in schema


def test_the_clinicians_encounter_page_shows_the_tools_and_results(client, clinician, everything):
    encounter, phq, screen = everything
    client.force_login(clinician)
    html = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "Clinical tools" in html
    assert "High risk" in html and "18 · Moderately severe" in html
    assert "Voluntary evaluation" in html and "Howard Center crisis unit" in html
    assert "written, not yet given" in html
    for instrument in ("cssrs", "phq9", "gad7"):
        assert f'href="{url("clinical-screen", encounter, instrument)}"' in html
    event = AuditEvent.objects.get(user=clinician, action="clinical.view")
    assert event.detail["assessments"] == sorted([phq.pk, screen.pk])


def test_a_case_manager_reads_results_but_does_not_record(client, make_user, everything):
    encounter, phq, screen = everything
    client.force_login(make_user(Role.CASE_MANAGER))
    assert client.get(url("clinical-screen-result", encounter, screen.pk)).status_code == 200
    assert client.get(url("clinical-safety-plan-print", encounter)).status_code == 200
    html = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "High risk" in html
    assert f'href="{url("clinical-screen", encounter, "cssrs")}"' not in html
    assert client.get(url("clinical-screen", encounter, "cssrs")).status_code == 403
    assert client.get(url("clinical-evaluation", encounter)).status_code == 403


def test_another_agencys_clinician_gets_404(client, make_user, other_agency, everything):
    encounter, phq, screen = everything
    theirs = make_user(Role.CLINICIAN, agency_=other_agency)
    client.force_login(theirs)
    for page in clinical_pages(encounter, screen):
        post_only = page.endswith("/given/")
        assert client.get(page).status_code == (405 if post_only else 404), page
        assert client.post(page, {"how": "paper", "outcome": "none"}).status_code == 404, page
    html = client.get(reverse("encounter-detail", args=[encounter.pk]))
    assert html.status_code == 404
    with pytest.raises(PermissionDenied):
        assessment_record(user=theirs, encounter=encounter, instrument="gad7", answers=[0] * 7)
    assert Assessment.objects.count() == 2


def test_services_refuse_officers_and_non_clinical_roles(officer, make_user, encounter):
    for user in (officer, make_user(Role.DIRECTOR), make_user(Role.CASE_MANAGER)):
        with pytest.raises(PermissionDenied):
            assessment_record(user=user, encounter=encounter, instrument="gad7", answers=[0] * 7)
        with pytest.raises(PermissionDenied):
            evaluation_decide(user=user, encounter=encounter, outcome="none")
    assert Assessment.objects.count() == 0


# --- audit -----------------------------------------------------------------------------------


def test_every_write_and_view_is_audited_without_the_answers(client, clinician, everything):
    encounter, phq, screen = everything
    actions = set(AuditEvent.objects.filter(user=clinician).values_list("action", flat=True))
    assert {"assessment.record", "safety_plan.create", "evaluation.decide"} <= actions
    record = AuditEvent.objects.get(action="assessment.record", object_id=str(screen.pk))
    assert record.detail == {"encounter": encounter.pk, "instrument": "cssrs", "status": "complete"}
    assert "high" not in str(record.detail) and "True" not in str(record.detail)
    client.force_login(clinician)
    client.get(url("clinical-screen-result", encounter, phq.pk))
    client.get(url("clinical-safety-plan-print", encounter))
    client.get(url("clinical-safety-plan-text", encounter))
    client.post(url("clinical-safety-plan-given", encounter), {"how": "paper"})
    viewed = list(
        AuditEvent.objects.filter(user=clinician)
        .order_by("pk")
        .values_list("action", "object_type", "object_id")
    )
    plan = SafetyPlan.objects.get()
    assert ("assessment.view", "assessment", str(phq.pk)) in viewed
    assert ("safety_plan.print", "safetyplan", str(plan.pk)) in viewed
    assert ("safety_plan.export", "safetyplan", str(plan.pk)) in viewed
    assert ("safety_plan.given", "safetyplan", str(plan.pk)) in viewed


# --- safety plan -----------------------------------------------------------------------------


def test_safety_plan_from_the_editor_to_the_printable_page(client, clinician, encounter):
    client.force_login(clinician)
    form = client.get(url("clinical-safety-plan", encounter)).content.decode()
    assert "988 Suicide &amp; Crisis Lifeline" in form  # the crisis line is there by default
    data = {
        "warning_signs": f"{WARNING_SIGN}\n\n  Pacing at night  \n",
        "coping_strategies": COPING,
        "help_contacts": HELPER,
        "crisis_lines": "988 Suicide & Crisis Lifeline: call or text 988",
        "environment": "Sister keeps the pills",
        "reasons_for_living": "My daughter",
    }
    response = client.post(url("clinical-safety-plan", encounter), data)
    assert response.status_code == 302
    plan = SafetyPlan.objects.get()
    assert plan.warning_signs == [WARNING_SIGN, "Pacing at night"]
    assert plan.person.records.filter(encounter=encounter).exists()
    # Saving again updates the same plan.
    data["coping_strategies"] = f"{COPING}\nMusic"
    client.post(url("clinical-safety-plan", encounter), data)
    plan = SafetyPlan.objects.get()
    assert plan.coping_strategies == [COPING, "Music"]

    printable = client.get(url("clinical-safety-plan-print", encounter))
    html = printable.content.decode()
    assert printable.status_code == 200
    assert "My safety plan" in html and NAME in html
    for text in (WARNING_SIGN, "Pacing at night", "Music", HELPER, "call or text 988"):
        assert text in html
    assert "@media print" in html and ".screen-only { display: none" in html
    # No navigation chrome: none of the application's menus, nothing clinical beyond the plan.
    assert 'class="topbar"' not in html and "Log out" not in html and "My unit" not in html
    assert "Step 4: People whom I can ask for help" in html
    assert "Step 3" not in html  # an empty section is left out

    text = client.get(url("clinical-safety-plan-text", encounter))
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    body = text.content.decode()
    assert body.startswith(f"My safety plan: {NAME}\n")
    assert f"- {WARNING_SIGN}\n" in body and "- 988 Suicide & Crisis Lifeline" in body


def test_an_empty_or_overlong_safety_plan_is_refused(client, clinician, encounter):
    with pytest.raises(ValidationError) as err:
        safety_plan_save(user=clinician, encounter=encounter, data=SafetyPlanInput())
    assert "The plan is empty" in str(err.value)
    with pytest.raises(ValidationError) as err:
        safety_plan_save(
            user=clinician, encounter=encounter, data=SafetyPlanInput(warning_signs=["x" * 301])
        )
    assert "warning_signs" in err.value.message_dict
    client.force_login(clinician)
    response = client.post(url("clinical-safety-plan", encounter), {"coping_strategies": "\n \n"})
    assert response.status_code == 400
    assert "The plan is empty" in response.content.decode()
    assert SafetyPlan.objects.count() == 0
    assert client.get(url("clinical-safety-plan-print", encounter)).status_code == 404


def test_marking_the_plan_as_given_records_how_and_sends_nothing(client, clinician, encounter):
    plan = safety_plan_save(
        user=clinician, encounter=encounter, data=SafetyPlanInput(coping_strategies=[COPING])
    )
    with pytest.raises(ValidationError) as err:
        safety_plan_mark_given(user=clinician, plan=plan, how="text")
    assert "to" in err.value.message_dict
    client.force_login(clinician)
    response = client.post(url("clinical-safety-plan-given", encounter), {"how": "email"})
    assert response.status_code == 400
    assert "Say the number or address it was sent to." in response.content.decode()
    response = client.post(
        url("clinical-safety-plan-given", encounter), {"how": "text", "to": "802-555-0199"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.sent_how, plan.sent_to) == ("text", "802-555-0199") and plan.sent_at
    html = client.get(url("clinical-safety-plan", encounter)).content.decode()
    assert 'data-given="text"' in html and "Texted by staff" in html
    page = client.get(reverse("encounter-detail", args=[encounter.pk])).content.decode()
    assert "given to the person" in page


# --- further evaluation ----------------------------------------------------------------------


def test_an_evaluation_needs_where_and_why(client, clinician, encounter):
    with pytest.raises(ValidationError) as err:
        evaluation_decide(user=clinician, encounter=encounter, outcome="involuntary")
    assert set(err.value.message_dict) == {"reason", "destination"}
    with pytest.raises(ValidationError) as err:
        evaluation_decide(user=clinician, encounter=encounter, outcome="admitted")
    assert "outcome" in err.value.message_dict
    client.force_login(clinician)
    response = client.post(
        url("clinical-evaluation", encounter), {"outcome": "voluntary", "destination": "UVMMC ED"}
    )
    assert response.status_code == 400
    assert "Say why the person needs further evaluation." in response.content.decode()
    assert EvaluationDecision.objects.count() == 0
    # No further evaluation needs no reason.
    response = client.post(url("clinical-evaluation", encounter), {"outcome": "none"})
    assert response.status_code == 302
    response = client.post(
        url("clinical-evaluation", encounter),
        {
            "outcome": "involuntary",
            "destination": "UVMMC emergency department",
            "reason": "Plan and intent; refused voluntary evaluation.",
        },
    )
    assert response.status_code == 302
    decision = EvaluationDecision.objects.get()
    assert decision.outcome == "involuntary" and decision.decided_by == clinician
    changes = AuditEvent.objects.filter(action="evaluation.decide").order_by("pk")
    assert [(e.detail["previous"], e.detail["outcome"]) for e in changes] == [
        ("", "none"),
        ("none", "involuntary"),
    ]


# --- feeds: the case page and the metric -----------------------------------------------------


def test_the_case_page_shows_the_latest_screens(client, clinician, make_user, encounter):
    person = Person.objects.get(records__encounter=encounter)
    manager = make_user(Role.CASE_MANAGER)
    case = case_enrol(user=manager, person=person)
    client.force_login(manager)
    page = reverse("case-detail", args=[case.pk])
    assert "Latest screens" not in client.get(page).content.decode()
    earlier = timezone.now() - dt.timedelta(hours=1)
    assessment_record(
        user=clinician, encounter=encounter, instrument="phq9", answers=[3] * 9, now=earlier
    )
    assessment_record(user=clinician, encounter=encounter, instrument="phq9", answers=[1] * 9)
    cssrs(clinician, encounter, wish_dead=True, thoughts=False, behavior=False)
    html = client.get(page).content.decode()
    section = html.split('id="screens"')[1].split("</section>")[0]
    assert "Latest screens" in html
    assert "9 · Mild" in section and "Severe" not in section
    assert "Low risk" in section
    assert AuditEvent.objects.filter(
        user=manager, action="assessment.view", object_type="person", object_id=str(person.pk)
    ).exists()


def test_the_risk_screen_share_counts_clinical_encounters_only():
    rows = [
        EncounterScreening(1, True, "complete", "low"),
        EncounterScreening(2, True, "complete", "high"),
        EncounterScreening(3, True, "incomplete", None),
        EncounterScreening(4, True, None, None),
        EncounterScreening(5, False, None, None),  # documented by a non-clinical role
        EncounterScreening(2, True, "complete", "high"),  # the same encounter twice
    ]
    result = risk_screening(rows)
    assert (result.encounters, result.screened, result.incomplete) == (4, 2, 1)
    assert result.share == 0.5 and result.not_screened == 1
    assert result.risk == {"none": 0, "low": 1, "moderate": 0, "high": 1}
    assert risk_screening([]).share is None  # no encounters: no share, not 0%


def test_the_risk_screen_share_from_the_database(clinician, make_user):
    now = timezone.now()
    screened = make_encounter(clinician)
    earlier = now - dt.timedelta(minutes=30)
    cssrs(clinician, screened, wish_dead=False, thoughts=False, behavior=False, now=earlier)
    latest = dict(wish_dead=True, thoughts=True, method=True, intent=False, plan=False)
    cssrs(clinician, screened, behavior=False, **latest)
    incomplete = make_encounter(clinician)
    cssrs(clinician, incomplete, wish_dead=True, thoughts=None, behavior=False)
    make_encounter(clinician)  # not screened
    make_encounter(clinician, arrived=now - dt.timedelta(days=40))  # outside the period
    make_encounter(make_user(Role.SUPERVISOR))  # a clinical role: counted, not screened
    # An encounter written by a non-clinical role (e.g. imported) is outside the denominator.
    call = Call.objects.create(
        agency=clinician.agency, received_at=now, call_type="Disturbance", address="1 Main St"
    )
    Encounter.objects.create(
        agency=clinician.agency,
        call=call,
        arrived_at=now - dt.timedelta(minutes=20),
        cleared_at=now - dt.timedelta(minutes=5),
        disposition="resolved",
        documented_by=make_user(Role.DISPATCHER),
    )
    result = risk_screening_for(
        make_user(Role.DIRECTOR), now - dt.timedelta(days=7), now + dt.timedelta(minutes=1)
    )
    assert (result.encounters, result.screened, result.incomplete) == (4, 1, 1)
    assert result.share == 0.25
    assert result.risk["moderate"] == 1 and result.risk["none"] == 0  # the latest counts
    with pytest.raises(PermissionDenied):
        risk_screening_for(clinician, now - dt.timedelta(days=7), now)


def test_a_tampered_screen_to_finish_is_ignored_not_a_server_error(client, clinician, encounter):
    """A "²" passes str.isdigit() but not int(): the form opens empty instead of a 500."""
    client.force_login(clinician)
    for bad in ("²", "x", "9" * 30):
        response = client.get(url("clinical-screen", encounter, "phq9"), {"from": bad})
        assert response.status_code == 200, bad
        assert "checked" not in response.content.decode()
