"""Planning: how well does a family's reference data identify its missing person, and which
relative, if typed, would help most?

- **Exclusion power** (forrel's ``missingPersonEP``): the probability that an unrelated person
  is excluded — has a genotype that the pedigree and the references make impossible, without
  mutation: ``EP_m = Σ_{g : P(data, X = g) = 0} P_HW(g)`` per marker, and
  ``EP = 1 − Π_m (1 − EP_m)`` (markers whose references are themselves inconsistent without
  mutation are left out, as forrel does).
- **Expected log10 LR** when the remains truly are the missing person (the power of the test,
  a Kullback–Leibler divergence): ``E[log10 LR] = Σ_m Σ_g P(X = g | data) log10(P(X = g | data) /
  P_HW(g))`` with the mutation model given.
- **A candidate relative** not yet typed (an existing member of the pedigree, or a new
  father, mother, full sibling or child): its genotype ``r`` is unknown, so both figures are
  averaged over ``P(R = r | data)``: ``E[EP_m] = Σ_r P(r | data) EP_m(data, r)`` and
  ``E[log10 LR] = Σ_{r,x} P(r, x | data) log10(P(x | data, r) / P_HW(x))``. Markers are
  independent, so the total EP after typing is ``1 − Π_m (1 − E[EP_m])`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import eliminate
from vestige.kinship.lr import allele_labels, check_missing, structure_of
from vestige.kinship.mutation import MutationModel, split_lump
from vestige.kinship.observe import Degradation, evidence_matrix
from vestige.kinship.pedigree import Family, Member
from vestige.kinship.readings import family_readings

RELATIVES = ("father", "mother", "sibling", "child")


@dataclass
class Candidate:
    relative: str
    exclusion_power: float
    expected_log10_lr: float

    def as_dict(self) -> dict:
        return {"relative": self.relative, "exclusion_power": self.exclusion_power,
                "expected_log10_lr": self.expected_log10_lr}


@dataclass
class Plan:
    family: str
    missing: str
    exclusion_power: float
    exclusion_power_markers: dict[str, float | None]
    expected_log10_lr: float
    candidates: list[Candidate]

    def as_dict(self) -> dict:
        return {"family": self.family, "missing": self.missing, "exclusion_power": self.exclusion_power,
                "exclusion_power_markers": self.exclusion_power_markers,
                "expected_log10_lr": self.expected_log10_lr,
                "candidates": [c.as_dict() for c in self.candidates]}


def hw_genotype_probabilities(freqs: np.ndarray) -> np.ndarray:
    n = len(freqs)
    iu = np.triu_indices(n)
    hw = 2 * freqs[iu[0]] * freqs[iu[1]]
    hw[iu[0] == iu[1]] = freqs[iu[0][iu[0] == iu[1]]] ** 2
    return hw


def _pair_weights(weights: np.ndarray) -> np.ndarray:
    """(G, a²): how each unordered specific genotype {i ≤ j} spreads over ordered virtual pairs."""
    n, a = weights.shape
    i, j = np.triu_indices(n)
    w = weights[i][:, :, None] * weights[j][:, None, :]
    w = w + np.where((i != j)[:, None, None], weights[j][:, :, None] * weights[i][:, None, :], 0.0)
    return w.reshape(len(i), a * a)


def joint_genotype_probabilities(family: Family, keep: list[str], refs: dict, table: FrequencyTable, marker: str,
           mutation: MutationModel) -> np.ndarray:
    """P(data, kept persons' unordered genotypes) over the marker's genotypes {i ≤ j}: shape (G,)
    for one kept person, (G, G) for two.

    Computed on the references' alleles plus the two virtual lumps of :func:`split_lump` (exact
    for every allele the references never showed), then mapped to specific genotypes by the
    lumps' weights: ``T = W₂ J W₂ᵀ``.
    """
    alleles, freqs = table.alleles[marker], table.freqs[marker]
    observed = {a for rs in refs.values() for r in rs for a in r.alleles}
    space = split_lump(alleles, freqs, observed, mutation.spec(marker, "male"), mutation.spec(marker, "female"))
    labels = allele_labels(space)
    index = {a: i for i, a in enumerate(alleles)}
    structure, idx = structure_of(family, set(refs))
    evidence = {idx[m]: evidence_matrix(rs, labels, lambda lab: freqs[index[lab]])[None] for m, rs in refs.items()}
    out = eliminate(structure, space.prior[None], space.male[None], space.female[None], evidence,
                    keep_persons=tuple(idx[k] for k in keep))[0]
    weights = space.weights if space.weights is not None else np.eye(len(alleles))
    w2 = _pair_weights(weights)
    a = space.size
    if len(keep) == 1:
        return w2 @ out.reshape(a * a)
    return w2 @ out.reshape(a * a, a * a) @ w2.T


def _figures(family: Family, missing: str, relative: str | None, profiles: Profiles, table: FrequencyTable,
             markers: list[str], mutation: MutationModel, degradation: Degradation | None):
    """(EP total, EP per marker, expected log10 LR) — averaged over the relative's genotype."""
    none = MutationModel()
    ep_m: dict[str, float | None] = {}
    elr = 0.0
    keep = [missing] + ([relative] if relative else [])
    for marker in markers:
        refs = family_readings(family, profiles, marker, degradation)
        hw = hw_genotype_probabilities(table.freqs[marker])
        j0 = joint_genotype_probabilities(family, keep, refs, table, marker, none)  # (Gx[, Gr]) without mutation: exclusions
        total = j0.sum()
        if total <= 0:
            ep_m[marker] = None  # the references themselves need a mutation: left out, as forrel does
            continue
        jm = joint_genotype_probabilities(family, keep, refs, table, marker, mutation)
        tm = jm.sum()
        if relative:
            p_r = j0.sum(axis=0) / total
            ep_r = ((j0 <= 0) * hw[:, None]).sum(axis=0)
            ep_m[marker] = float((p_r * ep_r).sum())
            post = jm / np.maximum(jm.sum(axis=0, keepdims=True), 1e-300)  # P(x | data, r)
            with np.errstate(divide="ignore", invalid="ignore"):
                elr += float(np.where(jm > 0, (jm / tm) * np.log10(post / hw[:, None]), 0.0).sum())
        else:
            ep_m[marker] = float(hw[j0 <= 0].sum())
            post = jm / tm
            with np.errstate(divide="ignore", invalid="ignore"):
                elr += float(np.where(post > 0, post * np.log10(post / hw), 0.0).sum())
    prod = 1.0
    for v in ep_m.values():
        if v is not None:
            prod *= 1.0 - v
    return 1.0 - prod, ep_m, elr


