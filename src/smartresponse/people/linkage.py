"""Probabilistic record linkage of person records: Fellegi-Sunter with Splink 5 on DuckDB.

Pure Python (no Django). The pieces:

- normalisation of names, phones and partial dates of birth (`normalise_name`,
  `normalise_phone`, `parse_dob`) and `prepare_record`, which turns a raw person record into the
  flat row the model compares (or None when the record carries nothing to link on);
- the comparisons (`COMPARISONS`): each level has its SQL condition for Splink and the same test
  in Python, so candidate search (`score_pair`) uses the trained model's own levels and weights;
- `LinkageModel`: the Splink settings with trained m and u probabilities, a version string and
  the three-way thresholds; saved and loaded as JSON;
- `train` (u by random sampling, m by expectation-maximisation), `predict`, `classify`
  (auto-link / review / apart), `cluster` and `pairwise_metrics`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
NICKNAMES_CSV = PACKAGE_DIR / "data" / "nicknames.csv"
SHIPPED_MODEL = PACKAGE_DIR / "linkage_models" / "person-linkage-v2.json"
MODEL_FORMAT = "smartresponse.person-linkage/1"
# The prior is not scaled up for indexes smaller than this (LinkageModel.prior_for).
SMALLEST_INDEX = 5_000

Row = dict[str, Any]

# --------------------------------------------------------------------------- normalisation

_NON_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_NAME_NOISE = {"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii", "iv", "unknown", "unk"}


def fold(text: str) -> str:
    """Lower case, accents removed, letters and single spaces only."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("-", " ").replace("'", "").replace(".", " ")
    return _SPACES.sub(" ", _NON_LETTER.sub(" ", text)).strip()


def normalise_name(text: str | None) -> str:
    """A name as compared: folded, with titles, suffixes and "unknown" dropped."""
    return " ".join(t for t in fold(text or "").split() if t not in _NAME_NOISE)


def normalise_phone(text: str | None) -> str:
    """Digits only; a North American leading 1 on an 11-digit number is dropped.

    Fewer than 7 digits is not a phone number and gives "".
    """
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else ""


class DobPrecision(StrEnum):
    EXACT = "exact"
    YEAR_MONTH = "year_month"
    YEAR = "year"
    ESTIMATED = "estimated"


