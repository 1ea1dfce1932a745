"""The skeletal inventory of commingled contexts (issue 31, part 4): the only writer of
:class:`SkeletalElement`.

- **Record** bones one by one (:func:`add_element`) or from a CSV/XLSX inventory
  (:func:`import_inventory`: ``context,element,side,portion,completeness,taphonomy,grave,notes``;
  all rows or none, every bad cell named), with Osteoware's element names, checked by
  :func:`vestige.osteology.mni.clean`.
- **Count** (:func:`context_mni`): the minimum number of individuals of each context and of the
  site, by element and side (:func:`vestige.osteology.mni.mni`).
- **Assemble** (:func:`assemble`): bones into an individual — an existing :class:`Remains` of the
  site or a new one — with the basis of the association (articulation, osteometric pair-match or
  sorting, DNA, visual pair-match); refused when the individual would have two of one bone (two
  left femora, two crania). **Split** (:func:`split`): bones out of an individual again, with the
  reason (a DNA result that disagrees). Each change is recorded on the bone and on the individual.
- **Advise** (:func:`sampling_advice`): which of an individual's bones to sample for DNA first
  (:mod:`vestige.osteology.sampling`).

Single burials need none of this: a body recorded whole stays a :class:`Remains` as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access, hooks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, ImportRejected, InvalidInput, RowError
from vestige.history.models import Action
from vestige.history.services import next_reference, record, record_many
from vestige.osteology import mni as mni_core
from vestige.osteology import sampling
from vestige.registry import services
from vestige.registry.models import AssociationBasis, Grave, Remains, Site, SkeletalElement
from vestige.tables import read_table

__all__ = ["COLUMNS", "add_element", "import_inventory", "context_mni", "assemble", "split", "sampling_advice",
           "inventory_rows", "merge_individuals", "dna_associations"]

COLUMNS = ("context", "element", "side", "portion", "completeness", "taphonomy", "grave", "notes")


def _check(site: Site, row: dict, line: int, graves: dict[str, Grave]) -> tuple[dict, list[RowError]]:
    errors = []
    try:
        element, side, completeness = mni_core.clean(row.get("context", ""), row.get("element", ""),
                                                     row.get("side", ""), row.get("completeness", ""))
    except mni_core.InventoryError as e:
        return {}, [RowError(line, e.field, str(row.get(e.field, "")), str(e))]
    grave = None
    if row.get("grave"):
        grave = graves.get(str(row["grave"]).strip())
        if grave is None:
            errors.append(RowError(line, "grave", row["grave"], _("no grave with this label at %(s)s") % {"s": site.ref}))
    for column, limit in (("context", 100), ("portion", 60), ("taphonomy", 300)):
        if len(row.get(column) or "") > limit:
            errors.append(RowError(line, column, row[column], _("longer than %(n)d characters") % {"n": limit}))
    return {"context": row["context"].strip(), "element": element, "side": side, "completeness": completeness,
            "portion": (row.get("portion") or "").strip(), "taphonomy": (row.get("taphonomy") or "").strip(),
            "notes": (row.get("notes") or "").strip(), "grave": grave}, errors


def _graves(site: Site) -> dict[str, Grave]:
    return {g.label: g for g in site.graves.filter(withdrawn_at__isnull=True)}


@transaction.atomic
def add_element(actor, site: Site, data: dict, *, via: str = "web") -> SkeletalElement:
    require(actor, Cap.REMAINS_WRITE)
    access.check(actor, site)
    clean, errors = _check(site, {k: "" if v is None else str(v) for k, v in data.items()}, 0, _graves(site))
    if errors:
        raise InvalidInput(errors[0].reason, field=errors[0].column)
    el = SkeletalElement.objects.create(code=next_reference(SkeletalElement, "code", "EL-", 6), site=site,
                                        recorded_by=actor, **clean)
    record(el, Action.CREATED, actor, {"element": [None, f"{el.element} {el.side} {el.completeness:g} %, "
                                                         f"{el.context}"]}, via=via)
    return el


def import_inventory(actor, site: Site, data: BinaryIO, name: str, *, dry_run: bool = False,
                     via: str = "import") -> dict:
    """A skeletal inventory file: all rows or none; a dry run names every bad cell."""
    require(actor, Cap.REMAINS_WRITE)
    access.check(actor, site)
    header, rows = read_table(data, name)
    problems = [RowError(1, h, h, _("unknown column")) for h in header if h not in COLUMNS]
    problems += [RowError(1, c, "", _("required column is missing")) for c in ("context", "element", "side")
                 if c not in header]
    clean: list[dict] = []
    if not problems:
        graves = _graves(site)
        for line, row in rows:
            values, errors = _check(site, row, line, graves)
            problems += errors
            if not errors:
                clean.append(values)
    if dry_run or problems:
        if problems and not dry_run:
            raise ImportRejected(name, problems)
        return {"rows": len(rows), "created": 0, "dry_run": dry_run, "errors": problems}
    with transaction.atomic():
        first = int(next_reference(SkeletalElement, "code", "EL-", 6)[3:])
        made = SkeletalElement.objects.bulk_create([
            SkeletalElement(code=f"EL-{first + i:06d}", site=site, recorded_by=actor, **values)
            for i, values in enumerate(clean)], batch_size=2000)
        made = list(SkeletalElement.objects.filter(site=site, code__in=[m.code for m in made]))
        record_many(made, Action.IMPORTED, actor, [{"element": [None, f"{m.element} {m.side}, {m.context}"]}
                                                   for m in made], via=via)
    return {"rows": len(rows), "created": len(made), "dry_run": False, "errors": []}


def context_mni(site: Site, *, min_completeness: float = 50.0) -> list[mni_core.Mni]:
    """Each context's MNI and the site's together (the core's rows: element, L, R, U, count)."""
    elements = [mni_core.Element(c, e, s, p, 0) for c, e, s, p in site.elements.values_list(
        "context", "element", "side", "completeness")]
    return mni_core.mni(elements, min_completeness=min_completeness) if elements else []


def _duplicate_bone(elements: Iterable[SkeletalElement]) -> str | None:
    """A bone a person has once that the set holds twice (``None``: none)."""
    seen: dict[tuple[str, str], str] = {}
    for el in elements:
        if el.side == "U" and el.element in mni_core.PAIRED:
            continue  # an unsided paired bone could be either side
        key = (el.element, el.side if el.element in mni_core.PAIRED else "M")
        if key in seen:
            return _("%(a)s and %(b)s are both a %(what)s: one person has one.") % {
                "a": seen[key], "b": el.code, "what": f"{el.element} {el.side}".strip()}
        seen[key] = el.code
    return None


@transaction.atomic
def assemble(actor, site: Site, codes: list[str], basis: str, into: Remains | str, *, note: str = "",
             via: str = "web") -> Remains:
    """Put the bones ``codes`` into one individual: ``into``, a :class:`Remains` of the same site,
    or the body number of a new one."""
    remains, body_number = (into, "") if isinstance(into, Remains) else (None, into or "")
    require(actor, Cap.REMAINS_WRITE)
    access.check(actor, site)
    if basis not in AssociationBasis.values:
        raise InvalidInput(_("Say on what basis the bones belong together."), field="basis")
    elements = list(SkeletalElement.objects.select_for_update().filter(site=site, code__in=codes))
    unknown = sorted(set(codes) - {e.code for e in elements})
    if not codes or unknown:
        raise InvalidInput(_("No such element at %(s)s: %(c)s") % {"s": site.ref, "c": ", ".join(unknown) or "—"},
                           field="elements")
    taken = [e for e in elements if e.remains_id and (remains is None or e.remains_id != remains.pk)]
    if taken:
        raise Conflict(_("%(c)s already belongs to another individual; split it from there first.")
                       % {"c": ", ".join(e.code for e in taken)})
    if remains is None:
        if not body_number.strip():
            raise InvalidInput(_("Give the new individual's body number, or choose an existing one."),
                               field="body_number")
        remains = services.create(actor, Remains, {"body_number": body_number.strip(), "site": site,
                                                   "notes": _("Assembled from commingled bones.")}, via=via)
    else:
        access.check(actor, remains)
        if remains.site_id != site.pk:
            raise InvalidInput(_("%(b)s is not of %(s)s.") % {"b": remains.body_number, "s": site.ref}, field="remains")
    problem = _duplicate_bone([*remains.elements.exclude(pk__in=[e.pk for e in elements]), *elements])
    if problem:
        raise Conflict(problem)
    now = timezone.now()
    for e in elements:
        e.remains, e.basis, e.associated_by, e.associated_at = remains, basis, actor, now
        e.save(update_fields=["remains", "basis", "associated_by", "associated_at"])
        record(e, Action.UPDATED, actor, {"individual": [None, remains.body_number], "basis": [None, basis]},
               reason=note, via=via)
    record(remains, Action.UPDATED, actor, {"elements": [None, ", ".join(e.code for e in elements)],
                                            "basis": [None, basis]}, reason=note, via=via)
    return remains


@transaction.atomic
def split(actor, site: Site, codes: list[str], reason: str, *, via: str = "web") -> list[SkeletalElement]:
    """Take the bones ``codes`` out of their individuals again (a DNA result that disagrees)."""
    require(actor, Cap.REMAINS_WRITE)
    access.check(actor, site)
    if not reason.strip():
        raise InvalidInput(_("Say why the bones are taken apart."), field="reason")
    elements = list(SkeletalElement.objects.select_for_update().filter(site=site, code__in=codes,
                                                                       remains__isnull=False).select_related("remains"))
    if not elements:
        raise InvalidInput(_("None of these bones belongs to an individual."), field="elements")
    for e in elements:
        body = e.remains
        record(e, Action.UPDATED, actor, {"individual": [body.body_number, None]}, reason=reason, via=via)
        record(body, Action.UPDATED, actor, {"elements": [e.code, None]}, reason=reason, via=via)
        e.remains, e.basis, e.associated_by, e.associated_at = None, "", None, None
        e.save(update_fields=["remains", "basis", "associated_by", "associated_at"])
    return elements


@transaction.atomic
def merge_individuals(actor, site: Site, source: Remains, target: Remains, basis: str, *, note: str = "",
                      via: str = "web") -> Remains:
    """Every bone of ``source`` into ``target`` (a DNA association accepted, say): refused when the
    two would hold two of one bone. ``source`` keeps its record (and its DNA samples); that the two
    are one body in matching is the identification's same-body decision."""
    require(actor, Cap.REMAINS_WRITE)
    access.check(actor, site)
    for body in (source, target):
        access.check(actor, body)
        if body.site_id != site.pk:
            raise InvalidInput(_("%(b)s is not of %(s)s.") % {"b": body.body_number, "s": site.ref}, field="remains")
    if source.pk == target.pk:
        raise InvalidInput(_("An individual cannot be merged into itself."), field="remains")
    moving = list(source.elements.select_for_update())
    if not moving:
        raise InvalidInput(_("%(b)s has no bones in the inventory.") % {"b": source.body_number}, field="remains")
    problem = _duplicate_bone([*target.elements.all(), *moving])
    if problem:
        raise Conflict(problem)
    split(actor, site, [e.code for e in moving], note or _("joined %(b)s") % {"b": target.body_number}, via=via)
    return assemble(actor, site, [e.code for e in moving], basis, target, note=note, via=via)


def dna_associations(site: Site) -> list[dict]:
    """Individuals of the site that the current run's DNA says are one person (the identification
    app's hook ``registry.dna_associations``), with how many bones each holds."""
    out = []
    for provider in hooks.providers("registry.dna_associations"):
        out += provider(site.pk)
    counts = dict(site.elements.filter(remains__isnull=False).values_list("remains__body_number")
                  .annotate(n=Count("pk")))
    return [{**d, "bones": [counts.get(b, 0) for b in d["remains"]]} for d in out]


def sampling_advice(remains: Remains) -> list[sampling.Advice]:
    """Which of the individual's bones to sample first (the samples already cut from a bone, by the
    hook ``registry.element_samples`` the identification app provides)."""
    elements = list(remains.elements.all())
    sampled = set()
    for provider in hooks.providers("registry.element_samples"):
        sampled |= set(provider([e.pk for e in elements]))
    return sampling.rank([(e.code, e.element, e.side, e.completeness) for e in elements],
                         {e.code for e in elements if e.pk in sampled})


def inventory_rows(site: Site) -> Iterator[list]:
    yield ["code", *COLUMNS, "individual", "basis"]
    for e in site.elements.select_related("grave", "remains").order_by("context", "code"):
        yield [e.code, e.context, e.element, e.side, e.portion, f"{e.completeness:g}", e.taphonomy,
               e.grave.label if e.grave else "", e.notes, e.remains.body_number if e.remains else "", e.basis]
