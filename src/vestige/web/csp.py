"""The Content-Security-Policy of every page (issue 24): scripts from this site only — no inline
script, no inline handler, no eval — so that text an adversary got into a record (a name, a
claim, a captured page's title) can never run in a reviewer's browser. Styles may be inline
(``style`` attributes; they run no code). Images from this site, ``data:``/``blob:`` (Leaflet's,
thumbnails) and the map's tile server when one is configured (``VESTIGE_TILE_URL``). No plugins,
no ``<base>``, no framing, forms post to this site only. The OpenAPI page (``/api/docs``) is served
from django-ninja's vendored Swagger UI files and needs nothing more.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def policy() -> str:
    tiles = ""
    if settings.VESTIGE_TILE_URL:
        parts = urlsplit(settings.VESTIGE_TILE_URL.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in settings.VESTIGE_TILE_URL else parts.netloc
        tiles = f" {parts.scheme}://{host}"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{tiles}",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy()
        return response
