"""Issue 14's path in real headless Chromium: a forensic examiner records a PM dental chart and
effects through the pages, a family liaison (in Ukrainian) records the AM chart from a dentist's
notes, the dental comparison ranks the right person first with its tooth table, the board shows
DNA and dental side by side, a second examiner verifies, two people decide; axe-core finds no
serious or critical violation on the board, and the report's PDF carries the Cyrillic name."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.files import pdf_text as _pdf_text
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)
from tests.web.test_browser_field import _axe, _login

pytestmark = pytest.mark.browser

PM = {"16": ("crown", "", True), "26": ("filled", "MO", False), "36": ("missing_am", "", False),
      "46": ("filled", "O", False), "11": ("sound", "", False)}
AM = {"16": ("crown", "", True), "26": ("filled", "MO", False), "36": ("missing", "", False),
      "46": ("sound", "", False), "11": ("sound", "", False)}


@pytest.fixture
def pair(users, admin, site, settings):
    """A missing man whose parents gave references, his remains with a bone sample, a current run;
    and his brother, also missing, with a dentist's chart that is not his."""
    from vestige.dvi import services as dvi
    from vestige.identification import services as ident
    from vestige.kinship import read_frequencies
    from vestige.kinship.mutation import MutationModel
    from vestige.kinship.simulate import Drawer
    from vestige.missing import pedigrees
    from vestige.missing import services as missing
    from vestige.registry import services as registry
    from vestige.registry.models import Remains

    settings.VESTIGE_TASKS_INLINE = True
    table = read_frequencies(ident.frequencies_path())
    markers = sorted(table.alleles)[:21]
    drawer = Drawer(table, markers, MutationModel(), np.random.default_rng(5))
    liaison, dna = users["family_liaison"], users["dna_analyst"]
    fam = missing.create_family(liaison, "Шевченко")
    mp = missing.create_missing_person(liaison, fam, {"family_name": "Шевченко", "given_name": "Богдан", "sex": "male",
                                                      "birth_date": dt.date(1975, 2, 3)}, member="X")
    pedigrees.add_relative(liaison, fam, "father", "X")
    node = fam.members.get(code="X")
    f, m = drawer.founder(), drawer.founder()
    child = np.stack([drawer.transmit(f, "male"), drawer.transmit(m, "female")], axis=1)

    def geno(g):
        return {mk: (table.alleles[mk][g[i, 0]], table.alleles[mk][g[i, 1]]) for i, mk in enumerate(markers)}
    for member, g in ((node.father, f), (node.mother, m)):
        d = missing.add_donor(liaison, fam, member.code, consent_on=dt.date(2022, 10, 1))
        missing.add_reference_profile(dna, d, geno(g), lab="Lab", kit="GlobalFiler")
    brother = missing.create_missing_person(liaison, fam, {"family_name": "Шевченко", "given_name": "Олег",
                                                           "sex": "male"})
    dvi.save_chart(liaison, brother, {"16": {"state": "sound"}, "26": {"state": "crown"}, "36": {"state": "sound"}})
    r = registry.create(admin, Remains, {"body_number": "DVI-1", "site": site, "sex": "male", "age_min": 40,
                                         "age_max": 55})
    ident.add_remains_sample(dna, r, geno(child), material="bone", lab="Lab", kit="GlobalFiler")
    ident.start_run(dna)
    return mp, r


def _fill_chart(page, teeth):
    for tooth, (state, surfaces, rc) in teeth.items():
        page.select_option(f"select[name=t{tooth}_state]", state)
        if surfaces:
            page.fill(f"input[name=t{tooth}_surfaces]", surfaces)
        if rc:
            page.check(f"input[name=t{tooth}_rc]")


def test_examiner_and_liaison_chart_the_board_compares_two_people_decide(browser, live_server, users,  # noqa: F811
                                                                         make_user, pair):
    from vestige.identification.models import Identification

    mp, r = pair
    base = live_server.url
    page = browser.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    # The examiner charts the body and records its watch.
    _login(page, live_server, users["forensic_examiner"])
    page.goto(f"{base}/remains/{r.pk}/")
    page.click("#pm-record")
    page.click("text=Record the dental chart")
    page.fill("#id_charted_on", "2022-09-25")
    _fill_chart(page, PM)
    page.click("#chart-form button[type=submit]")
    page.wait_for_selector("svg.odontogram")
    assert page.locator('svg.odontogram g[data-tooth="16"]').count() == 1
    page.click("#effects summary")
    page.select_option("#effects select[name=category]", "watch")
    page.fill("#effects textarea[name=description]", "Годинник «Восток»")
    page.click("#effects form button[type=submit]")
    page.wait_for_selector("text=Годинник «Восток»")
    # The liaison, in Ukrainian, records the dentist's chart of the missing man.
    _login(page, live_server, users["family_liaison"])
    page.select_option("#lang-form select", "uk")
    page.wait_for_selector("html[lang=uk]")
    page.goto(f"{base}/missing/{mp.ref}/")
    page.click("#am-record")
    page.click("text=Записати зубну карту")
    page.fill("#id_charted_on", "2019-04-02")
    page.fill("#id_source", "Стоматологічна поліклініка, Ізюм")
    _fill_chart(page, AM)
    page.click("#chart-form button[type=submit]")
    page.wait_for_selector("svg.odontogram")
    # The examiner: the dental comparison ranks him first; the board shows DNA and dental together.
    _login(page, live_server, users["forensic_examiner"])
    page.goto(f"{base}/dvi/pm/{r.pk}/")
    first = page.locator("#dental-candidates tbody tr").first
    assert mp.ref in first.inner_text()
    first.locator("a").click()
    page.wait_for_selector("#tooth-table")
    verdicts = dict(zip(page.locator("#tooth-table tbody td:first-child").all_inner_texts(),
                        page.locator("#tooth-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.verdict)"),
                        strict=True))
    assert verdicts == {"11": "concordant", "16": "concordant", "26": "concordant", "36": "concordant",
                        "46": "explainable"}
    assert "10" in page.inner_text("#board-dna") and page.locator("#board-dna .tag").count() >= 1
    assert page.locator('svg.odontogram g[data-verdict="explainable"]').count() == 1
    assert _axe(page) == []
    page.click("text=Record a conclusion")
    page.select_option("#compare-form select[name=method]", "dental")
    page.select_option("#compare-form select[name=conclusion]", "identification")
    page.fill("#compare-form textarea[name=note]", "Crown with root canal 16, MO filling 26, 36 extracted")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("text=Awaiting verification")
    # A second examiner verifies (ACE-V); then proposes at the board.
    _login(page, live_server, make_user("forensic_examiner", "odontologist-2"))
    page.goto(f"{base}/dvi/board/{r.pk}/{mp.ref}/")
    page.click("#comparisons button[value=agree]")
    page.wait_for_selector("#propose-form")
    assert "DNA" in page.inner_text("#established") and "Dental" in page.inner_text("#established")
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector("#decision")
    # A DNA analyst, the second board member, confirms.
    _login(page, live_server, users["dna_analyst"])
    page.goto(f"{base}/dvi/board/{r.pk}/{mp.ref}/")
    page.click("#decision button[value=confirm]")
    page.wait_for_selector("text=Confirmed")
    ident = Identification.objects.get(remains=r)
    assert (ident.status, ident.identified_by) == ("confirmed", "combined")
    pdf = page.request.get(f"{base}/dvi/board/{r.pk}/{mp.ref}/report.pdf")
    text = _pdf_text(pdf.body())
    assert "Шевченко Богдан" in text and "2. Primary identifiers" in text
    assert errors == []
