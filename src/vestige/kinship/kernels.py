"""Compiled inner loops of the blind search (numba, compiled once and cached on disk).

The scoring of ``S`` samples against ``T`` missing persons over ``M`` markers is ``S·T·M`` table
look-ups; numpy did it one marker at a time over a whole block of samples, so every marker read
and wrote the block's 40 MB score matrix and a 40 MB gathered copy of the table (memory-bound,
about 3×10⁸ look-ups/s per core). :func:`accumulate` adds a sample's ``M`` table rows tile by tile
in a kilobyte that stays in the first-level cache, in the same order as numpy did (so every log
LR is bit-for-bit the one the numpy code gave), applies the sex filter in the same pass, and
gathers each sample's best candidates and each missing person's two best samples while the
tile's scores are in the cache.

The tables' batches are prepared by kernels too (:func:`observed_alleles`, :func:`virtual_batch`,
:func:`evidence_rows`: the allele space, mutation matrices and evidence of each family), the
nuclear families computed in closed form (:func:`nuclear`) and each genotype's LR written by
:func:`genotype_rows`.

PURE: numpy and numba only. ``nogil`` kernels, so that threads (:func:`vestige.kinship.scoring.thread_map`)
score blocks side by side.
"""

from __future__ import annotations

import os

import numpy as np


def cache_dir() -> str:
    """Where numba keeps the compiled kernels: ``NUMBA_CACHE_DIR`` if set, else the first writable
    of ``~/.cache/vestige/numba`` and a folder of this user's in the temporary directory (a
    service account may have no writable home). The first search after an install compiles for a
    few seconds (``make install`` does it), later ones load the compiled code."""
    import tempfile

    choices = [os.path.join(os.path.expanduser("~"), ".cache", "vestige", "numba"),
               os.path.join(tempfile.gettempdir(), f"vestige-numba-{os.getuid() if hasattr(os, 'getuid') else 0}")]
    for path in choices:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    return choices[-1]


if not os.environ.get("NUMBA_CACHE_DIR"):
    os.environ["NUMBA_CACHE_DIR"] = cache_dir()

from numba import njit  # noqa: E402

TILE = 128  # targets per tile (see accumulate; 10k x 10k: 0.66 s of scoring kernel against 0.88 s with 64)
FAMILY_TILE = 32  # families per tile (see genotype_rows)


@njit(nogil=True, cache=True, inline="always")
def _row(stack, extra, r, lo, hi):
    """Targets ``lo … hi - 1`` of table row ``r`` of ``stack``, or of ``extra[-1 - r]`` if ``r < 0``."""
    return stack[r, lo:hi] if r >= 0 else extra[-1 - r, lo:hi]


