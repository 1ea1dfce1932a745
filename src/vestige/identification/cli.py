"""`vestige identify ...`: matching runs, candidates, the joint result, decisions, worklists."""

from __future__ import annotations

import datetime as dt
import json

from vestige import access
from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.commands import (
    actor_of,
    as_user,
    print_json_lines,
    run_import,
    setup_django,
    stderr_console,
)
from vestige.errors import InvalidInput, NotFound
from vestige.identification import lineage, services
from vestige.identification.lineage import import_lineage
from vestige.identification.models import (
    Candidate,
    DuplicateGroup,
    Identification,
    MatchingRun,
    RemainsSample,
)
from vestige.identification.samples import import_samples, set_sample_element
from vestige.identification.services import candidate_rows, current_run, joint_result, stats
from vestige.identification.worklists import worklist
from vestige.registry.models import Remains


def cmd_identify_run(args) -> int:
    setup_django()
    from rich.progress import Progress


    actor = actor_of(args)
    choice = {k: v for k, v in (("y", args.y_database), ("mt", args.mt_database), ("x", args.x_database),
                                ("snp", args.snp_panel)) if v}
    run = services.start_run(actor, site=args.site or "", families=args.family or [], background=False,
                             lineage=choice)
    with Progress(transient=True, console=stderr_console()) as bar:
        task = bar.add_task(f"matching run {run.pk}", total=100)
        run = services.execute_run(run.pk, progress=lambda pct: bar.update(task, completed=pct))
    print(f"run {run.pk}: {run.message} (engine {run.engine_seconds} s, in all {run.total_seconds} s)")
    for note in run.inputs.get("lineage_notes", []):
        print(f"note: {note}")
    return 0


def cmd_import_lineage(args) -> int:
    """A lab's Y-STR, mtDNA or X-STR file; the sample column is a sample's code, a body number or a donor's code."""
    setup_django()

    return run_import(args, lambda actor, f, name, **kw: import_lineage(actor, args.system, f, name, lab=args.lab,
                                                                        panel=args.panel or "", **kw),
                      {"y": "Y-STR profiles", "mt": "mtDNA profiles", "x": "X-STR profiles",
                       "snp": "SNP genotypes"}[args.system])


def cmd_databases(args) -> int:
    """`databases list`: the population databases; `databases add`: upload one with its provenance."""
    setup_django()
    from pathlib import Path


    if args.action == "add":
        missing = [flag for flag, v in (("--system", args.system), ("--name", args.name), ("--population", args.population),
                                        ("--source", args.source), ("FILE", args.file)) if not v]
        if missing:
            raise InvalidInput(f"databases add needs {', '.join(missing)}", field=missing[0].lstrip("-").lower())
        try:
            data = Path(args.file).read_bytes()
            model = Path(args.model).read_bytes() if args.model else None
        except OSError as e:
            raise InvalidInput(f"{e.filename}: {e.strerror}", field="file") from None
        db = lineage.add_database(actor_of(args), args.system, data, Path(args.file).name, name=args.name,
                                  population=args.population, source=args.source, model=model,
                                  model_name=Path(args.model).name if args.model else "")
        print(f"{db.pk}\t{db}")
        return 0

    require(actor_of(args), Cap.IDENT_READ)
    rows = [{"id": d.pk, "system": d.system, "name": d.name, "population": d.population, "rows": d.rows,
             "source": d.source, "sha256": d.sha256, "uploaded_at": d.uploaded_at.isoformat()}
            for d in lineage.databases(args.system)]
    if args.json:
        print_json_lines(rows)
    else:
        for r in rows:
            print(f"{r['id']}\t{r['system']}\t{r['name']}\t{r['population']}\t{r['rows']}\t{r['source']}")
    return 0


def cmd_identify_stats(args) -> int:
    setup_django()

    data = stats(args.site or "")
    if args.json:
        print(json.dumps(data))
    else:
        for k, v in data.items():
            print(f"{k:<28}{v}")
    return 0


def cmd_import_samples(args) -> int:
    """A lab's profiles file whose sample column is the remains' body number; one DNA sample each."""
    setup_django()

    return run_import(args, lambda actor, f, name, **kw: import_samples(
        actor, f, name, lab=args.lab, kit=args.kit, material=args.material, dropout=args.dropout, single=args.single,
        **kw),
        "remains samples")


