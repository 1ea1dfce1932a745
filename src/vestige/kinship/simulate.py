"""Simulated families, reference profiles and remains, with a truth file.

Genotypes are dropped through the pedigree: founders draw alleles from the frequency table
(Hardy–Weinberg), each child receives one of each parent's two alleles (½ each), changed with
the sex-specific mutation matrix's row. Markers are then dropped at random (degraded or
failed typing). Remains are the missing persons' own profiles (the truth) or unrelated people.

Templates (who is typed is marked ``*``; X is the missing person):

- ``parents``: father*, mother*, X
- ``parent_sibling``: father*, mother, sibling*, X
- ``siblings``: father, mother, sibling*, sibling*, X
- ``spouse_children``: X, spouse*, child*, child*
- ``grandparents``: grandfather*, grandmother*, parent, parent's spouse, X
- ``half_sibling``: father, mother, father's other partner, half-sibling*, X
- ``avuncular``: grandparents, uncle or aunt*, parent, parent's spouse, X (weak: one distant relative)
- ``direct``: X with a direct reference (a personal item)
- ``two_missing``: father*, mother*, X1, X2
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vestige.kinship.io import FrequencyTable
from vestige.kinship.mutation import MutationModel, mutation_matrix

# (id, sex, father, mother, missing, typed); sex "X" is drawn at random.
TEMPLATES: dict[str, list[tuple[str, str, str | None, str | None, bool, bool]]] = {
    "parents": [("F", "male", None, None, False, True), ("M", "female", None, None, False, True),
                ("MP", "X", "F", "M", True, False)],
    "parent_sibling": [("F", "male", None, None, False, True), ("M", "female", None, None, False, False),
                       ("S1", "X", "F", "M", False, True), ("MP", "X", "F", "M", True, False)],
    "siblings": [("F", "male", None, None, False, False), ("M", "female", None, None, False, False),
                 ("S1", "X", "F", "M", False, True), ("S2", "X", "F", "M", False, True),
                 ("MP", "X", "F", "M", True, False)],
    "spouse_children": [("MP", "male", None, None, True, False), ("W", "female", None, None, False, True),
                        ("C1", "X", "MP", "W", False, True), ("C2", "X", "MP", "W", False, True)],
    "grandparents": [("GF", "male", None, None, False, True), ("GM", "female", None, None, False, True),
                     ("P", "male", "GF", "GM", False, False), ("SP", "female", None, None, False, False),
                     ("MP", "X", "P", "SP", True, False)],
    "half_sibling": [("F", "male", None, None, False, False), ("M", "female", None, None, False, False),
                     ("M2", "female", None, None, False, False), ("HS", "X", "F", "M2", False, True),
                     ("MP", "X", "F", "M", True, False)],
    "avuncular": [("GF", "male", None, None, False, False), ("GM", "female", None, None, False, False),
                  ("U", "X", "GF", "GM", False, True), ("P", "female", "GF", "GM", False, False),
                  ("SP", "male", None, None, False, False), ("MP", "X", "SP", "P", True, False)],
    "direct": [("MP", "X", None, None, True, True)],
    "two_missing": [("F", "male", None, None, False, True), ("M", "female", None, None, False, True),
                    ("MP1", "X", "F", "M", True, False), ("MP2", "X", "F", "M", True, False)],
}

MIX = {"parents": 0.2, "parent_sibling": 0.15, "siblings": 0.15, "spouse_children": 0.15,
       "grandparents": 0.1, "half_sibling": 0.07, "avuncular": 0.06, "direct": 0.04, "two_missing": 0.08}


def household(k: int, parents_lost: bool) -> list[tuple[str, str, str | None, str | None, bool, bool]]:
    """A family that lost ``k`` members together. Either ``k`` children of a typed father and an
    untyped mother (siblings: the case of two sisters), or both parents and ``k − 2`` children,
    with the father's mother and a surviving child typed."""
    if not parents_lost:
        return [("F", "male", None, None, False, True), ("M", "female", None, None, False, False)] + [
            (f"MP{i + 1}", "X", "F", "M", True, False) for i in range(k)]
    rows = [("GF", "male", None, None, False, False), ("GM", "female", None, None, False, True),
            ("MP1", "male", "GF", "GM", True, False), ("MP2", "female", None, None, True, False),
            ("C", "X", "MP1", "MP2", False, True)]
    rows += [(f"MP{i + 3}", "X", "MP1", "MP2", True, False) for i in range(k - 2)]
    return rows


@dataclass
class Simulation:
    families: list[dict]
    profiles: dict[str, dict[str, tuple[str, str]]]  # sample → marker → genotype
    remains: list[tuple]  # (sample, sex) or (sample, sex, dropout) for a degraded one
    truth: list[tuple[str, str, str]]  # (sample, family, missing); unrelated: ("", "")


class Drawer:
    """Vectorised draws over the markers of a table (alleles as indices)."""

    def __init__(self, table: FrequencyTable, markers: list[str], mutation: MutationModel, rng):
        self.rng = rng
        self.markers = markers
        self.cum = [np.cumsum(table.freqs[m] / table.freqs[m].sum()) for m in markers]
        self.mut = {sex: [mutation_matrix(mutation.spec(m, sex), table.alleles[m], table.freqs[m]) for m in markers]
                    for sex in ("male", "female")}

    def founder(self) -> np.ndarray:
        u = self.rng.random((len(self.markers), 2))
        return np.array([[min(np.searchsorted(c, u[i, j], side="right"), len(c) - 1) for j in range(2)]
                         for i, c in enumerate(self.cum)], dtype=np.int64)

    def transmit(self, parent: np.ndarray, sex: str) -> np.ndarray:
        pick = self.rng.integers(0, 2, len(self.markers))
        allele = parent[np.arange(len(self.markers)), pick].copy()
        u = self.rng.random(len(self.markers))
        for i, m in enumerate(self.mut[sex]):
            row = m[allele[i]]
            if u[i] >= row[allele[i]]:  # a mutation: draw the new allele from the rest of the row
                off = row.copy()
                off[allele[i]] = 0.0
                if off.sum() > 0:
                    allele[i] = int(self.rng.choice(len(off), p=off / off.sum()))
        return allele


