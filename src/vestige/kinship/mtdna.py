"""Mitochondrial DNA haplotypes in EMPOP notation, compared along the maternal line.

**Notation** (EMPOP, Parson & Dür 2007, FSI Genet 1:88; alignment after Bandelt & Parson 2008,
Int J Legal Med 122:11), relative to the rCRS (NC_012920.1, Andrews et al. 1999): a substitution
``16069T``; an insertion ``309.1C 309.2C 315.1C 16193.1C`` (position of the base before it, dot,
the inserted base's number); a deletion ``523DEL`` (also ``523D``, ``523-``); point heteroplasmy
as an IUPAC code (``16093Y`` = C/T). The sequenced range is written ``16024-16569 1-576``. Read
here: exactly those forms, upper or lower case. Refused with the file, line, sample and token:
any other form (``T16069C``, ``16069C>T``, a bare position), a position outside 1–16569, a
heteroplasmy on an insertion, a variant outside the sample's own range.

**Alignment rules applied**: EMPOP's phylogenetic alignment places length variants of the
C-tracts at the 3′ end (``16193.1C``, ``309.1C``, ``315.1C``, ``573.1C``); as in EMPOP database
queries, length variants in those tracts (insertions at 16193, 309, 315 and 573; deletions inside
16184–16193 and 303–315) are *ignored* in comparisons and counts, since their alignment and
their length heteroplasmy are not reliable (SWGDAM 2019 mtDNA guidelines 4.1.2). No other
realignment is done: a file aligned by other rules is compared as written.

**Comparison** over the overlap of the two ranges (SWGDAM 2019, 5.1): no difference — *cannot
exclude*; one difference — *inconclusive*; two or more — *exclusion*. A position heteroplasmic
in either sample (or where the references of a line disagree) is not a difference.

**Likelihood along the maternal line**: each compared position mutates independently, by the
Jukes–Cantor chain among the states seen there, with the per-transmission rate ``μ·w_i`` (``μ``
for the whole range given, ``w_i`` the position's share: the ``site_weights`` given, the rest
spread evenly over the control region), along the line tree of :mod:`vestige.kinship.lines`
(every meiosis between the missing person and the typed maternal relatives). The LR's
denominator is the haplotype's frequency by the counting method: ``x`` matches among ``N``
database haplotypes (over the sample's range, heteroplasmy compatible), as the Clopper–Pearson
upper 95 % bound of x/N (SWGDAM 2019, 6.2) — never below 3/N or so, whatever the mutation model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.haplofreq import clopper_pearson_upper
from vestige.kinship.io import open_csv, read_json

IUPAC = {"R": "AG", "Y": "CT", "K": "GT", "M": "AC", "S": "CG", "W": "AT", "B": "CGT", "D": "AGT", "H": "ACT",
         "V": "ACG", "N": "ACGT"}
TOKEN = re.compile(r"^(\d{1,5})(?:\.(\d{1,2}))?(DEL|D|-|[ACGTRYKMSWBHVN])$", re.IGNORECASE)
CONTROL_REGION = ((16024, 16569), (1, 576))
MT_LENGTH = 16569
C_TRACT_INSERTIONS = {16193, 309, 315, 573}
C_TRACT_DELETIONS = ((16184, 16193), (303, 315))
STATES = 5  # A, C, G, T, deletion: the Jukes–Cantor chain's states at one position

__all__ = ["MtDatabase", "MtHaplotype", "MtModel", "compare", "mt_log_frequencies", "parse_haplotype",
           "parse_range", "read_mt_database", "read_mt_profiles"]

Site = tuple[int, int]  # (position, insertion number; 0 for the position itself)


def parse_range(text: str, where: str) -> tuple[tuple[int, int], ...]:
    """``16024-16569 1-576`` → ((16024, 16569), (1, 576)); a single position ``73`` is (73, 73)."""
    out = []
    for part in text.replace(";", " ").replace(",", " ").split():
        m = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", part)
        if not m:
            raise KinshipInputError(where, f"range {part!r} is not START-END (e.g. 16024-16569 1-576)")
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (1 <= a <= b <= MT_LENGTH):
            raise KinshipInputError(where, f"range {part!r} is not within 1–{MT_LENGTH} in increasing order")
        out.append((a, b))
    if not out:
        raise KinshipInputError(where, "the sequenced range is empty")
    return tuple(out)


def in_range(pos: int, ranges) -> bool:
    return any(a <= pos <= b for a, b in ranges)


@dataclass(frozen=True)
class MtHaplotype:
    """Variants relative to the rCRS (``site → base``, ``DEL`` for a deletion), heteroplasmic
    positions (``site → bases``), and the sequenced range; C-tract length variants kept apart in
    ``ignored`` (see the module docstring)."""

    ranges: tuple
    variants: dict
    heteroplasmy: dict
    ignored: tuple = ()

    def covers(self, pos: int) -> bool:
        return in_range(pos, self.ranges)


def _ignored(pos: int, ins: int, base: str) -> bool:
    if ins and pos in C_TRACT_INSERTIONS:
        return True
    return base == "DEL" and any(a <= pos <= b for a, b in C_TRACT_DELETIONS)


@lru_cache(maxsize=65536)
def _token(token: str) -> tuple[int, int, str] | None:
    """``16069T`` → (16069, 0, "T"), ``309.1C`` → (309, 1, "C"), ``523D`` → (523, 0, "DEL"); None when
    it is not EMPOP notation. Cached: a population's haplotypes repeat a few thousand tokens."""
    m = TOKEN.fullmatch(token)
    if not m:
        return None
    base = m.group(3).upper()
    return int(m.group(1)), int(m.group(2) or 0), ("DEL" if base in ("D", "-") else base)


