"""Bulk import of graves and remains from CSV or XLSX.

The columns are those of the CSV export (``vestige.registry.listing``). Every row is checked
with the models' own rules before anything is written; if any row is bad the import writes
nothing and reports every bad cell (line, column, value, reason). A good file is written in one
transaction, each record with its history row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vestige.accounts.services import require
from vestige.errors import ImportRejected, InvalidInput, RowError
from vestige.history.models import Action
from vestige.history.services import record_many, snapshot
from vestige.registry.listing import GRAVES, REMAINS
from vestige.registry.models import Exhumation, Grave, Remains, Site
from vestige.registry.services import FIELDS, REQUIRED_ON_CREATE, WRITE_CAP

KINDS: dict[str, type[models.Model]] = {"graves": Grave, "remains": Remains}
COLUMNS = {Grave: [c.header for c in GRAVES.columns], Remains: [c.header for c in REMAINS.columns]}
MAX_ROWS = 500_000
LIST_FIELDS = {"injuries", "torture_signs"}


@dataclass
class ImportReport:
    kind: str
    source: str
    rows: int = 0
    created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "source": self.source, "rows": self.rows, "created": self.created,
            "dry_run": self.dry_run, "ok": self.ok, "errors": [e.__dict__ for e in self.errors],
        }


def read_table(data: BinaryIO, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a CSV (UTF-8) or XLSX file into its header and (line number, row) pairs.

    Line numbers are those a person sees: the header is line 1. Blank rows are skipped.
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        rows = _read_xlsx(data, name)
    elif suffix in {".csv", ".txt", ""}:
        rows = _read_csv(data, name)
    else:
        raise InvalidInput(
            _("%(name)s: unsupported file type %(s)r; use .csv or .xlsx") % {"name": name, "s": suffix},
            field="file",
        )
    if not rows:
        raise InvalidInput(_("%(name)s is empty: no header row.") % {"name": name}, field="file")
    header = [h.strip().lower() for h in rows[0][1]]
    body = []
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            extra = [c for c in cells[len(header):] if c.strip()]
            if extra:
                raise ImportRejected(name, [RowError(line, "?", extra[0], _("more cells than header columns"))])
        body.append((line, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
        if len(body) > MAX_ROWS:
            raise InvalidInput(_("%(name)s has more than %(n)d rows; split it.") % {"name": name, "n": MAX_ROWS}, field="file")
    return header, body


def _read_csv(data: BinaryIO, name: str) -> list[tuple[int, list[str]]]:
    raw = data.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            _("%(name)s is not UTF-8 text (byte %(pos)d); save it as CSV UTF-8.") % {"name": name, "pos": e.start},
            field="file",
        ) from None
    if "\x00" in text:
        raise InvalidInput(_("%(name)s contains NUL bytes: not a CSV file.") % {"name": name}, field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise InvalidInput(_("%(name)s, line %(l)d: %(e)s") % {"name": name, "l": reader.line_num, "e": e}, field="file") from None


def _read_xlsx(data: BinaryIO, name: str) -> list[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(data, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise InvalidInput(_("%(name)s is not a readable XLSX workbook (%(e)s).") % {"name": name, "e": e}, field="file") from None
    ws = wb.worksheets[0]
    out = []
    for idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        out.append((idx, ["" if v is None else _xlsx_text(v) for v in row]))
    wb.close()
    return out


def _xlsx_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and callable(value.date) and hasattr(value, "hour"):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class _Resolver:
    """Preloaded look-ups so that a 100,000-row file does not cost a query per reference."""

    def __init__(self) -> None:
        self.sites = {s.ref: s for s in Site.objects.filter(withdrawn_at__isnull=True)}
        self.exhumations = {e.reference: e for e in Exhumation.objects.filter(withdrawn_at__isnull=True)}
        self._graves: dict[int, dict[str, Grave]] = {}

    def grave(self, site: Site, label: str) -> Grave | None:
        if site.pk not in self._graves:
            self._graves[site.pk] = {
                g.label: g for g in Grave.objects.filter(site=site, withdrawn_at__isnull=True)
            }
            for g in self._graves[site.pk].values():
                g.site = site
        return self._graves[site.pk].get(label)


def check_rows(model: type[models.Model], rows, name: str) -> tuple[list[models.Model], list[RowError]]:
    """Build and validate one unsaved instance per row; return them and every bad cell."""
    errors: list[RowError] = []
    instances: list[models.Model] = []
    resolver = _Resolver()
    seen: dict[tuple, int] = {}
    allowed = FIELDS[model]
    existing_bodies: set[str] = set()
    if model is Remains:
        numbers = [r.get("body_number", "") for _, r in rows]
        for i in range(0, len(numbers), 5000):
            existing_bodies |= set(
                Remains.objects.filter(body_number__in=numbers[i:i + 5000]).values_list("body_number", flat=True)
            )
    for line, row in rows:
        row_errors: list[RowError] = []
        obj = model()
        for col in allowed:
            raw = row.get(col, "")
            if col in REQUIRED_ON_CREATE[model] and not raw:
                row_errors.append(RowError(line, col, raw, _("required")))
                continue
            if col == "site":
                site = resolver.sites.get(raw)
                if site is None:
                    row_errors.append(RowError(line, col, raw, _("unknown site reference")))
                else:
                    obj.site = site
            elif col == "grave":
                if raw and getattr(obj, "site_id", None):
                    grave = resolver.grave(obj.site, raw)
                    if grave is None:
                        row_errors.append(RowError(line, col, raw, _("no grave with this label at the site")))
                    else:
                        obj.grave = grave
            elif col == "exhumation":
                if raw:
                    exh = resolver.exhumations.get(raw)
                    if exh is None:
                        row_errors.append(RowError(line, col, raw, _("unknown exhumation reference")))
                    else:
                        obj.exhumation = exh
            elif col in LIST_FIELDS:
                setattr(obj, col, [v.strip() for v in raw.replace(",", ";").split(";") if v.strip()])
            else:
                f = model._meta.get_field(col)
                if raw == "":
                    setattr(obj, col, None if f.null else "" if f.blank else f.get_default())
                else:
                    setattr(obj, col, raw)
        if not row_errors:
            try:
                obj.full_clean(validate_unique=False, validate_constraints=False)
            except ValidationError as e:
                for col, messages in e.message_dict.items():
                    value = row.get(col, "")
                    for m in messages:
                        row_errors.append(RowError(line, col, value, m))
        if model is Remains and row.get("status", "") not in ("", "unidentified"):
            row_errors.append(RowError(line, "status", row["status"],
                                       _("set by identification decisions, not by import; leave it empty")))
        key = (
            (row.get("site"), row.get("label")) if model is Grave else (row.get("body_number"),)
        )
        if key in seen:
            row_errors.append(RowError(line, "label" if model is Grave else "body_number", key[-1],
                                       _("duplicate of line %(l)d") % {"l": seen[key]}))
        else:
            seen[key] = line
        if model is Remains and row.get("body_number") in existing_bodies:
            row_errors.append(RowError(line, "body_number", row["body_number"], _("already in the registry")))
        errors.extend(row_errors)
        if not row_errors:
            instances.append(obj)
    return instances, errors


def import_file(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool = False, via: str = "import") -> ImportReport:
    """Check, and unless ``dry_run``, import a file of graves or remains.

    Raises ImportRejected (listing every bad row) when any row is bad and ``dry_run`` is false;
    with ``dry_run`` the report carries the errors instead and nothing is written either way.
    """
    if kind not in KINDS:
        raise InvalidInput(_("Unknown import kind %(k)r; use graves or remains.") % {"k": kind}, field="kind")
    model = KINDS[kind]
    require(actor, WRITE_CAP[model])
    header, rows = read_table(data, name)
    known = set(COLUMNS[model])
    unknown = [h for h in header if h not in known]
    missing = [c for c in REQUIRED_ON_CREATE[model] if c not in header]
    if unknown or missing:
        problems = [RowError(1, h, h, _("unknown column; expected one of: %(c)s") % {"c": ", ".join(COLUMNS[model])}) for h in unknown]
        problems += [RowError(1, c, "", _("required column is missing")) for c in missing]
        if dry_run:
            return ImportReport(kind, name, len(rows), 0, True, problems)
        raise ImportRejected(name, problems)
    instances, errors = check_rows(model, rows, name)
    report = ImportReport(kind, name, rows=len(rows), dry_run=dry_run, errors=errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    with transaction.atomic():
        created = model.objects.bulk_create(instances, batch_size=2000)
        fields = FIELDS[model]
        record_many(created, Action.IMPORTED, actor,
                    [{k: [None, v] for k, v in snapshot(o, fields).items() if v not in (None, "", [])} for o in created],
                    via=via)
    report.created = len(created)
    return report
