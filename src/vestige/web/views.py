from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige.accounts import services as accounts
from vestige.errors import NotAuthenticated, RateLimited, VestigeError
from vestige.registry.models import Grave, Site
from vestige.reports.services import dashboard_stats


def login_view(request):
    error = None
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        try:
            user = accounts.login(request, username, password)
        except (NotAuthenticated, RateLimited) as e:
            error = e.message
            status = 429 if isinstance(e, RateLimited) else 200
        else:
            django_login(request, user)
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target or settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/login.html",
                  {"error": error, "next": request.GET.get("next", "")}, status=status)


def dashboard(request):
    overall, sites = dashboard_stats()
    breakdown = [
        (_("Women"), overall.b_women), (_("Men"), overall.b_men), (_("Children"), overall.b_children),
        (_("Servicemen"), overall.b_servicemen), (_("Sex undetermined"), overall.b_undetermined),
    ]
    from vestige.identification.services import stats as identification_stats

    return render(request, "web/dashboard.html", {
        "overall": overall, "sites": sites, "breakdown": breakdown, "ident": identification_stats(),
        "breakdown_max": max([v for _, v in breakdown] + [1]),
    })


def map_view(request):
    return render(request, "web/map.html", {"focus": request.GET.get("site", "")})


def map_data(request):
    """GeoJSON FeatureCollection: every site, plus the graves of ``?site=REF`` when given."""
    features = []
    for s in Site.objects.filter(withdrawn_at__isnull=True):
        features.append({"type": "Feature", "geometry": s.geometry, "properties": {
            "kind": "site", "ref": s.ref, "name": s.name, "site_kind": s.get_kind_display(),
            "url": s.get_absolute_url()}})
    ref = request.GET.get("site")
    if ref:
        graves = Grave.objects.filter(site__ref=ref, withdrawn_at__isnull=True, latitude__isnull=False)
        for g in graves.only("id", "label", "latitude", "longitude", "status", "marker_type"):
            features.append({"type": "Feature",
                             "geometry": {"type": "Point", "coordinates": [g.longitude, g.latitude]},
                             "properties": {"kind": "grave", "label": g.label, "status": g.status,
                                            "url": g.get_absolute_url()}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


def profile(request):
    new_token = request.session.pop("new_token", None)
    return render(request, "web/profile.html", {
        "tokens": request.user.api_tokens.all(), "new_token": new_token,
    })


@require_POST
def token_create(request):
    try:
        _row, token = accounts.create_token(request.user, request.POST.get("name", ""))
    except VestigeError as e:
        messages.error(request, e.message)
    else:
        # Shown once, on the next page only.
        request.session["new_token"] = token
    return redirect("profile")


@require_POST
def token_revoke(request, token_id: int):
    accounts.revoke_token(request.user, token_id)
    messages.success(request, _("Token revoked."))
    return redirect("profile")
