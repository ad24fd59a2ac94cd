"""Small-cell suppression of published counts, in plain Python (no Django).

A count from 1 to 10 could point at a person ("the 3 arrests in the north district in March"),
so figures for outside eyes (the analyst role, exports for outside parties, the public
transparency page) show it as "<11", the CMS cell-size rule. Hiding the small cell is not
enough when a total is shown: 120 eligible, 112 unserved and a hidden "served" gives 8 by
subtraction. So every figure that is the sum of others is declared as a *line* (a total and
its parts), and while any line has exactly one hidden cell, a second one is hidden with it:
the smallest other part of that line (complementary suppression, as the NCHS and CMS do for
tables with margins). A hidden cell that is not small shows as "*" ("hidden so that a small
count cannot be worked out"); zero is shown, as it identifies no one.

Lines that share cells can give a count away even when each has two hidden cells: with
"encounters = referred + transported", "transported = to hospital + to a crisis centre" and the
two destinations hidden, "referred" is encounters - transported. So after the line-by-line
rule, the hidden cells are checked as a system of equations (`determined`), and while a small
count follows from it, one more cell of its lines is hidden.

Shares computed from a hidden count are hidden with it (`share`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

SMALL_MIN = 1
SMALL_MAX = 10
SMALL_LABEL = "<11"
COMPLEMENT_LABEL = "*"


@dataclass(frozen=True)
class Line:
    """`total` is the sum of `parts` (keys of the figures)."""

    total: str
    parts: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


@dataclass
class Suppressed:
    values: dict[str, int]
    primary: set[str] = field(default_factory=set)  # small counts
    complementary: set[str] = field(default_factory=set)  # hidden to protect a small one

    def hidden(self, key: str) -> bool:
        return key in self.primary or key in self.complementary

    def show(self, key: str) -> str:
        """The count as published: "1,234", "<11", "*" or "0"."""
        if key in self.primary:
            return SMALL_LABEL
        if key in self.complementary:
            return COMPLEMENT_LABEL
        return f"{self.values[key]:,}"

    def share(self, numerator: str, denominator: str) -> float | None:
        """numerator / denominator, or None when either is hidden or the denominator is 0."""
        if self.hidden(numerator) or self.hidden(denominator):
            return None
        d = self.values[denominator]
        return None if d <= 0 else self.values[numerator] / d


def is_small(n: int) -> bool:
    return SMALL_MIN <= n <= SMALL_MAX


def suppress(values: Mapping[str, int], lines: Iterable[Line] = ()) -> Suppressed:
    """Hide the small counts of `values` and as many others as it takes so that no small count
    follows from the lines: first line by line (no line keeps exactly one hidden cell), then
    over all the lines at once. Deterministic: the complement chosen is the smallest visible
    part (then the first in the line's order); a total is hidden only when no part can be (a
    line whose other parts are all hidden already)."""
    lines = [ln for ln in lines if all(k in values for k in ln.cells)]
    out = Suppressed(dict(values))
    out.primary = {k for k, v in values.items() if is_small(v)}
    _protect_each_line(out, lines)
    while leaked := determined(lines, out.primary | out.complementary) & out.primary:
        out.complementary.add(_complement_for(out, lines, leaked))
        _protect_each_line(out, lines)
    return out


def _protect_each_line(out: Suppressed, lines: Sequence[Line]) -> None:
    values = out.values
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [k for k in line.cells if out.hidden(k)]
            if len(hidden) != 1:
                continue
            candidates = [k for k in line.parts if not out.hidden(k)]
            # A zero part protects nothing if it is known to be zero... it is hidden as "*",
            # so it is not known: but prefer non-zero parts, which carry real uncertainty.
            nonzero = [k for k in candidates if values[k] > 0]
            pool = nonzero or candidates
            if pool:
                pick = min(pool, key=lambda k: (values[k], line.parts.index(k)))
            elif not out.hidden(line.total):
                pick = line.total
            else:  # pragma: no cover - a one-cell line with its total hidden is already safe
                continue
            out.complementary.add(pick)
            changed = True


def _complement_for(out: Suppressed, lines: Sequence[Line], leaked: set[str]) -> str:
    """One more cell to hide when the lines together give a small count away: the smallest
    visible non-zero part of a line holding it, else any visible cell of such a line, else of
    any line with a hidden cell (with every cell of the lines hidden, nothing follows)."""
    values = out.values
    near = [ln for ln in lines if leaked & set(ln.cells)]
    far = [ln for ln in lines if any(out.hidden(k) for k in ln.cells)]
    for group in (near, far):
        parts = {k for ln in group for k in ln.parts if not out.hidden(k)}
        cells = {k for ln in group for k in ln.cells if not out.hidden(k)}
        for pool in ({k for k in parts if values[k] > 0}, parts, cells):
            if pool:
                return min(pool, key=lambda k: (values[k], k))
    raise ValueError("nothing left to hide")  # pragma: no cover - all hidden leaks nothing


def determined(lines: Iterable[Line], hidden: Iterable[str]) -> set[str]:
    """The hidden cells whose value follows from the lines and the shown cells, whatever values
    the other hidden cells take (linear algebra over the rationals).

    Each line is an equation over its hidden cells. They are brought to reduced row echelon
    form, each pivot cell appearing in its own row only; a cell is then determined exactly
    when its row has no other cell. Rows are sparse, so a year of daily columns stays cheap."""
    hidden = set(hidden)
    rows: dict[str, dict[str, Fraction]] = {}  # pivot cell -> its row
    holding: dict[str, set[str]] = {}  # cell -> the pivots of the rows it appears in
    for line in lines:
        row: dict[str, Fraction] = {}
        for key, sign in ((line.total, 1), *((p, -1) for p in line.parts)):
            if key in hidden:
                row[key] = row.get(key, Fraction(0)) + sign
        for key in [k for k in row if k in rows]:
            factor = row.get(key)
            if factor:
                _add(row, rows[key], -factor)
        row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        pivot = min(row, key=lambda k: (len(holding.get(k, ())), k))
        scale = row[pivot]
        row = {k: v / scale for k, v in row.items()}
        for other in sorted(holding.get(pivot, set())):
            target = rows[other]
            factor = target[pivot]
            before = set(target)
            _add(target, row, -factor)
            for k in before - set(target):
                holding[k].discard(other)
            for k in set(target) - before:
                holding.setdefault(k, set()).add(other)
        rows[pivot] = row
        for k in row:
            holding.setdefault(k, set()).add(pivot)
    return {pivot for pivot, row in rows.items() if len(row) == 1}


def _add(target: dict[str, Fraction], row: Mapping[str, Fraction], factor: Fraction) -> None:
    """target += factor * row, dropping the cells that cancel out."""
    for k, v in row.items():
        value = target.get(k, Fraction(0)) + factor * v
        if value:
            target[k] = value
        else:
            target.pop(k, None)
