"""Writes on the person index: validate, save, audit, in one transaction each."""

from __future__ import annotations

import csv
import io
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import can, require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record

from .keys import KEY_FIELDS, record_keys, stored_record
from .linkage import (
    DobPrecision,
    PartialDate,
    is_blank,
    normalise_identifier,
    normalise_phone,
    parse_dob,
)
from .models import (
    LinkDecision,
    LinkRun,
    LinkRunStatus,
    LinkSettings,
    LocationKind,
    Person,
    PersonRecord,
    PersonRecordKey,
    ReviewItem,
    ReviewStatus,
    SourceKind,
)

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
        index_records(records, fresh=True)
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


# --------------------------------------------------------------------------- search keys

KEY_BATCH = 5000


def index_records(records: Iterable[PersonRecord], *, fresh: bool = False) -> int:
    """Write the search keys (`people/keys.py`) of saved person records, replacing any they
    had; `fresh` skips the removal for records just created. Every write that creates
    records or changes their names, aliases, date of birth, phone, address or identifier
    goes through here (`PersonRecord.save` calls it). Returns the number of keys written."""
    records = list(records)
    rows = [
        PersonRecordKey(agency_id=r.agency_id, record_id=r.pk, key=k)
        for r in records
        for k in sorted(record_keys(r.as_linkage_record() | {"aliases": r.aliases}))
    ]
    with transaction.atomic():
        if not fresh:
            PersonRecordKey.objects.filter(record_id__in=[r.pk for r in records]).delete()
        PersonRecordKey.objects.bulk_create(rows, batch_size=KEY_BATCH)
    return len(rows)


