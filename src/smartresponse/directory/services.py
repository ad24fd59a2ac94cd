"""Writes to the resource directory: HSDS imports and capacity updates.

An import is checked as a whole first (schema, then links to records the file does not carry);
any problem refuses it and nothing is written. A good import is written in one transaction: rows
whose HSDS id the agency already has are updated, the others created (importing the same file
twice changes nothing the second time). Every write is audited.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from smartresponse.accounts.models import Agency
from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap
from smartresponse.audit.services import audit_record
from smartresponse.core.errors import field_errors

from . import hsds, index
from .models import (
    Address,
    Attribute,
    FacetCount,
    FacetKind,
    Language,
    Location,
    OpeningHours,
    Organization,
    OtherRecord,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceFacet,
    ServiceSearch,
    Taxonomy,
    TaxonomyTerm,
    Unit,
    facet_key,
)

BATCH = 1000
# A report "from the future" is refused; this much clock difference between a provider's device
# and the server is tolerated.
CLOCK_SKEW = dt.timedelta(minutes=2)

Progress = Callable[[str, int, int], None]
# After an import this large the query planner's statistics are refreshed at once, so searches
# are planned for the new sizes of the tables rather than for empty ones.
ANALYZE_AFTER = 5000

# HSDS table -> the model that keeps its rows (the other tables go to OtherRecord).
MODELS: dict[str, type[models.Model]] = {
    "taxonomy": Taxonomy,
    "taxonomy_term": TaxonomyTerm,
    "organization": Organization,
    "service": Service,
    "location": Location,
    "service_at_location": ServiceAtLocation,
    "address": Address,
    "phone": Phone,
    "language": Language,
    "schedule": Schedule,
    "attribute": Attribute,
    "unit": Unit,
    "service_capacity": ServiceCapacity,
}

# model field -> (HSDS table it points to, the row's field holding the HSDS id).
LINKS: dict[str, dict[str, tuple[str, str]]] = {
    "taxonomy_term": {"taxonomy": ("taxonomy", "taxonomy_id")},
    "service": {"organization": ("organization", "organization_id")},
    "location": {"organization": ("organization", "organization_id")},
    "service_at_location": {
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
    },
    "address": {"location": ("location", "location_id")},
    "phone": {
        "organization": ("organization", "organization_id"),
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
        "service_at_location": ("service_at_location", "service_at_location_id"),
    },
    "language": {
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
        "phone": ("phone", "phone_id"),
    },
    "schedule": {
        "service": ("service", "service_id"),
        "location": ("location", "location_id"),
        "service_at_location": ("service_at_location", "service_at_location_id"),
    },
    "attribute": {
        "taxonomy_term": ("taxonomy_term", "taxonomy_term_id"),
        "service": ("service", "link_id"),
    },
    "service_capacity": {"service": ("service", "service_id"), "unit": ("unit", "unit_id")},
}

# Links a record cannot do without, checked against the file and the directory before writing.
REQUIRED_LINKS: tuple[tuple[str, str, str], ...] = (
    ("service_at_location", "service_id", "service"),
    ("service_at_location", "location_id", "location"),
    ("service_capacity", "service_id", "service"),
    ("service_capacity", "unit_id", "unit"),
)

# The field naming the record an OtherRecord row belongs to, first found wins.
OWNER_FIELDS = (
    "service_id",
    "service_at_location_id",
    "location_id",
    "organization_id",
    "contact_id",
    "resource_id",
    "link_id",
)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def _columns(table: str, row: Mapping[str, Any], agency: Agency) -> dict[str, Any]:
    """A row's plain model columns (links are resolved separately)."""
    if table in ("organization", "taxonomy"):
        return {"name": _text(row.get("name"), 255)}
    if table == "taxonomy_term":
        return {
            "name": _text(row.get("name"), 255),
            "code": _text(row.get("code"), 100),
            "parent_hsds_id": _text(row.get("parent_id"), 64),
        }
    if table == "service":
        name = _text(row.get("name"), 255)
        return {
            "name": name,
            "sort_name": index.sort_key(name),
            "status": _text(row.get("status"), 24),
            "description": _text(row.get("description"), 20000),
            "eligibility_description": _text(row.get("eligibility_description"), 5000),
            "minimum_age": _number(row.get("minimum_age")),
            "maximum_age": _number(row.get("maximum_age")),
            "imported_at": timezone.now(),
        }
    if table == "location":
        return {
            "name": _text(row.get("name"), 255),
            "location_type": _text(row.get("location_type"), 16),
            "latitude": _number(row.get("latitude")),
            "longitude": _number(row.get("longitude")),
        }
    if table == "address":
        return {
            "address_type": _text(row.get("address_type"), 16),
            "one_line": Address.line_of(row),
        }
    if table == "phone":
        return {
            "number": _text(row.get("number"), 64),
            "contact_hsds_id": _text(row.get("contact_id"), 64),
        }
    if table == "language":
        code = hsds.language_code(row.get("code")) or hsds.language_code(row.get("name"))
        return {"name": _text(row.get("name"), 100), "code": code[:16]}
    if table == "attribute":
        return {"link_id": _text(row.get("link_id"), 64)}
    if table == "unit":
        return {"name": _text(row.get("name"), 100)}
    if table == "service_capacity":
        return {
            "available": _number(row.get("available")) or 0.0,
            "maximum": _number(row.get("maximum")),
            "description": _text(row.get("description"), 2000),
            "updated": _instant(row.get("updated"), agency),
            "updated_by_id": None,
        }
    return {}


