"""APCO ANS 2.103 common incident types, cleaned from the extracted CSV.

The extraction has flaws (a duplicated FALL row, a "---" description, descriptions wrapped over
lines); the first meaningful description of a code wins and whitespace is collapsed.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

_CSV = Path(__file__).with_name("apco_2103.csv")


@cache
def incident_types() -> dict[str, str]:
    types: dict[str, str] = {}
    with _CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = (row.get("code") or "").strip().upper()
            desc = " ".join((row.get("description") or "").split())
            notes = " ".join((row.get("notes") or "").split())
            if not code:
                continue
            if desc in {"", "---"}:
                desc = notes
            label = desc.capitalize() if desc.isupper() else desc
            if code not in types or not types[code]:
                types[code] = label
    return types


def describe(code: str) -> str:
    return incident_types().get(code.upper(), code)
