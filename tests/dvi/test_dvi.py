"""DVI records through the services, the CLI and the board: role rules, history, implants,
ACE-V, the INTERPOL primary-identifier rule, the two-person decision, stats, import, exchange."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from vestige.cli import main
from vestige.dvi import board, exchange
from vestige.dvi import services as dvi
from vestige.dvi.importing import import_dental, import_records
from vestige.dvi.models import Comparison, DentalChart, MedicalFinding
from vestige.errors import Conflict, ImportRejected, InvalidInput, PermissionDenied
from vestige.history.models import ChangeRecord
from vestige.identification import services as ident
from vestige.missing import services as missing
from vestige.registry import services as registry
from vestige.registry.models import Remains

AM_TEETH = {"16": {"state": "crown", "root_canal": True}, "26": {"state": "filled", "surfaces": "MO"},
            "36": {"state": "missing"}, "46": {"state": "filled", "surfaces": "O", "material": "amalgam"},
            "11": {"state": "sound"}}
PM_TEETH = {"16": {"state": "crown", "root_canal": True}, "26": {"state": "filled", "surfaces": "MOD"},
            "36": {"state": "missing_am"}, "46": {"state": "filled", "surfaces": "O", "material": "amalgam"},
            "11": {"state": "missing_pm"}, "17": {"state": "filled", "surfaces": "O"}}


@pytest.fixture
def pair(users, admin, site):
    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Коваль")
    mp = missing.create_missing_person(liaison, fam, {"family_name": "Коваль", "given_name": "Петро", "sex": "male",
                                                      "birth_date": dt.date(1970, 3, 1)})
    other = missing.create_missing_person(liaison, fam, {"family_name": "Коваль", "given_name": "Олег", "sex": "male"})
    r = registry.create(admin, Remains, {"body_number": "D-1", "site": site, "sex": "male", "age_min": 45,
                                         "age_max": 60})
    return mp, other, r


@pytest.fixture
def charted(users, pair):
    mp, other, r = pair
    dvi.save_chart(users["family_liaison"], mp, AM_TEETH, charted_on=dt.date(2019, 5, 1), source="Dr. Test, clinic")
    dvi.save_chart(users["family_liaison"], other, {"16": {"state": "sound"}, "26": {"state": "sound"},
                                                    "36": {"state": "sound"}})
    dvi.save_chart(users["forensic_examiner"], r, PM_TEETH, charted_on=dt.date(2022, 9, 20))
    return pair


def test_am_data_by_the_liaison_pm_data_by_the_examiner(users, pair):
    mp, _other, r = pair
    with pytest.raises(PermissionDenied):
        dvi.save_chart(users["forensic_examiner"], mp, AM_TEETH)
    with pytest.raises(PermissionDenied):
        dvi.save_chart(users["family_liaison"], r, PM_TEETH)
    with pytest.raises(PermissionDenied):
        dvi.add_record(users["analyst"], "effects", r, {"category": "watch", "description": "steel watch"})
    dvi.add_record(users["forensic_examiner"], "effects", r, {"category": "watch", "description": "steel watch"})
    dvi.add_record(users["family_liaison"], "marks", mp, {"kind": "tattoo", "region": "left_arm",
                                                          "description": "anchor"})
    with pytest.raises(PermissionDenied):
        dvi.record_comparison(users["family_liaison"], "dental", r, mp, "possible")


def test_a_bad_chart_names_the_tooth_and_writes_nothing(users, pair):
    mp, _other, _r = pair
    with pytest.raises(InvalidInput, match="tooth 26: surface 'X'") as e:
        dvi.save_chart(users["family_liaison"], mp, {"16": {"state": "sound"}, "26": {"state": "filled",
                                                                                     "surfaces": "MX"}})
    assert e.value.field == "teeth.26.surfaces"
    with pytest.raises(InvalidInput, match="only used in a post-mortem chart"):
        dvi.save_chart(users["family_liaison"], mp, {"16": {"state": "missing_pm"}})
    assert not DentalChart.objects.exists()


def test_chart_changes_are_in_the_owners_history_tooth_by_tooth(users, charted):
    mp, _other, _r = charted
    teeth = dict(AM_TEETH, **{"46": {"state": "crown"}})
    dvi.save_chart(users["family_liaison"], mp, teeth, charted_on=dt.date(2019, 5, 1), source="Dr. Test, clinic")
    last = ChangeRecord.objects.filter(object_id=mp.pk, changes__has_key="dental chart (AM): teeth").order_by("-id")
    before, after = last.first().changes["dental chart (AM): teeth"]
    assert before == {"46": {"state": "filled", "surfaces": "O", "material": "amalgam"}}
    assert after == {"46": {"state": "crown"}}
    assert DentalChart.objects.filter(missing_person=mp).count() == 1


def test_dental_match_ranks_the_right_person_first_with_its_tooth_table(users, charted, capsys):
    mp, other, r = charted
    rows = dvi.dental_matches(users["forensic_examiner"], remains="D-1")
    cands = rows[0]["candidates"]
    assert [c["missing_person"] for c in cands] == [mp.ref, other.ref]
    best = cands[0]
    # 16 crown+RCT, 36 missing, 46 filled O amalgam concordant; 26 MO→MOD explainable; 11 lost after
    # death explainable; 17 only PM: not compared.
    assert (best["concordant"], best["explainable"], best["incompatible"]) == (3, 2, 0)
    assert {t["tooth"]: t["verdict"] for t in best["teeth"]}["26"] == "explainable"
    # The other brother: 16 sound → crown and 26 sound → filled are explainable, 36 sound → missing too.
    assert cands[1]["incompatible"] == 0 and cands[1]["score"] < best["score"]
    assert main(["dvi", "dental-match", "--remains", "D-1", "--json", "--as", "u-forensic_examiner"]) == 0
    out = json.loads(capsys.readouterr().out.splitlines()[0])
    assert out["remains"] == "D-1" and out["candidates"][0]["missing_person"] == mp.ref
    assert main(["dvi", "dental-match", "--remains", "NOPE", "--as", "u-forensic_examiner"]) != 0
    assert "No remains NOPE" in capsys.readouterr().err


def test_implant_serials_match_in_normalised_form(users, pair):
    mp, other, r = pair
    dvi.add_record(users["family_liaison"], "medical", mp, {"kind": "implant", "region": "right_leg",
                                                            "maker": "Zimmer", "serial": "S/N 12-AB.3456"})
    dvi.add_record(users["family_liaison"], "medical", other, {"kind": "implant", "maker": "Zimmer",
                                                               "serial": "99-XYZ"})
    # The PM form typed Cyrillic А and В, spaces instead of dashes.
    dvi.add_record(users["forensic_examiner"], "medical", r, {"kind": "implant", "region": "right_leg",
                                                              "maker": "ZIMMER", "serial": "12 АВ 3456"})
    assert dvi.serial_key("S/N 12-AB.3456") == dvi.serial_key("12 АВ 3456") == "12AB3456"
    rows = dvi.implant_matches(users["forensic_examiner"])
    assert [(x["remains"], x["missing_person"], x["makers_agree"]) for x in rows] == [("D-1", mp.ref, True)]
    assert dvi.implant_conflicts(r, other)  # both record serials, none agree
    assert not dvi.implant_conflicts(r, mp)
    with pytest.raises(InvalidInput, match="serial number"):
        dvi.add_record(users["forensic_examiner"], "medical", r, {"kind": "implant"})
    assert MedicalFinding.objects.filter(side="pm").count() == 1


def test_ace_v_a_conclusion_is_verified_by_a_second_examiner(users, make_user, charted):
    mp, _other, r = charted
    first, second = users["forensic_examiner"], make_user("forensic_examiner", "odontologist-2")
    c = dvi.record_comparison(first, "dental", r, mp, "identification", note="3 concordant restorations")
    assert c.figures["concordant"] == 3 and c.figures["incompatible"] == 0
    with pytest.raises(PermissionDenied, match="second examiner"):
        dvi.verify_comparison(first, c, True)
    with pytest.raises(InvalidInput, match="why"):
        dvi.verify_comparison(second, c, False)
    dvi.verify_comparison(second, c, True, "agree")
    with pytest.raises(Conflict, match="already"):
        dvi.verify_comparison(second, c, True)
    with pytest.raises(InvalidInput, match="basis"):
        dvi.record_comparison(first, "fingerprints", r, mp, "exclusion")
    with pytest.raises(Conflict, match="both charts"):
        dvi.record_comparison(first, "dental", r, _other_without_chart(users), "possible")


def _other_without_chart(users):
    fam = missing.create_family(users["family_liaison"], "No chart")
    return missing.create_missing_person(users["family_liaison"], fam, {"family_name": "X", "given_name": "Y"})


def test_the_board_needs_a_verified_primary_identifier_then_two_people(users, make_user, charted):
    mp, _other, r = charted
    examiner, second, dna = users["forensic_examiner"], make_user("forensic_examiner", "odontologist-2"), \
        users["dna_analyst"]
    # An implant alone is secondary: it never establishes identity.
    dvi.add_record(users["family_liaison"], "medical", mp, {"kind": "implant", "maker": "Zimmer", "serial": "Z1"})
    dvi.add_record(examiner, "medical", r, {"kind": "implant", "maker": "Zimmer", "serial": "Z1"})
    b = board.board(examiner, r, mp)
    assert b["established_by"] == [] and b["implants"]
    with pytest.raises(Conflict, match="No primary identifier"):
        board.propose(examiner, r, mp, "implant")
    c = dvi.record_comparison(examiner, "dental", r, mp, "identification", note="restorations concordant")
    with pytest.raises(Conflict, match="No primary identifier"):  # not yet verified
        board.propose(examiner, r, mp, "dental")
    dvi.verify_comparison(second, c, True)
    b = board.board(examiner, r, mp)
    assert b["established_by"] == ["dental"] and b["dental"].counts["concordant"] == 3
    ident_ = board.propose(examiner, r, mp, board.default_basis(b))
    assert ident_.identified_by == "dental" and ident_.posterior is None and ident_.candidate is None
    assert ident_.identifiers["dental"]["concordant"] == 3
    with pytest.raises(PermissionDenied, match="second person"):
        ident.decide(examiner, ident_, True)
    with pytest.raises(PermissionDenied):
        ident.decide(users["family_liaison"], ident_, True)  # not a board member
    ident.decide(dna, ident_, True, "board agrees")
    r.refresh_from_db()
    mp.refresh_from_db()
    assert r.status == "identified" and mp.status == "identified"
    stats = ident.stats()
    assert stats["identified_by"] == {"dna": 0, "dental": 1, "fingerprints": 0, "combined": 0}


def test_conflicts_must_be_explained_and_exclusions_block(users, make_user, charted):
    mp, _other, r = charted
    examiner, second = users["forensic_examiner"], make_user("forensic_examiner", "examiner-2")
    registry.update(users["administrator"], r, {"sex": "female"})
    r.refresh_from_db()
    c = dvi.record_comparison(examiner, "dental", r, mp, "identification", note="x")
    dvi.verify_comparison(second, c, True)
    with pytest.raises(InvalidInput, match="Explain the conflicts") as e:
        board.propose(examiner, r, mp, "dental")
    assert e.value.field == "conflicts_explained"
    ex = dvi.record_comparison(second, "fingerprints", r, mp, "exclusion", note="AFIS: different pattern")
    with pytest.raises(Conflict, match="exclusion"):
        board.propose(examiner, r, mp, "dental", conflicts_explained="sex estimate wrong")
    assert Comparison.objects.filter(pk=ex.pk, verification="pending").exists()


def test_csv_imports_report_every_bad_cell_and_write_all_or_nothing(users, pair):
    mp, _other, r = pair
    bad = (f"owner,tooth,state,surfaces\n{mp.ref},16,crown,\n{mp.ref},19,sound,\nMP-NOPE,11,sound,\n"
           f"{mp.ref},26,filled,MX\n").encode()
    with pytest.raises(ImportRejected) as e:
        import_dental(users["family_liaison"], "am", io.BytesIO(bad), "am.csv")
    got = {(x.line, x.column) for x in e.value.rows}
    assert got == {(3, "tooth"), (4, "owner"), (5, "surfaces")}
    assert not DentalChart.objects.exists()
    good = f"owner,tooth,state,surfaces,charted_on\n{mp.ref},16,crown,,2019-05-01\n{mp.ref},26,filled,MO,\n".encode()
    rep = import_dental(users["family_liaison"], "am", io.BytesIO(good), "am.csv")
    assert rep.created == 1 and dvi.chart_of(mp).teeth["26"] == {"state": "filled", "surfaces": "MO"}
    with pytest.raises(PermissionDenied):
        import_dental(users["family_liaison"], "pm", io.BytesIO(good), "pm.csv")
    recs = ("owner,section,kind,region,description,serial\n"
            f"{r.body_number},effects,watch,,steel watch,\n{r.body_number},marks,tattoo,elbow,anchor,\n"
            f"{r.body_number},medical,implant,right_leg,,\n").encode()
    with pytest.raises(ImportRejected) as e:
        import_records(users["forensic_examiner"], "pm", io.BytesIO(recs), "pm.csv")
    assert {(x.line, x.column) for x in e.value.rows} == {(3, "region"), (4, "serial")}


def test_exchange_round_trip_and_a_second_import_changes_nothing(users, charted, tmp_path, capsys):
    mp, _other, r = charted
    dvi.add_record(users["forensic_examiner"], "effects", r, {"category": "jewellery", "description": "gold ring"})
    data = exchange.export(users["administrator"])
    assert data["format"] == "vestige-dvi-exchange" and data["version"] == 1
    am = {e["ref"]: e for e in data["ante_mortem"]}
    assert am[mp.ref]["dental"]["teeth"]["26"] == {"state": "filled", "surfaces": "MO"}
    pm = {e["body_number"]: e for e in data["post_mortem"]}
    assert pm["D-1"]["effects"] == [{"category": "jewellery", "description": "gold ring", "photo": None}]
    counts = exchange.load(users["administrator"], json.dumps(data))
    assert counts["charts"] == 0 and counts["records"] == 0 and counts["unchanged"] >= 4
    data["post_mortem"][0]["effects"].append({"category": "watch", "description": "steel watch"})
    assert exchange.load(users["administrator"], data)["records"] == 1
    data["ante_mortem"][0]["ref"] = "MP-99999"
    with pytest.raises(InvalidInput, match=r"ante_mortem\[0\]"):
        exchange.load(users["administrator"], data)
    with pytest.raises(InvalidInput, match="Not a Vestige DVI exchange"):
        exchange.load(users["administrator"], b'{"format": "other"}')
    out = tmp_path / "x.json"
    assert main(["dvi", "export", "--out", str(out), "--as", "u-administrator"]) == 0
    assert main(["dvi", "load", str(out), "--as", "u-administrator"]) == 0
    assert "0 charts and 0 records written" in capsys.readouterr().out


def test_pages_record_a_chart_compare_and_decide_at_the_board(users, make_user, charted, client):
    mp, _other, r = charted
    liaison, examiner = users["family_liaison"], users["forensic_examiner"]
    client.force_login(liaison)
    page = client.get(f"/dvi/am/{mp.ref}/")
    assert page.status_code == 200 and b'class="odontogram"' in page.content and b'data-tooth="16"' in page.content
    # A bad tooth: the form comes back with the error and the values typed, nothing saved.
    bad = client.post(f"/dvi/am/{mp.ref}/chart/", {"t16_state": "crown", "t26_state": "filled", "t26_surfaces": "MQ",
                                                    "charted_on": "2019-05-01"})
    assert bad.status_code == 400 and b"surface &#x27;Q&#x27;" in bad.content and b'value="MQ"' in bad.content
    assert dvi.chart_of(mp).teeth["26"] == {"state": "filled", "surfaces": "MO"}  # unchanged
    ok = client.post(f"/dvi/am/{mp.ref}/chart/", {**{f"t{t}_state": e["state"] for t, e in AM_TEETH.items()},
                                                   "t26_surfaces": "MO", "t46_surfaces": "O", "t46_material": "amalgam",
                                                   "t16_rc": "1", "charted_on": "2019-05-01", "source": "Dr. Test"})
    assert ok.status_code == 302 and dvi.chart_of(mp).teeth["16"] == {"state": "crown", "root_canal": True}
    assert client.post(f"/dvi/am/{mp.ref}/add/marks/", {"kind": "tattoo", "region": "left_arm",
                                                         "description": "anchor"}).status_code == 302
    assert client.get(f"/dvi/pm/{r.pk}/chart/").status_code == 403  # PM data is the examiner's
    client.force_login(examiner)
    assert client.post(f"/dvi/pm/{r.pk}/add/effects/", {"category": "watch", "description": "steel"}).status_code == 302
    pm_page = client.get(f"/dvi/pm/{r.pk}/")
    assert mp.ref.encode() in pm_page.content and b"dental-candidates" in pm_page.content
    board_url = f"/dvi/board/{r.pk}/{mp.ref}/"
    client.post(board_url, {"action": "compare", "method": "dental", "conclusion": "identification",
                            "note": "three restorations"})
    c = Comparison.objects.get(remains=r, missing_person=mp)
    page = client.get(board_url)
    assert b'data-verdict="explainable"' in page.content and b"tooth-table" in page.content
    assert b"propose-form" not in page.content  # not verified yet
    second = make_user("forensic_examiner", "examiner-2")
    client.force_login(second)
    client.post(f"/dvi/comparisons/{c.pk}/verify/", {"decision": "agree"})
    client.post(board_url, {"action": "propose", "basis": "dental"})
    proposal = r.identifications.get()
    assert proposal.identified_by == "dental"
    client.force_login(users["dna_analyst"])
    resp = client.post(f"/identification/decisions/{proposal.pk}/decide/", {"decision": "confirm"})
    assert resp.status_code == 302 and resp["Location"] == board_url
    proposal.refresh_from_db()
    assert proposal.status == "confirmed"
    pdf = client.get(f"/dvi/board/{r.pk}/{mp.ref}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from tests.files import pdf_text as _pdf_text
    text = _pdf_text(client.get(f"/dvi/am/{mp.ref}/form.pdf").content)
    assert "Коваль Петро" in text and "E. Dental" in text and "crown, root canal" in text
    text = _pdf_text(client.get(f"/dvi/pm/{r.pk}/form.pdf").content)
    assert "D-1" in text and "steel" in text and "DNA samples: 0" in text
    assert client.get("/dvi/").status_code == 200
    exported = client.get("/dvi/exchange.json")
    assert exported.status_code == 200 and json.loads(exported.content)["format"] == "vestige-dvi-exchange"


def test_api_chart_records_matches_board_and_errors_in_the_envelope(users, make_user, pair, client, api_token):
    mp, _other, r = pair
    liaison = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['family_liaison'])}"}
    examiner = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['forensic_examiner'])}"}
    second = {"HTTP_AUTHORIZATION": f"Bearer {api_token(make_user('forensic_examiner', 'examiner-2'))}"}
    put = client.put(f"/api/dvi/am/{mp.ref}/chart", {"teeth": AM_TEETH, "charted_on": "2019-05-01"},
                     content_type="application/json", **liaison)
    assert put.status_code == 200 and put.json()["teeth"]["26"] == {"state": "filled", "surfaces": "MO"}
    bad = client.put(f"/api/dvi/pm/{r.body_number}/chart", {"teeth": {"16": {"state": "gone"}}},
                     content_type="application/json", **examiner)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "teeth.16.state"
    assert client.put(f"/api/dvi/pm/{r.body_number}/chart", {"teeth": PM_TEETH}, content_type="application/json",
                      **liaison).status_code == 403
    client.put(f"/api/dvi/pm/{r.body_number}/chart", {"teeth": PM_TEETH}, content_type="application/json", **examiner)
    add = client.post(f"/api/dvi/pm/{r.body_number}/medical", {"kind": "implant", "maker": "Zimmer",
                                                               "serial": "Z-77"}, content_type="application/json",
                      **examiner)
    assert add.status_code == 201, add.json()
    unknown = client.post(f"/api/dvi/pm/{r.body_number}/tattoos", {}, content_type="application/json", **examiner)
    assert unknown.status_code == 400 and "Unknown section" in unknown.json()["error"]["message"]
    assert client.get("/api/dvi/pm/NOPE", **examiner).status_code == 404
    dental = client.get(f"/api/dvi-matches/dental?remains={r.body_number}", **examiner).json()
    assert dental[0]["candidates"][0]["missing_person"] == mp.ref and dental[0]["candidates"][0]["teeth"]
    c = client.post("/api/dvi-comparisons", {"method": "dental", "remains": r.body_number, "missing_person": mp.ref,
                                             "conclusion": "identification", "note": "x"},
                    content_type="application/json", **examiner).json()
    assert client.post(f"/api/dvi-comparisons/{c['id']}/verify", {"agree": True}, content_type="application/json",
                       **examiner).status_code == 403
    client.post(f"/api/dvi-comparisons/{c['id']}/verify", {"agree": True}, content_type="application/json", **second)
    b = client.get(f"/api/dvi-board/{r.body_number}/{mp.ref}", **examiner).json()
    assert b["established_by"] == ["dental"] and b["dental"]["concordant"] == 3
    p = client.post(f"/api/dvi-board/{r.body_number}/{mp.ref}/propose", {}, content_type="application/json",
                    **examiner)
    assert p.status_code == 201 and p.json()["identified_by"] == "dental"
    assert client.get("/api/dvi-exchange", **examiner).json()["format"] == "vestige-dvi-exchange"


def test_the_import_page_and_api_take_dental_charts(users, pair, client, api_token):
    from django.core.files.uploadedfile import SimpleUploadedFile
    _mp, _other, r = pair
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users['forensic_examiner'])}"}
    bad = client.post("/api/imports/dental_pm", {"file": SimpleUploadedFile("pm.csv", b"owner,tooth,state\nD-1,99,sound\n")},
                      **h)
    assert bad.status_code == 400 and "99" in json.dumps(bad.json())
    ok = client.post("/api/imports/dental_pm", {"file": SimpleUploadedFile(
        "pm.csv", b"owner,tooth,state,surfaces\nD-1,16,crown,\nD-1,26,filled,MOD\n")}, **h)
    assert ok.status_code in (200, 201) and dvi.chart_of(r).teeth["26"]["surfaces"] == "MOD"
    client.force_login(users["family_liaison"])
    page = client.get("/import/")
    assert b"dental_am" in page.content and b"dental_pm" not in page.content  # the liaison's kinds only


def test_distinctive_marks_on_the_same_region_propose_a_candidate(users, pair, client):
    mp, other, r = pair
    liaison, examiner = users["family_liaison"], users["forensic_examiner"]
    dvi.add_record(liaison, "marks", mp, {"kind": "tattoo", "region": "left_arm", "description": "anchor"})
    dvi.add_record(liaison, "marks", other, {"kind": "tattoo", "region": "chest", "description": "rose"})
    dvi.add_record(liaison, "marks", other, {"kind": "scar", "region": "left_arm", "description": "old cut"})
    dvi.add_record(examiner, "marks", r, {"kind": "tattoo", "region": "left_arm", "description": "anchor, faded"})
    dvi.add_record(examiner, "marks", r, {"kind": "scar", "region": "left_arm", "description": "scar"})
    rows = dvi.mark_matches(examiner)
    assert [(x["remains"], x["missing_person"], x["kind"]) for x in rows] == [("D-1", mp.ref, "tattoo")]
    assert "anchor" in rows[0]["basis"]
    b = board.board(examiner, r, mp)
    assert b["established_by"] == [] and any(s["what"] == "mark" for s in b["secondary"])
    client.force_login(examiner)
    page = client.get(f"/dvi/pm/{r.pk}/")
    assert b'data-region="left_arm" data-marked="1"' in page.content and b"mark-matches" in page.content
    assert b'data-region="chest" data-marked' not in page.content
