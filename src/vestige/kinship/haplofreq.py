"""Haplotype frequencies of a lineage marker system from a population database (the LR's
denominator for Y-STRs; the Clopper–Pearson bound serves mtDNA too).

**Frequency** of the sample's haplotype (the LR's denominator), over the loci compared:

- κ (the default): Brenner (2010), *Fundamental problem of forensic mathematics — the evidential
  value of a rare haplotype*, FSI Genet 4:281: with κ the share of the database's haplotypes seen
  once (on the loci compared), a haplotype not in the database has match probability about
  ``(1 − κ)/N``; here ``(x + 1 − κ)/(N + 1)`` for one seen ``x`` times, with one pseudo-count in κ
  (``1 − κ = (N − S + 1)/(N + 1)``, S singletons) so that it stays positive. It stays calibrated where
  the population is made of paternal lineages (clusters of near-identical haplotypes), where a
  mixture model is not: on the simulated distant-reference grave the discrete Laplace fit gave
  unrelated men of the family's sub-lineage Y LRs up to 10^7.9, κ at most about 10^4.6;
- counting: ``(x + 1) / (N + 1)`` with ``x`` the database's copies of the haplotype among ``N``
  (the sample added to the database, SWGDAM 2014 Y-STR guidelines 9.1), reported with the
  Clopper–Pearson upper 95 % bound of x/N;
- discrete Laplace (default): the mixture of Andersen, Curran, de Zoete, Taylor & Buckleton
  (2013), *Modelling the dependence structure of Y-STR haplotypes using graphical models*
  / Andersen, Eriksen & Morling (2013) *The discrete Laplace exponential family and estimation of
  Y-STR haplotype frequencies*, J Theor Biol 329:39:
  ``P(h) = Σ_j τ_j Π_l DL(h_l; y_jl, p_jl)``, ``DL(x; y, p) = (1 − p)/(1 + p) · p^|x − y|``,
  fitted by EM with weighted medians for the centres ``y_jl``; here every component and locus
  has its own dispersion ``p_jl`` (disclapmix constrains ``log p_jl = ω_l + β_j``; the free form
  fits as well on thousands of haplotypes), the number of components chosen by BIC;
- subpopulation correction (θ): the probability that an unrelated man of the same subpopulation
  carries the haplotype, ``θ + (1 − θ) P(h)`` (NRC II 4.10 for a haploid system; Buckleton,
  Krawczak & Weir 2011, FSI Genet 5:78).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.ystr import METHODS, YDatabase, integer_alleles, is_multi, model_loci

__all__ = ["DiscreteLaplace", "YFrequency", "clopper_pearson_upper", "fit_discrete_laplace"]


@lru_cache(maxsize=65536)
def clopper_pearson_upper(x: int, n: int, level: float = 0.95) -> float:
    """One-sided upper ``level`` bound of a binomial proportion x/n (Clopper & Pearson 1934):
    the p at which P(X ≤ x; n, p) = 1 − level, by bisection on the binomial distribution."""
    if n <= 0:
        return 1.0
    if x >= n:
        return 1.0
    alpha = 1.0 - level

    def cdf(p: float) -> float:
        if p <= 0:
            return 1.0
        lp, lq = math.log(p), math.log1p(-p)
        terms = [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq
                 for k in range(x + 1)]
        top = max(terms)
        return math.exp(top) * sum(math.exp(t - top) for t in terms)

    lo, hi = x / n, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if cdf(mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def _dl_p(mad: np.ndarray) -> np.ndarray:
    """The discrete Laplace dispersion p with mean absolute deviation ``mad``: E|X − y| = 2p/(1 − p²)
    gives p = (√(1 + m²) − 1)/m (p → 0 as m → 0; floored so that no step is impossible)."""
    m = np.maximum(mad, 1e-6)
    return np.clip((np.sqrt(1 + m * m) - 1) / m, 1e-4, 0.95)


def _weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per column of ``x`` (N, L), the median weighted by ``w`` (N,)."""
    order = np.argsort(x, axis=0, kind="stable")
    xs = np.take_along_axis(x, order, axis=0)
    cw = np.cumsum(w[order], axis=0)
    half = cw[-1] / 2
    k = (cw < half[None, :]).sum(axis=0)
    return xs[np.minimum(k, len(x) - 1), np.arange(x.shape[1])]