def parse_haplotype(variants: str, ranges: str, where: str) -> MtHaplotype:
    rng = parse_range(ranges, where)
    out: dict[Site, str] = {}
    het: dict[Site, str] = {}
    ignored = []
    for token in variants.split():
        parsed = _token(token)
        if parsed is None:
            raise KinshipInputError(where, f"variant {token!r} is not in EMPOP notation (e.g. 16069T, 309.1C, "
                                    "523DEL, 16093Y)")
        pos, ins, base = parsed
        if not 1 <= pos <= MT_LENGTH:
            raise KinshipInputError(where, f"variant {token!r}: position {pos} is outside 1–{MT_LENGTH}")
        if not in_range(pos, rng):
            kind = "heteroplasmy" if base in IUPAC else "variant"
            raise KinshipInputError(where, f"{kind} {token!r} lies outside the sequenced range {ranges.strip()}")
        site = (pos, ins)
        if site in out or site in het:
            raise KinshipInputError(where, f"position {pos}{'.' + str(ins) if ins else ''} is given twice")
        if base in IUPAC:
            if ins:
                raise KinshipInputError(where, f"{token!r}: a heteroplasmy code on an insertion (length "
                                        "heteroplasmy is not compared)")
            het[site] = IUPAC[base]
            continue
        if _ignored(pos, ins, base):
            ignored.append(token)
            continue
        out[site] = base
    return MtHaplotype(rng, out, het, tuple(ignored))


def _read_table(path: str | Path, id_names: tuple[str, ...],
                skipped: list[str] | None = None) -> tuple[str, list[tuple[int, str, MtHaplotype]]]:
    source, rows = open_csv(path)
    header = [c.lower() for c in rows[0][1]]
    if len(header) < 3 or header[0] not in id_names or header[1] != "range" or header[2] != "variants":
        raise KinshipInputError(f"{source}, line {rows[0][0]}",
                                f"expected the header {id_names[0]},range,variants (EMPOP notation)")
    out = []
    seen: dict[str, int] = {}
    parsed: dict[tuple[str, str], MtHaplotype] = {}  # lineages repeat: each distinct text parsed once
    for line, row in rows[1:]:
        where = f"{source}, line {line}"
        if len(row) < 2 or not row[0]:
            raise KinshipInputError(where, "expected an id, a range and the variants")
        sample = row[0]
        if sample in seen:
            raise KinshipInputError(where, f"{sample} is given twice (first at line {seen[sample]})")
        seen[sample] = line
        key = (row[2] if len(row) > 2 else "", row[1])
        try:
            h = parsed.get(key)
            if h is None:
                h = parsed[key] = parse_haplotype(key[0], key[1], f"{where}, sample {sample}")
            out.append((line, sample, h))
        except KinshipInputError as e:
            if skipped is None:
                raise
            skipped.append(str(e))
    return source, out


@dataclass
class MtProfiles:
    haplotypes: dict[str, MtHaplotype]
    source: str = ""
    lines: dict[str, int] = field(default_factory=dict)


