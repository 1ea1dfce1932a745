"""Familias .fam files (issue 28): read as pedFamilias' readFam documents them, checked against
dvir's published pairwise LRs for the same case and a paternity index by hand. The files are the
third-party ones in ../shared/data/familias (read there, never copied into the project)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kinship.conftest import DATA
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.familias import read_fam, to_engine
from vestige.kinship.io import family_from_dict, read_mutation
from vestige.kinship.search import pairwise_matrix
from vestige.kinship_cli.familias import engine_inputs, pedigree_likelihoods

FAM = Path(__file__).resolve().parents[3] / "shared" / "data" / "familias"
pytestmark = pytest.mark.skipif(not FAM.exists(), reason="../shared/data/familias is not beside the project")


def test_every_familias_file_beside_the_project_reads():
    for f in sorted(FAM.glob("*.fam")):
        fam = read_fam(f)
        assert fam.loci and all(abs(sum(loc.freqs) - 1) < 0.02 for loc in fam.loci), f.name
        data = to_engine(fam)
        assert data["families"], f.name
        for d in data["families"]:  # each converts to a family the engine accepts
            family_from_dict(d if any(m.get("missing") for m in d["members"]) else
                             {**d, "members": [*d["members"], {"id": "x", "sex": "male", "missing": True}]}, f.name)


def _dvir_pairs_checked(data, families, profiles, table) -> int:
    """Every pair dvir 3.4.2's pairwiseLR gives for planecrash, compared to 1e-9; how many."""
    items = [s for s, _ in data["remains"]]
    pm = pairwise_matrix(families, profiles, table, items, sexes=dict(data["remains"]),
                         mutation=read_mutation(DATA / "dvir-planecrash" / "mutation.json"))
    want = json.loads((DATA / "dvir-planecrash" / "expected_pairwise_lr.json").read_text())["lr"]
    n = 0
    for v, sample in enumerate(items):
        for t in range(len(families)):
            expected = want[sample].get(f"M{t + 1}")
            if expected is not None:
                got = math.exp(pm.log_lr[v, t]) if math.isfinite(pm.log_lr[v, t]) else 0.0
                assert got == pytest.approx(expected, rel=1e-9), (sample, t)
                n += 1
    return n


def test_the_planecrash_file_gives_dvirs_pairwise_lrs():
    # dvir's planecrash data set was made from this Familias file (dvir data-raw); dvir 3.4.2's
    # pairwiseLR on it is tests/data/kinship/dvir-planecrash/expected_pairwise_lr.json (dvir sets the
    # proportional model at 0.001 itself; the file's own rates are 0, so its mutation.json is used).
    fam = read_fam(FAM / "planecrash.fam")
    data = to_engine(fam)
    table, profiles, _mut = engine_inputs(data, "planecrash.fam")
    families = [family_from_dict(d, d["family"], profiles) for d in data["families"]]
    assert [f.name for f in families] == ["F1", "F2", "F3", "F4", "F5"]
    assert all(len(f.missing) == 1 for f in families)
    assert _dvir_pairs_checked(data, families, profiles, table) == 40


def _transmit(parent, allele):
    return parent.count(allele) / 2


def test_the_paternity_case_gives_the_paternity_index_by_hand():
    # H1: AF the father of CH (MO, the mother, untyped); H2: AF unrelated. AF's own genotype has
    # the same probability under both, so LR = Π over markers of P(CH | AF father) / P(CH):
    # P(CH = {c1, c2} | father f) = Σ over the ways of splitting the child's alleles into maternal a
    # and paternal b of p(a) · t(f → b), t(f → b) = (copies of b in f) / 2; P(CH) = Σ p(a) p(b)
    # (2pq or p²). Mutation is set to none (the file's rates, 0.001-0.002, would
    # move the LR by about a thousandth).
    fam = read_fam(FAM / "paternity.fam")
    data = to_engine(fam)
    data["mutation"] = {m: {s: {"model": "none", "rate": 0.0, "rate2": 0.0, "range": 0.5} for s in ("female", "male")}
                        for m in data["mutation"]}
    liks = dict(pedigree_likelihoods(data, "paternity.fam"))
    g = {q.name: q.genotypes for q in fam.persons}
    freq = {loc.name: dict(zip(loc.alleles, loc.freqs, strict=True)) for loc in fam.loci}
    log_pi = 0.0
    assert not g["MO"]  # the mother is untyped in this file: she passes an allele with its frequency
    for marker in g["CH"]:
        c1, c2 = g["CH"][marker]
        f = list(g["AF"][marker])
        splits = {(c1, c2), (c2, c1)}
        h1 = sum(freq[marker][a] * _transmit(f, b) for a, b in splits)
        h2 = sum(freq[marker][a] * freq[marker][b] for a, b in splits)
        log_pi += math.log(h1 / h2)
    assert liks["H1"] - liks["H2"] == pytest.approx(log_pi, rel=1e-9)


