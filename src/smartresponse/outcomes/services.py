"""Writes of the outcomes app: the agency's unit costs."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors

from .models import CostSettings

MAX_COST = Decimal("99999999")
MAX_POLICE_MINUTES = 24 * 60


def _money(raw: Any, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace(",", "").lstrip("$")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[name] = [gettext("Give an amount such as 185.50.")]
        return None
    if not value.is_finite() or value < 0 or value > MAX_COST:
        errors[name] = [gettext("Give an amount between 0 and 99,999,999.")]
        return None
    return value.quantize(Decimal("0.01"))


def _minutes(raw: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_POLICE_MINUTES:
        errors[name] = [gettext("Give whole minutes between 0 and 1440.")]
        return None
    return int(text)


def cost_settings_update(
    *,
    user: Any,
    team_hour_cost: Any,
    officer_hour_cost: Any,
    officers_per_call: Any,
    default_police_minutes: Any,
    police_minutes: list[tuple[str, Any]],
) -> CostSettings:
    """Save the agency's unit costs. Values may be a form's strings; an empty one means "not
    given" (the figures that need it are then not shown). `police_minutes` is a list of
    (call type, minutes) pairs, errors keyed `police_minutes_<i>`. Nothing is saved on error."""
    require(user, Cap.COSTS_MANAGE)
    errors: dict[str, list[str]] = {}
    team = _money(team_hour_cost, "team_hour_cost", errors)
    officer = _money(officer_hour_cost, "officer_hour_cost", errors)
    officers: Decimal | None = None
    try:
        officers = Decimal(str(officers_per_call).strip())
        if not officers.is_finite() or not Decimal("0.5") <= officers <= Decimal("20"):
            raise InvalidOperation
    except InvalidOperation:
        errors["officers_per_call"] = [gettext("Give a number of officers between 0.5 and 20.")]
    default = _minutes(default_police_minutes, "default_police_minutes", errors)
    table: dict[str, int] = {}
    for i, (call_type, raw) in enumerate(police_minutes):
        m = _minutes(raw, f"police_minutes_{i}", errors)
        name = " ".join(str(call_type).split())[:100]
        if m is not None and name:
            table[name] = m
    if errors:
        raise field_errors(errors)
    assert officers is not None
    with transaction.atomic():
        current = CostSettings.objects.select_for_update().filter(
            agency_id=user.agency_id
        ).first() or CostSettings(agency_id=user.agency_id)
        before = _values(current)
        current.team_hour_cost = team
        current.officer_hour_cost = officer
        current.officers_per_call = officers.quantize(Decimal("0.1"))
        current.default_police_minutes = default
        current.police_minutes = table
        current.updated_by = user
        current.save()
        after = _values(current)
        audit_record(
            user=user,
            action="costs.update",
            obj=current,
            detail={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return current


def _values(s: CostSettings) -> dict[str, Any]:
    return {
        "team_hour_cost": None if s.team_hour_cost is None else str(s.team_hour_cost),
        "officer_hour_cost": None if s.officer_hour_cost is None else str(s.officer_hour_cost),
        "officers_per_call": str(s.officers_per_call),
        "default_police_minutes": s.default_police_minutes,
        "police_minutes": dict(s.police_minutes or {}),
    }
