"""HTML views of the registry. They parse requests and render; every write calls a service."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from vestige import access, hooks
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import ImportRejected, InvalidInput, PermissionDenied
from vestige.history.services import history_of
from vestige.importers import KINDS, kinds_for, run_import, stage, template_csv, unstage
from vestige.records import cached_count, page_rows
from vestige.registry import geopackage, gis, services
from vestige.registry.forms import FORMS, ImportForm, WithdrawForm, initial_for
from vestige.registry.listing import SPECS, ListSpec
from vestige.registry.models import Exhumation, Grave, Remains, Site
from vestige.registry.stats import site_stats
from vestige.tables import table_response


@dataclass(frozen=True)
class Resource:
    model: type[models.Model]
    slug: str  # URL segment and name prefix: site, grave, ...
    plural: str
    title: str
    lookup: str  # "ref" or "pk"
    list_columns: tuple[str, ...]  # CSV headers shown in the HTML table

    @property
    def spec(self) -> ListSpec:
        return SPECS[self.model]

    @property
    def cap(self) -> Cap:
        return services.WRITE_CAP[self.model]

    def get(self, key, user):
        qs = self.model.objects.all()
        if self.model in (Grave, Remains, Exhumation):
            qs = qs.select_related("site")
        return get_object_or_404(access.scope(qs, user), **{self.lookup: key})

    def key(self, obj):
        return getattr(obj, self.lookup)


RESOURCES = {
    Site: Resource(Site, "site", "sites", _("Sites"), "ref",
                   ("ref", "name", "kind", "locality", "discovered_on")),
    Grave: Resource(Grave, "grave", "graves", _("Graves"), "pk",
                    ("site", "label", "marker_type", "expected_occupants", "status")),
    Exhumation: Resource(Exhumation, "exhumation", "exhumations", _("Exhumations"), "pk",
                         ("reference", "site", "team", "started_on", "ended_on")),
    Remains: Resource(Remains, "remains", "remains", _("Remains"), "pk",
                      ("body_number", "site", "grave", "sex", "age_min", "age_max", "category", "status")),
}


class CountedPaginator(Paginator):
    """Django's paginator with the total from :func:`vestige.records.cached_count`."""

    @cached_property
    def count(self) -> int:
        return cached_count(self.object_list)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)


def _displays(model, columns) -> list:
    """Per column, the display of each choice (translated once per page, not once per cell), or
    None for a column without choices."""
    out = []
    for c in columns:
        try:
            f = model._meta.get_field(c.header)
        except FieldDoesNotExist:
            f = None
        out.append({k: str(v) for k, v in f.flatchoices} if f is not None and f.choices else None)
    return out


def _shown_fields(qs, spec: ListSpec, columns):
    """The list reads the columns it shows (and what every row needs: key, withdrawal), not the
    notes and descriptions of fifty records; only where every column is a field of the record."""
    names = {f.name: f.attname for f in spec.model._meta.concrete_fields}
    if not all(c.header in names for c in columns):
        return qs
    own = {"id", "withdrawn_at", *(names[c.header] for c in columns)}
    related = [f"{rel}__{name}" for rel, fields in spec.related_fields.items() for name in fields
               if rel in {c.header for c in columns}]
    keep = [rel for rel in spec.related_fields if rel in {c.header for c in columns}]
    return qs.select_related(None).select_related(*keep).only(*own, *related) if spec.related_fields else qs.only(*own)


def _rows_html(rows) -> str:
    """The table's rows, formatted here rather than by the template engine (50 rows × 8 cells of
    template nodes were a third of the page's time): each cell localized and escaped as
    ``{{ cell|default_if_none:"—" }}`` would; the first links to the record."""
    from django.utils.formats import localize
    from django.utils.html import format_html, format_html_join

    withdrawn = format_html(' <span class="tag withdrawn">{}</span>', gettext("withdrawn"))

    def cell(v):
        return "—" if v is None else localize(v)

    return format_html_join("\n", "<tr>{}</tr>", (
        (format_html("<td><a href=\"{}\">{}</a>{}</td>{}", obj.get_absolute_url(), cell(cells[0]) if cells else "",
                     withdrawn if obj.withdrawn else "",
                     format_html_join("", "<td>{}</td>", ((cell(c),) for c in cells[1:]))),)
        for obj, cells in rows))


