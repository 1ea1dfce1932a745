"""The arguments the ``vestige kinship`` commands share (mutation, degradation, prior, remains
files), their checks, and the progress bar on stderr."""

from __future__ import annotations

import argparse
import fnmatch
import math
import sys
from pathlib import Path

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import SEX_MARKERS, read_mutation
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.remains import Remains, read_remains, read_sexes


def mutation_of(args):

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


def add_mutation_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("mutation (default: none)")
    g.add_argument("--mutation", metavar="FILE.json", help="per-marker, per-sex models (pedmut definitions)")
    g.add_argument("--mutation-model", choices=["none", "equal", "proportional", "stepwise"])
    g.add_argument("--mutation-rate", type=float, default=0.001, help="(default 0.001)")
    g.add_argument("--mutation-rate2", type=float, default=0.0, help="stepwise: rate to/from microvariants")
    g.add_argument("--mutation-range", type=float, default=0.5, help="stepwise: relative probability of one more step")


def add_degradation_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("degraded samples (default: clean profiles)")
    g.add_argument("--dropout", type=probability("--dropout"), metavar="P",
                   help="allelic drop-out probability of every remains sample without its own 'dropout' value")
    g.add_argument("--dropin", type=probability("--dropin"), metavar="C", help="drop-in probability per marker")
    g.add_argument("--reference-dropout", type=probability("--reference-dropout"), metavar="P",
                   help="drop-out probability of the reference samples (degraded references)")


def probability(name: str):
    def parse(value: str) -> float:
        try:
            f = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not 0.0 <= f < 1.0 or math.isnan(f):
            raise argparse.ArgumentTypeError(f"{value!r} is not a probability in [0, 1)")
        return f
    parse.__name__ = name
    return parse


def degradation_of(args, remains, references: set[str]):

    dropout = dict(remains.dropout) if remains else {}
    dropin = dict(remains.dropin) if remains else {}
    samples = remains.samples if remains else []
    for s in samples:
        if args.dropout is not None:
            dropout.setdefault(s, args.dropout)
        if getattr(args, "dropin", None) is not None:
            dropin.setdefault(s, args.dropin)
    if getattr(args, "reference_dropout", None) is not None:
        for s in references:
            dropout.setdefault(s, args.reference_dropout)
    return Degradation(dropout, dropin)


def min_freq(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except ValueError:
        raise KinshipInputError("--add-missing-alleles", f"{value!r} is not a number") from None
    if not 0 < f < 1:
        raise KinshipInputError("--add-missing-alleles", f"{value} is not a frequency in (0, 1)")
    return f


def warn_added(added) -> None:
    for marker, allele, f in added:
        print(f"note: allele {allele} of {marker} is not in the frequency table; added at frequency {f}",
              file=sys.stderr)


def prior_of(value: str | None) -> float | None:
    """``--prior``: a probability (``0.002``) or a fraction (``1/447``)."""
    if value is None:
        return None
    try:
        if "/" in value:
            a, b = value.split("/", 1)
            f = float(a) / float(b)
        else:
            f = float(value)
    except (ValueError, ZeroDivisionError):
        raise KinshipInputError("--prior", f"{value!r} is not a probability (e.g. 0.002 or 1/447)") from None
    if not 0.0 < f < 1.0 or math.isnan(f):
        raise KinshipInputError("--prior", f"{value!r} is not a probability in (0, 1)")
    return f


def fmt_lr(log10: float) -> str:
    return f"{10 ** log10:.6g}" if log10 < 300 else f"1e{log10:.1f}"


def read_remains_arg(args, profiles, families):
    """The remains/samples argument: a file (CSV ``sample[,sex,dropout,dropin,body]`` or
    remains.json), a glob of sample names, or every profile that is not a family reference."""

    refs = {m.sample for f in families for m in f.typed}
    value = getattr(args, "samples", None) or getattr(args, "remains", None)
    if value and Path(value).is_file():
        remains = read_remains(value)
        for s in remains.samples:
            if s not in profiles.genotypes:
                raise KinshipInputError(remains.source, f"sample {s!r} is not in the profiles ({profiles.source})")
    elif value:
        names = [s for s in profiles.samples if fnmatch.fnmatchcase(s, value)]
        if not names:
            raise KinshipInputError("--samples", f"no file {value!r} and no sample name matches it")
        remains = Remains(samples=names)
    else:
        remains = Remains(samples=[s for s in profiles.samples if s not in refs])
    sexes = getattr(args, "sexes", None)
    if sexes and not (remains.source and Path(sexes).resolve() == Path(remains.source).resolve()):
        remains.sexes.update(read_sexes(sexes))  # (the remains file itself already gave them)
    return remains, refs


def amelogenin(args, profiles, remains) -> set[str]:
    """With ``--sex-from-amelogenin``: sexes read from AMEL (X,Y male; X or X,X female — uncertain,
    since the Y allele drops out of degraded bone and is deleted in some men)."""

    uncertain: set[str] = set()
    if not getattr(args, "sex_from_amelogenin", False):
        return uncertain
    for s in remains.samples:
        g = next((v for k, v in profiles.genotypes.get(s, {}).items() if k.upper() in SEX_MARKERS), None)
        if g is None:
            continue
        alleles = {a.upper() for a in g if a}
        if "Y" in alleles:
            remains.sexes[s] = "male"
        elif alleles == {"X"}:
            remains.sexes[s] = "female"
            uncertain.add(s)
    return uncertain


class Progress:
    """A rich progress bar on stderr (nothing when stderr is not a terminal)."""

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


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--freqs", required=True, help="allele frequencies CSV (long or ladder)")
    p.add_argument("--profiles", required=True, help="profiles CSV: references and samples")


def add_prior_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("prior")
    g.add_argument("--prior", metavar="P", help="prior probability that a given sample is a given missing person "
                   "(e.g. 0.002 or 1/447); default 1/(max(N, R)+1)")
    g.add_argument("--missing-total", type=int, metavar="N",
                   help="missing persons of the whole case (when these families are only part of it)")
