"""`vestige user create` and `vestige token create|list|revoke`."""

from __future__ import annotations

import json
import sys

from vestige.accounts import otp
from vestige.accounts.models import Case, User
from vestige.accounts.services import (
    add_case_member,
    create_case,
    create_token,
    create_user,
    remove_case_member,
    revoke_token,
    unlock_login,
)
from vestige.commands import actor_of, as_user, run_import, setup_django, stderr_console  # noqa: F401
from vestige.errors import InvalidInput, NotFound  # noqa: F401


def cmd_user_create(args) -> int:
    setup_django()

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if not password:
        import secrets
        password = secrets.token_urlsafe(12)
        print(f"password: {password}")
    user = create_user(args.username, password, args.role, cases=args.case or None)
    cases = ", ".join(user.case_memberships.values_list("case__code", flat=True)) or "none yet"
    print(f"created {user.username} ({user.role_label}); cases: {cases}")
    return 0


def cmd_token_create(args) -> int:
    setup_django()

    row, token = create_token(actor_of(args), args.name)
    print(json.dumps({"id": row.pk, "name": row.name, "token": token}) if args.json else token)
    return 0


def cmd_token_list(args) -> int:
    setup_django()
    actor = actor_of(args)
    for t in actor.api_tokens.all():
        state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d}"
        print(f"{t.pk}\t{t.prefix}…\t{t.name}\t{t.created_at:%Y-%m-%d}\t{state}")
    return 0


def cmd_token_revoke(args) -> int:
    setup_django()

    row = revoke_token(actor_of(args), args.id)
    print(f"revoked token {row.pk} ({row.name})")
    return 0

def cmd_case_create(args) -> int:
    setup_django()

    case = create_case(actor_of(args), args.code, args.name, args.description or "")
    print(f"created case {case.code} ({case.name})")
    return 0


def cmd_case_list(args) -> int:
    setup_django()

    for c in Case.objects.prefetch_related("memberships__user"):
        members = ", ".join(sorted(m.user.username for m in c.memberships.all()))
        print(f"{c.code}\t{c.name}\t{members}")
    return 0


def _user(username: str):

    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def cmd_case_member(args) -> int:
    setup_django()

    actor = actor_of(args)
    user = _user(args.username)
    if args.remove:
        remove_case_member(actor, args.code, user)
        print(f"{user.username} is no longer a member of {args.code}")
    else:
        add_case_member(actor, args.code, user)
        print(f"{user.username} is a member of {args.code}")
    return 0


def cmd_user_otp_reset(args) -> int:
    """Remove a user's authenticator (a lost phone); they set up a new one at their next login."""
    setup_django()

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise NotFound(f"no user {args.username!r}")
    n = otp.reset(actor_of(args), user)
    print(f"removed {n} authenticator device(s) of {user.username}")
    return 0


def cmd_user_unlock(args) -> int:
    """Let a user sign in again at once after their account was guessed at from many addresses."""
    setup_django()

    n = unlock_login(actor_of(args), args.username)
    print(f"{args.username} may sign in again ({n} failed attempt(s) kept for the auditor, no longer counted)")
    return 0


def add_commands(sub) -> None:
    c = sub.add_parser("case", help="cases and their members").add_subparsers(dest="sub", metavar="ACTION",
                                                                            required=True)
    cc = c.add_parser("create", help="create a case (an investigation, a region, an agency's share)")
    cc.set_defaults(fn=cmd_case_create)
    cc.add_argument("code")
    cc.add_argument("name")
    cc.add_argument("--description")
    as_user(cc)
    cl = c.add_parser("list", help="the cases and their members")
    cl.set_defaults(fn=cmd_case_list)
    cm = c.add_parser("member", help="add a user to a case (or --remove)")
    cm.set_defaults(fn=cmd_case_member)
    cm.add_argument("code")
    cm.add_argument("username")
    cm.add_argument("--remove", action="store_true")
    as_user(cm)
    u = sub.add_parser("user", help="manage users").add_subparsers(dest="sub", metavar="ACTION", required=True)
    uc = u.add_parser("create", help="create a user")
    uc.set_defaults(fn=cmd_user_create)
    uc.add_argument("username")
    uc.add_argument("--role", required=True, help="administrator, investigator, forensic_examiner, "
                    "dna_analyst, family_liaison, analyst or auditor")
    uc.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    uc.add_argument("--case", action="append", metavar="CODE",
                    help="a case the user works in (repeat for several; default: the only case, if one)")
    uo = u.add_parser("otp-reset", help="remove a user's authenticator app (lost phone); an administrator's act")
    uo.set_defaults(fn=cmd_user_otp_reset)
    uo.add_argument("username")
    as_user(uo)
    ul = u.add_parser("unlock", help="let a user sign in again after failed logins from many addresses; an "
                      "administrator's act")
    ul.set_defaults(fn=cmd_user_unlock)
    ul.add_argument("username")
    as_user(ul)

    t = sub.add_parser("token", help="API tokens").add_subparsers(dest="sub", metavar="ACTION", required=True)
    tc = t.add_parser("create", help="create an API token for --as USER (printed once)")
    tc.set_defaults(fn=cmd_token_create)
    tc.add_argument("--name", required=True)
    tc.add_argument("--json", action="store_true")
    as_user(tc)
    tl = t.add_parser("list", help="list the tokens of --as USER")
    tl.set_defaults(fn=cmd_token_list)
    as_user(tl)
    tr = t.add_parser("revoke", help="revoke a token")
    tr.set_defaults(fn=cmd_token_revoke)
    tr.add_argument("id", type=int)
    as_user(tr)

