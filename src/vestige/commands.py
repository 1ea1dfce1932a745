"""What every app's part of the ``vestige`` command shares: acting as a named user, setting up
Django, running a file import with its report, printing rows. The command itself (its parser,
``main`` and the site-wide commands) is :mod:`vestige.cli`, on top; the apps' commands import
this kernel module, never the command.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from vestige.errors import ImportRejected, InvalidInput, NotFound

__all__ = ["actor_of", "as_user", "err", "print_json_lines", "run_import", "setup_django", "stderr_console"]


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
    import django

    django.setup()


def actor_of(args):
    from django.contrib.auth import (
        get_user_model,  # lazy: models load only once setup_django() has run
    )

    User = get_user_model()  # noqa: N806 - the model class

    name = args.as_user or os.environ.get("VESTIGE_USER")
    if not name:
        raise InvalidInput("say who is acting: --as USERNAME (or set VESTIGE_USER)", field="as")
    try:
        return User.objects.get(username=name, is_active=True)
    except User.DoesNotExist:
        raise NotFound(f"no active user {name!r}") from None


def run_import(args, importer, noun: str) -> int:
    """Open ``args.file``, run ``importer(actor, file, name, dry_run=...)``, print every bad row."""
    actor = actor_of(args)
    path = Path(args.file)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    with path.open("rb") as f:
        try:
            report = importer(actor, f, str(path), dry_run=args.dry_run, via="cli")
        except ImportRejected as e:
            _print_rows(e.rows, getattr(args, "json", False), str(path))
            raise
    for note in getattr(report, "notes", []) if not getattr(args, "json", False) else []:
        print(f"note: {note}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps(report.as_dict(), indent=2))
    elif report.errors:
        _print_rows(report.errors, False, str(path))
    elif hasattr(report, "summary"):  # a report that says its own outcome (a list's reference)
        print(report.summary(str(path)))
    elif report.dry_run:
        print(f"{path}: all {report.rows} rows are good (dry run: nothing written)")
    else:
        print(f"{path}: imported {report.created} {noun}")
    return 2 if report.errors else 0


def _print_rows(rows, as_json: bool, name: str) -> None:
    if as_json:
        print(json.dumps({"ok": False, "errors": [r.__dict__ for r in rows]}, indent=2))
        return
    for r in rows:
        print(f"{name}: {r}", file=sys.stderr)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def as_user(sp) -> None:
    sp.add_argument("--as", dest="as_user", metavar="USER", help="act as this user (default $VESTIGE_USER)")


def print_json_lines(rows) -> None:
    for r in rows:
        print(json.dumps(r, default=str))
