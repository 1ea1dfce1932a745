"""Cross-app reads: the audit trail, the printed site report and case file, the timelines of a site and
of a missing person (issue 13: each test failed before its fix)."""

from __future__ import annotations

import datetime as dt

from tests.files import pdf_text as _pdf_text


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


def test_the_audit_trail_names_records_and_shows_labels_not_codes(login, admin, grave, remains):
    from vestige.registry import services

    services.update(admin, grave, {"marker_type": "plaque"})
    c = login(admin)
    html = c.get("/audit/").content.decode()
    # Before: "grave #1", "remains #1" and "marker_type: wooden_cross → plaque".
    assert f'<a href="{remains.get_absolute_url()}">remains TST-0001</a>' in html
    assert f'href="{grave.get_absolute_url()}"' in html
    assert "<b>marker type</b>: Wooden cross → Plaque" in html or "<b>marker type</b>: None → Plaque" in html
    assert "marker_type" not in html.split("<table>")[1]
    assert "Bound hands" in html and "bound_hands" not in html.split("<table>")[1]
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    uk = c.get(f"/remains/{remains.pk}/").content.decode()
    assert "Зв&#x27;язані руки" in uk  # the history's coded values in the interface's language


def test_site_report_prints_counts_plan_claims_and_graves_in_the_readers_language(login, users, admin, site, grave,
                                                                                 remains):
    from tests.claims.test_claims import make_claim
    from vestige.registry import services

    services.update(admin, site, {"name": "Піщанське кладовище <b>"})
    make_claim(users["analyst"], site, value=3)
    c = login(users["analyst"])
    r = c.get(f"/sites/{site.ref}/report.pdf")
    assert r["Content-Type"] == "application/pdf"
    text = _pdf_text(r.content)
    # Cyrillic and markup printed as typed; the counts are the records' (1 grave, 1 remains: a woman).
    assert "Піщанське кладовище" in text and "<b>" in text and "Graves recorded" in text
    assert "Women" in text and "≠" in text  # the claim of 3 bodies differs from the 1 recorded
    assert "1 graves; the plan spans" in text
    c.post("/i18n/setlang/", {"language": "uk", "next": "/"})
    uk = _pdf_text(c.get(f"/sites/{site.ref}/report.pdf").content)
    assert "Звіт про місце" in uk and "Graves recorded" not in uk


def test_case_file_of_a_missing_person_without_dna_or_contacts(login, users):
    import datetime as dt

    from vestige.history.models import ChangeRecord
    from vestige.missing import services as missing

    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Ткаченко", contact="+380 00 555 0000 (synthetic)")
    mp = missing.create_missing_person(liaison, fam, {"family_name": "Ткаченко", "given_name": "Марія", "sex": "female",
                                                      "birth_date": dt.date(1970, 2, 3), "clothing": "синя куртка"})
    c = login(liaison)
    text = _pdf_text(c.get(f"/missing/{mp.ref}/case-file.pdf").content)
    assert "Ткаченко Марія" in text and "синя куртка" in text and "1970-02-03" in text
    assert "+380 00 555" not in text  # no contact is printed
    assert ChangeRecord.objects.filter(object_id=mp.pk, content_type__model="missingperson", action="viewed").exists()
    assert login(users["analyst"]).get(f"/missing/{mp.ref}/case-file.pdf").status_code == 403


def test_timelines_of_a_site_and_of_a_missing_person_come_from_the_records(login, users, admin, site, exhumation,
                                                                          remains):
    import re

    from tests.claims.test_claims import make_claim
    from vestige.missing import services as missing
    from vestige.registry import services

    services.update(admin, remains, {"recovered_on": dt.date(2022, 9, 18)})
    make_claim(users["analyst"], site, value=3, day=dt.date(2022, 9, 23))
    html = login(admin).get(f"/sites/{site.ref}/").content.decode()
    tl = html.split('id="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r'datetime="([\d-]+)"', tl)
    assert dates == sorted(dates)  # in order
    # The fixtures' dates: discovered 2022-09-15, the exhumation's start, one body recovered 2022-09-18, the claim.
    assert "2022-09-15" in dates and "2022-09-18" in dates and "2022-09-23" in dates
    assert "1 remains recovered" in tl and "Site discovered" in tl and "Claim CLM-" in tl

    liaison = users["family_liaison"]
    fam = missing.create_family(liaison, "Савченко")
    mp = missing.create_missing_person(liaison, fam, {"family_name": "Савченко", "given_name": "Олена",
                                                      "birth_date": dt.date(1980, 1, 2), "last_seen_on": dt.date(2022, 3, 10),
                                                      "last_seen_place": "Ізюм"})
    missing.add_donor(liaison, fam, "M", consent_on=dt.date(2022, 10, 1), sex="female", label="mother")
    tl = login(liaison).get(f"/missing/{mp.ref}/").content.decode().split('id="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r'datetime="([\d-]+)"', tl)
    assert dates[:3] == ["1980-01-02", "2022-03-10", "2022-10-01"] and "Last seen: Ізюм" in tl
    assert "Reported missing" in tl and "gave consent" in tl


def test_every_printed_page_is_numbered_in_the_readers_language(login, users, site):
    """Issue 29, part 5: page numbers, "Page N of M", in the reader's language."""
    c = login(users["administrator"])
    text = _pdf_text(c.get(f"/sites/{site.ref}/report.pdf").content)
    assert "Page 1 of 1" in text
    c.cookies["django_language"] = "uk"
    assert "Сторінка 1 з 1" in _pdf_text(c.get(f"/sites/{site.ref}/report.pdf").content)


def test_a_heading_goes_over_with_its_content():
    """Issue 29, part 5: headings kept with their content — a heading that would end a page is
    printed on the next one, above what it heads."""
    import io

    from pypdf import PdfReader
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from vestige.printing import numbered_pages, styles

    st = styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4)
    # a spacer that leaves room for the heading but not for a line of the paragraph under it
    heading = Paragraph("Graves of the site", st["Heading2"])
    room = heading.wrap(doc.width, doc.height)[1] + st["Heading2"].spaceBefore + st["Heading2"].spaceAfter + 2
    filler = doc.height - 12 - room  # the frame pads 6 pt above and below
    doc.build([Spacer(1, filler), heading,
               Paragraph("A paragraph long enough to need its own lines. " * 8, st["BodyText"])],
              canvasmaker=numbered_pages())
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(buf.getvalue())).pages]
    assert len(pages) == 2 and "Graves of the site" in pages[1] and "Graves of the site" not in pages[0]
