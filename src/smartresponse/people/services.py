"""Writes on the person index: validate, save, audit, in one transaction each."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .linkage import (
    DobPrecision,
    PartialDate,
    is_blank,
    normalise_identifier,
    normalise_phone,
    parse_dob,
)
from .models import LocationKind, PersonRecord, SourceKind

IMPORT_COLUMNS = (
    "given_name",
    "family_name",
    "aliases",
    "dob",
    "sex",
    "language",
    "phone",
    "address",
    "locality",
    "postcode",
    "location_kind",
    "identifier",
    "source_id",
)
MAX_LENGTH = {
    f.name: f.max_length
    for f in PersonRecord._meta.get_fields()
    if getattr(f, "max_length", None) and f.name in IMPORT_COLUMNS
}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line number in the file (the header is line 1)
    column: str  # "" for the row as a whole
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    rejected: list[RowProblem] = field(default_factory=list)  # rows not loaded, with why
    skipped_blank: list[int] = field(default_factory=list)  # rows with nothing in them

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({p.row for p in self.rejected})


class ImportFileError(ValueError):
    """The file as a whole cannot be read (no header, no known column)."""


def _row_to_record(
    agency: Agency, values: dict[str, str], line: int, source_name: str, user: Any
) -> tuple[PersonRecord | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def bad(column: str, message: str) -> None:
        problems.append(RowProblem(line, column, message))

    for column, limit in MAX_LENGTH.items():
        if len(values.get(column, "")) > limit:
            bad(column, f"longer than {limit} characters")
    dob: PartialDate | None = None
    try:
        dob = parse_dob(values.get("dob"))
    except ValueError as exc:
        bad("dob", str(exc))
    phone = normalise_phone(values.get("phone"))
    if values.get("phone") and not phone:
        bad("phone", f"not a phone number: {values['phone']!r} (at least 7 digits)")
    kind = values.get("location_kind", "").lower() or LocationKind.UNKNOWN
    if kind not in LocationKind.values:
        bad("location_kind", f"unknown kind {kind!r}; use one of: {', '.join(LocationKind.values)}")
    if problems:
        return None, problems
    aliases = [a.strip() for a in values.get("aliases", "").split(";") if a.strip()]
    record = PersonRecord(
        agency=agency,
        given_name=values.get("given_name", ""),
        family_name=values.get("family_name", ""),
        aliases=aliases,
        dob=dob.as_date() if dob else None,
        dob_precision=dob.precision.value if dob else "",
        estimated_age_years=dob.estimated_age
        if dob and dob.precision is DobPrecision.ESTIMATED
        else None,
        sex=values.get("sex", ""),
        language=values.get("language", ""),
        phone=phone,
        address=values.get("address", ""),
        locality=values.get("locality", ""),
        postcode=values.get("postcode", ""),
        location_kind=kind,
        identifier=normalise_identifier(values.get("identifier")),
        source_kind=SourceKind.IMPORT,
        source_id=values.get("source_id") or f"{source_name}:{line}",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return record, []


def import_person_records(
    agency: Agency, text: str, *, user: Any = None, source_name: str = "import"
) -> ImportResult:
    """Load the valid rows of a CSV of person records in one transaction; report the others
    by row and column. A row with nothing to identify a person (all blank, or no name, date
    of birth, phone, address or identifier) is skipped and reported: it is never linked."""
    if user is not None:
        require(user, Cap.PERSON_LINK)
        if user.agency_id != agency.pk:
            raise PermissionError("You may import only into your own agency.")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty: no header row.") from None
    known = [h for h in header if h in IMPORT_COLUMNS]
    if not known:
        raise ImportFileError(
            f"No known column in the header; expected some of: {', '.join(IMPORT_COLUMNS)}."
        )
    result = ImportResult()
    records: list[PersonRecord] = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) > len(header):
            result.rejected.append(
                RowProblem(line, "", f"{len(cells)} cells for {len(header)} columns")
            )
            continue
        values = {h: c.strip() for h, c in zip(header, cells, strict=False) if h in IMPORT_COLUMNS}
        if all(not v for v in values.values()):
            result.skipped_blank.append(line)
            continue
        record, problems = _row_to_record(agency, values, line, source_name, user)
        if problems:
            result.rejected.extend(problems)
            continue
        assert record is not None
        if is_blank(record.as_linkage_record()):
            result.rejected.append(
                RowProblem(
                    line,
                    "",
                    "nothing to identify the person (no name, date of birth, phone, address "
                    "or identifier): not loaded",
                )
            )
            continue
        records.append(record)
    with transaction.atomic():
        PersonRecord.objects.bulk_create(records, batch_size=500)
        result.created = len(records)
        audit_record(
            user=user,
            action="person.import",
            agency_id=agency.pk,
            detail={
                "source": source_name,
                "created": result.created,
                "rejected_rows": len(result.rejected_rows),
                "blank_rows": len(result.skipped_blank),
            },
        )
    return result
