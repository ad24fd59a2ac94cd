"""Real-time candidate matching against a built index (pure Python, no Django).

A new contact entered at intake or in the field is matched against the existing person records
without re-running Splink: the index is built once from the existing records, and a query only
looks up its blocking keys and scores the few records that share one.

- The candidates are exactly the records a batch run would pair with the query: the index keeps,
  for each blocking rule (by default `linkage.SCALE_BLOCKING_RULES`), the hash of the record's
  key for that rule, sorted, so a query finds the records sharing a key with two binary searches.
- Each candidate is scored with the trained model's own comparison levels (the Python test of
  each level in `linkage.COMPARISONS`) and its m/u weights, as `linkage.score_pair` does, so the
  probability is the one a batch run gives the pair. The shipped model uses no term-frequency
  adjustments, so no frequency tables are needed; a level's weight is fixed.
- Within one query, the level a comparison reaches depends only on the candidate's values of
  the columns that comparison reads, so it is worked out once per distinct value: candidates
  share names, places and birth years, and most comparisons are then a dictionary look-up.

Records added after the build (`add`) go to a small overflow table and are found too.
The index holds prepared rows in memory; hashes are Python's and so valid only in the process
that built the index (it is rebuilt, not saved).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .linkage import (
    COMPARISONS,
    PREPARED_COLUMNS,
    SCALE_BLOCKING_RULES,
    LinkageModel,
    Row,
    Thresholds,
    classify,
    prepare_record,
)
from .search import Candidate

# The columns of a prepared row each comparison reads (its level tests use no others).
COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "family_name", "given_canon"),
    "family_name": ("family_name", "given_name", "family_tokens"),
    "dob": ("dob", "dob_y", "dob_m", "dob_d", "dob_est"),
    "phone": ("phone", "phone7"),
    "address": ("address",),
    "area": ("postcode", "locality"),
    "identifier": ("identifier",),
    "sex": ("sex",),
}
STORED_COLUMNS = ("unique_id", *PREPARED_COLUMNS)
_POS = {c: i for i, c in enumerate(STORED_COLUMNS)}

_EQUALITY = re.compile(r"^l\.(\w+)\s*=\s*r\.(\w+)$")


class RuleError(ValueError):
    """A blocking rule the index cannot use."""


@dataclass(frozen=True)
class KeyRule:
    """A blocking rule made only of equalities: l.a = r.b AND l.c = r.d ..."""

    rule: str
    left: tuple[str, ...]  # the query's columns
    right: tuple[str, ...]  # the indexed record's columns


def parse_rule(rule: str) -> KeyRule:
    left: list[str] = []
    right: list[str] = []
    for part in re.split(r"\s+AND\s+", rule.strip(), flags=re.IGNORECASE):
        m = _EQUALITY.match(part.strip())
        if m is None or m.group(1) not in _POS or m.group(2) not in _POS:
            raise RuleError(
                f"Blocking rule {rule!r}: only equalities of prepared columns (l.a = r.b) joined "
                "by AND can be indexed."
            )
        left.append(m.group(1))
        right.append(m.group(2))
    return KeyRule(rule, tuple(left), tuple(right))


def _key(values: tuple[Any, ...]) -> int | None:
    """The hash of a key, None when a part is missing (SQL equality on NULL is never true)."""
    for v in values:
        if v is None:
            return None
    return hash(values)


_intern: dict[Any, Any] = {}


def _shared(value: Any) -> Any:
    """One copy of each repeated value (names, places, codes) to keep the index small."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, list):
        t = tuple(sys.intern(v) for v in value)
        return _intern.setdefault(t, t)
    return value


def _to_tuple(row: Row) -> tuple[Any, ...]:
    return tuple(_shared(row.get(c)) for c in STORED_COLUMNS)


def _to_row(values: tuple[Any, ...]) -> Row:
    row = dict(zip(STORED_COLUMNS, values, strict=True))
    if row["family_tokens"] is not None:
        row["family_tokens"] = list(row["family_tokens"])
    return row


