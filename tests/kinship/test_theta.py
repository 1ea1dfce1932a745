"""The subpopulation correction θ: the Dirichlet quadrature and the joint engine per family
component (hand derivations in the tests)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kinship.conftest import PARENT_CHILD, one_marker
from vestige.kinship.joint import JointOptions, joint_identification
from vestige.kinship.theta import dirichlet_points


def test_dirichlet_quadrature_reproduces_moments():
    # E[π1² π2] = α1(α1+1)α2 / (α(α+1)(α+2)) and E[π3³] = α3(α3+1)(α3+2)/(α(α+1)(α+2)).
    alphas = np.array([0.7, 2.3, 1.1, 0.4])
    pts, w = dirichlet_points(alphas, 3)
    a = alphas.sum()
    got = float(w @ (pts[:, 0] ** 2 * pts[:, 1]))
    assert got == pytest.approx(alphas[0] * (alphas[0] + 1) * alphas[1] / (a * (a + 1) * (a + 2)), rel=1e-12)
    got = float(w @ pts[:, 2] ** 3)
    assert got == pytest.approx(alphas[2] * (alphas[2] + 1) * (alphas[2] + 2) / (a * (a + 1) * (a + 2)), rel=1e-12)
    assert w.sum() == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("theta", [0.0, 0.02])
def test_joint_theta_is_per_family_component(tmp_path, theta):
    # In the joint, θ applies within each family (pedprobr's likelihood of a list of pedigrees):
    # father A/A, the victim A/A as his child. L_θ(family + victim) = BN(A,A)·(2θ+(1−θ)p)/(1+θ)
    # (the mother's transmitted allele given the father's two), L_θ(family) = BN(A,A), and the
    # unassigned victim alone p(θ + (1−θ)p). LR = (2θ+(1−θ)p) / ((1+θ) p (θ+(1−θ)p)); θ = 0: 1/p.
    p = 0.1
    table, pr, fam = one_marker(tmp_path, {"A": p, "B": 1 - p}, {"REF": ("A", "A"), "V": ("A", "A")}, PARENT_CHILD)
    res = joint_identification([fam], pr, table, ["V"], options=JointOptions(prior="flat", theta=theta, ignore_sex=True))
    best = next(a for a in res.assignments if a["pairs"])
    want = (2 * theta + (1 - theta) * p) / ((1 + theta) * p * (theta + (1 - theta) * p))
    assert best["lr"] == pytest.approx(want, rel=1e-10)
