"""``vestige kinship relate``: relatives found without a family tree, from SNP genotypes.

Every pair of the samples asked about (``--samples``, default all) with every sample of the VCFs
is screened by a three-state IBD hidden Markov model (about 20,000 pairs a second; KING-robust
kinship is reported beside it but with 5,000 SNPs cannot tell second cousins from unrelated
persons); the pairs the screen keeps get their IBD segments and the exact likelihood of each
relationship (:mod:`vestige.kinship.snp.relate`). Used to find the relatives of
unidentified remains among all references, and victims related to each other (a family killed
together) before any reference arrives.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.snp.panel import read_panel
from vestige.kinship.snp.relate import RELATIONSHIPS, king_matrix, pack, relate_pair, screen_pairs
from vestige.kinship.snp.scores import MIN_CALLS, REMAINS_ERROR
from vestige.kinship.snp.vcf import read_vcfs

__all__ = ["add_relate_command"]


def _sample_list(value: str) -> list[str]:
    """Comma-separated names, or a file: one name a line, or a CSV whose first column is the sample."""
    path = Path(value)
    if not path.is_file():
        return [s.strip() for s in value.split(",") if s.strip()]
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.reader(f) if r and r[0].strip()]
    if rows and rows[0][0].strip().lower() in ("sample", "sample name", "id"):
        rows = rows[1:]
    return [r[0].strip() for r in rows]


def cmd_relate(args) -> int:
    panel = read_panel(args.snp_panel, min_spacing_cm=args.snp_min_spacing)
    geno = read_vcfs(args.snp_vcf, panel, min_gq=args.snp_min_gq, min_dp=args.snp_min_dp)
    for note in geno.notes:
        print(f"note: {note}", file=sys.stderr)
    called = (geno.calls >= 0).sum(axis=1)
    few = [s for s, n in zip(geno.samples, called.tolist(), strict=True) if n < args.min_calls]
    for s in few:
        print(f"note: {s}: {int(called[geno.row[s]])} SNPs called, fewer than {args.min_calls}: not compared",
              file=sys.stderr)
    usable = [s for s in geno.samples if s not in set(few)]
    query = _sample_list(args.samples) if args.samples else usable
    unknown = [s for s in query if s not in geno]
    if unknown:
        raise KinshipInputError("--samples", f"not in the VCF: {', '.join(unknown[:5])}"
                                             f"{' …' if len(unknown) > 5 else ''}")
    query = [s for s in query if s in set(usable)]
    rows_q = np.array([geno.row[s] for s in query], dtype=np.int64)
    rows_all = np.array([geno.row[s] for s in usable], dtype=np.int64)
    packed = pack(geno.calls)
    kin, ibs0, nsnp = king_matrix(packed[rows_q], packed[rows_all])
    qi, aj = np.nonzero(rows_q[:, None] != rows_all[None, :])
    first, second = rows_q[qi], rows_all[aj]
    keep = (first < second) | ~np.isin(second, rows_q)  # each pair once
    qi, aj, first, second = qi[keep], aj[keep], first[keep], second[keep]
    screen = screen_pairs(geno.calls, first, second, panel, eps=args.snp_error)
    chosen = np.flatnonzero(screen >= args.min_screen)
    print(f"{len(query)} samples against {len(usable)}: {len(first)} pairs screened (IBD HMM), {len(chosen)} "
          f"with log10 ≥ {args.min_screen:g} get the exact likelihood of each relationship", file=sys.stderr)
    r = panel.recombination(args.snp_map_function)

    def one(k: int):
        i, j = qi[k], aj[k]
        a, b = query[i], usable[j]
        return relate_pair(a, b, geno.of(a), geno.of(b), panel, r, kinship=float(kin[i, j]), ibs0=int(ibs0[i, j]),
                           snps=int(nsnp[i, j]), eps_a=args.snp_error, eps_b=args.snp_error, min_cm=args.min_cm,
                           min_log10_lr=args.min_log10_lr)

    results = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # the kernels release the GIL
        for n, res in enumerate(pool.map(one, chosen.tolist()), 1):
            results.append(res)
            if not args.quiet and (n % 50 == 0 or n == len(chosen)):
                print(f"\rrelationships {n}/{len(chosen)}", end="" if n < len(chosen) else "\n", file=sys.stderr)
    # P(LR >= k | unrelated) <= 1/k for any LR (Markov's inequality on E[LR | unrelated] = 1), so over
    # the pairs and relationships tried, at most this many unrelated pairs are expected above the bar
    bound = len(chosen) * len(RELATIONSHIPS) / 10 ** args.min_log10_lr
    print(f"unrelated pairs expected to reach LR 10^{args.min_log10_lr:g} by chance: at most {bound:.3g} "
          f"({len(chosen)} pairs × {len(RELATIONSHIPS)} relationships / 10^{args.min_log10_lr:g})", file=sys.stderr)
    results = [x for x in results if x.degree is not None or args.all]
    results.sort(key=lambda x: (-x.log10_lr, x.a, x.b))
    if args.json:
        for x in results:
            print(json.dumps(x.as_dict()))
        return 0
    if not results:
        print("no related pairs")
        return 0
    print(f"{'sample':<22}{'sample':<22}{'KING':>8}{'segs':>6}{'total cM':>10}{'longest':>9}  degree  relationship"
          f"{'':<22}log10 LR")
    for x in results:
        d = x.as_dict()
        print(f"{x.a:<22}{x.b:<22}{x.kinship:>8.4f}{d['segments']:>6}{d['total_cm']:>10.1f}{d['longest_cm']:>9.1f}  "
              f"{x.degree if x.degree is not None else '-':>6}  {x.relationship:<34}{x.log10_lr:>8.2f}")
    return 0


def add_relate_command(ks, run) -> None:
    p = ks.add_parser("relate", help="relatives without a family tree: KING kinship, IBD segments, degree (SNPs)",
                      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(fn=run(cmd_relate))
    p.add_argument("--snp-vcf", metavar="VCF", action="append", required=True, help="genotypes (VCF 4.2); repeatable")
    p.add_argument("--snp-panel", metavar="FILE", required=True,
                   help="panel: id chrom pos cM ref alt alt_freq, or a PLINK .map/.bim")
    p.add_argument("--samples", help="the samples to find relatives of: comma-separated, or a file (one a line, "
                                     "or a CSV whose first column is the sample); default every sample")
    p.add_argument("--min-screen", type=float, default=0.0,
                   help="screen: log10 of the IBD HMM's likelihood against no IBD (default 0; lower finds more "
                        "distant relatives and takes longer)")
    p.add_argument("--min-log10-lr", type=float, default=3.0,
                   help="a relationship is named when it is at least 10^this likelier than unrelated (default 3)")
    p.add_argument("--min-cm", type=float, default=4.0, help="shortest IBD segment reported (cM; default 4)")
    p.add_argument("--min-calls", type=int, default=MIN_CALLS, help=f"fewest SNPs called (default {MIN_CALLS})")
    p.add_argument("--snp-error", type=float, default=REMAINS_ERROR, help=f"genotyping error rate (default {REMAINS_ERROR})")
    p.add_argument("--snp-map-function", choices=["haldane", "kosambi"], default="haldane")
    p.add_argument("--snp-min-gq", type=float)
    p.add_argument("--snp-min-dp", type=float)
    p.add_argument("--snp-min-spacing", type=float, default=0.05)
    p.add_argument("--all", action="store_true", help="also the screened pairs found unrelated")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="one JSON object a pair")
