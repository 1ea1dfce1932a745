"""DNA profile files as labs send them, read for import with every bad cell named, in the user's
language. The reading itself — CSV or TSV, the exchange format or a GeneMapper ID/ID-X "Genotypes
Table", marker aliases, the ``single`` setting for one allele written, mixtures refused — is
:mod:`vestige.kinship.io.labfiles`, the one reader of lab tables for the whole project (the
command line uses it too); here its problems become the import's row errors, translated.
Messages name the file, never a path on the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from vestige.errors import InvalidInput, RowError
from vestige.kinship import read_frequencies
from vestige.kinship.io import ALLELE
from vestige.kinship.io.labfiles import SINGLE, read_lab_profiles

__all__ = ["SINGLE", "ProfileFile", "check_labels", "frequency_table", "read_dna_upload", "read_profile_file"]

MAX_BYTES = 50 * 1024 * 1024


MARKER_NAME = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$"


def check_labels(genotypes: dict, where: str = "") -> None:
    """Refuse marker names and allele labels that are not plain (no markup, no formula, no
    space): whatever door a profile came through, the same rule as for lab files."""
    for marker, alleles in genotypes.items():
        if not isinstance(marker, str) or not re.match(MARKER_NAME, marker):
            raise InvalidInput(f"{where}marker {marker!r} is not a marker name (letters, digits, '.', '-', '_')",
                               field="profile")
        for a in alleles:
            if a is not None and not ALLELE.match(str(a)):
                raise InvalidInput(f"{where}{marker}: allele {a!r} is not an allele label (e.g. 12, 9.3, X, OL)",
                                   field="profile")


@dataclass
class ProfileFile:
    profiles: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # sample → first line
    amelogenin: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def read_profile_file(data: bytes, name: str, table, *, degraded: bool = False, single: str | None = None) -> ProfileFile:
    """Parse ``data`` (:func:`vestige.kinship.io.labfiles.read_lab_profiles`); every problem is a
    :class:`RowError` (line, column, value, reason in the user's language).

    ``table`` is a :class:`vestige.kinship.FrequencyTable`; ``degraded`` declares drop-out (and makes
    ``dropout`` the default reading of a single allele); ``single`` is that reading.
    """
    lab = read_lab_profiles(data, name, table, degraded=degraded, single=single, max_bytes=MAX_BYTES)
    return ProfileFile(lab.profiles, lab.lines, lab.amelogenin,
                       [RowError(p.line, p.column, p.value, p.message(_)) for p in lab.problems], lab.rows)


def read_dna_upload(data: bytes, name: str, *, lab: str, kit: str, dropout: float, single: str | None) -> ProfileFile:
    """A DNA import's file read, with what every DNA import records checked first — the laboratory,
    the kit, the drop-out probability (declaring it makes a single allele a possible drop-out) —
    as row errors of line 0; the importing app adds its own (whose sample codes these are)."""
    problems = []
    if not lab:
        problems.append(RowError(0, "lab", "", _("record the laboratory")))
    if not kit:
        problems.append(RowError(0, "kit", "", _("record the kit")))
    if not 0.0 <= dropout < 1.0:
        problems.append(RowError(0, "dropout", str(dropout), _("a probability in [0, 1)")))
    parsed = read_profile_file(data, name, frequency_table(), degraded=dropout > 0, single=single)
    parsed.errors[:0] = problems
    return parsed


def frequency_table():
    """The allele frequency table every DNA import checks against and every matching run uses
    (``VESTIGE_ALLELE_FREQUENCIES``)."""
    return read_frequencies(settings.VESTIGE_ALLELE_FREQUENCIES)
