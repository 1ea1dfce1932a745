"""Issue 11: every role × every page, API operation and CLI command, and every case boundary.

The expected table below is written by hand from the README's roles table, not read from
``vestige.accounts.roles``: if the code drifts from the documented policy, these tests fail.
A coverage test makes every URL pattern, every API operation of the OpenAPI schema and every
CLI command appear in the table, so that a new door cannot be added without saying who may
use it.

Two cases: users of every role in case A (MAIN) and in case B. A record of case A is
invisible to the users of case B (404 on every read and write, absent from every list); the
administrator and the auditor work across cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json

import numpy as np
import pytest
from django.test import Client

from tests.conftest import PASSWORD

ROLES = ["administrator", "investigator", "forensic_examiner", "dna_analyst", "family_liaison", "analyst", "auditor"]
ALL = set(ROLES)
ADMIN = {"administrator"}
# The README's roles table, capability by capability.
SITE_W = {"administrator", "investigator"}
GRAVE_W = {"administrator", "investigator", "forensic_examiner"}
REMAINS_W = {"administrator", "forensic_examiner"}
CLAIM_W = {"administrator", "investigator", "analyst"}
WITNESS = {"administrator", "investigator"}
MISSING_R = {"administrator", "forensic_examiner", "dna_analyst", "family_liaison", "auditor"}
MISSING_W = {"administrator", "family_liaison"}
CONTACT = {"administrator", "family_liaison"}
DNA = {"administrator", "dna_analyst"}
IDENT_R = {"administrator", "forensic_examiner", "dna_analyst", "family_liaison", "auditor"}
RUN = DNA
NOTIFY = {"administrator", "family_liaison"}
EV_W = {"administrator", "investigator", "forensic_examiner"}
EV_EXPORT = {"administrator", "investigator"}
AUDIT = {"administrator", "auditor"}
DVI_C = {"administrator", "forensic_examiner"}  # odontologists and fingerprint examiners record and verify (ACE-V)
BOARD = {"administrator", "forensic_examiner", "dna_analyst"}  # the identification board
DVI_IMPORT = {"administrator", "forensic_examiner", "family_liaison"}  # an exchange file carries AM and PM data
# /import/ takes graves, remains, missing persons, pedigrees and DNA files (incidents have their own page).
IMPORTERS = {"administrator", "investigator", "forensic_examiner", "dna_analyst", "family_liaison"}


# --- the world: two cases ---------------------------------------------------------------------

def _profiles(seed: int):
    from vestige.identification import services as ident
    from vestige.kinship import read_frequencies
    table = read_frequencies(ident.frequencies_path())
    rng = np.random.default_rng(seed)
    markers = sorted(table.alleles)[:15]

    def draw():
        return {m: tuple(sorted(rng.choice(table.alleles[m], 2, p=np.asarray(table.freqs[m]) / sum(table.freqs[m]))))
                for m in markers}
    father, mother = draw(), draw()
    child = {m: (father[m][rng.integers(2)], mother[m][rng.integers(2)]) for m in markers}
    return father, mother, child


def _build(users, case_code, suffix, site_ref, *, admin):
    """One case's records, made by users of that case through the services."""
    from vestige.claims import services as claims
    from vestige.evidence import services as evidence
    from vestige.identification import services as ident
    from vestige.missing import services as missing
    from vestige.registry import services as registry
    from vestige.registry.models import Exhumation, Grave, Remains, Site

    inv, exam, dna, liaison, analyst = (users[r] for r in ("investigator", "forensic_examiner", "dna_analyst",
                                                            "family_liaison", "analyst"))
    site = registry.create(inv, Site, {"ref": site_ref, "name": f"Site {suffix}", "kind": "mass_grave",
                                       "geometry": {"type": "Point", "coordinates": [37.2, 49.2]}, "case": case_code})
    grave = registry.create(inv, Grave, {"site": site, "label": "1"})
    exh = registry.create(exam, Exhumation, {"reference": f"EXH-{suffix}", "site": site, "team": "T", "authority": "A",
                                             "started_on": dt.date(2022, 9, 16)})
    body = registry.create(exam, Remains, {"body_number": f"B-{suffix}-1", "site": site, "grave": grave, "sex": "male"})
    other = registry.create(exam, Remains, {"body_number": f"B-{suffix}-2", "site": site, "sex": "male"})
    fam = missing.create_family(liaison, f"Family {suffix}", contact=f"contact-{suffix}", case=case_code)
    mp = missing.create_missing_person(liaison, fam, {"family_name": f"Name{suffix}", "given_name": "Ivan", "sex": "male"},
                                       member="X")
    father, mother, child = _profiles(sum(map(ord, suffix)))
    for code, sex, g in (("F", "male", father), ("M", "female", mother)):
        d = missing.add_donor(liaison, fam, code, consent_on=dt.date(2022, 10, 1), sex=sex,
                              code=f"DON-{suffix}-{code}")
        missing.add_reference_profile(dna, d, g, lab="Lab", kit="GlobalFiler")
    node = mp.member
    node.father, node.mother = fam.members.get(code="F"), fam.members.get(code="M")
    node.save()
    sample = ident.add_remains_sample(dna, body, child, material="bone", lab="Lab", kit="GlobalFiler")
    incident = claims.create_incident(inv, {"ref": f"INC-{suffix}", "kind": "killing", "title": "T",
                                            "started_on": dt.date(2022, 3, 1), "case": case_code})
    claim = claims.create_claim(analyst, {"issuer": {"name": "Officials", "kind": "official"},
                                          "said_on": dt.date(2022, 9, 23), "quote": "q", "category": "dead",
                                          "site": site, "value_min": 1, "value_max": 1, "qualifier": "exact",
                                          "unit": "bodies"})
    witness = claims.create_witness(inv, {"code": f"W-{suffix}", "case": case_code}, {"full_name": f"Witness {suffix}"})
    item = evidence.ingest(inv, io.BytesIO(f"evidence {suffix}".encode()), f"e-{suffix}.txt",
                           links={"site": site.ref}).item
    return {"parents": (father, mother), "site": site, "grave": grave, "exhumation": exh, "remains": body, "other_remains": other, "family": fam,
            "person": mp, "donor": fam.donors.get(member__code="F"), "sample": sample, "incident": incident,
            "claim": claim, "witness": witness, "item": item}


