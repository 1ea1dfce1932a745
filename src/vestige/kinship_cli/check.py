"""``vestige kinship check``: every family's typed relatives tested against the pedigree before
matching (forrel's checkPairwise; :mod:`vestige.kinship.check`). Exit 0 when nothing is flagged,
4 when some pair is (scripts can stop a matching run on it). With ``--victims``: remains tested
against each other, grouped into probable families (:mod:`vestige.kinship.victims`)."""

from __future__ import annotations

import argparse
import json
import math

from vestige.kinship.check import check_family
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import read_families, read_frequencies, read_profiles
from vestige.kinship.victims import related_victims, victim_groups

__all__ = ["add_check_command"]

FLAGGED_EXIT = 4


def cmd_victims(args, table) -> int:
    """Victims related to each other (parent–child, full siblings), grouped into probable families."""
    profiles = read_profiles(args.victims, table=table)
    samples = [s.strip() for s in args.samples.split(",") if s.strip()] if args.samples else profiles.samples
    unknown = [s for s in samples if s not in profiles.genotypes]
    if unknown:
        raise KinshipInputError("--samples", f"not in {args.victims}: {', '.join(unknown[:5])}")
    profiles.check_against(table, samples=samples)
    pairs = related_victims(profiles, table, samples, min_lr=args.min_lr)
    groups = victim_groups(pairs)
    if args.json:
        print(json.dumps({"pairs": [p.as_dict() for p in pairs], "groups": groups}))
        return 0
    print(f"{len(samples)} remains: {len(pairs)} pairs related at LR ≥ {args.min_lr:g}, {len(groups)} probable families")
    for k, g in enumerate(groups, 1):
        print(f"  family {k}: {', '.join(g)}")
    for p in pairs:
        print(f"    {p.a} – {p.b}: {p.relationship}, log10 LR {p.log10_lr:.2f} ({p.markers} markers)")
    return 0


def cmd_check(args) -> int:
    table = read_frequencies(args.freqs)
    if args.victims:
        return cmd_victims(args, table)
    if not (args.profiles and args.families):
        raise KinshipInputError("--families", "give --profiles and --families (references against their pedigrees) "
                                              "or --victims (remains against each other)")
    profiles = read_profiles(args.profiles, table=table)
    families = read_families(args.families, profiles)
    any_flag = False
    n_pairs = n_flagged = n_single = 0
    for family in families:
        checks = check_family(family, profiles, table, lr_threshold=args.lr_threshold, nsim=args.nsim,
                              p_threshold=args.p_threshold, seed=args.seed)
        flagged = [c for c in checks if c.flagged]
        any_flag |= bool(flagged)
        n_pairs += len(checks)
        n_flagged += len(flagged)
        if args.json:
            print(json.dumps({"family": family.name, "flagged": len(flagged), "pairs": [c.as_dict() for c in checks]}))
            continue
        if not checks:
            n_single += 1
            continue
        state = f"{len(flagged)} of {len(checks)} pairs FLAGGED" if flagged else f"{len(checks)} pairs consistent"
        print(f"family {family.name}: {state}")
        for c in checks:
            if not (c.flagged or args.all):
                continue
            k = "κ̂ (" + ", ".join(f"{x:.3f}" for x in c.estimate) + ")" if c.markers else "no common marker"
            ped = "" if c.pedigree is None else " vs (" + ", ".join(f"{x:.3f}" for x in c.pedigree) + ")"
            lr = "" if c.lr is None else (" LR ∞" if math.isinf(c.lr) else f" LR {c.lr:.3g}")
            pv = "" if c.pvalue is None else f" p {c.pvalue:.3g}"
            mark = "FLAGGED " if c.flagged else ""
            extra = f"; no allele in common at {', '.join(c.conflicts)}" if c.conflicts else ""
            print(f"  {mark}{c.a} – {c.b} ({c.relationship}, {c.markers} markers): {k}{ped}{lr}{pv}{extra}")
    if not args.json:
        print(f"{len(families)} families: {n_pairs} pairs of typed relatives checked, {n_flagged} flagged; "
              f"{n_single} with fewer than two typed members (nothing to check)")
    return FLAGGED_EXIT if any_flag else 0


def add_check_command(ks, run) -> None:
    p = ks.add_parser("check", help="test each family's typed relatives against the pedigree (before matching)",
                      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(fn=run(cmd_check))
    p.add_argument("--freqs", required=True, help="allele frequencies CSV")
    p.add_argument("--profiles", help="profiles CSV of the references")
    p.add_argument("--families", nargs="+", help="family JSON files or folders")
    p.add_argument("--victims", metavar="CSV", help="instead: remains' profiles, tested against each other as "
                                                     "parent–child and full siblings, grouped into probable families")
    p.add_argument("--samples", help="with --victims: the samples to compare (default all in the file)")
    p.add_argument("--min-lr", type=float, default=1e4, help="with --victims: LR to call a pair related (default 1e4)")
    p.add_argument("--lr-threshold", type=float, default=1000.0,
                   help="flag a pair whose estimated κ is this much likelier than the pedigree's (default 1000)")
    p.add_argument("--nsim", type=int, default=0, help="simulations for p-values (default 0: flag by LR)")
    p.add_argument("--p-threshold", type=float, default=0.05, help="with --nsim: flag p-values below (default 0.05)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--all", action="store_true", help="list every pair, not only the flagged ones")
    p.add_argument("--json", action="store_true", help="one JSON object a family")
