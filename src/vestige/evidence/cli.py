"""`vestige evidence ...`: the evidence vault from the command line."""

from __future__ import annotations

import sys

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.commands import actor_of, as_user, err, run_import, setup_django, stderr_console  # noqa: F401
from vestige.errors import ConfigurationError, IntegrityFailure, InvalidInput, NotFound  # noqa: F401
from vestige.evidence import (
    bag,
    capture,
    custody,
    ledger_check,
    objectstore,
    services,
    timestamps,
    witnessing,
)
from vestige.evidence.archiver import import_archive
from vestige.evidence.jobs import clean_failed_exports, reap_stale
from vestige.evidence.models import EvidenceItem
from vestige.housekeeping import clean
from vestige.ledger.note import COSIGNATURE_V1, NoteError, Verifier


def _evidence_links(args) -> dict:
    return {k: getattr(args, k) for k in ("site", "grave", "remains") if getattr(args, k, None)}


def cmd_evidence_ingest(args) -> int:
    setup_django()
    from rich.progress import Progress


    actor = actor_of(args)
    provenance = {"source": args.source, "source_url": args.source_url, "collected_by": args.collected_by,
                  "method": args.method, "acquired_at": services.acquired(args.acquired_at),
                  "source_hash": args.source_hash}
    with Progress(transient=True, console=stderr_console()) as bar:
        task = bar.add_task("ingesting", total=None)
        results = services.ingest_paths(actor, args.paths, progress=lambda n, t: bar.update(task, completed=n, total=t),
                                        provenance=provenance, links=_evidence_links(args), graphic=not args.not_graphic,
                                        case=args.case)
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

    results = import_archive(actor_of(args), args.path, links=_evidence_links(args))
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

    sys.stdout.write(custody.signer().public_pem().decode())
    print(f"fingerprint: {custody.fingerprint()}", file=sys.stderr)
    return 0


def cmd_evidence_head(args) -> int:
    """Print the newest signed tree head as JSON: keep it somewhere the database's owner cannot
    reach (another organisation, a printout, a notary) and later prove the log only grew."""
    setup_django()
    import json


    head = custody.newest_head()
    if head is None:
        raise NotFound("the custody ledger is empty: no head to print yet")
    print(json.dumps({**head.as_dict(), "key_fingerprint": custody.fingerprint()}, indent=1))
    return 0


def _witness_problems(vkeys: list[str], need: int | None) -> list[str]:
    """The kept cosignatures checked against witness keys the user obtained themselves."""

    keys = []
    for vkey in vkeys:
        try:
            key = Verifier.parse(vkey)
        except NoteError as e:
            raise InvalidInput(f"--witness: {e}", field="witness") from None
        if key.sig_type != COSIGNATURE_V1:
            raise InvalidInput(f"--witness {key.name}: not a witness key (type 0x04)", field="witness")
        keys.append(key)
    need = len(keys) if need is None else need
    if not 1 <= need <= len(keys):
        raise InvalidInput(f"--quorum {need}: between 1 and the {len(keys)} witness keys given", field="quorum")
    return witnessing.problems(keys, need)


def cmd_evidence_checkpoint(args) -> int:
    """Print the newest head as a C2SP checkpoint (signed note, with the witnesses' cosignatures),
    or with --vkey the log's verifier key for a witness operator's `vestige witness serve --log`."""
    setup_django()

    if args.vkey:
        print(witnessing.log_key().vkey())
        return 0
    record = custody.keep_head()
    if record is None:
        raise NotFound("the custody ledger is empty: no head to print yet")
    sys.stdout.write(witnessing.note_of(record).decode())
    return 0


def cmd_evidence_witnesses(args) -> int:
    """`push`: send the newest head to every witness now; `status`: what each has cosigned."""
    setup_django()

    if not witnessing.witnesses():
        raise NotFound("no witnesses: set VESTIGE_WITNESSES ('URL VKEY' per witness; see the README)")
    if args.action == "status":
        for line in witnessing.status_lines():
            print(line)
        return 0
    outcomes = witnessing.publish()
    for o in outcomes:
        print(f"{o.witness}\t{o.status}\t{o.detail}")
    cosigned = sum(o.status in ("cosigned", "already") for o in outcomes)
    if any(o.status == "refused" for o in outcomes):
        return 6
    return 0 if cosigned >= witnessing.quorum() else 1


