"""The blind search's scoring: every block of samples against every missing person, by the compiled
kernels (:mod:`vestige.kinship.kernels`), with the sex filter, each sample's best candidates,
each missing person's two best samples and the log-sum-exps the posteriors need (see
:mod:`vestige.kinship.search`). A block is one task for a thread (:func:`thread_map`) or a Dask
worker (:func:`vestige.kinship.distributed.dask_map`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from vestige.kinship.errors import KinshipInputError

if TYPE_CHECKING:
    from vestige.kinship.tables import MarkerSamples

SAMPLE_BLOCK = 512  # samples scored as one task
COMPETE = math.log(1e4)  # a competitor within a factor 10^4 of a pair's LR is flagged


def _threads(threads: int | None) -> int:
    import os

    n = threads if threads is not None else min(8, os.cpu_count() or 1)
    if n < 1:
        raise KinshipInputError.option("threads", f"{n}: give 1 or more threads")
    return n


def ordered_map(fn, args: list[tuple], threads: int | None):
    """``fn(*a)`` for each of ``args``, by ``threads`` threads, yielded in order."""
    n = _threads(threads)
    if n == 1 or len(args) < 2:
        for a in args:
            yield fn(*a)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(n, len(args)), thread_name_prefix="kinship") as pool:
        yield from pool.map(lambda a: fn(*a), args)


def thread_map(threads: int | None = None):
    """``map_blocks`` on this machine: ``threads`` threads (default one per core, at most 8), the
    results yielded in block order; one thread scores in the caller's thread."""
    _threads(threads)

    def run(fn, ctx, starts):
        return ordered_map(fn, [(ctx, b) for b in starts], threads)
    return run


