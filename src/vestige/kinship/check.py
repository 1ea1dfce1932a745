"""Is the reference pedigree what the family said? Pairwise checks before matching.

For every pair of a family's typed members, as forrel's ``checkPairwise`` defines it (Vigeland;
Egeland & Vigeland 2025):

- **κ̂**, the maximum-likelihood IBD coefficients (κ₀, κ₁, κ₂) of the pair (forrel ``ibdEstimate``,
  Thompson 1975): ``L(κ) = Π_markers Σ_k κ_k P(G | IBD = k)`` over the markers both are typed for
  with two alleles, maximised over the whole simplex κ₀ + κ₁ + κ₂ = 1. The log-likelihood is
  concave, so the maximum is found exactly: Newton's method inside the triangle and a bisection on
  each edge's derivative, the best of them kept (compiled, :mod:`vestige.kinship.check_kernel`;
  forrel uses projected gradient descent to the same maximum).
- **κ** of the pedigree, from its inheritance vectors (:mod:`vestige.kinship.snp.multipoint`: the
  share of states in which the pair carries 0, 1 or 2 founder genes in common); pairs with an
  inbred member are not checked (their κ is undefined), as forrel excludes them.
- ``LR = L(κ̂) / L(κ)`` and ``GLR = 1/LR``; a pair is **flagged** when LR exceeds ``lr_threshold``
  (forrel's default 1000), or, with ``nsim`` simulations, when its p-value is below
  ``p_threshold``: the share of pairs simulated with the pedigree's κ (independent markers) whose
  log GLR is at most the observed one (forrel ``ecdfGLR``).
- **Mendelian conflicts**: for a claimed parent and child, each marker where they share no allele
  (an exclusion unless a mutation), named by marker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.pedigree import Family
from vestige.kinship.snp.multipoint import inheritance_space

__all__ = ["PairCheck", "check_family", "pair_weights", "estimate_kappa", "pedigree_kappa", "LABELS"]

LABELS = {(0.0, 0.0): "parent-offspring", (0.25, 0.25): "full siblings", (0.5, 0.0): "half / uncle / grand",
          (0.75, 0.0): "first cousins", (1.0, 0.0): "unrelated"}


@dataclass
class PairCheck:
    a: str  # member ids
    b: str
    markers: int
    estimate: tuple[float, float, float]
    pedigree: tuple[float, float, float] | None  # None: an inbred member, not checked
    relationship: str
    log_lr: float | None  # ln L(estimate) - ln L(pedigree); +inf when the pedigree's κ is impossible
    pvalue: float | None = None
    flagged: bool = False
    conflicts: list[str] = field(default_factory=list)  # markers: a parent and child share no allele

    @property
    def lr(self) -> float | None:
        return None if self.log_lr is None else (math.inf if self.log_lr > 700 else math.exp(self.log_lr))

    @property
    def glr(self) -> float | None:
        return None if self.log_lr is None else math.exp(-self.log_lr) if self.log_lr < 700 else 0.0

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "markers": self.markers, "k0": self.estimate[0], "k1": self.estimate[1],
                "k2": self.estimate[2], "kappa": list(self.pedigree) if self.pedigree else None,
                "relationship": self.relationship, "lr": self.lr, "glr": self.glr, "pvalue": self.pvalue,
                "flagged": self.flagged, "conflicts": self.conflicts}


def _given(g: tuple[int, int], s: int, p: np.ndarray) -> float:
    """P(unordered genotype g | one allele is s): the other allele from the population."""
    x, y = g
    out = 0.0
    if x == s:
        out += p[y]
    if y == s and x != y:
        out += p[x]
    return out


def pair_weights(ga: tuple[int, int], gb: tuple[int, int], p: np.ndarray) -> np.ndarray:
    """(P(G | IBD = 0), P(G | IBD = 1), P(G | IBD = 2)) of two unordered genotypes (allele indices)."""
    def hw(g):
        return p[g[0]] ** 2 if g[0] == g[1] else 2 * p[g[0]] * p[g[1]]

    w0 = hw(ga) * hw(gb)
    w1 = sum(p[s] * _given(ga, s, p) * _given(gb, s, p) for s in set(ga) & set(gb))
    w2 = hw(ga) if sorted(ga) == sorted(gb) else 0.0
    return np.array([w0, w1, w2])


def _loglik(w: np.ndarray, k: np.ndarray) -> float:
    lik = w @ k
    return -math.inf if (lik <= 0).any() else float(np.log(lik).sum())


def estimate_kappa(w: np.ndarray) -> tuple[np.ndarray, float]:
    """(κ̂, ln L(κ̂)) for the (markers, 3) weights ``w``: the maximum over the simplex, exactly
    (:mod:`vestige.kinship.check_kernel`)."""
    from vestige.kinship.check_kernel import (
        kappa_ml,  # lazy: numba, loaded when something is checked
    )

    k, best = kappa_ml(np.ascontiguousarray(w, dtype=np.float64))
    return np.clip(k, 0.0, 1.0), float(best)


def pedigree_kappa(family: Family, a: str, b: str) -> tuple[float, float, float] | None:
    """κ of members ``a`` and ``b`` from the pedigree; None when either is inbred."""
    space = inheritance_space(family, [a, b])
    counts = np.zeros(3)
    for p, labels in enumerate(space.patterns):
        ap, am, bp, bm = labels
        if ap == am or bp == bm:
            return None
        shared = len({ap, am} & {bp, bm})
        counts[shared] += int((space.pattern == p).sum())
    k = counts / counts.sum()
    return float(k[0]), float(k[1]), float(k[2])


def _label(kappa: tuple[float, float, float] | None) -> str:
    if kappa is None:
        return "inbred: not checked"
    return LABELS.get((round(kappa[0], 12), round(kappa[2], 12)), "other")


def _indexed(profiles: Profiles, indexes: dict[str, dict[str, int]], sample: str) -> dict[str, tuple[int, int]]:
    out = {}
    for marker, (x, y) in profiles.genotypes.get(sample, {}).items():
        idx = indexes.get(marker)
        if y is None or idx is None:
            continue  # one allele (drop-out or a single peak): left out, as forrel leaves out missing data
        if x in idx and y in idx:
            out[marker] = (idx[x], idx[y])
    return out


def _simulate_log_glr(kappa: np.ndarray, markers: list[str], table: FrequencyTable, nsim: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Null distribution of ln GLR for a pair with ``kappa``: markers independent, IBD state drawn
    per marker, alleles from the frequencies."""
    out = np.empty(nsim)
    for i in range(nsim):
        w = np.empty((len(markers), 3))
        for j, m in enumerate(markers):
            p = table.freqs[m] / table.freqs[m].sum()
            k = rng.choice(3, p=kappa)
            al = rng.choice(len(p), size=4, p=p)
            if k == 0:
                ga, gb = (al[0], al[1]), (al[2], al[3])
            elif k == 1:
                ga, gb = (al[0], al[1]), (al[0], al[2])
            else:
                ga = gb = (al[0], al[1])
            w[j] = pair_weights(ga, gb, p)
        _k, best = estimate_kappa(w)
        out[i] = _loglik(w, kappa) - best
    return out


