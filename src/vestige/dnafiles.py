"""DNA profile files as labs send them, read for import with every bad cell named.

Accepted: CSV or TSV (comma, semicolon as Excel saves it in Ukraine, or tab) with a header naming
the sample, the marker and the allele columns — ``sample,marker,allele1,allele2`` (the kinship
exchange format) or a GeneMapper ID/ID-X "Genotypes Table" as the software exports it (``Sample
File``, ``Sample Name``, ``Panel``, ``Marker``, ``Dye``, ``Allele 1`` … ``Allele n``, sizes,
heights; ``Sample.Name``/``Allele.1`` as R writes them). Header names are matched ignoring case,
spaces, dots, dashes and underscores; marker names likewise against the frequency table
(:data:`ALIASES` adds the names labs use that differ by more: ``vWA``/``VWA``, ``Penta D``/``PENTA_D``,
``PentaD``, ``AMEL``/``Amelogenin``).

One allele written at a marker (GeneMapper writes a homozygote once) is read by the import's
``single`` setting: ``homozygote`` (the default for clean references and samples), ``dropout``
(the default when the samples are declared degraded: the other may have dropped out) or
``refuse``. ``F`` as the second allele always means a possible drop-out. More than two alleles at a
marker is **refused as a possible mixture** (the row and the marker named), never truncated; an
off-ladder allele (``OL``) is named. Markers and alleles must be in the frequency table the
matching runs use — refused here, never later in a run. Amelogenin rows are kept aside (sex
typing, not a kinship marker). Messages are in the user's language and name the file, never a
path on the server.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from vestige.errors import InvalidInput, RowError
from vestige.kinship import read_frequencies
from vestige.kinship.io import ALLELE

SAMPLE = ("sample", "samplename")
MARKER = ("marker", "locus")
SEX_MARKERS = {"AMEL", "AMELOGENIN", "AM"}
# Names labs write that differ from the table's by more than case and punctuation.
ALIASES = {"PENTAD": ("PENTA_D", "PentaD", "Penta D"), "PENTAE": ("PENTA_E", "PentaE", "Penta E"),
           "VWA": ("vWA", "VWA"), "AMEL": ("AMEL", "Amelogenin")}
EMPTY = {"", "NA", "N/A", "-"}
SINGLE = ("homozygote", "dropout", "refuse")
MAX_BYTES = 50 * 1024 * 1024


MARKER_NAME = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$"


def check_labels(genotypes: dict, where: str = "") -> None:
    """Refuse marker names and allele labels that are not plain (no markup, no formula, no
    space): whatever door a profile came through, the same rule as for lab files."""
    import re


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


def _norm(text: str) -> str:
    return re.sub(r"[\s._\-]", "", text).upper()


def marker_names(table) -> dict[str, str]:
    """Normalised name → the table's marker (case, spaces, dots, dashes and underscores ignored)."""
    out: dict[str, str] = {}
    for m in table.alleles:
        out.setdefault(_norm(m), m)
    for key, names in ALIASES.items():
        for name in names:
            if key in out:
                out.setdefault(_norm(name), out[key])
    return out