@dataclass(frozen=True)
class PartialDate:
    """A date of birth known exactly, to the month, to the year, or estimated from an age."""

    year: int
    month: int | None = None
    day: int | None = None
    precision: DobPrecision = DobPrecision.EXACT
    estimated_age: int | None = None

    def as_date(self) -> dt.date:
        """The date to store: the first day of the known period for partial dates."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        if self.precision is DobPrecision.ESTIMATED:
            return f"~{self.estimated_age} years (born about {self.year})"
        if self.precision is DobPrecision.YEAR:
            return f"{self.year:04d}"
        if self.precision is DobPrecision.YEAR_MONTH:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


_AGE = re.compile(
    r"^(?:~|about|approx\.?|approximately|age|aged|ca\.?|c\.)?\s*(\d{1,3})\s*(?:\?|y|yo|yrs?|years?)?(?:\s*old)?$"
)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_US = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[/-](\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_dob(
    text: str | dt.date | None, *, today: dt.date | None = None, max_age: int = 120
) -> PartialDate | None:
    """Parse a date of birth in the forms people give it.

    "1984-03-05", "19840305" and "3/5/1984" (US month first) are exact; "3/1984" and
    "1984-03" give the month; "1984" the year; "~40", "about 40", "40?" or "age 40" an estimated
    age, turned into a birth year from `today`. Empty gives None; anything else, or a date in
    the future or more than `max_age` years ago, raises ValueError.
    """
    if text is None:
        return None
    today = today or dt.date.today()
    if isinstance(text, dt.date):
        return _checked(PartialDate(text.year, text.month, text.day), today, max_age)
    s = text.strip().lower()
    if not s:
        return None
    m = _ISO.match(s) or _COMPACT.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return _checked(_exact(y, mo, d, text), today, max_age)
    m = _US.match(s)
    if m:
        mo, d, y = (int(g) for g in m.groups())
        return _checked(_exact(y, mo, d, text), today, max_age)
    m = _MONTH_YEAR.match(s)
    if m:
        mo, y = int(m.group(1)), int(m.group(2))
        return _checked(_year_month(y, mo, text), today, max_age)
    m = _YEAR_MONTH.match(s)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return _checked(_year_month(y, mo, text), today, max_age)
    m = _YEAR.match(s)
    if m:
        return _checked(PartialDate(int(s), precision=DobPrecision.YEAR), today, max_age)
    m = _AGE.match(s)
    if m:
        age = int(m.group(1))
        if age > max_age:
            raise ValueError(f"An age of {age} is not plausible.")
        return PartialDate(today.year - age, precision=DobPrecision.ESTIMATED, estimated_age=age)
    raise ValueError(
        f"Not a date of birth: {text!r}. Use YYYY-MM-DD, MM/DD/YYYY, MM/YYYY, YYYY or an "
        "estimated age such as ~40."
    )


def _exact(y: int, mo: int, d: int, text: str) -> PartialDate:
    try:
        dt.date(y, mo, d)
    except ValueError:
        raise ValueError(f"Not a real date: {text!r}.") from None
    return PartialDate(y, mo, d)


def _year_month(y: int, mo: int, text: str) -> PartialDate:
    if not 1 <= mo <= 12:
        raise ValueError(f"Not a real month: {text!r}.")
    return PartialDate(y, mo, precision=DobPrecision.YEAR_MONTH)


def _checked(p: PartialDate, today: dt.date, max_age: int) -> PartialDate:
    if p.as_date() > today:
        raise ValueError(f"The date of birth {p} is in the future.")
    if today.year - p.year > max_age:
        raise ValueError(f"The date of birth {p} is more than {max_age} years ago.")
    return p


@cache
def nicknames() -> dict[str, str]:
    """Variant -> canonical given name, from the shipped table (a name maps to itself)."""
    table: dict[str, str] = {}
    with NICKNAMES_CSV.open(encoding="utf-8") as fh:
        rows = (line for line in fh if not line.startswith("#"))
        for row in csv.DictReader(rows):
            canonical, variant = fold(row["canonical"]), fold(row["variant"])
            table.setdefault(canonical, canonical)
            table.setdefault(variant, canonical)
    return table


def canonical_given(name: str) -> str:
    return nicknames().get(name, name) if name else ""


def soundex(name: str) -> str:
    """American Soundex of a folded name (first letter and three digits), "" for no letters."""
    letters = [c for c in name if "a" <= c <= "z"]
    if not letters:
        return ""
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2")}
    codes.update({**dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"})
    out = [letters[0]]
    last = codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != last:
            out.append(code)
        if c not in "hw":
            last = code
    return ("".join(out) + "000")[:4]


# The columns of a prepared row, in order. `unique_id` and `source_dataset` come first.
PREPARED_COLUMNS = (
    "given_name",
    "given_canon",
    "given_soundex",
    "family_name",
    "family_tokens",
    "family_soundex",
    "dob",
    "dob_y",
    "dob_m",
    "dob_d",
    "dob_est",
    "sex",
    "phone",
    "phone7",
    "address",
    "locality",
    "postcode",
    "identifier",
)
IDENTIFYING = ("given_name", "family_name", "dob_y", "phone", "address", "identifier")


def normalise_identifier(text: Any) -> str:
    """An identifier from another system (HMIS client id, Medicaid or state ID number):
    letters and digits only, upper case."""
    return re.sub(r"[^0-9A-Z]", "", str(text or "").upper())


def normalise_sex(text: str | None) -> str | None:
    s = fold(text or "")
    if s in ("m", "male", "man", "boy", "hombre", "masculino"):
        return "m"
    if s in ("f", "female", "woman", "girl", "mujer", "femenino"):
        return "f"
    if s in ("x", "nonbinary", "non binary", "other", "trans", "transgender"):
        return "x"
    return None


_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")


def normalise_place(text: Any) -> str:
    """An address, locality or postcode as compared: folded, letters, digits, single spaces."""
    if text in (None, ""):
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return _SPACES.sub(" ", _NON_ALNUM.sub(" ", s)).strip()


def prepare_record(raw: Mapping[str, Any], *, today: dt.date | None = None) -> Row | None:
    """The row the model compares, from a raw person record; None when there is nothing to
    link on (no name, date of birth, phone or address): such a record is never linked.

    Raw keys: unique_id, given_name, family_name, dob (a PartialDate, a date or text),
    sex, phone, address, locality, postcode, identifier; `source_dataset` is kept when given.
    A malformed date of birth is treated as unknown here; imports report it instead.
    """
    given_tokens = normalise_name(raw.get("given_name")).split()
    given = given_tokens[0] if given_tokens else ""
    family_tokens = normalise_name(raw.get("family_name")).split()
    family = "".join(family_tokens)
    dob_raw = raw.get("dob")
    dob: PartialDate | None
    if isinstance(dob_raw, PartialDate):
        dob = dob_raw
    else:
        try:
            dob = parse_dob(dob_raw, today=today)
        except ValueError:
            dob = None
    phone = normalise_phone(raw.get("phone"))
    address = normalise_place(raw.get("address"))
    row: Row = {
        "unique_id": str(raw["unique_id"]),
        "given_name": given or None,
        "given_canon": canonical_given(given) or None,
        "given_soundex": soundex(given) or None,
        "family_name": family or None,
        "family_tokens": family_tokens or None,
        "family_soundex": soundex(family) or None,
        "dob": dob.as_date().isoformat()
        if dob is not None and dob.precision is DobPrecision.EXACT
        else None,
        "dob_y": dob.year if dob else None,
        "dob_m": dob.month if dob else None,
        "dob_d": dob.day if dob else None,
        "dob_est": dob.precision is DobPrecision.ESTIMATED if dob else None,
        "sex": normalise_sex(raw.get("sex")),
        "phone": phone or None,
        "phone7": phone[-7:] if phone else None,
        "address": address or None,
        "locality": normalise_place(raw.get("locality")) or None,
        "postcode": normalise_place(raw.get("postcode")).replace(" ", "") or None,
        "identifier": normalise_identifier(raw.get("identifier")) or None,
    }
    if "source_dataset" in raw:
        row["source_dataset"] = str(raw["source_dataset"])
    if all(row[k] is None for k in IDENTIFYING):
        return None
    return row


def is_blank(raw: Mapping[str, Any]) -> bool:
    """True when a record has nothing to link on; such records are never linked."""
    return prepare_record({**raw, "unique_id": raw.get("unique_id", "")}) is None


# --------------------------------------------------------------------------- string metrics
# Python twins of DuckDB's jaro_winkler_similarity and damerau_levenshtein, for search.


def jaro_winkler(a: str, b: str) -> float:
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    a_hit = [False] * la
    b_hit = [False] * lb
    matches = 0
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not b_hit[j] and b[j] == c:
                a_hit[i] = b_hit[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    a_m = [c for c, hit in zip(a, a_hit, strict=True) if hit]
    b_m = [c for c, hit in zip(b, b_hit, strict=True) if hit]
    transpositions = sum(x != y for x, y in zip(a_m, b_m, strict=True)) / 2
    jaro = (matches / la + matches / lb + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def damerau_levenshtein(a: str, b: str) -> int:
    """Optimal string alignment distance (adjacent transpositions count one)."""
    la, lb = len(a), len(b)
    d = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(la + 1):
        d[i][0] = i
    for j in range(lb + 1):
        d[0][j] = j
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[la][lb]


# --------------------------------------------------------------------------- comparisons

Pred = Callable[[Row, Row], bool]


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    test: Pred
    is_null: bool = False


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    def settings(self) -> dict[str, Any]:
        levels: list[dict[str, Any]] = []
        for lv in self.levels:
            d: dict[str, Any] = {"sql_condition": lv.sql, "label_for_charts": lv.label}
            if lv.is_null:
                d["is_null_level"] = True
            levels.append(d)
        return {
            "output_column_name": self.name,
            "comparison_description": self.description,
            "comparison_levels": levels,
        }


def _both(*cols: str) -> Pred:
    return lambda left, right: all(
        left.get(c) is not None and right.get(c) is not None for c in cols
    )


def _null_sql(*cols: str) -> str:
    return " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)


def _null(*cols: str) -> Pred:
    both = _both(*cols)
    return lambda left, right: not both(left, right)


def _eq(col: str) -> Pred:
    return lambda left, right: left[col] == right[col]


def _jw(col: str, t: float) -> Pred:
    return lambda left, right: jaro_winkler(left[col], right[col]) >= t


def _jw_sql(col: str, t: float) -> str:
    return f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {t}'


def _prefix(left: Row, right: Row) -> bool:
    a, b = left["given_name"], right["given_name"]
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 2 and long_.startswith(short)


def _initial(left: Row, right: Row) -> bool:
    a, b = left["given_name"], right["given_name"]
    return (len(a) == 1 or len(b) == 1) and a[0] == b[0]


def _swapped(left: Row, right: Row) -> bool:
    return (
        left.get("family_name") is not None
        and right.get("family_name") is not None
        and left["given_name"] == right["family_name"]
        and left["family_name"] == right["given_name"]
    )


def _swapped_fuzzy(left: Row, right: Row) -> bool:
    return (
        left.get("family_name") is not None
        and right.get("family_name") is not None
        and left.get("given_name") is not None
        and right.get("given_name") is not None
        and jaro_winkler(left["given_name"], right["family_name"]) >= 0.9
        and jaro_winkler(left["family_name"], right["given_name"]) >= 0.9
    )


SWAPPED_FUZZY_SQL = (
    'jaro_winkler_similarity("given_name_l", "family_name_r") >= 0.9 AND '
    'jaro_winkler_similarity("family_name_l", "given_name_r") >= 0.9'
)


def _identifier_typo(left: Row, right: Row) -> bool:
    return damerau_levenshtein(left["identifier"], right["identifier"]) <= 1


def _shared_token(left: Row, right: Row) -> bool:
    return bool(set(left["family_tokens"]) & set(right["family_tokens"]))


def _dob_transposed(left: Row, right: Row) -> bool:
    return (
        left["dob"] is not None
        and right["dob"] is not None
        and left["dob_y"] == right["dob_y"]
        and left["dob_m"] == right["dob_d"]
        and left["dob_d"] == right["dob_m"]
    )


def _dob_one_edit(left: Row, right: Row) -> bool:
    return (
        left["dob"] is not None
        and right["dob"] is not None
        and damerau_levenshtein(left["dob"], right["dob"]) <= 1
    )


def _dob_year_month(left: Row, right: Row) -> bool:
    return (
        left["dob_m"] is not None
        and left["dob_y"] == right["dob_y"]
        and left["dob_m"] == right["dob_m"]
    )


def _dob_year(left: Row, right: Row) -> bool:
    return bool(left["dob_y"] == right["dob_y"] and not left["dob_est"] and not right["dob_est"])


def _dob_near(left: Row, right: Row) -> bool:
    return abs(left["dob_y"] - right["dob_y"]) <= 2 and bool(left["dob_est"] or right["dob_est"])


def _area_both(left: Row, right: Row) -> bool:
    return (
        left["postcode"] is not None
        and left["postcode"] == right["postcode"]
        and left["locality"] is not None
        and left["locality"] == right["locality"]
    )


def _area_postcode(left: Row, right: Row) -> bool:
    return left["postcode"] is not None and left["postcode"] == right["postcode"]


def _area_locality(left: Row, right: Row) -> bool:
    a, b = left["locality"], right["locality"]
    return a is not None and b is not None and jaro_winkler(a, b) >= 0.9


def _area_null(left: Row, right: Row) -> bool:
    return not (
        (left["postcode"] is not None and right["postcode"] is not None)
        or (left["locality"] is not None and right["locality"] is not None)
    )


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        "Given name: exact, nickname, short form, typo, initial",
        (
            Level("null", _null_sql("given_name"), _null("given_name"), is_null=True),
            Level("exact", '"given_name_l" = "given_name_r"', _eq("given_name")),
            Level(
                "given and family swapped",
                '"given_name_l" = "family_name_r" AND "family_name_l" = "given_name_r"',
                _swapped,
            ),
            Level("given and family swapped, with typos", SWAPPED_FUZZY_SQL, _swapped_fuzzy),
            Level("same nickname group", '"given_canon_l" = "given_canon_r"', _eq("given_canon")),
            Level("jaro-winkler >= 0.92", _jw_sql("given_name", 0.92), _jw("given_name", 0.92)),
            Level(
                "short form",
                'least(length("given_name_l"), length("given_name_r")) >= 2 AND '
                '(starts_with("given_name_l", "given_name_r") OR '
                'starts_with("given_name_r", "given_name_l"))',
                _prefix,
            ),
            Level("jaro-winkler >= 0.8", _jw_sql("given_name", 0.8), _jw("given_name", 0.8)),
            Level(
                "initial",
                '(length("given_name_l") = 1 OR length("given_name_r") = 1) AND '
                'substr("given_name_l", 1, 1) = substr("given_name_r", 1, 1)',
                _initial,
            ),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "family_name",
        "Family name: exact, typo, one of several family names",
        (
            Level("null", _null_sql("family_name"), _null("family_name"), is_null=True),
            Level("exact", '"family_name_l" = "family_name_r"', _eq("family_name")),
            Level("jaro-winkler >= 0.92", _jw_sql("family_name", 0.92), _jw("family_name", 0.92)),
            Level("given and family swapped", SWAPPED_FUZZY_SQL, _swapped_fuzzy),
            Level(
                "shares a family name",
                'list_has_any("family_tokens_l", "family_tokens_r")',
                _shared_token,
            ),
            Level("jaro-winkler >= 0.8", _jw_sql("family_name", 0.8), _jw("family_name", 0.8)),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "dob",
        "Date of birth: exact, day and month swapped, one digit off, same month, same year",
        (
            Level("null", _null_sql("dob_y"), _null("dob_y"), is_null=True),
            Level(
                "exact",
                '"dob_l" = "dob_r"',
                lambda left, right: left["dob"] is not None and left["dob"] == right["dob"],
            ),
            Level(
                "day and month transposed",
                '"dob_y_l" = "dob_y_r" AND "dob_m_l" = "dob_d_r" AND "dob_d_l" = "dob_m_r"'
                ' AND "dob_l" IS NOT NULL AND "dob_r" IS NOT NULL',
                _dob_transposed,
            ),
            Level("one character off", 'damerau_levenshtein("dob_l", "dob_r") <= 1', _dob_one_edit),
            Level(
                "same year and month, one date partial",
                '("dob_l" IS NULL OR "dob_r" IS NULL) AND "dob_y_l" = "dob_y_r" '
                'AND "dob_m_l" = "dob_m_r"',
                lambda left, right: (
                    (left["dob"] is None or right["dob"] is None) and _dob_year_month(left, right)
                ),
            ),
            Level(
                "same year, one date partial",
                '("dob_l" IS NULL OR "dob_r" IS NULL) AND "dob_y_l" = "dob_y_r" '
                'AND NOT "dob_est_l" AND NOT "dob_est_r"',
                lambda left, right: (
                    (left["dob"] is None or right["dob"] is None) and _dob_year(left, right)
                ),
            ),
            Level(
                "same year and month",
                '"dob_y_l" = "dob_y_r" AND "dob_m_l" = "dob_m_r"',
                _dob_year_month,
            ),
            Level(
                "same year",
                '"dob_y_l" = "dob_y_r" AND NOT "dob_est_l" AND NOT "dob_est_r"',
                _dob_year,
            ),
            Level(
                "within 2 years, one estimated",
                'abs("dob_y_l" - "dob_y_r") <= 2 AND ("dob_est_l" OR "dob_est_r")',
                _dob_near,
            ),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "phone",
        "Phone: exact, same last 7 digits",
        (
            Level("null", _null_sql("phone"), _null("phone"), is_null=True),
            Level("exact", '"phone_l" = "phone_r"', _eq("phone")),
            Level("same last 7 digits", '"phone7_l" = "phone7_r"', _eq("phone7")),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "address",
        "Address or usual location: exact, close",
        (
            Level("null", _null_sql("address"), _null("address"), is_null=True),
            Level("exact", '"address_l" = "address_r"', _eq("address")),
            Level("jaro-winkler >= 0.9", _jw_sql("address", 0.9), _jw("address", 0.9)),
            Level("jaro-winkler >= 0.75", _jw_sql("address", 0.75), _jw("address", 0.75)),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "area",
        "Locality and postcode",
        (
            Level(
                "null",
                '("postcode_l" IS NULL OR "postcode_r" IS NULL) AND '
                '("locality_l" IS NULL OR "locality_r" IS NULL)',
                _area_null,
                is_null=True,
            ),
            Level(
                "same postcode and locality",
                '"postcode_l" = "postcode_r" AND "locality_l" = "locality_r"',
                _area_both,
            ),
            Level("same postcode", '"postcode_l" = "postcode_r"', _area_postcode),
            Level("same or close locality", _jw_sql("locality", 0.9), _area_locality),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "identifier",
        "Identifier from another system (HMIS, Medicaid, state ID): exact, one character off",
        (
            Level("null", _null_sql("identifier"), _null("identifier"), is_null=True),
            Level("exact", '"identifier_l" = "identifier_r"', _eq("identifier")),
            Level(
                "one character off",
                'damerau_levenshtein("identifier_l", "identifier_r") <= 1',
                _identifier_typo,
            ),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
    Comparison(
        "sex",
        "Sex or gender",
        (
            Level("null", _null_sql("sex"), _null("sex"), is_null=True),
            Level("same", '"sex_l" = "sex_r"', _eq("sex")),
            Level("else", "ELSE", lambda left, right: True),
        ),
    ),
)

# Hand-set m and u for levels that the training data cannot show or shows wrongly: neither
# FEBRL nor the synthetic records ever change a phone's area code, and the synthetic records
# never change a person's recorded sex, which real records do. `train` writes these over whatever
# EM made of them; None keeps the trained value.
LEVEL_PRIORS: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("phone", "same last 7 digits"): (0.05, 0.0005),
    ("sex", "same"): (0.97, None),
    ("sex", "else"): (0.03, None),
}
# No level's m probability is let below this after training (then each comparison's m are
# renormalised): a disagreement the training data never showed for true matches must not
# become near-proof that two records are different people.
MIN_M_PROBABILITY = 0.002

# Pairs must agree on one of these to be compared at all. Equality on NULL is false in SQL,
# so a record missing the field is never paired by that rule.
BLOCKING_RULES: tuple[str, ...] = (
    "l.given_soundex = r.given_soundex AND l.family_soundex = r.family_soundex",
    "l.dob = r.dob",
    "l.given_canon = r.given_canon AND l.dob_y = r.dob_y",
    "l.family_soundex = r.family_soundex AND l.dob_y = r.dob_y",
    "l.phone7 = r.phone7",
    "l.postcode = r.postcode AND l.address = r.address",
    "l.family_name = r.family_name AND l.address = r.address",
    "l.identifier = r.identifier",
    "l.given_name = r.family_name AND l.family_name = r.given_name",
    "l.postcode = r.postcode AND l.dob_y = r.dob_y",
)

# A tighter set for large runs (hundreds of thousands of records and more): the same
# comparisons and weights, with each broad key of BLOCKING_RULES narrowed by a second field so
# that common names, popular birth years and shared shelter addresses do not make blocks of
# thousands. On 1,000,000 synthetic records it gives 6.3 million pairs where
# BLOCKING_RULES gives over 400 million (docs/linkage-at-scale.md).
SCALE_BLOCKING_RULES: tuple[str, ...] = (
    "l.given_soundex = r.given_soundex AND l.family_soundex = r.family_soundex "
    "AND l.dob_y = r.dob_y",
    "l.dob = r.dob AND l.given_soundex = r.given_soundex",
    "l.dob = r.dob AND l.family_soundex = r.family_soundex",
    "l.given_soundex = r.given_soundex AND l.family_soundex = r.family_soundex "
    "AND l.locality = r.locality",
    "l.given_canon = r.given_canon AND l.dob_y = r.dob_y AND l.locality = r.locality",
    "l.given_name = r.given_name AND l.family_name = r.family_name",
    "l.phone7 = r.phone7",
    "l.identifier = r.identifier",
    "l.family_name = r.family_name AND l.address = r.address",
    "l.given_name = r.family_name AND l.family_name = r.given_name",
    # Added for version 2 (docs/linkage-at-scale.md): both names mistyped or swapped with typos,
    # a date of birth with no usable name, a name mistyped at the same shelter or camp.
    "l.dob = r.dob AND l.locality = r.locality",
    "l.given_soundex = r.family_soundex AND l.family_soundex = r.given_soundex",
    "l.address = r.address AND l.given_soundex = r.given_soundex",
    "l.family_soundex = r.family_soundex AND l.dob_y = r.dob_y AND l.locality = r.locality",
)

# Blocking rules for the EM passes: each leaves the other comparisons free to be estimated.
TRAINING_BLOCKS: tuple[str, ...] = (
    "l.dob = r.dob",
    "l.given_name = r.given_name AND l.family_name = r.family_name",
    "l.postcode = r.postcode AND l.address = r.address",
)
DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.given_name = r.given_name AND l.family_name = r.family_name AND l.dob = r.dob",
    "l.phone = r.phone AND l.given_canon = r.given_canon AND l.family_name = r.family_name",
)


def base_settings(link_type: str = "dedupe_only") -> dict[str, Any]:
    """Splink settings for the comparisons and blocking rules above, untrained."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "comparisons": [c.settings() for c in COMPARISONS],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in BLOCKING_RULES
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "probability_two_random_records_match": 0.0001,
        "em_convergence": 0.0001,
        "max_iterations": 25,
        "additional_columns_to_retain": [],
    }


