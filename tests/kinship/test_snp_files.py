"""SNP panels and VCF files as labs produce them, and every bad file named by file, line and SNP."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.snp.panel import read_panel
from vestige.kinship.snp.vcf import read_vcf, read_vcfs

# The [snp] extra reads VCF files; the minimal install (`make test-minimal`) has no extras.
NEEDS_CYVCF2 = pytest.mark.skipif(importlib.util.find_spec("cyvcf2") is None,
                                  reason="the snp extra (cyvcf2) is not installed")

CASE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "distant-references" / "data"

PANEL = """id\tchrom\tpos\tcM\tref\talt\talt_freq
rs1\t1\t1000\t0.5\tA\tG\t0.30
rs2\t1\t5000\t1.5\tC\tT\t0.40
rs3\t2\t800\t0.2\tA\tT\t0.25
"""
HEAD = """##fileformat=VCFv4.2
##reference=GRCh38
##contig=<ID=1,length=1000000>
##contig=<ID=2,length=1000000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB
"""
GOOD = ["1\t1000\trs1\tA\tG\t.\tPASS\t.\tGT:GQ\t0/1:50\t1|1:10",
        "1\t5000\trs2\tC\tT\t.\tPASS\t.\tGT:GQ\t./.:.\t0/0:60",
        "2\t800\trs3\tA\tT\t.\tPASS\t.\tGT:GQ\t1/1:40\t0/1:40"]


@pytest.fixture
def panel(tmp_path):
    p = tmp_path / "panel.tsv"
    p.write_text(PANEL)
    return read_panel(p)


def vcf(tmp_path, lines, name="s.vcf"):
    p = tmp_path / name
    p.write_text(HEAD + "\n".join(lines) + "\n")
    return p


@NEEDS_CYVCF2
def test_genotypes_no_calls_and_gq(tmp_path, panel):
    g = read_vcf(vcf(tmp_path, GOOD), panel)
    assert g.samples == ["A", "B"]
    assert g.of("A").tolist() == [1, -1, 2] and g.of("B").tolist() == [2, 0, 1]
    low = read_vcf(vcf(tmp_path, GOOD), panel, min_gq=20)
    assert low.of("B").tolist() == [-1, 0, 1]  # GQ 10 < 20: a no-call


@NEEDS_CYVCF2
def test_a_bgzipped_vcf_reads_the_same(tmp_path, panel):
    p = tmp_path / "s.vcf.gz"
    with gzip.open(p, "wt") as f:
        f.write(HEAD + "\n".join(GOOD) + "\n")
    assert read_vcf(p, panel).calls.tolist() == read_vcf(vcf(tmp_path, GOOD), panel).calls.tolist()


@pytest.mark.parametrize("lines,message", [
    ([GOOD[0], "1\t4000\trs9\tC\tT\t.\tPASS\t.\tGT:GQ\t0/1:5\t0/0:5"], r"s.vcf, line 9, SNP rs9: not in the panel"),
    ([GOOD[1], GOOD[0]], r"line 9, SNP rs1: position 1000 is not after the previous record's \(5000\)"),
    ([GOOD[0], "1\t5000\trs2\tC\tT,G\t.\tPASS\t.\tGT:GQ\t0/1:5\t0/0:5"], r"line 9, SNP rs2: 2 ALT alleles"),
    (["1\t1200\trs1\tA\tG\t.\tPASS\t.\tGT:GQ\t0/1:5\t0/0:5"], r"line 8, SNP rs1: .*position 1000: another genome build\? "
                                                          r"\(the file says reference GRCh38\)"),
    (["1\t1000\trs1\tG\tA\t.\tPASS\t.\tGT:GQ\t0/1:5\t0/0:5"], r"REF/ALT G/A but the panel has A/G \(REF and ALT exchanged\)"),
    (["1\t1000\trs1\tT\tC\t.\tPASS\t.\tGT:GQ\t0/1:5\t0/0:5"], r"REF/ALT T/C but the panel has A/G \(the other strand\)"),
])
@NEEDS_CYVCF2
def test_bad_records_are_named(tmp_path, panel, lines, message):
    with pytest.raises(KinshipInputError, match=message):
        read_vcf(vcf(tmp_path, lines), panel)


@NEEDS_CYVCF2
def test_a_truncated_file_is_named_with_its_line(tmp_path, panel):
    p = tmp_path / "cut.vcf"
    p.write_text(HEAD + GOOD[0] + "\n" + GOOD[1][:20])
    with pytest.raises(KinshipInputError, match=r"cut.vcf, line 9: cannot be read .*truncated"):
        read_vcf(p, panel)


@NEEDS_CYVCF2
def test_not_a_vcf(tmp_path, panel):
    p = tmp_path / "x.vcf"
    p.write_text("sample,marker\nA,B\n")
    with pytest.raises(KinshipInputError, match="x.vcf"):
        read_vcf(p, panel)


@NEEDS_CYVCF2
def test_a_sample_in_two_files_and_frequencies_from_af(tmp_path):
    p = tmp_path / "p.map"
    p.write_text("1 rs1 0.5 1000\n1 rs2 1.5 5000\n")
    panel = read_panel(p)
    head = HEAD.replace("#CHROM", '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n#CHROM')
    one = tmp_path / "one.vcf"
    one.write_text(head + "1\t1000\trs1\tA\tG\t.\tPASS\tAF=0.3\tGT\t0/1\t0/0\n1\t5000\trs2\tC\tT\t.\tPASS\tAF=0.4\tGT\t1/1\t0/0\n")
    g = read_vcfs([one], panel)
    assert g.panel.freq.tolist() == [0.3, 0.4]
    with pytest.raises(KinshipInputError, match="sample A is also in one.vcf"):
        read_vcfs([one, one], panel)


@pytest.mark.parametrize("text,message", [
    (PANEL.replace("rs2\t1\t5000", "rs2\t1\t900"), r"line 3, SNP rs2: position 900 is not after"),
    (PANEL.replace("0.40", "1.4"), r"line 3, SNP rs2: alt_freq 1.4 is not in \(0, 1\)"),
    (PANEL.replace("C\tT", "C\tCT"), r"line 3, SNP rs2: alleles C/CT"),
    (PANEL.replace("rs3", "rs1"), r"line 4, SNP rs1: the id is also on line 2"),
    ("id\tchrom\tpos\n", "the header lacks cm, ref, alt"),
])
def test_bad_panels_are_named(tmp_path, text, message):
    p = tmp_path / "panel.tsv"
    p.write_text(text)
    with pytest.raises(KinshipInputError, match=message):
        read_panel(p)


def test_a_dense_panel_is_thinned_and_says_so(tmp_path):
    p = tmp_path / "panel.tsv"
    p.write_text(PANEL.replace("rs2\t1\t5000\t1.5", "rs2\t1\t5000\t0.52"))
    panel = read_panel(p)
    assert panel.ids == ["rs1", "rs3"] and "rs2" in panel.notes[0]


needs_case = pytest.mark.skipif(not CASE.exists(), reason="../shared/cases/distant-references is not beside the project")


@NEEDS_CYVCF2
@needs_case
def test_the_case_files_read_whole():
    panel = read_panel(CASE / "snp_freqs.tsv")
    g = read_vcfs([CASE / "snps.vcf"], panel)
    assert len(panel) == 5000 and len(g.samples) == 708
    assert np.isin(g.calls, [-1, 0, 1, 2]).all()
    plink = read_panel(CASE / "snps.map")
    assert plink.ids == panel.ids and np.allclose(plink.cm, panel.cm)


@NEEDS_CYVCF2
@needs_case
def test_kinship_lr_with_snps_and_a_bad_vcf_on_the_command_line(tmp_path):
    import subprocess
    import sys

    freqs = CASE.parents[2] / "data" / "allele-frequencies" / "norwegian-35-markers.csv"
    base = [sys.executable, "-m", "vestige.cli", "kinship", "lr", "--freqs", str(freqs), "--profiles",
            str(CASE / "profiles.csv"), "--family", str(CASE / "families" / "F6-0009.json"), "--sample", "PM-0001",
            "--mutation-model", "equal", "--mutation-rate", "0.001", "--snp-panel", str(CASE / "snp_freqs.tsv"), "--json"]
    good = subprocess.run([*base, "--snp-vcf", str(CASE / "snps.vcf")], capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stderr
    out = json.loads(good.stdout)
    # PM-0001's family gave his maternal aunt: 5,000 SNPs say so by > 100 orders of magnitude
    assert out["systems"]["snp"]["log10_lr"] > 100 and out["systems"]["snp"]["meioses"] == 3
    cut = tmp_path / "cut.vcf"
    cut.write_bytes((CASE / "snps.vcf").read_bytes()[:400_000])
    bad = subprocess.run([*base, "--snp-vcf", str(cut)], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "cut.vcf, line" in bad.stderr and "Traceback" not in bad.stderr
    alone = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert alone.returncode != 0 and "--snp-vcf" in alone.stderr and "Traceback" not in alone.stderr


def test_without_the_snp_extra_a_vcf_is_refused_with_the_extra_to_install(tmp_path, panel, monkeypatch):
    """The default install has no cyvcf2: reading a VCF names the extra instead of a traceback
    (``sys.modules[name] = None`` makes ``import cyvcf2`` raise ImportError, as without it)."""
    monkeypatch.setitem(sys.modules, "cyvcf2", None)
    path = tmp_path / "s.vcf"
    path.write_text("##fileformat=VCFv4.2\n")
    with pytest.raises(KinshipInputError, match=r"pip install 'vestige\[snp\]'"):
        read_vcf(path, panel)
