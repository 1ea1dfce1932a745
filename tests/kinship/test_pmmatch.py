"""Post-mortem duplicates: two bones of one body, by hand and on the shared reproduction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.kinship.conftest import CASES, NORWEGIAN, write
from vestige.kinship import read_families, read_frequencies, read_profiles
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.pmmatch import pm_match, same_individual_groups
from vestige.kinship.search import blind_search


def test_pm_match_by_hand(tmp_path):
    # A and B clean and equal at L1 (a/b): LR = 1/(2 p_a p_b). C shows only a (drop-out d) and
    # B shows a/b: LR = d(1 − d) / [(1 − d²) p_a² + 2 d(1 − d) p_a (1 − p_a)].
    pa, pb, d = 0.2, 0.3, 0.1
    f = write(tmp_path, "f.csv", f"marker,allele,frequency\nL1,a,{pa}\nL1,b,{pb}\nL1,c,{1 - pa - pb}\n")
    p = write(tmp_path, "p.csv", "sample,marker,allele1,allele2\nA,L1,a,b\nB,L1,a,b\nC,L1,a,F\nD,L1,c,c\n")
    table, prof = read_frequencies(f), read_profiles(p)
    pairs = pm_match(prof, table, ["A", "B", "C", "D"], degradation=Degradation({"C": d}), min_lr=0.0)
    got = {(x.sample_a, x.sample_b): x for x in pairs}
    assert math.exp(got[("A", "B")].log_lr) == pytest.approx(1 / (2 * pa * pb), rel=1e-12)
    want = d * (1 - d) / ((1 - d * d) * pa * pa + 2 * d * (1 - d) * pa * (1 - pa))
    assert math.exp(got[("B", "C")].log_lr) == pytest.approx(want, rel=1e-12)
    assert got[("A", "D")].log_lr == -math.inf
    assert same_individual_groups([x for x in pairs if x.log_lr > 0]) == [["A", "B", "C"]]


def test_case_06_two_bones_are_one_body():
    d = CASES / "06_two_bones_one_body"
    table = read_frequencies(NORWEGIAN)
    prof = read_profiles(d / "profiles.csv")
    pairs = pm_match(prof, table, ["PM-0365", "PM-0521"], degradation=Degradation({"PM-0365": 0.05, "PM-0521": 0.05}))
    assert len(pairs) == 1 and pairs[0].log10_lr > 6
    # Combined as one body they are one candidate, stronger than either bone alone.
    fams = read_families([d / "families"], prof)
    deg = Degradation({"PM-0365": 0.05, "PM-0521": 0.05})
    one = blind_search(fams, prof, table, ["BODY"], bodies={"BODY": ["PM-0365", "PM-0521"]}, degradation=deg,
                       mutation=MutationModel.uniform("equal", 0.001)).hits
    apart = blind_search(fams, prof, table, ["PM-0365", "PM-0521"], degradation=deg,
                         mutation=MutationModel.uniform("equal", 0.001)).hits
    assert len(one) == 1 and one[0].log_lr > max(h.log_lr for h in apart)
    assert all(h.posterior < 0.9995 for h in apart)  # two bones claiming one person: neither certain


def test_pm_match_fast_table_equals_the_general_formula():
    # Without drop-in the vectorised table must equal Σ_G P(G) P(O_A|G) P(O_B|G) / (P(O_A) P(O_B)).
    from vestige.kinship.observe import reading
    from vestige.kinship.pmmatch import _fast_table, _general_table
    alleles = ["a", "b", "c", "d"]
    freqs = np.array([0.1, 0.2, 0.3, 0.4])
    readings = [(reading("a", "b"),), (reading("a", "a"),), (reading("a", None, 0.1),), (reading("c", None, 0.3),),
                (reading("b", "c", 0.2),), (reading("d", "d"),), (reading("a", None, 0.25),)]
    fast, general = _fast_table(readings, alleles, freqs), _general_table(readings, alleles, freqs)
    finite = np.isfinite(general)
    assert np.array_equal(finite, np.isfinite(fast))
    assert np.allclose(fast[finite], general[finite], rtol=1e-12, atol=1e-12)
