"""Directory search: a page of services matching a query, nearest first or by name.

Written for 50,000 services answering in a few milliseconds on SQLite and PostgreSQL alike, so
the SQL is built here by hand (the ORM's query building alone cost more than the database):

- Each filter becomes a condition on the *driving* rows: the services in name order, or the
  sites (a service at a location) in distance order. The services of each filter that matches
  few (a narrow need, a rare language, an unusual word: at most SELECTIVE services, as the
  vocabulary kept at import counts them) drive the query; a filter that matches many (open
  now, English, a broad need) becomes a per-row `EXISTS` checked only on the rows walked, so a
  query ordered by name stops after one page. On PostgreSQL the driving filters' services are
  read first from the covering index, intersected, and handed to the query as a list of ids: a
  subquery let its planner walk the whole table in name order (it cannot know the matches
  cluster) or hash it whole. SQLite starts from an `IN (subquery)` on its own, faster than
  from a long list of parameters. A typed word is first looked up in the vocabulary: the words
  it starts become an exact list.
- A distance search reads the sites inside a bounding box, in growing rings (2 km, 6, 18, ...
  up to the radius asked) until a page of services is found, ordered in SQL by a flat-earth
  distance; great-circle distances are then computed for what was read.
- A page is completed in three small queries (no model instances), whatever its size.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from smartresponse.accounts.policy import require
from smartresponse.accounts.roles import Cap

from . import hsds, index
from .models import (
    LISTED_STATUSES,
    STALE_AFTER,
    Address,
    FacetCount,
    FacetKind,
    Location,
    OpeningHours,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
    ServiceFacet,
    ServiceSearch,
    ServiceStatus,
    TaxonomyTerm,
    Unit,
    facet_key,
)

DEFAULT_RADIUS_KM = 25.0
MAX_RADIUS_KM = 500.0
MAX_LIMIT = 100
MAX_WORDS = 6
# A filter matching at most this many services drives the query (see the module's docstring).
SELECTIVE = 3000
# A typed word stands for at most this many words of the vocabulary; a shorter prefix is read
# as a range.
MAX_EXPANSION = 100
FIRST_RING_KM = 2.0
RING_GROWTH = 3.0


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    need: str = ""  # a taxonomy term: its HSDS id, code or name
    open_now: bool = False
    at: dt.datetime | None = None  # "open now" at this instant; None: the present
    lat: float | None = None
    lon: float | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    language: str = ""  # ISO 639 code or a language's name
    age: int | None = None
    all_statuses: bool = False  # also inactive and defunct services
    limit: int = 25
    offset: int = 0

    @property
    def near(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass(frozen=True)
class CapacityView:
    hsds_id: str
    service_hsds_id: str
    unit: str
    available: float
    maximum: float | None
    description: str
    updated: dt.datetime

    @property
    def unit_name(self) -> str:
        return self.unit

    @property
    def is_stale(self) -> bool:
        return timezone.now() - self.updated > STALE_AFTER


@dataclass
class Hit:
    """One search result, read with plain value queries (no model instances)."""

    pk: int
    hsds_id: str
    name: str
    status: str
    organization: str
    distance_km: float | None
    open_now: bool
    address: str
    phone: str
    capacities: list[CapacityView]

    @property
    def listed(self) -> bool:
        return self.status in LISTED_STATUSES

    @property
    def status_label(self) -> str:
        return str(ServiceStatus(self.status).label) if self.status in ServiceStatus.values else ""


@dataclass
class SearchPage:
    query: SearchQuery
    at: dt.datetime  # local time "open now" was read at
    hits: list[Hit] = field(default_factory=list)
    has_more: bool = False
    unknown_need: bool = False


def agency_zone(agency: Any) -> ZoneInfo:
    try:
        return ZoneInfo(agency.timezone)
    except (ValueError, KeyError):
        return ZoneInfo(timezone.get_default_timezone_name())


def term_ids(agency_id: int, need: str) -> list[str]:
    """The HSDS ids of the terms a need names (an id, a code or a name, in any case)."""
    need = need.strip()[:255]
    if not need:
        return []
    return [
        row[0]
        for row in _rows(
            f"SELECT t.hsds_id FROM {_table(TaxonomyTerm)} t WHERE t.agency_id = %s AND "
            "(t.hsds_id = %s OR LOWER(t.code) = LOWER(%s) OR LOWER(t.name) = LOWER(%s)) LIMIT 50",
            [agency_id, need[:64], need[:100], need],
        )
    ]


# --------------------------------------------------------------------------- SQL


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _marks(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _instant(value: Any) -> dt.datetime:
    """A date-time column read without the ORM: SQLite gives text, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value  # type: ignore[no-any-return]