def _instant(value: Any, agency: Agency) -> dt.datetime:
    """An HSDS date-time; one without a UTC offset is read in the agency's time zone."""
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return timezone.now()
    if timezone.is_naive(at):
        at = at.replace(tzinfo=ZoneInfo(agency.timezone))
    return at


@dataclass
class ImportResult:
    version: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    services_indexed: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> list[str]:
        lines = []
        for table in hsds.TABLES:
            new, old = self.created.get(table, 0), self.updated.get(table, 0)
            if new or old:
                lines.append(f"{table}: {new} created, {old} updated")
        return lines


class _Ids:
    """HSDS id -> primary key, per table, for the agency; filled from the database as needed."""

    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.known: dict[str, dict[str, int]] = {}

    def load(self, table: str, hsds_ids: Iterable[str]) -> None:
        known = self.known.setdefault(table, {})
        wanted = [i for i in {str(x) for x in hsds_ids if x} if i not in known]
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            qs = _queryset(table, self.agency).filter(hsds_id__in=chunk)
            known.update(qs.values_list("hsds_id", "pk"))

    def get(self, table: str, hsds_id: Any) -> int | None:
        if hsds_id is None or hsds_id == "":
            return None
        return self.known.get(table, {}).get(str(hsds_id))


def _queryset(table: str, agency: Agency) -> models.QuerySet[Any]:
    model = MODELS.get(table, OtherRecord)
    qs = model._default_manager.filter(agency=agency)
    return qs.filter(table=table) if model is OtherRecord else qs


def _missing_links(agency: Agency, ds: hsds.Dataset) -> list[hsds.Problem]:
    problems = []
    ids = _Ids(agency)
    for table, fk, target in REQUIRED_LINKS:
        rows = ds.rows(table)
        wanted = {str(r[fk]) for r in rows if r.get(fk)} - set(ds.tables.get(target, {}))
        ids.load(target, wanted)
        for row in rows:
            value = row.get(fk)
            if value is None or value == "":
                continue
            if str(value) not in ds.tables.get(target, {}) and ids.get(target, value) is None:
                origin = ds.origins.get((table, row["id"]), hsds.Origin(f"$.{table}"))
                problems.append(
                    origin.problem(fk, f"{target} {value} is neither in the file nor the directory")
                )
    return problems


