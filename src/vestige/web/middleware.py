"""Turn VestigeError raised in an HTML view into a page that says what went wrong (no traceback)."""

from __future__ import annotations

from django.shortcuts import render

from vestige.errors import (
    Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited, VestigeError,
)

STATUS = {InvalidInput: 400, NotAuthenticated: 401, PermissionDenied: 403, NotFound: 404,
          Conflict: 409, RateLimited: 429}


def status_for(error: VestigeError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


class VestigeErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, VestigeError) and not request.path_info.startswith("/api/"):
            return render(request, "web/error.html", {"error": exception}, status=status_for(exception))
        return None
