"""Profiles: CSV ``sample,marker,allele1,allele2`` (or ``Sample Name,Marker,Allele 1,Allele 2``);
homozygotes repeat the allele; a blank ``allele2`` or ``F`` marks one allele seen and the other
possibly dropped out (kept as ``(a, None)``, for degraded samples only); an untyped marker has no
row. Alleles are labels compared as strings (``9.3``, ``17``, ``OL``), never as floats. Any other
table a lab exports (GeneMapper ID/ID-X) is read by :mod:`vestige.kinship.io.labfiles`."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io.frequencies import FrequencyTable
from vestige.kinship.io.labfiles import read_lab_profiles
from vestige.kinship.io.text import ALLELE, open_csv, without_gc

__all__ = ["ALLELE", "HEADERS", "SEX_MARKERS", "Profiles", "read_profiles"]

SEX_MARKERS = {"AMEL", "AMELOGENIN", "AM"}  # sex typing, not an STR: read by --sex-from-amelogenin only


@dataclass
class Profiles:
    """Genotypes: ``genotypes[sample][marker] = (allele1, allele2)``; where each row came from."""

    genotypes: dict[str, dict[str, tuple[str, str]]]
    source: str = ""
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def samples(self) -> list[str]:
        return list(self.genotypes)

    def where(self, sample: str, marker: str) -> str:
        """``FILE, line N`` of the row for (sample, marker), found by reading the file again."""
        line = self.lines.get((sample, marker))
        if line is None:
            try:
                return self.find(sample, marker, Path(self.source).read_text(encoding="utf-8-sig"))
            except OSError:
                return f"{self.source}, sample {sample}"
        return f"{self.source}, line {line}"

    def find(self, sample: str, marker: str, text: str, second: bool = False) -> str:
        seen = 0
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            if len(row) >= 2 and row[0].strip() == sample and row[1].strip() == marker:
                seen += 1
                if seen == (2 if second else 1):
                    return f"{self.source}, line {number}"
        return f"{self.source}, sample {sample}"

    def check_against(self, table: FrequencyTable, *, add_missing: float | None = None,
                      samples: list[str] | None = None) -> list[tuple[str, str, float]]:
        """Check every marker and allele is in ``table``.

        With ``add_missing`` (a minimum frequency), alleles absent from the table are added at that
        frequency and returned (marker, allele, frequency) for the report; without it they are an
        error naming file, line and value.
        """
        added = []
        known = {m: set(al) for m, al in table.alleles.items()}
        for sample in samples or self.samples:
            for marker, (a, b) in self.genotypes.get(sample, {}).items():
                ok = known.get(marker)
                if ok is not None and a in ok and (b in ok or b is None):
                    continue  # the common case, one set look-up per allele
                if marker.upper() in SEX_MARKERS and marker not in table.alleles:
                    continue
                if marker not in table.alleles:
                    raise KinshipInputError(self.where(sample, marker),
                                            f"marker {marker!r} is not in the frequency table {table.source}")
                for allele in (a, b):
                    if allele is None:
                        continue
                    if allele not in table.alleles[marker]:
                        if add_missing is None:
                            raise KinshipInputError(
                                self.where(sample, marker),
                                f"allele {allele!r} of {marker} (sample {sample}) is not in the frequency "
                                f"table; add it there, or allow rare alleles with a minimum frequency")
                        table.add_allele(marker, allele, add_missing)
                        known[marker].add(allele)
                        added.append((marker, allele, add_missing))
        return added


HEADERS = {
    ("sample", "marker", "allele1", "allele2"),
    ("sample name", "marker", "allele 1", "allele 2"),
}


def read_profiles(path: str | Path, only: set[str] | None = None, table: FrequencyTable | None = None) -> Profiles:
    """Read a profiles CSV; with ``only``, keep just those samples.

    Plain comma-separated files (the common case, 10^6 rows) are split line by line, a piece at a
    time; anything else (quotes, ``;`` or tab delimiters, ragged rows) goes through the csv
    module. Line numbers for error messages are found when an error is reported. A table whose
    header is not the exchange format's (a GeneMapper ID/ID-X export: ``Sample File``, ``Sample
    Name``, ``Panel``, ``Marker``, ``Dye``, ``Allele 1`` … ``Allele n``, sizes, heights) is read by
    :func:`vestige.kinship.io.labfiles.read_lab_profiles` as GeneMapper writes it (a homozygote
    once, ``F`` second for a possible drop-out), its marker names matched to ``table``'s.
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise KinshipInputError(str(path), "no such file") from None
    except UnicodeDecodeError as e:
        raise KinshipInputError(str(path), f"not UTF-8 text (byte {e.start})") from None
    name = str(path)
    first, _, body = text.partition("\n")
    header = [h.strip().lower() for h in first.strip().split(",")]
    if only is not None and '"' not in first and not any(c in body for c in '" \t'):  # no field padded or quoted
        # A few samples out of a large file: find their lines directly (str.find is C-fast).
        found = []
        padded = "\n" + body  # padded[i + 1] == body[i]: a match at i starts a line at body[i]
        for sample in only:
            needle = "\n" + sample + ","
            at = padded.find(needle)
            while at != -1:
                end = body.find("\n", at)
                found.append(body[at:end if end != -1 else None])
                at = padded.find(needle, at + 1)
        body = "\n".join(found) + ("\n" if found else "")
    if tuple(header[:4]) in HEADERS and len(header) == 4:
        profiles = Profiles(genotypes={}, source=name)
        # no field needs stripping when there is no space or tab, and a CR only ends lines
        bare = " " not in body and "\t" not in body and body.count("\r") == body.count("\r\n") + body.endswith("\r")
        shared: tuple[dict, dict, dict] = ({}, {}, {})  # for the whole file (see _fill_profiles)
        try:
            with without_gc():
                # in pieces of whole lines: the rows of one piece at a time, not 10^6 of them at once
                for piece in _pieces(body):
                    lines = piece.split("\n")
                    if not lines[-1]:
                        lines.pop()
                    if '"' in piece or piece.count(",") != 3 * len(lines):
                        raise _NotPlain  # quotes, or a line of other than four fields
                    if "\r" in piece:
                        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
                    _fill_profiles(profiles, [ln.split(",", 2) for ln in lines], text, only, bare, shared)
            return profiles
        except _NotPlain:
            pass  # the csv module reads it
    name, parsed = open_csv(p)
    header = [h.lower() for h in parsed[0][1]]
    if tuple(header[:4]) not in HEADERS:
        return _lab_table(text, name, only, table)
    rows = [(r[0], r[1], tuple(r[2:4])) for r in ((r + [""] * 4)[:4] for _, r in parsed[1:])]
    profiles = Profiles(genotypes={}, source=name)
    with without_gc():
        _fill_profiles(profiles, rows, text, only, False, ({}, {}, {}))
    return profiles


