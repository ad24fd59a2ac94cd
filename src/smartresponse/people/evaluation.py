"""Run a linkage model on a labelled set and measure pairwise accuracy (pure Python)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .datasets import LabelledSet
from .linkage import LinkageModel, Metrics, pair_key, pairwise_metrics, predict


@dataclass(frozen=True)
class Evaluation:
    dataset: str
    size: str
    model_version: str
    threshold: float
    metrics: Metrics
    labelled: Metrics | None  # against the labelled pairs file only, when there is one
    seconds: float


def evaluate(
    model: LinkageModel, data: LabelledSet, *, threshold: float | None = None
) -> Evaluation:
    """Predict links with `model` and compare them, pair by pair, with the true links.

    A pair is predicted linked when its match probability reaches `threshold` (by default
    the model's auto-link threshold)."""
    threshold = model.thresholds.link if threshold is None else threshold
    start = time.perf_counter()
    pairs = predict(model, data.records, data.other, min_probability=min(threshold, 0.01))
    seconds = time.perf_counter() - start
    linked = {pair_key(p.id_l, p.id_r) for p in pairs if p.probability >= threshold}
    labelled = None
    if data.labelled_pairs:
        truth = {k for k, same in data.labelled_pairs.items() if same}
        labelled = pairwise_metrics(linked & set(data.labelled_pairs), truth)
    return Evaluation(
        data.name,
        data.size,
        model.version,
        threshold,
        pairwise_metrics(linked, data.truth),
        labelled,
        seconds,
    )


def report(e: Evaluation) -> list[str]:
    m = e.metrics
    lines = [
        f"dataset:   {e.dataset} ({e.size})",
        f"model:     {e.model_version}, linked at match probability >= {e.threshold}",
        f"pairs:     {m.true_positives + m.false_negatives} true, "
        f"{m.true_positives + m.false_positives} predicted, {m.true_positives} correct",
        f"precision: {m.precision:.4f}",
        f"recall:    {m.recall:.4f}",
        f"F1:        {m.f1:.4f}",
    ]
    if e.labelled is not None:
        lab = e.labelled
        lines.append(
            f"labelled pairs only: precision {lab.precision:.4f}, recall {lab.recall:.4f}, "
            f"F1 {lab.f1:.4f}"
        )
    lines.append(f"time:      {e.seconds:.2f} s (blocking, scoring)")
    return lines