def _display(obj, column, choices=None):
    if choices is not None:
        value = column.get(obj)
        return choices.get(value, value)
    shown = getattr(obj, f"get_{column.header}_display", None)
    return shown() if shown else column.get(obj)


def _sort_links(request, res: Resource, current: str):
    links = {}
    for key in res.spec.sorts:
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = f"-{key}" if current == key else key
        links[key] = params.urlencode()
    return links


def list_view(request, model):
    res = RESOURCES[model]
    spec = res.spec
    try:
        qs = spec.queryset(request.GET, user=request.user)
        error = None
    except InvalidInput as e:
        qs, error = spec.model.objects.none(), e.message
    columns = [c for c in spec.columns if c.header in res.list_columns]
    paginator = CountedPaginator(_shown_fields(qs, spec, columns), settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    displays = _displays(spec.model, columns)
    rows = [(obj, [_display(obj, c, d) for c, d in zip(columns, displays, strict=True)]) for obj in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "registry/list.html", {
        "res": res, "spec": spec, "page": page, "rows": rows, "rows_html": _rows_html(rows), "columns": columns,
        "error": error, "query": params.urlencode(), "sort": request.GET.get("sort") or spec.default_sort,
        "sort_links": _sort_links(request, res, request.GET.get("sort") or spec.default_sort),
        "can_write": request.user.can(res.cap), "filters": spec.filters, "values": request.GET,
    })


def export_view(request, model):
    spec = RESOURCES[model].spec
    qs = spec.queryset(request.GET, user=request.user)  # InvalidInput → 400 page via the error middleware
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return table_response(request, spec.csv_rows(qs), f"{RESOURCES[model].plural}-{stamp}")


def detail_view(request, model, key):
    res = RESOURCES[model]
    obj = res.get(key, request.user)
    context = {"res": res, "obj": obj, "history": history_of(obj)[:200],
               "can_write": request.user.can(res.cap), "withdraw_form": WithdrawForm()}
    if model is Site:
        context["stats"] = site_stats(obj)
        context["timeline"] = hooks.single("registry.site_timeline")(obj, request.user)
        context["exhumations"] = obj.exhumations.filter(withdrawn_at__isnull=True)
        context["graves"] = Paginator(
            obj.graves.filter(withdrawn_at__isnull=True).annotate(
                occupants=Count("remains", filter=Q(remains__withdrawn_at__isnull=True))
            ).order_by("label_number", "label"), 100,
        ).get_page(request.GET.get("page"))
    elif model is Grave:
        context["remains"] = obj.remains.filter(withdrawn_at__isnull=True)
    elif model is Exhumation:
        context["remains_count"] = obj.remains.filter(withdrawn_at__isnull=True).count()
    return render(request, f"registry/{res.slug}_detail.html", context)


def form_view(request, model, key=None):
    res = RESOURCES[model]
    form_class = FORMS[model]
    obj = res.get(key, request.user) if key is not None else None
    require(request.user, res.cap)
    if request.method == "POST":
        form = form_class(request.POST, instance=obj, user=request.user)
        if form.is_valid():
            try:
                if obj is None:
                    obj = services.create(request.user, model, form.payload())
                    messages.success(request, gettext("%(obj)s created.") % {"obj": obj})
                else:
                    obj = services.update(request.user, obj, form.payload())
                    messages.success(request, gettext("%(obj)s saved.") % {"obj": obj})
                return redirect(obj.get_absolute_url())
            except InvalidInput as e:
                form.add_service_errors(e.errors or {None: [e.message]})
        else:
            # The form could not parse some fields; the rules still run on the others, so that
            # every mistake is shown at once rather than one per submission.
            parsed = {k: v for k, v in form.cleaned_data.items() if k in services.FIELDS[model]}
            form.add_service_errors(services.problems(request.user, model, parsed, obj, skip=tuple(form.errors)))
    else:
        initial = initial_for(obj) if obj is not None else {
            k: v for k, v in request.GET.items() if k in services.FIELDS[model]
        }
        form = form_class(initial=initial, instance=obj, user=request.user)
    # a refused form answers 400 (with every field's error and what was typed), never 200 or 500
    return render(request, "registry/form.html", {"res": res, "form": form, "obj": obj},
                  status=400 if request.method == "POST" and form.errors else 200)


@require_POST
def withdraw_view(request, model, key, restore=False):
    res = RESOURCES[model]
    require(request.user, res.cap)
    obj = res.get(key, request.user)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why."))
        return redirect(obj.get_absolute_url())
    action = services.restore if restore else services.withdraw
    action(request.user, obj, form.cleaned_data["reason"])
    messages.success(request, (gettext("%(obj)s restored.") if restore else gettext("%(obj)s withdrawn.")) % {"obj": obj})
    return redirect(obj.get_absolute_url())


def import_view(request):
    """Every kind of import the user may do; a dry run keeps the file so it can be imported next."""

    kinds = kinds_for(request.user)
    if not kinds:
        raise PermissionDenied(gettext("Your role imports nothing."))
    report = rejected = None
    staged = ""
    if request.method == "POST":
        if request.POST.get("kind") in KINDS:
            require(request.user, KINDS[request.POST["kind"]].cap)
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            d = form.cleaned_data
            upload = d["file"]
            try:
                if upload is not None and upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
                    raise InvalidInput(gettext("The file is larger than %(n)d MB.") % {"n": settings.MAX_UPLOAD_MB},
                                       field="file")
                name, data = (upload.name, upload.read()) if upload is not None else unstage(d["staged"], keep=d["dry_run"])
                import io
                options = {k: d.get(k) for k in ("lab", "kit", "material", "dropout", "single", "into", "match")}
                report = run_import(request.user, d["kind"], io.BytesIO(data), name, dry_run=d["dry_run"],
                                    options=options, via="web-import")
                if report.dry_run and report.ok:
                    staged = d["staged"] or stage(name, data)
                elif not report.dry_run:
                    if d["staged"]:
                        unstage(d["staged"], keep=False)
                    messages.success(request, gettext("Imported %(n)d records from %(f)s.") % {"n": report.created, "f": name})
            except ImportRejected as e:
                rejected = e
            except InvalidInput as e:
                form.add_error("file" if e.field in (None, "file", "staged") else None, e.message)
    else:
        form = ImportForm(kinds=kinds, initial={"kind": request.GET.get("kind") or kinds[0]})
    status = 400 if rejected is not None else 200
    return render(request, "registry/import.html", {"form": form, "report": report, "rejected": rejected,
                                                    "staged": staged, "kinds": [(k, KINDS[k]) for k in kinds]},
                  status=status)


def import_template(request, kind):
    """An empty file with the kind's columns."""
    from django.http import HttpResponse

    if kind not in KINDS:
        from django.http import Http404
        raise Http404(kind)
    require(request.user, KINDS[kind].cap)
    response = HttpResponse(template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


def site_report(request, key):
    """The site report as PDF, in the reader's language: counts, a plan of the graves, the claims
    against the records, the graves."""
    from django.http import HttpResponse

    require(request.user, Cap.REGISTRY_READ)
    site = RESOURCES[Site].get(key, request.user)
    response = HttpResponse(hooks.single("registry.site_pdf")(site), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="site-{site.ref}.pdf"'
    return response


def gis_export(request, fmt: str):
    """Every site the user may see and its graves with a position (``?site=REF``: one site), as
    GeoJSON (RFC 7946), KML 2.2 or GeoPackage, for QGIS, Google Earth and the like."""
    from django.http import Http404, HttpResponse

    if fmt not in ("geojson", "kml", "gpkg"):
        raise Http404
    feats = gis.features(request.user, request.GET.get("site", ""))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "kml":
        response = HttpResponse(gis.to_kml(feats), content_type="application/vnd.google-earth.kml+xml")
    elif fmt == "gpkg":
        response = HttpResponse(geopackage.to_geopackage(feats), content_type="application/geopackage+sqlite3")
    else:
        response = HttpResponse(gis.to_geojson(feats), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="sites-{stamp}.{fmt}"'
    return response