@dataclass
class _Condition:
    """A condition on a service id column, written `{sid}`."""

    sql: str
    params: list[Any]
    drives: bool = False  # a narrow set the query may start from

    def on(self, sid: str) -> str:
        return self.sql.replace("{sid}", sid)


class _Filters:
    """The conditions of a query. How many services each facet filter matches is read from the
    vocabulary the import keeps (`FacetCount`): the services of the filters that match few are
    read first and intersected (`ids`), the others are checked on the rows walked."""

    def __init__(self, agency_id: int, query: SearchQuery, at: dt.datetime) -> None:
        self.agency_id = agency_id
        self.query = query
        self.at = at
        self.conditions: list[_Condition] = []
        self.ids: set[int] | None = None  # None: no filter narrow enough to read first
        self.unknown_need = False
        self.nothing = False  # a filter nobody matches: no need to ask

    def build(self) -> _Filters:
        query = self.query
        if query.need:
            need = query.need.strip()[:255]
            # The terms the need names, with how many services each has, in one query.
            found = _rows(
                f"SELECT t.hsds_id, v.services FROM {_table(TaxonomyTerm)} t "
                f"LEFT JOIN {_table(FacetCount)} v ON v.agency_id = t.agency_id "
                "AND v.key = %s || t.hsds_id "
                "WHERE t.agency_id = %s AND (t.hsds_id = %s OR LOWER(t.code) = LOWER(%s) "
                "OR LOWER(t.name) = LOWER(%s)) LIMIT 50",
                [facet_key(FacetKind.TERM, ""), self.agency_id, need[:64], need[:100], need],
            )
            if not found:
                self.unknown_need = True
                return self
            keys = [facet_key(FacetKind.TERM, term) for term, _ in found]
            self._facet(keys, sum(n or 0 for _, n in found))
        if query.language:
            code = hsds.language_code(query.language) or query.language.strip().lower()[:16]
            self._facet([facet_key(FacetKind.LANGUAGE, code)])
        for word in index.query_words(query.text)[:MAX_WORDS]:
            self._prefix(facet_key(FacetKind.WORD, word))
        if query.open_now:
            minute, day = self.at.hour * 60 + self.at.minute, self.at.date()
            day_param = connection.ops.adapt_datefield_value(day)
            self.conditions.append(
                _Condition(
                    f"EXISTS (SELECT 1 FROM {_table(OpeningHours)} o "
                    "WHERE o.service_id = {sid} AND o.weekday = %s AND o.opens <= %s "
                    "AND o.closes > %s AND (o.valid_from IS NULL OR o.valid_from <= %s) "
                    "AND (o.valid_to IS NULL OR o.valid_to >= %s))",
                    [self.at.weekday(), minute, minute, day_param, day_param],
                )
            )
        if self.ids is not None and not self.ids:
            self.nothing = True
        self.conditions.sort(key=lambda c: not c.drives)
        return self

    def _prefix(self, prefix: str) -> None:
        """A word typed: the words of the vocabulary it starts, or a range when too many."""
        low, high = index.prefix_range(prefix)
        found = _rows(
            f"SELECT v.key, v.services FROM {_table(FacetCount)} v WHERE v.agency_id = %s "
            "AND v.key >= %s AND v.key < %s ORDER BY v.key LIMIT %s",
            [self.agency_id, low, high, MAX_EXPANSION + 1],
        )
        if not found:
            self.nothing = True
        elif len(found) <= MAX_EXPANSION:
            self._facet([key for key, _ in found], sum(n for _, n in found))
        else:
            self._add("f.key >= %s AND f.key < %s", [low, high], SELECTIVE + 1)

    def _facet(self, keys: list[str], count: int | None = None) -> None:
        if count is None:
            count = sum(
                n
                for _, n in _rows(
                    f"SELECT v.key, v.services FROM {_table(FacetCount)} v "
                    f"WHERE v.agency_id = %s AND v.key IN ({_marks(keys)})",
                    [self.agency_id, *keys],
                )
            )
        if count == 0:
            self.nothing = True
        self._add(f"f.key IN ({_marks(keys)})", keys, count)

    def _add(self, where: str, params: list[Any], count: int) -> None:
        facet = _table(ServiceFacet)
        if count > SELECTIVE:
            self.conditions.append(
                _Condition(
                    f"EXISTS (SELECT 1 FROM {facet} f WHERE f.service_id = {{sid}} AND {where})",
                    params,
                )
            )
            return
        subquery = f"SELECT f.service_id FROM {facet} f WHERE f.agency_id = %s AND {where}"
        if connection.vendor == "sqlite":
            # SQLite starts from an `IN (subquery)` on its own, faster than a list sent to it.
            self.conditions.append(
                _Condition(f"{{sid}} IN ({subquery})", [self.agency_id, *params], drives=True)
            )
            return
        if self.nothing or (self.ids is not None and not self.ids):
            return
        found = {row[0] for row in _rows(subquery, [self.agency_id, *params])}
        self.ids = found if self.ids is None else self.ids & found

    @property
    def selective(self) -> bool:
        return self.ids is not None or any(c.drives for c in self.conditions)

    def where(self, sid: str) -> tuple[str, list[Any]]:
        sql = "".join(f" AND {c.on(sid)}" for c in self.conditions)
        params = [p for c in self.conditions for p in c.params]
        if self.ids is not None:
            # One array parameter (this path is PostgreSQL's), not thousands of placeholders.
            sql = f" AND {sid} = ANY(%s)" + sql
            params = [sorted(self.ids), *params]
        return sql, params


