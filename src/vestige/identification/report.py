"""A printable identification report (PDF, A4): the decision, the DNA statistics with the LR
per marker, the pedigree, and the ante-mortem and post-mortem data with their consistency.

Drawn with reportlab (pip-only, no system libraries). No DNA profile is printed: the report
carries statistics, as a report for a family or a court does.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vestige.identification.models import Candidate, Identification
from vestige.identification.services import marker_lrs
from vestige.missing.pedigree import BOX, layout


def pedigree_drawing(family, highlight: int | None, max_width: float = 170 * mm) -> Drawing:
    nodes, width, height = layout(family)
    scale = min(1.0, max_width / width) if width else 1.0
    d = Drawing(width * scale, height * scale)

    def y(v):  # reportlab's y axis points up
        return (height - v) * scale

    for n in nodes.values():
        if n.father is None:
            continue
        f, m = nodes[n.father], nodes[n.mother]
        bar = f.y + BOX / 2
        d.add(Line(f.x * scale + BOX / 2 * scale, y(bar), m.x * scale + BOX / 2 * scale, y(bar)))
        mid = (f.x + m.x) / 2 + BOX / 2
        d.add(Line(mid * scale, y(bar), (n.x + BOX / 2) * scale, y(n.y)))
    for n in nodes.values():
        fill = colors.HexColor("#c0392b") if n.missing else colors.white
        stroke = 3 if n.pk == highlight else 1
        x0, y0, s = n.x * scale, y(n.y + BOX), BOX * scale
        if n.sex == "male":
            shape = Rect(x0, y0, s, s, fillColor=fill, strokeWidth=stroke)
        elif n.sex == "female":
            shape = Circle(x0 + s / 2, y0 + s / 2, s / 2, fillColor=fill, strokeWidth=stroke)
        else:
            shape = Polygon([x0 + s / 2, y0, x0 + s, y0 + s / 2, x0 + s / 2, y0 + s, x0, y0 + s / 2],
                            fillColor=fill, strokeWidth=stroke)
        d.add(shape)
        if n.typed:
            d.add(Circle(x0 + s / 2, y0 + s / 2, 3, fillColor=colors.HexColor("#1f5f8b")))
        d.add(String(x0 + s / 2, y0 - 10, n.code, fontSize=7, textAnchor="middle"))
    return d


def e(value) -> str:
    """Text for a reportlab Paragraph: its markup characters escaped, so a basis of
    ``<b>unclosed`` or ``<font>``/``<img>`` is printed as typed, not interpreted."""
    return escape("" if value is None else str(value))


def identification_pdf(candidate: Candidate, ident: Identification | None) -> bytes:
    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=f"Identification report {candidate.remains.body_number}",
                            leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm)
    r, mp = candidate.remains, candidate.missing_person
    story = [Paragraph(f"Identification report — {e(r.body_number)} / {e(mp.ref)}", styles["Title"])]
    status = ident.get_status_display() if ident else "not proposed"
    lines = [f"<b>Status:</b> {e(status)}"]
    if ident:
        lines.append(f"<b>Proposed</b> by {e(ident.proposed_by)} on {ident.proposed_at:%Y-%m-%d}: {e(ident.basis)}")
        if ident.below_threshold_reason:
            lines.append(f"<b>Below the 99.95 % threshold because:</b> {e(ident.below_threshold_reason)}")
        if ident.decided_by:
            lines.append(f"<b>{e(ident.get_status_display())}</b> by {e(ident.decided_by)} on {ident.decided_at:%Y-%m-%d}. "
                         f"{e(ident.decision_note)}")
        if ident.notified_on:
            lines.append(f"<b>Family notified</b> on {ident.notified_on:%Y-%m-%d} ({e(ident.notified_how)}) by {e(ident.notified_by)}")
        if ident.returned_on:
            lines.append(f"<b>Remains returned</b> on {ident.returned_on:%Y-%m-%d}")
    story += [Paragraph(x, styles["Normal"]) for x in lines] + [Spacer(1, 6)]
    story.append(Paragraph("DNA statistics", styles["Heading2"]))
    lr_text = f"10^{candidate.log10_lr:.2f}" if candidate.log10_lr is not None else "0"
    story.append(Paragraph(f"Likelihood ratio {lr_text} over {candidate.markers_compared} markers; posterior "
                           f"{candidate.posterior:.6f} under a flat prior over the missing persons in scope "
                           f"(matching run {candidate.run_id}).", styles["Normal"]))
    per = list(marker_lrs(candidate).items())
    rows = [["Marker", "LR", "Marker", "LR"]]
    half = (len(per) + 1) // 2
    for i in range(half):
        left = per[i]
        right = per[i + half] if i + half < len(per) else ("", None)
        rows.append([left[0], f"{left[1]:.4g}", right[0], f"{right[1]:.4g}" if right[1] is not None else ""])
    t = Table(rows, hAlign="LEFT")
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                           ("FONTSIZE", (0, 0), (-1, -1), 8), ("ALIGN", (1, 1), (1, -1), "RIGHT"),
                           ("ALIGN", (3, 1), (3, -1), "RIGHT")]))
    story += [t, Spacer(1, 6), Paragraph(f"Pedigree of family {e(mp.family.ref)}", styles["Heading2"]),
              pedigree_drawing(mp.family, mp.member_id),
              Paragraph("Red: missing; dot: reference profile; thick outline: this missing person.", styles["Italic"])]
    story.append(Paragraph("Ante-mortem and post-mortem data", styles["Heading2"]))
    cons = [["Check", "State", "Missing person / remains"]] + [[k, v["state"], v["detail"]] for k, v in candidate.flags.items()]
    t2 = Table(cons, hAlign="LEFT", colWidths=[30 * mm, 25 * mm, 110 * mm])
    t2.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    story += [t2, Spacer(1, 4), Paragraph(
        f"<b>Missing person</b> {e(mp.ref)} {e(mp.full_name)}: {e(mp.get_sex_display())}, born {mp.birth_date or '?'}, "
        f"{mp.height_cm or '?'} cm, last seen {mp.last_seen_on or '?'} {e(mp.last_seen_place)}.", styles["Normal"]),
        Paragraph(f"<b>Remains</b> {e(r.body_number)}: {e(r.get_sex_display())}, {r.age_min}–{r.age_max} years, "
                  f"{r.stature_min_cm}–{r.stature_max_cm} cm; site {e(r.site.ref)}"
                  f"{', grave ' + e(r.grave.label) if r.grave_id else ''}; recovered {r.recovered_on or '?'}.", styles["Normal"])]
    doc.build(story)
    return buf.getvalue()
