"""`smartresponse link evaluate --dataset febrl3|febrl4|PATH`, `link train` and
`link run --agency SLUG [--file CSV]`."""

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
        tr = sub.add_parser(
            "train",
            help="retrain the shipped model (EM on FEBRL 3 and synthetic records, no labels)",
        )
        tr.add_argument("--out", default=str(SHIPPED_MODEL))
        tr.add_argument("--seed", type=int, default=42)
        run = sub.add_parser(
            "run", help="re-resolve an agency's person index (optionally after importing a CSV)"
        )
        run.add_argument("--agency", required=True, help="the agency's slug")
        run.add_argument("--file", default=None, help="a CSV of person records to import first")
        run.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "evaluate":
            self._evaluate(opts["dataset"], opts["model"], opts["threshold"])
        elif opts["action"] == "run":
            self._run(opts["agency"], opts["file"], not opts["no_progress"])
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

    def _run(self, slug: str, file: str | None, show_progress: bool) -> None:
        from tqdm import tqdm

        from smartresponse.accounts.models import Agency
        from smartresponse.people.models import LinkRun
        from smartresponse.people.services import (
            ImportFileError,
            import_person_records,
            link_run_execute,
        )

        agency = Agency.objects.filter(slug=slug).first()
        if agency is None:
            raise CommandError(f"No agency {slug!r}.")
        if file:
            path = Path(file)
            try:
                result = import_person_records(
                    agency, path.read_text(encoding="utf-8"), source_name=path.name
                )
            except (OSError, UnicodeDecodeError, ImportFileError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            self.stdout.write(
                f"Imported {result.created} record(s); {len(result.rejected_rows)} row(s) "
                f"not loaded, {len(result.skipped_blank)} blank."
            )
        run = LinkRun.objects.create(agency=agency)
        bar = tqdm(total=100, unit="%", disable=not show_progress, file=self.stderr._out)

        def progress(stage: str, percent: int) -> None:
            bar.set_description(stage)
            bar.update(max(0, percent - bar.n))

        run = link_run_execute(run.pk, progress=progress)
        bar.close()
        if run.status != "done":
            raise CommandError(run.error or "The link run failed.")
        self.stdout.write(
            f"Link run {run.pk} for {agency.slug}: {run.records} record(s) "
            f"({run.blank_records} with nothing to link on), {run.clusters} person(s); "
            f"created {run.created}, merged {run.merged}, split {run.split}, "
            f"sent to review {run.sent_to_review}."
        )
