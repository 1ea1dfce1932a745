"""The exact multipoint SNP likelihood (Lander–Green), checked against independent computations.

1. **Brute force**: every founder allele and every inheritance vector of the *full* pedigree (all
   meioses, no founder symmetry, no dropped branches) at every SNP, the probability of each
   sequence of vectors written out as a product over the recombinations — summed over all
   sequences with numpy. Nothing of the engine is used but the pedigree reader.
2. **Unlinked limit**: with r = 0.5 between every pair of SNPs the multipoint LR is the product
   of the single-SNP LRs, each computed by the autosomal STR engine (checked against forrel in
   test_analytic) with the SNP as a two-allele marker.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from vestige.kinship import Family, Member, likelihood_ratio
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.snp.multipoint import inheritance_space
from vestige.kinship.snp.panel import Panel
from vestige.kinship.snp.scores import SnpModel, snp_target
from vestige.kinship.snp.vcf import SnpGenotypes


def fam(name, rows):
    return Family(name, [Member(i, s, f, m, missing=(i == "MP"), sample=("REF" if i == "R" else None))
                         for i, s, f, m in rows])


HALF_SIBS = fam("half-sibs", [("F", "male", None, None), ("M1", "female", None, None), ("M2", "female", None, None),
                              ("R", "male", "F", "M1"), ("MP", "male", "F", "M2")])
UNCLE = fam("uncle", [("GF", "male", None, None), ("GM", "female", None, None), ("R", "male", "GF", "GM"),
                      ("P", "male", "GF", "GM"), ("W", "female", None, None), ("MP", "male", "P", "W")])
COUSINS = fam("cousins", [("GF", "male", None, None), ("GM", "female", None, None),
                          ("P1", "male", "GF", "GM"), ("S1", "female", None, None),
                          ("P2", "female", "GF", "GM"), ("S2", "male", None, None),
                          ("R", "male", "P1", "S1"), ("MP", "female", "S2", "P2")])


def brute_force(family: Family, typed: dict[str, np.ndarray], freq: np.ndarray, r: np.ndarray,
                eps: dict[str, float]) -> float:
    """P(typed persons' calls) by summing over every sequence of full inheritance vectors."""
    order = family.order
    founders = [m for m in order if family.by_id[m].founder]
    nonf = [m for m in order if not family.by_id[m].founder]
    n_bits = 2 * len(nonf)
    n_v = 1 << n_bits
    n_snp = len(freq)
    emit = np.zeros((n_snp, n_v))
    for v in range(n_v):
        for alleles in itertools.product((0, 1), repeat=2 * len(founders)):
            genes = {f: (alleles[2 * i], alleles[2 * i + 1]) for i, f in enumerate(founders)}
            for j, m in enumerate(nonf):
                mem = family.by_id[m]
                genes[m] = (genes[mem.father][(v >> (2 * j)) & 1], genes[mem.mother][(v >> (2 * j + 1)) & 1])
            n_alt = sum(alleles)
            for t in range(n_snp):
                p = freq[t] ** n_alt * (1 - freq[t]) ** (len(alleles) - n_alt)
                for m, calls in typed.items():
                    o, g = calls[t], sum(genes[m])
                    if o >= 0:
                        p *= (1 - eps[m]) if o == g else eps[m] / 2
                emit[t, v] += p
    # P(sequence) = (1/n_v) prod_t T_t(v_{t-1}, v_t), T the product over bits of r or 1 - r
    flips = np.array([[bin(a ^ b).count("1") for b in range(n_v)] for a in range(n_v)])
    total = np.full(n_v, 1.0 / n_v) * emit[0]
    shape = [n_v]
    tensor = total
    for t in range(1, n_snp):
        trans = r[t] ** flips * (1 - r[t]) ** (n_bits - flips)
        tensor = tensor[..., None] * trans.reshape([1] * (len(shape) - 1) + [n_v, n_v]) * emit[t]
        shape.append(n_v)
    return float(tensor.sum())


def model_for(freq, r_cm, calls: dict[str, np.ndarray], ref_err=0.0, rem_err=0.0):
    n = len(freq)
    panel = Panel([f"s{i}" for i in range(n)], np.ones(n, dtype=np.int64), np.arange(1, n + 1) * 1000,
                  np.asarray(r_cm, dtype=float), ["A"] * n, ["G"] * n, np.asarray(freq, dtype=float))
    samples = list(calls)
    geno = SnpGenotypes(panel, samples, np.stack([calls[s] for s in samples]).astype(np.int8))
    return SnpModel(geno, reference_error=ref_err, remains_error=rem_err, min_calls=1)


@pytest.mark.parametrize("family,n_snp", [(HALF_SIBS, 4), (UNCLE, 3), (COUSINS, 2)])
def test_multipoint_equals_brute_force_over_inheritance_vectors(family, n_snp):
    rng = np.random.default_rng(7)
    freq = rng.uniform(0.15, 0.6, n_snp)
    cm = np.cumsum(rng.uniform(1, 30, n_snp))
    ref = rng.integers(-1, 3, n_snp)
    ref[0] = 1
    sample = rng.integers(0, 3, n_snp)
    if n_snp > 2:
        sample[1] = -1  # a no-call
    model = model_for(freq, cm, {"REF": ref, "S": sample}, ref_err=0.01, rem_err=0.03)
    target = snp_target(family, "MP", model)
    got = float(target.log_lrs(model, ["S"])[0])
    r = model.r
    joint = brute_force(family, {"R": ref, "MP": sample}, freq, r, {"R": 0.01, "MP": 0.03})
    refs = brute_force(family, {"R": ref}, freq, r, {"R": 0.01})
    alone = brute_force(family, {"MP": sample}, freq, r, {"MP": 0.03})
    want = math.log(joint) - math.log(refs) - math.log(alone)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
    # and the likelihood is not the unlinked product (the test can tell them apart)
    unlinked = model_for(freq, cm * 1e6, {"REF": ref, "S": sample}, ref_err=0.01, rem_err=0.03)
    assert float(snp_target(family, "MP", unlinked).log_lrs(unlinked, ["S"])[0]) != pytest.approx(got, rel=1e-6)


def test_two_references_brute_force():
    """A cousin and an uncle typed together: the references' joint likelihood is a chain too."""
    family = Family("two", [Member("GF", "male"), Member("GM", "female"),
                            Member("U", "male", "GF", "GM", sample="U1"), Member("P", "male", "GF", "GM"),
                            Member("W", "female"), Member("MP", "male", "P", "W", missing=True),
                            Member("Q", "female", "GF", "GM"), Member("H", "male"),
                            Member("C", "female", "H", "Q", sample="C1")])
    rng = np.random.default_rng(3)
    freq = rng.uniform(0.2, 0.5, 2)
    cm = np.array([10.0, 22.0])
    calls = {"U1": rng.integers(0, 3, 2), "C1": rng.integers(0, 3, 2), "S": rng.integers(0, 3, 2)}
    model = model_for(freq, cm, calls, ref_err=0.002, rem_err=0.002)
    target = snp_target(family, "MP", model)
    got = float(target.log_lrs(model, ["S"])[0])
    r = model.r
    e = {"U": 0.002, "C": 0.002, "MP": 0.002}
    joint = brute_force(family, {"U": calls["U1"], "C": calls["C1"], "MP": calls["S"]}, freq, r, e)
    refs = brute_force(family, {"U": calls["U1"], "C": calls["C1"]}, freq, r, e)
    alone = brute_force(family, {"MP": calls["S"]}, freq, r, e)
    assert got == pytest.approx(math.log(joint) - math.log(refs) - math.log(alone), rel=1e-9)


@pytest.mark.parametrize("family", [HALF_SIBS, UNCLE, COUSINS])
def test_unlinked_snps_give_the_product_of_single_snp_lrs_of_the_str_engine(family):
    rng = np.random.default_rng(11)
    n = 40
    freq = rng.uniform(0.1, 0.5, n)
    ref = rng.integers(0, 3, n)
    sample = rng.integers(0, 3, n)
    # r = 0.5 between neighbours: 10^5 cM apart (Haldane: (1 - e^-2000)/2 = 0.5 in floating point)
    panel = Panel([f"s{i}" for i in range(n)], np.ones(n, dtype=np.int64), np.arange(1, n + 1) * 1000,
                  np.arange(n) * 1e5, ["A"] * n, ["G"] * n, freq)
    assert np.all(panel.recombination()[1:] == 0.5)
    order = np.arange(n)
    geno = SnpGenotypes(panel, ["REF", "S"], np.stack([ref[order], sample[order]]).astype(np.int8))
    model = SnpModel(geno, reference_error=0.0, remains_error=0.0, min_calls=1)
    got = float(snp_target(family, "MP", model).log_lrs(model, ["S"])[0]) / math.log(10)
    table = FrequencyTable({f"s{i}": ["A", "G"] for i in range(n)},
                           {f"s{i}": np.array([1 - freq[i], freq[i]]) for i in range(n)})
    pair = ("A", "A"), ("A", "G"), ("G", "G")
    profiles = Profiles({"REF": {f"s{i}": pair[ref[i]] for i in range(n)},
                         "S": {f"s{i}": pair[sample[i]] for i in range(n)}})
    want = likelihood_ratio(family, "MP", "S", profiles, table).log10_lr
    assert got == pytest.approx(want, rel=1e-9)


def test_state_space_is_reduced_by_founder_symmetry():
    # first cousins: 8 meioses; the grandparents' first meioses fixed, the spouses' dropped: 4 free
    space = inheritance_space(COUSINS, ["R", "MP"])
    assert space.n_bits == 4 and len(space.flips) == 2
    assert inheritance_space(HALF_SIBS, ["R", "MP"]).n_bits == 1


def test_a_pedigree_beyond_the_exact_limit_is_refused_with_its_size():
    with pytest.raises(KinshipInputError, match="needs 4 free meioses.*at most 3"):
        inheritance_space(COUSINS, ["R", "MP"], max_bits=3)


def test_impossible_references_are_an_error_not_a_number():
    # a father and son who are opposite homozygotes at a SNP, with no genotyping error
    family = Family("po", [Member("F", "male", sample="REF"), Member("W", "female"),
                           Member("K", "male", "F", "W", sample="K1"), Member("MP", "male", "F", "W", missing=True)])
    model = model_for([0.3], [1.0], {"REF": np.array([0]), "K1": np.array([2]), "S": np.array([1])})
    with pytest.raises(KinshipInputError, match="impossible"):
        snp_target(family, "MP", model)


def test_identity_lr_of_two_bones_by_hand():
    from vestige.kinship.snp.scores import identity_log10_lr

    # one SNP, p = 0.5, both heterozygous, error rate e = 0.01 for both samples:
    # same person: sum_g P(g) P(1|g)^2 = 0.25 (e/2)^2 + 0.5 (1-e)^2 + 0.25 (e/2)^2
    # unrelated:   (sum_g P(g) P(1|g))^2 = (0.25 e/2 + 0.5 (1-e) + 0.25 e/2)^2
    e = 0.01
    same = 0.5 * (e / 2) ** 2 + 0.5 * (1 - e) ** 2
    apart = (0.5 * e / 2 + 0.5 * (1 - e)) ** 2
    model = model_for([0.5, 0.3], [1.0, 2.0], {"A": np.array([1, -1]), "B": np.array([1, 2])}, rem_err=e)
    v, n, differ = identity_log10_lr(model, "A", "B")
    assert v == pytest.approx(math.log10(same / apart), rel=1e-12) and (n, differ) == (1, 0)


@pytest.mark.parametrize("family", [HALF_SIBS, UNCLE, COUSINS])
@pytest.mark.parametrize("r", [0.0, 0.05, 0.2, 0.5])
def test_two_snps_equal_the_klink_linked_pair_lr(family, r):
    """Two SNPs as two-allele markers at recombination fraction r: the multipoint LR equals the
    linked-pair LR of kinship/linked.py (KLINK's linkedLR / pedprobr's likelihood2, checked against
    KLINK in test_linked.py) — two independent implementations of the same likelihood."""
    from vestige.kinship.linked import LinkedPair, pair_lr
    from vestige.kinship.mutation import MutationModel

    rng = np.random.default_rng(int(r * 100) + len(family.members))
    freq = rng.uniform(0.2, 0.5, 2)
    ref = rng.integers(0, 3, 2)
    sample = rng.integers(0, 3, 2)
    # Haldane: r = (1 - exp(-2d))/2  ->  d = -ln(1 - 2r)/2 Morgans
    d_cm = 1e7 if r == 0.5 else -50.0 * math.log(1 - 2 * r)
    model = model_for(freq, [10.0, 10.0 + d_cm], {"REF": ref, "S": sample})
    got = float(snp_target(family, "MP", model).log_lrs(model, ["S"])[0])
    pair = ("A", "A"), ("A", "G"), ("G", "G")
    table = FrequencyTable({"s0": ["A", "G"], "s1": ["A", "G"]},
                           {"s0": np.array([1 - freq[0], freq[0]]), "s1": np.array([1 - freq[1], freq[1]])})
    want = pair_lr(family, "MP", {"s0": pair[sample[0]], "s1": pair[sample[1]]},
                   {"R": {"s0": pair[ref[0]], "s1": pair[ref[1]]}}, table, MutationModel(),
                   LinkedPair("s0", "s1", d_cm, r))
    assert got == pytest.approx(math.log(want), rel=1e-9, abs=1e-12)
