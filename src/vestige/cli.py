"""The ``vestige`` command. Thin: it parses arguments, calls services, prints, and maps errors
to exit codes (``EXIT_BY_ERROR``). Nobody sees a traceback for their own mistake.

Commands that touch the database act as a named user (``--as USER`` or ``$VESTIGE_USER``) so
that every change is attributable; shell access to the server is the authentication, as with
Django's ``manage.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from vestige.errors import (
    ConfigurationError,
    Conflict,
    ImportRejected,
    IntegrityFailure,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    VestigeError,
)

EXIT_BY_ERROR: dict[type[VestigeError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    PermissionDenied: 4,
    NotAuthenticated: 4,
    Conflict: 5,
    IntegrityFailure: 6,
    ConfigurationError: 7,
}


def exit_code(error: VestigeError) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT_BY_ERROR:
            return EXIT_BY_ERROR[cls]
    return 1


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
    import django

    django.setup()


def _actor(args):
    from vestige.accounts.models import User

    name = args.as_user or os.environ.get("VESTIGE_USER")
    if not name:
        raise InvalidInput("say who is acting: --as USERNAME (or set VESTIGE_USER)", field="as")
    try:
        return User.objects.get(username=name, is_active=True)
    except User.DoesNotExist:
        raise NotFound(f"no active user {name!r}") from None


# --- commands ----------------------------------------------------------------------------

def cmd_demo(args) -> int:
    setup_django()
    from vestige.demo.loader import run_demo

    accounts, created = run_demo()
    total = sum(created.values())
    print("Vestige demo: the Izium case is loaded "
          + (f"({', '.join(f'{v} {k}' for k, v in created.items() if v)} created)." if total else "(already there)."))
    print("\nLog in with one of these accounts (one per role):\n")
    print(f"  {'user':<14}{'role':<22}password")
    for name, (role, pw) in accounts.items():
        print(f"  {name:<14}{role:<22}{pw}")
    from django.conf import settings
    print(f"\n(also saved in {settings.VESTIGE_HOME / 'demo-accounts.txt'})")
    if args.no_serve:
        return 0
    print(f"\nServing on http://{args.host}:{args.port}/  (Ctrl-C to stop)\n", flush=True)
    return cmd_serve(args)


def cmd_serve(args) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False, skip_checks=False)
    return 0


def cmd_manage(args) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vestige manage", *args.rest])
    return 0


def _run_import(args, importer, noun: str) -> int:
    """Open ``args.file``, run ``importer(actor, file, name, dry_run=...)``, print every bad row."""
    from pathlib import Path

    actor = _actor(args)
    path = Path(args.file)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    with path.open("rb") as f:
        try:
            report = importer(actor, f, str(path), dry_run=args.dry_run, via="cli")
        except ImportRejected as e:
            _print_rows(e.rows, getattr(args, "json", False), str(path))
            raise
    if getattr(args, "json", False):
        print(json.dumps(report.as_dict(), indent=2))
    elif report.errors:
        _print_rows(report.errors, False, str(path))
    elif report.dry_run:
        print(f"{path}: all {report.rows} rows are good (dry run: nothing written)")
    else:
        print(f"{path}: imported {report.created} {noun}")
    return 2 if report.errors else 0


def cmd_import(args) -> int:
    setup_django()
    from vestige.registry.importing import import_file

    return _run_import(args, lambda actor, f, name, **kw: import_file(actor, args.kind, f, name, **kw), args.kind)


def _print_rows(rows, as_json: bool, name: str) -> None:
    if as_json:
        print(json.dumps({"ok": False, "errors": [r.__dict__ for r in rows]}, indent=2))
        return
    for r in rows:
        print(f"{name}: {r}", file=sys.stderr)


def cmd_claims_export(args) -> int:
    """All claims as CSV on stdout: issuer, date, quantity, qualifier, unit, status, ..."""
    setup_django()
    import csv

    from vestige.claims.listing import CLAIMS

    writer = csv.writer(sys.stdout)
    params = {"withdrawn": "include" if args.include_withdrawn else "exclude"}
    for row in CLAIMS.csv_rows(CLAIMS.queryset(params)):
        writer.writerow(row)
    return 0


def cmd_incidents_import(args) -> int:
    setup_django()
    from vestige.claims.importing import import_acled

    return _run_import(args, import_acled, "incidents")


def cmd_identify_run(args) -> int:
    setup_django()
    from rich.progress import Progress

    from vestige.identification import services

    actor = _actor(args)
    run = services.start_run(actor, site=args.site or "", families=args.family or [], background=False)
    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(f"matching run {run.pk}", total=100)
        run = services.execute_run(run.pk, progress=lambda pct: bar.update(task, completed=pct))
    print(f"run {run.pk}: {run.message} (engine {run.engine_seconds} s, in all {run.total_seconds} s)")
    return 0


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def cmd_identify_stats(args) -> int:
    setup_django()
    from vestige.identification.services import stats

    data = stats(args.site or "")
    if args.json:
        print(json.dumps(data))
    else:
        for k, v in data.items():
            print(f"{k:<28}{v}")
    return 0


def _read_profiles_arg(path: str):
    from vestige.kinship import KinshipInputError, read_profiles

    try:
        return read_profiles(path)
    except KinshipInputError as e:
        raise InvalidInput(str(e), field="file") from None


def _import_profiles(args, lookup, add, noun: str) -> int:
    """A profiles CSV whose sample column names a record (``lookup``); ``add`` stores each profile.
    One transaction: an unknown name or a bad profile leaves nothing imported."""
    setup_django()
    from django.db import transaction

    actor = _actor(args)
    profiles = _read_profiles_arg(args.file)
    with transaction.atomic():
        for name, genotypes in profiles.genotypes.items():
            target = lookup(name)
            if target is None:
                raise NotFound(f"{args.file}: {name!r} is not known; nothing was imported")
            add(actor, target, genotypes)
    print(f"{args.file}: {len(profiles.genotypes)} {noun} recorded")
    return 0


def cmd_import_samples(args) -> int:
    """Profiles CSV whose sample column is the remains' body number; one DNA sample each."""
    setup_django()
    from vestige.identification.services import add_remains_sample
    from vestige.registry.models import Remains

    return _import_profiles(
        args, lambda body: Remains.objects.filter(body_number=body).first(),
        lambda actor, r, g: add_remains_sample(actor, r, g, material=args.material, lab=args.lab, kit=args.kit, via="cli"),
        "remains samples")


