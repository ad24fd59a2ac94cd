"""Search keys of person records: what a search shares with the record it should find."""

from __future__ import annotations

import datetime as dt
import itertools

from smartresponse.people import synth
from smartresponse.people.keys import (
    KEY_MAX_LENGTH,
    KINDS,
    kind_of,
    query_keys,
    record_keys,
    stored_record,
)
from smartresponse.people.linkage import SCALE_BLOCKING_RULES, prepare_record
from smartresponse.people.realtime import parse_rule

JONATHAN = {
    "given_name": "Jonathan",
    "family_name": "Smith",
    "dob": "1985-04-12",
    "phone": "(802) 555-0101",
    "address": "Union Station",
    "identifier": "hmis-0042",
}


def shares(query: dict, record: dict) -> set[str]:
    return query_keys(query) & record_keys(record)


def test_keys_are_short_deterministic_and_of_known_kinds():
    keys = record_keys(JONATHAN)
    assert keys == record_keys(dict(JONATHAN))
    assert all(len(k) <= KEY_MAX_LENGTH for k in keys)
    assert {kind_of(k) for k in keys} <= set(KINDS)
    long_address = {**JONATHAN, "address": "Camp in the woods off Forest Drive, behind the mill"}
    keys = record_keys(long_address)
    assert all(len(k) <= KEY_MAX_LENGTH for k in keys)
    assert not any("woods" in k for k in keys)  # a long value is kept as a short hash


def test_a_name_with_typos_alone_finds_the_record():
    assert shares({"given_name": "Jon", "family_name": "Smth"}, JONATHAN)
    assert shares({"given_name": "Jonathon", "family_name": "Smtih"}, JONATHAN)


def test_a_closer_name_shares_more_keys():
    exact = shares({"given_name": "Jonathan", "family_name": "Smith"}, JONATHAN)
    typo = shares({"given_name": "Jonathan", "family_name": "Smtih"}, JONATHAN)
    jenny = {"given_name": "Jenny", "family_name": "Schmidt"}
    sounds_alike = shares({"given_name": "Jonathan", "family_name": "Smith"}, jenny)
    assert len(exact) > len(typo) > len(sounds_alike)


def test_a_nickname_finds_the_record():
    william = {"given_name": "William", "family_name": "Johnson"}
    assert shares({"given_name": "Bill", "family_name": "Johnson"}, william)


def test_partial_dob_and_family_name_find_the_record():
    found = shares({"given_name": "J", "family_name": "Smith", "dob": "1985"}, JONATHAN)
    assert any(k.startswith("y:") for k in found)


def test_an_estimated_age_finds_a_birth_year_two_years_off():
    today = dt.date(2025, 6, 1)
    query = {"given_name": "Jonathan", "family_name": "Smyth", "dob": "~38"}  # born about 1987
    shared = query_keys(query, today=today) & record_keys(JONATHAN)
    assert any(k.startswith(("y:", "s:", "e:")) for k in shared)


def test_phone_alone_and_identifier_find_the_record():
    assert shares({"phone": "555-0101"}, JONATHAN) == {"p:5550101"}
    assert record_keys({"identifier": "HMIS 0042"}) & record_keys(JONATHAN)


def test_an_alias_finds_the_record():
    lupe = {"given_name": "Guadalupe", "family_name": "Reyes", "aliases": ["Lupe Torres"]}
    assert shares({"given_name": "Lupe", "family_name": "Tores"}, lupe)
    assert not shares({"given_name": "Lupe", "family_name": "Tores"}, {**lupe, "aliases": []})


def test_one_of_two_family_names_finds_the_record():
    maria = {"given_name": "María", "family_name": "García López", "dob": "1971-03-01"}
    assert shares({"given_name": "Maria", "family_name": "Lopez"}, maria)
    assert shares({"given_name": "Maria", "family_name": "Garcia"}, maria)


def test_swapped_names_with_a_typo_are_found_by_the_query_keys():
    assert shares({"given_name": "Smtih", "family_name": "Jonathan"}, JONATHAN)


def test_a_record_with_one_name_is_found_by_that_name():
    assert shares({"given_name": "Tex"}, {"given_name": "Tex", "address": "Overpass camp"})


def test_nothing_to_link_on_gives_no_keys():
    assert record_keys({"language": "es"}) == set()
    assert query_keys({"given_name": "", "family_name": "", "dob": "", "phone": "12"}) == set()


def test_different_people_share_no_key():
    assert not shares(
        {"given_name": "Maria", "family_name": "Garcia", "dob": "1990-01-01"},
        {"given_name": "Peter", "family_name": "Olsen", "dob": "1950-07-07"},
    )


def test_stored_fields_give_the_same_keys_as_the_raw_record():
    stored = {
        "id": 7,
        "given_name": "Maria",
        "family_name": "Garcia",
        "aliases": ["Mari G"],
        "dob": dt.date(1971, 3, 1),
        "dob_precision": "year_month",
        "estimated_age_years": None,
        "phone": "8025550199",
        "address": "",
        "identifier": "",
    }
    raw = {
        "given_name": "Maria",
        "family_name": "Garcia",
        "aliases": ["Mari G"],
        "dob": "3/1971",
        "phone": "8025550199",
    }
    assert record_keys(stored_record(stored)) == record_keys(raw)


def test_every_pair_a_batch_run_compares_shares_a_key():
    """The records a link run with SCALE_BLOCKING_RULES would pair are found by a search."""
    records = synth.generate(3000, seed=11)
    rows = {}
    keys = {}
    for r in records:
        row = prepare_record(r, today=synth.REFERENCE_DATE)
        if row is not None:
            rows[r["unique_id"]] = row
            keys[r["unique_id"]] = record_keys(r, today=synth.REFERENCE_DATE)
    pairs = missed = 0
    for rule in SCALE_BLOCKING_RULES:
        parsed = parse_rule(rule)
        blocks: dict[tuple, list[str]] = {}
        for uid, row in rows.items():
            value = tuple(row[c] for c in parsed.right)
            if None not in value:
                blocks.setdefault(value, []).append(uid)
        for block in blocks.values():
            for a, b in itertools.combinations(block, 2):
                pairs += 1
                missed += not (keys[a] & keys[b])
    assert pairs > 1000
    assert missed == 0
