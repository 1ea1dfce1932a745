"""Relationships without a pedigree: KING-robust kinship, IBD segments and the most likely degree.

- **KING-robust** (Manichaikul et al., Bioinformatics 26:2867, 2010, Eq. 11 — the estimator of
  KING, plink2 ``--make-king`` and SNPRelate), over the SNPs both samples have called:
  ``φ = 1/2 + (2·N(Aa,Aa) − 4·N(AA,aa) − N(Aa)ᵢ − N(Aa)ⱼ) / (4·min(N(Aa)ᵢ, N(Aa)ⱼ))``; robust to
  population structure because it uses no allele frequencies. With ``IBS0``, the count of
  opposite homozygotes. Computed on bit-packed genotypes (:func:`king_matrix`: four AND +
  popcount per 64 SNPs and pair): the screen over every pair.
- **IBD segments**: a three-state hidden Markov model (IBD 0, 1, 2) on the two samples' unphased
  genotypes, the emissions those of Thompson's IBD-state likelihoods with the genotyping error
  mixed in, the states redrawn from their prior at rate ``1/segment_cm`` per cM (the HMM of PLINK's
  ``--segment`` and of Browning & Browning's IBD detection on unphased data, simplified). A segment
  is a maximal run of SNPs whose posterior P(IBD ≥ 1) exceeds 0.5, spanning at least ``min_cm``:
  count, total and longest cM, as ERSA (Huff et al., Genome Res 21:768, 2011) reads them.
- **Degree**: the exact multipoint likelihood (:mod:`vestige.kinship.snp.multipoint`) of the pair
  under every relationship of two lines of descent up to the 7th degree (third cousins): lineal
  (parent–child, grandparent, …), full (siblings, avuncular, first cousins, …) and half
  (half-siblings, half-avuncular, …) — against unrelated. The most likely relationship names the degree,
  with its LR against unrelated; each degree's best LR is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.pedigree import Family, Member
from vestige.kinship.snp.multipoint import (
    emissions,
    genotype_error_matrix,
    inheritance_space,
    log_likelihoods,
)
from vestige.kinship.snp.panel import Panel
from vestige.kinship.snp.scores import sample_log_marginals

__all__ = ["pack", "king_matrix", "ibd_segments", "Segment", "RELATIONSHIPS", "relationship_likelihoods",
           "Relatedness", "relate_pair"]


# --- KING-robust on bit-packed genotypes --------------------------------------------------------

def pack(calls: np.ndarray) -> np.ndarray:
    """(n, 3, W) uint64 bit planes — heterozygous, homozygous reference, homozygous alternative —
    of (n, M) calls, 64 SNPs a word."""
    n, m = calls.shape
    w = (m + 63) // 64
    out = np.zeros((n, 3, w * 64), dtype=bool)
    out[:, 0, :m] = calls == 1
    out[:, 1, :m] = calls == 0
    out[:, 2, :m] = calls == 2
    return np.packbits(out, axis=2, bitorder="little").view(np.uint64)


def king_matrix(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KING-robust kinship (float32, nan without heterozygous calls), IBS0 and SNPs called in both,
    for every pair of rows of the packed ``a`` and ``b`` (:func:`pack`)."""
    kin = np.empty((len(a), len(b)), dtype=np.float32)
    ibs0 = np.empty((len(a), len(b)), dtype=np.int32)
    nsnp = np.empty((len(a), len(b)), dtype=np.int32)
    from vestige.kinship.snp import kernels  # lazy: numba, loaded when used

    kernels.king(a, b, kin, ibs0, nsnp)
    return kin, ibs0, nsnp


# --- IBD segments -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    chrom: int
    start_cm: float
    end_cm: float
    snps: int

    @property
    def cm(self) -> float:
        return self.end_cm - self.start_cm


def _pair_emissions(ga: np.ndarray, gb: np.ndarray, p: np.ndarray, eps: float) -> np.ndarray:
    """(M, 3): P(ga, gb | IBD k), k = 0, 1, 2, mixed with the unrelated probability at rate ε."""
    q = 1 - p
    hw = np.stack([q * q, 2 * p * q, p * p], axis=1)  # (M, 3)
    m = len(p)
    idx = np.arange(m)
    a = np.where(ga < 0, 0, ga)
    b = np.where(gb < 0, 0, gb)
    e0 = hw[idx, a] * hw[idx, b]
    # IBD 1: one allele s shared (alt with probability p); each genotype's other allele from the population
    def other(g, s):
        rest = g - s
        return np.where(rest == 0, q, np.where(rest == 1, p, 0.0))

    e1 = p * other(a, 1) * other(b, 1) + q * other(a, 0) * other(b, 0)
    e2 = np.where(a == b, hw[idx, a], 0.0)
    out = np.stack([e0, e1, e2], axis=1)
    out = (1 - eps) * out + eps * e0[:, None]
    out[(ga < 0) | (gb < 0)] = 1.0
    return out


