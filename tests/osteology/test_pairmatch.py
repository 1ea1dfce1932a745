"""Osteometric pair-matching (issue 31, part 5): OsteoSort's pm.ttest by hand, and the t tail
against closed forms and published table values."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from vestige.osteology.pairmatch import (
    OsteometryError,
    d_value,
    pair_test,
    read_measurements,
    reference_pairs,
    sort_pairs,
)
from vestige.osteology.tdist import t_sf


def test_t_tail_against_closed_forms_and_tables():
    # df = 1 (Cauchy): P(T > t) = 1/2 - atan(t)/pi; df = 2: 1/2 - t / (2 sqrt(t^2 + 2))
    for t in (0.0, 0.3, 1.0, 4.2, 30.0):
        assert t_sf(t, 1) == pytest.approx(0.5 - math.atan(t) / math.pi, rel=1e-12, abs=1e-15)
        assert t_sf(t, 2) == pytest.approx(0.5 - t / (2 * math.sqrt(t * t + 2)), rel=1e-12, abs=1e-15)
    assert t_sf(-1.0, 1) == pytest.approx(0.75)
    # Student's t table: t(0.975; 10) = 2.228139, t(0.95; 5) = 2.015048, t(0.995; 30) = 2.749996
    assert t_sf(2.228138852, 10) == pytest.approx(0.025, rel=1e-6)
    assert t_sf(2.015048373, 5) == pytest.approx(0.05, rel=1e-6)
    assert t_sf(2.749995654, 30) == pytest.approx(0.005, rel=1e-6)


def test_pair_test_by_hand():
    # reference: 4 people, one measurement; |L - R| = 1, 2, 3, 4 (no power transformation)
    ref = [({"m": 100.0}, {"m": 100.0 + d}) for d in (1, 2, 3, 4)]
    # mean 2.5, sd sqrt(((1.5^2 + 0.5^2) * 2) / 3) = sqrt(5/3); the pair differs by 9:
    # t = (9 - 2.5) / sqrt(5/3) = 5.0350, p = P(T_3 > 5.0350) (one tail)
    r = pair_test("L1", "R1", "femur", {"m": 450.0}, {"m": 459.0}, ref, power=False)
    sd = math.sqrt(5 / 3)
    assert (r.reference_mean, r.reference_sd) == (pytest.approx(2.5), pytest.approx(sd))
    assert r.p_value == pytest.approx(t_sf((9 - 2.5) / sd, 3), rel=1e-12)
    assert r.p_value < 0.01 and r.excluded
    near = pair_test("L1", "R2", "femur", {"m": 450.0}, {"m": 452.5}, ref, power=False)
    assert near.p_value == pytest.approx(0.5) and not near.excluded  # D at the mean: half the tail
    # OsteoSort's default: the half-normal power transformation (x + 0.00005) ** 0.33
    assert d_value(np.array([1.0, 2.0]), np.array([3.0, 1.0])) == pytest.approx((3 + 0.00005) ** 0.33)


def test_too_few_reference_pairs_or_no_shared_measurement_say_so():
    ref = [({"a": 1.0}, {"a": 1.0})] * 2
    with pytest.raises(OsteometryError, match="2 reference pairs"):
        pair_test("L", "R", "humerus", {"a": 1.0}, {"a": 2.0}, ref)
    with pytest.raises(OsteometryError, match="no measurement in common"):
        pair_test("L", "R", "humerus", {"a": 1.0}, {"b": 2.0}, ref)


def _csv(rows):
    return "id,element,side,measurement,value\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"


def test_commingled_femora_sorted_and_the_command_line(tmp_path):
    rng = np.random.default_rng(31)
    ref_rows = []
    for i in range(40):  # reference people: left and right within a few mm of each other
        size = rng.normal(450, 25)
        for m, frac in (("FeXLN", 1.0), ("FeHD", 0.105), ("FeEB", 0.18)):
            ref_rows += [(f"REF{i}", "femur", "L", m, round(size * frac + rng.normal(0, 1.0), 1)),
                         (f"REF{i}", "femur", "R", m, round(size * frac + rng.normal(0, 1.0), 1))]
    bones = []
    sizes = {"A": 430.0, "B": 480.0}
    for person, size in sizes.items():
        for side, bag in (("L", f"BAG-{person}1"), ("R", f"BAG-{person}2")):
            for m, frac in (("FeXLN", 1.0), ("FeHD", 0.105), ("FeEB", 0.18)):
                bones.append((bag, "femur", side, m, round(size * frac + rng.normal(0, 1.0), 1)))
    ref_path, bones_path = tmp_path / "ref.csv", tmp_path / "bones.csv"
    ref_path.write_text(_csv(ref_rows))
    bones_path.write_text(_csv(bones))
    tests, notes = sort_pairs(read_measurements(bones_path.read_text(), "bones.csv"),
                              reference_pairs(read_measurements(ref_path.read_text(), "ref.csv")))
    assert not notes and len(tests) == 4
    result = {(t.left, t.right): t for t in tests}
    assert not result[("BAG-A1", "BAG-A2")].excluded and not result[("BAG-B1", "BAG-B2")].excluded
    assert result[("BAG-A1", "BAG-B2")].excluded and result[("BAG-B1", "BAG-A2")].excluded  # 50 mm apart
    out = subprocess.run([sys.executable, "-m", "vestige.cli", "dvi", "pair-match", "--reference", str(ref_path),
                          "--bones", str(bones_path), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert {(r["left"], r["right"]): r["result"] for r in rows}[("BAG-A1", "BAG-A2")] == "cannot exclude"
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv([("X", "femur", "middle", "FeXLN", 400)]))
    err = subprocess.run([sys.executable, "-m", "vestige.cli", "dvi", "pair-match", "--reference", str(ref_path),
                          "--bones", str(bad)], capture_output=True, text=True, timeout=120)
    assert err.returncode != 0 and "bad.csv, line 2: side 'middle'" in err.stderr and "Traceback" not in err.stderr
