"""Bulk import: a dry run lists every bad row; a bad file writes nothing; a good one, all of it."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook

from vestige.cli import main
from vestige.errors import ImportRejected, InvalidInput, PermissionDenied
from vestige.history.models import ChangeRecord
from vestige.registry.importing import import_file
from vestige.registry.models import Grave, Remains

GOOD_GRAVES = (
    "site,label,marker_type,inscription,latitude,longitude,expected_occupants,status\n"
    "TST-SITE,1,wooden_cross,No. 1,49.001,37.001,1,recorded\n"
    "TST-SITE,2,plaque,,49.002,37.002,,exhumed\n"
)

BAD_GRAVES = (
    "site,label,marker_type,latitude,longitude,expected_occupants\n"
    "TST-SITE,1,wooden_cross,49.001,37.001,1\n"       # line 2: good
    "NOPE,2,wooden_cross,49.0,37.0,1\n"              # line 3: unknown site
    "TST-SITE,3,stone,49.0,37.0,1\n"                 # line 4: bad marker type
    "TST-SITE,4,none,95.0,37.0,1\n"                  # line 5: latitude out of range
    "TST-SITE,1,none,,,\n"                            # line 6: duplicate of line 2
    "TST-SITE,319,none,,,x\n"                         # line 7: label taken, bad integer
)


def test_good_csv_imports_everything_with_history(admin, site):
    report = import_file(admin, "graves", io.BytesIO(GOOD_GRAVES.encode()), "g.csv")
    assert report.created == 2
    g = Grave.objects.get(site=site, label="2")
    assert g.marker_type == "plaque" and g.status == "exhumed" and g.expected_occupants is None
    assert ChangeRecord.objects.filter(action="imported", object_id=g.pk).exists()


def test_bad_csv_lists_every_bad_row_and_writes_nothing(admin, site, grave):
    before = (Grave.objects.count(), ChangeRecord.objects.count())
    with pytest.raises(ImportRejected) as e:
        import_file(admin, "graves", io.BytesIO(BAD_GRAVES.encode()), "bad.csv")
    found = {(r.line, r.column) for r in e.value.rows}
    assert {(3, "site"), (4, "marker_type"), (5, "latitude"), (6, "label"), (7, "label"),
            (7, "expected_occupants")} <= found
    assert not any(r.line == 2 for r in e.value.rows)
    assert (Grave.objects.count(), ChangeRecord.objects.count()) == before


def test_dry_run_reports_without_writing(admin, site):
    report = import_file(admin, "graves", io.BytesIO(BAD_GRAVES.encode()), "bad.csv", dry_run=True)
    assert not report.ok and len(report.errors) == 5  # lines 3, 4, 5, 6, 7
    ok = import_file(admin, "graves", io.BytesIO(GOOD_GRAVES.encode()), "g.csv", dry_run=True)
    assert ok.ok and ok.rows == 2 and ok.created == 0
    assert Grave.objects.count() == 0


def test_xlsx_import_of_remains(admin, site, grave, exhumation):
    wb = Workbook()
    ws = wb.active
    ws.append(["body_number", "site", "grave", "exhumation", "sex", "age_min", "age_max", "injuries",
               "torture_signs", "category", "recovered_on"])
    import datetime as dt
    ws.append(["X-1", "TST-SITE", 319, "EXH-TST-1", "male", 30, 40, "gunshot;blast", "", "civilian", dt.datetime(2022, 9, 18)])
    ws.append(["X-2", "TST-SITE", None, None, "female", 8, 12, None, "bound_hands", "civilian", None])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    report = import_file(admin, "remains", buf, "remains.xlsx")
    assert report.created == 2
    x1 = Remains.objects.get(body_number="X-1")
    assert x1.grave == grave and x1.injuries == ["gunshot", "blast"] and str(x1.recovered_on) == "2022-09-18"
    assert Remains.objects.get(body_number="X-2").torture_signs == ["bound_hands"]


def test_remains_rules_apply_to_rows(admin, site, remains):
    csv = ("body_number,site,grave,sex,age_min,age_max,stature_min_cm,injuries\n"
           "TST-0001,TST-SITE,,male,,,,\n"        # already in the registry
           "R-2,TST-SITE,404,male,,,,\n"          # no such grave
           "R-3,TST-SITE,,male,50,40,,\n"         # age min > max
           "R-4,TST-SITE,,male,,,20,\n"           # stature out of range
           "R-5,TST-SITE,,male,,,,laser\n")        # unknown injury
    with pytest.raises(ImportRejected) as e:
        import_file(admin, "remains", io.BytesIO(csv.encode()), "r.csv")
    assert {(r.line, r.column) for r in e.value.rows} == {
        (2, "body_number"), (3, "grave"), (4, "age_max"), (5, "stature_min_cm"), (6, "injuries")}
    assert Remains.objects.count() == 1


@pytest.mark.parametrize("content, name, fragment", [
    (b"", "e.csv", "empty"),
    (b"\xff\xfe\x00bad", "x.csv", "not UTF-8"),
    (b"PK\x03\x04garbage", "x.xlsx", "not a readable XLSX"),
    (b"site,label\n", "x.json", "unsupported file type"),
])
def test_unreadable_files_are_refused_clearly(admin, site, content, name, fragment):
    with pytest.raises(InvalidInput) as e:
        import_file(admin, "graves", io.BytesIO(content), name)
    assert fragment in e.value.message


def test_unknown_and_missing_columns(admin, site):
    with pytest.raises(ImportRejected) as e:
        import_file(admin, "graves", io.BytesIO(b"site,colour\nTST-SITE,red\n"), "c.csv")
    assert {(r.column, r.reason.split(";")[0]) for r in e.value.rows} >= {("colour", "unknown column")}
    assert any(r.column == "label" and "missing" in r.reason for r in e.value.rows)


def test_import_needs_the_role(users, site):
    with pytest.raises(PermissionDenied):
        import_file(users["analyst"], "graves", io.BytesIO(GOOD_GRAVES.encode()), "g.csv")


def test_cli_import_exit_codes_and_messages(admin, site, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_GRAVES)
    assert main(["import", "graves", str(bad), "--as", admin.username]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: line 3, column 'site', value 'NOPE': unknown site reference" in err
    assert "error: " in err and Grave.objects.count() == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD_GRAVES)
    assert main(["import", "graves", str(good), "--dry-run", "--as", admin.username, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert Grave.objects.count() == 0
    assert main(["import", "graves", str(good), "--as", admin.username]) == 0
    assert Grave.objects.count() == 2
    assert main(["import", "graves", str(tmp_path / "missing.csv"), "--as", admin.username]) == 3
    assert main(["import", "graves", str(good)]) == 2  # nobody named: refused
    assert "--as USERNAME" in capsys.readouterr().err
