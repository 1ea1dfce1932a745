"""`kinship plan` with lineage markers (issue 25, part 5): what typing a paternal- or maternal-line
relative would add.

Hand derivation for the Y figure: a database of N = 99 men, every haplotype different, rates so
small (1e-12 per locus) that the missing man carries his relative's haplotype in every draw. By the
counting method the relative's haplotype, drawn from the database, has x = 1 copy there, so
f = (x + 1)/(N + 1) = 2/100 and each draw's LR is P(same | n meioses)/f = (1 − 1e-12·L)^n / 0.02:
log10 LR = log10 50 = 1.69897 whatever the relative, with no Monte Carlo spread. The exclusion power
with all haplotypes distinct is 1 − Σ x(x − 1)/(N(N − 1)) = 1.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.kinship.conftest import write
from vestige.cli import main

LOCI = ["DYS19", "DYS390", "DYS391", "DYS392", "DYS393"]


def _family(tmp_path):
    members = [{"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
               {"id": "F", "sex": "male", "father": "GF", "mother": "GM"},
               {"id": "U", "sex": "male", "father": "GF", "mother": "GM"},
               {"id": "M", "sex": "female"},
               {"id": "MP", "sex": "male", "father": "F", "mother": "M", "missing": True},
               {"id": "S", "sex": "female", "father": "F", "mother": "M", "sample": "REF-S"}]
    return write(tmp_path, "fam.json", json.dumps({"family": "P", "members": members}))


def test_lineage_candidates_by_hand(tmp_path, capsys):
    fam = _family(tmp_path)
    freqs = write(tmp_path, "freqs.csv", "marker,allele,frequency\nD3S1358,15,0.5\nD3S1358,16,0.5\n")
    prof = write(tmp_path, "profiles.csv", "sample,marker,allele1,allele2\nREF-S,D3S1358,15,16\n")
    rows = ["id," + ",".join(LOCI)]
    for k in range(99):  # 99 distinct haplotypes: the base-4 digits of k on the first loci
        digits = [10 + (k // 4 ** i) % 4 for i in range(len(LOCI))]
        rows.append(f"DB{k}," + ",".join(str(d) for d in digits))
    db = write(tmp_path, "ydb.csv", "\n".join(rows) + "\n")
    rates = write(tmp_path, "rates.json", json.dumps({"rates": {loc: 1e-12 for loc in LOCI}}))
    mt_rows = ["id,range,variants"] + [f"MT{k},16024-16569,{16100 + k}T" for k in range(50)] + \
              [f"MT{50 + k},16024-16569,{16100 + k}T" for k in range(10)]  # 10 haplotypes twice
    mtdb = write(tmp_path, "mtdb.csv", "\n".join(mt_rows) + "\n")
    assert main(["kinship", "plan", "--freqs", str(freqs), "--profiles", str(prof), "--family", str(fam),
                 "--y-database", str(db), "--y-rates", str(rates), "--y-frequency", "counting",
                 "--mt-database", str(mtdb), "--mt-rate", "0.01", "--simulations", "50", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    y = {c["relative"]: c for c in out["lineage"] if c["system"] == "y"}
    assert {k: v["meioses"] for k, v in y.items()} == {"F": 1, "GF": 2, "U": 3}
    for c in y.values():
        assert c["expected_log10_lr"] == pytest.approx(math.log10(50), rel=1e-9)
        assert c["standard_error"] == pytest.approx(0.0, abs=1e-9) and c["exclusion_power"] == 1.0
    mt = {c["relative"]: c for c in out["lineage"] if c["system"] == "mt"}
    # the mother, and the sister (typed for autosomal STRs only: still a candidate for mtDNA)
    assert {k: v["meioses"] for k, v in mt.items()} == {"M": 1, "S": 2}
    # 60 haplotypes, 10 of them twice: Σ x(x−1) = 10·2 = 20 over 60·59 pairs
    assert mt["M"]["exclusion_power"] == pytest.approx(1 - 20 / (60 * 59), rel=1e-12)


def test_a_woman_has_no_paternal_line_to_type(tmp_path, capsys):
    fam = write(tmp_path, "fam.json", json.dumps({"family": "W", "members": [
        {"id": "F", "sex": "male"}, {"id": "M", "sex": "female", "sample": "REF-M"},
        {"id": "MP", "sex": "female", "father": "F", "mother": "M", "missing": True}]}))
    freqs = write(tmp_path, "freqs.csv", "marker,allele,frequency\nD3S1358,15,0.5\nD3S1358,16,0.5\n")
    prof = write(tmp_path, "profiles.csv", "sample,marker,allele1,allele2\nREF-M,D3S1358,15,16\n")
    db = write(tmp_path, "ydb.csv", "id,DYS19\nA,14\nB,15\n")
    rates = write(tmp_path, "rates.json", json.dumps({"rates": {"DYS19": 0.002}}))
    assert main(["kinship", "plan", "--freqs", str(freqs), "--profiles", str(prof), "--family", str(fam),
                 "--y-database", str(db), "--y-rates", str(rates)]) == 0
    assert "MP is not recorded male; no paternal line to type" in capsys.readouterr().err
