"""The only writers of DVI records (dental charts, marks, effects, medical findings, fingerprint
records, comparisons), and the readers that compare them: dental ranking, implant serial
numbers, marks and effects by category and body region.

Role rules: AM records (a missing person's) need ``missing.write`` — the family liaison, who
takes the family's and the dentist's information; PM records (remains') need ``remains.write``
— the forensic examiner. Comparisons are recorded and verified by examiners (``dvi.compare``),
never by the same person twice (ACE-V's verification is independent).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dvi.models import (
    Comparison,
    Conclusion,
    DentalChart,
    Effect,
    FingerprintRecord,
    Mark,
    MedicalFinding,
    MedicalKind,
    Method,
    Side,
    Verification,
)
from vestige.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vestige.evidence.models import EvidenceItem
from vestige.history.models import Action
from vestige.history.services import diff, record, snapshot
from vestige.missing.models import MissingPerson, MissingStatus
from vestige.osteology import odontology
from vestige.registry.models import Remains
from vestige.registry.services import invalid_from

# Section name → model and the fields a form, the API or an import may set.
SECTIONS: dict[str, tuple[type, tuple[str, ...]]] = {
    "marks": (Mark, ("kind", "region", "description", "photo")),
    "effects": (Effect, ("category", "description", "photo")),
    "medical": (MedicalFinding, ("kind", "region", "description", "maker", "serial", "document")),
    "fingerprints": (FingerprintRecord, ("kind", "classification", "quality", "item", "notes")),
}
EVIDENCE_FIELDS = {"photo", "document", "item"}


def _validate(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as e:
        raise invalid_from(e) from None


def side_of(owner) -> str:
    if isinstance(owner, MissingPerson):
        return Side.AM
    if isinstance(owner, Remains):
        return Side.PM
    raise InvalidInput(_("A DVI record belongs to a missing person or to remains."))


SIDE_CAPS = {("am", False): Cap.MISSING_READ, ("am", True): Cap.MISSING_WRITE, ("pm", False): Cap.REGISTRY_READ,
             ("pm", True): Cap.REMAINS_WRITE}


def require_side(actor, side: str, *, write: bool = False) -> None:
    """The role check of one side, before any record is looked up (a refused role learns nothing)."""
    if side not in (Side.AM, Side.PM):
        raise NotFound(_("No such record: the side is 'am' or 'pm'."))
    require(actor, SIDE_CAPS[(side, write)])


def require_importer(actor) -> None:
    """An exchange file carries both sides: the liaison's AM data and the examiner's PM data."""
    if not (actor.can(Cap.MISSING_WRITE) or actor.can(Cap.REMAINS_WRITE)):
        require(actor, Cap.REMAINS_WRITE)  # raises, naming the capability


def require_write(actor, owner) -> str:
    """AM data by the family liaison, PM data by the forensic examiner; the record in the actor's cases."""
    side = side_of(owner)
    require(actor, Cap.MISSING_WRITE if side == Side.AM else Cap.REMAINS_WRITE)
    access.check(actor, owner)
    if owner.withdrawn:
        raise Conflict(_("%(obj)s is withdrawn; restore it before adding to it.") % {"obj": owner})
    return side


def require_read(actor, owner) -> str:
    side = side_of(owner)
    require(actor, Cap.MISSING_READ if side == Side.AM else Cap.REGISTRY_READ)
    access.check(actor, owner)
    return side


def _owner_kwargs(owner, side: str) -> dict:
    return {"side": side, "missing_person": owner if side == Side.AM else None,
            "remains": owner if side == Side.PM else None}


def owned(model, owner):
    side = side_of(owner)
    return model.objects.filter(**{"missing_person" if side == Side.AM else "remains": owner, "side": side})


def find_owner(actor, side: str, key: str):
    """A missing person by reference (AM) or remains by body number (PM), within the actor's cases."""
    if side == Side.AM:
        obj = MissingPerson.objects.filter(ref=key).select_related("family").first()
        what = _("missing person")
    elif side == Side.PM:
        obj = Remains.objects.filter(body_number=key).select_related("site").first()
        what = _("remains")
    else:
        raise InvalidInput(_("The side is 'am' or 'pm', not %(v)r.") % {"v": side}, field="side")
    if obj is None:
        raise NotFound(_("No %(what)s %(key)s.") % {"what": what, "key": key})
    return access.check(actor, obj)


