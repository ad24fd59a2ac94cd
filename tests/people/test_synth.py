from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from smartresponse.people import linkage as L
from smartresponse.people import synth

N = 3000


@pytest.fixture(scope="module")
def records() -> list[synth.SynthRecord]:
    return synth.generate(N, seed=7)


def test_same_seed_same_records(records):
    assert synth.generate(N, seed=7) == records
    assert synth.generate(N, seed=8) != records


def test_columns_and_truth(records):
    assert len(records) == N
    assert all(tuple(r) == synth.COLUMNS for r in records)
    assert len({r["unique_id"] for r in records}) == N
    sizes = Counter(r["cluster"] for r in records)
    assert max(sizes.values()) <= max(synth.CLUSTER_SIZES)
    assert sum(1 for s in sizes.values() if s > 1) > 0.3 * len(sizes)
    truth = synth.truth_pairs(records)
    assert len(truth) == synth.truth_pair_count(records)
    assert all(a < b for a, b in truth)


def test_every_kind_of_corruption_occurs(records):
    seen = Counter(k for r in records for k in r["corruptions"].split(";") if k)
    for kind in (
        "given_typo",
        "family_typo",
        "nickname",
        "swapped",
        "initial",
        "dob_missing",
        "dob_transposed",
        "dob_year_off",
        "dob_year_only",
        "dob_month_year",
        "dob_estimated",
        "phone_missing",
        "phone_changed",
        "moved",
        "second_family_dropped",
    ):
        assert seen[kind] > 0, kind


def test_corruptions_show_in_the_values(records):
    by_kind: dict[str, list[synth.SynthRecord]] = {}
    for r in records:
        for k in r["corruptions"].split(";"):
            by_kind.setdefault(k, []).append(r)
    assert all(r["dob"] == "" for r in by_kind["dob_missing"])
    assert all(len(r["dob"]) == 4 for r in by_kind["dob_year_only"])
    estimated = [
        L.parse_dob(r["dob"], today=synth.REFERENCE_DATE) for r in by_kind["dob_estimated"]
    ]
    assert all(p is not None and p.precision is L.DobPrecision.ESTIMATED for p in estimated)
    # a nickname is in the same nickname group as the person's other records' given name
    other = {"given_typo", "initial", "swapped", "given_missing"}
    plain = [r for r in by_kind["nickname"] if not other & set(r["corruptions"].split(";"))]
    assert plain
    assert all(L.fold(r["given_name"]) in L.nicknames() for r in plain)


def test_places_include_shelters_camps_and_unhoused(records):
    addresses = Counter(r["address"] for r in records)
    shelters = {s[1] for s in synth.SHELTERS}
    assert shelters & set(addresses)
    assert any(a in synth.UNHOUSED for a in addresses)
    assert any(a in {c[1] for c in synth.CAMPS} for a in addresses)
    # many different people share a shelter's address
    top_address, _ = addresses.most_common(1)[0]
    people_there = {r["cluster"] for r in records if r["address"] == top_address}
    assert len(people_there) > 10


def test_spanish_names_and_accents(records):
    assert any("é" in r["given_name"] or "á" in r["family_name"] for r in records)
    assert any(" " in r["family_name"] or "-" in r["family_name"] for r in records)


def test_typo_changes_one_thing():
    import random

    rng = random.Random(1)
    for _ in range(200):
        word = "washington"
        out = synth.typo(rng, word)
        assert out[0] == "w"
        assert L.damerau_levenshtein(out, word) <= 1


def test_records_prepare_for_linkage(records):
    rows = [L.prepare_record(r, today=synth.REFERENCE_DATE) for r in records]
    assert sum(r is None for r in rows) < N * 0.01
    assert any(r is not None and r["dob_est"] for r in rows)


def test_write_and_read_back(tmp_path, records):
    for name in ("people.csv", "people.parquet"):
        path = tmp_path / name
        synth.write(records[:50], path)
        assert synth.read(path) == records[:50]


def test_cli_writes_a_file(tmp_path):
    out = tmp_path / "people.csv"
    assert synth.main(["--records", "40", "--out", str(out), "--seed", "3"]) == 0
    assert synth.read(out) == synth.generate(40, seed=3)


def test_estimated_ages_use_the_reference_date():
    recs = synth.generate(2000, seed=11, today=dt.date(2030, 1, 1))
    est = [r for r in recs if "dob_estimated" in r["corruptions"]]
    assert est
    for r in est:
        p = L.parse_dob(r["dob"], today=dt.date(2030, 1, 1))
        assert p is not None and 1930 <= p.year <= 2016
