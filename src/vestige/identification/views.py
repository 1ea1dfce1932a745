"""Matching runs, candidates and decisions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige.accounts.roles import Cap
from vestige.errors import Conflict, InvalidInput, PermissionDenied
from vestige.identification import services
from vestige.identification.models import Candidate, DecisionStatus, Identification, MatchingRun
from vestige.missing.pedigree import pedigree_svg
from vestige.registry.models import Site


def index(request):
    run = services.current_run()
    best = []
    if run is not None:
        qs = Candidate.objects.filter(run=run).select_related("remains", "missing_person").order_by("-log10_lr")
        if request.GET.get("confident") == "yes":
            qs = qs.filter(posterior__gte=services.THRESHOLD)
        best = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "identification/index.html", {
        "run": run, "runs": MatchingRun.objects.all()[:10], "stats": services.stats(), "candidates": best,
        "sites": Site.objects.filter(withdrawn_at__isnull=True), "can_run": request.user.can(Cap.RUN_START),
        "query": "", "threshold": services.THRESHOLD,
        "pending": Identification.objects.filter(status=DecisionStatus.PROPOSED).select_related("remains", "missing_person"),
    })


@require_POST
def start(request):
    try:
        run = services.start_run(request.user, site=request.POST.get("site", ""),
                                 families=request.POST.get("families", "").replace(" ", ",").split(","))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
        return redirect("identification:index")
    return redirect(run.get_absolute_url())


def run_detail(request, pk):
    run = get_object_or_404(MatchingRun, pk=pk)
    template = "identification/_run_status.html" if request.headers.get("HX-Request") else "identification/run.html"
    return render(request, template, {"run": run})


def candidate_detail(request, pk):
    c = get_object_or_404(Candidate.objects.select_related("remains__site", "remains__exhumation", "remains__grave",
                                                           "missing_person__family", "run"), pk=pk)
    markers = services.marker_lrs(c)
    ident = Identification.objects.filter(candidate=c).order_by("-proposed_at").first()
    return render(request, "identification/candidate.html", {
        "c": c, "r": c.remains, "mp": c.missing_person, "markers": markers, "ident": ident,
        "pedigree": mark_safe(pedigree_svg(c.missing_person.family, highlight=c.missing_person.member_id)),
        "threshold": services.THRESHOLD, "today": dt.date.today().isoformat(),
        "can_propose": request.user.can(Cap.IDENT_PROPOSE), "can_confirm": request.user.can(Cap.IDENT_CONFIRM),
        "can_notify": request.user.can(Cap.NOTIFY),
        "others": Candidate.objects.filter(run=c.run, remains=c.remains).exclude(pk=c.pk).select_related("missing_person")[:5],
    })


@require_POST
def propose(request, pk):
    c = get_object_or_404(Candidate, pk=pk)
    try:
        services.propose(request.user, c, request.POST.get("basis", ""),
                         below_threshold_reason=request.POST.get("below_threshold_reason", ""))
        messages.success(request, _("Identification proposed; a second person must confirm it."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(c.get_absolute_url())


@require_POST
def decide(request, pk):
    ident = get_object_or_404(Identification, pk=pk)
    try:
        services.decide(request.user, ident, request.POST.get("decision") == "confirm", request.POST.get("note", ""))
        messages.success(request, _("Decision recorded."))
    except (Conflict, PermissionDenied) as e:
        messages.error(request, e.message)
    return redirect(ident.candidate.get_absolute_url() if ident.candidate else "identification:index")


@require_POST
def notify(request, pk):
    ident = get_object_or_404(Identification, pk=pk)
    try:
        day = dt.date.fromisoformat(request.POST.get("on", ""))
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect(ident.candidate.get_absolute_url())
    try:
        if request.POST.get("what") == "return":
            services.record_return(request.user, ident, day)
        else:
            services.record_notification(request.user, ident, day, request.POST.get("how", ""))
        messages.success(request, _("Recorded."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(ident.candidate.get_absolute_url())


def candidate_pdf(request, pk):
    """The printable report; viewing it is recorded on the remains."""
    from django.http import HttpResponse

    from vestige.history.models import Action
    from vestige.history.services import record
    from vestige.identification.report import identification_pdf

    c = get_object_or_404(Candidate.objects.select_related("remains__site", "remains__grave", "missing_person__family"), pk=pk)
    ident = Identification.objects.filter(candidate=c).order_by("-proposed_at").first()
    record(c.remains, Action.VIEWED, request.user, {"identification report": [None, c.missing_person.ref]})
    response = HttpResponse(identification_pdf(c, ident), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="identification-{c.remains.body_number}-{c.missing_person.ref}.pdf"'
    return response


def stats_page(request):
    per_site = [(s, services.stats(s.ref)) for s in Site.objects.filter(withdrawn_at__isnull=True)]
    return render(request, "identification/stats.html", {
        "overall": services.stats(), "per_site": per_site, "weak": services.weak_families()})
