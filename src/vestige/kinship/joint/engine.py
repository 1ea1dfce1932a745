"""The two entries of the joint engine: :func:`joint_identification` (dense, from profiles) and :func:`joint_sparse` (from a search's pairs)."""

from __future__ import annotations

import math

import numpy as np

from vestige.kinship.casedata import CaseData
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.joint.enumeration import count_admissible
from vestige.kinship.joint.groups import (
    components,
    own_probability,
    solve_groups,
    star_group,
    victim_logliks,
)
from vestige.kinship.joint.model import Group, JointOptions, JointResult, Pairwise
from vestige.kinship.joint.report import report
from vestige.kinship.joint.undisputed import undisputed
from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.lineage_pairs import PlacementLineage, shared_lines
from vestige.kinship.linked import Linkage
from vestige.kinship.linked_scores import link_matrix
from vestige.kinship.lr import marker_likelihood
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.pedigree import Family
from vestige.kinship.prior import check_prior, default_prior
from vestige.kinship.readings import family_readings, sample_readings
from vestige.kinship.search import pairwise_matrix


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
        raise KinshipInputError.option("assignment_prior", f"{opts.prior!r} is not pairwise or flat")
    if opts.sweeps < 400:
        raise KinshipInputError.option("sweeps", f"{opts.sweeps} sweeps are too few for the sampler's diagnostics "
                                       "(at least 400: a quarter burn-in, then 100 batches a chain)")
    if opts.method not in ("auto", "enumerate", "frontier", "sample"):
        raise KinshipInputError.option("method", f"{opts.method!r} is not auto, enumerate, frontier or sample")
    if opts.disable_mutations not in ("never", "consistent", "always"):
        raise KinshipInputError.option("disable_mutations", f"{opts.disable_mutations!r} is not never, consistent or always")
    if opts.threshold <= 1 or math.isnan(opts.threshold):
        raise KinshipInputError.option("threshold", f"{opts.threshold} must exceed 1")
    if opts.max_assignments < 1:
        raise KinshipInputError.option("max_assignments", f"{opts.max_assignments} must be at least 1")
    if not 0.0 <= opts.theta < 1.0:
        raise KinshipInputError.option("theta", f"{opts.theta} is not in [0, 1)")
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
    # The pairings in the prior of a victim (the missing persons of families not skipped) and of a
    # missing person (every victim): the sexes' exclusions count as exclusions (LR 0), not as
    # "someone else" (vestige.kinship.prior.posterior).
    counts = (sum(1 for f, _mp in targets if f.name not in skipped), n_v)
    log_lr = np.concatenate(log_lr_cols, axis=1) if log_lr_cols else np.zeros((n_v, 0))
    allowed = np.concatenate(allowed_cols, axis=1) if allowed_cols else np.zeros((n_v, 0), bool)
    if opts.theta > 0:
        log_lr, log_den = _theta_pairwise(targets, CaseData(items, bodies, profiles, sprof, table, mutation, fam_mutation,
                                                            degradation, opts.theta), allowed)
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
            data = CaseData(items, bodies, profiles, sprof, table, mutation, fam_mutation, degradation)
            log_lr, note = link_matrix(linkage, log_lr, counts, targets, several, data,
                                       opts.pair_prior if opts.pair_prior is not None
                                       else default_prior(opts.missing_total or n_t, n_v))
            notes.append(note)
            if several:
                notes.append(f"linked marker pairs left as products in the {len(several)} families of several missing "
                             "persons (their placements are scored marker by marker)")
    # Absolute log-likelihoods of the null: families' data and victims' own readings.
    victim_ll = victim_logliks(items, bodies, sprof, table, degradation, opts.theta)
    loglik0 = float(sum(victim_ll)) + sum(v for f in families if f.name not in skipped
                                          for v in log_den.get(f.name, {}).values())
    n_missing = opts.missing_total if opts.missing_total is not None else n_t
    pi = opts.pair_prior if opts.pair_prior is not None else default_prior(n_missing, n_v)
    check_prior(pi, n_missing, n_v)
    with np.errstate(divide="ignore"):  # per victim, the pairwise prior
        log_w = np.full(n_v, np.log(pi) - np.log(max(1.0 - counts[0] * pi, 1e-300)))
    if opts.prior == "flat":
        log_w = np.zeros(n_v)
    multi = {f.name for f in families if len(f.missing) > 1 or opts.theta > 0}
    evidence = CaseData(items, bodies, profiles, sprof, table, mutation, fam_mutation, degradation, opts.theta)
    groups = solve_groups(Pairwise(log_lr, log_w, targets, multi), evidence, opts, progress, placement)
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
    report(res, opts, lambda v, t: bool(allowed[v, t]), np.full(n_v, counts[0]), np.full(n_t, counts[1]))
    res.undisputed = undisputed(res, log_lr, allowed, targets, items, opts)
    return res


