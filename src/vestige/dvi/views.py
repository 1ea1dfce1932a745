"""DVI pages: the AM and PM record of a person or a body (sections, odontogram, chart form), the
DVI overview (dental and implant matches, what waits for verification or a decision), the
identification board, its report, and the exchange file."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.dvi import board as boards
from vestige.dvi import bodymap, display, exchange, odontogram
from vestige.dvi import services as dvi
from vestige.dvi.forms import TITLES, ComparisonForm, section_form
from vestige.dvi.models import Comparison, Conclusion, Method, Verification
from vestige.dvi.report import board_report
from vestige.dvi.report import record_pdf as render_pdf
from vestige.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from vestige.identification.display import checks
from vestige.identification.models import DecisionStatus, Identification
from vestige.missing.models import MissingPerson
from vestige.osteology import odontology
from vestige.registry.models import Remains


def _owner(request, side: str, key: str, *, write: bool = False):
    dvi.require_side(request.user, side, write=write)  # the role first: a refused role learns nothing
    if side == "am":
        return access.get(request.user, MissingPerson.objects.select_related("family"), ref=key)
    if side == "pm" and key.isdigit():
        return access.get(request.user, Remains.objects.select_related("site"), pk=int(key))
    raise NotFound(_("No such record."))


def _record_url(owner) -> str:
    if isinstance(owner, MissingPerson):
        return reverse("dvi:record", args=["am", owner.ref])
    return reverse("dvi:record", args=["pm", str(owner.pk)])


def index(request):
    require(request.user, Cap.IDENT_READ)
    dental = [r for r in dvi.dental_matches(request.user, top=3) if r["candidates"]]
    pending = access.scope(Comparison.objects.filter(verification=Verification.PENDING)
                           .select_related("remains", "missing_person", "examined_by"), request.user)
    proposals = access.scope(Identification.objects.filter(status=DecisionStatus.PROPOSED).exclude(
        identified_by="dna").select_related("remains", "missing_person", "proposed_by"), request.user)
    return render(request, "dvi/index.html", {
        "dental": dental, "implants": dvi.implant_matches(request.user), "marks": dvi.mark_matches(request.user),
        "pending": pending[:200],
        "proposals": proposals[:200], "can_import": request.user.can(Cap.MISSING_WRITE) or request.user.can(
            Cap.REMAINS_WRITE)})


def record(request, side, key):
    owner = _owner(request, side, key)
    side = dvi.require_read(request.user, owner)
    chart = dvi.chart_of(owner)
    can_write = request.user.can(Cap.MISSING_WRITE if side == "am" else Cap.REMAINS_WRITE) and not owner.withdrawn
    records = dvi.records_of(request.user, owner)
    sections = [(name, TITLES[name], rows, section_form(name)() if can_write else None)
                for name, rows in records.items()]
    body_svg = mark_safe(bodymap.svg(records["marks"], title=_("Distinguishing marks")))  # noqa: S308 - escaped
    dental = []
    if side == "pm" and chart is not None and request.user.can(Cap.IDENT_READ):
        dental = dvi.dental_matches(request.user, remains=owner.body_number, top=5)[0]["candidates"]
    implants = []
    if request.user.can(Cap.IDENT_READ):
        implants = dvi.implant_matches(request.user, **({"remains": owner} if side == "pm" else {"person": owner}))
    return render(request, "dvi/record.html", {
        "owner": owner, "side": side, "key": key, "chart": chart, "can_write": can_write, "sections": sections,
        "svg": mark_safe(odontogram.svg(chart.teeth, title=str(owner))) if chart else "",  # noqa: S308 - escaped in svg()
        "legend": odontogram.legend(), "dental": dental, "implants": implants,
        "teeth_rows": [(t, display.entry_text(e)) for t, e in (chart.teeth.items() if chart else [])],
        "owner_url": owner.get_absolute_url(), "body_svg": body_svg,
        "marks_matches": dvi.mark_matches(request.user, **({"remains": owner} if side == "pm" else {"person": owner}))
        if request.user.can(Cap.IDENT_READ) else [],
    })


@require_POST
def add(request, side, key, section):
    owner = _owner(request, side, key, write=True)
    dvi.require_write(request.user, owner)
    if section not in TITLES:
        raise NotFound(_("No such section."))
    form = section_form(section)(request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else field}: {' '.join(errs)}")
        return redirect(_record_url(owner) + f"#{section}")
    try:
        dvi.add_record(request.user, section, owner, form.values())
        messages.success(request, _("Recorded."))
    except InvalidInput as e:
        messages.error(request, e.message)
    return redirect(_record_url(owner) + f"#{section}")


def chart_edit(request, side, key):
    owner = _owner(request, side, key, write=True)
    side = dvi.require_write(request.user, owner)
    chart = dvi.chart_of(owner)
    teeth = chart.teeth if chart else {}
    error, field = "", ""
    values = {"charted_on": chart.charted_on.isoformat() if chart and chart.charted_on else "",
              "source": chart.source if chart else "", "notes": chart.notes if chart else "",
              "radiographs": " ".join(i.ref for i in chart.radiographs.all()) if chart else ""}
    if request.method == "POST":
        import datetime as dt
        teeth = dvi.teeth_from_form(request.POST)
        values = {k: request.POST.get(k, "") for k in values}
        try:
            try:
                when = dt.date.fromisoformat(values["charted_on"]) if values["charted_on"] else None
            except ValueError:
                raise InvalidInput(_("Give the date as YYYY-MM-DD."), field="charted_on") from None
            dvi.save_chart(request.user, owner, teeth, charted_on=when, source=values["source"], notes=values["notes"],
                           others_sound=bool(request.POST.get("others_sound")),
                           radiographs=values["radiographs"].replace(",", " ").split())
            messages.success(request, _("Dental chart saved."))
            return redirect(_record_url(owner))
        except InvalidInput as e:
            error, field = e.message, e.field or ""
    states = [s for s in odontology.ToothState if s in (odontology.AM_STATES if side == "am" else odontology.PM_STATES)]
    rows = [{"tooth": t, "entry": teeth.get(t, {}), "bad": field.startswith(f"teeth.{t}.")}
            for t in odontology.TEETH]
    return render(request, "dvi/chart_form.html", {
        "owner": owner, "side": side, "key": key, "rows": rows[:32], "deciduous": rows[32:], "error": error,
        "field": field, "values": values, "states": [(s.value, display.STATES[s.value]) for s in states],
        "materials": list(display.MATERIALS.items()), "back": _record_url(owner),
        "open_deciduous": any(r["entry"] for r in rows[32:]),
    }, status=400 if error else 200)


def board_page(request, remains_pk, ref):
    require(request.user, Cap.IDENT_READ)
    r = access.get(request.user, Remains.objects.select_related("site", "grave", "exhumation"), pk=remains_pk)
    mp = access.get(request.user, MissingPerson.objects.select_related("family"), ref=ref)
    if request.method == "POST":
        return _board_action(request, r, mp)
    b = boards.board(request.user, r, mp)
    rows = display.tooth_rows(b["dental"]) if b["dental"] else []
    verdicts = {t.tooth: (t.verdict.value, t.reason) for t in b["dental"].teeth} if b["dental"] else {}
    pm_teeth = b["pm_chart"].teeth if b["pm_chart"] else {}
    am_teeth = b["am_chart"].teeth if b["am_chart"] else {}
    return render(request, "dvi/board.html", {
        "b": b, "r": r, "mp": mp, "checks": checks(b["checks"]),
        "tooth_rows": [t for t in rows if t["verdict"] != "not_compared"],
        "one_sided": [t for t in rows if t["verdict"] == "not_compared"],
        "pm_svg": mark_safe(odontogram.svg(pm_teeth, verdicts=verdicts, title=_("Post-mortem"))) if pm_teeth else "",  # noqa: S308
        "am_svg": mark_safe(odontogram.svg(am_teeth, title=_("Ante-mortem"))) if am_teeth else "",  # noqa: S308
        "legend": odontogram.legend(comparison=True), "form": ComparisonForm(),
        "can_compare": request.user.can(Cap.DVI_COMPARE), "can_board": request.user.can(Cap.BOARD),
        "can_notify": request.user.can(Cap.NOTIFY), "basis": boards.default_basis(b),
        "decision": b["decision"], "established": [str(x) for x in b["established_by"]],
        "comparisons": b["dental_comparisons"] + b["fingerprint_comparisons"] + b["board_comparisons"],
        "user_pk": request.user.pk,
    })


def _board_action(request, r, mp):
    back = reverse("dvi:board", args=[r.pk, mp.ref])
    what = request.POST.get("action")
    try:
        if what == "compare":
            require(request.user, Cap.DVI_COMPARE)
            form = ComparisonForm(request.POST)
            if not form.is_valid():
                raise InvalidInput("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            dvi.record_comparison(request.user, form.cleaned_data["method"], r, mp, form.cleaned_data["conclusion"],
                                  note=form.cleaned_data["note"])
            messages.success(request, _("Conclusion recorded; a second examiner verifies it."))
        elif what == "exclude":
            require(request.user, Cap.DVI_COMPARE)
            dvi.record_comparison(request.user, Method.RECONCILIATION, r, mp, Conclusion.EXCLUSION,
                                  note=request.POST.get("note", ""))
            messages.success(request, _("Exclusion recorded; a second examiner verifies it."))
        elif what == "propose":
            require(request.user, Cap.BOARD)
            boards.propose(request.user, r, mp, request.POST.get("basis", ""),
                           conflicts_explained=request.POST.get("conflicts_explained", ""))
            messages.success(request, _("Identification proposed; a second board member must confirm it."))
        else:
            raise InvalidInput(_("Unknown action."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(back)


@require_POST
def verify(request, pk):
    require(request.user, Cap.DVI_COMPARE)
    c = access.get(request.user, Comparison.objects.select_related("remains", "missing_person"), pk=pk)
    try:
        dvi.verify_comparison(request.user, c, request.POST.get("decision") == "agree", request.POST.get("note", ""))
        messages.success(request, _("Verification recorded."))
    except (InvalidInput, Conflict, PermissionDenied) as e:
        messages.error(request, e.message)
    return redirect(reverse("dvi:board", args=[c.remains_id, c.missing_person.ref]))


def record_pdf(request, side, key):
    owner = _owner(request, side, key)
    side = dvi.require_read(request.user, owner)
    pdf = render_pdf(owner, side, dvi.records_of(request.user, owner), dvi.chart_of(owner), request.user)
    name = owner.ref if side == "am" else owner.body_number
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="dvi-{side}-{name}.pdf"'
    return resp


def board_pdf(request, remains_pk, ref):
    require(request.user, Cap.IDENT_READ)
    r = access.get(request.user, Remains.objects.select_related("site", "grave"), pk=remains_pk)
    mp = access.get(request.user, MissingPerson.objects.select_related("family"), ref=ref)
    pdf = board_report(boards.board(request.user, r, mp), request.user)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="identification-{r.body_number}-{mp.ref}.pdf"'
    return resp


def exchange_export(request):
    require(request.user, Cap.IDENT_READ)
    data = exchange.export(request.user, case=request.GET.get("case", ""))
    resp = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1, default=str),
                        content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="vestige-dvi-exchange.json"'
    return resp


@require_POST
def exchange_import(request):
    dvi.require_importer(request.user)
    f = request.FILES.get("file")
    if f is None:
        messages.error(request, _("Choose an exchange file."))
        return redirect("dvi:index")
    try:
        counts = exchange.load(request.user, f.read())
        messages.success(request, _("%(c)d charts and %(r)d records written, %(u)d unchanged.") % {
            "c": counts["charts"], "r": counts["records"], "u": counts["unchanged"]})
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect("dvi:index")
