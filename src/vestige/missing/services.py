"""The only writers of missing persons, families, pedigrees, donors, consent and reference profiles.

Pedigrees are checked with the kinship engine's own rules (:class:`vestige.kinship.Family`),
so a family that can be saved can be searched. DNA profiles and contacts are encrypted;
reading them needs a capability and every read is recorded.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access, crypto
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dnafiles import check_labels
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.history.models import Action
from vestige.history.services import diff, next_reference, record, snapshot
from vestige.kinship import Family as KFamily
from vestige.kinship import KinshipInputError
from vestige.kinship import Member as KMember
from vestige.linkage.names import name_key, similarity
from vestige.missing.models import Donor, Family, Member, MissingPerson, ReferenceProfile
from vestige.registry.services import invalid_from, withdraw

PERSON_FIELDS = ("family_name", "given_name", "patronymic", "sex", "birth_date", "height_cm", "last_seen_on",
                 "last_seen_place", "last_seen_latitude", "last_seen_longitude", "circumstances", "clothing",
                 "distinguishing_marks", "dental_notes")


def validate(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as e:
        raise invalid_from(e) from None


def _next(model, field: str, prefix: str) -> str:
    return next_reference(model, field, prefix, 5)


def kinship_family(family: Family, *, typed: dict[int, str] | None = None, require_missing: bool = True) -> KFamily:
    """The family as the kinship engine sees it (members by pedigree id; ``typed`` maps member
    pk → sample name). Raises KinshipInputError on an invalid pedigree."""
    members = list(family.members.all())
    by_pk = {m.pk: m for m in members}
    # Filtered in Python so that a prefetched family costs no query (matching runs over 10^4 families).
    missing = {mp.member_id for mp in family.missing_persons.all() if mp.withdrawn_at is None and mp.status == "missing"}
    return KFamily(family.ref, [
        KMember(id=m.code, sex=m.sex, father=by_pk[m.father_id].code if m.father_id else None,
                mother=by_pk[m.mother_id].code if m.mother_id else None, missing=m.pk in missing,
                sample=(typed or {}).get(m.pk), deceased=m.deceased)
        for m in members], source=family.ref, require_missing=require_missing)


@transaction.atomic
def create_family(actor, name: str, *, ref: str = "", contact: str = "", notes: str = "", case=None,
                  via: str = "web") -> Family:
    require(actor, Cap.MISSING_WRITE)
    case = access.case_for_new(actor, case)
    family = Family(ref=ref or _next(Family, "ref", "FAM-"), name=(name or "").strip(), notes=notes, case=case)
    family.contact_encrypted = crypto.encrypt(contact, crypto.context("family.contact", family.ref)) if contact else ""
    validate(family)
    family.save()
    record(family, Action.CREATED, actor, {"ref": [None, family.ref], "name": [None, family.name],
                                           **({"contact": [None, "(encrypted)"]} if contact else {})}, via=via)
    return family


@transaction.atomic
def add_member(actor, family: Family, code: str, sex: str = "unknown", *, father: str | None = None,
               mother: str | None = None, deceased: bool = False, label: str = "", via: str = "web") -> Member:
    """Add a person to the pedigree; both parents or none, by their pedigree ids."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, family)
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Give the member a pedigree id."), field="code")
    if family.members.filter(code=code).exists():
        raise InvalidInput(_("%(c)s is already in this family's pedigree.") % {"c": code}, field="code")
    parents = {}
    for role, pid in (("father", father), ("mother", mother)):
        if pid:
            parents[role] = family.members.filter(code=pid).first()
            if parents[role] is None:
                raise InvalidInput(_("%(role)s %(p)r is not in this family's pedigree.") % {"role": role, "p": pid}, field=role)
    member = Member(family=family, code=code, sex=sex, father=parents.get("father"), mother=parents.get("mother"),
                    deceased=deceased, label=label)
    validate(member)
    member.save()
    try:
        kinship_family(family, require_missing=False)
    except KinshipInputError as e:
        raise InvalidInput(e.message, field="father" if "parent" in e.message or "father" in e.message else "code") from None
    record(family, Action.UPDATED, actor, {f"member {code}": [None, f"{sex}, {label}".strip(", ")]}, via=via)
    return member


