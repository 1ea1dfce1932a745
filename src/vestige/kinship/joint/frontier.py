"""Exact marginals of a group too large to enumerate: dynamic programming along a path
decomposition of the group's bipartite graph.

The weight of an assignment is a product of local factors: ``λ_vm`` for a victim placed on a
missing person whose family has no other (the pairwise prior-weighted LR), and for a family of
several missing persons one factor ``Φ_f`` of the whole tuple of victims placed on them (its
class tables, :mod:`.tables`). The only coupling between victims is that a missing person takes
at most one. So the victims are taken one at a time, in an order chosen to keep few missing
persons "open" (with candidates already taken *and* still to come), and the state after each
victim records, for the open ones only, whether they are taken (a family of several: by whom).
Summing over states is exact; the cost is the number of states, not of assignments (2^width
at most, width the largest open set). This is variable elimination on the constraint graph
(Dechter 1999, bucket elimination; Koller & Friedman 2009, ch. 9–10) along a path
decomposition: counting weighted matchings is #P-hard in general (Valiant 1979), and tractable
for bounded path width (the same dynamic programme counts matchings of graphs of bounded
treewidth, Courcelle's theorem made concrete: e.g. Bodlaender & Koster 2008 on
treewidth-based dynamic programming). The order is a greedy minimum-frontier heuristic.

Quantities, all exact for the group:

- ``log Z`` and each marginal ``P(v = m)``, ``P(v = *)`` — forward sums, then the backward
  (adjoint) sums over the same states: the mass through a transition is
  ``F(src) · w · B(dst) / Z`` (Baum's forward–backward on the state graph);
- the GLR of a pairing (dvir's ``pairwiseGLR``): the best assignment through it against the
  best through any other choice of its victim — forward and backward maxima;
- the ``k`` best assignments with their plain log LRs (k-best Viterbi, per state the k best
  partial scores with their back pointers), for the listing and the symmetric matches;
- the number of admissible assignments (the same recursion with every weight 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.joint.model import TooLarge

MAX_STATES = 400_000  # states after one victim
MAX_EDGES = 12_000_000  # transitions kept for the backward pass, all victims together
MAX_CELLS = 30_000_000  # state cells (transitions × open columns) built for one victim (120 MB)
MAX_BITS = 40  # open state bits beyond which the reachable states would pass MAX_STATES


@dataclass
class Unit:
    """A missing person of a family with no other in the group (``log_phi`` None), or a family
    of several: ``cands[c]`` the local victims that may take its ``c``-th missing person, and
    ``log_phi`` its factor over every tuple of occupants (index 0: nobody, ``1 + k``: ``cands[c][k]``)."""

    cols: list[int]
    cands: list[list[int]]
    log_phi: np.ndarray | None = None


@dataclass
class FrontierResult:
    log_z: float
    marginal: np.ndarray  # (victims, targets + 1): P(v = m), last column P(v = *)
    glr: dict[tuple[int, int], float]  # (local victim, local target) → natural log GLR (plain)
    best: list[tuple[float, np.ndarray]]  # k best: (plain log LR, local target per victim or -1)
    log_count: float  # log of the number of admissible assignments
    width: int  # the largest number of open state columns
    states: int  # the most states after one victim
    order: list[int] = field(default_factory=list)


def _segment(keys: np.ndarray, vals: np.ndarray, n: int, how: str) -> np.ndarray:
    """Per key in ``range(n)``: log-sum-exp (``how="sum"``) or max of ``vals``; -inf if none."""
    out = np.full(n, -np.inf)
    if not len(keys):
        return out
    np.maximum.at(out, keys, vals)
    if how == "max":
        return out
    finite = np.isfinite(out)
    shift = np.where(finite, out, 0.0)
    acc = np.zeros(n)
    np.add.at(acc, keys, np.exp(vals - shift[keys]))
    with np.errstate(divide="ignore"):
        return np.where(finite, shift + np.log(acc), -np.inf)


def _unique_rows(rows: np.ndarray, radix: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows and each row's index among them: by one mixed-radix integer key when
    the columns' radices fit 62 bits, else by sorting the rows (``np.unique(axis=0)`` is far slower)."""
    if not rows.shape[1]:
        return np.zeros((1, 0), np.int32), np.zeros(len(rows), np.int64)
    if math.prod(radix) < 2 ** 62:
        strides = np.cumprod([1] + radix[:-1], dtype=np.int64)
        keys = rows.astype(np.int64) @ strides
        _u, first, dst = np.unique(keys, return_index=True, return_inverse=True)
        return rows[first], dst.reshape(-1)
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    new_group = np.concatenate([[True], np.any(srt[1:] != srt[:-1], axis=1)])
    ids = np.cumsum(new_group) - 1
    dst = np.empty(len(rows), np.int64)
    dst[order] = ids
    return srt[new_group], dst


