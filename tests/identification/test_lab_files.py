"""Issue 28, part 1: lab genotype files as labs export them — a GeneMapper ID-X Genotypes Table
(marker aliases, homozygotes written once, OL, R's dotted headers), a semicolon CSV as Ukrainian
Excel saves it, and a three-person mixture refused, never truncated. Third-party files from
../shared/data/fixtures/dna (EuroForMix, strvalidator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vestige.dnafiles import read_profile_file
from vestige.identification.services import frequency_table

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "data" / "fixtures" / "dna"


@pytest.fixture
def table():
    return frequency_table()


def _fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"{path} is not beside the project")
    return path.read_bytes()


def test_a_three_person_mixture_is_refused_row_and_marker_named(table):
    parsed = read_profile_file(_fixture("ESX17_3p.csv"), "/srv/uploads/tmp/ESX17_3p.csv", table)
    mixture = [e for e in parsed.errors if "mixture" in e.reason]
    assert mixture and parsed.profiles == {}  # nothing kept, nothing truncated to two alleles
    d3 = next(e for e in mixture if "D3S1358" in e.reason)
    assert (d3.line, d3.column, d3.value) == (2, "allele3", "16") and "14, 15, 16, 17" in d3.reason
    assert all("/srv" not in e.reason and "/srv" not in e.value for e in parsed.errors)  # never a server path


def test_the_single_source_references_of_the_same_kit_read(table):
    parsed = read_profile_file(_fixture("ESX17_refs.csv"), "ESX17_refs.csv", table)
    assert parsed.profiles["ref1"]["D3S1358"] == ("16", "16")
    assert not [e for e in parsed.errors if e.column != "marker"]  # only kit markers absent from the table


def test_genemapper_layouts_with_aliases_homozygotes_once_and_ol(table):
    text = ("Sample File\tSample Name\tPanel\tMarker\tDye\tAllele 1\tAllele 2\tAllele 3\tSize 1\tHeight 1\n"
            "a.fsa\tREF-1\tGF\tvWA\tG\t17\t18\t\t160.1\t900\n"
            "a.fsa\tREF-1\tGF\tD3S1358\tB\t15\t\t\t120.2\t1500\n"       # a homozygote written once
            "a.fsa\tREF-1\tGF\tTH01\tB\tOL\t7\t\t160.4\t300\n"          # off-ladder
            "a.fsa\tREF-1\tGF\tAMEL\tB\tX\tY\t\t80.0\t1000\n")
    parsed = read_profile_file(text.encode(), "gm.txt", table)
    assert parsed.profiles["REF-1"]["VWA"] == ("17", "18") and parsed.profiles["REF-1"]["D3S1358"] == ("15", "15")
    assert parsed.amelogenin["REF-1"] == ("X", "Y")
    [ol] = parsed.errors
    assert (ol.line, ol.column, ol.value) == (4, "allele1", "OL") and "off-ladder" in ol.reason
    refused = read_profile_file(text.encode(), "gm.txt", table, single="refuse")
    assert any(e.line == 3 and "one allele only" in e.reason for e in refused.errors)
    degraded = read_profile_file(text.encode(), "gm.txt", table, degraded=True)
    assert degraded.profiles["REF-1"]["D3S1358"] == ("15", None)  # a possible drop-out, not a homozygote


def test_strvalidator_dotted_headers_and_na(table):
    parsed = read_profile_file(_fixture("ref3.txt"), "ref3.txt", table)
    assert parsed.profiles["A2"]["D3S1358"] == ("15", "16") and parsed.profiles["A2"]["TH01"] == ("8", "8")


def test_a_semicolon_csv_as_ukrainian_excel_saves_it(table):
    text = "sample;marker;allele1;allele2\nREF-1;VWA;17;18\nREF-1;D3S1358;15;16\n"
    parsed = read_profile_file(text.encode("utf-8-sig"), "excel.csv", table)
    assert parsed.errors == [] and parsed.profiles["REF-1"] == {"VWA": ("17", "18"), "D3S1358": ("15", "16")}


def test_messages_are_in_the_users_language(table):
    from django.utils import translation

    with translation.override("uk"):
        parsed = read_profile_file(_fixture("ESX17_3p.csv"), "ESX17_3p.csv", table)
    assert any("суміш" in e.reason for e in parsed.errors), parsed.errors[0].reason
