"""Joint identification: every admissible assignment of remains to missing persons, exactly.

Definitions follow dvir 3.4 (Vigeland & Egeland 2021, "Joint DNA-based disaster victim
identification", Sci Rep 11:13661; dvir's ``dviJoint``, ``Bmarginal``, ``findUndisputed``,
``pairwiseGLR``):

- An **assignment** gives each remains sample (victim) one missing person or none (``*``); no
  missing person gets two victims; a victim only goes to a missing person of its sex (unless
  sexes are ignored). Several missing persons of one family are placed *together* in its
  pedigree, so relatives found together support each other.
- Its **log-likelihood** (natural log, as dvir prints it) is that of all data: each family's
  references with the victims assigned to it placed as its missing persons, times each
  unassigned victim's own probability (Hardy–Weinberg; with drop-out, summed over the true
  genotype). ``LR`` is against the null assignment (nobody identified).
- **Marginals** (posterior pairing probabilities): ``P(victim = m) = Σ_{a: a(v) = m} w(a) L(a) /
  Σ_a w(a) L(a)``. With ``prior="flat"``, ``w = 1`` over all admissible assignments — dvir's
  ``Bmarginal``. The default ``prior="pairwise"`` gives every pairing a prior ``π`` (the search's
  ``1/(max(N, R)+1)`` or what the caller says), an unassigned victim ``1 − n_v π`` (``n_v``: its
  admissible candidates), conditioned on one victim per person:
  ``w(a) = Π_{v assigned} π / (1 − n_v π)`` relative to the null.
- **GLR** of a pairing ``v = m``: the best assignment with ``v = m`` against the best without it.
- **Undisputed** (``findUndisputed``): a pairwise LR above the threshold (1e4) that beats every
  other pairwise LR of the victim and of the missing person by that factor (``strict``: they are
  all ≤ 1); found ones are fixed, their data join their family, and the search repeats.
- **Symmetric**: two best assignments the DNA cannot tell apart (equal likelihood, the same
  victims on the same missing persons in another order) — e.g. two sisters with only their
  father as reference. Neither is reported as an identification.

Scale. The problem splits into independent **groups**: victims and families linked by a
pairing whose pairwise LR exceeds a cut-off ``τ`` (at first ``τ = 0``: only exclusions are cut,
which changes nothing). Inside a group every assignment is enumerated and scored from
precomputed tables: for a family with one missing person the family's factor is the pairwise
LR; for several, one variable elimination per marker keeps a *class* variable per missing
person (which candidate victim's readings it carries, or none) and gives the likelihood of
every placement at once. When a group has more than ``max_assignments`` assignments, ``τ`` is
raised (1e-12, 1e-9, ..., 1e-3) for that group only, and the bound below is reported.

Pruning bound (proof). Let ``e = (v, m)`` be a pairing of a family with one missing person and
``λ_e`` its prior-weighted LR. Every assignment using ``e`` is ``e`` plus an assignment of the
rest without ``v`` and ``m``, whose total mass ``Z'`` is at most the full mass ``Z`` (they are
also assignments with ``v`` unassigned). So the mass cut with ``e`` is ``λ_e Z' ≤ λ_e Z``, and
with every cut pairing at most ``δ = Σ λ_e`` of ``Z``: each marginal moves by at most
``δ / (1 − δ)``. For a family with several missing persons the same sum bounds the mass of
assignments that place the cut victim there alone; the cut victim could in principle gain from
relatives placed beside it, so the engine also checks every cut pairing of such a family
against the family's best joint placement and keeps it if that conditional LR reaches ``τ``.
A group that stays too large at ``τ = 1e-3`` is reported ``exact: false`` with pairwise
posteriors only — never silently capped.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import contract, pedigree_factors
from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.lineage_pairs import PlacementLineage, shared_lines
from vestige.kinship.linked import Linkage
from vestige.kinship.linked_scores import link_matrix
from vestige.kinship.lr import _labels, family_readings, sample_readings, structure_of
from vestige.kinship.mutation import MutationModel, lump
from vestige.kinship.observe import Degradation, evidence_matrix, hw_probability
from vestige.kinship.pedigree import Family
from vestige.kinship.prior import check_prior, default_prior, posterior
from vestige.kinship.search import pairwise_matrix
from vestige.kinship.theta import bn_alphas, dirichlet_points, singleton_weights

CUTOFFS = (0.0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1)
FIX_EPSILON = 1e-9  # a pairing is fixed when P(not this pairing) is proven below this
MAX_CLASS_TABLE = 4_000_000
TIE = 1e-9  # relative tolerance for "equal likelihood" (symmetric assignments)


class TooLarge(Exception):
    pass


@dataclass
class JointOptions:
    threshold: float = 1e4
    strict: bool = False
    prior: str = "pairwise"  # or "flat"
    pair_prior: float | None = None
    missing_total: int | None = None
    max_assignments: int = 2_000_000
    ignore_sex: bool = False
    disable_mutations: str = "never"  # "consistent" (dvir's NA) or "always"
    theta: float = 0.0
    top: int = 10


@dataclass
class Group:
    victims: list[int]
    targets: list[int]
    exact: bool = True
    cutoff: float = 0.0
    tolerance: float = 0.0
    reason: str = ""
    assignments: np.ndarray | None = None  # (n_a, n_victims) target index or -1, sorted by loglr desc
    loglr: np.ndarray | None = None  # (n_a,) natural log of prior weight × LR against the null
    plain: np.ndarray | None = None  # (n_a,) natural log LR against the null (no prior)
    count: int = 0
    tables: dict = field(default_factory=dict)  # family name → FamilyTable (several missing persons)
    fixed: bool = False  # a pairing fixed as certain (see _fix_certain); its tolerance bounds the rest
    cut: list = field(default_factory=list)  # cut pairings touching the group: (victim, target, log λ)
    local_lr: np.ndarray | None = None  # the group's pairwise log LRs (victims × targets)
    extra_mass: float = 0.0  # prior-weighted LR mass of pairings never given to the engine (sparse entry)
    own: dict = field(default_factory=dict)  # victim → log P(own readings)


@dataclass
class JointResult:
    items: list[str]
    targets: list[tuple[str, str]]  # (family, missing)
    loglik0: float
    groups: list[Group]
    assignments: list[dict]
    marginals: list[dict]
    undisputed: list[dict]
    symmetric: list[dict]
    prior: dict
    skipped: list[tuple[str, str]] = field(default_factory=list)
    glr: dict[tuple[int, int], float] = field(default_factory=dict)
    pairwise_log_lr: np.ndarray | None = None
    admissible: int = 0  # sex-consistent assignments of the whole problem (dvir's full table)
    notes: list[str] = field(default_factory=list)  # what the user must know (e.g. persons a lineage cannot tell apart)
    outside: dict[int, float] = field(default_factory=dict)  # victim in no group → its prior-weighted LR mass cut away
    systems: dict[str, np.ndarray] = field(default_factory=dict)  # lineage system → (victims, targets) log LR, nan: not compared

    def as_dict(self) -> dict:
        return {"assignments": self.assignments, "marginals": self.marginals, "undisputed": self.undisputed,
                "symmetric": self.symmetric,
                "groups": [{"remains": len(g.victims), "missing": len(g.targets), "exact": g.exact,
                            "assignments": g.count, "cutoff": g.cutoff, "tolerance": g.tolerance,
                            **({"reason": g.reason} if g.reason else {})} for g in self.groups],
                "loglik_null": self.loglik0, "prior": self.prior,
                "admissible_assignments": (self.admissible if self.admissible < 2 ** 53 else float(self.admissible))
                if self.admissible else None,
                "skipped": [{"family": f, "reason": r} for f, r in self.skipped]}


# --- family tables: one elimination per marker gives every placement -------------------------

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


def build_family_table(fam: Family, targets: list[int], mps: list[str], cands: list[list[int]], items: list[str],
                       bodies: dict, refs: Profiles, sprof: Profiles, table: FrequencyTable, markers: list[str],
                       mutation: MutationModel, degradation: Degradation | None, theta: float,
                       readings_cache: dict) -> FamilyTable:
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
        labels = _labels(space)

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
        if size > MAX_CLASS_TABLE:
            raise TooLarge(f"family {fam.name}: {size:,} placements per marker")
        t = contract(factors, lambda v, _a=a, _d=dims: _d.get(v, _a), tuple(keep))
        t = t @ wts if wts is not None and t.ndim == 1 else (np.tensordot(wts, t, axes=(0, 0)) if wts is not None else t[0])
        with np.errstate(divide="ignore"):
            ft.log_t[marker] = np.log(np.maximum(t, 0.0))
        ft.classes[marker] = class_maps
    return ft


# --- enumeration ----------------------------------------------------------------------------

def enumerate_assignments(options: list[list[int]], n_targets: int, limit: int) -> np.ndarray:
    """Every injective partial assignment: row i gives each victim a target from its options or
    -1. Raises :class:`TooLarge` above ``limit`` rows (never a silent cap)."""
    rows = np.zeros((1, 0), dtype=np.int32)
    used = np.zeros((1, n_targets), dtype=bool)
    for opts in options:
        parts_r, parts_u = [np.concatenate([rows, np.full((len(rows), 1), -1, np.int32)], axis=1)], [used]
        for t in opts:
            ok = ~used[:, t]
            if not ok.any():
                continue
            r = np.concatenate([rows[ok], np.full((int(ok.sum()), 1), t, np.int32)], axis=1)
            u = used[ok].copy()
            u[:, t] = True
            parts_r.append(r)
            parts_u.append(u)
        total = sum(len(p) for p in parts_r)
        if total > limit:
            raise TooLarge(f"more than {limit:,} assignments")
        rows, used = np.concatenate(parts_r), np.concatenate(parts_u)
    return rows


def count_admissible(allowed: np.ndarray) -> int:
    """The number of admissible assignments (each victim to one allowed missing person or none,
    no missing person twice) — dvir's full table, LR-0 pairings included. Victims with the same
    allowed set are interchangeable, so a dynamic programme over victims and "how many of each
    kind of missing person are taken" counts them exactly (sex classes: a handful of kinds)."""
    if allowed.size == 0:
        return 1
    cols = {tuple(allowed[:, c]) for c in range(allowed.shape[1])}
    kinds = sorted(cols)
    sizes = [sum(1 for c in range(allowed.shape[1]) if tuple(allowed[:, c]) == k) for k in kinds]
    if len(kinds) > 6 or allowed.shape[0] > 60:
        return 0  # beyond dvir's scale the count is astronomical and not needed: reported as null
    states: dict[tuple[int, ...], int] = {tuple(0 for _ in kinds): 1}
    for v in range(allowed.shape[0]):
        nxt: dict[tuple[int, ...], int] = {}
        for st, ways in states.items():
            nxt[st] = nxt.get(st, 0) + ways
            for k, kind in enumerate(kinds):
                if kind[v] and st[k] < sizes[k]:
                    s2 = st[:k] + (st[k] + 1,) + st[k + 1:]
                    nxt[s2] = nxt.get(s2, 0) + ways * (sizes[k] - st[k])
        states = nxt
    return sum(states.values())


