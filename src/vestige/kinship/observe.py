"""What a typed sample tells about the true genotype: allelic drop-out and drop-in.

A reading at one marker is the set ``O`` of alleles seen (one or two labels). For a clean
profile ``P(O | G) = [O = G]``. For a degraded sample with drop-out probability ``d`` and
drop-in probability ``c`` (the semi-continuous model of Gill et al. 2000, FSI 112:17–40, with
drop-in as in Balding & Buckleton 2009, FSI:Genetics 4:1–10, and the homozygote convention of
pedprobr's ``likelihood(dropout = )``):

- each allele of a heterozygous true genotype is seen with probability ``1 − d``,
  independently; the allele of a true homozygote (two copies) is seen with ``1 − d²``;
- at most one allele that the true genotype does not carry is seen, by drop-in: ``c · p_x``;
  none with ``1 − c``.

So for one allele seen (``a,a``, ``a,F`` or ``a,`` in the profile):
``P({a} | aa) = (1 − d²)(1 − c)``, ``P({a} | ax) = d(1 − d)(1 − c)``, ``P({a} | xy) = d² c p_a``;
and for two alleles seen: ``P({a,b} | ab) = (1 − d)²(1 − c)``, ``P({a,b} | aa) = (1 − d²) c p_b``,
``P({a,b} | ax) = (1 − d) d c p_b``, anything else 0. With ``d = c = 0`` this is the indicator, so
the engine gives exactly the clean-profile likelihoods. A marker with no reading (the locus
failed, or was not typed) carries no information, as in pedprobr.

Several samples of one body are independent readings of one genotype: ``P(O₁, O₂ | G) =
P(O₁ | G) P(O₂ | G)``.

Because a reading only asks, of each allele of ``G``, *whether it is among the alleles seen*,
every genotype falls in one of a few categories: both alleles among the seen ones ``U``, one
of them in ``U`` and one outside (``OUT``), or both outside. :func:`weight_table` gives the
weight of each category; evidence on any allele space (lumped or not) is read off it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

OUT = None  # stands for any allele not among those seen


@dataclass(frozen=True)
class Reading:
    """Alleles seen at one marker in one sample, with that sample's drop-out and drop-in rates."""

    alleles: tuple[str, ...]  # one or two distinct labels, sorted
    dropout: float = 0.0
    dropin: float = 0.0

    @property
    def clean(self) -> bool:
        return self.dropout == 0.0 and self.dropin == 0.0


@lru_cache(maxsize=1 << 16)
def reading(a1: str, a2: str | None, dropout: float = 0.0, dropin: float = 0.0) -> Reading:
    alleles = tuple(sorted({a1} if a2 is None or a2 == a1 else {a1, a2}))
    return Reading(alleles, float(dropout), float(dropin))


def probability(r: Reading, g: tuple[str | None, str | None], freq) -> float:
    """``P(O | G)`` for one reading; ``g`` holds two allele labels, ``OUT`` for any unseen one.

    ``freq(label)`` gives an allele's population frequency (used for drop-in).
    """
    d, c = r.dropout, r.dropin
    seen = set(r.alleles)
    x, y = g
    p = 1.0
    if x == y and x is not OUT:
        p *= (1.0 - d * d) if x in seen else d * d
        carried = {x}
    else:
        for allele in (x, y):
            p *= (1.0 - d) if (allele is not OUT and allele in seen) else d
        carried = {a for a in (x, y) if a is not OUT}
    if x is OUT and y is OUT:
        p = d * d  # both copies (or the one homozygous allele) unseen
        carried = set()
    extra = seen - carried
    if not extra:
        return p * (1.0 - c)
    if len(extra) == 1:
        return p * c * float(freq(next(iter(extra))))
    return 0.0


