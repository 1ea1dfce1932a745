"""`vestige dvi ...`: dental charts and comparison, implants, comparisons (ACE-V), the board, exchange."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.commands import actor_of, as_user, print_json_lines, run_import, setup_django
from vestige.dvi import board
from vestige.dvi.exchange import export, load
from vestige.dvi.importing import import_dental, import_records
from vestige.dvi.models import Comparison
from vestige.dvi.services import (
    dental_matches,
    find_owner,
    implant_matches,
    record_comparison,
    verify_comparison,
)
from vestige.errors import InvalidInput, NotFound
from vestige.osteology.mni import InventoryError, mni, read_inventory
from vestige.osteology.pairmatch import (
    OsteometryError,
    read_measurements,
    reference_pairs,
    sort_pairs,
)


def cmd_dental_match(args) -> int:
    setup_django()

    rows = dental_matches(actor_of(args), remains=args.remains or "", top=args.top)
    if args.json:
        print_json_lines(rows)
        return 0
    for r in rows:
        print(f"{r['remains']}{'' if r['usable'] else '  (no informative tooth: not usable)'}")
        for c in r["candidates"]:
            print(f"  {c['rank']}. {c['missing_person']}\t{c['name']}\tscore {c['score']:+.1f}\t"
                  f"concordant {c['concordant']}, explainable {c['explainable']}, incompatible {c['incompatible']}")
            for t in c.get("teeth", []):
                am = (t["am"] or {}).get("state", "—")
                pm = (t["pm"] or {}).get("state", "—")
                print(f"      {t['tooth']}  AM {am:<16} PM {pm:<16} {t['verdict']:<13} {t['reason']}")
        if not r["candidates"]:
            print("  no ante-mortem chart to compare")
    return 0


def cmd_implant_match(args) -> int:
    setup_django()

    rows = implant_matches(actor_of(args))
    if args.json:
        print_json_lines(rows)
    else:
        for r in rows:
            print(f"{r['remains']}\t{r['missing_person']}\t{r['maker']}\t{r['serial']}"
                  f"{'' if r['makers_agree'] else '  (makers differ)'}")
        if not rows:
            print("no implant serial number is recorded on both sides")
    return 0


def _actor_who_may(args, cap: str):
    """The acting user, refused before any record is looked up when the role lacks the capability
    named ``cap`` (a :class:`vestige.accounts.roles.Cap` member's name)."""

    actor = actor_of(args)
    require(actor, Cap[cap])
    return actor


def _pair(actor, body: str, ref: str):
    return find_owner(actor, "pm", body), find_owner(actor, "am", ref)


def cmd_board(args) -> int:
    setup_django()

    actor = _actor_who_may(args, "IDENT_READ")
    remains, person = _pair(actor, args.remains, args.missing_person)
    data = board.summary(board.board(actor, remains, person))
    if args.json:
        print(json.dumps(data, default=str))
    else:
        print(f"{data['remains']} / {data['missing_person']}: established by "
              f"{', '.join(data['established_by']) or 'no primary identifier'}")
        for c in data["conflicts"]:
            print(f"  conflict: {c}")
    return 0


def cmd_compare(args) -> int:
    setup_django()

    actor = _actor_who_may(args, "DVI_COMPARE")
    remains, person = _pair(actor, args.remains, args.missing_person)
    c = record_comparison(actor, args.method, remains, person, args.conclusion, note=args.note or "", via="cli")
    print(f"comparison {c.pk}: {c} (awaiting verification by a second examiner)")
    return 0


def cmd_verify(args) -> int:
    setup_django()

    if args.agree == args.disagree:
        raise InvalidInput("give --agree or --disagree")
    actor = _actor_who_may(args, "DVI_COMPARE")
    c = access.get(actor, Comparison, pk=args.comparison)
    c = verify_comparison(actor, c, args.agree, args.note or "", via="cli")
    print(f"comparison {c.pk}: {c.get_verification_display()}")
    return 0


def cmd_propose(args) -> int:
    setup_django()

    actor = _actor_who_may(args, "BOARD")
    remains, person = _pair(actor, args.remains, args.missing_person)
    basis = args.basis or board.default_basis(board.board(actor, remains, person))
    ident = board.propose(actor, remains, person, basis, conflicts_explained=args.explain or "", via="cli")
    print(f"identification {ident.pk} proposed ({ident.identified_by}); a second board member confirms it with "
          f"`vestige identify decide {ident.pk} --confirm`")
    return 0


def cmd_export(args) -> int:
    setup_django()

    text = json.dumps(export(actor_of(args), case=args.case or ""), ensure_ascii=False, indent=1, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text + "\n")
    return 0


def cmd_load(args) -> int:
    setup_django()

    path = Path(args.file)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    counts = load(actor_of(args), path.read_bytes(), via="cli")
    print(f"{path}: {counts['charts']} charts and {counts['records']} records written, {counts['unchanged']} unchanged")
    return 0


def cmd_import(args) -> int:
    setup_django()

    fn = import_dental if args.what == "dental" else import_records
    return run_import(args, lambda actor, f, name, **kw: fn(actor, args.side, f, name, **kw),
                      f"{args.what} ({args.side.upper()})")


def cmd_pair_match(args) -> int:
    """Osteometric pair-matching of commingled left and right elements (OsteoSort's test); no
    database: two CSV files in, a table or JSON out."""
    try:
        reference = reference_pairs(read_measurements(Path(args.reference).read_text(encoding="utf-8"),
                                                      Path(args.reference).name))
        bones = read_measurements(Path(args.bones).read_text(encoding="utf-8"), Path(args.bones).name)
        tests, notes = sort_pairs(bones, reference, alpha=args.alpha, absolute=not args.signed,
                                  power=not args.no_power, tails=args.tails)
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(f"cannot read: {e}", field="file") from None
    except OsteometryError as e:
        raise InvalidInput(str(e), field="file") from None
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        for t in tests:
            print(json.dumps(t.as_dict()))
        return 0
    print(f"{'element':<10}{'left':<14}{'right':<14}{'measurements':<28}{'D':>8}{'ref n':>7}{'p':>9}  result")
    for t in tests:
        print(f"{t.element:<10}{t.left:<14}{t.right:<14}{','.join(t.measurements)[:27]:<28}{t.d_value:>8.4f}"
              f"{t.reference_pairs:>7}{t.p_value:>9.4f}  {'excluded' if t.excluded else 'cannot exclude'}")
    return 0


def cmd_mni(args) -> int:
    """The minimum number of individuals of each context of a skeletal inventory (and of all of
    them together); no database: a CSV in, a table or JSON out."""
    path = Path(args.inventory)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{path.name}: cannot read ({e})", field="file") from None
    try:
        counts = mni(read_inventory(text, path.name), min_completeness=args.min_completeness)
    except InventoryError as e:
        raise InvalidInput(str(e), field="file") from None
    if args.json:
        for c in counts:
            print(json.dumps(c.as_dict(), ensure_ascii=False))
        return 0
    for c in counts:
        print(f"{c.context}: MNI {c.mni}" + (f" (by {', '.join(c.by)})" if c.by else ""))
        for e in c.elements:
            print(f"  {e.element:<22} L {e.left:>3}  R {e.right:>3}  U {e.unsided:>3}  -> {e.count:>3}"
                  + (f"   ({e.excluded} not counted: {args.min_completeness:g} % complete or less)" if e.excluded else ""))
    return 0


def add_commands(sub) -> None:
    d = sub.add_parser("dvi", help="disaster victim identification: dental, implants, fingerprints, the board, "
                       "exchange").add_subparsers(dest="sub", metavar="ACTION", required=True)
    dm = d.add_parser("dental-match", help="every PM dental chart against every AM chart, ranked (a tooth table "
                      "with --remains)")
    dm.set_defaults(fn=cmd_dental_match)
    dm.add_argument("--remains", metavar="BODY", help="one body, with its tooth table")
    dm.add_argument("--top", type=int, default=5, help="candidates per body (default 5)")
    dm.add_argument("--json", action="store_true", help="one JSON object per body")
    as_user(dm)
    im = d.add_parser("implant-match", help="implant serial numbers recorded both ante and post mortem")
    im.set_defaults(fn=cmd_implant_match)
    im.add_argument("--json", action="store_true")
    as_user(im)
    pm = d.add_parser("pair-match", help="could a left and a right bone come from one person? (osteometric "
                      "pair-matching, OsteoSort's t-test)")
    pm.set_defaults(fn=cmd_pair_match)
    pm.add_argument("--reference", required=True, metavar="CSV",
                    help="known pairs: id,element,side,measurement,value (both sides of each reference person)")
    pm.add_argument("--bones", required=True, metavar="CSV", help="the commingled elements, same columns")
    pm.add_argument("--alpha", type=float, default=0.1, help="exclusion level (default 0.1, as OsteoSort)")
    pm.add_argument("--tails", type=int, choices=[1, 2], default=1, help="t-distribution tails (default 1)")
    pm.add_argument("--signed", action="store_true", help="the signed model Σ(L − R) instead of Σ|L − R|")
    pm.add_argument("--no-power", action="store_true", help="without the half-normal power transformation")
    pm.add_argument("--json", action="store_true", help="one JSON object a pair")
    mn = d.add_parser("mni", help="minimum number of individuals of each context of a skeletal inventory")
    mn.set_defaults(fn=cmd_mni)
    mn.add_argument("inventory", metavar="CSV", help="context,element,side,completeness: one skeletal element a row "
                    "(side L, R, M or U; completeness in percent)")
    mn.add_argument("--min-completeness", type=float, default=50.0, metavar="PCT",
                    help="count only elements more complete than this (default 50)")
    mn.add_argument("--json", action="store_true", help="one JSON object a context")
    b = d.add_parser("board", help="every identifier of one body against one missing person")
    b.set_defaults(fn=cmd_board)
    b.add_argument("remains", metavar="BODY")
    b.add_argument("missing_person", metavar="REF")
    b.add_argument("--json", action="store_true")
    as_user(b)
    c = d.add_parser("compare", help="record an examiner's dental or fingerprint conclusion (ACE-V)")
    c.set_defaults(fn=cmd_compare)
    c.add_argument("remains", metavar="BODY")
    c.add_argument("missing_person", metavar="REF")
    c.add_argument("--method", required=True, choices=["dental", "fingerprints", "reconciliation"])
    c.add_argument("--conclusion", required=True, choices=["identification", "possible", "inconclusive", "exclusion"])
    c.add_argument("--note")
    as_user(c)
    v = d.add_parser("verify", help="verify (or dispute) another examiner's conclusion")
    v.set_defaults(fn=cmd_verify)
    v.add_argument("comparison", type=int)
    v.add_argument("--agree", action="store_true")
    v.add_argument("--disagree", action="store_true")
    v.add_argument("--note")
    as_user(v)
    p = d.add_parser("propose", help="propose an identification at the board (a primary identifier must establish it)")
    p.set_defaults(fn=cmd_propose)
    p.add_argument("remains", metavar="BODY")
    p.add_argument("missing_person", metavar="REF")
    p.add_argument("--basis", help="default: what the board's figures state")
    p.add_argument("--explain", help="how the conflicts the board lists are explained")
    as_user(p)
    e = d.add_parser("export", help="a case's AM and PM data as the documented exchange JSON")
    e.set_defaults(fn=cmd_export)
    e.add_argument("--case", metavar="CODE")
    e.add_argument("--out", metavar="FILE")
    as_user(e)
    ld = d.add_parser("load", help="import an exchange JSON (all or nothing; twice changes nothing)")
    ld.set_defaults(fn=cmd_load)
    ld.add_argument("file")
    as_user(ld)
    ii = d.add_parser("import", help="CSV/XLSX: dental charts (a row per tooth) or records (a row per record)")
    ii.set_defaults(fn=cmd_import)
    ii.add_argument("what", choices=["dental", "records"])
    ii.add_argument("side", choices=["am", "pm"])
    ii.add_argument("file")
    ii.add_argument("--dry-run", action="store_true")
    ii.add_argument("--json", action="store_true")
    as_user(ii)
