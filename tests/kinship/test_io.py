"""Readers: both frequency layouts, GeneMapper headers, and a clear error for every bad input."""

from __future__ import annotations

import json

import pytest

from tests.kinship.conftest import DATA, write
from vestige.kinship import (
    KinshipInputError,
    likelihood_ratio,
    read_family,
    read_frequencies,
    read_mutation,
    read_profiles,
)
from vestige.kinship.io import family_from_dict

LONG = "marker,allele,frequency\nL1,9.3,0.25\nL1,10,0.75\nL2,OL,0.5\nL2,12,0.5\n"


def test_ladder_layout_reads_like_long(tmp_path):
    long = read_frequencies(write(tmp_path, "long.csv", LONG))
    ladder = read_frequencies(write(tmp_path, "ladder.csv", "allele,L1,L2\n9.3,0.25,\n10,0.75,\nOL,,0.5\n12,,0.5\n"))
    assert long.alleles == ladder.alleles
    assert all((long.freqs[m] == ladder.freqs[m]).all() for m in long.markers)
    assert long.alleles["L1"] == ["9.3", "10"]  # labels, not floats


def test_genemapper_headers_and_blank_allele2(tmp_path):
    p = read_profiles(write(tmp_path, "gm.csv", "Sample Name,Marker,Allele 1,Allele 2\nS1,L1,9.3,\nS1,L2,OL,12\n"))
    # A blank second allele is "one allele seen", never silently a homozygote.
    assert p.genotypes["S1"] == {"L1": ("9.3", None), "L2": ("OL", "12")}


def test_quoted_and_semicolon_files_take_the_csv_path(tmp_path):
    p = read_profiles(write(tmp_path, "q.csv", 'sample;marker;allele1;allele2\n"S 1";L1;9.3;10\n'))
    assert p.genotypes["S 1"]["L1"] == ("9.3", "10")


@pytest.mark.parametrize("text, fragment", [
    ("marker,allele,frequency\nL1,1,0.5\nL1,2,0.4\n", "marker L1: frequencies sum to 0.900000, not 1"),
    ("marker,allele,frequency\nL1,1,abc\n", "line 2: frequency 'abc' is not a number"),
    ("marker,allele,frequency\nL1,1,0.5\nL1,1,0.5\n", "line 3: allele '1' of L1 is listed twice"),
    ("marker,allele,frequency\nL1,1,-0.5\n", "line 2: frequency '-0.5' is not in (0, 1]"),
    ("", "is empty"),
])
def test_bad_frequency_tables(tmp_path, text, fragment):
    with pytest.raises(KinshipInputError) as e:
        read_frequencies(write(tmp_path, "f.csv", text))
    assert fragment in str(e.value) and "f.csv" in str(e.value)


def test_rounded_table_is_accepted_and_rescaled(tmp_path):
    t = read_frequencies(write(tmp_path, "f.csv", "marker,allele,frequency\nL1,1,0.333\nL1,2,0.333\nL1,3,0.333\n"))
    assert t.freqs["L1"].sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("text, fragment", [
    ("sample,marker,allele1,allele2\nS1,L1,1,2\nS1,L1,1,1\n", "line 3: S1 has a second row for marker L1"),
    ("sample,marker,allele1,allele2\nS1,L1,,2\n", "line 2: allele1 is empty but allele2 is '2'"),
    ("name,locus,a,b\nS1,L1,1,2\n", "line 1: header"),
])
def test_bad_profiles(tmp_path, text, fragment):
    with pytest.raises(KinshipInputError) as e:
        read_profiles(write(tmp_path, "p.csv", text))
    assert fragment in str(e.value)


def _lr_inputs(tmp_path, profile_rows: str):
    table = read_frequencies(write(tmp_path, "f.csv", LONG))
    prof = read_profiles(write(tmp_path, "p.csv", "sample,marker,allele1,allele2\nREF,L1,10,10\n" + profile_rows))
    fam = family_from_dict({"family": "F", "members": [
        {"id": "F", "sex": "male", "sample": "REF"}, {"id": "M", "sex": "female"},
        {"id": "X", "sex": "male", "father": "F", "mother": "M", "missing": True}]}, "F.json", prof)
    return table, prof, fam