def _run(args):

    run = MatchingRun.objects.filter(pk=args.run).first() if args.run else current_run()
    if run is None:
        raise NotFound("no matching run" + (f" {args.run}" if args.run else " yet: start one with `vestige identify run`"))
    return run


def cmd_candidates(args) -> int:
    setup_django()

    require(actor_of(args), Cap.IDENT_READ)

    rows = candidate_rows(_run(args), min_posterior=args.min_posterior, remains=args.remains or "",
                          missing_person=args.missing_person or "", actor=actor_of(args))
    if args.json:
        print_json_lines(rows)
    else:
        for r in rows:
            lr = "0" if r["log10_lr"] is None else f"10^{r['log10_lr']:.2f}"
            print(f"{r['body_number']}\t{r['missing_person']}\t{r['family']}/{r['member']}\tLR {lr}\t"
                  f"posterior {r['posterior']:.6f}\t{','.join(r['flags'])}")
    return 0


def cmd_joint(args) -> int:
    setup_django()

    require(actor_of(args), Cap.IDENT_READ)

    run = _run(args)
    out = joint_result(run, actor=actor_of(args))
    if args.json:
        print(json.dumps(out))
    else:
        for g in out["groups"]:
            sampled = f"sampled, each remains within its own tolerance (at most {g['tolerance']:.2g})"
            state = ("exact" if g["exact"] else sampled if g.get("method", "").startswith("sampler")
                     else "too large: pairwise only")
            print(f"group {g['index']}: {', '.join(g['remains'])} / {', '.join(g['missing'])} ({state})")
            for a in g.get("assignments", []):
                print(f"   log10 LR {a['log10_lr']:.2f}: " + ", ".join(f"{b}={m}" for b, m in a["pairs"]))
            for s in g.get("symmetric", []):
                print(f"   cannot be told apart: {', '.join(s['remains'])}")
    return 0


def cmd_worklist(args) -> int:
    setup_django()

    rows = worklist(args.name, actor_of(args))
    if args.json:
        print_json_lines(rows)
    else:
        for r in rows:
            print("\t".join(str(v) for k, v in r.items() if k != "url"))
        print(f"{len(rows)} item(s)")
    return 0


def _candidate(pk: int):

    c = Candidate.objects.filter(pk=pk).select_related("run", "remains", "missing_person").first()
    if c is None:
        raise NotFound(f"no candidate {pk}")
    return c


def _identification(pk: int):

    i = Identification.objects.filter(pk=pk).first()
    if i is None:
        raise NotFound(f"no identification {pk}")
    return i


def cmd_propose(args) -> int:
    setup_django()

    c = _candidate(args.candidate)
    basis = args.basis or services.basis_text(c)
    ident = services.propose(actor_of(args), c, basis, below_threshold_reason=args.reason or "", via="cli")
    print(f"identification {ident.pk} proposed: {c.remains.body_number} = {c.missing_person.ref}; a second person "
          f"confirms it with `vestige identify decide {ident.pk} --confirm`")
    return 0


def cmd_decide(args) -> int:
    setup_django()

    if args.confirm == args.reject:
        raise InvalidInput("say --confirm or --reject", field="decision")
    ident = services.decide(actor_of(args), _identification(args.identification), args.confirm, args.note or "",
                            via="cli")
    print(f"identification {ident.pk}: {ident.status}")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)", field="on") from None


def cmd_notify(args) -> int:
    setup_django()

    ident = services.record_notification(actor_of(args), _identification(args.identification), _date(args.on),
                                         args.how, via="cli")
    print(f"identification {ident.pk}: family notified on {ident.notified_on}")
    return 0


def cmd_return(args) -> int:
    setup_django()

    ident = services.record_return(actor_of(args), _identification(args.identification), _date(args.on), via="cli")
    print(f"identification {ident.pk}: remains returned on {ident.returned_on}")
    return 0


def cmd_duplicate_propose(args) -> int:
    setup_django()

    found = list(Remains.objects.filter(body_number__in=args.remains))
    missing = set(args.remains) - {r.body_number for r in found}
    if missing:
        raise NotFound(f"no remains {', '.join(sorted(missing))}")
    g = services.propose_duplicate(actor_of(args), found, args.basis, via="cli")
    print(f"group {g.pk} proposed: {g}")
    return 0


