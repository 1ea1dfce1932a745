"""The printed documents laid out as a court and a family read them (issue 29, part 5): every PDF
rendered and its text boxes tested — no character drawn over another (headers that overlap, text
that runs out of its cell into the next), nothing past the page's edge, a page number on every
page — with long Ukrainian names, quotes and circumstances, in both languages."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict

import pytest
from django.test import Client
from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine

from tests.accounts.test_access_matrix import world  # noqa: F401  (a case with a run, a candidate, an extract)

LONG = ("Тіло знайдено під час ексгумації в лісовому масиві поблизу вулиці Пісочанської; на одязі "
        "напис «Збройні сили України», поряд — уламки мінометної міни та особисті речі")


def _chars(pdf: bytes, *, with_sizes: bool = False):
    """Per page: (width, height, [(x0, y0, x1, y1, text)] of every drawn character, lines); with
    ``with_sizes``, the lines as (text, bottom y, largest font size)."""
    for page in extract_pages(io.BytesIO(pdf), laparams=LAParams()):
        chars, lines = [], []
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar):
                if item.get_text().strip():
                    chars.append((item.x0, item.y0, item.x1, item.y1, item.get_text()))
            elif isinstance(item, (LTTextContainer, LTTextLine)) or hasattr(item, "__iter__"):
                if isinstance(item, LTTextLine) and item.get_text().strip():
                    size = max((c.size for c in item if isinstance(c, LTChar)), default=0)
                    lines.append((item.get_text().strip(), item.y0, size) if with_sizes else item.get_text().strip())
                stack.extend(list(item))
        yield page.width, page.height, chars, lines


def _orphaned_headings(pdf: bytes) -> list[str]:
    """Headings (text larger than the body's) that are the last thing on a page before its foot."""
    out = []
    pages = list(_chars(pdf, with_sizes=True))
    for _w, _h, _c, lines in pages[:-1]:
        body = [line for line in lines if not re.search(r"(Page|Сторінка)\s+\d+", line[0])]
        if body:
            text, _y, size = min(body, key=lambda line: line[1])
            if size >= 12:
                out.append(text)
    return out


def _overlaps(chars) -> list[tuple[str, str]]:
    """Pairs of characters drawn over each other (by more than a third of the smaller one's area)."""
    grid = defaultdict(list)
    for i, (x0, y0, x1, y1, _t) in enumerate(chars):
        for gx in range(int(x0 // 20), int(x1 // 20) + 1):
            for gy in range(int(y0 // 20), int(y1 // 20) + 1):
                grid[(gx, gy)].append(i)
    found = set()
    for cell in grid.values():
        for a in range(len(cell)):
            for b in range(a + 1, len(cell)):
                i, j = cell[a], cell[b]
                p, q = chars[i], chars[j]
                w = min(p[2], q[2]) - max(p[0], q[0])
                h = min(p[3], q[3]) - max(p[1], q[1])
                if w <= 0 or h <= 0:
                    continue
                smaller = min((p[2] - p[0]) * (p[3] - p[1]), (q[2] - q[0]) * (q[3] - q[1]))
                if smaller > 0 and w * h > smaller / 3:
                    found.add((min(i, j), max(i, j)))
    return [(chars[i][4], chars[j][4]) for i, j in sorted(found)]


def _check(pdf: bytes, what: str) -> int:
    pages = 0
    for n, (width, height, chars, lines) in enumerate(_chars(pdf), 1):
        pages += 1
        assert chars, f"{what}, page {n}: no text"
        outside = [c for c in chars if c[0] < 0 or c[1] < 0 or c[2] > width + 0.5 or c[3] > height + 0.5]
        assert not outside, f"{what}, page {n}: text past the page's edge: {''.join(c[4] for c in outside)[:80]!r}"
        clashes = _overlaps(chars)
        assert not clashes, f"{what}, page {n}: {len(clashes)} characters drawn over others, e.g. {clashes[:5]}"
        numbered = re.compile(rf"(Page|Сторінка)\s+{n}\s+(of|з)\s+\d+")
        assert any(numbered.search(line) for line in lines), f"{what}, page {n}: no page number"
    return pages


@pytest.fixture
def long_world(world, users):  # noqa: F811
    """The matrix's case A with long texts where documents print them."""
    from tests.claims.test_claims import make_claim
    from vestige.missing import services as missing

    a, _b, _bu = world
    person = a["person"]
    missing.update_missing_person(users["family_liaison"], person, {
        "family_name": "Коваленко-Перепелиця", "given_name": "Олександра-Марія", "patronymic": "Володимирівна",
        "circumstances": LONG + ". " + LONG, "last_seen_place": "Ізюм, вулиця Соборна, біля зруйнованого мосту"})
    for day, value in ((2, 440), (9, 1250), (23, 447)):
        make_claim(users["analyst"], a["site"], value=value, day=dt.date(2022, 9, day))
    return a


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_every_printed_document_fits_its_page(long_world, users, lang):
    a = long_world
    docs = {
        "site report": (users["administrator"], f"/sites/{a['site'].ref}/report.pdf"),
        "case file": (users["family_liaison"], f"/missing/{a['person'].ref}/case-file.pdf"),
        "register extract": (users["family_liaison"], f"/extracts/{a['extract'].number}.pdf"),
        "candidate report": (users["dna_analyst"], f"/identification/candidates/{a['candidate'].pk}/report.pdf"),
        "DVI board": (users["forensic_examiner"],
                      f"/dvi/board/{a['remains'].pk}/{a['person'].ref}/report.pdf"),
    }
    for what, (user, url) in docs.items():
        c = Client()
        c.force_login(user)
        c.cookies["django_language"] = lang
        r = c.get(url)
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf", (what, r.status_code)
        body = b"".join(r.streaming_content) if r.streaming else r.content
        assert _check(body, f"{what} ({lang})") >= 1
        assert not _orphaned_headings(body), (what, lang, _orphaned_headings(body))
        if what == "candidate report":  # numbers as the language writes them: 10^25,90 in Ukrainian
            from pdfminer.high_level import extract_text

            text = " ".join(extract_text(io.BytesIO(body)).split())
            comma, dot = re.search(r"10\^-?\d+,\d\d", text), re.search(r"10\^-?\d+\.\d\d", text)
            assert (comma and not dot) if lang == "uk" else (dot and not comma), (lang, text[:400])


def test_the_check_finds_overlapping_text():
    """The test's own instrument, on a PDF drawn wrong on purpose (two strings at one place) and
    one past the edge."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(100, 700, "Claims table header")
    pdf.drawString(104, 700, "overlapping header")
    pdf.drawString(300, 40, "Page 1 of 1")
    pdf.save()
    page = next(_chars(out.getvalue()))
    assert _overlaps(page[2])
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(560, 700, "a line that runs off the page")
    pdf.drawString(300, 40, "Page 1 of 1")
    pdf.save()
    with pytest.raises(AssertionError, match="past the page"):
        _check(out.getvalue(), "made wrong")


def test_the_check_finds_a_heading_left_at_the_foot_of_a_page():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 700, "Body text of the first page.")
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(72, 80, "Graves")  # the heading, its table on the next page
    pdf.setFont("Helvetica", 8)
    pdf.drawString(260, 30, "Page 1 of 2")
    pdf.showPage()
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 760, "Grave 1, Grave 2")
    pdf.drawString(260, 30, "Page 2 of 2")
    pdf.save()
    assert _orphaned_headings(out.getvalue()) == ["Graves"]


def test_documents_name_people_by_full_name_and_position(long_world, users, client):
    from pdfminer.high_level import extract_text

    from vestige.accounts.services import set_signature
    from vestige.errors import InvalidInput

    a = long_world
    liaison = users["family_liaison"]
    with pytest.raises(InvalidInput):
        set_signature(liaison, "Олег", " ", "")
    client.force_login(liaison)
    assert client.post("/accounts/profile/signature/", {"first_name": "Олег", "last_name": "Ткаченко",
                                                        "position": "координатор з роботи з родинами"}).status_code == 302
    text = extract_text(io.BytesIO(client.get(f"/missing/{a['person'].ref}/case-file.pdf").content))
    assert "Олег Ткаченко (координатор з роботи з родинами)" in " ".join(text.split())
    assert liaison.username not in text  # before: the history's "Who" was the login name