def screen_pairs(calls: np.ndarray, ia: np.ndarray, ib: np.ndarray, panel: Panel, *, eps: float = 0.005,
                 prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> np.ndarray:
    """:func:`ibd_screen` for the pairs (calls[ia[k]], calls[ib[k]]), compiled and in parallel."""
    from vestige.kinship.snp import kernels  # lazy: numba, loaded when used

    out = np.empty(len(ia))
    kernels.screen_pairs(np.ascontiguousarray(calls, dtype=np.int8), np.asarray(ia, dtype=np.int64),
                  np.asarray(ib, dtype=np.int64), panel.freq, panel.cm, panel.chrom,
                  np.asarray(prior, dtype=np.float64), 1.0 / segment_cm, eps, out)
    return out


def ibd_screen(ga: np.ndarray, gb: np.ndarray, panel: Panel, *, eps: float = 0.005,
               prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> float:
    """log10 of the IBD HMM's likelihood against no IBD anywhere: a fast screen (about 0.1 ms a pair),
    not an LR to report (its prior is a guess, not a pedigree)."""
    emit = _pair_emissions(ga, gb, panel.freq, eps)
    from vestige.kinship.snp import kernels  # lazy: numba, loaded when used

    return kernels.ibd_log_lr(emit, panel.cm, panel.chrom, np.asarray(prior, dtype=np.float64), 1.0 / segment_cm) / math.log(10)


def ibd_segments(ga: np.ndarray, gb: np.ndarray, panel: Panel, *, eps: float = 0.005, min_cm: float = 4.0,
                 prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> list[Segment]:
    """The IBD segments shared by two samples (see the module's docstring)."""
    emit = _pair_emissions(ga, gb, panel.freq, eps)
    from vestige.kinship.snp import kernels  # lazy: numba, loaded when used

    post = kernels.posterior_ibd(emit, panel.cm, panel.chrom, np.asarray(prior, dtype=np.float64), 1.0 / segment_cm)
    on = post > 0.5
    out = []
    t, m = 0, len(on)
    while t < m:
        if not on[t]:
            t += 1
            continue
        u = t
        while u + 1 < m and on[u + 1] and panel.chrom[u + 1] == panel.chrom[t]:
            u += 1
        seg = Segment(int(panel.chrom[t]), float(panel.cm[t]), float(panel.cm[u]), u - t + 1)
        if seg.cm >= min_cm:
            out.append(seg)
        t = u + 1
    return out


# --- the most likely relationship -------------------------------------------------------------

def _lines(name: str, n1: int, n2: int, full: bool) -> Family:
    """Two lines of descent of n1 and n2 generations from a common ancestor couple (full) or a
    common ancestor with two mates (half); A ends the first line, B the second."""
    members = [Member("X", "male"), Member("Y", "female")]
    if not full:
        members.append(Member("Y2", "female"))
    for line, n, mate in (("a", n1, "Y"), ("b", n2, "Y" if full else "Y2")):
        father, mother = "X", mate
        for g in range(1, n + 1):
            me = f"{line}{g}"
            members.append(Member(me, "male", father, mother))
            if g < n:
                members.append(Member(f"{line}{g}w", "female"))
                father, mother = me, f"{line}{g}w"
    return Family(name, members, require_missing=False)


def _lineal(n: int) -> Family:
    return _lines(f"lineal {n}", n, 1, True)


_LINEAL = {1: "parent-child", 2: "grandparent", 3: "great-grandparent"}
_FULL = {(1, 1): "full siblings", (1, 2): "avuncular", (2, 2): "first cousins", (1, 3): "great-avuncular",
         (2, 3): "first cousins once removed", (3, 3): "second cousins", (3, 4): "second cousins once removed",
         (4, 4): "third cousins", (2, 4): "first cousins twice removed"}
_HALF = {(1, 1): "half siblings", (1, 2): "half avuncular", (2, 2): "half first cousins",
         (3, 3): "half second cousins"}


def _canonical(max_degree: int = 7) -> dict[str, tuple[int, Family, str, str]]:
    """Every relationship of two lines of descent up to ``max_degree`` (kinship 2^-(degree+1)):
    lineal (an ancestor and a descendant n generations down: degree n), full (a common ancestor
    couple, lines of n1 ≤ n2 generations: degree n1 + n2 − 1) and half (one common ancestor:
    degree n1 + n2). Their IBD processes differ (a grandparent shares one long stretch per
    chromosome arm, half-siblings more, shorter ones), which the multipoint likelihood sees."""
    out: dict[str, tuple[int, Family, str, str]] = {}
    for n in range(1, max_degree + 1):
        name = _LINEAL.get(n, f"lineal, {n} generations")
        out[name] = (n, _lineal(n), "X", f"a{n}")
    for n1 in range(1, max_degree + 1):
        for n2 in range(n1, max_degree + 2):
            if n1 + n2 - 1 <= max_degree:
                name = _FULL.get((n1, n2), f"full lines of {n1} and {n2} generations")
                out[name] = (n1 + n2 - 1, _lines(name, n1, n2, True), f"a{n1}", f"b{n2}")
            if n1 + n2 <= max_degree:
                name = _HALF.get((n1, n2), f"half lines of {n1} and {n2} generations")
                out[name] = (n1 + n2, _lines(name, n1, n2, False), f"a{n1}", f"b{n2}")
    return out


# name -> (degree, family, first typed, second typed)
RELATIONSHIPS: dict[str, tuple[int, Family, str, str]] = _canonical()

_SPACES: dict[str, object] = {}


def relationship_likelihoods(ga: np.ndarray, gb: np.ndarray, panel: Panel, r: np.ndarray, *, eps_a: float = 0.005,
                             eps_b: float = 0.005) -> dict[str, float]:
    """log10 LR of each canonical relationship against unrelated, for two samples' calls."""
    out = {}
    err_a = genotype_error_matrix(ga, eps_a)
    base = (sample_log_marginals(ga[None], np.array([eps_a]), panel.freq)[0]
            + sample_log_marginals(gb[None], np.array([eps_b]), panel.freq)[0])
    for name, (_deg, fam, a, b) in RELATIONSHIPS.items():
        space = _SPACES.get(name)
        if space is None:
            space = _SPACES[name] = inheritance_space(fam, [a, b])
        emit = emissions(space, panel.freq, [err_a])
        joint = log_likelihoods(space, emit, r, gb[None].astype(np.int8), np.array([eps_b]))[0]
        out[name] = float((joint - base) / math.log(10))
    return out


@dataclass
class Relatedness:
    """One pair's relationship inference."""

    a: str
    b: str
    kinship: float
    ibs0: int
    snps: int
    segments: list[Segment] = field(default_factory=list)
    relationship: str = "unrelated"
    degree: int | None = None  # None: unrelated
    log10_lr: float = 0.0  # of the most likely relationship against unrelated
    by_degree: dict[int, float] = field(default_factory=dict)  # each degree's best log10 LR

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "kinship": round(self.kinship, 5), "ibs0": self.ibs0, "snps": self.snps,
                "segments": len(self.segments), "total_cm": round(sum(s.cm for s in self.segments), 2),
                "longest_cm": round(max((s.cm for s in self.segments), default=0.0), 2),
                "relationship": self.relationship, "degree": self.degree, "log10_lr": round(self.log10_lr, 3),
                "by_degree": {str(k): round(v, 3) for k, v in self.by_degree.items()}}


def relate_pair(a: str, b: str, ga: np.ndarray, gb: np.ndarray, panel: Panel, r: np.ndarray, *,
                kinship: float = float("nan"), ibs0: int = 0, snps: int = 0, eps_a: float = 0.005,
                eps_b: float = 0.005, min_cm: float = 4.0, min_log10_lr: float = 2.0) -> Relatedness:
    """The segments and the most likely relationship of a pair; "unrelated" unless the best
    relationship is at least 10^min_log10_lr times likelier than unrelated (an LR barely above 1
    is what unrelated pairs show by chance)."""
    lrs = relationship_likelihoods(ga, gb, panel, r, eps_a=eps_a, eps_b=eps_b)
    best = max(lrs, key=lrs.get)
    by_degree: dict[int, float] = {}
    for name, v in lrs.items():
        d = RELATIONSHIPS[name][0]
        by_degree[d] = max(by_degree.get(d, -math.inf), v)
    rel = Relatedness(a, b, kinship, ibs0, snps, ibd_segments(ga, gb, panel, eps=max(eps_a, eps_b), min_cm=min_cm),
                      by_degree=by_degree)
    if lrs[best] >= min_log10_lr:
        rel.relationship, rel.degree, rel.log10_lr = best, RELATIONSHIPS[best][0], lrs[best]
    return rel