class _NotPlain(Exception):
    """A profiles file that is not plain ``sample,marker,allele1,allele2`` lines."""


def _pieces(text: str, size: int = 1 << 18):
    """``text`` in pieces of about ``size`` characters, each ending at the end of a line."""
    at, n = 0, len(text)
    while at < n:
        end = text.find("\n", at + size)
        end = n if end == -1 else end + 1
        yield text[at:end]
        at = end


def _fill_profiles(profiles: Profiles, rows, text: str, only: set[str] | None, bare: bool,
                   shared: tuple[dict, dict, dict]) -> None:
    """The rows (sample, marker, alleles) into ``profiles.genotypes``, each checked; ``alleles`` is
    the text ``allele1,allele2`` of a plain line (:class:`_NotPlain` if a row is not three fields
    and two alleles) or the pair of a csv row; ``bare``: no field needs stripping.

    Each distinct alleles text is checked once and kept as one shared tuple of shared labels, and
    each marker name as one string (``shared``: alleles text → genotype, label → label, marker →
    marker, kept from one piece of a file to the next): a 10^6-row file then holds a few hundred
    genotype objects instead of a million (a third of the memory, and the search's look-ups
    compare the same string objects)."""
    per_sample = profiles.genotypes
    genotypes, labels, marker_names = shared
    last, per = None, {}
    for row in rows:
        if len(row) != 3:
            raise _NotPlain
        sample, marker, alleles = row
        if not bare:
            sample, marker = sample.strip(), marker.strip()
        if only is not None and sample not in only:
            continue
        if not sample or not marker:
            raise KinshipInputError(profiles.find(sample, marker, text), "sample and marker are required")
        genotype = genotypes.get(alleles)
        if genotype is None:
            if isinstance(alleles, str):
                pair = alleles.split(",")
                if len(pair) != 2:
                    raise _NotPlain
            else:
                pair = alleles
            a1, a2 = (pair[0], pair[1]) if bare else (pair[0].strip(), pair[1].strip())
            if not a1:
                if a2:
                    raise KinshipInputError(profiles.find(sample, marker, text),
                                            f"allele1 is empty but allele2 is {a2!r}")
                continue  # an untyped marker may be written as a row with no alleles
        if sample != last:  # a sample's rows usually follow one another
            per = per_sample.get(sample)
            if per is None:
                per = per_sample[sample] = {}
            last = sample
        name = marker_names.get(marker)
        if name is None:
            name = marker_names[marker] = marker
        if name in per:
            raise KinshipInputError(profiles.find(sample, marker, text, second=True),
                                    f"{sample} has a second row for marker {marker}")
        if genotype is None:
            genotype = genotypes[alleles] = _genotype(profiles, text, sample, marker, a1, a2, labels)
        per[name] = genotype


