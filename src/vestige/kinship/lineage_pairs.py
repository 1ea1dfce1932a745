"""One pair's lineage comparisons: ``kinship lr``'s report per system (the same figures as the
search's, by :class:`~vestige.kinship.lineage.LineageScores` on one pair) and ``pm-match``'s identity
test (two samples of one person carry one Y and one mitochondrial genome)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.lines import line_tree
from vestige.kinship.mtdna import compare, mt_frequency
from vestige.kinship.mutation import MutationModel
from vestige.kinship.pedigree import Family
from vestige.kinship.snp.scores import SnpModel, identity_log10_lr, snp_target
from vestige.kinship.xstr import x_likelihood_ratio
from vestige.kinship.ystr import model_loci

__all__ = ["PlacementLineage", "identity_lrs", "lineage_lr", "shared_lines"]


def snp_lr(model: SnpModel, family: Family, missing: str, samples: list[str]) -> dict | None:
    """The SNP comparison of the first of ``samples`` with SNP calls: log10 LR (None: nothing
    compared — no SNP-typed reference, or too few calls), the references, SNPs compared and the
    size of the inheritance space."""
    sample = next((s for s in samples if s in model.genotypes), None)
    if sample is None:
        return None
    calls = model.calls(sample)
    entry: dict = {"sample": sample, "log10_lr": None, "references": {}, "snps_called": int((calls >= 0).sum()),
                   "snps": len(calls)}
    target = snp_target(family, missing, model)
    if target is None:
        entry["note"] = "no reference of the family has SNP calls"
        return entry
    entry["references"] = {r: None for r in target.references}
    entry["meioses"] = target.space.n_bits
    if not model.enough(sample):
        entry["note"] = f"{entry['snps_called']} SNPs called; at least {model.min_calls} are needed"
        return entry
    v = float(target.log_lrs(model, [sample])[0])
    ref_calls = np.stack([model.calls(r) for r in target.references]) >= 0
    entry["snps_compared"] = int(((calls >= 0) & ref_calls.any(axis=0)).sum())
    entry["log10_lr"] = v / math.log(10)
    return entry


def lineage_lr(lineage: Lineage, family: Family, missing: str, samples: list[str]) -> dict:
    """Per system, the comparison of a sample (the first of ``samples`` that has the system's data)
    with the missing person's line: log10 LR (None: nothing compared), the references and their
    meioses, and the figures behind it."""
    out: dict = {}
    for system in lineage.systems:
        if system == "snp":
            entry = snp_lr(lineage.snp, family, missing, samples)
            if entry is not None:
                out["snp"] = entry
            continue
        if system == "x":
            sample = next((s for s in samples if s in lineage.x.genotypes), None)
            if sample is None:
                continue
            r = x_likelihood_ratio(family, missing, lineage.x.genotypes[sample], lineage.x, lineage.x_table,
                                   lineage.x_map, lineage.x_mutation or MutationModel())
            out["x"] = {"sample": sample, "log10_lr": None if r.log10_lr is None else float(r.log10_lr),
                        "references": {s: None for s in r.references}, "groups": r.groups,
                        "markers_compared": r.markers_compared}
            continue
        data = lineage.y.haplotypes if system == "y" else lineage.mt.haplotypes
        sample = next((s for s in samples if s in data), None)
        if sample is None:
            continue
        scores = LineageScores(Lineage(**{**lineage.__dict__, "x": None, **({"mt": None} if system == "y" else {"y": None})}),
                               [(family, missing)], [sample])
        trees = scores.y_trees if system == "y" else scores.mt_trees
        entry: dict = {"sample": sample, "log10_lr": None, "references": {}}
        if 0 in trees:
            tree, refs = trees[0]
            entry["references"] = {family.by_id[m].sample: tree.distance[m] for m in tree.typed}
            entry["log10_lr"] = scores.pair(0, 0)[system]
            if system == "y":
                shap = model_loci(data[sample])
                loci = {loc for loc in shap if loc in scores.y_loci
                        and scores._unordered_state(loc, shap[loc]) is not None
                        and any(loc in r for r in refs.values())}
                entry["loci_compared"] = sorted(loci)
                if loci:
                    f, info = lineage.y_freq.frequency(data[sample], loci)
                    entry["frequency"] = f
                    entry["detail"] = info
            else:
                closest = tree.typed[0]
                cmp = compare(data[sample], refs[closest])
                f, info = mt_frequency(lineage.mt_db, data[sample])
                entry.update(frequency=f, detail={**info, "interpretation": cmp.interpretation,
                                                  "differences": cmp.differences,
                                                  "closest_reference": family.by_id[closest].sample,
                                                  "positions_compared": cmp.compared})
        out[system] = entry
    return out


def identity_lrs(lineage: Lineage, a: str, b: str) -> dict[str, dict]:
    """Are samples ``a`` and ``b`` one person, by the lineage systems? One person carries one Y and
    one mitochondrial genome, so (pm-match's question, no meiosis between the samples):

    - Y: the haplotypes identical over the loci both have — LR ``1/P(h)`` (the frequency as the
      search uses it); any difference — an exclusion (LR 0);
    - mtDNA: no difference over the overlap of the ranges (heteroplasmy none) — ``1/P(h)`` (the
      Clopper–Pearson bound); one difference — inconclusive, LR 1 (tissues of one person can differ
      at a heteroplasmic position); two or more — an exclusion (SWGDAM 2019);
    - SNPs: the identity LR with genotyping errors (:func:`vestige.kinship.snp.scores.identity_log10_lr`).

    {system: {"log10_lr": float | None (-inf: excluded; None: not compared), "note": str}}."""
    out: dict[str, dict] = {}
    if lineage.y is not None:
        ha, hb = lineage.y.haplotypes.get(a), lineage.y.haplotypes.get(b)
        if ha and hb:
            ma, mb = model_loci(ha), model_loci(hb)
            shared = sorted(set(ma) & set(mb))
            differ = [loc for loc in shared if ma[loc] != mb[loc]]
            if differ:
                out["y"] = {"log10_lr": -math.inf, "note": f"Y differs at {', '.join(differ)}"}
            elif shared:
                f, _info = lineage.y_freq.frequency(ha, set(shared))
                out["y"] = {"log10_lr": -math.log10(f), "note": f"Y identical at {len(shared)} loci"}
    if lineage.mt is not None:
        ha, hb = lineage.mt.haplotypes.get(a), lineage.mt.haplotypes.get(b)
        if ha is not None and hb is not None:
            cmp = compare(ha, hb)
            if not cmp.differences:
                # the larger of the two readings' frequency bounds, each over its own range (a
                # partial range matches more of the database): the conservative one
                f = max(mt_frequency(lineage.mt_db, ha)[0], mt_frequency(lineage.mt_db, hb)[0])
                out["mt"] = {"log10_lr": -math.log10(f), "note": f"mtDNA identical over {cmp.compared} positions"}
            elif len(cmp.differences) == 1:
                out["mt"] = {"log10_lr": 0.0, "note": f"mtDNA: one difference ({cmp.differences[0]}): inconclusive"}
            else:
                out["mt"] = {"log10_lr": -math.inf, "note": f"mtDNA differs at {', '.join(cmp.differences)}"}
    snp = lineage.snp
    if snp is not None and snp.enough(a) and snp.enough(b):
        v, n, differ = identity_log10_lr(snp, a, b)
        out["snp"] = {"log10_lr": v, "note": f"SNPs: {n} compared, {differ} discordant "
                                             f"({snp.error(a, False):g} and {snp.error(b, False):g} error rates)"}
    return out


class PlacementLineage:
    """The lineage log LR (natural log, every system) of placing several victims in one family at
    once, for the joint engine. Two brothers carry one Y, so their Y LRs do not multiply: by the
    chain rule, ``LR(v1 → m1, v2 → m2) = LR(v1 | references) × LR(v2 | references and v1 as m1)`` —
    each victim compared with the line *including* the victims placed before it (their readings
    become those missing persons' own). Exact for Y and mtDNA (line trees) and X (the pedigree's X
    likelihood with the placed victims typed); cached per family and placement."""

    def __init__(self, lineage: Lineage, items: list[str], bodies: dict[str, list[str]] | None = None) -> None:
        self.lineage, self.items, self.bodies = lineage, items, bodies or {}
        self.systems = tuple(lineage.systems)
        self._cache: dict = {}
        self._samples = set()
        for part in ((lineage.y.haplotypes if lineage.y else {}), (lineage.mt.haplotypes if lineage.mt else {}),
                     (lineage.x.genotypes if lineage.x else {}),
                     (lineage.snp.genotypes.row if lineage.snp else {})):
            self._samples |= set(part)

    def _sample(self, victim: int) -> str | None:
        return next((s for s in self.bodies.get(self.items[victim], [self.items[victim]]) if s in self._samples), None)

    def __call__(self, family: Family, placement: tuple[tuple[str, int], ...]) -> float:
        """``placement``: (missing person id, victim index) pairs, in the family's order."""
        key = (family.name, placement)
        if key not in self._cache:
            total, members = 0.0, list(family.members)
            for k, (mp, victim) in enumerate(placement):
                now = family if k == 0 else Family(family.name, members, family.source)
                scores = LineageScores(self.lineage, [(now, mp)], [self.items[victim]], self.bodies)
                total += float(scores.block(np.array([0]), self.systems)[0, 0])
                sample = self._sample(victim)
                if sample is not None:  # the victim's readings become the missing person's own
                    members = [dataclasses.replace(m, sample=sample) if m.id == mp else m for m in members]
            self._cache[key] = total
        return self._cache[key]


def shared_lines(family: Family, missing: list[str]) -> list[tuple[str, list[str]]]:
    """(system, members) for each paternal line (men) or maternal line that several of the
    family's missing persons share: Y (or mtDNA) cannot tell those persons apart."""
    out = []
    for system in ("y", "mt"):
        seen: dict[frozenset, list[str]] = {}
        for mp in missing:
            tree = line_tree(family, mp, system, set())
            if len(tree.neighbours) > 0 and (system == "mt" or family.by_id[mp].sex == "male"):
                seen.setdefault(frozenset(tree.neighbours), []).append(mp)
        out += [(system, mps) for mps in seen.values() if len(mps) > 1]
    return out