# --------------------------------------------------------------------------- outcomes


class Outcome(StrEnum):
    LINK = "link"  # linked automatically
    REVIEW = "review"  # sent to the review queue
    APART = "apart"  # kept apart


@dataclass(frozen=True)
class Thresholds:
    """Match probability at or above `link` links automatically; at or above `review` (and
    below `link`) goes to review; below `review` keeps the records apart."""

    link: float = 0.95
    review: float = 0.5

    def __post_init__(self) -> None:
        if not (0.0 < self.review <= self.link <= 1.0):
            raise ValueError(
                "Thresholds must satisfy 0 < review <= link <= 1 "
                f"(got review={self.review}, link={self.link})."
            )


def classify(probability: float, thresholds: Thresholds) -> Outcome:
    if probability >= thresholds.link:
        return Outcome.LINK
    if probability >= thresholds.review:
        return Outcome.REVIEW
    return Outcome.APART


# --------------------------------------------------------------------------- the model


class ModelError(ValueError):
    pass


@dataclass
class LinkageModel:
    """A trained model: Splink settings (with m and u), a version and default thresholds."""

    version: str
    settings: dict[str, Any]
    thresholds: Thresholds = field(default_factory=Thresholds)
    trained_on: str = ""
    trained_at: str = ""
    # How many records the prior was estimated on; 0 when unknown (the prior is then used as is).
    trained_records: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "trained_on": self.trained_on,
            "trained_at": self.trained_at,
            "trained_records": self.trained_records,
            "thresholds": {"link": self.thresholds.link, "review": self.thresholds.review},
            "splink_settings": self.settings,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinkageModel:
        if data.get("format") != MODEL_FORMAT:
            raise ModelError(f"Not a person-linkage model (format {data.get('format')!r}).")
        if not data.get("version"):
            raise ModelError("The model has no version.")
        settings = dict(data["splink_settings"])
        names = [c.get("output_column_name") for c in settings.get("comparisons", [])]
        expected = [c.name for c in COMPARISONS]
        if names != expected:
            raise ModelError(f"The model's comparisons {names} are not this code's {expected}.")
        t = data.get("thresholds") or {}
        return cls(
            version=str(data["version"]),
            settings=settings,
            thresholds=Thresholds(float(t.get("link", 0.95)), float(t.get("review", 0.5))),
            trained_on=str(data.get("trained_on", "")),
            trained_at=str(data.get("trained_at", "")),
            trained_records=int(data.get("trained_records") or 0),
        )

    @classmethod
    def load(cls, path: str | Path = SHIPPED_MODEL) -> LinkageModel:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"Cannot read the linkage model {path}: {exc}") from exc
        return cls.from_json(data)

    @property
    def prior(self) -> float:
        """The chance that two random records of the training data are the same person."""
        return float(self.settings["probability_two_random_records_match"])

    def prior_for(self, records: int) -> float:
        """The chance that two random records match among `records` records.

        A person has about the same number of records whatever the size of the index, so the
        chance that two random records are the same person falls as 1/N: the trained prior is
        scaled by trained_records / records. Below SMALLEST_INDEX records it stays at that
        size's value: for a handful of records, 1/N would make every record a likely duplicate
        of every other. Without a training size it is the trained prior."""
        if not self.trained_records:
            return self.prior
        return min(self.prior * self.trained_records / max(records, SMALLEST_INDEX), 0.5)

    def bayes_factors(self) -> list[list[float | None]]:
        """m/u for each level of each comparison (None for the null level)."""
        out: list[list[float | None]] = []
        for comp in self.settings["comparisons"]:
            row: list[float | None] = []
            for lv in comp["comparison_levels"]:
                if lv.get("is_null_level"):
                    row.append(None)
                    continue
                m, u = lv.get("m_probability"), lv.get("u_probability")
                row.append(m / u if m and u else 1.0)
            out.append(row)
        return out

    def for_link_type(self, link_type: str, prior: float | None = None) -> dict[str, Any]:
        settings: dict[str, Any] = json.loads(json.dumps(self.settings))
        settings["link_type"] = link_type
        if prior is not None:
            settings["probability_two_random_records_match"] = prior
        settings.pop("linker_uid", None)
        return settings