def check_family(family: Family, profiles: Profiles, table: FrequencyTable, *, lr_threshold: float = 1000.0,
                 nsim: int = 0, p_threshold: float = 0.05, seed: int = 1) -> list[PairCheck]:
    """Every pair of the family's typed members against the pedigree (see the module's docstring)."""
    if lr_threshold <= 0:
        raise KinshipInputError("lr threshold", f"{lr_threshold} must be positive")
    typed = [m for m in family.typed if m.sample in profiles.genotypes]
    profiles.check_against(table, samples=[m.sample for m in typed])
    rng = np.random.default_rng(seed)
    null: dict[tuple, np.ndarray] = {}
    out = []
    if len(typed) < 2:
        return out
    indexes = {m: table.index(m) for m in table.markers}
    norm = {m: table.freqs[m] / table.freqs[m].sum() for m in table.markers}
    coded = {m.id: _indexed(profiles, indexes, m.sample) for m in typed}
    for i, ma in enumerate(typed):
        ga_all = coded[ma.id]
        for mb in typed[i + 1:]:
            gb_all = coded[mb.id]
            markers = [m for m in table.markers if m in ga_all and m in gb_all]
            kappa = pedigree_kappa(family, ma.id, mb.id)
            check = PairCheck(ma.id, mb.id, len(markers), (math.nan,) * 3, kappa, _label(kappa), None)
            if not markers:
                check.relationship += " (no marker typed in both)"
                out.append(check)
                continue
            w = np.stack([pair_weights(ga_all[m], gb_all[m], norm[m]) for m in markers])
            est, best = estimate_kappa(w)
            check.estimate = (float(est[0]), float(est[1]), float(est[2]))
            if kappa is not None:
                ll_ped = _loglik(w, np.array(kappa))
                check.log_lr = math.inf if ll_ped == -math.inf else best - ll_ped
                if kappa == (0.0, 1.0, 0.0):
                    check.conflicts = [m for m in markers if not set(ga_all[m]) & set(gb_all[m])]
                if nsim > 0:
                    key = (kappa, tuple(markers))
                    if key not in null:
                        null[key] = _simulate_log_glr(np.array(kappa), markers, table, nsim, rng)
                    observed = -check.log_lr
                    check.pvalue = float((null[key] <= observed + 1e-12).mean())
                    check.flagged = check.pvalue < p_threshold
                else:
                    check.flagged = check.log_lr > math.log(lr_threshold)
            out.append(check)
    return out
