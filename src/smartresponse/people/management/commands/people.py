"""`smartresponse people import --agency SLUG FILE` and `smartresponse people reindex
[--agency SLUG]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Work with the person index."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="load person records from a CSV file")
        imp.add_argument("--agency", required=True, help="the agency's slug")
        imp.add_argument("file")
        idx = sub.add_parser(
            "reindex", help="rebuild the search keys of the person records (all agencies)"
        )
        idx.add_argument("--agency", default=None, help="only this agency (its slug)")
        idx.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "reindex":
            self._reindex(opts["agency"], not opts["no_progress"])
        else:
            self._import(opts["agency"], opts["file"])

    def _agency(self, slug: str) -> Any:
        from smartresponse.accounts.models import Agency

        agency = Agency.objects.filter(slug=slug).first()
        if agency is None:
            raise CommandError(f"No agency {slug!r}.")
        return agency

    def _import(self, slug: str, file: str) -> None:
        from smartresponse.people.services import ImportFileError, import_person_records

        agency = self._agency(slug)
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            result = import_person_records(agency, text, source_name=path.name)
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"Loaded {result.created} person record(s) into {agency.slug}.")
        for line in result.skipped_blank:
            self.stdout.write(f"row {line}: blank, skipped")
        for problem in result.rejected:
            self.stdout.write(str(problem))
        if result.rejected:
            self.stdout.write(f"{len(result.rejected_rows)} row(s) not loaded.")

    def _reindex(self, slug: str | None, show_progress: bool) -> None:
        from tqdm import tqdm

        from smartresponse.people.models import PersonRecord
        from smartresponse.people.services import reindex_records

        agency = self._agency(slug) if slug else None
        records = PersonRecord.objects.all()
        if agency is not None:
            records = records.filter(agency=agency)
        bar = tqdm(
            total=records.count(),
            unit=" records",
            desc="search keys",
            disable=not show_progress,
            file=self.stderr._out,
        )
        done, keys = reindex_records(agency, progress=bar.update)
        bar.close()
        where = agency.slug if agency is not None else "all agencies"
        self.stdout.write(f"Rebuilt {keys} search key(s) of {done} person record(s) ({where}).")