class RealtimeIndex:
    """Candidate matches for a new record from an index of existing records."""

    def __init__(
        self,
        model: LinkageModel,
        rows: Iterable[Row] = (),
        *,
        blocking_rules: Sequence[str] = SCALE_BLOCKING_RULES,
        today: dt.date | None = None,
        prior: float | None = None,
    ) -> None:
        self.model = model
        self._rows: list[tuple[Any, ...]] = [_to_tuple(r) for r in rows]
        # Without a prior, the model's is scaled to the size of the index (prior_for).
        self.prior = model.prior_for(len(self._rows)) if prior is None else prior
        self.today = today
        self.rules = tuple(parse_rule(r) for r in blocking_rules)
        names = [c.name for c in COMPARISONS]
        if names != list(COMPARISON_COLUMNS):
            raise RuleError(f"The comparisons {names} are not the ones this index knows.")
        self._prior_weight = math.log2(self.prior / (1 - self.prior))
        self._weights: list[list[float]] = [
            [0.0 if bf is None else math.log2(bf) for bf in factors]
            for factors in model.bayes_factors()
        ]
        self._cols = [tuple(_POS[c] for c in COMPARISON_COLUMNS[c.name]) for c in COMPARISONS]
        self._sorted: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]] = []
        for rule in self.rules:
            pos = tuple(_POS[c] for c in rule.right)
            keys: list[int] = []
            ids: list[int] = []
            for i, values in enumerate(self._rows):
                k = _key(tuple(values[p] for p in pos))
                if k is not None:
                    keys.append(k)
                    ids.append(i)
            karr = np.array(keys, dtype=np.int64)
            order = np.argsort(karr, kind="stable")
            self._sorted.append((karr[order], np.array(ids, dtype=np.int32)[order]))
        self._extra: list[dict[int, list[int]]] = [{} for _ in self.rules]

    @classmethod
    def build(
        cls,
        model: LinkageModel,
        records: Iterable[Mapping[str, Any]],
        *,
        blocking_rules: Sequence[str] = SCALE_BLOCKING_RULES,
        today: dt.date | None = None,
        prior: float | None = None,
    ) -> RealtimeIndex:
        """An index of raw person records (the keys `linkage.prepare_record` reads);
        records with nothing to link on are left out, as in a batch run. `prior` replaces the
        model's chance that two random records match, which by default is scaled to the size of
        the index (`LinkageModel.prior_for`)."""
        rows = (prepare_record(r, today=today) for r in records)
        return cls(
            model,
            (r for r in rows if r is not None),
            blocking_rules=blocking_rules,
            today=today,
            prior=prior,
        )

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, raw: Mapping[str, Any]) -> bool:
        """Index one more raw record; False when it has nothing to link on."""
        row = prepare_record(raw, today=self.today)
        if row is None:
            return False
        values = _to_tuple(row)
        i = len(self._rows)
        self._rows.append(values)
        for rule, extra in zip(self.rules, self._extra, strict=True):
            k = _key(tuple(values[_POS[c]] for c in rule.right))
            if k is not None:
                extra.setdefault(k, []).append(i)
        return True

    def candidates(self, query: Row) -> set[int]:
        """Positions of the indexed rows sharing a blocking key with a prepared query row."""
        found: set[int] = set()
        for rule, (keys, ids), extra in zip(self.rules, self._sorted, self._extra, strict=True):
            k = _key(tuple(query.get(c) for c in rule.left))
            if k is None:
                continue
            lo = int(np.searchsorted(keys, k, side="left"))
            if lo < len(keys) and keys[lo] == k:
                hi = int(np.searchsorted(keys, k, side="right"))
                found.update(ids[lo:hi].tolist())
            if extra:
                found.update(extra.get(k, ()))
        return found

    def match(
        self,
        query: Mapping[str, Any],
        *,
        limit: int = 10,
        min_probability: float = 0.01,
        thresholds: Thresholds | None = None,
    ) -> list[Candidate]:
        """The best `limit` indexed records for a raw query record, most probable first.
        A query with nothing to link on finds nothing."""
        q = prepare_record(
            {**query, "unique_id": query.get("unique_id", "query")}, today=self.today
        )
        if q is None:
            return []
        return self.match_prepared(
            q, limit=limit, min_probability=min_probability, thresholds=thresholds
        )

    def match_prepared(
        self,
        q: Row,
        *,
        limit: int = 10,
        min_probability: float = 0.01,
        thresholds: Thresholds | None = None,
    ) -> list[Candidate]:
        thresholds = thresholds or self.model.thresholds
        min_weight = (
            math.log2(min_probability / (1 - min_probability))
            if 0 < min_probability < 1
            else -math.inf
        )
        memo: list[dict[tuple[Any, ...], tuple[float, int]]] = [{} for _ in COMPARISONS]
        scored: list[tuple[float, str, tuple[int, ...]]] = []
        qid = q.get("unique_id")
        for i in self.candidates(q):
            values = self._rows[i]
            if values[0] == qid:
                continue
            weight = self._prior_weight
            levels: list[int] = []
            row: Row | None = None
            for c, comp in enumerate(COMPARISONS):
                key = tuple(values[p] for p in self._cols[c])
                hit = memo[c].get(key)
                if hit is None:
                    if row is None:
                        row = _to_row(values)
                    hit = self._level(c, comp.levels, q, row)
                    memo[c][key] = hit
                weight += hit[0]
                levels.append(hit[1])
            if weight >= min_weight:
                scored.append((weight, values[0], tuple(levels)))
        scored.sort(key=lambda s: (-s[0], s[1]))
        out: list[Candidate] = []
        for weight, uid, reached in scored[:limit]:
            probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
            labels = tuple(
                COMPARISONS[c].levels[lv].label for c, lv in enumerate(reached) if lv >= 0
            )
            out.append(
                Candidate(uid, probability, weight, classify(probability, thresholds), labels)
            )
        return out

    def _level(self, c: int, levels: Sequence[Any], q: Row, row: Row) -> tuple[float, int]:
        for n, lv in enumerate(levels):
            if lv.test(q, row):
                return self._weights[c][n], n
        return 0.0, -1
