"""Triage training on the web: scenarios from past calls lose their identifiers, sessions score
as the protocol says, supervisors follow accuracy, and nothing touches a live call."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.calls.models import Call
from smartresponse.calls.services import CallInput, call_close, call_create
from smartresponse.dispatch.models import Assignment, UnitStatusChange
from smartresponse.dispatch.services import call_assign_unit
from smartresponse.people.models import PersonRecord
from smartresponse.triage.models import TrainingAttempt, TrainingScenario, TrainingSession
from smartresponse.triage.services import protocol_for
from smartresponse.triage.training import Attempt, score_attempt
from smartresponse.triage.training_services import (
    ScenarioInput,
    attempt_submit,
    scenario_create,
    scenario_of,
    session_start,
)
from tests.conftest import DOWNTOWN, SAFE, daytime

pytestmark = pytest.mark.django_db

BANNER = "TRAINING — not a live call"
NARRATIVE = (
    "Caller Jane Doe at 802-555-0134 says her neighbour named Tom Harper is sitting in the "
    "doorway of 112 North Winooski Ave, confused. Mrs. Okafor next door knows him."
)
IDENTIFIERS = (
    "Jane",
    "Doe",
    "802",
    "555-0134",
    "5550134",
    "Tom",
    "Harper",
    "Okafor",
    "112",
    "Winooski",
    str(DOWNTOWN[0]),
    str(DOWNTOWN[1]),
)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


def closed_call(user, ext="CAD-9", **kw):
    data = dict(
        external_id=ext,
        call_type="Welfare Check",
        received_at=daytime(),
        lat=DOWNTOWN[0],
        lon=DOWNTOWN[1],
        location_kind="public_space",
        address="112 North Winooski Ave",
        callback="(802) 555-0134",
        narrative=NARRATIVE,
        screening={**SAFE, "children_at_risk": None},
    )
    data.update(kw)
    call, _ = call_create(user=user, data=CallInput(**data))
    PersonRecord.objects.create(
        agency=call.agency, given_name="Jane", family_name="Doe", source_kind="call", call=call
    )
    return call_close(user=user, call=call, unserved_reason="no_unit")


def written(user, call_type="Welfare Check", **truth):
    return scenario_create(
        user=user,
        data=ScenarioInput(
            call_type=call_type,
            narrative=f"{call_type}: a man is shouting at passers-by.",
            truth={**SAFE, **truth},
            location_kind="public_space",
            local_weekday=2,
            local_time=dt.time(12, 0),
        ),
    )


def expected(scenario, tier, screening):
    protocol = protocol_for(scenario.agency)
    return score_attempt(protocol, scenario_of(scenario), Attempt(tier, screening))


def answer_post(position, tier, screening):
    words = {True: "yes", False: "no", None: "unknown"}
    return {"position": position, "tier": tier, **{k: words[v] for k, v in screening.items()}}


# --- scenarios from past calls ----------------------------------------------------------------


def test_a_scenario_from_a_past_call_carries_none_of_its_identifiers(client, supervisor):
    call = closed_call(supervisor)
    client.force_login(supervisor)
    search = client.get(reverse("training-from-call"), {"q": "welfare"})
    assert search.status_code == 200 and BANNER in search.content.decode()
    listing = search.content.decode()
    assert "Make a scenario" in listing
    for identifier in ("Jane", "555-0134", "Winooski", "Harper"):
        assert identifier not in listing  # the list shows a de-identified preview only

    response = client.post(reverse("training-from-call"), {"call": call.pk})
    scenario = TrainingScenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("training-scenario-detail", args=[scenario.pk])

    stored = " ".join(str(v) for v in model_to_dict(scenario).values())
    for identifier in IDENTIFIERS:
        assert identifier not in stored, identifier
    assert "[phone]" in scenario.narrative and "[name]" in scenario.narrative
    assert "sitting in the doorway" in scenario.narrative
    # What the trainee needs is kept: the call type, the answers the caller gave, the place
    # and the local time (for the team's hours).
    assert scenario.call_type == "Welfare Check" and scenario.origin == "past_call"
    assert scenario.truth == call.screening and scenario.truth["children_at_risk"] is None
    assert scenario.location_kind == "public_space" and scenario.source == "911"
    local = call.received_at.astimezone(ZoneInfo("America/New_York"))
    assert (scenario.local_weekday, scenario.local_time) == (local.weekday(), dt.time(12, 0))
    assert scenario.source_call_id == call.pk  # provenance: the id and nothing else
    page = client.get(response["Location"]).content.decode()
    assert BANNER in page
    for identifier in ("Jane", "555-0134", "Winooski", "Harper"):
        assert identifier not in page
    assert AuditEvent.objects.filter(
        action="training.scenario.create", detail__source_call_id=call.pk
    ).exists()


def test_only_a_closed_call_of_the_agency_makes_a_scenario(
    client, supervisor, dispatcher, make_user, other_agency
):
    open_call, _ = call_create(
        user=dispatcher, data=CallInput(call_type="Welfare Check", screening=dict(SAFE))
    )
    stranger = make_user(Role.SUPERVISOR, agency_=other_agency)
    theirs = closed_call(stranger, ext="CAD-X")
    client.force_login(supervisor)
    for pk in (open_call.pk, theirs.pk, 999999):
        response = client.post(reverse("training-from-call"), {"call": pk})
        assert response.status_code == 400
        assert "No closed call with that id" in response.content.decode()
    assert TrainingScenario.objects.count() == 0


# --- a whole session --------------------------------------------------------------------------


def test_a_full_session_scores_as_the_protocol_says(client, supervisor, dispatcher):
    welfare = written(supervisor)
    knife = written(supervisor, "Trespass", weapon=True)
    unsure = written(supervisor, violence=None)
    by_pk = {s.pk: s for s in (welfare, knife, unsure)}
    # The trainee's answers: all right, a missed knife, and a guess of "no" for an unknown.
    plan = {
        welfare.pk: ("ALT", dict(SAFE)),
        knife.pk: ("ALT", dict(SAFE)),
        unsure.pk: ("ALT", dict(SAFE)),
    }
    client.force_login(dispatcher)
    home = client.get(reverse("training-home"))
    assert home.status_code == 200 and BANNER in home.content.decode()
    response = client.post(reverse("training-home"), {"count": 10})
    session = TrainingSession.objects.get()
    assert response["Location"] == reverse("training-scenario", args=[session.pk])
    assert session.scenario_count == 3 and sorted(session.scenario_ids) == sorted(by_pk)
    assert (session.protocol_id, session.protocol_version) == ("demo-city", "2026.1")

    scores = {}
    for position, pk in enumerate(session.scenario_ids):
        page = client.get(reverse("training-scenario", args=[session.pk]))
        text = page.content.decode()
        assert page.status_code == 200 and BANNER in text
        assert by_pk[pk].narrative in text and f"{position + 1} of 3" in text
        tier, screening = plan[pk]
        want = expected(by_pk[pk], tier, screening)
        response = client.post(
            reverse("training-scenario", args=[session.pk]),
            answer_post(position, tier, screening),
        )
        assert response["Location"] == reverse("training-feedback", args=[session.pk, position + 1])
        attempt = TrainingAttempt.objects.get(session=session, position=position)
        assert attempt.scenario_id == pk
        assert attempt.expected_tier == want.expected.tier
        assert attempt.tier_correct == want.tier_correct
        assert attempt.questions_correct == want.questions_correct
        assert attempt.score == want.score
        assert attempt.explanation["lines"] == list(want.explanation)
        feedback = client.get(response["Location"]).content.decode()
        assert BANNER in feedback and want.explanation[0] in feedback
        assert f"tier-{want.expected.tier}" in feedback
        scores[pk] = want.score

    assert scores[welfare.pk] == 100.0 and scores[knife.pk] < 50 and scores[unsure.pk] < 100
    session.refresh_from_db()
    assert session.finished_at is not None
    assert session.score == round(sum(scores.values()) / 3, 1)
    summary = client.get(reverse("training-session", args=[session.pk])).content.decode()
    assert BANNER in summary and str(session.score) in summary
    # A resent answer is not scored twice.
    again = client.post(
        reverse("training-scenario", args=[session.pk]), answer_post(2, "LE", dict(SAFE))
    )
    assert again.status_code == 302 and TrainingAttempt.objects.count() == 3
    assert AuditEvent.objects.filter(action="training.attempt").count() == 3
    assert AuditEvent.objects.filter(action="training.session.finish").count() == 1


def test_ending_a_session_early_scores_the_answers_given(client, supervisor, dispatcher):
    for _ in range(3):
        written(supervisor)
    client.force_login(dispatcher)
    client.post(reverse("training-home"), {"count": 3})
    session = TrainingSession.objects.get()
    client.post(reverse("training-scenario", args=[session.pk]), answer_post(0, "LE", SAFE))
    client.post(reverse("training-finish", args=[session.pk]))
    session.refresh_from_db()
    assert session.finished_at is not None and session.score == 40.0  # right answers, wrong tier
    page = client.get(reverse("training-scenario", args=[session.pk]))
    assert page["Location"] == reverse("training-session", args=[session.pk])


# --- no live call is touched ------------------------------------------------------------------


def test_training_never_writes_to_live_calls(client, supervisor, dispatcher, make_unit):
    past = closed_call(dispatcher)
    live, _ = call_create(
        user=dispatcher,
        data=CallInput(
            call_type="Welfare Check",
            external_id="CAD-LIVE",
            received_at=daytime(),
            lat=DOWNTOWN[0],
            lon=DOWNTOWN[1],
            screening=dict(SAFE),
        ),
    )
    call_assign_unit(user=dispatcher, call=live, unit=make_unit("ALT-1"))
    written(supervisor, weapon=True)

    def snapshot():
        return (
            Call.objects.count(),
            Assignment.objects.count(),
            UnitStatusChange.objects.count(),
            sorted(Call.objects.values_list("pk", "updated_at", "status", "tier")),
        )

    before = snapshot()
    mark = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    client.force_login(supervisor)
    assert client.post(reverse("training-from-call"), {"call": past.pk}).status_code == 302
    client.force_login(dispatcher)
    client.post(reverse("training-home"), {"count": 5})
    session = TrainingSession.objects.get()
    for position in range(session.scenario_count):
        client.get(reverse("training-scenario", args=[session.pk]))
        response = client.post(
            reverse("training-scenario", args=[session.pk]),
            answer_post(position, "ALT", dict(SAFE)),
        )
        client.get(response["Location"])
    client.get(reverse("training-session", args=[session.pk]))
    client.force_login(supervisor)
    client.get(reverse("training-accuracy"))

    session.refresh_from_db()
    assert session.finished_at is not None and session.scenario_count == 2
    assert snapshot() == before
    actions = list(AuditEvent.objects.filter(pk__gt=mark).values_list("action", flat=True))
    assert actions and all(a.startswith("training.") for a in actions)
    assert not any(a.startswith(("call.", "unit.", "dispatch.")) for a in actions)


# --- who may do what --------------------------------------------------------------------------


MANAGE_PAGES = (
    "training-scenarios",
    "training-scenario-new",
    "training-from-call",
    "training-sessions",
    "training-accuracy",
)


def test_officers_may_not_train_dispatchers_train_and_supervisors_manage(
    client, officer, dispatcher, supervisor
):
    client.force_login(officer)
    assert client.get(reverse("training-home")).status_code == 403
    for name in MANAGE_PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert BANNER not in client.get(reverse("home")).content.decode()

    client.force_login(dispatcher)
    home = client.get(reverse("training-home")).content.decode()
    assert reverse("training-home") in client.get(reverse("board")).content.decode()
    assert reverse("training-scenarios") not in home
    for name in MANAGE_PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("training-from-call"), {"call": 1}).status_code == 403
    with pytest.raises(PermissionDenied):
        written(dispatcher)
    with pytest.raises(PermissionDenied):
        session_start(user=officer)

    client.force_login(supervisor)
    assert reverse("training-scenarios") in client.get(reverse("training-home")).content.decode()
    for name in MANAGE_PAGES:
        page = client.get(reverse(name))
        assert page.status_code == 200 and BANNER in page.content.decode(), name


def test_another_agencys_scenarios_and_sessions_are_not_found(
    client, supervisor, dispatcher, make_user, other_agency
):
    scenario = written(supervisor)
    session = session_start(user=dispatcher)
    colleague = make_user(Role.DISPATCHER, username="colleague")
    outsider = make_user(Role.SUPERVISOR, agency_=other_agency)
    client.force_login(outsider)
    assert client.get(reverse("training-scenario-detail", args=[scenario.pk])).status_code == 404
    assert client.get(reverse("training-session", args=[session.pk])).status_code == 404
    assert client.get(reverse("training-feedback", args=[session.pk, 1])).status_code == 404
    assert b"lakeside" not in client.get(reverse("training-sessions")).content
    with pytest.raises(ValidationError):
        attempt_submit(user=outsider, session=session, tier="ALT", screening=dict(SAFE))
    # A trainee's session is theirs: a colleague cannot see or answer it.
    client.force_login(colleague)
    assert client.get(reverse("training-session", args=[session.pk])).status_code == 404
    response = client.post(
        reverse("training-scenario", args=[session.pk]), answer_post(0, "ALT", SAFE)
    )
    assert response.status_code == 404
    assert TrainingAttempt.objects.count() == 0
    # Their supervisor may read it (and the reading is audited).
    client.force_login(supervisor)
    assert client.get(reverse("training-session", args=[session.pk])).status_code == 200
    assert AuditEvent.objects.filter(
        action="training.session.view", object_id=str(session.pk), user=supervisor
    ).exists()


# --- the supervisor's accuracy view -----------------------------------------------------------


def sums(accuracy):
    return accuracy.attempts, accuracy.tier_correct


def _session(user, scenarios):
    protocol = protocol_for(user.agency)
    return TrainingSession.objects.create(
        agency=user.agency,
        trainee=user,
        scenario_ids=[s.pk for s in scenarios],
        scenario_count=len(scenarios),
        protocol_id=protocol.id,
        protocol_version=protocol.version,
    )


def _answer(user, session, scenario, *, right, when):
    tier = expected(scenario, "ALT", scenario.truth).expected.tier
    if not right:
        tier = "LE" if tier != "LE" else "ALT"
    attempt = attempt_submit(user=user, session=session, tier=tier, screening=dict(SAFE))
    TrainingAttempt.objects.filter(pk=attempt.pk).update(answered_at=when)
    assert attempt.tier_correct == right


def test_the_accuracy_view_sums_each_trainee_by_call_type_and_week(
    client, supervisor, dispatcher, make_user
):
    welfare = written(supervisor)
    trespass = written(supervisor, "Trespass")
    other = make_user(Role.DISPATCHER, username="second")
    now = timezone.now()
    this_week = now - dt.timedelta(minutes=5)
    last_week = now - dt.timedelta(days=7)
    first = _session(dispatcher, [welfare, welfare, trespass])
    _answer(dispatcher, first, welfare, right=True, when=this_week)
    _answer(dispatcher, first, welfare, right=False, when=this_week)
    _answer(dispatcher, first, trespass, right=True, when=last_week)
    second = _session(other, [welfare])
    _answer(other, second, welfare, right=True, when=this_week)

    client.force_login(supervisor)
    page = client.get(reverse("training-accuracy"))
    assert page.status_code == 200 and b"<svg" in page.content
    table = page.context["table"]

    def monday_of(when):
        day = timezone.localtime(when, ZoneInfo("America/New_York")).date()
        return day - dt.timedelta(days=day.weekday())

    monday, last_monday = monday_of(now), monday_of(last_week)
    assert table.weeks == sorted({monday, last_monday})
    cells = {ct: dict(zip(table.weeks, row, strict=True)) for ct, row, _ in table.rows}
    totals = {ct: overall for ct, _, overall in table.rows}
    assert sums(cells["Welfare Check"][monday]) == (3, 2)
    assert cells["Welfare Check"].get(last_monday) is None
    assert sums(cells["Trespass"][last_monday]) == (1, 1)
    assert sums(totals["Welfare Check"]) == (3, 2)
    assert sums(table.total) == (4, 3)
    assert [sums(a) for a in table.totals] == [(1, 1), (3, 2)]
    trainees = {t.name: t for t in page.context["trainees"]}
    mine = trainees[dispatcher.username]
    assert (mine.sessions, mine.attempts, mine.tier_correct) == (1, 3, 2)
    assert (trainees["second"].attempts, trainees["second"].tier_correct) == (1, 1)

    one = client.get(reverse("training-accuracy"), {"trainee": dispatcher.pk})
    table = one.context["table"]
    cells = {ct: dict(zip(table.weeks, row, strict=True)) for ct, row, _ in table.rows}
    assert sums(cells["Welfare Check"][monday]) == (2, 1)
    assert sums(table.total) == (3, 2)
    assert "1/2" in one.content.decode()


# --- bad input --------------------------------------------------------------------------------


def test_an_unknown_tier_is_a_field_error_and_nothing_is_scored(client, supervisor, dispatcher):
    written(supervisor)
    client.force_login(dispatcher)
    client.post(reverse("training-home"), {"count": 1})
    session = TrainingSession.objects.get()
    response = client.post(
        reverse("training-scenario", args=[session.pk]), answer_post(0, "VAN", SAFE)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["tier"]
    assert TrainingAttempt.objects.count() == 0
    with pytest.raises(ValidationError) as exc:
        attempt_submit(user=dispatcher, session=session, tier="VAN", screening=dict(SAFE))
    assert "tier" in exc.value.message_dict
    assert (
        TrainingAttempt.objects.count() == 0 and TrainingSession.objects.get().finished_at is None
    )


def test_a_trainer_scenario_without_a_call_type_is_refused_and_not_saved(client, supervisor):
    client.force_login(supervisor)
    data = {"title": "Doorway", "source": "911", "location_kind": "public_space",
            "local_weekday": "2", "local_time": "12:00", "narrative": "A man in a doorway.",
            **{k: "no" for k in SAFE}}  # fmt: skip
    response = client.post(reverse("training-scenario-new"), {**data, "call_type": ""})
    assert response.status_code == 400
    assert "The call type is required." in response.context["form"].errors["call_type"]
    assert BANNER in response.content.decode()
    response = client.post(reverse("training-scenario-new"), {**data, "call_type": "Spaceship"})
    assert response.status_code == 400 and response.context["form"].errors["call_type"]
    response = client.post(
        reverse("training-scenario-new"), {**data, "call_type": "Welfare Check", "local_time": ""}
    )
    assert response.status_code == 400 and response.context["form"].errors["local_time"]
    assert TrainingScenario.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="training.").exists()

    response = client.post(
        reverse("training-scenario-new"), {**data, "call_type": "Welfare Check", "weapon": "yes"}
    )
    scenario = TrainingScenario.objects.get()
    assert response["Location"] == reverse("training-scenario-detail", args=[scenario.pk])
    assert scenario.truth["weapon"] is True and scenario.origin == "trainer"
    assert scenario.local_datetime is not None and scenario.local_datetime.weekday() == 2


def test_starting_without_scenarios_says_so(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("training-home"), {"count": 10})
    assert response.status_code == 400
    assert "no training scenarios yet" in response.content.decode()
    assert TrainingSession.objects.count() == 0


def test_a_supervisor_edits_a_narrative_and_retires_a_scenario(client, supervisor, dispatcher):
    scenario = written(supervisor)
    client.force_login(supervisor)
    response = client.post(
        reverse("training-scenario-detail", args=[scenario.pk]),
        {"title": "Doorway", "narrative": "A man in a doorway, [name] says."},
    )
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert (scenario.title, scenario.active) == ("Doorway", False)
    assert scenario.narrative == "A man in a doorway, [name] says."
    with pytest.raises(ValidationError):
        session_start(user=dispatcher)  # no active scenario left


def test_known_identifiers_are_redacted_whatever_their_punctuation_or_case():
    from smartresponse.triage.training import redact

    text = "jane DOE called from 802.555.0134 about 12 PINE STREET; Doe again, not Doerr."
    out = redact(
        text,
        {"[name]": ["Jane", "Doe"], "[phone]": ["(802) 555-0134"], "[address]": ["12 Pine Street"]},
    )
    assert out == "[name] [name] called from [phone] about [address]; [name] again, not Doerr."


def test_tampered_ids_in_the_supervisor_pages_are_ignored_not_a_server_error(
    client, supervisor, dispatcher
):
    """A "²" passes str.isdigit() but not int(); 30 digits overflow SQLite's integers."""
    scenario = written(supervisor)
    session = _session(dispatcher, [scenario])
    _answer(dispatcher, session, scenario, right=True, when=timezone.now())
    client.force_login(supervisor)
    for bad in ("²", "9" * 30):
        for name in ("training-sessions", "training-accuracy"):
            response = client.get(reverse(name), {"trainee": bad})
            assert response.status_code == 200, (name, bad)
            assert dispatcher.username in response.content.decode()  # every trainee shown
        response = client.get(reverse("training-from-call"), {"q": bad})
        assert response.status_code == 200 and "No closed call found." in response.content.decode()
        response = client.post(reverse("training-from-call"), {"call": bad})
        assert response.status_code == 400 and "Choose a call." in response.content.decode()
    assert TrainingScenario.objects.count() == 1


def test_the_scenario_page_names_the_source_in_words(client, supervisor, dispatcher):
    scenario = written(supervisor)
    TrainingScenario.objects.filter(pk=scenario.pk).update(source="non_emergency")
    session = _session(dispatcher, [scenario])
    client.force_login(dispatcher)
    page = client.get(reverse("training-scenario", args=[session.pk])).content.decode()
    assert "Non-emergency line" in page and "non_emergency" not in page


def test_the_feedback_speaks_the_trainees_language(client, supervisor, dispatcher):
    knife = written(supervisor, weapon=True)  # the caller would have mentioned a knife
    client.force_login(dispatcher)
    client.post(reverse("training-home"), {"count": 1})
    session = TrainingSession.objects.get()
    assert session.scenario_ids == [knife.pk]
    response = client.post(
        reverse("training-scenario", args=[session.pk]), answer_post(0, "ALT", dict(SAFE))
    )
    english = client.get(response["Location"]).content.decode()
    assert "the caller said yes, you recorded no" in english
    spanish = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Arma vista o mencionada: la persona que llamó dijo sí, usted registró no." in spanish
    assert "Usted envió Equipo de respuesta alternativa" in spanish
    assert "the caller said" not in spanish
