"""The crew rules page: per unit kind, a short text; malformed rules are refused per field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smartresponse.audit.models import AuditEvent
from smartresponse.workforce.crews import parse_rules
from smartresponse.workforce.models import CrewRuleSet

pytestmark = pytest.mark.django_db


def test_the_page_starts_from_the_defaults(client, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("workforce-crew-rules")).content.decode()
    assert 'value="licensed_clinician + emt|paramedic"' in html
    assert 'value="licensed_clinician + cit_40"' in html


def test_saving_rules_and_enforcing_them(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-crew-rules"),
        {"ALT": "licensed_clinician + emt | paramedic", "CO": "2*cit_40", "LE": "",
         "EMS": "", "OUTREACH": "peer_specialist", "enforced": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    row = CrewRuleSet.objects.get()
    assert row.enforced
    assert row.rules["CO"] == [{"any_of": ["cit_40"], "count": 2}]
    assert row.rules["EMS"] == []
    rules, errors = parse_rules(row.rules)
    assert not errors and rules["OUTREACH"][0].kinds == frozenset({"peer_specialist"})
    assert AuditEvent.objects.filter(action="crew_rules.update").get().detail == {"enforced": True}


def test_malformed_rules_are_refused_beside_their_kind_and_nothing_is_saved(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-crew-rules"),
        {"ALT": "licensed_clinician + medic", "CO": "0*cit_40", "LE": "", "EMS": "",
         "OUTREACH": "", "enforced": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    alt = html.split('for="id_ALT"')[1].split("</div>")[0]
    assert "Unknown credential kind: medic." in alt
    co = html.split('for="id_CO"')[1].split("</div>")[0]
    assert "a count of at least 1" in co
    assert not CrewRuleSet.objects.exists()


def test_a_stored_configuration_with_errors_is_reported_per_kind():
    rules, errors = parse_rules({"ALT": [{"any_of": []}], "XYZ": [], "CO": "cit_40"})
    assert set(errors) == {"ALT", "CO", "rules"}
    assert rules["ALT"] == ()


def test_only_supervisors_change_crew_rules(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("workforce-crew-rules")).status_code == 403
    assert client.post(reverse("workforce-crew-rules"), {"enforced": "on"}).status_code == 403
    assert not CrewRuleSet.objects.exists()


def test_a_count_too_large_for_a_crew_is_refused(client, supervisor, make_unit, ana):
    # A mistyped count would make every board poll build that many places.
    client.force_login(supervisor)
    response = client.post(
        reverse("workforce-crew-rules"),
        {"ALT": "licensed_clinician + 99999999999999*emt", "CO": "", "LE": "", "EMS": "",
         "OUTREACH": "", "enforced": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    alt = response.content.decode().split('for="id_ALT"')[1].split("</div>")[0]
    assert "A place is needed at most 10 times." in alt
    assert not CrewRuleSet.objects.exists()
    # One stored some other way is left out of the rule, and reported.
    rules, errors = parse_rules({"ALT": [{"any_of": ["emt"], "count": 10**12}]})
    assert rules["ALT"] == () and errors == {"ALT": ["A place is needed at most 10 times."]}
