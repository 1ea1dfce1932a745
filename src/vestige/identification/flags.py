"""Pedigree-check flags a person has resolved (issue 27, part 3): a resolution holds for the two
references' genotypes it was made on (their digest), so new or corrected profiles raise the flag
again. Used by the check page and by matching runs."""

from __future__ import annotations

import hashlib
import json
import math

from vestige.identification.models import PedigreeFlagResolution
from vestige.kinship.check import PairCheck, check_family
from vestige.kinship.io import Profiles

__all__ = ["flags_inputs", "pair_digest", "run_flags", "split_resolved"]


def pair_digest(family, profiles: Profiles, a: str, b: str) -> str:
    """SHA-256 of two members' genotypes as checked: a resolution holds while they stay so."""
    by_id = {m.id: m for m in family.members}
    data = [[m, sorted((k, list(v)) for k, v in profiles.genotypes.get(by_id[m].sample or "", {}).items())]
            for m in (a, b) if m in by_id]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def split_resolved(flags: dict, families, profiles: Profiles) -> tuple[dict, dict]:
    """A run's flagged pairs (family name → pairs) split into those still open and those a person
    resolved for the same profiles."""
    names = list(flags)
    resolutions: dict[tuple[str, str], set[str]] = {}
    for r in PedigreeFlagResolution.objects.filter(family__ref__in=names).select_related("family"):
        resolutions.setdefault((r.family.ref, r.pair), set()).add(r.digest)
    by_name = {f.name: f for f in families}
    open_, resolved = {}, {}
    for name, pairs in flags.items():
        for c in pairs:
            digests = resolutions.get((name, f"{c.a}-{c.b}"), set())
            done = bool(digests) and pair_digest(by_name[name], profiles, c.a, c.b) in digests
            (resolved if done else open_).setdefault(name, []).append(c)
    return open_, resolved


def run_flags(families, profiles: Profiles, table) -> dict[str, list[tuple[PairCheck, bool]]]:
    """For a run, before matching: each family's flagged pairs (families with two typed references
    or more; kinship/check.py, forrel's checkPairwise), each with whether a person resolved it."""
    flagged = {f.name: [c for c in check_family(f, profiles, table) if c.flagged] for f in families if len(f.typed) >= 2}
    open_, resolved = split_resolved({k: v for k, v in flagged.items() if v}, families, profiles)
    return {f: [(c, False) for c in open_.get(f, [])] + [(c, True) for c in resolved.get(f, [])]
            for f in {*open_, *resolved}}


def flags_inputs(flags: dict[str, list[tuple[PairCheck, bool]]]) -> dict:
    """What a run records of its pedigree flags: the open ones with their LRs, the resolved ones."""
    return {"pedigree_flags": {f: [{"a": c.a, "b": c.b, "relationship": c.relationship,
                                    "log10_lr": round(c.log_lr / math.log(10), 3) if math.isfinite(c.log_lr) else None}
                                   for c, done in v if not done] for f, v in flags.items() if any(not d for _c, d in v)},
            "pedigree_flags_resolved": {f: [f"{c.a}-{c.b}" for c, done in v if done]
                                        for f, v in flags.items() if any(d for _c, d in v)}}
