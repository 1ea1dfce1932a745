"""Matching runs, candidates, decisions, duplicate groups and worklists (pages).

Writes go through :mod:`vestige.identification.services`; reads check a capability.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access, tasks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.history.models import Action
from vestige.history.services import record
from vestige.identification import lineage, services
from vestige.identification.display import (
    GROUP_PAIRS_SHOWN,
    checks,
    nongenetic_lrs,
    segment_rows,
    system_lrs,
    trimmed_group,
)
from vestige.identification.models import (
    Candidate,
    DecisionStatus,
    DuplicateGroup,
    Identification,
    JointGroup,
    MatchingRun,
    RemainsSample,
)
from vestige.identification.pedigree_checks import family_checks, resolve_flag
from vestige.identification.report import identification_pdf
from vestige.identification.worklists import WORKLISTS, counts
from vestige.missing.models import MissingPerson
from vestige.missing.pedigree import pedigree_svg
from vestige.missing.services import search_names
from vestige.registry.models import Remains, Site

GROUPS_SHOWN = 500  # the joint groups a run page lists (the API gives them all)


def index(request):
    require(request.user, Cap.IDENT_READ)
    services.reap_stale_runs()
    run = services.current_run()
    best = []
    site, state, q = request.GET.get("site", ""), request.GET.get("state", ""), request.GET.get("q", "").strip()[:100]
    if run is not None:
        qs = access.scope(Candidate.objects.filter(run=run), request.user).select_related("remains__site", "missing_person").order_by(
            "-posterior", "-log10_lr")
        if request.GET.get("confident") == "yes":
            qs = qs.filter(posterior__gte=services.THRESHOLD)
        if site:
            qs = qs.filter(remains__site__ref=site)
        if q:  # a body number, a missing person's code, or a name in either script
            qs = qs.filter(Q(remains__body_number__icontains=q) | Q(missing_person__ref__icontains=q)
                           | Q(missing_person__in=search_names(MissingPerson.objects.all(), q).values("pk")))
        decided = Identification.objects.exclude(status=DecisionStatus.REJECTED)
        if state == "undecided":
            qs = qs.exclude(remains__in=decided.values("remains")).exclude(missing_person__in=decided.values("missing_person"))
        elif state == "decided":
            qs = qs.filter(pk__in=decided.values("candidate"))
        best = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "identification/index.html", {
        "run": run, "runs": MatchingRun.objects.all()[:10], "stats": services.stats(actor=request.user), "candidates": best,
        "sites": access.scope(Site.objects.filter(withdrawn_at__isnull=True), request.user), "can_run": request.user.can(Cap.RUN_START),
        "query": params.urlencode(), "threshold": services.THRESHOLD, "site": site, "state": state, "q": q,
        "worklists": [(name, WORKLISTS[name], n) for name, n in counts(request.user).items()],
        "lineage_choices": [(s, label, list(lineage.databases(s))) for s, label in lineage.SYSTEMS.items()
                            if lineage.databases(s).exists()],
        "lineage_held": [(s, lineage.SYSTEMS[s], n) for s, n in lineage.counts().items() if n],
    })


@require_POST
def start(request):
    require(request.user, Cap.RUN_START)  # the role first: a refused role learns nothing of the record
    try:
        run = services.start_run(request.user, site=request.POST.get("site", ""),
                                 families=request.POST.get("families", "").replace(" ", ",").split(","),
                                 lineage={s: request.POST.get(f"lineage_{s}") for s in lineage.SYSTEMS})
    except (InvalidInput, Conflict, NotFound) as e:
        messages.error(request, e.message)
        return redirect("identification:index")
    return redirect(run.get_absolute_url())


def run_detail(request, pk):
    require(request.user, Cap.IDENT_READ)
    services.reap_stale_runs()
    run = access.get(request.user, MatchingRun, pk=pk)
    template = "identification/_run_status.html" if request.headers.get("HX-Request") else "identification/run.html"

    waited = tasks.unclaimed_for(run.task_id) if run.status == "queued" else None
    # only the joint groups that hold a body or a missing person of the user's cases
    groups = services.joint_result(run, request.user)["groups"]
    return render(request, template, {"run": run, "groups": [summarised_group(g) for g in groups[:GROUPS_SHOWN]],
                                      "groups_more": max(len(groups) - GROUPS_SHOWN, 0),
                                      "no_worker": waited if (waited or 0) > tasks.NO_WORKER_S else None})


def _group(run: MatchingRun, index, body: str | None = None, person: str | None = None, view: dict | None = None):
    if view is not None:  # a large group: the candidate's own pairs, stored by the run
        return view
    if index is None:
        return None
    row = JointGroup.objects.filter(run=run, index=index).first()
    return trimmed_group(row.data, body, person) if row else None


def summarised_group(data: dict, keep: int = GROUP_PAIRS_SHOWN) -> dict:
    """A group as the run page lists it: at most ``keep`` remains, missing persons, pairs of each
    assignment and sets of remains the DNA cannot tell apart, each list with how many it leaves
    out (``*_more``). A sampled group of a national run holds thousands of each; the page links
    the whole result as JSON instead (the API's joint result)."""
    out = dict(data)
    for name in ("remains", "missing", "symmetric"):
        items = data.get(name) or []
        out[name] = items[:keep]
        out[f"{name}_more"] = max(len(items) - keep, 0)
    out["assignments"] = [{**a, "pairs": a["pairs"][:keep], "others": max(len(a["pairs"]) - keep, 0)}
                          for a in data.get("assignments", [])]
    return out


def candidate_detail(request, pk):
    require(request.user, Cap.IDENT_READ)
    heavy = ("run__joint", "run__plans", "run__duplicates", "run__unsearchable", "run__inputs", "run__counts",
             "run__timings")
    c = access.get(request.user, Candidate.objects.select_related("remains__site", "remains__exhumation", "remains__grave",
                                                           "missing_person__family", "missing_person__member", "run")
                          .defer(*heavy), pk=pk)
    ident = Identification.objects.filter(candidate=c).order_by("-proposed_at").first()
    competing = Identification.objects.filter(status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED]).exclude(
        candidate=c).filter(remains=c.remains) | Identification.objects.filter(
        status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED], missing_person=c.missing_person).exclude(candidate=c)
    samples = list(c.remains.dna_samples.all())
    return render(request, "identification/candidate.html", {
        "c": c, "r": c.remains, "mp": c.missing_person, "markers": services.marker_lrs(c), "ident": ident,
        "pedigree": mark_safe(pedigree_svg(c.missing_person.family, highlight=c.missing_person.member_id)),
        "threshold": services.THRESHOLD, "today": dt.date.today().isoformat(), "certainty": services.certainty(c),
        "can_propose": request.user.can(Cap.IDENT_PROPOSE), "can_confirm": request.user.can(Cap.IDENT_CONFIRM),
        "can_notify": request.user.can(Cap.NOTIFY), "basis": services.basis_text(c),
        "symmetric": "symmetric" in c.dna_flags or any(f.startswith("indistinguishable") for f in c.dna_flags),
        "others": access.scope(Candidate.objects.filter(run=c.run, remains=c.remains), request.user).exclude(pk=c.pk).select_related(
            "missing_person").order_by("-posterior")[:8],
        "rivals": access.scope(Candidate.objects.filter(run=c.run, missing_person=c.missing_person), request.user).exclude(
            pk=c.pk).select_related(
            "remains").order_by("-posterior")[:8],
        "group": _group(c.run, c.group, c.remains.body_number, c.missing_person.ref, c.group_view), "competing": competing.distinct(), "samples": samples,
        "notes": [f for f in c.dna_flags if f.startswith(("degraded", "samples", "same_body", "possible_duplicate"))],
        "pedigree_flags": [f.split(":", 1)[1] for f in c.dna_flags if f.startswith("pedigree_check:")],
        "pedigree_resolved": [f.split(":", 1)[1] for f in c.dna_flags if f.startswith("pedigree_check_resolved:")],
        "checks": checks(c.flags),
        "systems": system_lrs(c.systems),
        "segments": segment_rows(c.segments),
        "nongenetic": nongenetic_lrs(c.flags, c.log10_lr, c.prior),
        "none": _none_of_the_missing(c),
    })


