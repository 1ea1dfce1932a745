"""Family tables: one elimination per marker gives the likelihood of every placement of victims in a family with several missing persons."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.casedata import CaseData
from vestige.kinship.joint.model import MAX_CLASS_TABLE, MAX_CLASS_WORK, TooLarge
from vestige.kinship.likelihood import contract, pedigree_factors
from vestige.kinship.lineage_pairs import PlacementLineage
from vestige.kinship.lr import allele_labels, structure_of
from vestige.kinship.mutation import lump
from vestige.kinship.observe import evidence_matrix
from vestige.kinship.pedigree import Family
from vestige.kinship.readings import family_readings, sample_readings
from vestige.kinship.theta import bn_alphas, dirichlet_points


@dataclass
class FamilyTable:
    """For a family and the candidate victims of each of its missing persons: per marker the
    table ``T[c_1, ..., c_k] = P(family data, missing j carries class c_j's readings)`` (class
    ``C_j`` = nothing placed), as natural logs, and each candidate's class per marker."""

    family: Family
    targets: list[int]  # global target indexes of its missing persons (in ``mps`` order)
    mps: list[str]
    cands: list[list[int]]  # per missing person: victim indexes
    log_t: dict[str, np.ndarray] = field(default_factory=dict)
    classes: dict[str, list[np.ndarray]] = field(default_factory=dict)  # per MP: (n_items + 1,) class (last: none)
    lineage: PlacementLineage | None = None  # the lineage systems' factor of a placement, when given


def _victim_readings(items, bodies, sprof, marker, degradation):
    return [sample_readings(sprof, bodies.get(it, [it]), marker, degradation) for it in items]


def build_family_table(fam: Family, targets: list[int], mps: list[str], cands: list[list[int]], evidence: CaseData,
                       markers: list[str], readings_cache: dict) -> FamilyTable:
    """The class tables of a family of several missing persons (one per marker, :class:`FamilyTable`):
    ``targets``/``mps`` its missing persons' target indices and pedigree ids, ``cands`` the victims
    each could be; ``readings_cache``: the victims' readings per marker, shared by the group."""
    items, bodies, refs, sprof, table = evidence.items, evidence.bodies, evidence.profiles, evidence.sprof, evidence.table
    mutation, degradation, theta = evidence.mutation_of(fam.name), evidence.degradation, evidence.theta
    ft = FamilyTable(fam, targets, mps, cands)
    n_items = len(items)
    for marker in markers:
        if marker not in readings_cache:
            readings_cache[marker] = _victim_readings(items, bodies, sprof, marker, degradation)
        vreads = readings_cache[marker]
        ref = family_readings(fam, refs, marker, degradation)
        alleles, freqs = table.alleles[marker], table.freqs[marker]
        index = {a: i for i, a in enumerate(alleles)}
        observed = {a for rs in ref.values() for r in rs for a in r.alleles}
        for cl in cands:
            for v in cl:
                observed |= {a for r in vreads[v] for a in r.alleles}
        space = lump(alleles, freqs, observed, mutation.spec(marker, "male"), mutation.spec(marker, "female"))
        labels = allele_labels(space)

        def freq(label, _f=freqs, _i=index):
            return _f[_i[label]]

        structure, idx = structure_of(fam, set(ref) | set(mps))
        persons = structure.relevant()
        a = space.size
        if theta > 0:
            founders = sum(1 for i in persons if structure.parents[i] is None)
            pts, wts = dirichlet_points(bn_alphas(space.prior, theta), 2 * founders)
            prior = pts
        else:
            prior, wts = space.prior[None], None
        factors = pedigree_factors(structure, prior, space.male[None], space.female[None], persons)
        for mid, rs in ref.items():
            i = idx[mid]
            factors.append(((2 * i, 2 * i + 1), evidence_matrix(rs, labels, freq)[None]))
        dims: dict = {}
        keep = []
        class_maps = []
        for j, (mp, cl) in enumerate(zip(mps, cands, strict=True)):
            keys: dict = {}
            cmap = np.full(n_items + 1, -1, dtype=np.int64)
            mats = []
            for v in cl:
                rs = vreads[v]
                if not rs:
                    continue
                key = tuple(rs)
                if key not in keys:
                    keys[key] = len(keys)
                    mats.append(evidence_matrix(list(rs), labels, freq))
                cmap[v] = keys[key]
            free = len(keys)
            cmap[cmap < 0] = free
            ev = np.ones((a, a, free + 1))
            for c, mat in enumerate(mats):
                ev[:, :, c] = mat
            i = idx[mp]
            var = ("c", j)
            dims[var] = free + 1
            keep.append(var)
            factors.append(((2 * i, 2 * i + 1, var), ev[None]))
            class_maps.append(cmap)
        size = 1
        for var in keep:
            size *= dims[var]
        if size > MAX_CLASS_TABLE or size * a * a > MAX_CLASS_WORK:
            # the elimination's intermediates hold a genotype pair per class combination
            raise TooLarge(f"family {fam.name}: {size:,} placements per marker over {a} alleles")
        t = contract(factors, lambda v, _a=a, _d=dims: _d.get(v, _a), tuple(keep))
        t = t @ wts if wts is not None and t.ndim == 1 else (np.tensordot(wts, t, axes=(0, 0)) if wts is not None else t[0])
        with np.errstate(divide="ignore"):
            ft.log_t[marker] = np.log(np.maximum(t, 0.0))
        ft.classes[marker] = class_maps
    return ft


def family_loglr(ft: FamilyTable, placed: dict[int, int], own: dict[int, float]) -> float:
    """``log LR_f`` of placing ``placed`` (target → victim) in the family, from its class tables;
    ``-inf`` if a victim is not a candidate of its place."""
    total = 0.0
    for marker, lt in ft.log_t.items():
        idx = []
        for k, t in enumerate(ft.targets):
            cm = ft.classes[marker][k]
            v = placed.get(t)
            if v is None:
                idx.append(lt.shape[k] - 1)
            else:
                if v not in ft.cands[k]:
                    return -math.inf
                idx.append(int(cm[v]))
        total += float(lt[tuple(idx)] - lt[(-1,) * len(ft.targets)])
    if ft.lineage is not None and placed:
        total += ft.lineage(ft.family, tuple((mp, placed[t]) for t, mp in zip(ft.targets, ft.mps, strict=True)
                                             if t in placed))
    return total - sum(own[v] for v in placed.values())
