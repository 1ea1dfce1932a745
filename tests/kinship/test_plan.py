"""Planning: the exclusion power and expected LR of typing a relative (by hand), and the plan command."""

from __future__ import annotations

import json
import math

import pytest

from tests.kinship.conftest import CASES, NORWEGIAN, PARENT_CHILD, one_marker
from vestige.cli import main
from vestige.kinship.plan import plan


def test_exclusion_power_and_expected_lr_by_hand(tmp_path):
    # Father a/b typed, child missing, alleles a, b, c. An unrelated person is excluded when
    # they carry neither a nor b: EP = p_c². The child's genotype given the father: a or b from
    # him (½ each), anything from the mother: P(g) = ½ Σ_{f∈{a,b}} P(g | f).
    p = {"a": 0.2, "b": 0.3, "c": 0.5}
    table, pr, fam = one_marker(tmp_path, p, {"REF": ("a", "b")}, PARENT_CHILD)
    res = plan(fam, pr, table, candidates=["mother"])
    assert res.exclusion_power == pytest.approx(p["c"] ** 2, rel=1e-12)
    post = {("a", "a"): 0.5 * p["a"], ("b", "b"): 0.5 * p["b"], ("a", "b"): 0.5 * (p["a"] + p["b"]),
            ("a", "c"): 0.5 * p["c"], ("b", "c"): 0.5 * p["c"]}
    hw = {("a", "a"): p["a"] ** 2, ("b", "b"): p["b"] ** 2, ("a", "b"): 2 * p["a"] * p["b"],
          ("a", "c"): 2 * p["a"] * p["c"], ("b", "c"): 2 * p["b"] * p["c"]}
    assert sum(post.values()) == pytest.approx(1.0)
    want = sum(x * math.log10(x / hw[g]) for g, x in post.items())
    assert res.expected_log10_lr == pytest.approx(want, rel=1e-10)
    mother = res.candidates[0]
    assert mother.relative == "mother"
    assert mother.exclusion_power > res.exclusion_power and mother.expected_log10_lr > res.expected_log10_lr


def test_plan_cli_ranks_relatives(capsys):
    d = CASES / "02_two_missing_siblings_one_parent"
    assert main(["kinship", "plan", "--freqs", str(NORWEGIAN), "--profiles", str(d / "profiles.csv"),
                 "--family", str(d / "families" / "REL-002.json"), "--missing", "P00007", "--json",
                 "--markers", "D3S1358,VWA,TH01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"family", "missing", "exclusion_power", "exclusion_power_markers", "candidates"}
    assert out["candidates"] and all({"relative", "exclusion_power", "expected_log10_lr"} <= set(c)
                                     for c in out["candidates"])
    lrs = [c["expected_log10_lr"] for c in out["candidates"]]
    assert lrs == sorted(lrs, reverse=True)