def victim_order(options: list[list[int]], units: list[Unit], unit_of: dict[int, int]) -> list[int]:
    """Greedy minimum frontier: next, the victim whose choice opens the fewest new state bits
    net of those it closes (a unit closes when its last candidate is taken)."""
    n = len(options)
    bits = [sum(math.log2(1 + len(c)) for c in u.cands) if u.log_phi is not None else 1.0 for u in units]
    takers: list[set[int]] = [set() for _ in units]
    for i, opts in enumerate(options):
        for j in opts:
            takers[unit_of[j]].add(i)
    mine = [{unit_of[j] for j in opts} for opts in options]
    remaining = [len(t) for t in takers]
    opened = [False] * len(units)
    done = [False] * n
    order: list[int] = []
    for _ in range(n):
        best, best_key = -1, None
        for i in range(n):
            if done[i]:
                continue
            cost = 0.0
            for u in mine[i]:
                if remaining[u] == 1:
                    cost -= bits[u] if opened[u] else 0.0
                elif not opened[u]:
                    cost += bits[u]
            key = (cost, len(mine[i]), i)
            if best_key is None or key < best_key:
                best, best_key = i, key
        done[best] = True
        order.append(best)
        for u in mine[best]:
            opened[u] = True
            remaining[u] -= 1
    return order


def plan(options: list[list[int]], units: list[Unit]):
    """The order of the victims and where each unit opens and closes; raises :class:`TooLarge`
    at once when the widest point needs more than ``MAX_BITS`` bits of state (each open missing
    person of a family of one: taken or not; of several: by whom). Needs only the units' shape,
    so it runs before any family factor is computed."""
    unit_of: dict[int, int] = {}
    col_of: dict[int, int] = {}
    for u, unit in enumerate(units):
        for c, j in enumerate(unit.cols):
            unit_of[j] = u
            col_of[j] = c
    order = victim_order(options, units, unit_of)
    step_of = {v: s for s, v in enumerate(order)}
    opens: dict[int, list[int]] = {}
    closes: dict[int, list[int]] = {}
    for u, unit in enumerate(units):
        steps = [step_of[i] for c in unit.cands for i in c]
        if steps:
            opens.setdefault(min(steps), []).append(u)
            closes.setdefault(max(steps), []).append(u)
    unit_bits = [sum(math.log2(1 + len(c)) for c in u.cands) if u.log_phi is not None else float(len(u.cols))
                 for u in units]
    bits, peak_bits = 0.0, 0.0
    for s in range(len(options)):
        bits += sum(unit_bits[u] for u in opens.get(s, []))
        peak_bits = max(peak_bits, bits)
        bits -= sum(unit_bits[u] for u in closes.get(s, []))
    if peak_bits > MAX_BITS:
        raise TooLarge(f"{peak_bits:.0f} bits of state at the widest point of the best order found")
    return unit_of, col_of, order, opens, closes


