"""Pedigree checks before matching (issue 27, part 3): κ of the pedigree, κ̂ by maximum likelihood,
the LR/GLR of forrel's checkPairwise, p-values by simulation, and planted errors flagged."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vestige.kinship import Family, Member
from vestige.kinship.check import (
    _loglik,
    check_family,
    estimate_kappa,
    pair_weights,
    pedigree_kappa,
)
from vestige.kinship.io import Profiles, read_frequencies

from .conftest import DATA

TABLE = read_frequencies(DATA / "norwegian-35-markers.csv")


def lines(rows):
    return Family("f", [Member(i, s, f, m, sample=(f"S-{i}" if typed else None)) for i, s, f, m, typed in rows],
                  require_missing=False)


NUCLEAR = lines([("F", "male", None, None, True), ("M", "female", None, None, True),
                 ("C1", "male", "F", "M", True), ("C2", "female", "F", "M", True),
                 ("W", "female", None, None, False), ("H", "male", "F", "W", True),
                 ("U", "male", None, None, True)])


def test_pedigree_kappa_of_the_textbook_relationships():
    assert pedigree_kappa(NUCLEAR, "F", "C1") == (0.0, 1.0, 0.0)
    assert pedigree_kappa(NUCLEAR, "C1", "C2") == (0.25, 0.5, 0.25)
    assert pedigree_kappa(NUCLEAR, "C1", "H") == (0.5, 0.5, 0.0)
    assert pedigree_kappa(NUCLEAR, "F", "U") == (1.0, 0.0, 0.0)
    # double first cousins (two brothers married two sisters): kappa = (9/16, 6/16, 1/16)
    dfc = lines([("A", "male", None, None, False), ("B", "female", None, None, False),
                 ("C", "male", None, None, False), ("D", "female", None, None, False),
                 ("B1", "male", "A", "B", False), ("B2", "male", "A", "B", False),
                 ("S1", "female", "C", "D", False), ("S2", "female", "C", "D", False),
                 ("X", "male", "B1", "S1", False), ("Y", "male", "B2", "S2", False)])
    assert pedigree_kappa(dfc, "X", "Y") == pytest.approx((9 / 16, 6 / 16, 1 / 16), abs=1e-15)
    # a child of two siblings is inbred: its kappa is undefined and it is not checked
    inbred = lines([("A", "male", None, None, False), ("B", "female", None, None, False),
                    ("S", "male", "A", "B", False), ("T", "female", "A", "B", False),
                    ("K", "male", "S", "T", False)])
    assert pedigree_kappa(inbred, "K", "A") is None


def test_pair_weights_by_hand():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    # both 1/2 (alleles 0 and 1): IBD0 = (2 p0 p1)^2; IBD1: shared 0 (p0 * p1 * p1) or 1 (p1 * p0 * p0);
    # IBD2 = 2 p0 p1
    w = pair_weights((0, 1), (0, 1), p)
    assert w == pytest.approx([(2 * 0.1 * 0.2) ** 2, 0.1 * 0.2 * 0.2 + 0.2 * 0.1 * 0.1, 2 * 0.1 * 0.2])
    # 0/0 and 0/2: IBD0 = p0^2 * 2 p0 p2; IBD1 = p0 * p0 * p2; IBD2 = 0
    assert pair_weights((0, 0), (0, 2), p) == pytest.approx([0.01 * 2 * 0.1 * 0.3, 0.1 * 0.1 * 0.3, 0.0])


def test_the_estimate_is_the_maximum_over_the_simplex():
    rng = np.random.default_rng(4)
    for _ in range(12):
        w = rng.gamma(0.5, size=(rng.integers(1, 25), 3))
        w[rng.random(w.shape) < 0.2] = 0.0
        w[(w.sum(axis=1) == 0), 0] = 1.0
        k, best = estimate_kappa(w)
        assert k.sum() == pytest.approx(1.0) and (k >= 0).all()
        # independent check: EM (each step a convex combination; it never decreases a concave
        # likelihood) from the centre, 20,000 steps, and a 101 x 101 grid over the triangle
        x = np.full(3, 1 / 3)
        for _ in range(20000):
            lik = w @ x
            x = x * (w / lik[:, None]).mean(axis=0)
        assert best >= _loglik(w, x) - 1e-9
        grid = [np.array([a, 1 - a - c, c]) for a in np.linspace(0, 1, 101) for c in np.linspace(0, 1, 101)
                if a + c <= 1 + 1e-12]
        assert best >= max(_loglik(w, np.clip(g, 0, 1)) for g in grid) - 1e-9
        if np.isfinite(best) and best > _loglik(w, x) - 1e-6:
            assert np.abs(k - x).max() < 1e-3 or abs(best - _loglik(w, x)) < 1e-8  # flat ridges aside


def test_one_marker_puts_the_estimate_on_a_corner():
    p = TABLE.freqs["D3S1358"] / TABLE.freqs["D3S1358"].sum()
    w = pair_weights((0, 1), (0, 1), p)[None]  # likelihood linear in kappa: the largest weight's corner
    k, _ = estimate_kappa(w)
    assert tuple(k) == pytest.approx(tuple(np.eye(3)[int(np.argmax(w[0]))]))


def _simulate(family: Family, rng, typed: dict[str, str]) -> Profiles:
    """Mendelian genotypes for every member at the table's markers (founders from the frequencies)."""
    genos: dict[str, dict[str, tuple[str, str]]] = {}
    for m in family.order:
        mem = family.by_id[m]
        genos[m] = {}
        for marker in TABLE.markers:
            al, p = TABLE.alleles[marker], TABLE.freqs[marker] / TABLE.freqs[marker].sum()
            if mem.founder:
                genos[m][marker] = tuple(al[i] for i in rng.choice(len(al), 2, p=p))
            else:
                genos[m][marker] = (genos[mem.father][marker][rng.integers(2)],
                                    genos[mem.mother][marker][rng.integers(2)])
    return Profiles({sample: genos[member] for member, sample in typed.items()})


