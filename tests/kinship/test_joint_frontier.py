"""The dynamic programme over a group's states (kinship/joint/frontier.py, issue 27 part 2) on
groups far too large to list, checked against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vestige.kinship.joint.frontier import Unit, solve


def fib(n: int) -> int:
    a, b = 0, 1  # F(0), F(1)
    for _ in range(n):
        a, b = b, a + b
    return a


def test_a_chain_of_100_remains_and_101_missing_persons_is_exact():
    # Remains i may be missing person i or i + 1 (each LR 1, no prior weight): the group's graph
    # is the path t0 - v0 - t1 - v1 - ... - v99 - t100 of 201 vertices, one connected group of
    # 3^100 candidate listings. An assignment is a matching of the path; a path of m vertices has
    # F(m + 1) matchings (F(1) = F(2) = 1: one vertex, 1; two, 2; three, 3; ...), so there are
    # F(202) assignments, all of weight 1. The pairing v_i = t_i removes vertices 2i and 2i + 1
    # and leaves paths of 2i and 2n - 2i - 1 vertices: P = F(2i + 1) F(2n - 2i) / F(2n + 2);
    # v_i = t_{i+1} leaves 2i + 1 and 2n - 2i - 2: P = F(2i + 2) F(2n - 2i - 1) / F(2n + 2).
    n = 100
    options = [[i, i + 1] for i in range(n)]
    units = [Unit([j], [[i for i in (j - 1, j) if 0 <= i < n]]) for j in range(n + 1)]
    res = solve(options, np.zeros((n, n + 2)), np.zeros(n), units, n + 1, k=3)
    total = fib(2 * n + 2)
    assert res.log_count == pytest.approx(math.log(total), rel=1e-12)
    assert res.log_z == pytest.approx(math.log(total), rel=1e-12)
    for i in range(n):
        same = fib(2 * i + 1) * fib(2 * n - 2 * i) / total
        nxt = fib(2 * i + 2) * fib(2 * n - 2 * i - 1) / total
        assert res.marginal[i, i] == pytest.approx(same, rel=1e-9)
        assert res.marginal[i, i + 1] == pytest.approx(nxt, rel=1e-9)
        assert res.marginal[i, -1] == pytest.approx(1 - same - nxt, rel=1e-9, abs=1e-12)
    assert res.width <= 2  # never more than two missing persons open at once


def test_a_strong_chain_names_its_best_assignment_and_glrs():
    # The same chain with v_i = t_i at LR 1000 and v_i = t_{i+1} at LR 10: the best assignment is
    # the diagonal (log LR 100·ln 1000); the next best moves the last remains to t_100
    # (ln 10 − ln 1000 less); GLR of v_i = t_i against its best alternative, for an inner remains:
    # with v_i on t_{i+1} instead, v_{i+1} loses t_{i+1} and takes t_{i+2} ... down the chain:
    # each shifted remains gives ln 10 − ln 1000, n − i of them; or v_i alone unassigned:
    # − ln 1000. So GLR = ln 1000 (the unassigned alternative is the best of them).
    n = 100
    options = [[i, i + 1] for i in range(n)]
    units = [Unit([j], [[i for i in (j - 1, j) if 0 <= i < n]]) for j in range(n + 1)]
    pair = np.full((n, n + 2), 0.0)
    for i in range(n):
        pair[i, i], pair[i, i + 1] = math.log(1000), math.log(10)
    res = solve(options, pair, np.zeros(n), units, n + 1, k=2)
    best, second = res.best
    assert best[0] == pytest.approx(n * math.log(1000))
    assert list(best[1]) == list(range(n))
    assert second[0] == pytest.approx(n * math.log(1000) - math.log(100))
    assert list(second[1]) == [*range(n - 1), n]
    assert res.glr[(50, 50)] == pytest.approx(math.log(1000))
    assert res.glr[(n - 1, n - 1)] == pytest.approx(math.log(100))
