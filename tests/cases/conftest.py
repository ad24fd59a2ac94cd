from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from smartresponse.accounts.roles import Role
from smartresponse.calls.models import Call
from smartresponse.cases.models import Case
from smartresponse.cases.services import case_enrol
from smartresponse.encounters.models import Encounter
from smartresponse.encounters.services import EncounterInput, PersonInput, encounter_create
from smartresponse.people.models import Person, PersonRecord, SourceKind

# Clinical detail that must never reach an officer, a director or an analyst.
SECRET_NOTE = "Injects fentanyl daily; wants methadone intake"


@pytest.fixture
def api_as():
    """An API client authenticated as the given user, through a freshly issued token."""
    from smartresponse.accounts.models import ApiToken
    from tests.api.helpers import ApiClient

    def _as(user: Any) -> ApiClient:
        _, secret = ApiToken.issue(user, name="tests")
        return ApiClient(secret)

    return _as


@pytest.fixture
def casemanager(make_user):
    return make_user(Role.CASE_MANAGER)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR)


def make_person(agency: Any, name: str = "Dana Whitfield", **kw: Any) -> Person:
    person = Person.objects.create(agency=agency)
    given, _, family = name.partition(" ")
    PersonRecord.objects.create(
        agency=agency,
        person=person,
        given_name=given,
        family_name=family,
        source_kind=SourceKind.IMPORT,
        **kw,
    )
    return person


def make_call(agency: Any, at: dt.datetime, ext: str = "", address: str = "") -> Call:
    return Call.objects.create(
        agency=agency,
        received_at=at,
        call_type="Welfare Check",
        external_id=ext,
        address=address,
    )


def crisis_encounter(
    user: Any,
    *,
    cleared_at: dt.datetime,
    names: tuple[str, ...] = ("Dana Whitfield",),
    disposition: str = "resolved",
    address: str = "2 Church St",
    ext: str = "",
) -> Encounter:
    """An encounter documented through the service, as the team's phone form does."""
    arrived = cleared_at - dt.timedelta(minutes=30)
    call = make_call(user.agency, arrived - dt.timedelta(minutes=15), ext, address)
    return encounter_create(
        user=user,
        call=call,
        data=EncounterInput(
            arrived_at=arrived,
            cleared_at=cleared_at,
            disposition=disposition,
            people=[PersonInput(name=n) for n in names],
        ),
    )


def person_of(encounter: Encounter) -> Person:
    record = PersonRecord.objects.get(encounter=encounter)
    assert record.person is not None
    return record.person


def enrol(user: Any, person: Person, **kw: Any) -> Case:
    return case_enrol(user=user, person=person, **kw)


def make_service(
    agency: Any,
    name: str = "Harbor Emergency Shelter",
    org: str = "Harbor House",
    beds: int | None = 5,
) -> Any:
    """A directory service of an organisation, with `beds` free reported an hour ago."""
    from django.utils import timezone

    from smartresponse.directory.models import Organization, Service, ServiceCapacity, Unit

    key = name.lower().replace(" ", "-")
    organization, _ = Organization.objects.get_or_create(
        agency=agency, hsds_id=f"org-{org.lower().replace(' ', '-')}", defaults={"name": org}
    )
    service = Service.objects.create(
        agency=agency,
        hsds_id=f"svc-{key}",
        organization=organization,
        name=name,
        sort_name=name.lower(),
        status="active",
    )
    if beds is not None:
        unit, _ = Unit.objects.get_or_create(
            agency=agency, hsds_id="unit-beds", defaults={"name": "beds"}
        )
        ServiceCapacity.objects.create(
            agency=agency,
            hsds_id=f"cap-{key}",
            service=service,
            unit=unit,
            available=beds,
            maximum=40,
            updated=timezone.now() - dt.timedelta(hours=1),
        )
    return service


def make_consent(
    user: Any, person: Person, service: Any, categories: tuple[str, ...], **kw: Any
) -> Any:
    """A consent to the service's organisation for referral, through the service."""
    from django.utils import timezone

    from smartresponse.cases.referral_services import consent_create

    return consent_create(
        user=user,
        person=person,
        recipient_organization=service.organization,
        recipient_name="",
        purpose=kw.pop("purpose", "referral"),
        categories=list(categories),
        starts_at=kw.pop("starts_at", timezone.now() - dt.timedelta(days=1)),
        expires_at=kw.pop("expires_at", None),
        **kw,
    )


def referral_for_token_holder(agency: Any) -> Any:
    """A referral the holder of the newest API token may export when their role refers (made
    on their own case), else one of a seed case manager's: the answer depends on the role."""
    from smartresponse.accounts.models import ApiToken, User
    from smartresponse.accounts.policy import can
    from smartresponse.accounts.roles import Cap
    from smartresponse.cases.referral_services import referral_create

    token = ApiToken.objects.order_by("-pk").first()
    holder = token.user if token is not None else None
    if holder is None or not can(holder, Cap.CASE_WRITE):
        holder = User.objects.create_user(
            username="seed-casemanager", agency=agency, role=Role.CASE_MANAGER.value
        )
    service = make_service(agency)
    case = enrol(holder, make_person(agency))
    make_consent(holder, case.person, service, ("demographics",))
    return referral_create(
        user=holder, person=case.person, service=service, categories=["demographics"], case=case
    )