def cmd_evidence_journal(args) -> int:
    """`evidence journal adopt`: start the head journal from the database's heads (a log kept
    before journals), after a full verify; `evidence journal show`: where it is, and its newest head."""
    setup_django()

    j = custody.journal()
    if args.action == "adopt":
        n = ledger_check.adopt_journal()
        print(f"the head journal {j.path} now holds the {n} heads kept so far")
        return 0
    last = j.last()
    print(f"head journal: {j.path}")
    print(f"newest head: {last.head.number} ({last.head.size} entries, {last.head.time})" if last else "empty")
    return 0


def cmd_evidence_verify(args) -> int:
    setup_django()
    from pathlib import Path


    if args.since_head:
        try:
            text = Path(args.since_head).read_text(encoding="utf-8")
        except OSError as e:
            raise InvalidInput(f"{args.since_head}: {e.strerror}", field="since_head") from None
        old, new, problems = ledger_check.verify_since(text)
        for p in problems:
            print(f"FAIL {p}")
        if not problems:
            print(f"OK: the log grew from head {old.number} ({old.size} entries) to head {new.number} "
                  f"({new.size} entries) without rewriting (RFC 9162 consistency proof)")
        if not args.items and not args.all:
            return 6 if problems else 0
    elif not args.items and not args.all:
        raise InvalidInput("name items to verify, or --all, or --since-head FILE", field="items")
    else:
        problems = []
    found = services.verify(actor_of(args), None if args.all else args.items)
    if args.witness:
        found += _witness_problems(args.witness, args.quorum)
    for p in found:
        print(f"FAIL {p}")
    if not found:
        print("OK: blobs, the facts of every item, the custody chain, the Merkle tree and every signed head verify")
    return 6 if problems or found else 0


def cmd_evidence_export(args) -> int:
    setup_django()

    actor = actor_of(args)
    qs = access.scope(EvidenceItem.objects.select_related("blob"), actor)
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
    info = (out / "bag-info.txt").read_text(encoding="utf-8")
    if "Vestige-Timestamp-Failures" in info:
        print("warning: " + next(line for line in info.splitlines() if line.startswith("Vestige-Timestamp-Failures")),
              file=sys.stderr)
    return 0


def cmd_evidence_verify_bag(args) -> int:
    setup_django()

    notes: list[str] = []
    problems = bag.verify(args.dir, args.fingerprint or "", notes, args.tsa_roots or "", args.witness, args.quorum)
    for p in problems:
        print(f"FAIL {p}")
    for n in notes:
        print(f"NOTE {n}")
    if not problems:
        print("OK: the bag, every file, the custody events and the signatures verify")
    return 6 if problems else 0


def cmd_evidence_capture(args) -> int:
    """Capture web pages: a signed WACZ, a screenshot, the text and the media of each."""
    setup_django()
    from rich.progress import Progress


    actor = actor_of(args)
    require(actor, Cap.EVIDENCE_WRITE)
    with Progress(transient=True, console=stderr_console()) as bar:
        task = bar.add_task("capturing", total=100)
        results = capture.capture_many(actor, args.urls, site=args.site or "",
                                       progress=lambda p, m: bar.update(task, completed=p, description=m[:70]))
    failed = 0
    for r in results:
        if r.error:
            failed += 1
            print(f"{r.url}: not captured: {r.error}", file=sys.stderr)
            continue
        for item in r.items:
            print(f"{item.ref}\t{item.blob.sha256}\t{item.media_type}\t{item.derivation or 'capture'}\t{r.url}")
    return 2 if failed else 0


def cmd_evidence_timestamp(args) -> int:
    """Timestamp the newest signed tree head with every configured TSA (RFC 3161)."""
    setup_django()

    if not timestamps.configured():
        raise ConfigurationError("no Time-Stamping Authority: set VESTIGE_TSA_URLS (and VESTIGE_TSA_ROOTS)")
    head = custody.keep_head()
    if head is None:
        raise NotFound("the custody ledger is empty: no head to timestamp yet")
    failed = 0
    for url, row, error in timestamps.stamp(head):
        if row is not None:
            print(f"head {head.number}\t{row.time}\t{row.tsa_name or url}\t{url}")
        else:
            failed += 1
            print(f"head {head.number}: {url}: {error}", file=sys.stderr)
    return 6 if failed else 0


def cmd_evidence_cleanup(args) -> int:
    """Remove temporary intake files (and unconfirmed staged imports) left by a crash."""
    setup_django()
    from pathlib import Path

    from django.conf import settings


    reap_stale()  # a dead worker's job is failed first, so that its export is cleaned below
    removed = clean(Path(settings.VESTIGE_HOME), args.max_age) + clean_failed_exports()
    for path, size in removed:
        print(f"removed\t{size}\t{path}")
    print(f"{len(removed)} file(s), {sum(n for _p, n in removed) / 1e6:.1f} MB removed", file=sys.stderr)
    return 0


