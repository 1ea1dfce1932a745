"""Undisputed identifications (dvir's ``findUndisputed``)."""

from __future__ import annotations

import math

import numpy as np

from vestige.kinship.joint.model import JointOptions, JointResult
from vestige.kinship.joint.tables import family_loglr


def undisputed(res: JointResult, log_lr, allowed, targets, items, opts: JointOptions) -> list[dict]:
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
