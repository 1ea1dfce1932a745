"""How often is a threshold wrong for this family? Inclusion power and false-positive rate by
simulation (forrel's ``missingPersonIP``; the ISFG 2026 course's IP at 10,000).

For the missing person of a family with its references as typed, per marker, the predictive
distribution of the missing person's genotype ``P(x | data)`` (the pedigree eliminated with the
mutation model, as :mod:`vestige.kinship.plan` computes it) and the LR of each genotype,
``P(x | data) / P_HW(x)`` — the LR the search gives a sample with that genotype. Draws of the
missing person's genotypes (markers independent) give:

- **inclusion power** ``IP(t) = P(LR ≥ t | the remains are the missing person)``, with its Monte
  Carlo standard error ``√(IP(1 − IP)/n)``;
- **false-positive rate** ``FPR(t) = P(LR ≥ t | an unrelated person)``, estimated from the same
  draws by importance sampling — ``E[1{LR ≥ t} / LR | related]``, since the unrelated distribution
  is the related one reweighted by 1/LR — so rates of 10⁻⁹ are estimated precisely, with the
  sample standard error; Markov's inequality bounds it by 1/t whatever the family.

A seed makes the figures reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.lr import check_missing
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.pedigree import Family
from vestige.kinship.plan import hw_genotype_probabilities, joint_genotype_probabilities
from vestige.kinship.readings import family_readings

__all__ = ["ErrorRates", "error_rates"]


@dataclass
class ErrorRates:
    family: str
    missing: str
    simulations: int
    seed: int
    rates: list[dict] = field(default_factory=list)  # per threshold
    markers: int = 0

    def as_dict(self) -> dict:
        return {"family": self.family, "missing": self.missing, "simulations": self.simulations, "seed": self.seed,
                "markers": self.markers, "thresholds": self.rates}


def error_rates(family: Family, profiles: Profiles, table: FrequencyTable, *, missing: str | None = None,
                markers: list[str] | None = None, mutation: MutationModel | None = None,
                thresholds: tuple[float, ...] = (1e4, 1e6), nsim: int = 10_000, seed: int = 1,
                degradation: Degradation | None = None) -> ErrorRates:
    """Inclusion power and false-positive rate at each threshold (see the module's docstring)."""
    mutation = mutation or MutationModel()
    missing = check_missing(family, missing)
    profiles.check_against(table, samples=[m.sample for m in family.typed])
    markers = markers or list(table.markers)
    rng = np.random.default_rng(seed)
    log_lr = np.zeros(nsim)
    used = 0
    for marker in markers:
        refs = family_readings(family, profiles, marker, degradation)
        joint = joint_genotype_probabilities(family, [missing], refs, table, marker, mutation)
        total = joint.sum()
        if total <= 0:
            continue
        post = joint / total
        hw = hw_genotype_probabilities(table.freqs[marker] / table.freqs[marker].sum())
        with np.errstate(divide="ignore"):
            lr = np.where(post > 0, np.log(post) - np.log(hw), -np.inf)
        draws = rng.choice(len(post), size=nsim, p=post)
        log_lr += lr[draws]
        used += 1
    out = ErrorRates(family.name, missing, nsim, seed, markers=used)
    for t in thresholds:
        hit = log_lr >= math.log(t)
        ip = float(hit.mean())
        w = np.where(hit, np.exp(-log_lr), 0.0)
        fpr = float(w.mean())
        out.rates.append({"threshold": t, "inclusion_power": ip, "inclusion_power_se": math.sqrt(ip * (1 - ip) / nsim),
                          "false_positive_rate": fpr, "false_positive_rate_se": float(w.std() / math.sqrt(nsim)),
                          "markov_bound": 1.0 / t})
    return out
