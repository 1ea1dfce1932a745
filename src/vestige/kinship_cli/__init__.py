"""``vestige kinship lr | search | joint | pm-match | plan | simulate | check | familias | relate``:
the command on files alone (no database, no Django) — a door over the pure core
:mod:`vestige.kinship`, which it reads and prints but never holds: ``args`` (the options every
command shares), ``output`` (JSON lines), ``lineage`` (the Y, mtDNA, X, SNP and linkage options),
``check``, ``familias``, ``relate``.

``--json`` writes JSON to stdout; progress and messages go to stderr. Input errors print
``error: FILE, line N: ...`` and exit 2.
"""

from __future__ import annotations

import gc
import json
import math
import sys
import time

from vestige.kinship.error_rates import error_rates
from vestige.kinship.errors import KinshipError, KinshipInputError
from vestige.kinship.io import read_families, read_family, read_frequencies, read_profiles
from vestige.kinship.joint import JointOptions, joint_identification
from vestige.kinship.lineage_pairs import lineage_lr
from vestige.kinship.lr import json_lr, likelihood_ratio
from vestige.kinship.observe import Degradation
from vestige.kinship.plan import plan
from vestige.kinship.plan_lineage import lineage_plan
from vestige.kinship.pmmatch import pm_match, same_individual_groups
from vestige.kinship.search import SAMPLE_BLOCK, blind_search
from vestige.kinship.simulate import simulate, write
from vestige.kinship.snp.plan import snp_plan
from vestige.kinship_cli.args import (
    Progress,
    add_common_args,
    add_degradation_args,
    add_mutation_args,
    add_prior_args,
    amelogenin,
    degradation_of,
    fmt_lr,
    min_freq,
    mutation_of,
    prior_of,
    read_remains_arg,
    warn_added,
)
from vestige.kinship_cli.check import add_check_command
from vestige.kinship_cli.familias import add_familias_command
from vestige.kinship_cli.lineage import (
    add_lineage_args,
    add_linkage_args,
    linked_report,
    print_lineage,
    read_lineage,
    read_linkage,
    with_identity,
)
from vestige.kinship_cli.output import hit_json, hits_json  # noqa: F401  (hit_json: the writer's reference form)
from vestige.kinship_cli.relate import add_relate_command


def cmd_lr(args) -> int:

    table = read_frequencies(args.freqs)
    family = read_family(args.family)
    samples = [s for s in args.sample.split("+") if s]
    needed = {m.sample for m in family.typed} | set(samples)
    profiles = read_profiles(args.profiles, only=needed, table=table)
    sample_profiles = read_profiles(args.sample_profiles, only=set(samples), table=table) if args.sample_profiles else profiles
    for m in family.typed:
        if m.sample not in profiles.genotypes:
            raise KinshipInputError(f"{family.source}, member {m.id}",
                                    f"sample {m.sample!r} is not in the profiles ({profiles.source})")
    added = []
    if (mf := min_freq(args.add_missing_alleles)) is not None:
        added += sample_profiles.check_against(table, add_missing=mf, samples=samples)
        added += profiles.check_against(table, add_missing=mf, samples=[m.sample for m in family.typed])
    warn_added(added)
    dropout = {s: args.dropout for s in samples} if args.dropout is not None else {}
    dropin = {s: args.dropin for s in samples} if args.dropin is not None else {}
    if args.reference_dropout is not None:
        dropout.update({m.sample: args.reference_dropout for m in family.typed})
    result = likelihood_ratio(family, args.missing, samples, profiles, table, mutation_of(args),
                              theta=args.theta, sample_profiles=sample_profiles,
                              degradation=Degradation(dropout, dropin))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    out = result.as_dict()
    out.pop("markers_compared")
    linked = linked_report(args, family, result.missing, samples, profiles, sample_profiles, table, mutation_of(args),
                           result)
    if linked is not None:
        out["linked"] = linked
        for note in linked["notes"]:
            print(f"note: {note}", file=sys.stderr)
    lineage = read_lineage(args)
    systems = {}
    if lineage is not None:
        lineage.check([family], {})
        systems = lineage_lr(lineage, family, result.missing, samples)
        out["autosomal_log10_lr"] = result.log10_lr
        out["systems"] = systems
        base = linked["linked_log10_lr"] if linked and linked.get("linked_log10_lr") is not None else result.log10_lr
        combined = None if base is None else base + sum(
            e["log10_lr"] for e in systems.values() if e["log10_lr"] is not None)
        out["combined_log10_lr"] = combined
        out["combined_lr"] = json_lr(combined)
    if args.json:
        print(json.dumps(out, default=float))
    else:
        print(f"family {result.family}, missing {result.missing}, sample {result.sample}")
        for marker, v in result.markers.items():
            print(f"  {marker:<12}{v:>16.6g}")
        shown = "0 (excluded)" if result.log10_lr is None else f"{fmt_lr(result.log10_lr)} (log10 {result.log10_lr:.3f})"
        print(f"  {'total':<12}{shown:>16}")
        if linked is not None:
            for p in linked["pairs"]:
                print(f"  linked {p['markers'][0]}–{p['markers'][1]} ({p['cM']:.1f} cM, r {p['r']:.4f}): "
                      f"LR {p['linked_lr']:.6g} (unlinked {p['unlinked_lr']:.6g})")
            t = linked["linked_log10_lr"]
            if t is not None:
                print(f"  total with the pairs linked: {fmt_lr(t)} (log10 {t:.3f})")
        if systems:
            print_lineage(systems)
            c = out["combined_log10_lr"]
            print(f"  {'combined':<12}{'0 (excluded)' if c is None else fmt_lr(c) + f' (log10 {c:.3f})':>16}")
    return 0








