"""Evidence pages. Viewing an item and downloading it are custody events."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vestige import access, tasks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput
from vestige.evidence import blobstore, custody, jobs, services
from vestige.evidence.display import custody_rows, metadata_rows
from vestige.evidence.models import EventKind, EvidenceItem, JobKind, TreeHeadRecord


def item_list(request):
    require(request.user, Cap.EVIDENCE_READ)
    from django.db.models import Exists, OuterRef

    thumbs = EvidenceItem.objects.filter(derived_from=OuterRef("pk"), derivation="thumbnail")
    qs = access.scope(EvidenceItem.objects.exclude(derivation="thumbnail"), request.user).select_related(
        "blob").prefetch_related("links__site", "links__grave__site", "links__remains").annotate(has_thumb=Exists(thumbs))
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(original_name__icontains=q) | qs.filter(ref__icontains=q) | qs.filter(blob__sha256__icontains=q)
    qs, errors = _register_filters(qs, request.GET)
    page = Paginator(qs.order_by("-created_at", "-id"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "evidence/list.html", {
        "page": page, "values": request.GET, "query": params.urlencode(), "errors": errors,
        "table": request.GET.get("view") == "table", "types": TYPES,
        "can_write": request.user.can(Cap.EVIDENCE_WRITE)}, status=400 if errors else 200)


TYPES = [("image", gettext_lazy("images")), ("video", gettext_lazy("video")), ("audio", gettext_lazy("audio")),
         ("application/pdf", gettext_lazy("PDF")), ("text", gettext_lazy("text")), ("other", gettext_lazy("other"))]


def _register_filters(qs, get) -> tuple:
    """The register's filters: type, received from/to (dates), site, grave (SITE#LABEL), remains
    (body number). A bad date is said and that filter left out."""
    import datetime as dt

    errors = {}
    if kind := get.get("type", "").strip():
        if kind == "other":
            for prefix in ("image/", "video/", "audio/", "application/pdf", "text/"):
                qs = qs.exclude(media_type__startswith=prefix)
        elif kind in dict(TYPES):
            qs = qs.filter(media_type__startswith=kind if "/" in kind else kind + "/")
    for name, lookup in (("from", "created_at__date__gte"), ("to", "created_at__date__lte")):
        if raw := get.get(name, "").strip():
            try:
                qs = qs.filter(**{lookup: dt.date.fromisoformat(raw)})
            except ValueError:
                errors[name] = _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01.") % {"value": raw[:40]}
    if site := get.get("site", "").strip():
        qs = qs.filter(links__site__ref=site)
    if grave := get.get("grave", "").strip():
        site_ref, _sep, label = grave.partition("#")
        qs = qs.filter(links__grave__site__ref=site_ref, links__grave__label=label)
    if body := get.get("remains", "").strip():
        qs = qs.filter(links__remains__body_number=body)
    return qs.distinct(), errors


def item_detail(request, ref):
    item = services.get(ref, request.user)
    services.record_view(request.user, item)
    return render(request, "evidence/detail.html", {
        "item": item, "provenance": item.provenance.select_related("added_by"), "links": item.links.all(),
        "events": custody_rows(item.events.order_by("index")), "metadata": metadata_rows(item.metadata),
        "derivatives": item.derivatives.filter(derivation="thumbnail").exists(),
        "derived": item.derivatives.exclude(derivation="thumbnail").select_related("blob").order_by("ref"),
        "near": services.near_duplicates(item, actor=request.user), "head": TreeHeadRecord.objects.first(),
        "near_videos": services.near_duplicate_videos(item, actor=request.user),
        "fingerprint": custody.fingerprint(), "can_export": request.user.can(Cap.EVIDENCE_EXPORT),
        "can_write": request.user.can(Cap.EVIDENCE_WRITE), "kind": item.media_type.split("/")[0],
    })


def item_thumbnail(request, ref):
    """The item's thumbnail (a derived item); not a custody event of the original."""
    require(request.user, Cap.EVIDENCE_READ)
    item = services.get(ref, request.user)
    thumb = item.derivatives.filter(derivation="thumbnail").select_related("blob").first()
    if thumb is None:
        return HttpResponse(status=404)
    return FileResponse(blobstore.local(thumb.blob.sha256).open("rb"), content_type="image/jpeg")


def item_download(request, ref):
    item = services.get(ref, request.user)
    services.record_view(request.user, item, EventKind.DOWNLOADED)
    path = blobstore.local(item.blob.sha256)
    return FileResponse(path.open("rb"), as_attachment=True, filename=item.original_name.split("/")[-1] or item.ref,
                        content_type=item.media_type)


