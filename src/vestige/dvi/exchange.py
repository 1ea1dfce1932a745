"""Hand a case's AM and PM data to another DVI system, and take it back: a documented JSON.

Format ``vestige-dvi-exchange`` version 1 (described in the README, "DVI exchange")::

    {"format": "vestige-dvi-exchange", "version": 1, "exported_at": ISO-8601, "case": "…" | null,
     "ante_mortem": [{"ref", "family_name", "given_name", "patronymic", "sex", "birth_date",
                      "height_cm", "dental": {"charted_on", "source", "notes", "teeth": {FDI: {...}}} | null,
                      "marks": [...], "effects": [...], "medical": [...], "fingerprints": [...]}],
     "post_mortem": [{"body_number", "site", "sex", "age_min", "age_max", "stature_min_cm",
                      "stature_max_cm", "dental": ..., "marks": ..., ...}],
     "comparisons": [{"method", "remains", "missing_person", "conclusion", "verification", "note", "figures"}]}

Teeth are in FDI notation with the states of :mod:`vestige.dvi.odontology`; each section's
records carry the fields of its model (evidence items by reference). Import matches missing
persons by reference and remains by body number (they must exist: the registry, not the
exchange, creates people), replaces a chart that differs and adds the records not yet held, so
importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dvi import services
from vestige.dvi.models import Comparison, DentalChart, Side
from vestige.errors import InvalidInput, NotFound
from vestige.missing.models import MissingPerson, Sharing
from vestige.registry.models import Remains

FORMAT, VERSION = "vestige-dvi-exchange", 1


def _records(owner) -> dict[str, list[dict]]:
    out = {}
    for name, (model, fields) in services.SECTIONS.items():
        rows = []
        for obj in services.owned(model, owner):
            row = {}
            for f in fields:
                v = getattr(obj, f)
                row[f] = v.ref if f in services.EVIDENCE_FIELDS and v is not None else v
            rows.append(row)
        out[name] = rows
    return out


def _chart(owner) -> dict | None:
    c = services.chart_of(owner)
    if c is None:
        return None
    return {"charted_on": c.charted_on.isoformat() if c.charted_on else None, "source": c.source, "notes": c.notes,
            "teeth": c.teeth, "radiographs": [i.ref for i in c.radiographs.all()]}


def _has_data(owner) -> bool:
    side = services.side_of(owner)
    key = {"missing_person" if side == Side.AM else "remains": owner}
    return DentalChart.objects.filter(**key).exists() or any(
        m.objects.filter(**key).exists() for m, _f in services.SECTIONS.values())


def export(actor, *, case: str = "") -> dict:
    require(actor, Cap.IDENT_READ)
    require(actor, Cap.MISSING_READ)
    # A family that chose "this organisation only" (issue 31) is not handed to another DVI system.
    persons = access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True)
                           .exclude(family__sharing=Sharing.ORGANISATION), actor)
    remains = access.scope(Remains.objects.filter(withdrawn_at__isnull=True).select_related("site"), actor)
    if case:
        persons, remains = persons.filter(family__case__code=case), remains.filter(site__case__code=case)
    am = []
    for p in persons.order_by("ref"):
        if _has_data(p):
            am.append({"ref": p.ref, "family_name": p.family_name, "given_name": p.given_name,
                       "patronymic": p.patronymic, "sex": p.sex,
                       "birth_date": p.birth_date.isoformat() if p.birth_date else None, "height_cm": p.height_cm,
                       "dental": _chart(p), **_records(p)})
    pm = []
    for r in remains.order_by("body_number"):
        if _has_data(r):
            pm.append({"body_number": r.body_number, "site": r.site.ref, "sex": r.sex, "age_min": r.age_min,
                       "age_max": r.age_max, "stature_min_cm": r.stature_min_cm, "stature_max_cm": r.stature_max_cm,
                       "dental": _chart(r), **_records(r)})
    comps = access.scope(Comparison.objects.select_related("remains", "missing_person")
                         .exclude(missing_person__family__sharing=Sharing.ORGANISATION), actor)
    return {"format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat(), "case": case or None,
            "ante_mortem": am, "post_mortem": pm,
            "comparisons": [{"method": c.method, "remains": c.remains.body_number, "missing_person": c.missing_person.ref,
                             "conclusion": c.conclusion, "verification": c.verification, "note": c.note,
                             "figures": c.figures} for c in comps]}


def _same(existing: list[dict], row: dict) -> bool:
    return any(all(str(e.get(k) or "") == str(row.get(k) or "") for k in row) for e in existing)


def load(actor, data: bytes | str | dict, *, via: str = "import") -> dict[str, int]:
    """Import an exchange file; all or nothing. Returns the counts of charts and records written."""
    services.require_importer(actor)
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidInput(_("Not JSON: %(e)s") % {"e": e}, field="file") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput(_("Not a Vestige DVI exchange file (format %(f)r).") % {
            "f": data.get("format") if isinstance(data, dict) else None}, field="format")
    if data.get("version") != VERSION:
        raise InvalidInput(_("Exchange version %(v)r is not supported (this Vestige reads %(n)d).")
                           % {"v": data.get("version"), "n": VERSION}, field="version")
    counts = {"charts": 0, "records": 0, "unchanged": 0}
    with transaction.atomic():
        for side, key, listname in ((Side.AM, "ref", "ante_mortem"), (Side.PM, "body_number", "post_mortem")):
            entries = data.get(listname) or []
            if not isinstance(entries, list):
                raise InvalidInput(_("%(l)s must be a list.") % {"l": listname}, field=listname)
            for i, entry in enumerate(entries):
                where = f"{listname}[{i}]"
                if not isinstance(entry, dict) or not entry.get(key):
                    raise InvalidInput(_("%(w)s: %(k)s is required.") % {"w": where, "k": key}, field=f"{where}.{key}")
                try:
                    owner = services.find_owner(actor, side, str(entry[key]))
                except NotFound as e:
                    raise InvalidInput(f"{where}: {e.message}", field=f"{where}.{key}") from None
                _load_owner(actor, owner, entry, where, counts, via)
    return counts


def _load_owner(actor, owner, entry: dict[str, Any], where: str, counts: dict, via: str) -> None:
    dental = entry.get("dental")
    if dental:
        if not isinstance(dental, dict):
            raise InvalidInput(_("%(w)s.dental must be an object.") % {"w": where}, field=f"{where}.dental")
        current = services.chart_of(owner)
        try:
            when = dt.date.fromisoformat(dental["charted_on"]) if dental.get("charted_on") else None
        except (TypeError, ValueError):
            raise InvalidInput(_("%(w)s.dental.charted_on is not a date: %(v)r") % {
                "w": where, "v": dental.get("charted_on")}, field=f"{where}.dental.charted_on") from None
        try:
            if current is None or current.teeth != dental.get("teeth") or current.charted_on != when \
                    or current.source != (dental.get("source") or ""):
                services.save_chart(actor, owner, dental.get("teeth") or {}, charted_on=when,
                                    source=dental.get("source") or "", notes=dental.get("notes") or "", via=via)
                counts["charts"] += 1
            else:
                counts["unchanged"] += 1
        except InvalidInput as e:
            raise InvalidInput(f"{where}.dental: {e.message}", field=f"{where}.{e.field}") from None
    held = _records(owner)
    for name in services.SECTIONS:
        rows = entry.get(name) or []
        if not isinstance(rows, list):
            raise InvalidInput(_("%(w)s.%(n)s must be a list.") % {"w": where, "n": name}, field=f"{where}.{name}")
        for j, row in enumerate(rows):
            if not isinstance(row, dict):
                raise InvalidInput(_("%(w)s.%(n)s[%(j)d] must be an object.") % {"w": where, "n": name, "j": j},
                                   field=f"{where}.{name}[{j}]")
            if _same(held[name], row):
                counts["unchanged"] += 1
                continue
            try:
                services.add_record(actor, name, owner, row, via=via)
            except InvalidInput as e:
                raise InvalidInput(f"{where}.{name}[{j}]: {e.message}", field=f"{where}.{name}[{j}].{e.field}") from None
            counts["records"] += 1
