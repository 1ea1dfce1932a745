"""Readers for the kinship exchange formats (shared/data/README.md).

- allele frequencies: CSV ``marker,allele,frequency`` or the "ladder" layout (first column the
  allele, one column per marker, empty cells for absent alleles);
- profiles: CSV ``sample,marker,allele1,allele2`` (or GeneMapper's ``Sample Name,Marker,Allele 1,
  Allele 2``); homozygotes repeat the allele; a blank ``allele2`` or ``F`` marks one allele
  seen and the other possibly dropped out (kept as ``(a, None)``, for degraded samples only);
  an untyped marker has no row;
- families: JSON, one file per family;
- mutation models: JSON per marker and sex;
- sample sexes: ``remains.json`` (``[{"sample", "sex"}]``) or CSV ``sample,sex``.

Alleles are labels compared as strings (``9.3``, ``17``, ``OL``), never as floats.
Every error names the file and line (or member) and the value.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.mutation import MODELS, MutationModel, MutationSpec
from vestige.kinship.pedigree import SEXES, Family, Member

SUM_TOLERANCE = 0.005  # published tables are rounded; beyond this a table is wrong, not rounded.
SEX_MARKERS = {"AMEL", "AMELOGENIN", "AM"}  # sex typing, not an STR: read by --sex-from-amelogenin only
ALLELE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]{0,15}$")  # no formulas, markup or spaces


@dataclass
class FrequencyTable:
    """Per marker: allele labels (in table order) and their frequencies (float64, same order)."""

    alleles: dict[str, list[str]]
    freqs: dict[str, np.ndarray]
    source: str = ""
    added: list[tuple[str, str, float]] = field(default_factory=list)  # (marker, allele, frequency)

    @property
    def markers(self) -> list[str]:
        return list(self.alleles)

    def index(self, marker: str) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.alleles[marker])}

    def add_allele(self, marker: str, allele: str, frequency: float) -> None:
        """Add a rare allele at ``frequency``; the others are scaled so the marker still sums to 1."""
        f = self.freqs[marker] * (1.0 - frequency)
        self.freqs[marker] = np.append(f, frequency)
        self.alleles[marker] = [*self.alleles[marker], allele]
        self.added.append((marker, allele, frequency))


@dataclass(frozen=True)
class TextFile:
    """A file's name and its text, read like a file by every reader here (an upload, or data
    decrypted for one run: never written to disk)."""

    name: str
    text: str

    def __str__(self) -> str:
        return self.name


def _split_rows(lines: list[str], text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    if " " not in text and "\t" not in text and "\x0b" not in text and "\x0c" not in text:
        return [(n, line.split(delimiter)) for n, line in enumerate(lines, 1) if line.strip(delimiter)]
    return [(n, cells) for n, cells in ((n, [c.strip() for c in line.split(delimiter)])
                                        for n, line in enumerate(lines, 1)) if any(cells)]


def open_csv(path: str | Path | TextFile) -> tuple[str, list[tuple[int, list[str]]]]:
    if isinstance(path, TextFile):
        text = path.text.removeprefix("\ufeff")
    else:
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise KinshipInputError(str(path), "no such file") from None
        except IsADirectoryError:
            raise KinshipInputError(str(path), "is a folder, not a file") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise KinshipInputError(str(path), f"not UTF-8 text (byte {e.start})") from None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ("\t" if sample.count("\t") > sample.count(",") else ",")
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        # No quoting and no lone CR: a row is a line, split as the csv module splits it (3x faster).
        lines = text.replace("\r\n", "\n").split("\n") if "\r" in text else text.split("\n")
        with without_gc():  # 10^5 small lists: the collector would walk them again and again
            rows = _split_rows(lines, text, delimiter)
        if not rows:
            raise KinshipInputError(str(path), "is empty")
        return str(path), rows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            cells = [c.strip() for c in row]  # stripped once; a row of empty cells is skipped
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise KinshipInputError(f"{path}, line {reader.line_num}", str(e)) from None
    if not rows:
        raise KinshipInputError(str(path), "is empty")
    return str(path), rows


def _float(where: str, value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise KinshipInputError(where, f"frequency {value!r} is not a number") from None
    if not (0.0 < f <= 1.0):
        raise KinshipInputError(where, f"frequency {value!r} is not in (0, 1]")
    return f


def read_frequencies(path: str | Path) -> FrequencyTable:
    """Read a long (``marker,allele,frequency``) or ladder CSV; check each marker sums to 1."""
    name, rows = open_csv(path)
    header = [h.lower() for h in rows[0][1]]
    alleles: dict[str, list[str]] = {}
    freqs: dict[str, list[float]] = {}
    lines: dict[str, int] = {}
    if header[:3] == ["marker", "allele", "frequency"]:
        for line, row in rows[1:]:
            where = f"{name}, line {line}"
            if len(row) < 3 or not row[0] or not row[1]:
                raise KinshipInputError(where, f"expected marker,allele,frequency; got {','.join(row)!r}")
            marker, allele, f = row[0], row[1], _float(where, row[2])
            if allele in alleles.get(marker, ()):
                raise KinshipInputError(where, f"allele {allele!r} of {marker} is listed twice")
            alleles.setdefault(marker, []).append(allele)
            freqs.setdefault(marker, []).append(f)
            lines.setdefault(marker, line)
    else:
        markers = rows[0][1][1:]
        if not markers or any(not m for m in markers):
            raise KinshipInputError(f"{name}, line 1", "a ladder table needs a header: allele, then one column per marker")
        for line, row in rows[1:]:
            allele = row[0]
            if not allele:
                raise KinshipInputError(f"{name}, line {line}", "empty allele label in the first column")
            for marker, cell in zip(markers, row[1:], strict=False):
                if cell == "" or cell.upper() == "NA":
                    continue
                where = f"{name}, line {line}, column {marker}"
                if allele in alleles.get(marker, ()):
                    raise KinshipInputError(where, f"allele {allele!r} is listed twice")
                alleles.setdefault(marker, []).append(allele)
                freqs.setdefault(marker, []).append(_float(where, cell))
                lines.setdefault(marker, line)
    if not alleles:
        raise KinshipInputError(name, "no allele frequencies found")
    out = {}
    for marker, fs in freqs.items():
        total = float(np.sum(fs))
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise KinshipInputError(f"{name}, marker {marker}", f"frequencies sum to {total:.6f}, not 1")
        # Within rounding, rescale to exactly 1 (as Familias does): otherwise an untransmitted
        # founder allele carries the table's deficit into some likelihoods and not others.
        arr = np.asarray(fs, dtype=np.float64)
        out[marker] = arr / arr.sum()
    return FrequencyTable(alleles=alleles, freqs=out, source=name)


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


def read_profiles(path: str | Path, only: set[str] | None = None) -> Profiles:
    """Read a profiles CSV; with ``only``, keep just those samples.

    Plain comma-separated files (the common case, 10^6 rows) are split line by line, a piece at a
    time; anything else (quotes, ``;`` or tab delimiters, ragged rows) goes through the csv
    module. Line numbers for error messages are found when an error is reported.
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
        raise KinshipInputError(f"{name}, line 1",
                                f"header {','.join(parsed[0][1])!r}; expected sample,marker,allele1,allele2 "
                                "(or Sample Name,Marker,Allele 1,Allele 2)")
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


