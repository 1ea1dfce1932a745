"""Lineage markers in the app (issue 25, part 6): a grave whose families gave only a paternal
uncle or a maternal aunt (from ../shared/cases/distant-references): pedigrees, autosomal profiles,
then the labs' Y-STR and mtDNA files imported (dry run first, every bad cell named), population
databases uploaded with their provenance and chosen for the run. The candidates carry each
system's LR, their product is the candidate's, and a run without a database says so."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from vestige.cli import main
from vestige.errors import ImportRejected, InvalidInput, NotFound
from vestige.identification import lineage
from vestige.identification import services as ident
from vestige.identification.models import Candidate, HaplotypeDatabase, LineageProfile
from vestige.registry import services as registry
from vestige.registry.models import Remains

CASE = Path(__file__).resolve().parents[3] / "shared" / "cases" / "distant-references" / "data"
pytestmark = pytest.mark.skipif(not CASE.exists(), reason="../shared/cases/distant-references is not beside the project")

FAMILIES = {"F6-0003": "PM-0174", "F6-0137": "PM-0025", "F6-0127": "PM-0057",  # paternal uncles, Y typed
            "F6-0046": "PM-0346", "F6-0068": "PM-0243", "F6-0102": "PM-0215"}  # maternal aunts, mtDNA typed
UNRELATED = ["PM-0005", "PM-0015"]


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.VESTIGE_TASKS_INLINE = True


def _rows(path: Path, keep: set[str]) -> str:
    lines = path.read_text().splitlines()
    return "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",", 1)[0] in keep]) + "\n"


@pytest.fixture
def grave(users, admin, site, tmp_path):
    liaison, dna = users["family_liaison"], users["dna_analyst"]
    folder = tmp_path / "families"
    folder.mkdir()
    for f in FAMILIES:
        shutil.copy(CASE / "families" / f"{f}.json", folder)
    assert main(["missing", "import-pedigrees", str(folder), "--as", liaison.username]) == 0
    refs = {json.loads((folder / f"{f}.json").read_text())["members"][i]["sample"]
            for f in FAMILIES for i, m in enumerate(json.loads((folder / f"{f}.json").read_text())["members"])
            if m.get("sample")}
    (tmp_path / "refs.csv").write_text(_rows(CASE / "profiles.csv", refs))
    assert main(["missing", "import-references", str(tmp_path / "refs.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    bodies = set(FAMILIES.values()) | set(UNRELATED)
    sexes = dict(csv.reader(io.StringIO((CASE / "remains.csv").read_text().split("\n", 1)[1])))
    for b in sorted(bodies):
        registry.create(admin, Remains, {"body_number": b, "site": site,
                                         "sex": sexes[b] if sexes[b] in ("male", "female") else "undetermined"})
    (tmp_path / "samples.csv").write_text(_rows(CASE / "profiles.csv", bodies))
    assert main(["identify", "import-samples", str(tmp_path / "samples.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    (tmp_path / "y.csv").write_text(_rows(CASE / "y_profiles.csv", refs | bodies))
    (tmp_path / "mt.csv").write_text(_rows(CASE / "mt_profiles.csv", refs | bodies))
    return tmp_path, refs, bodies


def test_lineage_files_import_then_a_run_with_chosen_databases_uses_them(users, grave, capsys):
    tmp, refs, bodies = grave
    dna = users["dna_analyst"]
    # dry run first: nothing stored
    assert main(["identify", "import-lineage", "y", str(tmp / "y.csv"), "--lab", "Y-lab", "--dry-run",
                 "--as", dna.username]) == 0
    assert not LineageProfile.objects.exists()
    for system in ("y", "mt"):
        assert main(["identify", "import-lineage", system, str(tmp / f"{system}.csv"), "--lab", "Lab",
                     "--as", dna.username]) == 0
    held = LineageProfile.objects.filter(system="y")
    assert held.filter(donor__isnull=False).count() >= 3 and held.filter(sample__isnull=False).exists()
    # encrypted at rest: no locus name as the plaintext JSON writes it (a quote is not in the token's
    # base64 alphabet, whereas the three letters DYS turn up in a long token by chance: CI failed so once)
    assert all('"DYS' not in p.data_encrypted for p in LineageProfile.objects.all())
    capsys.readouterr()

    # a run without a database: the profiles are left out, and the run says so
    plain = ident.start_run(dna)
    plain.refresh_from_db()
    assert plain.status == "done", plain.message
    assert any("Y-STR profiles not used: no Y-STR database was chosen" in n for n in plain.inputs["lineage_notes"])
    assert all(not c.systems.get("y") for c in Candidate.objects.filter(run=plain))

    ydb = lineage.add_database(dna, "y", (CASE / "y_database.csv").read_bytes(), "y_database.csv",
                               name="Synthetic Y (distant-references)", population="synthetic",
                               source="../shared/cases/distant-references (simulated)",
                               model=(CASE / "y_mutation_rates.json").read_bytes(), model_name="y_mutation_rates.json")
    assert ydb.rows == 5000 and len(ydb.sha256) == 64
    assert main(["identify", "databases", "add", str(CASE / "mt_database.csv"), "--system", "mt", "--name",
                 "Synthetic mtDNA", "--population", "synthetic", "--source", "simulated", "--model",
                 str(CASE / "mt_mutation_rates.json"), "--as", dna.username]) == 0
    mtdb = HaplotypeDatabase.objects.get(system="mt")
    run = ident.start_run(dna, lineage={"y": ydb.pk, "mt": mtdb.pk})
    run.refresh_from_db()
    assert run.inputs["lineage"]["y"]["population"] == "synthetic" and run.inputs["lineage"]["y"]["rows"] == 5000
    for family, body in FAMILIES.items():
        c = Candidate.objects.get(run=run, remains__body_number=body, missing_person__family__ref=family)
        before = Candidate.objects.filter(run=plain, remains__body_number=body,
                                          missing_person__family__ref=family).first()
        system = "y" if family in ("F6-0003", "F6-0137", "F6-0127") else "mt"
        assert c.systems[system] is not None and c.systems[system] > 1, (family, c.systems)
        # the systems multiply: their log10 LRs add up to the candidate's
        assert sum(v for v in c.systems.values() if v is not None) == pytest.approx(c.log10_lr, rel=1e-9, abs=1e-9)
        assert before is None or c.log10_lr > before.log10_lr


def test_bad_lineage_files_are_refused_with_every_bad_cell(users, grave):
    tmp, refs, bodies = grave
    dna = users["dna_analyst"]
    bad = ("sample,marker,allele1,allele2\nNO-SUCH-CODE,DYS19,14,\nREF-F6-0046-A,DYS19,14,\n"
           "REF-F6-0003-U,DYS19,fourteen,\n")
    with pytest.raises(ImportRejected) as e:
        lineage.import_lineage(dna, "y", io.BytesIO(bad.encode()), "bad-y.csv", lab="L")
    rows = {(r.line, r.value): r.reason for r in e.value.rows}
    assert "no remains sample, body or donor" in rows[(2, "NO-SUCH-CODE")]
    assert "recorded female" in rows[(3, "REF-F6-0046-A")]  # the maternal aunt
    assert any(line == 4 and "fourteen" in reason for (line, _v), reason in rows.items())
    assert not LineageProfile.objects.exists()
    mt_bad = "sample,range,variants\nREF-F6-0046-A,16024-16569,16069Q\n"
    with pytest.raises(ImportRejected) as e:
        lineage.import_lineage(dna, "mt", io.BytesIO(mt_bad.encode()), "bad-mt.csv", lab="L")
    assert "EMPOP" in e.value.rows[0].reason and e.value.rows[0].line == 2
    with pytest.raises(ImportRejected, match="bad row"):
        lineage.import_lineage(dna, "x", io.BytesIO(b"sample,marker\n"), "bad-x.csv", lab="L")
    with pytest.raises(InvalidInput, match="mutation rates"):
        lineage.add_database(dna, "y", (CASE / "y_database.csv").read_bytes(), "y.csv", name="n", population="p",
                             source="s")
    with pytest.raises(InvalidInput) as e:
        lineage.add_database(dna, "mt", b"id,range,variants\nA,16024-16569,16069Q\n", "mt.csv", name="n",
                             population="p", source="s")
    assert e.value.field == "file" and "mt.csv" in e.value.message
    with pytest.raises(NotFound, match="No haplotype database 999"):
        ident.start_run(dna, lineage={"y": 999})


def test_pages_show_each_system_and_the_databases(users, grave, client, login):
    tmp, refs, bodies = grave
    dna = users["dna_analyst"]
    for system in ("y", "mt"):
        lineage.import_lineage(dna, system, io.BytesIO((tmp / f"{system}.csv").read_bytes()), f"{system}.csv", lab="L")
    login(dna)
    page = client.get("/identification/databases/")
    assert page.status_code == 200 and "Y-STR" in page.content.decode()
    bad = client.post("/identification/databases/", {"system": "y", "name": "", "population": "p", "source": "s",
                                                     "file": io.BytesIO(b"id,DYS19\nA,14\n")})
    assert bad.status_code == 400 and not HaplotypeDatabase.objects.exists()
    with (CASE / "y_database.csv").open("rb") as f, (CASE / "y_mutation_rates.json").open("rb") as m:
        ok = client.post("/identification/databases/", {"system": "y", "name": "Synthetic Y", "population": "synthetic",
                                                        "source": "simulated", "file": f, "model": m})
    assert ok.status_code == 302
    ydb = HaplotypeDatabase.objects.get()
    index = client.get("/identification/").content.decode()
    assert 'name="lineage_y"' in index and "Synthetic Y" in index
    started = client.post("/identification/start/", {"site": "", "families": "", "lineage_y": str(ydb.pk)})
    assert started.status_code == 302
    c = Candidate.objects.get(run__current=True, remains__body_number="PM-0174", missing_person__family__ref="F6-0003")
    assert c.systems["y"] > 1 and "mt" not in c.systems  # only the Y database was chosen
    detail = client.get(c.get_absolute_url()).content.decode()
    assert 'id="system-lrs"' in detail and "Y-STR (paternal line)" in detail
    # issue 27: every body the joint engine saw has its "none of the missing" probability, never 1.0
    none = c.run.joint["none"]
    assert none["PM-0174"][0] < 1e-3 and all(p < 1.0 for p, _tol in none.values())
    assert 'id="none-of-the-missing"' in detail
    pdf = client.get(f"/identification/candidates/{c.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