# --- dental charts ---------------------------------------------------------------------------

def _evidence_items(actor, refs) -> list:
    out = []
    for ref in refs or ():
        item = EvidenceItem.objects.filter(ref=str(ref).strip()).first()
        if item is None:
            raise InvalidInput(_("No evidence item %(r)s.") % {"r": ref}, field="radiographs")
        out.append(access.check(actor, item))
    return out


def chart_of(owner) -> DentalChart | None:
    return owned(DentalChart, owner).prefetch_related("radiographs").first()


@transaction.atomic
def save_chart(actor, owner, teeth: dict, *, charted_on: dt.date | None = None, source: str = "", notes: str = "",
               others_sound: bool = False, radiographs: list[str] | None = None, via: str = "web") -> DentalChart:
    """Create or replace the AM or PM dental chart of ``owner``; every tooth checked (FDI number,
    state, surfaces, material), the change recorded in the owner's history."""
    side = require_write(actor, owner)
    try:
        clean = odontology.normalise_chart(teeth, side=side, others_sound=others_sound)
    except odontology.ChartError as e:
        raise InvalidInput(str(e), field=f"teeth.{e.tooth}.{e.field}" if e.tooth else "teeth") from None
    if not clean:
        raise InvalidInput(_("Record at least one tooth (or mark the others sound)."), field="teeth")
    items = _evidence_items(actor, radiographs) if radiographs is not None else None
    chart = owned(DentalChart, owner).select_for_update().first()
    created = chart is None
    if created:
        chart = DentalChart(recorded_by=actor, **_owner_kwargs(owner, side))
    fields = ("charted_on", "source", "notes")
    before = {} if created else {**snapshot(chart, fields), "teeth": chart.teeth}
    chart.teeth, chart.charted_on, chart.source, chart.notes = clean, charted_on, (source or "").strip(), notes or ""
    _validate(chart)
    chart.save()
    if items is not None:
        chart.radiographs.set(items)
    after = {**snapshot(chart, fields), "teeth": chart.teeth}
    changes = diff(before, after)
    if "teeth" in changes:  # the history says which teeth changed, not two whole charts
        old, new = before.get("teeth") or {}, clean
        changes["teeth"] = [
            {t: old[t] for t in sorted(set(old) | set(new)) if old.get(t) != new.get(t) and t in old},
            {t: new[t] for t in sorted(set(old) | set(new)) if old.get(t) != new.get(t) and t in new}]
    if changes or created:
        record(owner, Action.UPDATED, actor, {f"dental chart ({side.upper()}): {k}": v for k, v in changes.items()},
               via=via)
    return chart


def teeth_from_form(data) -> dict:
    """The chart form's fields (``t16_state``, ``t16_surfaces``, ``t16_material``, ``t16_rc``,
    ``t16_note``) as a chart; a tooth left at "—" is not recorded."""
    teeth = {}
    for t in odontology.TEETH:
        state = (data.get(f"t{t}_state") or "").strip()
        if not state:
            continue
        teeth[t] = {"state": state, "surfaces": data.get(f"t{t}_surfaces", ""),
                    "material": data.get(f"t{t}_material", ""), "root_canal": bool(data.get(f"t{t}_rc")),
                    "note": data.get(f"t{t}_note", "")}
    return teeth


# --- marks, effects, medical findings, fingerprint records ------------------------------------

def serial_key(serial: str) -> str:
    """The form in which implant serial numbers are compared: Unicode-normalised (NFKC), upper
    case, Cyrillic letters that look Latin read as Latin (a Ukrainian form may type "СЕ" for
    "CE"), without spaces, dashes, dots or slashes and without a leading "SN"/"S/N"/"No."."""
    text = unicodedata.normalize("NFKC", serial or "").upper()
    text = text.translate(str.maketrans("АВЕКМНОРСТХІУ", "ABEKMHOPCTXIY"))
    text = re.sub(r"^\s*(S\s*/?\s*N|SER(IAL)?|NO|№)\s*[.:#]?\s*", "", text)
    return re.sub(r"[\s\-./_:#]", "", text)


