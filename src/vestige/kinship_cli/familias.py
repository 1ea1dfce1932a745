"""``vestige kinship familias FILE.fam``: a Familias case read (:mod:`vestige.kinship.familias`).

Outside DVI, each pedigree of the file is a hypothesis: the command prints each one's likelihood
of all the typed persons' genotypes under the file's own database and mutation models (the
engine's exact pedigree likelihood, marker by marker) and its LR against the last pedigree
(``--against NAME`` for another) — the table Familias shows. With ``--out DIR`` it writes the
case in the engine's files (``families/``, ``profiles.csv``, ``remains.csv``, ``freqs.csv``,
``mutation.json``), so that a Familias DVI file runs through ``kinship search`` and ``joint``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.familias import read_fam, to_engine
from vestige.kinship.familias_write import from_engine, write_fam
from vestige.kinship.io import (
    FrequencyTable,
    Profiles,
    family_from_dict,
    read_families,
    read_frequencies,
    read_mutation,
    read_profiles,
)
from vestige.kinship.lr import marker_likelihoods
from vestige.kinship.mutation import MutationModel, MutationSpec
from vestige.kinship_cli.args import read_remains_arg

__all__ = ["add_familias_command", "pedigree_likelihoods", "cmd_to_familias"]


def engine_inputs(data: dict, source: str) -> tuple[FrequencyTable, Profiles, MutationModel]:
    alleles: dict[str, list[str]] = {}
    freqs: dict[str, list[float]] = {}
    for marker, allele, f in data["freqs"]:
        alleles.setdefault(marker, []).append(allele)
        freqs.setdefault(marker, []).append(f)
    table = FrequencyTable(alleles, {m: np.array(v) for m, v in freqs.items()}, source)
    genotypes: dict[str, dict[str, tuple[str, str]]] = {}
    for sample, marker, a, b in data["profiles"]:
        genotypes.setdefault(sample, {})[marker] = (a, b)
    specs = {m: {sex: MutationSpec(s["model"], s["rate"], s["rate2"], s["range"]) for sex, s in by_sex.items()}
             for m, by_sex in data["mutation"].items()}
    return table, Profiles(genotypes, source), MutationModel(specs)


def pedigree_likelihoods(data: dict, source: str) -> list[tuple[str, float]]:
    """(pedigree, natural log likelihood of every typed person's genotypes) for each family of
    ``data`` (:func:`vestige.kinship.familias.to_engine`)."""
    table, profiles, mutation = engine_inputs(data, source)
    out = []
    for d in data["families"]:
        # the engine's family needs a missing person; an untyped founder on its own changes no likelihood
        members = d["members"] if any(m.get("missing") for m in d["members"]) else [
            *d["members"], {"id": "(no missing person)", "sex": "unknown", "missing": True}]
        fam = family_from_dict({**d, "members": members}, f"{source}, pedigree {d['family']}", profiles)
        total = 0.0
        for marker in table.markers:
            typed = {m.id: profiles.genotypes[m.sample][marker] for m in fam.typed
                     if marker in profiles.genotypes[m.sample]}
            if typed:
                lik = marker_likelihoods(fam, typed, table, marker, mutation)
                total += math.log(lik) if lik > 0 else -math.inf
        out.append((d["family"], total))
    return out


def _write(data: dict, out: Path) -> None:
    (out / "families").mkdir(parents=True, exist_ok=True)
    for k, d in enumerate(data["families"], 1):
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in d["family"]) or f"family-{k}"
        (out / "families" / f"{k:03d}-{safe}.json").write_text(json.dumps(d, indent=1, ensure_ascii=False), encoding="utf-8")
    for name, header, rows in (("profiles.csv", ("sample", "marker", "allele1", "allele2"), data["profiles"]),
                               ("remains.csv", ("sample", "sex"), data["remains"]),
                               ("freqs.csv", ("marker", "allele", "frequency"), data["freqs"])):
        with open(out / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    (out / "mutation.json").write_text(json.dumps(data["mutation"], indent=1), encoding="utf-8")


def cmd_familias(args) -> int:
    fam = read_fam(args.file)
    data = to_engine(fam, args.pedigree)
    for note in fam.notes:
        print(f"note: {note}", file=sys.stderr)
    summary = {"file": fam.source, "familias_version": fam.version, "loci": len(fam.loci),
               "persons": len(fam.persons), "pedigrees": [p.name for p in fam.pedigrees],
               "unidentified": len(fam.unidentified), "reference_families": len(data["families"]) if fam.families else 0}
    if args.out:
        _write(data, Path(args.out))
        summary["written"] = args.out
    if not fam.families:
        liks = pedigree_likelihoods(data, fam.source)
        names = [n for n, _ in liks]
        against = args.against or names[-1]
        if against not in names:
            raise KinshipInputError.option("against", f"{against!r} is not a pedigree of the file ({', '.join(names)})")
        base = dict(liks)[against]
        summary["likelihoods"] = [{"pedigree": n, "log10_likelihood": ll / math.log(10),
                                   "log10_lr": (ll - base) / math.log(10) if math.isfinite(base) else None}
                                  for n, ll in liks]
        summary["against"] = against
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    print(f"{fam.source}: Familias {fam.version}; {len(fam.loci)} loci, {len(fam.persons)} persons, "
          f"{len(fam.pedigrees)} pedigrees" + (f", {len(fam.unidentified)} unidentified persons and "
                                               f"{summary['reference_families']} reference families (DVI)"
                                               if fam.families else ""))
    for row in summary.get("likelihoods", []):
        lr = "—" if row["log10_lr"] is None else f"10^{row['log10_lr']:.4f}"
        print(f"  {row['pedigree']:<24} log10 likelihood {row['log10_likelihood']:.4f}   LR against "
              f"{summary['against']}: {lr}")
    if args.out:
        print(f"written to {args.out}: families/, profiles.csv, remains.csv, freqs.csv, mutation.json")
        if fam.families:
            print(f"  vestige kinship joint --freqs {args.out}/freqs.csv --profiles {args.out}/profiles.csv "
                  f"--families {args.out}/families --remains {args.out}/remains.csv --mutation {args.out}/mutation.json")
    return 0


def cmd_to_familias(args) -> int:
    """A DVI case in the engine's files written as one Familias .fam file."""
    table = read_frequencies(args.freqs)
    profiles = read_profiles(args.profiles, table=table)
    families = read_families(args.families, profiles)
    remains, _refs = read_remains_arg(args, profiles, families)
    mutation = read_mutation(args.mutation) if args.mutation else None
    bodies = Profiles({s: profiles.genotypes[s] for s in remains.samples}, profiles.source)
    fam = from_engine(families, profiles, table, remains=bodies, mutation=mutation, remains_sex=remains.sexes)
    out = Path(args.out)
    if out.suffix.lower() != ".fam":
        raise KinshipInputError.option("out", f"{out.name}: a Familias file ends in .fam")
    out.write_bytes(write_fam(fam, theta=args.theta).encode("utf-8"))
    print(f"{out}: Familias {fam.version} DVI file, {len(fam.loci)} loci, {len(fam.unidentified)} unidentified "
          f"persons, {len(fam.families)} reference families")
    return 0


def add_familias_command(ks, run) -> None:
    p = ks.add_parser("familias", help="read a Familias .fam case: each pedigree's likelihood, or the engine's files",
                      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(fn=run(cmd_familias))
    p.add_argument("file", help="the Familias .fam file")
    p.add_argument("--out", metavar="DIR", help="write the case in the engine's files here")
    p.add_argument("--pedigree", help="only this pedigree (DVI: the one of each family to use)")
    p.add_argument("--against", help="the pedigree the LRs are against (default: the last)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    w = ks.add_parser("to-familias", help="write a DVI case (the engine's files) as a Familias .fam file")
    w.set_defaults(fn=run(cmd_to_familias))
    w.add_argument("--freqs", required=True, help="the frequency table CSV")
    w.add_argument("--profiles", required=True, help="the profiles CSV (references and remains)")
    w.add_argument("--families", required=True, nargs="+", help="family JSON files or folders")
    w.add_argument("--remains", help="the remains (CSV sample[,sex] or a glob); default: every profile no family types")
    w.add_argument("--mutation", help="the mutation models JSON")
    w.add_argument("--theta", type=float, default=0.0, help="θ written in the database line (default 0)")
    w.add_argument("--out", required=True, help="the .fam file to write")