def cmd_evidence_migrate_store(args) -> int:
    setup_django()
    from rich.progress import Progress


    if not objectstore.configured():
        raise ConfigurationError("set VESTIGE_BLOB_STORE=s3://bucket/prefix (a bucket with Object Lock) first")
    with Progress(transient=True, console=stderr_console()) as bar:
        task = bar.add_task("copying and proving blobs", total=None)
        counts = objectstore.migrate(progress=lambda i, n: bar.update(task, completed=i, total=n))
    print(f"{counts['copied']} copied, {counts['already']} already in the bucket, {counts['proved']} proved by "
          f"their SHA-256 from the bucket")
    for p in counts["problems"]:
        err(p)
    if counts["problems"]:
        raise IntegrityFailure(f"{len(counts['problems'])} blob(s) could not be proved")
    return 0


def add_commands(sub) -> None:
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
    ei.add_argument("--case", metavar="CODE", help="the case the items belong to (when not linked to a record)")
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
    evv.add_argument("--since-head", metavar="FILE",
                     help="a head printed earlier by `vestige evidence head`: prove the log only grew since")
    evv.add_argument("--witness", action="append", metavar="VKEY",
                     help="a witness's verifier key, obtained from the witness itself: the heads' cosignatures are "
                          "checked against it (repeat for several)")
    evv.add_argument("--quorum", type=int, default=None, metavar="N",
                     help="how many of the --witness keys must have cosigned a head (default: all)")
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
    evb.add_argument("--fingerprint", metavar="SHA256:...", help="the ledger key's fingerprint, obtained out of band")
    evb.add_argument("--tsa-roots", metavar="PEM", help="TSA root certificates you trust (default: the bag's own)")
    evb.add_argument("--witness", action="append", default=[], metavar="VKEY",
                     help="a witness's verifier key, obtained from the witness: its cosignature must verify (repeat)")
    evb.add_argument("--quorum", type=int, default=None, metavar="N", help="how many must have cosigned (default all)")
    ecap = ev.add_parser("capture", help="capture web pages: signed WACZ (WARC), screenshot, text and media (yt-dlp)")
    ecap.set_defaults(fn=cmd_evidence_capture)
    ecap.add_argument("urls", nargs="+", metavar="URL")
    ecap.add_argument("--site", metavar="REF", help="link the captured items to this site")
    as_user(ecap)
    ets = ev.add_parser("timestamp", help="timestamp the newest signed tree head with the TSAs of VESTIGE_TSA_URLS (RFC 3161)")
    ets.set_defaults(fn=cmd_evidence_timestamp)
    ec = ev.add_parser("cleanup", help="remove temporary intake files left by an interrupted intake")
    ec.set_defaults(fn=cmd_evidence_cleanup)
    ec.add_argument("--max-age", type=float, default=None, metavar="SECONDS",
                    help="only files untouched this long (default VESTIGE_TMP_STALE_S, an hour)")
    em = ev.add_parser("migrate-store", help="copy the local blobs into VESTIGE_BLOB_STORE (S3, Object Lock) and "
                       "prove every copy by its hash")
    em.set_defaults(fn=cmd_evidence_migrate_store)
    eh = ev.add_parser("head", help="print the newest signed tree head (JSON), to keep outside the system")
    eh.set_defaults(fn=cmd_evidence_head)
    ecp = ev.add_parser("checkpoint", help="print the newest head as a C2SP checkpoint with its cosignatures "
                        "(or, with --vkey, the log's verifier key for witness operators)")
    ecp.set_defaults(fn=cmd_evidence_checkpoint)
    ecp.add_argument("--vkey", action="store_true", help="print the log's verifier key instead")
    ew = ev.add_parser("witnesses", help="the witnesses of VESTIGE_WITNESSES: push the newest head to them now, or "
                       "show what each has cosigned")
    ew.set_defaults(fn=cmd_evidence_witnesses)
    ew.add_argument("action", choices=["push", "status"])
    ej = ev.add_parser("journal", help="the head journal outside the database: show it, or adopt the database's "
                       "heads into a new one (a log kept before journals; only after a full verify)")
    ej.set_defaults(fn=cmd_evidence_journal)
    ej.add_argument("action", choices=["show", "adopt"])