@pytest.fixture
def world(users, settings):
    settings.VESTIGE_TASKS_INLINE = True
    from vestige.accounts.services import create_case, create_user
    from vestige.identification import services as ident
    from vestige.identification.models import Candidate
    a = _build(users, "MAIN", "A", "CASE-A", admin=users["administrator"])
    create_case(users["administrator"], "CASE-B", "Another region")
    b_users = {r: create_user(f"b-{r}", PASSWORD, r, cases=["CASE-B"]) for r in ROLES if r not in AUDIT}
    b = _build(b_users, "CASE-B", "B", "CASE-B-SITE", admin=users["administrator"])
    # A body found in case A's site whose family was registered in case B.
    from vestige.registry import services as registry
    from vestige.registry.models import Remains
    a["crossing"] = registry.create(users["forensic_examiner"], Remains, {"body_number": "B-A-9", "site": a["site"],
                                                                         "sex": "male"})
    rng = np.random.default_rng(11)
    father, mother = b["parents"]
    sibling = {m: (father[m][rng.integers(2)], mother[m][rng.integers(2)]) for m in father}  # B's missing man's brother
    ident.add_remains_sample(users["dna_analyst"], a["crossing"], sibling, material="bone", lab="Lab",
                             kit="GlobalFiler")
    run = ident.start_run(users["dna_analyst"])
    run.refresh_from_db()
    cand = Candidate.objects.filter(run=run, remains=a["remains"], missing_person=a["person"]).get()
    proposal = ident.propose(users["dna_analyst"], cand, "DNA")
    group = ident.propose_duplicate(users["dna_analyst"], [a["remains"], a["other_remains"]], "same bones?")
    from vestige.evidence import jobs
    job = jobs.start(users["administrator"], "export", items=[a["item"].ref])  # an administrator's bag export
    # A fingerprint conclusion by a second examiner of case A, for the others to verify.
    from vestige.dvi import services as dvi
    examiner2 = create_user("a-examiner-2", PASSWORD, "forensic_examiner", cases=["MAIN"])
    comparison = dvi.record_comparison(examiner2, "fingerprints", a["remains"], a["person"], "inconclusive")
    from vestige.missing import extracts
    extract = extracts.issue_extract(users["family_liaison"], a["person"].ref)  # a register extract of case A
    from vestige.missing import lists
    person = a["person"]
    plist = lists.import_list(users["family_liaison"], io.BytesIO(  # another organisation's list, in case A
        f"surname,name,date_of_birth\n{person.family_name},{person.given_name},\nStranger,Someone,1970-01-01\n".encode()),
        "nib.csv", lists.ListInfo("NIB list", "NIB", case="MAIN")).person_list
    from vestige.missing import family_access
    grant, _secret = family_access.grant(users["family_liaison"], a["family"], "a sister")  # a family's own access
    a.update(run=run, candidate=cand, ident=proposal, group=group, job=job, comparison=comparison, extract=extract,
             plist=plist, grant=grant)
    return a, b, b_users


def _fmt(url: str, a: dict) -> str:
    keys = {"site": a["site"].ref, "grave": a["grave"].pk, "exhumation": a["exhumation"].pk, "remains": a["remains"].pk,
            "claim": a["claim"].ref, "incident": a["incident"].ref, "witness": a["witness"].code,
            "person": a["person"].ref, "family": a["family"].ref, "donor": a["donor"].code, "item": a["item"].ref,
            "run": a["run"].pk, "candidate": a["candidate"].pk, "ident": a["ident"].pk, "group": a["group"].pk,
            "sample": a["sample"].pk, "body": a["remains"].body_number, "job": a["job"].pk,
            "comparison": a["comparison"].pk, "extract": a["extract"].number, "extract_code": a["extract"].check_code,
            "list": a["plist"].ref, "grant": a["grant"].pk}
    return url.format(**keys)


# --- the table --------------------------------------------------------------------------------
# Pages of a record that belongs to a person (the requester of an export or verification job).
OWNED = {"evidence/jobs/<int:pk>/", "evidence/jobs/<int:pk>/bag.zip", "GET /api/evidence/jobs/{pk}",
         "evidence/jobs/<int:pk>/retry/", "POST /api/evidence/jobs/{pk}/retry"}

# (route pattern, method, concrete URL, body, who may)

