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
each split in halves; for every marginal the split-R̂ from the halves' means and variances of its
conditional averages (below), and the Monte Carlo standard error from batch means over all chains
(Flegal & Jones 2010). Here R̂ is computed from each half's batch means (100 batches a chain), which is noisier
than R̂ over the draws, so the bar is 1.05 rather than Vehtari et al.'s 1.01. Where a marginal's
R̂ is above the bar the chains disagree, and the whole spread between their estimates is its
remains' error (two chains settled in different assignments: about 1, nothing claimed).

Estimates (Rao–Blackwellisation: Gelfand & Smith 1990, JASA 85:398; Casella & Robert 1996,
Biometrika 83:81). Every ``rb_every`` sweeps each remains' conditional distribution given where
all the others sit — "none" and each of its candidates not held by another — is computed exactly
and averaged, instead of counting where the remains happened to be. Both estimate the same
marginal (E[1{a_i = x}] = E[P(a_i = x | a_−i)]), but the conditional average gives a pairing the
chain almost never leaves a small, stable, non-zero complement, so its standard error says how
well P(not this pairing) ≈ 10⁻⁴ is known, where counting could only say "never seen". The stated
error is per remains: three standard errors (batch means of the conditional averages) of its
worst cell, or that cell's spread between chains where they disagree, and never less than 3/n for
n states averaged in all (the rule of three: assignments the chains never reached, two moves or
more from any they visited, have less mass than that at 95 %), plus the mass of the pairings left
out as negligible (:func:`sample`).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

if not os.environ.get("NUMBA_CACHE_DIR"):
    from vestige.kinship.kernels import cache_dir  # the kernels' cache folder

    os.environ["NUMBA_CACHE_DIR"] = cache_dir()

from numba import njit  # noqa: E402

from vestige.kinship.joint.frontier import Unit  # noqa: E402

R_HAT_MAX = 1.05
NEGLIGIBLE = 1e-12  # a pairing's prior-weighted LR below which the chains leave it out


