"""A person's path through the web app in real headless Chromium (Debian's /usr/bin/chromium),
driven by Playwright: log in, dashboard, map, a remains record, an invalid form and its error."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # body (fixtures) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def test_investigator_journey(browser, live_server, examiner, remains, tmp_path):
    from tests.conftest import PASSWORD

    page = browser.new_page()
    page.set_default_timeout(15000)
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url

    # Log in.
    page.fill("#id_username", examiner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator(".kpi b").first.inner_text() == "1"  # one grave recorded
    page.screenshot(path=str(tmp_path / "dashboard.png"))
    if os.environ.get("VESTIGE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["VESTIGE_SCREENSHOTS"], "dashboard.png"))

    # The map draws the site and its graves from the vendored Leaflet (no network).
    page.goto(live_server.url + "/map/?site=TST-SITE")
    page.wait_for_selector("#map[data-loaded='2']")
    # Features are drawn on a canvas (preferCanvas: fast for sites with thousands of graves).
    assert page.locator(".leaflet-overlay-pane canvas").count() == 1
    page.screenshot(path=str(tmp_path / "map.png"))
    shot_dir = os.environ.get("VESTIGE_SCREENSHOTS")
    if shot_dir:
        page.screenshot(path=os.path.join(shot_dir, "map.png"))

    # A remains record.
    page.goto(live_server.url + f"/remains/{remains.pk}/")
    assert "TST-0001" in page.locator("h1").inner_text()
    assert "Bound hands" in page.locator("dl.fields").last.inner_text()

    # An invalid edit: minimum age above maximum. The field error is shown and nothing changes.
    page.goto(live_server.url + f"/remains/{remains.pk}/edit/")
    page.fill("#id_age_min", "60")
    page.fill("#id_age_max", "40")
    page.click("form.record button[type=submit]")
    error = page.locator("#row-age_max .errorlist")
    error.wait_for()
    assert "The maximum age is below the minimum age." in error.inner_text()
    remains.refresh_from_db()
    assert (remains.age_min, remains.age_max) == (30, 45)

    # Switch the interface to Ukrainian.
    page.goto(live_server.url + "/")
    page.select_option("#lang-form select", "uk")
    page.wait_for_selector("html[lang=uk]")
    assert page.locator("h1").inner_text() == "Огляд"
    page.close()


def test_identification_path_of_a_family_of_four(browser, live_server, users, admin, site, settings, tmp_path):
    """A liaison builds a family of four (two missing children, a surviving mother who gives a
    sample, a deceased father) through the pages; the DNA analyst imports her profile and the
    children's bone samples from files, runs matching and proposes; a second person confirms;
    the liaison notifies the family and records the return — all in the browser."""
    import datetime as dt

    import numpy as np

    from tests.conftest import PASSWORD
    from vestige.identification.services import frequencies_path
    from vestige.kinship import read_frequencies
    from vestige.kinship.mutation import MutationModel
    from vestige.kinship.simulate import Drawer
    from vestige.missing.models import Donor, Family, MissingPerson
    from vestige.registry import services as registry
    from vestige.registry.models import Remains

    settings.VESTIGE_TASKS_INLINE = True
    table = read_frequencies(frequencies_path())
    markers = ["D3S1358", "VWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441", "D19S433",
               "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820", "SE33", "D10S1248", "D1S1656", "D12S391",
               "D2S1338"]
    drawer = Drawer(table, markers, MutationModel(), np.random.default_rng(2))
    father, mother = drawer.founder(), drawer.founder()
    kids = [np.stack([drawer.transmit(father, "male"), drawer.transmit(mother, "female")], axis=1) for _ in range(2)]

    def rows(sample, g):
        return "".join(f"{sample},{m},{table.alleles[m][g[i, 0]]},{table.alleles[m][g[i, 1]]}\n" for i, m in enumerate(markers))

    son = registry.create(admin, Remains, {"body_number": "B-SON", "site": site, "sex": "male"})
    daughter = registry.create(admin, Remains, {"body_number": "B-DAU", "site": site, "sex": "female"})

    def login(page, user):
        page.context.clear_cookies()
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")

    page = browser.new_page()
    page.set_default_timeout(20000)
    # The liaison registers the son, which opens the family.
    login(page, users["family_liaison"])
    page.goto(live_server.url + "/missing/new/")
    page.fill("#id_new_family", "Петренко")
    page.fill("#id_family_name", "Петренко")
    page.fill("#id_given_name", "Олег")
    page.select_option("#id_sex", "male")
    page.click("form.record button[type=submit]")
    page.wait_for_selector("h1")
    fam = Family.objects.get(name="Петренко")
    son_mp = MissingPerson.objects.get(family=fam, given_name="Олег")
    # The surviving mother, who gives a sample; the father comes with her (untyped).
    page.goto(live_server.url + fam.get_absolute_url())
    page.select_option("#id_rel-relation", "mother")
    page.select_option("#id_rel-of", son_mp.member.code)
    page.check("#id_rel-donor")
    page.fill("#id_rel-contact", "+380 00 000 1111 (test)")
    page.click("#add-relative button[type=submit]")
    page.wait_for_selector("table#members")
    son_mp.member.refresh_from_db()
    fa = son_mp.member.father
    assert son_mp.member.mother.code in page.content()
    # The father died: corrected on his row.
    page.check(f"#member-{fa.code} input[name=deceased]")
    page.click(f"#member-{fa.code} button:has-text('Save')")
    page.wait_for_selector("table#members")
    fa.refresh_from_db()
    assert fa.deceased
    # The daughter, registered, then placed under her parents on the family page.
    page.goto(live_server.url + "/missing/new/")
    page.select_option("#id_family", str(fam.pk))
    page.fill("#id_family_name", "Петренко")
    page.fill("#id_given_name", "Ірина")
    page.select_option("#id_sex", "female")
    page.click("form.record button[type=submit]")
    page.wait_for_selector("h1")
    dau_mp = MissingPerson.objects.get(family=fam, given_name="Ірина")
    page.goto(live_server.url + fam.get_absolute_url())
    row = f"#member-{dau_mp.member.code}"
    page.fill(f"{row} input[name=father]", fa.code)
    page.fill(f"{row} input[name=mother]", son_mp.member.mother.code)
    page.click(f"{row} button:has-text('Save')")
    page.wait_for_selector("table#members")
    dau_mp.member.refresh_from_db()
    assert dau_mp.member.father_id == fa.pk
    donor = Donor.objects.get(family=fam)

    # The DNA analyst imports the mother's profile and the two bones (dry run first, then the kept file).
    login(page, users["dna_analyst"])
    refs = tmp_path / "refs.csv"
    refs.write_text("sample,marker,allele1,allele2\n" + rows(donor.code, mother))
    bones = tmp_path / "bones.csv"
    bones.write_text("sample,marker,allele1,allele2\n" + rows("B-SON", kids[0]) + rows("B-DAU", kids[1]))
    for kind, path in (("references", refs), ("samples", bones)):
        page.goto(live_server.url + "/import/")
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(path))
        page.fill("#id_lab", "Test lab")
        page.fill("#id_kit", "GlobalFiler")
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#staged-note")
        page.uncheck("#id_dry_run")
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#import-report")
        assert "Imported" in page.locator("#import-report").inner_text()
    # Matching, then the son's candidate: the DNA tells the children apart by sex here.
    page.goto(live_server.url + "/identification/")
    page.click("text=Start a matching run")
    page.wait_for_selector("text=Review the candidates")
    page.goto(live_server.url + "/identification/")
    page.click("#candidates a:has-text('B-SON')")
    page.wait_for_selector("#posterior")
    assert son_mp.ref in page.locator("h1").inner_text()
    assert 'id="symmetric"' not in page.content()
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector("#decision")

    # A second person confirms from their worklist.
    login(page, admin)
    page.goto(live_server.url + "/identification/worklists/confirm/")
    page.click("#worklist a:has-text('open')")
    page.click("button[value=confirm]")
    page.wait_for_selector("text=Family notified")

    # The liaison tells the family and records the return.
    login(page, users["family_liaison"])
    page.goto(live_server.url + "/identification/worklists/notify/")
    page.click("#worklist a:has-text('open')")
    page.fill("input[name=how]", "in person, at home")
    page.click("button:has-text('Record notification')")
    page.wait_for_selector("button:has-text('Record return of the remains')")
    page.click("button:has-text('Record return of the remains')")
    page.wait_for_selector("text=Returned")
    son.refresh_from_db()
    assert son.status == "returned"
    assert dt.date.today().isoformat() in page.content()
    assert daughter.candidates.exists()
