"""Solving the independent groups: components of the LR graph, pairings fixed as certain, pairings cut with the proof of the package docstring, exact enumeration of each group."""

from __future__ import annotations

import math

import numpy as np

from vestige.kinship.casedata import CaseData
from vestige.kinship.joint.enumeration import enumerate_assignments
from vestige.kinship.joint.frontier import Unit
from vestige.kinship.joint.frontier import plan as plan_frontier
from vestige.kinship.joint.frontier import solve as solve_frontier
from vestige.kinship.joint.model import (
    CUTOFFS,
    FIX_EPSILON,
    MAX_CLASS_TABLE,
    MAX_ROOT_PLACEMENTS,
    MAX_SAMPLED_CELLS,
    RESAMPLE_CUT_MASS,
    TIE,
    Group,
    JointOptions,
    Pairwise,
    TooLarge,
)
from vestige.kinship.joint.sampler import R_HAT_MAX
from vestige.kinship.joint.sampler import sample as sample_group
from vestige.kinship.joint.tables import FamilyTable, build_family_table
from vestige.kinship.observe import evidence_matrix, hw_probability
from vestige.kinship.readings import sample_readings
from vestige.kinship.theta import singleton_weights


def solve_groups(problem: Pairwise, evidence: CaseData, opts: JointOptions, progress, placement=None) -> list[Group]:
    """Every group of ``problem`` solved — listed, by dynamic programming, cut, or sampled, in
    that order of preference (the module's docstring) — with ``evidence`` for the tables of
    families of several missing persons; ``placement``: the lineage systems' placement."""
    log_lr, log_w, targets, multi = problem.log_lr, problem.log_w, problem.targets, problem.multi
    family_of = problem.family_of
    n_v, n_t = log_lr.shape
    fam_targets: dict[str, list[int]] = {}
    for c, (f, _mp) in enumerate(targets):
        fam_targets.setdefault(f.name, []).append(c)
    # λ: the prior-weighted LR of a pairing (its mass relative to leaving the victim unassigned)
    lam = log_lr + log_w[:, None]
    finite = np.isfinite(log_lr)
    comps = _dense_components(finite, fam_targets)
    groups: list[Group] = []
    cache: dict = {"lineage": placement}
    # (victims, targets, cut level, root): the root is the part, after certain pairings are fixed,
    # that the cuts split (see the sampler below)
    todo: list[tuple] = [(vs, ts, 0, None) for vs, ts in comps]
    kept = np.zeros_like(finite)  # the pairings kept, written per group (groups never overlap)
    fixed_done: set[tuple[int, ...]] = set()
    single = np.array([f.name not in multi for f in family_of], dtype=bool)
    root_of: dict[int, tuple] = {}  # id(group) → its root
    heavy: set[tuple] = set()  # roots whose exact parts carry more cut mass than RESAMPLE_CUT_MASS
    whole_roots: set[tuple] = set()  # roots already sampled whole
    done = 0
    while todo:
        vs, ts, level, root = todo.pop()
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
                parts = _dense_components(sub0[np.ix_(vs2, ts2)], _restrict(fam_targets, ts2, family_of))
                for a, b in parts:
                    part = ([vs2[i] for i in a], [ts2[j] for j in b])
                    fixed_done.add(tuple(part[0]))
                    todo.append((*part, 0, None))
                # victims left with no pairing at all: nothing to enumerate (marginal '*' = 1)
                continue
            fixed_done.add(tuple(vs))
        if level == 0:
            root = (tuple(vs), tuple(ts))
        block = finite[np.ix_(vs, ts)]
        if level > 0:
            block = block & (lam[np.ix_(vs, ts)] >= math.log(CUTOFFS[level]))
        kept[np.ix_(vs, ts)] = block
        sub = kept
        if level > 0:  # the cut may split the component
            parts = _dense_components(block, _restrict(fam_targets, ts, family_of))
            parts = [([vs[i] for i in a], [ts[j] for j in b]) for a, b in parts]
            if len(parts) > 1:
                todo.extend((a, b, level, root) for a, b in parts)
                continue
        g = Group(vs, ts, cutoff=CUTOFFS[level])
        args = (g, sub, problem, evidence, opts, cache)
        try:
            try:
                if opts.method in ("frontier", "sample") or not _fits(vs, ts, sub, opts):
                    raise TooLarge(f"more than {opts.max_assignments:,} assignments")
                _enumerate_group(*args)
            except TooLarge:
                if opts.method == "enumerate":
                    raise
                # too many assignments to list: the dynamic programme over the group's states
                _enumerate_group(*args, how="sample" if opts.method == "sample" else "frontier")
        except TooLarge as e:
            if level + 1 < len(CUTOFFS):
                todo.append((vs, ts, level + 1, root))
                continue
            reason = f"{e}, even with pairings of prior-weighted LR below {CUTOFFS[-1]:g} cut"
            # The last resort: a sampler with its error and diagnostics, never pairwise posteriors.
            # It needs no cut, so it takes the whole root the cuts split, every pairing in it: the
            # parts solved exactly beside it are dropped, and no cut pairing's mass (first-order,
            # shared by every victim of the part) weighs on its marginals. If that root is too
            # large, it takes every pairing inside the part (those to other parts stay cut), or,
            # if a family's table cannot be built so, the part as cut.
            whole = _sample_root(root, kept, finite, lam, args, opts) if level > 0 else None
            if whole is not None:
                mine = {id(x) for x in groups if root_of.get(id(x)) == root}
                groups[:] = [x for x in groups if id(x) not in mine]
                todo[:] = [x for x in todo if x[3] != root]
                heavy.discard(root)
                whole[0].cut = _cut_pairings(whole[0], lam, finite, kept) if whole[1] > 0 else []  # only cut ones
                groups.append(whole[0])
                whole_roots.add(root)
                continue
            g = None
            for block_k in ([finite[np.ix_(vs, ts)], block] if opts.method != "enumerate" else []):
                kept[np.ix_(vs, ts)] = block_k
                g = Group(vs, ts, cutoff=CUTOFFS[level])
                try:
                    _enumerate_group(g, kept, *args[2:], how="sample")
                    break
                except TooLarge as e2:
                    reason, g = str(e2), None
            if g is None:
                groups.append(Group(vs, ts, exact=False, cutoff=CUTOFFS[level], reason=reason))
                continue
            sub = kept
        g.cut = _cut_pairings(g, lam, finite, sub) if level > 0 else []
        groups.append(g)
        root_of[id(g)] = root
        if level > 0 and root not in whole_roots and not g.sampled_error and sum(math.exp(lv) for _v, _t, lv in g.cut) > RESAMPLE_CUT_MASS:
            heavy.add(root)
        done += 1
        if progress:
            progress("groups", done, done + len(todo))
    # A root whose exact parts carry so much cut mass that their tolerance would hide what they
    # found: sampled whole instead when it can be (see the sampler above), the parts dropped.
    for root in sorted(heavy):
        whole = _sample_root(root, kept, finite, lam, (None, None, problem, evidence, opts, cache), opts)
        if whole is not None:
            groups[:] = [x for x in groups if root_of.get(id(x)) != root]
            whole[0].cut = _cut_pairings(whole[0], lam, finite, kept) if whole[1] > 0 else []
            groups.append(whole[0])
    groups.sort(key=lambda g: (min(g.victims), min(g.targets)))
    return groups