def test_a_clean_family_passes_and_planted_errors_are_flagged():
    rng = np.random.default_rng(27)
    typed = {m.id: m.sample for m in NUCLEAR.typed}
    clean = _simulate(NUCLEAR, rng, typed)
    checks = check_family(NUCLEAR, clean, TABLE)
    assert len(checks) == 15 and not any(c.flagged for c in checks)
    po = next(c for c in checks if (c.a, c.b) == ("F", "C1"))
    assert po.relationship == "parent-offspring" and po.conflicts == [] and po.markers == 35
    # a swapped tube: C1's sample is an unrelated person's
    swapped = Profiles({**clean.genotypes, "S-C1": _simulate(NUCLEAR, rng, typed).genotypes["S-U"]})
    flagged = {(c.a, c.b) for c in check_family(NUCLEAR, swapped, TABLE) if c.flagged}
    assert {("F", "C1"), ("M", "C1"), ("C1", "C2")} <= flagged
    bad = next(c for c in check_family(NUCLEAR, swapped, TABLE) if (c.a, c.b) == ("F", "C1"))
    assert bad.conflicts and bad.lr > 1000 and bad.glr == pytest.approx(1 / bad.lr)
    # non-paternity: H is not F's son (another father)
    other = lines([("F", "male", None, None, True), ("M", "female", None, None, True),
                   ("C1", "male", "F", "M", True), ("C2", "female", "F", "M", True),
                   ("W", "female", None, None, False), ("X", "male", None, None, False), ("H", "male", "X", "W", True),
                   ("U", "male", None, None, True)])
    npat = _simulate(other, rng, typed)
    flagged = {(c.a, c.b) for c in check_family(NUCLEAR, npat, TABLE) if c.flagged}
    assert ("F", "H") in flagged


def test_p_values_by_simulation_under_the_pedigree():
    rng = np.random.default_rng(5)
    typed = {m.id: m.sample for m in NUCLEAR.typed}
    clean = _simulate(NUCLEAR, rng, typed)
    checks = check_family(NUCLEAR, clean, TABLE, nsim=40, seed=3)
    fs = next(c for c in checks if (c.a, c.b) == ("C1", "C2"))
    assert fs.pvalue is not None and 0 < fs.pvalue <= 1
    swapped = Profiles({**clean.genotypes, "S-C1": _simulate(NUCLEAR, rng, typed).genotypes["S-U"]})
    bad = next(c for c in check_family(NUCLEAR, swapped, TABLE, nsim=40, seed=3) if (c.a, c.b) == ("F", "C1"))
    assert bad.pvalue == 0.0 and bad.flagged and (math.isinf(bad.log_lr) or bad.log_lr > 10)


