from __future__ import annotations

import pytest

from smartresponse.people import linkage as L
from smartresponse.people import synth
from smartresponse.people.realtime import RealtimeIndex, RuleError, parse_rule

MODEL = L.LinkageModel.load()
TODAY = synth.REFERENCE_DATE


@pytest.fixture(scope="module")
def records() -> list[synth.SynthRecord]:
    return synth.generate(4000, seed=21)


@pytest.fixture(scope="module")
def index(records) -> RealtimeIndex:
    return RealtimeIndex.build(MODEL, records, today=TODAY)


def test_rules_parse_into_keys():
    rule = parse_rule("l.given_name = r.family_name AND l.family_name = r.given_name")
    assert rule.left == ("given_name", "family_name")
    assert rule.right == ("family_name", "given_name")
    with pytest.raises(RuleError):
        parse_rule("jaro_winkler_similarity(l.given_name, r.given_name) > 0.9")
    with pytest.raises(RuleError):
        parse_rule("l.shoe_size = r.shoe_size")


def test_a_clean_duplicate_comes_first(index, records):
    target = next(r for r in records if not r["corruptions"] and r["dob"] and r["phone"])
    found = index.match({**target, "unique_id": "new"})
    assert found[0].record_id == target["unique_id"]
    assert found[0].outcome is L.Outcome.LINK


def test_a_corrupted_duplicate_ranks_high(index, records):
    target = next(r for r in records if r["dob"].count("-") == 2 and r["address"])
    query = {
        "given_name": synth.typo(__import__("random").Random(3), target["given_name"]),
        "family_name": target["family_name"],
        "dob": "~" + str(TODAY.year - int(target["dob"][:4])),
        "address": target["address"],
    }
    found = index.match(query)
    assert target["unique_id"] in [c.record_id for c in found[:3]]


def test_the_true_match_is_usually_first(index, records):
    sizes: dict[str, int] = {}
    for r in records:
        sizes[r["cluster"]] = sizes.get(r["cluster"], 0) + 1
    cluster = {r["unique_id"]: r["cluster"] for r in records}
    queries = [r for r in records if sizes[r["cluster"]] > 1][:300]
    hits = 0
    for q in queries:
        found = index.match(q, limit=1)
        hits += bool(found) and cluster[found[0].record_id] == q["cluster"]
    assert hits / len(queries) > 0.9


def test_probabilities_agree_with_the_pairwise_model(index, records):
    rows = {r["unique_id"]: L.prepare_record(r, today=TODAY) for r in records}
    checked = 0
    for q in records[:200]:
        for c in index.match(q, limit=5, min_probability=0.0):
            pair = L.score_pair(MODEL, rows[q["unique_id"]], rows[c.record_id], prior=index.prior)
            assert c.match_weight == pytest.approx(pair.match_weight, abs=1e-9)
            assert c.probability == pytest.approx(pair.probability, abs=1e-12)
            assert c.levels == pair.levels
            checked += 1
    assert checked > 100


def test_candidates_are_the_batch_blocking_pairs(records):
    """Every pair the batch run (same blocking rules) scores is found by the index."""
    small = records[:1500]
    index = RealtimeIndex.build(MODEL, small, today=TODAY)
    pairs = L.predict(
        MODEL, small, min_probability=0.5, today=TODAY, blocking_rules=L.SCALE_BLOCKING_RULES
    )
    assert pairs
    by_id = {r["unique_id"]: r for r in small}
    for p in pairs[:200]:
        found = {c.record_id: c for c in index.match(by_id[p.id_l], limit=50, min_probability=0.5)}
        assert p.id_r in found
        assert found[p.id_r].probability == pytest.approx(p.probability, abs=1e-6)


def test_a_query_never_finds_itself_and_blank_finds_nothing(index, records):
    r = records[0]
    assert all(c.record_id != r["unique_id"] for c in index.match(r))
    assert index.match({"given_name": "", "phone": ""}) == []


def test_added_records_are_found():
    index = RealtimeIndex.build(MODEL, synth.generate(200, seed=2), today=TODAY)
    new = {
        "unique_id": "intake-1",
        "given_name": "Guadalupe",
        "family_name": "Zamora",
        "dob": "1990-04-12",
        "phone": "802 555 0199",
    }
    assert index.add(new)
    assert not index.add({"unique_id": "blank"})
    found = index.match({"given_name": "Lupe", "family_name": "Zamora", "dob": "1990-04-12"})
    assert found[0].record_id == "intake-1"
    assert len(index) == 201
