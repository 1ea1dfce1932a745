"""Planning with lineage markers: what typing a relative on the missing person's paternal line
(Y-STRs) or maternal line (mtDNA) would add.

For each living, untyped member of the line, ``n`` meioses from the missing person:

- **Exclusion power** (no mutation, as :mod:`vestige.kinship.plan` defines it): the probability
  that an unrelated person's haplotype differs from the relative's, ``1 − Σ_h p_h²``, estimated
  from the population database without bias as ``1 − Σ_h x_h (x_h − 1) / (N (N − 1))`` (``x_h``:
  database haplotypes identical to ``h`` over the loci, or the sequence range, compared).
- **Expected log10 LR** when the remains truly are the missing person: Monte Carlo with a stated
  seed. Each draw takes the relative's haplotype from the database at random, passes it down the
  ``n`` meioses with the mutation model (Y: each locus steps ±1 with its rate per meiosis, one copy
  of a two-copy locus; mtDNA: a substitution at a position drawn by the sites' weights, with the
  control region's rate), and scores the result with the engine the search uses; the mean and its
  standard error are reported. The relative's haplotype is counted in the database it was drawn
  from, so the figure is slightly conservative.

X-STRs are not planned here (their power depends on the whole pedigree's X transmission; `kinship
lr` with a simulated profile answers it for one relative).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.lines import line_tree
from vestige.kinship.mtdna import MtHaplotype, MtProfiles
from vestige.kinship.pedigree import Family
from vestige.kinship.ystr import YHaplotypes, is_multi

__all__ = ["LineagePlan", "lineage_plan"]

REL, SIM = "__plan_relative_", "__plan_remains_"


@dataclass
class LineagePlan:
    system: str
    relative: str  # member id
    meioses: int
    exclusion_power: float
    expected_log10_lr: float
    standard_error: float
    simulations: int
    typed: bool = False  # the relative is typed already: the figure of the data in hand

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _match_ep(keys: list) -> float:
    counts = Counter(keys)
    n = len(keys)
    if n < 2:
        return float("nan")
    return 1.0 - sum(x * (x - 1) for x in counts.values()) / (n * (n - 1))


def _line_members(family: Family, missing: str, system: str, typed: set[str]) -> list[tuple[str, int, bool]]:
    tree = line_tree(family, missing, system, {m.id for m in family.members if m.id != missing})
    out = []
    for member in tree.typed:
        m = family.by_id[member]
        if m.missing or (m.deceased and member not in typed):
            continue
        out.append((member, tree.distance[member], member in typed))
    return out


def _with_sample(family: Family, member: str, sample: str) -> Family:
    return Family(family.name, [dataclasses.replace(m, sample=sample) if m.id == member else
                                dataclasses.replace(m, sample=None) for m in family.members], family.source)


def _scores(family: Family, missing: str, member: str, draws: list, system: str, lineage: Lineage) -> list[float]:
    """The natural log LR of each draw's remains against the line with the relative typed: every
    draw a copy of the family (its relative's sample named apart), scored in one pass."""
    targets = [(_with_sample(family, member, f"{REL}{k}"), missing) for k in range(len(draws))]
    samples = [f"{SIM}{k}" for k in range(len(draws))]
    haps = {f"{REL}{k}": rel for k, (rel, _sim) in enumerate(draws)} | {f"{SIM}{k}": sim for k, (_rel, sim) in
                                                                       enumerate(draws)}
    if system == "y":
        lin = Lineage(y=YHaplotypes(haps), y_model=lineage.y_model, y_freq=lineage.y_freq)
    else:
        lin = Lineage(mt=MtProfiles(haps), mt_model=lineage.mt_model, mt_db=lineage.mt_db)
    block = LineageScores(lin, targets, samples).block(np.arange(len(draws)), (system,))
    return [float(block[k, k]) for k in range(len(draws))]


def _y_step(hap: dict, rates: dict[str, float], n: int, rng: np.random.Generator) -> dict:
    out = dict(hap)
    for _ in range(n):
        for locus, vals in out.items():
            mu = rates.get(locus, 0.0)
            if not vals or rng.random() >= mu or not all(isinstance(v, (int, float)) for v in vals):
                continue
            step = 1 if rng.random() < 0.5 else -1
            if is_multi(locus) and len(vals) == 2:
                k = int(rng.integers(2))
                new = list(vals)
                new[k] += step
                out[locus] = tuple(sorted(new))
            else:
                out[locus] = (vals[0] + step,) + tuple(vals[1:])
    return out


def _mt_step(hap: MtHaplotype, rate: float, n: int, sites: np.ndarray, weights: np.ndarray,
             rng: np.random.Generator) -> MtHaplotype:
    variants = dict(hap.variants)
    for _ in range(n):
        if rng.random() >= rate:
            continue
        pos = int(rng.choice(sites, p=weights))
        if not hap.covers(pos):
            continue
        if (pos, 0) in variants:
            variants.pop((pos, 0))  # back to the rCRS base
        else:
            variants[(pos, 0)] = "A"  # a difference from the relative at this site (which base does not matter)
    return MtHaplotype(hap.ranges, variants, dict(hap.heteroplasmy), hap.ignored)


def lineage_plan(family: Family, missing: str, lineage: Lineage, *, simulations: int = 400,
                 seed: int = 1) -> tuple[list[LineagePlan], list[str]]:
    """(the candidates, best expected LR first; notes) for the systems ``lineage`` has a database of."""
    rng = np.random.default_rng(seed)
    out: list[LineagePlan] = []
    notes: list[str] = []
    if lineage.y_freq is not None and lineage.y_model is not None:
        if family.by_id[missing].sex != "male":
            notes.append(f"Y-STRs: {missing} is not recorded male; no paternal line to type")
        else:
            rows = [r for r in lineage.y_freq.rows if r]
            loci = sorted(lineage.y_model.rates)
            ep = _match_ep([tuple(r.get(loc) for loc in loci) for r in rows])
            typed = {m.id for m in family.typed if lineage.y is not None and m.sample in lineage.y.haplotypes}
            for member, n, is_typed in _line_members(family, missing, "y", typed):
                vals = []
                for _ in range(simulations):  # one relative per draw: a family each, scored together
                    hap = rows[int(rng.integers(len(rows)))]
                    sim = _y_step(hap, lineage.y_model.rates, n, rng)
                    vals.append((hap, sim))
                out.append(_figure("y", member, n, ep, _scores(family, missing, member, vals, "y", lineage), is_typed))
            if not out:
                notes.append(f"Y-STRs: no living member on {missing}'s paternal line in the pedigree")
    if lineage.mt_db is not None and lineage.mt_model is not None:
        db = lineage.mt_db.haplotypes
        ep = _match_ep([(h.ranges, tuple(sorted(h.variants.items())), tuple(sorted(h.heteroplasmy.items())))
                        for h in db])
        model = lineage.mt_model
        sites = np.array(sorted({p for h in db for a, b in h.ranges for p in range(a, b + 1)}), dtype=np.int64)
        w = np.array([model.weights.get(int(p), 1.0) for p in sites], dtype=np.float64)
        w = w / w.sum()
        typed = {m.id for m in family.typed if lineage.mt is not None and m.sample in lineage.mt.haplotypes}
        before = len(out)
        for member, n, is_typed in _line_members(family, missing, "mt", typed):
            vals = []
            for _ in range(simulations):
                hap = db[int(rng.integers(len(db)))]
                vals.append((hap, _mt_step(hap, model.rate, n, sites, w, rng)))
            out.append(_figure("mt", member, n, ep, _scores(family, missing, member, vals, "mt", lineage), is_typed))
        if len(out) == before:
            notes.append(f"mtDNA: no living member on {missing}'s maternal line in the pedigree")
    if lineage.x is not None:
        notes.append("X-STRs are not planned here: `kinship lr` with a simulated profile answers it for one relative")
    out.sort(key=lambda c: (-c.expected_log10_lr, c.meioses, c.system, c.relative))
    return out, notes


def _figure(system: str, member: str, n: int, ep: float, vals: list[float], typed: bool) -> LineagePlan:
    x = np.array(vals) / math.log(10)
    se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else float("nan")
    return LineagePlan(system, member, n, ep, float(x.mean()), se, len(x), typed)