def test_kinship_check_on_the_command_line(tmp_path):
    import json
    import subprocess
    import sys

    rng = np.random.default_rng(11)
    typed = {m.id: m.sample for m in NUCLEAR.typed}
    clean = _simulate(NUCLEAR, rng, typed)
    swapped = {**clean.genotypes, "S-C1": _simulate(NUCLEAR, rng, typed).genotypes["S-U"]}
    rows = ["sample,marker,allele1,allele2"] + [f"{s},{m},{a},{b}" for s, g in swapped.items() for m, (a, b) in g.items()]
    (tmp_path / "p.csv").write_text("\n".join(rows) + "\n")
    members = [{"id": m.id, "sex": m.sex, **({"father": m.father, "mother": m.mother} if m.father else {}),
                **({"sample": m.sample} if m.sample else {})} for m in NUCLEAR.members]
    members.append({"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True})
    (tmp_path / "FAM-1.json").write_text(json.dumps({"family": "FAM-1", "members": members}))
    base = [sys.executable, "-m", "vestige.cli", "kinship", "check", "--freqs", str(DATA / "norwegian-35-markers.csv"),
            "--profiles", str(tmp_path / "p.csv"), "--families", str(tmp_path / "FAM-1.json")]
    out = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert out.returncode == 4, out.stderr
    assert "FLAGGED F – C1 (parent-offspring" in out.stdout and "no allele in common at" in out.stdout
    js = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=120)
    fam = json.loads(js.stdout)
    assert fam["family"] == "FAM-1" and fam["flagged"] >= 3 and len(fam["pairs"]) == 15
    bad = subprocess.run([*base[:-1], str(tmp_path / "none.json")], capture_output=True, text=True, timeout=120)
    assert bad.returncode not in (0, 4) and "none.json" in bad.stderr and "Traceback" not in bad.stderr


def test_error_rates_of_a_parent_and_of_a_half_sibling():
    from vestige.kinship.error_rates import error_rates

    rng = np.random.default_rng(31)
    # a father typed: the LR of the true child per marker is P(x | father)/P_HW(x); with 35 markers
    # LR >= 10^4 is (almost) certain, and an unrelated person reaches it with probability < 10^-4
    fam = Family("po", [Member("F", "male", sample="S-F"), Member("W", "female"),
                        Member("MP", "male", "F", "W", missing=True)])
    prof = _simulate(lines([("F", "male", None, None, True)]), rng, {"F": "S-F"})
    r = error_rates(fam, prof, TABLE, nsim=4000, seed=2)
    at4 = r.rates[0]
    assert r.markers == 35 and at4["inclusion_power"] > 0.99
    assert 0 < at4["false_positive_rate"] < at4["markov_bound"]
    # a half-sibling alone: both rates far lower; the importance-sampled FPR still below 1/t
    hs = Family("hs", [Member("F", "male"), Member("M1", "female"), Member("M2", "female"),
                       Member("H", "male", "F", "M1", sample="S-H"), Member("MP", "male", "F", "M2", missing=True)])
    prof = _simulate(lines([("H", "male", None, None, True)]), rng, {"H": "S-H"})
    h = error_rates(hs, prof, TABLE, nsim=4000, seed=2, thresholds=(1e4,))
    assert h.rates[0]["inclusion_power"] < at4["inclusion_power"] and h.rates[0]["false_positive_rate"] < 1e-4
    # the reweighting checked: at a threshold of 0+, FPR = E[1/LR | related] = P(LR > 0 | unrelated), which
    # is 1 for a half-sibling (no genotype is excluded by one half-sibling without mutation)
    z = error_rates(hs, prof, TABLE, nsim=20000, seed=5, thresholds=(1e-300,))
    assert z.rates[0]["false_positive_rate"] == pytest.approx(1.0, abs=5 * z.rates[0]["false_positive_rate_se"] + 0.02)


def test_false_positive_rate_at_zero_is_one_minus_the_exclusion_power_of_plan():
    from vestige.kinship.error_rates import error_rates
    from vestige.kinship.plan import plan

    rng = np.random.default_rng(8)
    fam = Family("po", [Member("F", "male", sample="S-F"), Member("W", "female"),
                        Member("MP", "male", "F", "W", missing=True)])
    prof = _simulate(lines([("F", "male", None, None, True)]), rng, {"F": "S-F"})
    three = ["D3S1358", "VWA", "TH01"]
    ep = plan(fam, prof, TABLE, markers=three, candidates=[]).exclusion_power  # exact (forrel's missingPersonEP)
    r = error_rates(fam, prof, TABLE, markers=three, nsim=40000, seed=9, thresholds=(1e-300,))
    fpr = r.rates[0]
    assert fpr["false_positive_rate"] == pytest.approx(1 - ep, abs=5 * fpr["false_positive_rate_se"])


def test_victims_killed_together_are_grouped_and_strangers_are_not():
    from vestige.kinship.victims import related_victims, victim_groups

    rng = np.random.default_rng(77)
    family = lines([("F", "male", None, None, True), ("M", "female", None, None, True),
                    ("C1", "male", "F", "M", True), ("C2", "female", "F", "M", True)])
    victims = _simulate(family, rng, {"F": "V-F", "C1": "V-C1", "C2": "V-C2"})  # the mother was not found
    strangers = {f"V-U{i}": _simulate(lines([("U", "male", None, None, True)]), rng, {"U": "x"}).genotypes["x"]
                 for i in range(30)}
    profiles = Profiles({**victims.genotypes, **strangers})
    pairs = related_victims(profiles, TABLE, sorted(profiles.genotypes))
    found = {(p.a, p.b): p.relationship for p in pairs}
    assert found.get(("V-C1", "V-F")) == "parent-child" and found.get(("V-C2", "V-F")) == "parent-child"
    assert found.get(("V-C1", "V-C2")) == "full siblings"
    assert not any(a.startswith("V-U") and b.startswith("V-U") for a, b in found)  # 435 stranger pairs at 10^4
    assert victim_groups(pairs)[0] == ["V-C1", "V-C2", "V-F"]


def test_victim_lr_by_hand_for_one_marker():
    from vestige.kinship.victims import related_victims

    p = TABLE.freqs["D3S1358"] / TABLE.freqs["D3S1358"].sum()
    al = TABLE.alleles["D3S1358"]
    # parent 0/1 and child 0/0: w0 = 2 p0 p1 * p0^2, w1 = p0 * p1 * p0 (shared allele 0), LR_PO = (1-mu) w1/w0 + mu
    prof = Profiles({"A": {"D3S1358": (al[0], al[1])}, "B": {"D3S1358": (al[0], al[0])}})
    [pair] = related_victims(prof, TABLE, ["A", "B"], min_lr=1e-9)
    w0, w1 = 2 * p[0] * p[1] * p[0] ** 2, p[0] * p[1] * p[0]
    w2 = 0.0
    po = 0.998 * w1 / w0 + 0.002
    fs = 0.998 * (0.25 * w0 + 0.5 * w1 + 0.25 * w2) / w0 + 0.002
    assert pair.relationship == ("parent-child" if po > fs else "full siblings")
    assert pair.log10_lr == pytest.approx(math.log10(max(po, fs)), rel=1e-12)


def test_kinship_check_victims_on_the_command_line(tmp_path):
    import json
    import subprocess
    import sys

    rng = np.random.default_rng(5)
    family = lines([("F", "male", None, None, True), ("M", "female", None, None, True),
                    ("C1", "male", "F", "M", True)])
    prof = _simulate(family, rng, {"F": "R-1", "C1": "R-2"})
    stranger = _simulate(lines([("U", "male", None, None, True)]), rng, {"U": "R-3"})
    rows = ["sample,marker,allele1,allele2"] + [f"{s},{m},{a},{b}" for p in (prof, stranger)
                                                 for s, g in p.genotypes.items() for m, (a, b) in g.items()]
    (tmp_path / "remains.csv").write_text("\n".join(rows) + "\n")
    base = [sys.executable, "-m", "vestige.cli", "kinship", "check", "--freqs", str(DATA / "norwegian-35-markers.csv")]
    out = subprocess.run([*base, "--victims", str(tmp_path / "remains.csv"), "--json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["groups"] == [["R-1", "R-2"]] and res["pairs"][0]["relationship"] == "parent-child"
    neither = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert neither.returncode != 0 and "--victims" in neither.stderr and "Traceback" not in neither.stderr
