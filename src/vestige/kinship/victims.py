"""Victims related to each other, before any reference arrives (issue 27, part 3): every pair of
remains tested as parent–child and as full siblings against unrelated, and the pairs above a
threshold grouped into probable families (connected components).

Per marker, for two unordered genotypes, the IBD-state weights ``P(G | IBD = k)`` of
:func:`vestige.kinship.check.pair_weights` (computed for all pairs at once: for IBD 1,
``Σ_s p_s P(g_a | s) P(g_b | s)`` as a matrix product), and
``LR = (1 − μ) (κ · w) / w₀ + μ`` with κ = (0, 1, 0) for parent–child and (¼, ½, ¼) for full
siblings: with probability μ (mutation or genotyping error, 0.002 by default) a marker behaves as
if unrelated, so one discordant marker lowers the LR instead of excluding the pair. Markers where
either has fewer than two alleles are left out. Half-siblings, uncles and grandparents (κ₁ = ½)
are not tested: 21 STRs cannot tell them from unrelated persons reliably.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vestige.kinship.graphs import connected_components
from vestige.kinship.io import FrequencyTable, Profiles

__all__ = ["VictimPair", "related_victims", "victim_groups"]

KAPPAS = {"parent-child": (0.0, 1.0, 0.0), "full siblings": (0.25, 0.5, 0.25)}


@dataclass(frozen=True)
class VictimPair:
    a: str
    b: str
    relationship: str
    log10_lr: float
    markers: int

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "relationship": self.relationship, "log10_lr": round(self.log10_lr, 3),
                "markers": self.markers}


def _codes(profiles: Profiles, samples: list[str], table: FrequencyTable, marker: str) -> np.ndarray:
    idx = table.index(marker)
    out = np.full((len(samples), 2), -1, dtype=np.int64)
    for i, s in enumerate(samples):
        g = profiles.genotypes.get(s, {}).get(marker)
        if g is None or g[1] is None or g[0] not in idx or g[1] not in idx:
            continue
        out[i] = (idx[g[0]], idx[g[1]])
    return out


def related_victims(profiles: Profiles, table: FrequencyTable, samples: list[str], *, min_lr: float = 1e4,
                    mutation: float = 0.002) -> list[VictimPair]:
    """The pairs of ``samples`` whose parent–child or full-sibling LR reaches ``min_lr`` (the better
    of the two named), strongest first."""
    n = len(samples)
    logs = {name: np.zeros((n, n)) for name in KAPPAS}
    counted = np.zeros((n, n), dtype=np.int64)
    for marker in table.markers:
        g = _codes(profiles, samples, table, marker)
        ok = g[:, 0] >= 0
        if ok.sum() < 2:
            continue
        p = table.freqs[marker] / table.freqs[marker].sum()
        a_ = len(p)
        x, y = np.where(ok, g[:, 0], 0), np.where(ok, g[:, 1], 0)
        hw = np.where(x == y, p[x] ** 2, 2 * p[x] * p[y])
        given = np.zeros((n, a_))  # P(genotype | one allele is s), per sample and allele s
        rows = np.arange(n)
        given[rows, x] += p[y]
        given[rows, y] += np.where(x == y, 0.0, p[x])
        w0 = np.outer(hw, hw)
        w1 = (given * p) @ given.T
        same = (x[:, None] == x[None, :]) & (y[:, None] == y[None, :]) | (x[:, None] == y[None, :]) & (y[:, None] == x[None, :])
        w2 = np.where(same, hw[:, None], 0.0)
        both = ok[:, None] & ok[None, :]
        counted += both
        for name, (k0, k1, k2) in KAPPAS.items():
            lr = (1 - mutation) * (k0 * w0 + k1 * w1 + k2 * w2) / np.where(w0 > 0, w0, 1.0) + mutation
            logs[name] += np.where(both, np.log10(lr), 0.0)
    out = []
    threshold = math.log10(min_lr)
    iu = np.triu_indices(n, 1)
    for i, j in zip(*iu, strict=True):
        best = max(KAPPAS, key=lambda k: logs[k][i, j])
        v = float(logs[best][i, j])
        if v >= threshold:
            out.append(VictimPair(samples[i], samples[j], best, v, int(counted[i, j])))
    out.sort(key=lambda p: (-p.log10_lr, p.a, p.b))
    return out


def victim_groups(pairs: list[VictimPair]) -> list[list[str]]:
    """The probable families: connected components of the related pairs, largest first."""
    return sorted(connected_components((p.a, p.b) for p in pairs), key=lambda g: (-len(g), g))