def test_unknown_marker_names_file_and_line(tmp_path):
    table, prof, fam = _lr_inputs(tmp_path, "S,L9,1,2\n")
    with pytest.raises(KinshipInputError) as e:
        likelihood_ratio(fam, "X", "S", prof, table)
    assert "p.csv, line 3" in str(e.value) and "marker 'L9' is not in the frequency table" in str(e.value)


def test_allele_absent_from_table_is_an_error_or_added_on_request(tmp_path):
    table, prof, fam = _lr_inputs(tmp_path, "S,L1,10,11\n")
    with pytest.raises(KinshipInputError) as e:
        likelihood_ratio(fam, "X", "S", prof, table)
    assert "p.csv, line 3" in str(e.value) and "allele '11' of L1" in str(e.value)
    added = prof.check_against(table, add_missing=0.001, samples=["S"])
    assert added == [("L1", "11", 0.001)]
    assert table.freqs["L1"].sum() == pytest.approx(1.0)
    # Father 10/10, child 10/11: LR = ½... the mother gives 11 with p11: p11 / (2 p10 p11) = 1/(2 p10).
    r = likelihood_ratio(fam, "X", "S", prof, table)
    assert r.markers["L1"] == pytest.approx(1 / (2 * 0.75 * (1 - 0.001)), rel=1e-12)


@pytest.mark.parametrize("members, fragment", [
    ([{"id": "A", "sex": "male", "father": "B"}, {"id": "B", "sex": "male"}], "member A: has one parent"),
    ([{"id": "A", "sex": "male", "father": "B", "mother": "C"}, {"id": "B", "sex": "female"},
      {"id": "C", "sex": "female"}], "father 'B' has sex 'female'; a father must be male"),
    ([{"id": "A", "sex": "male", "missing": True}, {"id": "A", "sex": "male"}], "member A: duplicate member id"),
    ([{"id": "A", "sex": "male", "father": "B", "mother": "C", "missing": True},
      {"id": "B", "sex": "male", "father": "A", "mother": "C"}, {"id": "C", "sex": "female"}], "is their own ancestor"),
    ([{"id": "A", "sex": "male"}], "the family has no missing person"),
    ([{"id": "A", "sex": "robot", "missing": True}], "sex 'robot'"),
    ([{"id": "A", "sex": "male", "father": "Z", "mother": "Y", "missing": True}], "father 'Z' is not a member"),
])
def test_bad_families(members, fragment):
    with pytest.raises(KinshipInputError) as e:
        family_from_dict({"family": "F", "members": members}, "fam.json")
    assert fragment in str(e.value) and "fam.json" in str(e.value)


def test_sample_not_in_profiles(tmp_path):
    prof = read_profiles(write(tmp_path, "p.csv", "sample,marker,allele1,allele2\nREF,L1,10,10\n"))
    path = write(tmp_path, "fam.json", json.dumps({"family": "F", "members": [
        {"id": "X", "sex": "male", "missing": True, "sample": "NOPE"}]}))
    with pytest.raises(KinshipInputError) as e:
        read_family(path, prof)
    assert "member X: sample 'NOPE' is not in the profiles" in str(e.value)


def test_inconsistent_references_are_reported(tmp_path):
    # Father 10/10 and a child 9.3/9.3 typed as references: impossible without mutation.
    table = read_frequencies(write(tmp_path, "f.csv", LONG))
    prof = read_profiles(write(tmp_path, "p.csv", "sample,marker,allele1,allele2\nRF,L1,10,10\nRC,L1,9.3,9.3\nS,L1,10,10\n"))
    fam = family_from_dict({"family": "F", "members": [
        {"id": "F", "sex": "male", "sample": "RF"}, {"id": "M", "sex": "female"},
        {"id": "C", "sex": "male", "father": "F", "mother": "M", "sample": "RC"},
        {"id": "X", "sex": "male", "father": "F", "mother": "M", "missing": True}]}, "F.json", prof)
    with pytest.raises(KinshipInputError, match="marker L1: the family's reference profiles are inconsistent"):
        likelihood_ratio(fam, "X", "S", prof, table)