@transaction.atomic
def create_missing_person(actor, family: Family, data: dict[str, Any], *, member: str = "", father: str | None = None,
                          mother: str | None = None, ref: str = "", via: str = "web") -> MissingPerson:
    """Register a missing person in ``family`` (as pedigree member ``member``, created if new)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, family)
    unknown = sorted(set(data) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidInput(_("Unknown field(s): %(f)s") % {"f": ", ".join(unknown)}, field=unknown[0])
    code = member or f"MP{family.members.filter(code__startswith='MP').count() + 1}"
    node = family.members.filter(code=code).first() or add_member(
        actor, family, code, data.get("sex") or "unknown", father=father, mother=mother, label=_("missing"), via=via)
    if hasattr(node, "missing_person"):
        raise Conflict(_("%(c)s is already a missing person.") % {"c": code})
    person = MissingPerson(ref=ref or _next(MissingPerson, "ref", "MP-"), family=family, member=node)
    for k, v in data.items():
        setattr(person, k, v if v is not None or person._meta.get_field(k).null else "")
    person.name_key = name_key(f"{person.family_name} {person.given_name} {person.patronymic}")
    validate(person)
    person.save()
    if node.sex != person.sex and person.sex != "unknown":
        node.sex = person.sex
        node.save(update_fields=["sex"])
    record(person, Action.CREATED, actor, diff({}, snapshot(person, ("ref", *PERSON_FIELDS))), via=via)
    return person


@transaction.atomic
def update_missing_person(actor, person: MissingPerson, data: dict[str, Any], *, via: str = "web") -> MissingPerson:
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, person)
    person = MissingPerson.objects.select_for_update().get(pk=person.pk)
    if person.withdrawn:
        raise Conflict(_("%(obj)s is withdrawn; restore it before editing.") % {"obj": person.ref})
    unknown = sorted(set(data) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidInput(_("Unknown field(s): %(f)s") % {"f": ", ".join(unknown)}, field=unknown[0])
    before = snapshot(person, PERSON_FIELDS)
    for k, v in data.items():
        setattr(person, k, v if v is not None or person._meta.get_field(k).null else "")
    person.name_key = name_key(f"{person.family_name} {person.given_name} {person.patronymic}")
    validate(person)
    changes = diff(before, snapshot(person, PERSON_FIELDS))
    if changes:
        person.save()
        record(person, Action.UPDATED, actor, changes, via=via)
    return person


def possible_duplicates(person: MissingPerson, threshold: float = 0.85, limit: int = 10) -> list[tuple[MissingPerson, float]]:
    """Other registered persons whose names match across spellings (and birth year, when both known).

    Shown for a person to decide; never merged automatically.
    """
    first = person.name_key[:2]
    qs = MissingPerson.objects.filter(withdrawn_at__isnull=True).exclude(pk=person.pk)
    if first:
        qs = qs.filter(name_key__startswith=first[0])
    out = []
    me = f"{person.family_name} {person.given_name}"
    for other in qs.only("id", "ref", "family_name", "given_name", "patronymic", "birth_date", "name_key"):
        score = similarity(me, f"{other.family_name} {other.given_name}")
        if person.birth_date and other.birth_date and person.birth_date.year != other.birth_date.year:
            score -= 0.2
        if score >= threshold:
            out.append((other, round(score, 3)))
    return sorted(out, key=lambda x: -x[1])[:limit]


def search_names(qs, text: str):
    """Filter a MissingPerson queryset by a name written in Cyrillic or Latin, any common spelling."""
    key = name_key(text)
    if not key:
        return qs
    for part in key.split():
        qs = qs.filter(name_key__contains=part)
    return qs


@transaction.atomic
def merge(actor, duplicate: MissingPerson, kept: MissingPerson, reason: str = "", *, via: str = "web") -> MissingPerson:
    """A person decides two records are one: the duplicate is withdrawn, naming the kept record."""

    require(actor, Cap.MISSING_WRITE)
    access.check(actor, duplicate)
    access.check(actor, kept)
    if duplicate.pk == kept.pk:
        raise InvalidInput(_("A record cannot be merged into itself."), field="kept")
    if duplicate.withdrawn or kept.withdrawn:
        raise Conflict(_("Only two current records can be merged; restore the withdrawn one first."))
    family = duplicate.family
    other_family = family.pk != kept.family_id
    # The duplicate's family goes with it when nothing else is left in it; references given for
    # the duplicate are relative to its place in that pedigree, so they cannot silently follow.
    if other_family and not family.withdrawn:
        others = family.missing_persons.filter(withdrawn_at__isnull=True).exclude(pk=duplicate.pk).exists()
        donors = family.donors.filter(withdrawn_at__isnull=True).count()
        if donors and not others:
            raise Conflict(_("Family %(f)s holds %(n)d reference donor(s) placed around %(dup)s, which would be left "
                             "with nobody to identify. Merge the other way (keep %(dup)s, merge %(kept)s into it), "
                             "or record those relatives in the family of %(kept)s first.")
                           % {"f": family.ref, "n": donors, "dup": duplicate.ref, "kept": kept.ref})
    text = _("Merged into %(ref)s.") % {"ref": kept.ref} + (f" {reason}" if reason else "")
    withdrawn = withdraw(actor, duplicate, text, via=via, cap=Cap.MISSING_WRITE)
    if other_family and not family.withdrawn and not family.missing_persons.filter(withdrawn_at__isnull=True).exists():
        withdraw(actor, family, _("Its only missing person, %(dup)s, was merged into %(kept)s.")
                 % {"dup": duplicate.ref, "kept": kept.ref}, via=via, cap=Cap.MISSING_WRITE)
    # The kept record's own history says what was merged into it, and under which name (an alias).
    change = {"merged from": [None, duplicate.ref]}
    if duplicate.full_name != kept.full_name:
        change["alias"] = [None, duplicate.full_name]
    record(kept, Action.UPDATED, actor, change, reason=reason or text, via=via)
    return withdrawn


@transaction.atomic
def add_donor(actor, family: Family, member: str, *, consent_on, contact: str = "", sex: str = "unknown",
              father: str | None = None, mother: str | None = None, label: str = "", scope: str = "",
              code: str = "", via: str = "web") -> Donor:
    """A donor at pedigree position ``member`` (created if new) with consent; the MP's own item is
    a donor at the missing person's position (a direct reference)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, family)
    if not consent_on:
        raise InvalidInput(_("Record the date consent was given."), field="consent_on")
    node = family.members.filter(code=member).first() or add_member(
        actor, family, member, sex, father=father, mother=mother, label=label, via=via)
    if hasattr(node, "donor"):
        raise Conflict(_("%(c)s already has a donor record.") % {"c": member})
    donor = Donor(code=code or _next(Donor, "code", "DON-"), family=family, member=node, consent_on=consent_on,
                  **({"consent_scope": scope} if scope else {}))
    donor.contact_encrypted = crypto.encrypt(contact, crypto.context("donor.contact", donor.code)) if contact else ""
    validate(donor)
    donor.save()
    record(donor, Action.CREATED, actor, {"code": [None, donor.code], "member": [None, member],
                                          "consent_on": [None, str(consent_on)]}, via=via)
    return donor