def simulate(table: FrequencyTable, n_families: int, n_remains: int, seed: int, *,
             markers: list[str] | None = None, mutation: MutationModel | None = None,
             unrelated_fraction: float = 0.2, ref_drop: float = 0.02, remains_drop: float = 0.05,
             mix: dict[str, float] | None = None, degraded_fraction: float = 0.0,
             dropout: float = 0.1, multi_missing: int = 0) -> Simulation:
    """``degraded_fraction`` of the remains lose alleles by drop-out with probability ``dropout``
    (each allele of a heterozygote independently, both copies of a homozygote together with
    ``dropout²``; a locus where everything drops is untyped), as
    :mod:`vestige.kinship.observe` models it; those remains carry ``dropout`` in the remains file.

    The first ``multi_missing`` families lost two to four members together (an airstrike on a
    home): :func:`household` templates."""
    rng = np.random.default_rng(seed)
    markers = markers or table.markers
    mutation = mutation or MutationModel()
    drawer = Drawer(table, markers, mutation, rng)
    mix = mix or MIX
    names = list(mix)
    weights = np.array([mix[k] for k in names]) / sum(mix.values())
    families, profiles = [], {}
    mp_profiles: list[tuple[str, str, str, np.ndarray]] = []  # (family, id, sex, alleles)

    def geno(alleles: np.ndarray, drop: float) -> dict[str, tuple[str, str]]:
        keep = rng.random(len(markers)) >= drop
        return {m: (table.alleles[m][alleles[i, 0]], table.alleles[m][alleles[i, 1]])
                for i, m in enumerate(markers) if keep[i]}

    for f in range(n_families):
        fam = f"FAM-{f + 1:05d}"
        if f < multi_missing:
            template = household(int(rng.integers(2, 5)), bool(rng.random() < 0.5))
        else:
            template = TEMPLATES[names[rng.choice(len(names), p=weights)]]
        alleles: dict[str, np.ndarray] = {}
        members = []
        for mid, sex, father, mother, missing, typed in template:
            if sex == "X":
                sex = "male" if rng.random() < 0.5 else "female"
            if father is None:
                g = drawer.founder()
            else:
                g = np.stack([drawer.transmit(alleles[father], "male"),
                              drawer.transmit(alleles[mother], "female")], axis=1)
            alleles[mid] = g
            member = {"id": mid, "sex": sex}
            if father:
                member["father"], member["mother"] = father, mother
            if missing:
                member["missing"] = True
                mp_profiles.append((fam, mid, sex, g))
            if typed:
                sample = f"REF-{f + 1:05d}-{mid}"
                member["sample"] = sample
                profiles[sample] = geno(g, ref_drop)
            members.append(member)
        families.append({"family": fam, "members": members})
    n_true = min(len(mp_profiles), int(round(n_remains * (1 - unrelated_fraction))))
    chosen = rng.choice(len(mp_profiles), size=n_true, replace=False) if n_true else []
    entries = [("true", mp_profiles[i]) for i in chosen] + [("unrelated", None)] * (n_remains - n_true)
    order = rng.permutation(len(entries))
    remains, truth = [], []
    for k, e in enumerate(order):
        sample = f"PM-{k + 1:05d}"
        kind, data = entries[e]
        if kind == "true":
            fam, mid, sex, g = data
            truth.append((sample, fam, mid))
        else:
            g = drawer.founder()
            sex = "male" if rng.random() < 0.5 else "female"
            truth.append((sample, "", ""))
        typed = geno(g, remains_drop)
        d = 0.0
        if degraded_fraction and rng.random() < degraded_fraction:
            d = dropout
            typed = drop_out(typed, d, rng)
        profiles[sample] = typed
        remains.append((sample, sex) if not d else (sample, sex, d))
    return Simulation(families, profiles, remains, truth)


def drop_out(typed: dict[str, tuple[str, str]], d: float, rng) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for marker, (a, b) in typed.items():
        if a == b:
            if rng.random() >= d * d:
                out[marker] = (a, None)
            continue
        seen = [x for x in (a, b) if rng.random() >= d]
        if len(seen) == 2:
            out[marker] = (a, b)
        elif seen:
            out[marker] = (seen[0], None)
    return out


def write(sim: Simulation, out: str | Path) -> None:
    out = Path(out)
    (out / "families").mkdir(parents=True, exist_ok=True)
    for fam in sim.families:
        (out / "families" / f"{fam['family']}.json").write_text(json.dumps(fam, indent=1))
    with (out / "profiles.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sample", "marker", "allele1", "allele2"])
        for sample, genos in sim.profiles.items():
            for marker, (a, b) in genos.items():
                w.writerow([sample, marker, a, "F" if b is None else b])
    with (out / "remains.csv").open("w", newline="") as f:
        w = csv.writer(f)
        degraded = any(len(r) > 2 for r in sim.remains)
        w.writerow(["sample", "sex", "dropout"] if degraded else ["sample", "sex"])
        for r in sim.remains:
            w.writerow([r[0], r[1], r[2] if len(r) > 2 else ""] if degraded else r)
    with (out / "truth.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sample", "family", "missing"])
        w.writerows(sim.truth)
