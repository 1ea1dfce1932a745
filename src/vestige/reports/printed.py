"""Printed reports (PDF, A4) in the reader's language, set in the embedded Unicode font: a site
report (its graves, remains and counts, a plan of the graves, the public claims against the
records) and a missing person's case file (ante-mortem data, pedigree, candidates, decisions,
history). No DNA profile and no contact is printed; every user value is escaped."""

from __future__ import annotations

import io

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from vestige.claims.reconcile import site_reconciliation
from vestige.history.display import present
from vestige.identification.report import pedigree_drawing
from vestige.printing import e, grid_table, num, numbered_pages, register_fonts, styles, who
from vestige.registry.stats import site_stats

GRAVE_COLOURS = {"recorded": colors.HexColor("#b06000"), "exhumed": colors.HexColor("#2f6b3a")}


def _doc(buf, title: str):
    return SimpleDocTemplate(buf, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm,
                             topMargin=16 * mm, bottomMargin=16 * mm)


def _table(rows, widths=None, numeric_from: int | None = None) -> Table:
    cols = len(rows[0]) if rows else 0
    return grid_table(rows, widths, numeric_cols=tuple(range(numeric_from, cols)) if numeric_from is not None else ())


def graves_plan(graves, width: float = 170 * mm, height: float = 95 * mm) -> Drawing | None:
    """The graves with a position, drawn to scale (equirectangular at the site's latitude), in the
    colours of the map's legend: a map snapshot that needs no tiles and no network."""
    import math

    pts = [(g.longitude, g.latitude, g.status, g.label) for g in graves if g.latitude is not None]
    if not pts:
        return None
    font = register_fonts()
    lat0 = sum(p[1] for p in pts) / len(pts)
    kx = math.cos(math.radians(lat0))
    xs, ys = [p[0] * kx for p in pts], [p[1] for p in pts]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1e-4
    scale = min((width - 20) / span, (height - 30) / span)
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#f4f6f7"), strokeColor=colors.grey, strokeWidth=0.5))
    for x, y, (_lon, _lat, status, label) in zip(xs, ys, pts, strict=True):
        px, py = 10 + (x - min(xs)) * scale, 20 + (y - min(ys)) * scale
        d.add(Circle(px, py, 1.8, fillColor=GRAVE_COLOURS.get(status, colors.grey), strokeWidth=0))
        if len(pts) <= 40:
            d.add(String(px + 2.5, py + 1, str(label), fontName=font, fontSize=5))
    metres = span * 111_320  # the plan's span in metres (1° of latitude ≈ 111.32 km)
    d.add(String(10, 6, _("%(n)d graves; the plan spans about %(m).0f m; orange: recorded, green: exhumed.")
                 % {"n": len(pts), "m": metres}, fontName=font, fontSize=7))
    return d


def site_pdf(site) -> bytes:

    st = styles()
    buf = io.BytesIO()
    title = _("Site report — %(ref)s %(name)s") % {"ref": site.ref, "name": site.name}
    doc = _doc(buf, title)
    s = site_stats(site)
    story = [Paragraph(e(title), st["Title"]),
             Paragraph(e(_("%(kind)s; %(region)s %(locality)s; centre %(lat).5f, %(lon).5f; discovered %(d)s.") % {
                 "kind": site.get_kind_display(), "region": site.region, "locality": site.locality,
                 "lat": site.latitude, "lon": site.longitude,
                 "d": site.discovered_on.isoformat() if site.discovered_on else "?"}), st["Normal"])]
    if site.description:
        story.append(Paragraph(e(site.description), st["Normal"]))
    story += [Spacer(1, 6), Paragraph(e(_("Counts (computed from the records)")), st["Heading2"])]
    counts = [[_("Graves recorded"), s.graves_recorded], [_("Graves exhumed"), s.graves_exhumed],
              [_("Remains"), s.remains_total], [_("Women"), s.b_women], [_("Men"), s.b_men],
              [_("Children"), s.b_children], [_("Servicemen"), s.b_servicemen], [_("Undetermined"), s.b_undetermined],
              [_("With signs of torture"), s.with_torture], [_("Identified"), s.identified], [_("Returned"), s.returned]]
    story.append(_table([[_("Figure"), _("Count")], *counts], [80 * mm, 25 * mm], numeric_from=1))
    graves = list(site.graves.filter(withdrawn_at__isnull=True).annotate(
        occupants=Count("remains", filter=Q(remains__withdrawn_at__isnull=True))).order_by("label_number", "label"))
    plan = graves_plan(graves)
    if plan is not None:
        story += [Paragraph(e(_("Plan of the graves")), st["Heading2"]), plan]
    groups, _other = site_reconciliation(site)
    if groups:
        story.append(Paragraph(e(_("Public claims against the records")), st["Heading2"]))
        rows = [[_("Claim"), _("Said on"), _("Issuer"), _("Claimed"), _("Recorded"), _("Status")]]
        cell = st["BodyText"].clone("cell", fontSize=8, leading=10)
        for g in groups:
            for c in g.claims:
                mark = " ≠" if c.pk in g.differs_from_records else ""
                rows.append([c.ref, c.said_on.isoformat(), Paragraph(e(c.issuer), cell),
                             Paragraph(e(c.quantity_text()), cell), f"{g.recorded}{mark}", c.get_status_display()])
        story.append(_table(rows, [24 * mm, 20 * mm, 45 * mm, 40 * mm, 18 * mm, 25 * mm]))
        story.append(Paragraph(e(_("≠: the claim's allowed values do not include the recorded figure.")), st["Italic"]))
    story.append(Paragraph(e(_("Graves")), st["Heading2"]))
    rows = [[_("Grave"), _("Marker"), _("Inscription"), _("Status"), _("Remains")]]
    cell = st["BodyText"].clone("cell2", fontSize=8, leading=10)
    for g in graves:
        rows.append([g.label, g.get_marker_type_display(), Paragraph(e(g.inscription), cell), g.get_status_display(),
                     g.occupants])
    story.append(_table(rows, [20 * mm, 30 * mm, 70 * mm, 25 * mm, 20 * mm], numeric_from=4))
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()


