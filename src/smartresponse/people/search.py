"""Ranked candidates for a person search (pure Python, no Django).

A query (name with typos, perhaps a partial date of birth or a phone number) is scored against
each candidate record with the trained model's own comparison levels and weights
(`linkage.score_pair`); a record's aliases are tried as names too and its best score counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .linkage import LinkageModel, Outcome, Thresholds, classify, prepare_record, score_pair


@dataclass(frozen=True)
class Candidate:
    record_id: str
    probability: float
    match_weight: float
    outcome: Outcome  # link: a strong match; review: possible; apart: weak
    levels: tuple[str, ...]
    matched_alias: str = ""


def _split(alias: str) -> tuple[str, str]:
    parts = alias.split()
    if len(parts) < 2:
        return alias.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


def _variants(raw: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    yield "", raw
    for alias in raw.get("aliases") or ():
        if isinstance(alias, str) and alias.strip():
            given, family = _split(alias)
            yield (
                alias,
                {**raw, "given_name": given, "family_name": family or raw.get("family_name")},
            )


def rank(
    model: LinkageModel,
    query: Mapping[str, Any],
    candidates: Iterable[Mapping[str, Any]],
    *,
    limit: int = 10,
    min_probability: float = 0.01,
    thresholds: Thresholds | None = None,
    today: dt.date | None = None,
    prior: float | None = None,
) -> list[Candidate]:
    """The best `limit` candidates, most probable first. An empty query finds nothing.

    `prior` is the chance that the query and a random record of the index are the same
    person: `model.prior_for(size of the index)`; by default the model's trained prior."""
    q = prepare_record({**query, "unique_id": "query"}, today=today)
    if q is None:
        return []
    thresholds = thresholds or model.thresholds
    found: list[Candidate] = []
    for raw in candidates:
        best: Candidate | None = None
        for alias, variant in _variants(raw):
            row = prepare_record(variant, today=today)
            if row is None:
                continue
            s = score_pair(model, q, row, prior=prior)
            if best is None or s.match_weight > best.match_weight:
                best = Candidate(
                    str(raw["unique_id"]),
                    s.probability,
                    s.match_weight,
                    classify(s.probability, thresholds),
                    s.levels,
                    alias,
                )
        if best is not None and best.probability >= min_probability:
            found.append(best)
    found.sort(key=lambda c: (-c.match_weight, c.record_id))
    return found[:limit]
