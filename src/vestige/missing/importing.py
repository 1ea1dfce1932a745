"""Import of missing persons from CSV or XLSX (all rows or none), and of DNA profiles.

Missing persons: columns ``family`` (an existing family's reference, or a new family's name),
``family_name``, ``given_name`` and optionally ``patronymic``, ``sex``, ``birth_date``,
``height_cm``, ``last_seen_on``, ``last_seen_place``, ``last_seen_latitude``,
``last_seen_longitude``, ``circumstances``, ``clothing``, ``distinguishing_marks``, ``dental_notes``.
"""

from __future__ import annotations

from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dnafiles import read_dna_upload
from vestige.errors import ImportRejected, RowError
from vestige.importers import dropout_of
from vestige.missing import services
from vestige.missing.models import Donor, Family, MissingPerson
from vestige.registry.importing import ImportReport, read_table

COLUMNS = ("family", *services.PERSON_FIELDS)
REQUIRED = ("family", "family_name", "given_name")


def _family_for(actor, ref: str, via: str) -> Family:
    """The family ``ref`` among those ``actor`` may see, created (in the actor's case) if new."""
    found = access.scope(Family.objects.filter(ref=ref), actor).first()
    if found is not None:
        return found
    if Family.objects.filter(ref=ref).exists():
        raise ImportRejected(ref, [RowError(0, "family", ref, _("this family reference is used in another case"))])
    return services.create_family(actor, ref, via=via)


def import_persons(actor, data: BinaryIO, name: str, *, dry_run: bool = False, via: str = "import") -> ImportReport:
    require(actor, Cap.MISSING_WRITE)
    header, rows = read_table(data, name)
    problems = [RowError(1, h, h, _("unknown column")) for h in header if h not in COLUMNS]
    problems += [RowError(1, c, "", _("required column is missing")) for c in REQUIRED if c not in header]
    if problems:
        if dry_run:
            return ImportReport("missing persons", name, len(rows), 0, True, problems)
        raise ImportRejected(name, problems)
    errors: list[RowError] = []
    clean: list[tuple[str, dict]] = []
    for line, row in rows:
        row_errors = [RowError(line, c, "", _("required")) for c in REQUIRED if not row.get(c)]
        person = MissingPerson(ref="MP-CHECK", name_key="x")
        data_ = {}
        for f in services.PERSON_FIELDS:
            raw = row.get(f, "")
            field = MissingPerson._meta.get_field(f)
            value = (None if field.null else "") if raw == "" else raw
            if f == "sex" and raw == "":
                value = "unknown"
            setattr(person, f, value)
            data_[f] = value
        if not row_errors:
            try:
                person.full_clean(exclude=["family", "member", "ref", "name_key"], validate_unique=False)
            except ValidationError as e:
                row_errors += [RowError(line, f, row.get(f, ""), m) for f, ms in e.message_dict.items() for m in ms]
            data_ = {f: getattr(person, f) for f in services.PERSON_FIELDS}
        errors += row_errors
        if not row_errors:
            clean.append((row["family"], data_))
    report = ImportReport("missing persons", name, len(rows), 0, dry_run, errors)
    if dry_run:
        return report
    if errors:
        raise ImportRejected(name, errors)
    with transaction.atomic():
        for family_ref, data_ in clean:
            family = _family_for(actor, family_ref, via)
            services.create_missing_person(actor, family, data_, via=via)
    report.created = len(clean)
    return report


def import_references(actor, data: BinaryIO, name: str, *, lab: str, kit: str, dropout: float = 0.0,  # noqa: PLR0913
                      dry_run: bool = False, via: str = "import", single: str | None = None) -> ImportReport:
    """Reference profiles from a lab file (CSV or GeneMapper export; sample column = donor code):
    all rows or none; a dry run names every bad cell. Markers and alleles are checked against the
    frequency table the matching runs use, here and not later."""

    require(actor, Cap.DNA_WRITE)
    parsed = read_dna_upload(data.read(), name, lab=lab, kit=kit, dropout=dropout, single=single)
    problems = list(parsed.errors)
    donors = {d.code: d for d in access.scope(Donor.objects.filter(code__in=list(parsed.profiles)), actor)}
    for sample, line in parsed.lines.items():
        d = donors.get(sample)
        if d is None:
            problems.append(RowError(line, "sample", sample, _("no donor with this code")))
        elif d.withdrawn_at is not None or not d.consent_active:
            problems.append(RowError(line, "sample", sample, _("this donor's consent is not in force")))
    report = ImportReport("reference profiles", name, parsed.rows, 0, dry_run, problems)
    if dry_run:
        return report
    if problems:
        raise ImportRejected(name, problems)
    with transaction.atomic():
        for sample, genotypes in parsed.profiles.items():
            services.add_reference_profile(actor, donors[sample], genotypes, lab=lab, kit=kit, source=name,
                                           dropout=dropout, via=via)
    report.created = len(parsed.profiles)
    return report


def persons_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
                   via: str) -> ImportReport:
    """The ``import:missing`` hook of :mod:`vestige.importers`."""
    return import_persons(actor, data, name, dry_run=dry_run, via=via)


def references_import(actor, kind: str, data: BinaryIO, name: str, *, dry_run: bool, options: dict,
                      via: str) -> ImportReport:
    """The ``import:references`` hook of :mod:`vestige.importers`."""
    return import_references(actor, data, name, lab=options.get("lab", ""), kit=options.get("kit", ""),
                             dropout=dropout_of(options), dry_run=dry_run, via=via,
                             single=options.get("single") or None)
