"""Post-mortem duplicates: is remains sample A the same person as sample B?

    LR_m = P(O_A, O_B | same person) / (P(O_A) P(O_B))
         = Σ_G P(G) P(O_A | G) P(O_B | G) / (Σ_G P(G) P(O_A | G) · Σ_G P(G) P(O_B | G))

with Hardy–Weinberg ``P(G)`` and the drop-out model of :mod:`vestige.kinship.observe`; markers
typed in only one of the two contribute 1. For two clean readings this is ``1/P(g)`` when the
genotypes agree and 0 otherwise (the direct-match LR); a bone with drop-out no longer excludes
its own duplicate. Pairs above a threshold are proposed as same-individual groups (connected
components); once confirmed, the bones of a group are searched as one body.

All pairs are scored by table look-up: per marker, a matrix over the distinct readings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vestige.kinship.graphs import connected_components
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.observe import Degradation, hw_probability, weight_table
from vestige.kinship.readings import sample_readings

BLOCK = 1024
SCREEN = 3  # markers scored for every pair before the exclusions are dropped


@dataclass
class DuplicatePair:
    sample_a: str
    sample_b: str
    log_lr: float
    markers_compared: int
    systems: dict | None = None  # with lineage data: {system: {"log10_lr", "note"}} (kinship.lineage.identity_lrs)

    @property
    def log10_lr(self) -> float | None:
        return None if self.log_lr == -math.inf else self.log_lr / math.log(10)

    def as_dict(self) -> dict:
        log10 = self.log10_lr
        out = {"sample_a": self.sample_a, "sample_b": self.sample_b,
               "lr": 0.0 if log10 is None else (None if log10 > 308 else 10 ** log10),
               "log10_lr": log10, "markers_compared": self.markers_compared}
        if self.systems is not None:
            out["systems"] = {k: {"log10_lr": None if v["log10_lr"] == -math.inf else v["log10_lr"],
                                  "excluded": v["log10_lr"] == -math.inf, "note": v["note"]}
                              for k, v in self.systems.items()}
        return out


def _pair_value(ra, rb, alleles, freqs) -> float:
    """log LR_m for two lists of readings (one sample each)."""
    index = {a: i for i, a in enumerate(alleles)}
    union, w = weight_table(list(ra) + list(rb), lambda x: freqs[index[x]])
    pu = np.array([freqs[index[a]] for a in union])
    full = np.append(pu, max(0.0, 1.0 - float(pu.sum())))
    num = float(full @ w @ full)
    den = hw_probability(list(ra), alleles, freqs) * hw_probability(list(rb), alleles, freqs)
    return math.log(num / den) if num > 0 else -math.inf


def _general_table(readings, alleles, freqs) -> np.ndarray:
    """log LR for every pair of distinct readings, from the drop-out model (any drop-in)."""
    k = len(readings)
    mat = np.zeros((k + 1, k + 1))  # last row/column: untyped (0)
    for i in range(k):
        for j in range(i, k):
            mat[i, j] = mat[j, i] = _pair_value(readings[i], readings[j], alleles, freqs)
    return mat


def _fast_table(readings, alleles, freqs) -> np.ndarray:
    """The same without drop-in, vectorised. A reading of two alleles then pins the genotype (its
    drop-out factor cancels in the LR); a reading of one allele ``a`` with drop-out ``d`` says
    ``P({a} | aa) = 1 − d²``, ``P({a} | ax) = d(1 − d)``, 0 otherwise. So, with ``P_a`` the
    reading's own probability: genotype × genotype ``[equal]/P(g)``; one allele × genotype
    ``P({a} | g)/P_a``; one allele × one allele: ``a = b``: ``(p_a²(1−d₁²)(1−d₂²) + 2p_a(1−p_a)
    d₁(1−d₁)d₂(1−d₂)) / (P_a P_b)``, ``a ≠ b``: ``2 p_a p_b d₁(1−d₁) d₂(1−d₂) / (P_a P_b)``.
    """
    index = {a: i for i, a in enumerate(alleles)}
    k = len(readings)
    single = np.zeros(k, dtype=bool)
    x = np.zeros(k, dtype=np.int64)
    y = np.zeros(k, dtype=np.int64)
    d = np.zeros(k)
    for i, rs in enumerate(readings):
        r = rs[0]
        if len(rs) == 1 and len(r.alleles) == 1 and r.dropout > 0:
            single[i] = True
            x[i] = y[i] = index[r.alleles[0]]
            d[i] = r.dropout
        elif len(rs) == 1:
            x[i], y[i] = index[r.alleles[0]], index[r.alleles[-1]]
        else:  # several readings of one sample (not produced here): the general formula
            return _general_table(readings, alleles, freqs)
    p = freqs
    hw = np.where(x == y, p[x] ** 2, 2 * p[x] * p[y])
    own = np.where(single, (1 - d ** 2) * p[x] ** 2 + 2 * d * (1 - d) * p[x] * (1 - p[x]), hw)
    with np.errstate(divide="ignore"):
        out = np.full((k + 1, k + 1), 0.0)
        same = (x[:, None] == x[None, :]) & (y[:, None] == y[None, :])
        g = ~single
        gg = np.where(same, 1.0 / hw[None, :], 0.0)  # genotype × genotype
        a = x[:, None]
        carries = (a == x[None, :]) | (a == y[None, :])
        homo_a = (x[None, :] == y[None, :]) & (x[None, :] == a)
        sg = np.where(homo_a, 1 - d[:, None] ** 2, np.where(carries, d[:, None] * (1 - d[:, None]), 0.0)) / own[:, None]
        e = d * (1 - d)
        eq = (x[:, None] == x[None, :])
        ss = np.where(eq, p[x][:, None] ** 2 * (1 - d[:, None] ** 2) * (1 - d[None, :] ** 2)
                      + 2 * p[x][:, None] * (1 - p[x][:, None]) * e[:, None] * e[None, :],
                      2 * p[x][:, None] * p[x][None, :] * e[:, None] * e[None, :]) / (own[:, None] * own[None, :])
        body = np.where(g[:, None] & g[None, :], gg,
                        np.where(single[:, None] & g[None, :], sg,
                                 np.where(g[:, None] & single[None, :], sg.T, ss)))
        out[:k, :k] = np.log(body)
    return out


def pm_match(profiles: Profiles, table: FrequencyTable, samples: list[str], *,
             degradation: Degradation | None = None, min_lr: float = 1e6, progress=None) -> list[DuplicatePair]:
    """Every pair of ``samples`` with LR ≥ ``min_lr`` (best first)."""
    profiles.check_against(table, samples=samples)
    n = len(samples)
    markers = [m for m in table.markers if any(m in profiles.genotypes[s] for s in samples)]
    keys = np.zeros((len(markers), n), dtype=np.int64)
    tables = []
    typed = np.zeros((len(markers), n), dtype=bool)
    for mi, marker in enumerate(markers):
        alleles, freqs = table.alleles[marker], table.freqs[marker]
        distinct: dict = {}
        for s, sample in enumerate(samples):
            rs = sample_readings(profiles, [sample], marker, degradation)
            if not rs:
                keys[mi, s] = -1
                continue
            typed[mi, s] = True
            keys[mi, s] = distinct.setdefault(tuple(rs), len(distinct))
        k = len(distinct)
        readings = list(distinct)
        if all(r.dropin == 0.0 for rs in readings for r in rs):
            mat = _fast_table(readings, alleles, freqs)
        else:
            mat = _general_table(readings, alleles, freqs)
        keys[mi, keys[mi] < 0] = k
        tables.append(mat)
    out: list[DuplicatePair] = []
    log_min = math.log(min_lr) if min_lr > 0 else -math.inf
    # Screen on the most excluding markers first: a pair excluded at any marker (LR 0) cannot
    # reach a positive threshold, so only the pairs that survive the screen are scored on the
    # rest — the same result as scoring everything, without 10^8 × markers look-ups.
    screen = sorted(range(len(markers)), key=lambda mi: -_exclusion_share(tables[mi], keys[mi]))[:SCREEN]
    rest = [mi for mi in range(len(markers)) if mi not in screen]
    for start in range(0, n, BLOCK):
        rows = np.arange(start, min(start + BLOCK, n))
        acc = np.zeros((len(rows), n))
        for mi in (screen if log_min > -math.inf else range(len(markers))):
            acc += tables[mi][keys[mi, rows][:, None], keys[mi][None, :]]
        upper = np.arange(n)[None, :] > rows[:, None]
        ii, jj = np.nonzero((np.isfinite(acc) | (log_min == -math.inf)) & upper)
        vals = acc[ii, jj]
        if log_min > -math.inf:
            for mi in rest:
                vals = vals + tables[mi][keys[mi, rows[ii]], keys[mi, jj]]
        comp = typed[:, rows[ii]] & typed[:, jj]
        counts = comp.sum(axis=0)
        for k in np.nonzero(vals >= log_min)[0]:
            out.append(DuplicatePair(samples[int(rows[ii[k]])], samples[int(jj[k])], float(vals[k]), int(counts[k])))
        if progress:
            progress("samples", int(rows[-1]) + 1, n)
    out.sort(key=lambda p: (-p.log_lr, p.sample_a, p.sample_b))
    return out


def _exclusion_share(table: np.ndarray, keys: np.ndarray) -> float:
    """The share of pairs of readings this marker excludes (LR 0), weighted by how often each
    reading occurs: the best markers to screen on."""
    counts = np.bincount(keys, minlength=table.shape[0]).astype(float)
    counts[-1] = 0.0  # untyped: excludes nothing
    w = counts / max(counts.sum(), 1.0)
    return float(w @ np.isneginf(table) @ w)


def same_individual_groups(pairs: list[DuplicatePair]) -> list[list[str]]:
    """Connected components of the matched pairs: proposed same-individual groups (sorted)."""
    return connected_components((p.sample_a, p.sample_b) for p in pairs)
