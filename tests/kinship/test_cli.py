"""`vestige kinship lr | search | simulate` on files, as a geneticist would run them."""

from __future__ import annotations

import csv
import json

from tests.kinship.conftest import DATA
from vestige.cli import main

PLANE = DATA / "dvir-planecrash"


def test_lr_json_matches_dvir(capsys):
    code = main(["kinship", "lr", "--freqs", str(PLANE / "freqs.csv"), "--profiles", str(PLANE / "profiles.csv"),
                 "--family", str(PLANE / "families/F1.json"), "--sample", "V1",
                 "--mutation", str(PLANE / "mutation.json"), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"family", "missing", "sample", "lr", "log10_lr", "markers"}
    assert abs(out["lr"] - 924.881635204711) <= 1e-9 * 924.881635204711
    assert len(out["markers"]) == 15


def test_lr_exclusion_has_null_log10(capsys):
    ex = DATA / "dvir-example1"
    assert main(["kinship", "lr", "--freqs", str(ex / "freqs.csv"), "--profiles", str(ex / "profiles.csv"),
                 "--family", str(ex / "families/F1.json"), "--sample", "V2", "--missing", "M2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lr"] == 0.0 and out["log10_lr"] is None


def test_lr_errors_exit_2_with_the_place(capsys, tmp_path):
    assert main(["kinship", "lr", "--freqs", str(PLANE / "freqs.csv"), "--profiles", str(PLANE / "profiles.csv"),
                 "--family", str(tmp_path / "none.json"), "--sample", "V1"]) == 2
    assert "none.json: no such file" in capsys.readouterr().err
    ex = DATA / "dvir-example1"
    assert main(["kinship", "lr", "--freqs", str(ex / "freqs.csv"), "--profiles", str(ex / "profiles.csv"),
                 "--family", str(ex / "families/F1.json"), "--sample", "V1"]) == 2
    assert "3 missing persons (M1, M2, M3); say which one" in capsys.readouterr().err


def test_search_json_lines(capsys):
    assert main(["kinship", "search", "--freqs", str(PLANE / "freqs.csv"), "--profiles", str(PLANE / "profiles.csv"),
                 "--families", str(PLANE / "families"), "--samples", str(PLANE / "remains.json"),
                 "--mutation", str(PLANE / "mutation.json"), "--top", "1", "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 8
    assert set(lines[0]) == {"sample", "family", "missing", "lr", "log10_lr", "posterior", "markers_compared",
                             "flags", "prior"}
    best = {d["sample"]: d["missing"] for d in lines}
    assert best["V1"] == "M1" and best["V2"] == "M3"  # dvir: V1–M1 924.9, V2–M3 67397
    assert "searched 8 samples against 5 missing persons" in captured.err


def test_the_vestige_command_ends_at_once_after_a_search_with_all_its_output(capsys, tmp_path):
    # `vestige kinship search` as a process ends without freeing its objects one by one
    # (vestige.cli.run): its output must still arrive whole, piped or written to a file, small
    # (left in the buffer until the end) or large, and its exit status be the command's.
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output buffered, as for users
    cmd = ["kinship", "search", "--freqs", str(PLANE / "freqs.csv"), "--profiles", str(PLANE / "profiles.csv"),
           "--families", str(PLANE / "families"), "--samples", str(PLANE / "remains.json"),
           "--mutation", str(PLANE / "mutation.json"), "--quiet", "--json"]
    for extra, n_lines in ((["--top", "1"], 8), (["--all"], 40)):  # 2 kB and 12 kB of output
        assert main(cmd + extra) == 0
        want = capsys.readouterr()
        assert len(want.out.splitlines()) == n_lines
        piped = subprocess.run([sys.executable, "-m", "vestige.cli", *cmd, *extra], capture_output=True, text=True,
                               env=env)
        assert piped.returncode == 0 and piped.stdout == want.out
        assert piped.stderr.splitlines()[:-1] == want.err.splitlines()[:-1]  # the last line's seconds differ
        assert piped.stderr.splitlines()[-1].startswith(f"{n_lines} pairs reported in ")
        with open(tmp_path / "out.jsonl", "w") as out:
            assert subprocess.run([sys.executable, "-m", "vestige.cli", *cmd, *extra], stdout=out,
                                  env=env).returncode == 0
        assert (tmp_path / "out.jsonl").read_text() == want.out
    bad = subprocess.run([sys.executable, "-m", "vestige.cli", *cmd[:5], str(tmp_path / "none.csv"), *cmd[6:]],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "none.csv: no such file" in bad.stderr


def test_search_samples_glob_and_min_lr(capsys):
    assert main(["kinship", "search", "--freqs", str(PLANE / "freqs.csv"), "--profiles", str(PLANE / "profiles.csv"),
                 "--families", str(PLANE / "families"), "--samples", "V[12]", "--top", "0", "--min-lr", "100",
                 "--mutation", str(PLANE / "mutation.json"), "--quiet", "--json", "--sexes", str(PLANE / "remains.json")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(d["sample"], d["missing"]) for d in lines} == {("V1", "M1"), ("V2", "M3")}


def test_simulate_writes_every_file(capsys, tmp_path):
    out = tmp_path / "sim"
    assert main(["kinship", "simulate", "--freqs", str(DATA / "norwegian-35-markers.csv"), "--families", "20",
                 "--remains", "15", "--seed", "3", "--out", str(out), "--markers", "TH01,FGA,VWA",
                 "--mutation-model", "equal", "--mutation-rate", "0.001"]) == 0
    assert len(list((out / "families").glob("*.json"))) == 20
    truth = list(csv.DictReader((out / "truth.csv").read_text().splitlines()))
    remains = list(csv.DictReader((out / "remains.csv").read_text().splitlines()))
    assert len(truth) == len(remains) == 15 and set(truth[0]) == {"sample", "family", "missing"}
    assert sum(1 for t in truth if not t["family"]) == 3  # 20% unrelated
    markers = {row["marker"] for row in csv.DictReader((out / "profiles.csv").read_text().splitlines())}
    assert markers <= {"TH01", "FGA", "VWA"}
    # The same seed gives the same files.
    again = tmp_path / "again"
    main(["kinship", "simulate", "--freqs", str(DATA / "norwegian-35-markers.csv"), "--families", "20",
          "--remains", "15", "--seed", "3", "--out", str(again), "--markers", "TH01,FGA,VWA",
          "--mutation-model", "equal", "--mutation-rate", "0.001"])
    assert (out / "profiles.csv").read_text() == (again / "profiles.csv").read_text()


def test_simulate_refuses_unknown_markers(capsys, tmp_path):
    assert main(["kinship", "simulate", "--freqs", str(DATA / "norwegian-35-markers.csv"), "--families", "2",
                 "--remains", "1", "--out", str(tmp_path), "--markers", "NOPE"]) == 2
    assert "marker 'NOPE' is not in" in capsys.readouterr().err


def test_kinship_commands_do_not_need_django():
    import subprocess
    import sys
    code = ("import sys; from vestige.cli import main; main(['kinship', 'lr', '--help']) if False else None; "
            "import vestige.kinship.search, vestige.kinship_cli; print('django' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_search_json_lines_are_exactly_json_dumps():
    # `kinship search --json` writes its lines without json.dumps (speed): they must be the same
    # text, whatever the names (quotes, non-ASCII), flags and numbers (exclusion, huge LR, tiny).
    import math

    from vestige.kinship.search import SearchHit
    from vestige.kinship_cli import hit_json, hits_json

    cases = [SearchHit("S-1", 'FAM "x"', "Ørjan", 12.5, 21, 0.999, ["indistinguishable:F/M", "competing_remains:Sé2"]),
             SearchHit("s", "f", "m", -math.inf, 0, 0.0, []),
             SearchHit("s", "f", "m", 800.0, 3, 1.0, []),
             SearchHit("s\\t", "f", "m\n", 1e-300, 3, 1e-310, ["x"]),
             SearchHit("s", "f", "m", 14.2, 21, 0.9999, [],
                       systems={"autosomal": 1.5, "y": 4.25, "mt": None, "x": -math.inf}),
             SearchHit("s", "f", "m", -math.inf, 21, 0.0, [], systems={"autosomal": None, "y": -3.0})]
    for h in cases:
        assert hit_json(h, 9.26e-05) == json.dumps({**h.as_dict(), "prior": 9.26e-05}) + "\n"
    # the batch writer (what the command uses) gives the same lines, names repeated or not
    many = cases + cases[::-1] + [SearchHit("S-1", 'FAM "x"', "m", 308.5 * math.log(10), 2, 0.5, [])]
    assert hits_json(many, 1e-4) == "".join(json.dumps({**h.as_dict(), "prior": 1e-4}) + "\n" for h in many)
    assert hits_json([], 1e-4) == ""
