"""Relationship inference without a pedigree: KING-robust against a hand count, segments and degree
on simulated pairs, and the relate command on the distant-references grave."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vestige.kinship.snp.panel import Panel
from vestige.kinship.snp.relate import (
    _lines,
    ibd_screen,
    ibd_segments,
    king_matrix,
    pack,
    relate_pair,
    screen_pairs,
)
from vestige.kinship.snp.simulate import damage, genotypes, simulate_haplotypes, synthetic_panel

CASE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "distant-references" / "data"


def test_king_robust_by_hand():
    # 10 SNPs, one a no-call in b (left out of every count):
    a = np.array([1, 1, 1, 0, 2, 0, 1, 2, 0, 1], dtype=np.int8)
    b = np.array([1, 1, 0, 2, 2, 0, 1, 0, 0, -1], dtype=np.int8)
    # over the 9 SNPs both called: N(Aa,Aa) = 3 (SNPs 1, 2, 7); N(AA,aa) = 2 (SNPs 4 and 8);
    # N(Aa)_a = 4 (1, 2, 3, 7), N(Aa)_b = 3 (1, 2, 7); min = 3
    # phi = 1/2 + (2*3 - 4*2 - 4 - 3) / (4*3) = 1/2 - 9/12 = -0.25
    p = pack(np.stack([a, b]))
    kin, ibs0, nsnp = king_matrix(p[:1], p[1:])
    assert kin[0, 0] == pytest.approx(-0.25)
    assert ibs0[0, 0] == 2 and nsnp[0, 0] == 9
    # a sample with itself: phi = 1/2
    assert king_matrix(p[:1], p[:1])[0][0, 0] == pytest.approx(0.5)


needs_case = pytest.mark.skipif(not CASE.exists(), reason="../shared/cases/distant-references is not beside the project")


@pytest.fixture(scope="module")
def panel():
    """5,000 synthetic SNPs on chromosomes 1-22 (as the distant-references grave's panel)."""
    return synthetic_panel(5000, np.random.default_rng(5000))


@pytest.mark.parametrize("family,a,b,degree", [
    (_lines("parent-child", 1, 1, True), "X", "a1", 1),
    (_lines("half siblings", 1, 1, False), "a1", "b1", 2),
    (_lines("first cousins", 2, 2, True), "a2", "b2", 3),
    (_lines("unrelated", 1, 1, True), "X", "Y", None),
])
def test_degree_of_simulated_pairs(panel, family, a, b, degree):
    rng = np.random.default_rng(20261205)
    g = damage(genotypes(simulate_haplotypes(family, panel, rng), [a, b]), rng, no_call=0.05, error=0.003)
    rel = relate_pair(a, b, g[0], g[1], panel, panel.recombination())
    assert rel.degree == degree
    if degree == 1 and a == "X":  # a parent and child share one whole chromosome set: one segment a chromosome
        assert sum(s.cm for s in rel.segments) > 0.9 * sum(
            panel.cm[panel.chrom == c].max() - panel.cm[panel.chrom == c].min() for c in range(1, 23))


def test_segments_and_screen_see_a_planted_segment():
    # two unrelated 300-SNP chromosomes 0.5 cM apart, with b copying a's genotype over 60 cM (SNPs 100-219)
    rng = np.random.default_rng(2)
    m = 300
    panel = Panel([f"s{i}" for i in range(m)], np.ones(m, dtype=np.int64), np.arange(1, m + 1) * 1000,
                  np.arange(m) * 0.5, ["A"] * m, ["G"] * m, rng.uniform(0.2, 0.5, m))
    a = (rng.random(m) < panel.freq).astype(np.int8) + (rng.random(m) < panel.freq).astype(np.int8)
    b = (rng.random(m) < panel.freq).astype(np.int8) + (rng.random(m) < panel.freq).astype(np.int8)
    b[100:220] = a[100:220]  # IBD2 there
    segs = ibd_segments(a, b, panel)
    longest = max(segs, key=lambda s: s.cm)
    assert 50 <= longest.cm <= 62 and 95 <= longest.start_cm / 0.5 <= 105
    calls = np.stack([a, b])
    assert screen_pairs(calls, np.array([0]), np.array([1]), panel)[0] == pytest.approx(ibd_screen(a, b, panel))
    assert ibd_screen(a, b, panel) > 5


@needs_case
@pytest.mark.skipif(importlib.util.find_spec("cyvcf2") is None, reason="the snp extra (cyvcf2) is not installed")
def test_relate_command_finds_the_aunt_of_a_body(tmp_path):
    out = subprocess.run([sys.executable, "-m", "vestige.cli", "kinship", "relate", "--snp-vcf", str(CASE / "snps.vcf"),
                          "--snp-panel", str(CASE / "snp_freqs.tsv"), "--samples", "PM-0001", "--json", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    best = rows[0]
    # truth.json: PM-0001 is P00070 of F6-0009, whose reference is his maternal aunt (2nd degree)
    assert (best["a"], best["b"], best["degree"]) == ("PM-0001", "REF-F6-0009-A", 2)
    assert best["log10_lr"] > 50 and best["segments"] > 10
    assert "expected to reach LR" in out.stderr


@needs_case
@pytest.mark.skipif(importlib.util.find_spec("cyvcf2") is None, reason="the snp extra (cyvcf2) is not installed")
def test_relate_names_an_unknown_sample(tmp_path):
    out = subprocess.run([sys.executable, "-m", "vestige.cli", "kinship", "relate", "--snp-vcf", str(CASE / "snps.vcf"),
                          "--snp-panel", str(CASE / "snp_freqs.tsv"), "--samples", "NOBODY"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "NOBODY" in out.stderr and "Traceback" not in out.stderr


def test_plan_says_what_a_panel_on_each_relative_would_add(panel):
    from vestige.kinship import Family, Member
    from vestige.kinship.snp.plan import snp_plan
    from vestige.kinship.snp.scores import SnpModel
    from vestige.kinship.snp.vcf import SnpGenotypes

    family = Family("f", [Member("F", "male"), Member("M", "female"), Member("W", "female"),
                          Member("S", "male", "F", "M"), Member("MP", "male", "F", "W", missing=True)])
    model = SnpModel(SnpGenotypes(panel, [], np.zeros((0, len(panel)), dtype=np.int8)))
    plans = {p.relative: p for p in snp_plan(family, "MP", model, candidates=["S", "M"], simulations=8, seed=3)}
    # a paternal half-brother: one meiosis bit, 5,000 SNPs -> an LR of many orders of magnitude, always
    assert plans["S"].meioses == 1 and plans["S"].median_log10_lr > 20 and plans["S"].p_lr_1e6 == 1.0
    # the half-brother's mother is no relative of the missing person: LR 1 exactly
    assert plans["M"].median_log10_lr == pytest.approx(0.0, abs=1e-9) and plans["M"].p_lr_1e4 == 0.0
