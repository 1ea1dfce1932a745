"""Joint identification against dvir's published numbers and an independent brute force.

The brute force below enumerates every sex-consistent assignment with itertools and computes
each one's log-likelihood directly from its definition — each family's references with its
assigned victims placed (one exact pedigree likelihood per family and marker, the ``lr``
module's path), times Hardy–Weinberg probabilities of the unassigned victims — then dvir's
``Bmarginal`` (flat prior) by summing. None of the joint engine's machinery (batched tables,
grouping, class tables, enumeration) is used.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.kinship.conftest import DATA
from vestige.cli import main
from vestige.kinship import read_families, read_frequencies, read_mutation, read_profiles
from vestige.kinship.io import family_from_dict
from vestige.kinship.joint import JointOptions, joint_identification
from vestige.kinship.lr import hardy_weinberg, likelihood_ratio, marker_likelihoods
from vestige.kinship.mutation import MutationModel
from vestige.kinship.remains import read_remains

CASES = DATA / "cases"  # copies of shared/cases/identification (see tests/data/kinship/README.md)


def load(example):
    d = DATA / example
    table = read_frequencies(d / "freqs.csv")
    profiles = read_profiles(d / "profiles.csv")
    families = read_families([d / "families"], profiles)
    mutation = read_mutation(d / "mutation.json") if (d / "mutation.json").exists() else MutationModel()
    remains = read_remains(d / "remains.json")
    return table, profiles, families, mutation, remains


def brute_force(table, profiles, families, mutation, remains):
    """{assignment (tuple of missing or '*', per victim): loglik} over every sex-consistent one."""
    victims = remains.samples
    targets = [(f, m) for f in families for m in f.missing]
    options = [["*"] + [m for f, m in targets if f.by_id[m].sex == remains.sexes[v]] for v in victims]
    fam_of = {m: f for f, m in targets}
    cache = {}

    def fam_ll(f, placed):
        key = (f.name, tuple(sorted(placed.items())))
        if key not in cache:
            total = 0.0
            for marker in table.markers:
                data = {m.id: profiles.genotypes[m.sample][marker] for m in f.typed
                        if marker in profiles.genotypes[m.sample]}
                for mp, v in placed.items():
                    if marker in profiles.genotypes[v]:
                        data[mp] = profiles.genotypes[v][marker]
                if data:
                    lik = marker_likelihoods(f, data, table, marker, mutation)
                    total += math.log(lik) if lik > 0 else -math.inf
            cache[key] = total
        return cache[key]

    def hw_ll(v):
        total = 0.0
        for marker, (a, b) in profiles.genotypes[v].items():
            idx = table.index(marker)
            total += math.log(hardy_weinberg(table.freqs[marker], idx[a], idx[b]))
        return total

    out = {}
    for combo in itertools.product(*options):
        used = [c for c in combo if c != "*"]
        if len(used) != len(set(used)):
            continue
        ll = sum(hw_ll(v) for v, c in zip(victims, combo, strict=True) if c == "*")
        for f in families:
            placed = {c: v for v, c in zip(victims, combo, strict=True) if c != "*" and fam_of[c] is f}
            ll += fam_ll(f, placed)
        out[combo] = ll
    return out


def bmarginal(table_ll: dict, victims: list[str]):
    lmax = max(table_ll.values())
    w = {a: math.exp(ll - lmax) for a, ll in table_ll.items() if ll > -math.inf}
    z = sum(w.values())
    out = {}
    for a, x in w.items():
        for v, c in zip(victims, a, strict=True):
            out[(v, c)] = out.get((v, c), 0.0) + x / z
    return out


def run_joint(example, **kw):
    table, profiles, families, mutation, remains = load(example)
    opts = JointOptions(prior="flat", top=50, **kw)
    return joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                                mutation=mutation, options=opts), (table, profiles, families, mutation, remains)


def test_example2_reproduces_the_dvir_readme():
    # dvir README, example2: best assignment V1=M1, V2=M2, V3=M3 with log-likelihood −16.11810;
    # everyone unidentified −21.63956, so the best is 250 times more likely.
    res, _ = run_joint("dvir-example2")
    best = res.assignments[0]
    assert [(p["sample"], p["missing"]) for p in best["pairs"]] == [("V1", "M1"), ("V2", "M2"), ("V3", "M3")]
    assert best["loglik"] == pytest.approx(-16.11810, abs=5e-6)
    assert res.loglik0 == pytest.approx(-21.63956, abs=5e-6)
    assert best["lr"] == pytest.approx(250.0, rel=1e-9)


@pytest.mark.parametrize("method", ["enumerate", "frontier"])
@pytest.mark.parametrize("example", ["dvir-example1", "dvir-example2", "dvir-planecrash"])
def test_every_assignment_and_marginal_equals_the_brute_force(example, method):
    # method "frontier" (issue 27, part 2): the same groups solved without listing their
    # assignments (joint/frontier.py) give the same marginals and best assignments.
    res, (table, profiles, families, mutation, remains) = run_joint(example, method=method)
    if method == "frontier":
        assert all(g.method.startswith("dynamic programming") for g in res.groups if len(g.victims) > 1)
    truth = brute_force(table, profiles, families, mutation, remains)
    # dvir's full table: every sex-consistent assignment (planecrash: 19,081).
    assert res.admissible == len(truth)
    if example == "dvir-planecrash":
        assert len(truth) == 19081
    ranked = sorted(truth.items(), key=lambda kv: -kv[1])
    for got, (_combo, ll) in zip(res.assignments, ranked, strict=False):
        assert got["loglik"] == pytest.approx(ll, rel=1e-9)
    want = bmarginal(truth, remains.samples)
    got = {(m["sample"], m["missing"]): m["probability"] for m in (x.as_dict() for x in res.marginals)}
    for key, p in want.items():
        assert got.get(key, 0.0) == pytest.approx(p, rel=1e-9, abs=1e-15), key
    for v in remains.samples:  # marginals of a victim sum to one
        assert sum(p for (s, _m), p in got.items() if s == v) == pytest.approx(1.0, abs=1e-12)


def test_grave_with_a_loop_matches_direct_likelihoods():
    # dvir's grave: 23 members, a loop, 8 missing: 52,564 sex-consistent assignments. The
    # engine's log-likelihoods of its best assignments and of random admissible ones (many of
    # them impossible, −∞) are checked against the direct pedigree likelihood of each.
    res, (table, profiles, families, mutation, remains) = run_joint("dvir-grave")
    assert res.admissible == 52564
    fam = families[0]

    def direct(pairs):
        placed = {p["missing"]: p["sample"] for p in pairs}
        total = 0.0
        for marker in table.markers:
            data = {m.id: profiles.genotypes[m.sample][marker] for m in fam.typed if marker in profiles.genotypes[m.sample]}
            for mp, v in placed.items():
                if marker in profiles.genotypes[v]:
                    data[mp] = profiles.genotypes[v][marker]
            lik = marker_likelihoods(fam, data, table, marker, mutation)
            if lik == 0:
                return -math.inf
            total += math.log(lik)
            idx = table.index(marker)
            for v in remains.samples:
                if v not in placed.values() and marker in profiles.genotypes[v]:
                    a, b = profiles.genotypes[v][marker]
                    total += math.log(hardy_weinberg(table.freqs[marker], idx[a], idx[b]))
        return total

    for a in res.assignments[:12]:
        assert a["loglik"] == pytest.approx(direct(a["pairs"]), rel=1e-9)
    g = res.groups[0]
    rng = np.random.default_rng(1)
    for r in rng.choice(len(g.plain), size=15, replace=False):
        pairs = [{"sample": res.items[g.victims[i]], "missing": res.targets[int(t)][1]}
                 for i, t in enumerate(g.assignments[r]) if t >= 0]
        assert res.loglik0 + float(g.plain[r]) == pytest.approx(direct(pairs), rel=1e-9)


def test_grave_and_planecrash_full_tables_are_fast():
    # dvir 3.4.2's dviJoint took 1,634 s (grave) and 1,025 s (planecrash) here; the issue asks
    # ≤ 2 s each. Not a timing assertion: the figure is in benchmarks/joint_dvi.py. This test
    # checks the tables are complete (the admissible counts of dvir's full tables).
    res, _ = run_joint("dvir-planecrash")
    assert res.groups[0].count == 19081 and res.groups[0].exact


FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_one_remains_one_missing_equals_the_pairwise_lr(seed):
    # The joint LR of the only non-null assignment is the pairwise LR. The examples are fixed
    # (derandomize): a random draw found seed 571, where both parents' profiles lack VWA and the
    # remains have it; there `lr` computes the equal model's non-stationary factor (0.997) while the
    # search and the joint count only markers typed in the remains and a reference (factor 1) — a
    # known difference, stated in the README, not this test's subject.
    from vestige.kinship.io import FrequencyTable, Profiles
    from vestige.kinship.simulate import simulate
    t = read_frequencies(DATA / "norwegian-35-markers.csv")
    markers = ["D3S1358", "VWA", "TH01", "FGA", "D21S11"]
    table = FrequencyTable({m: t.alleles[m] for m in markers}, {m: t.freqs[m] for m in markers})
    sim = simulate(table, 1, 1, seed, unrelated_fraction=0.0, mix={"parents": 1.0})
    profiles = Profiles(sim.profiles, "sim")
    fam = family_from_dict(sim.families[0], "f", profiles)
    v = sim.remains[0][0]
    res = joint_identification([fam], profiles, table, [v], mutation=MutationModel.uniform("equal", 0.002),
                               options=JointOptions(prior="flat", ignore_sex=True))
    pair = likelihood_ratio(fam, fam.missing[0], v, profiles, table, MutationModel.uniform("equal", 0.002))
    best = next(a for a in res.assignments if a["pairs"])
    assert best["log10_lr"] == pytest.approx(pair.log10_lr, rel=1e-9, abs=1e-12)


def _case(name):
    d = CASES / name
    table = read_frequencies(DATA / "norwegian-35-markers.csv")
    profiles = read_profiles(d / "profiles.csv")
    families = read_families([d / "families"], profiles)
    remains = read_remains(d / "remains.csv")
    return table, profiles, families, remains


def test_two_sisters_the_dna_cannot_tell_apart_are_flagged_and_never_certain():
    # Case 02: two missing sisters, their father the only reference. Both remains are his
    # daughters, but which is which the DNA cannot say: the two assignments tie.
    table, profiles, families, remains = _case("02_two_missing_siblings_one_parent")
    res = joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                               mutation=MutationModel.uniform("equal", 0.001))
    assert res.symmetric and set(res.symmetric[0].samples) == {"PM-0060", "PM-0247"}
    for m in (x.as_dict() for x in res.marginals):
        if m["missing"] != "*":
            assert m["probability"] <= 0.5 + 1e-9
    assert not res.undisputed


def test_cousin_remains_does_not_take_the_other_family():
    # Case 05: PM-0007 (CB's son) scores 1.5e6 against CA's missing girl through the shared
    # uncle; jointly it is CB's with certainty and CA's girl is free for PM-0005.
    table, profiles, families, remains = _case("05_cousin_takes_family_A")
    res = joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                               mutation=MutationModel.uniform("equal", 0.001),
                               options=JointOptions(ignore_sex=True))
    p = {(m["sample"], m["missing"]): m["probability"] for m in (x.as_dict() for x in res.marginals)}
    assert p[("PM-0007", "P00233")] > 0.9999
    assert p[("PM-0007", "P00232")] < 1e-9


def test_a_group_too_large_is_split_by_the_cutoff_and_says_so():
    from vestige.kinship.io import FrequencyTable, Profiles
    from vestige.kinship.simulate import simulate
    t = read_frequencies(DATA / "norwegian-35-markers.csv")
    markers = ["D3S1358", "VWA", "TH01", "FGA", "D21S11", "D8S1179"]
    table = FrequencyTable({m: t.alleles[m] for m in markers}, {m: t.freqs[m] for m in markers})
    sim = simulate(table, 12, 10, 5, mix={"parents": 1.0})
    profiles = Profiles(sim.profiles, "sim")
    fams = [family_from_dict(f, f["family"], profiles) for f in sim.families]
    items = [s for s, *_ in sim.remains]
    mut = MutationModel.uniform("equal", 0.002)
    exact = joint_identification(fams, profiles, table, items, mutation=mut,
                                 options=JointOptions(ignore_sex=True, prior="flat"))
    # listing only (the dynamic programme refused, as for a group too wide for it)
    small = joint_identification(fams, profiles, table, items, mutation=mut,
                                 options=JointOptions(ignore_sex=True, prior="flat", max_assignments=50,
                                                      method="enumerate"))
    assert all(g.exact for g in exact.groups)
    big = [g for g in small.groups if g.cutoff > 0 or not g.exact]
    assert big  # with mutation every pairing is possible: it had to cut or give up, and it says so
    # by default the group too large to list is solved by the dynamic programme, uncut and exact
    auto = joint_identification(fams, profiles, table, items, mutation=mut,
                                options=JointOptions(ignore_sex=True, prior="flat", max_assignments=50))
    assert all(g.exact and g.cutoff == 0 for g in auto.groups)
    assert any(g.method.startswith("dynamic") for g in auto.groups)
    pa = {(x.sample, x.family, x.missing): x.probability for x in auto.marginals}
    for x in exact.marginals:
        assert pa[(x.sample, x.family, x.missing)] == pytest.approx(x.probability, rel=1e-9, abs=1e-14)
    pe = {(m["sample"], m["family"], m["missing"]): m["probability"] for m in (x.as_dict() for x in exact.marginals)}
    for g in small.groups:
        if g.exact and g.cutoff > 0:
            bound = g.tolerance / (1 - g.tolerance)
            for m in (x.as_dict() for x in small.marginals):
                if m["sample"] in {items[v] for v in g.victims}:
                    want = pe.get((m["sample"], m["family"], m["missing"]), 0.0)
                    assert abs(m["probability"] - want) <= bound + 1e-12
    out = json.loads(json.dumps(small.as_dict()))
    assert all("exact" in g for g in out["groups"])


@pytest.mark.parametrize("example", ["dvir-example2", "dvir-planecrash", "dvir-grave"])
def test_the_sparse_entry_equals_the_dense_one_given_every_pairing(example):
    # Matching runs give the engine the search's pairs; with every pairing given, the marginals
    # and the best assignments' LRs must be the dense engine's.
    from vestige.kinship.joint import joint_sparse
    from vestige.kinship.search import pairwise_matrix
    table, profiles, families, mutation, remains = load(example)
    items = remains.items()
    dense = joint_identification(families, profiles, table, items, sexes=remains.sexes, mutation=mutation)
    pm = pairwise_matrix(families, profiles, table, items, sexes=remains.sexes, mutation=mutation)
    edges = [(int(v), int(t), float(pm.log_lr[v, t])) for v, t in zip(*np.nonzero(np.isfinite(pm.log_lr)), strict=True)]
    sparse = joint_sparse(families, profiles, table, items, edges, sexes=remains.sexes, mutation=mutation)
    want = {(m["sample"], m["family"], m["missing"]): m["probability"] for m in (x.as_dict() for x in dense.marginals)}
    got = {(m["sample"], m["family"], m["missing"]): m["probability"] for m in (x.as_dict() for x in sparse.marginals)}
    for key, p in got.items():
        assert p == pytest.approx(want.get(key, 0.0), rel=1e-9, abs=1e-15), key
    for a, b in zip(dense.assignments, sparse.assignments, strict=True):
        assert a["log10_lr"] == pytest.approx(b["log10_lr"], rel=1e-9, abs=1e-12)


def test_a_body_whose_weak_candidates_were_cut_is_never_none_of_the_missing_at_1():
    """Issue 27, part 1: a body with candidates of LR 3–14 that no group kept was reported "none
    of the missing" with probability 1.0. Hand derivation: with the search's total LR mass S over
    the body's pairings (row_lse = ln S) and the prior weight w = π / (1 − n π) of a pairing
    against leaving it unassigned, the mass cut away is M = S·w, "none" is 1 / (1 + M) and how far
    that may be off is M / (1 + M)."""
    from vestige.kinship.joint import joint_sparse
    from vestige.kinship.search import pairwise_matrix
    table, profiles, families, mutation, remains = load("dvir-example2")
    items = remains.items()
    pm = pairwise_matrix(families, profiles, table, items, sexes=remains.sexes, mutation=mutation)
    weak = len(items) - 1
    edges = [(int(v), int(t), float(pm.log_lr[v, t])) for v, t in zip(*np.nonzero(np.isfinite(pm.log_lr)), strict=True)
             if v != weak]  # the last body's pairings were all cut
    res = joint_sparse(families, profiles, table, items, edges, sexes=remains.sexes, mutation=mutation,
                       row_lse={weak: math.log(14.0)})
    pi = res.prior["pair"]
    # every missing person is in the body's prior, those of the other sex too (their LR is 0: the
    # sex excludes them as DNA would; their prior mass is not "someone else"'s)
    n_row = sum(len(f.missing) for f in families)
    w = pi / (1 - n_row * pi)
    [star] = [m for m in (x.as_dict() for x in res.marginals) if m["sample"] == items[weak] and m["missing"] == "*"]
    assert star["probability"] == pytest.approx(1 / (1 + 14 * w), rel=1e-12) and star["probability"] < 1.0
    assert star["tolerance"] == pytest.approx(14 * w / (1 + 14 * w), rel=1e-12)


@pytest.mark.parametrize("example", ["dvir-grave", "dvir-planecrash", "dvir-example1"])
def test_the_dynamic_programme_gives_the_enumerations_glrs_counts_and_symmetric_matches(example):
    table, profiles, families, mutation, remains = load(example)
    out = {}
    for method in ("enumerate", "frontier"):
        out[method] = joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                                           mutation=mutation, options=JointOptions(method=method, top=5))
    a, b = out["enumerate"], out["frontier"]
    assert sorted(a.glr) == sorted(b.glr)
    for key, x in a.glr.items():
        assert b.glr[key] == pytest.approx(x, rel=1e-9, abs=1e-9), key
    assert [g.count for g in a.groups] == [g.count for g in b.groups]
    assert [x["log10_lr"] for x in a.assignments] == pytest.approx([x["log10_lr"] for x in b.assignments], rel=1e-9)
    assert len(a.symmetric) == len(b.symmetric)


def test_households_of_several_missing_persons_by_dynamic_programming():
    # Families that lost two to four members together (one factor over the tuple of victims
    # placed on them) with the pairwise prior: the programme's marginals are the enumeration's.
    from vestige.kinship.io import FrequencyTable, Profiles
    from vestige.kinship.simulate import simulate
    t = read_frequencies(DATA / "norwegian-35-markers.csv")
    markers = ["D3S1358", "VWA", "TH01", "FGA", "D21S11", "D8S1179", "D18S51"]
    table = FrequencyTable({m: t.alleles[m] for m in markers}, {m: t.freqs[m] for m in markers})
    sim = simulate(table, 4, 6, 11, mix={"parents": 0.5, "siblings": 0.5}, multi_missing=3, unrelated_fraction=0.1)
    profiles = Profiles(sim.profiles, "sim")
    fams = [family_from_dict(f, f["family"], profiles) for f in sim.families]
    assert any(len(f.missing) > 1 for f in fams)
    items = [s for s, *_ in sim.remains]
    mut = MutationModel.uniform("equal", 0.002)
    res = {m: joint_identification(fams, profiles, table, items, mutation=mut,
                                   options=JointOptions(ignore_sex=True, method=m)) for m in ("enumerate", "frontier")}
    assert any(g.method.startswith("dynamic") and g.tables for g in res["frontier"].groups)
    assert all(g.cutoff == 0 and g.exact for r in res.values() for g in r.groups)  # both uncut
    assert [g.count for g in res["enumerate"].groups] == [g.count for g in res["frontier"].groups]
    pe = {(x.sample, x.family, x.missing): x.probability for x in res["enumerate"].marginals}
    pf = {(x.sample, x.family, x.missing): x.probability for x in res["frontier"].marginals}
    assert pe.keys() == pf.keys()
    for key, p in pe.items():
        assert pf[key] == pytest.approx(p, rel=1e-9, abs=1e-14), key
    assert [x["log10_lr"] for x in res["enumerate"].assignments] == pytest.approx(
        [x["log10_lr"] for x in res["frontier"].assignments], rel=1e-9)


def test_joint_writes_its_pairings_as_the_search_writes_hits_jsonl(capsys):
    """``kinship joint --jsonl``: one line a pairing, ``posterior`` the marginal less its tolerance
    (what a decision may rely on), each sample's best first, nobody ("*") left out — so the tools
    that score the search's lines score the joint engine's; ``--json`` with it is refused."""
    d = DATA / "dvir-planecrash"
    args = ["kinship", "joint", "--freqs", str(d / "freqs.csv"), "--profiles", str(d / "profiles.csv"),
            "--families", str(d / "families"), "--remains", str(d / "remains.json"), "--mutation",
            str(d / "mutation.json"), "--quiet"]
    assert main([*args, "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)["marginals"]
    assert main([*args, "--jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    want = {(m["sample"], m["family"], m["missing"]): m for m in whole if m["missing"] != "*" and m["probability"] > 0}
    assert len(lines) == len(want) and lines
    for h in lines:
        m = want[(h["sample"], h["family"], h["missing"])]
        assert h["probability"] == m["probability"] and h["tolerance"] == m.get("tolerance", 0.0)
        assert h["posterior"] == max(0.0, m["probability"] - m.get("tolerance", 0.0))
    for a, b in zip(lines, lines[1:], strict=False):
        assert a["sample"] < b["sample"] or (a["sample"] == b["sample"] and a["posterior"] >= b["posterior"])
    assert main([*args, "--json", "--jsonl"]) == 2
    assert "--jsonl" in capsys.readouterr().err


def test_the_unreported_pairings_weigh_on_each_pairing_by_its_own_victim_and_person():
    """A national run's joint engine sees only the pairs the search reported; the rest of a body's
    row (mass X) and of a missing person's column (mass Y) are known only as sums. Hand derivation
    for one reported pairing of LR λ between body v and person m, prior weight w = π / (1 − n π):
    P(v = m) = λw / (1 + λw), P(v = *) = P(m free) = 1 / (1 + λw). Putting back v's unreported
    pairings moves P(v = m) by at most Xw·P(v = *), m's by at most Yw·P(m free): the pairing's
    tolerance is (X + Y)·w / (1 + λw), plus 10^-12 of each whole sum for the rounding of the two
    sums made apart. Before, every victim's unreported mass was added, unweighted, to the whole
    group's tolerance — rounding noise of 10^4 for a body whose true pairing has LR 10^20."""
    from vestige.kinship.joint import joint_sparse
    from vestige.kinship.joint.engine import UNREPORTED_ROUNDING
    table, profiles, families, mutation, remains = load("dvir-example2")
    items = remains.items()
    n_row = sum(len(f.missing) for f in families)
    for log_lr in (math.log(2.0e5), 46.0):  # a plain match, and one of LR 10^20
        lam, x, y = math.exp(log_lr), 40.0, 25.0
        res = joint_sparse(families, profiles, table, items, [(0, 0, log_lr)], sexes=remains.sexes, mutation=mutation,
                           row_lse={0: math.log(lam + x)}, col_lse={0: math.log(lam + y)})
        pi = res.prior["pair"]
        w = pi / (1 - n_row * pi)
        [pair] = [m for m in res.marginals if m.victim == 0 and m.target == 0]
        assert pair.probability == pytest.approx(lam * w / (1 + lam * w), rel=1e-12)
        want = (x + y) * w / (1 + lam * w) + UNREPORTED_ROUNDING * ((lam + x) * w + (lam + y) * w) / (1 + lam * w)
        assert pair.tolerance == pytest.approx(want, rel=1e-6)
        assert pair.tolerance < 1e-3  # an identification at 99.95 % stays possible
    # nothing unreported: only the rounding allowance, never the noise of two sums of 10^20
    res = joint_sparse(families, profiles, table, items, [(0, 0, 46.0)], sexes=remains.sexes, mutation=mutation,
                       row_lse={0: 46.0}, col_lse={0: 46.0})
    [pair] = [m for m in res.marginals if m.victim == 0 and m.target == 0]
    assert pair.tolerance < 1e-11
