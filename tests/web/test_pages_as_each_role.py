"""Pages tried as each role would use them (issue 13): forms, charts, uploads, the map, the import
page; each test failed before its fix."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.files import jpeg as _jpeg


def test_charts_keep_svg_numbers_in_ukrainian(login, users, admin, site, remains):
    import re

    from tests.claims.test_claims import make_claim

    analyst = users["analyst"]
    for value, day in ((1, 1), (1250, 9), (447, 23)):
        make_claim(analyst, site, value=value, day=dt.date(2022, 9, day))
    c = login(admin)
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    for url in (f"/sites/{site.ref}/claims/", "/"):
        html = c.get(url).content.decode()
        svgs = re.findall(r"<svg.*?</svg>", html, re.S)
        assert svgs, url
        for svg in svgs:
            # Before: y1="186,0" — a decimal comma in every coordinate, points lost, axes garbled.
            attrs = re.findall(r'\b(?:x|y|x1|x2|y1|y2|cx|cy|r|width|height|dx|dy)="([^"]*)"', svg)
            assert attrs and all(re.fullmatch(r"-?\d+(\.\d+)?", a) for a in attrs), (url, attrs)
    # The axis labels a person reads are in the locale's form (a non-breaking space groups thousands).
    page = c.get(f"/sites/{site.ref}/claims/").content.decode()
    assert re.search(r">1\xa0\d{3}<|>1 \d{3}<", page), "the tick labels are grouped the Ukrainian way"


def test_map_data_names_grave_status_and_keeps_its_colour(login, admin, grave):
    c = login(admin)
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    data = c.get(f"/map/data.geojson?site={grave.site.ref}").json()
    (g,) = [f for f in data["features"] if f["properties"]["kind"] == "grave"]
    assert g["properties"]["status"] == "recorded"
    assert g["properties"]["status_label"] == "Зафіксовано"  # before: the popup showed "(recorded)", a raw code


def test_merging_takes_the_duplicates_empty_family_and_tells_the_kept_record(users):
    from vestige.errors import Conflict
    from vestige.history.models import ChangeRecord
    from vestige.missing import services as missing

    liaison = users["family_liaison"]
    fam_a = missing.create_family(liaison, "Коваленко")
    kept = missing.create_missing_person(liaison, fam_a, {"family_name": "Коваленко", "given_name": "Оксана"})
    fam_b = missing.create_family(liaison, "Kovalenko")
    dup = missing.create_missing_person(liaison, fam_b, {"family_name": "Kovalenko", "given_name": "Oksana"})
    missing.merge(liaison, dup, kept, "reported twice")
    fam_b.refresh_from_db()
    # Before: the duplicate's family stayed on the family list with nobody missing in it.
    assert fam_b.withdrawn and dup.ref in fam_b.withdrawal_reason
    # Before: the kept record's history said nothing about the merge or the other spelling.
    last = ChangeRecord.objects.filter(object_id=str(kept.pk), content_type__model="missingperson").order_by("at").last()
    assert last.changes["merged from"] == [None, dup.ref]
    assert last.changes["alias"] == [None, "Kovalenko Oksana"]

    # References given for a duplicate are not silently orphaned: the merge is refused with the way out.
    fam_c = missing.create_family(liaison, "Шевченко")
    with_refs = missing.create_missing_person(liaison, fam_c, {"family_name": "Шевченко", "given_name": "Петро"})
    missing.add_donor(liaison, fam_c, "F", consent_on=dt.date(2024, 1, 1), sex="male")
    with pytest.raises(Conflict, match="Merge the other way"):
        missing.merge(liaison, with_refs, kept, "")
    with_refs.refresh_from_db()
    assert not with_refs.withdrawn


def test_family_contact_is_shown_to_the_liaison_once_and_recorded(login, users):
    from vestige.history.models import ChangeRecord
    from vestige.missing import services as missing

    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Бондаренко", contact="+380 00 111 2233 (synthetic)")
    c = login(liaison)
    page = c.get(f"/families/{fam.ref}/").content.decode()
    assert "+380 00 111 2233" not in page and "Show family contact" in page
    r = c.post(f"/families/{fam.ref}/contact/")
    # Before: the contact given at registration was never shown anywhere.
    assert r.status_code == 200 and "+380 00 111 2233 (synthetic)" in r.content.decode()
    assert r["Cache-Control"] == "no-store"
    assert ChangeRecord.objects.filter(content_type__model="family", object_id=str(fam.pk), action="viewed").exists()
    assert login(users["analyst"]).post(f"/families/{fam.ref}/contact/").status_code == 403


def test_a_grave_far_from_its_site_is_refused_with_the_likely_slip(admin, site):
    from vestige.errors import InvalidInput
    from vestige.registry import services
    from vestige.registry.models import Grave

    # The site is a 0.01° square at 49.00–49.01 N, 37.00–37.01 E. Before: −49.005 was accepted.
    with pytest.raises(InvalidInput) as exc:
        services.create(admin, Grave, {"site": site, "label": "7", "latitude": -49.005, "longitude": 37.005})
    msg = exc.value.errors["latitude"][0]
    # −49.005 → 49.005 is 10,897 km of latitude away: 98.01° × 111.19 km/° ≈ 10,898 km (less the site's radius).
    assert "from site TST-SITE" in msg and "sign reversed" in msg and "1089" in msg.replace(",", "")
    with pytest.raises(InvalidInput, match="swapped"):
        services.create(admin, Grave, {"site": site, "label": "8", "latitude": 37.005, "longitude": 49.005})
    assert not Grave.objects.filter(label__in=["7", "8"]).exists()
    # Inside the site, or a few hundred metres outside its edge, is a grave at its site.
    services.create(admin, Grave, {"site": site, "label": "9", "latitude": 49.005, "longitude": 37.005})
    services.create(admin, Grave, {"site": site, "label": "10", "latitude": 49.013, "longitude": 37.005})


def test_a_remains_row_reports_every_bad_cell_and_choices_take_their_labels(admin, site, grave):
    import io

    from vestige.errors import ImportRejected
    from vestige.registry.importing import import_file
    from vestige.registry.models import Grave, Remains

    # Line 2: an unknown grave and four other bad cells. Before: only the grave was reported.
    bad = ("body_number,site,grave,sex,age_min,age_max,stature_min_cm,category\n"
           "TST-0100,TST-SITE,999,hermaphrodite,60,40,900,tourist\n")
    with pytest.raises(ImportRejected) as exc:
        import_file(admin, "remains", io.BytesIO(bad.encode()), "r.csv")
    cols = {r.column for r in exc.value.rows if r.line == 2}
    assert {"grave", "sex", "age_max", "stature_min_cm", "category"} <= cols, cols
    sex = next(r for r in exc.value.rows if r.column == "sex")
    assert "female" in sex.reason and "male" in sex.reason  # the valid codes are named
    assert not Remains.objects.filter(body_number="TST-0100").exists()

    # The labels the interface shows are taken as well as the codes, in either language.
    graves = ("site,label,marker_type,status\n"
              "TST-SITE,20,Wooden cross,Recorded\n"
              "TST-SITE,21,ДЕРЕВ'ЯНИЙ ХРЕСТ,exhumed\n")
    import_file(admin, "graves", io.BytesIO(graves.encode()), "g.csv")
    assert list(Grave.objects.filter(label__in=["20", "21"]).order_by("label").values_list("marker_type", "status")) == [
        ("wooden_cross", "recorded"), ("wooden_cross", "exhumed")]


def test_a_form_shows_every_error_at_once(login, users, site):
    c = login(users["investigator"])
    new = c.get("/sites/new/").content.decode()
    # Before: the empty Geometry box was filled with the literal "null".
    assert ">null</textarea>" not in new
    r = c.post("/sites/new/", {"ref": "TST-SITE", "name": "x", "kind": "mass_grave", "discovered_on": "31.02.2022",
                               "point_latitude": "95", "point_longitude": "37.3"})
    errors = r.context["form"].errors
    # Before: only the date was reported; the taken reference and the latitude waited for the next try.
    assert "discovered_on" in errors
    assert "ref" in errors and "already exists" in str(errors["ref"])
    assert "latitude 95" in str(errors["geometry"])
    assert "null" not in r.content.decode().split('name="geometry"')[1].split("</textarea>")[0]


def test_login_is_reachable_at_slash_login(client):
    r = client.get("/login/?next=/remains/")
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=/remains/"


def test_upload_says_what_became_of_each_file_and_a_wrong_hash_on_a_held_file_is_flagged(login, users):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from vestige.evidence.models import EvidenceItem

    c = login(users["investigator"])
    data = _jpeg(1)
    post = lambda **kw: c.post("/evidence/upload/", {"files": [SimpleUploadedFile("a.jpg", data)], **kw},  # noqa: E731
                               HTTP_ACCEPT="application/json").json()["results"][0]
    first = post(source="first", source_hash=hashlib.sha256(data).hexdigest())
    assert first["outcome"] == "new" and "received as" in first["message"]
    again = post(source="second", source_hash=hashlib.md5(data).hexdigest())
    assert again["outcome"] == "held" and again["ref"] == first["ref"]
    wrong = post(source="third", source_hash="0" * 64)
    # Before: a wrong hash on a file already held was recorded with no failed step.
    assert wrong["outcome"] == "mismatch" and "does not match" in wrong["message"]
    item = EvidenceItem.objects.get(ref=first["ref"])
    assert [s["step"] for s in item.failed_steps] == ["source hash"] and "third" in item.failed_steps[0]["error"]
    assert item.events.filter(kind="step_failed").count() == 1
    # Every input of the upload form has its label (before: none was associated).
    import re
    page = c.get("/evidence/upload/").content.decode()
    ids = set(re.findall(r'<input id="([^"]+)"', page))
    assert len(ids) >= 10 and ids <= set(re.findall(r'<label for="([^"]+)"', page))
    # The thumbnail is named after its original and takes no number of the register.
    second = c.post("/evidence/upload/", {"files": [SimpleUploadedFile("b.jpg", _jpeg(2))]},
                    HTTP_ACCEPT="application/json").json()["results"][0]
    n1, n2 = int(first["ref"][3:]), int(second["ref"][3:])
    assert n2 == n1 + 1  # before: the thumbnail of the first took the number between them
    assert EvidenceItem.objects.get(ref=first["ref"]).derivatives.get().ref == first["ref"] + "-T1"


@pytest.mark.parametrize("tag, expected", [
    ("+49.1790+037.2450/", (49.179, 37.245)),            # what phones write (the example)
    ("+49.1790+037.2450+125.300/", (49.179, 37.245)),    # with altitude
    ("-33.8688+151.2093/", (-33.8688, 151.2093)),
    # Degrees and minutes: +4910.74 = 49° 10.74′ = 49 + 10.74/60 = 49.179; +03714.70 = 37 + 14.7/60 = 37.245.
    ("+4910.74+03714.70/", (49.179, 37.245)),
    # Degrees, minutes, seconds: +491044.4 = 49 + 10/60 + 44.4/3600 = 49.179; +0371442 = 37 + 14/60 + 42/3600 = 37.245.
    ("+491044.4+0371442/", (49.179, 37.245)),
    ("not a place", None), ("+95.0+037.0/", None), ("", None),
])
def test_iso6709_locations_are_read(tag, expected):
    from vestige.media.geo import parse_iso6709

    got = parse_iso6709(tag)
    assert got == expected if expected is None else got == pytest.approx(expected, abs=1e-6)


def test_evidence_page_shows_metadata_and_custody_readably(login, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = login(users["investigator"])
    ref = c.post("/evidence/upload/", {"files": [SimpleUploadedFile("a.jpg", _jpeg(3))], "source": "field team"},
                 HTTP_ACCEPT="application/json").json()["results"][0]["ref"]
    html = c.get(f"/evidence/{ref}/").content.decode()
    meta = html.split('id="metadata"')[1].split("</dl>")[0]
    # Before: "taken_at None", "latitude None" ... and keys as codes.
    assert "None" not in meta and "taken_at" not in meta and "width (px)" in meta
    custody = html.split('id="custody"')[1].split("</table>")[0]
    # Each event reads as a line (who, what, the file's name); the canonical JSON is folded away.
    assert "investigator" in custody and "file “a.jpg”" in custody and "<details>" in custody


def test_import_page_offers_each_role_its_kinds_keeps_a_dry_run_and_gives_templates(login, users, site):
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile

    from vestige.registry.models import Grave

    c = login(users["investigator"])
    page = c.get("/import/").content.decode()
    offered = set(re.findall(r'<option value="(\w+)"', page.split('id="id_kind"')[1].split("</select>")[0]))
    # before: "Missing persons" too, which the investigator may not import; sites and graves from GIS
    # files (issue 28) are theirs to import
    assert offered == {"graves", "gis"}
    template = c.get("/import/template/graves.csv")
    assert template.content.decode().startswith("site,label,marker_type")
    # A dry run keeps the file: the import that follows needs no second choice of it.
    r = c.post("/import/", {"kind": "graves", "dry_run": "on",
                            "file": SimpleUploadedFile("g.csv", b"site,label,marker_type\nTST-SITE,5,Wooden cross\n")})
    staged = re.search(r'name="staged" value="([^"]+)"', r.content.decode()).group(1)
    assert not Grave.objects.filter(label="5").exists()
    r = c.post("/import/", {"kind": "graves", "staged": staged})
    assert Grave.objects.get(site=site, label="5").marker_type == "wooden_cross"