@njit(nogil=True, cache=True)
def accumulate(stack, rows, extra, sample_sex, first, last, unknown, uncertain, good, all_sexes,
               acc, row_n, col_n, k, natural, row_max, top_v, top_i, best_v, best_i, add, add_at, use_add):
    """``acc[s, t] = Σ_m table_m[row_m(s), t]`` in marker order, ``-inf`` where the pair is not
    compared; counts of compared pairs per sample (``row_n``) and per target (``col_n``, added to);
    and the block's statistics, gathered tile by tile while the tile's scores are in the cache:

    - per sample: its best score (``row_max``) and its ``k`` best targets with LR > 0
      (``top_v``/``top_i`` (B, k), best first, among equals the first in ``natural`` order (the
      targets' order in the families, whatever order they are scored in); ``-1`` where there
      are fewer);
    - per target: its two best samples (``best_v``/``best_i`` (2, T), block rows; the earlier
      first among equals, as two ``argmax`` passes give them).

    The log-sum-exps are numpy's (:func:`vestige.kinship.scoring._block_lse`): its vectorised
    ``exp`` is five times faster than a compiled scalar one.

    With ``use_add``, ``add[s, add_at[t]]`` (B, U) is added to each compared pair's sum after the
    markers where ``add_at[t] >= 0`` (the lineage systems' log LRs over the U targets some system
    compares, :mod:`vestige.kinship.lineage`); without it the sums are the markers' alone, bit for
    bit as before.

    ``stack`` (R, T): every marker's table rows, one above the other; ``rows`` (M, B): the row of
    each sample of the block at each marker, or ``-1 - k`` for ``extra[k]`` (a degraded reading's
    own row of log LRs, computed for this block). Sexes are small integer codes; the targets are
    ordered by sex, those of code ``c`` being ``first[c] … last[c] - 1`` (``unknown``: the code of
    "unknown", ``-1`` when absent), so a sample of known sex is summed only over its own sex's
    targets and those of unknown sex; ``uncertain`` samples are compared with either sex.
    """
    n_markers, n_block = rows.shape
    n_targets = stack.shape[1]
    neg = -np.inf
    spans = np.empty((2, 2), dtype=np.int64)
    for s in range(n_block):
        row_n[s] = 0
    _init_stats(n_block, k, row_max, top_v, top_i, best_v, best_i)
    clean = np.empty(n_block, dtype=np.bool_)  # samples with no row of their own (no degraded reading)
    for s in range(n_block):
        clean[s] = True
        for m in range(n_markers):
            if rows[m, s] < 0:
                clean[s] = False
    total = np.empty(TILE)  # a local buffer: the compiler knows nothing else writes it, and vectorises
    # Targets tile by tile, every sample of the block within a tile (the tile of every marker's
    # table is read from the cache by the samples after the first).
    for t0 in range(0, n_targets, TILE):
        t1 = min(t0 + TILE, n_targets)
        for s in range(n_block):
            ss = sample_sex[s]
            if all_sexes or uncertain[s] or ss == unknown or ss < 0:
                n_spans = 1
                spans[0, 0], spans[0, 1] = 0, n_targets
            else:
                n_spans = 1
                spans[0, 0], spans[0, 1] = first[ss], last[ss]
                if unknown >= 0:
                    n_spans = 2
                    spans[1, 0], spans[1, 1] = first[unknown], last[unknown]
            for t in range(t0, t1):
                acc[s, t] = neg
            count = 0
            for sp in range(n_spans):
                lo, hi = max(spans[sp, 0], t0), min(spans[sp, 1], t1)
                if lo >= hi:
                    continue
                width = hi - lo
                for j in range(width):
                    total[j] = 0.0
                # eight, then four markers a pass (the same additions in the same order: bit for bit
                # what one marker a pass gives, with far fewer loads and stores of the running sums)
                m = 0
                if clean[s]:  # table rows only (the common case, which the compiler vectorises best)
                    while m + 8 <= n_markers:
                        s0 = stack[rows[m, s], lo:hi]
                        s1 = stack[rows[m + 1, s], lo:hi]
                        s2 = stack[rows[m + 2, s], lo:hi]
                        s3 = stack[rows[m + 3, s], lo:hi]
                        s4 = stack[rows[m + 4, s], lo:hi]
                        s5 = stack[rows[m + 5, s], lo:hi]
                        s6 = stack[rows[m + 6, s], lo:hi]
                        s7 = stack[rows[m + 7, s], lo:hi]
                        for j in range(width):
                            total[j] = (((((((total[j] + s0[j]) + s1[j]) + s2[j]) + s3[j]) + s4[j]) + s5[j])
                                        + s6[j]) + s7[j]
                        m += 8
                    while m + 4 <= n_markers:
                        s0 = stack[rows[m, s], lo:hi]
                        s1 = stack[rows[m + 1, s], lo:hi]
                        s2 = stack[rows[m + 2, s], lo:hi]
                        s3 = stack[rows[m + 3, s], lo:hi]
                        for j in range(width):
                            total[j] = (((total[j] + s0[j]) + s1[j]) + s2[j]) + s3[j]
                        m += 4
                while m < n_markers:
                    s0 = _row(stack, extra, rows[m, s], lo, hi)
                    for j in range(width):
                        total[j] += s0[j]
                    m += 1
                if use_add:
                    for j in range(width):
                        p = add_at[lo + j]
                        if p >= 0:
                            total[j] += add[s, p]
                for j in range(width):
                    t = lo + j
                    if good[t]:
                        acc[s, t] = total[j]
                        count += 1
                        col_n[t] += 1
            row_n[s] += count
            _stats(acc, s, t0, t1, k, natural, row_max, top_v, top_i, best_v, best_i)


