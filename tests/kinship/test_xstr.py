"""X-STRs (issue 25, part 3): X inheritance and linkage inside a group, against hand derivations
and an independent brute force over the mothers' haplotypes."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from tests.kinship.conftest import write
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable
from vestige.kinship.mutation import MutationModel
from vestige.kinship.pedigree import Family, Member
from vestige.kinship.xstr import (
    XMap,
    XProfiles,
    predictive_log_lr,
    read_x_map,
    read_x_profiles,
    x_likelihood_ratio,
    x_predictive,
)

P1 = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
P2 = {"d": 0.25, "e": 0.25, "f": 0.3, "g": 0.2}
TABLE = FrequencyTable({"X1": list(P1), "X2": list(P2)}, {"X1": np.array(list(P1.values())),
                                                          "X2": np.array(list(P2.values()))})


def _fam(*members):
    return Family("F", [Member(*m[:4], missing=m[4] if len(m) > 4 else False,
                               sample=m[5] if len(m) > 5 else None) for m in members])


def test_a_fathers_x_and_his_missing_daughter():
    # Father typed a; the daughter (missing) shows a/b: her paternal X must be a, her maternal
    # allele b comes with p_b; an unrelated woman is a/b with 2 p_a p_b: LR = 1/(2 p_a) = 5.
    fam = _fam(("F", "male", None, None, False, "RF"), ("M", "female"), ("D", "female", "F", "M", True))
    r = x_likelihood_ratio(fam, "D", {"X1": ("a", "b")}, XProfiles({"RF": {"X1": ("a",)}}), TABLE,
                           XMap([["X1"]], {}), MutationModel())
    assert 10 ** r.log10_lr == pytest.approx(1 / (2 * 0.1), rel=1e-12)
    # a son inherits nothing of his father's X: LR 1
    fam = _fam(("F", "male", None, None, False, "RF"), ("M", "female"), ("D", "male", "F", "M", True))
    r = x_likelihood_ratio(fam, "D", {"X1": ("c",)}, XProfiles({"RF": {"X1": ("a",)}}), TABLE,
                           XMap([["X1"]], {}), MutationModel())
    assert 10 ** r.log10_lr == pytest.approx(1.0, rel=1e-12)


def test_paternal_half_sisters_share_their_fathers_whole_x():
    # S1 = a/b, d/e; the missing half-sister D = a/c, d/f. The father's X is each of (a|b, d|e)
    # with probability 1/4 given S1 (each pairs with the mother's complement, all equally likely);
    # D needs (a, d): 1/4 · p_c p_f; unrelated 4 p_a p_c p_d p_f: LR = 1/(16 p_a p_d) = 2.5,
    # linked or not (a man's X does not recombine).
    fam = _fam(("F", "male"), ("M1", "female"), ("M2", "female"), ("S1", "female", "F", "M1", False, "S1"),
               ("D", "female", "F", "M2", True))
    xp = XProfiles({"S1": {"X1": ("a", "b"), "X2": ("d", "e")}})
    for r in (0.5, 0.01):
        res = x_likelihood_ratio(fam, "D", {"X1": ("a", "c"), "X2": ("d", "f")}, xp, TABLE,
                                 XMap([["X1", "X2"]], {("X1", "X2"): r}), MutationModel())
        assert 10 ** res.log10_lr == pytest.approx(1 / (16 * 0.1 * 0.25), rel=1e-12)


def _brute_maternal_brothers(s_hap, d_hap, r):
    """P(S = s_hap, D = d_hap) for two sons of one (untyped) mother, by enumerating her two X."""
    total = 0.0
    for x1, y1, x2, y2 in itertools.product(P1, P2, P1, P2):
        prior = P1[x1] * P2[y1] * P1[x2] * P2[y2]

        def t(c, x1=x1, y1=y1, x2=x2, y2=y2):
            return 0.5 * ((1 - r) * ((x1, y1) == c) + (1 - r) * ((x2, y2) == c)
                          + r * ((x1, y2) == c) + r * ((x2, y1) == c))
        total += prior * t(s_hap) * t(d_hap)
    return total


@pytest.mark.parametrize("r", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("d_hap", [("a", "d"), ("a", "e"), ("b", "d"), ("c", "g")])
def test_maternal_brothers_with_linkage_equal_the_brute_force(r, d_hap):
    fam = _fam(("F1", "male"), ("F2", "male"), ("M", "female"), ("S", "male", "F1", "M", False, "S"),
               ("D", "male", "F2", "M", True))
    xp = XProfiles({"S": {"X1": ("a",), "X2": ("d",)}})
    res = x_likelihood_ratio(fam, "D", {"X1": (d_hap[0],), "X2": (d_hap[1],)}, xp, TABLE,
                             XMap([["X1", "X2"]], {("X1", "X2"): r}), MutationModel())
    expected = _brute_maternal_brothers(("a", "d"), d_hap, r) / (
        P1["a"] * P2["d"] * P1[d_hap[0]] * P2[d_hap[1]])
    assert 10 ** res.log10_lr == pytest.approx(expected, rel=1e-10)
    if r == 0.5:  # unlinked: the product of the two loci's LRs
        one = [x_likelihood_ratio(fam, "D", {m: (a,)}, XProfiles({"S": {m: (s,)}}), TABLE, XMap([[m]], {}),
                                  MutationModel()) for m, a, s in (("X1", d_hap[0], "a"), ("X2", d_hap[1], "d"))]
        assert res.log10_lr == pytest.approx(one[0].log10_lr + one[1].log10_lr, abs=1e-12)


def test_the_predictive_table_gives_the_direct_lr():
    # what the search uses (the missing person's predictive, an unseen allele as its share of the
    # lump) equals the direct computation, with and without a proportional mutation model
    fam = _fam(("F", "male"), ("M1", "female"), ("M2", "female"), ("S1", "female", "F", "M1", False, "S1"),
               ("D", "female", "F", "M2", True))
    data = {"S1": {"X1": ("a", "b"), "X2": ("d", "e")}}
    xm = XMap([["X1", "X2"]], {("X1", "X2"): 0.1})
    for mut in (MutationModel(), MutationModel.uniform("proportional", 0.01)):
        for g in ({"X1": ("a", "c"), "X2": ("d", "f")}, {"X1": ("c",), "X2": ("g", "f")},
                  {"X1": ("b", "d"), "X2": ("e",)}, {"X1": ("a", "b")}):
            direct = x_likelihood_ratio(fam, "D", g, XProfiles(data), TABLE, xm, mut).log10_lr
            table = sum(predictive_log_lr(p, g) for p in x_predictive(fam, "D", TABLE, xm, mut, data))
            assert table / math.log(10) == pytest.approx(direct, abs=1e-12)


def test_x_files_and_their_errors(tmp_path):
    m = write(tmp_path, "map.json", json.dumps({"loci": [
        {"marker": "X1", "linkage_group": 1, "cM_female": 10.0}, {"marker": "X2", "linkage_group": 1, "cM_female": 10.5},
        {"marker": "X3", "linkage_group": 2, "cM_female": 80.0}]}))
    xm = read_x_map(m)
    assert xm.groups == [["X1", "X2"], ["X3"]]
    assert xm.r[("X1", "X2")] == pytest.approx(0.5 * (1 - math.exp(-2 * 0.5 / 100)), rel=1e-12)  # Haldane
    assert read_x_map(m, "kosambi").r[("X1", "X2")] == pytest.approx(0.5 * math.tanh(2 * 0.5 / 100), rel=1e-12)
    p = write(tmp_path, "x.csv", "sample,marker,allele1,allele2\nA,X1,12,12\nB,X1,12,13\nC,X9,12,\n")
    with pytest.raises(KinshipInputError, match=r"x.csv, line 4: X marker 'X9' \(sample C\) is not in the genetic map"):
        read_x_profiles(p, {"X1", "X2", "X3"})
    xp = read_x_profiles(write(tmp_path, "y.csv", "sample,marker,allele1,allele2\nA,X1,a,a\nB,X1,a,b\n"))
    assert xp.genotypes == {"A": {"X1": ("a",)}, "B": {"X1": ("a", "b")}}  # a man's allele written twice: one
    fam = _fam(("F", "male", None, None, False, "B"), ("M", "female"), ("D", "female", "F", "M", True))
    with pytest.raises(KinshipInputError, match="two alleles .* in a man"):
        x_likelihood_ratio(fam, "D", {"X1": ("a", "b")}, xp, TABLE, XMap([["X1"]], {}), MutationModel())


def test_many_samples_at_once_equal_one_by_one():
    from vestige.kinship.xstr import predictive_log_lrs, sample_codes

    rng = np.random.default_rng(3)
    xm = XMap([["X1", "X2"]], {("X1", "X2"): 0.1})
    for missing_sex in ("female", "male"):
        fam = _fam(("F", "male"), ("M1", "female"), ("M2", "female"), ("S1", "female", "F", "M1", False, "S1"),
                   ("D", missing_sex, "F", "M2", True))
        data = {"S1": {"X1": ("a", "b"), "X2": ("d", "e")}}
        genos = {}
        for i in range(40):
            g = {}
            for m, alleles in (("X1", list(P1)), ("X2", list(P2))):
                if rng.random() < 0.15:
                    continue  # untyped locus
                two = sorted(set(rng.choice(alleles, 1 if missing_sex == "male" or rng.random() < 0.3 else 2)))
                g[m] = tuple(two)
            genos[f"s{i}"] = g
        xp = XProfiles(genos)
        for mut in (MutationModel(), MutationModel.uniform("proportional", 0.01)):
            [pred] = x_predictive(fam, "D", TABLE, xm, mut, data)
            codes = sample_codes(xp, list(genos), TABLE, pred.loci)
            many = predictive_log_lrs(pred, codes, TABLE)
            for i, (_s, g) in enumerate(genos.items()):
                one = predictive_log_lr(pred, g)
                if one is None:
                    assert np.isnan(many[i])
                else:
                    assert many[i] == pytest.approx(one, abs=1e-12) or (one == many[i] == -math.inf)
