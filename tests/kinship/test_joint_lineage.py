"""The joint engine with lineage markers (issue 25, part 5): two missing brothers and their
paternal uncle, two male victims carrying the uncle's Y. The brothers' shared Y counts once per
victim *given the other* (chain rule), the two orders of the pair are symmetric (the Y cannot tell
the brothers apart) and the engine says so.

Hand derivation of the Y factor (single-copy loci, symmetric single-step model with rate μ per
locus: a repeat stays with 1 − μ, moves one step up or down with μ/2 each; P_n(d) is the
probability that n meioses change it by d, the n-fold convolution of that step):
- victim 1 as brother B1, three meioses from the uncle U (U–GF–F–B1), the same repeat:
  P_3(0) per locus;
- victim 2 as B2 given U and B1 (both the same repeat): the father F lies two meioses from U and
  one from B1, so with a flat prior P(F = h + d) ∝ P_2(d)·P_1(d), and B2 keeps h with
  Σ_d P_2(d) P_1(d) P_1(d) / Σ_d P_2(d) P_1(d);
- each divided by the haplotype's frequency, by the counting method (x + 1)/(N + 1) with x = 0
  (the haplotype carries an allele no database man has): 1/(N + 1) each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from vestige.cli import main

CASE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "distant-references" / "data"
FREQS = Path(__file__).resolve().parents[3] / "shared" / "data" / "allele-frequencies" / "norwegian-35-markers.csv"
pytestmark = pytest.mark.skipif(not CASE.exists(), reason="../shared/cases/distant-references is not beside the project")

HAPLOTYPE = {"DYS19": 17, "DYS389I": 13, "DYS390": 24, "DYS391": 10, "DYS392": 13, "DYS393": 13, "DYS437": 15,
             "DYS438": 12, "DYS439": 12, "DYS448": 19, "DYS456": 15, "DYS458": 31, "DYS635": 23, "YGATAH4": 12}
# DYS458 = 31: no man of the 5,000 in the database has it (checked below), so x = 0 for the counting method


def _write(tmp: Path) -> dict:
    family = {"family": "BRO", "members": [
        {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
        {"id": "F", "sex": "male", "father": "GF", "mother": "GM"},
        {"id": "U", "sex": "male", "father": "GF", "mother": "GM", "sample": "REF-U"},
        {"id": "M", "sex": "female"},
        {"id": "B1", "sex": "male", "father": "F", "mother": "M", "missing": True},
        {"id": "B2", "sex": "male", "father": "F", "mother": "M", "missing": True}]}
    (tmp / "families").mkdir()
    (tmp / "families" / "BRO.json").write_text(json.dumps(family))
    rows = ["sample,marker,allele1,allele2"]
    for s in ("REF-U", "V1", "V2"):  # the victims' autosomal readings alike: only the lineage could differ
        rows += [f"{s},D3S1358,15,16", f"{s},VWA,17,17", f"{s},D21S11,30,31"]
    (tmp / "profiles.csv").write_text("\n".join(rows) + "\n")
    (tmp / "remains.csv").write_text("sample,sex\nV1,male\nV2,male\n")
    y = ["sample,marker,allele1,allele2"] + [f"{s},{loc},{a}," for s in ("REF-U", "V1", "V2")
                                             for loc, a in HAPLOTYPE.items()]
    (tmp / "y.csv").write_text("\n".join(y) + "\n")
    return family


def _convolved(mu: float, n: int) -> dict[int, float]:
    p = {0: 1.0}
    for _ in range(n):
        q: dict[int, float] = {}
        for d, w in p.items():
            for step, ws in ((0, 1 - mu), (1, mu / 2), (-1, mu / 2)):
                q[d + step] = q.get(d + step, 0.0) + w * ws
        p = q
    return p


def _joint(tmp: Path, *extra: str, capsys) -> tuple[dict, str]:
    args = ["kinship", "joint", "--freqs", str(FREQS), "--profiles", str(tmp / "profiles.csv"), "--families",
            str(tmp / "families"), "--remains", str(tmp / "remains.csv"), "--json", "--quiet", *extra]
    assert main(args) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_brothers_share_one_y_counted_once_each_and_said_indistinguishable(tmp_path, capsys):
    _write(tmp_path)
    db = (CASE / "y_database.csv").read_text().splitlines()
    header = db[0].split(",")
    assert all(row.split(",")[header.index("DYS458")] != "31" for row in db[1:])  # x = 0
    n_db = len(db) - 1
    rates = json.loads((CASE / "y_mutation_rates.json").read_text())["rates"]

    plain, _ = _joint(tmp_path, capsys=capsys)
    lineage = ["--y-profiles", str(tmp_path / "y.csv"), "--y-database", str(CASE / "y_database.csv"),
               "--y-rates", str(CASE / "y_mutation_rates.json"), "--y-frequency", "counting"]
    res, err = _joint(tmp_path, *lineage, capsys=capsys)

    # which brother is which: the two orders have one likelihood, and the engine says so
    [sym] = res["symmetric"]
    assert sorted(sym["samples"]) == ["V1", "V2"] and sorted(sym["missing"]) == ["B1", "B2"]
    assert "family BRO: B1, B2 share one paternal line: Y-STRs cannot tell them apart" in err

    # the Y factor of placing both victims, against the hand derivation above
    first = second = 1.0
    for loc in HAPLOTYPE:
        mu = rates[loc]
        p1, p2, p3 = _convolved(mu, 1), _convolved(mu, 2), _convolved(mu, 3)
        first *= p3[0]
        num = sum(p2.get(d, 0.0) * p1.get(d, 0.0) ** 2 for d in (-1, 0, 1))
        den = sum(p2.get(d, 0.0) * p1.get(d, 0.0) for d in (-1, 0, 1))
        second *= num / den
    f = 1.0 / (n_db + 1)
    expected = math.log10(first / f) + math.log10(second / f)
    both = [a for a in res["assignments"] if len(a["pairs"]) == 2]
    both_plain = [a for a in plain["assignments"] if len(a["pairs"]) == 2]
    assert both and both_plain
    assert both[0]["log10_lr"] - both_plain[0]["log10_lr"] == pytest.approx(expected, rel=1e-9)
    # one victim alone gets the first factor only; the pair is not the product of two single LRs
    # (B2 is one meiosis from B1, three from U: the second victim's factor is larger)
    single = next(m for m in res["marginals"] if m["sample"] == "V1" and m["missing"] == "B1")
    assert single["systems"]["y"] == pytest.approx(math.log10(first / f), rel=1e-9)
    assert np.isfinite(expected) and abs(expected - 2 * math.log10(first / f)) > 0.01
