from __future__ import annotations

import time

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access
from vestige.accounts import otp
from vestige.accounts import services as accounts
from vestige.accounts.models import User
from vestige.errors import NotAuthenticated, RateLimited, VestigeError
from vestige.history.models import ChangeRecord
from vestige.identification.services import stats as identification_stats
from vestige.registry.models import Grave, Site
from vestige.registry.stats import dashboard_stats

OTP_PENDING = "otp_pending"  # {"user": pk, "at": epoch seconds, "next": url}: a password passed, the code not yet
OTP_PENDING_S = 300


def _safe_next(request, target: str) -> str:
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    return target or resolve_url(settings.LOGIN_REDIRECT_URL)


def login_view(request):
    """The one login path (``/admin/login/`` redirects here): one rate limiter, failures recorded,
    then the second factor when the user has one."""
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
            target = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
            if otp.device_of(user) is not None:
                request.session.cycle_key()
                request.session[OTP_PENDING] = {"user": user.pk, "at": int(time.time()), "next": target}
                return redirect("login-otp")
            django_login(request, user)
            if otp.required(user):
                return redirect("otp-setup")
            return redirect(target)
    return render(request, "registration/login.html",
                  {"error": error, "next": request.GET.get("next", "")}, status=status)


def login_otp(request):
    """The second step of a login: the code from the user's authenticator app."""

    pending = request.session.get(OTP_PENDING)
    if not pending or time.time() - pending.get("at", 0) > OTP_PENDING_S:
        request.session.pop(OTP_PENDING, None)
        messages.error(request, _("Log in again: the password step has expired."))
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(OTP_PENDING, None)
        return redirect("login")
    error, status = None, 200
    if request.method == "POST":
        ip = accounts.client_ip(request)
        try:
            accounts.check_rate(user.username, ip)
            device = otp.check(user, request.POST.get("code", ""), ip)
        except (NotAuthenticated, RateLimited, VestigeError) as e:
            error = e.message
            status = 429 if isinstance(e, RateLimited) else 200
        else:
            request.session.pop(OTP_PENDING, None)
            django_login(request, user)
            django_otp.login(request, device)
            return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/login_otp.html", {"error": error, "who": user.username}, status=status)


def otp_setup(request):
    """Set up an authenticator app: scan the code (or type the key), then enter a code to confirm."""
    device = otp.pending(request.user) or otp.begin_setup(request.user)
    error = None
    if request.method == "POST":
        try:
            device = otp.confirm(request.user, request.POST.get("code", ""))
        except VestigeError as e:
            error = e.message
        else:
            django_otp.login(request, device)
            messages.success(request, _("Two-factor authentication is on: each login now asks for a code."))
            return redirect("profile")
    import base64
    response = render(request, "web/otp_setup.html", {
        "qr": mark_safe(otp.qr_svg(device)),  # noqa: S308 - SVG made by the qrcode library from our own URI
        "key": base64.b32encode(device.bin_key).decode(), "error": error,
        "required": otp.required(request.user) and otp.device_of(request.user) is None})
    response["Cache-Control"] = "no-store"
    return response


def admin_login(request):
    """Django admin's own login is not used: it has no rate limit and no second factor."""
    from urllib.parse import urlencode
    return redirect(resolve_url("login") + "?" + urlencode({"next": request.GET.get("next") or "/admin/"}))


def _dashboard_figures(user):
    """The dashboard's figures, cached per case scope for VESTIGE_DASHBOARD_CACHE_S seconds and
    keyed on the newest change in the history log (an edit shows at once; figures written outside
    the history, e.g. a matching run, within those seconds): the grouped counts over 100,000
    records cost ~0.3 s of CPU, too much to repeat for every person opening the first page."""
    from django.conf import settings
    from django.core.cache import cache


    ttl = settings.VESTIGE_DASHBOARD_CACHE_S
    if ttl <= 0:
        return (*dashboard_stats(user), identification_stats())
    scope = "all" if access.sees_all(user) else ",".join(map(str, sorted(access.case_ids(user))))
    newest = ChangeRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    key = f"vestige:dashboard:{scope}:{newest}"
    figures = cache.get(key)
    if figures is None:
        figures = (*dashboard_stats(user), identification_stats())
        cache.set(key, figures, ttl)
    return figures


def dashboard(request):
    overall, sites, ident = _dashboard_figures(request.user)
    breakdown = [
        (_("Women"), overall.b_women), (_("Men"), overall.b_men), (_("Children"), overall.b_children),
        (_("Servicemen"), overall.b_servicemen), (_("Sex undetermined"), overall.b_undetermined),
    ]
    return render(request, "web/dashboard.html", {
        "overall": overall, "sites": sites, "breakdown": breakdown, "ident": ident,
        "breakdown_max": max([v for _, v in breakdown] + [1]),
    })


def map_view(request):
    return render(request, "web/map.html", {"focus": request.GET.get("site", "")})


def map_data(request):
    """GeoJSON FeatureCollection: every site, plus the graves of ``?site=REF`` when given."""
    features = []
    for s in access.scope(Site.objects.filter(withdrawn_at__isnull=True), request.user):
        features.append({"type": "Feature", "geometry": s.geometry, "properties": {
            "kind": "site", "ref": s.ref, "name": s.name, "site_kind": s.get_kind_display(),
            "url": s.get_absolute_url()}})
    ref = request.GET.get("site")
    if ref:
        graves = access.scope(Grave.objects.filter(site__ref=ref, withdrawn_at__isnull=True, latitude__isnull=False),
                              request.user)
        for g in graves.only("id", "label", "latitude", "longitude", "status", "marker_type"):
            features.append({"type": "Feature",
                             "geometry": {"type": "Point", "coordinates": [g.longitude, g.latitude]},
                             "properties": {"kind": "grave", "label": g.label, "status": g.status,
                                            "status_label": str(g.get_status_display()),
                                            "url": g.get_absolute_url()}})
    return JsonResponse({"type": "FeatureCollection", "features": features})


def profile(request, new_token: str | None = None):
    response = render(request, "web/profile.html", {
        "tokens": request.user.api_tokens.all(), "new_token": new_token, "otp": otp.state(request.user),
    })
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def profile_media(request):
    """The person's own choice of how graphic media are shown (greyscale and muted by default)."""
    accounts.set_graphic_in_colour(request.user, request.POST.get("graphic_in_colour") == "on")
    messages.success(request, _("Saved."))
    return redirect("profile")


@require_POST
def profile_signature(request):
    """The person's name and position as printed reports show them (not the login name)."""
    try:
        accounts.set_signature(request.user, request.POST.get("first_name", ""), request.POST.get("last_name", ""),
                               request.POST.get("position", ""))
    except VestigeError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("profile")


@require_POST
def token_create(request):
    try:
        _row, token = accounts.create_token(request.user, request.POST.get("name", ""))
    except VestigeError as e:
        messages.error(request, e.message)
        return redirect("profile")
    # Shown once, in the answer to this POST; only its SHA-256 is stored, nowhere the token itself.
    return profile(request, new_token=token)


@require_POST
def token_revoke(request, token_id: int):
    accounts.revoke_token(request.user, token_id)
    messages.success(request, _("Token revoked."))
    return redirect("profile")
