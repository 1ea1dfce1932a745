"""Login is required everywhere except the login page, static files and the API (own auth)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

OPEN_PREFIXES = ("/accounts/login/", "/static/", "/i18n/", "/api/")


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not request.user.is_authenticated and not path.startswith(OPEN_PREFIXES):
            return redirect(resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
