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
from numba import njit, prange  # noqa: E402  (vestige.kinship.snp.multipoint has set numba's cache folder)

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


@njit(inline="always", cache=True)
def _popcount(x):  # pragma: no cover - compiled (LLVM turns this idiom into the popcnt instruction)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(parallel=True, nogil=True, cache=True)
def _king(a, b, kin, ibs0, nsnp):  # pragma: no cover - compiled
    words = a.shape[2]
    for i in prange(a.shape[0]):
        for j in range(b.shape[0]):
            hh = np.uint64(0)
            opp = np.uint64(0)
            hi = np.uint64(0)
            hj = np.uint64(0)
            both = np.uint64(0)
            for w in range(words):
                ha, ra, xa = a[i, 0, w], a[i, 1, w], a[i, 2, w]
                hb, rb, xb = b[j, 0, w], b[j, 1, w], b[j, 2, w]
                ca = ha | ra | xa
                cb = hb | rb | xb
                hh += _popcount(ha & hb)
                opp += _popcount((ra & xb) | (xa & rb))
                hi += _popcount(ha & cb)
                hj += _popcount(hb & ca)
                both += _popcount(ca & cb)
            low = min(hi, hj)
            if low > 0:
                kin[i, j] = 0.5 + (2.0 * float(hh) - 4.0 * float(opp) - float(hi) - float(hj)) / (4.0 * float(low))
            else:
                kin[i, j] = np.nan
            ibs0[i, j] = opp
            nsnp[i, j] = both


