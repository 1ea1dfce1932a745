"""The audit trail: every recorded change and failed login, for auditors and administrators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige.accounts.models import LoginFailure
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import InvalidInput
from vestige.history.models import Action, ChangeRecord
from vestige.tables import table_response

SINCE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")


def _since(request):
    """The ``since`` filter as a date, or ``None`` when absent; a value that is not a date (in ISO
    or the day-first forms people type, ``01.12.2026``) raises a ``InvalidInput`` naming it."""
    import datetime as dt

    raw = request.GET.get("since", "").strip()
    if not raw:
        return None
    for fmt in SINCE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(_("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01.")
                       % {"value": raw[:40]}, field="since")


def _changes(request, since=None):
    qs = ChangeRecord.objects.select_related("actor", "content_type")
    if actor := request.GET.get("actor", "").strip():
        qs = qs.filter(actor__username=actor)
    if action := request.GET.get("action", "").strip():
        qs = qs.filter(action=action)
    if kind := request.GET.get("kind", "").strip():
        qs = qs.filter(content_type__model=kind)
    if since is not None:
        qs = qs.filter(at__date__gte=since)
    return qs


def audit(request):
    require(request.user, Cap.AUDIT_READ)
    errors, since = {}, None
    try:
        since = _since(request)
    except InvalidInput as exc:
        errors = exc.errors
    page = Paginator(_changes(request, since), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    kinds = ContentType.objects.filter(changerecord__isnull=False).distinct()
    # Each record type by its name in the reader's language (the filter's value stays the model's code).
    kinds = sorted({(ct.model, str(ct.model_class()._meta.verbose_name) if ct.model_class() else ct.model)
                    for ct in kinds}, key=lambda kv: kv[1])
    return render(request, "history/audit.html", {
        "page": page, "query": params.urlencode(), "values": request.GET, "actions": Action.choices,
        "kinds": kinds, "failures": LoginFailure.objects.all()[:50], "errors": errors}, status=400 if errors else 200)


def audit_export(request):
    """The audit trail as CSV (its ``changes`` column JSON), or with ``?format=json`` as JSON
    lines, one change per line; both formula-safe and machine-readable."""
    import json

    require(request.user, Cap.AUDIT_READ)
    as_json = request.GET.get("format") == "json"
    since = _since(request)  # a bad date is a 400 with the envelope, before anything streams

    def records():
        for c in _changes(request, since).iterator(chunk_size=2000):
            yield {"at": c.at.isoformat(), "actor": c.actor.username, "action": c.action,
                   "record_type": c.content_type.model, "record_id": c.object_id, "via": c.via, "reason": c.reason,
                   "changes": c.changes}

    stamp = f"{timezone.now():%Y%m%d-%H%M%S}"
    if as_json:
        lines = (json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) + "\n" for r in records())
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.jsonl"'
        return response

    def rows():
        yield ["at", "actor", "action", "record_type", "record_id", "via", "reason", "changes"]
        for r in records():
            yield [r["at"], r["actor"], r["action"], r["record_type"], r["record_id"], r["via"], r["reason"],
                   json.dumps(r["changes"], ensure_ascii=False, sort_keys=True, default=str)]

    return table_response(request, rows(), f"audit-{stamp}")
