"""Editing a family's pedigree as people describe it, and importing pedigrees.

A relative is added *by relationship* to someone already in the pedigree — "the father of the
missing boy", "a full sister of MP1", "a child of MP1 with his wife W" — and the links the
relationship needs are created too (a father's arrival gives the person an untyped mother as
well: the kinship engine wants both parents or none). Members are corrected (sex, parents, id,
relationship, deceased) and removed when they carry no data. Every change is checked by the
kinship engine's own rules (:class:`vestige.kinship.Family`) inside the transaction that makes
it, and recorded in the family's history.

Import (all rows or none, dry run): CSV/XLSX rows ``family,member,sex,father,mother,missing_ref,
donor_code`` (optional ``name``, ``label``, ``deceased``), or the kinship engine's family JSON
files. A new family keeps the file's reference when it is free; a member with a missing-person
reference becomes that missing person (a new record, or an existing one of the family moved to
this place in the pedigree); a member with a donor code becomes a donor, so that a profiles file
keyed by those codes can be imported next.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, ImportRejected, InvalidInput, RowError
from vestige.history.models import Action
from vestige.history.services import record
from vestige.kinship import Family as KFamily
from vestige.kinship import KinshipInputError
from vestige.kinship import Member as KMember
from vestige.kinship.familias import parse_fam, to_engine
from vestige.missing.gedcom import rows_from_gedcom
from vestige.missing.models import Donor, Family, Member, MemberSex, MissingPerson
from vestige.missing.services import (
    add_donor,
    create_family,
    create_missing_person,
    kinship_family,
    validate,
)
from vestige.missing.tree_matches import tree_matches
from vestige.registry.importing import ImportReport, read_table

RELATIONS = {
    "father": _("father"), "mother": _("mother"), "full_sibling": _("full sibling"),
    "half_sibling_paternal": _("half sibling (same father)"), "half_sibling_maternal": _("half sibling (same mother)"),
    "child": _("child"), "spouse": _("spouse / partner"),
}
PREFIX = {"father": "FA", "mother": "MO", "full_sibling": "SIB", "half_sibling_paternal": "HS",
          "half_sibling_maternal": "HS", "child": "CH", "spouse": "SP"}
OPPOSITE = {"male": "female", "female": "male"}


def _code(family: Family, prefix: str, taken: set[str] | None = None) -> str:
    taken = taken if taken is not None else set(family.members.values_list("code", flat=True))
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    taken.add(f"{prefix}{n}")
    return f"{prefix}{n}"


def _member(family: Family, code: str, field_name: str = "of") -> Member:
    m = family.members.filter(code=(code or "").strip()).first()
    if m is None:
        raise InvalidInput(_("%(c)r is not in the pedigree of %(f)s.") % {"c": code, "f": family.ref}, field=field_name)
    return m


def _check(family: Family, field_name: str = "code") -> None:
    """The kinship engine's rules on the pedigree as it now stands (inside the transaction)."""
    try:
        kinship_family(Family.objects.get(pk=family.pk), require_missing=False)
    except KinshipInputError as e:
        raise InvalidInput(e.message, field=field_name) from None


def _new(family: Family, code: str, sex: str, father: Member | None = None, mother: Member | None = None,
         label: str = "", deceased: bool = False) -> Member:
    m = Member(family=family, code=code, sex=sex, father=father, mother=mother, label=label, deceased=deceased)
    validate(m)
    m.save()
    return m


def _ensure_parents(family: Family, person: Member, taken: set[str]) -> tuple[Member, Member, list[str]]:
    """The person's parents, created (untyped) when the pedigree has none yet."""
    if person.father_id:
        return person.father, person.mother, []
    fa = _new(family, _code(family, "FA", taken), MemberSex.MALE, label=_("father of %(c)s") % {"c": person.code})
    mo = _new(family, _code(family, "MO", taken), MemberSex.FEMALE, label=_("mother of %(c)s") % {"c": person.code})
    person.father, person.mother = fa, mo
    person.save(update_fields=["father", "mother"])
    return fa, mo, [fa.code, mo.code]