def _age_sql(alias: str, low: str, high: str, age: int | None) -> tuple[str, list[Any]]:
    if age is None:
        return "", []
    return (
        f" AND ({alias}.{low} IS NULL OR {alias}.{low} <= %s)"
        f" AND ({alias}.{high} IS NULL OR {alias}.{high} >= %s)",
        [age, age],
    )


def _by_name(filters: _Filters, query: SearchQuery, limit: int, offset: int) -> list[int]:
    sql = f"SELECT s.service_id FROM {_table(ServiceSearch)} s WHERE s.agency_id = %s"
    params: list[Any] = [filters.agency_id]
    if not query.all_statuses:
        sql += " AND s.listed = %s"
        params.append(True)
    age_sql, age_params = _age_sql("s", "minimum_age", "maximum_age", query.age)
    where, where_params = filters.where("s.service_id")
    # Given a list of ids, the planner must start from it, not walk the name index in order
    # hoping to meet them soon: an expression it cannot read from the index says so.
    order = "s.sort_name || ''" if filters.selective else "s.sort_name"
    sql += age_sql + where + f" ORDER BY {order}, s.service_id LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *age_params, *where_params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def _nearest(filters: _Filters, query: SearchQuery, wanted: int) -> list[tuple[int, float, int]]:
    """(service id, km, site id) of the nearest matching services within the radius, nearest
    first; at most `wanted`."""
    assert query.lat is not None and query.lon is not None
    lat, lon = query.lat, query.lon
    radius = max(0.1, min(query.radius_km, MAX_RADIUS_KM))
    rings = [radius]
    if not filters.selective:
        ring = FIRST_RING_KM
        while ring < radius:
            rings.insert(-1, ring)
            ring *= RING_GROWTH
    base = f"SELECT l.service_id, l.lat, l.lon, l.id FROM {_table(ServiceAtLocation)} l "
    base += "WHERE l.agency_id = %s AND l.lat >= %s AND l.lat <= %s AND l.lon >= %s AND l.lon <= %s"
    extra, extra_params = "", []
    if not query.all_statuses:
        extra += " AND l.listed = %s"
        extra_params.append(True)
    age_sql, age_params = _age_sql("l", "minimum_age", "maximum_age", query.age)
    where, where_params = filters.where("l.service_id")
    k2 = math.cos(math.radians(lat)) ** 2
    order = " ORDER BY ((l.lat - %s) * (l.lat - %s) + (l.lon - %s) * (l.lon - %s) * %s), l.id"
    best: dict[int, tuple[float, int]] = {}
    for ring in rings:
        south, west, north, east = index.bounding_box(lat, lon, ring)
        cap = wanted * 2 + 20
        while True:
            params = [filters.agency_id, south, north, west, east, *extra_params, *age_params]
            params += [*where_params, lat, lat, lon, lon, k2, cap]
            with connection.cursor() as cursor:
                cursor.execute(base + extra + age_sql + where + order + " LIMIT %s", params)
                rows = cursor.fetchall()
            best = {}
            for service_id, site_lat, site_lon, site_id in rows:
                km = index.haversine_km(lat, lon, site_lat, site_lon)
                if km <= ring and (service_id not in best or km < best[service_id][0]):
                    best[service_id] = (km, site_id)
            if len(best) >= wanted or len(rows) < cap:
                break
            cap *= 4
        if len(best) >= wanted:
            break
    ranked = sorted(best.items(), key=lambda item: (item[1][0], item[0]))
    return [(service_id, km, site) for service_id, (km, site) in ranked[:wanted]]


