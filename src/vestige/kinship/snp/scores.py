"""The SNP system: the multipoint LR that a sample is a family's missing person.

``LR = P(refs, sample | sample is the missing person) / (P(refs) · P(sample))``, each term by the
Lander–Green forward algorithm of :mod:`vestige.kinship.snp.multipoint` over the family's
pedigree (the references' joint likelihood uses the same chain with the missing person untyped),
the sample's by Hardy–Weinberg with the same error model. Natural logs inside, log10 outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.pedigree import Family
from vestige.kinship.snp.multipoint import (
    MAX_BITS,
    InheritanceSpace,
    emissions,
    genotype_error_matrix,
    inheritance_space,
    log_likelihoods,
)
from vestige.kinship.snp.vcf import SnpGenotypes

__all__ = ["SnpModel", "SnpTarget", "snp_target", "sample_log_marginals", "identity_log10_lr", "MIN_CALLS"]

MIN_CALLS = 200  # a sample with fewer called SNPs is not compared (its LR would say little, and says so)
REFERENCE_ERROR = 0.001
REMAINS_ERROR = 0.005


@dataclass
class SnpModel:
    """Genotypes, map function and error rates of a SNP comparison."""

    genotypes: SnpGenotypes
    map_function: str = "haldane"
    reference_error: float = REFERENCE_ERROR
    remains_error: float = REMAINS_ERROR
    errors: dict[str, float] = field(default_factory=dict)  # per sample, overriding the two defaults
    max_bits: int = MAX_BITS
    min_calls: int = MIN_CALLS
    _r: np.ndarray | None = field(default=None, init=False, repr=False)
    _marginal: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for name, e in (("reference error rate", self.reference_error), ("remains error rate", self.remains_error),
                        *((f"error rate of {s}", v) for s, v in self.errors.items())):
            if not 0.0 <= e < 0.5:
                raise KinshipInputError("SNP", f"{name} {e} is not in [0, 0.5)")

    @property
    def freq(self) -> np.ndarray:
        return self.genotypes.panel.freq

    @property
    def r(self) -> np.ndarray:
        if self._r is None:
            self._r = self.genotypes.panel.recombination(self.map_function)
        return self._r

    def error(self, sample: str, reference: bool) -> float:
        return self.errors.get(sample, self.reference_error if reference else self.remains_error)

    def calls(self, sample: str) -> np.ndarray:
        return self.genotypes.of(sample)

    def log_marginal(self, samples: list[str]) -> np.ndarray:
        """ln P(calls) of each sample as an unrelated person (remains' error rate), cached."""
        todo = [s for s in dict.fromkeys(samples) if s not in self._marginal]
        if todo:
            obs = np.stack([self.calls(s) for s in todo])
            vals = sample_log_marginals(obs, np.array([self.error(s, False) for s in todo]), self.freq)
            self._marginal.update(zip(todo, vals.tolist(), strict=True))
        return np.array([self._marginal[s] for s in samples])

    def enough(self, sample: str) -> bool:
        return sample in self.genotypes and int((self.calls(sample) >= 0).sum()) >= self.min_calls


@dataclass
class SnpTarget:
    """A missing person's SNP comparison, prepared once for many samples."""

    family: Family
    missing: str
    references: list[str]  # the SNP-typed references' sample names
    space: InheritanceSpace
    emit: np.ndarray
    log_refs: float  # ln P(references' calls)

    def log_lrs(self, model: SnpModel, samples: list[str]) -> np.ndarray:
        """Natural-log LR of each sample (nan where the sample has too few calls)."""
        out = np.full(len(samples), np.nan)
        ok = [i for i, s in enumerate(samples) if model.enough(s)]
        if not ok:
            return out
        obs = np.stack([model.calls(samples[i]) for i in ok])
        eps = np.array([model.error(samples[i], False) for i in ok])
        joint = log_likelihoods(self.space, self.emit, model.r, obs, eps)
        out[ok] = joint - self.log_refs - model.log_marginal([samples[i] for i in ok])
        return out


def sample_log_marginals(obs: np.ndarray, eps: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """ln P(calls) of unrelated persons (Hardy–Weinberg, with each one's error rate): (len(obs),)."""
    hw = np.stack([(1 - freq) ** 2, 2 * freq * (1 - freq), freq ** 2])  # (3, M)
    out = np.empty(len(obs))
    for i, (o, e) in enumerate(zip(obs, eps, strict=True)):
        err = genotype_error_matrix(o, float(e))
        out[i] = float(np.log((err * hw).sum(axis=0)).sum())
    return out


def snp_target(family: Family, missing: str, model: SnpModel) -> SnpTarget | None:
    """The prepared comparison for ``missing`` of ``family``; None when no member is SNP-typed."""
    refs = [m for m in family.typed if m.id != missing and m.sample and model.enough(m.sample)]
    if not refs:
        return None
    space = inheritance_space(family, [m.id for m in refs] + [missing], max_bits=model.max_bits)
    mats = [genotype_error_matrix(model.calls(m.sample), model.error(m.sample, True)) for m in refs]
    emit = emissions(space, model.freq, mats)
    none = np.full((1, len(model.freq)), -1, dtype=np.int8)
    log_refs = float(log_likelihoods(space, emit, model.r, none, np.zeros(1))[0])
    if not math.isfinite(log_refs):
        raise KinshipInputError(family.source or family.name, "the references' SNP genotypes are impossible in "
                                "this pedigree even with genotyping errors (a wrong relationship or sample?)")
    return SnpTarget(family, missing, [m.sample for m in refs], space, emit, log_refs)


def identity_log10_lr(model: SnpModel, a: str, b: str) -> tuple[float, int, int]:
    """(log10 LR, SNPs compared, SNPs discordant) that samples ``a`` and ``b`` are one person rather
    than unrelated: per SNP called in both, ``Σ_g P(g) P(a's call | g) P(b's call | g)`` over
    ``P(a's call) P(b's call)``, with each sample's error rate, multiplied over the SNPs (one person:
    no meiosis between the samples, so linkage plays no part; the SNPs are in equilibrium)."""
    ga, gb = model.calls(a), model.calls(b)
    both = (ga >= 0) & (gb >= 0)
    p = model.freq[both]
    hw = np.stack([(1 - p) ** 2, 2 * p * (1 - p), p ** 2])  # (3, n)
    ea = genotype_error_matrix(ga[both], model.error(a, False))
    eb = genotype_error_matrix(gb[both], model.error(b, False))
    same = (hw * ea * eb).sum(axis=0)
    apart = (hw * ea).sum(axis=0) * (hw * eb).sum(axis=0)
    return float(np.log10(same).sum() - np.log10(apart).sum()), int(both.sum()), int((ga[both] != gb[both]).sum())