def read_profile_file(data: bytes, name: str, table, *, degraded: bool = False, single: str | None = None) -> ProfileFile:
    """Parse ``data``; every problem is a :class:`RowError` (line, column, value, reason).

    ``table`` is a :class:`vestige.kinship.FrequencyTable`; ``degraded`` declares drop-out (and makes
    ``dropout`` the default reading of a single allele); ``single`` is that reading (see above).
    """

    name = PurePath(name).name  # the file as the user knows it: never a path on the server
    single = single or ("dropout" if degraded else "homozygote")
    out = ProfileFile()
    if single not in SINGLE:
        out.errors.append(RowError(0, "single", single, _("one of %(o)s") % {"o": ", ".join(SINGLE)}))
        return out
    if single == "dropout" and not degraded:
        out.errors.append(RowError(0, "single", single, _("a possible drop-out needs a drop-out probability")))
        return out
    if len(data) > MAX_BYTES:
        out.errors.append(RowError(0, "file", name, _("larger than %(n)d MB") % {"n": MAX_BYTES // (1024 * 1024)}))
        return out
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        out.errors.append(RowError(0, "file", name, _("not UTF-8 text (byte %(b)d); save it as CSV UTF-8") % {
            "b": e.start}))
        return out
    if "\x00" in text:
        out.errors.append(RowError(0, "file", name, _("contains NUL bytes: not a text file")))
        return out
    first_line = text.split("\n", 1)[0]
    delim = "\t" if first_line.count("\t") > max(first_line.count(","), first_line.count(";")) else (
        ";" if first_line.count(";") > first_line.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        rows = [(reader.line_num, r) for r in reader]
    except csv.Error as e:
        out.errors.append(RowError(reader.line_num, "file", "", _("malformed CSV: %(e)s") % {"e": e}))
        return out
    rows = [(n, [c.strip() for c in r]) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        out.errors.append(RowError(1, "file", name, _("the file is empty")))
        return out
    raw_header = rows[0][1]
    header = [_norm(h).lower() for h in raw_header]

    def col(names):
        return next((header.index(h) for h in names if h in header), None)

    cs, cm = col(SAMPLE), col(MARKER)
    allele_cols = sorted(((int(m.group(1)), i) for i, h in enumerate(header) if (m := re.fullmatch(r"allele(\d+)", h))))
    missing = [n for n, c in (("sample", cs), ("marker", cm)) if c is None]
    if missing or not allele_cols or allele_cols[0][0] != 1:
        out.errors.append(RowError(1, (missing or ["allele1"])[0], delim.join(raw_header)[:200],
                                   _("the header needs sample, marker, allele1, allele2 (or GeneMapper's Sample "
                                     "Name, Marker, Allele 1, Allele 2 …)")))
        return out
    names = marker_names(table)
    width = len(header)
    needed = max(cs, cm, allele_cols[0][1])
    for line, r in rows[1:]:
        out.rows += 1
        if len(r) < width and len(r) <= needed:
            out.errors.append(RowError(line, "row", delim.join(r)[:200], _(
                "%(n)d cells where the header has %(w)d: the row is cut short") % {"n": len(r), "w": width}))
            continue
        sample, written = r[cs], r[cm]
        values = [(f"allele{k}", r[i]) for k, i in allele_cols if i < len(r) and r[i].upper() not in EMPTY]
        errs = []
        if not sample:
            errs.append(RowError(line, "sample", "", _("required")))
        elif any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in sample):
            errs.append(RowError(line, "sample", sample, _("control or bidirectional-override characters")))
        if not written:
            errs.append(RowError(line, "marker", "", _("required")))
        marker = names.get(_norm(written), written)
        if _norm(written) in SEX_MARKERS and marker not in table.alleles:
            if sample and not errs:
                out.amelogenin[sample] = (values[0][1] if values else "", values[1][1] if len(values) > 1 else None)
            continue
        if written and marker not in table.alleles:
            errs.append(RowError(line, "marker", written, _("not in the frequency table (%(t)s)") % {
                "t": PurePath(table.source).name if table.source else _("in use")}))
        if not values:
            continue  # an untyped marker written as an empty row
        if len(values) > 2:
            column, value = values[2]
            errs.append(RowError(line, column, value, _(
                "a third allele at %(m)s (%(a)s): a possible mixture — a reference or a single-source sample has two "
                "alleles at most; nothing was kept") % {"m": written, "a": ", ".join(v for _c, v in values)}))
            out.errors += errs
            continue
        a1 = values[0][1]
        a2 = values[1][1] if len(values) > 1 else ""
        if a1.upper() == "F" or values[0][0] != "allele1":
            errs.append(RowError(line, "allele1", a1, _("write the allele seen first (and F or nothing second)")))
        dropped = len(values) == 1 or a2.upper() == "F"
        pair = [(c, v) for c, v in values if v.upper() != "F"]
        for column, allele in pair:
            if allele.upper() == "OL":
                errs.append(RowError(line, column, allele, _("off-ladder allele (OL): size it against the ladder, "
                                                             "or leave the marker out")))
            elif not ALLELE.match(allele):
                errs.append(RowError(line, column, allele, _("not an allele label (digits, letters, '.', '-', '_')")))
            elif marker in table.alleles and allele not in table.alleles[marker]:
                errs.append(RowError(line, column, allele, _("allele not in the frequency table for %(m)s; add it to "
                                                             "the table first") % {"m": marker}))
        explicit_f = len(values) > 1 and a2.upper() == "F"
        if dropped and not degraded and (explicit_f or single == "refuse"):
            errs.append(RowError(line, "allele2", a2, _("one allele only: declare the samples degraded (a drop-out "
                                                        "probability) or write the homozygote twice")))
        if sample and marker and marker in out.profiles.get(sample, {}):
            errs.append(RowError(line, "marker", written, _("a second row for %(s)s") % {"s": sample}))
        if errs:
            out.errors += errs
            continue
        if dropped:
            second = a1 if (single == "homozygote" and not explicit_f) else None
        else:
            second = a2
        out.profiles.setdefault(sample, {})[marker] = (a1, second)
        out.lines.setdefault(sample, line)
    return out


def frequency_table():
    """The allele frequency table every DNA import checks against and every matching run uses
    (``VESTIGE_ALLELE_FREQUENCIES``)."""
    return read_frequencies(settings.VESTIGE_ALLELE_FREQUENCIES)