def test_mutation_file_errors(tmp_path):
    with pytest.raises(KinshipInputError, match="model must be one of"):
        read_mutation(write(tmp_path, "m.json", '{"L1": {"male": {"model": "magic", "rate": 0.1}}}'))
    m = read_mutation(DATA / "dvir-planecrash" / "mutation.json")
    assert m.spec("FGA", "female").model == "proportional" and m.spec("FGA", "male").rate == 0.001


def test_stepwise_model_matches_pedmut_definition():
    # pedmut::mutationMatrix("stepwise", alleles = c(10, 11, 12), rate = 0.01, rate2 = 0, range = 0.5):
    # from 10: to 11 ∝ 0.5, to 12 ∝ 0.25, scaled to total 0.01 → 0.01·(2/3), 0.01·(1/3).
    import numpy as np

    from vestige.kinship.mutation import MutationSpec, mutation_matrix
    m = mutation_matrix(MutationSpec("stepwise", 0.01, 0.0, 0.5), ["10", "11", "12"], np.array([0.3, 0.3, 0.4]))
    assert m[0].tolist() == pytest.approx([0.99, 0.01 * 2 / 3, 0.01 / 3])
    assert m[1].tolist() == pytest.approx([0.005, 0.99, 0.005])
    assert np.allclose(m.sum(axis=1), 1.0)


@pytest.mark.parametrize("reader", ["family", "mutation", "sexes"])
@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xfe\x00not text", "not valid JSON"),
    (b'{"open": ', "not valid JSON"),
])
def test_every_json_reader_names_the_file_for_undecodable_or_malformed_input(tmp_path, reader, content, message):
    from vestige.kinship.remains import read_sexes
    fn = {"family": read_family, "mutation": read_mutation, "sexes": read_sexes}[reader]
    path = tmp_path / "in.json"
    path.write_bytes(content)
    with pytest.raises(KinshipInputError, match=message) as e:
        fn(path)
    assert str(path) in str(e.value)


def test_sexes_json_must_be_a_list_of_objects(tmp_path):
    from vestige.kinship.remains import read_sexes
    with pytest.raises(KinshipInputError, match="expected a list of"):
        read_sexes(write(tmp_path, "remains.json", "[1, 2]"))
    assert read_sexes(write(tmp_path, "ok.json", '[{"sample": "B1", "sex": "male"}]')) == {"B1": "male"}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_and_padded_profiles_read_like_plain_ones(tmp_path, newline):
    # CRLF (what the csv module and Windows tools write) and fields padded with spaces are read
    # exactly like the plain file: the same genotypes, the F convention kept.
    rows = ["sample,marker,allele1,allele2", "S1,D3S1358,15,16", "S1,VWA,14,F", "S2,TH01,9.3,9.3"]
    plain = read_profiles(write(tmp_path, "plain.csv", "\n".join(rows) + "\n"))
    crlf = read_profiles(write(tmp_path, "crlf.csv", newline.join(rows) + newline))
    padded = read_profiles(write(tmp_path, "padded.csv", newline.join(
        [rows[0]] + [" " + r.replace(",", " , ") + " " for r in rows[1:]]) + newline))
    assert plain.genotypes == crlf.genotypes == padded.genotypes
    assert plain.genotypes["S1"]["VWA"] == ("14", None)
    # one sample out of a padded or quoted file (as `kinship lr` reads it): all its rows
    quoted = write(tmp_path, "quoted.csv", newline.join([rows[0], '"S1",D3S1358,15,16'] + rows[2:]) + newline)
    padded_path = tmp_path / "padded.csv"
    for path in (quoted, padded_path):
        assert read_profiles(path, only={"S1"}).genotypes == {"S1": plain.genotypes["S1"]}