@dataclass(frozen=True)
class PairScore:
    match_weight: float
    probability: float
    levels: tuple[str, ...]  # the label of the level reached in each comparison


def score_pair(
    model: LinkageModel, left: Row, right: Row, *, prior: float | None = None
) -> PairScore:
    """Score two prepared rows in Python with the model's own levels and weights."""
    factors = model.bayes_factors()
    prior = model.prior if prior is None else prior
    weight = math.log2(prior / (1 - prior))
    labels: list[str] = []
    for comp, comp_factors in zip(COMPARISONS, factors, strict=True):
        for lv, bf in zip(comp.levels, comp_factors, strict=True):
            if lv.test(left, right):
                labels.append(lv.label)
                if bf is not None:
                    weight += math.log2(bf)
                break
    probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
    return PairScore(weight, probability, tuple(labels))


# --------------------------------------------------------------------------- Splink runs


@dataclass(frozen=True)
class ScoredPair:
    id_l: str
    id_r: str
    match_weight: float
    probability: float


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.WARNING)


def _linker(tables: Sequence[Sequence[Row]], settings: dict[str, Any]) -> Any:
    from splink import Linker  # Splink is imported only where linkage runs
    from splink.backends.duckdb import DuckDBAPI

    _quiet()
    db = DuckDBAPI()
    registered = [
        db.register(_arrow(rows), dataset_display_name=f"input_{i}")
        for i, rows in enumerate(tables)
    ]
    return Linker(registered if len(registered) > 1 else registered[0], settings, log_level=None)


