"""The odontogram: a dental chart drawn as SVG (no script, no CDN), in FDI layout — the patient's
right on the viewer's left, upper jaw above, each tooth with its five surfaces (mesial towards the
midline). In comparison mode each tooth's frame is a traffic light: green concordant, amber
explainable, red incompatible, grey not compared (Plass Data's DVI System and the INTERPOL forms
use the same convention).

Every text that reaches the SVG is escaped; coordinates are written with ``repr`` of ints, never
through the locale (a decimal comma breaks SVG).
"""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext as _

from vestige.dvi.display import VERDICTS, entry_text, reason_text
from vestige.osteology.odontology import ToothState

S = ToothState
UPPER = [f"1{t}" for t in range(8, 0, -1)] + [f"2{t}" for t in range(1, 9)]
LOWER = [f"4{t}" for t in range(8, 0, -1)] + [f"3{t}" for t in range(1, 9)]
UPPER_D = [f"5{t}" for t in range(5, 0, -1)] + [f"6{t}" for t in range(1, 6)]
LOWER_D = [f"8{t}" for t in range(5, 0, -1)] + [f"7{t}" for t in range(1, 6)]

SIZE, GAP, PAD = 34, 4, 6
COLOURS = {"filled": "#2b6cb0", "caries": "#c53030", "crown": "#d69e2e", "bridge": "#805ad5", "implant": "#4a5568",
           "sound": "#ffffff", "unerupted": "#e2e8f0", "none": "#d5dbe1", "gone": "#edf2f7"}
VERDICT_COLOURS = {"concordant": "#2f855a", "explainable": "#dd6b20", "incompatible": "#c53030",
                   "not_compared": "#a0aec0"}


def _surfaces(x: int, y: int, tooth: str, upper: bool) -> dict[str, str]:
    """The five surface polygons of a tooth box; mesial faces the midline."""
    s, q = SIZE, int(tooth[0])
    i = s // 4  # inner square inset
    corners = {"tl": (x, y), "tr": (x + s, y), "bl": (x, y + s), "br": (x + s, y + s),
               "itl": (x + i, y + i), "itr": (x + s - i, y + i), "ibl": (x + i, y + s - i),
               "ibr": (x + s - i, y + s - i)}

    def poly(*names):
        return " ".join(f"{corners[n][0]},{corners[n][1]}" for n in names)

    top, bottom = poly("tl", "tr", "itr", "itl"), poly("bl", "br", "ibr", "ibl")
    left, right = poly("tl", "itl", "ibl", "bl"), poly("tr", "itr", "ibr", "br")
    right_of_midline = q in (2, 3, 6, 7)
    mesial, distal = (left, right) if right_of_midline else (right, left)
    buccal, lingual = (top, bottom) if upper else (bottom, top)
    return {"O": poly("itl", "itr", "ibr", "ibl"), "M": mesial, "D": distal, "B": buccal, "L": lingual}


