"""The compiled maximum-likelihood IBD estimate of :mod:`vestige.kinship.check` (numba; a run checks
every family's pairs, so each estimate must take microseconds, not milliseconds).

``kappa_ml(w)``: the maximum of ``Σ_j log(w_j · κ)`` over the simplex, for (markers, 3) weights.
The function is concave, so its maximum over the triangle is the best of: the three corners, the
maximum along each edge (concave in t: bisection on the sign of the derivative, 64 halvings), and
an interior stationary point found by Newton's method in (κ₀, κ₂) (kept only when it converges
strictly inside).
"""

from __future__ import annotations

import math
import os

import numpy as np

if not os.environ.get("NUMBA_CACHE_DIR"):
    from vestige.kinship.kernels import cache_dir  # the kernels' cache folder

    os.environ["NUMBA_CACHE_DIR"] = cache_dir()

from numba import njit  # noqa: E402

__all__ = ["kappa_ml", "loglik"]


@njit(cache=True, nogil=True)
def loglik(w, k0, k1, k2):  # pragma: no cover - compiled
    total = 0.0
    for j in range(w.shape[0]):
        lik = w[j, 0] * k0 + w[j, 1] * k1 + w[j, 2] * k2
        if lik <= 0.0:
            return -np.inf
        total += math.log(lik)
    return total


@njit(cache=True, nogil=True)
def kappa_ml(w):  # pragma: no cover - compiled
    m = w.shape[0]
    best = -np.inf
    bk = np.zeros(3)
    corners = np.eye(3)
    for v in range(3):
        ll = loglik(w, corners[v, 0], corners[v, 1], corners[v, 2])
        if ll > best:
            best = ll
            bk[:] = corners[v]
    for e in range(3):
        i = 0 if e < 2 else 0
        j = 1 if e == 0 else 2
        if e == 1:
            i, j = 1, 2
        dead = False
        for r in range(m):
            if w[r, i] <= 0.0 and w[r, j] <= 0.0:
                dead = True
                break
        if dead:
            continue
        lo, hi = 0.0, 1.0
        for _ in range(64):
            t = 0.5 * (lo + hi)
            d = 0.0
            for r in range(m):
                lik = (1.0 - t) * w[r, i] + t * w[r, j]
                d += (w[r, j] - w[r, i]) / lik
            if d > 0.0:
                lo = t
            else:
                hi = t
        t = 0.5 * (lo + hi)
        k = np.zeros(3)
        k[i] = 1.0 - t
        k[j] = t
        ll = loglik(w, k[0], k[1], k[2])
        if ll > best:
            best = ll
            bk[:] = k
    # interior: Newton in (k0, k2), k1 = 1 - k0 - k2
    x0, x2 = 1.0 / 3.0, 1.0 / 3.0
    inside = True
    for _ in range(100):
        g0 = g2 = h00 = h02 = h22 = 0.0
        for r in range(m):
            lik = w[r, 0] * x0 + w[r, 1] * (1.0 - x0 - x2) + w[r, 2] * x2
            if lik <= 0.0:
                inside = False
                break
            d0 = (w[r, 0] - w[r, 1]) / lik
            d2 = (w[r, 2] - w[r, 1]) / lik
            g0 += d0
            g2 += d2
            h00 -= d0 * d0
            h02 -= d0 * d2
            h22 -= d2 * d2
        if not inside:
            break
        det = h00 * h22 - h02 * h02
        if det == 0.0:
            inside = False
            break
        s0 = -(h22 * g0 - h02 * g2) / det
        s2 = -(-h02 * g0 + h00 * g2) / det
        ll0 = loglik(w, x0, 1.0 - x0 - x2, x2)
        step = 1.0
        moved = False
        while step > 1e-12:
            n0, n2 = x0 + step * s0, x2 + step * s2
            if n0 > 0.0 and n2 > 0.0 and n0 + n2 < 1.0 and loglik(w, n0, 1.0 - n0 - n2, n2) >= ll0 - 1e-12:
                moved = True
                break
            step *= 0.5
        if not moved:
            inside = False
            break
        x0, x2 = n0, n2
        if abs(step * s0) < 1e-14 and abs(step * s2) < 1e-14:
            break
    if inside and x0 > 0.0 and x2 > 0.0 and x0 + x2 < 1.0:
        ll = loglik(w, x0, 1.0 - x0 - x2, x2)
        if ll > best:
            best = ll
            bk[0], bk[1], bk[2] = x0, 1.0 - x0 - x2, x2
    return bk, best
