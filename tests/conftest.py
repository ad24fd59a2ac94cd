from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from smartresponse.accounts.models import Agency, User
from smartresponse.accounts.roles import Role
from smartresponse.dispatch.models import Unit

# A small box around downtown Burlington, VT (coordinates from the city's 2022 call data).
AREA = dict(area_south=44.44, area_west=-73.28, area_north=44.53, area_east=-73.17)
DOWNTOWN = (44.4759, -73.2121)


def make_agency(slug: str = "lakeside", **kw: Any) -> Agency:
    fields: dict[str, Any] = dict(
        name=slug.title(),
        slug=slug,
        protocol="demo-city",
        timezone="America/New_York",
        center_lat=DOWNTOWN[0],
        center_lon=DOWNTOWN[1],
        **AREA,
    )
    fields.update(kw)
    return Agency.objects.create(**fields)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Cached counts (the index size, the dashboard's call types) never outlive a test: the
    databases are rolled back between tests, and primary keys may be used again."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """A page asked for in Spanish leaves Spanish active in the thread; the next test starts in
    the default language whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def agency(db: Any) -> Agency:
    return make_agency()


@pytest.fixture
def other_agency(db: Any) -> Agency:
    return make_agency("elsewhere")


@pytest.fixture
def make_user(db: Any, agency: Agency) -> Callable[..., User]:
    def _make(
        role: Role | str, *, agency_: Agency | None = None, username: str | None = None
    ) -> User:
        role = Role(role)
        a = agency_ or agency
        name = username or f"{role.value}-{a.slug}"
        return User.objects.create_user(
            username=name, password="pw-for-tests-1", agency=a, role=role.value
        )

    return _make


@pytest.fixture
def dispatcher(make_user: Callable[..., User]) -> User:
    return make_user(Role.DISPATCHER)


@pytest.fixture
def clinician(make_user: Callable[..., User]) -> User:
    return make_user(Role.CLINICIAN)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER)


@pytest.fixture
def make_unit(agency: Agency) -> Callable[..., Unit]:
    def _make(
        call_sign: str,
        kind: str = "ALT",
        *,
        at: tuple[float, float] = DOWNTOWN,
        agency_: Agency | None = None,
        **kw: Any,
    ) -> Unit:
        return Unit.objects.create(
            agency=agency_ or agency,
            call_sign=call_sign,
            kind=kind,
            home_lat=at[0],
            home_lon=at[1],
            **kw,
        )

    return _make


def daytime() -> dt.datetime:
    """A recent instant at 12:00 local time, inside the demo protocol's 06:00-22:00 hours."""
    now = timezone.localtime()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now else noon - dt.timedelta(days=1)


SAFE = {
    "weapon": False,
    "violence": False,
    "medical_emergency": False,
    "crime_in_progress": False,
    "traffic": False,
    "suicidal_plan": False,
    "children_at_risk": False,
}
