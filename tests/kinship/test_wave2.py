"""Wave 2 of the kinship engine: θ quadrature, post-mortem duplicates, planning, honest
posteriors on the shared reproductions, robustness, and the fixes (each with a hand derivation
or the reproduction it came from)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.kinship.conftest import DATA, write
from vestige.cli import main
from vestige.kinship import KinshipInputError, read_families, read_frequencies, read_profiles
from vestige.kinship.io import family_from_dict, read_mutation
from vestige.kinship.joint import JointOptions, joint_identification
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.plan import plan
from vestige.kinship.pmmatch import pm_match, same_individual_groups
from vestige.kinship.remains import read_remains
from vestige.kinship.search import blind_search
from vestige.kinship.theta import dirichlet_points

NORWEGIAN = DATA / "norwegian-35-markers.csv"
CASES = DATA / "cases"


# --- θ --------------------------------------------------------------------------------------

def test_dirichlet_quadrature_reproduces_moments():
    # E[π1² π2] = α1(α1+1)α2 / (α(α+1)(α+2)) and E[π3³] = α3(α3+1)(α3+2)/(α(α+1)(α+2)).
    alphas = np.array([0.7, 2.3, 1.1, 0.4])
    pts, w = dirichlet_points(alphas, 3)
    a = alphas.sum()
    got = float(w @ (pts[:, 0] ** 2 * pts[:, 1]))
    assert got == pytest.approx(alphas[0] * (alphas[0] + 1) * alphas[1] / (a * (a + 1) * (a + 2)), rel=1e-12)
    got = float(w @ pts[:, 2] ** 3)
    assert got == pytest.approx(alphas[2] * (alphas[2] + 1) * (alphas[2] + 2) / (a * (a + 1) * (a + 2)), rel=1e-12)
    assert w.sum() == pytest.approx(1.0, rel=1e-14)


def _one_marker(tmp_path, freqs, profiles, members):
    f = write(tmp_path, "f.csv", "marker,allele,frequency\n" + "".join(f"L1,{a},{p}\n" for a, p in freqs.items()))
    prof = write(tmp_path, "p.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},L1,{a},{b}\n" for s, (a, b) in profiles.items()))
    table, pr = read_frequencies(f), read_profiles(prof)
    return table, pr, family_from_dict({"family": "F", "members": members}, "F.json", pr)


PARENT_CHILD = [{"id": "F", "sex": "male", "sample": "REF"}, {"id": "M", "sex": "female"},
                {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True}]


@pytest.mark.parametrize("theta", [0.0, 0.02])
def test_joint_theta_is_per_family_component(tmp_path, theta):
    # In the joint, θ applies within each family (pedprobr's likelihood of a list of pedigrees):
    # father A/A, the victim A/A as his child. L_θ(family + victim) = BN(A,A)·(2θ+(1−θ)p)/(1+θ)
    # (the mother's transmitted allele given the father's two), L_θ(family) = BN(A,A), and the
    # unassigned victim alone p(θ + (1−θ)p). LR = (2θ+(1−θ)p) / ((1+θ) p (θ+(1−θ)p)); θ = 0: 1/p.
    p = 0.1
    table, pr, fam = _one_marker(tmp_path, {"A": p, "B": 1 - p}, {"REF": ("A", "A"), "V": ("A", "A")}, PARENT_CHILD)
    res = joint_identification([fam], pr, table, ["V"], options=JointOptions(prior="flat", theta=theta, ignore_sex=True))
    best = next(a for a in res.assignments if a["pairs"])
    want = (2 * theta + (1 - theta) * p) / ((1 + theta) * p * (theta + (1 - theta) * p))
    assert best["lr"] == pytest.approx(want, rel=1e-10)


# --- post-mortem duplicates -------------------------------------------------------------------

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


# --- planning --------------------------------------------------------------------------------

def test_exclusion_power_and_expected_lr_by_hand(tmp_path):
    # Father a/b typed, child missing, alleles a, b, c. An unrelated person is excluded when
    # they carry neither a nor b: EP = p_c². The child's genotype given the father: a or b from
    # him (½ each), anything from the mother: P(g) = ½ Σ_{f∈{a,b}} P(g | f).
    p = {"a": 0.2, "b": 0.3, "c": 0.5}
    table, pr, fam = _one_marker(tmp_path, p, {"REF": ("a", "b")}, PARENT_CHILD)
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


# --- honest posteriors and robustness on the shared reproductions ------------------------------

def _search(case, *args):
    d = CASES / case
    return ["kinship", "search", "--freqs", str(NORWEGIAN), "--profiles", str(d / "profiles.csv"),
            "--families", str(d / "families"), "--samples", str(d / "remains.csv"), "--json", "--quiet", *args]


def test_case_08_one_family_in_scope_is_not_certain(capsys):
    # 100 unrelated remains, one missing person: the prior per pair is 1/101, never 1, and an
    # LR of 1e-18 gives a posterior near 1e-20.
    assert main(_search("08_one_family_posterior_1", "--mutation-model", "equal", "--top", "1")) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all(x["posterior"] < 0.5 for x in lines)
    assert all(x["prior"] == pytest.approx(1 / 101) for x in lines)
    assert main(_search("08_one_family_posterior_1", "--mutation-model", "equal", "--missing-total", "447",
                        "--top", "1")) == 0
    assert all(json.loads(x)["prior"] == pytest.approx(1 / 448) for x in capsys.readouterr().out.splitlines())


def test_case_01_an_inconsistent_family_is_skipped_not_fatal(capsys):
    assert main(_search("01_no_mutation_one_family_aborts_search")) == 0
    cap = capsys.readouterr()
    lines = [json.loads(x) for x in cap.out.splitlines()]
    assert [(x["family"], x["sample"]) for x in lines] == [("FAM-0213", "PM-0021")]
    assert "FAM-0181 skipped" in cap.err and "D1S1656" in cap.err


def test_case_02_sisters_are_never_both_certain(capsys):
    assert main(_search("02_two_missing_siblings_one_parent", "--mutation-model", "equal", "--top", "2")) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and all(x["posterior"] <= 0.5 + 1e-9 for x in lines)
    assert all(any(f.startswith("indistinguishable:") for f in x["flags"]) for x in lines)


def test_case_05_cousin_is_not_certain_for_the_wrong_family(capsys):
    assert main(_search("05_cousin_takes_family_A", "--mutation-model", "equal", "--all", "--all-sexes")) == 0
    lines = {(x["sample"], x["family"]): x for x in map(json.loads, capsys.readouterr().out.splitlines())}
    assert lines[("PM-0007", "CA-026")]["posterior"] < 1e-6
    assert "sex_conflict" in lines[("PM-0007", "CA-026")]["flags"]


def test_case_07_amelogenin_dropout_is_compared_with_a_warning(capsys, tmp_path):
    assert main(_search("07_amel_y_dropout_sex_filter", "--mutation-model", "equal", "--all")) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and "AMEL-Y drop-out" in cap.err
    # With AMEL in the profile (X only) and --sex-from-amelogenin, the pair is compared, flagged.
    d = CASES / "07_amel_y_dropout_sex_filter"
    prof = write(tmp_path, "p.csv", (d / "profiles.csv").read_text() + "PM-0205,AMEL,X,X\n")
    assert main(["kinship", "search", "--freqs", str(NORWEGIAN), "--profiles", str(prof), "--families",
                 str(d / "families"), "--samples", str(d / "remains.csv"), "--json", "--quiet", "--all",
                 "--mutation-model", "equal", "--sex-from-amelogenin"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1 and "sex_conflict" in lines[0]["flags"] and lines[0]["log10_lr"] > 6


def test_huge_lrs_are_carried_in_log10_without_overflow(tmp_path):
    # 200 markers where the sample equals a direct reference at p = 0.01: log10 LR = 200 · 4 = 800.
    rows = "".join(f"M{i},a,0.01\nM{i},b,0.99\n" for i in range(200))
    f = write(tmp_path, "f.csv", "marker,allele,frequency\n" + rows)
    p = write(tmp_path, "p.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},M{i},a,a\n" for i in range(200) for s in ("REF", "S")))
    table, prof = read_frequencies(f), read_profiles(p)
    fam = family_from_dict({"family": "F", "members": [{"id": "X", "sex": "male", "missing": True, "sample": "REF"}]},
                           "F.json", prof)
    hits = blind_search([fam], prof, table, ["S"]).hits
    assert hits[0].log10_lr == pytest.approx(800.0, rel=1e-12)
    assert hits[0].as_dict()["lr"] is None and 0.0 <= hits[0].posterior <= 1.0
    json.dumps(hits[0].as_dict(), allow_nan=False)


# --- the fixes -----------------------------------------------------------------------------

def test_star_mutation_default_keeps_each_sexs_rates(tmp_path):
    m = write(tmp_path, "m.json", json.dumps({"*": {"female": {"model": "equal", "rate": 0.01},
                                                     "male": {"model": "equal", "rate": 0.002}}}))
    model = read_mutation(m)
    assert model.spec("VWA", "female").rate == 0.01 and model.spec("VWA", "male").rate == 0.002


@pytest.mark.parametrize("extra, fragment", [(["--top", "-1"], "--top"), (["--min-lr", "nan"], "--min-lr"),
                                             (["--prior", "2"], "--prior"), (["--dropout", "1.5"], "dropout")])
def test_bad_search_options_exit_2(capsys, extra, fragment):
    with pytest.raises(SystemExit) if fragment == "dropout" else _nothing():
        code = main(_search("02_two_missing_siblings_one_parent", *extra))
        assert code == 2
    assert fragment in capsys.readouterr().err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_deeply_nested_family_json_is_a_clear_error(tmp_path):
    p = write(tmp_path, "deep.json", '{"family": "X", "members": ' + "[" * 100_000 + "]" * 100_000 + "}")
    from vestige.kinship import read_family
    with pytest.raises(KinshipInputError, match="deep.json"):
        read_family(p)


def test_samples_file_without_header_keeps_its_first_line(tmp_path):
    p = write(tmp_path, "s.csv", "PM-0060\nPM-0247\n")
    assert read_remains(p).samples == ["PM-0060", "PM-0247"]
    p = write(tmp_path, "h.csv", "sample,sex,dropout,body\nA,female,0.1,B1\nB,,,B1\nC,male,,\n")
    r = read_remains(p)
    assert r.samples == ["A", "B", "C"] and r.dropout == {"A": 0.1} and r.bodies() == {"B1": ["A", "B"]}
    assert r.items() == ["B1", "C"]
    with pytest.raises(KinshipInputError, match="line 2"):
        read_remains(write(tmp_path, "bad.csv", "sample,dropout\nA,1.5\n"))


@pytest.mark.parametrize("allele", ["=1+1", "<script>", "@SUM(A1)", "-3"])
def test_allele_labels_that_are_not_labels_are_refused(tmp_path, allele):
    with pytest.raises(KinshipInputError, match="not an allele label"):
        read_profiles(write(tmp_path, "p.csv", f"sample,marker,allele1,allele2\nS,L1,{allele},9\n"))


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