def _arrow(rows: Sequence[Row]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]

    schema = pa.schema(
        [
            ("unique_id", pa.string()),
            ("given_name", pa.string()),
            ("given_canon", pa.string()),
            ("given_soundex", pa.string()),
            ("family_name", pa.string()),
            ("family_tokens", pa.list_(pa.string())),
            ("family_soundex", pa.string()),
            ("dob", pa.string()),
            ("dob_y", pa.int32()),
            ("dob_m", pa.int32()),
            ("dob_d", pa.int32()),
            ("dob_est", pa.bool_()),
            ("sex", pa.string()),
            ("phone", pa.string()),
            ("phone7", pa.string()),
            ("address", pa.string()),
            ("locality", pa.string()),
            ("postcode", pa.string()),
            ("identifier", pa.string()),
        ]
    )
    return pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema=schema)


def _linkage_tables(
    records: Iterable[Mapping[str, Any]],
    other: Iterable[Mapping[str, Any]] | None,
    today: dt.date | None,
) -> tuple[list[list[Row]], str] | None:
    """The prepared tables and Splink link type for a dedupe (no `other`) or a link, or None
    when there is nothing to compare. Shared by the DuckDB and Spark backends."""
    left = _prepare_all(records, today)
    if other is None:
        tables, link_type = [left], "dedupe_only"
    else:
        tables, link_type = [left, _prepare_all(other, today)], "link_only"
    if any(len(t) == 0 for t in tables) or (other is None and len(left) < 2):
        return None
    return tables, link_type