@njit(nogil=True, cache=True, inline="always")
def _init_stats(n_block, k, row_max, top_v, top_i, best_v, best_i):
    neg = -np.inf
    for t in range(best_v.shape[1]):
        best_v[0, t] = neg
        best_v[1, t] = neg
        best_i[0, t] = -1
        best_i[1, t] = -1
    for s in range(n_block):
        row_max[s] = neg
        for j in range(k):
            top_v[s, j] = neg
            top_i[s, j] = -1


@njit(nogil=True, cache=True, inline="always")
def _stats(acc, s, t0, t1, k, natural, row_max, top_v, top_i, best_v, best_i):
    """The block's statistics (see :func:`accumulate`) updated with sample ``s``'s scores at targets
    ``t0 … t1 - 1``; called for the samples in order at each target, and for each sample's targets
    in order, so that ties go as one pass over the whole block would send them."""
    neg = -np.inf
    mx = row_max[s]
    for t in range(t0, t1):
        v = acc[s, t]
        if v > mx:
            mx = v
        if v > best_v[1, t]:
            if v > best_v[0, t]:
                best_v[1, t] = best_v[0, t]
                best_i[1, t] = best_i[0, t]
                best_v[0, t] = v
                best_i[0, t] = s
            else:
                best_v[1, t] = v
                best_i[1, t] = s
        if k > 0 and (v > top_v[s, k - 1] or (v == top_v[s, k - 1] and v > neg
                                               and natural[t] < natural[top_i[s, k - 1]])):
            j = k - 1
            while j > 0 and (v > top_v[s, j - 1] or (v == top_v[s, j - 1] and natural[t] < natural[top_i[s, j - 1]])):
                top_v[s, j] = top_v[s, j - 1]
                top_i[s, j] = top_i[s, j - 1]
                j -= 1
            top_v[s, j] = v
            top_i[s, j] = t
    row_max[s] = mx


@njit(nogil=True, cache=True)
def rivals(acc, natural, pair_row, pair_col, threshold, limit, out):
    """For each pair ``p`` (rows of one block, grouped by row in ascending order): the ``limit``
    other targets ``j`` first in ``natural`` order with ``acc[row, j] ≥ threshold[p]``, in that
    order, ``-1`` after; one pass over each row whatever the number of its pairs."""
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
                    if v >= threshold[i] and j != pair_col[i]:
                        c = counts[i - p]
                        if c == limit and natural[j] > natural[out[i, limit - 1]]:
                            continue
                        pos = c if c < limit else limit - 1
                        while pos > 0 and natural[out[i, pos - 1]] > natural[j]:
                            if pos < limit:
                                out[i, pos] = out[i, pos - 1]
                            pos -= 1
                        out[i, pos] = j
                        if c < limit:
                            counts[i - p] = c + 1
        p = q