def _none_of_the_missing(c: Candidate) -> dict | None:
    """The run's probability that the body is none of the registered missing persons."""
    run = MatchingRun.objects.only("joint", "counts").get(pk=c.run_id)
    found = (run.joint.get("none") or {}).get(c.remains.body_number)
    if not found:
        return None
    return {"probability": found[0], "tolerance": found[1], "registered": run.counts.get("missing_total", 0)}


@require_POST
def propose(request, pk):
    require(request.user, Cap.IDENT_PROPOSE)  # the role first: a refused role learns nothing of the record
    c = access.get(request.user, Candidate, pk=pk)
    try:
        services.propose(request.user, c, request.POST.get("basis", ""),
                         below_threshold_reason=request.POST.get("below_threshold_reason", ""))
        messages.success(request, _("Identification proposed; a second person must confirm it."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(c.get_absolute_url())


@require_POST
def decide(request, pk):
    if not request.user.can(Cap.BOARD):  # the role first: a refused role learns nothing of the record
        require(request.user, Cap.IDENT_CONFIRM)
    ident = access.get(request.user, Identification, pk=pk)
    try:
        services.decide(request.user, ident, request.POST.get("decision") == "confirm", request.POST.get("note", ""))
        messages.success(request, _("Decision recorded."))
    except Conflict as e:  # a refusal by role or by the two-person rule is a 403 page
        messages.error(request, e.message)
    return redirect(_decision_page(ident))


def _decision_page(ident) -> str:
    if ident.identified_by != "dna" or ident.candidate is None:
        return reverse("dvi:board", args=[ident.remains_id, ident.missing_person.ref])
    return ident.candidate.get_absolute_url()


@require_POST
def notify(request, pk):
    require(request.user, Cap.NOTIFY)  # the role first: a refused role learns nothing of the record
    ident = access.get(request.user, Identification, pk=pk)
    back = _decision_page(ident)
    try:
        day = dt.date.fromisoformat(request.POST.get("on", ""))
    except ValueError:
        messages.error(request, _("Give the date as YYYY-MM-DD."))
        return redirect(back)
    try:
        if request.POST.get("what") == "return":
            services.record_return(request.user, ident, day)
        else:
            services.record_notification(request.user, ident, day, request.POST.get("how", ""))
        messages.success(request, _("Recorded."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(back)


def candidate_pdf(request, pk):
    """The printable report; viewing it is recorded on the remains."""
    from django.http import HttpResponse


    require(request.user, Cap.IDENT_READ)
    c = access.get(request.user, Candidate.objects.select_related("remains__site", "remains__grave", "missing_person__family"), pk=pk)
    ident = Identification.objects.filter(candidate=c).order_by("-proposed_at").first()
    record(c.remains, Action.VIEWED, request.user, {"identification report": [None, c.missing_person.ref]})
    response = HttpResponse(identification_pdf(c, ident), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="identification-{c.remains.body_number}-{c.missing_person.ref}.pdf"'
    return response


def stats_page(request):
    require(request.user, Cap.REGISTRY_READ)
    overall, per_site = services.stats_by_site(access.scope(Site.objects.filter(withdrawn_at__isnull=True), request.user),
                                               request.user)
    run = services.current_run()
    return render(request, "identification/stats.html", {
        "overall": overall, "per_site": per_site, "unsearchable": services.visible_unsearchable(run, request.user)})


def worklist_page(request, name):
    try:
        rows = services.worklist(name, request.user)
    except NotFound:
        from django.http import Http404
        raise Http404(name) from None
    shown = [{k: (" + ".join(map(str, v)) if isinstance(v, list) else v) for k, v in r.items()} for r in rows]
    return render(request, "identification/worklist.html", {"name": name, "title": WORKLISTS[name], "rows": shown,
                                                            "lists": WORKLISTS})


def duplicate_new(request):
    require(request.user, Cap.IDENT_PROPOSE)
    bodies = [b.strip() for b in (request.POST.get("remains") or request.GET.get("remains", "")).split(",") if b.strip()]
    remains = list(access.scope(Remains.objects.filter(body_number__in=bodies), request.user))
    if len({r.body_number for r in remains}) < len(set(bodies)):
        raise NotFound(_("No remains %(b)s.") % {"b": ", ".join(sorted(set(bodies) - {r.body_number for r in remains}))})
    run = services.current_run()
    pair = next((d for d in (run.duplicates if run else []) if set(d["remains"]) == set(bodies)), None)
    if request.method == "POST":
        try:
            if len(remains) != len(set(bodies)):
                raise InvalidInput(_("Unknown body number among %(b)s.") % {"b": ", ".join(bodies)}, field="remains")
            g = services.propose_duplicate(request.user, remains, request.POST.get("basis", ""),
                                           log10_lr=pair["log10_lr"] if pair else None)
            messages.success(request, _("Proposed; a second person must confirm it."))
            return redirect(g.get_absolute_url())
        except (InvalidInput, Conflict) as e:
            messages.error(request, e.message)
    basis = (_("DNA: LR 10^%(lr).1f that these samples are one person (%(n)d markers).")
             % {"lr": pair["log10_lr"], "n": pair["markers_compared"]}) if pair else ""
    return render(request, "identification/duplicate_new.html", {"bodies": ",".join(bodies), "remains": remains,
                                                                 "basis": basis, "pair": pair})


def duplicate_detail(request, pk):
    require(request.user, Cap.IDENT_CONFIRM if request.method == "POST" else Cap.IDENT_READ)
    g = access.get(request.user, DuplicateGroup, pk=pk)
    if request.method == "POST":
        try:
            services.decide_duplicate(request.user, g, request.POST.get("decision") == "confirm",
                                      request.POST.get("note", ""))
            messages.success(request, _("Decision recorded."))
        except Conflict as e:  # a refusal by role or by the two-person rule is a 403 page
            messages.error(request, e.message)
        return redirect(g.get_absolute_url())
    return render(request, "identification/duplicate.html", {"g": g, "can_confirm": request.user.can(Cap.IDENT_CONFIRM)})


@require_POST
def sample_resolve(request, pk):
    require(request.user, Cap.DNA_WRITE)  # the role first: a refused role learns nothing of the record
    s = access.get(request.user, RemainsSample, pk=pk)
    try:
        services.resolve_sample(request.user, s, request.POST.get("decision") == "accept", request.POST.get("note", ""))
        messages.success(request, _("Recorded."))
    except (InvalidInput, Conflict) as e:
        messages.error(request, e.message)
    return redirect(s.remains.get_absolute_url())


def databases_page(request):
    """The population databases of the lineage systems, with their provenance; a DNA analyst adds one."""
    require(request.user, Cap.IDENT_READ)
    errors: dict = {}
    values: dict = {}
    if request.method == "POST":
        require(request.user, Cap.DNA_WRITE)
        values = {k: request.POST.get(k, "") for k in ("system", "name", "population", "source")}
        upload, model = request.FILES.get("file"), request.FILES.get("model")
        try:
            if upload is None:
                raise InvalidInput(_("Choose the database file."), field="file")
            db = lineage.add_database(request.user, values["system"], upload.read(), upload.name, name=values["name"],
                                      population=values["population"], source=values["source"],
                                      model=model.read() if model else None, model_name=model.name if model else "")
        except InvalidInput as e:
            errors = e.errors or {e.field or "file": [e.message]}
            messages.error(request, e.message)
        else:
            messages.success(request, _("Database %(d)s added.") % {"d": db})
            return redirect("identification:databases")
    status = 400 if errors else 200
    return render(request, "identification/databases.html", {
        "databases": lineage.databases(), "systems": lineage.SYSTEMS.items(), "errors": errors, "values": values,
        "can_add": request.user.can(Cap.DNA_WRITE), "held": lineage.counts()}, status=status)


def pedigree_check_page(request, ref):
    """A family's typed references tested against its pedigree (forrel's checkPairwise); a DNA
    analyst resolves a flagged pair here, saying what explains it."""
    status, error = 200, None
    if request.method == "POST":
        try:
            resolve_flag(request.user, ref, request.POST.get("pair", ""), request.POST.get("note", ""))
        except InvalidInput as e:
            status, error = 400, e.message
        else:
            messages.success(request, _("The flag is resolved; the family's next matches say so instead of flagging."))
            return redirect("identification:pedigree-check", ref=ref)
    result = family_checks(request.user, ref)
    return render(request, "identification/pedigree_check.html", {**result, "error": error,
                                                                   "values": request.POST}, status=status)
