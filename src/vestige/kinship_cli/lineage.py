"""The command line's lineage options (``kinship lr`` and ``kinship search``): Y-STR and mtDNA files,
their mutation models and population databases, read into a :class:`~vestige.kinship.lineage.Lineage`.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.haplofreq import YFrequency
from vestige.kinship.io import read_frequencies, without_gc
from vestige.kinship.lineage import Lineage
from vestige.kinship.lineage_pairs import identity_lrs
from vestige.kinship.linked import Linkage, linked_pairs, pair_lr, read_genetic_map
from vestige.kinship.mtdna import MtModel, MtProfiles, read_mt_database, read_mt_profiles
from vestige.kinship.snp.multipoint import MAX_BITS
from vestige.kinship.snp.panel import read_panel
from vestige.kinship.snp.scores import REFERENCE_ERROR, REMAINS_ERROR, SnpModel
from vestige.kinship.snp.vcf import SnpGenotypes, read_vcfs
from vestige.kinship.xstr import check_x_alleles, read_x_map, read_x_profiles, x_mutation
from vestige.kinship.ystr import (
    METHODS,
    YHaplotypes,
    YModel,
    read_y_database,
    read_y_profiles,
    read_y_rates,
)

MT_DEFAULT_RATE = 0.0043  # per transmission, HV1+HV2 (Sigurðardóttir et al. 2000, AJHG 66:1599)


def add_lineage_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("lineage markers (Y-STR along the paternal line, mtDNA along the maternal line)")
    g.add_argument("--y-profiles", metavar="CSV", help="Y-STR profiles: sample,marker,allele1,allele2 (YHRD names)")
    g.add_argument("--y-database", metavar="CSV", help="Y haplotype database: id, then one column per locus")
    g.add_argument("--y-rates", metavar="JSON", help='per-locus Y mutation rates {"rates": {"DYS19": 0.0022, ...}}')
    g.add_argument("--y-frequency", choices=METHODS, default="kappa",
                   help="haplotype frequency: kappa (Brenner 2010; default), counting ((x+1)/(N+1)) or dl "
                        "(discrete Laplace mixture; overstates LRs where lineages cluster)")
    g.add_argument("--y-theta", type=float, default=0.0, help="Y subpopulation correction θ (default 0)")
    g.add_argument("--mt-profiles", metavar="CSV", help="mtDNA profiles: sample,range,variants (EMPOP notation)")
    g.add_argument("--mt-database", metavar="CSV", help="mtDNA database: id,range,variants")
    g.add_argument("--mt-rates", metavar="JSON",
                   help="mtDNA mutation: {\"rate\": per transmission, \"site_weights_by_position\": {...}}")
    g.add_argument("--mt-rate", type=float, help=f"mtDNA rate per transmission (default {MT_DEFAULT_RATE})")
    g.add_argument("--x-profiles", metavar="CSV", help="X-STR profiles: sample,marker,allele1,allele2 (men: one allele)")
    g.add_argument("--x-freqs", metavar="CSV", help="X-STR allele frequencies: marker,allele,frequency")
    g.add_argument("--x-map", metavar="JSON", help="X genetic map: loci with linkage_group and cM_female "
                   "(adjacent recombination fractions used when given)")
    g.add_argument("--x-map-function", choices=["haldane", "kosambi"], default="haldane",
                   help="cM to recombination fraction where the map gives none (default haldane)")
    g.add_argument("--x-mutation-model", choices=["none", "proportional"], default="proportional",
                   help="X mutation model (pedmut's; default proportional, exact in the search's tables)")
    g.add_argument("--x-mutation-rate", type=float,
                   help="X mutation rate per meiosis (default: the map's per-locus rates, else 0.002)")
    add_snp_args(p)


def add_snp_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("dense SNP panels (exact multipoint likelihood with linkage, Lander–Green)")
    g.add_argument("--snp-vcf", metavar="VCF", action="append",
                   help="SNP genotypes, VCF 4.2 (GT; GQ/DP used with --snp-min-gq/--snp-min-dp); repeat for more files")
    g.add_argument("--snp-panel", metavar="FILE",
                   help="the panel: a table with id chrom pos cM ref alt alt_freq, or a PLINK .map/.bim "
                        "(frequencies then from the VCF's INFO/AF)")
    g.add_argument("--snp-map-function", choices=["haldane", "kosambi"], default="haldane",
                   help="cM to recombination fraction (default haldane: crossovers without interference)")
    g.add_argument("--snp-error", type=float, default=REMAINS_ERROR,
                   help=f"genotyping error rate of the searched samples (default {REMAINS_ERROR})")
    g.add_argument("--snp-reference-error", type=float, default=REFERENCE_ERROR,
                   help=f"genotyping error rate of the references (default {REFERENCE_ERROR})")
    g.add_argument("--snp-min-gq", type=float, help="calls with a lower GQ become no-calls")
    g.add_argument("--snp-min-dp", type=float, help="calls with a lower DP become no-calls")
    g.add_argument("--snp-min-spacing", type=float, default=0.05,
                   help="thin the panel to SNPs at least this many cM apart (linkage disequilibrium; default 0.05)")
    g.add_argument("--snp-drop-palindromic", action="store_true",
                   help="leave out A/T and C/G SNPs (files whose strand is not the reference's forward strand)")
    g.add_argument("--snp-errors", metavar="CSV",
                   help="per-sample genotyping error rates, sample,error_rate (e.g. from replicate concordance); "
                        "others take --snp-error or --snp-reference-error")
    g.add_argument("--snp-max-meioses", type=int, default=MAX_BITS,
                   help=f"the most free meioses the exact likelihood takes (default {MAX_BITS}: 2^{MAX_BITS} states)")


def read_snp(args, need_profiles: bool = True) -> SnpModel | None:
    """The SNP model the options name (None without --snp-vcf or --snp-panel); planning
    (``need_profiles=False``) takes a panel alone."""
    if not getattr(args, "snp_vcf", None) and not getattr(args, "snp_panel", None):
        return None
    _require("SNP", "genotypes and a panel", (("--snp-vcf", (args.snp_vcf or not need_profiles) and "x"),
                                              ("--snp-panel", args.snp_panel)))
    panel = read_panel(args.snp_panel, min_spacing_cm=args.snp_min_spacing)
    if not args.snp_vcf:
        if np.isnan(panel.freq).any():
            raise KinshipInputError(args.snp_panel, "without a VCF the panel must give each SNP's alt_freq")
        return SnpModel(SnpGenotypes(panel, [], np.zeros((0, len(panel)), dtype=np.int8)), args.snp_map_function,
                        reference_error=args.snp_reference_error, remains_error=args.snp_error,
                        max_bits=args.snp_max_meioses)
    geno = read_vcfs(args.snp_vcf, panel, min_gq=args.snp_min_gq, min_dp=args.snp_min_dp,
                     drop_palindromic=args.snp_drop_palindromic)
    for note in geno.notes:
        print(f"note: {note}", file=sys.stderr)
    model = SnpModel(geno, args.snp_map_function, reference_error=args.snp_reference_error,
                     remains_error=args.snp_error, max_bits=args.snp_max_meioses,
                     errors=read_error_rates(args.snp_errors) if args.snp_errors else {})
    few = [s for s in geno.samples if not model.enough(s)]
    if few:
        print(f"note: {len(few)} SNP samples have fewer than {model.min_calls} calls and are not compared: "
              f"{', '.join(few[:5])}{' …' if len(few) > 5 else ''}", file=sys.stderr)
    return model


def read_error_rates(path: str) -> dict[str, float]:
    """``sample,error_rate`` rows (a header line is skipped), each rate in [0, 0.5)."""
    out: dict[str, float] = {}
    try:
        text = open(path, encoding="utf-8-sig").read()  # noqa: SIM115 - a small table read whole
    except OSError as e:
        raise KinshipInputError(path, f"cannot read: {e}") from None
    for n, line in enumerate(text.splitlines(), 1):
        f = [x.strip() for x in line.split(",")]
        if not line.strip() or (n == 1 and f[0].lower() == "sample"):
            continue
        if len(f) != 2:
            raise KinshipInputError(f"{path}, line {n}", "expected sample,error_rate")
        try:
            rate = float(f[1])
        except ValueError:
            raise KinshipInputError(f"{path}, line {n}, sample {f[0]}", f"error rate {f[1]!r} is not a number") from None
        if not 0.0 <= rate < 0.5:
            raise KinshipInputError(f"{path}, line {n}, sample {f[0]}", f"error rate {rate} is not in [0, 0.5)")
        out[f[0]] = rate
    return out


def add_linkage_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("linked autosomal markers")
    g.add_argument("--linkage-map", metavar="CSV", help="genetic map marker,chromosome,cM (norSTR's Marker,Chr,cM): "
                   "markers close on one chromosome are computed as linked pairs")
    g.add_argument("--linkage-max-cm", type=float, default=float("inf"),
                   help="pairs only closer than this (cM; default: any, KLINK's greedy closest pairs)")
    g.add_argument("--map-function", choices=["kosambi", "haldane"], default="kosambi",
                   help="cM to recombination fraction (default kosambi, as KLINK)")


def read_linkage(args, table) -> Linkage | None:
    """The linked pairs of the kit's markers on the map ``--linkage-map`` names (None without it)."""
    if not getattr(args, "linkage_map", None):
        return None
    gmap = read_genetic_map(args.linkage_map)
    return Linkage(linked_pairs(table.markers, gmap, max_cm=args.linkage_max_cm, map_function=args.map_function))