def cmd_search(args) -> int:

    t0 = time.perf_counter()
    # The cyclic collector paused for the whole command: reading and searching build millions of
    # small objects that live to the end and form no cycles, which it would traverse again and
    # again (10,000 x 10,000: about 0.5 s); the command's memory is freed when it exits.
    collecting = gc.isenabled()
    gc.disable()
    try:
        table = read_frequencies(args.freqs)
        profiles = read_profiles(args.profiles, table=table)
        families = read_families(args.families, profiles)
        remains, refs = read_remains_arg(args, profiles, families)
        return _search(args, t0, table, profiles, families, remains, refs)
    finally:
        if collecting:
            gc.enable()


def _search(args, t0, table, profiles, families, remains, refs) -> int:

    # nothing to tear down but the search's objects (a Dask cluster is closed here, but its
    # library's exit handlers are left to run): the vestige command ends at once (vestige.cli.run)
    args.quick_exit = not (args.dask_scheduler or args.dask_workers)

    uncertain = amelogenin(args, profiles, remains)
    if (mf := min_freq(args.add_missing_alleles)) is not None:
        warn_added(profiles.check_against(table, add_missing=mf))
    degradation = degradation_of(args, remains, refs)
    items, bodies = remains.items(), remains.bodies()
    n_mp = sum(len(f.missing) for f in families)
    progress = Progress() if not args.quiet else None
    client = map_blocks = None
    if args.dask_scheduler or args.dask_workers:
        from vestige.kinship import distributed  # lazy: the optional dask extra
        client = distributed.connect(scheduler=args.dask_scheduler, workers=args.dask_workers)
        map_blocks = distributed.dask_map(client)
    try:
        res = blind_search(families, profiles, table, items, sexes={**remains.sexes, **{b: remains.sexes.get(ss[0], "unknown") for b, ss in bodies.items()}},
                           uncertain_sex=uncertain, mutation=mutation_of(args), degradation=degradation,
                           bodies=bodies, theta=args.theta, top=args.top, min_lr=args.min_lr, all_pairs=args.all,
                           compare_all_sexes=args.all_sexes, prior=prior_of(args.prior),
                           missing_total=args.missing_total, progress=progress, map_blocks=map_blocks,
                           threads=args.threads, lineage=read_lineage(args), linkage=read_linkage(args, table))
    finally:
        if progress:
            progress.close()
        if client is not None:
            from vestige.kinship import distributed  # lazy: the optional dask extra
            distributed.close(client)
    if map_blocks is not None and res.shard_seconds:
        sh = sorted(res.shard_seconds)
        print(f"dask: {len(sh)} shards of up to {SAMPLE_BLOCK} samples, {sum(sh):.2f} s of scoring in all "
              f"(median {sh[len(sh) // 2]:.3f} s, slowest {sh[-1]:.3f} s)", file=sys.stderr)
    print(f"searched {len(items)} samples against {n_mp} missing persons in {len(families)} families "
          f"({len(res.markers)} markers typed in both; prior per pair {res.prior:.3g})", file=sys.stderr)
    for fam, reason in res.skipped:
        print(f"warning: family {fam} skipped: {reason}", file=sys.stderr)
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    _sex_note(res, remains, families, args)
    write = sys.stdout.write
    if args.json:
        write(hits_json(res.hits, res.prior))
    else:
        for h in res.hits:
            lr = "0" if h.log10_lr is None else fmt_lr(h.log10_lr)
            flags = f"\t{','.join(h.flags)}" if h.flags else ""
            write(f"{h.sample}\t{h.family}\t{h.missing}\tLR {lr}\tposterior {h.posterior:.6f}\t"
                  f"{h.markers_compared} markers{flags}\n")
    print(f"{len(res.hits)} pairs reported in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


def _sex_note(res, remains, families, args) -> None:
    if args.all_sexes:
        return
    females = [s for s in remains.items() if remains.sexes.get(s) == "female"]
    male_mps = sum(1 for f in families for m in f.missing if f.by_id[m].sex == "male")
    if females and male_mps and not getattr(args, "sex_from_amelogenin", False):
        print(f"note: {len(females)} sample(s) recorded female were not compared with the {male_mps} male missing "
              "person(s); a female reading can be AMEL-Y drop-out in degraded bone (or an AMELY deletion): "
              "--sex-from-amelogenin or --all-sexes compares them, flagged", file=sys.stderr)


def cmd_joint(args) -> int:

    t0 = time.perf_counter()
    if args.json and args.jsonl:
        raise KinshipInputError("--jsonl", "give --json (one object) or --jsonl (one line a pairing), not both")
    table = read_frequencies(args.freqs)
    profiles = read_profiles(args.profiles, table=table)
    families = read_families(args.families, profiles)
    remains, refs = read_remains_arg(args, profiles, families)
    degradation = degradation_of(args, remains, refs)
    if args.top < 0:
        raise KinshipInputError("--top", f"{args.top} is negative")
    opts = JointOptions(threshold=args.threshold, strict=args.strict, prior=args.assignment_prior,
                        pair_prior=prior_of(args.prior), missing_total=args.missing_total,
                        max_assignments=args.max_assignments, ignore_sex=args.all_sexes,
                        disable_mutations=args.disable_mutations, theta=args.theta, top=args.top,
                        method=args.method, sweeps=args.sweeps, seed=args.seed)
    progress = Progress() if not args.quiet else None
    try:
        lineage = read_lineage(args)
        if lineage is not None:
            lineage.check(families, remains.sexes)
        res = joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                                   mutation=mutation_of(args), degradation=degradation, bodies=remains.bodies(),
                                   options=opts, progress=progress, lineage=lineage,
                                   linkage=read_linkage(args, table))
    finally:
        if progress:
            progress.close()
    for fam, reason in res.skipped:
        print(f"warning: family {fam} skipped: {reason}", file=sys.stderr)
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    for g in res.groups:
        if not g.exact:
            print(f"warning: a group of {len(g.victims)} remains and {len(g.targets)} missing persons is too large "
                  f"to solve exactly ({g.reason}); its posteriors are pairwise only", file=sys.stderr)
        elif g.sampled_error is not None:
            print(f"note: a group of {len(g.victims)} remains and {len(g.targets)} missing persons was too large to "
                  f"solve exactly; its marginals are sampled: {g.method}; each remains' marginals may be off by its "
                  f"own stated tolerance, at most {g.tolerance:.2g}",
                  file=sys.stderr)
    out = res.as_dict()
    if args.jsonl:
        for line in marginal_lines(out["marginals"]):
            print(json.dumps(line))
    elif args.json:
        print(json.dumps(out))
    else:
        for i, a in enumerate(out["assignments"], 1):
            pairs = ", ".join(f"{p['sample']}={p['missing']}" for p in a["pairs"]) or "(nobody)"
            print(f"{i:>3}  loglik {a['loglik']:.5f}  log10 LR {a['log10_lr']:.3f}  {pairs}")
        print("undisputed:", ", ".join(f"{u['sample']}={u['missing']}" for u in out["undisputed"]) or "none")
        for s in out["symmetric"]:
            print(f"cannot be told apart: {', '.join(s['samples'])} as {', '.join(s['missing'])} ({s['family']})")
    print(f"{len(out['groups'])} groups solved in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


def marginal_lines(marginals: list[dict]) -> list[dict]:
    """The joint result's pairings as the search writes its hits — one object each, with
    ``posterior`` the probability less its tolerance (what a decision may rely on; never below 0)
    — for the tools that read the search's lines; pairings of probability 0 left out, each
    sample's best first."""
    rows = [{"sample": m["sample"], "family": m["family"], "missing": m["missing"],
             "posterior": max(0.0, m["probability"] - m.get("tolerance", 0.0)), "probability": m["probability"],
             "tolerance": m.get("tolerance", 0.0), "exact": m.get("exact", True),
             **({"systems": m["systems"]} if "systems" in m else {})}
            for m in marginals if m["missing"] != "*" and m["probability"] > 0]
    return sorted(rows, key=lambda r: (r["sample"], -r["posterior"], -r["probability"], r["family"], r["missing"]))


def cmd_pm_match(args) -> int:

    table = read_frequencies(args.freqs)
    profiles = read_profiles(args.profiles, table=table)
    remains, _refs = read_remains_arg(args, profiles, [])
    degradation = degradation_of(args, remains, set())
    if args.min_lr is None or math.isnan(args.min_lr) or args.min_lr < 0:
        raise KinshipInputError("--min-lr", f"{args.min_lr} is not a non-negative number")
    progress = Progress() if not args.quiet else None
    try:
        pairs = pm_match(profiles, table, remains.samples, degradation=degradation, min_lr=args.min_lr,
                         progress=progress)
    finally:
        if progress:
            progress.close()
    pairs = with_identity(read_lineage(args), pairs)
    for p in pairs:
        if args.json:
            print(json.dumps(p.as_dict()))
        else:
            shown = "0" if p.log10_lr is None else fmt_lr(p.log10_lr)
            extra = "".join(f"\t{s}: {v['note']}" for s, v in (p.systems or {}).items())
            print(f"{p.sample_a}\t{p.sample_b}\tLR {shown}\t{p.markers_compared} markers{extra}")
    groups = same_individual_groups(pairs)
    for g in groups:
        print(f"proposed same individual: {' + '.join(g)}", file=sys.stderr)
    if args.bodies_out:
        with open(args.bodies_out, "w", encoding="utf-8") as f:
            f.write("sample,sex,body\n")
            body = {s: g[0] for g in groups for s in g}
            for s in remains.samples:
                f.write(f"{s},{remains.sexes.get(s, 'unknown')},{body.get(s, '')}\n")
        print(f"wrote {args.bodies_out} (give it as --samples to search or joint once the groups are confirmed)",
              file=sys.stderr)
    return 0


def cmd_plan(args) -> int:

    table = read_frequencies(args.freqs)
    family = read_family(args.family)
    profiles = read_profiles(args.profiles, only={m.sample for m in family.typed}, table=table)
    for m in family.typed:
        if m.sample not in profiles.genotypes:
            raise KinshipInputError(f"{family.source}, member {m.id}",
                                    f"sample {m.sample!r} is not in the profiles ({profiles.source})")
    cands = [c.strip() for c in args.candidates.split(",") if c.strip()] if args.candidates else None
    markers = [m.strip() for m in args.markers.split(",")] if args.markers else None
    result = plan(family, profiles, table, missing=args.missing, candidates=cands, markers=markers,
                  mutation=mutation_of(args))
    out = result.as_dict()
    if args.nsim > 0:
        rates = error_rates(family, profiles, table, missing=result.missing, markers=markers, mutation=mutation_of(args),
                            thresholds=tuple(args.thresholds), nsim=args.nsim, seed=args.seed)
        out["error_rates"] = rates.as_dict()
    lineage = read_lineage(args, need_profiles=False)
    if lineage is not None:
        if args.simulations < 2:
            raise KinshipInputError("--simulations", f"{args.simulations}: at least 2")
        if lineage.y is not None or lineage.mt is not None:
            found, notes = lineage_plan(family, result.missing, lineage, simulations=args.simulations, seed=args.seed)
            out["lineage"] = [c.as_dict() for c in found]
            out["lineage_notes"] = notes
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
        if lineage.snp is not None:
            found = snp_plan(family, result.missing, lineage.snp, candidates=cands, simulations=args.snp_simulations,
                             seed=args.seed)
            out["snp"] = [c.as_dict() for c in found]
    if args.json:
        print(json.dumps(out))
    else:
        print(f"family {out['family']}, missing {out['missing']}: exclusion power {out['exclusion_power']:.6f}, "
              f"expected log10 LR {out['expected_log10_lr']:.2f}")
        for c in out["candidates"]:
            print(f"  + {c['relative']:<16} exclusion power {c['exclusion_power']:.6f}  "
                  f"expected log10 LR {c['expected_log10_lr']:.2f}")
        for r in out.get("error_rates", {}).get("thresholds", []):
            print(f"  at LR {r['threshold']:g}: inclusion power {r['inclusion_power']:.4f} ± {r['inclusion_power_se']:.4f}; "
                  f"false-positive rate {r['false_positive_rate']:.3g} ± {r['false_positive_rate_se']:.2g} "
                  f"({out['error_rates']['simulations']} simulations, seed {out['error_rates']['seed']})")
        for c in out.get("snp", []):
            print(f"  + SNP panel on member {c['relative']} ({c['meioses']} free meioses{', typed' if c['typed'] else ''}): "
                  f"median log10 LR {c['median_log10_lr']:.1f}; LR >= 10^4 in {c['p_lr_1e4']:.0%}, >= 10^6 in "
                  f"{c['p_lr_1e6']:.0%}; unrelated LR < 1 in {c['unrelated_below_1']:.0%} ({c['simulations']} simulations)")
        for c in out.get("lineage", []):
            label = {"y": "Y-STRs", "mt": "mtDNA"}[c["system"]]
            print(f"  + {label} of member {c['relative']} ({c['meioses']} meioses{', typed' if c['typed'] else ''}): "
                  f"exclusion power {c['exclusion_power']:.6f}  expected log10 LR {c['expected_log10_lr']:.2f} "
                  f"± {c['standard_error']:.2f} ({c['simulations']} simulations)")
    return 0




def cmd_simulate(args) -> int:

    table = read_frequencies(args.freqs)
    markers = args.markers.split(",") if args.markers else None
    for m in markers or []:
        if m not in table.alleles:
            raise KinshipInputError("--markers", f"marker {m!r} is not in {table.source}")
    if args.families < 1 or args.remains < 0:
        raise KinshipInputError("--families", "give at least one family and zero or more remains")
    if not 0 <= args.unrelated_fraction <= 1:
        raise KinshipInputError("--unrelated-fraction", f"{args.unrelated_fraction} is not in [0, 1]")
    sim = simulate(table, args.families, args.remains, args.seed, markers=markers, mutation=mutation_of(args),
                   unrelated_fraction=args.unrelated_fraction, degraded_fraction=args.degraded_fraction,
                   dropout=args.sim_dropout)
    write(sim, args.out)
    true = sum(1 for t in sim.truth if t[1])
    print(f"wrote {len(sim.families)} families, {len(sim.remains)} remains ({true} of missing persons, "
          f"{len(sim.remains) - true} unrelated) to {args.out}", file=sys.stderr)
    return 0


def _run(fn):
    """Errors go up to ``vestige.cli.main``, which maps them through the one error table."""
    def wrapped(args) -> int:
        try:
            return fn(args)
        except KinshipError:
            raise
        except ValueError as e:  # bad numbers in arguments
            raise KinshipInputError("", str(e)) from None
    return wrapped






def add_kinship_commands(sub) -> None:
    k = sub.add_parser("kinship", help="DNA kinship: LRs, blind search, joint identification, duplicates, planning",
                       description="Exact kinship likelihood ratios (validated against R dvir/forrel/pedprobr).")
    ks = k.add_subparsers(dest="sub", metavar="ACTION", required=True)

    lr = ks.add_parser("lr", help="LR that a sample is a family's missing person, per marker and in total")
    lr.set_defaults(fn=_run(cmd_lr))
    add_common_args(lr)
    lr.add_argument("--sample-profiles", help="profiles CSV of the sample, if not in --profiles")
    lr.add_argument("--family", required=True, help="family JSON")
    lr.add_argument("--sample", required=True, help="the sample; A+B combines two samples of one body")
    lr.add_argument("--missing", help="the missing person's id (needed when the family has several)")
    lr.add_argument("--theta", type=float, default=0.0, help="co-ancestry θ (Balding–Nichols, any pedigree)")
    lr.add_argument("--add-missing-alleles", metavar="MINFREQ", help="add alleles absent from the table at this frequency")
    lr.add_argument("--json", action="store_true")
    add_mutation_args(lr)
    add_degradation_args(lr)
    add_lineage_args(lr)
    add_linkage_args(lr)

    s = ks.add_parser("search", help="every sample against every missing person of every family")
    s.set_defaults(fn=_run(cmd_search))
    add_common_args(s)
    s.add_argument("--families", required=True, nargs="+", metavar="PATH", help="family JSON files or folders")
    s.add_argument("--samples", metavar="FILE|GLOB",
                   help="CSV (sample[,sex,dropout,dropin,body]) or remains.json, or a glob of sample names "
                        "(default: every profile that is not a family reference)")
    s.add_argument("--sexes", help="sample sexes: CSV sample,sex or remains.json")
    s.add_argument("--sex-from-amelogenin", action="store_true",
                   help="read sexes from the AMEL marker; a female reading is uncertain (compared with men, flagged)")
    s.add_argument("--top", type=int, default=5, help="best candidates per sample (default 5)")
    s.add_argument("--min-lr", type=float, help="also every pair with LR at least this")
    s.add_argument("--all", action="store_true", help="every compared pair")
    s.add_argument("--all-sexes", action="store_true", help="compare pairs whose sexes differ too (flagged)")
    s.add_argument("--theta", type=float, default=0.0, help="co-ancestry θ (exact per pair: slower)")
    s.add_argument("--add-missing-alleles", metavar="MINFREQ")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.add_argument("--dask-scheduler", metavar="ADDRESS", help="score the samples on this Dask cluster (extra [dask])")
    s.add_argument("--dask-workers", type=int, metavar="N", help="score on a local Dask cluster of N worker processes")
    s.add_argument("--threads", type=int, metavar="N", default=None,
                   help="threads that score the samples on this machine (default: one per core; same output)")
    add_prior_args(s)
    add_mutation_args(s)
    add_degradation_args(s)
    add_lineage_args(s)
    add_linkage_args(s)

    j = ks.add_parser("joint", help="joint identification: every admissible assignment, marginals, GLR, undisputed")
    j.set_defaults(fn=_run(cmd_joint))
    add_common_args(j)
    j.add_argument("--families", required=True, nargs="+", metavar="PATH", help="family JSON files or folders")
    j.add_argument("--remains", "--samples", dest="remains", metavar="FILE|GLOB",
                   help="remains.json or CSV sample[,sex,dropout,dropin,body] (default: every non-reference profile)")
    j.add_argument("--top", type=int, default=10, help="best assignments listed (default 10)")
    j.add_argument("--assignment-prior", choices=["pairwise", "flat"], default="pairwise",
                   help="pairwise (default; the --prior per pairing) or flat over all admissible assignments "
                        "(dvir's Bmarginal)")
    j.add_argument("--threshold", type=float, default=1e4, help="LR threshold for undisputed pairings (1e4)")
    j.add_argument("--strict", action="store_true", help="undisputed: every other LR of the pair must be ≤ 1")
    j.add_argument("--max-assignments", type=int, default=2_000_000, help="per group before pruning (2e6)")
    j.add_argument("--method", choices=("auto", "enumerate", "frontier", "sample"), default="auto",
                   help="how groups are solved: auto (list the assignments, else dynamic programming, else cut "
                        "weak pairings, else sample), or only one way")
    j.add_argument("--sweeps", type=int, default=20_000, help="sampler: sweeps per chain (4 chains; 20,000)")
    j.add_argument("--seed", type=int, default=1, help="sampler: seed of the first chain")
    j.add_argument("--disable-mutations", choices=["never", "consistent", "always"], default="never",
                   help="consistent: no mutation model in families whose references need none (dvir's NA)")
    j.add_argument("--all-sexes", action="store_true", help="ignore sex when pairing")
    j.add_argument("--theta", type=float, default=0.0, help="co-ancestry θ within each family")
    j.add_argument("--quiet", action="store_true")
    j.add_argument("--json", action="store_true")
    j.add_argument("--jsonl", action="store_true",
                   help="one JSON object a pairing (sample, family, missing, posterior = probability less its "
                        "tolerance, probability, tolerance, exact, systems), as the search writes its hits")
    add_prior_args(j)
    add_mutation_args(j)
    add_degradation_args(j)
    add_lineage_args(j)
    add_linkage_args(j)

    pm = ks.add_parser("pm-match", help="remains samples that are the same person (several bones of one body)")
    pm.set_defaults(fn=_run(cmd_pm_match))
    add_common_args(pm)
    pm.add_argument("--samples", metavar="FILE|GLOB", help="which samples (default: every profile)")
    pm.add_argument("--min-lr", type=float, default=1e6, help="report pairs with LR at least this (1e6)")
    pm.add_argument("--bodies-out", metavar="FILE.csv", help="write sample,sex,body with the proposed groups")
    pm.add_argument("--quiet", action="store_true")
    pm.add_argument("--json", action="store_true")
    add_degradation_args(pm)
    add_lineage_args(pm)

    pl = ks.add_parser("plan", help="exclusion power of a family, and which relative to ask for")
    pl.set_defaults(fn=_run(cmd_plan))
    add_common_args(pl)
    pl.add_argument("--family", required=True)
    pl.add_argument("--missing", help="the missing person (when the family has several)")
    pl.add_argument("--candidates", help="relatives to consider: father,mother,sibling,child,members")
    pl.add_argument("--markers", help="markers the lab types (default: those in the profiles file)")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--simulations", type=int, default=400,
                    help="Monte Carlo draws per lineage candidate (default 400; its standard error is printed)")
    pl.add_argument("--seed", type=int, default=1, help="seed of the lineage and SNP simulations (default 1)")
    pl.add_argument("--nsim", type=int, default=10_000,
                    help="simulations for the inclusion power and false-positive rate (default 10,000; 0: none)")
    pl.add_argument("--thresholds", type=float, nargs="+", default=[1e4, 1e6],
                    help="LR thresholds for the error rates (default 1e4 1e6)")
    pl.add_argument("--snp-simulations", type=int, default=50,
                    help="Monte Carlo draws per relative for a SNP panel (--snp-panel; default 50)")
    add_mutation_args(pl)
    add_lineage_args(pl)

    add_relate_command(ks, _run)
    add_check_command(ks, _run)
    add_familias_command(ks, _run)

    sim = ks.add_parser("simulate", help="simulate families, references, remains and a truth file")
    sim.set_defaults(fn=_run(cmd_simulate))
    sim.add_argument("--freqs", required=True)
    sim.add_argument("--families", type=int, required=True)
    sim.add_argument("--remains", type=int, required=True)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--out", required=True)
    sim.add_argument("--markers", help="comma-separated markers (default: all in the table)")
    sim.add_argument("--unrelated-fraction", type=float, default=0.2, help="share of remains unrelated to any family")
    sim.add_argument("--degraded-fraction", type=float, default=0.0, help="share of remains with drop-out")
    sim.add_argument("--sim-dropout", type=float, default=0.1, help="drop-out probability of degraded remains")
    add_mutation_args(sim)