def solve(options: list[list[int]], pair: np.ndarray, log_w: np.ndarray, units: list[Unit], n_targets: int,
          k: int = 10, max_states: int = MAX_STATES, max_edges: int = MAX_EDGES) -> FrontierResult:
    """The group's exact marginals, GLRs, k best assignments and count (see the module).

    ``options[i]``: local targets victim ``i`` may take; ``pair[i, j]``: natural log of the
    prior-weighted LR of ``i`` on a single missing person ``j``; ``log_w[i]``: the victim's prior
    weight (subtracted for plain LRs); ``units``: every target in exactly one unit. Raises
    :class:`TooLarge` when the states or transitions pass their limits."""
    n_v = len(options)
    unit_of, col_of, order, opens, closes = plan(options, units)
    pos_in: list[dict[int, int]] = [{} for _ in range(n_targets)]  # target → victim → state value
    for unit in units:
        for c, j in enumerate(unit.cols):
            for p, i in enumerate(unit.cands[c]):
                pos_in[j][i] = 1 + p if unit.log_phi is not None else 1  # one taken: who, only where Φ needs it
    states = np.zeros((1, 0), dtype=np.int32)
    open_cols: list[tuple[int, int]] = []  # (unit, column within unit) per state column
    fwd = [np.zeros(1)]
    steps = []  # per victim: (src, dst, option, weighted log multiplier, plain log multiplier)
    total_edges, width, peak = 0, 0, 1
    for s, i in enumerate(order):
        for u in opens.get(s, []):
            for c in range(len(units[u].cols)):
                open_cols.append((u, c))
        if len(open_cols) > states.shape[1]:
            states = np.concatenate([states, np.zeros((len(states), len(open_cols) - states.shape[1]), np.int32)], 1)
        where = {uc: q for q, uc in enumerate(open_cols)}
        n = len(states)
        free = {j: np.flatnonzero(states[:, where[(unit_of[j], col_of[j])]] == 0) for j in options[i]}
        n_edges = n + sum(len(x) for x in free.values())
        if total_edges + n_edges > max_edges or n_edges * max(1, states.shape[1]) > MAX_CELLS:
            raise TooLarge(f"{n_edges:,} transitions from {n:,} states at remains {s + 1} of {n_v} "
                           f"({len(open_cols)} missing persons open)")
        srcs, news, opts_, mults = [np.arange(n)], [states], [np.full(n, -1, np.int32)], [np.zeros(n)]
        for j in options[i]:
            q = where[(unit_of[j], col_of[j])]
            ok = free[j]
            if not len(ok):
                continue
            st = states[ok].copy()
            st[:, q] = pos_in[j][i]
            srcs.append(ok)
            news.append(st)
            opts_.append(np.full(len(ok), j, np.int32))
            single = units[unit_of[j]].log_phi is None
            mults.append(np.full(len(ok), pair[i, j] if single else 0.0))
        src, new, opt, mult = (np.concatenate(x) for x in (srcs, news, opts_, mults))
        closing = closes.get(s, [])
        for u in closing:
            unit = units[u]
            if unit.log_phi is None:
                continue
            flat = np.zeros(len(new), dtype=np.int64)
            for c in range(len(unit.cols)):
                flat = flat * (len(unit.cands[c]) + 1) + new[:, where[(u, c)]]
            mult = mult + unit.log_phi.reshape(-1)[flat]
        if closing:
            keep_cols = [q for q, (u, _c) in enumerate(open_cols) if u not in closing]
            new = new[:, keep_cols]
            open_cols = [open_cols[q] for q in keep_cols]
        # transitions of weight 0 (a placement the DNA excludes) stay: they are counted as the
        # listing counts them, and carry no mass
        radix = [2 if units[u].log_phi is None else len(units[u].cands[c]) + 1 for u, c in open_cols]
        uniq, dst = _unique_rows(new, radix)
        width = max(width, new.shape[1])
        peak = max(peak, len(uniq))
        total_edges += len(src)
        if len(uniq) > max_states or total_edges > max_edges:
            raise TooLarge(f"{len(uniq):,} states after {s + 1} of {n_v} remains ({total_edges:,} transitions; "
                           f"{len(open_cols)} missing persons open)")
        plain = mult - np.where(opt >= 0, log_w[i], 0.0)
        steps.append((src.astype(np.int32), dst.astype(np.int32), opt, mult, plain))
        fwd.append(_segment(dst, fwd[-1][src] + mult, len(uniq), "sum"))
        states = uniq.astype(np.int32)
    log_z = float(fwd[-1][0]) if len(fwd[-1]) else -math.inf

    marginal = np.zeros((n_v, n_targets + 1))
    back = np.zeros(1)
    bmax = np.zeros(1)
    fmax = [np.zeros(1)]
    for src, dst, _opt, _mult, plain in steps:
        fmax.append(_segment(dst, fmax[-1][src] + plain, int(dst.max()) + 1 if len(dst) else 0, "max"))
    glr: dict[tuple[int, int], float] = {}
    for s in range(len(order) - 1, -1, -1):
        i = order[s]
        src, dst, opt, mult, plain = steps[s]
        mass = np.exp(fwd[s][src] + mult + back[dst] - log_z)
        col = np.where(opt >= 0, opt, n_targets)
        marginal[i] = np.bincount(col, weights=mass, minlength=n_targets + 1)
        through = fmax[s][src] + plain + bmax[dst]
        best_by = _segment(col, through, n_targets + 1, "max")
        for j in options[i]:
            others = np.delete(best_by, j)
            if np.isfinite(best_by[j]) and np.isfinite(others).any():
                glr[(i, j)] = float(best_by[j] - others.max())
        n_prev = len(fwd[s])
        back = _segment(src, mult + back[dst], n_prev, "sum")
        bmax = _segment(src, plain + bmax[dst], n_prev, "max")

    log_count = _count(steps, len(fwd[-1]))
    best = _k_best(steps, order, n_v, k, [len(f) for f in fwd])
    return FrontierResult(log_z, marginal, glr, best, log_count, width, peak, order)


