"""What each field contributed to a pair's match weight (pure Python, no Django).

The review queue shows this beside the two records, so a person sees why the model thinks
they may be the same: a positive weight is evidence for, a negative weight evidence against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .linkage import COMPARISONS, LinkageModel, Row, prepare_record

FIELD_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "dob": "Date of birth",
    "phone": "Phone",
    "address": "Address or usual location",
    "area": "Locality and postcode",
    "identifier": "Identifier",
    "sex": "Sex or gender",
}


@dataclass(frozen=True)
class PairEvidence:
    probability: float
    match_weight: float
    fields: list[dict[str, Any]]  # {"field", "label", "level", "weight"}


def explain_rows(
    model: LinkageModel, left: Row, right: Row, *, prior: float | None = None
) -> PairEvidence:
    factors = model.bayes_factors()
    prior = model.prior if prior is None else prior
    weight = math.log2(prior / (1 - prior))
    fields: list[dict[str, Any]] = []
    for comp, comp_factors in zip(COMPARISONS, factors, strict=True):
        for lv, bf in zip(comp.levels, comp_factors, strict=True):
            if lv.test(left, right):
                w = 0.0 if bf is None else math.log2(bf)
                weight += w
                fields.append(
                    {
                        "field": comp.name,
                        "label": FIELD_LABELS.get(comp.name, comp.name),
                        "level": lv.label,
                        "weight": round(w, 2),
                    }
                )
                break
    probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
    return PairEvidence(probability, weight, fields)


def explain(
    model: LinkageModel,
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    *,
    prior: float | None = None,
) -> PairEvidence | None:
    """The evidence for two raw records; None when either has nothing to link on. `prior` as
    for `search.rank`; by default the model's trained prior."""
    a, b = prepare_record(left), prepare_record(right)
    if a is None or b is None:
        return None
    return explain_rows(model, a, b, prior=prior)
