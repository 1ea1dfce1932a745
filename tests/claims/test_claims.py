"""Claims: verification rules, reconciliation flags, witnesses' encrypted identity, ACLED import,
the API envelope and role rules, the CSV export, and the demo's Izium claims."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from vestige.claims import services
from vestige.claims.importing import import_acled
from vestige.claims.models import Claim, Incident, Witness
from vestige.claims.reconcile import site_reconciliation
from vestige.errors import Conflict, ImportRejected, InvalidInput, PermissionDenied
from vestige.history.models import ChangeRecord


@pytest.fixture
def analyst(users):
    return users["analyst"]


def make_claim(actor, site, value=447, qualifier="exact", measure="remains_total", issuer="Officials", kind="official",
               day=dt.date(2022, 9, 23), **extra):
    return services.create_claim(actor, {
        "issuer": {"name": issuer, "kind": kind}, "said_on": day, "quote": f"{value} bodies", "category": "dead",
        "site": site, "value_min": value, "qualifier": qualifier, "unit": "bodies", "counted": "bodies exhumed",
        "measure": measure, **extra})


def test_claim_refs_and_history(analyst, site):
    a, b = make_claim(analyst, site), make_claim(analyst, site, value=440)
    assert (a.ref, b.ref) == ("CLM-0001", "CLM-0002")
    assert ChangeRecord.objects.filter(object_id=a.pk, action="created").exists()
    assert a.quantity_text() == "447 bodies"


@pytest.mark.parametrize("data, field", [
    ({"value_min": 10, "value_max": 5}, "value_max"),
    ({"value_min": 10, "unit": ""}, "unit"),
    ({"site": None}, "site"),
    ({"site": "NOWHERE"}, "site"),
    ({"category": "gossip"}, "category"),
])
def test_bad_claims_are_refused(analyst, site, data, field):
    base = {"issuer": {"name": "X", "kind": "media"}, "said_on": dt.date(2022, 9, 1), "quote": "q",
            "category": "dead", "site": site, "value_min": 1, "unit": "bodies"}
    with pytest.raises(InvalidInput) as e:
        services.create_claim(analyst, {**base, **data})
    assert e.value.field == field
    assert not Claim.objects.exists()


def test_verification_rules(analyst, site, users):
    claim = make_claim(analyst, site)
    with pytest.raises(InvalidInput, match="rationale"):
        services.change_status(analyst, claim, "corroborated", "")
    with pytest.raises(InvalidInput, match="independent of the issuer"):
        services.change_status(analyst, claim, "corroborated", "because")
    # A claim by the same issuer is not independent corroboration.
    same = make_claim(analyst, site, value=447, day=dt.date(2022, 9, 24))
    services.add_link(analyst, claim, "supports", other_claim=same)
    with pytest.raises(InvalidInput, match="independent"):
        services.change_status(analyst, claim, "corroborated", "because")
    other = make_claim(analyst, site, issuer="Reporter", kind="media")
    services.add_link(analyst, claim, "supports", other_claim=other.ref)
    services.change_status(analyst, claim, "corroborated", "an independent outlet reports the same figure")
    with pytest.raises(InvalidInput) as e:
        services.change_status(analyst, claim, "verified", "done", source_assessment="ok")
    assert set(e.value.errors) == {"technical_assessment", "content_assessment"}
    v = services.change_status(analyst, claim, "verified", "done", source_assessment="s", technical_assessment="t",
                               content_assessment="c", geolocation="g", chronolocation="ch")
    claim.refresh_from_db()
    assert claim.status == "verified" and v.from_status == "corroborated"
    with pytest.raises(Conflict):
        services.change_status(analyst, claim, "verified", "again", source_assessment="s",
                               technical_assessment="t", content_assessment="c")
    with pytest.raises(InvalidInput, match="contradicting"):
        services.change_status(analyst, claim, "refuted", "no")
    with pytest.raises(PermissionDenied):
        services.change_status(users["dna_analyst"], claim, "disputed", "no")
    assert [x.to_status for x in claim.verifications.all()] == ["verified", "corroborated"]


def test_reconciliation_flags_records_and_conflicts(analyst, admin, site, grave, remains):
    # The registry records 1 body at the site (the remains fixture).
    exact_1 = make_claim(analyst, site, value=1)
    up_to_5 = make_claim(analyst, site, value=5, qualifier="up_to")
    exact_3 = make_claim(analyst, site, value=3)
    at_least_2 = make_claim(analyst, site, value=2, qualifier="at_least")
    groups, other = site_reconciliation(site)
    (g,) = groups
    assert g.recorded == 1 and g.verified is None
    # Allowed values: exact 1 → [1,1]; up to 5 → [0,5]; exact 3 → [3,3]; at least 2 → [2,∞).
    # Differs from the record (1): exact 3 and at least 2.
    assert g.differs_from_records == {exact_3.pk, at_least_2.pk}
    pairs = {tuple(sorted((a.ref, b.ref))) for a, b in g.conflicts}
    assert pairs == {tuple(sorted(p)) for p in [(exact_1.ref, exact_3.ref), (exact_1.ref, at_least_2.ref)]}
    assert up_to_5.ref not in {r for p in pairs for r in p}
    # A refuted claim is no longer flagged.
    services.add_link(analyst, exact_3, "contradicts", site=site)
    services.change_status(analyst, exact_3, "refuted", "the records show one body")
    g2 = site_reconciliation(site)[0][0]
    assert exact_3.pk not in g2.differs_from_records and all(exact_3 not in p for p in g2.conflicts)


def test_witness_identity_is_encrypted_and_role_gated(users, db, settings):
    inv = users["investigator"]
    w = services.create_witness(inv, {"code": "W-017", "consent_given": True, "consent_on": dt.date(2022, 10, 1),
                                      "willing_to_testify": "yes"}, {"full_name": "Synthetic Person", "contact": "x"})
    raw = Witness.objects.get(pk=w.pk).identity_encrypted
    assert raw and "Synthetic" not in raw
    assert services.reveal_identity(inv, w) == {"full_name": "Synthetic Person", "contact": "x"}
    assert ChangeRecord.objects.filter(object_id=w.pk, action="viewed", actor=inv).count() == 1
    for role in ("analyst", "auditor", "dna_analyst", "family_liaison", "forensic_examiner"):
        with pytest.raises(PermissionDenied):
            services.reveal_identity(users[role], w)
    key = (settings.VESTIGE_HOME / "keys" / "field.key")
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"


def test_witness_page_hides_identity_from_analysts(client, users, db):
    w = services.create_witness(users["investigator"], {"code": "W-020"}, {"full_name": "Hidden Name"})
    client.force_login(users["analyst"])
    page = client.get(f"/witnesses/{w.code}/").content.decode()
    assert "Hidden Name" not in page and "your role may not see it" in page
    assert client.post(f"/witnesses/{w.code}/identity/").status_code == 403
    client.force_login(users["investigator"])
    shown = client.post(f"/witnesses/{w.code}/identity/")
    assert "Hidden Name" in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert "Hidden Name" not in client.get(f"/witnesses/{w.code}/").content.decode()  # shown once, kept nowhere


ACLED = ("event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,country,admin1,admin2,"
         "location,latitude,longitude,source,notes,fatalities\n")


def test_acled_import_all_or_nothing(analyst, db):
    good = ACLED + ("UKR1001,2022-03-09,2022,1,Explosions/Remote violence,Air/drone strike,Synthetic actor,Ukraine,"
                    "Kharkiv,Izium,Izium,49.21,37.26,Synthetic source,Synthetic note,12\n"
                    "UKR1002,09 March 2022,2022,3,Violence against civilians,Attack,Synthetic actor,Ukraine,Kharkiv,"
                    "Izium,Izium,49.2,37.25,,,0\n")
    report = import_acled(analyst, io.BytesIO(good.encode()), "acled.csv")
    assert report.created == 2
    inc = Incident.objects.get(ref="ACLED-UKR1001")
    assert inc.kind == "airstrike" and inc.reported_fatalities == 12 and str(inc.started_on) == "2022-03-09"
    assert Incident.objects.get(ref="ACLED-UKR1002").date_precision == "month"
    bad = ACLED + ("UKR1003,2022-13-45,2022,1,Battles,Armed clash,a,Ukraine,K,I,Izium,49.2,37.2,,,1\n"
                   "UKR1001,2022-03-10,2022,1,Battles,Armed clash,a,Ukraine,K,I,Izium,49.2,37.2,,,1\n"
                   "UKR1004,2022-03-10,2022,1,Battles,Armed clash,a,Ukraine,K,I,Izium,95,37.2,,,x\n")
    with pytest.raises(ImportRejected) as e:
        import_acled(analyst, io.BytesIO(bad.encode()), "bad.csv")
    assert {(r.line, r.column) for r in e.value.rows} >= {(2, "event_date"), (3, "event_id_cnty"), (4, "latitude"),
                                                          (4, "fatalities")}
    assert Incident.objects.count() == 2


def test_claims_api_and_roles(client, users, site, api_token):
    tok = {r: api_token(u) for r, u in users.items()}
    body = {"issuer": {"name": "Officials", "kind": "official"}, "said_on": "2022-09-23", "quote": "447 bodies exhumed",
            "category": "dead", "site": site.ref, "value_min": 447, "qualifier": "exact", "unit": "bodies",
            "measure": "remains_total"}
    # Expected writers of claims, written out independently of roles.py:
    writers = {"administrator", "investigator", "analyst"}
    for role, t in tok.items():
        r = client.post("/api/claims", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {t}")
        assert r.status_code == (201 if role in writers else 403), (role, r.content)
        assert client.get("/api/claims", HTTP_AUTHORIZATION=f"Bearer {t}").status_code == 200
    ref = Claim.objects.first().ref
    h = {"HTTP_AUTHORIZATION": f"Bearer {tok['analyst']}"}
    r = client.post(f"/api/claims/{ref}/status", {"status": "verified", "rationale": "x"}, content_type="application/json", **h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "status"
    r = client.post(f"/api/claims/{ref}/links", {"relation": "supports", "site": site.ref}, content_type="application/json", **h)
    assert r.status_code == 201
    r = client.post(f"/api/claims/{ref}/status", {"status": "corroborated", "rationale": "registry"}, content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["status"] == "corroborated"
    r = client.post("/api/claims", {**body, "value_min": "many"}, content_type="application/json", **h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "value_min"
    rec = client.get(f"/api/claims/reconciliation?site={site.ref}", **h).json()
    assert rec["measures"][0]["recorded"] == 0 and rec["measures"][0]["claims"][0]["differs_from_records"]
    r = client.post("/api/incidents", {"ref": "INC-1", "kind": "airstrike", "title": "t", "started_on": "2022-03-09",
                                       "sites": [site.ref]}, content_type="application/json", **h)
    assert r.status_code == 201 and r.json()["sites"] == [site.ref]
    assert client.get("/api/incidents", **h).json()["count"] == 1


def test_claims_export_cli(capsys, analyst, site):
    from vestige.cli import main
    make_claim(analyst, site, value=400, qualifier="up_to")
    assert main(["claims", "export", "--csv"]) == 2  # who is exporting? (--as)
    capsys.readouterr()
    assert main(["claims", "export", "--csv", "--as", analyst.username]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["issuer"] == "Officials" and rows[0]["qualifier"] == "up_to" and rows[0]["unit"] == "bodies"
    assert rows[0]["said_on"] == "2022-09-23" and rows[0]["status"] == "reported" and rows[0]["value_min"] == "400.00"


@pytest.mark.slow
def test_demo_claims_tell_the_izium_story(db, capsys):
    from vestige.cli import main
    from vestige.registry.models import Site
    assert main(["demo", "--no-serve"]) == 0
    groups, other = site_reconciliation(Site.objects.get(ref="IZM-PISH"))
    by = {g.measure: g for g in groups}
    assert by["remains_total"].recorded == 447 and by["remains_total"].verified.quantity_text() == "447 bodies"
    assert by["graves_recorded"].recorded == 446
    torture = by["with_torture"]
    assert torture.recorded == 30 and len(torture.conflicts) == 1  # "30" (governor) against "17" (prosecutor)
    seventeen = next(c for c in torture.claims if c.value_min == 17)
    assert seventeen.pk in torture.differs_from_records
    verified = Claim.objects.get(status="verified")
    assert [v.to_status for v in verified.verifications.order_by("at", "id")] == ["corroborated", "verified"]
    assert verified.verifications.get(to_status="verified").actor.username == "analyst"


def test_analyst_takes_a_claim_from_reported_to_verified_in_the_web_pages(client, analyst, site, remains):
    client.force_login(analyst)
    r = client.post("/claims/new/", {"issuer_name": "Regional officials", "issuer_kind": "official",
                                     "said_on": "2022-09-23", "date_precision": "day", "quote": "1 body exhumed",
                                     "category": "dead", "site": site.pk, "value_min": "1", "qualifier": "exact",
                                     "unit": "bodies", "counted": "bodies exhumed", "measure": "remains_total"})
    assert r.status_code == 302
    ref = r["Location"].rstrip("/").split("/")[-1]
    page = client.get(f"/sites/{site.ref}/claims/").content.decode()
    assert ref in page and "recorded in the registry" in page
    client.post(f"/claims/{ref}/status/", {"to_status": "verified", "rationale": "too early"})
    assert Claim.objects.get(ref=ref).status == "reported"  # refused: no independent source yet
    client.post(f"/claims/{ref}/link/", {"relation": "supports", "site": site.ref, "note": "registry count"})
    client.post(f"/claims/{ref}/status/", {"to_status": "corroborated", "rationale": "registry count matches"})
    client.post(f"/claims/{ref}/status/", {
        "to_status": "verified", "rationale": "complete", "source_assessment": "official in charge",
        "technical_assessment": "records intact", "content_assessment": "matches the registry"})
    assert Claim.objects.get(ref=ref).status == "verified"
    page = client.get(f"/sites/{site.ref}/claims/").content.decode()
    assert f"verified ({ref})" in page


def test_claims_are_withdrawn_not_deleted(analyst, users, site, client):
    claim = make_claim(analyst, site)
    with pytest.raises(InvalidInput):
        services.withdraw(analyst, claim, "")
    with pytest.raises(PermissionDenied):
        services.withdraw(users["auditor"], claim, "no")
    services.withdraw(analyst, claim, "entered twice")
    assert Claim.objects.filter(pk=claim.pk).exists()
    assert site_reconciliation(site) == ([], [])
    client.force_login(analyst)
    client.post(f"/claims/{claim.ref}/restore/", {"reason": "not a duplicate"})
    claim.refresh_from_db()
    assert not claim.withdrawn and len(site_reconciliation(site)[0]) == 1


def test_incident_reconciliation_counts_linked_remains(analyst, users, site, remains, client):
    inc = services.create_incident(analyst, {"ref": "INC-T", "kind": "airstrike", "title": "t",
                                             "started_on": dt.date(2022, 3, 9)}, sites=[site.ref])
    services.link_incident(analyst, inc, remains=[remains])
    services.create_claim(analyst, {"issuer": {"name": "W", "kind": "witness"}, "said_on": dt.date(2022, 4, 1),
                                    "quote": "2 killed", "category": "dead", "incident": inc, "value_min": 2,
                                    "qualifier": "exact", "unit": "persons", "measure": "remains_total"})
    client.force_login(analyst)
    groups = client.get(inc.get_absolute_url()).context["groups"]
    assert groups[0].recorded == 1 and groups[0].differs_from_records  # 2 claimed, 1 linked remains


def test_claims_and_statements_cite_evidence_items(analyst, users, site):
    from vestige.evidence import services as evidence
    video = evidence.ingest(users["investigator"], io.BytesIO(b"synthetic video bytes"), "post.mp4").item
    statement_audio = evidence.ingest(users["investigator"], io.BytesIO(b"synthetic recording"), "w017.wav").item
    claim = make_claim(analyst, site, source_evidence=video.ref)
    assert claim.source_evidence == video
    services.add_link(analyst, claim, "supports", evidence=video.ref, note="the video shows the crosses")
    services.change_status(analyst, claim, "corroborated", "the video is an independent source")
    with pytest.raises(InvalidInput):
        services.add_link(analyst, claim, "supports", evidence="EV-NOPE")
    w = services.create_witness(users["investigator"], {"code": "W-030"}, {"full_name": "x"})
    s = services.add_statement(users["investigator"], w, dt.date(2022, 10, 3), "Saw the burials.", evidence=statement_audio.ref)
    assert s.evidence == statement_audio and s.evidence_reference == statement_audio.ref


def test_an_upper_bound_alone_is_an_up_to_figure(analyst, site):
    """Issue 29, part 3: "up to 450 bodies" typed in the upper-bound field alone is kept as what it
    says, not refused for a missing lower bound."""
    c = make_claim(analyst, site, value=None, qualifier="", value_max=450)
    assert (c.value_min, c.value_max, c.qualifier) == (450, None, "up_to")
    assert c.interval() == (0.0, 450.0) and c.quantity_text() == "up to 450 bodies"
    with pytest.raises(InvalidInput):  # "at least" an upper bound says nothing sensible
        make_claim(analyst, site, value=None, qualifier="at_least", value_max=450)
