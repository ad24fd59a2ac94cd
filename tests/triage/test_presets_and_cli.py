import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smartresponse.triage.diff import protocol_diff
from smartresponse.triage.engine import CallFacts, triage
from smartresponse.triage.protocol import ProtocolError, load_protocol, preset_ids

SAFE = dict.fromkeys(
    [
        "weapon",
        "violence",
        "medical_emergency",
        "crime_in_progress",
        "traffic",
        "suicidal_plan",
        "children_at_risk",
    ],
    False,
)
NOON = dt.datetime(2026, 11, 25, 12, 0)


def decide(pid, call_type, kind=None, **answers):
    return triage(
        load_protocol(pid),
        CallFacts(
            call_type=call_type, screening={**SAFE, **answers}, location_kind=kind, local_time=NOON
        ),
    )


def test_every_preset_loads_and_cites_its_source():
    ids = preset_ids()
    for expected in (
        "denver-star-pilot",
        "portland-street-response",
        "eugene-cahoots",
        "nyc-b-heard",
        "grand-junction-co-responder",
    ):
        assert expected in ids
    for pid in ids:
        assert len(load_protocol(pid).source) > 80, pid


def test_portland_never_goes_inside_a_private_residence_nor_to_suicidal_callers():
    assert decide("portland-street-response", "WELFARE CHECK", "public_space").tier == "ALT"
    home = decide("portland-street-response", "WELFARE CHECK", "private_residence")
    assert home.tier == "LE"
    assert any("private residences" in r for r in home.reasons)
    assert decide("portland-street-response", "SUICIDAL", "public_space").tier == "LE"


def test_cahoots_sends_police_first_when_in_doubt():
    unsure = triage(
        load_protocol("eugene-cahoots"),
        CallFacts(
            call_type="INTOXICATED SUBJECT",
            screening={"weapon": False, "violence": False},
            local_time=NOON,
        ),
    )
    assert unsure.tier == "LE"
    assert decide("eugene-cahoots", "INTOXICATED SUBJECT").tier == "ALT"
    assert load_protocol("eugene-cahoots").source_priority == ("on_scene_request",)


def test_b_heard_excludes_weapons_and_grand_junction_takes_them_with_an_officer():
    assert decide("nyc-b-heard", "EDP").tier == "ALT"
    assert decide("nyc-b-heard", "EDP", weapon=True).tier == "LE"
    gj = decide("grand-junction-co-responder", "MENTAL HEALTH", weapon=True)
    assert (gj.tier, gj.eligible) == ("CO", True)


def write(tmp_path, text):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    return f


BASE = "extends: denver-star-pilot\nid: mine\nname: Mine\nversion: '2'\neffective: 2026-01-01\n"


def test_contradiction_is_refused(tmp_path):
    f = write(tmp_path, BASE + "tiers:\n  ALT:\n    exclude_incident_types: [WELFARE]\n")
    with pytest.raises(ProtocolError, match="both eligible and excluded: WELFARE"):
        load_protocol(f)


def test_unknown_apco_code_is_refused_with_its_line(tmp_path):
    f = write(tmp_path, BASE + "call_types:\n  Person yelling: SCREAMX\n")
    with pytest.raises(
        ProtocolError, match=r"p.yaml: line 7, column \d+: call_types.Person yelling: unknown APCO"
    ):
        load_protocol(f)


def test_fallback_loop_is_refused(tmp_path):
    f = write(tmp_path, BASE + "fallback:\n  ALT: [CO]\n  CO: [ALT]\n")
    with pytest.raises(ProtocolError, match="fallback loop: ALT -> CO -> ALT"):
        load_protocol(f)


def test_schema_error_names_field_and_line(tmp_path):
    f = write(tmp_path, BASE + "tiers:\n  ALT:\n    exclude_if: [weapon, telepathy]\n")
    with pytest.raises(
        ProtocolError,
        match=r"line 8, column \d+: tiers.ALT.exclude_if\[1\]: 'telepathy' is not one of",
    ):
        load_protocol(f)


def test_diff_lists_changes_in_words():
    lines = protocol_diff(load_protocol("denver-star-pilot"), load_protocol("demo-city"))
    assert "ALT hours: Mon-Fri 10:00-18:00 -> every day 06:00-22:00" in lines
    assert "ALT call types: added EDP, MNTL, PHANDLE, SCRM, VAG" in lines
    assert (
        "Call type 'Welfare Check' added, mapped to WELFARE" not in lines
    )  # same key as WELFARE CHECK


@pytest.mark.django_db
def test_protocol_command_lists_checks_and_diffs(tmp_path):
    out = StringIO()
    call_command("protocol", "list", stdout=out)
    assert "portland-street-response" in out.getvalue()
    out = StringIO()
    call_command("protocol", "check", "eugene-cahoots", stdout=out)
    assert "OK" in out.getvalue()
    bad = write(tmp_path, BASE + "fallback:\n  ALT: [ALT]\n")
    with pytest.raises(CommandError, match="1 of 1 protocol file"):
        call_command("protocol", "check", str(bad), stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("protocol", "diff", "nyc-b-heard", "portland-street-response", stdout=out)
    assert "ALT call types: added" in out.getvalue()