def linked_report(args, family, missing: str, samples: list[str], profiles, sample_profiles, table, mutation,
                  result) -> dict | None:
    """The linked pairs' LRs for ``kinship lr`` (None without --linkage-map): per pair the linked
    LR beside the product of its two markers' unlinked LRs, and the total with the pairs linked."""
    if not args.linkage_map:
        return None
    gmap = read_genetic_map(args.linkage_map)
    pairs = linked_pairs(table.markers, gmap, max_cm=args.linkage_max_cm, map_function=args.map_function)
    sample = sample_profiles.genotypes.get(samples[0], {})
    refs = {m.id: profiles.genotypes[m.sample] for m in family.typed if m.sample in profiles.genotypes}
    out = {"map": gmap.source, "map_function": args.map_function, "pairs": [], "notes": []}
    total = result.log10_lr
    if len(samples) > 1 or args.theta or args.dropout or args.dropin or args.reference_dropout:
        out["notes"].append("linked pairs are computed for one clean sample without θ or drop-out; not this time")
        out["linked_log10_lr"] = None
        return out
    for pair in pairs:
        g = {m: sample[m] for m in (pair.first, pair.second) if m in sample}
        if any(b is None for _a, b in g.values()):
            out["notes"].append(f"{pair.first}–{pair.second}: the sample shows one allele; left unlinked")
            continue
        lr = pair_lr(family, missing, g, refs, table, mutation, pair)
        if lr is None:
            continue
        unlinked = result.markers.get(pair.first, 1.0) * result.markers.get(pair.second, 1.0)
        out["pairs"].append({"markers": [pair.first, pair.second], "cM": pair.distance_cm, "r": pair.r,
                             "linked_lr": lr, "unlinked_lr": unlinked})
        if total is not None:
            if lr == 0:
                total = None
            elif unlinked > 0:
                total += math.log10(lr) - math.log10(unlinked)
    out["linked_log10_lr"] = total
    return out


