"""Accounts: authorisation checks, rate-limited login, API tokens. The only writer of accounts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige.accounts.models import ApiToken, Case, CaseMembership, LoginFailure, User
from vestige.accounts.roles import Cap, Role
from vestige.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited

TOKEN_PREFIX = "vst_"


def require(user, cap: Cap) -> None:
    """Raise unless ``user`` is an active, authenticated user whose role has ``cap``."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(_("Log in first."))
    if not user.can(cap):
        raise PermissionDenied(
            _("Your role (%(role)s) may not do this (%(cap)s).")
            % {"role": user.role_label, "cap": cap.value}
        )


def _digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def check_rate(username: str, ip: str | None) -> None:
    """Refuse while this user name (or address) has too many recent failures: passwords and
    second-factor codes alike, on every login path (the site's and the admin's, which is the same)."""
    window_start = timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_S)
    recent = LoginFailure.objects.filter(at__gte=window_start)
    limit = settings.LOGIN_MAX_FAILURES
    if (
        recent.filter(username__iexact=username).count() >= limit
        or (ip and recent.filter(ip=ip).count() >= 4 * limit)
    ):
        raise RateLimited(
            _("Too many failed logins. Try again in %(minutes)d minutes.")
            % {"minutes": max(1, settings.LOGIN_WINDOW_S // 60)},
            retry_after_s=settings.LOGIN_WINDOW_S,
        )


def login(request, username: str, password: str) -> User:
    """Check a password, refusing after too many recent failures for this user name or address.

    Failures are stored (not cached) so the limit holds across processes and the auditor can see
    them. A refused attempt is not checked at all, so a guessed password is not even tried.
    """
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    check_rate(username, ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=username[:150], ip=ip)
        raise NotAuthenticated(_("Wrong user name or password."))
    return user


@transaction.atomic
def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; return the row and the token (shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the token a name (what it is for)."), field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name[:100], prefix=token[:10], digest=_digest(token))
    return row, token


@transaction.atomic
def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token. Users revoke their own; administrators revoke anyone's."""
    try:
        row = ApiToken.objects.select_for_update().get(pk=token_id)
    except ApiToken.DoesNotExist:
        raise NotFound(_("No API token with id %(id)s.") % {"id": token_id}) from None
    if row.user_id != actor.pk and not actor.can(Cap.ACCOUNTS_MANAGE):
        raise PermissionDenied(_("You may only revoke your own tokens."))
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    return row


def user_for_token(token: str) -> User | None:
    """The active user whose unrevoked token this is, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    try:
        row = ApiToken.objects.select_related("user").get(digest=_digest(token), revoked_at=None)
    except ApiToken.DoesNotExist:
        return None
    if not row.user.is_active:
        return None
    now = timezone.now()
    # Record use at most once a minute: an audit trail without a write on every request.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


@transaction.atomic
def create_user(username: str, password: str, role: str, *, cases: list[str] | None = None, **extra) -> User:
    """A user with ``role``, member of ``cases`` (codes); with none named, of the only case when
    there is exactly one (a single-case installation needs no case management)."""
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role %(role)r; choose one of: %(roles)s")
            % {"role": role, "roles": ", ".join(Role.values)},
            field="role",
        )
    if User.objects.filter(username=username).exists():
        raise InvalidInput(_("User %(u)r already exists.") % {"u": username}, field="username")
    user = User(username=username, role=role, **extra)
    user.set_password(password)
    user.save()
    if cases:
        for code in cases:
            add_case_member(None, code, user)
    else:
        if not Case.objects.exists():  # a database without its MAIN case (flushed, restored): make it again
            Case.objects.get_or_create(code="MAIN", defaults={"name": "Main case"})
        if Case.objects.count() == 1:
            CaseMembership.objects.create(case=Case.objects.get(), user=user)
    return user


def _case(code: str) -> Case:
    try:
        return Case.objects.get(code=code)
    except Case.DoesNotExist:
        raise NotFound(_("No case %(c)r.") % {"c": code}) from None


@transaction.atomic
def create_case(actor, code: str, name: str, description: str = "") -> Case:
    """A new case; its records are seen by its members only (and administrators, auditors)."""
    if actor is not None:
        require(actor, Cap.ACCOUNTS_MANAGE)
    code, name = (code or "").strip(), (name or "").strip()
    import re
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{0,31}", code):
        raise InvalidInput(_("A case code is capital letters, digits and hyphens, e.g. KHA-2022."), field="code")
    if not name:
        raise InvalidInput(_("Name the case."), field="name")
    if Case.objects.filter(code=code).exists():
        raise InvalidInput(_("Case %(c)s already exists.") % {"c": code}, field="code")
    return Case.objects.create(code=code, name=name, description=description)


@transaction.atomic
def add_case_member(actor, code: str, user: User) -> CaseMembership:
    if actor is not None:
        require(actor, Cap.ACCOUNTS_MANAGE)
    row, _created = CaseMembership.objects.get_or_create(case=_case(code), user=user)
    return row


@transaction.atomic
def remove_case_member(actor, code: str, user: User) -> int:
    require(actor, Cap.ACCOUNTS_MANAGE)
    n, _detail = CaseMembership.objects.filter(case=_case(code), user=user).delete()
    return n
