"""Planning with a SNP panel: what typing a named relative with the panel would add.

For each living member of the family who is not yet SNP-typed (or the ones asked for), Monte Carlo
with a stated seed: the whole pedigree's haplotypes are simulated (:mod:`vestige.kinship.snp.simulate`,
crossovers on the panel's map), the relative typed together with the references already typed,
and the exact multipoint LR (the one the search uses) computed for the true missing person and for
an unrelated person. Reported: the median log10 LR of the true one, the share of draws reaching
10^4 and 10^6 (what a posterior of 99.95 % needs among a few hundred candidates), and the share of
unrelated persons with LR < 1 (the panel's power to set a wrong body aside).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.pedigree import Family, Member
from vestige.kinship.snp.scores import SnpModel, snp_target
from vestige.kinship.snp.simulate import damage, genotypes, simulate_haplotypes
from vestige.kinship.snp.vcf import SnpGenotypes

__all__ = ["SnpPlan", "snp_plan"]

REL, SIM, OTHER = "__snp_plan_relative_", "__snp_plan_remains", "__snp_plan_unrelated"


@dataclass
class SnpPlan:
    relative: str  # member id
    meioses: int  # free meioses of the exact likelihood with this relative typed
    median_log10_lr: float
    p_lr_1e4: float
    p_lr_1e6: float
    unrelated_below_1: float
    simulations: int
    typed: bool = False

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def snp_plan(family: Family, missing: str, model: SnpModel, *, candidates: list[str] | None = None,
             simulations: int = 50, seed: int = 1, remains_no_call: float = 0.05,
             remains_error: float = 0.002) -> list[SnpPlan]:
    """One :class:`SnpPlan` per candidate relative (see the module's docstring)."""
    if simulations < 2:
        raise KinshipInputError("simulations", f"{simulations}: at least 2")
    panel = model.genotypes.panel
    if np.isnan(panel.freq).any():
        raise KinshipInputError(panel.source, "planning needs the panel's allele frequencies (alt_freq)")
    typed = [m.id for m in family.typed if m.id != missing and m.sample and m.sample in model.genotypes]
    if candidates is None:
        candidates = [m.id for m in family.members
                      if m.id != missing and not m.missing and not m.deceased and m.id not in typed]
    unknown = [c for c in candidates if c not in family.by_id]
    if unknown:
        raise KinshipInputError(family.source or family.name, f"no member {', '.join(unknown)}")
    rng = np.random.default_rng(seed)
    out = []
    for cand in candidates:
        who = sorted(set(typed) | {cand})
        members = [dataclasses.replace(m, sample=(REL + m.id) if m.id in who else None, missing=m.id == missing)
                   for m in family.members]
        fam = Family(family.name, members, family.source, require_missing=False)
        true_lr, other_lr, bits = [], [], 0
        for _ in range(simulations):
            haps = simulate_haplotypes(family, panel, rng)
            calls = genotypes(haps, who)
            mp = damage(genotypes(haps, [missing]), rng, no_call=remains_no_call, error=remains_error)[0]
            founder = Family("x", [Member("U", "male")], require_missing=False)
            other = damage(genotypes(simulate_haplotypes(founder, panel, rng), ["U"]), rng,
                           no_call=remains_no_call, error=remains_error)[0]
            names = [REL + w for w in who] + [SIM, OTHER]
            sim = SnpModel(SnpGenotypes(panel, names, np.vstack([calls, mp[None], other[None]])),
                           model.map_function, reference_error=model.reference_error,
                           remains_error=max(remains_error, model.remains_error), max_bits=model.max_bits, min_calls=1)
            target = snp_target(fam, missing, sim)
            bits = target.space.n_bits
            v = target.log_lrs(sim, [SIM, OTHER]) / math.log(10)
            true_lr.append(v[0])
            other_lr.append(v[1])
        t = np.array(true_lr)
        o = np.array(other_lr)
        out.append(SnpPlan(cand, bits, float(np.median(t)), float((t >= 4).mean()), float((t >= 6).mean()),
                           float((o < 0).mean()), simulations, cand in typed))
    return out
