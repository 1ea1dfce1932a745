"""A SNP panel: each SNP's chromosome, position, genetic position (cM), alleles and frequency.

Read from a tab- or space-separated table with a header naming the columns ``id chrom pos cM ref alt
alt_freq`` (any order; ``alt_freq`` may be left out when the VCF carries ``AF``), or from a PLINK
``.map`` (chrom, id, cM, bp) or ``.bim`` (chrom, id, cM, bp, allele 1, allele 2 — PLINK's allele 1
is usually the minor one, taken as ``alt``). Only autosomes (1–22, with or without a ``chr`` prefix)
are used: SNPs on X, Y or MT are left out and counted in ``notes``.

**Linkage disequilibrium.** The multipoint model (:mod:`vestige.kinship.snp.multipoint`) assumes
the SNPs of a panel are in linkage equilibrium given the inheritance, as forensic kinship panels
(FORCE, Kintelligence) are selected to be: SNPs a few hundred kb apart, low pairwise r². A panel
denser than ``min_spacing_cm`` (0.05 cM by default, about 50 kb) is thinned — the later SNP of a
too-close pair is left out and named in ``notes`` — rather than let correlated SNPs count twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import TextFile

__all__ = ["Panel", "read_panel", "AUTOSOMES"]

AUTOSOMES = tuple(str(i) for i in range(1, 23))
BASES = set("ACGT")
COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}


def chrom_name(value: str) -> str:
    v = value.strip()
    return v[3:] if v.lower().startswith("chr") else v


@dataclass
class Panel:
    """SNPs sorted by chromosome (1..22) and position; arrays of equal length."""

    ids: list[str]
    chrom: np.ndarray  # int, 1..22
    pos: np.ndarray  # int, base pairs
    cm: np.ndarray  # float, genetic position
    ref: list[str]
    alt: list[str]
    freq: np.ndarray  # alt allele frequency; nan where the panel has none (taken from the VCF's AF)
    source: str = ""
    notes: list[str] = field(default_factory=list)
    index: dict[str, int] = field(init=False)
    by_position: dict[tuple[int, int], int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {s: i for i, s in enumerate(self.ids)}
        self.by_position = {(int(c), int(p)): i for i, (c, p) in enumerate(zip(self.chrom, self.pos, strict=True))}

    def __len__(self) -> int:
        return len(self.ids)

    def palindromic(self) -> np.ndarray:
        """A/T and C/G SNPs, whose strand the alleles cannot tell."""
        return np.array([COMPLEMENT.get(r) == a for r, a in zip(self.ref, self.alt, strict=True)], dtype=bool)

    def recombination(self, map_function: str = "haldane") -> np.ndarray:
        """r[t]: recombination fraction between SNP t-1 and SNP t (0.5 at the first SNP of each
        chromosome). Haldane r = (1 − e^(−2d))/2, Kosambi r = tanh(2d)/2, d in Morgans."""
        d = np.diff(self.cm, prepend=0.0) / 100.0
        if map_function == "haldane":
            r = 0.5 * (1.0 - np.exp(-2.0 * d))
        elif map_function == "kosambi":
            r = 0.5 * np.tanh(2.0 * d)
        else:
            raise KinshipInputError("map function", f"{map_function!r} is not haldane or kosambi")
        start = np.ones(len(self.cm), dtype=bool)
        start[1:] = self.chrom[1:] != self.chrom[:-1]
        r[start] = 0.5
        return np.clip(r, 0.0, 0.5)

    def subset(self, keep: np.ndarray) -> Panel:
        k = np.flatnonzero(keep)
        return Panel([self.ids[i] for i in k], self.chrom[k], self.pos[k], self.cm[k], [self.ref[i] for i in k],
                     [self.alt[i] for i in k], self.freq[k], self.source, list(self.notes))

    def thinned(self, min_spacing_cm: float) -> Panel:
        """The panel without SNPs closer than ``min_spacing_cm`` to the previous one kept."""
        keep = np.ones(len(self), dtype=bool)
        last_c, last_cm = None, -np.inf
        dropped = []
        for i in range(len(self)):
            c = int(self.chrom[i])
            if c == last_c and self.cm[i] - last_cm < min_spacing_cm:
                keep[i] = False
                dropped.append(self.ids[i])
                continue
            last_c, last_cm = c, float(self.cm[i])
        if not dropped:
            return self
        out = self.subset(keep)
        out.notes.append(f"{len(dropped)} SNPs closer than {min_spacing_cm} cM to the previous one left out "
                         f"(linkage disequilibrium): {', '.join(dropped[:5])}{' …' if len(dropped) > 5 else ''}")
        return out


_COLUMNS = ("id", "chrom", "pos", "cm", "ref", "alt")


def _number(where: str, name: str, value: str, kind=float):
    try:
        return kind(value)
    except ValueError:
        raise KinshipInputError(where, f"{name} {value!r} is not a number") from None


def read_panel(path: str | Path | TextFile, *, min_spacing_cm: float = 0.05) -> Panel:
    """The panel in ``path`` (table with a header, PLINK ``.map`` or ``.bim``), checked: positions
    increasing along each chromosome, cM not decreasing, one SNP per id and per position, alleles
    single bases (A, C, G, T), frequencies in (0, 1). Each error names the file, line and SNP."""
    if isinstance(path, TextFile):  # an upload, or a panel held in the database
        text, path = path.text.removeprefix("\ufeff"), Path(path.name)
        name = path.name
    else:
        path = Path(path)
        name = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise KinshipInputError(name, f"cannot read the panel: {e}") from None
    lines = text.splitlines()
    plink = path.suffix.lower() in (".map", ".bim")
    rows: list[tuple[int, str, str, str, str, str, str, str | None]] = []  # line, id, chrom, pos, cm, ref, alt, freq
    if plink:
        width = 6 if path.suffix.lower() == ".bim" else 4
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split()
            if len(f) != width:
                raise KinshipInputError(f"{name}, line {n}", f"{len(f)} columns; a PLINK {path.suffix} line has {width}")
            ref, alt = (f[5], f[4]) if width == 6 else ("", "")
            rows.append((n, f[1], f[0], f[3], f[2], ref, alt, None))
    else:
        head = None
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("##"):
                continue
            f = line.lstrip("#").split("\t") if "\t" in line else line.lstrip("#").split()
            f = [x.strip() for x in f]
            if head is None:
                head = [x.lower() for x in f]
                absent = [c for c in _COLUMNS if c not in head]
                if absent:
                    raise KinshipInputError(f"{name}, line {n}", f"the header lacks {', '.join(absent)} (wanted: id chrom "
                                                                 "pos cM ref alt alt_freq)")
                col = {c: head.index(c) for c in head}
                continue
            if len(f) != len(head):
                raise KinshipInputError(f"{name}, line {n}", f"{len(f)} fields; the header has {len(head)}")
            rows.append((n, f[col["id"]], f[col["chrom"]], f[col["pos"]], f[col["cm"]], f[col["ref"]].upper(),
                         f[col["alt"]].upper(), f[col["alt_freq"]] if "alt_freq" in col else None))
        if head is None:
            raise KinshipInputError(name, "the panel is empty")
    if not rows:
        raise KinshipInputError(name, "the panel has no SNPs")
    ids, chrom, pos, cm, ref, alt, freq = [], [], [], [], [], [], []
    seen: dict[str, int] = {}
    places: dict[tuple[int, int], str] = {}
    others = 0
    last: tuple[int, int, float] | None = None
    done: set[int] = set()
    for n, sid, c, p, m, r, a, fr in rows:
        where = f"{name}, line {n}, SNP {sid}"
        c = chrom_name(c)
        if c not in AUTOSOMES:
            others += 1
            continue
        ci = int(c)
        pi = _number(where, "position", p, int)
        mi = _number(where, "cM", m)
        if sid in seen:
            raise KinshipInputError(where, f"the id is also on line {seen[sid]}")
        if (ci, pi) in places:
            raise KinshipInputError(where, f"chromosome {ci} position {pi} is also SNP {places[(ci, pi)]}")
        if last is not None and ci == last[0]:
            if pi <= last[1]:
                raise KinshipInputError(where, f"position {pi} is not after the previous SNP's ({last[1]}): "
                                               "sort the panel by chromosome and position")
            if mi < last[2]:
                raise KinshipInputError(where, f"{mi} cM is before the previous SNP's {last[2]} cM")
        elif ci in done:
            raise KinshipInputError(where, f"chromosome {ci} appears again after other chromosomes: sort the panel")
        if last is not None and ci != last[0]:
            done.add(last[0])
        if plink and not r:
            r, a = "", ""
        elif r not in BASES or a not in BASES or r == a:
            raise KinshipInputError(where, f"alleles {r}/{a}: a panel SNP has two different single bases "
                                           "(A, C, G, T); multi-allelic sites and indels are not used")
        f = np.nan
        if fr not in (None, "", "."):
            f = _number(where, "alt_freq", fr)
            if not 0.0 < f < 1.0:
                raise KinshipInputError(where, f"alt_freq {f} is not in (0, 1)")
        seen[sid] = n
        places[(ci, pi)] = sid
        last = (ci, pi, mi)
        ids.append(sid)
        chrom.append(ci)
        pos.append(pi)
        cm.append(mi)
        ref.append(r)
        alt.append(a)
        freq.append(f)
    if not ids:
        raise KinshipInputError(name, "the panel has no autosomal SNPs")
    # chromosomes in numeric order (a file may list 1, 10, 11, ... 2)
    order = np.lexsort((np.array(pos), np.array(chrom)))
    panel = Panel([ids[i] for i in order], np.array(chrom, dtype=np.int64)[order], np.array(pos, dtype=np.int64)[order],
                  np.array(cm, dtype=np.float64)[order], [ref[i] for i in order], [alt[i] for i in order],
                  np.array(freq, dtype=np.float64)[order], name)
    if others:
        panel.notes.append(f"{others} SNPs not on chromosomes 1-22 left out (the SNP model is autosomal)")
    return panel.thinned(min_spacing_cm) if min_spacing_cm > 0 else panel
