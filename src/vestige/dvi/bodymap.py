"""A body diagram (SVG, front view, schematic) with the regions that carry a mark filled: where a
scar, a tattoo or an amputation is, at a glance, as on INTERPOL's forms. The patient's right is on
the viewer's left. Every text is escaped."""

from __future__ import annotations

from html import escape

# region → shapes (tag, attributes); coordinates in a 160 × 330 box.
SHAPES: dict[str, list[tuple[str, dict]]] = {
    "head": [("circle", {"cx": 80, "cy": 22, "r": 16})],
    "face": [("ellipse", {"cx": 80, "cy": 25, "rx": 9, "ry": 10})],
    "neck": [("rect", {"x": 73, "y": 38, "width": 14, "height": 10})],
    "chest": [("rect", {"x": 55, "y": 48, "width": 50, "height": 42})],
    "back": [("rect", {"x": 58, "y": 51, "width": 44, "height": 6})],  # drawn as a band across the shoulders
    "abdomen": [("rect", {"x": 57, "y": 90, "width": 46, "height": 35})],
    "pelvis": [("rect", {"x": 55, "y": 125, "width": 50, "height": 25})],
    "right_arm": [("rect", {"x": 36, "y": 50, "width": 17, "height": 90})],
    "left_arm": [("rect", {"x": 107, "y": 50, "width": 17, "height": 90})],
    "right_hand": [("ellipse", {"cx": 44, "cy": 152, "rx": 9, "ry": 12})],
    "left_hand": [("ellipse", {"cx": 116, "cy": 152, "rx": 9, "ry": 12})],
    "right_leg": [("rect", {"x": 57, "y": 150, "width": 21, "height": 140})],
    "left_leg": [("rect", {"x": 82, "y": 150, "width": 21, "height": 140})],
    "right_foot": [("ellipse", {"cx": 64, "cy": 302, "rx": 12, "ry": 7})],
    "left_foot": [("ellipse", {"cx": 96, "cy": 302, "rx": 12, "ry": 7})],
}
ORDER = ["head", "neck", "chest", "abdomen", "pelvis", "right_arm", "left_arm", "right_hand", "left_hand",
         "right_leg", "left_leg", "right_foot", "left_foot", "back", "face"]


def svg(marks, *, title: str) -> str:
    """``marks``: objects with ``region``, ``get_kind_display()`` and ``description``."""
    by_region: dict[str, list[str]] = {}
    for m in marks:
        by_region.setdefault(m.region, []).append(f"{m.get_kind_display()}: {m.description}".strip(": "))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bodymap" viewBox="0 0 160 330" width="160" height="330" '
           f'role="img" aria-label="{escape(title)}">']
    for region in ORDER:
        notes = by_region.get(region)
        fill = "#dd6b20" if notes else "#edf2f7"
        out.append(f'<g data-region="{region}"{" data-marked=" + chr(34) + "1" + chr(34) if notes else ""}>')
        if notes:
            out.append(f"<title>{escape('; '.join(notes))}</title>")
        for tag, attrs in SHAPES[region]:
            a = " ".join(f'{k}="{int(v)}"' for k, v in attrs.items())
            out.append(f'<{tag} {a} fill="{fill}" stroke="#4a5568" stroke-width="1"/>')
        out.append("</g>")
    other = by_region.get("other")
    if other:
        out.append(f'<text x="4" y="326" font-size="9" fill="#2d3748">+ {len(other)}</text>')
    out.append("</svg>")
    return "".join(out)
