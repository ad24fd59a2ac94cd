"""`smartresponse replay --protocol P --mapping M FILE... [--compare P2] [--out DIR]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartresponse.triage.cadimport import FileProblem, MappingError, load_mapping
from smartresponse.triage.management.commands.cad import progress_bar, write_summary
from smartresponse.triage.protocol import TIER_LABELS, ProtocolError, load_protocol
from smartresponse.triage.replay import DAY_NAMES, ProtocolSummary, ReplayResult, replay_files


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:5.1f}%" if total else "   - "


class Command(BaseCommand):
    help = "What-if replay: run a protocol over a call history and summarise what it decides."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--protocol", required=True, help="a preset id or a protocol file")
        parser.add_argument("--mapping", required=True, help="a mapping id or a mapping file")
        parser.add_argument("--compare", help="a second protocol: which calls move between tiers")
        parser.add_argument("--out", help="write CSV and JSON summaries and SVG/PNG charts here")
        parser.add_argument(
            "--unknown-screening",
            action="store_true",
            help="leave screening answers unknown instead of assuming 'no' (conservative view)",
        )
        parser.add_argument("--skip-bad", action="store_true", help="replay the good rows only")
        parser.add_argument("--top", type=int, default=10, help="rows in each top list")
        parser.add_argument("files", nargs="+")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            protocol = load_protocol(opts["protocol"])
            compare = load_protocol(opts["compare"]) if opts["compare"] else None
            mapping = load_mapping(opts["mapping"])
        except (ProtocolError, MappingError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for f in opts["files"]:
            if not Path(f).is_file():
                raise CommandError(f"{f}: no such file")
        bar, update = progress_bar("replaying", sys.stderr)
        try:
            result, summary = replay_files(
                protocol,
                mapping,
                opts["files"],
                compare=compare,
                screening="unknown" if opts["unknown_screening"] else "assume_no",
                skip_bad=opts["skip_bad"],
                progress=update,
            )
        except FileProblem as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if result is None:
            write_summary(self, summary)
            raise CommandError(
                f"{summary.rows_bad} bad row(s): nothing replayed (use --skip-bad to replay "
                "the good rows only)."
            )
        if summary.rows_bad:
            write_summary(self, summary)
        self._print(result, opts["top"])
        if opts["out"]:
            from smartresponse.triage.replay_charts import write_charts

            written = result.write(opts["out"])
            written += write_charts(result.to_json(), opts["out"])
            self.stdout.write(f"\nWrote {len(written)} files to {opts['out']}")

    def _print(self, result: ReplayResult, top: int) -> None:
        w = self.stdout.write
        w(
            f"{result.calls} calls replayed; screening answers: "
            + (
                "assumed 'no' unless the call type, notes or department flags say otherwise"
                if result.screening == "assume_no"
                else "unknown (conservative view)"
            )
            + f"; local time {result.timezone}."
        )
        for s in [result.main] + ([result.other] if result.other else []):
            self._summary(s, top)
        if result.other is not None:
            w(f"\nCompare {result.main.id} -> {result.other.id}: tier sent, calls")
            moved = 0
            for a, row in result.transitions.items():
                for b, n in row.items():
                    if a != b:
                        moved += n
                        w(f"  {a:>4} -> {b:<4} {n:8}")
            w(f"  {moved} calls ({_pct(moved, result.calls).strip()}) move between tiers")
            for k, n in result.eligibility_changes.items():
                w(f"  {k.replace('_', ' ')}: {n}")
            if result.moved:
                w("  Which kinds move (call type, from -> to, calls):")
                for m in result.moved[:top]:
                    w(
                        f"    {m['call_type'] or '(blank)'} [{m['incident_type'] or '-'}] "
                        f"{m['from']} -> {m['to']}: {m['calls']}"
                    )

    def _summary(self, s: ProtocolSummary, top: int) -> None:
        w = self.stdout.write
        w(f"\n{s.name} v{s.version} ({s.id})")
        w(f"  {'tier':<58}{'sent':>9}{'share':>8}{'rules':>9}{'share':>8}")
        for tier in TIER_LABELS:
            sent, pref = s.tiers.get(tier, 0), s.preferred_tiers.get(tier, 0)
            if sent or pref:
                w(
                    f"  {tier + ': ' + TIER_LABELS[tier]:<58}{sent:>9}{_pct(sent, s.calls):>8}"
                    f"{pref:>9}{_pct(pref, s.calls):>8}"
                )
        w(
            f"  Eligible: {s.eligible} ({_pct(s.eligible, s.calls).strip()})"
            + "".join(f"; {k.replace('_', ' ')}: {n}" for k, n in s.eligible_unserved.items())
        )
        w("  Eligible calls by hour of week (local time):")
        w("        " + "".join(f"{h:>4}" for h in range(24)))
        for d, name in enumerate(DAY_NAMES):
            w(f"    {name} " + "".join(f"{v:>4}" for v in s.eligible_by_hour[d]))
        w("  Eligible by call type:")
        for r in [r for r in s.by_call_type if r["eligible"]][:top]:
            w(
                f"    {r['eligible']:>7} of {r['calls']:<7} {r['call_type'] or '(blank)'} "
                f"[{r['incident_type'] or '-'}]"
            )
        w("  Top reasons calls were not eligible:")
        for reason, n in s.ineligible_reasons[:top]:
            w(f"    {n:>7}  {reason}")

    def _json(self, result: ReplayResult) -> str:
        return json.dumps(result.to_json())
