"""CSV/XLSX import of DVI records (all rows or none; every bad cell reported with its line).

- ``dental_am`` / ``dental_pm``: one row per tooth — ``owner`` (the missing person's reference,
  or the body number), ``tooth`` (FDI), ``state``, and optionally ``surfaces``, ``material``,
  ``root_canal``, ``note``, ``charted_on``, ``source``. The rows of one owner replace that
  owner's chart.
- ``dvi_am`` / ``dvi_pm``: one row per record — ``owner``, ``section`` (marks, effects, medical,
  fingerprints), ``kind`` (the mark's kind, the effect's category, the finding's kind, the print
  record's kind), and the section's other fields (``region``, ``description``, ``maker``,
  ``serial``, ``classification``, ``quality``, ``notes``).

AM kinds need ``missing.write`` (the family liaison), PM kinds ``remains.write`` (the examiner).
"""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from vestige.dvi import services
from vestige.errors import ImportRejected, NotFound, RowError, VestigeError
from vestige.osteology import odontology
from vestige.registry.importing import ImportReport, read_table

DENTAL_COLUMNS = ("owner", "tooth", "state", "surfaces", "material", "root_canal", "note", "charted_on", "source")
RECORD_COLUMNS = ("owner", "section", "kind", "region", "description", "maker", "serial", "classification",
                  "quality", "notes")
KIND_FIELD = {"marks": "kind", "effects": "category", "medical": "kind", "fingerprints": "kind"}


def _open(actor, side: str, data: BinaryIO, name: str, noun: str, columns, required, dry_run: bool):
    """The side's role checked, the table read and its header checked: (rows, None), or (rows, the
    dry run's report) when the header is wrong; raises ImportRejected for a wrong header otherwise."""
    services.require_side(actor, side, write=True)
    header, rows = read_table(data, name)
    problems = [RowError(1, h, h, _("unknown column")) for h in header if h not in columns]
    problems += [RowError(1, c, "", _("required column is missing")) for c in required if c not in header]
    if problems:
        if dry_run:
            return rows, ImportReport(noun, name, len(rows), 0, True, problems)
        raise ImportRejected(name, problems)
    return rows, None


def _owner(actor, side, key, cache):
    if key not in cache:
        try:
            cache[key] = services.find_owner(actor, side, key)
        except NotFound as e:
            cache[key] = e
    return cache[key]


def import_dental(actor, side: str, data: BinaryIO, name: str, *, dry_run: bool = False,
                  via: str = "import") -> ImportReport:
    noun = f"dental charts ({side.upper()})"
    rows, early = _open(actor, side, data, name, noun, DENTAL_COLUMNS, ("owner", "tooth", "state"), dry_run)
    if early is not None:
        return early
    errors: list[RowError] = []
    charts: dict[str, dict] = {}
    owners: dict = {}
    for line, row in rows:
        key = (row.get("owner") or "").strip()
        owner = _owner(actor, side, key, owners) if key else NotFound(_("required"))
        if isinstance(owner, VestigeError):
            errors.append(RowError(line, "owner", key, owner.message))
            continue
        tooth = (row.get("tooth") or "").strip()
        try:
            entry = odontology.normalise_tooth(tooth, {k: row.get(k, "") for k in
                                                       ("state", "surfaces", "material", "root_canal", "note")},
                                               side=side)
        except odontology.ChartError as e:
            errors.append(RowError(line, e.field if e.field != "tooth" else "tooth",
                                   row.get(e.field if e.field in row else "tooth", tooth), str(e)))
            continue
        chart = charts.setdefault(key, {"owner": owner, "teeth": {}, "charted_on": None, "source": ""})
        if tooth in chart["teeth"]:
            errors.append(RowError(line, "tooth", tooth, _("tooth %(t)s is given twice for %(o)s") % {"t": tooth,
                                                                                                    "o": key}))
        chart["teeth"][tooth] = entry
        when = (row.get("charted_on") or "").strip()
        if when:
            try:
                chart["charted_on"] = dt.date.fromisoformat(when)
            except ValueError:
                errors.append(RowError(line, "charted_on", when, _("not a date (YYYY-MM-DD)")))
        chart["source"] = (row.get("source") or "").strip() or chart["source"]
    report = ImportReport(noun, name, len(rows), 0, dry_run, errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    with transaction.atomic():
        for chart in charts.values():
            services.save_chart(actor, chart["owner"], chart["teeth"], charted_on=chart["charted_on"],
                                source=chart["source"], via=via)
    report.created = len(charts)
    return report


def import_records(actor, side: str, data: BinaryIO, name: str, *, dry_run: bool = False,
                   via: str = "import") -> ImportReport:
    noun = f"DVI records ({side.upper()})"
    rows, early = _open(actor, side, data, name, noun, RECORD_COLUMNS, ("owner", "section", "kind"), dry_run)
    if early is not None:
        return early
    errors: list[RowError] = []
    clean = []
    owners: dict = {}
    for line, row in rows:
        key = (row.get("owner") or "").strip()
        owner = _owner(actor, side, key, owners) if key else NotFound(_("required"))
        if isinstance(owner, VestigeError):
            errors.append(RowError(line, "owner", key, owner.message))
        section = (row.get("section") or "").strip()
        if section not in services.SECTIONS:
            errors.append(RowError(line, "section", section, _("one of %(s)s") % {"s": ", ".join(services.SECTIONS)}))
            continue
        model, fields = services.SECTIONS[section]
        values = {KIND_FIELD[section]: (row.get("kind") or "").strip()}
        for f in fields:
            if f in row and f != KIND_FIELD[section] and f not in services.EVIDENCE_FIELDS and row[f] != "":
                values[f] = row[f]
        for f in ("region", "description", "maker", "serial", "classification", "quality", "notes"):
            if row.get(f) and f not in fields:
                errors.append(RowError(line, f, row[f], _("not a field of %(s)s") % {"s": section}))
        obj = model(side=side, recorded_by=actor)
        for k, v in values.items():
            setattr(obj, k, v)
        try:
            obj.clean_fields(exclude=["missing_person", "remains", "recorded_by", "photo", "document", "item"])
        except Exception as e:  # ValidationError: one RowError per bad cell
            for f, ms in getattr(e, "message_dict", {"__all__": [str(e)]}).items():
                column = "kind" if f == KIND_FIELD[section] else f
                errors += [RowError(line, column, row.get(column, ""), m) for m in ms]
            continue
        if section == "medical" and values.get("kind") == "implant" and not (values.get("serial") or
                                                                              values.get("description")):
            errors.append(RowError(line, "serial", "", _("an implant needs its serial number or a description")))
            continue
        if not isinstance(owner, VestigeError):
            clean.append((section, owner, values))
    report = ImportReport(noun, name, len(rows), 0, dry_run, errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    with transaction.atomic():
        for section, owner, values in clean:
            services.add_record(actor, section, owner, values, via=via)
    report.created = len(clean)
    return report


def dvi_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
               via: str) -> ImportReport:
    """The ``import:dental`` and ``import:dvi`` hooks of :mod:`vestige.importers` (``dental_am`` ...)."""
    fn = import_dental if kind.startswith("dental_") else import_records
    return fn(actor, kind.rsplit("_", 1)[1], data, name, dry_run=dry_run, via=via)
