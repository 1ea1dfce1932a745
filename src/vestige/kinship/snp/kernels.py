"""Compiled inner loops of the SNP engine (numba, cached on disk like :mod:`vestige.kinship.kernels`):
the Lander–Green forward pass, KING counts on bit planes, the pairwise IBD HMM. Imported only when
something is computed, so that importing the kinship package stays quick."""

from __future__ import annotations

import math
import os

import numpy as np

if not os.environ.get("NUMBA_CACHE_DIR"):
    from vestige.kinship.kernels import cache_dir  # the kernels' cache folder

    os.environ["NUMBA_CACHE_DIR"] = cache_dir()

from numba import njit, prange  # noqa: E402


@njit(nogil=True, cache=True, parallel=True)
def forward(obs, eps, emit, pattern, n_bits, flips, r, out):  # pragma: no cover - compiled
    n_states = pattern.shape[0]
    n_pat = emit.shape[1]
    m = emit.shape[0]
    for s in prange(obs.shape[0]):
        alpha = np.full(n_states, 1.0 / n_states)
        tmp = np.empty(n_states)
        em = np.empty(n_pat)
        total_log = 0.0
        e = eps[s]
        for t in range(m):
            rt = r[t]
            if t > 0:
                if rt >= 0.5:
                    for v in range(n_states):
                        alpha[v] = 1.0 / n_states
                elif rt > 0.0:
                    for b in range(n_bits):
                        step = 1 << b
                        for v in range(n_states):
                            if v & step == 0:
                                a0 = alpha[v]
                                a1 = alpha[v | step]
                                alpha[v] = (1.0 - rt) * a0 + rt * a1
                                alpha[v | step] = rt * a0 + (1.0 - rt) * a1
                    for f in range(flips.shape[0]):
                        mask = flips[f]
                        for v in range(n_states):
                            tmp[v] = (1.0 - rt) * alpha[v] + rt * alpha[v ^ mask]
                        for v in range(n_states):
                            alpha[v] = tmp[v]
            o = obs[s, t]
            for p in range(n_pat):
                if o < 0:
                    em[p] = emit[t, p, 0] + emit[t, p, 1] + emit[t, p, 2]
                else:
                    x = 0.0
                    for g in range(3):
                        x += emit[t, p, g] * ((1.0 - e) if g == o else e / 2.0)
                    em[p] = x
            tot = 0.0
            for v in range(n_states):
                alpha[v] *= em[pattern[v]]
                tot += alpha[v]
            if tot <= 0.0:
                total_log = -np.inf
                break
            total_log += math.log(tot)
            inv = 1.0 / tot
            for v in range(n_states):
                alpha[v] *= inv
        out[s] = total_log


@njit(inline="always", cache=True)
def _popcount(x):  # pragma: no cover - compiled (LLVM turns this idiom into the popcnt instruction)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(parallel=True, nogil=True, cache=True)
def king(a, b, kin, ibs0, nsnp):  # pragma: no cover - compiled
    words = a.shape[2]
    for i in prange(a.shape[0]):
        for j in range(b.shape[0]):
            hh = np.uint64(0)
            opp = np.uint64(0)
            hi = np.uint64(0)
            hj = np.uint64(0)
            both = np.uint64(0)
            for w in range(words):
                ha, ra, xa = a[i, 0, w], a[i, 1, w], a[i, 2, w]
                hb, rb, xb = b[j, 0, w], b[j, 1, w], b[j, 2, w]
                ca = ha | ra | xa
                cb = hb | rb | xb
                hh += _popcount(ha & hb)
                opp += _popcount((ra & xb) | (xa & rb))
                hi += _popcount(ha & cb)
                hj += _popcount(hb & ca)
                both += _popcount(ca & cb)
            low = min(hi, hj)
            if low > 0:
                kin[i, j] = 0.5 + (2.0 * float(hh) - 4.0 * float(opp) - float(hi) - float(hj)) / (4.0 * float(low))
            else:
                kin[i, j] = np.nan
            ibs0[i, j] = opp
            nsnp[i, j] = both


