"""`smartresponse demo`: build the demo city (agency, one login per role, units, weeks of calls)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.demo import builder


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the output is not a terminal."""

    def __init__(self, stream: TextIO, label: str, width: int = 32) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {share:4.0%} {done:,}/{total:,} {now - self.started:4.1f}s"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Build the demo agency 'Lakeside Crisis Response (demo)': a user for every role with one "
        "shared password, a CAD API token, units, and weeks of calls made through the real "
        "services. Refuses to run in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--rebuild", action="store_true", help="Delete the demo agency and build it again."
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the demo agency already exists (used by `make run`).",
        )
        parser.add_argument("--weeks", type=int, default=6, help="Weeks of call history (6).")
        parser.add_argument(
            "--calls",
            type=int,
            default=None,
            help=f"Number of calls in all (default {builder.CALLS_PER_DAY} a day).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")
        parser.add_argument(
            "--password", default=builder.PASSWORD, help="The shared demo password."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "The demo creates logins with a published password; it does not run when "
                "SMARTRESPONSE_ENV=production."
            )
        if options["weeks"] < 1 or options["weeks"] > 52:
            raise CommandError("--weeks must be between 1 and 52.")
        if options["calls"] is not None and options["calls"] < 0:
            raise CommandError("--calls cannot be negative.")
        if len(options["password"]) < 8:
            raise CommandError("--password needs at least 8 characters.")

        existing = builder.demo_agency()
        if existing is not None:
            if options["if_empty"]:
                self.stdout.write(
                    f"Demo agency '{existing.name}' already exists; nothing to do "
                    "(use --rebuild to start again)."
                )
                self.print_logins(builder.existing_logins(existing, options["password"]))
                return
            if not options["rebuild"]:
                raise CommandError(
                    f"The demo agency '{existing.name}' already exists. Use --rebuild to delete "
                    "and rebuild it, or --if-empty to leave it."
                )
            builder.wipe()
            self.stdout.write("Retired the old demo agency (kept with its audit trail).")

        clash = builder.username_clashes()
        if clash:
            raise CommandError(
                "These usernames already belong to another agency: "
                + ", ".join(clash)
                + ". The demo cannot create its logins."
            )

        progress = ProgressBar(sys.stderr, "Building demo calls")
        result = builder.build(
            weeks=options["weeks"],
            calls=options["calls"],
            seed=options["seed"],
            password=options["password"],
            progress=progress,
        )
        self.print_result(result)

    def print_result(self, result: builder.DemoResult) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Built '{result.agency.name}': {result.calls:,} calls "
                f"({result.open_calls} open on the board) in {result.seconds:.1f}s."
            )
        )
        out.write("")
        self.print_logins(result.logins)
        out.write(
            f"  CAD integration user '{builder.CAD_USERNAME}' (dispatcher role, no password) "
            "API token, shown once:"
        )
        out.write(f"  {result.token}")
        out.write("  e.g. curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/v1/...")

    def print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        out = self.stdout
        rows = [("username", "role", "password"), *logins]
        w1 = max(len(r[0]) for r in rows)
        w2 = max(len(r[1]) for r in rows)
        w3 = max(len(r[2]) for r in rows)
        for i, (username, role, password) in enumerate(rows):
            out.write(f"  {username:<{w1}}  {role:<{w2}}  {password}")
            if i == 0:
                out.write(f"  {'-' * w1}  {'-' * w2}  {'-' * w3}")
        out.write("")
