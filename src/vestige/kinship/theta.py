"""Co-ancestry θ for any pedigree with non-inbred founders, exactly as pedprobr defines it.

pedprobr's ``likelihood(x, theta = θ)`` draws the founder alleles one after the other by the
Balding–Nichols sampling formula (Balding & Nichols 1994; NRC II 1996, 4.10): the ``j``-th
allele is ``a`` with probability ``(b θ + (1 − θ) p_a) / (1 + (j − 2) θ)``, where ``b`` is the
number of earlier founder alleles equal to ``a``. That urn is exchangeable, and it is the
Dirichlet–multinomial: founder alleles are independent draws from population frequencies
``π ~ Dirichlet(α)``, ``α_a = p_a (1 − θ) / θ``. So

    L_θ = E_π[ L(π) ],

where ``L(π)`` is the ordinary pedigree likelihood with founder frequencies ``π``. ``L(π)`` is a
polynomial of degree ``D`` = (number of founder alleles) in ``π``, so the expectation is a finite
sum: write ``π`` by stick-breaking (``π_1 = B_1``, ``π_2 = (1 − B_1) B_2``, ..., independent
``B_i ~ Beta(α_i, Σ_{j>i} α_j)``); each ``B_i`` then enters with degree ≤ ``D``, and Gauss–Jacobi
quadrature with ``⌈(D + 1)/2⌉`` nodes per stick integrates it exactly (Golub & Welsch 1969).
Unobserved alleles are lumped first (a Dirichlet's aggregate is Dirichlet), so the number of
sticks is the number of alleles seen. A computation that would need more than
:data:`MAX_POINTS` points is refused with a message, never approximated.

Founders must not be inbred (the engine has no founder inbreeding), as pedprobr requires for θ.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from vestige.kinship.errors import KinshipInputError

MAX_POINTS = 200_000


def jacobi_rule(m: int, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on [0, 1] and weights (summing to 1) integrating ``x^(α−1) (1−x)^(β−1)`` (Beta)
    exactly for polynomials of degree ≤ 2m − 1 (Golub–Welsch on the Jacobi recurrence)."""
    a, b = beta - 1.0, alpha - 1.0  # Jacobi weight (1 − t)^a (1 + t)^b on [−1, 1], x = (1 + t)/2
    n = np.arange(m, dtype=float)
    diag = np.empty(m)
    diag[0] = (b - a) / (a + b + 2.0)
    if m > 1:
        k = n[1:]
        s = 2.0 * k + a + b
        diag[1:] = (b * b - a * a) / (s * (s + 2.0))
    off = np.empty(max(m - 1, 0))
    if m > 1:
        off[0] = 4.0 * (1 + a) * (1 + b) / ((2 + a + b) ** 2 * (3 + a + b))
        if m > 2:
            k = np.arange(2, m, dtype=float)
            s = 2.0 * k + a + b
            off[1:] = 4.0 * k * (k + a) * (k + b) * (k + a + b) / (s * s * (s + 1.0) * (s - 1.0))
        off = np.sqrt(off)
    jm = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    t, vecs = np.linalg.eigh(jm)
    w = vecs[0, :] ** 2
    return (1.0 + t) / 2.0, w / w.sum()


def dirichlet_points(alphas: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``π`` (P, a) and weights (P,) with ``Σ w f(π) = E_Dirichlet(α)[f]`` for every
    polynomial ``f`` of total degree ≤ ``degree``. Categories with ``α = 0`` get ``π = 0``."""
    alphas = np.asarray(alphas, dtype=float)
    live = np.nonzero(alphas > 0)[0]
    a = len(alphas)
    if len(live) <= 1:
        pts = np.zeros((1, a))
        if len(live):
            pts[0, live[0]] = 1.0
        return pts, np.ones(1)
    m = max(1, math.ceil((degree + 1) / 2))
    sticks = len(live) - 1
    if m ** sticks > MAX_POINTS:
        raise KinshipInputError("theta", f"exact θ here needs {m}^{sticks} = {m ** sticks:,} quadrature points "
                                f"(limit {MAX_POINTS:,}): too many founders or alleles for exact θ; use θ = 0 "
                                "or fewer typed relatives")
    rules = []
    for i in range(sticks):
        rules.append(jacobi_rule(m, alphas[live[i]], float(alphas[live[i + 1:]].sum())))
    n_pts = m ** sticks
    pts = np.zeros((n_pts, a))
    wts = np.ones(n_pts)
    for r, combo in enumerate(itertools.product(range(m), repeat=sticks)):
        rest = 1.0
        for i, node in enumerate(combo):
            x, w = rules[i][0][node], rules[i][1][node]
            pts[r, live[i]] = rest * x
            rest *= 1.0 - x
            wts[r] *= w
        pts[r, live[-1]] = rest
    return pts, wts


def bn_alphas(prior: np.ndarray, theta: float) -> np.ndarray:
    """Dirichlet parameters of the Balding–Nichols founder draw: ``α = p (1 − θ) / θ``."""
    return np.asarray(prior, dtype=float) * (1.0 - theta) / theta


def singleton_weights(freqs: np.ndarray, theta: float) -> np.ndarray:
    """``E[π_x π_y]`` under Dirichlet(α): the θ-probability of an unrelated person's ordered
    genotype (x, y): ``p_x (θ [x = y] + (1 − θ) p_y)`` (Balding–Nichols for two alleles)."""
    p = np.asarray(freqs, dtype=float)
    out = (1.0 - theta) * np.outer(p, p)
    out[np.diag_indices_from(out)] += theta * p
    return out
