"""Login is required everywhere except the login pages, static files, the API (own auth), the
public check of a register extract and the family portal (its own access);
a second factor is required where :func:`vestige.accounts.otp.required` says so."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

from vestige.accounts import otp

OPEN_PREFIXES = ("/accounts/login/", "/login/", "/static/", "/i18n/", "/api/",
                 "/verify/extract/",  # anyone checks a register extract: genuine or not, its date, nothing else
                 "/family/")  # the family portal: its own access (vestige.missing.portal), no staff login
SETUP_OPEN = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/i18n/", "/api/")


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not request.user.is_authenticated and not path.startswith(OPEN_PREFIXES):
            return redirect(resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


class SecondFactorMiddleware:
    """A user who must pass a second factor and has not, in this session, reaches only the set-up
    page (no device yet) or is sent back through the login (a device they have not used). The
    API refuses such sessions itself (:class:`vestige.api.VerifiedSession`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path_info.startswith(SETUP_OPEN):
            if otp.required(user):
                if otp.device_of(user) is None:
                    return redirect("otp-setup")
                logout(request)
                return redirect(resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
