"""HTML pages: forms show field errors, lists filter and export, login is rate-limited."""

from __future__ import annotations

import csv
import io

import pytest

from vestige.accounts.models import LoginFailure
from vestige.registry.models import Remains


def test_invalid_form_shows_field_errors_and_writes_nothing(login, examiner, remains):
    c = login(examiner)
    r = c.post(f"/remains/{remains.pk}/edit/", {
        "body_number": "TST-0001", "site": remains.site.pk, "grave": "319", "sex": "female",
        "age_min": "60", "age_max": "40", "stature_min_cm": "500", "manner_of_death": "pending",
        "category": "civilian", "status": "unidentified"})
    assert r.status_code == 400  # issue 29: a refused form answers 400, with the fields named
    html = r.content.decode()
    assert "The maximum age is below the minimum age." in html or "less than or equal to 250" in html
    remains.refresh_from_db()
    assert remains.age_min == 30


def test_service_rule_errors_land_on_their_field(login, examiner, remains):
    c = login(examiner)
    r = c.post(f"/remains/{remains.pk}/edit/", {
        "body_number": "TST-0001", "site": remains.site.pk, "grave": "404", "sex": "female",
        "age_min": "60", "age_max": "40", "manner_of_death": "pending", "category": "civilian",
        "status": "unidentified"})
    form = r.context["form"]
    assert "grave" in form.errors
    r = c.post(f"/remains/{remains.pk}/edit/", {
        "body_number": "TST-0001", "site": remains.site.pk, "grave": "319", "sex": "female",
        "age_min": "60", "age_max": "40", "manner_of_death": "pending", "category": "civilian",
        "status": "unidentified"})
    assert r.context["form"].errors["age_max"] == ["The maximum age is below the minimum age."]


def test_create_site_from_a_point(login, users):
    c = login(users["investigator"])
    r = c.post("/sites/new/", {"ref": "NEW-1", "name": "New site", "kind": "mass_grave",
                               "point_latitude": "49.2", "point_longitude": "37.3"})
    assert r.status_code == 302 and r["Location"] == "/sites/NEW-1/"
    page = c.get("/sites/NEW-1/").content.decode()
    assert "49.20000, 37.30000" in page and "created" in page


def test_a_date_typed_as_ukrainian_forms_write_it_is_read(login, users):
    # Issue 29, part 3: 15.09.2022 (dd.mm.yyyy) in a Ukrainian interface, the picker's ISO otherwise.
    from vestige.registry.models import Site
    c = login(users["investigator"])
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    r = c.post("/sites/new/", {"ref": "NEW-D", "name": "Dated", "kind": "mass_grave", "point_latitude": "49.2",
                               "point_longitude": "37.3", "discovered_on": "15.09.2022"})
    assert r.status_code == 302, r.context["form"].errors
    assert str(Site.objects.get(ref="NEW-D").discovered_on) == "2022-09-15"
    form = c.get("/sites/new/").content.decode()
    assert 'type="date"' in form  # the browser's date picker
    assert 'class="row required" id="row-ref"' in form and 'class="row" id="row-discovered_on"' in form  # marked


def test_a_time_without_an_offset_is_the_users_local_time():
    # "Received 10:00" typed in Kyiv on 16 September 2022 (summer time, UTC+3) is 07:00 UTC, kept
    # with its offset; a time with an offset is kept as given.
    import datetime as dt

    from vestige.evidence.services import acquired
    t = acquired("2022-09-16T10:00")
    assert t.utcoffset() == dt.timedelta(hours=3)
    assert t.astimezone(dt.UTC) == dt.datetime(2022, 9, 16, 7, 0, tzinfo=dt.UTC)
    assert acquired("2022-09-16T10:00:00Z") == dt.datetime(2022, 9, 16, 10, 0, tzinfo=dt.UTC)


def test_site_form_refuses_bad_geojson(login, users):
    c = login(users["investigator"])
    r = c.post("/sites/new/", {"ref": "NEW-2", "name": "x", "kind": "mass_grave",
                               "geometry": '{"type": "Point", "coordinates": [37, 99]}'})
    assert "latitude 99 is out of range" in str(r.context["form"].errors["geometry"])