def test_blank_and_ragged_lines_are_read_by_the_csv_module(tmp_path):
    # Not plain four-field lines: a blank line is skipped, a short row's missing allele2 is a
    # possible drop-out, an extra field is ignored (the csv module's reading, as before).
    got = read_profiles(write(tmp_path, "odd.csv", "sample,marker,allele1,allele2\nS1,TH01,6,7,9\n\n"
                                                   "S1,FGA,20\nS2,TH01,6,6\n"))
    assert got.genotypes == {"S1": {"TH01": ("6", "7"), "FGA": ("20", None)}, "S2": {"TH01": ("6", "6")}}


GM_NAMES = {"VWA": "vWA", "PENTA_D": "Penta D", "PENTA_E": "Penta E"}  # as GeneMapper ID-X's panels name them


def _as_genemapper(profiles_csv, out):
    """The exchange-format profiles rewritten as a GeneMapper ID-X "Genotypes Table" export: tab
    separated, sample file, panel, dye, up to three allele columns with sizes and heights, the
    panel's marker names, a homozygote written once, amelogenin beside the STRs."""
    rows = ["Sample File\tSample Name\tPanel\tMarker\tDye\tAllele 1\tAllele 2\tAllele 3\tSize 1\tSize 2\tHeight 1\tHeight 2"]
    seen = []
    for line in profiles_csv.read_text().splitlines()[1:]:
        s, m, a1, a2 = line.split(",")
        second = "" if a1 == a2 else a2
        rows.append(f"{s}.fsa\t{s}\tGlobalFiler_v2\t{GM_NAMES.get(m, m)}\tB\t{a1}\t{second}\t\t101.2\t\t1523\t")
        if s not in seen:
            seen.append(s)
            rows.append(f"{s}.fsa\t{s}\tGlobalFiler_v2\tAMEL\tB\tX\tY\t\t80.1\t86.0\t2001\t1995")
    out.write_text("\n".join(rows) + "\n")
    return out


def test_the_command_line_reads_a_genemapper_export_as_the_import_page_does(tmp_path, capsys):
    """One GeneMapper reader for the project: a lab's export given to `kinship lr` gives dvir's
    published pairwise LR for the plane crash's V1 and F1 (924.881635204711, the same figure as
    from the exchange format: tests/kinship/test_cli.py)."""
    from vestige.cli import main

    plane = DATA / "dvir-planecrash"
    gm = _as_genemapper(plane / "profiles.csv", tmp_path / "genotypes.txt")
    assert main(["kinship", "lr", "--freqs", str(plane / "freqs.csv"), "--profiles", str(gm),
                 "--family", str(plane / "families/F1.json"), "--sample", "V1",
                 "--mutation", str(plane / "mutation.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["lr"] - 924.881635204711) <= 1e-9 * 924.881635204711 and len(out["markers"]) == 15
    p = read_profiles(gm, table=read_frequencies(plane / "freqs.csv"))
    assert p.genotypes["V1"]["D16S539"] == ("12", "12") and "VWA" in p.genotypes["V1"]  # the table's names
    assert p.genotypes["V1"]["AMEL"] == ("X", "Y")


def test_a_mixture_in_a_genemapper_export_is_refused_by_line_on_the_command_line(tmp_path):
    plane = DATA / "dvir-planecrash"
    gm = _as_genemapper(plane / "profiles.csv", tmp_path / "genotypes.txt")
    lines = gm.read_text().splitlines()
    cells = lines[5].split("\t")
    cells[7] = "19"  # a third allele: a possible mixture, never truncated to two
    lines[5] = "\t".join(cells)
    gm.write_text("\n".join(lines) + "\n")
    with pytest.raises(KinshipInputError) as e:
        read_profiles(gm, table=read_frequencies(plane / "freqs.csv"))
    assert "genotypes.txt, line 6" in str(e.value) and "allele3 '19'" in str(e.value) and "mixture" in str(e.value)
