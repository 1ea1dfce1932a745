"""Linked pairs of autosomal STRs: the likelihood of two markers on one chromosome, jointly.

Two markers of one kit that lie close on a chromosome (vWA and D12S391, D21S11 and Penta D, …) are
not inherited independently: a parent passes on their two alleles together unless a crossover
falls between them, with the recombination fraction ``r`` (Haldane ``r = ½(1 − e^(−2d))``, or
Kosambi ``r = ½ tanh(2d)``, for a distance of ``d`` Morgans; Kosambi by default, as KLINK). Ignoring
it misstates the LR of relationships with more than one meiosis on a side — for an uncle 79
instead of 178, for paternal half-siblings 5.8 instead of 2.4 (KLINK's examples).

**Definition** (pedprobr ``likelihood2``; KLINK ``linkedLR``, Kling, Egeland & Vigeland 2015): each
person has a paternal and a maternal *haplotype* over the two markers (the alleles seen in the
family and the sample at each marker, plus one lump of the rest: exact for the lumpable
mutation models); founders' haplotypes in linkage equilibrium; a parent passes either of their
two haplotypes unchanged (½(1 − r) each) or one of the two recombinants (½ r each), then each
allele mutates by the parent's sex's matrix; genotypes are observed unphased. Likelihoods by
variable elimination over haplotype variables (exact, loops included); the LR is that of the
sample being the missing person against an unrelated person, both markers at once.

Pairs are chosen as KLINK ``getLinkedPairs`` does: on each chromosome, the two closest markers,
then the next closest among the rest, while closer than ``max_cm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, open_csv
from vestige.kinship.likelihood import contract
from vestige.kinship.mutation import MutationModel, lump
from vestige.kinship.pedigree import Family
from vestige.kinship.xstr import haldane, kosambi, kron, kron3

MAX_STATES = 1024  # haplotype states of one variable (a person's factor is this squared)

__all__ = ["GeneticMap", "LinkedPair", "Linkage", "haldane", "kosambi", "linked_pairs", "pair_likelihood",
           "read_genetic_map"]


@dataclass
class GeneticMap:
    """Marker → (chromosome, position in cM)."""

    position: dict[str, tuple[str, float]]
    source: str = ""


def read_genetic_map(path: str | Path) -> GeneticMap:
    """CSV ``marker,chromosome,cM`` (norSTR's ``Marker,Chr,cM`` too; other columns ignored)."""
    source, rows = open_csv(path)
    header = [c.lower() for c in rows[0][1]]
    names = {"marker": ("marker",), "chr": ("chromosome", "chr", "chrom"), "cm": ("cm", "poscm", "position_cm")}
    col = {}
    for key, options in names.items():
        found = [i for i, h in enumerate(header) if h in options]
        if not found:
            raise KinshipInputError(f"{source}, line {rows[0][0]}", "expected the columns marker, chromosome, cM")
        col[key] = found[0]
    out = {}
    for line, row in rows[1:]:
        where = f"{source}, line {line}"
        try:
            marker, chrom, cm = row[col["marker"]], row[col["chr"]], float(row[col["cm"]])
        except (IndexError, ValueError):
            raise KinshipInputError(where, "expected a marker, a chromosome and a cM position (a number)") from None
        if not marker or not chrom or math.isnan(cm) or cm < 0:
            raise KinshipInputError(where, f"{marker or '?'}: chromosome {chrom!r}, cM {cm} is not a position")
        if marker in out:
            raise KinshipInputError(where, f"{marker} is given twice")
        out[marker] = (chrom, cm)
    return GeneticMap(out, source)


@dataclass(frozen=True)
class LinkedPair:
    first: str
    second: str
    distance_cm: float
    r: float


def linked_pairs(markers: list[str], gmap: GeneticMap, *, max_cm: float = math.inf,
                 map_function: str = "kosambi") -> list[LinkedPair]:
    """Disjoint pairs of linked markers, closest first on each chromosome (KLINK's greedy rule)."""
    fn = {"kosambi": kosambi, "haldane": haldane}.get(map_function)
    if fn is None:
        raise KinshipInputError("map function", f"{map_function!r} is not kosambi or haldane")
    by_chrom: dict[str, list[tuple[float, str]]] = {}
    for m in markers:
        if m in gmap.position:
            chrom, cm = gmap.position[m]
            by_chrom.setdefault(chrom, []).append((cm, m))
    out = []
    for chrom in sorted(by_chrom):
        pts = sorted(by_chrom[chrom])
        gaps = [pts[i + 1][0] - pts[i][0] for i in range(len(pts) - 1)]
        used: set[int] = set()
        while True:
            best = None
            for i, g in enumerate(gaps):
                if i in used or i + 1 in used or g > max_cm:
                    continue
                if best is None or g < gaps[best]:
                    best = i
            if best is None:
                break
            used |= {best, best + 1}
            d = gaps[best]
            out.append(LinkedPair(pts[best][1], pts[best + 1][1], d, fn(d)))
    return out


def _transmission(spaces, r: float, matrix: str) -> np.ndarray:
    """T[h1, h2, c] over two-marker haplotypes: a parent with haplotypes h1, h2 passes h1 or h2
    (½(1 − r) each) or a recombinant (½ r each), each allele then mutated by ``matrix``."""
    s = int(np.prod([sp.size for sp in spaces]))
    out = np.zeros((s, s, s))
    for pattern, p in (((0, 0), 0.5 * (1 - r)), ((1, 1), 0.5 * (1 - r)), ((0, 1), 0.5 * r), ((1, 0), 0.5 * r)):
        if p == 0:
            continue
        parts = []
        for src, sp in zip(pattern, spaces, strict=True):
            m = getattr(sp, matrix)
            k = sp.size
            t = np.empty((k, k, k))
            t[:] = m[:, None, :] if src == 0 else m[None, :, :]
            parts.append(t)
        out += p * kron3(parts)
    return out


def _genotype_evidence(spaces, markers, genotype: dict[str, tuple[str, str]]) -> np.ndarray:
    mats = []
    for m, sp in zip(markers, spaces, strict=True):
        g = genotype.get(m)
        e = np.ones((sp.size, sp.size))
        if g is not None:
            a, b = g
            e = np.zeros((sp.size, sp.size))
            e[sp.index[a], sp.index[b]] = 1.0
            e[sp.index[b], sp.index[a]] = 1.0
        mats.append(e)
    return kron(mats)


def pair_likelihood(family: Family, table: FrequencyTable, mutation: MutationModel, markers: tuple[str, str],
                    r: float, data: dict[str, dict[str, tuple[str, str]]],
                    unrelated: list[dict[str, tuple[str, str]]] = ()) -> float:
    """P(the genotypes ``data`` (member id → {marker: (a, b)}) at two linked markers) in
    ``family``, times that of each ``unrelated`` person's genotypes; exact (pedprobr's likelihood2)."""
    if not 0 <= r <= 0.5:
        raise KinshipInputError("recombination fraction", f"{r} is not in [0, 0.5]")
    observed: dict[str, set[str]] = {m: set() for m in markers}
    for g in [*data.values(), *unrelated]:
        for m in markers:
            if m in g:
                observed[m].update(g[m])
    spaces = [lump(table.alleles[m], table.freqs[m], observed[m], mutation.spec(m, "male"),
                   mutation.spec(m, "female")) for m in markers]
    size = int(np.prod([sp.size for sp in spaces]))
    if size > MAX_STATES:
        raise KinshipInputError(f"linked pair {markers[0]}–{markers[1]}", f"{size} haplotype states: use a "
                                "lumpable mutation model (none, equal or proportional)")
    prior = kron([sp.prior for sp in spaces])
    t_male = _transmission(spaces, r, "male")
    t_female = _transmission(spaces, r, "female")
    factors = []
    for mid in family.order:
        m = family.by_id[mid]
        if m.father is None:
            factors.append((((mid, "P"),), prior[None]))
            factors.append((((mid, "M"),), prior[None]))
        else:
            factors.append((((m.father, "P"), (m.father, "M"), (mid, "P")), t_male[None]))
            factors.append((((m.mother, "P"), (m.mother, "M"), (mid, "M")), t_female[None]))
        if mid in data:
            factors.append((((mid, "P"), (mid, "M")), _genotype_evidence(spaces, markers, data[mid])[None]))
    value = float(contract(factors, lambda v, size=size: size)[0]) if factors else 1.0
    for g in unrelated:
        value *= float(prior @ _genotype_evidence(spaces, markers, g) @ prior)
    return value


def pair_lr(family: Family, missing: str, sample: dict[str, tuple[str, str]],
            references: dict[str, dict[str, tuple[str, str]]], table: FrequencyTable, mutation: MutationModel,
            pair: LinkedPair) -> float | None:
    """LR (sample is ``missing`` against unrelated) at the two markers of ``pair`` jointly; None
    when the sample has neither marker; 0 for an exclusion."""
    markers = (pair.first, pair.second)
    sg = {m: sample[m] for m in markers if m in sample}
    if not sg:
        return None
    refs = {mid: {m: g[m] for m in markers if m in g} for mid, g in references.items()}
    refs = {mid: g for mid, g in refs.items() if g}
    h1 = {k: dict(v) for k, v in refs.items()}
    own = h1.setdefault(missing, {})
    for m, g in sg.items():
        if m in own and set(own[m]) != set(g):
            return 0.0
        own[m] = g
    num = pair_likelihood(family, table, mutation, markers, pair.r, h1)
    den = pair_likelihood(family, table, mutation, markers, pair.r, refs, [sg])
    if den == 0:
        raise KinshipInputError(family.source or family.name, f"{pair.first}–{pair.second}: the references are "
                                "inconsistent without a mutation model")
    return num / den


@dataclass
class Linkage:
    """The linked pairs a search or a joint identification uses (:func:`linked_pairs` of a map),
    and the LR correction of one pair of (sample, missing person), cached."""

    pairs: list[LinkedPair]
    floor: float = 1e-2  # a search links the pairs whose unlinked posterior reaches this (and their rivals)

    def __post_init__(self) -> None:
        self._refs: dict = {}  # (family, missing, markers, r) → P(the references' genotypes)

    def correction(self, family: Family, missing: str, sample: dict[str, tuple[str, str | None]],
                   references: dict[str, dict[str, tuple[str, str]]], table: FrequencyTable,
                   mutation: MutationModel) -> tuple[float, list[str]]:
        """(natural log of the linked LR over the unlinked one, summed over the pairs, and the
        pairs used) for a clean sample. Per pair, the LR at the pair's ``r`` over the LR at
        ``r = ½`` (unlinked: the product of the two markers' LRs, exactly); the unrelated sample's
        own probability is the same in both and cancels, so each is P(references and the sample
        as the missing person) / P(references), the latter cached per family. A pair where the
        sample shows one allele, or has one marker only, changes nothing."""
        total, used = 0.0, []
        for pair in self.pairs:
            markers = (pair.first, pair.second)
            g = {m: sample[m] for m in markers if m in sample}
            if len(g) < 2 or any(b is None for _a, b in g.values()):
                continue
            refs = {mid: {m: gg[m] for m in markers if m in gg} for mid, gg in references.items()}
            refs = {mid: gg for mid, gg in refs.items() if gg}
            h1 = {k: dict(v) for k, v in refs.items()}
            own = h1.setdefault(missing, {})
            if any(m in own and set(own[m]) != set(v) for m, v in g.items()):
                continue  # the missing person's own earlier sample disagrees: left to the unlinked figure
            own.update(g)
            ratio = []
            for r in (pair.r, 0.5):
                key = (family.name, missing, markers, r)
                if key not in self._refs:
                    self._refs[key] = pair_likelihood(family, table, mutation, markers, r, refs)
                ratio.append((pair_likelihood(family, table, mutation, markers, r, h1), self._refs[key]))
            (num, den), (num0, den0) = ratio
            if num > 0 and num0 > 0 and den > 0 and den0 > 0:
                total += math.log(num) - math.log(den) - math.log(num0) + math.log(den0)
                used.append(f"{pair.first}-{pair.second}")
        return total, used