def king_matrix(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KING-robust kinship (float32, nan without heterozygous calls), IBS0 and SNPs called in both,
    for every pair of rows of the packed ``a`` and ``b`` (:func:`pack`)."""
    kin = np.empty((len(a), len(b)), dtype=np.float32)
    ibs0 = np.empty((len(a), len(b)), dtype=np.int32)
    nsnp = np.empty((len(a), len(b)), dtype=np.int32)
    _king(a, b, kin, ibs0, nsnp)
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


@njit(cache=True)
def _posterior_ibd(emit, cm, chrom, prior, rate):  # pragma: no cover - compiled
    m = emit.shape[0]
    fw = np.empty((m, 3))
    bw = np.empty((m, 3))
    for t in range(m):
        if t == 0 or chrom[t] != chrom[t - 1]:
            for k in range(3):
                fw[t, k] = prior[k] * emit[t, k]
        else:
            stay = math.exp(-rate * (cm[t] - cm[t - 1]))
            for k in range(3):
                fw[t, k] = (stay * fw[t - 1, k] + (1 - stay) * prior[k]) * emit[t, k]
        s = fw[t, 0] + fw[t, 1] + fw[t, 2]
        for k in range(3):
            fw[t, k] /= s
    for t in range(m - 1, -1, -1):
        if t == m - 1 or chrom[t + 1] != chrom[t]:
            for k in range(3):
                bw[t, k] = 1.0
        else:
            stay = math.exp(-rate * (cm[t + 1] - cm[t]))
            nxt = 0.0
            for k in range(3):
                nxt += prior[k] * emit[t + 1, k] * bw[t + 1, k]
            for k in range(3):
                bw[t, k] = stay * emit[t + 1, k] * bw[t + 1, k] + (1 - stay) * nxt
        s = bw[t, 0] + bw[t, 1] + bw[t, 2]
        for k in range(3):
            bw[t, k] /= s
    post = np.empty(m)
    for t in range(m):
        z = fw[t, 0] * bw[t, 0] + fw[t, 1] * bw[t, 1] + fw[t, 2] * bw[t, 2]
        post[t] = (fw[t, 1] * bw[t, 1] + fw[t, 2] * bw[t, 2]) / z
    return post


@njit(cache=True)
def _ibd_log_lr(emit, cm, chrom, prior, rate):  # pragma: no cover - compiled
    total = 0.0
    f = np.empty(3)
    for t in range(emit.shape[0]):
        if t == 0 or chrom[t] != chrom[t - 1]:
            for k in range(3):
                f[k] = prior[k]
        else:
            stay = math.exp(-rate * (cm[t] - cm[t - 1]))
            for k in range(3):
                f[k] = stay * f[k] + (1 - stay) * prior[k]
        s = 0.0
        for k in range(3):
            f[k] *= emit[t, k] / emit[t, 0]
            s += f[k]
        total += math.log(s)
        for k in range(3):
            f[k] /= s
    return total


@njit(cache=True, inline="always")
def _emit3(ga, gb, p, eps, out):  # pragma: no cover - compiled; the emissions of _pair_emissions, one SNP
    q = 1.0 - p
    hw0, hw1, hw2 = q * q, 2.0 * p * q, p * p
    ha = hw0 if ga == 0 else (hw1 if ga == 1 else hw2)
    hb = hw0 if gb == 0 else (hw1 if gb == 1 else hw2)
    e0 = ha * hb
    # other allele given a shared alt (s = 1) or ref (s = 0)
    oa1 = q if ga == 1 else (p if ga == 2 else 0.0)
    ob1 = q if gb == 1 else (p if gb == 2 else 0.0)
    oa0 = q if ga == 0 else (p if ga == 1 else 0.0)
    ob0 = q if gb == 0 else (p if gb == 1 else 0.0)
    e1 = p * oa1 * ob1 + q * oa0 * ob0
    e2 = ha if ga == gb else 0.0
    out[0] = 1.0
    out[1] = ((1.0 - eps) * e1 + eps * e0) / e0
    out[2] = ((1.0 - eps) * e2 + eps * e0) / e0


@njit(parallel=True, nogil=True, cache=True)
def _screen_pairs(calls, ia, ib, freq, cm, chrom, prior, rate, eps, out):  # pragma: no cover - compiled
    for k in prange(ia.shape[0]):
        a = ia[k]
        b = ib[k]
        f = np.empty(3)
        e = np.empty(3)
        total = 0.0
        first = True
        for t in range(calls.shape[1]):
            if first or chrom[t] != chrom[t - 1]:
                for x in range(3):
                    f[x] = prior[x]
            else:
                stay = math.exp(-rate * (cm[t] - cm[t - 1]))
                for x in range(3):
                    f[x] = stay * f[x] + (1 - stay) * prior[x]
            first = False
            ga = calls[a, t]
            gb = calls[b, t]
            if ga < 0 or gb < 0:
                continue
            _emit3(ga, gb, freq[t], eps, e)
            s = 0.0
            for x in range(3):
                f[x] *= e[x]
                s += f[x]
            total += math.log(s)
            for x in range(3):
                f[x] /= s
        out[k] = total / math.log(10.0)


def screen_pairs(calls: np.ndarray, ia: np.ndarray, ib: np.ndarray, panel: Panel, *, eps: float = 0.005,
                 prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> np.ndarray:
    """:func:`ibd_screen` for the pairs (calls[ia[k]], calls[ib[k]]), compiled and in parallel."""
    out = np.empty(len(ia))
    _screen_pairs(np.ascontiguousarray(calls, dtype=np.int8), np.asarray(ia, dtype=np.int64),
                  np.asarray(ib, dtype=np.int64), panel.freq, panel.cm, panel.chrom,
                  np.asarray(prior, dtype=np.float64), 1.0 / segment_cm, eps, out)
    return out


def ibd_screen(ga: np.ndarray, gb: np.ndarray, panel: Panel, *, eps: float = 0.005,
               prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> float:
    """log10 of the IBD HMM's likelihood against no IBD anywhere: a fast screen (about 0.1 ms a pair),
    not an LR to report (its prior is a guess, not a pedigree)."""
    emit = _pair_emissions(ga, gb, panel.freq, eps)
    return _ibd_log_lr(emit, panel.cm, panel.chrom, np.asarray(prior, dtype=np.float64), 1.0 / segment_cm) / math.log(10)


def ibd_segments(ga: np.ndarray, gb: np.ndarray, panel: Panel, *, eps: float = 0.005, min_cm: float = 4.0,
                 prior: tuple[float, float, float] = (0.95, 0.045, 0.005), segment_cm: float = 30.0) -> list[Segment]:
    """The IBD segments shared by two samples (see the module's docstring)."""
    emit = _pair_emissions(ga, gb, panel.freq, eps)
    post = _posterior_ibd(emit, panel.cm, panel.chrom, np.asarray(prior, dtype=np.float64), 1.0 / segment_cm)
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
