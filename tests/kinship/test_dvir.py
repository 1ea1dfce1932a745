"""Every pairwise LR of the four dvir 3.4.2 examples (pairwiseLR), to a relative error ≤ 1e-9.

The expected values are dvir's own output (tests/data/kinship/*/expected_pairwise_lr.json),
an independent implementation in R. Exclusions must be exactly 0; null means dvir does not
compare the pair (the sexes differ) and neither may the search.
"""

from __future__ import annotations

import json

import pytest

from tests.kinship.conftest import DATA, EXAMPLES
from vestige.kinship import (
    likelihood_ratio,
    read_families,
    read_frequencies,
    read_mutation,
    read_profiles,
    read_sexes,
)
from vestige.kinship.search import blind_search

REL = 1e-9


def load(example):
    d = DATA / example
    table = read_frequencies(d / "freqs.csv")
    profiles = read_profiles(d / "profiles.csv")
    families = read_families([d / "families"], profiles)
    mutation = read_mutation(d / "mutation.json") if (d / "mutation.json").exists() else None
    sexes = read_sexes(d / "remains.json")
    expected = json.loads((d / "expected_pairwise_lr.json").read_text())["lr"]
    return table, profiles, families, mutation, sexes, expected


def close(got: float, want: float) -> bool:
    if want == 0:
        return got == 0.0
    return abs(got - want) <= REL * abs(want)


@pytest.mark.parametrize("example", EXAMPLES)
def test_pairwise_lr_matches_dvir(example):
    table, profiles, families, mutation, _sexes, expected = load(example)
    checked = 0
    for sample, row in expected.items():
        for mp, want in row.items():
            if want is None:
                continue
            family = next(f for f in families if mp in f.by_id)
            got = likelihood_ratio(family, mp, sample, profiles, table, mutation).lr
            assert close(got, want), (example, sample, mp, got, want)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("example", EXAMPLES)
def test_blind_search_matches_dvir_and_skips_other_sex(example):
    table, profiles, families, mutation, sexes, expected = load(example)
    hits = blind_search(families, profiles, table, list(sexes), sexes=sexes, mutation=mutation, all_pairs=True).hits
    got = {(h.sample, h.missing): h for h in hits}
    for sample, row in expected.items():
        for mp, want in row.items():
            if want is None:
                assert (sample, mp) not in got
            else:
                assert close(got[(sample, mp)].lr, want), (example, sample, mp, got[(sample, mp)].lr, want)


def test_grave_has_a_loop_and_planecrash_does_not():
    assert load("dvir-grave")[2][0].has_loop()
    assert not any(f.has_loop() for f in load("dvir-planecrash")[2])


def test_example2_joint_loglikelihoods_from_dvir_readme():
    """dvir README, example2: the assignment V1=M1, V2=M2, V3=M3 has log-likelihood −16.11810;
    leaving all three unidentified, −21.63956 (250 times less likely).

    The joint likelihood of an assignment is the product over families of the family data with
    the assigned victims placed as their missing persons, times Hardy–Weinberg probabilities of
    unassigned victims.
    """
    import math

    import numpy as np

    from vestige.kinship.lr import hardy_weinberg, marker_likelihoods

    table, profiles, families, mutation, sexes, _ = load("dvir-example2")
    from vestige.kinship.mutation import MutationModel
    mutation = mutation or MutationModel()

    def loglik(assignment: dict[str, str]) -> float:
        total = 0.0
        for marker in table.markers:
            for fam in families:
                data = {m.id: profiles.genotypes[m.sample][marker] for m in fam.typed}
                for victim, mp in assignment.items():
                    if mp in fam.by_id:
                        data[mp] = profiles.genotypes[victim][marker]
                total += math.log(marker_likelihoods(fam, data, table, marker, mutation))
            idx = table.index(marker)
            for victim in sexes:
                if victim not in assignment:
                    a, b = profiles.genotypes[victim][marker]
                    total += math.log(hardy_weinberg(table.freqs[marker], idx[a], idx[b]))
        return total

    assert loglik({"V1": "M1", "V2": "M2", "V3": "M3"}) == pytest.approx(-16.11810, abs=5e-6)
    assert loglik({}) == pytest.approx(-21.63956, abs=5e-6)
    assert np.exp(-16.11810 + 21.63956) == pytest.approx(250, rel=0.001)
