"""`smartresponse report --period 2026-Q3 --format pdf|csv|xlsx [--out PATH] [--suppress]
[--narrative FILE]`: the program report of a period beside the period before, with the
dashboard's own numbers; the PDF adds charts and the program's narrative (a text file in which
lines starting with "## " open sections).

`--suppress` applies small-cell suppression, for copies that leave the program (a funder, the
public). The export is recorded in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.core.commands import agency_from_option


class Command(BaseCommand):
    help = "Write the program report of a period (PDF, CSV or Excel), beside the period before."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period",
            required=True,
            help="a quarter (2026-Q3), a year (2026), a month (2026-07) or 2026-07-01..2026-09-30",
        )
        parser.add_argument("--format", required=True, choices=["pdf", "csv", "xlsx"])
        parser.add_argument("--out", help="the file to write (default: report-AGENCY-PERIOD.EXT)")
        parser.add_argument("--agency", help="the agency's slug (needed when there are several)")
        parser.add_argument(
            "--suppress",
            action="store_true",
            help="hide counts from 1 to 10 (and what would reveal them), for outside parties: "
            "a whole calendar quarter that has ended only",
        )
        parser.add_argument(
            "--narrative",
            metavar="FILE",
            help='the program\'s narrative for the PDF (UTF-8 text; "## Heading" lines open sections)',
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from smartresponse.audit.services import audit_record
        from smartresponse.outcomes.periods import PeriodError, parse_period
        from smartresponse.outcomes.report import DEFINITIONS_NOTE, build_report, to_csv, to_xlsx
        from smartresponse.outcomes.report_pdf import parse_narrative, to_pdf
        from smartresponse.outcomes.report_services import report_charts

        agency = agency_from_option(opts.get("agency"))
        try:
            period = parse_period(opts["period"])
        except PeriodError as exc:
            raise CommandError(str(exc)) from None
        if opts["suppress"]:
            from smartresponse.outcomes.selectors import local_today
            from smartresponse.outcomes.trend import ended_quarter

            if ended_quarter(period.start, period.end, local_today(agency)) is None:
                raise CommandError(
                    "--suppress covers a whole calendar quarter that has ended (e.g. 2026-Q3): "
                    "other ranges could be subtracted from the published quarters to give a "
                    "hidden count back."
                )
        fmt = opts["format"]
        out = Path(opts["out"] or f"report-{agency.slug}-{period.label.replace('..', '_')}.{fmt}")
        if out.is_dir():
            raise CommandError(f"{out} is a folder: give a file name.")
        narrative = []
        if opts.get("narrative"):
            if fmt != "pdf":
                raise CommandError(
                    "--narrative goes with --format pdf (CSV and Excel hold figures)."
                )
            try:
                text = Path(opts["narrative"]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"Cannot read {opts['narrative']}: {exc}") from None
            narrative = parse_narrative(text)
        report = build_report(agency, period, suppressed=opts["suppress"])
        try:
            if fmt == "csv":
                out.write_text(to_csv(report), encoding="utf-8")
            elif fmt == "pdf":
                out.write_bytes(to_pdf(report, report_charts(report), narrative))
            else:
                out.write_bytes(to_xlsx(report))
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        audit_record(
            user=None,
            action="report.export",
            agency_id=agency.pk,
            detail={"period": period.label, "format": fmt, "suppressed": opts["suppress"]},
        )
        for note in report.notes:
            if note != DEFINITIONS_NOTE:
                self.stdout.write(note)
        self.stdout.write(
            f"Wrote {out}: {len(report.rows)} figures for {period.label} "
            f"({period.start} to {period.end}) beside {report.before.label}."
        )