def directory_import(
    *,
    user: Any,
    agency: Agency,
    dataset: hsds.Dataset,
    source_name: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Write a checked HSDS dataset into the agency's directory, all or nothing.

    `user` None: an import run from the command line by the system administrator."""
    if user is not None:
        require(user, Cap.DIRECTORY_MANAGE)
        if user.agency_id != agency.pk:
            raise PermissionDenied("You may import into your own agency's directory only.")
    started = time.monotonic()
    problems = _missing_links(agency, dataset)
    if problems:
        raise hsds.HsdsError(problems)
    result = ImportResult(dataset.version, notices=list(dataset.notices))
    total = sum(len(rows) for rows in dataset.tables.values())
    done = 0
    with transaction.atomic():
        ids = _Ids(agency)
        for table in hsds.TABLES:
            rows = dataset.rows(table)
            if not rows:
                continue
            created, updated = _write_table(agency, table, rows, ids, result)
            result.created[table], result.updated[table] = created, updated
            done += len(rows)
            if progress is not None:
                progress(table, done, total)
        touched = _touched_services(agency, dataset, ids)
        result.services_indexed = rebuild_search(agency, touched, progress=progress)
        if total >= ANALYZE_AFTER:
            _analyze()
        audit_record(
            user=user,
            action="directory.import",
            agency_id=agency.pk,
            detail={
                "version": dataset.version,
                "created": result.created,
                "updated": result.updated,
                "source": source_name[:200],
            },
        )
    result.seconds = time.monotonic() - started
    return result


def _write_table(
    agency: Agency,
    table: str,
    rows: list[dict[str, Any]],
    ids: _Ids,
    result: ImportResult,
) -> tuple[int, int]:
    model = MODELS.get(table, OtherRecord)
    links = LINKS.get(table, {})
    ids.load(table, (r["id"] for r in rows))
    for target, fk in links.values():
        ids.load(target, (r.get(fk) for r in rows))
    stored_numbers: dict[str, dict[str, Any]] = {}
    if table == "service_capacity":
        wanted = [r["id"] for r in rows]
        for start in range(0, len(wanted), BATCH):
            stored_numbers.update(
                (n["hsds_id"], n)
                for n in ServiceCapacity.objects.filter(
                    agency=agency, hsds_id__in=wanted[start : start + BATCH]
                ).values("hsds_id", "available", "maximum", "updated")
            )
    new: list[models.Model] = []
    old: list[models.Model] = []
    fields: set[str] = {"data"}
    for row in rows:
        values = _columns(table, row, agency)
        for name, (target, fk) in links.items():
            values[f"{name}_id"] = ids.get(target, row.get(fk))
        if model is OtherRecord:
            values["table"] = table
            values["owner_hsds_id"] = next(
                (str(row[f]) for f in OWNER_FIELDS if row.get(f) not in (None, "")), ""
            )[:64]
        stored = stored_numbers.get(row["id"])
        if stored is not None and stored["updated"] > values["updated"]:
            # A provider reported newer numbers than the file has: keep them.
            values.update({k: stored[k] for k in ("available", "maximum", "updated")})
            values.pop("updated_by_id")
            result.notices.append(
                f"service_capacity {row['id']}: the directory has a newer report "
                f"({stored['updated'].isoformat()}); its numbers are kept"
            )
        pk = ids.get(table, row["id"])
        obj = model(agency=agency, hsds_id=str(row["id"])[:64], data=row, **values)
        if pk is None:
            new.append(obj)
        else:
            obj.pk = pk
            old.append(obj)
            fields.update(values)
    model._default_manager.bulk_create(new, batch_size=BATCH)
    _update(model, old, sorted(fields))
    ids.load(table, (r["id"] for r in rows))
    return len(new), len(old)


def _touched_services(agency: Agency, ds: hsds.Dataset, ids: _Ids) -> set[int]:
    """The services whose search rows an import may have changed."""
    touched = {ids.get("service", r["id"]) for r in ds.rows("service")}
    location_pks = {ids.get("location", r["id"]) for r in ds.rows("location")}
    org_pks = {ids.get("organization", r["id"]) for r in ds.rows("organization")}
    term_pks = {ids.get("taxonomy_term", r["id"]) for r in ds.rows("taxonomy_term")}
    for table in ("service_at_location", "schedule", "language", "attribute", "service_capacity"):
        model = MODELS[table]
        pks = [ids.get(table, r["id"]) for r in ds.rows(table)]
        pks = [p for p in pks if p is not None]
        for start in range(0, len(pks), BATCH):
            chunk = pks[start : start + BATCH]
            qs = model._default_manager.filter(pk__in=chunk)
            touched.update(qs.values_list("service_id", flat=True))
            if table in ("schedule", "language"):
                location_pks.update(qs.values_list("location_id", flat=True))
            if table == "schedule":
                touched.update(
                    qs.filter(service_at_location__isnull=False).values_list(
                        "service_at_location__service_id", flat=True
                    )
                )
    location_pks.discard(None)
    org_pks.discard(None)
    term_pks.discard(None)
    if location_pks:
        touched.update(
            ServiceAtLocation.objects.filter(location_id__in=location_pks).values_list(
                "service_id", flat=True
            )
        )
    if org_pks:
        touched.update(
            Service.objects.filter(organization_id__in=org_pks).values_list("pk", flat=True)
        )
    if term_pks:
        touched.update(
            Attribute.objects.filter(taxonomy_term_id__in=term_pks).values_list(
                "service_id", flat=True
            )
        )
    touched.discard(None)
    return {int(pk) for pk in touched if pk is not None}


def _analyze() -> None:
    tables = [
        m._meta.db_table
        for m in (
            *MODELS.values(),
            OtherRecord,
            ServiceFacet,
            FacetCount,
            OpeningHours,
            ServiceSearch,
        )
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --------------------------------------------------------------------------- search rows


def rebuild_search(
    agency: Agency, service_pks: Iterable[int] | None = None, *, progress: Progress | None = None
) -> int:
    """Recompute the search rows (words, terms, languages, opening hours, coordinates) of some
    services of the agency, or of all of them. In one transaction: a rebuild that fails half
    way leaves the rows as they were, not services missing from search."""
    if service_pks is None:
        pks = list(Service.objects.filter(agency=agency).values_list("pk", flat=True))
    else:
        pks = sorted(set(service_pks))
    terms = {
        t.hsds_id: t
        for t in TaxonomyTerm.objects.filter(agency=agency).only(
            "hsds_id", "name", "code", "parent_hsds_id"
        )
    }
    with transaction.atomic():
        for start in range(0, len(pks), BATCH):
            chunk = pks[start : start + BATCH]
            _rebuild_chunk(agency, chunk, terms)
            if progress is not None:
                progress("search index", min(start + BATCH, len(pks)), len(pks))
        _recount(agency)
    return len(pks)


def _recount(agency: Agency) -> None:
    """The agency's search vocabulary: every facet key with its number of services."""
    quote = connection.ops.quote_name
    counts, facets = quote(FacetCount._meta.db_table), quote(ServiceFacet._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {counts} WHERE agency_id = %s", [agency.pk])
        cursor.execute(
            f"INSERT INTO {counts} (agency_id, {quote('key')}, services) "
            f"SELECT agency_id, {quote('key')}, COUNT(*) FROM {facets} WHERE agency_id = %s "
            f"GROUP BY agency_id, {quote('key')}",
            [agency.pk],
        )


def _term_chain(term: TaxonomyTerm, terms: Mapping[str, TaxonomyTerm]) -> list[TaxonomyTerm]:
    chain, seen = [term], {term.hsds_id}
    while chain[-1].parent_hsds_id and chain[-1].parent_hsds_id in terms:
        parent = terms[chain[-1].parent_hsds_id]
        if parent.hsds_id in seen:
            break
        seen.add(parent.hsds_id)
        chain.append(parent)
    return chain


def _rebuild_chunk(agency: Agency, pks: list[int], terms: Mapping[str, TaxonomyTerm]) -> None:
    ServiceFacet.objects.filter(service_id__in=pks).delete()
    OpeningHours.objects.filter(service_id__in=pks).delete()
    ServiceSearch.objects.filter(service_id__in=pks).delete()
    services = list(
        Service.objects.filter(pk__in=pks)
        .select_related("organization")
        .only(
            "pk", "name", "description", "data", "organization__name", "agency_id", "hsds_id",
            "status", "minimum_age", "maximum_age",
        )
    )  # fmt: skip
    by_pk = {s.pk: s for s in services}
    sites = list(ServiceAtLocation.objects.filter(service_id__in=pks).select_related("location"))
    location_pks = {s.location_id for s in sites if s.location_id}
    site_pks = [s.pk for s in sites]
    sites_of: dict[int, list[ServiceAtLocation]] = {}
    changed_sites = []
    for site in sites:
        sites_of.setdefault(site.service_id, []).append(site)
        loc = site.location
        lat, lon = (loc.latitude, loc.longitude) if loc else (None, None)
        if not index.valid_point(lat, lon):
            lat = lon = None
        service = by_pk[site.service_id]
        copied = (lat, lon, service.listed, service.minimum_age, service.maximum_age)
        if (site.lat, site.lon, site.listed, site.minimum_age, site.maximum_age) != copied:
            site.lat, site.lon, site.listed, site.minimum_age, site.maximum_age = copied
            changed_sites.append(site)
    _update(
        ServiceAtLocation, changed_sites, ["lat", "lon", "listed", "minimum_age", "maximum_age"]
    )

    term_ids: dict[int, set[str]] = {}
    for service_id, term_hsds in Attribute.objects.filter(
        service_id__in=pks, taxonomy_term__isnull=False
    ).values_list("service_id", "taxonomy_term__hsds_id"):
        term_ids.setdefault(service_id, set()).add(term_hsds)

    langs: dict[int, set[str]] = {}
    location_langs: dict[int, set[str]] = {}
    for service_id, location_id, code in Language.objects.filter(
        models.Q(service_id__in=pks) | models.Q(location_id__in=location_pks)
    ).values_list("service_id", "location_id", "code"):
        if not code:
            continue
        if service_id in pks:
            langs.setdefault(service_id, set()).add(code)
        if location_id:
            location_langs.setdefault(location_id, set()).add(code)

    own_schedules: dict[int, list[dict[str, Any]]] = {}
    location_schedules: dict[int, list[dict[str, Any]]] = {}
    site_service = {s.pk: s.service_id for s in sites}
    for service_id, site_id, location_id, data in Schedule.objects.filter(
        models.Q(service_id__in=pks)
        | models.Q(service_at_location_id__in=site_pks)
        | models.Q(location_id__in=location_pks)
    ).values_list("service_id", "service_at_location_id", "location_id", "data"):
        owner = service_id if service_id in pks else site_service.get(site_id)
        if owner is not None:
            own_schedules.setdefault(owner, []).append(data)
        elif location_id:
            location_schedules.setdefault(location_id, []).append(data)

    facets: list[tuple[int, int, str]] = []
    hours: list[tuple[Any, ...]] = []
    names = [
        (s.pk, agency.pk, index.sort_key(s.name), s.listed, s.minimum_age, s.maximum_age)
        for s in services
    ]
    day = connection.ops.adapt_datefield_value
    for service in services:
        chain: list[TaxonomyTerm] = []
        for term_id in term_ids.get(service.pk, ()):
            if term_id in terms:
                chain.extend(_term_chain(terms[term_id], terms))
        found = index.words(
            service.name,
            service.field("alternate_name"),
            service.organization.name if service.organization else "",
            service.description[:2000],
            *(t.name for t in chain),
            *(t.code for t in chain),
        )
        facets += [(agency.pk, service.pk, facet_key(FacetKind.WORD, w)) for w in found]
        codes = {t.hsds_id[:64] for t in chain} | {t[:64] for t in term_ids.get(service.pk, ())}
        facets += [(agency.pk, service.pk, facet_key(FacetKind.TERM, c)) for c in codes]
        spoken = set(langs.get(service.pk, ()))
        for site in sites_of.get(service.pk, ()):
            spoken |= location_langs.get(site.location_id or 0, set())
        facets += [(agency.pk, service.pk, facet_key(FacetKind.LANGUAGE, code)) for code in spoken]
        schedules = own_schedules.get(service.pk) or [
            s
            for site in sites_of.get(service.pk, ())
            for s in location_schedules.get(site.location_id or 0, [])
        ]
        intervals = {i for s in schedules for i in index.weekly_hours(s)}
        hours += [
            (
                agency.pk,
                service.pk,
                i.weekday,
                i.opens,
                i.closes,
                day(i.valid_from),
                day(i.valid_to),
            )
            for i in intervals
        ]
    # Plain INSERTs: a directory of 50,000 services has over a million search rows, and
    # building a model instance for each would take most of the import's time.
    _insert(
        ServiceSearch,
        ["service_id", "agency_id", "sort_name", "listed", "minimum_age", "maximum_age"],
        names,
    )
    _insert(ServiceFacet, ["agency_id", "service_id", "key"], facets)
    _insert(
        OpeningHours,
        ["agency_id", "service_id", "weekday", "opens", "closes", "valid_from", "valid_to"],
        hours,
    )


def _update(model: type[models.Model], objs: list[Any], names: list[str]) -> None:
    """Save some fields of many rows: one plain UPDATE per row sent with executemany (Django's
    bulk_update builds a CASE expression per field and row, much slower at this size)."""
    if not objs:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10 * BATCH):
            cursor.executemany(sql, rows[start : start + 10 * BATCH])


def _insert(model: type[models.Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10 * BATCH):
            cursor.executemany(sql, rows[start : start + 10 * BATCH])


# --------------------------------------------------------------------------- capacity


@dataclass
class CapacityInput:
    available: float
    maximum: float | None = None  # None: keep the maximum on record
    as_of: dt.datetime | None = None  # when the numbers were true; None: now
    description: str | None = None  # None: keep


def _check_capacity(
    data: CapacityInput, *, stored_max: float | None, stored_at: dt.datetime | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if data.available < 0:
        errors["available"] = [_("Cannot be negative.")]
    if data.maximum is not None and data.maximum < 0:
        errors["maximum"] = [_("Cannot be negative.")]
    maximum = data.maximum if data.maximum is not None else stored_max
    if "available" not in errors and maximum is not None and data.available > maximum:
        errors["available"] = [
            _("More than the maximum (%(maximum)s).") % {"maximum": _plain(maximum)}
        ]
    as_of = data.as_of or now
    if timezone.is_naive(as_of):
        errors["as_of"] = [_("The time needs a time zone offset.")]
    elif as_of > now + CLOCK_SKEW:
        errors["as_of"] = [_("Is in the future.")]
    elif stored_at is not None and as_of < stored_at:
        errors["as_of"] = [
            _("Older than the report already recorded (%(at)s): the newer numbers are kept.")
            % {"at": timezone.localtime(stored_at).strftime("%Y-%m-%d %H:%M")}
        ]
    return errors


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def capacity_update(*, user: Any, capacity_pk: int, data: CapacityInput) -> ServiceCapacity:
    """Record new numbers for a capacity of the user's agency. Negative numbers, more free than
    the maximum, a time in the future or older than the numbers on record: refused by field."""
    require(user, Cap.CAPACITY_UPDATE)
    with transaction.atomic():
        capacity = (
            ServiceCapacity.objects.select_for_update()
            .filter(pk=capacity_pk, agency_id=user.agency_id)
            .select_related("unit", "service")
            .first()
        )
        if capacity is None:
            raise Http404("No such capacity.")
        errors = _check_capacity(data, stored_max=capacity.maximum, stored_at=capacity.updated)
        if errors:
            raise field_errors(errors)
        before = (capacity.available, capacity.maximum)
        capacity.available = float(data.available)
        if data.maximum is not None:
            capacity.maximum = float(data.maximum)
        if data.description is not None:
            capacity.description = data.description[:2000]
        capacity.updated = data.as_of or timezone.now()
        capacity.updated_by = user
        capacity.save(
            update_fields=["available", "maximum", "description", "updated", "updated_by"]
        )
        audit_record(
            user=user,
            action="directory.capacity_update",
            obj=capacity,
            detail={
                "service": capacity.service.hsds_id,
                "unit": capacity.unit.name,
                "available": [before[0], capacity.available],
                "maximum": [before[1], capacity.maximum],
            },
        )
    return capacity


def capacity_report(
    *, user: Any, service_pk: int, unit_name: str, data: CapacityInput
) -> tuple[ServiceCapacity, bool]:
    """Numbers for a service counted in a unit ("beds"): updates the service's capacity in that
    unit, or starts one. Returns the capacity and whether it is new."""
    require(user, Cap.CAPACITY_UPDATE)
    unit_name = " ".join(unit_name.split())[:100]
    if not unit_name:
        raise field_errors({"unit": [_("Name what is counted, e.g. beds.")]})
    service = Service.objects.filter(pk=service_pk, agency_id=user.agency_id).first()
    if service is None:
        raise Http404("No such service.")
    existing = (
        ServiceCapacity.objects.filter(service=service, unit__name__iexact=unit_name)
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        return capacity_update(user=user, capacity_pk=existing, data=data), False
    errors = _check_capacity(data, stored_max=None, stored_at=None)
    if errors:
        raise field_errors(errors)
    with transaction.atomic():
        unit = Unit.objects.filter(agency_id=user.agency_id, name__iexact=unit_name).first()
        if unit is None:
            unit_id = str(uuid.uuid4())
            unit = Unit.objects.create(
                agency_id=user.agency_id,
                hsds_id=unit_id,
                name=unit_name,
                data={"id": unit_id, "name": unit_name},
            )
        capacity_id = str(uuid.uuid4())
        capacity = ServiceCapacity.objects.create(
            agency_id=user.agency_id,
            hsds_id=capacity_id,
            data={"id": capacity_id, "service_id": service.hsds_id, "unit_id": unit.hsds_id},
            service=service,
            unit=unit,
            available=float(data.available),
            maximum=float(data.maximum) if data.maximum is not None else None,
            description=(data.description or "")[:2000],
            updated=data.as_of or timezone.now(),
            updated_by=user,
        )
        audit_record(
            user=user,
            action="directory.capacity_create",
            obj=capacity,
            detail={
                "service": service.hsds_id,
                "unit": unit.name,
                "available": capacity.available,
                "maximum": capacity.maximum,
            },
        )
    return capacity, True
