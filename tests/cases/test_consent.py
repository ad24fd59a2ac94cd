"""Consent: which data category goes to whom, in every consent state and for every role.

The pure decision (consent.py) as a matrix of category x state, the Part 2 and emergency
rules, then the same matrix through the referral service for the roles that may and may not
refer, and the pages a consent lives on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from smartresponse.accounts.roles import Role
from smartresponse.audit.models import AuditEvent
from smartresponse.cases import consent as rules
from smartresponse.cases.models import Consent, Disclosure, Referral
from smartresponse.cases.referral_services import (
    consent_create,
    consent_revoke,
    disclosure_review,
    referral_create,
)

from .conftest import SECRET_NOTE, enrol, make_consent, make_person, make_service

NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HARBOR = rules.recipient_key(7, "Harbor House")

STATE_TERMS = {
    rules.State.ACTIVE: {"starts_at": NOW - 10 * DAY, "expires_at": NOW + 10 * DAY},
    rules.State.NOT_STARTED: {"starts_at": NOW + 2 * DAY},
    rules.State.EXPIRED: {"starts_at": NOW - 10 * DAY, "expires_at": NOW - DAY},
    rules.State.REVOKED: {"starts_at": NOW - 10 * DAY, "revoked_at": NOW - 2 * DAY},
}


def terms(categories, state=rules.State.ACTIVE, *, cid=1, recipient=HARBOR, purpose="referral"):
    return rules.Terms(
        id=cid,
        recipient=recipient,
        purpose=purpose,
        categories=frozenset(categories),
        **STATE_TERMS[state],
    )


# --------------------------------------------------------------------------- the pure matrix


@pytest.mark.parametrize("state", list(rules.State), ids=lambda s: s.value)
@pytest.mark.parametrize("category", list(rules.Category), ids=lambda c: c.value)
def test_category_by_state(category, state):
    consent = terms({category}, state, cid=12)
    decision = rules.disclosable([category], [consent], HARBOR, "referral", NOW)
    if state == rules.State.ACTIVE:
        assert decision.allowed == {category: (rules.Basis.CONSENT, 12)}
        assert decision.refused == []
    else:
        assert decision.allowed == {}
        (refusal,) = decision.refused
        # The refusal names the consent and what happened to it.
        assert (refusal.category, refusal.reason, refusal.consent_id) == (
            category,
            rules.Reason(state.value),
            12,
        )
        assert refusal.since is not None


def test_only_the_categories_asked_for_go_each_on_its_consent():
    housing = terms({"demographics", "housing"}, cid=1)
    clinical = terms({"mental_health"}, cid=2)
    decision = rules.disclosable(
        ["demographics", "mental_health"], [housing, clinical], HARBOR, "referral", NOW
    )
    assert decision.allowed == {
        "demographics": (rules.Basis.CONSENT, 1),
        "mental_health": (rules.Basis.CONSENT, 2),
    }
    assert decision.consent_ids == [1, 2]


def test_part2_needs_a_consent_naming_substance_use_and_the_recipient():
    broad = terms(set(rules.Category) - {rules.Category.SUBSTANCE_USE}, cid=1)
    elsewhere = terms({"substance_use"}, cid=2, recipient=rules.recipient_key(None, "Other"))
    decision = rules.disclosable(["substance_use"], [broad, elsewhere], HARBOR, "referral", NOW)
    assert decision.refused == [rules.Refusal("substance_use", rules.Reason.NO_CONSENT)]
    named = terms({"substance_use"}, cid=3)
    decision = rules.disclosable(["substance_use"], [named], HARBOR, "referral", NOW)
    assert decision.allowed == {"substance_use": (rules.Basis.CONSENT, 3)}


def test_a_consent_for_another_purpose_does_not_cover_a_referral():
    payment = terms({"medical"}, cid=4, purpose="payment")
    decision = rules.disclosable(["medical"], [payment], HARBOR, "referral", NOW)
    assert decision.refused == [rules.Refusal("medical", rules.Reason.OTHER_PURPOSE, 4)]


def test_the_latest_lapse_is_the_one_named():
    old = terms({"housing"}, rules.State.EXPIRED, cid=1)
    revoked = terms({"housing"}, rules.State.REVOKED, cid=2)
    decision = rules.disclosable(["housing"], [old, revoked], HARBOR, "referral", NOW)
    # Expired yesterday is more recent than revoked two days ago: the expiry is named.
    assert decision.refused[0].consent_id == 1


def test_emergency_needs_a_written_justification_and_never_reaches_part2():
    asked = ["demographics", "mental_health", "substance_use"]
    short = rules.disclosable(asked, [], HARBOR, "referral", NOW, emergency_justification="x")
    assert short.allowed == {} and len(short.refused) == 3
    why = "Says he will jump from the bridge tonight; shelter staff must know now."
    decision = rules.disclosable(asked, [], HARBOR, "referral", NOW, emergency_justification=why)
    assert decision.allowed == {
        "demographics": (rules.Basis.EMERGENCY, None),
        "mental_health": (rules.Basis.EMERGENCY, None),
    }
    assert decision.emergency
    assert decision.refused == [rules.Refusal("substance_use", rules.Reason.PART2_NO_EMERGENCY)]


def test_consent_state_boundaries():
    c = terms({"housing"}, cid=1)
    assert c.state(NOW) == rules.State.ACTIVE
    assert c.state(c.starts_at - dt.timedelta(seconds=1)) == rules.State.NOT_STARTED
    assert c.state(c.expires_at) == rules.State.EXPIRED


# --------------------------------------------------------------------------- role x category x state

REFERRING = {Role.CASE_MANAGER, Role.SUPERVISOR}
ROLES = [Role.CASE_MANAGER, Role.SUPERVISOR, Role.OFFICER, Role.DIRECTOR, Role.ANALYST]


def _consent_in_state(user, person, service, category, state):
    now = timezone.now()
    if state == rules.State.NOT_STARTED:
        return make_consent(user, person, service, (category,), starts_at=now + DAY)
    if state == rules.State.EXPIRED:
        return make_consent(
            user, person, service, (category,), starts_at=now - 10 * DAY, expires_at=now - DAY
        )
    consent = make_consent(user, person, service, (category,))
    if state == rules.State.REVOKED:
        consent_revoke(user=user, consent=consent, reason="asked to stop")
    return consent


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(rules.State), ids=lambda s: s.value)
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_referral_matrix(agency, casemanager, make_user, role, state):
    """Every category, for each role and consent state: only a case manager or supervisor
    refers, only under an active consent; a refusal names the consent and writes nothing."""
    service = make_service(agency)
    user = casemanager if role == Role.CASE_MANAGER else make_user(role, username=f"u-{role}")
    for category in rules.Category:
        person = make_person(agency, f"Client {category}")
        case = enrol(casemanager, person)
        consent = _consent_in_state(casemanager, person, service, category, state)

        def refer(person=person, case=case, category=category):
            return referral_create(
                user=user, person=person, service=service, categories=[category], case=case
            )

        if role not in REFERRING:
            with pytest.raises(PermissionDenied):
                refer()
            assert not Referral.objects.exists() and not Disclosure.objects.exists()
            continue
        if state != rules.State.ACTIVE:
            with pytest.raises(ValidationError) as err:
                refer()
            (message,) = err.value.message_dict["categories"]
            assert f"consent no. {consent.pk} to Harbor House" in message, category
            assert {
                "expired": "expired on",
                "revoked": "revoked on",
                "not_started": "starts only on",
            }[state] in message
            assert not Referral.objects.exists() and not Disclosure.objects.exists()
            continue
        referral = refer()
        assert referral.categories == [category]
        assert referral.consent == consent
        disclosure = Disclosure.objects.get(referral=referral)
        assert disclosure.bases == {category: f"consent:{consent.pk}"}
        assert disclosure.by == user and not disclosure.emergency


# --------------------------------------------------------------------------- the service and pages


@pytest.mark.django_db
def test_no_consent_at_all_says_which_consent_is_missing(agency, casemanager):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    with pytest.raises(ValidationError) as err:
        referral_create(
            user=casemanager,
            person=case.person,
            service=service,
            categories=["demographics", "substance_use"],
            case=case,
        )
    messages = err.value.message_dict["categories"]
    assert len(messages) == 2
    assert all("no consent to Harbor House covers it" in m for m in messages)
    assert any(m.startswith("Substance use treatment (42 CFR Part 2)") for m in messages)


@pytest.mark.django_db
def test_emergency_referral_is_logged_and_flagged_for_review(
    agency, casemanager, supervisor, client
):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    why = "Threatened to harm his neighbour tonight; the shelter must know who is coming."
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics"],
        case=case,
        justification=why,
    )
    disclosure = Disclosure.objects.get(referral=referral)
    assert disclosure.emergency and disclosure.justification == why
    assert disclosure.bases == {"demographics": "emergency"} and disclosure.reviewed_at is None
    client.force_login(supervisor)
    page = client.get("/cases/review/").content.decode()
    assert why in page and f'data-disclosure="{disclosure.pk}"' in page
    client.post(f"/disclosures/{disclosure.pk}/review/", {"note": "justified"})
    disclosure.refresh_from_db()
    assert disclosure.reviewed_by == supervisor
    assert why not in client.get("/cases/review/").content.decode()
    client.force_login(casemanager)
    assert client.get("/cases/review/").status_code == 403


@pytest.mark.django_db
def test_a_supervisor_does_not_review_their_own_emergency_disclosure(
    agency, casemanager, supervisor, make_user, client
):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    referral = referral_create(
        user=supervisor,
        person=case.person,
        service=service,
        categories=["demographics"],
        case=case,
        justification="Said he would set fire to the camp tonight; the shelter must know.",
    )
    disclosure = Disclosure.objects.get(referral=referral)
    with pytest.raises(ValidationError) as err:
        disclosure_review(user=supervisor, disclosure=disclosure, note="fine")
    assert err.value.message_dict["disclosure"] == [
        "Another supervisor must review a disclosure you made."
    ]
    client.force_login(supervisor)
    response = client.post(f"/disclosures/{disclosure.pk}/review/", follow=True)
    assert "Another supervisor must review a disclosure you made." in response.content.decode()
    disclosure.refresh_from_db()
    assert disclosure.reviewed_at is None
    page = client.get("/cases/review/").content.decode()
    assert "You made this disclosure: another supervisor must review it." in page
    assert f"/disclosures/{disclosure.pk}/review/" not in page

    colleague = make_user(Role.SUPERVISOR, username="second-supervisor")
    disclosure_review(user=colleague, disclosure=disclosure, note="justified")
    disclosure.refresh_from_db()
    assert disclosure.reviewed_by == colleague


@pytest.mark.django_db
def test_signed_form_is_checked_stored_and_its_views_audited(
    agency, casemanager, client, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    fake = SimpleUploadedFile("form.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as err:
        make_consent(casemanager, case.person, service, ("housing",), signed_form=fake)
    assert "signed_form" in err.value.message_dict
    exe = SimpleUploadedFile("form.exe", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(ValidationError):
        make_consent(casemanager, case.person, service, ("housing",), signed_form=exe)
    pdf = SimpleUploadedFile("Dana signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    consent = make_consent(casemanager, case.person, service, ("housing",), signed_form=pdf)
    assert consent.signed_form.name.startswith("consents/")
    assert "Dana" not in consent.signed_form.name
    assert (tmp_path / consent.signed_form.name).read_bytes() == b"%PDF-1.4 signed"
    client.force_login(casemanager)
    response = client.get(f"/consents/{consent.pk}/form/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"
    assert AuditEvent.objects.filter(action="consent.form_view", object_id=str(consent.pk)).exists()


@pytest.mark.django_db
def test_consent_pages_record_and_revoke(agency, casemanager, client):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    client.force_login(casemanager)
    url = f"/cases/person/{case.person_id}/consents/new/?case={case.pk}"
    bad = client.post(
        url, {"purpose": "referral", "starts_at": "2026-03-01", "expires_at": "2026-02-01"}
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "Tick at least one category" in body and "expire after it starts" in body
    assert "Name the organisation" in body
    ok = client.post(
        url,
        {
            "recipient_organization": service.organization_id,
            "purpose": "referral",
            "categories": ["demographics", "substance_use"],
            "starts_at": timezone.localdate().isoformat(),
        },
    )
    assert ok.status_code == 302
    consent = Consent.objects.get()
    assert consent.recipient_name == "Harbor House"
    assert consent.categories == ["demographics", "substance_use"]
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'data-consent="{consent.pk}"' in page and "active" in page
    client.post(f"/consents/{consent.pk}/revoke/", {"case": case.pk})
    consent.refresh_from_db()
    assert consent.revoked_by == casemanager and consent.state() == "revoked"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OFFICER, Role.DIRECTOR, Role.ANALYST], ids=str)
def test_officers_directors_analysts_never_see_consents_or_referrals(
    agency, casemanager, client, make_user, role, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    pdf = SimpleUploadedFile("f.pdf", b"%PDF-1.4", content_type="application/pdf")
    consent = make_consent(
        casemanager, case.person, service, ("demographics", "substance_use"), signed_form=pdf
    )
    referral = referral_create(
        user=casemanager,
        person=case.person,
        service=service,
        categories=["demographics", "substance_use"],
        case=case,
        reason=SECRET_NOTE,
    )
    client.force_login(make_user(role, username=f"x-{role}"))
    for url in (
        f"/referrals/{referral.pk}/",
        f"/referrals/{referral.pk}/fhir/",
        f"/consents/{consent.pk}/form/",
        f"/cases/{case.pk}/refer/",
        f"/cases/person/{case.person_id}/consents/new/",
        "/cases/review/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert SECRET_NOTE not in response.content.decode()
    assert client.post(f"/consents/{consent.pk}/revoke/").status_code == 403
    assert (
        client.post(f"/referrals/{referral.pk}/status/", {"status": "accepted"}).status_code == 403
    )
    person_page = client.get(f"/people/{case.person_id}/").content.decode()
    assert "Harbor House" not in person_page and SECRET_NOTE not in person_page


@pytest.mark.django_db
def test_a_colleague_does_not_see_anothers_consents(agency, casemanager, client, make_user):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    consent = make_consent(casemanager, case.person, service, ("housing",))
    colleague = make_user(Role.CASE_MANAGER, username="colleague")
    client.force_login(colleague)
    assert client.get(f"/consents/{consent.pk}/form/").status_code == 404
    assert client.post(f"/consents/{consent.pk}/revoke/").status_code == 404
    assert client.get(f"/cases/person/{case.person_id}/consents/new/").status_code == 404
    with pytest.raises(Exception) as err:
        consent_create(
            user=colleague,
            person=case.person,
            recipient_organization=None,
            recipient_name="X",
            purpose="referral",
            categories=["housing"],
            starts_at=timezone.now(),
            expires_at=None,
        )
    assert "Http404" in type(err.value).__name__ or "404" in str(type(err.value))


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["/\\evil.example/", "https://evil.example/", "//evil.example/"])
def test_recording_a_consent_never_sends_the_browser_off_site(agency, casemanager, client, target):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    client.force_login(casemanager)
    response = client.post(
        f"/cases/person/{case.person_id}/consents/new/?case={case.pk}",
        {
            "recipient_organization": service.organization_id,
            "purpose": "referral",
            "categories": ["demographics"],
            "starts_at": timezone.localdate().isoformat(),
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#consents"


@pytest.mark.django_db
def test_the_refer_page_calls_covered_only_what_the_sending_allows(agency, casemanager, client):
    service = make_service(agency)
    case = enrol(casemanager, make_person(agency))
    # Housing to Harbor House, but for treatment, not for a referral.
    make_consent(casemanager, case.person, service, ("housing",), purpose="treatment")
    active = make_consent(casemanager, case.person, service, ("demographics",))
    client.force_login(casemanager)
    page = client.get(f"/cases/{case.pk}/refer/?service={service.pk}")
    covered = page.context["covered"]
    assert covered == {"demographics": str(active.pk)}
    refused = client.post(
        f"/cases/{case.pk}/refer/", {"service": service.pk, "categories": ["housing"]}
    )
    assert refused.status_code == 400
    assert "is for another purpose" in refused.content.decode()