def components(n_v: int, n_t: int, pairs, fam_targets: dict[str, list[int]]) -> list[tuple[list[int], list[int]]]:
    """Connected components of victims ``0 … n_v - 1`` and targets ``0 … n_t - 1`` linked by
    ``pairs`` ((victim, target) pairings), a family's missing persons (``fam_targets``) kept
    together; only those with a victim and a target, each as (victims, targets) ascending, in the
    order of their first victim. Union–find with path halving."""
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
    for v, c in pairs:
        union(v, n_v + c)
    comps: dict[int, tuple[list[int], list[int]]] = {}
    for v in range(n_v):
        comps.setdefault(find(v), ([], []))[0].append(v)
    for c in range(n_t):
        comps.setdefault(find(n_v + c), ([], []))[1].append(c)
    return [x for x in comps.values() if x[0] and x[1]]


def _dense_components(edges: np.ndarray, fam_targets: dict[str, list[int]]) -> list[tuple[list[int], list[int]]]:
    """:func:`components` of the pairings marked in ``edges`` (victims × targets, bool)."""
    vv, cc = np.nonzero(edges)
    return components(edges.shape[0], edges.shape[1], zip(vv.tolist(), cc.tolist(), strict=True), fam_targets)


def star_group(local: np.ndarray, log_w: np.ndarray) -> Group:
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