# --- the engine ------------------------------------------------------------------------------

def joint_identification(families: list[Family], profiles: Profiles, table: FrequencyTable, items: list[str], *,
                         sample_profiles: Profiles | None = None, sexes: dict[str, str] | None = None,
                         mutation: MutationModel | None = None, degradation: Degradation | None = None,
                         bodies: dict[str, list[str]] | None = None, options: JointOptions | None = None,
                         progress=None, lineage: Lineage | None = None,
                         linkage: Linkage | None = None) -> JointResult:
    """The joint identification of ``items`` (see the module's docstring). With ``lineage``
    (Y-STR, mtDNA, X-STR data and models), each pairing's LR is multiplied by the lineage systems'
    (independent of the autosomal STRs), and a family of several missing persons scores each
    placement of victims with the lineage systems jointly (:class:`PlacementLineage`: brothers'
    shared Y counts once); persons that a lineage cannot tell apart are said in ``notes``. With
    ``linkage``, the pairings that matter (:mod:`vestige.kinship.linked_scores`) of families with one
    missing person have their linked markers computed jointly (a family of several keeps the
    product, said in ``notes``)."""
    opts = options or JointOptions()
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    bodies = bodies or {}
    if opts.prior not in ("pairwise", "flat"):
        raise KinshipInputError("--assignment-prior", f"{opts.prior!r} is not pairwise or flat")
    if opts.disable_mutations not in ("never", "consistent", "always"):
        raise KinshipInputError("--disable-mutations", f"{opts.disable_mutations!r} is not never, consistent or always")
    if opts.threshold <= 1 or math.isnan(opts.threshold):
        raise KinshipInputError("--threshold", f"{opts.threshold} must exceed 1")
    if opts.max_assignments < 1:
        raise KinshipInputError("--max-assignments", f"{opts.max_assignments} must be at least 1")
    if not 0.0 <= opts.theta < 1.0:
        raise KinshipInputError("--theta", f"{opts.theta} is not in [0, 1)")
    for it in items:
        for s in bodies.get(it, [it]):
            if s not in sprof.genotypes:
                raise KinshipInputError(sprof.source, f"sample {s!r} is not in the profiles")

    fam_mutation = _family_mutations(families, profiles, table, mutation, degradation, opts.disable_mutations)
    # Pairwise LRs (dvir's pairwiseLR), per mutation model in use.
    targets: list[tuple[Family, str]] = []
    log_lr_cols, compared_cols, allowed_cols = [], [], []
    log_den: dict[str, dict[str, float]] = {}  # family → marker → log P(data)
    skipped: dict[str, str] = {}
    for model, fams in _by_model(families, fam_mutation):
        pm = pairwise_matrix(fams, profiles, table, items, sample_profiles=sprof, sexes=sexes, mutation=model,
                             degradation=degradation, bodies=bodies, compare_all_sexes=opts.ignore_sex,
                             all_markers=True)
        targets += pm.targets
        log_lr_cols.append(pm.log_lr)
        compared_cols.append(pm.compared)
        allowed_cols.append(pm.allowed)
        skipped.update(pm.bad)
        for c, (f, _mp) in enumerate(pm.targets):
            log_den.setdefault(f.name, {m: float(pm.log_den[m][c]) for m in pm.log_den})
    n_v, n_t = len(items), len(targets)
    log_lr = np.concatenate(log_lr_cols, axis=1) if log_lr_cols else np.zeros((n_v, 0))
    allowed = np.concatenate(allowed_cols, axis=1) if allowed_cols else np.zeros((n_v, 0), bool)
    if opts.theta > 0:
        log_lr, log_den = _theta_pairwise(families, targets, items, bodies, profiles, sprof, table, fam_mutation,
                                          degradation, opts.theta, allowed, log_den)
    placement = None
    system_lrs: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if lineage is not None and lineage.systems:
        scores = LineageScores(lineage, targets, items, bodies)
        rows = np.arange(n_v)
        log_lr = log_lr + scores.block(rows, tuple(lineage.systems))
        for system in lineage.systems:
            part = scores.block(rows, (system,))
            cols = np.arange(n_t)
            for v in range(n_v):
                seen = scores.compared(system, np.full(n_t, v), cols)
                part[v, ~seen] = np.nan
            system_lrs[system] = part
        placement = PlacementLineage(lineage, items, bodies)
        for f in families:
            for system, mps in shared_lines(f, f.missing):
                if system in lineage.systems:
                    notes.append(f"family {f.name}: {', '.join(mps)} share one {'paternal' if system == 'y' else 'maternal'}"
                                 f" line: {'Y-STRs' if system == 'y' else 'mtDNA'} cannot tell them apart (only the "
                                 "autosomal and X markers can)")
    if linkage is not None and linkage.pairs:
        if opts.theta > 0:
            notes.append("linked marker pairs are not used with θ > 0: their LRs are the product of the two markers'")
        else:
            several = {f.name for f in families if len(f.missing) > 1}
            log_lr, note = link_matrix(linkage, log_lr, allowed, targets, several, items, bodies, profiles, sprof,
                                       table, fam_mutation, degradation,
                                       opts.pair_prior if opts.pair_prior is not None
                                       else default_prior(opts.missing_total or n_t, n_v))
            notes.append(note)
            if several:
                notes.append(f"linked marker pairs left as products in the {len(several)} families of several missing "
                             "persons (their placements are scored marker by marker)")
    # Absolute log-likelihoods of the null: families' data and victims' own readings.
    victim_ll = _victim_logliks(items, bodies, sprof, table, degradation, opts.theta)
    loglik0 = float(sum(victim_ll)) + sum(v for f in families if f.name not in skipped
                                          for v in log_den.get(f.name, {}).values())
    n_missing = opts.missing_total if opts.missing_total is not None else n_t
    pi = opts.pair_prior if opts.pair_prior is not None else default_prior(n_missing, n_v)
    check_prior(pi, n_missing, n_v)
    n_adm = allowed.sum(axis=1)
    with np.errstate(divide="ignore"):
        log_w = np.log(pi) - np.log(np.maximum(1.0 - n_adm * pi, 1e-300))  # per victim, pairwise prior
    if opts.prior == "flat":
        log_w = np.zeros(n_v)
    family_of = [f for f, _ in targets]
    multi = {f.name for f in families if len(f.missing) > 1 or opts.theta > 0}
    groups = _solve_groups(log_lr, log_w, family_of, targets, multi, items, bodies, profiles, sprof, table,
                           fam_mutation, degradation, opts, progress, placement)
    res = JointResult(items, [(f.name, mp) for f, mp in targets], loglik0, groups, [], [], [], [],
                      {"kind": opts.prior, "pair": pi if opts.prior == "pairwise" else None,
                       "missing": n_missing, "remains": n_v},
                      sorted(skipped.items()), pairwise_log_lr=log_lr, notes=notes, systems=system_lrs)
    res.admissible = count_admissible(allowed)
    for g in groups:
        g.local_lr = log_lr[np.ix_(g.victims, g.targets)]
    grouped = {v for g in groups for v in g.victims}
    with np.errstate(over="ignore"):
        for v in range(n_v):
            if v not in grouped and np.isfinite(log_lr[v]).any():
                res.outside[v] = float(np.exp(log_lr[v][np.isfinite(log_lr[v])] + log_w[v]).sum())
    _report(res, opts, lambda v, t: bool(allowed[v, t]), allowed.sum(axis=1), allowed.sum(axis=0))
    res.undisputed = _undisputed(res, log_lr, allowed, targets, items, opts)
    return res


