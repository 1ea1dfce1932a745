"""Defects found when the pages were tried as each role would (issue 13), each with the test that
failed before its fix."""

from __future__ import annotations

import datetime as dt

import pytest


def test_audit_since_accepts_day_first_dates_and_refuses_non_dates(login, admin, remains):
    c = login(admin)
    # Before: "01.12.2026" and "2026-13-01" were a bare "Server Error (500)".
    r = c.get("/audit/?since=2026-13-01")
    assert r.status_code == 400
    html = r.content.decode()
    assert "is not a date" in html and "2026-13-01" in html
    everything = c.get("/audit/").context["page"].paginator.count
    assert everything > 0
    # the day-first form Ukrainian users type
    assert c.get("/audit/?since=01.01.2000").context["page"].paginator.count == everything
    assert c.get("/audit/?since=01.01.2999").context["page"].paginator.count == 0
    r = c.get("/audit/export.csv?since=31.02.2026")
    assert r.status_code == 400
    assert "31.02.2026" in r.content.decode() and "is not a date" in r.content.decode()


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
