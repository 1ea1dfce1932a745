"""Simulated SNP genotypes of a pedigree: founders' haplotypes drawn from the panel's frequencies
(linkage equilibrium), each meiosis a gamete with crossovers Poisson along each chromosome's
genetic length (Haldane: no interference), genotyping errors and no-calls as asked. For tests,
benchmarks and planning — synthetic people only."""

from __future__ import annotations

import numpy as np

from vestige.kinship.pedigree import Family
from vestige.kinship.snp.panel import Panel

__all__ = ["simulate_haplotypes", "genotypes", "damage"]


def _gamete(pat: np.ndarray, mat: np.ndarray, panel: Panel, rng: np.random.Generator) -> np.ndarray:
    out = np.empty_like(pat)
    for c in np.unique(panel.chrom):
        idx = np.flatnonzero(panel.chrom == c)
        cm = panel.cm[idx]
        length = (cm[-1] - cm[0]) / 100.0
        cuts = np.sort(rng.uniform(cm[0], cm[-1], rng.poisson(length))) if length > 0 else np.zeros(0)
        side = (np.searchsorted(cuts, cm, side="right") + rng.integers(0, 2)) % 2
        out[idx] = np.where(side == 0, pat[idx], mat[idx])
    return out


def simulate_haplotypes(family: Family, panel: Panel, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(paternal, maternal) haplotypes (0 ref, 1 alt) of every member."""
    haps: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for m in family.order:
        mem = family.by_id[m]
        if mem.founder:
            haps[m] = ((rng.random(len(panel)) < panel.freq).astype(np.int8),
                       (rng.random(len(panel)) < panel.freq).astype(np.int8))
        else:
            haps[m] = (_gamete(*haps[mem.father], panel, rng), _gamete(*haps[mem.mother], panel, rng))
    return haps


def genotypes(haps: dict[str, tuple[np.ndarray, np.ndarray]], members: list[str]) -> np.ndarray:
    return np.stack([(haps[m][0] + haps[m][1]).astype(np.int8) for m in members])


def damage(calls: np.ndarray, rng: np.random.Generator, *, no_call: float = 0.0, error: float = 0.0) -> np.ndarray:
    """Calls with a fraction ``no_call`` made -1 and a fraction ``error`` replaced by another genotype."""
    out = calls.copy()
    wrong = rng.random(out.shape) < error
    out[wrong] = ((out[wrong] + rng.integers(1, 3, wrong.sum())) % 3).astype(np.int8)
    out[rng.random(out.shape) < no_call] = -1
    return out