def _sample_root(root, kept, finite, lam, args, opts) -> tuple[Group, float] | None:
    """The sampled group of the whole ``root`` and the largest cut-off it used: every pairing in
    it, or, if a family's table cannot be built so, those of prior-weighted LR at least 1e-12,
    1e-9, … below the last cut-off (the first that builds) — a family of several whose
    placements would still exceed :data:`MAX_ROOT_PLACEMENTS` cut further on its own. None if the
    method forbids it, the root is too large for the sampler's tables (:data:`MAX_SAMPLED_CELLS`)
    or nothing builds (``kept`` then as it was)."""
    if opts.method == "enumerate" or root is None:
        return None
    rvs, rts = list(root[0]), list(root[1])
    if len(rvs) * len(rts) > MAX_SAMPLED_CELLS:
        return None
    problem, cache = args[2], args[5]
    before = kept[np.ix_(rvs, rts)].copy()
    block = finite[np.ix_(rvs, rts)]
    lam_block = lam[np.ix_(rvs, rts)]
    several: dict[str, list[int]] = {}  # family of several → its columns in the root
    for j, t in enumerate(rts):
        if problem.targets[t][0].name in problem.multi:
            several.setdefault(problem.targets[t][0].name, []).append(j)
    for level in range(len(CUTOFFS) - 1):
        sub = block.copy() if level == 0 else block & (lam_block >= math.log(CUTOFFS[level]))
        top = _cut_wide_families(sub, lam_block, several, level)  # cuts ``sub`` in place
        if top is None:
            continue
        kept[np.ix_(rvs, rts)] = sub
        g = Group(rvs, rts, cutoff=CUTOFFS[top])
        tables = set(cache)
        try:
            _enumerate_group(g, kept, *args[2:], how="sample", placements=MAX_ROOT_PLACEMENTS)
        except TooLarge:
            for key in set(cache) - tables:  # the family tables of a try that failed: freed
                del cache[key]
            continue
        return g, CUTOFFS[top]
    kept[np.ix_(rvs, rts)] = before
    return None


def _cut_wide_families(sub, lam_block, several, level) -> int | None:
    """Cut, in place in ``sub``, the pairings of each family of several whose placements exceed
    :data:`MAX_ROOT_PLACEMENTS` at the first cut-off above ``level`` where they fit; the largest
    level used, or None if one never fits."""
    top = level
    for cols in several.values():
        for lv in range(level, len(CUTOFFS) - 1):
            m = sub[:, cols] if lv == level else sub[:, cols] & (lam_block[:, cols] >= math.log(CUTOFFS[lv]))
            if math.prod(1 + int(x) for x in m.sum(axis=0)) <= MAX_ROOT_PLACEMENTS:
                sub[:, cols] = m
                top = max(top, lv)
                break
        else:
            return None
    return top


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