@njit(nogil=True, cache=True)
def genotype_rows(joint, den, vindex, weights, gx, gy, hw, cols, out):
    """``out[g, cols[b]] = P(data_b, X = g) / P(data_b) / P_HW(g)`` (the LR; its log is taken for the
    whole table at once, by numpy's vectorised log) for the unordered genotypes ``g = {gx, gy}``
    (table allele indices) the samples show, family ``b`` of a batch (``joint`` (B, a, a): P(data,
    X's paternal and maternal allele) over its virtual alleles, ``den`` its ``P(data)``).

    A table allele ``x`` is ``Σ_p wt[x, p] · virtual allele idx[x, p]`` (p = 0, 1): the allele
    itself (``vindex[b, x]``, weight 1, and 0) if the family showed it, else its shares
    (``weights[b, x]``) of the two lump alleles ``a - 2`` and ``a - 1``; always two terms, so the
    inner loop has no data-dependent branch.
    """
    n_b, a = joint.shape[0], joint.shape[1]
    n = vindex.shape[1]
    lp, lu = a - 2, a - 1
    idx = np.empty((FAMILY_TILE, n, 2), dtype=np.int64)
    wt = np.empty((FAMILY_TILE, n, 2))
    for b0 in range(0, n_b, FAMILY_TILE):  # a few families' inputs stay in the L1 cache for every genotype
        b1 = min(b0 + FAMILY_TILE, n_b)
        for b in range(b0, b1):
            for x in range(n):
                v = vindex[b, x]
                if v >= 0:
                    idx[b - b0, x, 0], idx[b - b0, x, 1] = v, 0
                    wt[b - b0, x, 0], wt[b - b0, x, 1] = 1.0, 0.0
                else:
                    idx[b - b0, x, 0], idx[b - b0, x, 1] = lp, lu
                    wt[b - b0, x, 0], wt[b - b0, x, 1] = weights[b, x, lp], weights[b, x, lu]
        for g in range(len(gx)):
            x, y = gx[g], gy[g]
            lh = hw[g]
            for b in range(b0, b1):
                i = b - b0
                x0, x1, y0, y1 = idx[i, x, 0], idx[i, x, 1], idx[i, y, 0], idx[i, y, 1]
                wx0, wx1, wy0, wy1 = wt[i, x, 0], wt[i, x, 1], wt[i, y, 0], wt[i, y, 1]
                v = (wx0 * (joint[b, x0, y0] * wy0 + joint[b, x0, y1] * wy1)
                     + wx1 * (joint[b, x1, y0] * wy0 + joint[b, x1, y1] * wy1))
                if x != y:  # the same for every family of the batch: predictable
                    v += (wy0 * (joint[b, y0, x0] * wx0 + joint[b, y0, x1] * wx1)
                          + wy1 * (joint[b, y1, x0] * wx0 + joint[b, y1, x1] * wx1))
                out[g, cols[b]] = v / den[b] / lh


@njit(nogil=True, cache=True)
def evidence_rows(codes, vindex, ev, typed_any):
    """The evidence of clean reference genotypes over each family's virtual alleles: ``ev[j, b]``
    (a, a) is 1 at the two orderings of person ``j``'s genotype in family ``b`` (``codes`` (B,
    P, 2) table allele indices, ``-1``: untyped, whose evidence is all ones); ``typed_any[b]``
    set where someone of the family is typed."""
    n_b, n_p = codes.shape[0], codes.shape[1]
    a = ev.shape[2]
    for j in range(n_p):
        for b in range(n_b):
            x = codes[b, j, 0]
            fill = 0.0 if x >= 0 else 1.0
            for i in range(a):
                for k in range(a):
                    ev[j, b, i, k] = fill
            if x >= 0:
                va, vb = vindex[b, x], vindex[b, codes[b, j, 1]]
                ev[j, b, va, vb] = 1.0
                ev[j, b, vb, va] = 1.0
                typed_any[b] = True


@njit(nogil=True, cache=True)
def observed_alleles(presence, freqs, safe, p_obs, vindex):
    """Per family (row of ``presence``, (B, n) bool: the table alleles seen in the family): its
    seen alleles in table order (``safe`` (B, kmax), 0 after the last), their frequencies
    (``p_obs`` (B, kmax), 0 after) and each table allele's virtual index (``vindex`` (B, n), -1
    if not seen); returns the number seen per family."""
    n_b, n = presence.shape
    kmax = safe.shape[1]
    k = np.zeros(n_b, dtype=np.int64)
    for b in range(n_b):
        j = 0
        for x in range(n):
            if presence[b, x]:
                safe[b, j] = x
                p_obs[b, j] = freqs[x]
                vindex[b, x] = j
                j += 1
            else:
                vindex[b, x] = -1
        k[b] = j
        for i in range(j, kmax):
            safe[b, i] = 0
            p_obs[b, i] = 0.0
    return k


