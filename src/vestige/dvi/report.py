"""The identification report of the board (PDF, A4), in the order of INTERPOL's DVI
Identification Report: the two records identified; the primary identifiers — fingerprints,
dental, DNA — each with its result; the secondary identifiers (medical findings and implants,
marks, effects); conflicts and how they were explained; the conclusion and the board's two
decisions. Embedded DejaVu Sans (Cyrillic and Latin), the language of the request; every value
escaped. No DNA profile is printed, only its statistics.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from vestige.dvi import display
from vestige.dvi.forms import TITLES
from vestige.printing import e, grid_table, num, numbered_pages, styles, who


def _date(d) -> str:
    return f"{d:%Y-%m-%d}" if d else "—"


def _table(rows, widths=None):
    return grid_table(rows, widths)


def board_report(b: dict, actor) -> bytes:
    st = styles()
    cell = st["BodyText"].clone("cell", fontSize=8, leading=10)

    def p(text):
        return Paragraph(e(text), cell)

    r, mp = b["remains"], b["person"]
    title = _("DVI identification report — %(body)s / %(mp)s") % {"body": r.body_number, "mp": mp.ref}
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm)
    story = [Paragraph(e(title), st["Title"])]
    story.append(Paragraph(e(_("1. Identified records")), st["Heading2"]))
    story.append(_table([
        [_("Post-mortem"), _("Ante-mortem")],
        [p(f"{r.body_number} — {r.site.ref}" + (f", {_('grave')} {r.grave.label}" if r.grave_id else "")
           + f"; {r.get_sex_display()}, {r.age_min if r.age_min is not None else '?'}–"
             f"{r.age_max if r.age_max is not None else '?'}"),
         p(f"{mp.ref} {mp.full_name}; {mp.get_sex_display()}, {_('born')} {_date(mp.birth_date)}; "
           f"{_('family')} {mp.family.ref}")]], [89 * mm, 89 * mm]))
    story.append(Paragraph(e(_("2. Primary identifiers")), st["Heading2"]))
    est = {str(x) for x in b["established_by"]}

    def result(key):
        return _("establishes identity") if key in est else _("does not establish identity")

    story.append(Paragraph(f"<b>{e(_('Fingerprints'))}</b> — {e(result('fingerprints'))}", st["Normal"]))
    for c in b["fingerprint_comparisons"]:
        story.append(Paragraph(e(f"{c.get_conclusion_display()}: {who(c.examined_by)} ({_date(c.examined_at)}); "
                                 f"{c.get_verification_display()} {who(c.verified_by)}. {c.note}"), cell))
    story.append(Paragraph(f"<b>{e(_('Dental'))}</b> — {e(result('dental'))}", st["Normal"]))
    for c in b["dental_comparisons"]:
        story.append(Paragraph(e(f"{c.get_conclusion_display()}: {who(c.examined_by)} ({_date(c.examined_at)}); "
                                 f"{c.get_verification_display()} {who(c.verified_by)}. {c.note}"), cell))
    if b["dental"] is not None:
        d = b["dental"]
        story.append(Paragraph(e(_("Score %(s)s: %(c)d concordant, %(x)d explainable, %(i)d incompatible teeth.") % {
            "s": d.score, "c": d.counts["concordant"], "x": d.counts["explainable"],
            "i": d.counts["incompatible"]}), cell))
        rows = [[_("Tooth"), _("Ante-mortem"), _("Post-mortem"), _("Verdict"), _("Why")]]
        rows += [[t["tooth"], p(t["am"]), p(t["pm"]), p(t["verdict_label"]), p(t["reason"])]
                 for t in display.tooth_rows(d)]
        story.append(_table(rows, [12 * mm, 40 * mm, 40 * mm, 24 * mm, 62 * mm]))
    story.append(Paragraph(f"<b>{e(_('DNA'))}</b> — {e(result('dna'))}", st["Normal"]))
    dna = b["dna"]
    if dna["candidate"] is not None:
        lr = f"10^{num(dna['log10_lr'], '.2f')}" if dna.get("log10_lr") is not None else "0"
        story.append(Paragraph(e(_("Likelihood ratio %(lr)s, posterior %(p)s (matching run %(run)s).") % {
            "lr": lr, "p": num(dna["posterior"], ".6f"), "run": dna["candidate"].run_id}), cell))
    else:
        story.append(Paragraph(e(_("No DNA candidate in the current run.")), cell))
    story.append(Paragraph(e(_("3. Secondary identifiers")), st["Heading2"]))
    sec = [[_("Identifier"), _("Ante-mortem"), _("Post-mortem")]]
    sec += [[_("Implant"), p(f"{m['maker']} {m['am_serial']}"), p(f"{m['maker']} {m['serial']}")] for m in b["implants"]]
    sec += [[p(s["category"] + (f" ({s['region']})" if s["region"] else "")), p(s["am"]), p(s["pm"])]
            for s in b["secondary"]]
    if len(sec) > 1:
        story.append(_table(sec, [40 * mm, 69 * mm, 69 * mm]))
    else:
        story.append(Paragraph(e(_("None in common.")), cell))
    story.append(Paragraph(e(_("4. Conflicts")), st["Heading2"]))
    for c in b["conflicts"] or [_("None.")]:
        story.append(Paragraph(e(c), cell))
    for c in b["exclusions"]:
        story.append(Paragraph(e(_("Exclusion: %(c)s") % {"c": f"{c.get_method_display()} — {c.note}"}), cell))
    ident = b["decision"]
    if ident is not None and ident.identifiers.get("conflicts_explained"):
        story.append(Paragraph(e(_("Explained: %(t)s") % {"t": ident.identifiers["conflicts_explained"]}), cell))
    story.append(Paragraph(e(_("5. Conclusion and decision")), st["Heading2"]))
    if ident is None:
        story.append(Paragraph(e(_("Not proposed.")), st["Normal"]))
    else:
        story.append(Paragraph(e(f"{ident.get_status_display()} — {ident.get_identified_by_display()}"), st["Normal"]))
        story.append(Paragraph(e(_("Proposed by %(who)s on %(when)s: %(basis)s") % {
            "who": who(ident.proposed_by), "when": _date(ident.proposed_at), "basis": ident.basis}), cell))
        if ident.decided_by_id:
            story.append(Paragraph(e(_("%(status)s by %(who)s on %(when)s.") % {
                "status": ident.get_status_display(), "who": who(ident.decided_by), "when": _date(ident.decided_at)})
                + " " + e(ident.decision_note), cell))
    story += [Spacer(1, 8), Paragraph(e(_("Printed by %(who)s.") % {"who": actor}), st["Italic"])]
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()


def record_pdf(owner, side: str, records: dict, chart, actor) -> bytes:
    """One person's AM data or one body's PM data as a printable form, in the order of INTERPOL's
    DVI forms (yellow AM, pink PM): identity or recovery, description and marks, clothing and
    effects, medical findings, dental, fingerprints, DNA samples (counted, never printed)."""

    st = styles()
    cell = st["BodyText"].clone("cell", fontSize=8, leading=10)

    def p(text):
        return Paragraph(e(text), cell)

    am = side == "am"
    title = (_("INTERPOL DVI ante-mortem data — %(who)s") % {"who": f"{owner.ref} {owner.full_name}"} if am else
             _("INTERPOL DVI post-mortem data — %(who)s") % {"who": owner.body_number})
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm)
    story = [Paragraph(e(title), st["Title"])]
    story.append(Paragraph(e(_("A. Missing person") if am else _("A. Recovery")), st["Heading2"]))
    if am:
        facts = [(_("Sex"), owner.get_sex_display()), (_("Born"), _date(owner.birth_date)),
                 (_("Height"), f"{owner.height_cm or '?'} cm"), (_("Last seen"),
                                                                   f"{_date(owner.last_seen_on)} {owner.last_seen_place}"),
                 (_("Family"), f"{owner.family.ref} {owner.family.name}")]
    else:
        facts = [(_("Site"), f"{owner.site.ref} {owner.site.name}"),
                 (_("Grave"), owner.grave.label if owner.grave_id else "—"),
                 (_("Recovered on"), _date(owner.recovered_on)), (_("Estimated sex"), owner.get_sex_display()),
                 (_("Age range"), f"{owner.age_min if owner.age_min is not None else '?'}–"
                                  f"{owner.age_max if owner.age_max is not None else '?'}")]
    story.append(_table([[_("Field"), _("Value")]] + [[k, p(v)] for k, v in facts], [45 * mm, 133 * mm]))
    letters = {"marks": "B", "effects": "C", "medical": "D", "fingerprints": "F"}
    for name in ("marks", "effects", "medical"):
        story.append(Paragraph(e(f"{letters[name]}. {TITLES[name]}"), st["Heading2"]))
        rows = [[pgettext("an entry of a record", "Record"), _("Description"), _("Recorded by")]]
        for o in records[name]:
            text = " ".join(x for x in (getattr(o, "description", ""), getattr(o, "serial", "")) if x)
            rows.append([p(str(o)), p(text), p(f"{who(o.recorded_by)} {_date(o.recorded_at)}")])
        story.append(_table(rows, [50 * mm, 88 * mm, 40 * mm]) if len(rows) > 1 else p(_("None recorded.")))
    story.append(Paragraph(e(_("E. Dental")), st["Heading2"]))
    if chart is None:
        story.append(p(_("No dental chart yet.")))
    else:
        story.append(p(f"{_('Charted on')} {_date(chart.charted_on)} — {chart.source}"))
        rows = [[_("Tooth"), pgettext("an entry of a record", "Record"), _("Tooth"),
             pgettext("an entry of a record", "Record")]]
        items = [(t, display.entry_text(v)) for t, v in chart.teeth.items()]
        half = (len(items) + 1) // 2
        for i in range(half):
            right = items[i + half] if i + half < len(items) else ("", "")
            rows.append([items[i][0], p(items[i][1]), right[0], p(right[1])])
        story.append(_table(rows, [14 * mm, 75 * mm, 14 * mm, 75 * mm]))
    story.append(Paragraph(e(f"F. {TITLES['fingerprints']}"), st["Heading2"]))
    prints = [[pgettext("an entry of a record", "Record"), _("Classification"), _("Evidence item")]] + [
        [p(str(o)), p(o.classification), p(o.item.ref if o.item_id else "—")] for o in records["fingerprints"]]
    story.append(_table(prints, [60 * mm, 78 * mm, 40 * mm]) if len(prints) > 1 else p(_("None recorded.")))
    story.append(Paragraph(e(_("G. DNA")), st["Heading2"]))
    if am:
        n = owner.family.donors.filter(profiles__isnull=False).distinct().count()
        story.append(p(_("Relatives with a reference profile: %(n)d (profiles are not printed).") % {"n": n}))
    else:
        story.append(p(_("DNA samples: %(n)d (profiles are not printed).") % {"n": owner.dna_samples.count()}))
    story += [Spacer(1, 8), Paragraph(e(_("Printed by %(who)s.") % {"who": actor}), st["Italic"])]
    doc.build(story, canvasmaker=numbered_pages())
    return buf.getvalue()