def cmd_duplicate_decide(args) -> int:
    setup_django()

    g = DuplicateGroup.objects.filter(pk=args.group).first()
    if g is None:
        raise NotFound(f"no group {args.group}")
    if args.confirm == args.reject:
        raise InvalidInput("say --confirm or --reject", field="decision")
    g = services.decide_duplicate(actor_of(args), g, args.confirm, args.note or "", via="cli")
    print(f"group {g.pk}: {g.status}")
    return 0


def cmd_resolve_sample(args) -> int:
    setup_django()

    s = RemainsSample.objects.filter(code=args.sample).first()
    if s is None:
        raise NotFound(f"no sample {args.sample!r}")
    if args.accept == args.exclude:
        raise InvalidInput("say --accept or --exclude", field="decision")
    s = services.resolve_sample(actor_of(args), s, args.accept, args.note, via="cli")
    print(f"{s.code}: {s.status}")
    return 0


def cmd_sample_element(args) -> int:
    """Record the bone of the skeletal inventory a DNA sample was cut from."""
    setup_django()

    actor = actor_of(args)
    sample = set_sample_element(actor, access.get(actor, RemainsSample, code=args.sample), args.element, via="cli")
    print(f"{sample.code}: cut from {sample.element.code} ({sample.element.element} {sample.element.side})")
    return 0


WORKLISTS = ("confirm", "notify", "return", "donors", "no-candidate", "duplicates", "discordant")  # = worklists.WORKLISTS