@njit(cache=True)
def posterior_ibd(emit, cm, chrom, prior, rate):  # pragma: no cover - compiled
    m = emit.shape[0]
    fw = np.empty((m, 3))
    bw = np.empty((m, 3))
    for t in range(m):
        if t == 0 or chrom[t] != chrom[t - 1]:
            for k in range(3):
                fw[t, k] = prior[k] * emit[t, k]
        else:
            stay = math.exp(-rate * (cm[t] - cm[t - 1]))
            for k in range(3):
                fw[t, k] = (stay * fw[t - 1, k] + (1 - stay) * prior[k]) * emit[t, k]
        s = fw[t, 0] + fw[t, 1] + fw[t, 2]
        for k in range(3):
            fw[t, k] /= s
    for t in range(m - 1, -1, -1):
        if t == m - 1 or chrom[t + 1] != chrom[t]:
            for k in range(3):
                bw[t, k] = 1.0
        else:
            stay = math.exp(-rate * (cm[t + 1] - cm[t]))
            nxt = 0.0
            for k in range(3):
                nxt += prior[k] * emit[t + 1, k] * bw[t + 1, k]
            for k in range(3):
                bw[t, k] = stay * emit[t + 1, k] * bw[t + 1, k] + (1 - stay) * nxt
        s = bw[t, 0] + bw[t, 1] + bw[t, 2]
        for k in range(3):
            bw[t, k] /= s
    post = np.empty(m)
    for t in range(m):
        z = fw[t, 0] * bw[t, 0] + fw[t, 1] * bw[t, 1] + fw[t, 2] * bw[t, 2]
        post[t] = (fw[t, 1] * bw[t, 1] + fw[t, 2] * bw[t, 2]) / z
    return post


@njit(cache=True)
def ibd_log_lr(emit, cm, chrom, prior, rate):  # pragma: no cover - compiled
    total = 0.0
    f = np.empty(3)
    for t in range(emit.shape[0]):
        if t == 0 or chrom[t] != chrom[t - 1]:
            for k in range(3):
                f[k] = prior[k]
        else:
            stay = math.exp(-rate * (cm[t] - cm[t - 1]))
            for k in range(3):
                f[k] = stay * f[k] + (1 - stay) * prior[k]
        s = 0.0
        for k in range(3):
            f[k] *= emit[t, k] / emit[t, 0]
            s += f[k]
        total += math.log(s)
        for k in range(3):
            f[k] /= s
    return total


@njit(cache=True, inline="always")
def _emit3(ga, gb, p, eps, out):  # pragma: no cover - compiled; the emissions of _pair_emissions, one SNP
    q = 1.0 - p
    hw0, hw1, hw2 = q * q, 2.0 * p * q, p * p
    ha = hw0 if ga == 0 else (hw1 if ga == 1 else hw2)
    hb = hw0 if gb == 0 else (hw1 if gb == 1 else hw2)
    e0 = ha * hb
    # other allele given a shared alt (s = 1) or ref (s = 0)
    oa1 = q if ga == 1 else (p if ga == 2 else 0.0)
    ob1 = q if gb == 1 else (p if gb == 2 else 0.0)
    oa0 = q if ga == 0 else (p if ga == 1 else 0.0)
    ob0 = q if gb == 0 else (p if gb == 1 else 0.0)
    e1 = p * oa1 * ob1 + q * oa0 * ob0
    e2 = ha if ga == gb else 0.0
    out[0] = 1.0
    out[1] = ((1.0 - eps) * e1 + eps * e0) / e0
    out[2] = ((1.0 - eps) * e2 + eps * e0) / e0


@njit(parallel=True, nogil=True, cache=True)
def screen_pairs(calls, ia, ib, freq, cm, chrom, prior, rate, eps, out):  # pragma: no cover - compiled
    for k in prange(ia.shape[0]):
        a = ia[k]
        b = ib[k]
        f = np.empty(3)
        e = np.empty(3)
        total = 0.0
        first = True
        for t in range(calls.shape[1]):
            if first or chrom[t] != chrom[t - 1]:
                for x in range(3):
                    f[x] = prior[x]
            else:
                stay = math.exp(-rate * (cm[t] - cm[t - 1]))
                for x in range(3):
                    f[x] = stay * f[x] + (1 - stay) * prior[x]
            first = False
            ga = calls[a, t]
            gb = calls[b, t]
            if ga < 0 or gb < 0:
                continue
            _emit3(ga, gb, freq[t], eps, e)
            s = 0.0
            for x in range(3):
                f[x] *= e[x]
                s += f[x]
            total += math.log(s)
            for x in range(3):
                f[x] /= s
        out[k] = total / math.log(10.0)
