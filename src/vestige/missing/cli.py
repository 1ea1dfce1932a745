"""`vestige missing ...`: the register of the missing, pedigrees and reference profiles."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.commands import actor_of, as_user, run_import, setup_django, stderr_console
from vestige.errors import NotFound
from vestige.missing import lists
from vestige.missing.importing import import_persons, import_references
from vestige.missing.models import Family, Member, MissingPerson, PersonList
from vestige.missing.pedigrees import (
    add_relative,
    import_pedigrees,
    parse_match,
    remove_member,
    update_member,
)
from vestige.missing.services import kinship_family
from vestige.tables import write_csv


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def cmd_missing_import(args) -> int:
    setup_django()

    return run_import(args, import_persons, "missing persons")


def cmd_import_references(args) -> int:
    """A lab's profiles file (CSV or GeneMapper export) whose sample column is the donor code."""
    setup_django()

    return run_import(args, lambda actor, f, name, **kw: import_references(
        actor, f, name, lab=args.lab, kit=args.kit, dropout=args.dropout, single=args.single, **kw),
        "reference profiles")


def cmd_import_pedigrees(args) -> int:
    """Pedigrees from CSV/XLSX rows, the kinship engine's family JSON files or GEDCOM trees (a file or a folder)."""
    setup_django()

    path = Path(args.file)
    if path.is_dir():
        files = sorted([*path.glob("*.json"), *path.glob("*.ged"), *path.glob("*.GED")])
        if not files:
            raise NotFound(f"{path}: no *.json family files or *.ged family trees in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise NotFound(f"{path}: no such file or folder")
    payload = [(str(f), f.read_bytes()) for f in files]

    def importer(actor, _f, _name, **kw):
        return import_pedigrees(actor, payload, into=args.into or "",
                                match=parse_match(",".join(args.match or [])), **kw)

    args.file = str(files[0])
    return run_import(args, importer, "pedigree members")


def cmd_relative_add(args) -> int:
    setup_django()

    family = access.get(actor_of(args), Family, ref=args.family)
    m = add_relative(actor_of(args), family, args.relation, args.of, sex=args.sex, code=args.code or "",
                     other_parent=args.other_parent or "", label=args.label or "", deceased=args.deceased, via="cli")
    print(f"{family.ref}: added {m.code} ({args.relation} of {args.of})")
    return 0


def _member(family_ref: str, code: str, actor):

    m = access.scope(Member.objects.filter(family__ref=family_ref, code=code), actor).select_related("family").first()
    if m is None:
        raise NotFound(f"no member {code!r} in family {family_ref!r}")
    return m


def cmd_member_update(args) -> int:
    setup_django()

    actor = actor_of(args)
    m = update_member(actor, _member(args.family, args.member, actor), sex=args.sex, father=args.father,
                      mother=args.mother, code=args.code, label=args.label,
                      deceased=None if args.deceased is None else args.deceased == "yes", via="cli")
    print(f"{args.family}: {m.code} saved")
    return 0


def cmd_member_remove(args) -> int:
    setup_django()

    actor = actor_of(args)
    remove_member(actor, _member(args.family, args.member, actor), via="cli")
    print(f"{args.family}: {args.member} removed")
    return 0


def cmd_family_show(args) -> int:
    """A family's pedigree as the kinship engine's JSON (no DNA, no contacts)."""
    setup_django()

    actor = actor_of(args)
    require(actor, Cap.MISSING_READ)
    family = access.get(actor, Family, ref=args.family)
    donors = {d.member_id: d.code for d in family.donors.all()}
    k = kinship_family(family, typed=donors, require_missing=False)
    print(json.dumps({"family": k.name, "members": [
        {"id": m.id, "sex": m.sex, **({"father": m.father, "mother": m.mother} if m.father else {}),
         **({"missing": True} if m.missing else {}), **({"sample": m.sample} if m.sample else {}),
         **({"deceased": True} if m.deceased else {})} for m in k.members]}, indent=1))
    return 0


def cmd_list_import(args) -> int:
    """Another organisation's list of people (CSV/XLSX), stored as it came, for reconciliation."""
    setup_django()

    def importer(actor, f, name, **kw):
        return lists.import_list(actor, f, name, lists.ListInfo(
            args.name or Path(name).stem, args.source, args.received_on, args.case or None, args.threshold), **kw)

    return run_import(args, importer, "list rows")


def _list(args):
    actor = actor_of(args)
    return actor, access.get(actor, PersonList, ref=args.list)


def cmd_list_link(args) -> int:
    """Link the list's undecided rows with the register (here and now, not as a task)."""
    setup_django()

    actor, plist = _list(args)
    with stderr_console().status(f"linking {plist.ref} ({plist.rows} rows) with the register"):
        out = lists.link_list(actor, plist, threshold=args.threshold, via="cli")
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{plist.ref}: {out['proposals']} proposals for {out['rows']} undecided rows against "
              f"{out['register']} register records" + ("" if out["trained"] else " (prior m values: too few rows)"))
    return 0


