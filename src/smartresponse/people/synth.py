"""Synthetic person records with known truth, for linkage accuracy and scale tests.

Pure Python (no Django), deterministic for a given seed. Each synthetic person gets one or more
records (a cluster); every record carries the person's `cluster` id as the truth, and the list of
corruptions applied to it in `corruptions`. The corruptions are the ones crisis-response data
shows:

- typos in names (a letter inserted, deleted, substituted, or two letters transposed);
- nicknames and short forms of the given name, from the nickname table the linkage model uses
  (`people/data/nicknames.csv`), English and Spanish (Bill for William, Pepe for José);
- given and family names swapped, one of two Spanish family names dropped, a bare initial;
- missing dates of birth, day and month transposed, a year off by one, year only, month and
  year only, or an estimated age ("~40") in place of a date;
- phone numbers missing, changed, or written in different formats;
- shared addresses at named shelters and camps, "unhoused" locations, moves between them;
- an HMIS client identifier on some records of people seen at shelters, sometimes mistyped.

Names come from `people/data/given_names.csv` and `family_names.csv` (common US given and
family names, English and Spanish, with their relative frequencies; no personal data).

The records have the raw columns `linkage.prepare_record` reads (unique_id, given_name,
family_name, dob, sex, phone, address, locality, postcode, identifier) plus `cluster` and
`corruptions`, so `datasets.load_labelled_csv` reads a written CSV as a labelled set.

    python -m smartresponse.people.synth --records 1000000 --out people.parquet
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from .linkage import fold, nicknames, pair_key

PACKAGE_DIR = Path(__file__).resolve().parent
GIVEN_NAMES_CSV = PACKAGE_DIR / "data" / "given_names.csv"
FAMILY_NAMES_CSV = PACKAGE_DIR / "data" / "family_names.csv"

# The reference date: estimated ages are worked out from it. Pass the same date as `today` to
# the linkage functions when linking generated records.
REFERENCE_DATE = dt.date(2025, 6, 1)
DEFAULT_SEED = 20250601

COLUMNS = (
    "unique_id",
    "cluster",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "phone",
    "address",
    "locality",
    "postcode",
    "identifier",
    "corruptions",
)

SynthRecord = dict[str, str]


@dataclass(frozen=True)
class Rates:
    """Probabilities of each corruption, per record (each record is corrupted independently)."""

    given_typo: float = 0.08
    family_typo: float = 0.08
    nickname: float = 0.12
    initial: float = 0.01
    swapped: float = 0.03
    drop_second_family: float = 0.35  # of records of people with two family names
    given_missing: float = 0.01
    family_missing: float = 0.02
    dob_missing: float = 0.08
    dob_transposed: float = 0.03
    dob_year_off: float = 0.03
    dob_year_only: float = 0.04
    dob_month_year: float = 0.02
    dob_estimated: float = 0.05
    phone_missing: float = 0.35  # of records of people who have a phone
    phone_changed: float = 0.10
    address_typo: float = 0.05
    moved: float = 0.12
    sex_missing: float = 0.10
    identifier_typo: float = 0.02


# Records per person: 1 to 8, mean about 1.9.
CLUSTER_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
CLUSTER_WEIGHTS = (0.52, 0.2, 0.11, 0.07, 0.04, 0.03, 0.02, 0.01)

LOCALITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Springfield", ("05150", "05151", "05152", "05156")),
    ("Riverside", ("05201", "05202", "05203")),
    ("Fairview", ("05210", "05211")),
    ("Franklin", ("05220", "05221", "05222")),
    ("Greenville", ("05230", "05231")),
    ("Madison", ("05240", "05241", "05242", "05243")),
    ("Clinton", ("05250",)),
    ("Salem", ("05260", "05261")),
    ("Georgetown", ("05270", "05271")),
    ("Arlington", ("05280", "05281", "05282")),
    ("Ashland", ("05290",)),
    ("Burlington", ("05401", "05402", "05403", "05405", "05406")),
    ("Milford", ("05410", "05411")),
    ("Oakdale", ("05420",)),
    ("Lakewood", ("05430", "05431", "05432")),
    ("Centerville", ("05440", "05441")),
    ("Bristol", ("05450", "05451")),
    ("Dover", ("05460",)),
    ("Manchester", ("05470", "05471", "05472")),
    ("Newport", ("05480", "05481")),
    ("Kingston", ("05490",)),
    ("Marion", ("05501", "05502")),
    ("Winchester", ("05510", "05511")),
    ("Hudson", ("05520",)),
    ("Chester", ("05530", "05531")),
    ("San Marcos", ("05540", "05541")),
    ("Las Palmas", ("05550",)),
    ("Santa Rosa", ("05560", "05561")),
    ("Portland", ("05601", "05602", "05603", "05604")),
    ("Westfield", ("05610", "05611")),
)

STREETS = (
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Walnut",
    "Church",
    "High",
    "Mill",
    "River",
    "Spring",
    "Center",
    "Union",
    "Water",
    "Chestnut",
    "Franklin",
    "Jefferson",
    "Lincoln",
    "Madison",
    "Jackson",
    "Adams",
    "Highland",
    "Prospect",
    "Willow",
    "Sunset",
    "Ridge",
    "Meadow",
    "Forest",
    "Valley",
    "Railroad",
    "School",
    "Market",
    "Broad",
    "Front",
    "Bridge",
    "North",
    "South",
    "Elmwood",
    "Cherry",
    "Dogwood",
    "Hickory",
    "Laurel",
    "Magnolia",
    "Sycamore",
    "Birch",
    "Poplar",
    "Vine",
    "Grove",
    "Orchard",
    "Mesa",
    "Alameda",
    "Camino Real",
    "Del Rio",
    "Los Robles",
    "Las Flores",
)
SUFFIXES = (("Street", "St"), ("Avenue", "Ave"), ("Road", "Rd"), ("Drive", "Dr"),
            ("Lane", "Ln"), ("Court", "Ct"), ("Boulevard", "Blvd"), ("Way", "Way"))  # fmt: skip

# Named shelters and camps: (name, address, locality index).
SHELTERS: tuple[tuple[str, str, int], ...] = (
    ("Hope House Shelter", "12 Church Street", 0),
    ("Harbor Light Center", "400 Water Street", 0),
    ("Safe Haven Family Shelter", "77 Elm Street", 1),
    ("St. Vincent Shelter", "225 Main Street", 3),
    ("Riverside Mission", "9 River Road", 1),
    ("New Beginnings House", "310 Union Avenue", 5),
    ("Good Samaritan Shelter", "58 High Street", 11),
    ("Casa de Esperanza", "140 Alameda Avenue", 25),
    ("Open Door Mission", "601 Market Street", 11),
    ("Salvation Army Lodge", "18 Front Street", 28),
    ("Warming Center", "5 School Street", 14),
    ("Youth Outreach House", "233 Spring Street", 28),
    ("Veterans Transitional House", "92 Park Avenue", 19),
    ("Women's Safe House", "41 Laurel Lane", 5),
    ("Albergue San Jose", "15 Camino Real", 27),
    ("Lighthouse Shelter", "820 Bridge Street", 22),
)
CAMPS: tuple[tuple[str, str, int], ...] = (
    ("Riverbank camp", "Riverbank camp, behind 100 River Road", 1),
    ("Overpass camp", "Route 2 overpass camp", 0),
    ("Tent city", "Tent city, Railroad Street lot", 11),
    ("Woods camp", "Camp in the woods off Forest Drive", 28),
    ("Lakeside encampment", "Lakeside encampment", 14),
)
UNHOUSED = (
    "Unhoused",
    "No fixed address",
    "Homeless",
    "Lives in car",
    "Sin domicilio fijo",
    "Transient",
    "Street homeless, Main Street",
    "City Park",
)
AREA_CODES = ("802", "603", "518", "413", "207", "617")

# Accented spellings used on some records of Spanish names.
ACCENTED = {
    "jose": "José", "maria": "María", "jesus": "Jesús", "ramon": "Ramón", "raul": "Raúl",
    "hector": "Héctor", "oscar": "Óscar", "andres": "Andrés", "angel": "Ángel",
    "ruben": "Rubén", "sofia": "Sofía", "lucia": "Lucía", "rocio": "Rocío", "monica": "Mónica",
    "hernandez": "Hernández", "lopez": "López", "gonzalez": "González", "perez": "Pérez",
    "sanchez": "Sánchez", "ramirez": "Ramírez", "martinez": "Martínez", "rodriguez": "Rodríguez",
    "gomez": "Gómez", "diaz": "Díaz", "jimenez": "Jiménez", "alvarez": "Álvarez",
    "gutierrez": "Gutiérrez", "fernandez": "Fernández", "mendez": "Méndez", "pena": "Peña",
    "rios": "Ríos", "nunez": "Núñez", "dominguez": "Domínguez", "marquez": "Márquez",
    "juarez": "Juárez", "velasquez": "Velásquez", "duran": "Durán", "calderon": "Calderón",
    "galvan": "Galván",
}  # fmt: skip


@dataclass(frozen=True)
class _Name:
    text: str
    sex: str
    origin: str


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


Weighted = tuple[tuple[str, ...], tuple[float, ...]]


def _weighted(rows: Iterable[tuple[str, float]]) -> Weighted:
    names, weights = zip(*rows, strict=True)
    return tuple(names), tuple(weights)


@cache
def given_names() -> dict[tuple[str, str], Weighted]:
    """(sex, origin) -> given names and their relative frequencies."""
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in _read_csv(GIVEN_NAMES_CSV):
        out.setdefault((row["sex"], row["origin"]), []).append((row["name"], float(row["weight"])))
    return {k: _weighted(v) for k, v in out.items()}


@cache
def family_names() -> dict[str, Weighted]:
    """origin -> family names and their relative frequencies."""
    out: dict[str, list[tuple[str, float]]] = {}
    for row in _read_csv(FAMILY_NAMES_CSV):
        out.setdefault(row["origin"], []).append((row["name"], float(row["weight"])))
    return {k: _weighted(v) for k, v in out.items()}


@cache
def nickname_variants() -> dict[str, tuple[str, ...]]:
    """Folded given name -> the other names of its nickname group (the shipped table)."""
    groups: dict[str, list[str]] = {}
    for variant, canonical in sorted(nicknames().items()):
        groups.setdefault(canonical, []).append(variant)
    out: dict[str, tuple[str, ...]] = {}
    for members in groups.values():
        for name in members:
            others = tuple(m for m in members if m != name)
            if others:
                out[name] = others
    return out


# --------------------------------------------------------------------------- corruptions

_LETTERS = string.ascii_lowercase


def typo(rng: random.Random, text: str) -> str:
    """One keyboard-style error: a letter inserted, deleted, substituted, or two transposed.
    The first letter is kept (an error there is rarer, and it keeps the example readable)."""
    if len(text) < 3:
        return text + rng.choice(_LETTERS)
    kind = rng.randrange(4)
    i = rng.randrange(1, len(text) - 1)
    if kind == 0:  # insert
        return text[:i] + rng.choice(_LETTERS) + text[i:]
    if kind == 1:  # delete
        return text[:i] + text[i + 1 :]
    if kind == 2:  # substitute
        c = rng.choice(_LETTERS.replace(text[i].lower(), ""))
        return text[:i] + c + text[i + 1 :]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transpose


def _title(name: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in name.split(" "))


@dataclass
class _Person:
    cluster: str
    given: str
    family: tuple[str, ...]
    sex: str
    origin: str
    dob: dt.date
    phone: str
    housing: str  # housed, shelter, camp, unhoused
    address: str
    locality: str
    postcode: str
    hmis: str


class Generator:
    """Draws people, then records of them. Use `generate` for the usual case."""

    def __init__(
        self, seed: int = DEFAULT_SEED, *, today: dt.date = REFERENCE_DATE, rates: Rates = Rates()
    ) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.rates = rates
        self._given = {k: (names, list(accumulate(w))) for k, (names, w) in given_names().items()}
        self._family = {k: (names, list(accumulate(w))) for k, (names, w) in family_names().items()}
        self._next_record = 0

    # people -----------------------------------------------------------------------

    def _pick(self, table: tuple[Sequence[str], list[float]]) -> str:
        return self.rng.choices(table[0], cum_weights=table[1])[0]

    def _street_address(self) -> str:
        rng = self.rng
        suffix = rng.choice(SUFFIXES)[0]
        return f"{rng.randint(1, 2999)} {rng.choice(STREETS)} {suffix}"

    def _place(self) -> tuple[str, str, str, str]:
        """housing, address, locality, postcode."""
        rng = self.rng
        r = rng.random()
        if r < 0.10:
            name, address, loc = rng.choice(SHELTERS)
            locality, codes = LOCALITIES[loc]
            return "shelter", address, locality, codes[0]
        if r < 0.14:
            name, address, loc = rng.choice(CAMPS)
            locality, codes = LOCALITIES[loc]
            return "camp", address, locality, ""
        if r < 0.19:
            locality, codes = rng.choice(LOCALITIES)
            return "unhoused", rng.choice(UNHOUSED), locality, ""
        locality, codes = rng.choice(LOCALITIES)
        return "housed", self._street_address(), locality, rng.choice(codes)

    def _phone(self) -> str:
        rng = self.rng
        return f"{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"

    def person(self, cluster: str) -> _Person:
        rng = self.rng
        origin = "es" if rng.random() < 0.3 else "en"
        sex = "f" if rng.random() < 0.48 else "m"
        given = self._pick(self._given[(sex, origin)])
        family: tuple[str, ...] = (self._pick(self._family[origin]),)
        if origin == "es" and rng.random() < 0.35:
            family += (self._pick(self._family["es"]),)
        elif origin == "en" and rng.random() < 0.05:
            family += (self._pick(self._family[rng.choice(("en", "es"))]),)
        age_days = rng.randint(16 * 365, 88 * 365)
        dob = self.today - dt.timedelta(days=age_days)
        housing, address, locality, postcode = self._place()
        phone = self._phone() if rng.random() < 0.65 else ""
        unhoused = housing != "housed" or rng.random() < 0.1
        hmis = f"{rng.randint(0, 9999999):07d}" if unhoused and rng.random() < 0.7 else ""
        return _Person(
            cluster, given, family, sex, origin, dob, phone, housing, address, locality,
            postcode, hmis,
        )  # fmt: skip

    # records ----------------------------------------------------------------------

    def _render_name(self, name: str, origin: str) -> str:
        if origin == "es":
            accented = ACCENTED.get(name.lower())
            if accented and self.rng.random() < 0.5:
                return accented
        return name

    def _dob_text(self, dob: dt.date, done: list[str]) -> str:
        rng, rates = self.rng, self.rates
        r = rng.random()
        y, m, d = dob.year, dob.month, dob.day
        edges = (
            rates.dob_missing,
            rates.dob_transposed,
            rates.dob_year_off,
            rates.dob_year_only,
            rates.dob_month_year,
            rates.dob_estimated,
        )
        kind, cut = -1, 0.0
        for i, p in enumerate(edges):
            cut += p
            if r < cut:
                kind = i
                break
        if kind == 0:
            done.append("dob_missing")
            return ""
        if kind == 1 and d <= 12 and d != m:
            done.append("dob_transposed")
            m, d = d, m
        elif kind == 2:
            done.append("dob_year_off")
            y += rng.choice((-1, 1))
            if m == 2 and d == 29:
                d = 28
        elif kind == 3:
            done.append("dob_year_only")
            return f"{y}"
        elif kind == 4:
            done.append("dob_month_year")
            return f"{m}/{y}"
        elif kind == 5:
            done.append("dob_estimated")
            age = (self.today - dob).days // 365 + rng.randint(-2, 2)
            return rng.choice(("~{}", "about {}", "{}?", "age {}")).format(age)
        if rng.random() < 0.5:
            return f"{y:04d}-{m:02d}-{d:02d}"
        return f"{m}/{d}/{y}"

    def _phone_text(self, p: _Person, done: list[str]) -> str:
        rng, rates = self.rng, self.rates
        if not p.phone:
            return ""
        if rng.random() < rates.phone_missing:
            done.append("phone_missing")
            return ""
        phone = p.phone
        if rng.random() < rates.phone_changed:
            done.append("phone_changed")
            phone = self._phone()
        a, b, c = phone[:3], phone[3:6], phone[6:]
        return rng.choice((f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}{b}{c}", f"+1 {a} {b} {c}"))

    def record(self, p: _Person) -> SynthRecord:
        rng, rates = self.rng, self.rates
        done: list[str] = []
        given = p.given
        key = fold(given)
        variants = nickname_variants().get(key)
        if variants and rng.random() < rates.nickname:
            done.append("nickname")
            given = _title(rng.choice(variants))
        else:
            given = self._render_name(given, p.origin)
        if rng.random() < rates.given_typo:
            done.append("given_typo")
            given = typo(rng, given)
        family_parts = [self._render_name(f, p.origin) for f in p.family]
        if len(family_parts) > 1 and rng.random() < rates.drop_second_family:
            done.append("second_family_dropped")
            family_parts = family_parts[:1]
        family = " ".join(family_parts)
        if len(family_parts) > 1 and rng.random() < 0.3:
            family = "-".join(family_parts)
        if rng.random() < rates.family_typo:
            done.append("family_typo")
            family = typo(rng, family)
        if rng.random() < rates.initial:
            done.append("initial")
            given = given[:1]
        if rng.random() < rates.swapped:
            done.append("swapped")
            given, family = family, given
        if rng.random() < rates.given_missing:
            done.append("given_missing")
            given = ""
        if rng.random() < rates.family_missing:
            done.append("family_missing")
            family = ""
        dob = self._dob_text(p.dob, done)
        phone = self._phone_text(p, done)
        address, locality, postcode = p.address, p.locality, p.postcode
        if rng.random() < rates.moved:
            done.append("moved")
            _, address, locality, postcode = self._place()
        elif p.housing == "housed" and rng.random() < 0.2:
            for long_, short in SUFFIXES:
                if address.endswith(" " + long_):
                    address = address[: -len(long_)] + short
                    break
        if address and rng.random() < rates.address_typo:
            done.append("address_typo")
            address = typo(rng, address)
        if p.housing in ("camp", "unhoused") and rng.random() < 0.3:
            address = rng.choice(UNHOUSED)
        sex = p.sex
        if rng.random() < rates.sex_missing:
            done.append("sex_missing")
            sex = ""
        elif rng.random() < 0.5:
            sex = {"m": "male", "f": "female"}[sex]
        identifier = ""
        if p.hmis and rng.random() < 0.5:
            identifier = p.hmis
            if rng.random() < rates.identifier_typo:
                done.append("identifier_typo")
                i = rng.randrange(len(identifier))
                identifier = identifier[:i] + str(rng.randrange(10)) + identifier[i + 1 :]
        uid = f"r{self._next_record:07d}"
        self._next_record += 1
        return {
            "unique_id": uid,
            "cluster": p.cluster,
            "given_name": given,
            "family_name": family,
            "dob": dob,
            "sex": sex,
            "phone": phone,
            "address": address,
            "locality": locality,
            "postcode": postcode,
            "identifier": identifier,
            "corruptions": ";".join(done),
        }

    def records(self, n: int) -> list[SynthRecord]:
        """`n` records of people with 1 to 8 records each, in a shuffled order."""
        out: list[SynthRecord] = []
        person_no = 0
        while len(out) < n:
            size = self.rng.choices(CLUSTER_SIZES, weights=CLUSTER_WEIGHTS)[0]
            p = self.person(f"p{person_no:07d}")
            person_no += 1
            for _ in range(min(size, n - len(out))):
                out.append(self.record(p))
        self.rng.shuffle(out)
        return out


def generate(
    n: int, *, seed: int = DEFAULT_SEED, today: dt.date = REFERENCE_DATE, rates: Rates = Rates()
) -> list[SynthRecord]:
    """`n` synthetic person records with truth (`cluster`), the same for the same seed."""
    if n < 0:
        raise ValueError("The number of records cannot be negative.")
    return Generator(seed, today=today, rates=rates).records(n)


def truth_pairs(records: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """Every pair of record ids of the same person (ordered as `linkage.pair_key`)."""
    groups: dict[str, list[str]] = {}
    for r in records:
        groups.setdefault(str(r["cluster"]), []).append(str(r["unique_id"]))
    out: set[tuple[str, str]] = set()
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.add(pair_key(a, b))
    return out


def truth_pair_count(records: Iterable[Mapping[str, Any]]) -> int:
    sizes: dict[str, int] = {}
    for r in records:
        sizes[str(r["cluster"])] = sizes.get(str(r["cluster"]), 0) + 1
    return sum(k * (k - 1) // 2 for k in sizes.values())


def to_arrow(records: Sequence[Mapping[str, Any]]) -> Any:
    """The records as a pyarrow Table of string columns (COLUMNS)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    return pa.table({c: pa.array([r[c] for r in records], pa.string()) for c in COLUMNS})


def write(records: Sequence[Mapping[str, Any]], path: str | Path) -> None:
    """Write CSV, or Parquet when the name ends in .parquet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        pq.write_table(to_arrow(records), path)
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)


def read(path: str | Path) -> list[SynthRecord]:
    """Records written by `write` (CSV or Parquet)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        cols = {c: table.column(c).to_pylist() for c in COLUMNS}
        return [{c: cols[c][i] or "" for c in COLUMNS} for i in range(table.num_rows)]
    with path.open(newline="", encoding="utf-8") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smartresponse.people.synth",
        description="Write synthetic person records with truth (cluster) and corruptions.",
    )
    parser.add_argument("--records", type=int, required=True, help="number of records")
    parser.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    records = generate(args.records, seed=args.seed)
    write(records, args.out)
    people = len({r["cluster"] for r in records})
    print(
        f"{len(records)} records of {people} people, {truth_pair_count(records)} true pairs "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