def read_mt_profiles(path: str | Path) -> MtProfiles:
    """CSV ``sample,range,variants``, one sample a row."""
    source, rows = _read_table(path, ("sample", "sample name"))
    return MtProfiles({s: h for _l, s, h in rows}, source, {s: ln for ln, s, _h in rows})


@dataclass
class MtDatabase:
    haplotypes: list[MtHaplotype]
    source: str = ""
    skipped: list[str] = field(default_factory=list)  # rows left out, each with its file, line and reason

    @property
    def size(self) -> int:
        return len(self.haplotypes)


def read_mt_database(path: str | Path) -> MtDatabase:
    """CSV ``id,range,variants``: the population database. A row that is not valid EMPOP notation
    (e.g. ``523DEL 523G``: a base at a deleted position) is left out of the counts and named in
    ``skipped`` (a profile of a sample or a reference with such a row is refused instead: there
    the row *is* the evidence); more than 1 % of the rows left out is an error."""
    skipped: list[str] = []
    source, rows = _read_table(path, ("id", "sample"), skipped)
    if not rows:
        raise KinshipInputError(source, "the database has no valid haplotypes")
    if len(skipped) > 0.01 * (len(rows) + len(skipped)):
        raise KinshipInputError(source, f"{len(skipped)} of {len(rows) + len(skipped)} rows are not valid EMPOP "
                                f"notation (first: {skipped[0]})")
    return MtDatabase([h for _l, _s, h in rows], source, skipped)


@dataclass
class MtModel:
    """The per-transmission mutation rate of the whole control region and each position's share."""

    rate: float = 0.006
    weights: dict[int, float] = field(default_factory=dict)  # position → share of the rate

    @classmethod
    def from_json(cls, path: str | Path) -> MtModel:
        data = read_json(path)
        if not isinstance(data, dict):
            raise KinshipInputError(str(path), "expected a JSON object")
        rate = data.get("rate", data.get("point_mutation_per_transmission_whole_CR"))
        if not isinstance(rate, (int, float)) or not 0 < rate < 0.5:
            raise KinshipInputError(f"{path}, rate", f"{rate!r} is not a rate in (0, 0.5)")
        w = data.get("site_weights_by_position", data.get("top_site_probabilities", {}))
        if not isinstance(w, dict):
            raise KinshipInputError(f"{path}, site weights", "expected {position: share}")
        weights = {}
        for k, v in w.items():
            if not str(k).isdigit() or not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise KinshipInputError(f"{path}, site weights", f"{k!r}: {v!r} is not a position and a share")
            weights[int(k)] = float(v)
        if sum(weights.values()) >= 1:
            raise KinshipInputError(f"{path}, site weights", "the shares sum to 1 or more")
        return cls(float(rate), weights)

    def site_rate(self, pos: int) -> float:
        if pos in self.weights:
            return self.rate * self.weights[pos]
        n_cr = sum(b - a + 1 for a, b in CONTROL_REGION)
        rest = 1.0 - sum(self.weights.values())
        return self.rate * rest / max(n_cr - len(self.weights), 1)


def jukes_cantor(rate: float) -> np.ndarray:
    """One transmission at one position: unchanged with 1 − u, each other state with u/(K − 1)."""
    t = np.full((STATES, STATES), rate / (STATES - 1))
    np.fill_diagonal(t, 1.0 - rate)
    return t


def _state(label: str) -> int:
    return "ACGT".find(label) if label != "DEL" else 4


@dataclass
class Comparison:
    differences: list[str]  # the positions that differ, as tokens
    compared: int  # positions compared (in both ranges)
    interpretation: str  # "cannot exclude", "inconclusive", "exclusion" (SWGDAM 2019)


def compare(a: MtHaplotype, b: MtHaplotype) -> Comparison:
    """Differences between two haplotypes over the overlap of their ranges (heteroplasmy: none)."""
    overlap = range_overlap(a.ranges, b.ranges)
    diffs = []
    for site in sorted(set(a.variants) | set(b.variants)):
        if not in_range(site[0], overlap) or site in a.heteroplasmy or site in b.heteroplasmy:
            continue
        if a.variants.get(site) != b.variants.get(site):
            diffs.append(f"{site[0]}{'.' + str(site[1]) if site[1] else ''}")
    n = sum(hi - lo + 1 for lo, hi in overlap)
    verdict = "cannot exclude" if not diffs else ("inconclusive" if len(diffs) == 1 else "exclusion")
    return Comparison(diffs, n, verdict)


