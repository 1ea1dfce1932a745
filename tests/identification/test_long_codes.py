"""Issue 27, part 6: identifiers as labs write them. LIMS and GeneMapper sample names are often
longer than 20 characters (`REF-FAM-0035-pat_grandfather`, 28): family, member, donor and body
codes up to 64 characters import (pedigree JSON, reference and sample files) and identify."""

from __future__ import annotations

import json

import pytest

from tests.identification.test_workflow import child_of, csv_of, drawer, geno, table  # noqa: F401 (fixtures)
from vestige.cli import main
from vestige.identification import services as ident
from vestige.identification.models import Candidate
from vestige.missing.models import Donor, Family
from vestige.registry import services as registry
from vestige.registry.models import Remains


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.VESTIGE_TASKS_INLINE = True


def test_64_character_codes_import_and_identify(users, admin, site, table, drawer, tmp_path):  # noqa: F811
    fam_ref = "FAM-0035-" + "K" * 55  # 64
    father, mother = "REF-FAM-0035-pat_grandfather", "REF-FAM-0035-maternal_grandmother-of-the-missing-man-2"
    body = "IZM-PISH-GRAVE-0415-BODY-0003-" + "B" * 34  # 64
    assert len(fam_ref) == 64 and len(body) == 64 and len(father) == 28
    f, m = drawer.founder(), drawer.founder()
    child = child_of(drawer, f, m)
    members = [{"id": "FATHER-" + "F" * 57, "sex": "male", "sample": father},
               {"id": "M", "sex": "female", "sample": mother},
               {"id": "MISSING-SON", "sex": "male", "father": "FATHER-" + "F" * 57, "mother": "M", "missing": True}]
    folder = tmp_path / "families"
    folder.mkdir()
    (folder / "fam.json").write_text(json.dumps({"family": fam_ref, "members": members}))
    assert main(["missing", "import-pedigrees", str(folder), "--as", users["family_liaison"].username]) == 0
    fam = Family.objects.get(ref=fam_ref)
    assert set(Donor.objects.filter(family=fam).values_list("code", flat=True)) == {father, mother}
    (tmp_path / "refs.csv").write_bytes(csv_of({father: geno(table, f), mother: geno(table, m)}))
    dna = users["dna_analyst"]
    assert main(["missing", "import-references", str(tmp_path / "refs.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    registry.create(admin, Remains, {"body_number": body, "site": site, "sex": "male"})
    (tmp_path / "samples.csv").write_bytes(csv_of({body: geno(table, child)}))
    assert main(["identify", "import-samples", str(tmp_path / "samples.csv"), "--lab", "L", "--kit", "GlobalFiler",
                 "--as", dna.username]) == 0
    run = ident.start_run(dna)
    best = Candidate.objects.get(run=run, remains__body_number=body)
    assert best.missing_person.family == fam and best.posterior > 0.999
