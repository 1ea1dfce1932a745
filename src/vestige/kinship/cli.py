"""``vestige kinship lr | search | simulate``: works on files alone, no database.

``--json`` writes JSON to stdout; progress and messages go to stderr. Input errors print
``error: FILE, line N: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from pathlib import Path

from vestige.kinship.errors import KinshipError, KinshipInputError


def _mutation(args):
    from vestige.kinship.io import read_mutation
    from vestige.kinship.mutation import MutationModel

    if args.mutation and args.mutation_model:
        raise KinshipInputError("--mutation", "give a mutation file or --mutation-model, not both")
    if args.mutation:
        return read_mutation(args.mutation)
    if args.mutation_model:
        try:
            return MutationModel.uniform(args.mutation_model, args.mutation_rate, args.mutation_rate2,
                                         args.mutation_range)
        except ValueError as e:
            raise KinshipInputError("--mutation-model", str(e)) from None
    return MutationModel()


def _add_mutation_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("mutation (default: none)")
    g.add_argument("--mutation", metavar="FILE.json", help="per-marker, per-sex models (pedmut definitions)")
    g.add_argument("--mutation-model", choices=["none", "equal", "proportional", "stepwise"])
    g.add_argument("--mutation-rate", type=float, default=0.001, help="(default 0.001)")
    g.add_argument("--mutation-rate2", type=float, default=0.0, help="stepwise: rate to/from microvariants")
    g.add_argument("--mutation-range", type=float, default=0.5, help="stepwise: relative probability of one more step")


def _min_freq(value: str | None) -> float | None:
    if value is None:
        return None
    f = float(value)
    if not 0 < f < 1:
        raise KinshipInputError("--add-missing-alleles", f"{value} is not a frequency in (0, 1)")
    return f


def _warn_added(added) -> None:
    for marker, allele, f in added:
        print(f"note: allele {allele} of {marker} is not in the frequency table; added at frequency {f}",
              file=sys.stderr)


def cmd_lr(args) -> int:
    from vestige.kinship.io import read_family, read_frequencies, read_profiles
    from vestige.kinship.lr import likelihood_ratio

    table = read_frequencies(args.freqs)
    family = read_family(args.family)
    # Read only the profiles this LR needs: a national file can hold 10^6 rows.
    needed = {m.sample for m in family.typed} | {args.sample}
    profiles = read_profiles(args.profiles, only=needed)
    sample_profiles = read_profiles(args.sample_profiles, only={args.sample}) if args.sample_profiles else profiles
    for m in family.typed:
        if m.sample not in profiles.genotypes:
            raise KinshipInputError(f"{family.source}, member {m.id}",
                                    f"sample {m.sample!r} is not in the profiles ({profiles.source})")
    added = []
    if (mf := _min_freq(args.add_missing_alleles)) is not None:
        added += sample_profiles.check_against(table, add_missing=mf, samples=[args.sample])
        added += profiles.check_against(table, add_missing=mf, samples=[m.sample for m in family.typed])
    _warn_added(added)
    result = likelihood_ratio(family, args.missing, args.sample, profiles, table, _mutation(args),
                              theta=args.theta, sample_profiles=sample_profiles)
    out = {"family": result.family, "missing": result.missing, "sample": result.sample, "lr": result.lr,
           "log10_lr": result.log10_lr, "markers": result.markers}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"family {result.family}, missing {result.missing}, sample {result.sample}")
        for marker, v in result.markers.items():
            print(f"  {marker:<12}{v:>16.6g}")
        shown = "0 (excluded)" if result.lr == 0 else f"{result.lr:.6g} (log10 {result.log10_lr:.3f})"
        print(f"  {'total':<12}{shown:>16}")
    return 0


def _samples(args, profiles, families) -> tuple[list[str], dict[str, str]]:
    from vestige.kinship.io import read_sexes

    sexes: dict[str, str] = read_sexes(args.sexes) if args.sexes else {}
    refs = {m.sample for f in families for m in f.typed}
    if args.samples and Path(args.samples).is_file():
        path = Path(args.samples)
        if path.suffix.lower() == ".json" or _has_sex_column(path):
            listed = read_sexes(path)
            sexes = {**listed, **sexes}
            names = list(listed)
        else:
            names = [line.strip().split(",")[0] for line in path.read_text().splitlines()[1:] if line.strip()]
        missing = [s for s in names if s not in profiles.genotypes]
        if missing:
            raise KinshipInputError(str(path), f"sample {missing[0]!r} is not in the profiles ({profiles.source})")
        return names, sexes
    if args.samples:
        names = [s for s in profiles.samples if fnmatch.fnmatchcase(s, args.samples)]
        if not names:
            raise KinshipInputError("--samples", f"no file {args.samples!r} and no sample name matches it")
        return names, sexes
    return [s for s in profiles.samples if s not in refs], sexes


def _has_sex_column(path: Path) -> bool:
    with path.open(encoding="utf-8-sig") as f:
        header = f.readline().strip().lower().split(",")
    return header[:2] == ["sample", "sex"]


def cmd_search(args) -> int:
    from vestige.kinship.io import read_families, read_frequencies, read_profiles
    from vestige.kinship.search import blind_search

    t0 = time.perf_counter()
    table = read_frequencies(args.freqs)
    profiles = read_profiles(args.profiles)
    families = read_families(args.families, profiles)
    samples, sexes = _samples(args, profiles, families)
    if (mf := _min_freq(args.add_missing_alleles)) is not None:
        _warn_added(profiles.check_against(table, add_missing=mf))
    n_mp = sum(len(f.missing) for f in families)
    print(f"searching {len(samples)} samples against {n_mp} missing persons in {len(families)} families "
          f"({len(table.markers)} markers)", file=sys.stderr)
    progress = _progress() if not args.quiet else None
    try:
        hits = blind_search(families, profiles, table, samples, sexes=sexes, mutation=_mutation(args),
                            top=args.top, min_lr=args.min_lr, all_pairs=args.all,
                            compare_all_sexes=args.all_sexes, progress=progress)
    finally:
        if progress:
            progress.close()
    write = sys.stdout.write
    for h in hits:
        if args.json:
            write(json.dumps(h.as_dict()) + "\n")
        else:
            lr = "0" if h.lr == 0 else f"{h.lr:.4g}"
            write(f"{h.sample}\t{h.family}\t{h.missing}\tLR {lr}\tposterior {h.posterior:.6f}\t"
                  f"{h.markers_compared} markers\n")
    print(f"{len(hits)} pairs reported in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


class _progress:
    """A rich progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TimeElapsedColumn(), console=self.console, disable=not self.console.is_terminal)
        self.tasks: dict[str, int] = {}
        self.bar.start()

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.bar.add_task(what, total=total)
        self.bar.update(self.tasks[what], completed=done)

    def close(self) -> None:
        self.bar.stop()


