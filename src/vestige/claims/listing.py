"""Filters, search, sort and CSV columns of the claims and incidents lists (HTML, CSV, API)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vestige.claims.models import Category, Claim, Incident, IncidentType, IssuerType, Status
from vestige.registry.listing import Column, Filter, ListSpec, ref_of

CLAIMS = ListSpec(
    model=Claim,
    search=("ref", "quote", "translation", "issuer__name", "counted", "source_note"),
    filters=(
        Filter("site", _("Site"), None, lambda qs, v: qs.filter(site__ref=v)),
        Filter("status", _("Status"), list(Status.choices)),
        Filter("category", _("Category"), list(Category.choices)),
        Filter("issuer_kind", _("Issuer type"), list(IssuerType.choices), lambda qs, v: qs.filter(issuer__kind=v)),
        Filter("incident", _("Incident"), None, lambda qs, v: qs.filter(incident__ref=v)),
    ),
    sorts={"said_on": "said_on", "ref": "ref", "status": "status", "issuer": "issuer__name"},
    default_sort="said_on",
    columns=(
        Column("ref", _("Reference"), lambda o: o.ref),
        Column("said_on", _("Date"), lambda o: o.said_on),
        Column("issuer", _("Issuer"), lambda o: o.issuer.name),
        Column("issuer_kind", _("Issuer type"), lambda o: o.issuer.kind),
        Column("category", _("Category"), lambda o: o.category),
        Column("quantity", _("Quantity"), lambda o: o.quantity_text()),
        Column("value_min", _("Value"), lambda o: o.value_min),
        Column("value_max", _("Upper bound"), lambda o: o.value_max),
        Column("qualifier", _("Qualifier"), lambda o: o.qualifier),
        Column("unit", _("Unit"), lambda o: o.unit),
        Column("counted", _("What was counted"), lambda o: o.counted),
        Column("site", _("Site"), ref_of("site", "ref")),
        Column("incident", _("Incident"), ref_of("incident", "ref")),
        Column("status", _("Status"), lambda o: o.status),
        Column("quote", _("Quote"), lambda o: o.quote),
        Column("source_url", _("Source"), lambda o: o.source_url or o.source_note),
    ),
    related=("issuer", "site", "incident"),
    search_help=_("quote, issuer, reference"),
)

INCIDENTS = ListSpec(
    model=Incident,
    search=("ref", "title", "place", "description", "source"),
    filters=(Filter("kind", _("Type"), list(IncidentType.choices)),),
    sorts={"started_on": "started_on", "ref": "ref"},
    default_sort="-started_on",
    columns=(
        Column("ref", _("Reference"), lambda o: o.ref),
        Column("kind", _("Type"), lambda o: o.kind),
        Column("title", _("Title"), lambda o: o.title),
        Column("started_on", _("From"), lambda o: o.started_on),
        Column("ended_on", _("To"), lambda o: o.ended_on),
        Column("place", _("Place"), lambda o: o.place),
        Column("reported_fatalities", _("Reported fatalities"), lambda o: o.reported_fatalities),
        Column("source", _("Source"), lambda o: o.source),
    ),
    search_help=_("title, place, source"),
)