def joint_sparse(families: list[Family], profiles: Profiles, table: FrequencyTable, items: list[str],
                 edges: list[tuple[int, int, float]], *, sample_profiles: Profiles | None = None,
                 sexes: dict[str, str] | None = None, mutation: MutationModel | None = None,
                 degradation: Degradation | None = None, bodies: dict[str, list[str]] | None = None,
                 options: JointOptions | None = None, row_lse: dict[int, float] | None = None,
                 col_lse: dict[int, float] | None = None, progress=None) -> JointResult:
    """The joint engine on a sparse set of pairings, for matching runs at national scale.

    ``edges``: ``(item index, target index, natural log LR)`` — e.g. every pair the blind search
    reported; targets are the families' missing persons in order. Pairings not given count as
    cut; ``row_lse[item]`` (the search's log Σ LR over all the sample's pairings) gives the mass of
    the pairings it did not report, prior-weighted, and ``col_lse[target]`` the same over a missing
    person's samples: each pairing's tolerance counts its victim's and its person's (report.py). Absolute
    log-likelihoods are not computed here (``loglik`` is ``null``); undisputed pairings come from
    the dense entry point only. ``sexes`` is accepted for the dense entry's signature: the edges
    already leave out what the sexes exclude, and those pairings stay in the prior (LR 0).
    """
    opts = options or JointOptions()
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    bodies = bodies or {}
    targets = [(f, mp) for f in families for mp in f.missing]
    n_v, n_t = len(items), len(targets)
    n_missing = opts.missing_total if opts.missing_total is not None else n_t
    pi = opts.pair_prior if opts.pair_prior is not None else default_prior(n_missing, n_v)
    check_prior(pi, n_missing, n_v)
    # Every pairing is in the prior, the ones the sexes exclude too (as in the dense entry).
    n_row, n_col = np.full(n_v, n_t, dtype=np.int64), np.full(n_t, n_v, dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_w = np.log(pi) - np.log(np.maximum(1.0 - n_row * pi, 1e-300))
    if opts.prior == "flat":
        log_w = np.zeros(n_v)
    family_of = [f for f, _ in targets]
    fam_targets: dict[str, list[int]] = {}
    for c, (f, _mp) in enumerate(targets):
        fam_targets.setdefault(f.name, []).append(c)
    by_edge: dict[tuple[int, int], float] = {(v, t): lv for v, t, lv in edges if lv != -math.inf}
    reported: dict[int, float] = {}
    reported_col: dict[int, float] = {}
    for (v, t), lv in by_edge.items():
        x = math.exp(min(lv + log_w[v], 700.0))
        reported[v] = reported.get(v, 0.0) + x
        reported_col[t] = reported_col.get(t, 0.0) + x
    col_w = float(np.max(log_w)) if n_v else 0.0  # a column's pairings weighed at the largest row weight
    multi = {f.name for f in families if len(f.missing) > 1 or opts.theta > 0}
    fam_mutation = {f.name: mutation for f in families}
    groups: list[Group] = []
    todo = components(n_v, n_t, by_edge, fam_targets)
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
            sub_groups = [star_group(local, log_w[vs])]  # one victim or one person: no enumeration needed
        else:
            evidence = CaseData([items[v] for v in vs], bodies, profiles, sprof, table, mutation, fam_mutation,
                                degradation, opts.theta)
            sub_groups = solve_groups(Pairwise(local, log_w[vs], [targets[t] for t in ts], multi), evidence, opts, None)
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
                g.extra = {v: unreported_mass(row_lse[v] + log_w[v], reported.get(v, 0.0))
                           for v in g.victims if v in row_lse}
            if col_lse and g.exact:
                g.extra_col = {t: unreported_mass(col_lse[t] + col_w, reported_col.get(t, 0.0))
                               for t in g.targets if t in col_lse}
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
    report(res, opts, lambda v, t: (v, t) in by_edge, n_row, n_col)
    for a in res.assignments:
        a["loglik"] = None
    return res


UNREPORTED_ROUNDING = 1e-12  # relative: the search's row sum and the reported pairs' sum are rounded apart


def unreported_mass(log_total: float, reported: float) -> float:
    """The prior-weighted LR mass of a sample's pairings the search did not report: its whole row
    (``log_total``, prior-weighted) less what it did report — with an allowance for rounding, since
    the two sums are made apart in floating point: a body whose true pairing has an LR of 10^20
    leaves a difference of rounding noise about 10^4 times its weight, never a negative mass."""
    total = math.exp(min(log_total, 700.0))
    return max(0.0, total - reported) + UNREPORTED_ROUNDING * total


def _family_mutations(families, profiles, table, mutation, degradation, policy) -> dict[str, MutationModel]:
    out = {}
    none = MutationModel()
    for f in families:
        if policy == "always":
            out[f.name] = none
        elif policy == "consistent":
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






def _theta_pairwise(targets, data: CaseData, allowed) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """Under θ, per family component (pedprobr's likelihood of a list of pedigrees): the family
    with the victim placed, against the family and the victim as separate components; (log LRs,
    victims × targets; each family's log P(data) per marker)."""
    items, bodies, profiles, sprof, table = data.items, data.bodies, data.profiles, data.sprof, data.table
    degradation, theta = data.degradation, data.theta
    log_lr = np.full((len(items), len(targets)), -np.inf)
    dens: dict[str, dict[str, float]] = {}
    for c, (f, mp) in enumerate(targets):
        model = data.mutation_of(f.name)
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
                total += math.log(num) - dens[f.name][marker] - math.log(own_probability(srs, table, marker, theta))
            log_lr[v, c] = total
    return log_lr, dens
