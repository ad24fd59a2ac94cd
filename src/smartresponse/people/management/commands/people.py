"""`smartresponse people import --agency SLUG FILE`."""

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

    def handle(self, *args: Any, **opts: Any) -> None:
        from smartresponse.accounts.models import Agency
        from smartresponse.people.services import ImportFileError, import_person_records

        agency = Agency.objects.filter(slug=opts["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency {opts['agency']!r}.")
        path = Path(opts["file"])
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