def _prepare_all(records: Iterable[Mapping[str, Any]], today: dt.date | None) -> list[Row]:
    rows = []
    for raw in records:
        row = prepare_record(raw, today=today)
        if row is not None:
            rows.append(row)
    return rows


def _apply_priors(settings: dict[str, Any]) -> None:
    for comp in settings["comparisons"]:
        for lv in comp["comparison_levels"]:
            m, u = LEVEL_PRIORS.get(
                (comp["output_column_name"], lv["label_for_charts"]), (None, None)
            )
            if m is not None:
                lv["m_probability"] = m
            if u is not None:
                lv["u_probability"] = u


def _floor_m(settings: dict[str, Any], floor: float) -> None:
    """Raise every m below `floor` to it, then renormalise each comparison's m to sum to 1."""
    for comp in settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for lv in levels:
            lv["m_probability"] = max(float(lv["m_probability"]), floor)
        total = sum(lv["m_probability"] for lv in levels)
        for lv in levels:
            lv["m_probability"] /= total


def _cap_at_exact(settings: dict[str, Any]) -> None:
    """Every level weighs at least one bit less than the first (full agreement) level of its
    comparison.

    EM may find that a rare disagreement (names swapped, an address abbreviated, a postcode
    agreeing where the locality does not) is rarer still among random pairs, and weigh it above
    full agreement; then a swapped record would outrank an identical one. Such a level's m is
    lowered to give half the first level's Bayes factor, and what is taken off goes to the
    comparison's "else" level, so each comparison's m still sum to 1."""
    for comp in settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        full, other = levels[0], levels[-1]
        if other["label_for_charts"] != "else" or len(levels) < 3:
            continue
        cap = full["m_probability"] / full["u_probability"] / 2
        for lv in levels[1:-1]:
            if lv["m_probability"] / lv["u_probability"] > cap:
                lowered = lv["u_probability"] * cap
                other["m_probability"] += lv["m_probability"] - lowered
                lv["m_probability"] = lowered


