"""JSON API for claims and incidents (same services and role rules as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.api_types import Limit, Offset
from vestige.claims import services
from vestige.claims.listing import CLAIMS, INCIDENTS
from vestige.claims.models import (
    Category,
    Claim,
    DatePrecision,
    Incident,
    IncidentType,
    IssuerType,
    Measure,
    Qualifier,
    Relation,
    Unit,
)
from vestige.claims.models import (
    Status as CS,
)
from vestige.claims.reconcile import site_reconciliation
from vestige.registry.services import get_site

router = Router(tags=["claims"])


class IssuerIn(Schema):
    name: str
    kind: IssuerType


class ClaimIn(Schema):
    case: str = ""  # default: the site's or incident's case, else your only case
    issuer: IssuerIn
    said_on: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    quote: str
    quote_language: str = ""
    translation: str = ""
    is_paraphrase: bool = False
    source_url: str = ""
    source_note: str = ""
    category: Category
    site: str | None = None
    incident: str | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    qualifier: Qualifier | None = None
    unit: Unit | None = None
    counted: str = ""
    measure: Measure | None = None


class ClaimPatch(Schema):
    said_on: dt.date | None = None
    date_precision: DatePrecision | None = None
    quote: str | None = None
    quote_language: str | None = None
    translation: str | None = None
    is_paraphrase: bool | None = None
    source_url: str | None = None
    source_note: str | None = None
    category: Category | None = None
    site: str | None = None
    incident: str | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    qualifier: Qualifier | None = None
    unit: Unit | None = None
    counted: str | None = None
    measure: Measure | None = None


class ClaimOut(Schema):
    ref: str
    issuer: str = Field(alias="issuer.name")
    issuer_kind: str = Field(alias="issuer.kind")
    said_on: dt.date
    date_precision: str
    quote: str
    quote_language: str
    translation: str
    is_paraphrase: bool
    source_url: str
    source_note: str
    category: str
    site: str | None
    incident: str | None
    value_min: Decimal | None
    value_max: Decimal | None
    qualifier: str
    unit: str
    counted: str
    measure: str
    status: str

    @staticmethod
    def resolve_site(obj):
        return obj.site.ref if obj.site_id else None

    @staticmethod
    def resolve_incident(obj):
        return obj.incident.ref if obj.incident_id else None


class StatusIn(Schema):
    status: CS
    rationale: str
    source_assessment: str = ""
    technical_assessment: str = ""
    content_assessment: str = ""
    geolocation: str = ""
    chronolocation: str = ""


class LinkIn(Schema):
    relation: Relation
    other_claim: str | None = None
    site: str | None = None
    remains: str | None = None
    evidence: str | None = None
    url: str = ""
    note: str = ""


class IncidentIn(Schema):
    case: str = ""  # the case (code); default: your only case
    ref: str
    kind: IncidentType
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.DAY
    place: str = ""
    latitude: float | None = None
    longitude: float | None = None
    description: str = ""
    reported_fatalities: int | None = None
    source: str = ""
    sites: list[str] = []


class IncidentPatch(Schema):
    """Only the fields sent are changed (the reference is not: it names the record)."""

    kind: IncidentType | None = None
    title: str | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    date_precision: DatePrecision | None = None
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = None
    reported_fatalities: int | None = None
    source: str | None = None


class IncidentOut(Schema):
    ref: str
    kind: str
    title: str
    started_on: dt.date
    ended_on: dt.date | None
    date_precision: str
    place: str
    latitude: float | None
    longitude: float | None
    description: str
    reported_fatalities: int | None
    source: str
    sites: list[str]

    @staticmethod
    def resolve_sites(obj):
        return [s.ref for s in obj.sites.all()]


class ClaimPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ClaimOut]


class IncidentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IncidentOut]


def _page(request, spec, limit, offset):
    require(request.user, Cap.REGISTRY_READ)
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    qs = spec.queryset(request.GET, user=request.user)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs[offset:offset + limit])}


@router.get("/claims", response=ClaimPage, url_name="claim-list")
def list_claims(request, limit: Limit = 50, offset: Offset = 0):
    """Claims. Query: q, site, status, category, issuer_kind, incident, sort, withdrawn, limit, offset."""
    return _page(request, CLAIMS, limit, offset)


@router.get("/claims/reconciliation", url_name="claim-reconciliation")
def reconciliation(request, site: str):
    """Claimed, recorded and verified figures for a site, with the flags."""
    require(request.user, Cap.REGISTRY_READ)
    groups, other = site_reconciliation(get_site(site, request.user))
    return {"site": site, "measures": [{
        "measure": g.measure, "recorded": g.recorded,
        "verified": g.verified.ref if g.verified else None,
        "claims": [{"ref": c.ref, "said_on": c.said_on.isoformat(), "issuer": c.issuer.name, "quantity": c.quantity_text(),
                    "status": c.status, "differs_from_records": c.pk in g.differs_from_records} for c in g.claims],
        "conflicts": [[a.ref, b.ref] for a, b in g.conflicts]} for g in groups],
        "other_claims": [c.ref for c in other]}


@router.get("/claims/{ref}", response=ClaimOut, url_name="claim-get")
def get_claim(request, ref: str):
    require(request.user, Cap.REGISTRY_READ)
    return access.get(request.user, Claim.objects.select_related("issuer", "site", "incident"), ref=ref)


@router.post("/claims", response={201: ClaimOut}, url_name="claim-create")
def create_claim(request, payload: ClaimIn):
    data = payload.dict()
    data["issuer"] = {"name": payload.issuer.name, "kind": payload.issuer.kind}
    data = {k: ("" if v is None and k in ("qualifier", "unit", "measure") else v) for k, v in data.items()}
    return Status(201, services.create_claim(request.user, data, via="api"))


@router.patch("/claims/{ref}", response=ClaimOut, url_name="claim-update")
def update_claim(request, ref: str, payload: ClaimPatch):
    return services.update_claim(request.user, access.get(request.user, Claim, ref=ref), payload.dict(exclude_unset=True), via="api")


@router.post("/claims/{ref}/status", response=ClaimOut, url_name="claim-status")
def claim_status(request, ref: str, payload: StatusIn):
    claim = access.get(request.user, Claim, ref=ref)
    data = payload.dict()
    services.change_status(request.user, claim, data.pop("status"), data.pop("rationale"), via="api", **data)
    claim.refresh_from_db()
    return claim


@router.post("/claims/{ref}/links", response={201: dict}, url_name="claim-link")
def claim_link(request, ref: str, payload: LinkIn):
    claim = access.get(request.user, Claim, ref=ref)
    link = services.add_link(request.user, claim, payload.relation, other_claim=payload.other_claim, site=payload.site,
                             remains=payload.remains, evidence=payload.evidence, url=payload.url, note=payload.note,
                             via="api")
    return Status(201, {"id": link.pk, "relation": link.relation, "target": str(link.target)})


class ReasonIn(Schema):
    reason: str


@router.post("/claims/{ref}/withdraw", response=ClaimOut, url_name="claim-withdraw")
def withdraw_claim(request, ref: str, payload: ReasonIn):
    return services.withdraw(request.user, access.get(request.user, Claim, ref=ref), payload.reason, via="api")


@router.post("/claims/{ref}/restore", response=ClaimOut, url_name="claim-restore")
def restore_claim(request, ref: str, payload: ReasonIn):
    return services.restore(request.user, access.get(request.user, Claim, ref=ref), payload.reason, via="api")


@router.get("/incidents", response=IncidentPage, url_name="incident-list")
def list_incidents(request, limit: Limit = 50, offset: Offset = 0):
    """Incidents. Query: q, kind, sort, withdrawn, limit, offset."""
    return _page(request, INCIDENTS, limit, offset)


@router.get("/incidents/{ref}", response=IncidentOut, url_name="incident-get")
def get_incident(request, ref: str):
    require(request.user, Cap.REGISTRY_READ)
    return access.get(request.user, Incident, ref=ref)


@router.post("/incidents", response={201: IncidentOut}, url_name="incident-create")
def create_incident(request, payload: IncidentIn):
    data = payload.dict()
    sites = data.pop("sites")
    return Status(201, services.create_incident(request.user, data, sites=sites, via="api"))


@router.patch("/incidents/{ref}", response=IncidentOut, url_name="incident-update")
def update_incident(request, ref: str, payload: IncidentPatch):
    return services.update_incident(request.user, access.get(request.user, Incident, ref=ref),
                                    payload.dict(exclude_unset=True), via="api")
