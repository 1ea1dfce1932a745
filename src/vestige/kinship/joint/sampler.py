"""Marginals of a group too wide for the dynamic programme: Markov chain Monte Carlo over its
assignments, with a stated error and convergence diagnostics.

The target is the distribution the exact methods sum over: an assignment's weight is the product
of its pairings' prior-weighted LRs ``λ`` (families of one) and of the tuple factors ``Φ`` of
families of several (:mod:`.frontier`'s units, the same inputs). A proposal picks a remains ``i``
uniformly and one of its other choices ``x`` uniformly (its candidates and "none", less its
current one ``y``): if ``x`` is free, ``i`` moves there; if another remains ``i'`` holds it, the two
exchange (``i'`` takes ``y``, refused unless ``y`` is "none" or one of ``i'``'s candidates). Every
transition has one proposal path in each direction except an exchange with ``y`` = none, whose
reverse is proposed from ``i'``: the Metropolis–Hastings ratio then carries ``d_i / d_i'`` (``d``:
a remains' number of choices). So the chain is reversible with respect to the weights (Metropolis
et al. 1953; Hastings 1970), and the exchange lets it cross between assignments that differ by a
swap of two remains (two sisters), which single moves cannot without passing through a low state.

Diagnostics (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-normalization, folding,
and localization: an improved R̂", Bayesian Analysis 16:667): several chains from different seeds,
each split in halves; for every pairing's indicator the split-R̂ from the halves' means and
variances, and the Monte Carlo standard error from batch means over all chains (Flegal & Jones
2010). Here R̂ is computed from each half's batch means (100 batches a chain), which is noisier
than R̂ over the draws, so the bar is 1.05 rather than Vehtari et al.'s 1.01. The group's stated
error is three standard errors of its worst pairing when every R̂ is below the bar; above it, the
chains disagree and nothing is claimed (error 1: no identification can pass the threshold).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

if not os.environ.get("NUMBA_CACHE_DIR"):
    from vestige.kinship.kernels import cache_dir  # the kernels' cache folder

    os.environ["NUMBA_CACHE_DIR"] = cache_dir()

from numba import njit  # noqa: E402

from vestige.kinship.joint.frontier import Unit  # noqa: E402

R_HAT_MAX = 1.05


@dataclass
class SamplerResult:
    marginal: np.ndarray  # (victims, targets + 1)
    mc_error: np.ndarray  # standard errors of the marginals (batch means)
    r_hat: np.ndarray  # split-R̂ per marginal (1.0 where every half agrees exactly)
    best: tuple[float, np.ndarray]  # the best assignment visited: plain log LR, target per victim or -1
    chains: int
    sweeps: int

    @property
    def converged(self) -> bool:
        return bool(np.all(self.r_hat <= R_HAT_MAX))

    @property
    def error(self) -> float:
        """The stated error of every marginal of the group: 3 standard errors, or 1 if the chains disagree."""
        return min(1.0, 3.0 * float(self.mc_error.max())) if self.converged else 1.0


@njit(cache=True, nogil=True)
def _contrib(u, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos):  # pragma: no cover
    """The log weight of unit ``u`` given who holds its missing persons."""
    t0 = unit_single_t[u]
    if t0 >= 0:
        v = occ[t0]
        return pair[v, t0] if v >= 0 else 0.0
    idx = 0
    for k in range(cols_off[u], cols_off[u + 1]):
        t = cols_flat[k]
        v = occ[t]
        if v >= 0:
            idx += pos[v, t] * strides_flat[k]
    return phi_flat[phi_off[u] + idx]


@njit(cache=True, nogil=True)
def _chain(opt_ptr, opt_idx, pair, lw, unit_of, unit_single_t, phi_flat, phi_off, cols_flat, cols_off,  # noqa: PLR0913
           strides_flat, pos, n_t, sweeps, burn, n_batches, seed):  # pragma: no cover - compiled
    np.random.seed(seed)
    n_v = len(opt_ptr) - 1
    a = np.full(n_v, -1, dtype=np.int64)
    occ = np.full(n_t, -1, dtype=np.int64)
    counts = np.zeros((n_batches, n_v, n_t + 1))
    per_batch = max(1, (sweeps - burn) // n_batches)
    plain = 0.0
    best = 0.0
    best_a = a.copy()
    for sweep in range(sweeps):
        for _ in range(n_v):
            i = np.random.randint(n_v)
            d = opt_ptr[i + 1] - opt_ptr[i]
            if d == 0:
                continue
            y = a[i]
            k = np.random.randint(d)  # among the candidates and none, less y
            x = -1
            seen = 0
            for q in range(opt_ptr[i], opt_ptr[i + 1]):
                t = opt_idx[q]
                if t == y:
                    continue
                if seen == k:
                    x = t
                    break
                seen += 1
            # (if k reached the end, x stays -1: "none", which y is not when we get here)
            j = occ[x] if x >= 0 else -1
            ratio = 1.0
            if j >= 0:
                if y >= 0 and pos[j, y] == 0:
                    continue  # i' cannot take y
                if y < 0:
                    ratio = d / (opt_ptr[j + 1] - opt_ptr[j])
            ua = unit_of[y] if y >= 0 else -1
            ub = unit_of[x] if x >= 0 else -1
            before = 0.0
            if ua >= 0:
                before += _contrib(ua, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            if ub >= 0 and ub != ua:
                before += _contrib(ub, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            # apply
            if y >= 0:
                occ[y] = j
            if x >= 0:
                occ[x] = i
            a[i] = x
            if j >= 0:
                a[j] = y
            after = 0.0
            if ua >= 0:
                after += _contrib(ua, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            if ub >= 0 and ub != ua:
                after += _contrib(ub, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            delta = after - before
            accept = delta + math.log(ratio)
            if accept >= 0.0 or np.random.random() < math.exp(accept):
                # plain log LR: less the prior weight of each remains placed
                plain += delta - ((lw[i] if x >= 0 else 0.0) - (lw[i] if y >= 0 else 0.0))
                if j >= 0:
                    plain -= (lw[j] if y >= 0 else 0.0) - lw[j]
                if plain > best:
                    best = plain
                    best_a[:] = a
            else:  # undo
                a[i] = y
                if j >= 0:
                    a[j] = x
                if x >= 0:
                    occ[x] = j
                if y >= 0:
                    occ[y] = i
        if burn <= sweep < burn + per_batch * n_batches:
            b = (sweep - burn) // per_batch
            for v in range(n_v):
                counts[b, v, a[v] if a[v] >= 0 else n_t] += 1.0
    return counts, best, best_a


def sample(options: list[list[int]], pair: np.ndarray, log_w: np.ndarray, units: list[Unit], n_targets: int, *,
           chains: int = 4, sweeps: int = 4000, seed: int = 1, n_batches: int = 100) -> SamplerResult:
    """Run ``chains`` chains of ``sweeps`` sweeps (one proposal per remains each), the first
    quarter discarded; inputs as :func:`vestige.kinship.joint.frontier.solve`."""
    n_v = len(options)
    opt_ptr = np.zeros(n_v + 1, dtype=np.int64)
    for i, o in enumerate(options):
        opt_ptr[i + 1] = opt_ptr[i] + len(o)
    opt_idx = np.array([j for o in options for j in o], dtype=np.int64)
    unit_of = np.full(n_targets, -1, dtype=np.int64)
    unit_single_t = np.full(len(units), -1, dtype=np.int64)
    pos = np.zeros((n_v, n_targets), dtype=np.int64)
    phi_parts, phi_off, cols_flat, cols_off, strides_flat = [], [0], [], [0], []
    for u, unit in enumerate(units):
        for c, j in enumerate(unit.cols):
            unit_of[j] = u
            for p, i in enumerate(unit.cands[c]):
                pos[i, j] = 1 + p if unit.log_phi is not None else 1
        if unit.log_phi is None:
            unit_single_t[u] = unit.cols[0]
            phi_parts.append(np.zeros(0))
            strides = [0] * len(unit.cols)
        else:
            phi_parts.append(unit.log_phi.reshape(-1))
            strides = [int(s // unit.log_phi.itemsize) for s in unit.log_phi.strides]
        phi_off.append(phi_off[-1] + len(phi_parts[-1]))
        cols_flat.extend(unit.cols)
        strides_flat.extend(strides)
        cols_off.append(len(cols_flat))
    phi_flat = np.concatenate(phi_parts) if phi_parts else np.zeros(0)
    args = (opt_ptr, opt_idx, np.ascontiguousarray(pair, dtype=np.float64), np.asarray(log_w, dtype=np.float64),
            unit_of, unit_single_t, phi_flat, np.array(phi_off, dtype=np.int64), np.array(cols_flat, dtype=np.int64),
            np.array(cols_off, dtype=np.int64), np.array(strides_flat, dtype=np.int64), pos, n_targets)
    burn = sweeps // 4
    runs = [_chain(*args, sweeps, burn, n_batches, seed + 7919 * c) for c in range(chains)]
    counts = np.stack([r[0] for r in runs])  # (chains, batches, victims, targets + 1)
    batch_means = counts / max(1, (sweeps - burn) // n_batches)
    marginal = batch_means.mean(axis=(0, 1))
    flat = batch_means.reshape(-1, *batch_means.shape[2:])
    mc_error = flat.std(axis=0, ddof=1) / math.sqrt(len(flat))
    r_hat = _split_r_hat(batch_means)
    b = max(range(chains), key=lambda c: runs[c][1])
    return SamplerResult(marginal, mc_error, r_hat, (float(runs[b][1]), runs[b][2].copy()), chains, sweeps)


def _split_r_hat(batch_means: np.ndarray) -> np.ndarray:
    """Split-R̂ per cell from each chain's batch means, each chain cut in two halves."""
    c, nb = batch_means.shape[:2]
    h = nb // 2
    halves = np.concatenate([batch_means[:, :h], batch_means[:, h:2 * h]], axis=0)  # (2c, h, ...)
    means = halves.mean(axis=1)
    within = halves.var(axis=1, ddof=1).mean(axis=0)
    between = h * means.var(axis=0, ddof=1)
    var = (h - 1) / h * within + between / h
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(var / within)
    r = np.where(within > 0, r, np.where(between > 0, np.inf, 1.0))
    return r
