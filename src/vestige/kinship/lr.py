"""Likelihood ratio for "the sample is missing person X of this family" (H1) against "the
sample is from someone unrelated to the family" (H2), per marker and in total.

    LR_m = P(family data, sample's readings at X) / P(family data, sample as an unrelated person)

Family likelihoods are exact (:mod:`vestige.kinship.likelihood`); other missing persons are
untyped. A sample's readings enter through ``P(readings | true genotype)``
(:mod:`vestige.kinship.observe`): the genotype's indicator for a clean profile, the drop-out /
drop-in model for a degraded one; several samples of one body multiply. Without θ the
denominator is ``P(family data) · P_HW(readings)``. A missing person with a direct reference
(their own earlier sample) is simply typed: then a clean ``LR_m = 1 / P(g)`` when the sample
matches and 0 otherwise. Markers the sample lacks contribute 1. Without mutation or drop-out
an exclusion gives exactly 0.

With ``theta > 0`` every founder allele — of the family and, under H2, of the unrelated sample —
is drawn by the Balding–Nichols formula (:mod:`vestige.kinship.theta`; pedprobr's
``likelihood(theta = )``), so the sample's alleles are conditioned on the family's as NRC II
(1996) recommendation 4.10 asks. For one typed relative this is the textbook
``k0 + k1·P(g | 1 IBD, R, θ)/P(g | R, θ) + k2·[g = R]/P(g | R, θ)``; it holds for any pedigree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import Structure, eliminate
from vestige.kinship.mutation import MutationModel, VirtualSpace, lump
from vestige.kinship.observe import (
    Degradation,
    Reading,
    evidence_matrix,
    hw_probability,
    reading,
)
from vestige.kinship.pedigree import Family
from vestige.kinship.readings import family_readings, sample_readings
from vestige.kinship.theta import bn_alphas, dirichlet_points


@dataclass
class LRResult:
    family: str
    missing: str
    sample: str
    log10_lr: float | None  # None: excluded (LR 0)
    markers: dict[str, float] = field(default_factory=dict)
    markers_compared: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def lr(self) -> float:
        """The LR as a float (``inf`` beyond 1e308: use ``log10_lr``)."""
        return lr_value(self.log10_lr)

    def as_dict(self) -> dict:
        return {"family": self.family, "missing": self.missing, "sample": self.sample,
                "lr": json_lr(self.log10_lr), "log10_lr": self.log10_lr, "markers": self.markers,
                "markers_compared": self.markers_compared}


def lr_value(log10_lr: float | None) -> float:
    if log10_lr is None:
        return 0.0
    return math.inf if log10_lr > 308 else 10.0 ** log10_lr


def json_lr(log10_lr: float | None) -> float | None:
    """The LR for JSON output: a number, 0 for an exclusion, ``None`` when it exceeds a double."""
    if log10_lr is None:
        return 0.0
    return None if log10_lr > 308 else 10.0 ** log10_lr


def structure_of(family: Family, evidence: set[str], keep: str | None = None,
                 extra_founders: int = 0) -> tuple[Structure, dict[str, int]]:
    """The pedigree as a :class:`Structure`; ``extra_founders`` unrelated people are appended."""
    index = {mid: i for i, mid in enumerate(family.order)}
    parents = tuple(
        (index[family.by_id[mid].father], index[family.by_id[mid].mother]) if family.by_id[mid].father else None
        for mid in family.order
    ) + (None,) * extra_founders
    n = len(family.order)
    ev = frozenset(index[m] for m in evidence) | frozenset(range(n, n + extra_founders))
    return Structure(parents, ev, index[keep] if keep is not None else None), index


def allele_labels(space: VirtualSpace) -> list[str | None]:
    labels: list[str | None] = [None] * space.size
    for label, i in space.index.items():
        labels[i] = label
    return labels


def marker_likelihood(family: Family, table: FrequencyTable, marker: str, mutation: MutationModel,
                      readings: dict[str, list[Reading]], *, theta: float = 0.0,
                      unrelated: list[list[Reading]] | None = None) -> float:
    """P(all readings) at one marker, exactly: the family's members' readings, and (under θ) the
    readings of ``unrelated`` people drawn from the same population as the family's founders."""
    alleles, freqs = table.alleles[marker], table.freqs[marker]
    unrelated = unrelated or []
    observed = {a for rs in readings.values() for r in rs for a in r.alleles}
    observed |= {a for rs in unrelated for r in rs for a in r.alleles}
    space = lump(alleles, freqs, observed, mutation.spec(marker, "male"), mutation.spec(marker, "female"))
    index = {a: i for i, a in enumerate(alleles)}

    def freq(label):
        return freqs[index[label]]

    structure, idx = structure_of(family, set(readings), extra_founders=len(unrelated) if theta > 0 else 0)
    labels = allele_labels(space)
    evidence = {idx[m]: evidence_matrix(rs, labels, freq)[None] for m, rs in readings.items()}
    n = len(family.order)
    if theta > 0:
        for k, rs in enumerate(unrelated):
            evidence[n + k] = evidence_matrix(rs, labels, freq)[None]
    prior = space.prior[None]
    if theta > 0:
        founders = sum(1 for i in structure.relevant() if structure.parents[i] is None)
        pts, wts = dirichlet_points(bn_alphas(space.prior, theta), 2 * founders)
        value = float(eliminate(structure, pts, space.male[None], space.female[None], evidence) @ wts)
    else:
        value = float(eliminate(structure, prior, space.male[None], space.female[None], evidence)[0])
        for rs in unrelated:
            value *= hw_probability(rs, alleles, freqs)
    return value


