"""Likelihood ratio for "the sample is missing person X of this family" (H1) against "the
sample is from someone unrelated to the family" (H2), per marker and in total.

    LR_m = P(family data, X = g) / ( P(family data) · P(g) )

with ``P(g)`` the Hardy–Weinberg genotype probability (``p_a²`` or ``2 p_a p_b``) and the family
likelihoods exact (:mod:`vestige.kinship.likelihood`); other missing persons are untyped.
A missing person with a direct reference (their own earlier sample) is simply typed: then
``LR_m = 1 / P(g)`` when the sample matches it and 0 otherwise. Markers the sample lacks
contribute 1. Without mutation an exclusion gives exactly 0.

With ``theta > 0`` (NRC II, 1996, recommendation 4.10; Balding & Nichols 1994) the family must
be one typed relative and the missing person, related as parent–child, full or half siblings,
grandparent, avuncular or first cousins (any non-inbred pair: the IBD coefficients k0, k1, k2
are computed from the pedigree), and

    LR_m = k0 + k1 · P(g | one allele IBD with R, θ) / P(g | R, θ) + k2 · [g = R] / P(g | R, θ)

where ``P(· | R, θ)`` are Balding–Nichols probabilities given the relative's two alleles seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import Structure, eliminate, genotype_evidence
from vestige.kinship.mutation import MutationModel, lump
from vestige.kinship.pedigree import Family


@dataclass
class LRResult:
    family: str
    missing: str
    sample: str
    lr: float
    markers: dict[str, float] = field(default_factory=dict)
    markers_compared: int = 0

    @property
    def log10_lr(self) -> float | None:
        return None if self.lr == 0 else math.log10(self.lr)

    def as_dict(self) -> dict:
        return {"family": self.family, "missing": self.missing, "sample": self.sample,
                "lr": self.lr, "log10_lr": self.log10_lr, "markers": self.markers,
                "markers_compared": self.markers_compared}


def structure_of(family: Family, evidence: set[str], keep: str | None = None) -> tuple[Structure, dict[str, int]]:
    index = {mid: i for i, mid in enumerate(family.order)}
    parents = tuple(
        (index[family.by_id[mid].father], index[family.by_id[mid].mother]) if family.by_id[mid].father else None
        for mid in family.order
    )
    return Structure(parents, frozenset(index[m] for m in evidence),
                     index[keep] if keep is not None else None), index


def family_genotypes(family: Family, profiles: Profiles, marker: str) -> dict[str, tuple[str, str]]:
    """Typed members' genotypes at ``marker`` (members whose profile lacks the marker are untyped)."""
    out = {}
    for m in family.typed:
        g = profiles.genotypes.get(m.sample)
        if g is None:
            raise KinshipInputError(f"{family.source}, member {m.id}",
                                    f"sample {m.sample!r} is not in the profiles ({profiles.source})")
        if marker in g:
            out[m.id] = g[marker]
    return out


def marker_likelihoods(family: Family, genotypes: dict[str, tuple[str, str]], table: FrequencyTable,
                       marker: str, mutation: MutationModel, clamp: tuple[str, tuple[str, str]] | None = None,
                       ) -> float:
    """P(typed genotypes [, clamped person = genotype]) at one marker, exactly."""
    alleles, freqs = table.alleles[marker], table.freqs[marker]
    observed = {a for g in genotypes.values() for a in g}
    data = dict(genotypes)
    if clamp is not None:
        who, g = clamp
        if who in data and set(data[who]) != set(g):
            return 0.0
        data[who] = g
        observed |= set(g)
    space = lump(alleles, freqs, observed, mutation.spec(marker, "male"), mutation.spec(marker, "female"))
    structure, index = structure_of(family, set(data))
    a = space.size
    evidence = {index[m]: genotype_evidence(1, a, space.index[x], space.index[y]) for m, (x, y) in data.items()}
    value = eliminate(structure, space.prior[None], space.male[None], space.female[None], evidence)
    return float(value[0])


def hardy_weinberg(freqs: np.ndarray, ia: int, ib: int) -> float:
    return float(freqs[ia] ** 2) if ia == ib else float(2 * freqs[ia] * freqs[ib])


