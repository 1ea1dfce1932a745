"""The JSON API: envelope on every error, same rules as the forms, nothing partially written."""

from __future__ import annotations

import pytest

from vestige.registry.models import Grave, Remains


@pytest.fixture
def api(client, admin, api_token):
    token = api_token(admin)

    class Api:
        def get(self, url, **params):
            return client.get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")

        def post(self, url, data):
            return client.post(url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

        def patch(self, url, data):
            return client.patch(url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

    return Api()


def _error(r, status, etype, field=None):
    assert r.status_code == status, r.content
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["type"] == etype
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field, body
    return body["error"]


def test_create_and_get_remains(api, site, grave, exhumation):
    r = api.post("/api/remains", {"body_number": "API-1", "site": "TST-SITE", "grave": "319",
                                  "exhumation": "EXH-TST-1", "sex": "male", "age_min": 20, "age_max": 30,
                                  "injuries": ["gunshot", "blast"], "recovered_on": "2022-09-17"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["grave"] == "319" and body["site"] == "TST-SITE" and body["injuries"] == ["gunshot", "blast"]
    got = api.get(f"/api/remains/{body['id']}").json()
    assert got["recovered_on"] == "2022-09-17"


@pytest.mark.parametrize("payload, field", [
    ({"age_min": 60, "age_max": 40}, "age_max"),
    ({"stature_min_cm": 20}, "stature_min_cm"),
    ({"site": "NOWHERE"}, "site"),
    ({"age_min": "old"}, "age_min"),
    ({"sex": "robot"}, "sex"),
    ({"injuries": "gunshot"}, "injuries"),
    ({"recovered_on": "17/09/2022"}, "recovered_on"),
])
def test_bad_remains_get_an_envelope_naming_the_field(api, site, payload, field):
    data = {"body_number": "API-2", "site": "TST-SITE", **payload}
    _error(api.post("/api/remains", data), 400, "InvalidInput", field)
    assert not Remains.objects.filter(body_number="API-2").exists()


def test_duplicate_grave_label_via_api(api, grave):
    _error(api.post("/api/graves", {"site": "TST-SITE", "label": "319"}), 400, "InvalidInput", "label")
    assert Grave.objects.filter(label="319").count() == 1


def test_site_coordinates_out_of_range_via_api(api, db, admin):
    _error(api.post("/api/sites", {"ref": "X-1", "name": "x", "kind": "mass_grave",
                                   "geometry": {"type": "Point", "coordinates": [37, 123]}}),
           400, "InvalidInput", "geometry")


def test_unknown_record_is_404_envelope(api, db):
    _error(api.get("/api/remains/999999"), 404, "NotFound")
    _error(api.get("/api/sites/NOPE"), 404, "NotFound")


def test_patch_is_partial_and_recorded(api, remains):
    r = api.patch(f"/api/remains/{remains.pk}", {"notes": "bone sample taken"})
    assert r.status_code == 200 and r.json()["sex"] == "female"
    hist = api.get(f"/api/remains/{remains.pk}/history").json()
    assert hist[0]["action"] == "updated" and hist[0]["via"] == "api"
    assert hist[0]["changes"] == {"notes": ["", "bone sample taken"]}


def test_list_filters_search_sort_paginate(api, admin, site, grave):
    from vestige.registry import services
    for i in range(1, 8):
        services.create(admin, Remains, {"body_number": f"L-{i:02d}", "site": site,
                                         "sex": "male" if i % 2 else "female", "age_min": 10 * i, "age_max": 10 * i + 5})
    page = api.get("/api/remains", sex="male", sort="-age_min", limit=2, offset=1).json()
    assert page["count"] == 4
    assert [r["body_number"] for r in page["items"]] == ["L-05", "L-03"]
    assert api.get("/api/remains", q="L-0", child="yes").json()["count"] == 1  # L-01: 10–15 years
    assert api.get("/api/remains", child="no", sex="female").json()["count"] == 3
    _error(api.get("/api/remains", sex="robot"), 400, "InvalidInput", "sex")
    _error(api.get("/api/remains", sort="password"), 400, "InvalidInput", "sort")


def test_withdrawn_records_leave_lists_and_counts(api, remains):
    assert api.get("/api/stats").json()["remains_total"] == 1
    r = api.post(f"/api/remains/{remains.pk}/withdraw", {"reason": "entered twice"})
    assert r.json()["withdrawal_reason"] == "entered twice"
    assert api.get("/api/remains").json()["count"] == 0
    assert api.get("/api/remains", withdrawn="only").json()["count"] == 1
    assert api.get("/api/stats").json()["remains_total"] == 0
    _error(api.patch(f"/api/remains/{remains.pk}", {"notes": "x"}), 409, "Conflict")


def test_revoked_token_is_refused(client, admin, db):
    from vestige.accounts.services import create_token, revoke_token
    row, token = create_token(admin, "laptop")
    assert client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    revoke_token(admin, row.pk)
    _error(client.get("/api/sites", HTTP_AUTHORIZATION=f"Bearer {token}"), 401, "NotAuthenticated")


def test_session_writes_need_csrf(db, admin, site):
    from django.test import Client
    c = Client(enforce_csrf_checks=True)
    c.force_login(admin)
    assert c.get("/api/sites").status_code == 200
    r = c.post("/api/graves", {"site": "TST-SITE", "label": "1"}, content_type="application/json")
    assert r.status_code in (401, 403)
    assert not Grave.objects.filter(label="1").exists()


def test_openapi_schema_lists_every_resource(client, admin):
    client.force_login(admin)
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in ("/api/sites", "/api/graves", "/api/exhumations", "/api/remains", "/api/remains/{id}"):
        assert p in paths