@njit(nogil=True, cache=True)
def _lumped_matrix(m, kind, u, stay, k, n_l, p_l, p_obs, safe, t):
    """One family's mutation matrix over its virtual alleles (see :func:`virtual_batch`)."""
    kmax = safe.shape[0]
    lp, lu = kmax, kmax + 1
    a = kmax + 2
    for i in range(a):
        for j in range(a):
            t[i, j] = 0.0
    for i in range(k):
        for j in range(k):
            t[i, j] = m[safe[i], safe[j]]
    for i in range(k, kmax):  # dummy alleles stay themselves; nothing reaches them
        t[i, i] = 1.0
    if kind == 0:  # no mutation
        t[lp, lp] = 1.0
        t[lu, lu] = 1.0
    elif kind == 1:  # equal: u = rate / (n - 1), stay = 1 - rate - u
        for i in range(k):
            t[i, lu] = n_l * u
            t[lp, i] = u
            t[lu, i] = u
        t[lp, lp] = stay
        t[lp, lu] = n_l * u
        t[lu, lu] = stay + n_l * u
    else:  # proportional: u = alpha, stay = 1 - alpha
        for i in range(k):
            t[i, lp] = u * p_l
            t[lp, i] = u * p_obs[i]
        t[lp, lp] = stay + u * p_l
        t[lu, lu] = 1.0


@njit(nogil=True, cache=True)
def virtual_batch(presence, freqs, mm, mf, safe, p_obs, vindex, k, p_l, kinds, params,
                  prior, male, female, weights):
    """Each family's allele space for the lumpable mutation models: its seen alleles (table
    order), then the lumps Lp (all unseen alleles, ``kmax``) and Lu (their mean, ``kmax + 1``),
    rows of a shorter family padded with dummy alleles; fills ``prior`` (B, a), the mutation
    matrices ``male``/``female`` (B, a, a) and ``weights`` (B, n, a) (a table allele's share of
    each virtual allele). ``kinds[s]`` 0 none, 1 equal, 2 proportional; ``params[s]`` (u,
    stay): for equal ``rate / (n - 1)`` and ``1 - rate - u``, for proportional ``alpha`` and
    ``1 - alpha``; ``p_l`` (B,): the unseen alleles' total frequency (numpy's sum of ``p_obs``,
    0 when every allele was seen). Every value is the one numpy's broadcasting gave, bit for bit."""
    n_b, n = presence.shape
    kmax = safe.shape[1]
    lp, lu = kmax, kmax + 1
    for b in range(n_b):
        kb = k[b]
        n_l = n - kb
        pl = p_l[b]
        for i in range(kmax):
            prior[b, i] = p_obs[b, i]
        prior[b, lp] = pl
        prior[b, lu] = 0.0
        safe_pl = pl if pl > 0 else 1.0
        safe_nl = n_l if n_l > 0 else 1
        for x in range(n):
            for i in range(kmax + 2):
                weights[b, x, i] = 0.0
            v = vindex[b, x]
            if v >= 0:
                weights[b, x, v] = 1.0
            else:
                weights[b, x, lp] = freqs[x] / safe_pl
                weights[b, x, lu] = 1.0 / safe_nl
        _lumped_matrix(mm, kinds[0], params[0, 0], params[0, 1], kb, n_l, pl, p_obs[b], safe[b], male[b])
        _lumped_matrix(mf, kinds[1], params[1, 0], params[1, 1], kb, n_l, pl, p_obs[b], safe[b], female[b])


@njit(nogil=True, cache=True)
def _sandwich(left, middle, right, tmp, dest):
    """``dest = left · middle · rightᵀ`` for small square matrices (``tmp`` a scratch matrix)."""
    a = middle.shape[0]
    for x in range(a):
        for j in range(a):
            v = 0.0
            for i in range(a):
                v += left[x, i] * middle[i, j]
            tmp[x, j] = v
    for x in range(a):
        for y in range(a):
            v = 0.0
            for j in range(a):
                v += tmp[x, j] * right[y, j]
            dest[x, y] = v


