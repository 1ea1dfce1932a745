"""Dental comparison: accuracy and speed of the ranking on simulated populations.

For N people (default 500, and 5,000 for speed) the model of ``vestige.dvi.simulate`` draws the
dentist's record, the treatment until death and the examiner's PM chart; every PM chart is ranked
against every AM chart. Prints, per seed: usable cases (both charts hold an informative tooth),
the right person ranked first and in the top 3 and 10, and the time per PM chart.

    python benchmarks/dental_match.py [--n 500] [--seeds 5] [--speed 5000]
"""

from __future__ import annotations

import argparse
import os
import time

from vestige.dvi import simulate
from vestige.osteology import odontology as o


def accuracy(n: int, seed: int) -> tuple[int, int, int, int, float]:
    cases = simulate.population(n, seed=seed)
    ams = {c.person: o.normalise_chart(c.am, side="am") for c in cases}
    usable = first = top3 = top10 = 0
    t0 = time.perf_counter()
    for c in cases:
        pm = o.normalise_chart(c.pm, side="pm")
        if not (o.usable(pm) and o.usable(ams[c.person])):
            continue
        usable += 1
        keys = [r.key for r in o.rank(pm, ams, top=10)]
        first += keys[:1] == [c.person]
        top3 += c.person in keys[:3]
        top10 += c.person in keys
    return usable, first, top3, top10, (time.perf_counter() - t0) / max(usable, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--speed", type=int, default=5000, help="population for the speed figure (0: skip)")
    args = ap.parse_args()
    print(f"dental ranking, {args.n} simulated people per population (load {os.getloadavg()[0]:.2f})")
    print(f"{'seed':>6} {'usable':>7} {'first':>7} {'top 3':>7} {'top 10':>7} {'ms per PM chart':>16}")
    total = [0, 0]
    for seed in range(1, args.seeds + 1):
        usable, first, top3, top10, per = accuracy(args.n, seed)
        total[0] += usable
        total[1] += first
        print(f"{seed:>6} {usable:>7} {first / usable:>7.1%} {top3 / usable:>7.1%} {top10 / usable:>7.1%} "
              f"{per * 1000:>16.2f}")
    print(f"{'all':>6} {total[0]:>7} {total[1] / total[0]:>7.1%}   (the issue asks >= 90 % first)")
    if args.speed:
        cases = simulate.population(args.speed, seed=99)
        ams = {c.person: o.normalise_chart(c.am, side="am") for c in cases}
        pms = [o.normalise_chart(c.pm, side="pm") for c in cases[:200]]
        t0 = time.perf_counter()
        for pm in pms:
            o.rank(pm, ams, top=5)
        per = (time.perf_counter() - t0) / len(pms)
        print(f"speed: one PM chart against {args.speed} AM charts in {per * 1000:.1f} ms "
              f"(all {args.speed} x {args.speed}: about {per * args.speed:.0f} s on one core)")


if __name__ == "__main__":
    main()
