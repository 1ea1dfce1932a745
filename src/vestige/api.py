"""The JSON API under /api/ (OpenAPI docs at /api/docs).

Authentication: a session cookie (with CSRF for writes) or ``Authorization: Bearer <token>``.
Every error is one envelope ``{"error": {"type", "message", "field"}}`` with the status from
``vestige.errors.error_table``.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from vestige.accounts import otp
from vestige.accounts.services import user_for_token
from vestige.errors import InvalidInput, VestigeError, status_for, storage_error
from vestige.importers import KINDS, run_import
from vestige.web.errors import TYPES, too_large_message


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class HeaderToken(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request, key):
        return BearerToken().authenticate(request, key)


class VerifiedSession(SessionAuth):
    """The session cookie, but only once the second factor was passed where it is required."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            if otp.required(user) and not user.is_verified():
                return None
        return user


def docs_access(view):
    """The schema and the docs page: a signed-in session, or a token as for every other call
    (clients generating code from the schema have a token, not a browser session); a browser
    without either is sent to the login page, anything else answered 401."""
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        for auth in (BearerToken(), HeaderToken()):
            if auth(request):
                return view(request, *args, **kwargs)
        if not request.path.endswith(".json") or "text/html" in request.headers.get("Accept", ""):
            return login_required(view)(request, *args, **kwargs)  # the docs page: a person with a browser
        return envelope(request, "NotAuthenticated", "log in, or send Authorization: Bearer <token>", 401)
    return wrapped


api = NinjaAPI(
    title="Vestige API",
    version="1",
    description="Sites, graves, exhumations and remains. Log in (session) or send "
    "`Authorization: Bearer <token>`; create tokens on your profile page or with "
    "`vestige token create`.",
    auth=[BearerToken(), HeaderToken(), VerifiedSession()],
    docs_decorator=docs_access,
    urls_namespace="api",
)


def envelope(request, error_type: str, message: str, status: int, field: str | None = None, **extra):
    body = {"error": {"type": error_type, "message": message, "field": field, **extra}}
    return api.create_response(request, body, status=status)


@api.exception_handler(VestigeError)
def _vestige_error(request, exc: VestigeError):
    data = exc.as_dict()
    return envelope(request, data.pop("type"), data.pop("message"), status_for(exc), data.pop("field"), **data)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(loc) or "body", []).append(err.get("msg", "invalid"))
    field, messages = next(iter(errors.items())) if errors else ("body", ["invalid"])
    return envelope(request, "InvalidInput", f"{field}: {messages[0]}", 400, field, errors=errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return envelope(request, "NotAuthenticated", "Log in or send a valid API token.", 401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return envelope(request, "NotFound", str(exc) or "Not found.", 404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return envelope(request, TYPES.get(exc.status_code, "HttpError"), str(exc), exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return envelope(request, "TooLarge", too_large_message(), 413)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return envelope(request, "InvalidInput", "The request could not be read (malformed).", 400)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    """A bug: logged with its traceback for the operators; the client gets the envelope, no traceback.
    A full or read-only disk is not a bug: 507 StorageFull."""
    full = storage_error(exc)
    if full is not None:
        return _vestige_error(request, full)
    import logging
    logging.getLogger("vestige").exception("unexpected error in %s %s", request.method, request.path)
    return envelope(request, "InternalError", "Something went wrong on the server; it was logged.", 500)


from vestige.claims.api import router as claims_router  # noqa: E402
from vestige.dvi.api import router as dvi_router  # noqa: E402
from vestige.evidence.api import router as evidence_router  # noqa: E402
from vestige.identification.api import router as identification_router  # noqa: E402
from vestige.missing.api import router as missing_router  # noqa: E402
from vestige.registry.api import router as registry_router  # noqa: E402
from vestige.reports.api import router as reports_router  # noqa: E402

api.add_router("/", registry_router)
api.add_router("/stats", reports_router)
api.add_router("/", claims_router)
api.add_router("/", missing_router)
api.add_router("/", evidence_router)
api.add_router("/", identification_router)
api.add_router("/", dvi_router)


from ninja import File, Form  # noqa: E402
from ninja.files import UploadedFile  # noqa: E402


@api.post("/imports/{kind}", tags=["imports"], url_name="import")
def import_file(request, kind: str, file: UploadedFile = File(...),  # noqa: B008 (ninja's idiom)
                dry_run: bool = Form(False), lab: str = Form(""), kit: str = Form(""),  # noqa: B008
                material: str = Form("bone"), dropout: float = Form(0.0), single: str = Form("")):  # noqa: B008
    """Import a file (graves, remains, missing, pedigrees, references, samples, lineage_y, lineage_mt,
    lineage_x, dental and DVI records): all rows or none. ``single``: how a DNA file's one allele at a
    marker is read (homozygote, dropout or refuse; default: homozygote, or dropout when degraded).

    A dry run answers 200 with every bad cell listed; a rejected import answers 400 with the same
    rows in the error envelope; a good one 200 with the count written.
    """
    from django.conf import settings


    if kind not in KINDS:
        raise InvalidInput(f"no import kind {kind!r}; use one of {', '.join(KINDS)}", field="kind")
    if file.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
        raise InvalidInput(f"the file is larger than {settings.MAX_UPLOAD_MB} MB", field="file")
    report = run_import(request.user, kind, file, file.name, dry_run=dry_run,
                        options={"lab": lab, "kit": kit, "material": material, "dropout": dropout, "single": single},
                        via="api")
    return report.as_dict()