@transaction.atomic
def withdraw_consent(actor, donor: Donor, on, reason: str, *, via: str = "web") -> Donor:
    """Withdrawn consent removes the donor's profiles from every later matching run."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, donor)
    if not (reason or "").strip():
        raise InvalidInput(_("Record why consent was withdrawn."), field="reason")
    if donor.consent_withdrawn_on:
        raise Conflict(_("Consent was already withdrawn on %(d)s.") % {"d": donor.consent_withdrawn_on})
    donor.consent_withdrawn_on = on
    donor.consent_withdrawn_reason = reason.strip()
    donor.save(update_fields=["consent_withdrawn_on", "consent_withdrawn_reason", "updated_at"])
    record(donor, Action.UPDATED, actor, {"consent_withdrawn_on": [None, str(on)]}, reason=reason, via=via)
    return donor


def _check_genotypes(genotypes: dict[str, tuple[str, str | None]], where: str, dropout: float) -> dict:

    if not genotypes:
        raise InvalidInput(_("%(w)s: the profile has no typed marker.") % {"w": where}, field="profile")
    check_labels(genotypes, f"{where}: ")
    if not 0.0 <= dropout < 1.0:
        raise InvalidInput(_("The drop-out probability must be in [0, 1)."), field="dropout")
    if dropout == 0.0 and any(b is None for _a, b in genotypes.values()):
        raise InvalidInput(_("%(w)s: one allele only at some marker; give the drop-out probability.") % {"w": where},
                           field="dropout")
    return {m: [str(a), None if b is None else str(b)] for m, (a, b) in sorted(genotypes.items())}


@transaction.atomic
def add_reference_profile(actor, donor: Donor, genotypes: dict[str, tuple[str, str | None]], *, lab: str, kit: str,
                          source: str = "", dropout: float = 0.0, via: str = "web") -> ReferenceProfile:
    require(actor, Cap.DNA_WRITE)
    access.check(actor, donor)
    if not lab or not kit:
        raise InvalidInput(_("Record the laboratory and the kit."), field="lab" if not lab else "kit")
    if donor.withdrawn_at is not None or not donor.consent_active:
        raise Conflict(_("%(c)s has no consent in force: the profile is not recorded.") % {"c": donor.code})
    profile = _check_genotypes(genotypes, donor.code, dropout)
    row = ReferenceProfile(donor=donor, lab=lab, kit=kit, source=source, imported_by=actor, dropout=dropout,
                           profile_encrypted=crypto.encrypt(json.dumps(profile),
                                                            crypto.context("reference.profile", donor.code)),
                           markers=len(profile))
    row.save()
    record(donor, Action.UPDATED, actor, {"reference profile": [None, f"{len(profile)} markers, {lab}, {kit}"
                                                                  + (f", drop-out {dropout:g}" if dropout else "")]},
           via=via)
    return row


def read_profile(actor, encrypted: str, donor: Donor, *, via: str = "web") -> dict[str, list[str]]:
    """Decrypt one of ``donor``'s DNA profiles for a role that may see it; the view is recorded."""
    require(actor, Cap.DNA_READ)
    access.check(actor, donor)
    record(donor, Action.VIEWED, actor, {"DNA profile": [None, "viewed"]}, via=via)
    return json.loads(crypto.decrypt(encrypted, crypto.context("reference.profile", donor.code)))