def _count(steps, n_last) -> float:
    """log of the number of admissible assignments: the forward sum with every weight 1."""
    cur = np.zeros(1)
    for src, dst, _o, _m, _p in steps:
        cur = _segment(dst, cur[src], int(dst.max()) + 1 if len(dst) else 0, "sum")
    return float(cur[0]) if n_last and len(cur) else -math.inf


def _k_best(steps, order, n_v, k, sizes) -> list[tuple[float, np.ndarray]]:
    """The ``k`` best assignments by plain log LR: per state its ``k`` best partial scores and
    their back pointers (edge, rank), then a trace back from the last state."""
    k = max(1, k)
    top = np.full((1, k), -np.inf)
    top[0, 0] = 0.0
    pointers = []
    for s, (src, dst, _opt, _m, plain) in enumerate(steps):
        n_new = sizes[s + 1]
        kk = k if len(src) * k <= 5_000_000 else max(2, 5_000_000 // max(1, len(src)))
        cand = top[src, :kk] + plain[:, None]  # (edges, kk)
        e_idx = np.repeat(np.arange(len(src)), kk)
        r_idx = np.tile(np.arange(kk), len(src))
        val = cand.reshape(-1)
        d = dst[e_idx]
        ok = np.isfinite(val)
        val, d, e_idx, r_idx = val[ok], d[ok], e_idx[ok], r_idx[ok]
        o = np.lexsort((e_idx, -val, d))
        val, d, e_idx, r_idx = val[o], d[o], e_idx[o], r_idx[o]
        start = np.searchsorted(d, np.arange(n_new))
        rank = np.arange(len(d)) - start[d]
        sel = rank < k
        top = np.full((n_new, k), -np.inf)
        ptr_e = np.full((n_new, k), -1, dtype=np.int64)
        ptr_r = np.full((n_new, k), -1, dtype=np.int64)
        top[d[sel], rank[sel]] = val[sel]
        ptr_e[d[sel], rank[sel]] = e_idx[sel]
        ptr_r[d[sel], rank[sel]] = r_idx[sel]
        pointers.append((ptr_e, ptr_r))
    out = []
    for r in range(k):
        if not np.isfinite(top[0, r]):
            break
        row = np.full(n_v, -1, dtype=np.int64)
        state, rank = 0, r
        for s in range(len(steps) - 1, -1, -1):
            ptr_e, ptr_r = pointers[s]
            e = int(ptr_e[state, rank])
            src, _dst, opt, _m, _p = steps[s]
            row[order[s]] = int(opt[e])
            state, rank = int(src[e]), int(ptr_r[state, rank])
        out.append((float(top[0, r]), row))
    return out
