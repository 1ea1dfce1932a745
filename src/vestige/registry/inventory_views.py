"""The skeletal inventory page of a site (:mod:`vestige.registry.inventory`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, ImportRejected, InvalidInput, NotFound
from vestige.osteology.mni import PAIRED, UNPAIRED
from vestige.registry import inventory
from vestige.registry.models import AssociationBasis, ElementSide, Remains, Site
from vestige.tables import table_response


def _post(request, site: Site):
    action = request.POST.get("action")
    codes = request.POST.getlist("code")
    try:
        if action == "add":
            el = inventory.add_element(request.user, site, {k: request.POST.get(k, "") for k in inventory.COLUMNS})
            messages.success(request, _("%(c)s recorded.") % {"c": el.code})
        elif action == "import":
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput(_("Choose the inventory file."), field="file")
            if upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
                raise InvalidInput(_("The file is larger than %(n)d MB.") % {"n": settings.MAX_UPLOAD_MB},
                                   field="file")
            out = inventory.import_inventory(request.user, site, upload, upload.name,
                                             dry_run=bool(request.POST.get("dry_run")), via="web")
            if out["dry_run"]:
                return out["errors"] or None, _("Dry run: all %(n)d rows are good.") % {"n": out["rows"]}
            messages.success(request, _("%(n)d elements imported.") % {"n": out["created"]})
        elif action == "assemble":
            existing = request.POST.get("remains", "").strip()
            body = None
            if existing:
                body = access.scope(Remains.objects.filter(site=site, body_number=existing), request.user).first()
                if body is None:
                    raise NotFound(_("No body %(b)s at %(s)s.") % {"b": existing, "s": site.ref})
            body = inventory.assemble(request.user, site, codes, request.POST.get("basis", ""),
                                      body or request.POST.get("body_number", ""), note=request.POST.get("note", ""))
            messages.success(request, _("%(n)d bones assembled into %(b)s.") % {"n": len(codes), "b": body.body_number})
        elif action == "merge":
            bodies = {b.body_number: b for b in access.scope(Remains.objects.filter(
                site=site, body_number__in=[request.POST.get("source", ""), request.POST.get("target", "")]),
                request.user)}
            source, target = bodies.get(request.POST.get("source", "")), bodies.get(request.POST.get("target", ""))
            if source is None or target is None:
                raise NotFound(_("No such body at %(s)s.") % {"s": site.ref})
            inventory.merge_individuals(request.user, site, source, target, request.POST.get("basis") or "dna",
                                        note=request.POST.get("note", ""))
            messages.success(request, _("The bones of %(a)s joined %(b)s.") % {"a": source.body_number,
                                                                             "b": target.body_number})
        elif action == "split":
            done = inventory.split(request.user, site, codes, request.POST.get("reason", ""))
            messages.success(request, _("%(n)d bones taken apart.") % {"n": len(done)})
        else:
            raise InvalidInput(_("Unknown action."), field="action")
    except ImportRejected as exc:
        return exc.rows, exc.message
    except (InvalidInput, Conflict, NotFound) as exc:
        messages.error(request, exc.message)
    return None, None


def inventory_page(request, key):
    require(request.user, Cap.REGISTRY_READ)
    site = access.get(request.user, Site, ref=key)
    can_write = request.user.can(Cap.REMAINS_WRITE)
    report, said = None, None
    if request.method == "POST":
        require(request.user, Cap.REMAINS_WRITE)
        report, said = _post(request, site)
        if report is None and said is None:
            return redirect(request.get_full_path())
    qs = site.elements.select_related("remains", "grave")
    context = request.GET.get("context", "")
    if context:
        qs = qs.filter(context=context)
    state = request.GET.get("state", "")
    if state == "loose":
        qs = qs.filter(remains__isnull=True)
    elif state == "assembled":
        qs = qs.filter(remains__isnull=False)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    bodies = access.scope(Remains.objects.filter(site=site, elements__isnull=False).distinct(), request.user)
    return render(request, "registry/inventory.html", {
        "site": site, "counts": inventory.context_mni(site), "page": page, "query": params.urlencode(),
        "contexts": site.elements.order_by("context").values_list("context", flat=True).distinct(),
        "context": context, "state": state, "can_write": can_write, "report": report, "said": said,
        "bases": AssociationBasis.choices, "sides": ElementSide.choices,
        "known": sorted(PAIRED | UNPAIRED),
        "individuals": [(b, inventory.sampling_advice(b)) for b in bodies.order_by("body_number")[:200]],
        "associations": inventory.dna_associations(site) if request.user.can(Cap.IDENT_READ) else [],
    }, status=400 if report else 200)  # a refused inventory file: 400, every bad cell listed


def inventory_export(request, key):
    require(request.user, Cap.REGISTRY_READ)
    site = access.get(request.user, Site, ref=key)
    return table_response(request, inventory.inventory_rows(site), f"{site.ref}-inventory")