WEB = [
    ("", "GET", "/", None, ALL),
    ("map/", "GET", "/map/", None, ALL),
    ("map/data.geojson", "GET", "/map/data.geojson", None, ALL),
    ("accounts/profile/", "GET", "/accounts/profile/", None, ALL),
    ("accounts/tokens/new/", "POST", "/accounts/tokens/new/", {"name": "t"}, ALL),
    ("accounts/profile/media/", "POST", "/accounts/profile/media/", {"graphic_in_colour": "on"}, ALL),
    ("accounts/profile/signature/", "POST", "/accounts/profile/signature/",
     {"first_name": "Olena", "last_name": "Test", "position": "expert"}, ALL),
    ("accounts/two-factor/", "GET", "/accounts/two-factor/", None, ALL),
    ("search/", "GET", "/search/?q=TST", None, ALL),
    ("audit/", "GET", "/audit/", None, AUDIT),
    ("audit/export.csv", "GET", "/audit/export.csv", None, AUDIT),
    ("claims/", "GET", "/claims/", None, ALL),
    ("claims/export.csv", "GET", "/claims/export.csv", None, ALL),
    ("claims/new/", "GET", "/claims/new/", None, CLAIM_W),
    ("claims/<str:ref>/", "GET", "/claims/{claim}/", None, ALL),
    ("claims/<str:ref>/edit/", "GET", "/claims/{claim}/edit/", None, CLAIM_W),
    ("claims/<str:ref>/status/", "POST", "/claims/{claim}/status/", {"to_status": "corroborated", "rationale": "r"}, CLAIM_W),
    ("claims/<str:ref>/link/", "POST", "/claims/{claim}/link/", {"relation": "supports", "url": "https://example.org/x"}, CLAIM_W),
    ("claims/<str:ref>/withdraw/", "POST", "/claims/{claim}/withdraw/", {"reason": "r"}, CLAIM_W),
    ("claims/<str:ref>/restore/", "POST", "/claims/{claim}/restore/", {"reason": "r"}, CLAIM_W),
    ("sites/<str:ref>/claims/", "GET", "/sites/{site}/claims/", None, ALL),
    ("incidents/", "GET", "/incidents/", None, ALL),
    ("incidents/export.csv", "GET", "/incidents/export.csv", None, ALL),
    ("incidents/new/", "GET", "/incidents/new/", None, CLAIM_W),
    ("incidents/import/", "GET", "/incidents/import/", None, CLAIM_W),
    ("incidents/<str:ref>/", "GET", "/incidents/{incident}/", None, ALL),
    ("incidents/<str:ref>/edit/", "GET", "/incidents/{incident}/edit/", None, CLAIM_W),
    ("witnesses/", "GET", "/witnesses/", None, ALL),
    ("witnesses/new/", "GET", "/witnesses/new/", None, WITNESS),
    ("witnesses/<str:code>/", "GET", "/witnesses/{witness}/", None, ALL),
    ("witnesses/<str:code>/identity/", "POST", "/witnesses/{witness}/identity/", {}, WITNESS),
    ("witnesses/<str:code>/statement/", "POST", "/witnesses/{witness}/statement/",
     {"given_on": "2022-10-01", "summary": "s"}, WITNESS),
    ("missing/", "GET", "/missing/", None, MISSING_R),
    ("missing/new/", "GET", "/missing/new/", None, MISSING_W),
    ("missing/export.csv", "GET", "/missing/export.csv", None, MISSING_R),
    ("missing/<str:ref>/", "GET", "/missing/{person}/", None, MISSING_R),
    ("missing/<str:ref>/edit/", "GET", "/missing/{person}/edit/", None, MISSING_W),
    ("missing/<str:ref>/merge/", "POST", "/missing/{person}/merge/", {"kept": "{person}", "reason": "r"}, MISSING_W),
    ("missing/<str:ref>/compare/<str:other>/", "GET", "/missing/{person}/compare/{person}/", None, MISSING_R),
    ("families/", "GET", "/families/", None, MISSING_R),
    ("families/<str:ref>/", "GET", "/families/{family}/", None, MISSING_R),
    ("families/<str:ref>/pedigree.ped", "GET", "/families/{family}/pedigree.ped", None, MISSING_R),
    ("missing/<str:ref>/case-file.pdf", "GET", "/missing/{person}/case-file.pdf", None, MISSING_R),
    ("missing/<str:ref>/extracts/", "POST", "/missing/{person}/extracts/", {}, MISSING_W),
    # The family portal answers a family session only: every staff role is refused (tests/missing/test_family_access.py).
    ("family/", "GET", "/family/", None, set()),
    ("family/sharing/", "POST", "/family/sharing/", {"sharing": "state"}, set()),
    ("family/consent/", "POST", "/family/consent/", {"reason": "r"}, set()),
    ("family/messages/", "POST", "/family/messages/", {"text": "t"}, set()),
    ("family/leave/", "POST", "/family/leave/", {}, set()),
    ("families/<str:ref>/access/", "POST", "/families/{family}/access/", {"label": "a brother"}, MISSING_W),
    ("families/<str:ref>/access/<int:pk>/revoke/", "POST", "/families/{family}/access/{grant}/revoke/", {}, MISSING_W),
    ("families/<str:ref>/messages/", "POST", "/families/{family}/messages/", {"text": "t"}, MISSING_W),
    ("families/<str:ref>/sharing/", "POST", "/families/{family}/sharing/", {"sharing": "state", "reason": "r"},
     MISSING_W),
    ("sites/<str:key>/inventory/", "GET", "/sites/{site}/inventory/", None, ALL),
    ("sites/<str:key>/inventory/#post", "POST", "/sites/{site}/inventory/",
     {"action": "add", "context": "T", "element": "femur", "side": "L"}, REMAINS_W),
    ("sites/<str:key>/inventory.csv", "GET", "/sites/{site}/inventory.csv", None, ALL),
    ("lists/", "GET", "/lists/", None, MISSING_R),
    ("lists/<str:ref>/", "GET", "/lists/{list}/", None, MISSING_R),
    ("lists/<str:ref>/export/", "GET", "/lists/{list}/export/", None, MISSING_R),
    ("lists/<str:ref>/link/", "POST", "/lists/{list}/link/", {}, MISSING_W),
    ("lists/<str:ref>/<int:line>/", "GET", "/lists/{list}/2/", None, MISSING_R),
    ("lists/<str:ref>/<int:line>/#decide", "POST", "/lists/{list}/3/", {"decision": "reject"}, MISSING_W),
    ("extracts/<str:number>.pdf", "GET", "/extracts/{extract}.pdf", None, MISSING_R),
    ("extracts/<str:number>/revoke/", "POST", "/extracts/{extract}/revoke/", {"reason": "wrong date"}, MISSING_W),
    ("verify/extract/<str:number>/", "GET", "/verify/extract/{extract}/?c={extract_code}", None, ALL),  # public
    ("sites/<str:key>/report.pdf", "GET", "/sites/{site}/report.pdf", None, ALL),
    ("families/<str:ref>/contact/", "POST", "/families/{family}/contact/", {}, CONTACT),
    ("families/<str:ref>/members/", "POST", "/families/{family}/members/", {"add-code": "S9", "add-sex": "male"}, MISSING_W),
    ("families/<str:ref>/relatives/", "POST", "/families/{family}/relatives/",
     {"rel-relation": "full_sibling", "rel-of": "X", "rel-sex": "female"}, MISSING_W),
    ("families/<str:ref>/members/<str:code>/", "POST", "/families/{family}/members/X/", {"sex": "male", "code": "X"}, MISSING_W),
    ("families/<str:ref>/members/<str:code>/remove/", "POST", "/families/{family}/members/X/remove/", {}, MISSING_W),
    ("donors/<str:code>/withdraw-consent/", "POST", "/donors/{donor}/withdraw-consent/", {"reason": "r"}, MISSING_W),
    ("donors/<str:code>/show/<str:what>/", "POST", "/donors/{donor}/show/profile/", {}, DNA),
    ("donors/<str:code>/show/<str:what>/#contact", "POST", "/donors/{donor}/show/contact/", {}, CONTACT),
    ("identification/", "GET", "/identification/", None, IDENT_R),
    ("identification/start/", "POST", "/identification/start/", {}, RUN),
    ("identification/runs/<int:pk>/", "GET", "/identification/runs/{run}/", None, IDENT_R),
    ("identification/candidates/<int:pk>/", "GET", "/identification/candidates/{candidate}/", None, IDENT_R),
    ("identification/candidates/<int:pk>/propose/", "POST", "/identification/candidates/{candidate}/propose/",
     {"basis": "b"}, DNA),
    ("identification/candidates/<int:pk>/report.pdf", "GET", "/identification/candidates/{candidate}/report.pdf", None,
     IDENT_R),
    ("identification/decisions/<int:pk>/decide/", "POST", "/identification/decisions/{ident}/decide/",
     {"decision": "reject", "note": "n"}, {"administrator"}),  # the DNA analyst proposed it: not their own
    ("identification/decisions/<int:pk>/notify/", "POST", "/identification/decisions/{ident}/notify/",
     {"on": "2023-01-01", "how": "visit"}, NOTIFY),
    ("identification/stats/", "GET", "/identification/stats/", None, ALL),
    ("identification/databases/", "GET", "/identification/databases/", None, IDENT_R),
    ("identification/families/<str:ref>/check/", "GET", "/identification/families/{family}/check/", None, DNA),
    ("identification/worklists/<str:name>/", "GET", "/identification/worklists/confirm/", None, DNA),
    ("identification/worklists/<str:name>/#notify", "GET", "/identification/worklists/notify/", None, NOTIFY),
    ("identification/worklists/<str:name>/#donors", "GET", "/identification/worklists/donors/", None, IDENT_R),
    ("identification/same-body/new/", "GET", "/identification/same-body/new/?remains={body}", None, DNA),
    ("identification/same-body/<int:pk>/", "GET", "/identification/same-body/{group}/", None, IDENT_R),
    ("identification/samples/<int:pk>/resolve/", "POST", "/identification/samples/{sample}/resolve/",
     {"decision": "accept", "note": "n"}, DNA),
    ("dvi/", "GET", "/dvi/", None, IDENT_R),
    ("dvi/exchange.json", "GET", "/dvi/exchange.json", None, IDENT_R),
    ("dvi/exchange/", "POST", "/dvi/exchange/", {}, DVI_IMPORT),
    ("dvi/board/<int:remains_pk>/<str:ref>/", "GET", "/dvi/board/{remains}/{person}/", None, IDENT_R),
    ("dvi/board/<int:remains_pk>/<str:ref>/#post", "POST", "/dvi/board/{remains}/{person}/",
     {"action": "compare", "method": "fingerprints", "conclusion": "inconclusive"}, DVI_C),
    ("dvi/board/<int:remains_pk>/<str:ref>/report.pdf", "GET", "/dvi/board/{remains}/{person}/report.pdf", None,
     IDENT_R),
    ("dvi/comparisons/<int:pk>/verify/", "POST", "/dvi/comparisons/{comparison}/verify/", {"decision": "agree"}, DVI_C),
    ("dvi/<str:side>/<str:key>/", "GET", "/dvi/am/{person}/", None, MISSING_R),
    ("dvi/<str:side>/<str:key>/#pm", "GET", "/dvi/pm/{remains}/", None, ALL),
    ("dvi/<str:side>/<str:key>/chart/", "GET", "/dvi/am/{person}/chart/", None, MISSING_W),
    ("dvi/<str:side>/<str:key>/form.pdf", "GET", "/dvi/am/{person}/form.pdf", None, MISSING_R),
    ("dvi/<str:side>/<str:key>/form.pdf#pm", "GET", "/dvi/pm/{remains}/form.pdf", None, ALL),
    ("dvi/<str:side>/<str:key>/chart/#pm", "GET", "/dvi/pm/{remains}/chart/", None, REMAINS_W),
    ("dvi/<str:side>/<str:key>/add/<str:section>/", "POST", "/dvi/pm/{remains}/add/effects/",
     {"category": "watch", "description": "w"}, REMAINS_W),
    ("dvi/<str:side>/<str:key>/add/<str:section>/#am", "POST", "/dvi/am/{person}/add/marks/",
     {"kind": "scar", "region": "face"}, MISSING_W),
    ("evidence/", "GET", "/evidence/", None, ALL),
    ("evidence/upload/", "GET", "/evidence/upload/", None, EV_W),
    ("evidence/jobs/", "GET", "/evidence/jobs/", None, ALL),
    ("evidence/capture/", "GET", "/evidence/capture/", None, EV_W),
    ("evidence/capture/#post", "POST", "/evidence/capture/", {"urls": "ftp://example.org/x"}, EV_W),  # 400: not http
    ("evidence/bulk/", "POST", "/evidence/bulk/", {"items": "{item}", "action": "link", "site": "{site}"}, EV_W),
    ("evidence/bulk/#verify", "POST", "/evidence/bulk/", {"items": "{item}", "action": "verify"}, ALL),
    ("evidence/jobs/#export", "POST", "/evidence/jobs/", {"kind": "export", "items": "{item}"}, EV_EXPORT),
    ("evidence/jobs/#verify", "POST", "/evidence/jobs/", {"kind": "verify", "items": "{item}"}, ALL),
    # A job is its requester's (here an administrator's); administrators and auditors see every job.
    ("evidence/jobs/<int:pk>/", "GET", "/evidence/jobs/{job}/", None, AUDIT),
    ("evidence/jobs/<int:pk>/bag.zip", "GET", "/evidence/jobs/{job}/bag.zip", None, AUDIT),
    # The world's job is not failed: its requester and those who see every job are told so.
    ("evidence/jobs/<int:pk>/retry/", "POST", "/evidence/jobs/{job}/retry/", {}, AUDIT),
    ("evidence/<str:ref>/", "GET", "/evidence/{item}/", None, ALL),
    ("evidence/<str:ref>/thumbnail.jpg", "GET", "/evidence/{item}/thumbnail.jpg", None, ALL),
    ("evidence/<str:ref>/download/", "GET", "/evidence/{item}/download/", None, ALL),
    ("evidence/<str:ref>/view/", "GET", "/evidence/{item}/view/", None, ALL),
    ("evidence/<str:ref>/links/", "POST", "/evidence/{item}/links/", {"site": "{site}"}, EV_W),
    ("evidence/<str:ref>/links/<int:link_id>/remove/", "POST", "/evidence/{item}/links/999999/remove/",
     {"reason": "r"}, EV_W),
    ("import/", "GET", "/import/", None, IMPORTERS),
    ("import/template/<str:kind>.csv", "GET", "/import/template/remains.csv", None, REMAINS_W),
    ("sites/", "GET", "/sites/", None, ALL),
    ("sites/export.csv", "GET", "/sites/export.csv", None, ALL),
    ("sites/export.<str:fmt>", "GET", "/sites/export.geojson", None, ALL),
    ("sites/new/", "GET", "/sites/new/", None, SITE_W),
    ("sites/<str:key>/", "GET", "/sites/{site}/", None, ALL),
    ("sites/<str:key>/edit/", "GET", "/sites/{site}/edit/", None, SITE_W),
    ("sites/<str:key>/withdraw/", "POST", "/sites/{site}/withdraw/", {"reason": "r"}, SITE_W),
    ("sites/<str:key>/restore/", "POST", "/sites/{site}/restore/", {"reason": "r"}, SITE_W),
    ("graves/", "GET", "/graves/", None, ALL),
    ("graves/export.csv", "GET", "/graves/export.csv", None, ALL),
    ("graves/new/", "GET", "/graves/new/", None, GRAVE_W),
    ("graves/<int:key>/", "GET", "/graves/{grave}/", None, ALL),
    ("graves/<int:key>/edit/", "GET", "/graves/{grave}/edit/", None, GRAVE_W),
    ("graves/<int:key>/withdraw/", "POST", "/graves/{grave}/withdraw/", {"reason": "r"}, GRAVE_W),
    ("graves/<int:key>/restore/", "POST", "/graves/{grave}/restore/", {"reason": "r"}, GRAVE_W),
    ("exhumations/", "GET", "/exhumations/", None, ALL),
    ("exhumations/export.csv", "GET", "/exhumations/export.csv", None, ALL),
    ("exhumations/new/", "GET", "/exhumations/new/", None, GRAVE_W),
    ("exhumations/<int:key>/", "GET", "/exhumations/{exhumation}/", None, ALL),
    ("exhumations/<int:key>/edit/", "GET", "/exhumations/{exhumation}/edit/", None, GRAVE_W),
    ("exhumations/<int:key>/withdraw/", "POST", "/exhumations/{exhumation}/withdraw/", {"reason": "r"}, GRAVE_W),
    ("exhumations/<int:key>/restore/", "POST", "/exhumations/{exhumation}/restore/", {"reason": "r"}, GRAVE_W),
    ("remains/", "GET", "/remains/", None, ALL),
    ("remains/export.csv", "GET", "/remains/export.csv", None, ALL),
    ("remains/new/", "GET", "/remains/new/", None, REMAINS_W),
    ("remains/<int:key>/", "GET", "/remains/{remains}/", None, ALL),
    ("remains/<int:key>/edit/", "GET", "/remains/{remains}/edit/", None, REMAINS_W),
    ("remains/<int:key>/withdraw/", "POST", "/remains/{remains}/withdraw/", {"reason": "r"}, REMAINS_W),
    ("remains/<int:key>/restore/", "POST", "/remains/{remains}/restore/", {"reason": "r"}, REMAINS_W),
    ("admin/", "GET", "/admin/", None, ADMIN),
]
# Routes every logged-in user has, or that take no user at all (login, logout, language).
WEB_OPEN = {"family/access/<str:secret>/",  # a family's link: its own secret (tests/missing/test_family_access.py)
            "accounts/login/", "login/", "accounts/login/code/", "accounts/logout/", "accounts/tokens/<int:token_id>/revoke/",
            "i18n/setlang/", "admin/login/"}