def reindex_records(
    agency: Agency | None = None, *, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Rebuild the search keys of every person record (of one agency, or of all), in one
    transaction: a search sees the old keys or the new ones, never half. `progress` is told
    how many records each batch held. Returns (records, keys)."""
    records = PersonRecord.objects.all()
    if agency is not None:
        records = records.filter(agency=agency)
    fields = ("id", "agency_id", *KEY_FIELDS)
    done = written = 0
    with transaction.atomic():
        stale = PersonRecordKey.objects.all()
        if agency is not None:
            stale = stale.filter(agency=agency)
        stale.delete()
        last = 0
        while True:
            batch = list(records.filter(pk__gt=last).order_by("pk").values(*fields)[:KEY_BATCH])
            if not batch:
                break
            last = batch[-1]["id"]
            rows = [
                PersonRecordKey(agency_id=values["agency_id"], record_id=values["id"], key=k)
                for values in batch
                for k in sorted(record_keys(stored_record(values)))
            ]
            PersonRecordKey.objects.bulk_create(rows, batch_size=KEY_BATCH)
            done += len(batch)
            written += len(rows)
            if progress is not None:
                progress(len(batch))
        audit_record(
            user=None,
            action="person.reindex",
            agency_id=agency.pk if agency is not None else None,
            detail={"records": done, "keys": written},
        )
    return done, written


# --------------------------------------------------------------------------- decisions


class MergeRefused(ValueError):
    """A merge or a confirmation that would join people a person has marked as different."""


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def latest_decisions(agency_id: int) -> dict[tuple[int, int], bool]:
    """The latest human judgement on each pair of records: True same, False different."""
    out: dict[tuple[int, int], bool] = {}
    rows = (
        LinkDecision.objects.for_agency(agency_id)
        .order_by("decided_at", "pk")
        .values_list("record_a_id", "record_b_id", "same")
    )
    for a, b, same in rows:
        out[_ordered(a, b)] = same
    return out


def _record_decision(
    user: Any,
    a: PersonRecord,
    b: PersonRecord,
    same: bool,
    *,
    probability: float | None = None,
    model_version: str = "",
    note: str = "",
) -> LinkDecision:
    lo, hi = (a, b) if a.pk < b.pk else (b, a)
    return LinkDecision.objects.create(
        agency_id=a.agency_id,
        record_a=lo,
        record_b=hi,
        same=same,
        match_probability=probability,
        model_version=model_version,
        note=note[:255],
        decided_by=user,
    )


def _different_pairs(agency_id: int, left: Iterable[int], right: Iterable[int]) -> list[tuple]:
    """Pairs across the two sets of record ids that a person has marked as different."""
    left, right = set(left), set(right)
    return [
        pair
        for pair, same in latest_decisions(agency_id).items()
        if not same
        and ((pair[0] in left and pair[1] in right) or (pair[0] in right and pair[1] in left))
    ]


def _check_agency(user: Any, obj: Any) -> None:
    if obj.agency_id != user.agency_id:
        raise PermissionError("Not a record of your agency.")


def _move_person_links(source: Person, target: Person) -> dict[str, int]:
    """Point everything else that names `source` (cases, consents, referrals, disclosures,
    follow-ups: any model with a foreign key to Person other than its records) at `target`.
    Returns how many rows of each model moved."""
    moved: dict[str, int] = {}
    for rel in Person._meta.related_objects:
        if not rel.one_to_many or rel.related_model is PersonRecord:
            continue
        n = rel.related_model._default_manager.filter(**{rel.field.name: source}).update(
            **{rel.field.name: target}
        )
        if n:
            moved[rel.related_model._meta.label_lower] = n
    return moved


def _both_followed(a: Person, b: Person) -> bool:
    from smartresponse.cases.selectors import persons_with_case_manager

    return len(persons_with_case_manager([a.pk, b.pk])) == 2


def person_merge(*, user: Any, target: Person, source: Person, note: str = "") -> Person:
    """Move every record of `source` into `target` (no record is deleted), remember the
    judgement so later runs keep them together, and audit. Refused when a person has marked
    any record of one as a different person from any record of the other."""
    require(user, Cap.PERSON_LINK)
    _check_agency(user, target)
    _check_agency(user, source)
    if target.pk == source.pk:
        raise MergeRefused(gettext("That is the same person already."))
    with transaction.atomic():
        t_ids = list(target.records.values_list("pk", flat=True))
        s_ids = list(source.records.values_list("pk", flat=True))
        if not t_ids or not s_ids:
            raise MergeRefused(gettext("A person without records cannot be merged."))
        conflicts = _different_pairs(target.agency_id, t_ids, s_ids)
        if conflicts:
            a, b = conflicts[0]
            raise MergeRefused(
                gettext(
                    "Refused: records %(a)s and %(b)s were marked as different people by staff. "
                    "Change that decision first if it was wrong."
                )
                % {"a": a, "b": b}
            )
        if _both_followed(target, source):
            raise MergeRefused(
                gettext(
                    "Refused: both people have an open case. Close one of the cases first, "
                    "then merge."
                )
            )
        moved = PersonRecord.objects.filter(pk__in=s_ids).update(person=target)
        links = _move_person_links(source, target)
        if source.safety_notes.strip():
            target.safety_notes = "\n".join(
                n for n in (target.safety_notes.strip(), source.safety_notes.strip()) if n
            )
            target.save(update_fields=["safety_notes", "updated_at"])
        _record_decision(
            user,
            PersonRecord.objects.get(pk=min(t_ids)),
            PersonRecord.objects.get(pk=min(s_ids)),
            True,
            note=note or "merge",
        )
        audit_record(
            user=user,
            action="person.merge",
            obj=target,
            detail={"from_person": source.pk, "records": moved, "moved": links},
        )
    return target


def person_unmerge(*, user: Any, record: PersonRecord, note: str = "") -> Person:
    """Move one record out of its person into a new person of its own, remembering that it
    is not the same as the records it leaves (so later runs keep it apart), and audit."""
    require(user, Cap.PERSON_LINK)
    _check_agency(user, record)
    with transaction.atomic():
        record = PersonRecord.objects.select_for_update().get(pk=record.pk)
        old = record.person
        if old is None:
            raise MergeRefused(gettext("The record belongs to no person."))
        others = list(old.records.exclude(pk=record.pk))
        if not others:
            raise MergeRefused(gettext("The record is the person's only record."))
        new = Person.objects.create(agency_id=record.agency_id)
        record.person = new
        record.save(update_fields=["person"])
        for other in others:
            _record_decision(user, record, other, False, note=note or "unmerge")
        audit_record(
            user=user,
            action="person.unmerge",
            obj=old,
            detail={"record": record.pk, "new_person": new.pk},
        )
    return new


def person_set_safety_notes(*, user: Any, person: Person, notes: str) -> Person:
    require(user, Cap.PERSON_LINK)
    _check_agency(user, person)
    with transaction.atomic():
        person.safety_notes = notes.strip()[:4000]
        person.save(update_fields=["safety_notes", "updated_at"])
        audit_record(user=user, action="person.safety_notes", obj=person)
    return person


def review_decide(*, user: Any, item: ReviewItem, same: bool, note: str = "") -> ReviewItem:
    """Confirm (the same person) or reject (different people) a pair in the review queue.
    A confirmation joins the two persons now; a rejection is kept and the next link run
    keeps the records apart, splitting a person if it must."""
    require(user, Cap.PERSON_LINK)
    _check_agency(user, item)
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.status != ReviewStatus.OPEN:
            raise MergeRefused(gettext("This pair has already been decided."))
        a, b = item.record_a, item.record_b
        if same:
            conflicts = (
                _different_pairs(
                    item.agency_id,
                    a.person.records.values_list("pk", flat=True) if a.person else [a.pk],
                    b.person.records.values_list("pk", flat=True) if b.person else [b.pk],
                )
                if a.person_id != b.person_id or a.person_id is None
                else []
            )
            if conflicts:
                x, y = conflicts[0]
                raise MergeRefused(
                    gettext(
                        "Refused: records %(a)s and %(b)s were marked as different people by staff."
                    )
                    % {"a": x, "b": y}
                )
        _record_decision(
            user,
            a,
            b,
            same,
            probability=item.probability,
            model_version=item.model_version,
            note=note or "review",
        )
        if same and a.person_id != b.person_id:
            if a.person is None or b.person is None:
                target = a.person or b.person or Person.objects.create(agency_id=a.agency_id)
                PersonRecord.objects.filter(pk__in=[a.pk, b.pk]).update(person=target)
            else:
                keep, gone = (
                    (a.person, b.person) if a.person_id < b.person_id else (b.person, a.person)
                )
                PersonRecord.objects.filter(person=gone).update(person=keep)
        item.status = ReviewStatus.CONFIRMED if same else ReviewStatus.REJECTED
        item.decided_by = user
        item.decided_at = timezone.now()
        item.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            user=user,
            action="person.review",
            obj=item,
            detail={"same": same, "records": [a.pk, b.pk]},
        )
    return item


# --------------------------------------------------------------------------- link runs

Progress = Callable[[str, int], None]


class _Clusters:
    """Union-find over record ids that refuses to join two groups holding a pair a person
    has marked as different."""

    def __init__(self, ids: Iterable[int], cannot: dict[int, set[int]]) -> None:
        self.parent = {i: i for i in ids}
        self.members = {i: {i} for i in self.parent}
        self.cannot = cannot

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> bool:
        """Join the groups of a and b; False (and nothing changes) when that is refused."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, large = sorted((ra, rb), key=lambda r: len(self.members[r]))
        for x in self.members[small]:
            for y in self.cannot.get(x, ()):
                if y in self.members[large]:
                    return False
        root, child = min(ra, rb), max(ra, rb)
        self.parent[child] = root
        self.members[root] |= self.members.pop(child)
        return True

    def groups(self) -> list[list[int]]:
        return [sorted(m) for m in self.members.values()]


@dataclass
class LinkReport:
    records: int = 0
    blank_records: int = 0
    clusters: int = 0
    created: int = 0
    merged: int = 0
    split: int = 0
    sent_to_review: int = 0
    conflicts: int = 0  # "same" decisions not applied because they cross a "different"


def link_run(
    agency: Agency,
    *,
    progress: Progress | None = None,
    user: Any = None,
    run: LinkRun | None = None,
) -> LinkReport:
    """Re-resolve the agency's person records with the shipped model.

    Pairs at or above the agency's link threshold are linked, pairs between the thresholds
    become review items, pairs below stay apart. People's decisions win: a "same" always
    links, a "different" is never linked, not even through a third record (a person is
    split if it must). Records are assigned to persons (existing ones kept where they
    can be, new ones created); no record is ever deleted; records with nothing to link on
    belong to no person."""
    from .evidence import explain
    from .linkage import predict
    from .selectors import shipped_model

    def step(stage: str, percent: int) -> None:
        if run is not None:
            LinkRun.objects.filter(pk=run.pk).update(stage=stage, progress=percent)
        if progress is not None:
            progress(stage, percent)

    if user is not None:
        require(user, Cap.PERSON_LINK)
        _check_agency(user, agency)
    model = shipped_model()
    thresholds = LinkSettings.for_agency(agency.pk).thresholds()
    report = LinkReport()
    step("reading records", 5)
    records = list(PersonRecord.objects.for_agency(agency.pk).order_by("pk"))
    raws = {r.pk: r.as_linkage_record() for r in records}
    blank = {pk for pk, raw in raws.items() if is_blank(raw)}
    linkable = [pk for pk in raws if pk not in blank]
    report.records, report.blank_records = len(records), len(blank)
    step("scoring pairs", 15)
    pairs = predict(model, [raws[pk] for pk in linkable], min_probability=thresholds.review)
    step("clustering", 60)
    decisions = {
        pair: same
        for pair, same in latest_decisions(agency.pk).items()
        if pair[0] in raws and pair[1] in raws and not {pair[0], pair[1]} & blank
    }
    cannot: dict[int, set[int]] = {}
    for (a, b), same in decisions.items():
        if not same:
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)
    clusters = _Clusters(linkable, cannot)
    for (a, b), same in sorted(decisions.items()):
        if same and not clusters.join(a, b):
            report.conflicts += 1
    scored = sorted(((int(p.id_l), int(p.id_r), p) for p in pairs), key=lambda t: -t[2].probability)
    for a, b, p in scored:
        if p.probability >= thresholds.link and _ordered(a, b) not in decisions:
            clusters.join(a, b)
    review: list[tuple[int, int, Any]] = [
        (*_ordered(a, b), p)
        for a, b, p in scored
        if thresholds.review <= p.probability < thresholds.link
        and _ordered(a, b) not in decisions
        and clusters.find(a) != clusters.find(b)
    ]
    step("saving", 80)
    with transaction.atomic():
        old = {r.pk: r.person_id for r in records}
        groups = sorted(clusters.groups(), key=lambda g: (-len(g), g[0]))
        claimed: set[int] = set()
        target: dict[int, int] = {}
        persons_of_group: list[set[int]] = []
        absorbed: dict[int, int] = {}
        for group in groups:
            counts = Counter(old[pk] for pk in group if old[pk] is not None)
            choice = next(
                (
                    pid
                    for pid, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    if pid not in claimed
                ),
                None,
            )
            if choice is None:
                choice = Person.objects.create(agency=agency).pk
                report.created += 1
            claimed.add(choice)
            persons_of_group.append(set(counts))
            for pid in counts:
                if pid != choice:
                    absorbed.setdefault(pid, choice)
            for pk in group:
                target[pk] = choice
        groups_per_person = Counter(pid for ps in persons_of_group for pid in ps)
        report.split = sum(1 for n in groups_per_person.values() if n > 1)
        report.merged = sum(1 for ps in persons_of_group if len(ps) > 1)
        report.clusters = len(groups)
        moves: dict[int | None, list[int]] = {}
        for pk in raws:
            new = None if pk in blank else target[pk]
            if old[pk] != new:
                moves.setdefault(new, []).append(pk)
        for pid, pks in moves.items():
            PersonRecord.objects.filter(pk__in=pks).update(person_id=pid)
        for gone, keep in absorbed.items():
            if gone in claimed:
                continue
            notes = Person.objects.filter(pk=gone).values_list("safety_notes", flat=True).first()
            if notes and notes.strip():
                kept = Person.objects.get(pk=keep)
                if notes.strip() not in kept.safety_notes:
                    kept.safety_notes = "\n".join(
                        n for n in (kept.safety_notes.strip(), notes.strip()) if n
                    )
                    kept.save(update_fields=["safety_notes", "updated_at"])
        open_pairs = set(
            ReviewItem.objects.filter(agency=agency, status=ReviewStatus.OPEN).values_list(
                "record_a_id", "record_b_id"
            )
        )
        by_pk = {r.pk: r for r in records}
        items = []
        for a, b, p in review:
            if (a, b) in open_pairs:
                continue
            ev = explain(model, raws[a], raws[b], prior=model.prior_for(len(linkable)))
            items.append(
                ReviewItem(
                    agency=agency,
                    record_a=by_pk[a],
                    record_b=by_pk[b],
                    probability=p.probability,
                    match_weight=p.match_weight,
                    evidence=ev.fields if ev else [],
                    model_version=model.version,
                    run=run,
                )
            )
        ReviewItem.objects.bulk_create(items)
        report.sent_to_review = len(items)
        audit_record(
            user=user,
            action="person.link_run",
            obj=run,
            agency_id=agency.pk,
            detail={k: v for k, v in report.__dict__.items()},
        )
    step("done", 100)
    return report


