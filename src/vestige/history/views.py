"""The audit trail: every recorded change and failed login, for auditors and administrators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from vestige.accounts.models import LoginFailure
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.history.models import Action, ChangeRecord
from vestige.registry.listing import csv_lines


def _changes(request):
    qs = ChangeRecord.objects.select_related("actor", "content_type")
    if actor := request.GET.get("actor", "").strip():
        qs = qs.filter(actor__username=actor)
    if action := request.GET.get("action", "").strip():
        qs = qs.filter(action=action)
    if kind := request.GET.get("kind", "").strip():
        qs = qs.filter(content_type__model=kind)
    if since := request.GET.get("since", "").strip():
        qs = qs.filter(at__date__gte=since)
    return qs


def audit(request):
    require(request.user, Cap.AUDIT_READ)
    page = Paginator(_changes(request), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    kinds = ContentType.objects.filter(changerecord__isnull=False).distinct().values_list("model", flat=True)
    return render(request, "history/audit.html", {
        "page": page, "query": params.urlencode(), "values": request.GET, "actions": Action.choices,
        "kinds": sorted(set(kinds)), "failures": LoginFailure.objects.all()[:50]})


def audit_export(request):
    require(request.user, Cap.AUDIT_READ)

    def rows():
        yield ["at", "actor", "action", "record_type", "record_id", "via", "reason", "changes"]
        for c in _changes(request).iterator(chunk_size=2000):
            yield [c.at.isoformat(), c.actor.username, c.action, c.content_type.model, c.object_id, c.via,
                   c.reason, c.changes]

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    return response
