"""Turn VestigeError raised in an HTML view into a page that says what went wrong (no traceback)."""

from __future__ import annotations

from django.shortcuts import render

from vestige.errors import VestigeError, status_for, storage_error


class VestigeErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        exception = storage_error(exception) or exception  # a full disk is said, not a 500
        if isinstance(exception, VestigeError) and not request.path_info.startswith("/api/"):

            return render(request, "web/error.html", {"error": exception}, status=status_for(exception))
        return None