def weight_table(readings: list[Reading], freq) -> tuple[list[str], np.ndarray]:
    """The alleles seen in any reading (``U``, sorted) and the symmetric ``(k+1, k+1)`` table of
    ``Π_r P(O_r | G)`` for ``G = {U_i, U_j}``; index ``k`` stands for ``OUT``."""
    union = sorted({a for r in readings for a in r.alleles})
    k = len(union)
    labels: list[str | None] = [*union, OUT]
    w = np.ones((k + 1, k + 1))
    for i in range(k + 1):
        for j in range(i, k + 1):
            v = 1.0
            for r in readings:
                v *= probability(r, (labels[i], labels[j]), freq)
            w[i, j] = w[j, i] = v
    return union, w


def evidence_matrix(readings: list[Reading], labels: list[str | None], freq) -> np.ndarray:
    """``E[p, q] = Π_r P(O_r | {p, q})`` over an allele space whose index ``i`` carries the
    label ``labels[i]`` (``None`` for a lump or a padding allele, which no reading shows)."""
    union, w = weight_table(readings, freq)
    pos = {a: i for i, a in enumerate(union)}
    idx = np.array([pos.get(lab, len(union)) if lab is not None else len(union) for lab in labels])
    return w[idx[:, None], idx[None, :]]


def hw_probability(readings: list[Reading], alleles: list[str], freqs: np.ndarray) -> float:
    """``P(O)`` for someone unrelated, under Hardy–Weinberg: ``Σ_G P(G) Π_r P(O_r | G)``."""
    union, w = weight_table(readings, _freq_lookup(alleles, freqs))
    index = {a: i for i, a in enumerate(alleles)}
    pu = np.array([freqs[index[a]] for a in union])
    p_out = max(0.0, 1.0 - float(pu.sum()))
    full = np.append(pu, p_out)
    total = float(full @ w @ full)
    return total


def _freq_lookup(alleles: list[str], freqs: np.ndarray):
    index = {a: i for i, a in enumerate(alleles)}
    return lambda label: freqs[index[label]]


def category_terms(readings: list[Reading], freq) -> tuple[list[str], dict[tuple, float]]:
    """The numerator ``Σ_G P(data, G) Π_r P(O_r|G)`` as a linear combination of *base rows*:
    ``("g", u, v)`` = P(data, G = {u, v}) for ``u ≤ v`` in ``U``; ``("r", u)`` = P(data, G carries
    exactly one copy of ``u``); ``("t",)`` = P(data). Returns ``U`` and ``{row: coefficient}``.

    Derivation: split the genotypes by how many of their alleles lie in ``U``; the category
    "{u, x ∉ U}" is ``r(u) − Σ_{v∈U, v≠u} g(u, v)``, and "{x, y ∉ U}" is
    ``t − Σ_u g(u,u) − Σ_u r(u) + Σ_{u<v} g(u, v)``.
    """
    union, w = weight_table(readings, freq)
    k = len(union)
    coef: dict[tuple, float] = {}

    def add(row, value):
        if value != 0.0:
            coef[row] = coef.get(row, 0.0) + value

    for i in range(k):
        for j in range(i, k):
            add(("g", union[i], union[j]), w[i, j])
    for i in range(k):  # {u, OUT}
        add(("r", union[i]), w[i, k])
        for j in range(k):
            if j != i:
                lo, hi = sorted((union[i], union[j]))
                add(("g", lo, hi), -w[i, k])
    wn = w[k, k]  # {OUT, OUT}
    add(("t",), wn)
    for i in range(k):
        add(("g", union[i], union[i]), -wn)
        add(("r", union[i]), -wn)
        for j in range(i + 1, k):
            add(("g", union[i], union[j]), wn)
    return union, {r: v for r, v in coef.items() if v != 0.0}


@dataclass
class Degradation:
    """Per-sample drop-out and drop-in probabilities (samples not listed are clean)."""

    dropout: dict[str, float] | None = None
    dropin: dict[str, float] | None = None

    def of(self, sample: str) -> tuple[float, float]:
        return ((self.dropout or {}).get(sample, 0.0), (self.dropin or {}).get(sample, 0.0))

    def degraded(self, sample: str) -> bool:
        d, c = self.of(sample)
        return d > 0.0 or c > 0.0

    @property
    def any(self) -> bool:
        return any(v > 0 for v in (self.dropout or {}).values()) or any(v > 0 for v in (self.dropin or {}).values())
