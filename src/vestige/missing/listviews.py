"""Pages for reconciling other organisations' lists with the register (:mod:`vestige.missing.lists`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, ImportRejected, InvalidInput, NotFound
from vestige.linkage.names import name_key
from vestige.missing import lists
from vestige.missing.forms import DecisionForm, ListImportForm
from vestige.missing.models import EntryStatus, ListStatus, MissingPerson, PersonList
from vestige.tables import table_response

# The register's fields beside the list's, for the side-by-side review.
SIDE_BY_SIDE = (
    ("family_name", "family_name", _("surname")), ("given_name", "given_name", _("given name")),
    ("patronymic", "patronymic", _("patronymic")), ("sex", "sex", _("sex")),
    ("birth_date", "birth_date", _("birth date")), ("birth_place", None, _("birth place")),
    ("disappeared_on", "last_seen_on", _("disappeared on")),
    ("disappearance_place", "last_seen_place", _("disappearance place")), ("unit", None, _("unit")),
    ("source_id", None, _("identifier in the list")),
)
FIELD_LABELS = {"surname_key": _("surname"), "given_key": _("given name"), "patronymic_key": _("patronymic"),
                "sex": _("sex"), "birth_date": _("birth date"), "birth_place_key": _("birth place"),
                "disappeared_on": _("disappeared on"), "disappearance_place_key": _("disappearance place"),
                "unit_key": _("unit")}


def list_index(request):
    require(request.user, Cap.MISSING_READ)
    can_write = request.user.can(Cap.MISSING_WRITE)
    form = ListImportForm(user=request.user) if can_write else None
    report = None
    if request.method == "POST":
        require(request.user, Cap.MISSING_WRITE)
        form = ListImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            upload = d["file"]
            try:
                if upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
                    raise InvalidInput(_("The file is larger than %(n)d MB.") % {"n": settings.MAX_UPLOAD_MB},
                                       field="file")
                info = lists.ListInfo(d["name"], d["source"], d.get("received_on"), d.get("case") or None,
                                      d["threshold"])
                result = lists.import_list(request.user, upload, upload.name, info,
                                           dry_run=bool(request.POST.get("dry_run")))
            except ImportRejected as exc:
                report = exc.rows
                form.add_error("file", exc.message)
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if result.dry_run:
                    report = result.errors
                    messages.info(request, _("%(n)d rows checked; nothing stored.") % {"n": result.rows})
                else:
                    messages.success(request, _("%(ref)s: %(n)d rows imported.") % {
                        "ref": result.person_list.ref, "n": result.rows})
                    return redirect(result.person_list.get_absolute_url())
    qs = access.scope(PersonList.objects.all(), request.user).select_related("imported_by")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    refused = request.method == "POST" and bool((form is not None and form.errors) or report)
    return render(request, "missing/list_index.html", {"page": page, "form": form, "report": report, "query": ""},
                  status=400 if refused else 200)  # a refused form: 400, with what was typed


def _entries(request, plist: PersonList):
    qs = plist.entries.select_related("proposed", "person")
    status = request.GET.get("status", "")
    if status in EntryStatus.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()
    for part in name_key(q).split():  # any script, any common spelling (as the register's search)
        qs = qs.filter(name_key__contains=part)
    try:
        min_weight = float(request.GET.get("min_weight", ""))
    except ValueError:
        min_weight = None
    if min_weight is not None:
        qs = qs.filter(match_weight__gte=min_weight)
    return qs, status, q, min_weight


def list_detail(request, ref):
    require(request.user, Cap.MISSING_READ)
    plist = access.get(request.user, PersonList.objects.select_related("imported_by", "linked_by"), ref=ref)
    qs, status, q, min_weight = _entries(request, plist)
    order = "-match_weight" if request.GET.get("order") == "weight" else "line"
    page = Paginator(qs.order_by(order, "line"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(plist.entries.values_list("status").annotate(n=Count("pk")))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "missing/list_detail.html", {
        "plist": plist, "page": page, "status": status, "q": q, "min_weight": "" if min_weight is None else min_weight,
        "statuses": EntryStatus.choices, "counts": [(v, label, counts.get(v, 0)) for v, label in EntryStatus.choices],
        "query": params.urlencode(), "can_write": request.user.can(Cap.MISSING_WRITE),
        "busy": plist.status in (ListStatus.QUEUED, ListStatus.LINKING),
    })


def list_export(request, ref):
    require(request.user, Cap.MISSING_READ)
    plist = access.get(request.user, PersonList, ref=ref)
    qs, *_rest = _entries(request, plist)
    return table_response(request, lists.entry_rows(qs), f"{plist.ref}-reconciliation")


@require_POST
def list_link(request, ref):
    require(request.user, Cap.MISSING_WRITE)
    plist = access.get(request.user, PersonList, ref=ref)
    try:
        threshold = float(request.POST["threshold"]) if request.POST.get("threshold") else None
        lists.start_linking(request.user, plist, threshold=threshold)
    except ValueError:
        messages.error(request, _("The threshold is a match probability in [0.5, 1)."))
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Linking started: the proposals appear here when it is done."))
    return redirect(plist.get_absolute_url())


def entry_review(request, ref, line):
    require(request.user, Cap.MISSING_READ)
    plist = access.get(request.user, PersonList, ref=ref)
    entry = plist.entries.select_related("proposed", "person", "decided_by").filter(line=line).first()
    if entry is None:
        raise NotFound(_("No line %(l)s in %(ref)s.") % {"l": line, "ref": plist.ref})
    if request.method == "POST":
        require(request.user, Cap.MISSING_WRITE)
        form = DecisionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                other = access.get(request.user, MissingPerson, ref=d["person"].strip()) if d["person"].strip() else None
                lists.decide(request.user, entry, d["decision"], person=other, note=d["note"])
            except (Conflict, InvalidInput, NotFound) as exc:
                messages.error(request, exc.message)
                return redirect("missing:list-entry", ref=plist.ref, line=entry.line)
            messages.success(request, _("Line %(l)d: decided.") % {"l": entry.line})
            nxt = plist.entries.filter(status=EntryStatus.PROPOSED, line__gt=entry.line).order_by("line").first()
            if nxt is not None and d["decision"] != "reopen":
                return redirect("missing:list-entry", ref=plist.ref, line=nxt.line)
            return redirect("missing:list-entry", ref=plist.ref, line=entry.line)
    shown = entry.person or entry.proposed
    if shown is not None and not access.visible(request.user, shown):
        shown = None
    rows = []
    for list_field, register_field, label in SIDE_BY_SIDE:
        left = entry.fields.get(list_field, "")
        right = ""
        if shown is not None and register_field:
            value = getattr(shown, register_field)
            right = value.isoformat() if hasattr(value, "isoformat") else ("" if value in (None, "unknown") else value)
        rows.append({"label": label, "list": left, "register": right,
                     "differ": bool(left and right and name_key(str(left)) != name_key(str(right))
                                    and str(left) != str(right))})
    explanation = entry.explanation or {}
    comparisons = [{**c, "label": FIELD_LABELS.get(c["field"], c["label"])} for c in explanation.get("comparisons", [])]
    nxt = plist.entries.filter(status=EntryStatus.PROPOSED, line__gt=entry.line).order_by("line").first()
    return render(request, "missing/list_entry.html", {
        "plist": plist, "entry": entry, "shown": shown, "rows": rows, "comparisons": comparisons,
        "prior": explanation.get("prior"), "runner_up": explanation.get("runner_up"),
        "trained": explanation.get("trained"), "extra": entry.fields.get("extra", {}),
        "can_write": request.user.can(Cap.MISSING_WRITE), "next": nxt,
    })

