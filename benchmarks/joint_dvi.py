"""Joint identification: dvir's full tables, and a simulated mass grave.

1. dvir's ``grave`` (23-member pedigree with a loop, 8 missing; 52,564 sex-consistent
   assignments) and ``planecrash`` (5 families, proportional mutation; 19,081): the whole joint
   table, marginals, GLR and undisputed. Anchor: dvir 3.4.2's ``dviJoint`` took 1,634 s and
   1,025 s on this machine; target ≤ 2 s each.
2. A simulated grave: 500 remains and 300 families of which 60 lost 2–4 members together
   (vestige.kinship.simulate.household), 21 GlobalFiler markers, equal mutation 0.001, 30 % of
   the remains degraded (drop-out 0.1, declared): target ≤ 60 s. Prints the groups (how many,
   largest, how many needed a cut-off and the bound it reports, any too large), and the
   identification outcome against the truth at a marginal ≥ 0.9995: right, wrong, missed.

    python benchmarks/joint_dvi.py [--remains 500] [--families 300] [--multi 60] [--seed 3]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "kinship"
GLOBALFILER = ("D3S1358 VWA D16S539 CSF1PO TPOX D8S1179 D21S11 D18S51 D2S441 D19S433 TH01 FGA "
               "D22S1045 D5S818 D13S317 D7S820 SE33 D10S1248 D1S1656 D12S391 D2S1338").split()


def dvir_tables() -> None:
    from vestige.kinship import read_families, read_frequencies, read_mutation, read_profiles
    from vestige.kinship.joint import JointOptions, joint_identification
    from vestige.kinship.mutation import MutationModel
    from vestige.kinship.remains import read_remains

    for name, anchor in (("dvir-grave", 1634), ("dvir-planecrash", 1025)):
        d = DATA / name
        t0 = time.perf_counter()
        table = read_frequencies(d / "freqs.csv")
        profiles = read_profiles(d / "profiles.csv")
        families = read_families([d / "families"], profiles)
        mutation = read_mutation(d / "mutation.json") if (d / "mutation.json").exists() else MutationModel()
        remains = read_remains(d / "remains.json")
        res = joint_identification(families, profiles, table, remains.items(), sexes=remains.sexes,
                                   mutation=mutation, options=JointOptions(prior="flat"))
        dt = time.perf_counter() - t0
        print(f"{name:<16} {res.admissible:>7,} admissible assignments ({sum(g.count for g in res.groups):,} "
              f"with non-zero likelihood enumerated)  {dt:6.2f} s   (dvir dviJoint {anchor} s: "
              f"{anchor / dt:,.0f}× faster)")


def grave(args) -> None:
    import numpy as np

    from vestige.kinship.io import FrequencyTable, Profiles, family_from_dict, read_frequencies
    from vestige.kinship.joint import JointOptions, joint_identification
    from vestige.kinship.mutation import MutationModel
    from vestige.kinship.observe import Degradation
    from vestige.kinship.simulate import simulate

    full = read_frequencies(DATA / "norwegian-35-markers.csv")
    table = FrequencyTable({m: full.alleles[m] for m in GLOBALFILER}, {m: full.freqs[m] for m in GLOBALFILER})
    mutation = MutationModel.uniform("equal", 0.001)
    sim = simulate(table, args.families, args.remains, args.seed, mutation=mutation, multi_missing=args.multi,
                   degraded_fraction=0.3, dropout=0.1)
    profiles = Profiles(sim.profiles, "sim")
    families = [family_from_dict(f, f["family"], profiles) for f in sim.families]
    items = [r[0] for r in sim.remains]
    sexes = {r[0]: r[1] for r in sim.remains}
    deg = Degradation({r[0]: r[2] for r in sim.remains if len(r) > 2})
    n_mp = sum(len(f.missing) for f in families)
    t0 = time.perf_counter()
    res = joint_identification(families, profiles, table, items, sexes=sexes, mutation=mutation, degradation=deg,
                               options=JointOptions())
    dt = time.perf_counter() - t0
    sizes = sorted((len(g.victims) for g in res.groups), reverse=True)
    cut = [g for g in res.groups if g.exact and g.cutoff > 0]
    inexact = [g for g in res.groups if not g.exact]
    print(f"grave: {len(items)} remains ({sum(1 for r in sim.remains if len(r) > 2)} degraded), {len(families)} "
          f"families, {n_mp} missing ({args.multi} families lost 2–4 together), 21 markers")
    print(f"  solved in {dt:.1f} s (target ≤ 60 s); {len(res.groups)} groups, largest {sizes[:5]}; "
          f"{len(cut)} needed a cut-off (worst bound {max((g.tolerance for g in cut), default=0):.2g}); "
          f"{len(inexact)} too large ({sum(len(g.victims) for g in inexact)} remains, pairwise posteriors)")
    truth = {s: (f, m) for s, f, m in sim.truth if f}
    best = {}
    for m in (x.as_dict() for x in res.marginals):  # certain beyond the group's stated tolerance
        if m["missing"] != "*" and m["probability"] - m.get("tolerance", 0.0) >= 0.9995:
            best[m["sample"]] = (m["family"], m["missing"])
    right = sum(1 for s, fm in best.items() if truth.get(s) == fm)
    wrong = sum(1 for s, fm in best.items() if truth.get(s) != fm)
    print(f"  identified at marginal − tolerance ≥ 0.9995: {right} right, {wrong} wrong, {len(truth) - right} of "
          f"{len(truth)} true remains not (yet) identified; {len(res.undisputed)} undisputed, "
          f"{len(res.symmetric)} symmetric groups")
    degraded = {r[0] for r in sim.remains if len(r) > 2}
    print(f"    of them degraded remains: {sum(1 for s, fm in best.items() if s in degraded and truth.get(s) == fm)} "
          f"of {sum(1 for s in truth if s in degraded)}")
    # The same grave read as the first engine did: one allele seen read as a homozygote, no drop-out.
    naive = Profiles({s: {m: (a, a if b is None else b) for m, (a, b) in g.items()} for s, g in sim.profiles.items()},
                     "naive")
    old = joint_identification(families, naive, table, items, sexes=sexes, mutation=mutation, options=JointOptions())
    got = {}
    for m in (x.as_dict() for x in old.marginals):
        if m["missing"] != "*" and m["probability"] - m.get("tolerance", 0.0) >= 0.9995:
            got[m["sample"]] = (m["family"], m["missing"])
    print(f"  drop-out ignored (single alleles read as homozygotes): degraded remains identified "
          f"{sum(1 for s, fm in got.items() if s in degraded and truth.get(s) == fm)}, wrong "
          f"{sum(1 for s, fm in got.items() if truth.get(s) != fm)}")
    print(f"  peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    _ = np


def chain() -> None:
    """3. A connected group no listing can solve: remains i may be missing person i or i + 1
    (LR 1000 and 10), F(2n + 2) assignments; the dynamic programme (joint/frontier.py)."""
    import math

    import numpy as np

    from vestige.kinship.joint.frontier import Unit, solve

    for n in (100, 1000):
        options = [[i, i + 1] for i in range(n)]
        units = [Unit([j], [[i for i in (j - 1, j) if 0 <= i < n]]) for j in range(n + 1)]
        pair = np.zeros((n, n + 2))
        for i in range(n):
            pair[i, i], pair[i, i + 1] = math.log(1000), math.log(10)
        t0 = time.perf_counter()
        res = solve(options, pair, np.zeros(n), units, n + 1, k=10)
        print(f"chain of {n} remains × {n + 1} missing: 10^{res.log_count / math.log(10):.0f} assignments, exact "
              f"marginals, GLRs and 10 best in {time.perf_counter() - t0:.2f} s (width {res.width}, {res.states} states)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--remains", type=int, default=500)
    ap.add_argument("--families", type=int, default=300)
    ap.add_argument("--multi", type=int, default=60)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--skip-dvir", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    chain()
    if not args.skip_dvir:
        dvir_tables()
    grave(args)


if __name__ == "__main__":
    main()
