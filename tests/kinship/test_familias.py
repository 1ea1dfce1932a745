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
from vestige.kinship.familias_cli import engine_inputs, pedigree_likelihoods
from vestige.kinship.io import family_from_dict, read_mutation
from vestige.kinship.search import pairwise_matrix

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
    items = [s for s, _ in data["remains"]]
    pm = pairwise_matrix(families, profiles, table, items, sexes=dict(data["remains"]),
                         mutation=read_mutation(DATA / "dvir-planecrash" / "mutation.json"))
    want = json.loads((DATA / "dvir-planecrash" / "expected_pairwise_lr.json").read_text())["lr"]
    n = 0
    for v, sample in enumerate(items):
        for t in range(len(families)):
            expected = want[sample].get(f"M{t + 1}")
            if expected is None:
                continue
            got = math.exp(pm.log_lr[v, t]) if math.isfinite(pm.log_lr[v, t]) else 0.0
            assert got == pytest.approx(expected, rel=1e-9), (sample, t)
            n += 1
    assert n == 40


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