def cmd_import_references(args) -> int:
    """Profiles CSV whose sample column is the donor's code."""
    setup_django()
    from vestige.missing.models import Donor
    from vestige.missing.services import add_reference_profile

    return _import_profiles(
        args, lambda code: Donor.objects.filter(code=code).first(),
        lambda actor, d, g: add_reference_profile(actor, d, g, lab=args.lab, kit=args.kit, source=str(args.file), via="cli"),
        "reference profiles")


def cmd_missing_import(args) -> int:
    setup_django()
    from vestige.missing.importing import import_persons

    return _run_import(args, import_persons, "missing persons")


def _evidence_links(args) -> dict:
    return {k: getattr(args, k) for k in ("site", "grave", "remains") if getattr(args, k, None)}


def cmd_evidence_ingest(args) -> int:
    setup_django()
    from rich.progress import Progress

    from vestige.evidence import services

    actor = _actor(args)
    provenance = {"source": args.source, "source_url": args.source_url, "collected_by": args.collected_by,
                  "method": args.method, "acquired_at": services.acquired(args.acquired_at),
                  "source_hash": args.source_hash}
    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("ingesting", total=None)
        results = services.ingest_paths(actor, args.paths, progress=lambda n, t: bar.update(task, completed=n, total=t),
                                        provenance=provenance, links=_evidence_links(args), graphic=not args.not_graphic)
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            print(f"{r.name}: skipped: {r.error}", file=sys.stderr)
        else:
            state = "new" if r.created else "already held (provenance added)"
            steps = f"; failed steps: {', '.join(r.failed_steps)}" if r.failed_steps else ""
            print(f"{r.item.ref}\t{r.item.blob.sha256}\t{state}\t{r.name}{steps}")
    return 2 if failed else 0


def cmd_evidence_import_archiver(args) -> int:
    setup_django()
    from vestige.evidence.archiver import import_archive

    results = import_archive(_actor(args), args.path, links=_evidence_links(args))
    bad = 0
    for r in results:
        if r.error:
            bad += 1
            print(f"{r.name}: skipped: {r.error}", file=sys.stderr)
        else:
            warn = f"; failed checks: {', '.join(r.failed_steps)}" if r.failed_steps else ""
            bad += bool(r.failed_steps)
            print(f"{r.item.ref}\t{r.item.blob.sha256}\t{'new' if r.created else 'already held'}\t{r.name}{warn}")
    return 2 if bad else 0


def cmd_evidence_public_key(args) -> int:
    """Print the custody ledger's Ed25519 public key (PEM), for anyone to check tree heads."""
    setup_django()
    from vestige.evidence import custody

    sys.stdout.write(custody.signer().public_pem().decode())
    return 0


def cmd_evidence_verify(args) -> int:
    setup_django()
    from vestige.evidence import services

    if not args.items and not args.all:
        raise InvalidInput("name items to verify, or --all", field="items")
    problems = services.verify(_actor(args), None if args.all else args.items)
    for p in problems:
        print(f"FAIL {p}")
    if not problems:
        print("OK: blobs, rows, the custody chain, the Merkle tree and the signed tree heads all verify")
    return 6 if problems else 0


