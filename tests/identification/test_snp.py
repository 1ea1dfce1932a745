"""SNP panels in the app (issue 26, part 4): a grave whose families gave only first or second cousins
(from ../shared/cases/distant-references). The panel is uploaded under Databases with its
provenance, the lab's VCF imported against it (dry run first; every bad record named; stored
encrypted), and a run that chooses the panel carries each candidate's multipoint SNP LR beside
the autosomal one."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from vestige.cli import main
from vestige.errors import ImportRejected, InvalidInput
from vestige.identification import lineage
from vestige.identification import services as ident
from vestige.identification.models import Candidate, HaplotypeDatabase, LineageProfile
from vestige.registry import services as registry
from vestige.registry.models import Remains

CASE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "distant-references" / "data"
pytestmark = pytest.mark.skipif(not CASE.exists(), reason="../shared/cases/distant-references is not beside the project")

# truth.json: the body of each family's missing person; references.csv: each reference is SNP-typed
FAMILIES = {"F6-0014": "PM-0056",  # paternal first cousin
            "F6-0023": "PM-0216",  # maternal first cousin
            "F6-0015": "PM-0234"}  # second cousin
UNRELATED = ["PM-0005", "PM-0015"]


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.VESTIGE_TASKS_INLINE = True


def _rows(path: Path, keep: set[str]) -> str:
    lines = path.read_text().splitlines()
    return "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",", 1)[0] in keep]) + "\n"


def _vcf_columns(keep: list[str]) -> str:
    """The case's VCF with only the ``keep`` sample columns, in that order."""
    out = []
    index = None
    for line in (CASE / "snps.vcf").read_text().splitlines():
        if line.startswith("##"):
            out.append(line)
            continue
        f = line.split("\t")
        if line.startswith("#CHROM"):
            index = [f.index(s) for s in keep]
        out.append("\t".join(f[:9] + [f[i] for i in index]))
    return "\n".join(out) + "\n"