def _enumerate_group(g: Group, sub, problem: Pairwise, evidence: CaseData, opts: JointOptions, cache,
                     how: str = "list", placements: int = MAX_CLASS_TABLE) -> None:
    """Score every assignment of the group (``how="frontier"``: solve it by :mod:`.frontier`
    instead; ``"sample"``: estimate its marginals by :mod:`.sampler`), without listing the
    assignments); ``sub``: the pairings kept (victims × targets, bool)."""
    log_lr, log_w, targets, multi = problem.log_lr, problem.log_w, problem.targets, problem.multi
    items = evidence.items
    vs, ts = g.victims, g.targets
    local = {c: j for j, c in enumerate(ts)}
    opts_local = [[local[c] for c in ts if sub[v, c]] for v in vs]
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
    if how == "frontier":  # whether the programme can take the group, before any family table is built
        plan_frontier(opts_local, _units(opts_local, single_cols, multi_fams, np.zeros(0)))
    if how == "sample":  # the sampler's factor of a family lists every placement: refused before any table is built
        for fname, js in multi_fams.items():
            size = math.prod(1 + sum(1 for o in opts_local if j in o) for j in js)
            if size > placements:
                raise TooLarge(f"family {fname}: {size:,} placements of its candidates")
    # Families with several missing persons: one class table per marker.
    for fname, js in multi_fams.items():
        fam = targets[ts[js[0]]][0]
        mps = [targets[ts[j]][1] for j in js]
        cands = [[vs[i] for i in range(len(vs)) if js_j in opts_local[i]] for js_j in js]
        key = (fname, tuple(tuple(c) for c in cands))
        if key not in cache:
            markers = _family_markers(fam, evidence.profiles, evidence.table, [items[v] for c in cands for v in c],
                                      evidence.bodies, evidence.sprof)
            cache[key] = build_family_table(fam, [ts[j] for j in js], mps, cands, evidence, markers,
                                            cache.setdefault("reads", {}))
        ft: FamilyTable = cache[key]
        ft.lineage = cache.get("lineage")
        g.tables[fname] = ft
    own = {v: _own_loglik(v, evidence, cache)
           for i, v in enumerate(vs) if any(j in in_multi_cols for j in opts_local[i])}
    # Victims' own likelihoods, for the conditional pairwise LRs of families with several
    # missing persons (undisputed identifications): only those that such a family could take.
    g.own = own
    if how != "list":
        _by_frontier(g, opts_local, pair, single_cols, multi_fams, log_w, targets, len(items), own, opts,
                     sampled=how == "sample")
        return
    rows = enumerate_assignments(opts_local, len(ts), opts.max_assignments)  # (n_a, n_v) local target or -1
    score = np.zeros(len(rows))
    for i in range(len(vs)):
        col = rows[:, i]
        mask = np.isin(col, single_cols)
        score[mask] += pair[i, col[mask]]
    for fname, js in multi_fams.items():
        # who sits on each of the family's missing persons, per assignment (global victim index or n_items)
        inv = np.full((len(rows), len(js)), len(items), dtype=np.int64)
        for i, v in enumerate(vs):
            for k, j in enumerate(js):
                inv[rows[:, i] == j, k] = v
        score += _family_phi(g.tables[fname], inv, len(items), own, log_w)
    weight = np.zeros(len(rows))
    for i, v in enumerate(vs):
        weight += np.where(rows[:, i] >= 0, log_w[v], 0.0)
    plain = score - weight
    order = np.lexsort((np.arange(len(rows)), -plain))
    g.assignments = np.where(rows[order] >= 0, np.asarray(ts)[np.maximum(rows[order], 0)], -1)
    g.loglr = score[order]
    g.plain = plain[order]
    g.count = len(rows)


