"""The rule engine on its own: no database, no Django."""

import datetime as dt

import pytest

from smartresponse.triage.engine import OUT_OF_HOURS, CallFacts, triage
from smartresponse.triage.protocol import ProtocolError, load_protocol, parse_protocol

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
WEDNESDAY_NOON = dt.datetime(2026, 11, 25, 12, 0)
WEDNESDAY_NIGHT = dt.datetime(2026, 11, 25, 23, 30)
SATURDAY_NOON = dt.datetime(2026, 11, 28, 12, 0)


@pytest.fixture(scope="module")
def pilot():
    return load_protocol("denver-star-pilot")


@pytest.fixture(scope="module")
def demo():
    return load_protocol("demo-city")


def facts(call_type, when=WEDNESDAY_NOON, **screening):
    return CallFacts(call_type=call_type, screening={**SAFE, **screening}, local_time=when)


@pytest.mark.parametrize(
    "call_type",
    [
        "WELFARE CHECK",
        "Assist",
        "intoxicated person",
        "SUICIDAL SERIES",
        "INDECENT EXPOSURE",
        "TRESPASS",
        "SYRINGE DISPOSAL",
    ],
)
def test_pilot_eligible_nature_codes_go_to_the_team(pilot, call_type):
    decision = triage(pilot, facts(call_type))
    assert decision.tier == "ALT"
    assert decision.eligible is True
    assert decision.protocol_version == "2020.1"


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("weapon", "CO"),
        ("violence", "CO"),
        ("suicidal_plan", "CO"),
        ("medical_emergency", "EMS"),
        ("crime_in_progress", "LE"),
        ("traffic", "CO"),  # the co-responding officer makes the scene safe
    ],
)
def test_a_safety_answer_takes_a_welfare_check_away_from_the_unarmed_team(pilot, flag, expected):
    decision = triage(pilot, facts("WELFARE CHECK", **{flag: True}))
    assert decision.tier == expected
    assert decision.eligible is False
    assert any("Screened out of ALT" in r for r in decision.reasons) or expected == "EMS"
    assert decision.urgency == 1


def test_unanswered_weapon_question_is_doubt_not_no(pilot):
    decision = triage(
        pilot, CallFacts(call_type="WELFARE CHECK", screening={}, local_time=WEDNESDAY_NOON)
    )
    assert decision.tier == "CO"
    assert any("was not answered" in r for r in decision.reasons)


def test_trespass_with_a_weapon_goes_to_police_not_the_co_responder(pilot):
    assert triage(pilot, facts("TRESPASS", weapon=True)).tier == "LE"


def test_pilot_hours_send_evening_calls_to_fallback_and_keep_them_eligible(pilot):
    evening = triage(pilot, facts("WELFARE CHECK", when=WEDNESDAY_NIGHT))
    assert evening.preferred_tier == "ALT"
    assert evening.eligible is True
    assert evening.unavailable_reason == OUT_OF_HOURS
    assert evening.tier == "CO"  # falls back along ALT -> CO -> LE
    weekend = triage(pilot, facts("TRESPASS", when=SATURDAY_NOON))
    assert weekend.unavailable_reason == OUT_OF_HOURS
    assert weekend.tier == "LE"  # the co-responder does not take trespass


def test_overnight_hours_window_wraps_midnight():
    data = load_protocol("demo-city").raw
    data = {
        **data,
        "tiers": {
            **data["tiers"],
            "ALT": {
                **data["tiers"]["ALT"],
                "hours": [{"days": ["fri"], "start": "22:00", "end": "06:00"}],
            },
        },
    }
    p = parse_protocol(data)
    assert (
        triage(p, facts("TRESPASS", when=dt.datetime(2026, 11, 28, 2, 0))).tier == "ALT"
    )  # Sat 02:00
    assert (
        triage(p, facts("TRESPASS", when=dt.datetime(2026, 11, 27, 2, 0))).tier == "LE"
    )  # Fri 02:00


def test_unknown_call_type_goes_to_police_with_a_reason(pilot):
    decision = triage(pilot, facts("SPACESHIP LANDING"))
    assert decision.tier == "LE"
    assert decision.incident_type is None
    assert "not in the protocol's call-type map" in decision.reasons[0]


def test_apco_codes_are_accepted_directly(pilot):
    assert triage(pilot, facts("welfare")).incident_type == "WELFARE"
    assert triage(pilot, facts("OD")).tier == "EMS"


def test_demo_protocol_extends_the_pilot_with_local_types_and_hours(demo):
    d = triage(demo, facts("Mental Health Issue", when=SATURDAY_NOON))
    assert (d.tier, d.incident_type, d.protocol_id) == ("ALT", "MNTL", "demo-city")
    assert triage(demo, facts("Burglary")).tier == "LE"
    assert triage(demo, facts("Found/Lost Property")).tier == "NONE"


def test_decision_lists_reasons_in_plain_words(demo):
    d = triage(demo, facts("Welfare Check"))
    assert (
        d.reasons[0]
        == "Call type 'Welfare Check' maps to APCO WELFARE (Man down check, welfare check)."
    )
    assert "Every safety question was answered no." in d.reasons


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"call_types": {"X": "NOTACODE"}}, "call_types.X: unknown APCO 2.103 incident type"),
        ({"order": ["ALT", "LE"]}, "order[1]: tier 'LE' has no entry under tiers"),
        ({"fallback": {"ALT": ["ALT"]}}, "fallback.ALT: a tier cannot fall back to itself"),
        ({"effective": "next tuesday"}, "effective: expected a date"),
    ],
)
def test_bad_protocols_are_refused_with_the_field_named(patch, message):
    data = {**load_protocol("denver-star-pilot").raw, **patch}
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_protocol(data, source="bad.yaml")


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("id: x\nname: [unclosed\n")
    with pytest.raises(ProtocolError, match=r"broken.yaml: line \d+, column \d+"):
        load_protocol(f)


def test_a_flag_in_the_notes_blocks_every_civilian_tier_even_when_the_form_says_no(pilot):
    d = triage(
        pilot,
        CallFacts(
            call_type="WELFARE CHECK",
            screening=dict(SAFE),
            local_time=WEDNESDAY_NOON,
            narrative="subj w/ knife in hand",
        ),
    )
    assert d.tier == "CO"
    assert [(f.kind, f.text) for f in d.flags] == [("weapon", "knife")]
    assert any("'knife'" in r for r in d.reasons)
    assert d.as_dict()["flags"] == [{"kind": "weapon", "text": "knife"}]


def test_children_at_risk_in_the_notes_blocks_no_dispatch_too(pilot):
    d = triage(
        pilot,
        CallFacts(
            call_type="INFO",
            screening=dict(SAFE),
            local_time=WEDNESDAY_NOON,
            narrative="infant left alone in apartment",
        ),
    )
    assert d.tier != "NONE"
    assert any(f.kind == "children_at_risk" for f in d.flags)
