"""`vestige import graves|remains`."""

from __future__ import annotations

from vestige.commands import actor_of, as_user, run_import, setup_django, stderr_console  # noqa: F401
from vestige.errors import InvalidInput, NotFound  # noqa: F401
from vestige.registry.importing import import_file


def cmd_import(args) -> int:
    setup_django()

    return run_import(args, lambda actor, f, name, **kw: import_file(actor, args.kind, f, name, **kw), args.kind)



def add_commands(sub) -> None:
    i = sub.add_parser("import", help="import graves or remains from CSV or XLSX (all rows or none)",
                       description="import graves or remains from CSV or XLSX (all rows or none)")
    i.set_defaults(fn=cmd_import)
    i.add_argument("kind", choices=["graves", "remains"])
    i.add_argument("file")
    i.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    i.add_argument("--json", action="store_true", help="print the report as JSON")
    as_user(i)