def _family_phi(ft: FamilyTable, inv: np.ndarray, n_items: int, own: dict[int, float], log_w) -> np.ndarray:
    """log Φ of a family of several missing persons for each row of ``inv`` (its occupants:
    global victim index, ``n_items`` for nobody): the family's log LR with them placed (class
    tables, lineage systems) less their own likelihoods, with their prior weights."""
    cost = np.zeros(n_items + 1)  # own likelihood less prior weight, per victim (nobody: 0)
    for v, x in own.items():
        cost[v] = x - log_w[v]
    fam_score = -cost[inv].sum(axis=1)
    for marker, lt in ft.log_t.items():
        cms = ft.classes[marker]
        flat = np.zeros(len(inv), dtype=np.int64)
        stride = 1
        for k in range(inv.shape[1] - 1, -1, -1):
            flat += cms[k][inv[:, k]] * stride
            stride *= lt.shape[k]
        base = lt.reshape(-1)
        fam_score += base[flat] - base[-1]
    if ft.lineage is not None:  # the lineage systems, jointly for the victims placed together
        for r in range(len(inv)):
            placed_mp = tuple((ft.mps[k], int(inv[r, k])) for k in range(inv.shape[1]) if inv[r, k] < n_items)
            if placed_mp:
                fam_score[r] += ft.lineage(ft.family, placed_mp)
    return fam_score


def _units(opts_local, single_cols, multi_fams, phi) -> list[Unit]:
    """The group's units for :mod:`.frontier`: each single missing person, then each family of
    several (with ``phi`` as its factor: a placeholder when only the shape is needed)."""
    n = len(opts_local)
    units = [Unit([int(j)], [[i for i in range(n) if j in opts_local[i]]]) for j in single_cols]
    for js in multi_fams.values():
        units.append(Unit(list(js), [[i for i in range(n) if j in opts_local[i]] for j in js], phi))
    return units


def _by_frontier(g: Group, opts_local, pair, single_cols, multi_fams, log_w, targets, n_items, own, opts,
                 sampled: bool = False) -> None:
    """The group by dynamic programming (:mod:`.frontier`): exact marginals, GLRs, the best
    assignments and their count, without listing every assignment; ``sampled``: by Markov chain
    Monte Carlo (:mod:`.sampler`) on the same units, marginals with a stated error."""
    vs, ts = g.victims, g.targets
    units = _units(opts_local, single_cols, {}, None)
    for fname, js in multi_fams.items():
        cands = [[i for i in range(len(vs)) if j in opts_local[i]] for j in js]
        shape = tuple(len(c) + 1 for c in cands)
        if math.prod(shape) > MAX_CLASS_TABLE:
            raise TooLarge(f"family {fname}: {math.prod(shape):,} placements of its candidates")
        grid = np.indices(shape).reshape(len(js), -1).T  # every tuple: 0 nobody, 1 + k candidate k
        inv = np.full(grid.shape, n_items, dtype=np.int64)
        for c, cl in enumerate(cands):
            lut = np.array([n_items] + [vs[i] for i in cl], dtype=np.int64)
            inv[:, c] = lut[grid[:, c]]
        phi = _family_phi(g.tables[fname], inv, n_items, own, log_w)
        for a in range(len(js)):  # one victim on two missing persons: not an assignment
            for b in range(a + 1, len(js)):
                phi[(inv[:, a] == inv[:, b]) & (inv[:, a] < n_items)] = -np.inf
        units.append(Unit(list(js), cands, phi.reshape(shape)))
    lw = np.array([log_w[v] for v in vs])
    if sampled:
        sm = sample_group(opts_local, pair, lw, units, len(ts), sweeps=opts.sweeps, seed=opts.seed)
        score, row = sm.best
        rows = [row] + _tied_swaps(row, score, units)
        g.assignments = np.where(np.array(rows) >= 0, np.asarray(ts)[np.maximum(np.array(rows), 0)], -1)
        g.plain = np.full(len(rows), score)
        g.loglr = g.plain + np.where(row >= 0, lw, 0.0).sum()
        g.count = 0  # not counted
        g.marginal = sm.marginal
        g.sampled_error = sm.error
        g.victim_errors = {v: float(e) for v, e in zip(vs, sm.victim_error, strict=True)}
        g.method = (f"sampler ({sm.chains} chains × {sm.sweeps:,} sweeps; largest split-R̂ {float(sm.r_hat.max()):.3f}; "
                    f"largest Monte Carlo standard error {float(sm.mc_error.max()):.2g}"
                    f"{'' if sm.converged else _disagreement(sm)})")
        return
    res = solve_frontier(opts_local, pair, lw, units, len(ts), k=max(2, opts.top), max_states=opts.max_states)
    rows = np.array([r for _s, r in res.best], dtype=np.int64).reshape(len(res.best), len(vs))
    plain = np.array([s for s, _r in res.best])
    g.assignments = np.where(rows >= 0, np.asarray(ts)[np.maximum(rows, 0)], -1)
    g.plain = plain
    g.loglr = plain + np.where(rows >= 0, lw[None, :], 0.0).sum(axis=1)
    g.count = int(round(math.exp(res.log_count))) if res.log_count < 36 else math.exp(min(res.log_count, 700.0))
    g.marginal = res.marginal
    g.glr_local = res.glr
    g.method = f"dynamic programming (width {res.width}, {res.states:,} states)"


