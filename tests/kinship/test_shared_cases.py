"""The shared reproductions of ../shared/cases/identification: honest posteriors where the engine
went wrong."""

from __future__ import annotations

import json

import pytest

from tests.kinship.conftest import CASES, NORWEGIAN, search_case, write
from vestige.cli import main


def test_case_08_one_family_in_scope_is_not_certain(capsys):
    # 100 unrelated remains, one missing person: the prior per pair is 1/101, never 1, and an
    # LR of 1e-18 gives a posterior near 1e-20.
    assert main(search_case("08_one_family_posterior_1", "--mutation-model", "equal", "--top", "1")) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert all(x["posterior"] < 0.5 for x in lines)
    assert all(x["prior"] == pytest.approx(1 / 101) for x in lines)
    assert main(search_case("08_one_family_posterior_1", "--mutation-model", "equal", "--missing-total", "447",
                        "--top", "1")) == 0
    assert all(json.loads(x)["prior"] == pytest.approx(1 / 448) for x in capsys.readouterr().out.splitlines())


def test_case_01_an_inconsistent_family_is_skipped_not_fatal(capsys):
    assert main(search_case("01_no_mutation_one_family_aborts_search")) == 0
    cap = capsys.readouterr()
    lines = [json.loads(x) for x in cap.out.splitlines()]
    assert [(x["family"], x["sample"]) for x in lines] == [("FAM-0213", "PM-0021")]
    assert "FAM-0181 skipped" in cap.err and "D1S1656" in cap.err


def test_case_02_sisters_are_never_both_certain(capsys):
    assert main(search_case("02_two_missing_siblings_one_parent", "--mutation-model", "equal", "--top", "2")) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4 and all(x["posterior"] <= 0.5 + 1e-9 for x in lines)
    assert all(any(f.startswith("indistinguishable:") for f in x["flags"]) for x in lines)


def test_case_05_cousin_is_not_certain_for_the_wrong_family(capsys):
    assert main(search_case("05_cousin_takes_family_A", "--mutation-model", "equal", "--all", "--all-sexes")) == 0
    lines = {(x["sample"], x["family"]): x for x in map(json.loads, capsys.readouterr().out.splitlines())}
    assert lines[("PM-0007", "CA-026")]["posterior"] < 1e-6
    assert "sex_conflict" in lines[("PM-0007", "CA-026")]["flags"]


def test_case_07_amelogenin_dropout_is_compared_with_a_warning(capsys, tmp_path):
    assert main(search_case("07_amel_y_dropout_sex_filter", "--mutation-model", "equal", "--all")) == 0
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