def _fill_untrained(settings: dict[str, Any]) -> None:
    """A level that training never saw keeps a neutral weight (m = u) rather than none."""
    for comp in settings["comparisons"]:
        for lv in comp["comparison_levels"]:
            if lv.get("is_null_level"):
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if m is None and u is None:
                lv["m_probability"] = lv["u_probability"] = 0.5
            elif m is None:
                lv["m_probability"] = u
            elif u is None:
                lv["u_probability"] = m


def train(
    records: Iterable[Mapping[str, Any]],
    *,
    version: str,
    trained_on: str = "",
    seed: int = 42,
    recall: float = 0.7,
    thresholds: Thresholds | None = None,
    today: dt.date | None = None,
    priors: bool = True,
) -> LinkageModel:
    """Train a model on unlabelled records: the chance two random records match from
    deterministic rules, u by random sampling, m by expectation-maximisation over several
    blocking passes. With `priors`, the levels in LEVEL_PRIORS then take their hand-set values;
    finally no m is left below MIN_M_PROBABILITY and no level outweighs exact agreement
    (`_cap_at_exact`). The model remembers how many records it was
    trained on, so that its prior can be scaled to the size of the data it links."""
    rows = _prepare_all(records, today)
    if len(rows) < 50:
        raise ModelError(f"Training needs at least 50 linkable records (got {len(rows)}).")
    settings = base_settings("dedupe_only")
    linker = _linker([rows], settings)
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in TRAINING_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    out = linker.misc.save_model_to_json()
    out.pop("linker_uid", None)
    _fill_untrained(out)
    if priors:
        _apply_priors(out)
    _floor_m(out, MIN_M_PROBABILITY)
    _cap_at_exact(out)
    return LinkageModel(
        version=version,
        settings=out,
        thresholds=thresholds or Thresholds(),
        trained_on=trained_on,
        trained_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        trained_records=len(rows),
    )


