"""Y-STR and mtDNA along the paternal and maternal lines (issue 25): hand derivations.

Each expected number is derived in the comments from the definitions (stepwise mutation,
Jukes–Cantor, the counting method, Brenner's κ, Clopper–Pearson), never taken from the code.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.kinship.conftest import DATA, write
from vestige.cli import main
from vestige.kinship import read_family
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.haplofreq import YFrequency, clopper_pearson_upper
from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.lineage_pairs import lineage_lr
from vestige.kinship.lines import line_tree, predictive, stepwise_matrix
from vestige.kinship.mtdna import (
    MtDatabase,
    MtModel,
    compare,
    mt_log_frequencies,
    parse_haplotype,
    read_mt_database,
    read_mt_profiles,
)
from vestige.kinship.ystr import (
    YModel,
    read_y_database,
    read_y_profiles,
    read_y_rates,
    y_likelihood_ratio,
)

# A paternal uncle: the missing man MP, his father F, grandfather GF, and the uncle U (GF's
# other son). MP–U: 3 meioses (MP→F, F→GF, GF→U). The maternal aunt A: MP→M→GM→A, 3 meioses.
UNCLE_FAMILY = {"family": "UNC", "members": [
    {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
    {"id": "F", "sex": "male", "father": "GF", "mother": "GM"},
    {"id": "U", "sex": "male", "father": "GF", "mother": "GM", "sample": "REF-U"},
    {"id": "MGF", "sex": "male"}, {"id": "MGM", "sex": "female"},
    {"id": "M", "sex": "female", "father": "MGF", "mother": "MGM"},
    {"id": "A", "sex": "female", "father": "MGF", "mother": "MGM", "sample": "REF-A"},
    {"id": "B", "sex": "male", "father": "F", "mother": "M", "sample": "REF-B"},
    {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True}]}

MU = 0.01


@pytest.fixture
def family(tmp_path):
    return read_family(write(tmp_path, "unc.json", json.dumps(UNCLE_FAMILY)))


def test_the_line_trees_and_their_meioses(family):
    y = line_tree(family, "MP", "y", {"U", "A", "B"})
    assert y.typed == ["B", "U"] and y.distance == {"B": 2, "U": 3}  # brother via F; uncle via F and GF
    mt = line_tree(family, "MP", "mt", {"U", "A", "B"})
    # the maternal line: M's mother MGM; her children M and A; M's children MP and B
    assert mt.typed == ["B", "A"] and mt.distance == {"B": 2, "A": 3}
    assert line_tree(family, "M", "y", {"U"}).typed == []  # a woman has no Y line


def test_three_meioses_of_the_stepwise_model_by_hand(family):
    # One locus, the uncle 14. P(MP = 14): no net change in 3 meioses: either no mutation,
    # (1-μ)^3, or one up and one down in two of the three meioses, 3!/(1!1!1!) (μ/2)^2 (1-μ):
    # q(14) = (1-μ)^3 + 1.5 μ^2 (1-μ). One repeat more: one +1 and two stays, 3 (μ/2)(1-μ)^2, or
    # two +1 and one -1, 3 (μ/2)^3: q(15) = 1.5 μ (1-μ)^2 + 3 μ^3 / 8.
    tree = line_tree(family, "MP", "y", {"U"})
    grid = 21  # repeat counts 4 … 24; 14 is state 10
    e = np.zeros(grid)
    e[10] = 1.0
    q = predictive(tree, stepwise_matrix(grid, MU), {"U": e})
    assert q[10] == pytest.approx((1 - MU) ** 3 + 1.5 * MU**2 * (1 - MU), rel=1e-12)
    assert q[11] == pytest.approx(1.5 * MU * (1 - MU) ** 2 + 3 * MU**3 / 8, rel=1e-12)
    assert q.sum() == pytest.approx(1.0, rel=1e-12)


def test_a_typed_father_makes_the_brother_add_nothing(tmp_path):
    # MP's father F typed: MP's Y depends on the others only through F (the tree's Markov
    # property), so adding the brother B changes nothing.
    fam = dict(UNCLE_FAMILY)
    fam["members"] = [dict(m, sample="REF-F") if m["id"] == "F" else m for m in UNCLE_FAMILY["members"]]
    family = read_family(write(tmp_path, "f.json", json.dumps(fam)))
    grid = 15
    step = stepwise_matrix(grid, MU)
    ef, eb = np.zeros(grid), np.zeros(grid)
    ef[7], eb[8] = 1.0, 1.0
    only_f = predictive(line_tree(family, "MP", "y", {"F"}), step, {"F": ef})
    with_b = predictive(line_tree(family, "MP", "y", {"F", "B"}), step, {"F": ef, "B": eb})
    assert np.allclose(only_f, with_b, rtol=1e-12, atol=0)
    assert only_f[7] == pytest.approx(1 - MU, rel=1e-12)  # one meiosis: unchanged with 1 - μ


def _y_files(tmp_path, db_rows, profiles):
    rates = write(tmp_path, "rates.json", json.dumps({"rates": {"DYS19": MU, "DYS391": MU, "DYS385": MU}}))
    db = write(tmp_path, "ydb.csv", "id,DYS19,DYS391,DYS385\n" + "".join(
        f"D{i},{a},{b},\"{c}\"\n" for i, (a, b, c) in enumerate(db_rows)))
    prof = write(tmp_path, "y.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},{m},{a1},{a2}\n" for s, m, a1, a2 in profiles))
    return rates, db, prof


def test_y_lr_of_a_paternal_uncle_by_hand(tmp_path, family):
    # Database of N = 9 men: the haplotype (14, 10, {11,14}) twice, others differ. Uncle and
    # sample both (14, 10, {11,14}).
    # Counting: x = 2, (x+1)/(N+1) = 3/10. κ: haplotypes seen once among the 9 on these loci:
    # rows 3..9 are S = 7 distinct singletons; with one pseudo-count 1 - κ = (N - S + 1)/(N + 1)
    # = 3/10; Brenner: (x + 1 - κ)/(N + 1) = (2 + 3/10)/10.
    # Numerator: per single-copy locus (1-μ)^3 + 1.5 μ^2 (1-μ) (see above); the two-copy DYS385,
    # each copy at μ/2 in 3 meioses, order unknown: the ordered pair unchanged or one copy back
    # and forth, [(1-μ/2)^3 + 1.5 (μ/2)^2 (1-μ/2)]^2, plus the copies swapping places (3 repeats
    # each way: (μ/2)^3 order, negligible but computed exactly by the code) — the test allows
    # 1e-6 relative for it.
    rows = [(14, 10, "11,14"), (14, 10, "11,14"), (15, 10, "11,14"), (14, 11, "11,14"), (13, 10, "11,14"),
            (14, 9, "11,14"), (14, 10, "12,14"), (14, 10, "11,15"), (16, 10, "11,14")]
    one = [("DYS19", 14, ""), ("DYS391", 10, ""), ("DYS385", 11, 14)]
    profiles = [(s, m, a, b) for s in ("REF-U", "PM-1") for (m, a, b) in one]
    rates, db, prof = _y_files(tmp_path, rows, profiles)
    yp = read_y_profiles(prof, set(read_y_rates(rates)))
    for method, f in (("counting", 3 / 10), ("kappa", (2 + 3 / 10) / 10)):
        freq = YFrequency.build(read_y_database(db), method)
        model = YModel.build(read_y_rates(rates), yp.haplotypes.values(), freq.rows)
        tree = line_tree(family, "MP", "y", {"U"})
        res = y_likelihood_ratio(tree, yp.haplotypes["PM-1"], {"U": yp.haplotypes["REF-U"]}, model, freq)
        single = (1 - MU) ** 3 + 1.5 * MU**2 * (1 - MU)
        half = MU / 2
        pair = ((1 - half) ** 3 + 1.5 * half**2 * (1 - half)) ** 2
        assert res.frequency == pytest.approx(f, rel=1e-12)
        assert 10 ** res.log10_lr == pytest.approx(single**2 * pair / f, rel=1e-6)
        assert res.loci_compared == ["DYS19", "DYS385", "DYS391"]


def test_clopper_pearson_upper_bound_by_hand():
    # x = 0: P(X = 0) = (1-p)^N = 0.05 gives p = 1 - 0.05^(1/N).
    assert clopper_pearson_upper(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100), rel=1e-9)
    # x = N - 1 ... x = 1, N = 10: P(X ≤ 1) = (1-p)^10 + 10 p (1-p)^9 = 0.05 at p ≈ 0.3942 (tables)
    p = clopper_pearson_upper(1, 10)
    assert (1 - p) ** 10 + 10 * p * (1 - p) ** 9 == pytest.approx(0.05, rel=1e-9)
    assert p == pytest.approx(0.3942, abs=1e-4)


def test_dys389ii_is_compared_as_ii_minus_i(tmp_path):
    rates = write(tmp_path, "r.json", json.dumps({"DYS389I": 0.003, "DYS389II": 0.004}))
    prof = write(tmp_path, "y.csv", "sample,marker,allele1,allele2\nA,DYS389I,13,\nA,DYS389II,29,\n")
    from vestige.kinship.ystr import model_loci, model_rates
    hap = read_y_profiles(prof, set(read_y_rates(rates))).haplotypes["A"]
    assert model_loci(hap) == {"DYS389I": (13.0,), "DYS389B": (16.0,)}
    assert model_rates(read_y_rates(rates))["DYS389B"] == pytest.approx(0.002)  # max(0.004-0.003, 0.004/2)


def test_bad_y_input_names_file_line_sample_and_locus(tmp_path, family):
    rates = write(tmp_path, "r.json", json.dumps({"DYS19": 0.002}))
    known = set(read_y_rates(rates))
    prof = write(tmp_path, "y.csv", "sample,marker,allele1,allele2\nA,DYS19,14,\nA,DYS999,12,\n")
    with pytest.raises(KinshipInputError, match=r"y.csv, line 3: Y locus 'DYS999' \(sample A\) has no mutation rate"):
        read_y_profiles(prof, known)
    prof = write(tmp_path, "y2.csv", "sample,marker,allele1,allele2\nA,DYS19,fourteen,\n")
    with pytest.raises(KinshipInputError, match=r"y2.csv, line 2, DYS19: allele 'fourteen' is not a repeat count"):
        read_y_profiles(prof, known)
    # a Y locus in a woman's profile (the aunt's reference)
    prof = write(tmp_path, "y3.csv", "sample,marker,allele1,allele2\nREF-A,DYS19,14,\n")
    lin = Lineage(y=read_y_profiles(prof, known))
    with pytest.raises(KinshipInputError, match=r"y3.csv, line 2: Y locus DYS19 typed for reference REF-A, "
                                                 r"recorded as female"):
        lin.check([family], {})


# --- mtDNA -----------------------------------------------------------------------------------

def test_empop_notation_is_read_and_refused_where_it_is_not():
    h = parse_haplotype("16069T 16093Y 309.1C 309.2C 315.1C 523DEL 524del 73G", "16024-16569 1-576", "x")
    # the C-tract length variants are set aside (EMPOP's searches ignore them); the AC deletion is kept
    assert h.variants == {(16069, 0): "T", (73, 0): "G", (523, 0): "DEL", (524, 0): "DEL"}
    assert h.heteroplasmy == {(16093, 0): "CT"}
    assert set(h.ignored) == {"309.1C", "309.2C", "315.1C"}
    for bad, why in (("T16069C", "not in EMPOP notation"), ("16069C>T", "not in EMPOP notation"),
                     ("16069", "not in EMPOP notation"), ("17000A", "outside 1–16569"),
                     ("16400T", "outside the sequenced range"), ("16400Y", "heteroplasmy '16400Y' lies outside"),
                     ("309.1Y", "heteroplasmy code on an insertion")):
        with pytest.raises(KinshipInputError, match=why):
            parse_haplotype(bad, "16024-16365 73-340", "file.csv, line 4, sample S")


def test_swgdam_interpretation_over_the_overlap():
    a = parse_haplotype("16069T 16126C 73G", "16024-16569 1-576", "a")
    assert compare(a, parse_haplotype("16069T 16126C 73G", "16024-16569 1-576", "b")).interpretation == \
        "cannot exclude"
    assert compare(a, parse_haplotype("16126C 73G", "16024-16569 1-576", "b")).interpretation == "inconclusive"
    assert compare(a, parse_haplotype("73G", "16024-16569 1-576", "b")).interpretation == "exclusion"
    # 16069 lies outside the second sample's range: not a difference; heteroplasmy 16126Y neither
    assert compare(a, parse_haplotype("16126Y 73G", "16100-16569 1-576", "b")).differences == []


def test_mt_lr_of_a_maternal_aunt_by_hand(tmp_path, family):
    # Range 16024-16033 (10 positions), rate μ = 0.01 over the whole control region (1,122
    # positions: 16024-16569 and 1-576) spread evenly: u = 0.01/1122 per position. Jukes–Cantor
    # over K = 5 states, 3 meioses: P(same) a = 1/5 + 4/5 (1 - 5u/4)^3, P(a given other) b = (1-a)/4.
    # The sample and the aunt differ at 16030 (sample 16030T): log P = 9 log a + log b.
    # Database: 20 haplotypes over that range, none with 16030T: x = 0, f = 1 - 0.05^(1/20).
    rng = "16024-16033"
    mtp = write(tmp_path, "mt.csv", f"sample,range,variants\nREF-A,{rng},\nPM-1,{rng},16030T\n")
    mtdb = write(tmp_path, "mtdb.csv", "id,range,variants\n" + "".join(f"D{i},{rng},{'16025C' if i % 2 else ''}\n"
                                                                      for i in range(20)))
    lin = Lineage(mt=read_mt_profiles(mtp), mt_model=MtModel(0.01), mt_db=read_mt_database(mtdb))
    u = 0.01 / 1122
    a = 1 / 5 + 4 / 5 * (1 - 5 * u / 4) ** 3
    b = (1 - a) / 4
    f = 1 - 0.05 ** (1 / 20)
    out = lineage_lr(lin, family, "MP", ["PM-1"])["mt"]
    assert out["references"] == {"REF-A": 3}
    assert 10 ** out["log10_lr"] == pytest.approx(a**9 * b / f, rel=1e-9)
    assert out["detail"]["interpretation"] == "inconclusive" and out["detail"]["count"] == 0
    # the same sample, identical to the aunt: a^10 / f' with f' counting the database's matches
    # (the ten haplotypes without 16025C match an empty variant list... but PM-2 has 16025C:
    # ten matches of 20: f' = the upper bound of 10/20)
    mtp = write(tmp_path, "mt2.csv", f"sample,range,variants\nREF-A,{rng},16025C\nPM-2,{rng},16025C\n")
    lin.mt = read_mt_profiles(mtp)
    out = lineage_lr(lin, family, "MP", ["PM-2"])["mt"]
    assert 10 ** out["log10_lr"] == pytest.approx(a**10 / clopper_pearson_upper(10, 20), rel=1e-9)


def test_the_search_adds_the_lineage_lrs_and_reports_each(tmp_path, family, capsys):
    # Two bodies against the uncle family: PM-1 is the missing man (Y as the uncle's, mtDNA as
    # the aunt's), PM-2 an unrelated man. The search's hit carries autosomal, y and mt log10 LRs
    # that add up to its total, each equal to what `kinship lr` gives for the pair.
    ex = DATA / "dvir-example1"
    freqs = ex / "freqs.csv"
    rows = [(14, 10, "11,14"), (15, 10, "11,14"), (14, 11, "11,14"), (13, 10, "11,14"), (14, 9, "11,14")]
    yprof = []
    for s, (a, b, c) in (("REF-U", (14, 10, "11,14")), ("REF-B", (14, 10, "11,14")), ("PM-1", (14, 10, "11,14")),
                         ("PM-2", (16, 12, "12,13"))):
        c1, c2 = c.split(",")
        yprof += [(s, "DYS19", a, ""), (s, "DYS391", b, ""), (s, "DYS385", c1, c2)]
    rates, db, prof = _y_files(tmp_path, rows, yprof)
    rng = "16024-16569 1-576"
    mtp = write(tmp_path, "mt.csv", f"sample,range,variants\nREF-A,{rng},16069T 73G\nREF-B,{rng},16069T 73G\n"
                                    f"PM-1,{rng},16069T 73G\nPM-2,{rng},16126C 16294T 73G\n")
    mtdb = write(tmp_path, "mtdb.csv", "id,range,variants\n" + "".join(f"D{i},{rng},{v}\n" for i, v in enumerate(
        ["73G", "16126C 73G", "16069T 16126C 73G", "263G", "16311C 73G"] * 4)))
    # autosomal profiles: dvir example1's alleles, every person typed the same (an uninformative
    # but valid autosomal part)
    import csv as _csv
    with open(ex / "profiles.csv") as fh:
        first = next(r for r in _csv.DictReader(fh))
    auto = write(tmp_path, "auto.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},{first['marker']},{first['allele1']},{first['allele2']}\n" for s in ("REF-U", "REF-A", "REF-B", "PM-1",
                                                                                 "PM-2")))
    fam_dir = tmp_path / "fams"
    fam_dir.mkdir()
    (fam_dir / "unc.json").write_text(json.dumps(UNCLE_FAMILY))
    remains = write(tmp_path, "remains.csv", "sample,sex\nPM-1,male\nPM-2,male\n")
    lineage_args = ["--y-profiles", str(prof), "--y-database", str(db), "--y-rates", str(rates),
                    "--mt-profiles", str(mtp), "--mt-database", str(mtdb), "--mt-rate", "0.006"]
    assert main(["kinship", "search", "--freqs", str(freqs), "--profiles", str(auto), "--families", str(fam_dir),
                 "--samples", str(remains), "--json", "--quiet", "--all", *lineage_args]) == 0
    hits = {h["sample"]: h for h in map(json.loads, capsys.readouterr().out.splitlines())}
    h1 = hits["PM-1"]
    assert set(h1["systems"]) == {"autosomal", "y", "mt"}
    assert sum(h1["systems"].values()) == pytest.approx(h1["log10_lr"], abs=1e-9)
    assert h1["systems"]["y"] > 0 and h1["systems"]["mt"] > 0
    assert hits["PM-2"]["systems"]["y"] < -3  # 2, 2 and 1+1 repeats away: several mutations
    assert hits["PM-2"]["systems"]["mt"] < -3  # three differences: an exclusion
    assert main(["kinship", "lr", "--freqs", str(freqs), "--profiles", str(auto), "--family",
                 str(fam_dir / "unc.json"), "--sample", "PM-1", "--json", *lineage_args]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["systems"]["y"]["log10_lr"] == pytest.approx(h1["systems"]["y"], abs=1e-9)
    assert out["systems"]["mt"]["log10_lr"] == pytest.approx(h1["systems"]["mt"], abs=1e-9)
    assert out["systems"]["y"]["references"] == {"REF-B": 2, "REF-U": 3}
    assert out["combined_log10_lr"] == pytest.approx(h1["log10_lr"], abs=1e-9)
    # a Y system named without its database: said, not guessed
    assert main(["kinship", "search", "--freqs", str(freqs), "--profiles", str(auto), "--families", str(fam_dir),
                 "--samples", str(remains), "--y-profiles", str(prof)]) == 2
    assert "missing: --y-database, --y-rates" in capsys.readouterr().err


def test_scores_for_many_pairs_equal_the_pair_by_pair_lr(tmp_path, family):
    rows = [(14, 10, "11,14"), (15, 10, "11,14"), (14, 11, "11,14"), (13, 10, "11,14"), (14, 9, "11,14")]
    yprof = []
    for s, (a, b, c) in (("REF-U", (14, 10, "11,14")), ("PM-1", (14, 11, "11,14")), ("PM-2", (15, 10, "11,15")),
                         ("PM-3", (14, 10, "11,14"))):
        c1, c2 = c.split(",")
        yprof += [(s, "DYS19", a, ""), (s, "DYS391", b, ""), (s, "DYS385", c1, c2)]
    rates, db, prof = _y_files(tmp_path, rows, yprof)
    yp = read_y_profiles(prof, set(read_y_rates(rates)))
    freq = YFrequency.build(read_y_database(db))
    model = YModel.build(read_y_rates(rates), yp.haplotypes.values(), freq.rows)
    lin = Lineage(y=yp, y_model=model, y_freq=freq)
    scores = LineageScores(lin, [(family, "MP")], ["PM-1", "PM-2", "PM-3"])
    block = scores.block(np.arange(3))
    tree = line_tree(family, "MP", "y", {"U"})
    for i, s in enumerate(["PM-1", "PM-2", "PM-3"]):
        direct = y_likelihood_ratio(tree, yp.haplotypes[s], {"U": yp.haplotypes["REF-U"]}, model, freq)
        assert block[i, 0] / math.log(10) == pytest.approx(direct.log10_lr, abs=1e-12)


def test_bad_lineage_files_are_named_on_the_command_line(tmp_path, family, capsys):
    """Each refusal names the file, the line, the sample and the value; exit 2; nothing searched."""
    ex = DATA / "dvir-example1"
    fam_dir = tmp_path / "fams"
    fam_dir.mkdir()
    (fam_dir / "unc.json").write_text(json.dumps(UNCLE_FAMILY))
    import csv as _csv
    with open(ex / "profiles.csv") as fh:
        first = next(r for r in _csv.DictReader(fh))
    auto = write(tmp_path, "auto.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},{first['marker']},{first['allele1']},{first['allele2']}\n" for s in ("REF-U", "REF-A", "REF-B", "PM-1")))
    remains = write(tmp_path, "remains.csv", "sample,sex\nPM-1,male\n")
    base = ["kinship", "search", "--freqs", str(ex / "freqs.csv"), "--profiles", str(auto), "--families",
            str(fam_dir), "--samples", str(remains), "--quiet"]
    rng = "16024-16569 1-576"
    db = write(tmp_path, "mtdb.csv", f"id,range,variants\nD1,{rng},73G\n")
    cases = [
        (["--mt-profiles", str(write(tmp_path, "m1.csv", f"sample,range,variants\nPM-1,{rng},T16126C\n")),
          "--mt-database", str(db)], "m1.csv, line 2, sample PM-1: variant 'T16126C' is not in EMPOP notation"),
        (["--mt-profiles", str(write(tmp_path, "m2.csv", "sample,range,variants\nPM-1,16024-16365,16400Y\n")),
          "--mt-database", str(db)], "m2.csv, line 2, sample PM-1: heteroplasmy '16400Y' lies outside the sequenced"),
        (["--mt-profiles", str(write(tmp_path, "m3.csv", f"sample,range,variants\nPM-1,{rng},73G\n"))],
         "mtDNA comparison needs profiles and a database"),
    ]
    xmap = write(tmp_path, "xmap.json", json.dumps({"loci": [{"marker": "X1", "linkage_group": 1, "cM_female": 1}]}))
    xf = write(tmp_path, "xf.csv", "marker,allele,frequency\nX1,10,0.5\nX1,11,0.5\nX2,10,1.0\n")
    cases += [
        (["--x-profiles", str(write(tmp_path, "x1.csv", "sample,marker,allele1,allele2\nPM-1,X2,10,\n")),
          "--x-freqs", str(xf), "--x-map", str(xmap)], "x1.csv, line 2: X marker 'X2' (sample PM-1) is not in the "
                                                       "genetic map"),
        (["--x-profiles", str(write(tmp_path, "x2.csv", "sample,marker,allele1,allele2\nPM-1,X1,12,\n")),
          "--x-freqs", str(xf), "--x-map", str(xmap)], "x2.csv, line 2: X allele '12' of X1 (sample PM-1) is not in "
                                                       "the frequency table"),
    ]
    for extra, says in cases:
        assert main(base + extra) == 2, says
        err = capsys.readouterr().err
        assert says in err, err
        assert "Traceback" not in err


def test_pm_match_checks_the_lineage_systems(tmp_path, capsys):
    # Two bones of one man (PM-1, PM-2: the same autosomal genotype, Y and mtDNA) and a third
    # sample with the same autosomal genotype but another Y: the Y excludes it (one man, one Y).
    # Y identity LR = 1/f with f = (x + 1 - κ)/(N + 1): the haplotype absent from the 5-man
    # database (x = 0), every row a singleton: 1 - κ = (5 - 5 + 1)/6, f = (1/6)/6 = 1/36.
    ex = DATA / "dvir-example1"
    import csv as _csv
    with open(ex / "profiles.csv") as fh:
        first = next(r for r in _csv.DictReader(fh))
    auto = write(tmp_path, "auto.csv", "sample,marker,allele1,allele2\n" + "".join(
        f"{s},{first['marker']},{first['allele1']},{first['allele2']}\n" for s in ("PM-1", "PM-2", "PM-3")))
    rows = [(14, 10, "11,14"), (15, 10, "11,14"), (14, 11, "11,14"), (13, 10, "11,14"), (14, 9, "11,14")]
    yprof = []
    for s, (a, b, c) in (("PM-1", (16, 12, "12,13")), ("PM-2", (16, 12, "12,13")), ("PM-3", (17, 12, "12,13"))):
        c1, c2 = c.split(",")
        yprof += [(s, "DYS19", a, ""), (s, "DYS391", b, ""), (s, "DYS385", c1, c2)]
    rates, db, prof = _y_files(tmp_path, rows, yprof)
    assert main(["kinship", "pm-match", "--freqs", str(ex / "freqs.csv"), "--profiles", str(auto), "--min-lr", "0",
                 "--json", "--quiet", "--y-profiles", str(prof), "--y-database", str(db), "--y-rates", str(rates)]) == 0
    pairs = {(p["sample_a"], p["sample_b"]): p for p in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(pairs) == {("PM-1", "PM-2")}  # PM-3's Y differs: excluded
    p = pairs[("PM-1", "PM-2")]
    assert p["systems"]["y"]["log10_lr"] == pytest.approx(math.log10(36), rel=1e-12)
    assert p["log10_lr"] == pytest.approx(p["systems"]["y"]["log10_lr"] + math.log10(1 / _hw_of(first, ex)), rel=1e-9)


def _hw_of(row, ex):
    import csv as _csv
    with open(ex / "freqs.csv") as fh:
        freqs = {r["allele"]: float(r["frequency"]) for r in _csv.DictReader(fh) if r["marker"] == row["marker"]}
    a, b = row["allele1"], row["allele2"]
    return freqs[a] ** 2 if a == b else 2 * freqs[a] * freqs[b]


def test_mtdna_frequencies_by_key_skip_heteroplasmic_sites_on_either_side():
    """The search counts database matches by key; a site heteroplasmic in the sample or in a
    database haplotype is not compared (SWGDAM: heteroplasmy is not an exclusion). By hand, over
    one range: the database holds d1 16069T, d2 16069T 16093Y (C/T), d3 16069T 16093C, d4 16126C.
    Sample 16069T 16093C matches d3 (equal) and d2 (16093 skipped), not d1 (16093C against the rCRS
    T) nor d4: x = 2 of N = 4. Sample 16069T 16093Y matches d1, d2 and d3 (16093 skipped): x = 3.
    Sample 16126C 16093Y matches d4 only (d2 has 16069T): x = 1."""
    rng = "16024-16569 1-576"
    db = MtDatabase([parse_haplotype(v, rng, "db") for v in ("16069T", "16069T 16093Y", "16069T 16093C", "16126C")])
    samples = [parse_haplotype(v, rng, "s") for v in ("16069T 16093C", "16069T 16093Y", "16126C 16093Y")]
    got = mt_log_frequencies(db, [*samples, None])
    want = [math.log(clopper_pearson_upper(x, 4)) for x in (2, 3, 1)] + [0.0]
    assert got.tolist() == pytest.approx(want, rel=1e-12)
