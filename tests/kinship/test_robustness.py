"""Robustness of the search and of the readers: huge LRs, mutation defaults, bad options, bad files."""

from __future__ import annotations

import json

import pytest

from tests.kinship.conftest import search_case, write
from vestige.cli import main
from vestige.kinship import KinshipInputError, read_frequencies, read_profiles
from vestige.kinship.io import family_from_dict, read_mutation
from vestige.kinship.remains import read_remains
from vestige.kinship.search import blind_search


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


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


def test_star_mutation_default_keeps_each_sexs_rates(tmp_path):
    m = write(tmp_path, "m.json", json.dumps({"*": {"female": {"model": "equal", "rate": 0.01},
                                                     "male": {"model": "equal", "rate": 0.002}}}))
    model = read_mutation(m)
    assert model.spec("VWA", "female").rate == 0.01 and model.spec("VWA", "male").rate == 0.002


@pytest.mark.parametrize("extra, fragment", [(["--top", "-1"], "--top"), (["--min-lr", "nan"], "--min-lr"),
                                             (["--prior", "2"], "--prior"), (["--dropout", "1.5"], "dropout")])
def test_bad_search_options_exit_2(capsys, extra, fragment):
    with pytest.raises(SystemExit) if fragment == "dropout" else _nothing():
        code = main(search_case("02_two_missing_siblings_one_parent", *extra))
        assert code == 2
    assert fragment in capsys.readouterr().err


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
