"""`smartresponse credentials warn [--agency SLUG] [--today YYYY-MM-DD]`: create the expiry
notices due today, 60 and 30 days before a credential lapses. Run it daily (cron or a timer);
running it twice on one day creates nothing new. Each notice is shown to the person on
My credentials and to their supervisor on the workforce page, and is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.core.commands import agency_from_option


class Command(BaseCommand):
    help = "Staff credentials: create the 60- and 30-day expiry notices due today."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        warn = sub.add_parser("warn", help="create the expiry notices due today (idempotent)")
        warn.add_argument("--agency", help="one agency's slug (default: every agency)")
        warn.add_argument(
            "--today", help="the day to warn for, YYYY-MM-DD (default: today in each agency)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from smartresponse.accounts.models import Agency
        from smartresponse.workforce.services import expiry_notices_create

        today = None
        if opts.get("today"):
            try:
                today = dt.date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError("--today must be a date, YYYY-MM-DD.") from None
        if opts.get("agency"):
            agencies = [agency_from_option(opts["agency"])]
        else:
            agencies = list(Agency.objects.exclude(slug__contains="-retired-").order_by("slug"))
        total = 0
        for agency in agencies:
            notices = expiry_notices_create(agency=agency, today=today)
            total += len(notices)
            for n in notices:
                cred = n.credential
                self.stdout.write(
                    f"{agency.slug}: {cred.user.get_username()} {cred.kind} "
                    f"expires {cred.expires:%Y-%m-%d} ({n.threshold}-day notice)"
                )
        self.stdout.write(f"Created {total} expiry notice(s).")
