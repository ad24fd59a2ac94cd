"""`smartresponse cad check --mapping M FILE...` and `cad import --mapping M FILE... --agency SLUG`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.triage.cadimport import (
    FileProblem,
    ImportSummary,
    MappingError,
    check_files,
    load_mapping,
    mapping_ids,
)


def progress_bar(label: str, stream: Any) -> tuple[Any, Any]:
    """A tqdm bar fed with (done, total) pairs; silent when the output is not a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="B", unit_scale=True, desc=label, file=stream, disable=None)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return bar, update


def write_summary(cmd: BaseCommand, summary: ImportSummary) -> None:
    for problem in summary.problems:
        cmd.stderr.write(str(problem))
    for line in summary.lines():
        cmd.stdout.write(line)


class Command(BaseCommand):
    help = "Check or import a CAD history export through a mapping file."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="read every row; list every bad row")
        imp = sub.add_parser("import", help="store an import for the replay page")
        for p in (check, imp):
            p.add_argument(
                "--mapping",
                required=True,
                help=f"a mapping id ({', '.join(mapping_ids())}) or a mapping file path",
            )
            p.add_argument("files", nargs="+")
        imp.add_argument("--agency", required=True, help="the agency's slug")
        imp.add_argument("--name", default="", help="a name for the import")
        imp.add_argument(
            "--skip-bad", action="store_true", help="store the good rows even if some are bad"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            mapping = load_mapping(opts["mapping"])
        except (MappingError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        files = opts["files"]
        for f in files:
            if not Path(f).is_file():
                raise CommandError(f"{f}: no such file")
        bar, update = progress_bar("reading", sys.stderr)
        try:
            if opts["action"] == "check":
                summary = check_files(mapping, files, progress=update)
                bar.close()
                write_summary(self, summary)
                if summary.rows_bad:
                    raise CommandError(f"{summary.rows_bad} bad row(s).")
                return
            self._import(mapping, files, opts, update, bar)
        except FileProblem as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()

    def _import(self, mapping: Any, files: list[str], opts: Any, update: Any, bar: Any) -> None:
        from smartresponse.accounts.models import Agency
        from smartresponse.triage.replay_services import cad_import_create

        agency = Agency.objects.filter(slug=opts["agency"]).first()
        if agency is None:
            raise CommandError(f"{opts['agency']}: no agency with this slug")
        name = opts["name"] or ", ".join(Path(f).name for f in files)
        row, summary = cad_import_create(
            agency=agency,
            mapping=mapping,
            paths=files,
            name=name,
            skip_bad=opts["skip_bad"],
            progress=update,
        )
        bar.close()
        write_summary(self, summary)
        if row is None:
            if summary.rows_bad:
                raise CommandError(
                    f"{summary.rows_bad} bad row(s): nothing imported. Fix them, or import the "
                    "good rows only with --skip-bad."
                )
            raise CommandError("No rows to import.")
        self.stdout.write(
            f"Stored import {row.pk} for {agency.slug}: {row.rows} calls"
            + (f", {row.rows_skipped} bad row(s) skipped" if row.rows_skipped else "")
            + "."
        )
