"""Bulk import of graves and remains from CSV or XLSX.

The columns are those of the CSV export (``vestige.registry.listing``). Every row is checked
with the models' own rules before anything is written; if any row is bad the import writes
nothing and reports every bad cell (line, column, value, reason). A good file is written in one
transaction, each record with its history row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.services import require
from vestige.errors import ImportRejected, InvalidInput, RowError
from vestige.history.models import Action
from vestige.history.services import record_many, snapshot
from vestige.registry.listing import GRAVES, REMAINS
from vestige.registry.models import Exhumation, Grave, Remains, Site
from vestige.registry.services import FIELDS, REQUIRED_ON_CREATE, WRITE_CAP
from vestige.tables import read_table  # noqa: F401 (imported from here by the other apps' importers)

KINDS: dict[str, type[models.Model]] = {"graves": Grave, "remains": Remains}
COLUMNS = {Grave: [c.header for c in GRAVES.columns], Remains: [c.header for c in REMAINS.columns]}
LIST_FIELDS = {"injuries", "torture_signs"}


@dataclass
class ImportReport:
    kind: str
    source: str
    rows: int = 0
    created: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # proposals for a person to confirm (not problems)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "kind": self.kind, "source": self.source, "rows": self.rows, "created": self.created,
            "dry_run": self.dry_run, "ok": self.ok, "errors": [e.__dict__ for e in self.errors], "notes": self.notes,
        }


class _Resolver:
    """Preloaded look-ups so that a 100,000-row file does not cost a query per reference."""

    def __init__(self, actor=None) -> None:

        def seen(qs):
            return access.scope(qs, actor) if actor is not None else qs
        # Only the sites and exhumations of the importer's cases: a row naming another case's
        # site is "no such site", as on every other door.
        self.sites = {s.ref: s for s in seen(Site.objects.filter(withdrawn_at__isnull=True))}
        self.exhumations = {e.reference: e for e in seen(Exhumation.objects.filter(withdrawn_at__isnull=True))}
        self._graves: dict[int, dict[str, Grave]] = {}

    def grave(self, site: Site, label: str) -> Grave | None:
        if site.pk not in self._graves:
            self._graves[site.pk] = {
                g.label: g for g in Grave.objects.filter(site=site, withdrawn_at__isnull=True)
            }
            for g in self._graves[site.pk].values():
                g.site = site
        return self._graves[site.pk].get(label)


def choice_code(field, raw: str) -> str | None:
    """The stored code of a choice cell written as its code or as its label (in English or in the
    interface's languages, any case): "Wooden cross", "wooden_cross" and "Дерев'яний хрест" alike."""
    from django.conf import settings
    from django.utils import translation

    text = raw.strip()
    folded = text.casefold()
    for value, _label in field.flatchoices:
        if value != "" and folded == str(value).casefold():
            return value
    for lang, _name in settings.LANGUAGES:
        with translation.override(lang):
            for value, label in field.flatchoices:
                if value != "" and folded == str(label).casefold():
                    return value
    return None


def check_rows(model: type[models.Model], rows, name: str, actor=None) -> tuple[list[models.Model], list[RowError]]:
    """Build and validate one unsaved instance per row; return them and every bad cell."""
    errors: list[RowError] = []
    instances: list[models.Model] = []
    resolver = _Resolver(actor)
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
                elif f.choices:
                    code = choice_code(f, raw)
                    if code is None:
                        row_errors.append(RowError(line, col, raw, _("not one of: %(codes)s") % {
                            "codes": ", ".join(f"{v} ({lbl})" for v, lbl in f.flatchoices if v != "")}))
                    else:
                        setattr(obj, col, code)
                else:
                    setattr(obj, col, raw)
        # Every bad cell of the row, not only the first: the model's rules still run on the cells
        # that parsed (a rule tripped only by a cell already reported is not repeated).
        bad = {e.column for e in row_errors}
        try:
            obj.full_clean(exclude=sorted(bad), validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            for col, messages in e.message_dict.items():
                if col in bad:
                    continue
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
    instances, errors = check_rows(model, rows, name, actor)
    report = ImportReport(kind, name, rows=len(rows), dry_run=dry_run, errors=errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    report.created = len(write_rows(actor, model, instances, via))
    return report


@transaction.atomic
def write_rows(actor, model: type[models.Model], instances: list, via: str) -> list:
    """Create checked rows in one INSERT per batch, each with its history record."""
    created = model.objects.bulk_create(instances, batch_size=2000)
    fields = FIELDS[model]
    record_many(created, Action.IMPORTED, actor,
                [{k: [None, v] for k, v in snapshot(o, fields).items() if v not in (None, "", [])} for o in created],
                via=via)
    return created


def graves_or_remains_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
                             via: str) -> ImportReport:
    """The ``import:graves`` and ``import:remains`` hooks of :mod:`vestige.importers`."""
    return import_file(actor, kind, data, name, dry_run=dry_run, via=via)
