"""`smartresponse directory import PATH` and `smartresponse directory export --format
hsds-json|hsds-tabular OUT`.

PATH is an HSDS JSON file, a data package folder or a zip of one; the HSDS version (3.0 JSON,
3.0 tabular, 1.x tabular) is detected. A file with any problem is refused: every problem is
printed with its JSON path or file:row:column, nothing is imported, and the command exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.core.commands import agency_from_option


class Command(BaseCommand):
    help = "Import and export the resource directory (Open Referral HSDS)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="load an HSDS JSON file, data package folder or zip (version detected)"
        )
        imp.add_argument("path")
        imp.add_argument("--agency", help="the agency's slug (needed when there are several)")
        imp.add_argument("--check", action="store_true", help="check the file only, import nothing")
        imp.add_argument("--no-progress", action="store_true", help="no progress bar")
        exp = sub.add_parser("export", help="write the directory as HSDS 3.0")
        exp.add_argument("--format", required=True, choices=["hsds-json", "hsds-tabular"])
        exp.add_argument("out", help="a .json file; for tabular a folder or a .zip")
        exp.add_argument("--agency", help="the agency's slug (needed when there are several)")
        idx = sub.add_parser("reindex", help="rebuild the search rows of every service")
        idx.add_argument("--agency", help="the agency's slug (needed when there are several)")

    def handle(self, *args: Any, **opts: Any) -> None:
        agency = agency_from_option(opts.get("agency"))
        if opts["action"] == "import":
            self._import(agency, Path(opts["path"]), opts["check"], not opts["no_progress"])
        elif opts["action"] == "export":
            self._export(agency, opts["format"], Path(opts["out"]))
        else:
            from smartresponse.directory.services import rebuild_search

            count = rebuild_search(agency)
            self.stdout.write(f"Rebuilt the search rows of {count} service(s) of {agency.slug}.")

    def _import(self, agency: Any, path: Path, check_only: bool, show_progress: bool) -> None:
        from tqdm import tqdm

        from smartresponse.directory import hsds
        from smartresponse.directory.services import directory_import

        try:
            dataset = hsds.load(path)
            self.stdout.write(f"{path}: HSDS {dataset.version}")
            if check_only:
                for table, count in dataset.counts().items():
                    self.stdout.write(f"{table}: {count}")
                for notice in dataset.notices:
                    self.stdout.write(f"note: {notice}")
                self.stdout.write("The file is valid. Nothing imported (--check).")
                return
            total = sum(dataset.counts().values())
            bar = tqdm(
                total=total,
                unit="row",
                disable=not show_progress or total < 500,
                file=self.stderr._out,
            )

            def progress(stage: str, done: int, _total: int) -> None:
                bar.set_description(stage)
                if stage != "search index":
                    bar.update(max(0, done - bar.n))

            result = directory_import(
                user=None,
                agency=agency,
                dataset=dataset,
                source_name=path.name,
                progress=progress,
            )
            bar.close()
        except hsds.HsdsError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem) if problem.file else f"{path.name} {problem}")
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {path}: nothing imported."
            ) from None
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        for line in result.summary():
            self.stdout.write(line)
        for notice in result.notices:
            self.stdout.write(f"note: {notice}")
        self.stdout.write(
            f"Imported into {agency.slug}: {sum(result.created.values())} record(s) created, "
            f"{sum(result.updated.values())} updated; {result.services_indexed} service(s) "
            f"indexed for search in {result.seconds:.1f} s."
        )

    def _export(self, agency: Any, fmt: str, out: Path) -> None:
        from smartresponse.directory import hsds
        from smartresponse.directory.selectors import export_tables

        tables = export_tables(None, agency)
        if fmt == "hsds-json":
            page = hsds.to_json_page(tables)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(page, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote {page['total_items']} service(s) to {out} (HSDS 3.0 JSON).")
            return
        files = hsds.write_tabular(tables, out)
        counts = ", ".join(f"{t}: {len(r)}" for t, r in tables.items())
        self.stdout.write(
            f"Wrote {len(files)} file(s) to {out} (HSDS 3.0 tabular data package). {counts}"
        )