def likelihood_ratio(family: Family, missing: str | None, sample: str, profiles: Profiles,
                     table: FrequencyTable, mutation: MutationModel | None = None,
                     theta: float = 0.0, sample_profiles: Profiles | None = None) -> LRResult:
    """LR that ``sample`` (in ``sample_profiles``, default ``profiles``) is ``missing`` of ``family``."""
    mutation = mutation or MutationModel()
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
    sprof = sample_profiles or profiles
    if sample not in sprof.genotypes:
        raise KinshipInputError(sprof.source, f"sample {sample!r} is not in the profiles")
    if not 0.0 <= theta < 1.0:
        raise KinshipInputError("theta", f"theta {theta} is not in [0, 1)")
    sprof.check_against(table, samples=[sample])
    profiles.check_against(table, samples=[m.sample for m in family.typed])
    sample_g = sprof.genotypes[sample]
    result = LRResult(family.name, missing, sample, 1.0)
    pair = _pairwise(family, missing) if theta > 0 else None
    for marker in table.markers:
        g = sample_g.get(marker)
        fam_g = family_genotypes(family, profiles, marker)
        if g is None:
            result.markers[marker] = 1.0
            continue
        idx = table.index(marker)
        if pair is not None:
            ref_g = fam_g.get(pair[0])
            lr_m = 1.0 if ref_g is None else _theta_lr(g, ref_g, table.freqs[marker], idx, pair[1], theta)
        else:
            den = marker_likelihoods(family, fam_g, table, marker, mutation)
            if den == 0.0:
                raise KinshipInputError(
                    f"{where}, marker {marker}",
                    "the family's reference profiles are inconsistent (likelihood 0 without a "
                    "mutation able to explain them); check the profiles or give a mutation model")
            num = marker_likelihoods(family, fam_g, table, marker, mutation, clamp=(missing, g))
            lr_m = num / (den * hardy_weinberg(table.freqs[marker], idx[g[0]], idx[g[1]]))
        result.markers[marker] = lr_m
        if fam_g:
            result.markers_compared += 1
    result.lr = float(np.prod(list(result.markers.values()))) if result.markers else 1.0
    return result


# --- theta for pairwise relationships ------------------------------------------------------

def _kinship(family: Family):
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
    phi = _kinship(family)
    ma, mb = family.by_id[a], family.by_id[b]
    for m in (ma, mb):
        if not m.founder and phi(m.father, m.mother) > 0:
            raise KinshipInputError(family.source, f"{m.id} is inbred; theta is supported for non-inbred pairs only")
    k2 = 0.0
    if not ma.founder and not mb.founder:
        k2 = phi(ma.father, mb.father) * phi(ma.mother, mb.mother) + phi(ma.father, mb.mother) * phi(ma.mother, mb.father)
    k1 = 4 * phi(a, b) - 2 * k2
    return 1.0 - k1 - k2, k1, k2


def _pairwise(family: Family, missing: str) -> tuple[str, tuple[float, float, float]]:
    typed = [m for m in family.typed if m.id != missing]
    if len(typed) != 1:
        raise KinshipInputError(family.source or family.name,
                                f"theta > 0 is supported for one typed relative and the missing person "
                                f"(this family has {len(typed)} typed relatives)")
    ks = ibd_coefficients(family, missing, typed[0].id)
    return typed[0].id, ks


def _bn(allele: int, seen: list[int], freqs: np.ndarray, theta: float) -> float:
    """Balding–Nichols: P(next allele = ``allele`` | alleles ``seen``) = (nθ + (1−θ)p) / (1 + (N−1)θ)."""
    n = sum(1 for s in seen if s == allele)
    return (n * theta + (1 - theta) * freqs[allele]) / (1 + (len(seen) - 1) * theta)


def _theta_lr(g, ref, freqs, idx, ks, theta) -> float:
    a, b = idx[g[0]], idx[g[1]]
    r = [idx[ref[0]], idx[ref[1]]]
    k0, k1, k2 = ks
    # Unrelated, given R's two alleles seen: sample's two alleles drawn in turn.
    unrel = _bn(a, r, freqs, theta) * _bn(b, r + [a], freqs, theta) * (1 if a == b else 2)
    # One allele IBD: it is either of R's alleles (½ each); the other allele is drawn given R.
    one = 0.0
    for x in r:
        if x == a:
            one += 0.5 * _bn(b, r, freqs, theta)
        if x == b and a != b:
            one += 0.5 * _bn(a, r, freqs, theta)
    two = 1.0 if sorted((a, b)) == sorted(r) else 0.0
    return (k0 * unrel + k1 * one + k2 * two) / unrel