def link_run_create(*, user: Any) -> LinkRun:
    """Queue a link run of the user's agency in the background."""
    require(user, Cap.PERSON_LINK)
    with transaction.atomic():
        run = LinkRun.objects.create(agency_id=user.agency_id, created_by=user)
        audit_record(user=user, action="person.link_run_start", obj=run)
    from .tasks import run_link

    run_link.enqueue(run.pk)
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- settings

MAX_FREQUENT_RULES = 3
MAX_RULE_DAYS = 365


def may_edit_link_settings(user: Any) -> bool:
    """Supervisors: those who both link records and manage protocols."""
    return can(user, Cap.PERSON_LINK) and can(user, Cap.PROTOCOL_MANAGE)


def _link_settings_values(s: LinkSettings) -> dict[str, Any]:
    return {
        "link_threshold": s.link_threshold,
        "review_threshold": s.review_threshold,
        "frequent_rules": [dict(r) for r in (s.frequent_rules or [])],
    }


def _threshold(value: Any, field_name: str, errors: dict[str, list[str]]) -> float | None:
    try:
        number = float(str(value).strip())
    except ValueError:
        errors[field_name] = [gettext("Enter a number between 0 and 1.")]
        return None
    if not 0 < number < 1:
        errors[field_name] = [gettext("Enter a number between 0 and 1.")]
        return None
    return number