@dataclass
class SamplerResult:
    marginal: np.ndarray  # (victims, targets + 1): the conditional (Rao–Blackwellised) averages
    mc_error: np.ndarray  # standard errors of the marginals (batch means of the conditional averages)
    r_hat: np.ndarray  # split-R̂ per marginal (1.0 where every half agrees exactly)
    spread: np.ndarray  # per marginal, the largest difference between two half-chains' estimates
    best: tuple[float, np.ndarray]  # the best assignment visited: plain log LR, target per victim or -1
    chains: int
    sweeps: int
    left_out: float = 0.0  # how far leaving out the negligible pairings may move any marginal (e^Σλ − 1)
    passes: int = 0  # states whose conditionals were averaged, all chains together

    @property
    def converged(self) -> bool:
        return bool(np.all(self.r_hat <= R_HAT_MAX))

    @property
    def victim_error(self) -> np.ndarray:
        """The stated error of each remains' marginals: over its cells, three standard errors, or,
        where the chains disagree (R̂ above the bar), the whole spread between them if larger."""
        cell = np.where(self.r_hat <= R_HAT_MAX, 3.0 * self.mc_error, np.maximum(3.0 * self.mc_error, self.spread))
        return np.minimum(1.0, np.maximum(cell.max(axis=1), self.unseen) + self.left_out)

    @property
    def unseen(self) -> float:
        """The mass of assignments the chains may never have reached: by the rule of three, an
        event absent from ``n`` recorded states has probability below 3/n (95 %)."""
        return min(1.0, 3.0 / max(1, self.passes))

    @property
    def error(self) -> float:
        """The largest stated error of the group (every remains' is in :attr:`victim_error`)."""
        return float(self.victim_error.max()) if len(self.marginal) else 0.0


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
           strides_flat, pos, n_t, sweeps, burn, n_batches, rb_every, seed):  # pragma: no cover - compiled
    """One chain. Cells: a remains' options in ``opt_idx`` order, then one "none" cell per remains
    (``n_opts + i``). Returns, per half of the recorded batches (axis 0) and per cell, the sum and
    the sum of squares of the batch means of the conditional averages, less the half's first
    batch mean (axis 1: shifted sums, for precision near 0 and 1), that shift (axis 1, index 2),
    the best plain log LR visited and its assignment."""
    np.random.seed(seed)
    n_v = len(opt_ptr) - 1
    n_opts = len(opt_idx)
    n_cells = n_opts + n_v
    a = np.full(n_v, -1, dtype=np.int64)
    occ = np.full(n_t, -1, dtype=np.int64)
    rb_m = np.zeros((2, 3, n_cells))
    rb_b = np.zeros(n_cells)
    per_batch = max(1, (sweeps - burn) // n_batches)
    half = n_batches // 2
    rb_passes = 0
    width = 0
    for i in range(n_v):
        width = max(width, opt_ptr[i + 1] - opt_ptr[i])
    w = np.empty(width)
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
            # uniformly among the candidates and none, less y: a candidate drawn, none in y's place
            x = opt_idx[opt_ptr[i] + np.random.randint(d)]
            if x == y:
                x = -1
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
        if burn <= sweep < burn + per_batch * 2 * half:
            step = sweep - burn
            if (step % per_batch) % rb_every == 0:  # every batch starts with one
                rb_passes += 1
                for i in range(n_v):
                    _conditional(i, a, occ, w, rb_b, n_opts, opt_ptr, opt_idx, pair, unit_of, unit_single_t, phi_flat,
                                 phi_off, cols_flat, cols_off, strides_flat, pos)
            if (step + 1) % per_batch == 0:  # a batch ends: its means into its half's sums
                h = 0 if step < per_batch * half else 1
                first = (step + 1) // per_batch == 1 + h * half
                for c in range(n_cells):
                    r = rb_b[c] / max(rb_passes, 1)
                    if first:
                        rb_m[h, 2, c] = r
                    r -= rb_m[h, 2, c]
                    rb_m[h, 0, c] += r
                    rb_m[h, 1, c] += r * r
                    rb_b[c] = 0.0
                rb_passes = 0
    return rb_m, best, best_a


@njit(cache=True, nogil=True)
def _conditional(i, a, occ, w, acc, n_opts, opt_ptr, opt_idx, pair, unit_of, unit_single_t, phi_flat,  # noqa: PLR0913
                 phi_off, cols_flat, cols_off, strides_flat, pos):  # pragma: no cover - compiled
    """Add remains ``i``'s distribution given where every other remains sits to ``acc``: "none"
    (weight 1) and each candidate nobody else holds (the weight the chain gives placing ``i`` there)."""
    y = a[i]
    if y >= 0:
        occ[y] = -1
    top = 0.0
    for q in range(opt_ptr[i], opt_ptr[i + 1]):
        k = q - opt_ptr[i]
        t = opt_idx[q]
        if occ[t] >= 0:
            w[k] = -np.inf
            continue
        u = unit_of[t]
        if u < 0:
            w[k] = 0.0
        elif unit_single_t[u] >= 0:  # a missing person of one, free: the pairing's own weight
            w[k] = pair[i, t]
        else:
            before = _contrib(u, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            occ[t] = i
            after = _contrib(u, occ, pair, unit_single_t, phi_flat, phi_off, cols_flat, cols_off, strides_flat, pos)
            occ[t] = -1
            w[k] = after - before
        if w[k] > top:
            top = w[k]
    none = math.exp(-top)
    total = none
    for k in range(opt_ptr[i + 1] - opt_ptr[i]):
        w[k] = math.exp(w[k] - top)  # 0 for a candidate another remains holds
        total += w[k]
    acc[n_opts + i] += none / total
    for q in range(opt_ptr[i], opt_ptr[i + 1]):
        acc[q] += w[q - opt_ptr[i]] / total
    if y >= 0:
        occ[y] = i


def sample(options: list[list[int]], pair: np.ndarray, log_w: np.ndarray, units: list[Unit], n_targets: int, *,
           chains: int = 4, sweeps: int = 4000, seed: int = 1, n_batches: int = 100, rb_every: int = 1,
           negligible: float = NEGLIGIBLE) -> SamplerResult:
    """Run ``chains`` chains of ``sweeps`` sweeps (one proposal per remains each), the first
    quarter discarded, the conditional averages taken every ``rb_every`` sweeps; inputs as
    :func:`vestige.kinship.joint.frontier.solve`. Pairings with a missing person of one whose
    prior-weighted LR is below ``negligible`` are left out (the chains would propose them in vain);
    their total mass bounds what that moves any marginal, and is added to every error."""
    single = {j for unit in units if unit.log_phi is None for j in unit.cols}
    floor = math.log(negligible)
    left_out = sum(math.exp(pair[i, j]) for i, o in enumerate(options) for j in o if j in single and pair[i, j] < floor)
    options = [[j for j in o if j not in single or pair[i, j] >= floor] for i, o in enumerate(options)]
    n_v = len(options)
    opt_ptr = np.zeros(n_v + 1, dtype=np.int64)
    for i, o in enumerate(options):
        opt_ptr[i + 1] = opt_ptr[i] + len(o)
    opt_idx = np.array([j for o in options for j in o], dtype=np.int64)
    unit_of = np.full(n_targets, -1, dtype=np.int64)
    unit_single_t = np.full(len(units), -1, dtype=np.int64)
    pos = np.zeros((n_v, n_targets), dtype=np.int64)
    phi_parts, phi_off, cols_flat, cols_off, strides_flat = [], [0], [], [0], []
    for i, o in enumerate(options):
        for j in o:
            if j in single:
                pos[i, j] = 1
    for u, unit in enumerate(units):
        for c, j in enumerate(unit.cols):
            unit_of[j] = u
            if unit.log_phi is not None:
                for p, i in enumerate(unit.cands[c]):
                    pos[i, j] = 1 + p
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
    n_batches = min(n_batches, sweeps - burn)
    n_batches -= n_batches % 2
    if n_batches < 4:
        raise ValueError(f"{sweeps} sweeps are too few: the diagnostics need 4 batches after the burn-in")
    rb_every = max(1, rb_every)
    per_batch = (sweeps - burn) // n_batches
    # the chains are independent and compiled without the GIL: one thread each, as many as the CPUs
    with ThreadPoolExecutor(max_workers=max(1, min(chains, os.cpu_count() or 1))) as pool:
        runs = list(pool.map(lambda c: _chain(*args, sweeps, burn, n_batches, rb_every, seed + 7919 * c),
                             range(chains)))
    half = n_batches // 2
    # per chain and half: the mean and the variance of its batch means (from the shifted sums)
    m = np.stack([r[0] for r in runs])  # (chains, halves, [Σ(x − s), Σ(x − s)², s], cells)
    s1, s2, shift = m[:, :, 0], m[:, :, 1], m[:, :, 2]
    means = shift + s1 / half  # (chains, halves, cells)
    within = np.maximum(s2 - s1 ** 2 / half, 0.0) / (half - 1)
    marginal = means.mean(axis=(0, 1))
    # every batch mean of every chain about the grand mean: the halves' spreads and offsets
    n_all = chains * 2 * half
    var_all = ((half - 1) * within + half * (means - marginal) ** 2).sum(axis=(0, 1)) / (n_all - 1)
    mc_error = np.sqrt(var_all / n_all)
    halves = means.reshape(-1, means.shape[-1])
    spread = halves.max(axis=0) - halves.min(axis=0)
    # half-chains that agree to rounding (a remains whose conditional never changes) agree
    r_hat = np.where(spread <= 1e-12, 1.0, _split_r_hat(halves, within.reshape(-1, within.shape[-1]), half))
    dense = [np.zeros((n_v, n_targets + 1)) for _ in range(3)] + [np.ones((n_v, n_targets + 1))]
    rows = np.repeat(np.arange(n_v), np.diff(opt_ptr))
    n_opts = len(opt_idx)
    for d_, cells in zip(dense, (marginal, mc_error, spread, r_hat), strict=True):
        d_[rows, opt_idx] = cells[:n_opts]
        d_[np.arange(n_v), n_targets] = cells[n_opts:]
    b = max(range(chains), key=lambda c: runs[c][1])
    return SamplerResult(dense[0], dense[1], dense[3], dense[2], (float(runs[b][1]), runs[b][2].copy()), chains, sweeps,
                         math.expm1(left_out), chains * n_batches * -(-per_batch // rb_every))


def _split_r_hat(means: np.ndarray, within: np.ndarray, h: int) -> np.ndarray:
    """Split-R̂ per cell from the mean and the variance of each half-chain's ``h`` batch means
    (``means``, ``within``: (halves, cells))."""
    w = within.mean(axis=0)
    between = h * means.var(axis=0, ddof=1)
    var = (h - 1) / h * w + between / h
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(var / w)
    # nothing varies within the halves: they agree (1) or disagree (∞)
    return np.where(w > 0, r, np.where(between > 0, np.inf, 1.0))
