"""HTML views for claims, incidents and witnesses; every write calls a service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.claims import importing, services
from vestige.claims.forms import (
    AcledForm,
    ClaimForm,
    IncidentForm,
    LinkForm,
    StatementForm,
    StatusForm,
    WitnessForm,
)
from vestige.claims.listing import CLAIMS, INCIDENTS
from vestige.claims.models import Claim, Incident, Witness
from vestige.claims.reconcile import reconcile, site_reconciliation
from vestige.errors import ImportRejected, InvalidInput
from vestige.history.services import history_of
from vestige.registry.models import Site
from vestige.registry.stats import remains_stats, site_stats
from vestige.tables import table_response


def _list(request, spec, template, extra=None):
    try:
        qs, error = spec.queryset(request.GET, user=request.user), None
    except InvalidInput as e:
        qs, error = spec.model.objects.none(), e.message
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, template, {"page": page, "spec": spec, "values": request.GET, "error": error,
                                      "query": params.urlencode(), **(extra or {})})


def _export(request, spec, name):
    qs = spec.queryset(request.GET, user=request.user)
    return table_response(request, spec.csv_rows(qs), f"{name}-{timezone.now():%Y%m%d-%H%M%S}")


def claim_list(request):
    return _list(request, CLAIMS, "claims/claim_list.html", {"can_write": request.user.can(Cap.CLAIM_WRITE)})


def claim_export(request):
    return _export(request, CLAIMS, "claims")


def claim_detail(request, ref):
    claim = access.get(request.user, Claim.objects.select_related("issuer", "site", "incident"), ref=ref)
    return render(request, "claims/claim_detail.html", {
        "claim": claim, "links": claim.links.select_related("other_claim__issuer", "site", "remains"),
        "verifications": claim.verifications.select_related("actor"), "history": history_of(claim)[:200],
        "status_form": StatusForm(initial={"to_status": "corroborated"}), "link_form": LinkForm(),
        "can_write": request.user.can(Cap.CLAIM_WRITE), "can_verify": request.user.can(Cap.CLAIM_VERIFY),
    })


def claim_form(request, ref=None):
    require(request.user, Cap.CLAIM_WRITE)
    claim = access.get(request.user, Claim, ref=ref) if ref else None
    if request.method == "POST":
        form = ClaimForm(request.POST, instance=claim, user=request.user)
        if form.is_valid():
            try:
                if claim is None:
                    claim = services.create_claim(request.user, form.payload())
                else:
                    data = form.payload()
                    data["issuer"] = services.issuer(request.user, data["issuer"]["name"], data["issuer"]["kind"])
                    claim = services.update_claim(request.user, claim, data)
                messages.success(request, _("%(obj)s saved.") % {"obj": claim.ref})
                return redirect(claim.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
    else:
        initial = {k: request.GET[k] for k in ("site",) if k in request.GET}
        if claim is not None:
            initial = {f: getattr(claim, f) for f in ClaimForm.fields_order}
            initial["source_evidence"] = claim.source_evidence.ref if claim.source_evidence else ""
            initial.update(issuer_name=claim.issuer.name, issuer_kind=claim.issuer.kind)
        form = ClaimForm(initial=initial, instance=claim, user=request.user)
    return render(request, "claims/form.html", {"form": form, "title": claim.ref if claim else _("New claim"),
                                                "back": claim.get_absolute_url() if claim else "/claims/"})


@require_POST
def claim_status(request, ref):
    require(request.user, Cap.CLAIM_VERIFY)  # the role first: a refused role learns nothing of the record
    claim = access.get(request.user, Claim, ref=ref)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.change_status(request.user, claim, data.pop("to_status"), data.pop("rationale"), **data)
            messages.success(request, _("Status changed."))
        except InvalidInput as e:
            messages.error(request, e.message)
    else:
        messages.error(request, _("Give the new status and the rationale."))
    return redirect(claim.get_absolute_url())


@require_POST
def claim_withdraw(request, ref, restore=False):
    require(request.user, Cap.CLAIM_WRITE)
    claim = access.get(request.user, Claim, ref=ref)
    reason = request.POST.get("reason", "")
    try:
        (services.restore if restore else services.withdraw)(request.user, claim, reason)
        messages.success(request, _("%(obj)s restored.") % {"obj": claim.ref} if restore
                         else _("%(obj)s withdrawn.") % {"obj": claim.ref})
    except InvalidInput as e:
        messages.error(request, e.message)
    return redirect(claim.get_absolute_url())


@require_POST
def claim_link(request, ref):
    require(request.user, Cap.CLAIM_WRITE)  # the role first: a refused role learns nothing of the record
    claim = access.get(request.user, Claim, ref=ref)
    form = LinkForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_link(request.user, claim, d["relation"], other_claim=d["other_claim"], site=d["site"],
                              remains=d["remains"], evidence=d["evidence"], url=d["url"], note=d["note"])
            messages.success(request, _("Link added."))
        except InvalidInput as e:
            messages.error(request, e.message)
    else:
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    return redirect(claim.get_absolute_url())


def site_claims(request, ref):
    """Claimed, recorded and verified figures for one site, on one page."""
    site = access.get(request.user, Site, ref=ref)
    groups, other = site_reconciliation(site)
    return render(request, "claims/reconciliation.html", {
        "subject": site, "groups": groups, "other": other, "stats": site_stats(site),
        "can_write": request.user.can(Cap.CLAIM_WRITE)})


def incident_list(request):
    return _list(request, INCIDENTS, "claims/incident_list.html", {"can_write": request.user.can(Cap.CLAIM_WRITE)})


def incident_export(request):
    return _export(request, INCIDENTS, "incidents")


def incident_detail(request, ref):
    inc = access.get(request.user, Incident, ref=ref)
    # Recorded figures for an incident: the remains linked to it (graves are not incident-scoped).
    groups, other = reconcile(access.scope(Claim.objects.filter(incident=inc), request.user),
                              remains_stats(access.scope(inc.remains.all(), request.user)))
    return render(request, "claims/incident_detail.html", {
        "incident": inc, "groups": groups, "other": other, "history": history_of(inc)[:200],
        "sites": inc.sites.all(), "remains": inc.remains.all()[:200]})


def incident_form(request, ref=None):
    require(request.user, Cap.CLAIM_WRITE)
    inc = access.get(request.user, Incident, ref=ref) if ref else None
    if request.method == "POST":
        form = IncidentForm(request.POST, instance=inc, user=request.user)
        if form.is_valid():
            try:
                inc = (services.update_incident(request.user, inc, form.payload()) if inc
                       else services.create_incident(request.user, form.payload()))
                return redirect(inc.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
    else:
        form = IncidentForm(initial={f: getattr(inc, f) for f in IncidentForm.fields_order} if inc else None, instance=inc, user=request.user)
    return render(request, "claims/form.html", {"form": form, "title": inc.ref if inc else _("New incident"),
                                                "back": "/incidents/"})


def incident_import(request):
    require(request.user, Cap.CLAIM_WRITE)
    report = rejected = None
    if request.method == "POST":
        form = AcledForm(request.POST, request.FILES)
        if form.is_valid():
            f = form.cleaned_data["file"]
            try:
                report = importing.import_acled(request.user, f, f.name, dry_run=form.cleaned_data["dry_run"], via="web-import")
            except ImportRejected as e:
                rejected = e
            except InvalidInput as e:
                form.add_error("file", e.message)
    else:
        form = AcledForm()
    return render(request, "claims/incident_import.html", {"form": form, "report": report, "rejected": rejected},
                  status=400 if rejected else 200)


def witness_list(request):
    return render(request, "claims/witness_list.html", {
        "witnesses": access.scope(Witness.objects.filter(withdrawn_at__isnull=True), request.user), "can_write": request.user.can(Cap.WITNESS_WRITE)})


def witness_detail(request, code, identity: dict | None = None):
    w = access.get(request.user, Witness, code=code)
    return render(request, "claims/witness_detail.html", {
        "witness": w, "statements": w.statements.all(), "identity": identity,
        "can_identity": request.user.can(Cap.WITNESS_IDENTITY), "can_write": request.user.can(Cap.WITNESS_WRITE),
        "statement_form": StatementForm(), "history": history_of(w)[:200]})


@require_POST
def witness_identity(request, code):
    require(request.user, Cap.WITNESS_IDENTITY)  # the role first: a refused role learns nothing of the record
    w = access.get(request.user, Witness, code=code)
    # Rendered in the answer to this POST only: never stored in the session, a URL or a cache.
    response = witness_detail(request, code, identity=services.reveal_identity(request.user, w))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def witness_statement(request, code):
    require(request.user, Cap.WITNESS_WRITE)  # the role first: a refused role learns nothing of the record
    w = access.get(request.user, Witness, code=code)
    form = StatementForm(request.POST)
    if form.is_valid():
        try:
            services.add_statement(request.user, w, **form.cleaned_data)
            messages.success(request, _("Statement recorded."))
        except InvalidInput as e:
            messages.error(request, e.message)
    else:
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    return redirect(w.get_absolute_url())


def witness_form(request):
    require(request.user, Cap.WITNESS_WRITE)
    if request.method == "POST":
        form = WitnessForm(request.POST, user=request.user)
        if form.is_valid():
            identity = {k: form.cleaned_data[k] for k in ("full_name", "contact") if form.cleaned_data[k]}
            try:
                w = services.create_witness(request.user, form.payload(), identity)
                return redirect(w.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
    else:
        form = WitnessForm(user=request.user)
    return render(request, "claims/form.html", {"form": form, "title": _("New witness"), "back": "/witnesses/"})
