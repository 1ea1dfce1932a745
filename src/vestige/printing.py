"""What every printed report shares: a Unicode font embedded in the PDF (DejaVu Sans, shipped in
``vestige/fonts`` under its free licence — reportlab's standard Helvetica has no Cyrillic, so
Ukrainian names printed as black boxes), and the paragraph styles that use it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

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
    return sheet


def table_font() -> list[tuple]:
    """TableStyle commands that set a table in the embedded font (header row bold)."""
    register_fonts()
    return [("FONTNAME", (0, 0), (-1, -1), FAMILY), ("FONTNAME", (0, 0), (-1, 0), f"{FAMILY}-Bold")]


def e(value) -> str:
    """Text for a reportlab Paragraph: its markup characters escaped, so a value of
    ``<b>unclosed`` or ``<font>``/``<img>`` is printed as typed, not interpreted."""
    return escape("" if value is None else str(value))
