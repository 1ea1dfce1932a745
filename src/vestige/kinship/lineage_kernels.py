"""Compiled inner loops of the lineage systems' scoring (:mod:`vestige.kinship.lineage`): the Y-STR
and mtDNA log LRs of a block of samples against every line, and their sum into the search's
compact lineage matrix. Apart from :mod:`vestige.kinship.kernels` (the autosomal search's), whose
numba set-up (the on-disk cache) they share.

PURE: numpy and numba only; ``nogil``, scored in the search's threads.
"""

from __future__ import annotations

import numpy as np

# numba's njit, imported through the kernels' module, which first sets numba's cache folder
from vestige.kinship.kernels import njit


@njit(nogil=True, cache=True)
def scatter_columns(dst, src, place):
    """``dst[:, place[j]] += src[:, j]`` without numpy's temporaries (a system's compact log LRs
    into the lineage sum)."""
    for r in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[r, place[j]] += src[r, j]


@njit(nogil=True, cache=True)
def y_block(rows, columns, stack, offsets, state, pattern, log_f, has, out):
    """Y-STR log LRs of samples ``rows`` against the missing men of ``columns`` added into ``out``:
    the sum over loci of the line's log q at the sample's state, less the log frequency of the
    sample's haplotype on the loci compared (see :mod:`vestige.kinship.lineage`). Locus-major: for
    one locus the lines' log q at the sample's state are a contiguous row of ``stack``, summed
    into one vector over the lines (the same additions in the same order as line by line)."""
    n_loci = offsets.shape[0] - 1
    n_lines = columns.shape[0]
    total = np.empty(n_lines)
    for r in range(rows.shape[0]):
        s = rows[r]
        typed = False
        for li in range(n_loci):
            if state[s, li] >= 0:
                typed = True
                break
        if not typed:  # no Y reading (a woman, or nothing on the grid): nothing compared
            continue
        total[:] = 0.0
        for li in range(n_loci):
            x = state[s, li]
            if x >= 0:
                at = offsets[li] + x
                for j in range(n_lines):
                    total[j] += stack[at, j]
        for j in range(n_lines):
            p = pattern[j]
            if has[s, p]:
                out[r, columns[j]] += total[j] - log_f[s, p]


@njit(nogil=True, cache=True)
def mt_block(rows, columns, site_ins, site_class, s_ptr, s_site, s_state, s_pattern, t_state_t, cover, in_s,
             log_a_t, log_b_t, base, log_f, typed, out):
    """mtDNA log LRs of samples ``rows`` against the maternal lines of ``columns`` added into
    ``out`` (see :mod:`vestige.kinship.lineage`). ``base[sp, j]``: line ``j``'s log likelihood for a
    sample of range pattern ``sp`` with no variant at all (log A over the positions both cover,
    corrected at the line's own sites); each of the sample's sites then replaces the line's
    correction there by the pair's. Site-major: for one site, the lines' states
    ``t_state_t[i, :]``, their cover ``cover[i, :]`` and rates ``log_a_t[c, :]`` are contiguous."""
    n_lines = columns.shape[0]
    row = np.empty(n_lines)
    for r in range(rows.shape[0]):
        s = rows[r]
        if not typed[s]:
            continue
        sp = s_pattern[s]
        for j in range(n_lines):
            row[j] = base[sp, j] - log_f[s]
        for k in range(s_ptr[s], s_ptr[s + 1]):
            i = s_site[k]
            if not in_s[sp, i]:
                continue
            mine = s_state[k]
            insertion = site_ins[i] > 0
            c = site_class[i]
            for j in range(n_lines):
                if cover[i, j]:
                    theirs = t_state_t[i, j]
                    la = log_a_t[c, j]
                    lb = log_b_t[c, j]
                    v = mt_site(mine, theirs, insertion, la, lb)
                    if theirs != 0:
                        v -= mt_site(0, theirs, insertion, la, lb)
                    row[j] += v
        for j in range(n_lines):
            out[r, columns[j]] += row[j]


@njit(nogil=True, cache=True, inline="always")
def mt_site(mine, theirs, insertion, la, lb):
    """The correction at one site to the base sum (log A at every position both cover)."""
    if mine == 6 or theirs < 0:  # heteroplasmy, or the line's relatives disagree: not compared
        return 0.0 if insertion else -la
    if insertion:
        return la if mine == theirs else lb
    return 0.0 if mine == theirs else lb - la


def warm_up() -> None:
    """Compile these kernels for the types the search passes (or load them from the cache)."""
    f8, i8, vi = np.zeros((2, 2)), np.zeros((2, 2), dtype=np.int64), np.zeros(2, dtype=np.int64)
    v8, vb = np.zeros(2), np.zeros(2, dtype=bool)
    e0 = np.zeros(0, dtype=np.int64)
    b2 = np.zeros((1, 1), dtype=np.bool_)
    scatter_columns(f8.copy(), f8, vi)
    y_block(e0, vi, f8, vi, i8, vi, f8, b2, f8.copy())
    mt_block(e0, vi, vi, vi, vi, vi, vi, vi, np.zeros((1, 1), dtype=np.int8), b2, b2, f8, f8, f8, v8, vb,
             f8.copy())