def test_a_broken_file_is_named_by_line(tmp_path):
    lines = (FAM / "paternity.fam").read_text().split("\n")
    cut = tmp_path / "cut.fam"
    cut.write_text("\n".join(lines[:40]))
    with pytest.raises(KinshipInputError) as e:
        read_fam(cut)
    assert "cut.fam, line" in str(e.value)
    bad = list(lines)
    bad[3] = "three"  # the number of persons
    (tmp_path / "bad.fam").write_text("\n".join(bad))
    with pytest.raises(KinshipInputError) as e:
        read_fam(tmp_path / "bad.fam")
    assert "line 4" in str(e.value) and "'three'" in str(e.value)
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(KinshipInputError):
        read_fam(tmp_path / "x.txt")


def test_the_command_writes_a_dvi_case_that_joint_runs(tmp_path):
    out = tmp_path / "case"
    vestige = [str(Path(sys.executable).parent / "vestige")]
    r = subprocess.run([*vestige, "kinship", "familias", str(FAM / "dvi-example.fam"), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "unidentified persons" in r.stdout
    r = subprocess.run([*vestige, "kinship", "joint", "--freqs", str(out / "freqs.csv"), "--profiles",
                        str(out / "profiles.csv"), "--families", str(out / "families"), "--remains",
                        str(out / "remains.csv"), "--mutation", str(out / "mutation.json"), "--json", "--quiet"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert {m["sample"] for m in res["marginals"]} == {"V1", "V2", "V3"}
    r = subprocess.run([*vestige, "kinship", "familias", str(FAM / "paternity.fam"), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and [x["pedigree"] for x in json.loads(r.stdout)["likelihoods"]] == ["H1", "H2"]


# --- writing .fam files (issue 28) -------------------------------------------------------------

def _parse_text(text: str, name: str):
    from vestige.kinship.familias import parse_fam

    return parse_fam(text.encode("utf-8"), name)


@pytest.mark.parametrize("name", ["planecrash.fam", "dvi-example.fam", "paternity.fam", "halfsib.fam",
                                  "Exercise-Helicopter-solved.fam"])
def test_a_written_file_reads_back_to_the_same_case(name):
    """Every published file read, written and read again gives the same persons, genotypes,
    pedigrees (by the parents of each person), database and mutation models."""
    from vestige.kinship.familias_write import write_fam

    first = read_fam(FAM / name)
    again = _parse_text(write_fam(first), name)
    assert [(q.name, q.sex, q.genotypes) for q in again.persons] == [(q.name, q.sex, q.genotypes) for q in first.persons]
    assert [(q.name, q.sex, q.genotypes) for q in again.unidentified] == [
        (q.name, q.sex, q.genotypes) for q in first.unidentified]
    assert [(lc.name, lc.alleles, lc.freqs) for lc in again.loci] == [(lc.name, lc.alleles, lc.freqs) for lc in first.loci]
    codes = {"equal": 0, "proportional": 1, "stepwise": 2}
    for a, b in zip(first.loci, again.loci, strict=True):
        for sex in ("female", "male"):
            x, y = getattr(a, sex), getattr(b, sex)
            assert (codes[x["model"]], x["rate"], x["range"], x["rate2"]) == (codes[y["model"]], y["rate"], y["range"], y["rate2"])
    assert [(f.name, [(q.name, q.sex, q.genotypes) for q in f.persons], [(p.name, p.pairs) for p in f.pedigrees])
            for f in again.families] == [
        (f.name, [(q.name, q.sex, q.genotypes) for q in f.persons], [(p.name, p.pairs) for p in f.pedigrees])
        for f in first.families]
    # The engine's view is the same case (extra persons keep their sex and place, by index).
    before, after = to_engine(first), to_engine(again)
    assert after["profiles"] == before["profiles"] and after["freqs"] == before["freqs"]
    assert after["remains"] == before["remains"]
    if not first.families:  # each pedigree's likelihood: the same to 1e-9
        lk1, lk2 = pedigree_likelihoods(before, name), pedigree_likelihoods(after, name)
        assert [n for n, _ in lk1] == [n for n, _ in lk2]
        for (_n, x), (_m, y) in zip(lk1, lk2, strict=True):
            assert x == pytest.approx(y, rel=1e-9, abs=1e-12)


def test_a_written_planecrash_gives_dvirs_pairwise_lrs():
    """The round trip through the writer keeps dvir's published planecrash LRs (40 pairs, 1e-9)."""
    from vestige.kinship.familias_write import write_fam

    fam = _parse_text(write_fam(read_fam(FAM / "planecrash.fam")), "planecrash.fam")
    data = to_engine(fam)
    table, profiles, _mut = engine_inputs(data, "planecrash.fam")
    families = [family_from_dict(d, d["family"], profiles) for d in data["families"]]
    assert _dvir_pairs_checked(data, families, profiles, table) == 40


def test_an_engine_case_written_as_familias_runs_the_same(tmp_path):
    """The engine's own DVI case (its files) → `kinship to-familias` → `kinship familias --out` →
    the same pairwise LRs as on the original files (the writer and the reader are inverse)."""
    from vestige.kinship.familias_write import from_engine, write_fam
    from vestige.kinship.io import read_families, read_frequencies, read_profiles
    from vestige.kinship.pedigree import Family, Member

    src = tmp_path / "case"
    src.mkdir()
    # a small DVI: family A (mother and the missing son), family B (a full sister of the missing woman)
    rows = ["sample,marker,allele1,allele2",
            "MA,D3S1358,15,16", "MA,VWA,17,18", "MA,FGA,21,22",
            "SB,D3S1358,14,15", "SB,VWA,16,17", "SB,FGA,20,23",
            "V1,D3S1358,16,16", "V1,VWA,17,19", "V1,FGA,22,24",
            "V2,D3S1358,14,15", "V2,VWA,16,18", "V2,FGA,20,21"]
    (src / "profiles.csv").write_text("\n".join(rows) + "\n")
    freq_rows = ["marker,allele,frequency"]
    for m, alleles in (("D3S1358", range(13, 19)), ("VWA", range(14, 21)), ("FGA", range(19, 26))):
        n = len(list(alleles))
        freq_rows += [f"{m},{a},{1 / n}" for a in alleles]
    (src / "freqs.csv").write_text("\n".join(freq_rows) + "\n")
    fams = [Family("A", [Member("F", "male"), Member("MA", "female", sample="MA"),
                         Member("SON", "male", father="F", mother="MA", missing=True)]),
            Family("B", [Member("F", "male"), Member("M", "female"), Member("SB", "female", father="F", mother="M",
                                                                                sample="SB"),
                         Member("DAU", "female", father="F", mother="M", missing=True)])]
    for f in fams:
        (src / f"{f.name}.json").write_text(json.dumps({"family": f.name, "members": [
            {k: v for k, v in {"id": m.id, "sex": m.sex, "father": m.father, "mother": m.mother,
                               "missing": m.missing or None, "sample": m.sample}.items() if v}
            for m in f.members]}))
    (src / "remains.csv").write_text("sample,sex\nV1,male\nV2,female\n")
    out = tmp_path / "case.fam"
    run = [sys.executable, "-m", "vestige.cli", "kinship", "to-familias", "--freqs", str(src / "freqs.csv"),
           "--profiles", str(src / "profiles.csv"), "--families", str(src / "A.json"), str(src / "B.json"),
           "--remains", str(src / "remains.csv"), "--out", str(out)]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    back = read_fam(out)
    assert [f.name for f in back.families] == ["A", "B"] and [q.name for q in back.unidentified] == ["V1", "V2"]
    data = to_engine(back)
    table, profiles, _mut = engine_inputs(data, out.name)
    families = [family_from_dict(d, d["family"], profiles) for d in data["families"]]
    pm = pairwise_matrix(families, profiles, table, ["V1", "V2"], sexes=dict(data["remains"]))
    orig_profiles = read_profiles(src / "profiles.csv")
    orig = pairwise_matrix(read_families([src / "A.json", src / "B.json"], orig_profiles),
                           orig_profiles, read_frequencies(src / "freqs.csv"), ["V1", "V2"],
                           sexes={"V1": "male", "V2": "female"})
    assert pm.log_lr.shape == orig.log_lr.shape == (2, 2)
    for v in range(2):
        for t in range(2):
            a, b = pm.log_lr[v, t], orig.log_lr[v, t]
            assert (a == b) if not math.isfinite(b) else a == pytest.approx(b, rel=1e-12, abs=1e-12)
    assert math.isfinite(orig.log_lr[0, 0]) and orig.log_lr[0, 0] > 0  # V1 is the son of MA (shares an allele each marker)
    bad = read_fam(out)
    bad.unidentified[0].genotypes["VWA"] = ("99", "17")  # an allele the database lacks: named, not written
    with pytest.raises(KinshipInputError, match="V1, VWA.*99 is not in the database"):
        write_fam(bad)
    assert from_engine(read_families([src / "A.json"], orig_profiles), orig_profiles,
                       read_frequencies(src / "freqs.csv")).unidentified == []
    wrong = subprocess.run([*run[:-1], str(tmp_path / "case.txt")], capture_output=True, text=True)
    assert wrong.returncode != 0 and "ends in .fam" in wrong.stderr and "Traceback" not in wrong.stderr