@dataclass
class DiscreteLaplace:
    """A fitted discrete Laplace mixture over ``loci`` (columns of integer repeat counts)."""

    loci: list[str]
    tau: np.ndarray  # (J,)
    centre: np.ndarray  # (J, L)
    p: np.ndarray  # (J, L)
    loglik: float
    bic: float

    def log_prob(self, x: np.ndarray, typed: np.ndarray) -> np.ndarray:
        """log P(haplotype on its typed loci) for rows of ``x`` (N, L) with mask ``typed`` (N, L)."""
        d = np.abs(x[:, None, :] - self.centre[None, :, :])  # (N, J, L)
        lp = np.log((1 - self.p) / (1 + self.p))[None] + d * np.log(self.p)[None]
        lp = np.where(typed[:, None, :], lp, 0.0).sum(axis=2) + np.log(self.tau)[None, :]
        top = lp.max(axis=1, keepdims=True)
        return (np.log(np.exp(lp - top).sum(axis=1)) + top[:, 0])


def fit_discrete_laplace(x: np.ndarray, loci: list[str], components: int, *, iterations: int = 200,
                         seed: int = 1) -> DiscreteLaplace:
    """EM for the discrete Laplace mixture with ``components`` components on ``x`` (N, L) integer
    repeat counts (every locus typed). Initial centres: the most distant haplotypes first
    (farthest-point, from the modal one), deterministic for a given database."""
    n, n_loci = x.shape
    j = min(components, n)
    # farthest-point initialisation (L1), starting from the haplotype nearest the per-locus medians
    med = np.median(x, axis=0)
    first = int(np.argmin(np.abs(x - med).sum(axis=1)))
    centres = [x[first]]
    dist = np.abs(x - x[first]).sum(axis=1)
    rng = np.random.default_rng(seed)
    for _ in range(1, j):
        far = np.flatnonzero(dist == dist.max())
        pick = int(far[rng.integers(len(far))])
        centres.append(x[pick])
        dist = np.minimum(dist, np.abs(x - x[pick]).sum(axis=1))
    centre = np.array(centres, dtype=np.float64)
    p = np.full((j, n_loci), 0.2)
    tau = np.full(j, 1.0 / j)
    last = -np.inf
    typed = np.ones_like(x, dtype=bool)
    ll = -np.inf
    for _ in range(iterations):
        d = np.abs(x[:, None, :] - centre[None])
        lp = (np.log((1 - p) / (1 + p))[None] + d * np.log(p)[None]).sum(axis=2) + np.log(tau)[None]
        top = lp.max(axis=1, keepdims=True)
        w = np.exp(lp - top)
        tot = w.sum(axis=1, keepdims=True)
        ll = float((np.log(tot[:, 0]) + top[:, 0]).sum())
        w /= tot
        tau = np.maximum(w.mean(axis=0), 1e-12)
        for c in range(j):
            if w[:, c].sum() < 1e-9:
                continue
            centre[c] = _weighted_median(x, w[:, c])
            mad = (w[:, c:c + 1] * np.abs(x - centre[c])).sum(axis=0) / w[:, c].sum()
            p[c] = _dl_p(mad)
        if ll - last < 1e-6 * abs(ll):
            break
        last = ll
    k = (j - 1) + 2 * j * n_loci
    model = DiscreteLaplace(loci, tau, centre, p, ll, -2 * ll + k * math.log(n))
    del typed
    return model


