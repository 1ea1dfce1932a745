"""Issue 11, errors and input: every attack of the list is refused with where and why, nothing
is written, and nothing answers 500. The one error table; exports that cannot run formulas;
references from a counter."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook

from vestige.errors import ImportRejected, InvalidInput, error_table, exit_code, status_for
from vestige.registry import services as registry
from vestige.registry.importing import import_file
from vestige.registry.models import Grave, Remains, Site


def test_one_error_table_for_http_and_exit_codes():
    from vestige import errors
    from vestige.kinship.errors import KinshipInputError
    table = error_table()
    # Every error class of the tree has a row (none falls through to 500).
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.VestigeError)]
    assert all(status_for(c.__new__(c)) != 500 for c in classes)
    assert status_for(errors.IntegrityFailure("x")) == 409 and exit_code(errors.IntegrityFailure("x")) == 6
    assert status_for(errors.ConfigurationError("x")) == 503 and exit_code(errors.ConfigurationError("x")) == 7
    assert status_for(errors.RateLimited("x", retry_after_s=1)) == 429 and exit_code(errors.RateLimited("x", retry_after_s=1)) == 8
    assert status_for(KinshipInputError("f.csv, line 2", "bad")) == 400 and exit_code(KinshipInputError("", "x")) == 2
    assert table[errors.TooLarge] == (413, 2)


def test_kinship_errors_exit_through_the_same_table(tmp_path, capsys):
    from vestige.cli import main
    (tmp_path / "f.csv").write_text("marker,allele,frequency\nD1,10,notanumber\n")
    (tmp_path / "p.csv").write_text("sample,marker,allele1,allele2\nS,D1,10,10\n")
    assert main(["kinship", "search", "--freqs", str(tmp_path / "f.csv"), "--profiles", str(tmp_path / "p.csv"),
                 "--families", str(tmp_path), "--samples", "S"]) == 2
    assert "error:" in capsys.readouterr().err


# --- readers -----------------------------------------------------------------------------

REMAINS_HEADER = "body_number,site,sex,recovered_on\n"


@pytest.mark.parametrize("text, says", [
    (REMAINS_HEADER + 'B-1,TST-SITE,female,2022-09-20\nB-2,TST-SITE,"male,2022-09-20\n', "line 3"),
    (REMAINS_HEADER + "B-1,TST-SITE,female,2022-09-20\nB-2,TST-SI", "truncated"),
    (REMAINS_HEADER + "B-1,TST-SITE,=HYPERLINK(\"http://x\"),2022-09-20\n", "formula"),
    (REMAINS_HEADER + "B-1,TST-SITE,female,2999-01-01\n", "in the future"),
    (REMAINS_HEADER + "B-\u202e1,TST-SITE,female,2022-09-20\n", "bidirectional override"),
    (REMAINS_HEADER + "B-\u20661,TST-SITE,female,2022-09-20\n", "invisible or control character"),
])
def test_bad_csv_is_refused_with_where_and_nothing_written(admin, site, text, says):
    before = Remains.objects.count()
    with pytest.raises((InvalidInput, ImportRejected)) as e:
        import_file(admin, "remains", io.BytesIO(text.encode()), "r.csv")
    where = str(e.value) + " ".join(str(r) for r in getattr(e.value, "rows", []))
    assert says in where, where
    assert Remains.objects.count() == before


def test_xlsx_formula_cells_are_refused_with_line_and_column(admin, site):
    wb = Workbook()
    ws = wb.active
    ws.append(["body_number", "site", "sex"])
    ws.append(["B-1", "TST-SITE", "female"])
    ws.append(["B-2", "TST-SITE", "=A2"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected) as e:
        import_file(admin, "remains", io.BytesIO(buf.getvalue()), "r.xlsx")
    row = e.value.rows[0]
    assert (row.line, row.column, row.value) == (3, "sex", "=A2") and "formula" in row.reason
    assert not Remains.objects.exists()


def test_fields_refuse_future_dates_controls_and_bidi(admin, site, grave):
    with pytest.raises(InvalidInput) as e:
        registry.create(admin, Remains, {"body_number": "B-9", "site": site, "recovered_on": dt.date(2999, 1, 1)})
    assert e.value.field == "recovered_on"
    for bad in ("B\x00-9", "B-\u202e9", " B-9", "B-9\u200b"):
        with pytest.raises(InvalidInput) as e:
            registry.create(admin, Remains, {"body_number": bad, "site": site})
        assert e.value.field == "body_number", bad
    assert not Remains.objects.filter(body_number__contains="9").exists()
    # Free text may hold right-to-left marks, not overrides.
    registry.update(admin, site, {"name": "Site \u200fמקום"})
    with pytest.raises(InvalidInput):
        registry.update(admin, site, {"name": "Site \u202egpj.exe"})


def test_no_new_link_to_a_withdrawn_record(admin, site, other_site, grave):
    registry.withdraw(admin, other_site, "entered twice")
    with pytest.raises(InvalidInput) as e:
        registry.create(admin, Grave, {"site": Site.objects.get(pk=other_site.pk), "label": "77"})
    assert e.value.field == "site" and "withdrawn" in e.value.message
    with pytest.raises(InvalidInput):
        registry.update(admin, grave, {"site": Site.objects.get(pk=other_site.pk)})
    # A record already under a site withdrawn later can still be edited.
    registry.withdraw(admin, site, "moved")
    registry.update(admin, Grave.objects.get(pk=grave.pk), {"inscription": "No. 319"})
    from vestige.errors import InvalidInput as Invalid
    from vestige.evidence import services as evidence
    with pytest.raises(Invalid, match="withdrawn"):
        evidence.ingest(admin, io.BytesIO(b"x"), "x.txt", links={"site": other_site.ref})


@pytest.mark.parametrize("allele", ["<script>", "=1+1", "10 11", "@SUM(A1)"])
def test_allele_labels_must_be_plain(users, allele):
    from vestige.missing import services as missing
    fam = missing.create_family(users["family_liaison"], "Synthetic")
    donor = missing.add_donor(users["family_liaison"], fam, "D1", sex="male", consent_on=dt.date(2024, 1, 1))
    with pytest.raises(InvalidInput, match="not an allele label"):
        missing.add_reference_profile(users["dna_analyst"], donor, {"D3S1358": (allele, "15")}, lab="L", kit="K")
    assert not donor.profiles.exists()


# --- exports ------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3"]


def test_exports_neutralise_formulas(admin, users, site, client, capsys):
    """The attack: body numbers, claim quotes or names starting with = + - @ exported raw."""
    from vestige.cli import main
    from vestige.tables import safe_cell
    for f in FORMULAS:
        registry.create(admin, Remains, {"body_number": f[:32], "site": site})
    client.force_login(admin)
    body = b"".join(client.get("/remains/export.csv").streaming_content).decode()
    import csv
    cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
    for f in FORMULAS:
        assert "'" + f[:32] in cells, f
    assert not any(c.startswith(("=", "@", "+")) for c in cells)
    assert not any(c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit() for c in cells)
    assert safe_cell("-12.5") == "-12.5" and safe_cell("+380 44 000") == "'+380 44 000" and safe_cell("=1") == "'=1"
    from vestige.claims import services as claims
    claims.create_incident(users["investigator"], {"ref": "INC-0009", "kind": "killing", "title": FORMULAS[0],
                                                   "started_on": dt.date(2022, 3, 10)})
    inc = b"".join(client.get("/incidents/export.csv").streaming_content).decode()
    assert "'" + FORMULAS[0] in [c for row in csv.reader(io.StringIO(inc)) for c in row]
    assert main(["claims", "export", "--csv", "--as", admin.username]) == 0
    assert not any(c.startswith("=") for row in csv.reader(io.StringIO(capsys.readouterr().out)) for c in row)


def test_audit_export_changes_are_json(admin, site, client):
    registry.update(admin, site, {"name": "=HYPERLINK(\"x\")"})
    client.force_login(admin)
    import csv
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get("/audit/export.csv").streaming_content).decode())))
    changed = [json.loads(r["changes"]) for r in rows if r["action"] == "updated"]
    assert changed and changed[0]["name"][1] == "=HYPERLINK(\"x\")"  # JSON, not a Python repr; the cell is JSON text
    lines = b"".join(client.get("/audit/export.csv?format=json").streaming_content).decode().splitlines()
    assert all(isinstance(json.loads(x)["changes"], dict) for x in lines)


# --- references ---------------------------------------------------------------------------

def test_references_come_from_a_counter_that_does_not_collide(users, admin):
    from vestige.claims.models import Claim
    from vestige.history.services import next_reference
    from vestige.missing import services as missing
    from vestige.missing.models import Family, MissingPerson
    fam = missing.create_family(users["family_liaison"], "Synthetic", ref="FAM-99999")
    assert missing.create_family(users["family_liaison"], "Next").ref == "FAM-100000"  # sorted as text it was FAM-99999 + 1 → collision
    Family.objects.filter(pk=fam.pk).update(ref="FAM-100001")  # a number typed by hand ahead of the counter
    assert missing.create_family(users["family_liaison"], "Skips").ref == "FAM-100002"
    assert next_reference(Claim, "ref", "CLM-", 4) == "CLM-0001"
    assert next_reference(MissingPerson, "ref", "MP-", 5) == "MP-00001"


def test_references_do_not_race_on_postgresql(transactional_db, users):
    from django.db import connection
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two connections to one server (PostgreSQL)")
    import threading

    from vestige.missing import services as missing
    liaison = users["family_liaison"]
    got, errors = [], []

    def make():
        try:
            for _ in range(10):
                got.append(missing.create_family(liaison, "Race").ref)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)
        finally:
            connection.close()  # each thread's own connection, so the test database can be dropped
    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 40 and len(set(got)) == 40


# --- the API --------------------------------------------------------------------------------

def test_api_errors_are_the_envelope(users, api_token, client):
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['administrator'])}"}
    cases = [
        (client.get("/api/evidence?limit=-5", **h), 400, "limit"),
        (client.post("/api/sites", data="x" * (6 * 1024 * 1024), content_type="application/json", **h), 413, None),
        (client.post("/api/sites", data="{bad json", content_type="application/json", **h), 400, None),
        (client.get("/api/no-such-thing", **h), 404, None),
        (client.delete("/api/stats", **h), 405, None),
    ]
    for r, status, field in cases:
        assert r.status_code == status and r["Content-Type"].startswith("application/json"), (status, r.content[:200])
        err = r.json()["error"]
        assert err["type"] and err["message"] and (field is None or err["field"] == field)


def test_patch_incident_takes_a_json_body(users, api_token, client):
    from vestige.claims import services as claims
    inv = users["investigator"]
    claims.create_incident(inv, {"ref": "INC-0001", "kind": "killing", "title": "Old title",
                                 "started_on": dt.date(2022, 3, 10)})
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(inv)}"}
    r = client.patch("/api/incidents/INC-0001", data=json.dumps({"title": "New title"}),
                     content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["title"] == "New title", r.content
    r = client.patch("/api/incidents/INC-0001", data=json.dumps({"started_on": "2999-01-01"}),
                     content_type="application/json", **h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "started_on"


def _xlsx(rows, fix_dimension: str | None = None) -> bytes:
    wb = Workbook()  # writes the sheet's <dimension>
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if fix_dimension is None:
        return data
    # a workbook without its <dimension> (or with another), as a crafted bomb's would be
    import zipfile
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                import re
                new = f'<dimension ref="{fix_dimension}"/>'.encode() if fix_dimension else b""
                body = re.sub(rb'<dimension ref="[^"]*"\s*/>', new, body)
            z.writestr(item, body)
    return out.getvalue()


def test_row_limits_hold_while_streaming(admin, site, monkeypatch):
    """Issue 24: a 5 MB XLSX of a million rows was read whole (38 s, 420 MB) before MAX_ROWS was
    checked. Now the sheet's declared size, then the rows as they stream, are counted."""
    from vestige import tables

    monkeypatch.setattr(tables, "MAX_ROWS", 50)
    read = []
    real = tables._xlsx_text
    monkeypatch.setattr(tables, "_xlsx_text", lambda v: read.append(v) or real(v))
    rows = [["body_number", "site", "sex"]] + [[f"B-{i}", "TST-SITE", "female"] for i in range(2000)]
    with pytest.raises(InvalidInput, match="has 2000 rows \\(more than 50\\)"):
        import_file(admin, "remains", io.BytesIO(_xlsx(rows)), "r.xlsx")
    assert read == []  # refused from the declared size, before any cell
    with pytest.raises(InvalidInput, match="more than 50 rows"):
        import_file(admin, "remains", io.BytesIO(_xlsx(rows, fix_dimension="")), "r.xlsx")
    assert len(read) <= 3 * 51  # stopped at the limit, not at the end of the sheet
    csv_text = "body_number,site,sex\n" + "".join(f"B-{i},TST-SITE,female\n" for i in range(2000))
    with pytest.raises(InvalidInput, match="more than 50 rows"):
        import_file(admin, "remains", io.BytesIO(csv_text.encode()), "r.csv")
    wide = "body_number," + ",".join(f"c{i}" for i in range(1500)) + "\n"
    with pytest.raises(InvalidInput, match="line 1: more than 1000 columns"):
        import_file(admin, "remains", io.BytesIO(wide.encode()), "r.csv")
    assert not Remains.objects.exists()


def test_a_full_disk_is_said_with_its_exit_code_and_nothing_half_written(users, api_token, client, monkeypatch,
                                                                           tmp_path, capsys):
    """Issue 24: a full disk gave a traceback and exit 1 (not in the exit-code table)."""
    import errno

    from django.core.files.uploadedfile import SimpleUploadedFile

    from vestige.cli import main
    from vestige.evidence import blobstore
    from vestige.evidence.models import EvidenceItem

    inv = users["investigator"]

    def full(stream):
        stream.read(10)
        raise OSError(errno.ENOSPC, "No space left on device", str(blobstore.root() / "tmp" / "incoming-x"))
    monkeypatch.setattr(blobstore, "put", full)
    f = tmp_path / "statement.txt"
    f.write_text("a witness statement")
    assert main(["evidence", "ingest", str(f), "--as", inv.username]) == 9
    assert "No space left on device; nothing was written" in capsys.readouterr().err
    r = client.post("/api/evidence", {"file": SimpleUploadedFile("s.txt", b"a statement")},
                    HTTP_AUTHORIZATION=f"Bearer {api_token(inv)}")
    assert r.status_code == 507 and r.json()["error"]["type"] == "StorageFull"
    assert not EvidenceItem.objects.exists()
