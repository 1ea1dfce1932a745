"""Single-marker LRs against formulas derived by hand (derivations in the comments).

Notation: p_a is the frequency of allele a; H2 probabilities are Hardy–Weinberg:
P(aa) = p_a², P(ab) = 2 p_a p_b.
"""

from __future__ import annotations

import pytest

from tests.kinship.conftest import PARENT_CHILD, one_marker, write
from vestige.kinship import likelihood_ratio, read_frequencies, read_profiles
from vestige.kinship.io import family_from_dict
from vestige.kinship.mutation import MutationModel


@pytest.mark.parametrize("pa, expected", [(0.05, 20.0), (0.1, 10.0)])
def test_father_and_child_both_aa(tmp_path, pa, expected):
    # H1: the father gives A (prob 1); the untyped mother gives A with prob p_A: P = p_A.
    # H2: P(AA) = p_A². LR = p_A / p_A² = 1/p_A: 20 at 0.05, 10 at 0.1 (forrel's tests).
    table, pr, fam = one_marker(tmp_path, {"A": pa, "B": 1 - pa}, {"REF": ("A", "A"), "S": ("A", "A")}, PARENT_CHILD)
    assert likelihood_ratio(fam, "MP", "S", pr, table).lr == pytest.approx(expected, rel=1e-12)


def test_both_parents_heterozygous_child_homozygous(tmp_path):
    # Parents 1/2 and 1/2: P(child 1/1) = ½·½ = ¼. H2: p_1² = 0.01. LR = 25.
    freqs = {str(i): 0.1 for i in range(1, 11)}
    members = [{"id": "F", "sex": "male", "sample": "RF"}, {"id": "M", "sex": "female", "sample": "RM"},
               {"id": "MP", "sex": "female", "father": "F", "mother": "M", "missing": True}]
    table, pr, fam = one_marker(tmp_path, freqs, {"RF": ("1", "2"), "RM": ("1", "2"), "S": ("1", "1")}, members)
    assert likelihood_ratio(fam, None, "S", pr, table).lr == pytest.approx(25.0, rel=1e-12)


SIBS = [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
        {"id": "S1", "sex": "female", "father": "F", "mother": "M", "sample": "REF"},
        {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True}]


@pytest.mark.parametrize("ref, sample", [(("a", "b"), ("a", "b")), (("a", "a"), ("a", "a")),
                                         (("a", "b"), ("a", "c")), (("a", "b"), ("c", "c"))])
def test_full_siblings(tmp_path, ref, sample):
    # Full siblings share 0, 1 or 2 alleles IBD with probabilities k = (¼, ½, ¼), so
    # LR = k0 + k1·P(S | one IBD with R)/P(S) + k2·[S = R]/P(S), where with R = {r1, r2} the
    # shared allele is r1 or r2 (½ each) and the other allele of S is drawn from the population:
    # P(S = {x, y} | one IBD) = ½ Σ_r [ (r = x)·p_y + (r = y)·p_x ]  (for x ≠ y; x = y: ½ Σ_r (r = x) p_x).
    p = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
    table, pr, fam = one_marker(tmp_path, p, {"REF": ref, "S": sample}, SIBS)
    x, y = sample
    hw = p[x] ** 2 if x == y else 2 * p[x] * p[y]
    one = sum(0.5 * ((r == x) * p[y] + (r == y and x != y) * p[x]) for r in ref)
    two = 1.0 if sorted(ref) == sorted(sample) else 0.0
    expected = 0.25 + 0.5 * one / hw + 0.25 * two / hw
    assert likelihood_ratio(fam, "MP", "S", pr, table).lr == pytest.approx(expected, rel=1e-12)


def test_half_siblings(tmp_path):
    # Half siblings: k = (½, ½, 0). R = a/b, S = a/c:
    # P(S | one IBD) = ½·p_c (only r1 = a matches) → LR = ½ + ½·(½ p_c)/(2 p_a p_c) = ½ + 1/(8 p_a).
    p = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
    members = [{"id": "F", "sex": "male"}, {"id": "M1", "sex": "female"}, {"id": "M2", "sex": "female"},
               {"id": "H", "sex": "male", "father": "F", "mother": "M2", "sample": "REF"},
               {"id": "MP", "sex": "male", "father": "F", "mother": "M1", "missing": True}]
    table, pr, fam = one_marker(tmp_path, p, {"REF": ("a", "b"), "S": ("a", "c")}, members)
    assert likelihood_ratio(fam, "MP", "S", pr, table).lr == pytest.approx(0.5 + 1 / (8 * 0.1), rel=1e-12)