def cmd_simulate(args) -> int:
    from vestige.kinship.io import read_frequencies
    from vestige.kinship.simulate import simulate, write

    table = read_frequencies(args.freqs)
    markers = args.markers.split(",") if args.markers else None
    for m in markers or []:
        if m not in table.alleles:
            raise KinshipInputError("--markers", f"marker {m!r} is not in {table.source}")
    if args.families < 1 or args.remains < 0:
        raise KinshipInputError("--families", "give at least one family and zero or more remains")
    sim = simulate(table, args.families, args.remains, args.seed, markers=markers, mutation=_mutation(args),
                   unrelated_fraction=args.unrelated_fraction)
    write(sim, args.out)
    true = sum(1 for t in sim.truth if t[1])
    print(f"wrote {len(sim.families)} families, {len(sim.remains)} remains ({true} of missing persons, "
          f"{len(sim.remains) - true} unrelated) to {args.out}", file=sys.stderr)
    return 0


def _run(fn):
    def wrapped(args) -> int:
        try:
            return fn(args)
        except KinshipError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except ValueError as e:  # bad numbers in arguments
            print(f"error: {e}", file=sys.stderr)
            return 2
    return wrapped


def add_kinship_commands(sub) -> None:
    k = sub.add_parser("kinship", help="DNA kinship: likelihood ratios, blind search, simulation (no database)",
                       description="Exact kinship likelihood ratios (validated against R dvir/forrel).")
    ks = k.add_subparsers(dest="sub", metavar="ACTION", required=True)

    lr = ks.add_parser("lr", help="LR that a sample is a family's missing person, per marker and in total")
    lr.set_defaults(fn=_run(cmd_lr))
    lr.add_argument("--freqs", required=True, help="allele frequencies CSV (long or ladder)")
    lr.add_argument("--profiles", required=True, help="profiles CSV with the family's references (and the sample)")
    lr.add_argument("--sample-profiles", help="profiles CSV of the sample, if not in --profiles")
    lr.add_argument("--family", required=True, help="family JSON")
    lr.add_argument("--sample", required=True)
    lr.add_argument("--missing", help="the missing person's id (needed when the family has several)")
    lr.add_argument("--theta", type=float, default=0.0, help="co-ancestry (NRC II 4.10); one typed relative only")
    lr.add_argument("--add-missing-alleles", metavar="MINFREQ", help="add alleles absent from the table at this frequency")
    lr.add_argument("--json", action="store_true")
    _add_mutation_args(lr)

    s = ks.add_parser("search", help="every sample against every missing person of every family")
    s.set_defaults(fn=_run(cmd_search))
    s.add_argument("--freqs", required=True)
    s.add_argument("--profiles", required=True, help="profiles CSV: references and samples")
    s.add_argument("--families", required=True, nargs="+", metavar="PATH", help="family JSON files or folders")
    s.add_argument("--samples", metavar="FILE|GLOB",
                   help="CSV (sample[,sex]) or remains.json, or a glob of sample names (default: every "
                        "profile that is not a family reference)")
    s.add_argument("--sexes", help="sample sexes: CSV sample,sex or remains.json")
    s.add_argument("--top", type=int, default=5, help="best candidates per sample (default 5)")
    s.add_argument("--min-lr", type=float, help="also every pair with LR at least this")
    s.add_argument("--all", action="store_true", help="every compared pair")
    s.add_argument("--all-sexes", action="store_true", help="compare pairs whose sexes differ too")
    s.add_argument("--add-missing-alleles", metavar="MINFREQ")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_mutation_args(s)

    sim = ks.add_parser("simulate", help="simulate families, references, remains and a truth file")
    sim.set_defaults(fn=_run(cmd_simulate))
    sim.add_argument("--freqs", required=True)
    sim.add_argument("--families", type=int, required=True)
    sim.add_argument("--remains", type=int, required=True)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--out", required=True)
    sim.add_argument("--markers", help="comma-separated markers (default: all in the table)")
    sim.add_argument("--unrelated-fraction", type=float, default=0.2, help="share of remains unrelated to any family")
    _add_mutation_args(sim)
