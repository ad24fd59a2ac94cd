from __future__ import annotations

from smartresponse.people.linkage import LinkageModel, Outcome
from smartresponse.people.search import rank

MODEL = LinkageModel.load()

PEOPLE = [
    {"unique_id": "1", "given_name": "JONATHAN", "family_name": "SMITH", "dob": "1985-04-12"},
    {"unique_id": "2", "given_name": "John", "family_name": "Smithers", "dob": "1962-01-30"},
    {"unique_id": "3", "given_name": "Jon", "family_name": "Smith", "dob": "1999-09-09"},
    {"unique_id": "4", "given_name": "Joan", "family_name": "Smit"},
    {"unique_id": "5", "given_name": "Maria", "family_name": "Garcia", "dob": "1971-05-20"},
    {"unique_id": "6", "given_name": "Maria", "family_name": "Garcia", "dob": "1994-11-02"},
    {
        "unique_id": "7",
        "given_name": "Guadalupe",
        "family_name": "Reyes",
        "aliases": ["Lupe Torres"],
        "phone": "(802) 555-0199",
    },
]


def test_typo_and_short_name_with_dob_ranks_first():
    found = rank(MODEL, {"given_name": "Jon", "family_name": "Smith", "dob": "4/12/1985"}, PEOPLE)
    assert found[0].record_id == "1"
    assert found[0].outcome is Outcome.LINK
    assert found[0].probability > found[1].probability


def test_partial_dob_still_ranks_the_right_person_first():
    found = rank(MODEL, {"given_name": "jonathon", "family_name": "smith", "dob": "1985"}, PEOPLE)
    assert found[0].record_id == "1"


def test_two_maria_garcias_with_different_dobs_are_not_both_strong():
    found = rank(
        MODEL, {"given_name": "María", "family_name": "García", "dob": "1971-05-20"}, PEOPLE
    )
    by_id = {c.record_id: c for c in found}
    assert found[0].record_id == "5"
    assert by_id["5"].outcome is Outcome.LINK
    assert "6" not in by_id or by_id["6"].outcome is not Outcome.LINK


def test_phone_and_alias_find_a_person():
    found = rank(
        MODEL, {"given_name": "Lupe", "family_name": "Torres", "phone": "555 0199"}, PEOPLE
    )
    assert found[0].record_id == "7"
    assert found[0].matched_alias == "Lupe Torres"


def test_an_empty_query_finds_nobody():
    assert rank(MODEL, {"given_name": "", "phone": ""}, PEOPLE) == []
