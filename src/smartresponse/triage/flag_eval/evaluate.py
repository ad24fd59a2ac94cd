"""Score `detect_flags` against the labelled notes: per kind support, TP, FP, FN, precision, recall.

Run: python -m smartresponse.triage.flag_eval.evaluate [--misses] [notes.tsv]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smartresponse.triage.flags import FLAG_KINDS, flag_kinds

NOTES = Path(__file__).with_name("notes.tsv")


@dataclass(frozen=True)
class LabelledNote:
    line: int  # line number in the file, header is line 1
    text: str
    kinds: frozenset[str]


@dataclass
class KindScore:
    kind: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: list[LabelledNote] = field(default_factory=list)
    false_alarms: list[LabelledNote] = field(default_factory=list)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_notes(path: Path = NOTES) -> list[LabelledNote]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header[0] != "text" or set(header[1:]) != set(FLAG_KINDS):
            raise ValueError(f"{path}: header must be text + {', '.join(FLAG_KINDS)}")
        notes = []
        for line, row in enumerate(reader, start=2):
            if len(row) != len(header):
                raise ValueError(f"{path}:{line}: expected {len(header)} columns, got {len(row)}")
            if any(v not in ("0", "1") for v in row[1:]):
                raise ValueError(f"{path}:{line}: labels must be 0 or 1")
            kinds = frozenset(k for k, v in zip(header[1:], row[1:], strict=True) if v == "1")
            notes.append(LabelledNote(line, row[0], kinds))
    return notes


def score(notes: Iterable[LabelledNote]) -> dict[str, KindScore]:
    scores = {kind: KindScore(kind) for kind in FLAG_KINDS}
    for note in notes:
        got = flag_kinds(note.text)
        for kind, s in scores.items():
            if kind in note.kinds and kind in got:
                s.tp += 1
            elif kind in note.kinds:
                s.fn += 1
                s.missed.append(note)
            elif kind in got:
                s.fp += 1
                s.false_alarms.append(note)
    return scores


def report(scores: dict[str, KindScore], notes_count: int, show_false_alarms: bool) -> str:
    lines = [
        f"{notes_count} notes",
        f"{'kind':<20}{'support':>8}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>8}",
    ]
    for s in scores.values():
        lines.append(
            f"{s.kind:<20}{s.support:>8}{s.tp:>6}{s.fp:>6}{s.fn:>6}"
            f"{s.precision:>11.3f}{s.recall:>8.3f}"
        )
    for s in scores.values():
        for note in s.missed:
            lines.append(f"MISS  {s.kind:<18} line {note.line}: {note.text}")
    if show_false_alarms:
        for s in scores.values():
            for note in s.false_alarms:
                lines.append(f"FALSE {s.kind:<18} line {note.line}: {note.text}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score detect_flags on labelled notes.")
    parser.add_argument("path", nargs="?", type=Path, default=NOTES)
    parser.add_argument("--false-alarms", action="store_true", help="also list false positives")
    args = parser.parse_args(argv)
    notes = load_notes(args.path)
    print(report(score(notes), len(notes), args.false_alarms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
