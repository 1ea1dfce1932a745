"""Enumerating the admissible assignments of a group (sex and one-to-one constraints)."""

from __future__ import annotations

import numpy as np

from vestige.kinship.joint.model import TooLarge


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