def _genotype(profiles: Profiles, text: str, sample: str, marker: str, a1: str, a2: str,
              labels: dict[str, str]) -> tuple[str, str | None]:
    """One row's alleles checked: labels, and 'F' (possible drop-out) only second."""
    dropped = not a2 or a2 == "F" or a2 == "f"
    for allele in (a1,) if dropped else (a1, a2):
        if allele in labels:
            continue
        if ALLELE.match(allele):
            labels[allele] = allele
        else:
            raise KinshipInputError(profiles.find(sample, marker, text),
                                    f"allele {allele!r} of {marker} (sample {sample}) is not an allele label "
                                    "(digits, letters, '.', '-' or '_', starting with a digit or letter, "
                                    "at most 16 characters)")
    if a1 == "F" or a1 == "f":
        raise KinshipInputError(profiles.find(sample, marker, text),
                                f"allele1 of {marker} (sample {sample}) is 'F': write the allele seen first "
                                "and 'F' (possible drop-out) second")
    # A blank second allele or 'F' (Familias/Bonaparte) means one allele seen and the other
    # possibly dropped out: kept as (a, None), never silently read as a homozygote; the
    # engine accepts it only for a sample declared degraded.
    return labels[a1], None if dropped else labels[a2]


def _lab_table(text: str, name: str, only: set[str] | None, table: FrequencyTable | None) -> Profiles:
    """A lab's export read by the lab-file reader; its first problem (and how many more) raised."""
    lab = read_lab_profiles(text, name, table)
    if lab.problems and lab.problems[0].code == "header":
        raise KinshipInputError(f"{name}, line 1", f"header {lab.problems[0].value!r}; expected sample,marker,allele1,"
                                "allele2 (or Sample Name,Marker,Allele 1,Allele 2, or a GeneMapper export)")
    if lab.problems:
        p, more = lab.problems[0], len(lab.problems) - 1
        where = f"{name}, line {p.line}" if p.line else name
        value = f" {p.value!r}" if p.value else ""
        raise KinshipInputError(where, f"{p.column}{value}: {p.message()}"
                                + (f" (and {more} more problem{'s' if more > 1 else ''} in the file)" if more else ""))
    genotypes = {s: g for s, g in lab.profiles.items() if only is None or s in only}
    for sample, amel in lab.amelogenin.items():  # sex typing stays beside the STRs, as in the exchange format
        if (only is None or sample in only) and amel[0]:
            genotypes.setdefault(sample, {})["AMEL"] = (amel[0], amel[1] if amel[1] is not None else amel[0])
    return Profiles(genotypes=genotypes, source=name, lines=dict(lab.cells))
