"""`vestige claims export` and `vestige incidents import`."""

from __future__ import annotations

import sys

from vestige.claims.importing import import_acled
from vestige.claims.listing import CLAIMS
from vestige.commands import actor_of, as_user, run_import, setup_django, stderr_console  # noqa: F401
from vestige.errors import InvalidInput, NotFound  # noqa: F401
from vestige.tables import write_csv


def cmd_claims_export(args) -> int:
    """All claims as CSV on stdout: issuer, date, quantity, qualifier, unit, status, ..."""
    setup_django()

    params = {"withdrawn": "include" if args.include_withdrawn else "exclude"}
    write_csv(sys.stdout, CLAIMS.csv_rows(CLAIMS.queryset(params, user=actor_of(args))))  # formulas neutralised
    return 0


def cmd_incidents_import(args) -> int:
    setup_django()

    return run_import(args, import_acled, "incidents")



def add_commands(sub) -> None:
    c = sub.add_parser("claims", help="claims").add_subparsers(dest="sub", metavar="ACTION", required=True)
    ce = c.add_parser("export", help="write all claims as CSV to stdout")
    ce.set_defaults(fn=cmd_claims_export)
    ce.add_argument("--csv", action="store_true", help="CSV (the only format; the flag is accepted for clarity)")
    ce.add_argument("--include-withdrawn", action="store_true")
    as_user(ce)

    inc = sub.add_parser("incidents", help="incidents").add_subparsers(dest="sub", metavar="ACTION", required=True)
    ii = inc.add_parser("import", help="import incidents from a CSV/XLSX in the ACLED column layout (all or none)")
    ii.set_defaults(fn=cmd_incidents_import)
    ii.add_argument("file")
    ii.add_argument("--dry-run", action="store_true")
    as_user(ii)