def _outcome_text(r, mismatch: bool) -> str:
    """What became of one uploaded file, in the words the uploader needs."""
    if mismatch:
        return _("%(ref)s — the hash given by the source does not match the file; recorded as a failed step, "
                 "check the source.") % {"ref": r.item.ref}
    if not r.created:
        return _("already held as %(ref)s; this source was added to its provenance.") % {"ref": r.item.ref}
    if r.failed_steps:
        return _("received as %(ref)s; some steps failed: %(steps)s.") % {"ref": r.item.ref,
                                                                         "steps": ", ".join(r.failed_steps)}
    return _("received as %(ref)s.") % {"ref": r.item.ref}


def upload(request):
    """Files streamed to disk by Django's upload handlers (large files never sit in memory)."""
    require(request.user, Cap.EVIDENCE_WRITE)
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, _("Choose at least one file."))
            return redirect("evidence:upload")
        provenance = {k: request.POST.get(k, "").strip() for k in ("source", "source_url", "collected_by", "method",
                                                                    "source_hash")}
        try:
            provenance["acquired_at"] = services.acquired(request.POST.get("acquired_at", "").strip())
            links = {k: request.POST.get(k, "").strip() for k in ("site", "grave", "remains")}
            case = request.POST.get("case", "").strip() or None
            results = []
            for f in files:
                if not services.size_ok(f.size):
                    results.append({"name": f.name, "error": _("larger than the limit"), "outcome": "error"})
                    continue
                if f.size >= settings.VESTIGE_INTAKE_TASK_BYTES and hasattr(f, "temporary_file_path"):

                    job = jobs.start_ingest(request.user, f.temporary_file_path(), f.name, provenance=provenance,
                                            links=links, case=case, graphic=request.POST.get("not_graphic") != "on")
                    results.append({"name": f.name, "job": job.pk, "url": job.get_absolute_url(), "outcome": "queued",
                                    "message": _("large: it is being received in the background (job #%(n)d).")
                                    % {"n": job.pk}})
                    continue
                r = services.ingest(request.user, f, f.name, provenance=provenance, links=links, case=case,
                                    graphic=request.POST.get("not_graphic") != "on")
                mismatch = r.source_hash_ok is False
                results.append({"name": f.name, "ref": r.item.ref, "url": r.item.get_absolute_url(),
                                "created": r.created, "failed": r.failed_steps,
                                "outcome": "mismatch" if mismatch else "new" if r.created else "held",
                                "message": _outcome_text(r, mismatch)})
            custody.sign_head()
        except InvalidInput as e:
            if request.headers.get("Accept") == "application/json":
                return JsonResponse({"error": e.as_dict()}, status=400)
            messages.error(request, e.message)
            return redirect("evidence:upload")
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"results": results})
        for r in results:
            if r.get("outcome") in ("new", "held", "queued"):
                messages.success(request, f"{r['name']}: {r['message']}")
            else:
                messages.error(request, f"{r['name']}: {r.get('message') or r['error']}")
        if len(results) == 1 and results[0].get("outcome") == "queued":
            return redirect(results[0]["url"])  # the job's page shows the intake's progress
        return redirect("evidence:list")
    return render(request, "evidence/upload.html", {"max_mb": settings.VESTIGE_MAX_EVIDENCE_BYTES // (1024 * 1024),
                                                    "cases": list(access.cases_for(request.user))})


# --- exports and verifications, in the background --------------------------------------------

def jobs_page(request):
    """Export a bag (a site's items, a selection, or all) and verify the vault from the pages."""

    require(request.user, Cap.EVIDENCE_READ)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            job = jobs.start(request.user, kind, site=request.POST.get("site", ""), items=request.POST.get("items", ""),
                             everything=request.POST.get("all") == "on")
        except InvalidInput as e:
            from django.utils.http import url_has_allowed_host_and_scheme

            messages.error(request, e.message)
            back = request.POST.get("next", "")
            safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
            return redirect(back if back and safe else "evidence:jobs")
        return redirect(job.get_absolute_url())
    return render(request, "evidence/jobs.html", {
        # a plain dict: on a QueryDict, {{ values.items }} is its items() method when no "items" was given
        "jobs": jobs.visible(request.user)[:50], "kinds": JobKind,
        "values": {"site": request.GET.get("site", ""), "items": request.GET.get("items", "")},
        "can_export": request.user.can(Cap.EVIDENCE_EXPORT), "fingerprint": custody.fingerprint()})