@transaction.atomic
def add_relative(actor, family: Family, relation: str, of: str, *, sex: str = MemberSex.UNKNOWN, code: str = "",
                 other_parent: str = "", label: str = "", deceased: bool = False, via: str = "web") -> Member:
    """Add a relative of pedigree member ``of``; returns the new relative."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, family)
    if relation not in RELATIONS:
        raise InvalidInput(_("The relationship must be one of: %(r)s.") % {"r": ", ".join(RELATIONS)}, field="relation")
    if sex not in MemberSex.values:
        raise InvalidInput(_("Sex must be male, female or unknown."), field="sex")
    person = _member(family, of)
    taken = set(family.members.values_list("code", flat=True))
    code = (code or "").strip()
    if code and code in taken:
        raise InvalidInput(_("%(c)s is already in this family's pedigree.") % {"c": code}, field="code")
    if code:
        taken.add(code)
    label = label or _("%(rel)s of %(c)s") % {"rel": RELATIONS[relation], "c": person.code}
    created: list[str] = []
    if relation in ("father", "mother"):
        if person.father_id:
            parent = person.father if relation == "father" else person.mother
            raise InvalidInput(_("%(c)s already has a %(rel)s in the pedigree (%(p)s); correct that member instead.")
                               % {"c": person.code, "rel": RELATIONS[relation], "p": parent.code}, field="relation")
        psex = MemberSex.MALE if relation == "father" else MemberSex.FEMALE
        new = _new(family, code or _code(family, PREFIX[relation], taken), psex, label=label, deceased=deceased)
        other_sex = OPPOSITE[psex]
        other = _new(family, _code(family, "MO" if relation == "father" else "FA", taken), other_sex,
                     label=_("%(rel)s of %(c)s") % {"rel": RELATIONS["mother" if relation == "father" else "father"],
                                                     "c": person.code})
        person.father, person.mother = (new, other) if relation == "father" else (other, new)
        person.save(update_fields=["father", "mother"])
        created = [new.code, other.code]
    elif relation == "full_sibling":
        fa, mo, made = _ensure_parents(family, person, taken)
        new = _new(family, code or _code(family, "SIB", taken), sex, fa, mo, label, deceased)
        created = [*made, new.code]
    elif relation in ("half_sibling_paternal", "half_sibling_maternal"):
        fa, mo, made = _ensure_parents(family, person, taken)
        if relation == "half_sibling_paternal":
            mo = _new(family, _code(family, "MO", taken), MemberSex.FEMALE,
                      label=_("mother of %(c)s's half sibling") % {"c": person.code})
            made.append(mo.code)
        else:
            fa = _new(family, _code(family, "FA", taken), MemberSex.MALE,
                      label=_("father of %(c)s's half sibling") % {"c": person.code})
            made.append(fa.code)
        new = _new(family, code or _code(family, "HS", taken), sex, fa, mo, label, deceased)
        created = [*made, new.code]
    elif relation == "child":
        if other_parent:
            partner = _member(family, other_parent, "other_parent")
        else:
            if person.sex not in OPPOSITE:
                raise InvalidInput(_("Name the child's other parent, or give %(c)s's sex.") % {"c": person.code},
                                   field="other_parent")
            partner = _new(family, _code(family, "SP", taken), OPPOSITE[person.sex],
                           label=_("partner of %(c)s") % {"c": person.code})
            created.append(partner.code)
        if person.sex == partner.sex or MemberSex.UNKNOWN in (person.sex, partner.sex):
            raise InvalidInput(_("A child's parents must be a man and a woman of known sex (%(a)s: %(x)s, %(b)s: %(y)s).")
                               % {"a": person.code, "x": person.sex, "b": partner.code, "y": partner.sex},
                               field="other_parent")
        fa, mo = (person, partner) if person.sex == MemberSex.MALE else (partner, person)
        new = _new(family, code or _code(family, "CH", taken), sex, fa, mo, label, deceased)
        created.append(new.code)
    else:  # spouse
        if person.sex not in OPPOSITE:
            raise InvalidInput(_("Give %(c)s's sex first.") % {"c": person.code}, field="of")
        new = _new(family, code or _code(family, "SP", taken), OPPOSITE[person.sex], label=label, deceased=deceased)
        created = [new.code]
    _check(family, "relation")
    record(family, Action.UPDATED, actor, {f"member {c}": [None, "added"] for c in created}
           | {"pedigree": [None, f"{RELATIONS[relation]} of {person.code}: {new.code}"]}, via=via)
    return new


@transaction.atomic
def update_member(actor, member: Member, *, sex: str | None = None, father: str | None = None,
                  mother: str | None = None, code: str | None = None, label: str | None = None,
                  deceased: bool | None = None, via: str = "web") -> Member:
    """Correct a member: sex, parents (both or none, by pedigree id; "" for none), id, relationship."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, member)
    member = Member.objects.select_for_update().get(pk=member.pk)
    family = member.family
    before = {"sex": member.sex, "father": member.father.code if member.father_id else None,
              "mother": member.mother.code if member.mother_id else None, "code": member.code,
              "label": member.label, "deceased": member.deceased}
    if sex is not None:
        if sex not in MemberSex.values:
            raise InvalidInput(_("Sex must be male, female or unknown."), field="sex")
        member.sex = sex
    if father is not None or mother is not None:
        fa = (father or "").strip() if father is not None else before["father"] or ""
        mo = (mother or "").strip() if mother is not None else before["mother"] or ""
        if bool(fa) != bool(mo):
            raise InvalidInput(_("Give both parents or none."), field="father" if not fa else "mother")
        member.father = _member(family, fa, "father") if fa else None
        member.mother = _member(family, mo, "mother") if mo else None
    if code is not None:
        code = code.strip()
        if not code:
            raise InvalidInput(_("Give the member a pedigree id."), field="code")
        if code != member.code and family.members.filter(code=code).exists():
            raise InvalidInput(_("%(c)s is already in this family's pedigree.") % {"c": code}, field="code")
        member.code = code
    if label is not None:
        member.label = label.strip()
    if deceased is not None:
        member.deceased = bool(deceased)
    validate(member)
    member.save()
    mp = MissingPerson.objects.filter(member=member).first()
    if mp is not None and sex is not None and mp.sex != member.sex:
        mp.sex = member.sex
        mp.save(update_fields=["sex", "updated_at"])
        record(mp, Action.UPDATED, actor, {"sex": [before["sex"], member.sex]}, via=via)
    _check(family)
    after = {"sex": member.sex, "father": member.father.code if member.father_id else None,
             "mother": member.mother.code if member.mother_id else None, "code": member.code,
             "label": member.label, "deceased": member.deceased}
    changes = {f"member {before['code']} {k}": [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        record(family, Action.UPDATED, actor, changes, via=via)
    return member


@transaction.atomic
def remove_member(actor, member: Member, *, via: str = "web") -> None:
    """Remove a pedigree member who carries no data (no donor, no missing person, no children)."""
    require(actor, Cap.MISSING_WRITE)
    access.check(actor, member)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if Donor.objects.filter(member=member).exists():
        raise Conflict(_("%(c)s is a donor: withdraw the donor record instead.") % {"c": member.code})
    if MissingPerson.objects.filter(member=member).exists():
        raise Conflict(_("%(c)s is a missing person: withdraw or merge the record instead.") % {"c": member.code})
    if Member.objects.filter(father=member).exists() or Member.objects.filter(mother=member).exists():
        raise Conflict(_("%(c)s is a parent in the pedigree: change the children's parents first.") % {"c": member.code})
    family, code = member.family, member.code
    member.delete()
    _check(family)
    record(family, Action.UPDATED, actor, {f"member {code}": ["present", None]}, via=via)


# --- import ----------------------------------------------------------------------------------

COLUMNS = ("family", "member", "sex", "father", "mother", "missing_ref", "donor_code", "name", "label", "deceased")
REQUIRED = ("family", "member")


@dataclass
class _Row:
    where: int  # line (or member number in a JSON file)
    family: str
    member: str
    sex: str = MemberSex.UNKNOWN
    father: str = ""
    mother: str = ""
    missing_ref: str = ""
    missing: bool = False
    donor_code: str = ""
    name: str = ""
    label: str = ""
    deceased: bool = False
    errors: list[RowError] = field(default_factory=list)


def _rows_from_table(data, name) -> list[_Row]:

    header, rows = read_table(data, name)
    if {"id", "fid", "mid", "sex"} <= set(header):
        return _rows_from_pedtools(rows, name)
    problems = [RowError(1, h, h, _("unknown column")) for h in header if h not in COLUMNS]
    problems += [RowError(1, c, "", _("required column is missing")) for c in REQUIRED if c not in header]
    if problems:
        raise ImportRejected(name, problems)
    out = []
    for line, row in rows:
        r = _Row(line, row.get("family", ""), row.get("member", ""), (row.get("sex") or MemberSex.UNKNOWN).lower(),
                 row.get("father", ""), row.get("mother", ""), row.get("missing_ref", ""),
                 bool(row.get("missing_ref")), row.get("donor_code", ""), row.get("name", ""), row.get("label", ""),
                 (row.get("deceased") or "").lower() in ("1", "yes", "true", "y"))
        out.append(r)
    return out


PEDTOOLS_SEX = {"1": MemberSex.MALE, "2": MemberSex.FEMALE, "0": MemberSex.UNKNOWN}


def _rows_from_pedtools(rows, name) -> list[_Row]:
    """pedtools' ``id fid mid sex`` table (``writePed``; R's ``as.data.frame(ped)``): founders' parents
    ``0`` (or NA), sex 1 male, 2 female, 0 unknown; the family reference is the file's name (or a
    ``famid`` column, as in a ped file with several families)."""
    family = PurePath(name).stem[:64]
    out = []
    for line, row in rows:
        sex = PEDTOOLS_SEX.get((row.get("sex") or "0").strip(), (row.get("sex") or "").strip())
        parent = {k: "" if (row.get(k) or "0").strip() in ("0", "NA", "") else row[k].strip() for k in ("fid", "mid")}
        out.append(_Row(line, (row.get("famid") or family).strip(), (row.get("id") or "").strip(), sex,
                        parent["fid"], parent["mid"]))
    return out


def pedtools_table(family: Family) -> str:
    """The family as pedtools reads it (``readPed``/``as.ped``): tab-separated ``id fid mid sex``,
    parents before children."""
    sex = {MemberSex.MALE: "1", MemberSex.FEMALE: "2"}
    members = {m.pk: m for m in family.members.all()}
    done: set[int] = set()
    lines = ["id\tfid\tmid\tsex"]
    pending = sorted(members.values(), key=lambda m: m.code)
    while pending:
        rest = []
        for m in pending:
            if (m.father_id and m.father_id not in done) or (m.mother_id and m.mother_id not in done):
                rest.append(m)
                continue
            lines.append("\t".join([m.code, members[m.father_id].code if m.father_id else "0",
                                    members[m.mother_id].code if m.mother_id else "0", sex.get(m.sex, "0")]))
            done.add(m.pk)
        if len(rest) == len(pending):  # a loop the model forbids: written as they are
            lines += ["\t".join([m.code, "0", "0", sex.get(m.sex, "0")]) for m in rest]
            break
        pending = rest
    return "\n".join(lines) + "\n"


def _rows_from_json(data: bytes, name: str) -> list[_Row]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ImportRejected(name, [RowError(1, "file", name, f"not valid JSON ({e})")]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("members"), list):
        raise ImportRejected(name, [RowError(1, "file", name, 'expected {"family": REF, "members": [...]}')])
    return _rows_from_doc(doc, 0)


def _rows_from_familias(data: bytes, name: str) -> list[_Row]:
    """A Familias ``.fam`` file (:mod:`vestige.kinship.familias`): each DVI reference family (or, in
    a case file, each pedigree) as a family JSON; the typed persons' sample names become donor codes."""
    try:
        fam = parse_fam(data, name)
        docs = to_engine(fam)["families"]
    except KinshipInputError as e:
        line = re.search(r"line (\d+)", e.where)
        raise ImportRejected(name, [RowError(int(line.group(1)) if line else 1, "file", e.where, e.message)]) from None
    out: list[_Row] = []
    for doc in docs:
        out += _rows_from_doc(doc, len(out))
    return out


def _rows_from_doc(doc: dict, offset: int) -> list[_Row]:
    fam = str(doc.get("family") or "").strip()
    out = []
    for i, m in enumerate(doc["members"], 1 + offset):
        if not isinstance(m, dict):
            out.append(_Row(i, fam, "", errors=[RowError(i, "member", str(m)[:40], _("a member must be an object"))]))
            continue
        out.append(_Row(i, fam, str(m.get("id") or "").strip(), str(m.get("sex") or MemberSex.UNKNOWN),
                        str(m.get("father") or ""), str(m.get("mother") or ""), str(m.get("missing_ref") or ""),
                        bool(m.get("missing")), str(m.get("sample") or ""), str(m.get("name") or ""),
                        str(m.get("relationship") or m.get("label") or ""), bool(m.get("deceased", False))))
    return out


def _validate_rows(rows: list[_Row], source: str, actor=None) -> list[RowError]:

    errors: list[RowError] = []
    by_family: dict[str, list[_Row]] = {}
    for r in rows:
        errors += r.errors
        if not r.family:
            errors.append(RowError(r.where, "family", "", _("required")))
        if not r.member:
            errors.append(RowError(r.where, "member", "", _("required")))
        if r.sex not in MemberSex.values:
            errors.append(RowError(r.where, "sex", r.sex, _("male, female or unknown")))
        if bool(r.father) != bool(r.mother):
            errors.append(RowError(r.where, "father" if not r.father else "mother", r.father or r.mother,
                                   _("give both parents or none")))
        if r.donor_code and Donor.objects.filter(code=r.donor_code).exists():
            errors.append(RowError(r.where, "donor_code", r.donor_code, _("a donor with this code already exists")))
        if r.missing_ref:
            mp = MissingPerson.objects.filter(ref=r.missing_ref).select_related("family").first()
            if mp is not None and not access.visible(actor, mp):
                errors.append(RowError(r.where, "missing_ref", r.missing_ref,
                                       _("this missing person is registered in another case")))
            elif mp is not None and mp.family.ref != r.family:
                errors.append(RowError(r.where, "missing_ref", r.missing_ref,
                                       _("this missing person belongs to family %(f)s") % {"f": mp.family.ref}))
        if r.family and r.member:
            by_family.setdefault(r.family, []).append(r)
    for fam_ref, frows in by_family.items():
        existing = Family.objects.filter(ref=fam_ref).first()
        if existing is not None and not access.visible(actor, existing):
            errors.append(RowError(frows[0].where, "family", fam_ref, _("this family reference is used in another case")))
            continue
        members: dict[str, KMember] = {}
        if existing is not None:
            for m in kinship_family(existing, require_missing=False).members:
                members[m.id] = m
        codes = set(members) | {r.member for r in frows}
        sex_of = {**{k: m.sex for k, m in members.items()}, **{r.member: r.sex for r in frows}}
        for r in frows:  # each row's own parents: present, and of the right sex
            for col, pid, need in (("father", r.father, "male"), ("mother", r.mother, "female")):
                if pid and pid not in codes:
                    errors.append(RowError(r.where, col, pid, _("not a member of family %(f)s") % {"f": fam_ref}))
                elif pid and sex_of.get(pid) != need:
                    errors.append(RowError(r.where, col, pid, _("a %(role)s must be %(sex)s") % {"role": col, "sex": need}))
        seen: set[str] = set()
        fresh = []
        for r in frows:
            if r.member in seen:
                errors.append(RowError(r.where, "member", r.member, _("listed twice for family %(f)s") % {"f": fam_ref}))
                continue
            seen.add(r.member)
            if r.member in members:
                errors.append(RowError(r.where, "member", r.member, _("already in the pedigree of %(f)s") % {"f": fam_ref}))
                continue
            fresh.append(r)
        if any(e.line in {r.where for r in frows} for e in errors):
            continue  # the whole-pedigree check below would only repeat these
        for r in fresh:
            members[r.member] = KMember(r.member, r.sex if r.sex in MemberSex.values else "unknown",
                                        r.father or None, r.mother or None, r.missing, r.donor_code or None, r.deceased)
        try:
            KFamily(fam_ref, list(members.values()), source=source, require_missing=False)
        except KinshipInputError as e:
            member = e.where.rsplit("member ", 1)[-1] if "member " in e.where else ""
            line = next((r.where for r in frows if r.member == member), frows[0].where)
            errors.append(RowError(line, "member", member or fam_ref, e.message))
    return errors


def _tree_options(got: list[_Row], name: str, into: str, match: dict[str, str]) -> list[RowError]:
    """A GEDCOM tree imported into an existing family (``into``), its confirmed people placed as the
    register's missing persons (``match``: tree member → register reference)."""
    problems = []
    members = {r.member for r in got}
    for member, ref in match.items():
        if member not in members:
            problems.append(RowError(0, "match", f"{member}={ref}", _("%(f)s has no individual %(m)s")
                                     % {"f": name, "m": member}))
    for r in got:
        if into:
            r.family = into
        if r.member in match:
            r.missing_ref, r.missing = match[r.member], True
    return problems


def import_pedigrees(actor, files: list[tuple[str, bytes]], *, dry_run: bool = False, via: str = "import",
                     into: str = "", match: dict[str, str] | None = None):
    """Pedigrees from CSV/XLSX tables, family JSON files or GEDCOM family trees (:mod:`vestige.missing.gedcom`):
    all files and rows or none. A GEDCOM tree goes into family ``into`` when given (else a family
    named after the file), its people ``match`` confirmed as registered missing persons; the report's
    notes propose the others who may be (:mod:`vestige.missing.tree_matches`)."""
    require(actor, Cap.MISSING_WRITE)
    rows: list[_Row] = []
    problems: list[RowError] = []
    notes: list[str] = []
    names = ", ".join(n for n, _d in files)
    for name, data in files:
        try:
            if name.lower().endswith(".json"):
                got = _rows_from_json(data, name)
            elif name.lower().endswith(".ged"):
                got = rows_from_gedcom(data, name, _Row)
                problems += _tree_options(got, name, into, match or {})
                notes += [m.as_text() for m in tree_matches(actor, [
                    (r.member, r.name, r.label.partition("(b. ")[2].rstrip(")")) for r in got
                    if r.name and r.member not in (match or {})])]
            elif name.lower().endswith(".fam"):
                got = _rows_from_familias(data, name)
            else:
                got = _rows_from_table(io.BytesIO(data), name)
        except ImportRejected as e:
            problems += e.rows
            continue
        except InvalidInput as e:
            problems.append(RowError(0, "file", name, e.message))
            continue
        rows += got
    if not problems:
        problems = _validate_rows(rows, names, actor)
    report = ImportReport("pedigrees", names, len(rows), 0, dry_run, problems, notes)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(names, problems)
    with transaction.atomic():
        families: dict[str, Family] = {}
        for r in rows:
            if r.family not in families:
                families[r.family] = Family.objects.filter(ref=r.family).first() or create_family(
                    actor, r.family, ref=r.family, via=via)
        created: dict[tuple[str, str], Member] = {}
        pending = list(rows)
        while pending:  # parents before children
            progressed = False
            for r in list(pending):
                fam = families[r.family]
                if r.father and (r.family, r.father) not in created and not fam.members.filter(code=r.father).exists():
                    continue
                if r.mother and (r.family, r.mother) not in created and not fam.members.filter(code=r.mother).exists():
                    continue
                fa = fam.members.get(code=r.father) if r.father else None
                mo = fam.members.get(code=r.mother) if r.mother else None
                created[(r.family, r.member)] = _new(fam, r.member, r.sex, fa, mo, r.label, r.deceased)
                pending.remove(r)
                progressed = True
            if not progressed:
                raise InvalidInput(_("%(f)s: the parents of %(m)s are never defined.")
                                   % {"f": pending[0].family, "m": pending[0].member}, field="father")
        for r in rows:
            fam, node = families[r.family], created[(r.family, r.member)]
            if r.missing or r.missing_ref:
                _place_missing(actor, fam, node, r, via)
            if r.donor_code:
                add_donor(actor, fam, node.code, consent_on=dt.date.today(), code=r.donor_code,
                          label=r.label, via=via)
        for fam in families.values():
            _check(fam)
            record(fam, Action.UPDATED, actor, {"pedigree": [None, f"imported from {names}"]}, via=via)
    report.created = len(rows)
    return report


def _place_missing(actor, family: Family, node: Member, r: _Row, via: str) -> None:
    existing = MissingPerson.objects.filter(ref=r.missing_ref).first() if r.missing_ref else None
    if existing is not None:  # an earlier registration, now placed where the family says
        old = existing.member
        existing.member = node
        existing.save(update_fields=["member", "updated_at"])
        if node.sex == MemberSex.UNKNOWN and existing.sex != MemberSex.UNKNOWN:
            node.sex = existing.sex
            node.save(update_fields=["sex"])
        record(existing, Action.UPDATED, actor, {"pedigree place": [old.code, node.code]}, via=via)
        if not Member.objects.filter(father=old).exists() and not Member.objects.filter(mother=old).exists() \
                and not Donor.objects.filter(member=old).exists():
            old.delete()
        return
    surname, _sp, given = (r.name or "").strip().partition(" ")
    create_missing_person(actor, family, {"family_name": surname or family.name, "given_name": given or node.code,
                                          "sex": node.sex}, member=node.code, ref=r.missing_ref or "", via=via)


def parse_match(text: str) -> dict[str, str]:
    """``I3=MP-00012, I7=MP-00020`` (commas, semicolons or lines) as {member: register reference}."""
    out = {}
    for part in re.split(r"[,;\n]+", text or ""):
        member, sep, ref = part.strip().partition("=")
        if not part.strip():
            continue
        if not sep or not member.strip() or not ref.strip():
            raise InvalidInput(_("A match is MEMBER=REFERENCE, e.g. I3=MP-00012 (found %(p)r).") % {"p": part.strip()},
                               field="match")
        out[member.strip().strip("@")] = ref.strip()
    return out


def pedigrees_import(actor, kind: str, data, name: str, *, dry_run: bool, options: dict, via: str):
    """The ``import:pedigrees`` hook of :mod:`vestige.importers`."""
    return import_pedigrees(actor, [(name, data.read())], dry_run=dry_run, via=via,
                            into=(options.get("into") or "").strip(), match=parse_match(options.get("match") or ""))