def range_overlap(r1, r2) -> tuple:
    out = []
    for a1, b1 in r1:
        for a2, b2 in r2:
            lo, hi = max(a1, a2), min(b1, b2)
            if lo <= hi:
                out.append((lo, hi))
    return tuple(sorted(out))


def matches(a: MtHaplotype, b: MtHaplotype) -> bool:
    return not compare(a, b).differences


def mt_frequency(db: MtDatabase, hap: MtHaplotype) -> tuple[float, dict]:
    """Clopper–Pearson upper 95 % bound of x/N, x the database haplotypes that match ``hap`` over
    its range (a database haplotype that does not cover the whole range is not counted in N)."""
    covering = [d for d in db.haplotypes if range_overlap(d.ranges, hap.ranges) == range_overlap(hap.ranges, hap.ranges)]
    x = sum(1 for d in covering if matches(d, hap))
    n = len(covering)
    if n == 0:
        raise KinshipInputError(db.source, "no database haplotype covers the sample's sequenced range")
    return clopper_pearson_upper(x, n), {"count": x, "database_size": n}


def mt_log_frequencies(db: MtDatabase, haps: list) -> np.ndarray:
    """log Clopper–Pearson upper bound of each haplotype's database frequency (0 where None), as
    :func:`vestige.kinship.mtdna.mt_frequency` computes it, by keys instead of site by site.

    :func:`compare` skips a site heteroplasmic on either side. So a database haplotype ``d`` whose
    heteroplasmic sites are G matches ``h`` (heteroplasmic at H) over h's range exactly when d's
    variants in the range without H equal h's variants without G (d holds no variant at G, h none
    at H): the database is grouped by G and counted by key, and each group's keys are looked up
    with h's key less G (the groups' keys less H, kept once per H, when h is heteroplasmic)."""
    out = np.zeros(len(haps))
    by_het: dict[frozenset, list] = {}
    for d in db.haplotypes:
        by_het.setdefault(frozenset(d.heteroplasmy), []).append(d)
    by_range: dict = {}  # h's range → ({G: {key: copies}}, N) over the database haplotypes covering it
    cache: dict = {}
    projected: dict = {}  # (range, G, H) → that group's counts with the sites H left out

    def project(k: tuple, sites: frozenset) -> tuple:
        return tuple(item for item in k if item[0] not in sites) if sites else k

    for i, h in enumerate(haps):
        if h is None:
            continue
        key = (h.ranges, tuple(sorted(h.variants.items())), tuple(sorted(h.heteroplasmy.items())))
        if key in cache:
            out[i] = cache[key]
            continue
        own = range_overlap(h.ranges, h.ranges)
        table = by_range.get(h.ranges)
        if table is None:
            groups: dict = {}
            n = 0
            for g, members in by_het.items():
                counts: dict = {}
                for d in members:
                    if range_overlap(d.ranges, h.ranges) != own:
                        continue  # d does not cover h's range: not counted in N
                    n += 1
                    if d.ranges == own:  # the usual case: every variant of d lies in the range
                        k = tuple(sorted(d.variants.items()))
                    else:
                        k = tuple(sorted((site, b) for site, b in d.variants.items() if in_range(site[0], own)))
                    counts[k] = counts.get(k, 0) + 1
                if counts:
                    groups[g] = counts
            table = by_range[h.ranges] = (groups, n)
        groups, n = table
        if n == 0:
            raise KinshipInputError(db.source, "no database haplotype covers the sequenced range "
                                    f"{' '.join(f'{a}-{b}' for a, b in h.ranges)}")
        mine = key[1]
        het = frozenset(h.heteroplasmy)
        x = 0
        for g, counts in groups.items():
            if het:
                proj = projected.get((h.ranges, g, het))
                if proj is None:
                    proj = projected[(h.ranges, g, het)] = {}
                    for k, c in counts.items():
                        kk = project(k, het)
                        proj[kk] = proj.get(kk, 0) + c
                counts = proj
            x += counts.get(project(mine, g), 0)
        out[i] = cache[key] = math.log(clopper_pearson_upper(x, n))
    return out