def read_contact(actor, owner: Family | Donor, *, via: str = "web") -> str:
    require(actor, Cap.CONTACT_READ)
    access.check(actor, owner)
    record(owner, Action.VIEWED, actor, {"contact": [None, "viewed"]}, via=via)
    ctx = crypto.context("family.contact", owner.ref) if isinstance(owner, Family) else crypto.context(
        "donor.contact", owner.code)
    return crypto.decrypt(owner.contact_encrypted, ctx)


def profiles_for_matching(family: Family | None = None, *, with_dropout: bool = False):
    """Donor pk → merged genotypes of its reference profiles, for donors whose consent stands
    (of one family, when given). Internal to the engine's callers: no person sees these values.
    With ``with_dropout``, also donor pk → the largest drop-out probability of its profiles."""
    out: dict[int, dict[str, tuple[str, str | None]]] = {}
    dropout: dict[int, float] = {}
    rows = ReferenceProfile.objects.filter(donor__consent_withdrawn_on__isnull=True, donor__withdrawn_at__isnull=True)
    if family is not None:
        rows = rows.filter(donor__family=family)
    for donor_id, code, encrypted, row_dropout in rows.values_list("donor_id", "donor__code", "profile_encrypted",
                                                                   "dropout").order_by("pk"):
        merged = out.setdefault(donor_id, {})
        for m, (a, b) in json.loads(crypto.decrypt(encrypted, crypto.context("reference.profile", code))).items():
            merged.setdefault(m, (a, b))
        if row_dropout:
            dropout[donor_id] = max(dropout.get(donor_id, 0.0), row_dropout)
    return (out, dropout) if with_dropout else out


def get_person(ref: str, actor=None) -> MissingPerson:
    qs = MissingPerson.objects.select_related("family", "member")
    if actor is not None:
        qs = access.scope(qs, actor)
    try:
        return qs.get(ref=ref)
    except MissingPerson.DoesNotExist:
        raise NotFound(_("No missing person %(r)r.") % {"r": ref}) from None