@njit(nogil=True, cache=True)
def nuclear(prior, male, female, ev_father, ev_mother, ev_children, keep, out):
    """``P(data, kept person's ordered alleles)`` for a nuclear family: two founders (father,
    mother) and their children, none of whom has children here (what most DVI references are:
    parents, spouse, siblings, children of the missing person).

    ``prior`` (B, a); ``male``/``female`` (B, a, a) mutation matrices; ``ev_father``/``ev_mother``
    (B, a, a) the founders' evidence (ones if untyped); ``ev_children`` (C, B, a, a) the typed
    children's; ``keep``: 0 the father, 1 the mother, 2 an untyped child; ``out`` (B, a, a).

    With ``G_c = male · E_c · femaleᵀ`` a typed child contributes
    ``¼ (G_c[fP, mP] + G_c[fP, mM] + G_c[fM, mP] + G_c[fM, mM])`` to the weight ``H`` of the
    parents' alleles (fP, fM, mP, mM), and ``H`` is symmetric in each parent's two alleles (the
    evidence of an unordered genotype is), so a kept child's ``(x, y)`` is
    ``Σ_{fP, mP} male[fP, x] K[fP, mP] female[mP, y]`` with ``K = Σ_{fM, mM} H``: about ``C·a⁴``
    operations a family instead of the ``a⁵`` of the general elimination.
    """
    n_b, a = prior.shape
    n_c = ev_children.shape[0]
    g = np.empty((n_c, a, a))
    tmp = np.empty((a, a))
    k = np.empty((a, a))
    for b in range(n_b):
        for c in range(n_c):  # G_c = male · E_c · femaleᵀ
            _sandwich(male[b], ev_children[c, b], female[b], tmp, g[c])
        for x in range(a):
            for y in range(a):
                out[b, x, y] = 0.0
                k[x, y] = 0.0
        for fp in range(a):
            for fm in range(a):
                wf = prior[b, fp] * prior[b, fm] * ev_father[b, fp, fm]
                if wf == 0.0:
                    continue
                for mp in range(a):
                    for mm in range(a):
                        w = wf * prior[b, mp] * prior[b, mm] * ev_mother[b, mp, mm]
                        if w == 0.0:
                            continue
                        for c in range(n_c):
                            w *= 0.25 * (g[c, fp, mp] + g[c, fp, mm] + g[c, fm, mp] + g[c, fm, mm])
                        if keep == 0:
                            out[b, fp, fm] += w
                        elif keep == 1:
                            out[b, mp, mm] += w
                        else:
                            k[fp, mp] += w
        if keep == 2:  # the kept child: maleᵀ · K · female
            _sandwich(male[b].T, k, female[b].T, tmp, out[b])


def warm_up() -> None:
    """Compile every kernel for the types the search passes (or load them from the cache), in the
    order the search first calls them (run by ``make install``)."""
    f8, i8 = np.zeros((2, 2)), np.zeros((2, 2), dtype=np.int64)
    v8, vi = np.zeros(2), np.zeros(2, dtype=np.int64)
    vb = np.zeros(2, dtype=bool)
    e = np.ones((2, 2, 2))
    presence = np.ones((2, 2), dtype=bool)
    k = observed_alleles(presence, v8, i8.copy(), f8.copy(), i8.copy())
    virtual_batch(presence, v8, f8, f8, i8, f8, i8, k, v8, vi, f8, np.zeros((2, 4)), np.zeros((2, 4, 4)),
                  np.zeros((2, 4, 4)), np.zeros((2, 2, 4)))
    evidence_rows(np.zeros((2, 2, 2), dtype=np.int64), i8, np.ones((2, 2, 2, 2)), vb.copy())
    nuclear(f8, e, e, e, e, np.ones((1, 2, 2, 2)), 2, np.zeros((2, 2, 2)))
    genotype_rows(np.ones((2, 2, 2)), np.ones(2), i8, np.ones((2, 2, 2)), vi, vi, np.ones(2), vi, np.zeros((2, 2)))
    accumulate(f8, i8, f8, vi, vi, vi, -1, vb, vb, False, np.zeros((2, 2)), vi.copy(), vi.copy(), 1, vi, v8.copy(),
               f8.copy(), i8.copy(), f8.copy(), i8.copy(), np.zeros((2, 2)), vi, False)
    rivals(f8, vi, vi, vi, v8, 1, i8.copy())
