"""Simulated SNP genotypes of a pedigree: founders' haplotypes drawn from the panel's frequencies
(linkage equilibrium), each meiosis a gamete with crossovers Poisson along each chromosome's
genetic length (Haldane: no interference), genotyping errors and no-calls as asked. For tests,
benchmarks and planning — synthetic people only."""

from __future__ import annotations

import numpy as np

from vestige.kinship.pedigree import Family
from vestige.kinship.snp.panel import Panel

__all__ = ["simulate_haplotypes", "genotypes", "damage", "synthetic_panel", "panel_table", "vcf_text"]

# deCODE 2019 sex-averaged chromosome lengths (cM), as the distant-references grave uses them
LENGTHS = [284, 262, 222, 208, 202, 191, 182, 167, 165, 173, 159, 172, 125, 117, 132, 130, 137, 130, 108, 108, 63, 72]


def synthetic_panel(n_snps: int, rng: np.random.Generator, *, maf: tuple[float, float] = (0.2, 0.5)) -> Panel:
    """``n_snps`` SNPs spread evenly over chromosomes 1–22 in proportion to their genetic length,
    alleles A/G, alternative-allele frequencies uniform in ``maf`` (no real SNP's name or position)."""
    per = np.round(np.array(LENGTHS) / sum(LENGTHS) * n_snps).astype(int)
    per[-1] += n_snps - per.sum()
    chrom = np.repeat(np.arange(1, 23), per)
    cm = np.concatenate([np.linspace(0.5, length - 0.5, k) for length, k in zip(LENGTHS, per, strict=True)])
    pos = np.concatenate([np.arange(1, k + 1) * 10_000 for k in per])
    return Panel([f"synth{i:05d}" for i in range(n_snps)], chrom, pos, np.round(cm, 4), ["A"] * n_snps,
                 ["G"] * n_snps, np.round(rng.uniform(*maf, n_snps), 4))


def panel_table(panel: Panel) -> str:
    rows = ["id\tchrom\tpos\tcM\tref\talt\talt_freq"]
    rows += [f"{i}\t{c}\t{p}\t{m:.4f}\t{r}\t{a}\t{f:.4f}" for i, c, p, m, r, a, f in
             zip(panel.ids, panel.chrom, panel.pos, panel.cm, panel.ref, panel.alt, panel.freq, strict=True)]
    return "\n".join(rows) + "\n"


def vcf_text(panel: Panel, samples: list[str], calls: np.ndarray, *, source: str = "vestige-simulate") -> str:
    """A VCF 4.2 of ``calls`` (samples x SNPs, -1 no-call), GT only."""
    gt = np.array(["0/0", "0/1", "1/1", "./."])
    lines = ["##fileformat=VCFv4.2", f"##source={source}", "##reference=synthetic (positions simulated)"]
    lines += [f"##contig=<ID={c}>" for c in range(1, 23)]
    lines += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
              "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples])]
    codes = np.where(calls < 0, 3, calls)
    for t in range(len(panel)):
        lines.append("\t".join([str(panel.chrom[t]), str(panel.pos[t]), panel.ids[t], panel.ref[t], panel.alt[t], ".",
                                "PASS", ".", "GT", *gt[codes[:, t]]]))
    return "\n".join(lines) + "\n"


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