def capture_page(request):
    """Capture web pages: the addresses (one per line) and the site to link them to."""

    require(request.user, Cap.EVIDENCE_WRITE)
    errors, values = {}, request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            job = jobs.start(request.user, JobKind.CAPTURE, urls=request.POST.get("urls", "").split(),
                             site=request.POST.get("site", ""))
            return redirect(job.get_absolute_url())
        except InvalidInput as e:
            errors[e.field or "urls"] = e.message
    recent = [j for j in jobs.visible(request.user).filter(kind=JobKind.CAPTURE)[:20]]
    return render(request, "evidence/capture.html", {"errors": errors, "values": values, "jobs": recent},
                  status=400 if errors else 200)


def job_detail(request, pk):

    job = jobs.get(request.user, pk)
    template = "evidence/_job.html" if request.headers.get("HX-Request") else "evidence/job.html"
    waited = tasks.unclaimed_for(job.task_id) if job.status == "queued" else None
    return render(request, template, {"job": job, "no_worker": waited if (waited or 0) > tasks.NO_WORKER_S else None})


@require_POST
def job_retry(request, pk):

    try:
        job = jobs.retry(request.user, jobs.get(request.user, pk))
    except InvalidInput as e:
        messages.error(request, e.message)
        return redirect("evidence:job-detail", pk)
    return redirect(job.get_absolute_url())


def job_bag(request, pk):

    job = jobs.get(request.user, pk)
    path = jobs.bag_file(request.user, job)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip")


PLAYABLE = ("image/", "video/", "audio/")


def item_view(request, ref):
    """The original, inline, for the full-size viewer and the players (only images, video and
    audio); sending it is recorded like a download."""
    item = services.get(ref, request.user)
    if not item.media_type.startswith(PLAYABLE):
        return HttpResponse(status=404)
    services.record_view(request.user, item, EventKind.DOWNLOADED, {"shown": "inline"})
    response = FileResponse(blobstore.local(item.blob.sha256).open("rb"), content_type=item.media_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


def item_links(request, ref, link_id=None):
    """Add links to an item after its upload, or remove one made in error (with the reason)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    require(request.user, Cap.EVIDENCE_WRITE)
    item = services.get(ref, request.user)
    try:
        if link_id is None:
            made = services.add_links(request.user, item, {k: request.POST.get(k, "").strip()
                                                           for k in ("site", "grave", "remains")})
            messages.success(request, _("%(n)d link(s) added.") % {"n": len(made)})
        else:
            services.unlink(request.user, item, link_id, request.POST.get("reason", ""))
            messages.success(request, _("Link removed."))
    except InvalidInput as e:
        messages.error(request, e.message)
    return redirect(item.get_absolute_url())


def bulk(request):
    """What a team does to many items at once, from the register's table: link them all to a site,
    grave or remains; export them as one bag; verify them."""
    from django.utils.http import url_has_allowed_host_and_scheme


    if request.method != "POST":
        return HttpResponse(status=405)
    require(request.user, Cap.EVIDENCE_READ)
    refs = [r for r in request.POST.getlist("items") if r]
    action = request.POST.get("action", "")
    back = request.POST.get("next", "")
    back = back if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else "evidence:list"
    if not refs:
        messages.error(request, _("Select at least one item."))
        return redirect(back)
    if action in ("export", "verify"):
        try:
            job = jobs.start(request.user, action, items=refs)
        except InvalidInput as e:
            messages.error(request, e.message)
            return redirect(back)
        return redirect(job.get_absolute_url())
    if action != "link":
        messages.error(request, _("Choose what to do with the selected items."))
        return redirect(back)
    require(request.user, Cap.EVIDENCE_WRITE)
    targets = {k: request.POST.get(k, "").strip() for k in ("site", "grave", "remains")}
    items = list(access.scope(EvidenceItem.objects.filter(ref__in=refs), request.user))
    if len(items) != len(set(refs)):
        messages.error(request, _("No evidence item %(r)s.") % {
            "r": ", ".join(sorted(set(refs) - {i.ref for i in items}))})
        return redirect(back)
    from django.db import transaction
    try:
        with transaction.atomic():  # all or none: a bad target links nothing
            made = sum(len(services.add_links(request.user, item, targets)) for item in items)
    except InvalidInput as e:
        messages.error(request, e.message)
        return redirect(back)
    messages.success(request, _("%(n)d link(s) added to %(i)d item(s).") % {"n": made, "i": len(items)})
    return redirect(back)
