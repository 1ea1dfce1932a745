"""Every role × every read and write endpoint, over the API (token) and the web (session).

The expected table is written out here by hand from the issue's roles, independent of
``vestige.accounts.roles``: if the code's table drifts, these tests fail.
"""

from __future__ import annotations

import pytest

from vestige.accounts.roles import Role

ROLES = [r.value for r in Role]

# Who may write what (everyone logged in may read the registry).
WRITERS = {
    "site": {"administrator", "investigator"},
    "grave": {"administrator", "investigator", "forensic_examiner"},
    "exhumation": {"administrator", "investigator", "forensic_examiner"},
    "remains": {"administrator", "forensic_examiner"},
}

CREATE = {
    "site": {"ref": "NEW-SITE", "name": "New", "kind": "mass_grave",
             "geometry": {"type": "Point", "coordinates": [37.1, 49.1]}},
    "grave": {"site": "TST-SITE", "label": "900"},
    "exhumation": {"reference": "EXH-NEW", "site": "TST-SITE", "team": "T", "authority": "A",
                   "started_on": "2022-10-01"},
    "remains": {"body_number": "NEW-0001", "site": "TST-SITE", "grave": "319", "sex": "male"},
}
UPDATE = {"site": {"description": "edited"}, "grave": {"notes": "edited"},
          "exhumation": {"notes": "edited"}, "remains": {"notes": "edited"}}
PLURAL = {"site": "sites", "grave": "graves", "exhumation": "exhumations", "remains": "remains"}


@pytest.fixture
def world(users, site, grave, exhumation, remains, api_token):
    keys = {"site": site.ref, "grave": grave.pk, "exhumation": exhumation.pk, "remains": remains.pk}
    tokens = {role: api_token(u) for role, u in users.items()}
    return keys, tokens


def _auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(PLURAL))
def test_api_reads_are_open_to_every_role(client, world, role, kind):
    keys, tokens = world
    base = f"/api/{PLURAL[kind]}"
    for url in (base, f"{base}/{keys[kind]}", f"{base}/{keys[kind]}/history"):
        r = client.get(url, **_auth(tokens[role]))
        assert r.status_code == 200, (url, r.content)


@pytest.mark.parametrize("kind", list(PLURAL))
def test_api_refuses_anonymous_and_bad_tokens(client, world, kind):
    keys, _ = world
    base = f"/api/{PLURAL[kind]}"
    for headers in ({}, _auth("vst_not-a-token"), _auth("garbage")):
        r = client.get(f"{base}/{keys[kind]}", **headers)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "NotAuthenticated"
        r = client.post(base, CREATE[kind], content_type="application/json", **headers)
        assert r.status_code == 401


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(PLURAL))
def test_api_writes_follow_the_role_table(client, world, role, kind):
    keys, tokens = world
    base = f"/api/{PLURAL[kind]}"
    allowed = role in WRITERS[kind]
    h = _auth(tokens[role])
    r = client.post(base, CREATE[kind], content_type="application/json", **h)
    assert r.status_code == (201 if allowed else 403), r.content
    r = client.patch(f"{base}/{keys[kind]}", UPDATE[kind], content_type="application/json", **h)
    assert r.status_code == (200 if allowed else 403), r.content
    r = client.post(f"{base}/{keys[kind]}/withdraw", {"reason": "test"}, content_type="application/json", **h)
    assert r.status_code == (200 if allowed else 403), r.content
    r = client.post(f"{base}/{keys[kind]}/restore", {"reason": "test"}, content_type="application/json", **h)
    assert r.status_code == (200 if allowed else 403), r.content
    if not allowed:
        assert r.json()["error"]["type"] == "PermissionDenied"


@pytest.mark.parametrize("role", ROLES)
def test_api_stats_open_to_every_role(client, world, role):
    _, tokens = world
    assert client.get("/api/stats", **_auth(tokens[role])).status_code == 200
    assert client.get("/api/stats/sites", **_auth(tokens[role])).status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(PLURAL))
def test_web_pages_follow_the_role_table(client, users, world, role, kind):
    keys, _ = world
    client.force_login(users[role])
    base = f"/{PLURAL[kind]}"
    for url in (f"{base}/", f"{base}/{keys[kind]}/", f"{base}/export.csv"):
        assert client.get(url).status_code == 200, url
    allowed = role in WRITERS[kind]
    for url in (f"{base}/new/", f"{base}/{keys[kind]}/edit/"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    r = client.post(f"{base}/{keys[kind]}/withdraw/", {"reason": "test"})
    assert r.status_code == (302 if allowed else 403)


@pytest.mark.parametrize("role", ROLES)
def test_web_import_follows_the_role_table(client, users, world, role):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users[role])
    for kind in ("graves", "remains"):
        allowed = role in WRITERS["grave" if kind == "graves" else "remains"]
        f = SimpleUploadedFile("x.csv", b"site,label\nTST-SITE,777\n")
        r = client.post("/import/", {"kind": kind, "file": f, "dry_run": "on"})
        assert r.status_code == (200 if allowed else 403), (kind, r.status_code)


@pytest.mark.parametrize("url", ["/", "/map/", "/sites/", "/remains/", "/remains/export.csv",
                                 "/import/", "/accounts/profile/", "/api/docs", "/claims/", "/incidents/",
                                 "/witnesses/", "/claims/export.csv", "/sites/TST-SITE/claims/"])
def test_web_requires_login(client, db, url):
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_admin_only_for_administrators(client, users, role):
    client.force_login(users[role])
    r = client.get("/admin/")
    assert (r.status_code == 200) == (role == "administrator")


@pytest.mark.parametrize("role", ROLES)
def test_audit_trail_for_auditors_and_administrators(client, users, world, role):
    client.force_login(users[role])
    allowed = role in {"auditor", "administrator"}
    r = client.get("/audit/", {"action": "created"})
    assert r.status_code == (200 if allowed else 403)
    if allowed:
        assert r.context["page"].paginator.count >= 4  # site, grave, exhumation, remains created
        export = b"".join(client.get("/audit/export.csv").streaming_content).decode("utf-8-sig")  # a BOM for Excel
        assert export.startswith("at,actor,action,record_type") and "remains" in export
