"""DNA profile files as labs send them, read for import with every bad cell named.

Accepted: CSV or TSV with a header naming the sample, marker and two allele columns —
``sample,marker,allele1,allele2`` (the kinship exchange format) or a GeneMapper export
(``Sample Name``, ``Marker``, ``Allele 1``, ``Allele 2``, other columns ignored). One row per
sample and marker. A blank second allele or ``F`` means "one allele seen, the other may have
dropped out": accepted only when the file's samples are declared degraded (a drop-out
probability), never read as a homozygote. Markers and alleles must be in the frequency table
the matching runs use — refused here, never later in a run. Amelogenin rows are kept aside
(sex typing, not a kinship marker).

Pure of Django: the importers (missing persons' reference profiles, remains samples) call it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from vestige.errors import RowError

SAMPLE = ("sample", "sample name", "sample_name", "samplename")
MARKER = ("marker", "locus")
ALLELE1 = ("allele1", "allele 1", "allele_1")
ALLELE2 = ("allele2", "allele 2", "allele_2")
SEX_MARKERS = {"AMEL", "AMELOGENIN", "AM"}
MAX_BYTES = 50 * 1024 * 1024


MARKER_NAME = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$"


def check_labels(genotypes: dict, where: str = "") -> None:
    """Refuse marker names and allele labels that are not plain (no markup, no formula, no
    space): whatever door a profile came through, the same rule as for lab files."""
    import re

    from vestige.errors import InvalidInput
    from vestige.kinship.io import ALLELE

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


def read_profile_file(data: bytes, name: str, table, *, degraded: bool = False) -> ProfileFile:
    """Parse ``data``; every problem is a :class:`RowError` (line, column, value, reason).

    ``table`` is a :class:`vestige.kinship.FrequencyTable`; ``degraded`` allows single alleles.
    """
    from vestige.kinship.io import ALLELE

    out = ProfileFile()
    if len(data) > MAX_BYTES:
        out.errors.append(RowError(0, "file", name, f"larger than {MAX_BYTES // (1024 * 1024)} MB"))
        return out
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        out.errors.append(RowError(0, "file", name, f"not UTF-8 text (byte {e.start}); save it as CSV UTF-8"))
        return out
    if "\x00" in text:
        out.errors.append(RowError(0, "file", name, "contains NUL bytes: not a text file"))
        return out
    sample_text = text[:4096]
    delim = "\t" if sample_text.count("\t") > sample_text.count(",") else (
        ";" if sample_text.count(";") > sample_text.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        rows = [(reader.line_num, r) for r in reader]
    except csv.Error as e:
        out.errors.append(RowError(reader.line_num, "file", "", f"malformed CSV: {e}"))
        return out
    rows = [(n, [c.strip() for c in r]) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        out.errors.append(RowError(1, "file", name, "the file is empty"))
        return out
    header = [h.lower() for h in rows[0][1]]

    def col(names):
        return next((header.index(h) for h in names if h in header), None)

    cs, cm, c1, c2 = col(SAMPLE), col(MARKER), col(ALLELE1), col(ALLELE2)
    missing = [n for n, c in (("sample", cs), ("marker", cm), ("allele1", c1), ("allele2", c2)) if c is None]
    if missing:
        out.errors.append(RowError(1, missing[0], ",".join(rows[0][1]),
                                   "the header needs sample, marker, allele1, allele2 (or GeneMapper's Sample "
                                   "Name, Marker, Allele 1, Allele 2)"))
        return out
    width = len(header)
    for line, r in rows[1:]:
        out.rows += 1
        if len(r) < width and len(r) <= max(cs, cm, c1, c2):
            out.errors.append(RowError(line, "row", delim.join(r), f"{len(r)} cells where the header has {width}: "
                                       "the row is cut short"))
            continue
        sample, marker, a1, a2 = r[cs], r[cm], r[c1], r[c2]
        errs = []
        if not sample:
            errs.append(RowError(line, "sample", "", "required"))
        elif any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in sample):
            errs.append(RowError(line, "sample", sample, "control or bidirectional-override characters"))
        if not marker:
            errs.append(RowError(line, "marker", "", "required"))
        if marker.upper() in SEX_MARKERS and marker not in table.alleles:
            if sample and not errs:
                out.amelogenin[sample] = (a1, a2 or None)
            continue
        if marker and marker not in table.alleles:
            errs.append(RowError(line, "marker", marker, f"not in the frequency table ({table.source or 'in use'})"))
        if not a1 and not a2:
            continue  # an untyped marker written as an empty row
        if not a1 or a1.upper() == "F":
            errs.append(RowError(line, "allele1", a1, "write the allele seen first (and F or nothing second)"))
        single = not a2 or a2.upper() == "F"
        for column, allele in (("allele1", a1), ("allele2", None if single else a2)):
            if not allele or (column == "allele1" and allele.upper() == "F"):
                continue
            if not ALLELE.match(allele):
                errs.append(RowError(line, column, allele, "not an allele label (digits, letters, '.', '-', '_')"))
            elif marker in table.alleles and allele not in table.alleles[marker]:
                errs.append(RowError(line, column, allele, f"allele not in the frequency table for {marker}; "
                                     "add it to the table first"))
        if single and a1 and not degraded:
            errs.append(RowError(line, "allele2", a2, "one allele only: declare the samples degraded (a drop-out "
                                 "probability) or write the homozygote twice"))
        if sample and marker and marker in out.profiles.get(sample, {}):
            errs.append(RowError(line, "marker", marker, f"a second row for {sample}"))
        if errs:
            out.errors += errs
            continue
        out.profiles.setdefault(sample, {})[marker] = (a1, None if single else a2)
        out.lines.setdefault(sample, line)
    return out
