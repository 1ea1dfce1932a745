"""What each registry list can be filtered, searched, sorted and exported by.

One :class:`ListSpec` per model serves the HTML list, the CSV export and the JSON API, so the
three always agree. Exported CSV columns are the import columns: an export can be re-imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vestige import access
from vestige.errors import InvalidInput
from vestige.registry.models import (
    Category,
    Exhumation,
    Grave,
    GraveStatus,
    Injury,
    MannerOfDeath,
    MarkerType,
    Remains,
    RemainsStatus,
    Sex,
    Site,
    SiteKind,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    choices: list[tuple[str, str]] | None = None  # None: free text (e.g. a site reference)
    apply: Callable[[QuerySet, str], QuerySet] | None = None


@dataclass(frozen=True)
class Column:
    header: str  # CSV header and import column
    label: str
    get: Callable[[models.Model], object]


@dataclass(frozen=True)
class ListSpec:
    model: type[models.Model]
    search: tuple[str, ...]
    filters: tuple[Filter, ...]
    sorts: dict[str, str]  # public key -> ORM field
    default_sort: str
    columns: tuple[Column, ...]
    related: tuple[str, ...] = ()
    # What the rows show of each related record: only those columns are read with it (a site's
    # outline is not decoded fifty times for a list of remains).
    related_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    search_help: str = ""
    extra: dict = field(default_factory=dict)

    def queryset(self, params: Mapping[str, str], base: QuerySet | None = None, *, user=None) -> QuerySet:
        """Apply ``q``, filters, ``withdrawn`` (exclude|include|only) and ``sort`` from ``params``,
        to the records ``user`` may see (every caller that shows rows to a person passes one)."""

        qs = base if base is not None else self.model.objects.all()
        if user is not None:
            qs = access.scope(qs, user)
        if self.related:
            qs = qs.select_related(*self.related)
        if self.related_fields:
            own = [f.attname for f in self.model._meta.concrete_fields]
            qs = qs.only(*own, *(f"{rel}__{name}" for rel, names in self.related_fields.items() for name in names))
        withdrawn = params.get("withdrawn") or "exclude"
        if withdrawn == "exclude":
            qs = qs.filter(withdrawn_at__isnull=True)
        elif withdrawn == "only":
            qs = qs.filter(withdrawn_at__isnull=False)
        elif withdrawn != "include":
            raise InvalidInput(gettext("withdrawn must be exclude, include or only"), field="withdrawn")
        q = (params.get("q") or "").strip()
        if q:
            qs = qs.filter(reduce(or_, (Q(**{f"{f}__icontains": q}) for f in self.search)))
        for flt in self.filters:
            value = (params.get(flt.name) or "").strip()
            if not value:
                continue
            if flt.choices is not None and value not in {c[0] for c in flt.choices}:
                raise InvalidInput(
                    gettext("%(v)r is not a valid %(f)s; choose one of: %(c)s")
                    % {"v": value, "f": flt.name, "c": ", ".join(c[0] for c in flt.choices)},
                    field=flt.name,
                )
            qs = flt.apply(qs, value) if flt.apply else qs.filter(**{flt.name: value})
        sort = params.get("sort") or self.default_sort
        key = sort.lstrip("-")
        if key not in self.sorts:
            raise InvalidInput(
                gettext("Cannot sort by %(s)r; choose one of: %(c)s") % {"s": sort, "c": ", ".join(self.sorts)},
                field="sort",
            )
        desc = sort.startswith("-")
        order = [self._order(f, desc) for f in self.sorts[key].split(",")]
        return qs.order_by(*order, "-pk" if desc else "pk")

    def _order(self, name: str, desc: bool):
        """Order by ``name``; empty values last in both directions, on SQLite and PostgreSQL alike."""
        try:
            nullable = "__" not in name and self.model._meta.get_field(name).null
        except Exception:
            nullable = False
        if not nullable:
            return f"-{name}" if desc else name
        return F(name).desc(nulls_last=True) if desc else F(name).asc(nulls_last=True)

    def csv_rows(self, qs: QuerySet) -> Iterator[list]:
        yield [c.header for c in self.columns]
        for obj in qs.iterator(chunk_size=2000):
            yield [_cell(c.get(obj)) for c in self.columns]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(map(str, value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def ref_of(attr: str, sub: str):
    """Column getter: ``obj.<attr>.<sub>``, or None when the relation is empty."""

    def get(obj):
        target = getattr(obj, attr)
        return getattr(target, sub) if target is not None else None
    return get


def _by_site(qs: QuerySet, value: str) -> QuerySet:
    return qs.filter(site__ref=value)


def _yes_no(cond: Q) -> Callable[[QuerySet, str], QuerySet]:
    return lambda qs, v: qs.filter(cond) if v == "yes" else qs.exclude(cond)


# JSON lists are filtered by their quoted text, which works the same on SQLite and PostgreSQL.
HAS_TORTURE = ~Q(torture_signs=[])
IS_CHILD = Q(age_max__lt=18)

SITES = ListSpec(
    model=Site,
    search=("ref", "name", "locality", "region", "description"),
    filters=(
        Filter("kind", _("Kind"), list(SiteKind.choices)),
        Filter("region", _("Region"), None, lambda qs, v: qs.filter(region__iexact=v)),
    ),
    sorts={"ref": "ref", "name": "name", "discovered_on": "discovered_on", "kind": "kind"},
    default_sort="ref",
    columns=(
        Column("ref", _("Reference"), lambda o: o.ref),
        Column("name", _("Name"), lambda o: o.name),
        Column("kind", _("Kind"), lambda o: o.kind),
        Column("region", _("Region"), lambda o: o.region),
        Column("locality", _("Locality"), lambda o: o.locality),
        Column("latitude", _("Latitude"), lambda o: round(o.latitude, 6)),
        Column("longitude", _("Longitude"), lambda o: round(o.longitude, 6)),
        Column("discovered_on", _("Discovered on"), lambda o: o.discovered_on),
        Column("discovery_method", _("How discovered"), lambda o: o.discovery_method),
    ),
    search_help=_("reference, name, place"),
)

GRAVES = ListSpec(
    model=Grave,
    search=("label", "inscription", "notes", "position_note"),
    filters=(
        Filter("site", _("Site"), None, _by_site),
        Filter("status", _("Status"), list(GraveStatus.choices)),
        Filter("marker_type", _("Marker type"), list(MarkerType.choices)),
    ),
    sorts={"label": "site__ref,label_number,label", "site": "site__ref", "status": "status",
           "expected_occupants": "expected_occupants", "updated_at": "updated_at"},
    default_sort="label",
    columns=(
        Column("site", _("Site"), ref_of("site", "ref")),
        Column("label", _("Label"), lambda o: o.label),
        Column("marker_type", _("Marker type"), lambda o: o.marker_type),
        Column("inscription", _("Inscription"), lambda o: o.inscription),
        Column("latitude", _("Latitude"), lambda o: o.latitude),
        Column("longitude", _("Longitude"), lambda o: o.longitude),
        Column("position_note", _("Position note"), lambda o: o.position_note),
        Column("expected_occupants", _("Expected occupants"), lambda o: o.expected_occupants),
        Column("status", _("Status"), lambda o: o.status),
        Column("notes", _("Notes"), lambda o: o.notes),
    ),
    related=("site",),
    search_help=_("label, inscription, notes"),
)

EXHUMATIONS = ListSpec(
    model=Exhumation,
    search=("reference", "team", "authority", "notes"),
    filters=(Filter("site", _("Site"), None, _by_site),),
    sorts={"started_on": "started_on", "reference": "reference", "site": "site__ref"},
    default_sort="-started_on",
    columns=(
        Column("reference", _("Reference"), lambda o: o.reference),
        Column("site", _("Site"), ref_of("site", "ref")),
        Column("team", _("Team"), lambda o: o.team),
        Column("authority", _("Authority"), lambda o: o.authority),
        Column("started_on", _("Started on"), lambda o: o.started_on),
        Column("ended_on", _("Ended on"), lambda o: o.ended_on),
        Column("notes", _("Notes"), lambda o: o.notes),
    ),
    related=("site",),
    search_help=_("reference, team, authority"),
)

REMAINS = ListSpec(
    model=Remains,
    search=("body_number", "cause_of_death", "clothing_effects", "notes"),
    filters=(
        Filter("site", _("Site"), None, _by_site),
        Filter("sex", _("Sex"), list(Sex.choices)),
        Filter("category", _("Civilian or serviceman"), list(Category.choices)),
        Filter("status", _("Status"), list(RemainsStatus.choices)),
        Filter("manner_of_death", _("Manner of death"), list(MannerOfDeath.choices)),
        Filter("injury", _("Injury"), list(Injury.choices),
               lambda qs, v: qs.filter(injuries__icontains=f'"{v}"')),
        Filter("torture", _("Signs of torture"), YES_NO, lambda qs, v: _yes_no(HAS_TORTURE)(qs, v)),
        Filter("child", _("Child"), YES_NO, lambda qs, v: _yes_no(IS_CHILD)(qs, v)),
    ),
    sorts={"body_number": "body_number", "site": "site__ref,body_number", "sex": "sex",
           "age_min": "age_min", "status": "status", "recovered_on": "recovered_on",
           "updated_at": "updated_at"},
    default_sort="body_number",
    columns=(
        Column("body_number", _("Body number"), lambda o: o.body_number),
        Column("site", _("Site"), ref_of("site", "ref")),
        Column("grave", _("Grave"), ref_of("grave", "label")),
        Column("exhumation", _("Exhumation"), ref_of("exhumation", "reference")),
        Column("recovered_on", _("Recovered on"), lambda o: o.recovered_on),
        Column("sex", _("Sex"), lambda o: o.sex),
        Column("age_min", _("Age min"), lambda o: o.age_min),
        Column("age_max", _("Age max"), lambda o: o.age_max),
        Column("stature_min_cm", _("Stature min (cm)"), lambda o: o.stature_min_cm),
        Column("stature_max_cm", _("Stature max (cm)"), lambda o: o.stature_max_cm),
        Column("injuries", _("Injuries"), lambda o: o.injuries),
        Column("torture_signs", _("Signs of torture"), lambda o: o.torture_signs),
        Column("cause_of_death", _("Cause of death"), lambda o: o.cause_of_death),
        Column("manner_of_death", _("Manner of death"), lambda o: o.manner_of_death),
        Column("clothing_effects", _("Clothing and effects"), lambda o: o.clothing_effects),
        Column("category", _("Civilian or serviceman"), lambda o: o.category),
        Column("status", _("Status"), lambda o: o.status),
        Column("notes", _("Notes"), lambda o: o.notes),
    ),
    related=("site", "grave", "exhumation"),
    related_fields={"site": ("ref",), "grave": ("label",), "exhumation": ("reference",)},
    search_help=_("body number, cause of death, clothing"),
)

SPECS: dict[type[models.Model], ListSpec] = {s.model: s for s in (SITES, GRAVES, EXHUMATIONS, REMAINS)}
