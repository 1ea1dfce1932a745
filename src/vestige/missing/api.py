"""JSON API: missing persons (the register), families and their pedigrees.
DNA profiles and family contacts are never in these payloads."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.api_types import Limit, Offset
from vestige.errors import InvalidInput
from vestige.missing import services
from vestige.missing.models import Family, MissingPerson, MissingStatus
from vestige.missing.pedigrees import add_relative as add
from vestige.missing.pedigrees import remove_member as remove
from vestige.missing.pedigrees import update_member as update

router = Router(tags=["missing persons and families"])


class PersonIn(Schema):
    case: str = ""  # for a new family: its case (code); default: your only case
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


@router.get("/missing-persons", response=PersonPage, url_name="person-list")
def list_persons(request, q: str = "", status: str = "", limit: Limit = 50, offset: Offset = 0):
    """The register. ``q`` matches names in Cyrillic or Latin, any common spelling."""
    require(request.user, Cap.MISSING_READ)
    qs = services.search_names(access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True), request.user)
                               .select_related("family"), q)
    if status:
        if status not in MissingStatus.values:
            raise InvalidInput(f"status must be one of {', '.join(MissingStatus.values)}", field="status")
        qs = qs.filter(status=status)
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    return {"count": qs.count(), "limit": limit, "offset": offset, "items": list(qs.order_by("ref")[offset:offset + limit])}


@router.get("/missing-persons/{ref}", response=PersonOut, url_name="person-get")
def get_person(request, ref: str):
    require(request.user, Cap.MISSING_READ)
    return access.get(request.user, MissingPerson.objects.select_related("family"), ref=ref)


@router.post("/missing-persons", response={201: PersonOut}, url_name="person-create")
def create_person(request, payload: PersonIn):
    data = payload.dict()
    fam_ref = data.pop("family")
    case = data.pop("case") or None
    family = (access.scope(Family.objects.filter(ref=fam_ref), request.user).first()
              or services.create_family(request.user, fam_ref, case=case, via="api"))
    return Status(201, services.create_missing_person(request.user, family, data, via="api"))


@router.patch("/missing-persons/{ref}", response=PersonOut, url_name="person-update")
def update_person(request, ref: str, payload: PersonPatch):
    return services.update_missing_person(request.user, access.get(request.user, MissingPerson, ref=ref),
                                          payload.dict(exclude_unset=True), via="api")




class MemberOut(Schema):
    code: str
    sex: str
    father: str | None
    mother: str | None
    label: str
    deceased: bool
    missing_person: str | None
    donor: str | None


class FamilyOut(Schema):
    ref: str
    name: str
    members: list[MemberOut]
    missing_persons: list[str]


class RelativeIn(Schema):
    relation: str
    of: str
    sex: str = "unknown"
    code: str = ""
    other_parent: str = ""
    label: str = ""
    deceased: bool = False


class MemberPatch(Schema):
    sex: str | None = None
    father: str | None = None
    mother: str | None = None
    code: str | None = None
    label: str | None = None
    deceased: bool | None = None


def _family_out(family: Family) -> dict:
    members = list(family.members.select_related("father", "mother"))
    mps = {mp.member_id: mp.ref for mp in family.missing_persons.filter(withdrawn_at__isnull=True)}
    donors = {d.member_id: d.code for d in family.donors.all()}
    return {"ref": family.ref, "name": family.name, "missing_persons": sorted(mps.values()), "members": [
        {"code": m.code, "sex": m.sex, "father": m.father.code if m.father_id else None,
         "mother": m.mother.code if m.mother_id else None, "label": m.label, "deceased": m.deceased,
         "missing_person": mps.get(m.pk), "donor": donors.get(m.pk)} for m in members]}


@router.get("/families/{ref}", response=FamilyOut, url_name="family-get")
def get_family(request, ref: str):
    """A family's pedigree (no contacts, no DNA)."""
    require(request.user, Cap.MISSING_READ)
    return _family_out(access.get(request.user, Family, ref=ref))


@router.post("/families/{ref}/relatives", response={201: FamilyOut}, url_name="family-relative")
def add_relative(request, ref: str, payload: RelativeIn):
    """Add a relative by relationship to a member (father, mother, full_sibling,
    half_sibling_paternal, half_sibling_maternal, child, spouse)."""
    family = access.get(request.user, Family, ref=ref)
    add(request.user, family, **payload.dict(), via="api")
    return Status(201, _family_out(family))


@router.patch("/families/{ref}/members/{code}", response=FamilyOut, url_name="family-member-update")
def update_member(request, ref: str, code: str, payload: MemberPatch):
    family = access.get(request.user, Family, ref=ref)
    update(request.user, access.get(request.user, family.members, code=code), **payload.dict(exclude_unset=True), via="api")
    return _family_out(family)


@router.post("/families/{ref}/members/{code}/remove", response=FamilyOut, url_name="family-member-remove")
def remove_member(request, ref: str, code: str):
    family = access.get(request.user, Family, ref=ref)
    remove(request.user, access.get(request.user, family.members, code=code), via="api")
    return _family_out(family)