def joint_sparse(families: list[Family], profiles: Profiles, table: FrequencyTable, items: list[str],
                 edges: list[tuple[int, int, float]], *, sample_profiles: Profiles | None = None,
                 sexes: dict[str, str] | None = None, mutation: MutationModel | None = None,
                 degradation: Degradation | None = None, bodies: dict[str, list[str]] | None = None,
                 options: JointOptions | None = None, row_lse: dict[int, float] | None = None,
                 progress=None) -> JointResult:
    """The joint engine on a sparse set of pairings, for matching runs at national scale.

    ``edges``: ``(item index, target index, natural log LR)`` — e.g. every pair the blind search
    reported; targets are the families' missing persons in order. Pairings not given count as
    cut; ``row_lse[item]`` (the search's log Σ LR over all the sample's pairings) gives the mass of
    the pairings it did not report, prior-weighted, which is added to the group's tolerance. Absolute
    log-likelihoods are not computed here (``loglik`` is ``null``); undisputed pairings come from
    the dense entry point only.
    """
    opts = options or JointOptions()
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    bodies = bodies or {}
    targets = [(f, mp) for f in families for mp in f.missing]
    n_v, n_t = len(items), len(targets)
    n_missing = opts.missing_total if opts.missing_total is not None else n_t
    pi = opts.pair_prior if opts.pair_prior is not None else default_prior(n_missing, n_v)
    check_prior(pi, n_missing, n_v)
    mp_sex = np.array([f.by_id[mp].sex for f, mp in targets]) if targets else np.zeros(0, dtype=str)
    v_sex = [sexes.get(it, "unknown") for it in items]
    kinds = {x: int(((mp_sex == x) | (mp_sex == "unknown") | (x == "unknown")).sum()) if len(mp_sex) else 0
             for x in ("male", "female", "unknown")}
    n_row = np.array([n_t if opts.ignore_sex else kinds[x] for x in v_sex], dtype=np.int64)
    col_kinds = {x: sum(1 for y in v_sex if y == x or y == "unknown" or x == "unknown") for x in ("male", "female", "unknown")}
    n_col = np.array([n_v if opts.ignore_sex else col_kinds[x] for x in mp_sex], dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_w = np.log(pi) - np.log(np.maximum(1.0 - n_row * pi, 1e-300))
    if opts.prior == "flat":
        log_w = np.zeros(n_v)
    family_of = [f for f, _ in targets]
    fam_targets: dict[str, list[int]] = {}
    for c, (f, _mp) in enumerate(targets):
        fam_targets.setdefault(f.name, []).append(c)
    parent = list(range(n_v + n_t))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_edge: dict[tuple[int, int], float] = {}
    for v, t, lv in edges:
        if lv == -math.inf:
            continue
        by_edge[(v, t)] = lv
        ra, rb = find(v), find(n_v + t)
        if ra != rb:
            parent[ra] = rb
    reported: dict[int, float] = {}
    for (v, _t), lv in by_edge.items():
        reported[v] = reported.get(v, 0.0) + math.exp(lv + log_w[v])
    touched_fams = {family_of[t].name for _v, t in by_edge}
    for name in touched_fams:
        cols = fam_targets[name]
        for c in cols[1:]:
            ra, rb = find(n_v + cols[0]), find(n_v + c)
            if ra != rb:
                parent[ra] = rb
    comps: dict[int, tuple[list[int], list[int]]] = {}
    for v in range(n_v):
        comps.setdefault(find(v), ([], []))[0].append(v)
    for t in range(n_t):
        if family_of[t].name in touched_fams:
            comps.setdefault(find(n_v + t), ([], []))[1].append(t)
    multi = {f.name for f in families if len(f.missing) > 1 or opts.theta > 0}
    fam_mutation = {f.name: mutation for f in families}
    groups: list[Group] = []
    todo = [c for c in comps.values() if c[0] and c[1]]
    for k, (vs, ts) in enumerate(todo):
        if progress:
            progress("groups", k + 1, len(todo))
        pos_t = {t: j for j, t in enumerate(ts)}
        local = np.full((len(vs), len(ts)), -np.inf)
        vset = {v: i for i, v in enumerate(vs)}
        for (v, t), lv in by_edge.items():
            if v in vset and t in pos_t:
                local[vset[v], pos_t[t]] = lv
        if (len(vs) == 1 or len(ts) == 1) and not any(family_of[t].name in multi for t in ts):
            sub_groups = [_star_group(local, log_w[vs])]  # one victim or one person: no enumeration needed
        else:
            sub_groups = _solve_groups(local, log_w[vs], [family_of[t] for t in ts], [targets[t] for t in ts], multi,
                                       [items[v] for v in vs], bodies, profiles, sprof, table, fam_mutation,
                                       degradation, opts, None)
        ts_arr = np.asarray(ts)
        for g in sub_groups:
            g.local_lr = local[np.ix_(g.victims, g.targets)]
            g.own = {vs[i]: x for i, x in g.own.items()}
            g.cut = [(vs[i], ts[j], lv) for i, j, lv in g.cut]
            if g.assignments is not None:
                g.assignments = np.where(g.assignments >= 0, ts_arr[np.maximum(g.assignments, 0)], -1)
            g.victims = [vs[i] for i in g.victims]
            g.targets = [ts[j] for j in g.targets]
            if row_lse and g.exact:
                g.extra_mass = float(sum(max(0.0, math.exp(row_lse[v] + log_w[v]) - reported.get(v, 0.0))
                                         for v in g.victims if v in row_lse))
            groups.append(g)
    res = JointResult(items, [(f.name, mp) for f, mp in targets], math.nan, groups, [], [], [], [],
                      {"kind": opts.prior, "pair": pi if opts.prior == "pairwise" else None,
                       "missing": n_missing, "remains": n_v})
    grouped = {v for g in groups for v in g.victims}
    for v in range(n_v):
        if v not in grouped:
            mass = reported.get(v, 0.0)
            if row_lse and v in row_lse:
                mass = max(mass, math.exp(min(row_lse[v] + log_w[v], 700.0)))
            if mass > 0:
                res.outside[v] = mass
    _report(res, opts, lambda v, t: (v, t) in by_edge, n_row, n_col)
    for a in res.assignments:
        a["loglik"] = None
    return res


def _family_mutations(families, profiles, table, mutation, degradation, policy) -> dict[str, MutationModel]:
    out = {}
    none = MutationModel()
    for f in families:
        if policy == "always":
            out[f.name] = none
        elif policy == "consistent":
            from vestige.kinship.lr import marker_likelihood
            ok = True
            for marker in table.markers:
                r = family_readings(f, profiles, marker, degradation)
                if r and marker_likelihood(f, table, marker, none, r) <= 0:
                    ok = False
                    break
            out[f.name] = none if ok else mutation
        else:
            out[f.name] = mutation
    return out


def _by_model(families, fam_mutation):
    groups: dict[int, tuple[MutationModel, list[Family]]] = {}
    for f in families:
        m = fam_mutation[f.name]
        groups.setdefault(id(m), (m, []))[1].append(f)
    return list(groups.values())


def _victim_logliks(items, bodies, sprof, table, degradation, theta) -> list[float]:
    out = []
    for it in items:
        total = 0.0
        for marker in table.markers:
            rs = sample_readings(sprof, bodies.get(it, [it]), marker, degradation)
            if rs:
                total += math.log(_own_probability(rs, table, marker, theta))
        out.append(total)
    return out


def _own_probability(rs, table, marker, theta) -> float:
    alleles, freqs = table.alleles[marker], table.freqs[marker]
    if theta == 0:
        return hw_probability(rs, alleles, freqs)
    index = {a: i for i, a in enumerate(alleles)}
    e = evidence_matrix(rs, list(alleles), lambda lab: freqs[index[lab]])
    return float((e * singleton_weights(freqs, theta)).sum())


def _theta_pairwise(families, targets, items, bodies, profiles, sprof, table, fam_mutation, degradation, theta,
                    allowed, log_den):
    """Under θ, per family component (pedprobr's likelihood of a list of pedigrees): the family
    with the victim placed, against the family and the victim as separate components."""
    from vestige.kinship.lr import marker_likelihood
    log_lr = np.full((len(items), len(targets)), -np.inf)
    dens: dict[str, dict[str, float]] = {}
    for c, (f, mp) in enumerate(targets):
        model = fam_mutation[f.name]
        if f.name not in dens:
            dens[f.name] = {}
            for marker in table.markers:
                r = family_readings(f, profiles, marker, degradation)
                if r:
                    dens[f.name][marker] = math.log(marker_likelihood(f, table, marker, model, r, theta=theta))
        for v, it in enumerate(items):
            if not allowed[v, c]:
                continue
            total = 0.0
            for marker in table.markers:
                srs = sample_readings(sprof, bodies.get(it, [it]), marker, degradation)
                r = family_readings(f, profiles, marker, degradation)
                if not srs or not r:
                    continue
                h1 = dict(r)
                h1[mp] = list(r.get(mp, [])) + srs
                num = marker_likelihood(f, table, marker, model, h1, theta=theta)
                if num <= 0:
                    total = -math.inf
                    break
                total += math.log(num) - dens[f.name][marker] - math.log(_own_probability(srs, table, marker, theta))
            log_lr[v, c] = total
    return log_lr, dens


def _solve_groups(log_lr, log_w, family_of, targets, multi, items, bodies, profiles, sprof, table, fam_mutation,  # noqa: PLR0913
                  degradation, opts, progress, placement=None) -> list[Group]:
    n_v, n_t = log_lr.shape
    fam_targets: dict[str, list[int]] = {}
    for c, (f, _mp) in enumerate(targets):
        fam_targets.setdefault(f.name, []).append(c)
    # λ: the prior-weighted LR of a pairing (its mass relative to leaving the victim unassigned)
    lam = log_lr + log_w[:, None]
    finite = np.isfinite(log_lr)
    comps = _components(finite, family_of, fam_targets)
    groups: list[Group] = []
    cache: dict = {"lineage": placement}
    todo = [(vs, ts, 0) for vs, ts in comps]
    kept = np.zeros_like(finite)  # the pairings kept, written per group (groups never overlap)
    fixed_done: set[tuple[int, ...]] = set()
    single = np.array([f.name not in multi for f in family_of], dtype=bool)
    done = 0
    while todo:
        vs, ts, level = todo.pop()
        if level == 0 and tuple(vs) not in fixed_done and not _fits(vs, ts, finite, opts):
            # Too large as it stands: first fix the pairings that are certain beyond FIX_EPSILON
            # (proof in _fix_certain); what they leave often falls apart into small groups.
            fixed, vs2, ts2 = _fix_certain(vs, ts, lam, finite, single)
            for v, t, eps in fixed:
                g = Group([v], [t], tolerance=eps, count=1)
                g.assignments = np.array([[t]])
                g.loglr = np.array([lam[v, t]])
                g.plain = np.array([log_lr[v, t]])
                g.fixed = True
                groups.append(g)
            if fixed:
                sub0 = np.zeros_like(finite)
                sub0[np.ix_(vs2, ts2)] = finite[np.ix_(vs2, ts2)]
                parts = _components(sub0[np.ix_(vs2, ts2)], [family_of[c] for c in ts2], _restrict(fam_targets, ts2, family_of))
                for a, b in parts:
                    part = ([vs2[i] for i in a], [ts2[j] for j in b])
                    fixed_done.add(tuple(part[0]))
                    todo.append((*part, 0))
                # victims left with no pairing at all: nothing to enumerate (marginal '*' = 1)
                continue
            fixed_done.add(tuple(vs))
        block = finite[np.ix_(vs, ts)]
        if level > 0:
            block = block & (lam[np.ix_(vs, ts)] >= math.log(CUTOFFS[level]))
        kept[np.ix_(vs, ts)] = block
        sub = kept
        if level > 0:  # the cut may split the component
            parts = _components(block, [family_of[c] for c in ts], _restrict(fam_targets, ts, family_of))
            parts = [([vs[i] for i in a], [ts[j] for j in b]) for a, b in parts]
            if len(parts) > 1:
                todo.extend((a, b, level) for a, b in parts)
                continue
        if _fits(vs, ts, sub, opts):
            g = Group(vs, ts, cutoff=CUTOFFS[level])
            try:
                _enumerate_group(g, sub, log_lr, log_w, targets, multi, items, bodies, profiles, sprof, table,
                                 fam_mutation, degradation, opts, cache)
            except TooLarge as e:
                if level + 1 < len(CUTOFFS):
                    todo.append((vs, ts, level + 1))
                    continue
                groups.append(Group(vs, ts, exact=False, reason=str(e)))
                continue
            g.cut = _cut_pairings(g, lam, finite, sub) if level > 0 else []
            groups.append(g)
            done += 1
            if progress:
                progress("groups", done, done + len(todo))
        elif level + 1 < len(CUTOFFS):
            todo.append((vs, ts, level + 1))
        else:
            groups.append(Group(vs, ts, exact=False, cutoff=CUTOFFS[level],
                                reason=f"more than {opts.max_assignments:,} assignments even with pairings of "
                                       f"prior-weighted LR below {CUTOFFS[-1]:g} cut"))
    groups.sort(key=lambda g: (min(g.victims), min(g.targets)))
    return groups


def _components(edges: np.ndarray, family_of, fam_targets) -> list[tuple[list[int], list[int]]]:
    """Connected components of victims and families (a family's missing persons stay together)."""
    n_v, n_t = edges.shape
    parent = list(range(n_v + n_t))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    for cols in fam_targets.values():
        for c in cols[1:]:
            union(n_v + cols[0], n_v + c)
    vv, cc = np.nonzero(edges)
    for v, c in zip(vv.tolist(), cc.tolist(), strict=True):
        union(v, n_v + c)
    comps: dict[int, tuple[list[int], list[int]]] = {}
    for v in range(n_v):
        comps.setdefault(find(v), ([], []))[0].append(v)
    for c in range(n_t):
        comps.setdefault(find(n_v + c), ([], []))[1].append(c)
    return [x for x in comps.values() if x[0] and x[1]]


def _star_group(local: np.ndarray, log_w: np.ndarray) -> Group:
    """A group of one victim (or one missing person) whose families each have one missing
    person: its assignments are "nobody" and each single pairing — listed without enumeration,
    in local indices, sorted like :func:`_enumerate_group`'s."""
    nv, nt = local.shape
    pairs = [(i, j) for i in range(nv) for j in range(nt) if np.isfinite(local[i, j])]
    rows = np.full((len(pairs) + 1, nv), -1, dtype=np.int64)
    plain = np.zeros(len(pairs) + 1)
    weighted = np.zeros(len(pairs) + 1)
    for r, (i, j) in enumerate(pairs, start=1):
        rows[r, i] = j
        plain[r] = local[i, j]
        weighted[r] = local[i, j] + log_w[i]
    order = np.lexsort((np.arange(len(rows)), -plain))
    g = Group(list(range(nv)), list(range(nt)))
    g.assignments, g.plain, g.loglr, g.count = rows[order], plain[order], weighted[order], len(rows)
    return g


def _fix_certain(vs, ts, lam, finite, single):
    """Pairings certain enough to fix, and the victims and targets they leave.

    Proof. With product-form weights (families with one missing person) let ``A`` be the
    assignments with ``v = m`` and ``B`` the others. Map each ``a ∈ B`` to ``a' ∈ A`` by putting
    ``v`` on ``m`` and unassigning whoever held ``m``. The weight changes by ``λ_vm / (λ_v,a(v)
    λ_v',m)``, and an ``a'`` has at most ``(1 + Σ_{t≠m} λ_vt)(1 + Σ_{v'≠v} λ_v'm)`` weighted
    preimages, so ``P(B)/P(A) ≤ ε_vm = (1 + Σ_{t≠m} λ_vt)(1 + Σ_{v'≠v} λ_v'm) / λ_vm``. Fixing
    pairings with ``ε ≤`` :data:`FIX_EPSILON` (each on a distinct victim and person) moves any
    marginal by at most the sum of their ``ε`` (reported as the group's tolerance); removing
    their victims and persons only lowers the others' sums, so the bounds stay valid.
    """
    sub = np.zeros_like(finite)
    sub[np.ix_(vs, ts)] = finite[np.ix_(vs, ts)]
    e = np.where(sub, np.exp(np.minimum(lam, 700.0)), 0.0)
    rows, cols = e.sum(axis=1), e.sum(axis=0)
    fixed, used_v, used_t = [], set(), set()
    for v in vs:
        if not sub[v].any():
            continue
        t = int(np.argmax(np.where(sub[v], lam[v], -np.inf)))
        if not single[t] or t in used_t:
            continue
        log_eps = (math.log1p(rows[v] - e[v, t]) + math.log1p(cols[t] - e[v, t]) - lam[v, t])
        if log_eps <= math.log(FIX_EPSILON):
            fixed.append((v, t, math.exp(log_eps)))
            used_v.add(v)
            used_t.add(t)
    return fixed, [v for v in vs if v not in used_v], [t for t in ts if t not in used_t]


def _fits(vs, ts, sub, opts) -> bool:
    """Whether enumerating is worth trying: Π (1 + options) bounds the assignments (injectivity
    makes them fewer; the enumeration itself stops at ``max_assignments``)."""
    bound = 1.0
    for v in vs:
        bound *= 1 + int(sub[v, ts].sum())
        if bound > 1000.0 * opts.max_assignments:
            return False
    return True


def _cut_pairings(g: Group, lam, finite, sub) -> list[tuple[int, int, float]]:
    """The cut pairings that touch the group: (victim, target, log λ) — every possible pairing of
    its victims or its missing persons that the group does not hold."""
    vs, ts = g.victims, g.targets
    inside_t = np.zeros(finite.shape[1], dtype=bool)
    inside_t[ts] = True
    inside_v = np.zeros(finite.shape[0], dtype=bool)
    inside_v[vs] = True
    out = []
    for v in vs:
        held = np.zeros(finite.shape[1], dtype=bool)
        held[ts] = sub[v, ts]
        for t in np.flatnonzero(finite[v] & ~held):
            out.append((v, int(t), float(lam[v, t])))
    for t in ts:
        col = finite[:, t] & ~inside_v
        for v in np.flatnonzero(col):
            out.append((int(v), t, float(lam[v, t])))
    return out


def _restrict(fam_targets, tcols, family_of=None):
    """The families of ``tcols``, each with its missing persons' positions in ``tcols``."""
    out: dict[str, list[int]] = {}
    if family_of is not None:
        for j, c in enumerate(tcols):
            out.setdefault(family_of[c].name, []).append(j)
        return out
    pos = {c: j for j, c in enumerate(tcols)}
    for f, cols in fam_targets.items():
        js = [pos[c] for c in cols if c in pos]
        if js:
            out[f] = js
    return out


def _enumerate_group(g: Group, sub, log_lr, log_w, targets, multi, items, bodies, profiles, sprof, table,
                     fam_mutation, degradation, opts, cache) -> None:
    vs, ts = g.victims, g.targets
    local = {c: j for j, c in enumerate(ts)}
    opts_local = [[local[c] for c in ts if sub[v, c]] for v in vs]
    rows = enumerate_assignments(opts_local, len(ts), opts.max_assignments)  # (n_a, n_v) local target or -1
    score = np.zeros(len(rows))
    # Families with one missing person (θ = 0): the pairwise LR is the family's whole factor.
    pair = np.full((len(vs), len(ts) + 1), 0.0)
    for i, v in enumerate(vs):
        for j, c in enumerate(ts):
            pair[i, j] = log_lr[v, c] + log_w[v]
        pair[i, -1] = 0.0
    multi_fams: dict[str, list[int]] = {}
    for j, c in enumerate(ts):
        f = targets[c][0]
        if f.name in multi:
            multi_fams.setdefault(f.name, []).append(j)
    # A family of several missing persons that only one victim of the group could join never
    # holds two at once: its factor is that victim's pairwise LR, as for a family of one (θ = 0).
    for fname, js in list(multi_fams.items()):
        takers = {i for i in range(len(vs)) if any(j in opts_local[i] for j in js)}
        if len(takers) <= 1 and opts.theta == 0:
            del multi_fams[fname]
    in_multi_cols = {j for js in multi_fams.values() for j in js}
    single_cols = np.array([j for j in range(len(ts)) if j not in in_multi_cols], dtype=np.int64)
    for i in range(len(vs)):
        col = rows[:, i]
        mask = np.isin(col, single_cols)
        score[mask] += pair[i, col[mask]]
    # Families with several missing persons: one class table per marker.
    for fname, js in multi_fams.items():
        fam = targets[ts[js[0]]][0]
        mps = [targets[ts[j]][1] for j in js]
        cands = [[vs[i] for i in range(len(vs)) if js_j in opts_local[i]] for js_j in js]
        key = (fname, tuple(tuple(c) for c in cands))
        if key not in cache:
            cache[key] = build_family_table(fam, [ts[j] for j in js], mps, cands, items, bodies, profiles, sprof,
                                            table, _family_markers(fam, profiles, table,
                                                                   [items[v] for c in cands for v in c], bodies, sprof),
                                            fam_mutation[fname], degradation, opts.theta, cache.setdefault("reads", {}))
        ft: FamilyTable = cache[key]
        ft.lineage = cache.get("lineage")
        g.tables[fname] = ft
        # who sits on each of the family's missing persons, per assignment (global victim index or n_items)
        n_items = len(items)
        inv = np.full((len(rows), len(js)), n_items, dtype=np.int64)
        for i, v in enumerate(vs):
            for k, j in enumerate(js):
                inv[rows[:, i] == j, k] = v
        placed_own = np.zeros(len(rows))
        for i, v in enumerate(vs):
            inside = np.isin(rows[:, i], js)
            placed_own[inside] += _own_loglik(v, items, bodies, sprof, table, degradation, opts.theta, cache) - log_w[v]
        fam_score = np.zeros(len(rows))
        for marker, lt in ft.log_t.items():
            cms = ft.classes[marker]
            flat = np.zeros(len(rows), dtype=np.int64)
            stride = 1
            for k in range(len(js) - 1, -1, -1):
                flat += cms[k][inv[:, k]] * stride
                stride *= lt.shape[k]
            base = lt.reshape(-1)
            fam_score += base[flat] - base[-1]
        if ft.lineage is not None:  # the lineage systems, jointly for the victims placed together
            for r in range(len(rows)):
                placed = tuple((mps[k], int(inv[r, k])) for k in range(len(js)) if inv[r, k] < n_items)
                if placed:
                    fam_score[r] += ft.lineage(fam, placed)
        score += fam_score - placed_own
    weight = np.zeros(len(rows))
    for i, v in enumerate(vs):
        weight += np.where(rows[:, i] >= 0, log_w[v], 0.0)
    plain = score - weight
    order = np.lexsort((np.arange(len(rows)), -plain))
    g.assignments = np.where(rows[order] >= 0, np.asarray(ts)[np.maximum(rows[order], 0)], -1)
    g.loglr = score[order]
    g.plain = plain[order]
    g.count = len(rows)
    # Victims' own likelihoods, for the conditional pairwise LRs of families with several
    # missing persons (undisputed identifications): only those that such a family could take.
    in_multi = {vs[i] for i in range(len(vs)) if any(j in opts_local[i] for js in multi_fams.values() for j in js)}
    g.own = {v: _own_loglik(v, items, bodies, sprof, table, degradation, opts.theta, cache) for v in in_multi}


def _family_markers(fam, profiles, table, items, bodies, sprof) -> list[str]:
    """Markers where a candidate victim (``items``) is typed: at any other marker every placement
    has the likelihood of the family alone, and the ratios the engine uses are 1."""
    typed = {mk for it in items for s in bodies.get(it, [it]) for mk in sprof.genotypes.get(s, {})}
    return [m for m in table.markers if m in typed]


def _own_loglik(v, items, bodies, sprof, table, degradation, theta, cache) -> float:
    key = ("own", v)
    if key not in cache:
        cache[key] = _victim_logliks([items[v]], bodies, sprof, table, degradation, theta)[0]
    return cache[key]


# --- reporting -------------------------------------------------------------------------------

def _report(res: JointResult, opts: JointOptions, allowed_fn, n_row, n_col) -> None:
    """Marginals, GLRs, tolerances, the best global assignments and the symmetric matches.

    ``allowed_fn(v, t)``: whether a pairing is admissible (its marginal is listed, 0 included);
    ``n_row[v]``, ``n_col[t]``: admissible pairings of a victim and of a missing person.
    """
    items, targets = res.items, res.targets
    marg: dict[int, dict[int, float]] = {}
    star: dict[int, float] = {}
    free: dict[int, float] = {}
    in_groups = {v for g in res.groups for v in g.victims}
    for g in res.groups:
        if not g.exact:
            continue
        # Marginals use prior × LR; rows are sorted by the plain likelihood (dvir's order).
        lse = np.logaddexp.reduce(g.loglr)
        w = np.exp(g.loglr - lse)
        lut = np.full(max(g.targets) + 1, len(g.targets), dtype=np.int64)
        lut[np.asarray(g.targets)] = np.arange(len(g.targets))
        idx = np.where(g.assignments >= 0, lut[np.maximum(g.assignments, 0)], len(g.targets))
        for j, t in enumerate(g.targets):
            free[t] = float(w[~(idx == j).any(axis=1)].sum())
        for i, v in enumerate(g.victims):
            col = g.assignments[:, i]
            sums = np.bincount(idx[:, i], weights=w, minlength=len(g.targets) + 1)
            marg[v] = {t: float(sums[j]) for j, t in enumerate(g.targets) if allowed_fn(v, t)}
            star[v] = float(sums[-1])
            # GLR (dvir's pairwiseGLR): best with v = m against the best without it.
            for t in g.targets:
                has = np.flatnonzero(col == t)
                hasnt = np.flatnonzero(col != t)
                if len(has) and len(hasnt):
                    res.glr[(v, t)] = float(g.plain[has[0]] - g.plain[hasnt[0]])
    # Tolerance of a group: Σ over its cut pairings of λ·P(victim unassigned)·P(person free),
    # the first-order change of its marginals if the pairing were put back (adding pairing e to
    # independent groups multiplies the mass by 1 + λ_e·P(v = *)·P(m free) exactly).
    for g in res.groups:
        if g.exact and not g.fixed:
            g.tolerance = g.extra_mass + sum(math.exp(lv) * star.get(v, 1.0) * free.get(t, 1.0) for v, t, lv in g.cut)
    tol = {v: g.tolerance for g in res.groups if g.exact for v in g.victims}
    # A victim in no group had every pairing cut (or none): "none of the missing" is then
    # 1 / (1 + M), M its prior-weighted LR mass cut away, and M / (1 + M) is how far that may be
    # off (its candidates' other claimants unknown) — never 1.0 while it has a candidate.
    for v, mass in res.outside.items():
        if mass > 0:
            tol[v] = max(tol.get(v, 0.0), mass / (1.0 + mass))
    for v, it in enumerate(items):
        extra = {"tolerance": tol[v]} if tol.get(v) else {}
        for t, p in sorted(marg.get(v, {}).items()):
            f, mp = targets[t]
            systems = {}
            if res.systems:  # each lineage system's pairwise log10 LR (None: nothing compared)
                systems = {"systems": {name: (None if math.isnan(x := float(m[v, t])) else x / math.log(10))
                                       for name, m in res.systems.items()}}
            res.marginals.append({"sample": it, "family": f, "missing": mp, "probability": p, **extra, **systems})
        if v not in in_groups:
            star[v] = 1.0 / (1.0 + res.outside.get(v, 0.0))
        if v in star:
            res.marginals.append({"sample": it, "family": None, "missing": "*", "probability": star[v], **extra})
    for g in res.groups:
        if not g.exact:
            _approximate(res, g, n_row, n_col)
    res.assignments = _top_assignments(res, opts.top)
    res.symmetric = _symmetric(res)


def _approximate(res: JointResult, g: Group, n_row, n_col) -> None:
    """A group too large to solve exactly: pairwise posteriors with both axes of competition
    (:func:`vestige.kinship.prior.posterior`), marked ``exact: false``."""
    sub = g.local_lr
    row = np.logaddexp.reduce(sub, axis=1)
    col = np.logaddexp.reduce(sub, axis=0)
    pi = res.prior["pair"] or default_prior(res.prior["missing"], res.prior["remains"])
    for i, v in enumerate(g.victims):
        total = 0.0
        for j, t in enumerate(g.targets):
            if np.isfinite(sub[i, j]):
                p = posterior(float(sub[i, j]), float(row[i]), int(n_row[v]), float(col[j]), int(n_col[t]), pi)
                total += p
                f, mp = res.targets[t]
                res.marginals.append({"sample": res.items[v], "family": f, "missing": mp, "probability": p,
                                      "exact": False})
        res.marginals.append({"sample": res.items[v], "family": None, "missing": "*",
                              "probability": max(0.0, 1.0 - total), "exact": False})


def _top_assignments(res: JointResult, k: int) -> list[dict]:
    """The ``k`` most likely global assignments (groups are independent: k-best sums)."""
    if k <= 0:
        return []
    best: list[tuple[float, tuple]] = [(0.0, ())]
    solved = [g for g in res.groups if g.exact]
    for gi, g in enumerate(solved):
        cand = [(s + float(g.plain[r]), picks + ((gi, r),)) for s, picks in best for r in range(min(k, len(g.plain)))]
        best = heapq.nlargest(k, cand, key=lambda x: x[0])
    pos = {it: i for i, it in enumerate(res.items)}
    out = []
    for s, picks in best:
        pairs = []
        for gi, r in picks:
            g = solved[gi]
            for i, v in enumerate(g.victims):
                t = int(g.assignments[r, i])
                if t >= 0:
                    f, mp = res.targets[t]
                    pairs.append({"sample": res.items[v], "family": f, "missing": mp})
        pairs.sort(key=lambda p: pos[p["sample"]])
        log10 = s / math.log(10)
        out.append({"pairs": pairs, "loglik": res.loglik0 + s, "lr": None if log10 > 308 else math.exp(s),
                    "log10_lr": log10})
    return out


def _symmetric(res: JointResult) -> list[dict]:
    """Best assignments the DNA cannot tell apart: equal likelihood, the same victims on the
    same missing persons, in another order (dvir's "symmetric" match)."""
    out = []
    for g in res.groups:
        if not g.exact or len(g.plain) < 2:
            continue
        a = g.assignments[0]
        best = float(g.plain[0])
        for r in range(1, len(g.plain)):
            if abs(float(g.plain[r]) - best) > TIE * max(1.0, abs(best)):
                break
            b = g.assignments[r]
            if not np.array_equal(a >= 0, b >= 0) or set(a[a >= 0].tolist()) != set(b[b >= 0].tolist()):
                continue
            diff = np.flatnonzero(a != b)
            samples = [res.items[g.victims[i]] for i in diff]
            out.append({"samples": samples, "missing": sorted(res.targets[int(a[i])][1] for i in diff),
                        "family": res.targets[int(a[diff[0]])][0],
                        "families": sorted({res.targets[int(a[i])][0] for i in diff}),
                        "loglik": res.loglik0 + best,
                        "assignments": [[{"sample": res.items[g.victims[i]], "missing": res.targets[int(x[i])][1]}
                                         for i in diff] for x in (a, b)]})
            break
    return out


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


def _undisputed(res: JointResult, log_lr, allowed, targets, items, opts: JointOptions) -> list[dict]:
    """dvir's ``findUndisputed`` on the pairwise LR matrix: a pairing is undisputed when its LR
    exceeds the threshold and is at least ``threshold`` times every other pairwise LR of its
    victim and of its missing person (``strict``: those are all ≤ 1; non-pairings count as 0).
    Found pairings are fixed, their victims' data join their families, the pairwise LRs of
    those families are recomputed conditionally, and the search repeats."""
    thr = math.log(opts.threshold)
    lr = np.where(allowed, log_lr, -np.inf)
    live_v, live_t = set(range(len(items))), set(range(len(targets)))
    placed: dict[str, dict[int, int]] = {}
    table_of = {name: (g, ft) for g in res.groups for name, ft in g.tables.items()}
    out = []
    step = 0
    while live_v and live_t:
        step += 1
        vs, ts = sorted(live_v), sorted(live_t)
        b = lr[np.ix_(vs, ts)]
        found = []
        for i, j in zip(*np.nonzero(b > thr), strict=True):
            others = np.concatenate([np.delete(b[i, :], j), np.delete(b[:, j], i)])
            ok = bool(np.all(others <= 0.0)) if opts.strict else bool(np.all(others <= b[i, j] - thr))
            if ok:
                found.append((vs[i], ts[j], float(b[i, j])))
        if not found:
            break
        for v, t, val in found:
            f, mp = targets[t]
            glr = res.glr.get((v, t))
            out.append({"sample": items[v], "family": f.name, "missing": mp,
                        "lr": math.exp(val) if val < 709 else None, "log10_lr": val / math.log(10),
                        "glr": None if glr is None else (math.exp(glr) if glr < 709 else None),
                        "log10_glr": None if glr is None else glr / math.log(10), "step": step})
            live_v.discard(v)
            live_t.discard(t)
            placed.setdefault(f.name, {})[t] = v
        for name, fixed in placed.items():
            if name not in table_of:
                continue
            g, ft = table_of[name]
            base = family_loglr(ft, fixed, g.own)
            for t in ft.targets:
                if t not in live_t:
                    continue
                for v in live_v:
                    if not allowed[v, t] or v not in g.own:
                        continue
                    with_v = family_loglr(ft, {**fixed, t: v}, g.own)
                    if with_v > -math.inf or v in ft.cands[ft.targets.index(t)]:
                        lr[v, t] = with_v - base
    return out