@contextmanager
def without_gc():
    """The cyclic garbage collector paused while a reader builds up to millions of small objects
    (none in a cycle): it would otherwise traverse them again and again as they pile up."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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


def read_json(p: Path | str | TextFile):
    """Parse a JSON file; a missing, undecodable or malformed file is a KinshipInputError naming it."""
    try:
        if isinstance(p, TextFile):
            return json.loads(p.text)
        with open(p, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise KinshipInputError(str(p), "no such file") from None
    except IsADirectoryError:
        raise KinshipInputError(str(p), "is a folder, not a file") from None
    except RecursionError:
        raise KinshipInputError(str(p), "not valid JSON (nested too deeply)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise KinshipInputError(str(p), f"not valid JSON ({e})") from None


def read_family(path: str | Path, profiles: Profiles | None = None) -> Family:
    """Read one family JSON; with ``profiles``, check every ``sample`` it names is there."""
    name = path if isinstance(path, str) else str(path)
    return family_from_dict(read_json(name), name, profiles)


_MEMBER_FIELDS = frozenset({"id", "sex", "father", "mother", "missing", "sample", "deceased", "name", "relationship"})


def family_from_dict(data, source: str, profiles: Profiles | None = None) -> Family:
    if not isinstance(data, dict) or not isinstance(data.get("members"), list):
        raise KinshipInputError(source, 'expected {"family": NAME, "members": [...]}')
    name = str(data.get("family") or Path(source).stem)
    members = []
    genotypes = profiles.genotypes if profiles is not None else None
    for i, m in enumerate(data["members"]):
        if not isinstance(m, dict):
            raise KinshipInputError(f"{source}, member #{i + 1}", "a member must be an object")
        if not _MEMBER_FIELDS.issuperset(m):
            raise KinshipInputError(f"{source}, member #{i + 1}", f"unknown field(s) {sorted(set(m) - _MEMBER_FIELDS)}")
        mid = str(m.get("id", "")).strip()
        sex = m.get("sex", "unknown")
        if sex not in SEXES:
            raise KinshipInputError(f"{source}, member {mid or '#' + str(i + 1)}",
                                    f"sex {sex!r} is not male, female or unknown")
        sample = m.get("sample")
        if sample is not None and genotypes is not None and str(sample) not in genotypes:
            raise KinshipInputError(f"{source}, member {mid or '#' + str(i + 1)}",
                                    f"sample {sample!r} is not in the profiles ({profiles.source})")
        father, mother = m.get("father"), m.get("mother")
        members.append(Member(
            id=mid, sex=sex,
            father=str(father) if father is not None and father != "" else None,
            mother=str(mother) if mother is not None and mother != "" else None,
            missing=bool(m.get("missing", False)),
            sample=str(sample) if sample is not None and sample != "" else None,
            deceased=bool(m.get("deceased", False)),
        ))
    return Family(name=name, members=members, source=source)


def read_families(paths: list[str | Path], profiles: Profiles | None = None) -> list[Family]:
    """Family files, or folders of ``*.json`` family files (sorted by name)."""
    files: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            # names sorted as strings (what sorting Paths of one folder does, 10x faster for 10^4 files)
            folder = str(p)
            found = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".json"))
            if not found:
                raise KinshipInputError(folder, "no *.json family files in this folder")
            files.extend(os.path.join(folder, name) for name in found)
        elif p.exists():
            files.append(str(p))
        else:
            raise KinshipInputError(str(p), "no such file or folder")
    with without_gc():
        families = [read_family(f, profiles) for f in files]
    seen: dict[str, str] = {}
    for fam in families:
        if fam.name in seen:
            raise KinshipInputError(fam.source, f"family name {fam.name!r} is also used by {seen[fam.name]}")
        seen[fam.name] = fam.source
    return families


def read_mutation(path: str | Path) -> MutationModel:
    """``{marker: {"female": {"model", "rate", ...}, "male": {...}}}``; a ``"*"`` marker is the default."""
    p = Path(path)
    data = read_json(p)
    if not isinstance(data, dict):
        raise KinshipInputError(str(p), "expected an object keyed by marker")
    specs: dict[str, dict[str, MutationSpec]] = {}
    for marker, by_sex in data.items():
        if not isinstance(by_sex, dict) or set(by_sex) - {"female", "male"} or not by_sex:
            raise KinshipInputError(f"{p}, marker {marker}", 'expected {"female": {...}, "male": {...}}')
        for sex, spec in by_sex.items():
            where = f"{p}, marker {marker}, {sex}"
            if not isinstance(spec, dict) or spec.get("model") not in MODELS:
                raise KinshipInputError(where, f"model must be one of {', '.join(MODELS)}")
            try:
                specs.setdefault(marker, {})[sex] = MutationSpec(
                    model=spec["model"], rate=float(spec.get("rate", 0.0)),
                    rate2=float(spec.get("rate2", 0.0)), range=float(spec.get("range", 0.5)))
            except (TypeError, ValueError) as e:
                raise KinshipInputError(where, str(e)) from None
        for sex in ("female", "male"):
            specs[marker].setdefault(sex, specs[marker].get("male") or specs[marker].get("female"))
    return MutationModel(specs)
