"""Accounts: authorisation checks, rate-limited login, API tokens. The only writer of accounts."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vestige.accounts import otp
from vestige.accounts.models import ApiToken, Case, CaseMembership, LoginFailure, User
from vestige.accounts.roles import Cap, Role
from vestige.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited
from vestige.history.models import Action
from vestige.history.services import record

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


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless that is a trusted proxy
    (``VESTIGE_TRUSTED_PROXIES``: addresses or networks), whose ``X-Forwarded-For`` then names the
    client — the right-most address in it that is not itself a trusted proxy. A header from anyone
    else is ignored (it is the client's to forge)."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR")
    trusted = _trusted_networks()
    if not peer or not trusted or not _in(peer, trusted):
        return peer
    for part in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        addr = part.strip()
        try:
            ipaddress.ip_address(addr)
        except ValueError:
            return peer  # a malformed chain: the proxy itself is the only address known
        if not _in(addr, trusted):
            return addr
    return peer


def _trusted_networks() -> list:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in settings.VESTIGE_TRUSTED_PROXIES if n.strip()]


def _in(addr: str, networks: list) -> bool:
    try:
        a = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(a in n for n in networks)


def check_rate(username: str, ip: str | None) -> None:
    """Refuse a login attempt while it is being guessed at — without letting a guesser lock the
    real user out (issue 24). Failures (passwords and second-factor codes alike, on every path)
    are counted in ``VESTIGE_LOGIN_WINDOW_S``:

    - per account *and* address: ``VESTIGE_LOGIN_MAX_FAILURES`` for this user name from this
      address — refused from this address only; the user signs in from another;
    - per address: four times that for any user names — the address is throttled;
    - per account from every address (a distributed guess): ten times the limit — refused from
      addresses that have failed for it; from a clean address the password is still tried when the
      account has a second factor (which then must follow), else the account waits for an
      administrator's ``vestige user unlock NAME`` (or the window to pass).

    Failures before the account's last unlock do not count for it."""
    window_start = timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_S)
    recent = LoginFailure.objects.filter(at__gte=window_start)
    limit = settings.LOGIN_MAX_FAILURES
    user = User.objects.filter(username__iexact=username).first() if username else None
    mine = recent.filter(username__iexact=username)
    if user is not None and user.login_unlocked_at is not None:
        mine = mine.filter(at__gt=user.login_unlocked_at)
    refused = False
    # a failure recorded without an address may have come from this one: it counts here too
    if ip and mine.filter(Q(ip=ip) | Q(ip__isnull=True)).count() >= limit:
        refused = True
    elif ip and recent.filter(ip=ip).count() >= 4 * limit:
        refused = True
    elif not ip and mine.count() >= limit:
        refused = True
    elif mine.count() >= 10 * limit:

        clean = ip is not None and not mine.filter(Q(ip=ip) | Q(ip__isnull=True)).exists()
        refused = not (clean and user is not None and otp.device_of(user) is not None)
    if refused:
        raise RateLimited(
            _("Too many failed logins. Try again in %(minutes)d minutes.")
            % {"minutes": max(1, settings.LOGIN_WINDOW_S // 60)},
            retry_after_s=settings.LOGIN_WINDOW_S,
        )


@transaction.atomic
def unlock_login(actor: User, username: str) -> int:
    """Let ``username`` sign in again at once after a distributed guess (an administrator's act,
    recorded); the failures stay for the auditor but no longer count. Returns how many there were."""
    require(actor, Cap.ACCOUNTS_MANAGE)
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise NotFound(_("No user %(u)s.") % {"u": username})
    now = timezone.now()
    n = LoginFailure.objects.filter(username__iexact=username, at__lte=now).count()
    before = user.login_unlocked_at
    user.login_unlocked_at = now
    user.save(update_fields=["login_unlocked_at"])
    record(user, Action.UPDATED, actor, {"login_unlocked_at": [before.isoformat() if before else None, now.isoformat()],
                                         "failures_set_aside": [None, n]}, via="cli")
    return n


def login(request, username: str, password: str) -> User:
    """Check a password, refusing while it is being guessed at (:func:`check_rate`).

    Failures are stored (not cached) so the limit holds across processes and the auditor can see
    them. A refused attempt is not checked at all, so a guessed password is not even tried.
    """
    ip = client_ip(request)
    check_rate(username, ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        LoginFailure.objects.create(username=username[:150], ip=ip)
        raise NotAuthenticated(_("Wrong user name or password."))
    return user


@transaction.atomic
def set_graphic_in_colour(user: User, value: bool) -> None:
    """The person's own display choice for graphic media (greyscale, muted, no thumbnails by
    default); recorded like any change to an account."""
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.graphic_in_colour == value:
        return
    row.graphic_in_colour = value
    row.save(update_fields=["graphic_in_colour"])
    record(row, Action.UPDATED, row, {"graphic_in_colour": [not value, value]})


@transaction.atomic
def set_signature(user: User, first_name: str, last_name: str, position: str) -> User:
    """The person's own name and position, as printed documents sign with them (recorded)."""
    first_name, last_name, position = first_name.strip(), last_name.strip(), position.strip()
    if not (first_name and last_name):
        raise InvalidInput(_("Give your first and last name: reports name you by them."),
                           field="first_name" if not first_name else "last_name")
    if len(first_name) > 150 or len(last_name) > 150 or len(position) > 200:
        raise InvalidInput(_("A name is at most 150 characters, a position 200."), field="position")
    row = User.objects.select_for_update().get(pk=user.pk)
    before = {"first_name": row.first_name, "last_name": row.last_name, "position": row.position}
    row.first_name, row.last_name, row.position = first_name, last_name, position
    after = {"first_name": first_name, "last_name": last_name, "position": position}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        row.save(update_fields=["first_name", "last_name", "position"])
        record(row, Action.UPDATED, row, changes)
    return row


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
