"""Issue 13's "every role's main path" in real Chromium: each role logs in and walks the pages of
its work, at a phone's width and a desk's, in English and in Ukrainian. Every page answers, draws
with no console error, has no serious or critical axe-core violation, and — in Ukrainian — shows no
English interface string: a heading, label, button, link, table header or term whose text is an
English message that has a Ukrainian translation is a leak."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)
from tests.web.test_browser_field import _axe, _login

pytestmark = pytest.mark.browser

from tests.web.test_i18n import po_entries  # noqa: E402

UK = dict(po_entries())
LEAKS = {k for k, v in UK.items() if v != k and len(k) > 3 and "%" not in k and "\x04" not in k}
ELEMENTS = "h1, h2, h3, th, label, button, summary, dt, legend, nav a, .kpi span, option"


@pytest.fixture
def world(users, admin, site, grave, remains):
    from tests.claims.test_claims import make_claim
    from vestige.dvi import services as dvi
    from vestige.missing import services as missing

    claim = make_claim(users["analyst"], site, value=447, day=dt.date(2022, 9, 23))
    fam = missing.create_family(users["family_liaison"], "Гнатюк")
    mp = missing.create_missing_person(users["family_liaison"], fam, {"family_name": "Гнатюк", "given_name": "Ілля",
                                                                      "sex": "male"})
    dvi.save_chart(users["family_liaison"], mp, {"16": {"state": "crown"}, "26": {"state": "filled", "surfaces": "MO"}})
    dvi.save_chart(users["forensic_examiner"], remains, {"16": {"state": "crown"}, "26": {"state": "filled",
                                                                                          "surfaces": "MOD"}})
    return {"claim": claim, "person": mp, "remains": remains, "family": fam}


def _paths(w) -> dict[str, list[str]]:
    r, mp, c = w["remains"], w["person"], w["claim"]
    return {
        "investigator": ["/", "/sites/new/", "/sites/TST-SITE/", "/graves/new/", "/exhumations/", "/claims/",
                         "/incidents/", "/witnesses/new/", "/evidence/upload/", "/evidence/capture/", "/map/"],
        "forensic_examiner": ["/remains/new/", f"/remains/{r.pk}/", f"/dvi/pm/{r.pk}/", f"/dvi/pm/{r.pk}/chart/",
                              "/dvi/", f"/dvi/board/{r.pk}/{mp.ref}/", "/import/"],
        "dna_analyst": ["/identification/", "/identification/worklists/confirm/", "/identification/stats/",
                        "/import/", f"/missing/{mp.ref}/"],
        "family_liaison": ["/missing/new/", "/missing/", f"/missing/{mp.ref}/", f"/families/{w['family'].ref}/",
                           f"/dvi/am/{mp.ref}/", f"/dvi/am/{mp.ref}/chart/", "/identification/worklists/notify/"],
        "analyst": ["/claims/", f"/claims/{c.ref}/", "/sites/TST-SITE/claims/", "/incidents/new/", "/evidence/"],
        "auditor": ["/audit/", "/identification/stats/", "/evidence/jobs/", "/remains/"],
        "administrator": ["/", "/accounts/profile/", "/sites/", "/evidence/"],
    }


def test_every_role_walks_its_pages_in_both_languages_on_a_phone_and_a_desk(browser, live_server, users,  # noqa: F811
                                                                            world):
    problems: dict[str, object] = {}
    for role, paths in _paths(world).items():
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(15000)
            errors: list[str] = []
            page.on("console", lambda m, e=errors, p=page: e.append(f"{p.url}: {m.text}") if m.type == "error" else None)
            _login(page, live_server, users[role])
            for lang in ("en", "uk"):
                if lang == "uk":
                    page.select_option("#lang-form select", "uk")
                    page.wait_for_selector("html[lang=uk]")
                for path in paths:
                    resp = page.goto(live_server.url + path)
                    page.wait_for_load_state("networkidle")
                    key = f"{role} {width}px {lang} {path}"
                    if resp.status != 200:
                        problems[key] = resp.status
                        continue
                    if page.evaluate("document.documentElement.scrollWidth") > width + 1:
                        problems[key + " width"] = page.evaluate("document.documentElement.scrollWidth")
                    if width == 1280 and (found := _axe(page)):
                        problems[key + " axe"] = found
                    if lang == "uk":
                        texts = page.eval_on_selector_all(ELEMENTS, "els => els.map(e => e.textContent.trim())")
                        leaked = sorted({t for t in texts if t in LEAKS})
                        if leaked:
                            problems[key + " English"] = leaked
            if errors:
                problems[f"{role} {width}px console"] = errors
            page.close()
    assert not problems, problems