def _positive_int(value: Any, field_name: str, errors: dict[str, list[str]]) -> int | None:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        errors[field_name] = [gettext("Enter a whole number above 0.")]
        return None
    return int(text)


def link_settings_update(
    *,
    user: Any,
    link_threshold: Any,
    review_threshold: Any,
    frequent_rules: list[tuple[Any, Any]],
) -> LinkSettings:
    """Change the agency's linkage thresholds and frequent-contact rules.

    `frequent_rules` is a list of (contacts, days) pairs; values may be the strings of a
    form. Raises ValidationError keyed by field (`link_threshold`, `review_threshold`,
    `frequent_rules`, `rule_<i>_contacts`, `rule_<i>_days`) and saves nothing on error."""
    if not may_edit_link_settings(user):
        raise PermissionDenied("Your role may not change the linkage settings.")
    errors: dict[str, list[str]] = {}
    link = _threshold(link_threshold, "link_threshold", errors)
    review = _threshold(review_threshold, "review_threshold", errors)
    if link is not None and review is not None and not review < link:
        errors["review_threshold"] = [
            gettext("The review threshold must be below the link threshold.")
        ]
    rules: list[dict[str, int]] = []
    if not 1 <= len(frequent_rules) <= MAX_FREQUENT_RULES:
        errors["frequent_rules"] = [gettext("Give between 1 and 3 frequent-contact rules.")]
    for i, (contacts, days) in enumerate(frequent_rules):
        c = _positive_int(contacts, f"rule_{i}_contacts", errors)
        d = _positive_int(days, f"rule_{i}_days", errors)
        if d is not None and d > MAX_RULE_DAYS:
            errors[f"rule_{i}_days"] = [gettext("At most 365 days.")]
            d = None
        if c is not None and d is not None:
            rules.append({"contacts": c, "days": d})
    if errors:
        raise ValidationError(errors)
    assert link is not None and review is not None
    with transaction.atomic():
        current = LinkSettings.objects.select_for_update().filter(
            agency_id=user.agency_id
        ).first() or LinkSettings(agency_id=user.agency_id)
        old = _link_settings_values(current)
        current.link_threshold = link
        current.review_threshold = review
        current.frequent_rules = rules
        current.save()
        audit_record(
            user=user,
            action="link_settings.update",
            obj=current,
            detail={"old": old, "new": _link_settings_values(current)},
        )
    return current


