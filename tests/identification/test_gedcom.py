"""Issue 28, part 2 (in part): a GEDCOM family tree (the GEDCOM 5.5.5 specification's own sample,
../shared/data/fixtures/gedcom/555SAMPLE.GED) imports as a pedigree — individuals, sexes, the dead,
and biological parents only: Joe is Robert and Mary Ann's son by birth and Robert's alone by adoption
(FAMC @F2@ PEDI adopted), so his parents are I1 and I2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from vestige.errors import ImportRejected
from vestige.missing.models import Family
from vestige.missing.pedigrees import import_pedigrees

GED = Path(__file__).resolve().parents[3] / "shared" / "data" / "fixtures" / "gedcom" / "555SAMPLE.GED"


def test_the_gedcom_sample_imports_with_biological_parents_only(users):
    if not GED.exists():
        pytest.skip("the GEDCOM fixture is not beside the project")
    liaison = users["family_liaison"]
    report = import_pedigrees(liaison, [("WILLIAMS-555.ged", GED.read_bytes())])
    assert report.errors == []
    fam = Family.objects.get(ref="WILLIAMS-555")
    members = {m.code: m for m in fam.members.all()}
    assert set(members) == {"I1", "I2", "I3"}
    joe = members["I3"]
    assert joe.father.code == "I1" and joe.mother.code == "I2" and joe.sex == "male"
    assert members["I1"].deceased and not members["I2"].deceased and members["I2"].sex == "female"
    assert "Robert Eugene Williams" in members["I1"].label and "1822" in members["I1"].label


def test_not_a_gedcom_file_is_refused_by_line(users):
    with pytest.raises(ImportRejected) as e:
        import_pedigrees(users["family_liaison"], [("x.ged", b"HEAD\nnot gedcom\n")])
    assert e.value.rows[0].line == 1


def test_pedtools_tables_in_and_out(users, client, login):
    """pedtools' `id fid mid sex` (writePed's tab-separated table; sex 1/2/0, founders' parents 0)."""
    liaison = users["family_liaison"]
    ped = b"id\tfid\tmid\tsex\nF\t0\t0\t1\nM\t0\t0\t2\nS1\tF\tM\t1\nS2\tF\tM\t2\n"
    report = import_pedigrees(liaison, [("PED-7.ped", ped)])
    assert report.errors == [], report.errors
    fam = Family.objects.get(ref="PED-7")
    s2 = fam.members.get(code="S2")
    assert (s2.father.code, s2.mother.code, s2.sex) == ("F", "M", "female")
    login(liaison)
    out = client.get(f"/families/{fam.ref}/pedigree.ped")
    assert out.status_code == 200
    lines = out.content.decode().splitlines()
    assert lines[0] == "id\tfid\tmid\tsex" and sorted(lines[1:]) == sorted(ped.decode().splitlines()[1:])


FAMILIAS = Path(__file__).resolve().parents[3] / "shared" / "data" / "familias"


def test_a_familias_dvi_file_imports_its_reference_families(users):
    # planecrash.fam (dvir's data-raw): five reference families, each a typed relative and one
    # missing person ("Missing person" in the pedigree, female by the family's listed template).
    if not FAMILIAS.exists():
        pytest.skip("the Familias files are not beside the project")
    liaison = users["family_liaison"]
    report = import_pedigrees(liaison, [("planecrash.fam", (FAMILIAS / "planecrash.fam").read_bytes())])
    assert report.errors == [], report.errors
    f1 = Family.objects.get(ref="F1")
    members = {m.code: m for m in f1.members.all()}
    mp = members["Missing person"]
    assert mp.father.code == "R1" and mp.sex == "female"
    assert Family.objects.filter(ref__in=["F1", "F2", "F3", "F4", "F5"]).count() == 5
    # a broken file: refused whole, with the file's line
    data = (FAMILIAS / "planecrash.fam").read_bytes().split(b"\n")
    data[3] = b"many"
    with pytest.raises(ImportRejected) as e:
        import_pedigrees(liaison, [("broken.fam", b"\n".join(data))])
    assert e.value.rows[0].line == 4 and "many" in e.value.rows[0].reason


TREE = """0 HEAD
1 GEDC
2 VERS 5.5.5
1 CHAR UTF-8
0 @I1@ INDI
1 NAME Hryhorii /Shevchenko/
1 SEX M
0 @I2@ INDI
1 NAME Kateryna /Shevchenko/
1 SEX F
0 @I3@ INDI
1 NAME Taras /Shevchenko/
1 SEX M
1 BIRT
2 DATE 9 MAR 1980
1 FAMC @F1@
0 @I4@ INDI
1 NAME Olena /Shevchenko/
1 SEX F
1 BIRT
2 DATE 1983
1 FAMC @F1@
0 @F1@ FAM
1 HUSB @I1@
1 WIFE @I2@
1 CHIL @I3@
1 CHIL @I4@
0 TRLR
"""


def test_a_tree_proposes_registered_people_and_places_the_confirmed_one(users):
    """Issue 28, part 2: the tree's people matched to the register by name (any script, either word
    order) and birth date, for the person to confirm; the confirmed one is placed where the tree
    puts them, in their own family. A namesake born another year is not proposed."""
    from vestige.errors import InvalidInput
    from vestige.history.services import history_of
    from vestige.missing import services as missing
    from vestige.missing.models import MissingPerson
    from vestige.missing.pedigrees import parse_match

    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Шевченко")
    taras = missing.create_missing_person(liaison, fam, {"family_name": "Шевченко", "given_name": "Тарас",
                                                         "sex": "male", "birth_date": dt.date(1980, 3, 9)})
    other = missing.create_family(liaison, "Шевченко (Харків)")
    missing.create_missing_person(liaison, other, {"family_name": "Шевченко", "given_name": "Тарас", "sex": "male",
                                                   "birth_date": dt.date(1955, 1, 1)})
    dry = import_pedigrees(liaison, [("shevchenko.ged", TREE.encode())], dry_run=True)
    assert dry.errors == [] and len(dry.notes) == 1, dry.notes
    assert "I3" in dry.notes[0] and taras.ref in dry.notes[0] and fam.ref in dry.notes[0]
    with pytest.raises(ImportRejected) as e:  # confirmed into another family than the person's
        import_pedigrees(liaison, [("shevchenko.ged", TREE.encode())], match={"I3": taras.ref})
    assert e.value.rows[0].column == "missing_ref"
    with pytest.raises(ImportRejected) as e:
        import_pedigrees(liaison, [("shevchenko.ged", TREE.encode())], into=fam.ref, match={"I9": taras.ref})
    assert e.value.rows[0].column == "match"
    report = import_pedigrees(liaison, [("shevchenko.ged", TREE.encode())], into=fam.ref, match={"I3": taras.ref})
    assert report.errors == [] and report.created == 4
    taras = MissingPerson.objects.get(pk=taras.pk)
    assert taras.member.code == "I3" and taras.member.father.code == "I1" and taras.member.mother.code == "I2"
    assert fam.members.filter(code="I4").exists() and MissingPerson.objects.filter(family=fam).count() == 1
    assert any("pedigree place" in h.changes for h in history_of(taras))
    assert parse_match("I3=MP-1; @I7@=MP-2") == {"I3": "MP-1", "I7": "MP-2"}
    with pytest.raises(InvalidInput):
        parse_match("I3 MP-1")