def predict(
    model: LinkageModel,
    records: Sequence[Mapping[str, Any]],
    other: Sequence[Mapping[str, Any]] | None = None,
    *,
    min_probability: float = 0.01,
    prior: float | None = None,
    today: dt.date | None = None,
    blocking_rules: Sequence[str] | None = None,
) -> list[ScoredPair]:
    """Scored pairs above `min_probability`: within `records` (dedupe), or between `records`
    and `other` (link). Blank records are dropped before linkage and so never appear.
    `blocking_rules` replaces the model's own (e.g. SCALE_BLOCKING_RULES for large runs).
    Without `prior`, the model's prior is scaled to the number of records (`prior_for`; for a
    link, the larger side)."""
    prepared = _linkage_tables(records, other, today)
    if prepared is None:
        return []
    tables, link_type = prepared
    if prior is None:
        prior = model.prior_for(max(len(t) for t in tables))
    settings = model.for_link_type(link_type, prior)
    if blocking_rules is not None:
        settings["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in blocking_rules
        ]
    linker = _linker(tables, settings)
    df = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    rel = df.as_duckdbpyrelation().select(
        "unique_id_l, unique_id_r, match_weight, match_probability"
    )
    pairs = [ScoredPair(str(a), str(b), float(w), float(p)) for a, b, w, p in rel.fetchall()]
    df.drop_table_from_database_and_remove_from_cache()
    return pairs


def outcomes(
    pairs: Iterable[ScoredPair], thresholds: Thresholds
) -> dict[Outcome, list[ScoredPair]]:
    out: dict[Outcome, list[ScoredPair]] = {o: [] for o in Outcome}
    for p in pairs:
        out[classify(p.probability, thresholds)].append(p)
    return out


def cluster(ids: Iterable[str], pairs: Iterable[ScoredPair], threshold: float) -> dict[str, str]:
    """Connected components of the pairs at or above `threshold`: id -> cluster id (the
    smallest member id). Ids in no such pair are clusters of one."""
    parent: dict[str, str] = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p.probability >= threshold and p.id_l in parent and p.id_r in parent:
            a, b = find(p.id_l), find(p.id_r)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {i: find(i) for i in parent}


# --------------------------------------------------------------------------- accuracy


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def pairs_from_clusters(labels: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Every pair of ids sharing a cluster label."""
    groups: dict[Any, list[str]] = {}
    for uid, label in labels.items():
        groups.setdefault(label, []).append(uid)
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.add((a, b))
    return out


@dataclass(frozen=True)
class Metrics:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positives + self.false_negatives
        return self.true_positives / real if real else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def pairwise_metrics(predicted: Iterable[tuple[str, str]], truth: set[tuple[str, str]]) -> Metrics:
    found = {pair_key(a, b) for a, b in predicted}
    tp = len(found & truth)
    return Metrics(tp, len(found) - tp, len(truth) - tp)