@dataclass
class YFrequency:
    """Haplotype frequencies from a database: the counting method and a discrete Laplace
    mixture (fitted on the database's men typed at every modelled locus)."""

    db: YDatabase
    method: str = "kappa"  # "kappa", "counting" or "dl"
    theta: float = 0.0
    dl: DiscreteLaplace | None = None
    notes: list[str] = field(default_factory=list)
    _rows: list[dict] = field(default_factory=list)
    _by_loci: dict = field(default_factory=dict)

    @classmethod
    def build(cls, db: YDatabase, method: str = "kappa", theta: float = 0.0,
              components: list[int] | None = None) -> YFrequency:
        if method not in METHODS:
            raise KinshipInputError("y_frequency", f"{method!r} is not one of {', '.join(METHODS)}")
        if not 0.0 <= theta < 1.0:
            raise KinshipInputError("y_theta", f"{theta} is not in [0, 1)")
        out = cls(db, method, theta)
        out._rows = [model_loci({loc: v for loc, v in zip(db.loci, row, strict=True) if v is not None})
                     for row in db.rows]
        if method == "dl":
            out.dl = out._fit(components or [1, 2, 4, 8, 12, 16, 24, 32])
        return out

    def _fit(self, choices: list[int]) -> DiscreteLaplace:
        # the loci every database man has on the grid; two-copy loci as two columns (low, high)
        loci = sorted({k for r in self._rows for k in r})
        cols, names = [], []
        for locus in loci:
            vals = [r.get(locus) for r in self._rows]
            ok = [v is not None and integer_alleles(v) for v in vals]
            if sum(ok) < 0.9 * len(vals):
                self.notes.append(f"{locus}: typed in {sum(ok)} of {len(vals)} database haplotypes; "
                                  "left out of the discrete Laplace model")
                continue
            width = 2 if is_multi(locus) else 1
            for c in range(width):
                cols.append([v[min(c, len(v) - 1)] if (v is not None and integer_alleles(v)) else np.nan for v in vals])
                names.append(f"{locus}#{c}" if width == 2 else locus)
        x = np.array(cols, dtype=np.float64).T
        full = ~np.isnan(x).any(axis=1)
        x = x[full]
        best = None
        for j in choices:
            if j > len(x):
                break
            m = fit_discrete_laplace(x, names, j)
            if best is None or m.bic < best.bic:
                best = m
        self.notes.append(f"discrete Laplace: {len(best.tau)} components by BIC on {len(x)} haplotypes, "
                          f"{len(names)} loci")
        return best

    def _columns(self, hap: dict[str, tuple], loci: set[str]) -> tuple[np.ndarray, np.ndarray]:
        names = self.dl.loci
        x = np.zeros(len(names))
        typed = np.zeros(len(names), dtype=bool)
        for i, name in enumerate(names):
            locus, _, c = name.partition("#")
            v = hap.get(locus)
            if locus in loci and v is not None and integer_alleles(v):
                x[i] = v[min(int(c or 0), len(v) - 1)]
                typed[i] = True
        return x, typed

    @property
    def rows(self) -> list[dict]:
        """The database's haplotypes as modelled (DYS389B for DYS389II), one dict per man."""
        return self._rows

    def _counts(self, loci: set[str]) -> tuple[dict, float, list[str]]:
        """{haplotype on ``loci``: copies in the database}, κ (the share seen once), and the loci
        in the order of the haplotype keys."""
        key = frozenset(loci)
        hit = self._by_loci.get(key)
        if hit is None:
            keys = sorted(loci)
            counts: dict = {}
            for r in self._rows:
                t = tuple(r.get(k) for k in keys)
                counts[t] = counts.get(t, 0) + 1
            # κ with one pseudo-count: 1 - κ = (N - singletons + 1)/(N + 1), so that a database of
            # singletons only still gives a haplotype it lacks a positive probability
            n = len(self._rows)
            kappa = 1.0 - (n - sum(1 for c in counts.values() if c == 1) + 1) / (n + 1)
            hit = self._by_loci[key] = (counts, kappa, keys)
        return hit

    def count(self, hap: dict[str, tuple], loci: set[str]) -> int:
        counts, _kappa, keys = self._counts(loci)
        return counts.get(tuple([hap.get(k) for k in keys]), 0)

    def _estimate(self, hap: dict[str, tuple], loci: set[str]) -> float:
        n = self.db.size
        x = self.count(hap, loci)
        if self.method == "kappa":
            return (x + 1 - self._counts(loci)[1]) / (n + 1)
        return (x + 1) / (n + 1)

    def frequency(self, hap: dict[str, tuple], loci: set[str]) -> tuple[float, dict]:
        """P(an unrelated man has ``hap`` on ``loci``) by the chosen method (θ applied), and the
        figures behind it (count, N, counting estimate and its upper bound, the DL estimate)."""
        hap = model_loci(hap)
        n = self.db.size
        x = self.count(hap, loci)
        kappa = self._counts(loci)[1]
        info = {"count": x, "database_size": n, "counting": (x + 1) / (n + 1),
                "counting_upper_95": clopper_pearson_upper(x, n), "kappa": kappa,
                "brenner_kappa": (x + 1 - kappa) / (n + 1), "method": self.method, "theta": self.theta}
        if self.dl is not None:
            xs, typed = self._columns(hap, loci)
            info["discrete_laplace"] = float(np.exp(self.dl.log_prob(xs[None], typed[None])[0]))
        p = info["discrete_laplace"] if self.method == "dl" else self._estimate(hap, loci)
        return self.theta + (1 - self.theta) * p, info

    def log_frequencies(self, haps: list[dict], loci_sets: list[set[str]]) -> np.ndarray:
        """log frequency (θ applied) of each haplotype on its own set of loci; vectorised for DL."""
        if self.method == "dl":
            rows = [self._columns(model_loci(h), s) for h, s in zip(haps, loci_sets, strict=True)]
            xs = np.array([r[0] for r in rows]) if rows else np.zeros((0, len(self.dl.loci)))
            typed = np.array([r[1] for r in rows]) if rows else np.zeros((0, len(self.dl.loci)), bool)
            lp = self.dl.log_prob(xs, typed) if len(rows) else np.zeros(0)
            p = np.exp(lp)
        else:
            p = np.array([self._estimate(model_loci(h), s) for h, s in zip(haps, loci_sets, strict=True)])
        return np.log(self.theta + (1 - self.theta) * p)


# --- the LR -----------------------------------------------------------------------------------