def cmd_list_show(args) -> int:
    """The list's rows with their proposals and decisions (CSV on stdout, or a file)."""
    setup_django()

    actor, plist = _list(args)
    require(actor, Cap.MISSING_READ)
    qs = plist.entries.all()
    if args.status:
        qs = qs.filter(status=args.status)
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            write_csv(f, lists.entry_rows(qs))
        print(f"{plist.ref}: {qs.count()} rows written to {args.out}")
    else:
        write_csv(sys.stdout, lists.entry_rows(qs))
    return 0


def cmd_list_decide(args) -> int:
    """A person's decision on one line: accept, reject, new (a new register record) or reopen."""
    setup_django()

    actor, plist = _list(args)
    entry = plist.entries.filter(line=args.line).first()
    if entry is None:
        raise NotFound(f"no line {args.line} in {plist.ref}")
    person = access.get(actor, MissingPerson, ref=args.person) if args.person else None
    entry = lists.decide(actor, entry, args.decision, person=person, note=args.note or "", via="cli")
    print(f"{plist.ref} line {entry.line}: {entry.status}" + (f" {entry.person.ref}" if entry.person else ""))
    return 0


RELATIONS = ("father", "mother", "full_sibling", "half_sibling_paternal", "half_sibling_maternal", "child",
             "spouse")  # = pedigrees.RELATIONS (the parser is built without Django)


