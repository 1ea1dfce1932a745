"""The family's portal (``/family/``) and the liaison's side of it on the family page
(:mod:`vestige.missing.family_access`).

A family session holds only the access's id; every request checks the access again and answers
"not valid" (403, or 404 for a link) to anyone else — a staff member included: staff read the
register through their own pages, never through a family's. Ukrainian unless the reader chose a
language.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.errors import Conflict, InvalidInput, NotFound
from vestige.missing import family_access
from vestige.missing.models import Family, FamilyAccess, Sharing

SESSION_KEY = "vestige_family_access"


def _ukrainian_first(request) -> None:
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate("uk")
        request.LANGUAGE_CODE = "uk"


def _refused(request, status: int = 403):
    return render(request, "missing/portal_refused.html", status=status)


def _grant(request) -> FamilyAccess | None:
    grant_ = family_access.current(request.session.get(SESSION_KEY))
    if grant_ is None:
        request.session.pop(SESSION_KEY, None)
    return grant_


def open_link(request, secret):
    """The link a liaison handed over: a valid one starts the family session."""
    _ukrainian_first(request)
    grant_ = family_access.resolve(secret)
    if grant_ is None:
        return _refused(request, 404)
    request.session.cycle_key()  # a new session key: a session fixed before the link is not reused
    request.session[SESSION_KEY] = grant_.pk
    family_access.log(grant_, "opened")
    return redirect("missing:portal")


def portal(request):
    _ukrainian_first(request)
    grant_ = _grant(request)
    if grant_ is None:
        return _refused(request)
    view = family_access.overview(grant_)
    return render(request, "missing/portal.html", {
        "grant": grant_, "view": view, "sharing_choices": Sharing.choices, "stages": [
            ("reported", _("Reported missing")), ("reference_sampled", _("Reference sample from a relative")),
            ("matched", _("A possible match is being verified")), ("identified", _("Identified")),
            ("notified", _("Family informed")), ("returned", _("Remains returned to the family"))],
    })


def _portal_post(request, action):
    _ukrainian_first(request)
    grant_ = _grant(request)
    if grant_ is None:
        return _refused(request)
    try:
        message = action(grant_)
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("missing:portal")


@require_POST
def portal_sharing(request):
    def act(grant_):
        family_access.set_sharing(grant_, request.POST.get("sharing", ""))
        return _("Your choice is saved.")
    return _portal_post(request, act)


@require_POST
def portal_consent(request):
    def act(grant_):
        n = family_access.withdraw_dna_consent(grant_, request.POST.get("reason", ""))
        return _("Consent withdrawn for %(n)d relative(s): their DNA is no longer used.") % {"n": n}
    return _portal_post(request, act)


@require_POST
def portal_message(request):
    def act(grant_):
        family_access.family_message(grant_, request.POST.get("text", ""))
        return _("Your message was sent to your liaison.")
    return _portal_post(request, act)


@require_POST
def portal_leave(request):
    _ukrainian_first(request)
    grant_ = _grant(request)
    if grant_ is None:
        return _refused(request)
    family_access.revoke(None, grant_, by_family=True)
    request.session.pop(SESSION_KEY, None)
    return render(request, "missing/portal_refused.html", {"ended": True})


# --- the liaison's side, on the family page ---------------------------------------------------

@require_POST
def access_grant(request, ref):
    require(request.user, Cap.MISSING_WRITE)
    family = access.get(request.user, Family, ref=ref)
    try:
        days = int(request.POST.get("days") or 30)
        grant_, secret = family_access.grant(request.user, family, request.POST.get("label", ""), days=days)
    except ValueError:
        messages.error(request, _("An access lasts 1 to %(n)d days.") % {"n": family_access.MAX_DAYS})
        return redirect(family.get_absolute_url())
    except (InvalidInput, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect(family.get_absolute_url())
    link = request.build_absolute_uri(f"/family/access/{secret}/")
    return render(request, "missing/access_granted.html", {"family": family, "grant": grant_, "link": link})


@require_POST
def access_revoke(request, ref, pk):
    require(request.user, Cap.MISSING_WRITE)
    family = access.get(request.user, Family, ref=ref)
    grant_ = family.accesses.filter(pk=pk).first()
    if grant_ is None:
        raise NotFound(_("No such access."))
    try:
        family_access.revoke(request.user, grant_, request.POST.get("reason", ""))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The access is ended."))
    return redirect(family.get_absolute_url())


@require_POST
def family_message(request, ref):
    require(request.user, Cap.MISSING_WRITE)
    family = access.get(request.user, Family, ref=ref)
    try:
        family_access.send_message(request.user, family, request.POST.get("text", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Message sent to the family."))
    return redirect(family.get_absolute_url() + "#family-access")


@require_POST
def family_sharing(request, ref):
    require(request.user, Cap.MISSING_WRITE)
    family = access.get(request.user, Family, ref=ref)
    try:
        family_access.record_sharing(request.user, family, request.POST.get("sharing", ""),
                                     request.POST.get("reason", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The family's choice is recorded."))
    return redirect(family.get_absolute_url() + "#family-access")
