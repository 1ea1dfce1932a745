"""What every printed report shares: a Unicode font embedded in the PDF (DejaVu Sans, shipped in
``vestige/fonts`` under its free licence — reportlab's standard Helvetica has no Cyrillic, so
Ukrainian names printed as black boxes), and the paragraph styles that use it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSans"


@lru_cache(maxsize=1)
def register_fonts() -> str:
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    faces = {(0, 0): FAMILY, (1, 0): f"{FAMILY}-Bold", (0, 1): f"{FAMILY}-Oblique", (1, 1): f"{FAMILY}-BoldOblique"}
    for (bold, italic), name in faces.items():
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
        addMapping(FAMILY, bold, italic, name)  # <b> and <i> in paragraphs pick the right face
    return FAMILY


def styles():
    """reportlab's sample styles, every one set in the embedded Unicode font."""
    from reportlab.lib.styles import getSampleStyleSheet

    register_fonts()
    sheet = getSampleStyleSheet()
    for style in sheet.byName.values():
        name = getattr(style, "fontName", "")
        if not name:
            continue
        bold, italic = "Bold" in name, ("Italic" in name or "Oblique" in name)
        style.fontName = {(False, False): FAMILY, (True, False): f"{FAMILY}-Bold", (False, True): f"{FAMILY}-Oblique",
                          (True, True): f"{FAMILY}-BoldOblique"}[(bold, italic)]
        if style.name.startswith(("Heading", "Title")):
            style.keepWithNext = 1  # a heading never ends a page: it goes over with its content
    return sheet


def table_font() -> list[tuple]:
    """TableStyle commands that set a table in the embedded font (header row bold)."""
    register_fonts()
    return [("FONTNAME", (0, 0), (-1, -1), FAMILY), ("FONTNAME", (0, 0), (-1, 0), f"{FAMILY}-Bold")]


def grid_table(rows: list[list], widths=None, *, numeric_cols: tuple[int, ...] = (), font_size: float = 8):
    """A ruled table whose every cell wraps inside its column: plain values become paragraphs (the
    header row bold; ``numeric_cols`` right-aligned), so a long header or value breaks onto a second
    line instead of running into the next cell (issue 29: overlapping claims headers). Cells that are
    already flowables are kept."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.platypus import Paragraph, Table, TableStyle

    sheet = styles()
    body = sheet["BodyText"].clone("grid-cell", fontSize=font_size, leading=font_size + 2, spaceBefore=0,
                                   spaceAfter=0)
    head = body.clone("grid-head", fontName=f"{FAMILY}-Bold")
    right, right_head = body.clone("grid-num", alignment=TA_RIGHT), head.clone("grid-head-num", alignment=TA_RIGHT)

    def cell(value, r: int, c: int):
        if hasattr(value, "wrap"):  # a flowable already
            return value
        style = (right_head if r == 0 else right) if c in numeric_cols else (head if r == 0 else body)
        return Paragraph(e(value), style)

    t = Table([[cell(v, r, c) for c, v in enumerate(row)] for r, row in enumerate(rows)], hAlign="LEFT",
              colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([*table_font(), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                           ("FONTSIZE", (0, 0), (-1, -1), font_size), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def num(value: float, spec: str) -> str:
    """``value`` formatted by ``spec`` (``".2f"``, ``".4g"``) with the reader's decimal separator
    (a comma in Ukrainian: 10^25,90), as numbers are written in the document's language."""
    from django.utils.formats import get_format

    return format(value, spec).replace(".", get_format("DECIMAL_SEPARATOR"))


def who(user) -> str:
    """A person as printed documents name them: full name and position (``User.signature``)."""
    if user is None:
        return ""
    return str(getattr(user, "signature", user))


def e(value) -> str:
    """Text for a reportlab Paragraph: its markup characters escaped, so a value of
    ``<b>unclosed`` or ``<font>``/``<img>`` is printed as typed, not interpreted."""
    return escape("" if value is None else str(value))


def numbered_pages():
    """A reportlab canvas class that prints "Page N of M" at the foot of every page, in the
    reader's language (``doc.build(story, canvasmaker=numbered_pages())``): the total is known
    once every page is laid out, so each page is kept and drawn at the end."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    label = _("Page %(n)d of %(m)d")  # the reader's language, fixed while this document is built
    register_fonts()

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                width = self._pagesize[0]
                self.setFont(FAMILY, 8)
                self.drawRightString(width - 15 * mm, 10 * mm, label % {"n": self._pageNumber, "m": total})
                super().showPage()
            super().save()

    return NumberedCanvas
