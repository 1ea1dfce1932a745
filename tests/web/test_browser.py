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