@pytest.fixture
def grave(users, admin, site, tmp_path):
    liaison, dna = users["family_liaison"], users["dna_analyst"]
    folder = tmp_path / "families"
    folder.mkdir()
    refs = set()
    for f in FAMILIES:
        shutil.copy(CASE / "families" / f"{f}.json", folder)
        refs |= {m["sample"] for m in json.loads((folder / f"{f}.json").read_text())["members"] if m.get("sample")}
    assert main(["missing", "import-pedigrees", str(folder), "--as", liaison.username]) == 0
    (tmp_path / "refs.csv").write_text(_rows(CASE / "profiles.csv", refs))
    assert main(["missing", "import-references", str(tmp_path / "refs.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    bodies = sorted(set(FAMILIES.values()) | set(UNRELATED))
    sexes = dict(csv.reader(io.StringIO((CASE / "remains.csv").read_text().split("\n", 1)[1])))
    for b in bodies:
        registry.create(admin, Remains, {"body_number": b, "site": site,
                                         "sex": sexes[b] if sexes[b] in ("male", "female") else "undetermined"})
    (tmp_path / "samples.csv").write_text(_rows(CASE / "profiles.csv", set(bodies)))
    assert main(["identify", "import-samples", str(tmp_path / "samples.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    (tmp_path / "snps.vcf").write_text(_vcf_columns(sorted(refs) + bodies))
    return tmp_path


def test_a_panel_a_vcf_and_a_run_that_uses_them(users, grave, capsys):
    dna = users["dna_analyst"]
    assert main(["identify", "databases", "add", str(CASE / "snp_freqs.tsv"), "--system", "snp", "--name",
                 "Synthetic 5k panel", "--population", "synthetic", "--source", "distant-references (simulated)",
                 "--as", dna.username]) == 0
    panel = HaplotypeDatabase.objects.get(system="snp")
    assert panel.rows == 5000
    # dry run first: nothing stored
    assert main(["identify", "import-lineage", "snp", str(grave / "snps.vcf"), "--lab", "SNP-lab", "--dry-run",
                 "--as", dna.username]) == 0
    assert not LineageProfile.objects.exists()
    assert main(["identify", "import-lineage", "snp", str(grave / "snps.vcf"), "--lab", "SNP-lab",
                 "--as", dna.username]) == 0
    held = LineageProfile.objects.filter(system="snp")
    assert held.filter(donor__isnull=False).count() == 3 and held.filter(sample__isnull=False).count() == 5
    assert all("panel_sha256" not in p.data_encrypted and p.loci > 4000 for p in held)  # encrypted at rest
    capsys.readouterr()

    plain = ident.start_run(dna)
    plain.refresh_from_db()
    assert any("SNP genotype sets not used" in n for n in plain.inputs["lineage_notes"])
    run = ident.start_run(dna, lineage={"snp": panel.pk})
    run.refresh_from_db()
    assert run.status == "done", run.message
    assert run.inputs["lineage"]["snp"]["rows"] == 5000
    for family, body in FAMILIES.items():
        c = Candidate.objects.get(run=run, remains__body_number=body, missing_person__family__ref=family)
        # first cousins share ~1/8 of the genome: the exact LR is large (log10 ~ 20-50 on this grave);
        # second cousins less, but still for the true one
        assert c.systems["snp"] is not None and c.systems["snp"] > (1 if family == "F6-0015" else 10), (family, c.systems)
        assert sum(v for v in c.systems.values() if v is not None) == pytest.approx(c.log10_lr, rel=1e-9, abs=1e-9)
    for body in UNRELATED:
        for c in Candidate.objects.filter(run=run, remains__body_number=body):
            assert c.systems.get("snp") is None or c.systems["snp"] < 2


def test_the_candidate_page_draws_the_shared_segments(users, grave, client):
    dna = users["dna_analyst"]
    panel = lineage.add_database(dna, "snp", (CASE / "snp_freqs.tsv").read_bytes(), "snp_freqs.tsv", name="5k",
                                 population="synthetic", source="simulated")
    lineage.import_lineage(dna, "snp", io.BytesIO((grave / "snps.vcf").read_bytes()), "snps.vcf", lab="L")
    client.force_login(dna)
    index = client.get("/identification/").content.decode()
    assert 'name="lineage_snp"' in index and "5k" in index
    assert client.post("/identification/start/", {"site": "", "families": "", "lineage_snp": str(panel.pk)}).status_code == 302
    c = Candidate.objects.get(run__current=True, remains__body_number="PM-0056", missing_person__family__ref="F6-0014")
    ref = c.segments["references"]["REF-F6-0014-PC"]
    # first cousins share about 1/8 of 3,391 cM in segments of tens of cM
    assert 5 <= len(ref["segments"]) <= 40 and 150 < ref["total_cm"] < 1200 and ref["longest_cm"] > 20
    assert set(c.segments["lengths"]) == {str(i) for i in range(1, 23)}
    detail = client.get(c.get_absolute_url()).content.decode()
    assert 'id="segments-1"' in detail and "REF-F6-0014-PC" in detail and detail.count('fill="#2563eb"') == len(ref["segments"])
    assert "SNPs (multipoint, linked)" in detail
    board = client.get(f"/dvi/board/{c.remains_id}/{c.missing_person.ref}/").content.decode()
    assert 'id="segments-1"' in board and board.count('fill="#2563eb"') == len(ref["segments"])
    pdf = client.get(f"/identification/candidates/{c.pk}/report.pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "REF-F6-0014-PC" in text and f"{len(ref['segments'])} segments" in text


def test_bad_vcfs_and_panels_are_refused_and_nothing_is_stored(users, grave):
    dna = users["dna_analyst"]
    with pytest.raises(InvalidInput, match="Upload the SNP panel"):
        lineage.import_lineage(dna, "snp", io.BytesIO((grave / "snps.vcf").read_bytes()), "s.vcf", lab="L")
    with pytest.raises(InvalidInput, match="alt_freq"):
        lineage.add_database(dna, "snp", (CASE / "snps.map").read_bytes(), "snps.map", name="map only",
                             population="p", source="s")
    lineage.add_database(dna, "snp", (CASE / "snp_freqs.tsv").read_bytes(), "snp_freqs.tsv", name="5k",
                         population="synthetic", source="simulated")
    text = (grave / "snps.vcf").read_text()
    with pytest.raises(ImportRejected) as e:  # cut in the middle of a record
        lineage.import_lineage(dna, "snp", io.BytesIO(text[: len(text) // 2].encode()), "cut.vcf", lab="L")
    assert e.value.rows[0].line > 30 and "truncated" in e.value.rows[0].reason
    renamed = text.replace("\tPM-0005", "\tNO-SUCH-BODY")
    with pytest.raises(ImportRejected) as e:
        lineage.import_lineage(dna, "snp", io.BytesIO(renamed.encode()), "renamed.vcf", lab="L")
    assert any(r.value == "NO-SUCH-BODY" and "no remains sample" in r.reason for r in e.value.rows)
    swapped = text.replace("\ts6snp00002\tT\tC\t", "\ts6snp00002\tC\tT\t")
    with pytest.raises(ImportRejected) as e:
        lineage.import_lineage(dna, "snp", io.BytesIO(swapped.encode()), "swapped.vcf", lab="L")
    assert "s6snp00002" in e.value.rows[0].reason or "exchanged" in e.value.rows[0].reason
    assert not LineageProfile.objects.exists()
