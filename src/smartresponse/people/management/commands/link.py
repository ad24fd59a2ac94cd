"""`smartresponse link evaluate --dataset febrl3|febrl4|PATH` and `link train`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.people.linkage import SHIPPED_MODEL, LinkageModel, ModelError


class Command(BaseCommand):
    help = "Measure and train the person-linkage model."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser(
            "evaluate", help="run the model on a labelled set: precision, recall and F1"
        )
        ev.add_argument(
            "--dataset",
            required=True,
            help="febrl3 (dedupe), febrl4 (link 4a to 4b), or a CSV with a cluster column",
        )
        ev.add_argument("--model", default=str(SHIPPED_MODEL), help="model JSON (default: shipped)")
        ev.add_argument(
            "--threshold", type=float, default=None, help="match probability to link at"
        )
        tr = sub.add_parser("train", help="retrain the shipped model (EM on FEBRL 3, no labels)")
        tr.add_argument("--out", default=str(SHIPPED_MODEL))
        tr.add_argument("--seed", type=int, default=42)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "evaluate":
            self._evaluate(opts["dataset"], opts["model"], opts["threshold"])
        else:
            self._train(opts["out"], opts["seed"])

    def _evaluate(self, dataset: str, model_path: str, threshold: float | None) -> None:
        from smartresponse.people.datasets import load_dataset
        from smartresponse.people.evaluation import evaluate, report

        if dataset not in ("febrl3", "febrl4") and not Path(dataset).is_file():
            raise CommandError(f"No such data set or file: {dataset}")
        if threshold is not None and not 0 < threshold <= 1:
            raise CommandError("The threshold is a probability: more than 0, at most 1.")
        try:
            model = LinkageModel.load(model_path)
            data = load_dataset(dataset)
        except (ModelError, ValueError, RuntimeError, OSError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report(evaluate(model, data, threshold=threshold)):
            self.stdout.write(line)

    def _train(self, out: str, seed: int) -> None:
        from smartresponse.people.datasets import train_shipped_model

        try:
            model = train_shipped_model(seed=seed)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        model.save(out)
        self.stdout.write(f"Saved {model.version} to {out}")