def test_exclusion_is_exactly_zero_without_mutation_and_positive_with(tmp_path):
    # Father A/A, child B/B cannot be without mutation: LR = 0 exactly.
    # Equal model, rate r, n = 2 alleles: the father passes B only by mutation, prob r/(n−1) = r;
    # the untyped mother gives B if she has B and it does not mutate, or has A and it mutates:
    # p_B(1−r) + p_A·r. LR = r·(p_B(1−r) + p_A r) / p_B².
    table, pr, fam = one_marker(tmp_path, {"A": 0.4, "B": 0.6}, {"REF": ("A", "A"), "S": ("B", "B")}, PARENT_CHILD)
    assert likelihood_ratio(fam, "MP", "S", pr, table).lr == 0.0
    r = 0.002
    got = likelihood_ratio(fam, "MP", "S", pr, table, MutationModel.uniform("equal", r)).lr
    assert got == pytest.approx(r * (0.6 * (1 - r) + 0.4 * r) / 0.6**2, rel=1e-12)


def test_direct_reference(tmp_path):
    # The missing person's own earlier sample: LR = 1/P(g) if it matches, else 0.
    members = [{"id": "MP", "sex": "male", "missing": True, "sample": "TOOTHBRUSH"}]
    table, pr, fam = one_marker(tmp_path, {"A": 0.1, "B": 0.9}, {"TOOTHBRUSH": ("A", "B"), "S": ("A", "B"),
                                                             "T": ("A", "A")}, members)
    assert likelihood_ratio(fam, "MP", "S", pr, table).lr == pytest.approx(1 / (2 * 0.1 * 0.9), rel=1e-12)
    assert likelihood_ratio(fam, "MP", "T", pr, table).lr == 0.0


def test_untyped_marker_contributes_one(tmp_path):
    f = write(tmp_path, "f.csv", "marker,allele,frequency\nL1,A,0.1\nL1,B,0.9\nL2,A,0.5\nL2,B,0.5\n")
    prof = write(tmp_path, "p.csv", "sample,marker,allele1,allele2\nREF,L1,A,A\nREF,L2,A,B\nS,L1,A,A\n")
    table, pr = read_frequencies(f), read_profiles(prof)
    fam = family_from_dict({"family": "F", "members": PARENT_CHILD}, "F.json", pr)
    r = likelihood_ratio(fam, "MP", "S", pr, table)
    assert r.markers == {"L1": pytest.approx(10.0), "L2": 1.0}
    assert r.lr == pytest.approx(10.0) and r.markers_compared == 1


@pytest.mark.parametrize("theta, pa", [(0.0, 0.05), (0.01, 0.05), (0.02, 0.05), (0.03, 0.2)])
def test_parent_child_with_theta(tmp_path, theta, pa):
    # Balding–Nichols (NRC II 4.10): after R's two A alleles are seen, a further A has probability
    # (2θ + (1−θ)p)/(1+θ), and then another (3θ + (1−θ)p)/(1+2θ).
    # Parent–child (k1 = 1): P(S = AA | R) = (2θ + (1−θ)p)/(1+θ) (one A IBD, one drawn).
    # Unrelated: (2θ + (1−θ)p)/(1+θ) · (3θ + (1−θ)p)/(1+2θ). LR = (1+2θ)/(3θ + (1−θ)p).
    table, pr, fam = one_marker(tmp_path, {"A": pa, "B": 1 - pa}, {"REF": ("A", "A"), "S": ("A", "A")}, PARENT_CHILD)
    expected = (1 + 2 * theta) / (3 * theta + (1 - theta) * pa)
    assert likelihood_ratio(fam, "MP", "S", pr, table, theta=theta).lr == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("theta", [0.0, 0.01, 0.05])