def search_services(user: Any, query: SearchQuery) -> SearchPage:
    """A page of the services of the user's agency that match a query: nearest first when a
    point is given, by name otherwise."""
    require(user, Cap.DIRECTORY_VIEW)
    agency_id = user.agency_id
    zone = agency_zone(user.agency)
    at = query.at or timezone.now()
    if timezone.is_naive(at):
        # A time without an offset is the agency's local time ("open at 10:30").
        at = timezone.make_aware(at, zone)
    at = timezone.localtime(at, zone)
    page = SearchPage(query=query, at=at)
    filters = _Filters(agency_id, query, at).build()
    if filters.unknown_need:
        page.unknown_need = True
        return page
    if filters.nothing:
        return page
    limit = max(1, min(query.limit, MAX_LIMIT))
    offset = max(0, query.offset)
    distances: dict[int, tuple[float, int]] = {}
    if query.near:
        ranked = _nearest(filters, query, offset + limit + 1)
        ids = [service_id for service_id, _, _ in ranked][offset:]
        distances = {service_id: (km, site) for service_id, km, site in ranked}
    else:
        ids = _by_name(filters, query, limit + 1, offset)
    page.has_more = len(ids) > limit
    page.hits = _hits(agency_id, ids[:limit], distances, at)
    return page


def _hits(
    agency_id: int, ids: list[int], distances: dict[int, tuple[float, int]], at: dt.datetime
) -> list[Hit]:
    """The page's results in three small queries whatever their number: the services (with
    their organization, first phone and whether they are open), their capacities, and the site
    shown with its address."""
    if not ids:
        return []
    marks = _marks(ids)
    minute, day = at.hour * 60 + at.minute, connection.ops.adapt_datefield_value(at.date())
    services = {
        row[0]: row
        for row in _rows(
            f"SELECT s.id, s.hsds_id, s.name, s.status, o.name, "
            f"(SELECT p.number FROM {_table(Phone)} p WHERE p.service_id = s.id "
            "ORDER BY p.id LIMIT 1), "
            f"EXISTS (SELECT 1 FROM {_table(OpeningHours)} h WHERE h.service_id = s.id "
            "AND h.weekday = %s AND h.opens <= %s AND h.closes > %s "
            "AND (h.valid_from IS NULL OR h.valid_from <= %s) "
            "AND (h.valid_to IS NULL OR h.valid_to >= %s)) "
            f"FROM {_table(Service)} s "
            f"LEFT JOIN {_table(Organization)} o ON o.id = s.organization_id "
            f"WHERE s.id IN ({marks})",
            [at.weekday(), minute, minute, day, day, *ids],
        )
    }
    capacities: dict[int, list[CapacityView]] = {}
    for service_id, hsds_id, unit, available, maximum, description, updated in _rows(
        f"SELECT c.service_id, c.hsds_id, u.name, c.available, c.maximum, c.description, "
        f"c.updated FROM {_table(ServiceCapacity)} c JOIN {_table(Unit)} u ON u.id = c.unit_id "
        f"WHERE c.service_id IN ({marks}) ORDER BY u.name, c.id",
        ids,
    ):
        capacities.setdefault(service_id, []).append(
            CapacityView(
                hsds_id, services[service_id][1], unit, available, maximum, description,
                _instant(updated),
            )
        )  # fmt: skip
    # The site shown: the nearest one in a distance search, else the first; its address, a
    # physical one before a postal one.
    sites = [site for _, site in distances.values()] if distances else ids
    where_site = f"l.id IN ({_marks(sites)})" if distances else f"l.service_id IN ({marks})"
    place: dict[int, str] = {}
    postal: dict[int, str] = {}
    for service_id, location_name, kind, line in _rows(
        f"SELECT l.service_id, loc.name, a.address_type, a.one_line "
        f"FROM {_table(ServiceAtLocation)} l "
        f"LEFT JOIN {_table(Location)} loc ON loc.id = l.location_id "
        f"LEFT JOIN {_table(Address)} a ON a.location_id = l.location_id "
        f"WHERE {where_site} ORDER BY l.id, a.id",
        sites,
    ):
        if service_id in place or (service_id in postal and kind == "postal"):
            continue
        if line and kind == "postal":
            postal[service_id] = line
        elif line:
            place[service_id] = line
        elif location_name and service_id not in postal:
            place[service_id] = location_name
    hits = []
    for pk in ids:
        row = services.get(pk)
        if row is None:
            continue
        hits.append(
            Hit(
                pk=pk,
                hsds_id=row[1],
                name=row[2],
                status=row[3],
                organization=row[4] or "",
                distance_km=distances[pk][0] if pk in distances else None,
                open_now=bool(row[6]),
                address=place.get(pk) or postal.get(pk, ""),
                phone=row[5] or "",
                capacities=capacities.get(pk, []),
            )
        )
    return hits