def cmd_evidence_export(args) -> int:
    setup_django()
    from vestige.evidence import bag
    from vestige.evidence.models import EvidenceItem

    actor = _actor(args)
    qs = EvidenceItem.objects.select_related("blob")
    if args.site:
        qs = qs.filter(links__site__ref=args.site).distinct()
    elif args.items:
        qs = qs.filter(ref__in=args.items)
        missing = set(args.items) - set(qs.values_list("ref", flat=True))
        if missing:
            raise NotFound(f"no evidence item {', '.join(sorted(missing))}")
    elif not args.all:
        raise InvalidInput("choose --site REF, --items REF..., or --all", field="items")
    out = bag.export(actor, list(qs.order_by("ref")), args.out)
    print(f"wrote a BagIt bag of {qs.count()} items to {out}; check it with: python {out}/data/verify.py {out}")
    return 0


def cmd_evidence_verify_bag(args) -> int:
    setup_django()
    from vestige.evidence import bag

    problems = bag.verify(args.dir)
    for p in problems:
        print(f"FAIL {p}")
    if not problems:
        print("OK: the bag, every file, the custody events and the signed tree head verify")
    return 6 if problems else 0


def cmd_user_create(args) -> int:
    setup_django()
    from vestige.accounts.services import create_user

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if not password:
        import secrets
        password = secrets.token_urlsafe(12)
        print(f"password: {password}")
    user = create_user(args.username, password, args.role)
    print(f"created {user.username} ({user.role_label})")
    return 0


def cmd_token_create(args) -> int:
    setup_django()
    from vestige.accounts.services import create_token

    row, token = create_token(_actor(args), args.name)
    print(json.dumps({"id": row.pk, "name": row.name, "token": token}) if args.json else token)
    return 0


def cmd_token_list(args) -> int:
    setup_django()
    actor = _actor(args)
    for t in actor.api_tokens.all():
        state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d}"
        print(f"{t.pk}\t{t.prefix}…\t{t.name}\t{t.created_at:%Y-%m-%d}\t{state}")
    return 0


def cmd_token_revoke(args) -> int:
    setup_django()
    from vestige.accounts.services import revoke_token

    row = revoke_token(_actor(args), args.id)
    print(f"revoked token {row.pk} ({row.name})")
    return 0


