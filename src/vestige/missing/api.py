"""JSON API: missing persons (the register), candidates of the current run, identification stats.
DNA profiles and family contacts are never in these payloads."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.identification import services as ident
from vestige.identification.models import Candidate
from vestige.missing import services
from vestige.missing.models import Family, MissingPerson, MissingStatus

router = Router(tags=["missing persons and identification"])


class PersonIn(Schema):
    family: str  # an existing family's reference, or a new family's name
    family_name: str
    given_name: str
    patronymic: str = ""
    sex: str = "unknown"
    birth_date: dt.date | None = None
    height_cm: int | None = None
    last_seen_on: dt.date | None = None
    last_seen_place: str = ""
    last_seen_latitude: float | None = None
    last_seen_longitude: float | None = None
    circumstances: str = ""
    clothing: str = ""
    distinguishing_marks: str = ""
    dental_notes: str = ""


class PersonPatch(Schema):
    family_name: str | None = None
    given_name: str | None = None
    patronymic: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    height_cm: int | None = None
    last_seen_on: dt.date | None = None
    last_seen_place: str | None = None
    circumstances: str | None = None
    clothing: str | None = None
    distinguishing_marks: str | None = None
    dental_notes: str | None = None


class PersonOut(Schema):
    ref: str
    family: str
    family_name: str
    given_name: str
    patronymic: str
    sex: str
    birth_date: dt.date | None
    height_cm: int | None
    last_seen_on: dt.date | None
    last_seen_place: str
    status: str

    @staticmethod
    def resolve_family(obj):
        return obj.family.ref


class PersonPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PersonOut]


class CandidateOut(Schema):
    id: int
    remains: str
    missing_person: str
    lr: float
    log10_lr: float | None
    posterior: float
    markers_compared: int
    conflicts: int
    flags: dict

    @staticmethod
    def resolve_remains(obj):
        return obj.remains.body_number

    @staticmethod
    def resolve_missing_person(obj):
        return obj.missing_person.ref


@router.get("/missing-persons", response=PersonPage, url_name="person-list")
def list_persons(request, q: str = "", status: str = "", limit: int = 50, offset: int = 0):
    """The register. ``q`` matches names in Cyrillic or Latin, any common spelling."""
    require(request.user, Cap.REGISTRY_READ)
    qs = services.search_names(MissingPerson.objects.filter(withdrawn_at__isnull=True).select_related("family"), q)
    if status:
        if status not in MissingStatus.values:
            from vestige.errors import InvalidInput
            raise InvalidInput(f"status must be one of {', '.join(MissingStatus.values)}", field="status")
        qs = qs.filter(status=status)
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs.order_by("ref")[offset:offset + limit])}


@router.get("/missing-persons/{ref}", response=PersonOut, url_name="person-get")
def get_person(request, ref: str):
    require(request.user, Cap.REGISTRY_READ)
    return get_object_or_404(MissingPerson.objects.select_related("family"), ref=ref)


@router.post("/missing-persons", response={201: PersonOut}, url_name="person-create")
def create_person(request, payload: PersonIn):
    data = payload.dict()
    fam_ref = data.pop("family")
    family = Family.objects.filter(ref=fam_ref).first() or services.create_family(request.user, fam_ref, via="api")
    return Status(201, services.create_missing_person(request.user, family, data, via="api"))


@router.patch("/missing-persons/{ref}", response=PersonOut, url_name="person-update")
def update_person(request, ref: str, payload: PersonPatch):
    return services.update_missing_person(request.user, get_object_or_404(MissingPerson, ref=ref),
                                          payload.dict(exclude_unset=True), via="api")


@router.get("/candidates", response=list[CandidateOut], url_name="candidate-list")
def candidates(request, remains: str = "", missing_person: str = "", min_posterior: float = 0.0, limit: int = 100):
    """Candidates of the current matching run (statistics only)."""
    require(request.user, Cap.REGISTRY_READ)
    run = ident.current_run()
    if run is None:
        return []
    qs = Candidate.objects.filter(run=run, posterior__gte=min_posterior).select_related("remains", "missing_person")
    if remains:
        qs = qs.filter(remains__body_number=remains)
    if missing_person:
        qs = qs.filter(missing_person__ref=missing_person)
    return list(qs.order_by("-log10_lr")[: max(1, min(limit, 1000))])


@router.get("/identification/stats", url_name="identify-stats")
def identification_stats(request, site: str = ""):
    require(request.user, Cap.REGISTRY_READ)
    return ident.stats(site)
