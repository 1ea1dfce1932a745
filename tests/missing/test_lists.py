"""Reconciling another organisation's list with the register (issue 31, part 3): the import names
every bad cell and stores nothing then; linking proposes, a person decides; decisions are recorded
on the list and on the register record; the pages, the export and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from vestige.errors import Conflict, ImportRejected, InvalidInput, PermissionDenied
from vestige.history.services import history_of
from vestige.missing import lists
from vestige.missing import services as missing
from vestige.missing.models import EntryStatus, ListEntry, ListStatus, MissingPerson, PersonList

pytest.importorskip("splink")

REGISTER = [  # (surname, given, patronymic, sex, born, last seen on, place)
    ("Коваленко", "Олена", "Петрівна", "female", dt.date(1979, 4, 2), dt.date(2022, 4, 10), "Ізюм"),
    ("Шевченко", "Микола", "Іванович", "male", dt.date(1985, 11, 30), dt.date(2022, 3, 15), "Балаклія"),
    ("Бондаренко", "Андрій", "Олегович", "male", dt.date(1968, 6, 1), dt.date(2022, 9, 1), "Куп'янськ"),
]

LIST_CSV = """прізвище,ім'я,по батькові,стать,дата народження,дата зникнення,місце зникнення,військова частина,rank
Kovalenko,Olena,Petrivna,ж,02.04.1979,10.04.2022,Izium,,
Шевченко,Николай,Иванович,м,1985-12-01,,,в/ч А1234,солдат
Ткачук,Василь,,ч,1990,,,,
"""


@pytest.fixture
def register(users):
    liaison = users["family_liaison"]
    out = []
    for surname, given, patronymic, sex, born, seen, place in REGISTER:
        fam = missing.create_family(liaison, f"Family {surname}")
        out.append(missing.create_missing_person(liaison, fam, {
            "family_name": surname, "given_name": given, "patronymic": patronymic, "sex": sex, "birth_date": born,
            "last_seen_on": seen, "last_seen_place": place}))
    return out


def _import(user, text=LIST_CSV, name="nib.csv", **kw):
    info = lists.ListInfo("NIB list 3", "National Information Bureau", case=kw.pop("case", None),
                          threshold=kw.pop("threshold", 0.99))
    return lists.import_list(user, io.BytesIO(text.encode()), name, info, **kw)


def test_a_list_is_stored_as_it_came(users, register):
    report = _import(users["family_liaison"])
    plist = report.person_list
    assert plist.ref == "LIST-0001" and plist.rows == 3 and plist.sha256.startswith("sha256:")
    assert report.extra_columns == ["rank"]
    rows = {e.line: e.fields for e in plist.entries.all()}
    assert rows[2]["family_name"] == "Kovalenko" and rows[2]["birth_date"] == "1979-04-02" and rows[2]["sex"] == "female"
    assert rows[3]["unit"] == "в/ч А1234" and rows[3]["extra"] == {"rank": "солдат"}
    assert rows[4]["birth_date"] == "1990"  # a year alone is kept as a year
    assert [h.changes for h in history_of(plist)][0]["list"][1].startswith("NIB list 3 (National Information Bureau), 3 rows")


def test_bad_cells_are_named_and_nothing_is_stored(users):
    bad = "surname,name,sex,date_of_birth\nA,B,x,1979-04-02\n,C,,\nD,E,f,31.02.1990\n"
    with pytest.raises(ImportRejected) as err:
        _import(users["family_liaison"], bad)
    got = {(r.line, r.column, r.value) for r in err.value.rows}
    assert got == {(2, "sex", "x"), (3, "family_name", ""), (4, "birth_date", "31.02.1990")}
    assert not PersonList.objects.exists() and not ListEntry.objects.exists()
    dry = _import(users["family_liaison"], bad, dry_run=True)
    assert len(dry.errors) == 3 and not PersonList.objects.exists()
    with pytest.raises(ImportRejected) as err:
        _import(users["family_liaison"], "first_name,date_of_birth\nB,1979-04-02\n")
    assert err.value.rows[0].column == "family_name"
    with pytest.raises(InvalidInput):
        _import(users["family_liaison"], "surname\nA\n", name="list.pdf")
    with pytest.raises(PermissionDenied):
        _import(users["dna_analyst"])


def test_an_xlsx_list_reads_like_a_csv(users, register):
    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(LIST_CSV)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    plist = lists.import_list(users["family_liaison"], out, "nib.xlsx", lists.ListInfo("x", "NIB")).person_list
    assert plist.entries.get(line=2).fields["birth_date"] == "1979-04-02"


def test_link_propose_decide(users, register):
    liaison = users["family_liaison"]
    plist = _import(liaison).person_list
    out = lists.link_list(liaison, plist)
    assert out == {"proposals": 2, "rows": 3, "register": 3, "trained": False}
    kovalenko, shevchenko, _b = register
    e2, e3, e4 = plist.entries.order_by("line")
    assert (e2.status, e2.proposed) == (EntryStatus.PROPOSED, kovalenko)  # Latin spelling of the same woman
    assert (e3.status, e3.proposed) == (EntryStatus.PROPOSED, shevchenko)  # Russian forms, born a day off
    assert e3.match_probability >= 0.99
    levels = {c["field"]: c["level"] for c in e3.explanation["comparisons"]}
    assert levels["given_key"].startswith("Exact") and levels["birth_date"] == "within a day"
    assert e4.status == EntryStatus.UNMATCHED and e4.proposed is None

    lists.decide(liaison, e2, "accept", note="same passport number")
    with pytest.raises(Conflict):
        lists.decide(liaison, e2, "reject")
    assert any(h.changes.get("listed in") == [None, "LIST-0001 (National Information Bureau), line 2"]
               for h in history_of(kovalenko))
    lists.decide(liaison, e3, "reject", note="different father")
    created = lists.decide(liaison, e4, "new")
    person = created.person
    assert created.status == EntryStatus.CREATED and person.family_name == "Ткачук" and person.birth_date is None
    assert person.sex == "male" and MissingPerson.objects.count() == 4

    # Relinking leaves decided rows alone; reopening puts a row back.
    lists.link_list(liaison, PersonList.objects.get(pk=plist.pk))
    assert ListEntry.objects.get(pk=e3.pk).status == EntryStatus.REJECTED
    lists.decide(liaison, ListEntry.objects.get(pk=e3.pk), "reopen")
    assert ListEntry.objects.get(pk=e3.pk).status == EntryStatus.PROPOSED
    changes = [h.changes for h in history_of(PersonList.objects.get(pk=plist.pk))]
    assert any("line 3" in c for c in changes) and any("linked" in c for c in changes)
    with pytest.raises(PermissionDenied):
        lists.decide(users["dna_analyst"], e3, "accept")


def test_a_list_is_linked_only_against_its_own_cases_register(users, register):
    from vestige.accounts.services import create_case, create_user

    admin = users["administrator"]
    create_case(admin, "CASE-B", "Another region")
    liaison_b = create_user("b-liaison", "a long enough password 1", "family_liaison", cases=["CASE-B"])
    plist = _import(liaison_b).person_list
    assert plist.case.code == "CASE-B"
    assert lists.link_list(liaison_b, plist)["proposals"] == 0  # case MAIN's register is not theirs
    with pytest.raises(Exception) as err:
        lists.link_list(users["family_liaison"], plist)
    assert type(err.value).__name__ == "NotFound"


def test_the_pages_review_and_export(users, register, client, settings):
    settings.VESTIGE_TASKS_INLINE = True
    liaison = users["family_liaison"]
    client.force_login(liaison)
    page = client.post("/lists/", {"file": io.BytesIO(LIST_CSV.encode()), "name": "NIB list 3",
                                   "source": "NIB", "threshold": "0.99"})
    plist = PersonList.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/lists/{plist.ref}/"
    assert client.post(f"/lists/{plist.ref}/link/", {"threshold": "0.99"}).status_code == 302
    plist.refresh_from_db()
    assert plist.status == ListStatus.LINKED and "2 proposals" in plist.message
    detail = client.get(f"/lists/{plist.ref}/?status=proposed").content.decode()
    assert "Kovalenko" in detail and "Шевченко" in detail and "Ткачук" not in detail
    assert "Ткачук" in client.get(f"/lists/{plist.ref}/?q=Tkachuk").content.decode()  # any script
    review = client.get(f"/lists/{plist.ref}/3/").content.decode()
    assert register[1].ref in review and "within a day" in review and 'id="accept"' in review
    decided = client.post(f"/lists/{plist.ref}/2/", {"decision": "accept", "note": "ok"})
    assert decided.status_code == 302 and decided["Location"] == f"/lists/{plist.ref}/3/"  # the next proposal
    assert client.post(f"/lists/{plist.ref}/3/", {"decision": "accept", "person": "MP-NONE"}).status_code == 302
    assert ListEntry.objects.get(person_list=plist, line=3).status == EntryStatus.PROPOSED  # refused, said
    exported = b"".join(client.get(f"/lists/{plist.ref}/export/?bom=0").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["status"] for r in rows] == ["accepted", "proposed", "unmatched"]
    assert rows[0]["person"] == register[0].ref and rows[0]["decided_by"] == liaison.username
    bad = client.post("/lists/", {"file": io.BytesIO(b"surname,sex\nA,x\n"), "name": "n", "source": "s",
                                  "threshold": "0.99"})
    assert bad.status_code == 400 and "line" in bad.content.decode().lower() and PersonList.objects.count() == 1


def test_the_command_line(users, register, tmp_path, capsys):
    from vestige.cli import main

    path = tmp_path / "nib.csv"
    path.write_text(LIST_CSV)
    me = ["--as", users["family_liaison"].username]
    assert main(["missing", "list-import", str(path), "--source", "NIB", "--dry-run", *me]) == 0
    assert "3 rows are good" in capsys.readouterr().out and not PersonList.objects.exists()
    assert main(["missing", "list-import", str(path), "--source", "NIB", *me]) == 0
    assert main(["missing", "list-link", "LIST-0001", *me]) == 0
    assert "2 proposals for 3 undecided rows" in capsys.readouterr().out
    assert main(["missing", "list-decide", "LIST-0001", "4", "new", *me]) == 0
    assert main(["missing", "list-show", "LIST-0001", "--status", "created", "--out", str(tmp_path / "o.csv"), *me]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 1 and rows[0]["family_name"] == "Ткачук" and rows[0]["person"].startswith("MP-")
    bad = tmp_path / "bad.csv"
    bad.write_text("surname,date_of_birth\nA,1979-13-01\n")
    code = main(["missing", "list-import", str(bad), "--source", "NIB", *me])
    err = capsys.readouterr().err
    assert code != 0 and "line 2" in err and "1979-13-01" in err and "Traceback" not in err


def test_lists_as_other_organisations_head_them(users, register):
    """One name column (ПІБ), English headings of other tools, dates as Excel writes them."""
    liaison = users["family_liaison"]
    text = ("ПІБ,dob,gender,date_missing,place_missing,military_unit\n"
            "Коваленко Олена Петрівна,1979-04-02 00:00:00,жінка,10.04.2022,Ізюм,\n"
            "Шевченко Микола,30/11/1985,M,,,в/ч А1234\n")
    plist = lists.import_list(liaison, io.BytesIO(text.encode()), "icrc.csv", lists.ListInfo("ICRC", "ICRC")).person_list
    rows = {e.line: e.fields for e in plist.entries.all()}
    assert (rows[2]["family_name"], rows[2]["given_name"], rows[2]["patronymic"]) == ("Коваленко", "Олена", "Петрівна")
    assert rows[2]["birth_date"] == "1979-04-02" and rows[2]["sex"] == "female"
    assert rows[2]["disappeared_on"] == "2022-04-10" and rows[2]["disappearance_place"] == "Ізюм"
    assert rows[3]["birth_date"] == "1985-11-30" and rows[3]["unit"] == "в/ч А1234" and rows[3]["sex"] == "male"
    assert lists.link_list(liaison, plist)["proposals"] == 2
    lone = lists.import_list(liaison, io.BytesIO(b"name,born\nBondarenko Andrii Olehovych,01.06.1968\n"),
                             "other.csv", lists.ListInfo("x", "y")).person_list
    f = lone.entries.get().fields
    assert (f["family_name"], f["given_name"], f["patronymic"]) == ("Bondarenko", "Andrii", "Olehovych")


def test_a_list_larger_than_the_upload_limit_is_refused(users, client, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(users["family_liaison"])
    big = io.BytesIO(b"surname\n" + b"Kovalenko\n" * 120_000)  # 1.2 MB
    big.name = "big.csv"
    r = client.post("/lists/", {"file": big, "name": "n", "source": "s", "threshold": "0.99"})
    assert r.status_code == 400 and "larger than 1 MB" in r.content.decode() and not PersonList.objects.exists()