def _with_relative(family: Family, missing: str, kind: str) -> tuple[Family, str] | None:
    """The pedigree with a new (untyped) relative of the missing person, and its id."""
    mp = family.by_id[missing]
    members = list(family.members)
    taken = set(family.by_id)

    def new_id(base: str) -> str:
        i = 1
        while f"{base}{i}" in taken:
            i += 1
        taken.add(f"{base}{i}")
        return f"{base}{i}"

    father, mother = mp.father, mp.mother
    if kind in ("father", "mother", "sibling") and father is None:
        father, mother = new_id("_father"), new_id("_mother")
        members = [Member(father, "male"), Member(mother, "female")] + [
            Member(m.id, m.sex, father, mother, m.missing, m.sample, m.deceased) if m.id == missing else m
            for m in members]
    if kind == "father":
        return Family(family.name, members, family.source), father
    if kind == "mother":
        return Family(family.name, members, family.source), mother
    if kind == "sibling":
        sib = new_id("_sibling")
        return Family(family.name, members + [Member(sib, "unknown", father, mother)], family.source), sib
    if kind == "child":
        if mp.sex == "unknown":
            return None
        partner = new_id("_partner")
        child = new_id("_child")
        p_sex = "female" if mp.sex == "male" else "male"
        f, m = (missing, partner) if mp.sex == "male" else (partner, missing)
        return Family(family.name, members + [Member(partner, p_sex), Member(child, "unknown", f, m)],
                      family.source), child
    return None


def plan(family: Family, profiles: Profiles, table: FrequencyTable, *, missing: str | None = None,
         candidates: list[str] | None = None, markers: list[str] | None = None,
         mutation: MutationModel | None = None, degradation: Degradation | None = None) -> Plan:
    """Exclusion power now, and for each candidate relative after typing them (best first)."""
    mutation = mutation or MutationModel()
    missing = check_missing(family, missing)
    profiles.check_against(table, samples=[m.sample for m in family.typed])
    if markers is None:
        in_file = {mk for g in profiles.genotypes.values() for mk in g}
        markers = [m for m in table.markers if m in in_file] or list(table.markers)
    for m in markers:
        if m not in table.alleles:
            raise KinshipInputError.option("markers", f"marker {m!r} is not in the frequency table {table.source}")
    ep, ep_m, elr = _figures(family, missing, None, profiles, table, markers, mutation, degradation)
    wanted = candidates if candidates is not None else [*RELATIVES, "members"]
    out: list[Candidate] = []
    for kind in wanted:
        if kind == "members":
            for m in family.members:
                if m.id != missing and not m.sample and not m.missing and not m.deceased:
                    e, _, x = _figures(family, missing, m.id, profiles, table, markers, mutation, degradation)
                    out.append(Candidate(f"member {m.id}", e, x))
            continue
        if kind not in RELATIVES:
            raise KinshipInputError.option("candidates", f"{kind!r} is not one of {', '.join(RELATIVES)} or members")
        built = _with_relative(family, missing, kind)
        if built is None:
            continue
        fam2, rid = built
        existing = family.by_id[missing].father if kind == "father" else (
            family.by_id[missing].mother if kind == "mother" else None)
        if existing is not None:
            em = family.by_id[existing]
            if em.sample or em.deceased:
                continue
            rid, fam2 = existing, family
        e, _, x = _figures(fam2, missing, rid, profiles, table, markers, mutation, degradation)
        out.append(Candidate(kind, e, x))
    out.sort(key=lambda c: (-c.expected_log10_lr, -c.exclusion_power, c.relative))
    return Plan(family.name, missing, ep, ep_m, elr, out)