def missing_person_pdf(person, candidates, identifications, history) -> bytes:

    st = styles()
    buf = io.BytesIO()
    title = _("Case file — %(ref)s %(name)s") % {"ref": person.ref, "name": person.full_name}
    doc = _doc(buf, title)
    field = lambda label, value: [label, Paragraph(e(value if value not in (None, "") else "—"), cell)]  # noqa: E731
    cell = st["BodyText"].clone("cell", fontSize=8, leading=10)
    rows = [[_("Field"), _("Value")],
            field(_("Family"), f"{person.family.ref} {person.family.name}"), field(_("Sex"), person.get_sex_display()),
            field(_("Born"), person.birth_date.isoformat() if person.birth_date else ""),
            field(_("Height (cm)"), person.height_cm),
            field(_("Last seen"), f"{person.last_seen_on.isoformat() if person.last_seen_on else '?'} {person.last_seen_place}"),
            field(_("Circumstances"), person.circumstances), field(_("Clothing"), person.clothing),
            field(_("Distinguishing marks"), person.distinguishing_marks), field(_("Dental notes"), person.dental_notes),
            field(_("Status"), person.get_status_display())]
    story = [Paragraph(e(title), st["Title"]), Paragraph(e(_("Ante-mortem data")), st["Heading2"]),
             _table(rows, [40 * mm, 125 * mm]),
             Paragraph(e(_("Pedigree of family %(f)s") % {"f": person.family.ref}), st["Heading2"]),
             pedigree_drawing(person.family, person.member_id),
             Paragraph(e(_("Red: missing; dot: reference profile; thick outline: this missing person.")), st["Italic"])]
    story.append(Paragraph(e(_("Candidates of the current matching run")), st["Heading2"]))
    if candidates:
        rows = [[_("Remains"), "LR", _("Posterior"), _("AM/PM conflicts")]]
        for c in candidates:
            lr = f"10^{num(c.log10_lr, '.1f')}" if c.log10_lr is not None else "0"
            rows.append([c.remains.body_number, lr, num(c.posterior, ".6f"), c.conflicts])
        story.append(_table(rows, [40 * mm, 30 * mm, 30 * mm, 30 * mm], numeric_from=1))
    else:
        story.append(Paragraph(e(_("None.")), st["Normal"]))
    story.append(Paragraph(e(_("Identifications")), st["Heading2"]))
    if identifications:
        rows = [[_("Remains"), _("Status"), _("Proposed"), _("Decided"), _("Family notified"), _("Returned")]]
        for i in identifications:
            rows.append([i.remains.body_number, i.get_status_display(), f"{i.proposed_at:%Y-%m-%d} {who(i.proposed_by)}",
                         f"{i.decided_at:%Y-%m-%d} {who(i.decided_by)}" if i.decided_at else "—",
                         i.notified_on.isoformat() if i.notified_on else "—",
                         i.returned_on.isoformat() if i.returned_on else "—"])
        story.append(_table(rows))
    else:
        story.append(Paragraph(e(_("None.")), st["Normal"]))
    story.append(Paragraph(e(_("History")), st["Heading2"]))
    rows = [[_("When (UTC)"), _("Who"), _("What"), _("Changes")]]
    for row in present(history):
        h = row.record
        changes = "; ".join(f"{f}: {'' if old is None else str(old) + ' → '}{new}" for f, old, new in row.changes)
        rows.append([f"{h.at:%Y-%m-%d %H:%M}", who(h.actor), h.get_action_display(),
                     Paragraph(e(changes + (f" ({h.reason})" if h.reason else "")), cell)])
    story.append(_table(rows, [28 * mm, 25 * mm, 22 * mm, 90 * mm]))
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()