API = [
    ("POST /api/imports/{kind}", "POST", "/api/imports/remains", "multipart", IMPORTERS - {"investigator", "dna_analyst",
                                                                                           "family_liaison", "analyst"}),
    ("GET /api/sites", "GET", "/api/sites", None, ALL),
    ("POST /api/sites", "POST", "/api/sites", {"ref": "NEW-S", "name": "n", "kind": "mass_grave",
                                                "geometry": {"type": "Point", "coordinates": [37.0, 49.0]}}, SITE_W),
    ("GET /api/sites/{ref}", "GET", "/api/sites/{site}", None, ALL),
    ("PATCH /api/sites/{ref}", "PATCH", "/api/sites/{site}", {"description": "d"}, SITE_W),
    ("POST /api/sites/{ref}/withdraw", "POST", "/api/sites/{site}/withdraw", {"reason": "r"}, SITE_W),
    ("POST /api/sites/{ref}/restore", "POST", "/api/sites/{site}/restore", {"reason": "r"}, SITE_W),
    ("GET /api/sites/{ref}/history", "GET", "/api/sites/{site}/history", None, ALL),
    ("GET /api/graves", "GET", "/api/graves", None, ALL),
    ("POST /api/graves", "POST", "/api/graves", {"site": "CASE-A", "label": "99"}, GRAVE_W),
    ("GET /api/graves/{id}", "GET", "/api/graves/{grave}", None, ALL),
    ("PATCH /api/graves/{id}", "PATCH", "/api/graves/{grave}", {"notes": "n"}, GRAVE_W),
    ("POST /api/graves/{id}/withdraw", "POST", "/api/graves/{grave}/withdraw", {"reason": "r"}, GRAVE_W),
    ("POST /api/graves/{id}/restore", "POST", "/api/graves/{grave}/restore", {"reason": "r"}, GRAVE_W),
    ("GET /api/graves/{id}/history", "GET", "/api/graves/{grave}/history", None, ALL),
    ("GET /api/exhumations", "GET", "/api/exhumations", None, ALL),
    ("POST /api/exhumations", "POST", "/api/exhumations", {"reference": "EXH-NEW", "site": "CASE-A", "team": "t",
                                                            "authority": "a", "started_on": "2022-10-01"}, GRAVE_W),
    ("GET /api/exhumations/{id}", "GET", "/api/exhumations/{exhumation}", None, ALL),
    ("PATCH /api/exhumations/{id}", "PATCH", "/api/exhumations/{exhumation}", {"notes": "n"}, GRAVE_W),
    ("POST /api/exhumations/{id}/withdraw", "POST", "/api/exhumations/{exhumation}/withdraw", {"reason": "r"}, GRAVE_W),
    ("POST /api/exhumations/{id}/restore", "POST", "/api/exhumations/{exhumation}/restore", {"reason": "r"}, GRAVE_W),
    ("GET /api/exhumations/{id}/history", "GET", "/api/exhumations/{exhumation}/history", None, ALL),
    ("GET /api/remains", "GET", "/api/remains", None, ALL),
    ("POST /api/remains", "POST", "/api/remains", {"body_number": "NEW-1", "site": "CASE-A"}, REMAINS_W),
    ("GET /api/remains/{id}", "GET", "/api/remains/{remains}", None, ALL),
    ("PATCH /api/remains/{id}", "PATCH", "/api/remains/{remains}", {"notes": "n"}, REMAINS_W),
    ("POST /api/remains/{id}/withdraw", "POST", "/api/remains/{remains}/withdraw", {"reason": "r"}, REMAINS_W),
    ("POST /api/remains/{id}/restore", "POST", "/api/remains/{remains}/restore", {"reason": "r"}, REMAINS_W),
    ("GET /api/remains/{id}/history", "GET", "/api/remains/{remains}/history", None, ALL),
    ("GET /api/stats", "GET", "/api/stats", None, ALL),
    ("GET /api/stats/sites", "GET", "/api/stats/sites", None, ALL),
    ("GET /api/claims", "GET", "/api/claims", None, ALL),
    ("POST /api/claims", "POST", "/api/claims", {"issuer": {"name": "x", "kind": "official"}, "said_on": "2022-09-23",
                                                  "quote": "q", "category": "dead", "site": "CASE-A"}, CLAIM_W),
    ("GET /api/claims/reconciliation", "GET", "/api/claims/reconciliation?site={site}", None, ALL),
    ("GET /api/claims/{ref}", "GET", "/api/claims/{claim}", None, ALL),
    ("PATCH /api/claims/{ref}", "PATCH", "/api/claims/{claim}", {"quote": "q2"}, CLAIM_W),
    ("POST /api/claims/{ref}/status", "POST", "/api/claims/{claim}/status", {"status": "corroborated", "rationale": "r"},
     CLAIM_W),
    ("POST /api/claims/{ref}/links", "POST", "/api/claims/{claim}/links", {"relation": "supports", "url": "https://x.org"},
     CLAIM_W),
    ("POST /api/claims/{ref}/withdraw", "POST", "/api/claims/{claim}/withdraw", {"reason": "r"}, CLAIM_W),
    ("POST /api/claims/{ref}/restore", "POST", "/api/claims/{claim}/restore", {"reason": "r"}, CLAIM_W),
    ("GET /api/incidents", "GET", "/api/incidents", None, ALL),
    ("POST /api/incidents", "POST", "/api/incidents", {"ref": "INC-NEW", "kind": "killing", "title": "t",
                                                        "started_on": "2022-03-01"}, CLAIM_W),
    ("GET /api/incidents/{ref}", "GET", "/api/incidents/{incident}", None, ALL),
    ("PATCH /api/incidents/{ref}", "PATCH", "/api/incidents/{incident}", {"title": "t2"}, CLAIM_W),
    ("GET /api/missing-persons", "GET", "/api/missing-persons", None, MISSING_R),
    ("POST /api/missing-persons", "POST", "/api/missing-persons", {"family": "New family", "family_name": "A",
                                                                   "given_name": "B"}, MISSING_W),
    ("GET /api/missing-persons/{ref}", "GET", "/api/missing-persons/{person}", None, MISSING_R),
    ("PATCH /api/missing-persons/{ref}", "PATCH", "/api/missing-persons/{person}", {"height_cm": 170}, MISSING_W),
    ("GET /api/families/{ref}", "GET", "/api/families/{family}", None, MISSING_R),
    ("POST /api/families/{ref}/relatives", "POST", "/api/families/{family}/relatives",
     {"relation": "full_sibling", "of": "X", "sex": "female"}, MISSING_W),
    ("PATCH /api/families/{ref}/members/{code}", "PATCH", "/api/families/{family}/members/X", {"label": "l"}, MISSING_W),
    ("POST /api/families/{ref}/members/{code}/remove", "POST", "/api/families/{family}/members/X/remove", {}, MISSING_W),
    ("GET /api/evidence", "GET", "/api/evidence", None, ALL),
    ("POST /api/evidence", "POST", "/api/evidence", "evidence", EV_W),
    ("GET /api/evidence/{ref}", "GET", "/api/evidence/{item}", None, ALL),
    ("GET /api/evidence/{ref}/near-duplicates", "GET", "/api/evidence/{item}/near-duplicates", None, ALL),
    ("POST /api/evidence/captures", "POST", "/api/evidence/captures", {"urls": ["ftp://example.org/x"]}, EV_W),
    ("GET /api/evidence/jobs/{pk}", "GET", "/api/evidence/jobs/{job}", None, AUDIT),
    ("POST /api/evidence/jobs/{pk}/retry", "POST", "/api/evidence/jobs/{job}/retry", {}, AUDIT),
    ("GET /api/candidates", "GET", "/api/candidates", None, IDENT_R),
    ("GET /api/dvi/{side}/{key}", "GET", "/api/dvi/am/{person}", None, MISSING_R),
    ("PUT /api/dvi/{side}/{key}/chart", "PUT", "/api/dvi/pm/{body}/chart", {"teeth": {"16": {"state": "sound"}}},
     REMAINS_W),
    ("POST /api/dvi/{side}/{key}/{section}", "POST", "/api/dvi/am/{person}/marks", {"kind": "scar", "region": "face"},
     MISSING_W),
    ("GET /api/dvi-matches/dental", "GET", "/api/dvi-matches/dental", None, IDENT_R),
    ("GET /api/dvi-matches/implants", "GET", "/api/dvi-matches/implants", None, IDENT_R),
    ("POST /api/dvi-comparisons", "POST", "/api/dvi-comparisons",
     {"method": "fingerprints", "remains": "B-A-1", "missing_person": "MP-00001", "conclusion": "inconclusive"}, DVI_C),
    ("POST /api/dvi-comparisons/{pk}/verify", "POST", "/api/dvi-comparisons/{comparison}/verify", {"agree": True},
     DVI_C),
    ("GET /api/dvi-board/{remains}/{missing_person}", "GET", "/api/dvi-board/{body}/{person}", None, IDENT_R),
    ("POST /api/dvi-board/{remains}/{missing_person}/propose", "POST", "/api/dvi-board/{body}/{person}/propose", {},
     BOARD),
    ("GET /api/dvi-exchange", "GET", "/api/dvi-exchange", None, IDENT_R),
    ("POST /api/dvi-exchange", "POST", "/api/dvi-exchange", {"format": "vestige-dvi-exchange", "version": 1},
     DVI_IMPORT),
    ("GET /api/identification/stats", "GET", "/api/identification/stats", None, ALL),
    ("GET /api/identification/joint", "GET", "/api/identification/joint", None, IDENT_R),
    ("POST /api/identification/runs", "POST", "/api/identification/runs", {}, RUN),
    ("GET /api/identification/runs/{run_id}", "GET", "/api/identification/runs/{run}", None, IDENT_R),
    ("GET /api/identification/worklists/{name}", "GET", "/api/identification/worklists/notify", None, NOTIFY),
    ("POST /api/identification/candidates/{candidate_id}/propose", "POST",
     "/api/identification/candidates/{candidate}/propose", {"basis": "b"}, DNA),
    ("POST /api/identification/decisions/{ident_id}/decide", "POST", "/api/identification/decisions/{ident}/decide",
     {"confirm": False, "note": "n"}, {"administrator"}),
    ("POST /api/identification/decisions/{ident_id}/notify", "POST", "/api/identification/decisions/{ident}/notify",
     {"on": "2023-01-01", "how": "visit"}, NOTIFY),
    ("POST /api/identification/decisions/{ident_id}/return", "POST", "/api/identification/decisions/{ident}/return",
     {"on": "2023-01-02"}, NOTIFY),
    ("POST /api/identification/same-body", "POST", "/api/identification/same-body",
     {"remains": ["B-A-1", "B-A-2"], "basis": "b"}, DNA),
    ("POST /api/identification/same-body/{group_id}/decide", "POST", "/api/identification/same-body/{group}/decide",
     {"confirm": False, "note": "n"}, {"administrator"}),
]