def _require(what: str, needs: str, given: tuple[tuple[str, str | None], ...]) -> None:
    """A system named by some of its options needs all of them: say which are missing."""
    missing = [flag for flag, value in given if not value]
    if missing:
        raise KinshipInputError(", ".join(missing), f"{what} comparison needs {needs}; missing: {', '.join(missing)}")


def read_lineage(args, need_profiles: bool = True) -> Lineage | None:
    """The lineage data the options name, checked; None when none is named. A system given
    without its database or rates is an error that says what is missing (never a guess); with
    ``need_profiles=False`` (planning: nobody may be typed yet) the profiles may be left out."""
    with without_gc():  # 10^5 haplotype rows of small objects, none in a cycle
        return _read_lineage(args, need_profiles)


def _read_lineage(args, need_profiles: bool) -> Lineage | None:
    lin = Lineage()
    if args.y_profiles or args.y_database or args.y_rates:
        _require("Y-STR", "profiles, a haplotype database of the population and per-locus mutation rates",
                 (("--y-profiles", args.y_profiles or ("-" if not need_profiles else None)),
                  ("--y-database", args.y_database), ("--y-rates", args.y_rates)))
        rates = read_y_rates(args.y_rates)
        lin.y = read_y_profiles(args.y_profiles, set(rates)) if args.y_profiles else YHaplotypes({})
        db = read_y_database(args.y_database)
        unknown = [loc for loc in db.loci if loc not in rates]
        if unknown:
            print(f"note: Y database loci without a mutation rate are not compared: {', '.join(unknown)}",
                  file=sys.stderr)
        lin.y_freq = YFrequency.build(db, args.y_frequency, args.y_theta)
        lin.y_model = YModel.build(rates, lin.y.haplotypes.values(), lin.y_freq.rows)
    if args.mt_profiles or args.mt_database:
        _require("mtDNA", "profiles and a database of the population",
                 (("--mt-profiles", args.mt_profiles or ("-" if not need_profiles else None)),
                  ("--mt-database", args.mt_database)))
        lin.mt = read_mt_profiles(args.mt_profiles) if args.mt_profiles else MtProfiles({})
        lin.mt_db = read_mt_database(args.mt_database)
        for s in lin.mt_db.skipped[:5]:
            print(f"note: mtDNA database row left out: {s}", file=sys.stderr)
        if len(lin.mt_db.skipped) > 5:
            print(f"note: {len(lin.mt_db.skipped) - 5} more mtDNA database rows left out", file=sys.stderr)
        if args.mt_rates:
            lin.mt_model = MtModel.from_json(args.mt_rates)
        else:
            rate = args.mt_rate if args.mt_rate is not None else MT_DEFAULT_RATE
            if not 0 < rate < 0.5:
                raise KinshipInputError("--mt-rate", f"{rate} is not a rate in (0, 0.5)")
            lin.mt_model = MtModel(rate)
    if args.x_profiles or args.x_freqs or args.x_map:
        _require("X-STR", "profiles, allele frequencies and a genetic map",
                 (("--x-profiles", args.x_profiles), ("--x-freqs", args.x_freqs), ("--x-map", args.x_map)))
        lin.x_map = read_x_map(args.x_map, args.x_map_function)
        lin.x_table = read_frequencies(args.x_freqs)
        absent = [m for m in lin.x_map.markers if m not in lin.x_table.alleles]
        if absent:
            raise KinshipInputError(args.x_freqs, f"X markers of the map without frequencies: {', '.join(absent)}")
        lin.x = read_x_profiles(args.x_profiles, set(lin.x_map.markers))
        lin.x_mutation = x_mutation(lin.x_map, args.x_mutation_model, args.x_mutation_rate)
        check_x_alleles(lin.x, lin.x_table)
    lin.snp = read_snp(args, need_profiles)
    return lin if lin.systems else None


