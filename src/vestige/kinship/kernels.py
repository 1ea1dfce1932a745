"""Compiled inner loops of the blind search (numba, compiled once and cached on disk).

The scoring of ``S`` samples against ``T`` missing persons over ``M`` markers is ``S·T·M`` table
look-ups; numpy did it one marker at a time over a whole block of samples, so every marker read
and wrote the block's 40 MB score matrix and a 40 MB gathered copy of the table (memory-bound,
about 3×10⁸ look-ups/s per core). :func:`accumulate` adds a sample's ``M`` table rows tile by tile
in a few kilobytes that stay in the first-level cache, in the same order as numpy did (so every
log LR is bit-for-bit the one the numpy code gave), and applies the sex filter in the same pass;
:func:`block_stats` then reads the block twice for everything the report needs (each sample's
best candidates and log Σ LR, each missing person's two best samples and log Σ LR).

PURE: numpy and numba only. ``nogil`` kernels, so that threads (:func:`vestige.kinship.search.thread_map`)
score blocks side by side.
"""

from __future__ import annotations

import math
import os

import numpy as np

# Compiled code is cached beside the source, or in the user's cache where that is read-only (an
# installed package): the first search after an install compiles for about a second, later ones
# load it.
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "vestige", "numba"))

from numba import njit  # noqa: E402

TILE = 256  # targets per tile: a sample's partial sums (2 KB) stay in the L1 cache
# exp(-60) ≈ 8.8e-27: a term that far below the largest of its sum changes a double-precision sum of
# up to 10^9 such terms by less than one rounding step, so it is not computed.
NEGLIGIBLE = 60.0


@njit(nogil=True, cache=True)
def accumulate(stack, rows, extra, sample_sex, target_sex, unknown, uncertain, good, all_sexes,
               acc, row_n, col_n):
    """``acc[s, t] = Σ_m table_m[row_m(s), t]`` in marker order, ``-inf`` where the pair is not
    compared; counts of compared pairs per sample (``row_n``) and per target (``col_n``, added to).

    ``stack`` (R, T): every marker's table rows, one above the other; ``rows`` (M, B): the row of
    each sample of the block at each marker, or ``-1 - k`` for ``extra[k]`` (a degraded reading's
    own row of log LRs, computed for this block). Sexes are small integer codes (``unknown``: the
    code of "unknown", ``-1`` when absent); ``uncertain`` samples are compared with either sex.
    """
    n_markers, n_block = rows.shape
    n_targets = stack.shape[1]
    neg = -np.inf
    for s in range(n_block):
        ss = sample_sex[s]
        free = all_sexes or uncertain[s] or ss == unknown
        count = 0
        for t0 in range(0, n_targets, TILE):
            t1 = min(t0 + TILE, n_targets)
            width = t1 - t0
            out = acc[s, t0:t1]
            for j in range(width):
                out[j] = 0.0
            for m in range(n_markers):
                r = rows[m, s]
                src = stack[r, t0:t1] if r >= 0 else extra[-1 - r, t0:t1]
                for j in range(width):
                    out[j] += src[j]
            for j in range(width):
                t = t0 + j
                ok = good[t]
                if ok and not free:
                    ts = target_sex[t]
                    if ts != unknown and ts != ss:
                        ok = False
                if ok:
                    count += 1
                    col_n[t] += 1
                else:
                    out[j] = neg
        row_n[s] = count


@njit(nogil=True, cache=True)
def block_stats(acc, k, row_lse, top_v, top_i, col_lse, best_v, best_i):
    """One block's summaries, in two passes over ``acc`` (B, T):

    - per sample: log Σ exp over its targets (``row_lse``; ``-inf`` if none compared) and its ``k``
      best targets with LR > 0 (``top_v``/``top_i`` (B, k), best first, the lower target first among
      equals; ``-1`` where there are fewer);
    - per target: log Σ exp over the block's samples (``col_lse``) and its two best samples
      (``best_v``/``best_i`` (2, T), block rows; the earlier first among equals, as two ``argmax``).
    """
    n_block, n_targets = acc.shape
    neg = -np.inf
    row_max = np.empty(n_block)
    col_max = np.full(n_targets, neg)
    for t in range(n_targets):
        best_v[0, t] = neg
        best_v[1, t] = neg
        best_i[0, t] = -1
        best_i[1, t] = -1
    for s in range(n_block):
        mx = neg
        for j in range(k):
            top_v[s, j] = neg
            top_i[s, j] = -1
        for t in range(n_targets):
            v = acc[s, t]
            if v > mx:
                mx = v
            if v > col_max[t]:
                col_max[t] = v
            if v > best_v[0, t]:
                best_v[1, t] = best_v[0, t]
                best_i[1, t] = best_i[0, t]
                best_v[0, t] = v
                best_i[0, t] = s
            elif v > best_v[1, t]:
                best_v[1, t] = v
                best_i[1, t] = s
            if k > 0 and v > top_v[s, k - 1]:
                j = k - 1
                while j > 0 and v > top_v[s, j - 1]:
                    top_v[s, j] = top_v[s, j - 1]
                    top_i[s, j] = top_i[s, j - 1]
                    j -= 1
                top_v[s, j] = v
                top_i[s, j] = t
        row_max[s] = mx
    col_sum = np.zeros(n_targets)
    for s in range(n_block):
        mx = row_max[s]
        total = 0.0
        for t in range(n_targets):
            v = acc[s, t]
            if v - mx > -NEGLIGIBLE:
                total += math.exp(v - mx)
            d = v - col_max[t]
            if d > -NEGLIGIBLE:
                col_sum[t] += math.exp(d)
        row_lse[s] = math.log(total) + mx if mx > neg else neg
    for t in range(n_targets):
        col_lse[t] = math.log(col_sum[t]) + col_max[t] if col_max[t] > neg else neg


@njit(nogil=True, cache=True)
def rivals(acc, pair_row, pair_col, threshold, limit, out):
    """For each pair ``p`` (rows of one block, grouped by row in ascending order): the first
    ``limit`` other targets ``j`` (ascending) with ``acc[row, j] ≥ threshold[p]``, ``-1`` after;
    one pass over each row whatever the number of its pairs."""
    n_pairs = len(pair_row)
    n_targets = acc.shape[1]
    out[:] = -1
    p = 0
    while p < n_pairs:
        q = p
        while q < n_pairs and pair_row[q] == pair_row[p]:
            q += 1
        low = np.inf
        for i in range(p, q):
            low = min(low, threshold[i])
        row = pair_row[p]
        counts = np.zeros(q - p, dtype=np.int64)
        for j in range(n_targets):
            v = acc[row, j]
            if v >= low:
                for i in range(p, q):
                    if v >= threshold[i] and j != pair_col[i] and counts[i - p] < limit:
                        out[i, counts[i - p]] = j
                        counts[i - p] += 1
        p = q
