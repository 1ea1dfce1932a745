"""Django's error views (400, 403, 404, 500 and CSRF failures), and the middleware that makes
every error under ``/api/`` the JSON envelope ``{"error": {"type", "message", "field"}}``.

Pages get a plain page saying what went wrong; nobody ever sees a traceback (the server log
has it, for 500s). The statuses come from the one table (:mod:`vestige.errors`).
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from vestige.errors import VestigeError, status_for

log = logging.getLogger("vestige")

TYPES = {400: "InvalidInput", 401: "NotAuthenticated", 403: "PermissionDenied", 404: "NotFound",
         405: "MethodNotAllowed", 409: "Conflict", 413: "TooLarge", 415: "UnsupportedMediaType", 429: "RateLimited",
         500: "InternalError", 503: "Unavailable"}


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def envelope(status: int, message: str, error_type: str = "", field: str | None = None) -> JsonResponse:
    return JsonResponse({"error": {"type": error_type or TYPES.get(status, "Error"), "message": message,
                                   "field": field}}, status=status)


def _answer(request, status: int, message: str, error_type: str = "", field: str | None = None):
    if _is_api(request):
        return envelope(status, message, error_type, field)

    class _Shown:
        pass
    shown = _Shown()
    shown.message = message
    return render(request, "web/error.html", {"error": shown}, status=status)


def too_large_message() -> str:
    from django.conf import settings
    return _("The request is larger than the limit (%(mb)d MB for a request body; upload files as multipart "
             "form data, up to %(files)d MB).") % {"mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024),
                                                    "files": settings.MAX_UPLOAD_MB}


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return _answer(request, 413, too_large_message(), "TooLarge")
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return _answer(request, 413, _("Too many form fields or files in one request."), "TooLarge")
    return _answer(request, 400, _("The request could not be read (malformed)."))


def permission_denied(request, exception=None):
    return _answer(request, 403, str(exception) if exception and str(exception) else _("You may not see this."))


def page_not_found(request, exception=None):
    return _answer(request, 404, _("There is nothing at %(p)s.") % {"p": request.path})


def server_error(request):
    return _answer(request, 500, _("Something went wrong on the server; it was logged. Nothing was changed "
                                   "unless the page said so."))


def csrf_failure(request, reason=""):
    return _answer(request, 403, _("The form's security token is missing or expired: reload the page and try "
                                   "again (API clients: send a token instead of a session cookie)."),
                   "PermissionDenied")


class ApiEnvelopeMiddleware:
    """Any error response under /api/ that is not already JSON becomes the envelope (405s from
    the router, 404s of unknown paths, errors of middleware that runs before the API)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (_is_api(request) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            message = {404: _("There is nothing at %(p)s.") % {"p": request.path},
                       405: _("%(m)s is not allowed here; allowed: %(a)s.") % {
                           "m": request.method, "a": response.get("Allow", "") or "-"},
                       413: too_large_message()}.get(response.status_code, _("The request failed."))
            new = envelope(response.status_code, message)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    new[header] = response[header]
            return new
        return response

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        if isinstance(exception, VestigeError):
            data = exception.as_dict()
            return JsonResponse({"error": data}, status=status_for(exception))
        if isinstance(exception, RequestDataTooBig):
            return envelope(413, too_large_message(), "TooLarge")
        return None
