"""Reporting the joint result: marginals, the most probable assignments, symmetric assignments, approximate groups."""

from __future__ import annotations

import heapq
import math

import numpy as np

from vestige.kinship.joint.model import TIE, Group, JointOptions, JointResult, Marginal, Symmetric
from vestige.kinship.prior import default_prior, posterior


def report(res: JointResult, opts: JointOptions, allowed_fn, n_row, n_col) -> None:
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
        if g.marginal is not None:  # solved by dynamic programming: marginals and GLRs given
            for j, t in enumerate(g.targets):
                free[t] = max(0.0, 1.0 - float(g.marginal[:, j].sum()))
            for i, v in enumerate(g.victims):
                marg[v] = {t: float(g.marginal[i, j]) for j, t in enumerate(g.targets) if allowed_fn(v, t)}
                star[v] = float(g.marginal[i, -1])
            for (i, j), x in g.glr_local.items():
                res.glr[(g.victims[i], g.targets[j])] = x
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
    # A sampled group adds each victim's own stated error (joint/sampler.py) to that.
    tol: dict[int, float] = {}
    extra_row: dict[int, float] = {}  # victim → Λ_v·P(v = *)
    extra_col: dict[int, float] = {}  # target → Λ_m·P(m free)
    for g in res.groups:
        if g.exact and not g.fixed:
            shared = sum(math.exp(lv) * star.get(v, 1.0) * free.get(t, 1.0) for v, t, lv in g.cut)
            g.tolerance = (g.sampled_error or 0.0) + shared
            for v in g.victims:
                tol[v] = shared if g.sampled_error is None else min(1.0, g.victim_errors.get(v, g.sampled_error) + shared)
        elif g.exact:
            tol.update((v, g.tolerance) for v in g.victims)
        # The pairings never given to the engine (sparse entry: those the search did not report),
        # pairing by pairing. Putting back a victim's own, of prior-weighted mass Λ_v, moves any of
        # its marginals by at most Λ_v·P(v = *) (they only add weight where v is unassigned); those
        # of a missing person (mass Λ_m, from the search's column sums) move its marginals by at
        # most Λ_m·P(m free). A pairing of neither moves them only through a chain of competitors
        # (second order: not counted). Shared over a group, as the cut pairings are, the unrelated
        # bodies' unreported mass (unassigned, Λ in the thousands at national scale) made every
        # marginal of a national run's group worthless; left out, a national run named 4 wrong
        # bodies at LR 10^3.6–10^5.8 among 10,000 (benchmarks/identification_run.py).
        for v, mass in g.extra.items():
            extra_row[v] = mass * star.get(v, 1.0)
        for t, mass in g.extra_col.items():
            extra_col[t] = mass * free.get(t, 1.0)
        if g.extra or g.extra_col:  # the group's figure: the largest of its pairings'
            g.tolerance = min(1.0, g.tolerance + max([extra_row.get(v, 0.0) for v in g.victims]
                                                     + [extra_col.get(t, 0.0) for t in g.targets]))
    sampled = {v for g in res.groups if g.sampled_error is not None for v in g.victims}
    # A victim in no group had every pairing cut (or none): "none of the missing" is then
    # 1 / (1 + M), M its prior-weighted LR mass cut away, and M / (1 + M) is how far that may be
    # off (its candidates' other claimants unknown) — never 1.0 while it has a candidate.
    for v, mass in res.outside.items():
        if mass > 0:
            tol[v] = max(tol.get(v, 0.0), mass / (1.0 + mass))
    for v, it in enumerate(items):
        for t, p in sorted(marg.get(v, {}).items()):
            f, mp = targets[t]
            systems = None
            if res.systems:  # each lineage system's pairwise log10 LR (None: nothing compared)
                systems = {name: (None if math.isnan(x := float(m[v, t])) else x / math.log(10))
                           for name, m in res.systems.items()}
            res.marginals.append(Marginal(v, t, it, f, mp, p, min(1.0, tol.get(v, 0.0) + extra_row.get(v, 0.0)
                                                               + extra_col.get(t, 0.0)),
                                          exact=v not in sampled, systems=systems))
        if v not in in_groups:
            star[v] = 1.0 / (1.0 + res.outside.get(v, 0.0))
        if v in star:
            none_tol = tol.get(v, 0.0) + extra_row.get(v, 0.0) + sum(extra_col.get(t, 0.0) for t in marg.get(v, {}))
            res.marginals.append(Marginal(v, None, it, None, None, star[v], min(1.0, none_tol), exact=v not in sampled))
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
                res.marginals.append(Marginal(v, t, res.items[v], f, mp, p, exact=False))
        res.marginals.append(Marginal(v, None, res.items[v], None, None, max(0.0, 1.0 - total), exact=False))


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


def _symmetric(res: JointResult) -> list[Symmetric]:
    """Best assignments the DNA cannot tell apart: equal likelihood, the same victims on the
    same missing persons, in another order (dvir's "symmetric" match) — the first of each group,
    and of a sampled group every exchange within a family that ties (joint/groups._tied_swaps)."""
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
            orders = tuple([(res.items[g.victims[i]], res.targets[int(x[i])][1]) for i in diff] for x in (a, b))
            out.append(Symmetric(samples, sorted(res.targets[int(a[i])][1] for i in diff),
                                 res.targets[int(a[diff[0]])][0], sorted({res.targets[int(a[i])][0] for i in diff}),
                                 res.loglik0 + best, orders))
            if g.sampled_error is None:
                break
    return out