def link_run_execute(run_id: int, *, progress: Progress | None = None) -> LinkRun:
    """The background task's body: run, keep the progress and the counts on the row."""
    from .selectors import shipped_model

    run = LinkRun.objects.select_related("agency", "created_by").get(pk=run_id)
    if run.status not in (LinkRunStatus.QUEUED, LinkRunStatus.RUNNING):
        return run
    LinkRun.objects.filter(pk=run.pk).update(
        status=LinkRunStatus.RUNNING,
        started_at=timezone.now(),
        model_version=shipped_model().version,
    )
    try:
        report = link_run(run.agency, progress=progress, run=run)
    except Exception:  # the page must show a failure, never spin forever
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRunStatus.FAILED,
            error="The link run failed:\n" + traceback.format_exc(limit=5),
            finished_at=timezone.now(),
        )
        if settings.DEBUG:
            raise
    else:
        LinkRun.objects.filter(pk=run.pk).update(
            status=LinkRunStatus.DONE,
            progress=100,
            stage="done",
            records=report.records,
            blank_records=report.blank_records,
            clusters=report.clusters,
            created=report.created,
            merged=report.merged,
            split=report.split,
            sent_to_review=report.sent_to_review,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- encounters


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if len(parts) < 2:
        return name.strip(), ""
    return " ".join(parts[:-1]), parts[-1]


def records_from_encounter(encounter: Any) -> list[PersonRecord]:
    """A person record (source "encounter") for each named person the team met, once.

    An unknown or nameless person makes no record: nothing to link on. The new record is
    attached to a person: the one its best match belongs to when that match is at or above
    the agency's link threshold (and nobody said they differ), else a new person; a match
    between the thresholds also goes to the review queue."""
    created: list[PersonRecord] = []
    for ep in encounter.people.all():
        if ep.unknown or not ep.name.strip():
            continue
        source_id = f"{encounter.pk}:{ep.pk}"
        if PersonRecord.objects.filter(
            agency_id=encounter.agency_id, source_kind=SourceKind.ENCOUNTER, source_id=source_id
        ).exists():
            continue
        given, family = _split_name(ep.name.strip())
        record = PersonRecord(
            agency_id=encounter.agency_id,
            given_name=given[:100],
            family_name=family[:100],
            dob=ep.date_of_birth,
            dob_precision=DobPrecision.EXACT.value if ep.date_of_birth else "",
            source_kind=SourceKind.ENCOUNTER,
            source_id=source_id,
            call_id=encounter.call_id,
            encounter=encounter,
            created_by_id=encounter.documented_by_id,
        )
        if is_blank(record.as_linkage_record()):
            continue
        with transaction.atomic():
            record.save()
            _attach(record)
            audit_record(
                user=None,
                action="person.record_create",
                obj=record,
                detail={"source": "encounter", "encounter": encounter.pk},
            )
        created.append(record)
    return created


def _attach(record: PersonRecord) -> None:
    from .keys import query_keys
    from .search import rank
    from .selectors import candidate_record_ids, index_prior, shipped_model

    model = shipped_model()
    prior = index_prior(record.agency_id)
    thresholds = LinkSettings.for_agency(record.agency_id).thresholds()
    raw = record.as_linkage_record()
    ids = candidate_record_ids(
        record.agency_id, query_keys(raw | {"aliases": record.aliases}), exclude=record.pk
    )
    best = None
    if ids:
        pool = PersonRecord.objects.for_agency(record.agency_id).filter(
            pk__in=ids, person__isnull=False
        )
        by_pk = {str(r.pk): r for r in pool}
        ranked = rank(
            model,
            raw,
            [r.as_linkage_record() | {"aliases": r.aliases} for r in by_pk.values()],
            limit=1,
            min_probability=thresholds.review,
            thresholds=thresholds,
            prior=prior,
        )
        best = (by_pk[ranked[0].record_id], ranked[0]) if ranked else None
    if best is not None and best[1].probability >= thresholds.link:
        other, _ = best
        members = list(other.person.records.values_list("pk", flat=True))
        if not _different_pairs(record.agency_id, [record.pk], members):
            record.person = other.person
            record.save(update_fields=["person"])
            return
    record.person = Person.objects.create(agency_id=record.agency_id)
    record.save(update_fields=["person"])
    if best is not None and best[1].probability < thresholds.link:
        from .evidence import explain

        other, cand = best
        a, b = (record, other) if record.pk < other.pk else (other, record)
        ev = explain(model, a.as_linkage_record(), b.as_linkage_record(), prior=prior)
        ReviewItem.objects.get_or_create(
            record_a=a,
            record_b=b,
            status=ReviewStatus.OPEN,
            defaults={
                "agency_id": record.agency_id,
                "probability": cand.probability,
                "match_weight": cand.match_weight,
                "evidence": ev.fields if ev else [],
                "model_version": model.version,
            },
        )


def encounter_people_identify(
    *, user: Any, encounter: Any, chosen: list[int | None]
) -> list[PersonRecord]:
    """The team said who a person on the encounter is, choosing from the candidates shown
    while typing: `chosen` gives, for each person of the encounter in the order they were
    entered, the id of a person of the agency or None.

    Each named person's record moves to the chosen person (the person made for it alone is
    removed), and the judgement is remembered so later link runs keep them together. Refused
    silently, record by record, when staff marked the records as different people or the
    chosen person is not of the agency. Audited."""
    require(user, Cap.PERSON_VIEW)
    if encounter.agency_id != user.agency_id:
        raise PermissionError("Not an encounter of your agency.")
    moved: list[PersonRecord] = []
    people = list(encounter.people.order_by("pk"))
    for ep, person_id in zip(people, chosen, strict=False):
        if not person_id:
            continue
        target = Person.objects.for_agency(user.agency_id).filter(pk=person_id).first()
        record = PersonRecord.objects.filter(
            agency_id=encounter.agency_id,
            source_kind=SourceKind.ENCOUNTER,
            source_id=f"{encounter.pk}:{ep.pk}",
        ).first()
        if target is None or record is None or record.person_id == target.pk:
            continue
        members = list(target.records.values_list("pk", flat=True))
        if not members or _different_pairs(user.agency_id, [record.pk], members):
            continue
        old = record.person
        if old is not None and _both_followed(old, target):
            continue  # two open cases: a case manager merges them deliberately
        with transaction.atomic():
            record.person = target
            record.save(update_fields=["person"])
            if old is not None and not old.records.exists():
                # a case, consent or follow-up opened meanwhile follows the record
                _move_person_links(old, target)
                if not old.safety_notes.strip():
                    old.delete()
            _record_decision(
                user,
                record,
                PersonRecord.objects.get(pk=min(members)),
                True,
                note="identified on an encounter",
            )
            audit_record(
                user=user,
                action="person.identify",
                obj=target,
                detail={"record": record.pk, "encounter": encounter.pk},
            )
        moved.append(record)
    return moved
