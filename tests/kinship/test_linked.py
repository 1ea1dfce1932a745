"""Linked autosomal pairs (issue 25, part 4): against a brute force over the common father's
haplotypes, against the single-marker engine when unlinked (r = ½), and parent–child (one meiosis:
linkage changes nothing)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.kinship.conftest import write
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.linked import (
    LinkedPair,
    kosambi,
    linked_pairs,
    pair_likelihood,
    pair_lr,
    read_genetic_map,
)
from vestige.kinship.lr import likelihood_ratio
from vestige.kinship.mutation import MutationModel
from vestige.kinship.pedigree import Family, Member

P = {"A": {"1": 0.2, "2": 0.3, "3": 0.5}, "B": {"7": 0.1, "8": 0.6, "9": 0.3}}
TABLE = FrequencyTable({m: list(f) for m, f in P.items()}, {m: np.array(list(f.values())) for m, f in P.items()})

HALF_SIBS = Family("H", [Member("F", "male"), Member("M1", "female"), Member("M2", "female"),
                         Member("S1", "male", "F", "M1", sample="S1"), Member("MP", "male", "F", "M2", missing=True)])


def _geno_ok(g, pat, mat):
    return sorted(g) == sorted((pat, mat))


def _brute_half_sibs(s1, mp, r):
    """P(S1, MP genotypes at A and B): the father's two haplotypes summed over (linkage
    equilibrium), each child's paternal haplotype a parental or a recombinant one, the maternal
    haplotype drawn from the population."""
    alle = {m: list(f) for m, f in P.items()}
    total = 0.0
    for fa1, fb1, fa2, fb2 in itertools.product(alle["A"], alle["B"], alle["A"], alle["B"]):
        prior = P["A"][fa1] * P["B"][fb1] * P["A"][fa2] * P["B"][fb2]
        passes = [((fa1, fb1), 0.5 * (1 - r)), ((fa2, fb2), 0.5 * (1 - r)), ((fa1, fb2), 0.5 * r), ((fa2, fb1), 0.5 * r)]

        def child(g, passes=passes):
            s = 0.0
            for (pa, pb), w in passes:
                for ma, mb in itertools.product(alle["A"], alle["B"]):
                    if _geno_ok(g["A"], pa, ma) and _geno_ok(g["B"], pb, mb):
                        s += w * P["A"][ma] * P["B"][mb]
            return s
        total += prior * child(s1) * child(mp)
    return total


def _hw(g):
    out = 1.0
    for m, (a, b) in g.items():
        out *= P[m][a] ** 2 if a == b else 2 * P[m][a] * P[m][b]
    return out


@pytest.mark.parametrize("r", [0.0, 0.05, 0.3, 0.5])
@pytest.mark.parametrize("mp", [{"A": ("1", "2"), "B": ("7", "8")}, {"A": ("2", "3"), "B": ("9", "8")},
                                {"A": ("1", "1"), "B": ("8", "8")}])
def test_paternal_half_siblings_equal_the_brute_force(r, mp):
    s1 = {"A": ("1", "3"), "B": ("7", "9")}
    lr = pair_lr(HALF_SIBS, "MP", mp, {"S1": s1}, TABLE, MutationModel(), LinkedPair("A", "B", 0.0, r))
    # the denominator by hand: P(S1) · P(MP), unrelated
    expected = _brute_half_sibs(s1, mp, r) / (_hw(s1) * _hw(mp))
    assert lr == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("mutation", [MutationModel(), MutationModel.uniform("equal", 0.01),
                                      MutationModel.uniform("proportional", 0.005)])
def test_unlinked_pairs_are_the_product_of_the_single_marker_engine(mutation):
    s1 = {"A": ("1", "3"), "B": ("7", "9")}
    mp = {"A": ("1", "2"), "B": ("9", "8")}
    lr = pair_lr(HALF_SIBS, "MP", mp, {"S1": s1}, TABLE, mutation, LinkedPair("A", "B", 500.0, 0.5))
    prof = Profiles({"S1": s1, "PM": mp})
    single = likelihood_ratio(HALF_SIBS, "MP", "PM", prof, TABLE, mutation)
    assert lr == pytest.approx(10 ** single.log10_lr, rel=1e-10)


def test_parent_and_child_do_not_feel_the_linkage():
    # one meiosis between them: whatever r, the linked LR is the product of the markers' LRs
    fam = Family("P", [Member("F", "male", sample="F"), Member("M", "female"), Member("MP", "male", "F", "M", missing=True)])
    f = {"A": ("1", "3"), "B": ("7", "9")}
    mp = {"A": ("1", "2"), "B": ("9", "8")}
    single = 10 ** likelihood_ratio(fam, "MP", "PM", Profiles({"F": f, "PM": mp}), TABLE).log10_lr
    for r in (0.0, 0.1, 0.5):
        assert pair_lr(fam, "MP", mp, {"F": f}, TABLE, MutationModel(), LinkedPair("A", "B", 1, r)) == \
            pytest.approx(single, rel=1e-10)


def test_the_unrelated_likelihood_is_hardy_weinberg_for_any_r():
    g = {"A": ("1", "2"), "B": ("8", "8")}
    fam = Family("U", [Member("X", "male", missing=True)], require_missing=False)
    for r in (0.0, 0.2, 0.5):
        assert pair_likelihood(fam, TABLE, MutationModel(), ("A", "B"), r, {"X": g}) == pytest.approx(_hw(g), rel=1e-12)


def test_the_map_and_the_pairs(tmp_path):
    m = write(tmp_path, "map.csv", "Marker,Chr,cM\nVWA,12,33.0\nD12S391,12,45.0\nD21S11,21,19.2\nPENTA_D,21,42.0\n"
                                    "SE33,6,90.0\nD6S474,6,110.0\nTH01,11,2.0\n")
    gmap = read_genetic_map(m)
    pairs = linked_pairs(["VWA", "D12S391", "D21S11", "PENTA_D", "SE33", "D6S474", "TH01", "CSF1PO"], gmap)
    assert [(p.first, p.second) for p in pairs] == [("VWA", "D12S391"), ("D21S11", "PENTA_D"), ("SE33", "D6S474")]
    assert pairs[0].r == pytest.approx(0.5 * math.tanh(2 * 12 / 100), rel=1e-12) == pytest.approx(kosambi(12.0))
    assert [p.first for p in linked_pairs(list(gmap.position), gmap, max_cm=15)] == ["VWA"]
    bad = write(tmp_path, "bad.csv", "marker,chromosome,cM\nVWA,12,far\n")
    with pytest.raises(KinshipInputError, match="bad.csv, line 2: expected a marker, a chromosome and a cM"):
        read_genetic_map(bad)


def test_lr_reports_the_linked_pairs(tmp_path, capsys):
    import json

    from tests.kinship.conftest import DATA
    from vestige.cli import main

    plane = DATA / "dvir-planecrash"
    gmap = write(tmp_path, "map.csv", "Marker,Chr,cM\nD21S11,21,19.2\nPENTA_D,21,42.0\nVWA,12,33\n")
    assert main(["kinship", "lr", "--freqs", str(plane / "freqs.csv"), "--profiles", str(plane / "profiles.csv"),
                 "--family", str(plane / "families/F1.json"), "--sample", "V1", "--mutation",
                 str(plane / "mutation.json"), "--linkage-map", str(gmap), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    [pair] = out["linked"]["pairs"]
    assert pair["markers"] == ["D21S11", "PENTA_D"] and pair["r"] == pytest.approx(kosambi(22.8), rel=1e-12)
    # father and daughter: one meiosis, so linked = unlinked (dvir's 924.88 stands)
    assert pair["linked_lr"] == pytest.approx(pair["unlinked_lr"], rel=1e-10)
    assert out["linked"]["linked_log10_lr"] == pytest.approx(out["log10_lr"], abs=1e-10)