def _tied_swaps(row: np.ndarray, score: float, units) -> list[np.ndarray]:
    """The assignments that exchange two remains the best one places in one family of several and
    score the same (within :data:`TIE`): what the DNA cannot tell apart, for the symmetric matches
    (the sampler keeps only the best assignment it visited)."""
    out = []
    for unit in units:
        if unit.log_phi is None:
            continue
        held = [int(np.flatnonzero(row == c)[0]) if (row == c).any() else -1 for c in unit.cols]
        idx = [0 if v < 0 else 1 + unit.cands[p].index(v) for p, v in enumerate(held)]
        here = float(unit.log_phi[tuple(idx)])
        for a in range(len(unit.cols)):
            for b in range(a + 1, len(unit.cols)):
                va, vb = held[a], held[b]
                if va < 0 or vb < 0 or vb not in unit.cands[a] or va not in unit.cands[b]:
                    continue
                swapped = list(idx)
                swapped[a], swapped[b] = 1 + unit.cands[a].index(vb), 1 + unit.cands[b].index(va)
                if abs(float(unit.log_phi[tuple(swapped)]) - here) <= TIE * max(1.0, abs(score)):
                    other = row.copy()
                    other[va], other[vb] = unit.cols[b], unit.cols[a]
                    out.append(other)
    return out


def _disagreement(sm) -> str:
    n = int((sm.r_hat > R_HAT_MAX).sum())
    return (f"; the chains disagree on {n:,} marginal{'s' if n != 1 else ''} (split-R̂ above {R_HAT_MAX}): the "
            "spread between them is their remains' stated error")


def _family_markers(fam, profiles, table, items, bodies, sprof) -> list[str]:
    """Markers where a candidate victim (``items``) is typed: at any other marker every placement
    has the likelihood of the family alone, and the ratios the engine uses are 1."""
    typed = {mk for it in items for s in bodies.get(it, [it]) for mk in sprof.genotypes.get(s, {})}
    return [m for m in table.markers if m in typed]


def _own_loglik(v: int, evidence: CaseData, cache) -> float:
    key = ("own", v)
    if key not in cache:
        cache[key] = victim_logliks([evidence.items[v]], evidence.bodies, evidence.sprof, evidence.table,
                                    evidence.degradation, evidence.theta)[0]
    return cache[key]


def victim_logliks(items, bodies, sprof, table, degradation, theta) -> list[float]:
    out = []
    for it in items:
        total = 0.0
        for marker in table.markers:
            rs = sample_readings(sprof, bodies.get(it, [it]), marker, degradation)
            if rs:
                total += math.log(own_probability(rs, table, marker, theta))
        out.append(total)
    return out


def own_probability(rs, table, marker, theta) -> float:
    alleles, freqs = table.alleles[marker], table.freqs[marker]
    if theta == 0:
        return hw_probability(rs, alleles, freqs)
    index = {a: i for i, a in enumerate(alleles)}
    e = evidence_matrix(rs, list(alleles), lambda lab: freqs[index[lab]])
    return float((e * singleton_weights(freqs, theta)).sum())