# --- coverage: every door is in the table ------------------------------------------------------

def _web_patterns():
    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                if str(p.pattern).startswith(("admin/", "api/")):
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)
    return set(walk(get_resolver().url_patterns))


def test_every_page_and_api_operation_is_in_the_table(db):
    from vestige.api import api
    listed = {w[0].split("#")[0] for w in WEB} | WEB_OPEN
    assert _web_patterns() - listed == set(), "pages nobody said who may use"
    schema = api.get_openapi_schema(path_prefix="/api/")
    ops = {f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in item}
    assert ops - {a[0] for a in API} == set(), "API operations nobody said who may use"


# --- roles ----------------------------------------------------------------------------------

def _allowed_status(status: int) -> bool:
    return status not in (401, 403, 404) and status < 500


@pytest.mark.parametrize("route, method, url, body, who", WEB, ids=[f"{w[1]} {w[0]}" for w in WEB])
def test_pages_follow_the_roles_table(world, users, route, method, url, body, who):
    a, _b, _bu = world
    url = _fmt(url, a)
    for role in ROLES:
        c = Client()
        c.force_login(users[role])
        data = {k: _fmt(v, a) if isinstance(v, str) else v for k, v in (body or {}).items()}
        r = c.get(url) if method == "GET" else c.post(url, data)
        for closer in getattr(r, "_resource_closers", []):
            closer()  # a download's file (the server closes it after sending; response.close() would also
            # signal request_finished, which closes the test's database connection on PostgreSQL)
        if role in who:
            # The world's item is a text file (no thumbnail, nothing to play) and link 999999 does not exist.
            absent = route.endswith(("thumbnail.jpg", "/view/", "/remove/")) and r.status_code == 404
            ok = _allowed_status(r.status_code) or absent
            assert ok, (role, url, r.status_code)
        elif route == "admin/":
            assert r.status_code in (302, 403) and "_auth_user_id" in c.session, (role, r.status_code)  # not the admin
        elif route in OWNED:  # every role has its own; another's is not disclosed
            assert r.status_code == 404, (role, url, r.status_code)
        else:
            assert r.status_code == 403, (role, url, r.status_code)


