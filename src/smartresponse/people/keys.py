"""Search keys of person records (pure Python, no Django).

A person record gets a handful of short key strings; a search (a name with typos, perhaps a
partial date of birth or a phone number) looks up the records that share a key with it and
scores only those with the trained model (`search.rank`). The keys are stored in a table with an
index on (agency, key), so a search is one indexed look-up whatever the size of the index.

The keys are chosen so that:

- every pair of records a batch link run compares (`linkage.SCALE_BLOCKING_RULES`) shares at
  least one key, so the search finds what a run would pair;
- a name-only search with typos or a nickname ("Jon Smth" for Jonathan Smith) shares a
  name-sound key, and a closer name shares more keys, so the best records come first when a
  common name makes a large block;
- a block stays small at 1,000,000 records: no key is a bare birth year, a bare family name or
  a bare place.

Names are normalised as the linkage model does (`linkage.prepare_record`): folded, titles
dropped, the first given name, the family names joined. Each alias of a record, and each of
the family names of a record that has several, gives the name keys too. Values that may be long
(an address) are shortened to a hash so that a key fits in 64 characters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .linkage import (
    DobPrecision,
    PartialDate,
    Row,
    canonical_given,
    normalise_name,
    prepare_record,
    soundex,
)

KEY_MAX_LENGTH = 64

# Key kinds (the prefix of each key) and what they hold. The weight ranks the records sharing
# keys with a query: a key that few records share (an exact date of birth, a phone number)
# says more than a name that sounds alike.
KINDS: dict[str, tuple[str, int]] = {
    "n": ("given and family name soundex, in either order", 1),
    "c": ("nickname group of the given name and family name soundex", 1),
    "g": ("given name and family name soundex", 2),
    "f": ("given name soundex and family name", 2),
    "h": ("first three letters of the given name and family name soundex", 1),
    "x": ("given and family name, in either order", 3),
    "k": ("given name and the first and last letters of the family name", 1),
    "j": ("the first and last letters of the given name and family name", 1),
    "o": ("soundex of the only name a record has", 1),
    "s": ("given and family name soundex, in either order, and birth year", 2),
    "y": ("family name and birth year", 2),
    "l": ("the first and last letters of both names and birth year", 1),
    "e": ("nickname group of the given name and birth year", 1),
    "d": ("exact date of birth", 2),
    "p": ("last 7 digits of the phone number", 4),
    "i": ("identifier from another system", 5),
    "a": ("family name and address", 2),
    "b": ("given name soundex and address", 2),
    "v": ("family name soundex, birth year and locality", 1),
}

# An estimated age ("~40") gives a birth year give or take this much (as the model's
# "within 2 years, one estimated" level).
ESTIMATE_SPAN = 2


def _short(value: str, limit: int = 24) -> str:
    """A value as it goes into a key: itself when short, else a stable 12-character hash."""
    if len(value) <= limit:
        return value
    return hashlib.blake2b(value.encode(), digest_size=6).hexdigest()


def _key(kind: str, *parts: Any) -> str:
    return kind + ":" + "|".join(_short(str(p)) for p in parts)


def _years(row: Row) -> list[int]:
    y = row.get("dob_y")
    if y is None:
        return []
    if row.get("dob_est"):
        return list(range(y - ESTIMATE_SPAN, y + ESTIMATE_SPAN + 1))
    return [y]


def _split_alias(alias: str) -> tuple[str, str]:
    """An alias as a name: the last word the family name, the rest the given name (as
    `search.rank` tries aliases)."""
    parts = alias.split()
    if len(parts) < 2:
        return alias.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


def _name_keys(given: str | None, family: str | None, years: list[int]) -> set[str]:
    """Keys of one reading of a name: a given name (first word) and a family name (joined)."""
    out: set[str] = set()
    for y in years:
        if given:
            out.add(_key("e", canonical_given(given), y))
        if family:
            out.add(_key("y", family, y))
    if not given or not family:
        if given or family:
            out.add(_key("o", soundex(given or family or "")))
        return out
    gs, fs, canon = soundex(given), soundex(family), canonical_given(given)
    sounds = "".join(sorted((gs, fs)))  # in either order: names swapped, with typos
    out.add(_key("n", sounds))
    out.add(_key("c", canon, fs))
    out.add(_key("g", given, fs))
    out.add(_key("h", given[:3], fs))
    out.add(_key("f", gs, family))
    out.add(_key("x", *sorted((given, family))))
    # A typo keeps a name's first and last letters far more often than its sound.
    out.add(_key("k", given, family[0] + family[-1]))
    out.add(_key("j", given[0] + given[-1], family))
    ends = given[0] + given[-1] + family[0] + family[-1]
    for y in years:
        out.add(_key("s", sounds, y))
        out.add(_key("l", ends, y))
    return out


def _names(raw: Mapping[str, Any], row: Row) -> list[tuple[str | None, str | None]]:
    """The readings of a record's name: its own, each of its family names when it has several
    (a Spanish second family name is often dropped), and each alias."""
    given, family = row.get("given_name"), row.get("family_name")
    names: list[tuple[str | None, str | None]] = [(given, family)]
    tokens = row.get("family_tokens") or []
    if len(tokens) > 1:
        names += [(given, t) for t in tokens]
    for alias in raw.get("aliases") or ():
        if not isinstance(alias, str) or not alias.strip():
            continue
        a_given, a_family = _split_alias(alias)
        g_tokens = normalise_name(a_given).split()
        f_tokens = normalise_name(a_family).split()
        names.append((g_tokens[0] if g_tokens else None, "".join(f_tokens) if f_tokens else family))
    return names


def _row_keys(raw: Mapping[str, Any], row: Row) -> set[str]:
    years = _years(row)
    out: set[str] = set()
    for given, family in _names(raw, row):
        out |= _name_keys(given, family, years)
    if row.get("dob"):
        out.add(_key("d", row["dob"]))
    if row.get("phone7"):
        out.add(_key("p", row["phone7"]))
    if row.get("identifier"):
        out.add(_key("i", row["identifier"]))
    address = row.get("address")
    if address and row.get("family_name"):
        out.add(_key("a", row["family_name"], address))
    if address and row.get("given_soundex"):
        out.add(_key("b", row["given_soundex"], address))
    if row.get("family_soundex") and row.get("locality"):
        for y in years:
            out.add(_key("v", row["family_soundex"], y, row["locality"]))
    return out


def record_keys(raw: Mapping[str, Any], *, today: dt.date | None = None) -> set[str]:
    """The search keys of a raw person record (the keys `linkage.prepare_record` reads, plus
    `aliases`, a list of other names). A record with nothing to link on has none."""
    row = prepare_record({**raw, "unique_id": raw.get("unique_id", "")}, today=today)
    if row is None:
        return set()
    return _row_keys(raw, row)


def query_keys(query: Mapping[str, Any], *, today: dt.date | None = None) -> set[str]:
    """The keys to look up for a search: the query's own keys, the name keys with the given
    and family names swapped ("Smith John" typed for John Smith, with a typo), and with a
    middle word of the given name read as a family name."""
    row = prepare_record({**query, "unique_id": "query"}, today=today)
    if row is None:
        return set()
    out = _row_keys(query, row)
    given, family = row.get("given_name"), row.get("family_name")
    years = _years(row)
    if given and family:
        out |= _name_keys(family, given, years)
    # "Maria Garcia Lopez" typed in one name field: the middle words may be a family name.
    middle = normalise_name(query.get("given_name")).split()[1:]
    for name in {*middle, "".join(middle) + (family or "")} - {"", family}:
        out |= _name_keys(given, name, years)
    return out


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


def weight(key: str) -> int:
    return KINDS.get(kind_of(key), ("", 1))[1]


def stored_record(values: Mapping[str, Any]) -> dict[str, Any]:
    """A raw record from the stored fields of a person record (as `.values()` gives them: a
    `dob` date with its `dob_precision` and `estimated_age_years`), without the model class:
    the data migration and the bulk rebuild read rows this way."""
    dob: PartialDate | None = None
    day = values.get("dob")
    if isinstance(day, dt.date):
        precision = DobPrecision(values.get("dob_precision") or DobPrecision.EXACT)
        dob = PartialDate(
            day.year,
            day.month if precision in (DobPrecision.EXACT, DobPrecision.YEAR_MONTH) else None,
            day.day if precision is DobPrecision.EXACT else None,
            precision,
            values.get("estimated_age_years"),
        )
    return {
        "unique_id": str(values.get("id", values.get("pk", ""))),
        "given_name": values.get("given_name") or "",
        "family_name": values.get("family_name") or "",
        "aliases": values.get("aliases") or [],
        "dob": dob,
        "sex": values.get("sex") or "",
        "phone": values.get("phone") or "",
        "address": values.get("address") or "",
        "locality": values.get("locality") or "",
        "postcode": values.get("postcode") or "",
        "identifier": values.get("identifier") or "",
    }


# The stored fields the keys are made from: a change to any of them rewrites a record's keys.
KEY_FIELDS = (
    "given_name",
    "family_name",
    "aliases",
    "dob",
    "dob_precision",
    "estimated_age_years",
    "phone",
    "address",
    "identifier",
)


def keys_of_stored(rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple[Any, set[str]]]:
    """(id, keys) for stored rows (dicts with `id` and the KEY_FIELDS)."""
    for values in rows:
        yield values["id"], record_keys(stored_record(values))
