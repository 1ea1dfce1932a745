"""Second factor: time-based one-time passwords (RFC 6238) through django-otp's TOTP devices.

Required, when ``VESTIGE_REQUIRE_2FA`` is on (the default in production), for the roles that
reach the data that can kill or convict: administrator, DNA analyst, family liaison and
investigator. Optional for the others and in the demo, but once a user has a confirmed device
it is always asked for. django-otp throttles wrong codes per device (each failure doubles the
wait); those failures are also recorded as login failures, counted by the same rate limiter.
The only writer of OTP devices.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from vestige.accounts.models import LoginFailure, User
from vestige.accounts.roles import TWO_FACTOR_ROLES, Cap
from vestige.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited


def device_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def required(user: User) -> bool:
    """Must this user pass a second factor before working? (Their role requires it, or they chose it.)"""
    return bool(user.is_authenticated and ((settings.VESTIGE_REQUIRE_2FA and user.role in TWO_FACTOR_ROLES)
                                           or device_of(user) is not None))


def check(user: User, code: str, ip: str | None = None) -> TOTPDevice:
    """The user's confirmed device if ``code`` is its current code; else NotAuthenticated, or
    RateLimited while django-otp's throttle holds."""
    device = device_of(user)
    if device is None:
        raise NotFound(_("No authenticator app is set up for this account."))
    allowed, info = device.verify_is_allowed()
    if not allowed:
        until = (info or {}).get("locked_until")
        wait = max(1, int((until - timezone.now()).total_seconds())) if until else 60
        raise RateLimited(_("Too many wrong codes. Try again in %(s)d seconds.") % {"s": wait}, retry_after_s=wait)
    if not device.verify_token(_digits(code)):
        LoginFailure.objects.create(username=user.username[:150], ip=ip)
        raise NotAuthenticated(_("That code is not right (or has expired); try the current one."))
    return device


def _digits(code: str) -> str:
    code = "".join((code or "").split())
    if not code.isdigit() or len(code) != 6:
        raise InvalidInput(_("Enter the 6-digit code from your authenticator app."), field="code")
    return code


@transaction.atomic
def begin_setup(user: User) -> TOTPDevice:
    """A new unconfirmed device (replacing any earlier unconfirmed one); confirmed by :func:`confirm`."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)


def pending(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def confirm(user: User, code: str) -> TOTPDevice:
    device = pending(user)
    if device is None:
        raise NotFound(_("Start the set-up first."))
    if not device.verify_token(_digits(code)):
        raise InvalidInput(_("That code does not match: check the time on your phone and try the current code."),
                           field="code")
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


@transaction.atomic
def reset(actor: User, user: User) -> int:
    """Remove a user's devices (a lost phone): an administrator's act; they set up a new one at
    their next login when their role requires it."""
    if not actor.can(Cap.ACCOUNTS_MANAGE):
        raise PermissionDenied(_("Only an administrator may reset another user's second factor."))
    n, _detail = TOTPDevice.objects.filter(user=user).delete()
    return n


def qr_svg(device: TOTPDevice) -> str:
    from django_otp.qr import write_qrcode_image

    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return out.getvalue().decode()


def state(user: User) -> dict:
    return {"enabled": device_of(user) is not None, "required": settings.VESTIGE_REQUIRE_2FA and user.role in TWO_FACTOR_ROLES}