def add_commands(sub) -> None:
    idf = sub.add_parser("identify", help="identification: matching runs, candidates, decisions, worklists").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    ir = idf.add_parser("run", help="run the matching over all remains (or one site), with progress")
    ir.set_defaults(fn=cmd_identify_run)
    ir.add_argument("--site", help="only the remains of this site")
    ir.add_argument("--family", action="append", metavar="REF", help="only these families (repeat the option)")
    ir.add_argument("--y-database", metavar="ID", help="compare Y-STRs with this haplotype database (see `databases list`)")
    ir.add_argument("--mt-database", metavar="ID", help="compare mtDNA with this database")
    ir.add_argument("--x-database", metavar="ID", help="compare X-STRs with these frequencies and map")
    ir.add_argument("--snp-panel", metavar="ID", help="compare SNP genotypes on this panel (exact multipoint LR)")
    as_user(ir)
    il = idf.add_parser("import-lineage", help="Y-STR, mtDNA or X-STR profiles, or SNP genotypes (VCF), of remains "
                        "samples and donors")
    il.set_defaults(fn=cmd_import_lineage)
    il.add_argument("system", choices=["y", "mt", "x", "snp"])
    il.add_argument("file")
    il.add_argument("--lab", required=True)
    il.add_argument("--panel", help="snp: the SNP panel (a database's name) the VCF is checked against; "
                                    "needed when several are held")
    il.add_argument("--dry-run", action="store_true")
    il.add_argument("--json", action="store_true")
    as_user(il)
    idb = idf.add_parser("databases", help="population databases for Y-STR, mtDNA and X-STR, and SNP panels: list, "
                         "or add one with its provenance")
    idb.set_defaults(fn=cmd_databases)
    idb.add_argument("action", choices=["list", "add"])
    idb.add_argument("file", nargs="?", help="add: the database (Y: id then one column per locus; mtDNA: "
                     "id,range,variants; X: marker,allele,frequency; SNP: id chrom pos cM ref alt alt_freq)")
    idb.add_argument("--system", choices=["y", "mt", "x", "snp"])
    idb.add_argument("--name")
    idb.add_argument("--population", help="the population it samples (e.g. Ukraine, YHRD release 61)")
    idb.add_argument("--source", help="where it comes from: publication, release, laboratory")
    idb.add_argument("--model", metavar="JSON", help="Y and mtDNA: mutation rates; X: the genetic map (required)")
    idb.add_argument("--json", action="store_true")
    as_user(idb)
    ist = idf.add_parser("stats", help="missing, identified, accounted for, remains without candidate")
    ist.set_defaults(fn=cmd_identify_stats)
    ist.add_argument("--site")
    ist.add_argument("--json", action="store_true")
    isa = idf.add_parser("import-samples", help="remains DNA samples: CSV or GeneMapper export, sample = body number")
    isa.set_defaults(fn=cmd_import_samples)
    isa.add_argument("file")
    isa.add_argument("--lab", required=True)
    isa.add_argument("--kit", required=True)
    isa.add_argument("--material", default="bone", choices=["bone", "tooth", "tissue", "other"])
    isa.add_argument("--dropout", type=float, default=0.0, help="drop-out probability of these degraded samples")
    isa.add_argument("--single", choices=["homozygote", "dropout", "refuse"], help="one allele written at a marker: homozygote (default for clean profiles: GeneMapper writes a homozygote once), dropout (default with --dropout), or refuse")
    isa.add_argument("--dry-run", action="store_true")
    isa.add_argument("--json", action="store_true")
    as_user(isa)
    ic = idf.add_parser("candidates", help="the candidates of a run (default: the current one), best first")
    ic.set_defaults(fn=cmd_candidates)
    ic.add_argument("--run", type=int)
    ic.add_argument("--min-posterior", type=float, default=0.0)
    ic.add_argument("--remains", metavar="BODY")
    ic.add_argument("--missing-person", metavar="REF")
    ic.add_argument("--json", action="store_true", help="one JSON object per line")
    as_user(ic)
    ij = idf.add_parser("joint", help="the run's joint result: groups, best assignments, symmetric matches")
    ij.set_defaults(fn=cmd_joint)
    ij.add_argument("--run", type=int)
    ij.add_argument("--json", action="store_true")
    as_user(ij)
    iw = idf.add_parser("worklist", help="what waits: " + ", ".join(WORKLISTS))
    iw.set_defaults(fn=cmd_worklist)
    iw.add_argument("name", choices=list(WORKLISTS))
    iw.add_argument("--json", action="store_true")
    as_user(iw)
    ip = idf.add_parser("propose", help="propose a candidate as an identification")
    ip.set_defaults(fn=cmd_propose)
    ip.add_argument("candidate", type=int)
    ip.add_argument("--basis", help="the basis (default: what the candidate's figures state)")
    ip.add_argument("--reason", help="the reason, when the posterior is below 99.95 %")
    as_user(ip)
    idd = idf.add_parser("decide", help="confirm or reject a proposed identification (a second person)")
    idd.set_defaults(fn=cmd_decide)
    idd.add_argument("identification", type=int)
    idd.add_argument("--confirm", action="store_true")
    idd.add_argument("--reject", action="store_true")
    idd.add_argument("--note")
    as_user(idd)
    inn = idf.add_parser("notify", help="record that the family was told")
    inn.set_defaults(fn=cmd_notify)
    inn.add_argument("identification", type=int)
    inn.add_argument("--on", required=True, help="YYYY-MM-DD")
    inn.add_argument("--how", required=True)
    as_user(inn)
    irr = idf.add_parser("return", help="record the return of the remains")
    irr.set_defaults(fn=cmd_return)
    irr.add_argument("identification", type=int)
    irr.add_argument("--on", required=True, help="YYYY-MM-DD")
    as_user(irr)
    dp = idf.add_parser("same-body", help="propose that several remains are one person")
    dp.set_defaults(fn=cmd_duplicate_propose)
    dp.add_argument("remains", nargs="+", metavar="BODY")
    dp.add_argument("--basis", required=True)
    as_user(dp)
    dd = idf.add_parser("decide-same-body", help="confirm or reject a proposed same-individual group")
    dd.set_defaults(fn=cmd_duplicate_decide)
    dd.add_argument("group", type=int)
    dd.add_argument("--confirm", action="store_true")
    dd.add_argument("--reject", action="store_true")
    dd.add_argument("--note")
    as_user(dd)
    se = idf.add_parser("sample-element", help="record the inventory's bone a DNA sample was cut from")
    se.set_defaults(fn=cmd_sample_element)
    se.add_argument("sample", help="the sample's code")
    se.add_argument("element", help="the bone's code in the skeletal inventory, e.g. EL-000012")
    as_user(se)
    rs = idf.add_parser("resolve-sample", help="accept or exclude a sample that disagrees with its body")
    rs.set_defaults(fn=cmd_resolve_sample)
    rs.add_argument("sample")
    rs.add_argument("--accept", action="store_true")
    rs.add_argument("--exclude", action="store_true")
    rs.add_argument("--note", required=True)
    as_user(rs)