def test_list_filter_search_sort_paginate(login, admin, site, settings):
    from vestige.registry import services
    settings.PAGE_SIZE = 3
    for i in range(1, 8):
        services.create(admin, Remains, {"body_number": f"P-{i:02d}", "site": site, "sex": "male" if i < 5 else "female",
                                         "torture_signs": ["fractures"] if i == 6 else []})
    c = login(admin)
    r = c.get("/remains/", {"sex": "male", "sort": "-body_number"})
    assert [o.body_number for o, _ in r.context["rows"]] == ["P-04", "P-03", "P-02"]
    assert r.context["page"].paginator.num_pages == 2
    r = c.get("/remains/", {"sex": "male", "sort": "-body_number", "page": 2})
    assert [o.body_number for o, _ in r.context["rows"]] == ["P-01"]
    r = c.get("/remains/", {"torture": "yes"})
    assert [o.body_number for o, _ in r.context["rows"]] == ["P-06"]
    r = c.get("/remains/", {"q": "P-07"})
    assert r.context["page"].paginator.count == 1
    r = c.get("/remains/", {"sex": "robot"})
    assert "is not a valid sex" in r.content.decode()


def test_csv_export_matches_filters_and_reimports(login, admin, site, other_site, remains):
    c = login(admin)
    r = c.get("/remains/export.csv", {"site": "TST-SITE"})
    assert r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark: Excel reads Cyrillic (issue 28)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["body_number"] == "TST-0001" and rows[0]["grave"] == "319"
    assert rows[0]["injuries"] == "gunshot" and rows[0]["torture_signs"] == "bound_hands"
    # The export is an import file: move the record to another number and import it back.
    rows[0]["body_number"] = "TST-0002"
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    from vestige.registry.importing import import_file
    report = import_file(admin, "remains", io.BytesIO(out.getvalue().encode()), "roundtrip.csv")
    assert report.created == 1
    copy = Remains.objects.get(body_number="TST-0002")
    assert (copy.grave_id, copy.age_min, copy.injuries) == (remains.grave_id, 30, ["gunshot"])