@pytest.mark.parametrize("op, method, url, body, who", API, ids=[a[0] for a in API])
def test_api_follows_the_roles_table(world, users, api_token, op, method, url, body, who):
    a, _b, _bu = world
    url = _fmt(url, a)
    from django.core.files.uploadedfile import SimpleUploadedFile
    for role in ROLES:
        h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(users[role])}"}
        c = Client()
        if body == "multipart":
            r = c.post(url, {"file": SimpleUploadedFile("r.csv", b"body_number,site\nNEW-9,CASE-A\n"), "dry_run": "true"}, **h)
        elif body == "evidence":
            r = c.post(url, {"file": SimpleUploadedFile(f"x-{role}.txt", role.encode()), "site": "CASE-A"}, **h)
        elif method == "GET":
            r = c.get(url, **h)
        else:
            r = getattr(c, method.lower())(url, data=json.dumps(body), content_type="application/json", **h)
        if role in who:
            assert _allowed_status(r.status_code), (role, url, r.status_code, r.content[:300])
        elif op in OWNED:  # another's job is not disclosed
            assert r.status_code == 404, (role, url, r.status_code, r.content[:300])
        else:
            assert r.status_code == 403, (role, url, r.status_code, r.content[:300])
            assert r.json()["error"]["type"] == "PermissionDenied"


# --- cases ----------------------------------------------------------------------------------

# One record's doors (matching runs are national, not case records: their candidates are scoped; the
# public check of a register extract answers anyone holding its number and check code, with the
# extract's date and state only — tested in tests/missing/test_extracts.py).
DETAILS = [d for d in WEB + API if "{" in d[2] and "runs" not in d[0] and "thumbnail" not in d[0]
           and not d[0].startswith("verify/extract/")]


@pytest.mark.parametrize("door", DETAILS, ids=[f"{d[1]} {d[0]}" for d in DETAILS])
def test_another_case_cannot_see_or_touch_a_record(world, api_token, door):
    """Every page and operation on one record of case A answers 404 to the users of case B,
    whatever their role (a 403 would disclose that the record exists)."""
    route, method, url, body, who = door
    a, _b, b_users = world
    url = _fmt(url, a)
    for role, user in b_users.items():
        if role not in who:
            continue  # their role refuses it already (403), tested above
        c = Client()
        if url.startswith("/api/"):
            h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}
            if method == "GET":
                r = c.get(url, **h)
            elif body in ("multipart", "evidence"):
                continue
            else:
                r = getattr(c, method.lower())(url, data=json.dumps(body), content_type="application/json", **h)
        else:
            c.force_login(user)
            r = c.get(url) if method == "GET" else c.post(url, body or {})
        assert r.status_code == 404, (role, url, r.status_code)