def sex_codes(item_sex: np.ndarray, mp_sex: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The samples' and the targets' sexes as small integer codes, and the code of "unknown"
    (-1 when nobody's is unknown)."""
    values, codes = np.unique(np.concatenate([item_sex, mp_sex]).astype(str), return_inverse=True)
    codes = codes.astype(np.int64)
    unknown = int(np.searchsorted(values, "unknown")) if "unknown" in values else -1
    return codes[:len(item_sex)], codes[len(item_sex):], unknown


def sex_filter(item_sex: np.ndarray, uncertain: np.ndarray, mp_sex: np.ndarray, all_sexes: bool):
    """(allowed, conflict) masks over (samples, targets)."""
    # Compared as small integer codes (one string comparison per sample and per target, not per pair).
    values, codes = np.unique(np.concatenate([item_sex, mp_sex]).astype(str), return_inverse=True)
    codes = codes.astype(np.int16)
    unknown = int(np.searchsorted(values, "unknown")) if "unknown" in values else -1
    si, mi = codes[:len(item_sex)], codes[len(item_sex):]
    differ = (si[:, None] != mi[None, :]) & (si[:, None] != unknown) & (mi[None, :] != unknown)
    if all_sexes:
        return np.ones(differ.shape, dtype=bool), differ
    allowed = ~differ | uncertain[:, None]
    return allowed, differ & allowed


@dataclass
class BlockContext:
    """Everything one block of samples is scored with (the LR tables and the per-sample readings);
    shipped once to each Dask worker."""

    markers: list
    per_marker: dict
    stack: np.ndarray  # every marker's log LR table, one above the other (lr_tables)
    offsets: np.ndarray  # first row of each marker's table in ``stack``
    value_tables: dict
    sample_code: np.ndarray  # sexes as small integers (see sex_codes)
    uncertain: np.ndarray
    target_code: np.ndarray  # ascending: the targets are ordered by sex
    unknown_code: int
    first: np.ndarray  # first[c] … last[c] - 1: the targets of sex code c
    last: np.ndarray
    natural: np.ndarray  # each target's place in the families' order
    compare_all_sexes: bool
    good: np.ndarray
    n_targets: int
    top: int
    all_pairs: bool
    log_min: float | None
    marker_detail: bool
    targets: list
    lineage: object = None  # LineageScores (vestige.kinship.lineage): log LRs added per pair, or None

    def table(self, mi: int) -> np.ndarray:
        return self.stack[self.offsets[mi]:self.offsets[mi + 1]]


@dataclass
class BlockResult:
    """One block's share: its column sums and best rows (folded in block order by the caller), its
    rows' log-sum-exp and its candidate pairs, and how long the block took (seconds)."""

    start: int
    stop: int
    col_lse: np.ndarray
    col_n: np.ndarray
    top_v: np.ndarray
    top_i: np.ndarray
    row_lse: list
    pending: list
    seconds: float


def score_block(ctx: BlockContext, start: int) -> BlockResult:
    """Score samples ``start`` … ``start + SAMPLE_BLOCK`` against every target (one shard)."""
    import time

    from vestige.kinship import (
        kernels,  # lazy: numba loads in seconds, only when something is scored
    )

    t0 = time.perf_counter()
    n_samples = len(ctx.sample_code)
    block = np.arange(start, min(start + SAMPLE_BLOCK, n_samples))
    n_targets, top, log_min = ctx.n_targets, ctx.top, ctx.log_min
    nb = len(block)
    # Each sample's table row at each marker; a degraded reading gets a row of its own, computed
    # here as numpy did (so its sum is the same to the last bit).
    rows = np.empty((len(ctx.markers), nb), dtype=np.int64)
    extra_rows = []
    lo, hi = int(block[0]), int(block[-1])
    for mi, m in enumerate(ctx.markers):
        ms = ctx.per_marker[m]
        rows[mi] = ctx.offsets[mi] + ms.rows[block]
        values = ctx.value_tables[m]
        row_of: dict[int, int] = {}  # samples with the same reading share its terms, and its row
        for s, term in ms.terms.items():
            if lo <= s <= hi:
                r = row_of.get(id(term))
                if r is None:
                    ids, coefs, den = term
                    num = coefs @ values[ids]
                    with np.errstate(divide="ignore", invalid="ignore"):
                        extra_rows.append(np.log(np.maximum(num, 0.0) / den))
                    r = row_of[id(term)] = len(extra_rows)
                rows[mi, s - lo] = -r
    extra = np.stack(extra_rows) if extra_rows else np.zeros((1, n_targets))
    acc = np.empty((nb, n_targets))
    row_n = np.zeros(nb, dtype=np.int64)
    col_n = np.zeros(n_targets, dtype=np.int64)
    k = 0 if ctx.all_pairs else min(top, n_targets)
    row_max = np.empty(nb)
    top_v = np.empty((nb, k))
    top_i = np.empty((nb, k), dtype=np.int64)
    best_v = np.empty((2, n_targets))
    best_i = np.empty((2, n_targets), dtype=np.int64)
    # the sums, and each sample's best targets and each target's two best samples
    if ctx.lineage is not None:  # their sum added to the markers'; each system kept for the report
        add, per_system = ctx.lineage.block_parts(block)
        add_at = ctx.lineage.columns_added()[0]
    else:
        per_system, add, add_at = {}, np.zeros((1, 1)), np.zeros(1, dtype=np.int64)
    kernels.accumulate(ctx.stack, rows, extra, ctx.sample_code[block], ctx.first, ctx.last, ctx.unknown_code,
                       ctx.uncertain[block], ctx.good, ctx.compare_all_sexes, acc, row_n, col_n,
                       k, ctx.natural, row_max, top_v, top_i, best_v, best_i, add, add_at, ctx.lineage is not None)
    row_lse, col_lse = _block_lse(acc, row_max, best_v[0])
    # The posterior's counts are every pairing in the prior, the ones the sexes exclude too: their LR
    # is 0, as a DNA exclusion's, and their prior mass is theirs, not "someone else"'s. A sample is
    # one of the (not skipped) missing persons or someone else; a missing person one of the samples
    # or not among them (:func:`vestige.kinship.prior.posterior`).
    row_n[:] = int(ctx.good.sum())
    col_n[:] = len(block)
    # The reported pairs: each sample's k best (LR > 0), with every pair of LR ≥ min_lr; or, with
    # all_pairs, every pair compared.
    if ctx.all_pairs:
        rr, cc = np.nonzero(_allowed(ctx, block))
    else:
        kept = top_i >= 0
        rr = np.repeat(np.arange(nb), kept.sum(axis=1))
        cc = top_i[kept]
        if log_min is not None:
            mr, mc = np.nonzero(acc >= log_min - 1e-3)
            keys = np.union1d(rr * n_targets + cc, mr * n_targets + mc)
            rr, cc = keys // n_targets, keys % n_targets
            # a pair below min_lr (but within the tolerance) is kept only as one of the k best
            in_top = np.isin(keys, np.repeat(np.arange(nb), kept.sum(axis=1)) * n_targets + top_i[kept])
            keep = (acc[rr, cc] >= log_min) | in_top
            rr, cc = rr[keep], cc[keep]
    by_row = np.lexsort((ctx.natural[cc], rr))  # a sample's pairs in the families' order (ties stay so)
    rr, cc = rr[by_row], cc[by_row]
    exact = acc[rr, cc]
    detail = None
    if ctx.marker_detail and len(rr):
        detail = np.zeros((len(ctx.markers), len(rr)))
        for mi, m in enumerate(ctx.markers):
            ms = ctx.per_marker[m]
            detail[mi] = ctx.table(mi)[ms.rows[block[rr]], cc] + _terms_for_pairs(block[rr], cc, ms,
                                                                                 ctx.value_tables[m])
    # Other targets within a factor 10^4 of a pair's LR (LR ≥ 1), the first five of each.
    threshold = np.maximum(exact - COMPETE, 0.0)
    threshold[~(exact > 0)] = np.inf
    rival = np.empty((len(rr), 5), dtype=np.int64)
    kernels.rivals(acc, ctx.natural, rr, cc, threshold, 5, rival)
    targets = ctx.targets
    conflict = (_conflict(ctx, block[rr], cc) if len(rr) else np.zeros(0, dtype=bool)).tolist()
    busy = (rival[:, 0] >= 0).tolist()
    rows_l, cols_l, values_l = rr.tolist(), cc.tolist(), exact.tolist()
    samples_l = block[rr].tolist()
    lse_l, n_l = row_lse[rr].tolist(), row_n[rr].tolist()
    systems = None
    if ctx.lineage is not None:
        systems = {}
        for name in ctx.lineage.lineage.systems:
            values = np.zeros(len(rr))
            if name in per_system:
                cols, comp = per_system[name]
                j = np.minimum(np.searchsorted(cols, cc), len(cols) - 1)
                on = cols[j] == cc
                values[on] = comp[rr[on], j[on]]
            systems[name] = (values.tolist(), ctx.lineage.compared(name, block[rr], cc).tolist())
    pending = []
    for i, (row, c, value) in enumerate(zip(rows_l, cols_l, values_l, strict=True)):
        flags = ["sex_conflict"] if conflict[i] else []
        if busy[i]:
            t = targets[c]
            for j in rival[i].tolist():
                if j < 0:
                    break
                o = targets[j]
                same = o.family is t.family and abs(acc[row, j] - value) <= 1e-9 * max(1.0, abs(value))
                flags.append(f"{'indistinguishable' if same else 'competing_missing'}:{o.family.name}/{o.missing}")
        per = {m: float(np.exp(detail[mi, i])) for mi, m in enumerate(ctx.markers)} if detail is not None else None
        if systems is not None:
            ln10 = math.log(10)
            lin = {name: (v[i] if ok[i] else None) for name, (v, ok) in systems.items()}
            auto = (value - sum(x for x in lin.values() if x is not None)) / ln10 if value > -np.inf else None
            sys_i = {"autosomal": auto, **{k: (None if x is None else x / ln10) for k, x in lin.items()}}
            pending.append((samples_l[i], c, value, flags, lse_l[i], n_l[i], per, sys_i))
        else:
            pending.append((samples_l[i], c, value, flags, lse_l[i], n_l[i], per))
    best_i = np.where(best_i >= 0, block[np.maximum(best_i, 0)], -1)
    return BlockResult(int(block[0]) if len(block) else start, int(block[-1]) + 1 if len(block) else start,
                       col_lse, col_n, best_v, best_i,
                       [(int(block[r]), float(row_lse[r])) for r in range(len(block))], pending,
                       time.perf_counter() - t0)


def _allowed(ctx: BlockContext, samples: np.ndarray) -> np.ndarray:
    """(len(samples), T) bool: the pairs compared (sexes, and the families not skipped)."""
    sc = ctx.sample_code[samples][:, None]
    tc = ctx.target_code[None, :]
    differ = (sc != tc) & (sc != ctx.unknown_code) & (tc != ctx.unknown_code)
    free = ctx.uncertain[samples][:, None] | ctx.compare_all_sexes
    return (~differ | free) & ctx.good[None, :]


def _conflict(ctx: BlockContext, samples: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per pair: the sexes recorded differ (compared all the same)."""
    sc, tc = ctx.sample_code[samples], ctx.target_code[cols]
    return (sc != tc) & (sc != ctx.unknown_code) & (tc != ctx.unknown_code)


LSE_ROWS = 16  # rows of a block exponentiated at once (16 × 10,000 doubles: in the L2 cache)
LSE_RANGE = 640.0  # exp(-640) ≈ 1e-278: still a normal double, with full precision
FLOOR = -700.0  # exp(-700) ≈ 1e-304, the smallest shifted score exponentiated


def _block_lse(acc: np.ndarray, row_max: np.ndarray, col_max: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log Σ exp of each row and of each column of a block, with one ``exp`` per score: every
    score is shifted by the block's best, so that the row sums and the column sums share the
    exponentials. A row or column whose best lies more than ``LSE_RANGE`` below the block's
    best (its terms would leave the range of normal doubles) is summed with its own shift; a
    term more than 700 below the block's best counts as e^-700, below 10^-26 of its row's and
    its column's sum. ``-inf`` where every score is ``-inf``."""
    nb, nt = acc.shape
    live_r = row_max > -np.inf
    shift = float(row_max[live_r].max()) if live_r.any() else 0.0
    row_sum = np.empty(nb)
    col_sum = np.zeros(nt)
    buf = np.empty((min(LSE_ROWS, nb), nt))
    for i in range(0, nb, LSE_ROWS):
        j = min(i + LSE_ROWS, nb)
        part = buf[:j - i]
        np.subtract(acc[i:j], shift, out=part)
        # exp is vectorised for normal results only (an underflow or -inf takes a scalar path, 10×
        # slower): scores are floored at FLOOR below the block's best, whose exp adds at most
        # T·e^-60 (10^-22 for 10^4 targets) of any sum that the range test keeps
        np.maximum(part, FLOOR, out=part)
        np.exp(part, out=part)
        row_sum[i:j] = part.sum(axis=1)
        col_sum += part.sum(axis=0)
    with np.errstate(divide="ignore"):
        row_lse = np.log(row_sum) + shift
        col_lse = np.log(col_sum) + shift
    live_c = col_max > -np.inf
    low = np.nonzero(live_r & (row_max < shift - LSE_RANGE))[0]
    if len(low):
        row_lse[low] = _lse(acc[low], 1)
    low = np.nonzero(live_c & (col_max < shift - LSE_RANGE))[0]
    if len(low):
        col_lse[low] = _lse(acc[:, low], 0)
    row_lse[~live_r] = -np.inf
    col_lse[~live_c] = -np.inf
    return row_lse, col_lse


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    """log Σ exp along ``axis``, shifted by the maximum (one exp per value; twice as fast as
    ``np.logaddexp.reduce``, the same to rounding); ``-inf`` where every value is ``-inf``."""
    mx = a.max(axis=axis, keepdims=True)
    shift = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(a - shift).sum(axis=axis)) + np.squeeze(shift, axis)
    return np.where(np.isneginf(np.squeeze(mx, axis)), -np.inf, out)


def merge_best(best: np.ndarray, best_i: np.ndarray, top_v: np.ndarray, top_i: np.ndarray) -> None:
    """Keep, per target, the two best samples seen so far (values and indices); earlier wins ties."""
    if top_v.shape[0] == 0:
        return
    cand_v = np.concatenate([best, top_v], axis=0)
    cand_i = np.concatenate([best_i, top_i], axis=0)
    order = np.argsort(-cand_v, axis=0, kind="stable")[:2]
    best[:] = np.take_along_axis(cand_v, order, axis=0)
    best_i[:] = np.take_along_axis(cand_i, order, axis=0)


def add_terms(acc: np.ndarray, block: np.ndarray, ms: MarkerSamples, values: np.ndarray) -> None:
    """Add the log LR of degraded readings in ``block`` (rows of ``acc``) at one marker."""
    lo, hi = int(block[0]), int(block[-1])
    for s, (ids, coefs, den) in ms.terms.items():
        if lo <= s <= hi:
            num = coefs @ values[ids]
            with np.errstate(divide="ignore", invalid="ignore"):
                acc[s - lo] += np.log(np.maximum(num, 0.0) / den)


def _terms_for_pairs(rows: np.ndarray, cols: np.ndarray, ms: MarkerSamples, values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(rows))
    if not ms.terms:
        return out
    for i, (s, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        term = ms.terms.get(s)
        if term is not None:
            ids, coefs, den = term
            num = float(coefs @ values[ids, c])
            out[i] = math.log(num / den) if num > 0 else -math.inf
    return out
