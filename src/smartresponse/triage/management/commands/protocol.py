"""`smartresponse protocol list | check FILE... | diff A B`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from smartresponse.triage.diff import protocol_diff
from smartresponse.triage.protocol import ProtocolError, load_protocol, preset_ids


class Command(BaseCommand):
    help = "List, check and compare triage protocols."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="installed presets and each agency's protocol")
        check = sub.add_parser("check", help="validate protocol files")
        check.add_argument("files", nargs="+")
        diff = sub.add_parser("diff", help="what changed from A to B, in words")
        diff.add_argument("a")
        diff.add_argument("b")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "list":
            self._list()
        elif action == "check":
            self._check(opts["files"])
        else:
            self._diff(opts["a"], opts["b"])

    def _load(self, name: str) -> Any:
        try:
            return load_protocol(name)
        except (ProtocolError, OSError) as exc:
            raise CommandError(str(exc)) from exc

    def _list(self) -> None:
        from smartresponse.accounts.models import Agency

        self.stdout.write("Presets:")
        for pid in preset_ids():
            p = self._load(pid)
            self.stdout.write(f"  {pid:32} {p.name} v{p.version} (effective {p.effective})")
        try:
            agencies = list(Agency.objects.order_by("slug"))
        except DatabaseError:
            self.stdout.write("Agencies: (no database yet: run `smartresponse migrate`)")
            return
        if agencies:
            self.stdout.write("Agencies:")
            for agency in agencies:
                self.stdout.write(f"  {agency.slug:32} uses {agency.protocol}")

    def _check(self, files: list[str]) -> None:
        failed = 0
        for name in files:
            try:
                p = load_protocol(name)
            except (ProtocolError, OSError) as exc:
                failed += 1
                self.stderr.write(str(exc))
                continue
            self.stdout.write(f"{name}: OK ({p.name} v{p.version}, {len(p.call_types)} call types)")
        if failed:
            raise CommandError(f"{failed} of {len(files)} protocol file(s) refused.")

    def _diff(self, a: str, b: str) -> None:
        lines = protocol_diff(self._load(a), self._load(b))
        if not lines:
            self.stdout.write("No differences in the rules.")
        for line in lines:
            self.stdout.write(f"- {line}")