LISTS = ["/sites/", "/graves/", "/exhumations/", "/remains/", "/claims/", "/incidents/", "/witnesses/", "/missing/",
         "/families/", "/evidence/", "/identification/", "/sites/export.csv", "/remains/export.csv", "/missing/export.csv",
         "/claims/export.csv", "/incidents/export.csv", "/map/data.geojson", "/", "/lists/"]
API_LISTS = ["/api/sites", "/api/graves", "/api/exhumations", "/api/remains", "/api/claims", "/api/incidents",
             "/api/missing-persons", "/api/evidence", "/api/candidates", "/api/identification/joint",
             "/api/stats/sites", "/api/identification/worklists/notify"]


def _body(r) -> str:
    return (b"".join(r.streaming_content) if r.streaming else r.content).decode(errors="replace")


def test_lists_exports_and_counts_hold_only_the_users_cases(world, users, api_token):
    a, b, b_users = world
    a_marks = [a["site"].ref, a["remains"].body_number, a["claim"].ref, a["incident"].ref, a["witness"].code,
               a["person"].ref, a["family"].ref, a["item"].ref, a["plist"].ref]
    for role, user in b_users.items():
        c = Client()
        c.force_login(user)
        for url in LISTS:
            r = c.get(url)
            if r.status_code == 403:
                continue
            text = _body(r)
            assert not [m for m in a_marks if m in text], (role, url)
        h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}
        for url in API_LISTS:
            r = c.get(url, **h)
            if r.status_code == 403:
                continue
            assert not [m for m in a_marks if m in r.content.decode()], (role, url)
    # Cross-case roles see both cases.
    for role in ("administrator", "auditor"):
        c = Client()
        c.force_login(users[role])
        text = _body(c.get("/sites/")) + _body(c.get("/remains/"))
        assert a["site"].ref in text and b["site"].ref in text
    # A case-A user sees A, not B.
    c = Client()
    c.force_login(users["investigator"])
    text = _body(c.get("/sites/")) + _body(c.get("/witnesses/")) + _body(c.get("/evidence/"))
    assert a["site"].ref in text and a["witness"].code in text and b["site"].ref not in text
    assert b["witness"].code not in text and b["item"].ref not in text


def test_writes_cannot_reach_into_another_case(world, users):
    """Naming another case's record in a write is "no such record", whatever the door."""
    from vestige.claims import services as claims
    from vestige.errors import InvalidInput, NotFound
    from vestige.evidence import services as evidence
    from vestige.registry import services as registry
    from vestige.registry.models import Grave, Remains
    a, b, b_users = world
    inv_b, exam_b = b_users["investigator"], b_users["forensic_examiner"]
    with pytest.raises(InvalidInput, match="No site"):
        registry.create(inv_b, Grave, {"site": a["site"].ref, "label": "77"})
    with pytest.raises(InvalidInput):
        registry.create(exam_b, Remains, {"body_number": "X-1", "site": b["site"], "grave": a["grave"].pk})
    with pytest.raises(NotFound):
        registry.update(exam_b, a["remains"], {"notes": "edited from case B"})
    with pytest.raises((InvalidInput, NotFound)):
        claims.add_link(b_users["analyst"], b["claim"], "supports", site=a["site"].ref)
    with pytest.raises((InvalidInput, NotFound)):
        evidence.ingest(inv_b, io.BytesIO(b"new file"), "n.txt", links={"site": a["site"].ref})
    from vestige.errors import PermissionDenied
    with pytest.raises(PermissionDenied, match="not a member"):
        registry.create(inv_b, __import__("vestige.registry.models", fromlist=["Site"]).Site,
                        {"ref": "SNEAK", "name": "n", "kind": "mass_grave", "case": "MAIN",
                         "geometry": {"type": "Point", "coordinates": [37.0, 49.0]}})
    # Imports: a row naming another case's site is a bad row, nothing written.
    from vestige.errors import ImportRejected
    from vestige.registry.importing import import_file
    with pytest.raises(ImportRejected) as e:
        import_file(exam_b, "remains", io.BytesIO(f"body_number,site\nX-9,{a['site'].ref}\n".encode()), "r.csv")
    assert e.value.rows[0].column == "site"
    assert not Remains.objects.filter(body_number__in=["X-1", "X-9"]).exists()


def test_candidates_belong_to_both_the_body_and_the_family(world, users):
    """A candidate pairs a body of one case with a family that may be of another: members of
    either case see it; nobody else does."""
    from vestige import access
    from vestige.identification.models import Candidate
    a, b, b_users = world
    cross = Candidate.objects.filter(run=a["run"], remains=a["crossing"], missing_person=b["person"]).first()
    assert cross is not None and cross.log10_lr > 2  # the run is national: case A's body, case B's family
    assert access.visible(users["dna_analyst"], cross) and access.visible(b_users["dna_analyst"], cross)
    own_a = Candidate.objects.filter(run=a["run"], remains=a["remains"], missing_person=a["person"]).get()
    assert not access.visible(b_users["dna_analyst"], own_a)


# --- the command line -----------------------------------------------------------------------

def _cli_commands():
    from vestige.cli import build_parser

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if any(isinstance(x, argparse._SubParsersAction) for x in sub._actions):
                        yield from walk(sub, [*prefix, name])
                    else:
                        yield " ".join([*prefix, name]), any("--as" in x.option_strings for x in sub._actions)
    return dict(walk(build_parser(), []))


