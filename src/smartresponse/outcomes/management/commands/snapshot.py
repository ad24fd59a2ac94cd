"""`smartresponse snapshot [--agency SLUG] [--full]`: bring the analytics snapshot up to date.

A timer runs it every few minutes (docs/metrics.md, "Analytics snapshot"); without it the
dashboard counts on the database, with the same numbers, more slowly over long periods."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from smartresponse.core.commands import agency_from_option


class Command(BaseCommand):
    help = "Rewrite the months of the analytics snapshot whose calls changed (or all with --full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", help="the agency's slug (default: every agency)")
        parser.add_argument("--full", action="store_true", help="rewrite every month")

    def handle(self, *args: Any, **opts: Any) -> None:
        from tqdm import tqdm

        from smartresponse.accounts.models import Agency
        from smartresponse.outcomes.snapshot import SnapshotBusy, refresh

        if opts.get("agency"):
            agencies = [agency_from_option(opts["agency"])]
        else:
            agencies = list(Agency.objects.exclude(slug__contains="-retired-").order_by("slug"))
        for agency in agencies:
            bar = tqdm(total=0, unit="month", desc=agency.slug, file=sys.stderr, disable=None)

            def update(done: int, total: int, bar: Any = bar) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                months = refresh(agency, full=opts["full"], progress=update)
            except SnapshotBusy as exc:
                bar.close()
                self.stderr.write(f"{agency.slug}: {exc}")
                continue
            bar.close()
            if months:
                self.stdout.write(
                    f"{agency.slug}: {len(months)} month(s) rewritten ({months[0]} to {months[-1]})."
                )
            else:
                self.stdout.write(f"{agency.slug}: up to date.")