# --- parser ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vestige", description="Vestige: registry of sites, graves and "
                                "remains; DNA kinship; evidence. Run `vestige COMMAND -h` for help.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        return sp

    def as_user(sp):
        sp.add_argument("--as", dest="as_user", metavar="USER", help="act as this user (default $VESTIGE_USER)")

    d = add("demo", cmd_demo, "migrate, load the Izium demo, create one user per role, serve")
    d.add_argument("--no-serve", action="store_true", help="load and exit")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", default=8000, type=int)

    s = add("serve", cmd_serve, "serve the web app (development server)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", default=8000, type=int)

    m = add("manage", cmd_manage, "run a Django management command (migrate, createsuperuser, ...)")
    m.add_argument("rest", nargs=argparse.REMAINDER)

    i = add("import", cmd_import, "import graves or remains from CSV or XLSX (all rows or none)")
    i.add_argument("kind", choices=["graves", "remains"])
    i.add_argument("file")
    i.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    i.add_argument("--json", action="store_true", help="print the report as JSON")
    as_user(i)

    c = sub.add_parser("claims", help="claims").add_subparsers(dest="sub", metavar="ACTION", required=True)
    ce = c.add_parser("export", help="write all claims as CSV to stdout")
    ce.set_defaults(fn=cmd_claims_export)
    ce.add_argument("--csv", action="store_true", help="CSV (the only format; the flag is accepted for clarity)")
    ce.add_argument("--include-withdrawn", action="store_true")

    inc = sub.add_parser("incidents", help="incidents").add_subparsers(dest="sub", metavar="ACTION", required=True)
    ii = inc.add_parser("import", help="import incidents from a CSV/XLSX in the ACLED column layout (all or none)")
    ii.set_defaults(fn=cmd_incidents_import)
    ii.add_argument("file")
    ii.add_argument("--dry-run", action="store_true")
    as_user(ii)

    idf = sub.add_parser("identify", help="identification: matching runs and statistics").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    ir = idf.add_parser("run", help="run the matching over all remains (or one site), with progress")
    ir.set_defaults(fn=cmd_identify_run)
    ir.add_argument("--site", help="only the remains of this site")
    ir.add_argument("--family", action="append", metavar="REF", help="only these families (repeat the option)")
    as_user(ir)
    ist = idf.add_parser("stats", help="missing, identified, accounted for, remains without candidate")
    ist.set_defaults(fn=cmd_identify_stats)
    ist.add_argument("--site")
    ist.add_argument("--json", action="store_true")
    isa = idf.add_parser("import-samples", help="remains DNA samples: profiles CSV, sample = body number")
    isa.set_defaults(fn=cmd_import_samples)
    isa.add_argument("file")
    isa.add_argument("--lab", required=True)
    isa.add_argument("--kit", required=True)
    isa.add_argument("--material", default="bone", choices=["bone", "tooth", "tissue", "other"])
    as_user(isa)

    ev = sub.add_parser("evidence", help="the evidence vault").add_subparsers(dest="sub", metavar="ACTION", required=True)
    ei = ev.add_parser("ingest", help="ingest files, folders (recursively) and zip archives")
    ei.set_defaults(fn=cmd_evidence_ingest)
    ei.add_argument("paths", nargs="+", metavar="PATH")
    for opt in ("site", "remains"):
        ei.add_argument(f"--{opt}", metavar="REF", help=f"link every item to this {opt}")
    ei.add_argument("--grave", metavar="SITE#LABEL", help="link every item to this grave, e.g. IZM-PISH#319")
    ei.add_argument("--source", help="where the files came from")
    ei.add_argument("--source-url", help="the original URL")
    ei.add_argument("--collected-by", help="who collected them")
    ei.add_argument("--acquired-at", help="when they were acquired (ISO 8601)")
    ei.add_argument("--method", help="how they were collected")
    ei.add_argument("--source-hash", help="a hash the source gave (checked on intake)")
    ei.add_argument("--not-graphic", action="store_true", help="do not blur these items in lists")
    as_user(ei)
    eaa = ev.add_parser("import-auto-archiver", help="import bellingcat auto-archiver output (JSON or CSV + media)")
    eaa.set_defaults(fn=cmd_evidence_import_archiver)
    eaa.add_argument("path", help="a metadata JSON/CSV file or a folder of them, with the media next to them")
    eaa.add_argument("--site", metavar="REF")
    eaa.add_argument("--grave", metavar="SITE#LABEL")
    eaa.add_argument("--remains", metavar="REF")
    as_user(eaa)
    evv = ev.add_parser("verify", help="re-hash blobs; check rows, the custody chain, the tree and signatures")
    evv.set_defaults(fn=cmd_evidence_verify)
    evv.add_argument("items", nargs="*", metavar="ITEM")
    evv.add_argument("--all", action="store_true")
    as_user(evv)
    ee = ev.add_parser("export", help="write a BagIt bag that anyone can verify")
    ee.set_defaults(fn=cmd_evidence_export)
    ee.add_argument("--site", metavar="REF")
    ee.add_argument("--items", nargs="+", metavar="REF")
    ee.add_argument("--all", action="store_true")
    ee.add_argument("--out", required=True, metavar="DIR")
    as_user(ee)
    epk = ev.add_parser("public-key", help="print the custody ledger's public key (PEM)")
    epk.set_defaults(fn=cmd_evidence_public_key)
    evb = ev.add_parser("verify-bag", help="verify an exported bag (as its own verify.py does)")
    evb.set_defaults(fn=cmd_evidence_verify_bag)
    evb.add_argument("dir")

    mi = sub.add_parser("missing", help="missing persons").add_subparsers(dest="sub", metavar="ACTION", required=True)
    mim = mi.add_parser("import", help="missing persons from CSV/XLSX (all rows or none)")
    mim.set_defaults(fn=cmd_missing_import)
    mim.add_argument("file")
    mim.add_argument("--dry-run", action="store_true")
    mim.add_argument("--json", action="store_true")
    as_user(mim)
    mir = mi.add_parser("import-references", help="reference profiles: profiles CSV, sample = donor code")
    mir.set_defaults(fn=cmd_import_references)
    mir.add_argument("file")
    mir.add_argument("--lab", required=True)
    mir.add_argument("--kit", required=True)
    as_user(mir)

    u = sub.add_parser("user", help="manage users").add_subparsers(dest="sub", metavar="ACTION", required=True)
    uc = u.add_parser("create", help="create a user")
    uc.set_defaults(fn=cmd_user_create)
    uc.add_argument("username")
    uc.add_argument("--role", required=True, help="administrator, investigator, forensic_examiner, "
                    "dna_analyst, family_liaison, analyst or auditor")
    uc.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

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

    try:
        from vestige.kinship.cli import add_kinship_commands
    except ImportError:  # the kinship package is optional while it is being built
        pass
    else:
        add_kinship_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "fn", None):
        parser.print_help()
        return 2
    try:
        return args.fn(args) or 0
    except VestigeError as e:
        err(e.message)
        return exit_code(e)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `vestige kinship search ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