def print_lineage(out: dict) -> None:
    """The human-readable lines of ``kinship lr`` for the lineage systems."""
    names = {"y": "Y-STR (paternal line)", "mt": "mtDNA (maternal line)", "x": "X-STR",
             "snp": "SNPs (multipoint, linked)"}
    for system, e in out.items():
        if system == "snp":
            lr = (e.get("note") or "nothing compared (LR 1)") if e["log10_lr"] is None else (
                "0 (excluded)" if e["log10_lr"] == float("-inf") else
                f"LR {10 ** e['log10_lr']:.6g} (log10 {e['log10_lr']:.3f})")
            print(f"  {names[system]}: sample {e['sample']} ({e['snps_called']} of {e['snps']} SNPs called); references "
                  f"{', '.join(e['references']) or 'none'}; {e.get('meioses', 0)} free meioses: {lr}")
            continue
        if system == "x":
            lr = "nothing compared (LR 1)" if e["log10_lr"] is None else (
                "0 (excluded)" if e["log10_lr"] == float("-inf") else
                f"LR {10 ** e['log10_lr']:.6g} (log10 {e['log10_lr']:.3f})")
            groups = "; ".join(f"{g} {v:.4g}" for g, v in e["groups"].items())
            print(f"  {names[system]}: sample {e['sample']}; references {', '.join(e['references']) or 'none'}: {lr}"
                  f"{' (' + groups + ')' if groups else ''}")
            continue
        refs = ", ".join(f"{s} ({n} meioses)" for s, n in e["references"].items()) or "none on the line"
        if e["log10_lr"] is None:
            print(f"  {names[system]}: sample {e['sample']}; references {refs}: nothing compared (LR 1)")
            continue
        d = e.get("detail", {})
        extra = ""
        if system == "y":
            extra = (f"; {len(e.get('loci_compared', []))} loci; frequency {e['frequency']:.3g} "
                     f"({d.get('method')}: seen {d.get('count')} times in {d.get('database_size')})")
        else:
            extra = (f"; {d.get('positions_compared')} positions, {d.get('interpretation')}"
                     f"{' (' + ', '.join(d['differences']) + ')' if d.get('differences') else ''}; "
                     f"frequency ≤ {e['frequency']:.3g} (seen {d.get('count')} times in {d.get('database_size')})")
        print(f"  {names[system]}: sample {e['sample']}; references {refs}; LR {10 ** e['log10_lr']:.6g} "
              f"(log10 {e['log10_lr']:.3f}){extra}")


def with_identity(lineage: Lineage | None, pairs: list) -> list:
    """``pm-match``'s pairs with the lineage systems' identity test applied (one person carries one
    Y and one mtDNA): each pair's ``systems`` set, its LR multiplied, the excluded pairs dropped."""
    if lineage is None:
        return pairs
    for p in pairs:
        p.systems = identity_lrs(lineage, p.sample_a, p.sample_b)
        if any(v["log10_lr"] == -math.inf for v in p.systems.values()):
            p.log_lr = -math.inf
        elif p.log_lr > -math.inf:
            p.log_lr += sum(v["log10_lr"] for v in p.systems.values()) * math.log(10)
    return [p for p in pairs if p.log_lr > -math.inf]
