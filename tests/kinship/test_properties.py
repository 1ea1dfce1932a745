"""Invariants of the engine (hypothesis), and the blind search against the per-pair path."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kinship.conftest import DATA
from vestige.kinship import likelihood_ratio, read_frequencies
from vestige.kinship.io import FrequencyTable, Profiles, family_from_dict
from vestige.kinship.lr import hardy_weinberg, marker_likelihoods
from vestige.kinship.mutation import MutationModel
from vestige.kinship.search import blind_search
from vestige.kinship.simulate import TEMPLATES, simulate

NORWEGIAN = read_frequencies(DATA / "norwegian-35-markers.csv")
MARKERS = ["D3S1358", "VWA", "TH01", "FGA", "D21S11", "SE33"]
TABLE = FrequencyTable({m: NORWEGIAN.alleles[m] for m in MARKERS}, {m: NORWEGIAN.freqs[m] for m in MARKERS})
MODELS = [MutationModel(), MutationModel.uniform("equal", 0.002), MutationModel.uniform("proportional", 0.003)]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sim(seed: int, n_fam: int = 12, n_rem: int = 10, mutation=None):
    sim = simulate(TABLE, n_fam, n_rem, seed, mutation=mutation if mutation is not None else MutationModel.uniform("equal", 0.002))
    profiles = Profiles(genotypes=sim.profiles, source="sim")
    families = [family_from_dict(f, f["family"], profiles) for f in sim.families]
    return sim, profiles, families


@FAST
@given(seed=st.integers(0, 10_000), shuffle_seed=st.integers(0, 10_000))
def test_lr_unchanged_when_members_are_reordered(seed, shuffle_seed):
    sim, profiles, families = _sim(seed, n_fam=3, n_rem=3)
    fam_dict = sim.families[0]
    members = list(fam_dict["members"])
    random.Random(shuffle_seed).shuffle(members)
    reordered = family_from_dict({"family": fam_dict["family"], "members": members}, "x", profiles)
    sample = sim.remains[0][0]
    mutation = MutationModel.uniform("equal", 0.002)
    a = likelihood_ratio(families[0], families[0].missing[0], sample, profiles, TABLE, mutation).lr
    b = likelihood_ratio(reordered, families[0].missing[0], sample, profiles, TABLE, mutation).lr
    assert b == pytest.approx(a, rel=1e-12, abs=0)


@FAST
@given(seed=st.integers(0, 10_000), model=st.integers(0, 2))
def test_genotype_probabilities_sum_to_one(seed, model):
    # Σ_g P(data, X = g) = P(data): the missing person's genotype distribution given the family
    # sums to one, over every genotype of a marker (TH01: 10 alleles, 55 genotypes).
    _sim_, profiles, families = _sim(seed, n_fam=2, n_rem=1)
    fam = families[0]
    marker = "TH01"
    data = {m.id: profiles.genotypes[m.sample][marker] for m in fam.typed if marker in profiles.genotypes[m.sample]}
    mutation = MODELS[model]
    total = marker_likelihoods(fam, data, TABLE, marker, mutation)
    alleles = TABLE.alleles[marker]
    s = sum(marker_likelihoods(fam, data, TABLE, marker, mutation, clamp=(fam.missing[0], (a, b)))
            for a, b in itertools.combinations_with_replacement(alleles, 2))
    assert s == pytest.approx(total, rel=1e-12)


@FAST
@given(seed=st.integers(0, 10_000))
def test_hardy_weinberg_genotype_probabilities_sum_to_one(seed):
    freqs = TABLE.freqs[MARKERS[seed % len(MARKERS)]]
    n = len(freqs)
    assert sum(hardy_weinberg(freqs, i, j) for i in range(n) for j in range(i, n)) == pytest.approx(1.0, rel=1e-12)


@FAST
@given(seed=st.integers(0, 10_000))
def test_models_at_rate_zero_equal_no_mutation(seed):
    # Simulated without mutation: with one, references can be inconsistent under "none" (an error).
    _sim_, profiles, families = _sim(seed, n_fam=2, n_rem=2, mutation=MutationModel())
    fam = families[0]
    sample = next(s for s in profiles.genotypes if s.startswith("PM-"))
    base = likelihood_ratio(fam, fam.missing[0], sample, profiles, TABLE).lr
    for model in ("equal", "proportional"):
        got = likelihood_ratio(fam, fam.missing[0], sample, profiles, TABLE, MutationModel.uniform(model, 0.0)).lr
        assert got == base  # the same matrices: the identity


@pytest.mark.parametrize("model", [0, 1, 2])
def test_blind_search_equals_the_per_pair_lr(model):
    """The search's one-computation-per-family tables (with lumped unseen alleles and batched
    families of one shape) give the same LR as the per-pair path for every pair."""
    mutation = MODELS[model]
    sim, profiles, families = _sim(100 + model, n_fam=len(TEMPLATES) * 3, n_rem=15, mutation=mutation)
    samples = [s for s, _ in sim.remains]
    hits = blind_search(families, profiles, TABLE, samples, mutation=mutation, all_pairs=True, compare_all_sexes=True).hits
    assert len(hits) == len(samples) * sum(len(f.missing) for f in families)
    by_name = {f.name: f for f in families}
    rng = random.Random(model)
    for h in rng.sample(hits, 120):
        want = likelihood_ratio(by_name[h.family], h.missing, h.sample, profiles, TABLE, mutation).lr
        if want == 0:
            assert h.lr == 0
        else:
            assert h.lr == pytest.approx(want, rel=1e-9)


def test_search_ranks_the_truth_first_for_strong_families():
    sim, profiles, families = _sim(7, n_fam=60, n_rem=40)
    samples = [s for s, _ in sim.remains]
    sexes = dict(sim.remains)
    hits = blind_search(families, profiles, TABLE, samples, sexes=sexes, top=1,
                        mutation=MutationModel.uniform("equal", 0.002)).hits
    truth = {s: (f, m) for s, f, m in sim.truth if f}
    best = {h.sample: (h.family, h.missing) for h in hits}
    # Only 6 markers here: the strongest references (parents, direct) must still come out first.
    strong = [s for s, (f, _m) in truth.items()
              if any(t in ("F", "M") for t in [m.id for m in next(x for x in families if x.name == f).typed])
              and len(next(x for x in families if x.name == f).typed) >= 2]
    assert strong and sum(best.get(s) == truth[s] for s in strong) >= 0.8 * len(strong)
    for h in hits:
        assert 0.0 <= h.posterior <= 1.0 and h.markers_compared <= len(MARKERS)
        assert math.isclose(h.log10_lr, math.log10(h.lr)) if h.lr > 0 else h.log10_lr is None


def test_posterior_accounts_for_both_axes_of_competition():
    # π = 1/(max(N, R) + 1) per pair. Along the sample's candidates: LR/(Σ_m' LR + (1 − n·π)/π);
    # along the missing person's samples: LR/(Σ_r' LR + (1 − n'·π)/π); the posterior is the
    # smaller. Recomputed here from every pair's LR (all pairs listed, every sex compared).
    sim, profiles, families = _sim(3, n_fam=10, n_rem=5)
    samples = [s for s, _ in sim.remains]
    res = blind_search(families, profiles, TABLE, samples, all_pairs=True, compare_all_sexes=True)
    hits = res.hits
    n = sum(len(f.missing) for f in families)
    pi = 1 / (max(n, len(samples)) + 1)
    assert res.prior == pytest.approx(pi)
    lr = {(h.sample, h.missing, h.family): h.lr for h in hits}
    for h in hits:
        row = sum(v for (s, _m, _f), v in lr.items() if s == h.sample)
        col = sum(v for (_s, m, f), v in lr.items() if (m, f) == (h.missing, h.family))
        row_p = h.lr / (row + (1 - n * pi) / pi)
        col_p = h.lr / (col + (1 - len(samples) * pi) / pi)
        assert h.posterior == pytest.approx(min(row_p, col_p), rel=1e-9, abs=1e-300)
    assert np.all([h.markers_compared >= 0 for h in hits])


@pytest.mark.parametrize("theta", [0.0, 0.01])
def test_a_sex_exclusion_keeps_its_prior_mass_off_someone_else(theta):
    """Sexes known: a sample is compared with its own sex's missing persons only, and those of the
    other sex are excluded, as a DNA exclusion would (LR 0). Their prior mass stays theirs: the
    counts of the formula above are every missing person and every sample, the sums run over the
    pairs compared. (Before: the counts were the compared pairs, so each excluded pairing's prior
    went to "someone else" and a male sample among 230 men and 136 women of a grave needed an LR
    about five times higher to be named — issue 25's distant-reference grave.)"""
    sim, profiles, families = _sim(3, n_fam=10, n_rem=6)
    samples = [s for s, _ in sim.remains]
    sexes = dict(sim.remains)
    mp_sex = {(f.name, m): f.by_id[m].sex for f in families for m in f.missing}
    assert {"male", "female"} <= set(sexes.values()) and {"male", "female"} <= set(mp_sex.values())
    res = blind_search(families, profiles, TABLE, samples, sexes=sexes, all_pairs=True, theta=theta)
    n = len(mp_sex)
    pi = 1 / (max(n, len(samples)) + 1)
    lr = {(h.sample, h.family, h.missing): h.lr for h in res.hits}
    assert all(sexes[s] == mp_sex[(f, m)] for s, f, m in lr)  # the other sex is not compared
    assert len(lr) < len(samples) * n
    for h in res.hits:
        row = sum(v for (s, _f, _m), v in lr.items() if s == h.sample)
        col = sum(v for (_s, f, m), v in lr.items() if (f, m) == (h.family, h.missing))
        row_p = h.lr / (row + (1 - n * pi) / pi)
        col_p = h.lr / (col + (1 - len(samples) * pi) / pi)
        assert h.posterior == pytest.approx(min(row_p, col_p), rel=1e-9, abs=1e-300)
