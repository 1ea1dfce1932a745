"""A printable identification report (PDF, A4): the decision, the DNA statistics with the LR
per marker, the pedigree, and the ante-mortem and post-mortem data with their consistency.

Drawn with reportlab (pip-only, no system libraries) in the embedded DejaVu Sans (Cyrillic as
well as Latin), in the language active for the request. No DNA profile is printed: the report
carries statistics, as a report for a family or a court does.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from vestige.identification.display import checks, nongenetic_lrs, segment_rows, system_lrs
from vestige.identification.models import Candidate, Identification
from vestige.identification.services import marker_lrs
from vestige.missing.pedigree import BOX, layout
from vestige.printing import e, grid_table, num, numbered_pages, register_fonts, styles, who


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
        d.add(String(x0 + s / 2, y0 - 10, n.code, fontSize=7, textAnchor="middle", fontName=register_fonts()))
    return d


def segments_drawing(ref: dict) -> Drawing:
    """Chromosomes 1–22 as grey bars with the shared IBD segments in blue (display.segment_rows)."""
    h = ref["height"]
    d = Drawing(ref["width"], h)
    for row in ref["rows"]:
        y = h - row["y"] - 10  # PDF coordinates grow upwards
        d.add(String(0, y + 2, str(row["chrom"]), fontSize=7))
        d.add(Rect(22, y, row["w"], 10, rx=3, ry=3, fillColor=colors.HexColor("#e5e7eb"), strokeColor=None))
        for b in row["bars"]:
            d.add(Rect(b["x"], y, b["w"], 10, fillColor=colors.HexColor("#2563eb"), strokeColor=None))
    return d


def _date(d) -> str:
    return f"{d:%Y-%m-%d}" if d else "?"


def identification_pdf(candidate: Candidate, ident: Identification | None) -> bytes:
    st = styles()
    buf = io.BytesIO()
    r, mp = candidate.remains, candidate.missing_person
    title = _("Identification report — %(body)s / %(mp)s") % {"body": r.body_number, "mp": mp.ref}
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=16 * mm, bottomMargin=16 * mm)
    story = [Paragraph(e(title), st["Title"])]
    status = ident.get_status_display() if ident else _("not proposed")
    lines = [f"<b>{e(_('Status'))}:</b> {e(status)}"]
    if ident:
        lines.append(e(_("Proposed by %(who)s on %(when)s: %(basis)s") % {
            "who": who(ident.proposed_by), "when": _date(ident.proposed_at), "basis": ident.basis}))
        if ident.below_threshold_reason:
            lines.append(f"<b>{e(_('Below the 99.95 % threshold because:'))}</b> {e(ident.below_threshold_reason)}")
        if ident.decided_by:
            lines.append(e(_("%(status)s by %(who)s on %(when)s.") % {
                "status": ident.get_status_display(), "who": who(ident.decided_by), "when": _date(ident.decided_at)})
                + f" {e(ident.decision_note)}")
        if ident.notified_on:
            lines.append(e(_("Family notified on %(when)s (%(how)s) by %(who)s.") % {
                "when": _date(ident.notified_on), "how": ident.notified_how, "who": who(ident.notified_by)}))
        if ident.returned_on:
            lines.append(e(_("Remains returned on %(when)s.") % {"when": _date(ident.returned_on)}))
    story += [Paragraph(x, st["Normal"]) for x in lines] + [Spacer(1, 6)]
    story.append(Paragraph(e(_("DNA statistics")), st["Heading2"]))
    lr_text = f"10^{num(candidate.log10_lr, '.2f')}" if candidate.log10_lr is not None else "0"
    story.append(Paragraph(e(_(
        "Likelihood ratio %(lr)s over %(n)d markers; posterior %(p)s under a flat prior over the missing "
        "persons in scope (matching run %(run)s).") % {"lr": lr_text, "n": candidate.markers_compared,
                                                       "p": num(candidate.posterior, ".6f"),
                                                       "run": candidate.run_id}), st["Normal"]))
    systems = system_lrs(candidate.systems)
    if systems:  # each DNA system's LR: independent, they multiply into the one above
        story.append(Paragraph(e("; ".join(f"{name}: " + (_("not compared") if v is None else f"LR 10^{num(v, '.2f')}")
                                           for name, v in systems)), st["Normal"]))
    ng = nongenetic_lrs(candidate.flags, candidate.log10_lr, candidate.prior)
    if ng:  # mispitools' non-genetic LRs, beside the DNA (the posterior is the DNA's alone)
        parts = "; ".join(f"{name}: LR 10^{num(v, '.2f')}" for name, v in ng["rows"])
        together = "" if ng["combined"] is None else "; " + _("DNA and non-genetic together") + f": 10^{num(ng['combined'], '.2f')}"
        if ng["posterior"] is not None:
            together += "; " + _("posterior with them, from the run's prior") + f": {num(ng['posterior'], '.6f')}"
        story.append(Paragraph(e(_("Non-genetic evidence") + ": " + parts + together), st["Normal"]))
    for ref in segment_rows(candidate.segments, width=380):  # SNPs: the segments shared with each reference
        story.append(Paragraph(e(_("With reference %(code)s: %(n)s segments, %(total)s cM in all, the longest "
                                   "%(longest)s cM.") % {"code": ref["code"], "n": ref["n"], "total": ref["total_cm"],
                                                         "longest": ref["longest_cm"]}), st["Normal"]))
        story.append(segments_drawing(ref))
    per = list(marker_lrs(candidate).items())
    rows = [[pgettext("DNA marker", "Marker"), "LR", pgettext("DNA marker", "Marker"), "LR"]]
    half = (len(per) + 1) // 2
    for i in range(half):
        left = per[i]
        right = per[i + half] if i + half < len(per) else ("", None)
        rows.append([left[0], num(left[1], ".4g"), right[0], num(right[1], ".4g") if right[1] is not None else ""])
    t = grid_table(rows, [35 * mm, 25 * mm, 35 * mm, 25 * mm], numeric_cols=(1, 3))
    story += [t, Spacer(1, 6), Paragraph(e(_("Pedigree of family %(f)s") % {"f": mp.family.ref}), st["Heading2"]),
              pedigree_drawing(mp.family, mp.member_id),
              Paragraph(e(_("Red: missing; dot: reference profile; thick outline: this missing person.")), st["Italic"])]
    story.append(Paragraph(e(_("Ante-mortem and post-mortem data")), st["Heading2"]))
    cell = st["BodyText"].clone("cell", fontSize=8, leading=10)
    cons = [[_("Check"), _("State"), _("Missing person / remains")]] + [
        [c["name"], c["state_label"], Paragraph(e(c["detail"]), cell)] for c in checks(candidate.flags)]
    t2 = grid_table(cons, [30 * mm, 25 * mm, 110 * mm])
    unknown = "?"
    story += [t2, Spacer(1, 4), Paragraph(
        f"<b>{e(_('Missing person'))}</b> " + e(_(
            "%(ref)s %(name)s: %(sex)s, born %(born)s, %(height)s cm, last seen %(seen)s %(place)s.") % {
            "ref": mp.ref, "name": mp.full_name, "sex": mp.get_sex_display(), "born": _date(mp.birth_date),
            "height": mp.height_cm or unknown, "seen": _date(mp.last_seen_on), "place": mp.last_seen_place}), st["Normal"]),
        Paragraph(f"<b>{e(_('Remains'))}</b> " + e(_(
            "%(body)s: %(sex)s, %(age)s years, %(stature)s cm; site %(site)s%(grave)s; recovered %(found)s.") % {
            "body": r.body_number, "sex": r.get_sex_display(),
            "age": f"{r.age_min if r.age_min is not None else unknown}–{r.age_max if r.age_max is not None else unknown}",
            "stature": f"{r.stature_min_cm or unknown}–{r.stature_max_cm or unknown}", "site": r.site.ref,
            "grave": (_(", grave %(g)s") % {"g": r.grave.label}) if r.grave_id else "",
            "found": _date(r.recovered_on)}), st["Normal"])]
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()