def add_commands(sub) -> None:
    mi = sub.add_parser("missing", help="missing persons, families and their pedigrees").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    mim = mi.add_parser("import", help="missing persons from CSV/XLSX (all rows or none)")
    mim.set_defaults(fn=cmd_missing_import)
    mim.add_argument("file")
    mim.add_argument("--dry-run", action="store_true")
    mim.add_argument("--json", action="store_true")
    as_user(mim)
    mir = mi.add_parser("import-references", help="reference profiles: CSV or GeneMapper export, sample = donor code")
    mir.set_defaults(fn=cmd_import_references)
    mir.add_argument("file")
    mir.add_argument("--lab", required=True)
    mir.add_argument("--kit", required=True)
    mir.add_argument("--dropout", type=float, default=0.0, help="drop-out probability of degraded references")
    mir.add_argument("--single", choices=["homozygote", "dropout", "refuse"], help="one allele written at a marker: homozygote (default for clean profiles: GeneMapper writes a homozygote once), dropout (default with --dropout), or refuse")
    mir.add_argument("--dry-run", action="store_true")
    mir.add_argument("--json", action="store_true")
    as_user(mir)
    mip = mi.add_parser("import-pedigrees", help="pedigrees: CSV/XLSX family,member,sex,father,mother,missing_ref,"
                        "donor_code — or family JSON files (a file or a folder)")
    mip.set_defaults(fn=cmd_import_pedigrees)
    mip.add_argument("file")
    mip.add_argument("--into", metavar="FAMILY", help="a GEDCOM tree: import it into this existing family "
                     "(default: a new family named after the file)")
    mip.add_argument("--match", action="append", metavar="MEMBER=MP-REF", help="a GEDCOM tree: this individual "
                     "(e.g. I3) is that registered missing person (repeat; the dry run proposes them)")
    mip.add_argument("--dry-run", action="store_true")
    mip.add_argument("--json", action="store_true")
    as_user(mip)
    ra = mi.add_parser("add-relative", help="add a relative by relationship to a pedigree member")
    ra.set_defaults(fn=cmd_relative_add)
    ra.add_argument("family")
    ra.add_argument("relation", choices=list(RELATIONS))
    ra.add_argument("of", help="the pedigree id of the member they are related to")
    ra.add_argument("--sex", default="unknown", choices=["male", "female", "unknown"])
    ra.add_argument("--code", help="pedigree id for the new member (default: generated)")
    ra.add_argument("--other-parent", help="child: the pedigree id of the child's other parent")
    ra.add_argument("--label")
    ra.add_argument("--deceased", action="store_true")
    as_user(ra)
    mu = mi.add_parser("update-member", help="correct a pedigree member (sex, parents, id, relationship)")
    mu.set_defaults(fn=cmd_member_update)
    mu.add_argument("family")
    mu.add_argument("member")
    mu.add_argument("--sex", choices=["male", "female", "unknown"])
    mu.add_argument("--father", help="pedigree id ('' for none, with --mother '')")
    mu.add_argument("--mother")
    mu.add_argument("--code", help="a new pedigree id")
    mu.add_argument("--label")
    mu.add_argument("--deceased", choices=["yes", "no"])
    as_user(mu)
    mr = mi.add_parser("remove-member", help="remove a pedigree member who carries no data")
    mr.set_defaults(fn=cmd_member_remove)
    mr.add_argument("family")
    mr.add_argument("member")
    as_user(mr)
    li = mi.add_parser("list-import", help="another organisation's list of people (CSV/XLSX), for reconciliation")
    li.set_defaults(fn=cmd_list_import)
    li.add_argument("file")
    li.add_argument("--source", required=True, help="the organisation that compiled the list")
    li.add_argument("--name", help="the list's name (default: the file's name)")
    li.add_argument("--received-on", type=_date, help="YYYY-MM-DD")
    li.add_argument("--case", help="the case the list belongs to (its register is what it is linked against)")
    li.add_argument("--threshold", type=float, default=0.99, help="match probability of a proposal (default 0.99)")
    li.add_argument("--dry-run", action="store_true")
    li.add_argument("--json", action="store_true")
    as_user(li)
    ll = mi.add_parser("list-link", help="propose a register record for each undecided row of a list")
    ll.set_defaults(fn=cmd_list_link)
    ll.add_argument("list", help="the list's reference, e.g. LIST-0001")
    ll.add_argument("--threshold", type=float, help="match probability of a proposal (default: the list's)")
    ll.add_argument("--json", action="store_true")
    as_user(ll)
    ls = mi.add_parser("list-show", help="a list's rows with their proposals and decisions, as CSV")
    ls.set_defaults(fn=cmd_list_show)
    ls.add_argument("list")
    ls.add_argument("--status", choices=["unmatched", "proposed", "accepted", "rejected", "created"])
    ls.add_argument("--out", help="write the CSV to this file instead of standard output")
    as_user(ls)
    ld = mi.add_parser("list-decide", help="decide one line of a list: accept, reject, new or reopen")
    ld.set_defaults(fn=cmd_list_decide)
    ld.add_argument("list")
    ld.add_argument("line", type=int)
    ld.add_argument("decision", choices=["accept", "reject", "new", "reopen"])
    ld.add_argument("--person", help="accept: a register record other than the one proposed")
    ld.add_argument("--note")
    as_user(ld)
    fs = mi.add_parser("show-family", help="print a family's pedigree as kinship JSON")
    fs.set_defaults(fn=cmd_family_show)
    fs.add_argument("family")
    as_user(fs)