# Commands that touch case data act as a named user and obey the roles table; the others are
# the server's own tools (shell access is their authentication, as with manage.py) or read
# files only (kinship). command → (arguments after the command, who may)
CLI = {
    "import": (["remains", "{tmp}/r.csv", "--dry-run"], REMAINS_W),
    "claims export": (["--csv"], ALL),
    "incidents import": (["{tmp}/acled.csv", "--dry-run"], CLAIM_W),
    "identify run": ([], RUN),
    "identify import-samples": (["{tmp}/p.csv", "--lab", "L", "--kit", "K", "--dry-run"], DNA),
    "identify import-lineage": (["y", "{tmp}/p.csv", "--lab", "L", "--dry-run"], DNA),
    "identify databases": (["list"], IDENT_R),
    "identify candidates": ([], IDENT_R),
    "identify joint": ([], IDENT_R),
    "identify worklist": (["notify"], NOTIFY),
    "identify propose": (["{candidate}", "--basis", "b"], DNA),
    "identify decide": (["{ident}", "--reject", "--note", "n"], {"administrator"}),
    "identify notify": (["{ident}", "--on", "2023-01-01", "--how", "visit"], NOTIFY),
    "identify return": (["{ident}", "--on", "2023-01-02"], NOTIFY),
    "identify same-body": (["{body}", "B-A-2", "--basis", "b"], DNA),
    "identify decide-same-body": (["{group}", "--reject", "--note", "n"], {"administrator"}),
    "identify sample-element": (["{sample_code}", "EL-999999"], DNA),
    "identify resolve-sample": (["{sample_code}", "--accept", "--note", "n"], DNA),
    "evidence ingest": (["{tmp}/e.txt", "--site", "CASE-A"], EV_W),
    "evidence import-auto-archiver": (["{tmp}/aa.json"], EV_W),
    "evidence verify": (["--all"], ALL),
    "evidence export": (["--items", "{item}", "--out", "{tmp}/bag-{role}"], EV_EXPORT),
    "evidence capture": (["ftp://example.org/x"], EV_W),  # refused as not http(s), after the role check
    "missing import": (["{tmp}/m.csv", "--dry-run"], MISSING_W),
    "missing import-references": (["{tmp}/p.csv", "--lab", "L", "--kit", "K", "--dry-run"], DNA),
    "missing import-pedigrees": (["{tmp}/ped.csv", "--dry-run"], MISSING_W),
    "missing add-relative": (["{family}", "full_sibling", "X", "--sex", "female"], MISSING_W),
    "missing update-member": (["{family}", "X", "--label", "l"], MISSING_W),
    "missing remove-member": (["{family}", "X"], MISSING_W),
    "missing show-family": (["{family}"], MISSING_R),
    "missing list-import": (["{tmp}/list.csv", "--source", "NIB", "--case", "MAIN", "--dry-run"], MISSING_W),
    "missing list-link": (["{list}"], MISSING_W),
    "missing list-show": (["{list}", "--out", "{tmp}/list-{role}.csv"], MISSING_R),
    "missing list-decide": (["{list}", "3", "reject"], MISSING_W),
    "keys rotate": ([], ADMIN),
    "user otp-reset": (["u-analyst"], ADMIN),
    "user unlock": (["u-analyst"], ADMIN),
    "token create": (["--name", "t"], ALL),
    "token list": ([], ALL),
    "token revoke": (["999999"], ALL),
    "case create": (["CASE-{ROLE}", "Case of {role}"], ADMIN),
    "case member": (["CASE-B", "u-analyst"], ADMIN),
    "dvi dental-match": ([], IDENT_R),
    "dvi implant-match": ([], IDENT_R),
    "dvi board": (["{body}", "{person}"], IDENT_R),
    "dvi compare": (["{body}", "{person}", "--method", "fingerprints", "--conclusion", "inconclusive"], DVI_C),
    "dvi verify": (["{comparison}", "--agree"], DVI_C),
    "dvi propose": (["{body}", "{person}"], BOARD),
    "dvi export": (["--out", "{tmp}/dvi-{role}.json"], IDENT_R),
    "dvi load": (["{tmp}/dvi.json"], DVI_IMPORT),
    "dvi import": (["dental", "pm", "{tmp}/dental.csv", "--dry-run"], REMAINS_W),
}
CLI_SHELL = {"demo", "serve", "worker", "manage", "identify stats", "evidence public-key", "evidence verify-bag", "evidence cleanup",
             "evidence migrate-store",
             "evidence head", "evidence journal", "evidence timestamp", "evidence checkpoint", "evidence witnesses",
             "witness key", "witness serve", "keys new-field-key", "keys new-ledger-key", "user create", "case list",
             "kinship lr", "kinship search", "kinship joint", "kinship pm-match", "kinship plan", "kinship simulate",
             "kinship relate", "kinship check", "kinship familias", "kinship to-familias", "dvi pair-match", "dvi mni"}


def test_every_cli_command_is_in_the_table():
    commands = _cli_commands()
    assert set(commands) - set(CLI) - CLI_SHELL == set(), "commands nobody said who may use"
    assert all(commands[c] for c in CLI), "a command of the table does not take --as USER"
    assert not [c for c in CLI_SHELL if commands.get(c)], "a shell command takes --as: put it in the table"


@pytest.mark.parametrize("command", sorted(CLI), ids=sorted(CLI))
def test_cli_follows_the_roles_table(world, users, tmp_path, capsys, command):
    from vestige.cli import main
    a, _b, _bu = world
    (tmp_path / "r.csv").write_text("body_number,site\nNEW-1,CASE-A\n")
    (tmp_path / "m.csv").write_text("family,family_name,given_name\nNEW-FAM,A,B\n")
    (tmp_path / "p.csv").write_text("sample,marker,allele1,allele2\nNOBODY,D3S1358,15,16\n")
    (tmp_path / "ped.csv").write_text("family,member,sex,father,mother\nNEW-FAM,F,male,,\n")
    (tmp_path / "acled.csv").write_text("event_id_cnty,event_date,event_type,country,latitude,longitude,fatalities\n")
    (tmp_path / "e.txt").write_text("x")
    (tmp_path / "aa.json").write_text("[]")
    (tmp_path / "dvi.json").write_text('{"format": "vestige-dvi-exchange", "version": 1}')
    (tmp_path / "dental.csv").write_text("owner,tooth,state\nB-A-1,16,sound\n")
    (tmp_path / "list.csv").write_text("surname,name\nStranger,Someone\n")
    args, who = CLI[command]
    for role in ROLES:
        fill = {"tmp": str(tmp_path), "role": role, "ROLE": role.upper().replace("_", "-"),
                "candidate": str(a["candidate"].pk), "ident": str(a["ident"].pk), "group": str(a["group"].pk),
                "sample": str(a["sample"].pk), "sample_code": a["sample"].code, "body": a["remains"].body_number, "item": a["item"].ref,
                "family": a["family"].ref, "person": a["person"].ref, "comparison": str(a["comparison"].pk),
                "list": a["plist"].ref}
        argv = [*command.split(), *[x.format(**fill) for x in args], "--as", users[role].username]
        code = main(argv)
        err = capsys.readouterr().err
        if role in who:
            assert code != 4, (role, argv, err)
        else:
            assert code == 4, (role, argv, code, err)


def test_runs_and_statistics_hold_only_the_users_cases(world, users, api_token):
    """Issue 24: a matching run's joint groups, the statistics page and `GET /api/identification/
    stats` showed every case's families, names and counts to anyone who could read them."""
    a, b, b_users = world
    from vestige.identification.models import JointGroup
    from vestige.missing.models import MissingPerson
    run = a["run"]
    # the run's groups as the engine writes them: one of case A's bodies and missing person alone
    # (two bones competing for A's missing man), beside the one that crosses the cases
    JointGroup.objects.create(run=run, index=90, data={
        "remains": [a["remains"].body_number, a["other_remains"].body_number], "missing": [a["person"].ref],
        "exact": True, "assignments": [{"log10_lr": 6.0, "pairs": [[a["remains"].body_number, a["person"].ref]]}],
        "symmetric": []})
    a_marks = [a["person"].ref, a["family"].ref, a["remains"].body_number]
    user = b_users["dna_analyst"]
    c = Client()
    c.force_login(user)
    for url in (f"/identification/runs/{run.pk}/", "/identification/stats/", "/identification/"):
        r = c.get(url)
        assert r.status_code == 200, url
        text = _body(r)
        assert not [m for m in a_marks if m in text], (url, [m for m in a_marks if m in text])
    h = {"HTTP_AUTHORIZATION": f"Bearer {api_token(user)}"}
    r = c.get("/api/identification/stats", **h)
    assert r.status_code == 200
    mine = MissingPerson.objects.filter(family__case__code="CASE-B", withdrawn_at__isnull=True).count()
    assert r.json()["missing"] == mine < MissingPerson.objects.filter(withdrawn_at__isnull=True).count()
    r = c.get(f"/api/identification/stats?site={a['site'].ref}", **h)  # another case's site: not found
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound"
    # a case-A user still sees A's group on the run page, and the whole register's figures go to
    # the cross-case roles
    ca = Client()
    ca.force_login(users["dna_analyst"])
    assert a["person"].ref in _body(ca.get(f"/identification/runs/{run.pk}/"))
    assert a["person"].ref not in _body(c.get(f"/identification/runs/{run.pk}/"))  # and B's user, again: not
    cx = Client()
    r = cx.get("/api/identification/stats", HTTP_AUTHORIZATION=f"Bearer {api_token(users['administrator'])}")
    assert r.json()["missing"] == MissingPerson.objects.filter(withdrawn_at__isnull=True).count()
