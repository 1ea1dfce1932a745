"""DNA profile tables as labs export them, read with every bad cell named: the one reader of these
for the whole project (the import pages read uploads with it, the command line reads a file that
is not the plain exchange format with it).

Accepted: CSV or TSV (comma, semicolon as Excel saves it in Ukraine, or tab) with a header naming
the sample, the marker and the allele columns — ``sample,marker,allele1,allele2`` (the kinship
exchange format) or a GeneMapper ID/ID-X "Genotypes Table" as the software exports it (``Sample
File``, ``Sample Name``, ``Panel``, ``Marker``, ``Dye``, ``Allele 1`` … ``Allele n``, sizes,
heights; ``Sample.Name``/``Allele.1`` as R writes them). Header names are matched ignoring case,
spaces, dots, dashes and underscores; marker names likewise against the frequency table
(:data:`ALIASES` adds the names labs use that differ by more: ``vWA``/``VWA``, ``Penta D``/``PENTA_D``,
``PentaD``, ``AMEL``/``Amelogenin``).

One allele written at a marker (GeneMapper writes a homozygote once) is read by the ``single``
setting: ``homozygote`` (the default for clean references and samples), ``dropout`` (the default
when the samples are declared degraded: the other may have dropped out) or ``refuse``. ``F`` as the
second allele always means a possible drop-out. More than two alleles at a marker is **refused as a
possible mixture** (the row and the marker named), never truncated; an off-ladder allele (``OL``)
is named. With a frequency table, markers and alleles must be in it. Amelogenin rows are kept
aside (sex typing, not a kinship marker).

Each problem is a :class:`CellProblem` — line, column, value and a message from :data:`MESSAGES`
(English, marked for translation: the app shows them in the user's language).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from vestige.kinship.io.frequencies import FrequencyTable
from vestige.kinship.io.text import ALLELE

__all__ = ["ALIASES", "MESSAGES", "SINGLE", "CellProblem", "LabProfiles", "marker_names", "read_lab_profiles"]

SAMPLE = ("sample", "samplename")
MARKER = ("marker", "locus")
SEX_MARKERS = {"AMEL", "AMELOGENIN", "AM"}
# Names labs write that differ from the table's by more than case and punctuation.
ALIASES = {"PENTAD": ("PENTA_D", "PentaD", "Penta D"), "PENTAE": ("PENTA_E", "PentaE", "Penta E"),
           "VWA": ("vWA", "VWA"), "AMEL": ("AMEL", "Amelogenin")}
EMPTY = {"", "NA", "N/A", "-"}
SINGLE = ("homozygote", "dropout", "refuse")


def gettext_noop(message: str) -> str:
    """Marks a message for the translators' catalogue (``makemessages`` finds it by this name);
    the app translates it when it shows it."""
    return message


MESSAGES = {
    "single": gettext_noop("one of %(o)s"),
    "single_needs_dropout": gettext_noop("a possible drop-out needs a drop-out probability"),
    "too_large": gettext_noop("larger than %(n)d MB"),
    "not_utf8": gettext_noop("not UTF-8 text (byte %(b)d); save it as CSV UTF-8"),
    "nul": gettext_noop("contains NUL bytes: not a text file"),
    "malformed": gettext_noop("malformed CSV: %(e)s"),
    "empty": gettext_noop("the file is empty"),
    "header": gettext_noop("the header needs sample, marker, allele1, allele2 (or GeneMapper's Sample Name, Marker, "
                           "Allele 1, Allele 2 …)"),
    "short_row": gettext_noop("%(n)d cells where the header has %(w)d: the row is cut short"),
    "required": gettext_noop("required"),
    "control": gettext_noop("control or bidirectional-override characters"),
    "unknown_marker": gettext_noop("not in the frequency table (%(t)s)"),
    "mixture": gettext_noop("a third allele at %(m)s (%(a)s): a possible mixture — a reference or a single-source "
                            "sample has two alleles at most; nothing was kept"),
    "first_allele": gettext_noop("write the allele seen first (and F or nothing second)"),
    "off_ladder": gettext_noop("off-ladder allele (OL): size it against the ladder, or leave the marker out"),
    "label": gettext_noop("not an allele label (digits, letters, '.', '-', '_')"),
    "unknown_allele": gettext_noop("allele not in the frequency table for %(m)s; add it to the table first"),
    "one_allele": gettext_noop("one allele only: declare the samples degraded (a drop-out probability) or write the "
                               "homozygote twice"),
    "second_row": gettext_noop("a second row for %(s)s"),
}


@dataclass(frozen=True)
class CellProblem:
    """One bad cell: its line (0: the file or the settings), column, value and what is wrong."""

    line: int
    column: str
    value: str
    code: str  # a key of MESSAGES
    params: dict = field(default_factory=dict)

    def message(self, translate=gettext_noop) -> str:
        """The message, through ``translate`` (the app's ``gettext``; English without it)."""
        text = translate(MESSAGES[self.code])
        return text % self.params if self.params else text


@dataclass
class LabProfiles:
    """``profiles[sample][marker] = (allele1, allele2 or None)`` (None: possibly dropped out), each
    sample's first line, the amelogenin rows kept aside, every problem, the rows read and each
    genotype's line."""

    profiles: dict[str, dict[str, tuple[str, str | None]]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    amelogenin: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)
    rows: int = 0
    cells: dict[tuple[str, str], int] = field(default_factory=dict)  # (sample, marker) → line


def _norm(text: str) -> str:
    return re.sub(r"[\s._\-]", "", text).upper()


def marker_names(table: FrequencyTable) -> dict[str, str]:
    """Normalised name → the table's marker (case, spaces, dots, dashes and underscores ignored)."""
    out: dict[str, str] = {}
    for m in table.alleles:
        out.setdefault(_norm(m), m)
    for key, names in ALIASES.items():
        for name in names:
            if key in out:
                out.setdefault(_norm(name), out[key])
    return out


def _text(data: bytes | str, name: str, out: LabProfiles, max_bytes: int | None) -> str | None:
    if max_bytes is not None and len(data) > max_bytes:
        out.problems.append(CellProblem(0, "file", name, "too_large", {"n": max_bytes // (1024 * 1024)}))
        return None
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            out.problems.append(CellProblem(0, "file", name, "not_utf8", {"b": e.start}))
            return None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        out.problems.append(CellProblem(0, "file", name, "nul"))
        return None
    return text


def _rows(text: str, name: str, out: LabProfiles) -> tuple[str, list[tuple[int, list[str]]]] | None:
    first_line = text.split("\n", 1)[0]
    delim = "\t" if first_line.count("\t") > max(first_line.count(","), first_line.count(";")) else (
        ";" if first_line.count(";") > first_line.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    try:
        rows = [(reader.line_num, r) for r in reader]
    except csv.Error as e:
        out.problems.append(CellProblem(reader.line_num, "file", "", "malformed", {"e": str(e)}))
        return None
    rows = [(n, [c.strip() for c in r]) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        out.problems.append(CellProblem(1, "file", name, "empty"))
        return None
    return delim, rows


@dataclass(frozen=True)
class _Layout:
    """Where a table's columns are, and how its rows are read."""

    delim: str
    width: int
    sample: int
    marker: int
    alleles: list[tuple[int, int]]  # (allele number, column)
    names: dict[str, str]  # normalised marker name → the table's (empty without a table)
    table: FrequencyTable | None
    degraded: bool
    single: str


def read_lab_profiles(data: bytes | str, name: str, table: FrequencyTable | None = None, *, degraded: bool = False,
                      single: str | None = None, max_bytes: int | None = None) -> LabProfiles:
    """Parse ``data`` (a file's bytes, or its text); every problem is a :class:`CellProblem`.

    ``name``: the file as the user knows it (never a path on a server is shown); ``table``: the
    frequency table the markers and alleles must be in (None: any plain label, marker names as
    written); ``degraded`` declares drop-out (and makes ``dropout`` the default reading of a single
    allele); ``single`` is that reading (see above); ``max_bytes``: a larger file is refused.
    """
    name = PurePath(name).name
    single = single or ("dropout" if degraded else "homozygote")
    out = LabProfiles()
    if single not in SINGLE:
        out.problems.append(CellProblem(0, "single", single, "single", {"o": ", ".join(SINGLE)}))
        return out
    if single == "dropout" and not degraded:
        out.problems.append(CellProblem(0, "single", single, "single_needs_dropout"))
        return out
    text = _text(data, name, out, max_bytes)
    parsed = _rows(text, name, out) if text is not None else None
    if parsed is None:
        return out
    delim, rows = parsed
    raw_header = rows[0][1]
    header = [_norm(h).lower() for h in raw_header]

    def col(names):
        return next((header.index(h) for h in names if h in header), None)

    cs, cm = col(SAMPLE), col(MARKER)
    allele_cols = sorted(((int(m.group(1)), i) for i, h in enumerate(header) if (m := re.fullmatch(r"allele(\d+)", h))))
    missing = [n for n, c in (("sample", cs), ("marker", cm)) if c is None]
    if missing or not allele_cols or allele_cols[0][0] != 1:
        out.problems.append(CellProblem(1, (missing or ["allele1"])[0], delim.join(raw_header)[:200], "header"))
        return out
    layout = _Layout(delim, len(header), cs, cm, allele_cols, marker_names(table) if table is not None else {},
                     table, degraded, single)
    for line, r in rows[1:]:
        out.rows += 1
        _read_row(out, layout, line, r)
    return out


def _read_row(out: LabProfiles, lay: _Layout, line: int, r: list[str]) -> None:
    needed = max(lay.sample, lay.marker, lay.alleles[0][1])
    if len(r) < lay.width and len(r) <= needed:
        out.problems.append(CellProblem(line, "row", lay.delim.join(r)[:200], "short_row", {"n": len(r), "w": lay.width}))
        return
    sample, written = r[lay.sample], r[lay.marker]
    values = [(f"allele{k}", r[i]) for k, i in lay.alleles if i < len(r) and r[i].upper() not in EMPTY]
    errs = []
    if not sample:
        errs.append(CellProblem(line, "sample", "", "required"))
    elif any(ord(ch) < 32 or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in sample):
        errs.append(CellProblem(line, "sample", sample, "control"))
    if not written:
        errs.append(CellProblem(line, "marker", "", "required"))
    table = lay.table
    marker = lay.names.get(_norm(written), written)
    if _norm(written) in SEX_MARKERS and (table is None or marker not in table.alleles):
        if sample and not errs:
            out.amelogenin[sample] = (values[0][1] if values else "", values[1][1] if len(values) > 1 else None)
        return
    if written and table is not None and marker not in table.alleles:
        errs.append(CellProblem(line, "marker", written, "unknown_marker",
                                {"t": PurePath(table.source).name if table.source else "in use"}))
    if not values:
        return  # an untyped marker written as an empty row
    if len(values) > 2:
        column, value = values[2]
        out.problems += [*errs, CellProblem(line, column, value, "mixture",
                                            {"m": written, "a": ", ".join(v for _c, v in values)})]
        return
    a1 = values[0][1]
    a2 = values[1][1] if len(values) > 1 else ""
    if a1.upper() == "F" or values[0][0] != "allele1":
        errs.append(CellProblem(line, "allele1", a1, "first_allele"))
    dropped = len(values) == 1 or a2.upper() == "F"
    for column, allele in [(c, v) for c, v in values if v.upper() != "F"]:
        if allele.upper() == "OL":
            errs.append(CellProblem(line, column, allele, "off_ladder"))
        elif not ALLELE.match(allele):
            errs.append(CellProblem(line, column, allele, "label"))
        elif table is not None and marker in table.alleles and allele not in table.alleles[marker]:
            errs.append(CellProblem(line, column, allele, "unknown_allele", {"m": marker}))
    explicit_f = len(values) > 1 and a2.upper() == "F"
    if dropped and not lay.degraded and (explicit_f or lay.single == "refuse"):
        errs.append(CellProblem(line, "allele2", a2, "one_allele"))
    if sample and marker and marker in out.profiles.get(sample, {}):
        errs.append(CellProblem(line, "marker", written, "second_row", {"s": sample}))
    if errs:
        out.problems += errs
        return
    if dropped:
        second = a1 if (lay.single == "homozygote" and not explicit_f) else None
    else:
        second = a2
    out.profiles.setdefault(sample, {})[marker] = (a1, second)
    out.lines.setdefault(sample, line)
    out.cells[(sample, marker)] = line