def marker_likelihoods(family: Family, genotypes: dict[str, tuple[str, str]], table: FrequencyTable,
                       marker: str, mutation: MutationModel, clamp: tuple[str, tuple[str, str]] | None = None,
                       ) -> float:
    """P(clean typed genotypes [, clamped person = genotype]) at one marker, exactly."""
    data = {m: [reading(a, b)] for m, (a, b) in genotypes.items()}
    if clamp is not None:
        who, g = clamp
        if who in data and set(data[who][0].alleles) != set(g):
            return 0.0
        data[who] = [reading(*g)]
    return marker_likelihood(family, table, marker, mutation, data)


def hardy_weinberg(freqs: np.ndarray, ia: int, ib: int) -> float:
    return float(freqs[ia] ** 2) if ia == ib else float(2 * freqs[ia] * freqs[ib])


def check_missing(family: Family, missing: str | None) -> str:
    where = family.source or family.name
    if missing is None:
        if len(family.missing) != 1:
            raise KinshipInputError(where, f"the family has {len(family.missing)} missing persons "
                                    f"({', '.join(family.missing)}); say which one")
        missing = family.missing[0]
    if missing not in family.by_id:
        raise KinshipInputError(where, f"no member {missing!r}")
    if not family.by_id[missing].missing:
        raise KinshipInputError(f"{where}, member {missing}", "is not marked missing")
    return missing


def likelihood_ratio(family: Family, missing: str | None, sample: str | list[str], profiles: Profiles,
                     table: FrequencyTable, mutation: MutationModel | None = None,
                     theta: float = 0.0, sample_profiles: Profiles | None = None,
                     degradation: Degradation | None = None) -> LRResult:
    """LR that ``sample`` (in ``sample_profiles``, default ``profiles``) is ``missing`` of ``family``.

    ``sample`` may be a list: several samples of one body, combined as independent readings.
    """
    mutation = mutation or MutationModel()
    where = family.source or family.name
    missing = check_missing(family, missing)
    samples = [sample] if isinstance(sample, str) else list(sample)
    sprof = sample_profiles or profiles
    for s in samples:
        if s not in sprof.genotypes:
            raise KinshipInputError(sprof.source, f"sample {s!r} is not in the profiles")
    if not 0.0 <= theta < 1.0 or math.isnan(theta):
        raise KinshipInputError("theta", f"theta {theta} is not in [0, 1)")
    sprof.check_against(table, samples=samples)
    profiles.check_against(table, samples=[m.sample for m in family.typed])
    result = LRResult(family.name, missing, "+".join(samples), 0.0)
    total = 0.0
    for marker in table.markers:
        srs = sample_readings(sprof, samples, marker, degradation)
        fam_r = family_readings(family, profiles, marker, degradation)
        if not srs:
            result.markers[marker] = 1.0
            continue
        if fam_r:  # without family data the LR is 1 — exactly so only without mutation (a
            result.markers_compared += 1  # mutation model need not keep HW frequencies stationary)
        h1 = dict(fam_r)
        h1[missing] = list(fam_r.get(missing, [])) + srs
        num = marker_likelihood(family, table, marker, mutation, h1, theta=theta)
        if theta > 0:
            den = marker_likelihood(family, table, marker, mutation, fam_r, theta=theta, unrelated=[srs])
        else:
            den = marker_likelihood(family, table, marker, mutation, fam_r)
            if den > 0:
                den *= hw_probability(srs, table.alleles[marker], table.freqs[marker])
        if den == 0.0:
            raise KinshipInputError(
                f"{where}, marker {marker}",
                "the family's reference profiles are inconsistent (likelihood 0 without a "
                "mutation able to explain them); check the profiles or give a mutation model")
        lr_m = num / den
        result.markers[marker] = lr_m
        if lr_m == 0.0:
            total = -math.inf
            if any(len(r.alleles) == 1 and r.dropout == 0.0 for r in srs):
                result.notes.append(
                    f"{marker}: excluded where the sample shows one allele ({srs[0].alleles[0]}); "
                    "that is what allelic drop-out in degraded bone looks like: if the sample is "
                    "degraded, give its drop-out probability (--dropout)")
        elif total > -math.inf:
            total += math.log10(lr_m)
    result.log10_lr = None if total == -math.inf else total
    return result


# --- IBD coefficients (used to describe relationships) ---------------------------------------

def kinship_coefficients(family: Family):
    """Kinship coefficients phi(a, b) (Malécot), memoised, parents-first recursion."""
    order = {mid: i for i, mid in enumerate(family.order)}
    memo: dict[tuple[str, str], float] = {}

    def phi(a: str, b: str) -> float:
        if order[a] < order[b]:
            a, b = b, a
        key = (a, b)
        if key in memo:
            return memo[key]
        ma = family.by_id[a]
        if a == b:
            v = 0.5 if ma.founder else 0.5 * (1 + phi(ma.father, ma.mother))
        elif ma.founder:
            v = 0.0
        else:
            v = 0.5 * (phi(ma.father, b) + phi(ma.mother, b))
        memo[key] = v
        return v

    return phi


def ibd_coefficients(family: Family, a: str, b: str) -> tuple[float, float, float]:
    """(k0, k1, k2) for a non-inbred pair (Thompson 1975): k2 from the parents' kinships."""
    phi = kinship_coefficients(family)
    ma, mb = family.by_id[a], family.by_id[b]
    for m in (ma, mb):
        if not m.founder and phi(m.father, m.mother) > 0:
            raise KinshipInputError(family.source, f"{m.id} is inbred; IBD coefficients are for non-inbred pairs")
    k2 = 0.0
    if not ma.founder and not mb.founder:
        k2 = phi(ma.father, mb.father) * phi(ma.mother, mb.mother) + phi(ma.father, mb.mother) * phi(ma.mother, mb.father)
    k1 = 4 * phi(a, b) - 2 * k2
    return 1.0 - k1 - k2, k1, k2
