"""Blind search: every remains sample against every missing person of every family.

1. Tables. For each missing person X and marker m, one elimination keeps X's alleles free and
   gives ``P(family data, X = g)`` for *every* genotype ``g`` (:func:`split_lump` makes this
   exact for alleles the family never showed). Families of identical shape (in a canonical
   numbering of the pedigree) are computed together along the batch axis, nuclear families in
   closed form (:mod:`vestige.kinship.tables`). Dividing by ``P(family data) · P(g)`` gives
   ``LR_m(g)``.
   A degraded reading (drop-out, drop-in, several bones of one body) is a linear combination
   of a few such values (:func:`vestige.kinship.observe.category_terms`), so it is exact too.
   Only markers typed in some sample and some reference are processed. A family whose
   references are impossible at a marker (likelihood 0 without a mutation that explains them)
   is skipped and reported; the search goes on for everyone else.
2. Scores. ``log LR(sample, X) = Σ_m log LR_m``: a table look-up per marker, summed over blocks
   of samples by compiled kernels, over the missing persons of the sample's sex only
   (:mod:`vestige.kinship.scoring`, :mod:`vestige.kinship.kernels`).
3. Report. Per sample the top ``K`` and every pair with ``LR ≥ min_lr``, with an honest
   posterior (:func:`posterior`): the prior per pair ``π`` is explicit (default
   ``1 / (max(N, R) + 1)`` for ``N`` missing persons — of the whole case when the caller says
   how many — and ``R`` samples), and the posterior accounts for the competing candidates of
   the sample *and* the competing samples of the missing person, so two sisters the DNA cannot
   tell apart, or two bones claiming one person, can never both reach 99.95 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.casedata import CaseData
from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles, without_gc
from vestige.kinship.lineage import Lineage, LineageScores
from vestige.kinship.linked import Linkage
from vestige.kinship.linked_scores import Reported, link_hits
from vestige.kinship.lr import json_lr, likelihood_ratio
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation
from vestige.kinship.pedigree import Family
from vestige.kinship.prior import check_prior, default_prior, posterior, posteriors
from vestige.kinship.scoring import (
    COMPETE,
    SAMPLE_BLOCK,
    BlockContext,
    add_terms,
    merge_best,
    score_block,
    sex_codes,
    sex_filter,
    thread_map,
)
from vestige.kinship.tables import (
    BATCH,
    SHAPE_PART,
    Progress,
    lr_tables,
    sample_markers,
    searched_markers,
)

__all__ = ["BATCH", "SAMPLE_BLOCK", "SHAPE_PART", "PairwiseMatrix", "SearchHit", "SearchResult", "blind_search",
           "check_prior", "default_prior", "lr_tables", "pairwise_matrix", "posterior", "posteriors", "score_block",
           "searched_markers", "thread_map"]


@dataclass
class SearchHit:
    sample: str
    family: str
    missing: str
    log_lr: float  # natural log; -inf for an exclusion
    markers_compared: int
    posterior: float = 0.0
    flags: list[str] = field(default_factory=list)
    markers: dict[str, float] | None = None  # per-marker LR, with ``marker_detail``
    systems: dict[str, float | None] | None = None  # log10 LR per system (autosomal, y, mt) with lineage data

    @property
    def log10_lr(self) -> float | None:
        return None if self.log_lr == -math.inf else self.log_lr / math.log(10)

    @property
    def lr(self) -> float:
        if self.log_lr == -math.inf:
            return 0.0
        return math.exp(self.log_lr) if self.log_lr < 709 else math.inf

    def as_dict(self) -> dict:
        out = {"sample": self.sample, "family": self.family, "missing": self.missing,
               "lr": json_lr(self.log10_lr), "log10_lr": self.log10_lr, "posterior": self.posterior,
               "markers_compared": self.markers_compared, "flags": self.flags}
        if self.systems is not None:
            out["systems"] = self.systems
        return out


@dataclass
class SearchResult:
    hits: list[SearchHit]
    prior: float
    n_missing: int
    n_samples: int
    markers: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (family, reason)
    notes: list[str] = field(default_factory=list)
    row_lse: dict[str, float] = field(default_factory=dict)  # sample → log Σ LR over its compared targets
    col_lse: dict[tuple[str, str], float] = field(default_factory=dict)  # (family, missing) → log Σ LR over the samples
    shard_seconds: list[float] = field(default_factory=list)  # seconds per block of samples (one shard each)
    table_seconds: list[float] = field(default_factory=list)  # seconds per part of the tables (one shard each)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step: checks, readings, tables, scoring, report


def blind_search(families: list[Family], profiles: Profiles, table: FrequencyTable, samples: list[str],
                 *, sample_profiles: Profiles | None = None, sexes: dict[str, str] | None = None,
                 uncertain_sex: set[str] | None = None, mutation: MutationModel | None = None,
                 degradation: Degradation | None = None, bodies: dict[str, list[str]] | None = None,
                 theta: float = 0.0, top: int = 5, min_lr: float | None = None, all_pairs: bool = False,
                 compare_all_sexes: bool = False, prior: float | None = None, missing_total: int | None = None,
                 marker_detail: bool = False, progress: Progress | None = None, map_blocks=None,
                 threads: int | None = None, lineage: Lineage | None = None,
                 linkage: Linkage | None = None) -> SearchResult:
    """Search ``samples`` (or bodies: ``bodies[name]`` lists the samples of one body) against
    every missing person of ``families``; see the module docstring. ``map_blocks(fn, ctx, items)``
    (e.g. :func:`vestige.kinship.distributed.dask_map`) computes the parts of the tables and
    scores the blocks of samples elsewhere, yielding their results in order; the fold is the
    same, so the output is identical. With ``lineage`` (:class:`vestige.kinship.lineage.Lineage`:
    Y-STR and mtDNA profiles, models and databases) each pair's Y and mtDNA log LRs are added to
    the autosomal one before the posteriors (independent systems: the LRs multiply), and each hit
    reports the three apart (``systems``). With ``linkage`` (:class:`vestige.kinship.linked.Linkage`)
    the pairs whose posterior reaches its floor (1e-4) have their linked markers' LRs computed
    jointly (KLINK / pedprobr ``likelihood2``) instead of as a product, and every posterior is
    recomputed with those LRs in the sums; pairs below the floor keep the product (linkage moves
    an LR by a small factor: they stay far from any identification). Without it
    the blocks are scored by ``threads`` threads (default: one per core; numpy's gathers, sums and
    exponentials release the GIL), folded in block order all the same."""
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    bodies = bodies or {}
    uncertain_sex = uncertain_sex or set()
    if top < 0:
        raise KinshipInputError.option("top", f"{top} is negative; give 0 or more candidates per sample")
    if min_lr is not None and (math.isnan(min_lr) or min_lr < 0):
        raise KinshipInputError.option("min_lr", f"{min_lr} is not a non-negative number")
    if not 0.0 <= theta < 1.0 or math.isnan(theta):
        raise KinshipInputError.option("theta", f"{theta} is not in [0, 1)")
    import time

    clock = time.perf_counter()
    parts = [s for item in samples for s in bodies.get(item, [item])]
    for s in parts:
        if s not in sprof.genotypes:
            raise KinshipInputError(sprof.source, f"sample {s!r} is not in the profiles")
    sprof.check_against(table, samples=parts)
    profiles.check_against(table, samples=sorted({m.sample for f in families for m in f.typed}))
    n_targets = sum(len(f.missing) for f in families)
    n_prior_missing = missing_total if missing_total is not None else n_targets
    if missing_total is not None and missing_total < n_targets:
        raise KinshipInputError.option("missing_total", f"{missing_total} is fewer than the {n_targets} missing "
                                "persons in these families")
    pi = prior if prior is not None else default_prior(n_prior_missing, len(samples))
    check_prior(pi, n_prior_missing, len(samples))
    markers = searched_markers(table, profiles, sprof, samples, bodies, families)
    result = SearchResult([], pi, n_targets, len(samples), markers)
    if not n_targets or not samples:
        return result
    result.seconds["checks"] = time.perf_counter() - clock
    if lineage is not None and lineage.systems:  # a Y profile says "male" louder than a recorded sex
        for s, where in lineage.check(families, {p: sexes.get(item, "unknown") for item in samples
                                                 for p in bodies.get(item, [item])}):
            item = next(i for i in samples if s in bodies.get(i, [i]))
            uncertain_sex = uncertain_sex | {item}
            result.notes.append(f"{where}: sample {s} is recorded female but has Y-STR results; compared with "
                                "either sex")
    per_marker = sample_markers(samples, bodies, sprof, table, markers, degradation)
    result.seconds["readings"] = time.perf_counter() - clock - result.seconds["checks"]
    if theta > 0:
        if linkage is not None and linkage.pairs:
            result.notes.append("linked marker pairs are not used with θ > 0: their LRs are the product of the "
                                "two markers'")
        data = CaseData(samples, bodies, profiles, sprof, table, mutation, degradation=degradation, theta=theta)
        return _theta_search(result, families, data, SexFilter(sexes, uncertain_sex, compare_all_sexes),
                             Listing(top, min_lr, all_pairs), lineage)
    # The targets are scored with each sex together, so that a sample of known sex is summed over
    # its own sex's missing persons only (and those of unknown sex); ties and lists still follow
    # the families' order (``_Target.natural``).
    tabled = lr_tables(families, profiles, table, markers, mutation, per_marker, degradation=degradation,
                       progress=progress, threads=threads,
                       order=lambda t: t.family.by_id[t.missing].sex, map_parts=map_blocks,
                       part_seconds=result.table_seconds)
    targets, log_tables, value_tables, informative, bad = (tabled.targets, tabled.log_tables, tabled.value_tables,
                                                           tabled.informative, tabled.bad)
    result.seconds["tables"] = time.perf_counter() - clock - sum(result.seconds.values())
    for c in sorted(bad, key=lambda c: targets[c].natural):
        result.skipped.append((targets[c].family.name, bad[c]))
    good = np.ones(n_targets, dtype=bool)
    good[list(bad)] = False
    mp_sex = np.array([t.family.by_id[t.missing].sex for t in targets])
    item_sex = np.array([sexes.get(s, "unknown") for s in samples])
    uncertain = np.array([s in uncertain_sex for s in samples])
    typed = np.stack([per_marker[m].typed for m in markers], axis=1) if markers else np.zeros((len(samples), 0), bool)
    log_min = math.log(min_lr) if min_lr and min_lr > 0 else None
    sample_code, target_code, unknown_code = sex_codes(item_sex, mp_sex)
    n_codes = int(max(sample_code.max(initial=0), target_code.max(initial=0))) + 1
    first = np.searchsorted(target_code, np.arange(n_codes), side="left")
    last = np.searchsorted(target_code, np.arange(n_codes), side="right")
    stack = log_tables[markers[0]].base if markers else np.zeros((1, n_targets))
    offsets = np.cumsum([0] + [len(log_tables[m]) for m in markers])
    natural = np.array([t.natural for t in targets], dtype=np.int64)
    scores = None
    if lineage is not None and lineage.systems:
        with without_gc():  # tables of every line and haplotype: many small objects, none in a cycle
            scores = LineageScores(lineage, [(t.family, t.missing) for t in targets], samples, bodies)
        result.seconds["lineage"] = time.perf_counter() - clock - sum(result.seconds.values())
    ctx = BlockContext(markers, per_marker, stack, offsets, value_tables, sample_code, uncertain, target_code,
                        unknown_code, first, last, natural, compare_all_sexes, good, n_targets, top, all_pairs,
                        log_min, marker_detail, targets, scores)
    col_lse = np.full(n_targets, -np.inf)
    col_n = np.zeros(n_targets, dtype=np.int64)
    col_best = np.full((2, n_targets), -np.inf)
    col_best_i = np.full((2, n_targets), -1, dtype=np.int64)
    pending: list[tuple[int, int, float, list[str], float, int, bool]] = []
    starts = list(range(0, len(samples), SAMPLE_BLOCK))
    if map_blocks is None:
        map_blocks = thread_map(threads)
    blocks = map_blocks(score_block, ctx, starts)
    # Folded in block order whoever scored them, so that a distributed search gives exactly the
    # single-process figures (log-sum-exp and the two best per target are order-sensitive).
    for out in blocks:
        col_lse = np.logaddexp(col_lse, out.col_lse)
        col_n += out.col_n
        merge_best(col_best, col_best_i, out.top_v, out.top_i)
        for i, v in out.row_lse:
            result.row_lse[samples[i]] = v
        pending.extend(out.pending)
        result.shard_seconds.append(out.seconds)
        if progress:
            progress("samples", out.stop, len(samples))
    result.seconds["scoring"] = time.perf_counter() - clock - sum(result.seconds.values())
    # Markers compared per reported pair: typed in the sample and informative in the family.
    ps = np.array([p[0] for p in pending], dtype=np.int64)
    pc = np.array([p[1] for p in pending], dtype=np.int64)
    compared = (typed[ps] & informative[:, pc].T).sum(axis=1) if len(pending) else np.zeros(0, dtype=np.int64)
    values = np.array([p[2] for p in pending], dtype=np.float64)
    post = posteriors(values, np.array([p[4] for p in pending], dtype=np.float64),
                      np.array([p[5] for p in pending], dtype=np.int64), col_lse[pc], col_n[pc], pi)
    if linkage is not None and linkage.pairs and len(pending):
        rep = Reported(pending, values, post, ps, pc, targets, col_lse, col_n)
        link_hits(linkage, rep, CaseData(samples, bodies, profiles, sprof, table, mutation, degradation=degradation),
                  pi, result.row_lse)
        values, post, col_lse = rep.values, rep.post, rep.col_lse
        result.notes.append(rep.note)
    result.col_lse = {(t.family.name, t.missing): float(col_lse[c]) for c, t in enumerate(targets)}
    # Another sample among the two best of the missing person, within a factor 10^4 (LR ≥ 1).
    floor = np.maximum(values - COMPETE, 0.0)
    rival_at = np.full(len(pending), -1, dtype=np.int64)
    for k in (1, 0):  # the best one wins
        other = col_best_i[k, pc]
        hit_k = (values > 0) & (other >= 0) & (other != ps) & (col_best[k, pc] >= floor)
        rival_at[hit_k] = other[hit_k]
    names = [t.family.name for t in targets]
    for i, (p, n_compared) in enumerate(zip(pending, compared.tolist(), strict=True)):
        s, c, value, flags, per = p[0], p[1], float(values[i]), p[3], p[6]
        if rival_at[i] >= 0:
            flags.append(f"competing_remains:{samples[rival_at[i]]}")
        result.hits.append(SearchHit(samples[s], names[c], targets[c].missing, value, n_compared, float(post[i]),
                                     flags, per, p[7] if len(p) > 7 else None))
    result.hits.sort(key=lambda h: (h.sample, -h.log_lr))
    result.seconds["report"] = time.perf_counter() - clock - sum(result.seconds.values())
    return result


@dataclass(frozen=True)
class SexFilter:
    """Which pairs the sexes leave to compare: the samples' recorded sexes, those not trusted
    (``uncertain``: compared with either sex), and ``ignore`` (every pair compared)."""

    sexes: dict[str, str]
    uncertain: set[str]
    ignore: bool = False


@dataclass(frozen=True)
class Listing:
    """Which pairs a search reports: each sample's ``top`` best (LR > 0), every pair of LR ≥
    ``min_lr``, or with ``all_pairs`` every pair compared."""

    top: int
    min_lr: float | None
    all_pairs: bool = False


def _theta_search(result: SearchResult, families: list[Family], data: CaseData, sex: SexFilter, listing: Listing,
                  lineage: Lineage | None = None) -> SearchResult:
    """θ > 0: every pair through the exact per-pair path (θ couples a family's founder alleles
    with the sample's, so the one-table-per-family shortcut does not apply)."""
    samples, bodies, pi = data.items, data.bodies, result.prior
    top, min_lr, all_pairs = listing.top, listing.min_lr, listing.all_pairs
    targets = [(f, mp) for f in families for mp in f.missing]
    mp_sex = np.array([f.by_id[mp].sex for f, mp in targets])
    item_sex = np.array([sex.sexes.get(s, "unknown") for s in samples])
    uncertain = np.array([s in sex.uncertain for s in samples])
    allowed, conflict = sex_filter(item_sex, uncertain, mp_sex, sex.ignore)
    scores = np.full((len(samples), len(targets)), -np.inf)
    compared = np.zeros(scores.shape, dtype=np.int64)
    bad: dict[str, str] = {}
    for j, (fam, mp) in enumerate(targets):
        if fam.name in bad:
            continue
        for i, item in enumerate(samples):
            if not allowed[i, j]:
                continue
            try:
                r = likelihood_ratio(fam, mp, data.samples_of(item), data.profiles, data.table, data.mutation,
                                     theta=data.theta, sample_profiles=data.sprof, degradation=data.degradation)
            except KinshipInputError as e:
                if "inconsistent" in str(e):
                    bad[fam.name] = str(e)
                    break
                raise
            scores[i, j] = -math.inf if r.log10_lr is None else r.log10_lr * math.log(10)
            compared[i, j] = r.markers_compared
    result.skipped = sorted(bad.items())
    per_system: dict[str, np.ndarray] = {}
    if lineage is not None and lineage.systems:
        lin = LineageScores(lineage, targets, samples, bodies)
        every = np.arange(len(samples))
        rr, cc = np.meshgrid(every, np.arange(len(targets)), indexing="ij")
        for name in lineage.systems:
            m = lin.block(every, (name,))
            per_system[name] = np.where(lin.compared(name, rr.ravel(), cc.ravel()).reshape(m.shape), m, np.nan)
            scores = np.where(np.isfinite(scores), scores + m, scores)
    for name in bad:
        for j, (fam, _mp) in enumerate(targets):
            if fam.name == name:
                allowed[:, j] = False
                scores[:, j] = -np.inf
    row_lse = np.logaddexp.reduce(scores, axis=1)
    col_lse = np.logaddexp.reduce(scores, axis=0)
    result.row_lse = {item: float(row_lse[i]) for i, item in enumerate(samples)}
    result.col_lse = {(fam.name, mp): float(col_lse[j]) for j, (fam, mp) in enumerate(targets)}
    n_bad = sum(1 for fam, _mp in targets if fam.name in bad)
    for i, item in enumerate(samples):
        order = np.argsort(-scores[i], kind="stable")
        chosen = [j for j in order if allowed[i, j]] if all_pairs else [j for j in order[:top] if scores[i, j] > -np.inf]
        if min_lr:
            chosen += [j for j in order if scores[i, j] >= math.log(min_lr) and j not in chosen]
        for j in chosen:
            fam, mp = targets[j]
            h = SearchHit(item, fam.name, mp, float(scores[i, j]), int(compared[i, j]),
                          flags=["sex_conflict"] if conflict[i, j] else [])
            if per_system:
                h.systems = {k: (None if np.isnan(v[i, j]) else float(v[i, j]) / math.log(10))
                             for k, v in per_system.items()}
                lin_sum = sum(x for x in h.systems.values() if x is not None)
                h.systems = {"autosomal": None if h.log10_lr is None else h.log10_lr - lin_sum, **h.systems}
            h.posterior = posterior(h.log_lr, float(row_lse[i]), len(targets) - n_bad, float(col_lse[j]),
                                    len(samples), pi)
            result.hits.append(h)
    result.hits.sort(key=lambda h: (h.sample, -h.log_lr))
    return result


@dataclass
class PairwiseMatrix:
    """Every pairwise natural-log LR (dvir's ``pairwiseLR``): ``log_lr[s, t]`` for sample (or
    body) ``s`` and target ``t`` (a family's missing person, other missing persons untyped);
    ``-inf`` where excluded or not compared (sexes differ); ``bad`` families skipped."""

    items: list[str]
    targets: list[tuple[Family, str]]
    log_lr: np.ndarray
    compared: np.ndarray
    allowed: np.ndarray
    conflict: np.ndarray
    markers: list[str]
    bad: dict[str, str]
    log_den: dict[str, np.ndarray] = field(default_factory=dict)  # marker → log P(family data) per target


def pairwise_matrix(families: list[Family], profiles: Profiles, table: FrequencyTable, items: list[str], *,
                    sample_profiles: Profiles | None = None, sexes: dict[str, str] | None = None,
                    uncertain_sex: set[str] | None = None, mutation: MutationModel | None = None,
                    degradation: Degradation | None = None, bodies: dict[str, list[str]] | None = None,
                    compare_all_sexes: bool = False, progress: Progress | None = None,
                    all_markers: bool = False) -> PairwiseMatrix:
    """The full matrix behind :func:`blind_search` (for the joint engine). With
    ``all_markers``, every marker typed in a reference is processed too, so that ``log_den``
    covers all the families' data (the joint engine's absolute likelihoods need it)."""
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    bodies = bodies or {}
    parts = [s for item in items for s in bodies.get(item, [item])]
    sprof.check_against(table, samples=parts)
    profiles.check_against(table, samples=sorted({m.sample for f in families for m in f.typed}))
    markers = searched_markers(table, profiles, sprof, items, bodies, families)
    if all_markers:
        refs = {mk for f in families for m in f.typed for mk in profiles.genotypes.get(m.sample, {})}
        markers = [m for m in table.markers if m in refs]
    per_marker = sample_markers(items, bodies, sprof, table, markers, degradation)
    tabled = lr_tables(families, profiles, table, markers, mutation, per_marker, degradation=degradation,
                       progress=progress, return_den=True)
    targets, log_tables, value_tables, informative, bad, log_den = (tabled.targets, tabled.log_tables,
                                                                    tabled.value_tables, tabled.informative,
                                                                    tabled.bad, tabled.log_den)
    n_t = len(targets)
    acc = np.zeros((len(items), n_t))
    if items and n_t:
        block = np.arange(len(items))
        for m in markers:
            acc += log_tables[m][per_marker[m].rows]
            add_terms(acc, block, per_marker[m], value_tables[m])
    mp_sex = np.array([t.family.by_id[t.missing].sex for t in targets])
    item_sex = np.array([sexes.get(s, "unknown") for s in items])
    uncertain = np.array([s in (uncertain_sex or set()) for s in items])
    allowed, conflict = sex_filter(item_sex, uncertain, mp_sex, compare_all_sexes) if n_t and items else (
        np.zeros((len(items), n_t), bool), np.zeros((len(items), n_t), bool))
    bad_names = {}
    for c, reason in bad.items():
        allowed[:, c] = False
        bad_names.setdefault(targets[c].family.name, reason)
    acc[~allowed] = -np.inf
    typed = np.stack([per_marker[m].typed for m in markers], axis=1) if markers else np.zeros((len(items), 0), bool)
    compared = (typed.astype(np.float32) @ informative.astype(np.float32)).astype(np.int64)
    return PairwiseMatrix(items, [(t.family, t.missing) for t in targets], acc, compared, allowed, conflict,
                          markers, bad_names, log_den)