def _tooth(out: list[str], tooth: str, entry: dict | None, x: int, y: int, upper: bool,
           verdict: str | None, reason: str) -> None:
    label = f"{tooth}: {entry_text(entry)}" + (f" — {VERDICTS[verdict]}: {reason_text(reason)}" if verdict else "")
    out.append(f'<g data-tooth="{tooth}"{f" data-verdict={chr(34)}{verdict}{chr(34)}" if verdict else ""}>'
               f"<title>{escape(label)}</title>")
    state = S(entry["state"]) if entry else None
    base = COLOURS["none"]
    if state in (S.CROWN, S.BRIDGE, S.IMPLANT):
        base = COLOURS[state.value]
    elif state in (S.SOUND, S.FILLED, S.CARIES):
        base = COLOURS["sound"]
    elif state == S.UNERUPTED:
        base = COLOURS["unerupted"]
    elif state is not None:
        base = COLOURS["gone"]
    stroke = VERDICT_COLOURS.get(verdict or "", "#4a5568")
    width = 3 if verdict else 1
    polys = _surfaces(x, y, tooth, upper)
    for name, points in polys.items():
        fill = base
        if state in (S.FILLED, S.CARIES) and name in (entry.get("surfaces") or ""):
            fill = COLOURS[state.value]
        elif state in (S.FILLED, S.CARIES) and not entry.get("surfaces") and name == "O":
            fill = COLOURS[state.value]
        out.append(f'<polygon points="{points}" fill="{fill}" stroke="#718096" stroke-width="0.5"/>')
    out.append(f'<rect x="{x}" y="{y}" width="{SIZE}" height="{SIZE}" fill="none" stroke="{stroke}" '
               f'stroke-width="{width}"{" stroke-dasharray=" + chr(34) + "3 2" + chr(34) if state == S.UNERUPTED else ""}/>')
    if state in (S.MISSING, S.MISSING_AM, S.MISSING_PM, S.MISSING_UNKNOWN, S.NOT_RECOVERABLE):
        dash = ' stroke-dasharray="4 3"' if state in (S.MISSING_PM, S.NOT_RECOVERABLE) else ""
        out.append(f'<line x1="{x + 4}" y1="{y + 4}" x2="{x + SIZE - 4}" y2="{y + SIZE - 4}" stroke="#1a202c" '
                   f'stroke-width="2"{dash}/><line x1="{x + SIZE - 4}" y1="{y + 4}" x2="{x + 4}" y2="{y + SIZE - 4}" '
                   f'stroke="#1a202c" stroke-width="2"{dash}/>')
    if state == S.IMPLANT:
        out.append(f'<text x="{x + SIZE // 2}" y="{y + SIZE // 2 + 4}" text-anchor="middle" font-size="12" '
                   f'fill="#fff">I</text>')
    if entry and entry.get("root_canal"):
        ry = y + SIZE + 2 if upper else y - 6
        out.append(f'<rect x="{x + SIZE // 2 - 2}" y="{ry}" width="4" height="4" fill="#c53030"/>')
    ty = y - 4 if upper else y + SIZE + 12
    out.append(f'<text x="{x + SIZE // 2}" y="{ty}" text-anchor="middle" font-size="10" fill="#2d3748">{tooth}</text>')
    out.append("</g>")


def svg(teeth: dict[str, dict], *, verdicts: dict[str, tuple[str, str]] | None = None, title: str = "") -> str:
    """The chart as an SVG string; ``verdicts`` maps tooth → (verdict, reason) for the traffic light."""
    verdicts = verdicts or {}
    deciduous = any(t[0] in "5678" for t in teeth) or any(t[0] in "5678" for t in verdicts)
    row_h = SIZE + 26
    rows = [(UPPER, True), (LOWER, False)]
    if deciduous:
        rows = [(UPPER, True), (UPPER_D, True), (LOWER_D, False), (LOWER, False)]
    width = PAD * 2 + 16 * (SIZE + GAP) + 12
    height = PAD * 2 + len(rows) * row_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="odontogram" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title or _("Dental chart"))}">']
    mid = PAD + 8 * (SIZE + GAP) + 6
    out.append(f'<line x1="{mid - 3}" y1="{PAD}" x2="{mid - 3}" y2="{height - PAD}" stroke="#cbd5e0"/>')
    for r, (row, upper) in enumerate(rows):
        y = PAD + r * row_h + (14 if upper else 2)
        offset = 0 if len(row) == 16 else 3 * (SIZE + GAP)
        for i, tooth in enumerate(row):
            x = PAD + offset + i * (SIZE + GAP) + (12 if i >= len(row) // 2 else 0)
            v = verdicts.get(tooth)
            _tooth(out, tooth, teeth.get(tooth), x, y, upper, v[0] if v else None, v[1] if v else "")
    out.append("</svg>")
    return "".join(out)


def legend(comparison: bool = False) -> list[tuple[str, str]]:
    if comparison:
        return [(VERDICT_COLOURS["concordant"], _("concordant")), (VERDICT_COLOURS["explainable"], _("explainable")),
                (VERDICT_COLOURS["incompatible"], _("incompatible")),
                (VERDICT_COLOURS["not_compared"], _("not compared"))]
    return [(COLOURS["filled"], _("filled surface")), (COLOURS["caries"], _("caries")), (COLOURS["crown"], _("crown")),
            (COLOURS["bridge"], _("bridge")), (COLOURS["implant"], _("implant")), ("#1a202c", _("× missing")),
            ("#c53030", _("■ root canal"))]