def _set_fields(actor, obj, fields: tuple[str, ...], data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidInput(_("Unknown field(s): %(f)s") % {"f": ", ".join(unknown)}, field=unknown[0])
    for k, v in data.items():
        if k in EVIDENCE_FIELDS:
            items = _evidence_items(actor, [v]) if v not in (None, "") else [None]
            setattr(obj, k, items[0])
        else:
            setattr(obj, k, "" if v is None else (v.strip() if isinstance(v, str) else v))
    if isinstance(obj, MedicalFinding):
        obj.serial_key = serial_key(obj.serial)
        if obj.kind == MedicalKind.IMPLANT and not obj.serial.strip() and not obj.description.strip():
            raise InvalidInput(_("Give the implant's serial number, or describe it when none can be read."),
                               field="serial")


@transaction.atomic
def add_record(actor, section: str, owner, data: dict[str, Any], *, via: str = "web"):
    """Add a mark, an effect, a medical finding or a fingerprint record to a missing person (AM)
    or to remains (PM)."""
    if section not in SECTIONS:
        raise InvalidInput(_("Unknown section %(s)r: one of %(all)s.") % {"s": section, "all": ", ".join(SECTIONS)},
                           field="section")
    model, fields = SECTIONS[section]
    side = require_write(actor, owner)
    obj = model(recorded_by=actor, **_owner_kwargs(owner, side))
    _set_fields(actor, obj, fields, data)
    _validate(obj)
    obj.save()
    record(owner, Action.UPDATED, actor, {f"{section} ({side.upper()})": [None, str(obj)]}, via=via)
    return obj


def records_of(actor, owner) -> dict[str, list]:
    require_read(actor, owner)
    return {name: list(owned(model, owner)) for name, (model, _f) in SECTIONS.items()}


# --- comparison ------------------------------------------------------------------------------

def _am_charts(actor, *, persons=None) -> dict[str, tuple[MissingPerson, dict]]:
    qs = DentalChart.objects.filter(side=Side.AM, missing_person__withdrawn_at__isnull=True).select_related(
        "missing_person")
    if persons is not None:
        qs = qs.filter(missing_person__in=persons)
    else:
        qs = qs.filter(missing_person__status=MissingStatus.MISSING)
    qs = access.scope(qs, actor)
    return {c.missing_person.ref: (c.missing_person, c.teeth) for c in qs}


def dental_matches(actor, *, remains: str = "", top: int = 5) -> list[dict]:
    """Every PM chart (or one remains') ranked against every AM chart of a missing person still
    missing: per remains the best ``top`` with score and counts (and the tooth table for one remains)."""
    require(actor, Cap.IDENT_READ)
    pms = access.scope(DentalChart.objects.filter(side=Side.PM, remains__withdrawn_at__isnull=True)
                       .select_related("remains"), actor)
    if remains:
        body = Remains.objects.filter(body_number=remains).first()
        if body is None:
            raise NotFound(_("No remains %(b)s.") % {"b": remains})
        access.check(actor, body)
        pms = pms.filter(remains=body)
        if not pms.exists():
            raise NotFound(_("%(b)s has no post-mortem dental chart.") % {"b": remains})
    ams = _am_charts(actor)
    charts = {ref: teeth for ref, (_mp, teeth) in ams.items()}
    out = []
    for pm in pms.order_by("remains__body_number"):
        ranked = odontology.rank(pm.teeth, charts, top=top)
        out.append({"remains": pm.remains.body_number, "remains_pk": pm.remains_id,
                    "usable": odontology.usable(pm.teeth),
                    "candidates": [{"missing_person": r.key, "name": ams[r.key][0].full_name, "rank": i + 1,
                                    **r.comparison.as_dict(teeth=bool(remains))} for i, r in enumerate(ranked)]})
    return out


def dental_comparison(remains: Remains, person: MissingPerson) -> odontology.DentalComparison | None:
    pm, am = chart_of(remains), chart_of(person)
    if pm is None or am is None:
        return None
    return odontology.compare(am.teeth, pm.teeth)


def implant_matches(actor, *, remains: Remains | None = None, person: MissingPerson | None = None) -> list[dict]:
    """AM and PM implants with the same normalised serial number (and, when both give one, the
    same maker); a near-certain identifier, proposed with its basis."""
    require(actor, Cap.IDENT_READ)
    pm = MedicalFinding.objects.filter(side=Side.PM).exclude(serial_key="").select_related("remains")
    am = MedicalFinding.objects.filter(side=Side.AM).exclude(serial_key="").select_related("missing_person")
    if remains is not None:
        pm = pm.filter(remains=remains)
    if person is not None:
        am = am.filter(missing_person=person)
    pm, am = access.scope(pm, actor), access.scope(am, actor)
    by_key: dict[str, list[MedicalFinding]] = {}
    for f in am:
        by_key.setdefault(f.serial_key, []).append(f)
    out = []
    for p in pm:
        for a in by_key.get(p.serial_key, ()):
            makers_agree = not (a.maker and p.maker) or serial_key(a.maker) == serial_key(p.maker)
            out.append({"remains": p.remains.body_number, "remains_pk": p.remains_id,
                        "missing_person": a.missing_person.ref, "serial": p.serial, "am_serial": a.serial,
                        "maker": p.maker or a.maker, "makers_agree": makers_agree,
                        "basis": _("implant %(m)s serial %(s)s recorded ante mortem (%(a)s) and found post mortem")
                        % {"m": p.maker or a.maker or "?", "s": p.serial, "a": a.get_kind_display()}})
    return out


# Marks specific enough to propose a candidate when the kind and the body region agree (a scar or
# a birthmark alone is too common to go looking with).
DISTINCTIVE_MARKS = ("tattoo", "amputation", "piercing", "deformity")


def mark_matches(actor, *, remains: Remains | None = None, person: MissingPerson | None = None) -> list[dict]:
    """PM and AM marks of a distinctive kind on the same body region: candidates, with their
    basis, for the board to weigh (secondary identifiers: they never establish identity alone)."""
    require(actor, Cap.IDENT_READ)
    pm = Mark.objects.filter(side=Side.PM, kind__in=DISTINCTIVE_MARKS).exclude(region="other").select_related(
        "remains")
    am = Mark.objects.filter(side=Side.AM, kind__in=DISTINCTIVE_MARKS, missing_person__status=MissingStatus.MISSING
                             ).exclude(region="other").select_related("missing_person")
    if remains is not None:
        pm = pm.filter(remains=remains)
    if person is not None:
        am = am.filter(missing_person=person)
    by_key: dict[tuple[str, str], list[Mark]] = {}
    for a in access.scope(am, actor):
        by_key.setdefault((a.kind, a.region), []).append(a)
    out = []
    for p in access.scope(pm, actor):
        for a in by_key.get((p.kind, p.region), ()):
            out.append({"remains": p.remains.body_number, "remains_pk": p.remains_id,
                        "missing_person": a.missing_person.ref, "kind": p.kind, "region": p.region,
                        "basis": _("%(k)s on the %(r)s: AM “%(a)s”, PM “%(p)s”") % {
                            "k": p.get_kind_display(), "r": p.get_region_display().lower(), "a": a.description,
                            "p": p.description}})
    return out


def implant_conflicts(remains: Remains, person: MissingPerson) -> list[str]:
    """Both sides record implant serial numbers and none of them agree: a conflict to explain."""
    pm = {f.serial_key for f in owned(MedicalFinding, remains) if f.serial_key}
    am = {f.serial_key for f in owned(MedicalFinding, person) if f.serial_key}
    if pm and am and not pm & am:
        return [_("implant serial numbers differ (AM %(a)s, PM %(p)s)") % {"a": ", ".join(sorted(am)),
                                                                          "p": ", ".join(sorted(pm))}]
    return []


def secondary_matches(remains: Remains, person: MissingPerson) -> list[dict]:
    """Marks of the same kind on the same body region, and effects of the same category, AM and PM."""
    out = []
    am_marks = list(owned(Mark, person))
    for m in owned(Mark, remains):
        for a in am_marks:
            if a.kind == m.kind and a.region == m.region:
                out.append({"what": "mark", "category": m.get_kind_display(), "region": m.get_region_display(),
                            "am": a.description, "pm": m.description})
    am_effects = list(owned(Effect, person))
    for e in owned(Effect, remains):
        for a in am_effects:
            if a.category == e.category:
                out.append({"what": "effect", "category": e.get_category_display(), "region": "",
                            "am": a.description, "pm": e.description})
    return out


@transaction.atomic
def record_comparison(actor, method: str, remains: Remains, person: MissingPerson, conclusion: str, *,
                      note: str = "", figures: dict | None = None, via: str = "web") -> Comparison:
    """An examiner's conclusion (ACE-V's analysis, comparison, evaluation). A dental conclusion keeps
    the score and counts it was drawn from."""
    require(actor, Cap.DVI_COMPARE)
    access.check(actor, remains)
    access.check(actor, person)
    if method not in Method.values:
        raise InvalidInput(_("The method is one of %(m)s.") % {"m": ", ".join(Method.values)}, field="method")
    if conclusion not in Conclusion.values:
        raise InvalidInput(_("The conclusion is one of %(c)s.") % {"c": ", ".join(Conclusion.values)},
                           field="conclusion")
    figures = dict(figures or {})
    if method == Method.DENTAL:
        comp = dental_comparison(remains, person)
        if comp is None:
            raise Conflict(_("A dental conclusion needs both charts: the AM chart of %(p)s and the PM chart of "
                             "%(r)s.") % {"p": person.ref, "r": remains})
        figures.update(comp.as_dict(teeth=False))
        if conclusion == Conclusion.IDENTIFICATION and comp.counts["incompatible"] and not (note or "").strip():
            raise InvalidInput(_("%(n)d teeth are incompatible: explain them in the note before concluding an "
                                 "identification.") % {"n": comp.counts["incompatible"]}, field="note")
    if method == Method.RECONCILIATION and conclusion != Conclusion.EXCLUSION:
        raise InvalidInput(_("At the board an identification is proposed, not recorded as a comparison."),
                           field="conclusion")
    if not (note or "").strip() and conclusion in (Conclusion.EXCLUSION, Conclusion.IDENTIFICATION) \
            and method != Method.DENTAL:
        raise InvalidInput(_("State the basis of the conclusion."), field="note")
    comp = Comparison(method=method, remains=remains, missing_person=person, conclusion=conclusion,
                      figures=figures, note=(note or "").strip(), examined_by=actor)
    _validate(comp)
    comp.save()
    text = f"{comp.get_method_display()}: {person.ref} / {remains}: {comp.get_conclusion_display()}"
    for obj in (remains, person):
        record(obj, Action.UPDATED, actor, {"comparison": [None, text]}, reason=comp.note, via=via)
    return comp


@transaction.atomic
def verify_comparison(actor, comp: Comparison, agree: bool, note: str = "", *, via: str = "web") -> Comparison:
    """ACE-V's verification by a second examiner (never the first)."""
    require(actor, Cap.DVI_COMPARE)
    access.check(actor, comp)
    comp = Comparison.objects.select_for_update().get(pk=comp.pk)
    if comp.examined_by_id == actor.pk:
        raise PermissionDenied(_("Verification is by a second examiner: nobody verifies their own conclusion."))
    if comp.verification != Verification.PENDING:
        raise Conflict(_("This comparison was already %(s)s.") % {"s": comp.get_verification_display()})
    if not agree and not (note or "").strip():
        raise InvalidInput(_("Say why you disagree."), field="note")
    comp.verification = Verification.AGREED if agree else Verification.DISAGREED
    comp.verified_by, comp.verified_at, comp.verification_note = actor, timezone.now(), (note or "").strip()
    comp.save()
    for obj in (comp.remains, comp.missing_person):
        record(obj, Action.UPDATED, actor, {"comparison verified": [None, f"{comp}: {comp.get_verification_display()}"]},
               reason=comp.verification_note, via=via)
    return comp