def test_theta_for_both_parents_typed(tmp_path, theta):
    # Father A/A and mother A/B typed, the sample A/A, p_A = p_B = ½ (pedprobr's definition:
    # founder alleles drawn one after the other by Balding–Nichols; the unrelated sample is one
    # more founder of the same population). The j-th allele is a with probability
    # (b θ + (1−θ) p_a) / (1 + (j−2) θ), b the number of earlier a's.
    # H1: 2·BN(A,A,A,B) (the mother's two orders) × ½ (she passes A) = BN(AAAB).
    # H2: 2·BN(A,A,A,B,A,A). LR = 1 / (2 · (3θ + (1−θ)p)/(1+3θ) · (4θ + (1−θ)p)/(1+4θ)).
    # θ = 0: 1/(2p²) = 2 (the child of AA × AB is AA with ½; HW ¼).
    members = [{"id": "F", "sex": "male", "sample": "RF"}, {"id": "M", "sex": "female", "sample": "RM"},
               {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True}]
    table, pr, fam = one_marker(tmp_path, {"A": 0.5, "B": 0.5}, {"RF": ("A", "A"), "RM": ("A", "B"), "S": ("A", "A")}, members)
    p = 0.5
    expected = 1 / (2 * (3 * theta + (1 - theta) * p) / (1 + 3 * theta) * (4 * theta + (1 - theta) * p) / (1 + 4 * theta))
    assert likelihood_ratio(fam, "MP", "S", pr, table, theta=theta).lr == pytest.approx(expected, rel=1e-12)


def test_theta_trio_paternity_index_from_the_data_readme(tmp_path):
    # shared/data/README.md: child, mother and alleged father all A/A, θ = 0.02, p_A = 0.05:
    # the four founder alleles seen (mother's, father's) are A, so a random man's A has
    # probability (4θ + (1−θ)p)/(1+3θ): PI = (1+3θ)/(4θ + (1−θ)p) = 8.217.
    members = [{"id": "MO", "sex": "female", "sample": "RM"}, {"id": "AF", "sex": "male", "missing": True},
               {"id": "C", "sex": "female", "father": "AF", "mother": "MO", "sample": "RC"}]
    table, pr, fam = one_marker(tmp_path, {"A": 0.05, "B": 0.95}, {"RM": ("A", "A"), "RC": ("A", "A"), "S": ("A", "A")}, members)
    theta, p = 0.02, 0.05
    pi = likelihood_ratio(fam, "AF", "S", pr, table, theta=theta).lr
    assert pi == pytest.approx((1 + 3 * theta) / (4 * theta + (1 - theta) * p), rel=1e-12)
    assert round(pi, 3) == 8.217


@pytest.mark.parametrize("relation, ks", [
    ("grandparent", (0.5, 0.5, 0.0)), ("avuncular", (0.5, 0.5, 0.0)), ("cousins", (0.75, 0.25, 0.0)),
])
def test_ibd_coefficients_of_relationships(relation, ks):
    # Textbook IBD coefficients (Thompson 1975): grandparent and avuncular (½, ½, 0); first cousins (¾, ¼, 0).
    from vestige.kinship.lr import ibd_coefficients
    base = [{"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"}]
    if relation == "grandparent":
        members = base + [{"id": "P", "sex": "male", "father": "GF", "mother": "GM"}, {"id": "SP", "sex": "female"},
                          {"id": "X", "sex": "male", "father": "P", "mother": "SP", "missing": True}]
        pair = ("X", "GF")
    elif relation == "avuncular":
        members = base + [{"id": "P", "sex": "male", "father": "GF", "mother": "GM"}, {"id": "SP", "sex": "female"},
                          {"id": "U", "sex": "male", "father": "GF", "mother": "GM"},
                          {"id": "X", "sex": "male", "father": "P", "mother": "SP", "missing": True}]
        pair = ("X", "U")
    else:
        members = base + [{"id": "P", "sex": "male", "father": "GF", "mother": "GM"}, {"id": "SP", "sex": "female"},
                          {"id": "Q", "sex": "female", "father": "GF", "mother": "GM"}, {"id": "SQ", "sex": "male"},
                          {"id": "X", "sex": "male", "father": "P", "mother": "SP", "missing": True},
                          {"id": "C", "sex": "male", "father": "SQ", "mother": "Q"}]
        pair = ("X", "C")
    fam = family_from_dict({"family": "F", "members": members}, "F.json")
    assert ibd_coefficients(fam, *pair) == pytest.approx(ks)