def test_login_is_rate_limited(client, admin, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        r = client.post("/accounts/login/", {"username": admin.username, "password": "wrong"})
        assert r.status_code == 200 and "Wrong user name or password" in r.content.decode()
    from tests.conftest import PASSWORD
    r = client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    assert r.status_code == 429 and "Too many failed logins" in r.content.decode()
    assert LoginFailure.objects.filter(username=admin.username).count() == 3


def test_login_redirects_only_to_this_site(client, admin):
    from tests.conftest import PASSWORD
    r = client.post("/accounts/login/?next=https://evil.example/", {"username": admin.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"


def test_withdraw_from_the_page_needs_a_reason(login, examiner, remains):
    c = login(examiner)
    c.post(f"/remains/{remains.pk}/withdraw/", {"reason": ""})
    remains.refresh_from_db()
    assert not remains.withdrawn
    c.post(f"/remains/{remains.pk}/withdraw/", {"reason": "duplicate"})
    remains.refresh_from_db()
    assert remains.withdrawn
    assert "duplicate" in c.get(f"/remains/{remains.pk}/").content.decode()


def test_tokens_from_the_profile_page(login, users):
    from django.test import Client
    client = Client()  # no session: the token alone must authenticate
    c = login(users["analyst"])
    page = c.post("/accounts/tokens/new/", {"name": "laptop"}).content.decode()
    import re
    token = re.search(r'id="new-token">(vst_[^<]+)<', page).group(1)
    assert "vst_" not in c.get("/accounts/profile/").content.decode().replace(token[:10], "")  # shown once
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    tid = users["analyst"].api_tokens.get().pk
    c.post(f"/accounts/tokens/{tid}/revoke/")
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_cannot_revoke_someone_elses_token(login, users):
    from vestige.accounts.services import create_token
    row, _ = create_token(users["analyst"], "x")
    r = login(users["auditor"]).post(f"/accounts/tokens/{row.pk}/revoke/")
    assert r.status_code == 403
    row.refresh_from_db()
    assert row.active


def test_ukrainian_interface_and_iso_dates(login, admin, site):
    c = login(admin)
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    html = c.get(f"/sites/{site.ref}/").content.decode()
    assert 'lang="uk"' in html
    assert "Ексгумації" in html  # "Exhumations"
    assert "2022-09-15" in html  # discovered_on, ISO in every language


def test_dashboard_counts_follow_records(login, admin, remains):
    c = login(admin)
    r = c.get("/")
    overall = r.context["overall"]
    assert (overall.remains_total, overall.b_women, overall.with_torture) == (1, 1, 1)


def test_map_data_is_geojson(login, admin, grave):
    c = login(admin)
    data = c.get("/map/data.geojson", {"site": "TST-SITE"}).json()
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["site", "grave"]
    assert data["features"][1]["geometry"]["coordinates"] == [37.005, 49.005]


@pytest.mark.parametrize("path", ["/static/vendor/leaflet/leaflet.js", "/static/vendor/htmx/htmx.min.js",
                                  "/static/vendor/leaflet/images/marker-icon.png"])
def test_assets_are_vendored(client, path):
    from django.contrib.staticfiles import finders
    assert finders.find(path.removeprefix("/static/"))


def test_dashboard_figures_are_cached_until_the_next_change(client, admin, site, settings):
    """Cached per case scope and keyed on the newest history record: a count written without a
    history record (as a bulk load does) shows only after the cache's seconds; an edit at once."""
    from vestige.registry import services as registry
    from vestige.registry.models import Remains

    settings.VESTIGE_DASHBOARD_CACHE_S = 3600
    client.force_login(admin)

    def total():
        return client.get("/").context["overall"].remains_total

    before = total()
    Remains.objects.create(body_number="BULK-1", site=site)  # no history record
    assert total() == before  # the cached figures
    registry.create(admin, Remains, {"body_number": "EDIT-1", "site": site})
    assert total() == before + 2  # an edit: the key changed, both are counted
    settings.VESTIGE_DASHBOARD_CACHE_S = 0
    Remains.objects.create(body_number="BULK-2", site=site)
    assert total() == before + 3


def test_every_page_carries_a_content_security_policy_without_inline_scripts(client, admin):
    """Issue 24: no Content-Security-Policy header. Scripts now come from this site only: no
    template holds an inline script or an inline event handler, and every response says so."""
    import re
    from pathlib import Path

    import vestige

    client.force_login(admin)
    for url in ("/", "/map/", "/evidence/", "/accounts/login/", "/api/docs"):
        csp = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|\son[a-z]+=\"", re.I)
    found = [f"{p}: {m.group(0)}" for p in Path(vestige.__file__).parent.rglob("templates/**/*.html")
             for m in inline.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_exports_in_xlsx_and_csv_without_a_bom(login, admin, site, remains):
    from openpyxl import load_workbook

    c = login(admin)
    plain = b"".join(c.get("/remains/export.csv", {"site": "TST-SITE", "bom": "0"}).streaming_content)
    assert plain.startswith(b"body_number,")
    x = c.get("/remains/export.csv", {"site": "TST-SITE", "format": "xlsx"})
    assert x["Content-Type"].startswith("application/vnd.openxmlformats") and ".xlsx" in x["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header[0] == "body_number" and rows[1][header.index("body_number")] == "TST-0001"
    assert len(rows) == 2


@pytest.mark.django_db
def test_every_menu_link_opens_for_the_role_that_sees_it(client, users):
    """Issue 29, part 4: menus by role — no link in the menu that answers 403 to whoever sees it
    (before: Missing and Identification were shown to analysts, who may read neither)."""
    import re

    for role, user in users.items():
        client.force_login(user)
        page = client.get("/").content.decode()
        nav = page[page.index('<nav id="site-nav"'):page.index("</nav>")]
        links = [h for h in re.findall(r'href="([^"]+)"', nav) if not h.startswith("/api/")]
        assert links, role
        refused = [h for h in links if client.get(h).status_code >= 400]
        assert refused == [], (role, refused)


def test_breadcrumbs_lead_back_up(login, admin, site):
    # Issue 29 part 6: a record's page says where it sits, from the dashboard down, in the reader's language.
    from vestige.web.context import breadcrumbs
    assert breadcrumbs("/sites/") == [("Dashboard", "/")]
    assert breadcrumbs("/sites/TST-SITE/") == [("Dashboard", "/"), ("Sites", "/sites/")]
    assert breadcrumbs("/sites/TST-SITE/edit/") == [("Dashboard", "/"), ("Sites", "/sites/"),
                                                    ("TST-SITE", "/sites/TST-SITE/")]
    assert breadcrumbs("/families/F-1/check/") == [("Dashboard", "/"), ("Missing", "/missing/"), ("F-1", "/families/F-1/")]
    assert breadcrumbs("/") == [] and breadcrumbs("/nowhere/x/") == []
    c = login(admin)
    html = c.get(f"/sites/{site.ref}/").content.decode()
    assert '<nav class="crumbs"' in html and '<a href="/sites/">Sites</a>' in html
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    html = c.get(f"/sites/{site.ref}/").content.decode()
    assert '<a href="/">Огляд</a> › <a href="/sites/">Місця</a>' in html
