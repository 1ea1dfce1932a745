"""Blind search: every remains sample against every missing person of every family.

1. Tables. For each missing person X and marker m, one elimination keeps X's alleles free and
   gives ``P(family data, X = g)`` for *every* genotype ``g`` (:func:`split_lump` makes this
   exact for alleles the family never showed). Families of identical shape are computed
   together along the batch axis. Dividing by ``P(family data) · P(g)`` gives ``LR_m(g)``.
   Families with a loop are computed per genotype instead (exact, slower).
2. Scores. ``log LR(sample, X) = Σ_m log LR_m(g_sample,m)``: a table look-up per marker, summed
   over blocks of samples.
3. Report. Per sample the top ``K`` and every pair with ``LR ≥ min_lr``, with the posterior
   under a flat prior ``π = 1/N`` over the ``N`` missing persons in scope:
   ``posterior = LR·π / (LR·π + 1 − π)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import Structure, eliminate
from vestige.kinship.lr import family_genotypes, hardy_weinberg, marker_likelihoods, structure_of
from vestige.kinship.mutation import MutationModel, MutationSpec, mutation_matrix
from vestige.kinship.pedigree import Family

BATCH = 2048
SAMPLE_BLOCK = 512
Progress = Callable[[str, int, int], None]


@dataclass
class SearchHit:
    sample: str
    family: str
    missing: str
    lr: float
    posterior: float
    markers_compared: int

    @property
    def log10_lr(self) -> float | None:
        return None if self.lr == 0 else math.log10(self.lr)

    def as_dict(self) -> dict:
        return {"sample": self.sample, "family": self.family, "missing": self.missing, "lr": self.lr,
                "log10_lr": self.log10_lr, "posterior": self.posterior,
                "markers_compared": self.markers_compared}


@dataclass
class _Target:
    family: Family
    missing: str
    column: int


def _sample_genotypes(samples: list[str], profiles: Profiles, table: FrequencyTable):
    """Per marker: the distinct genotypes among the samples (as sorted allele-index pairs) and,
    per sample, the row of its genotype (``len(genotypes)`` = untyped, an all-zero row)."""
    per_marker = {}
    for marker in table.markers:
        idx = table.index(marker)
        genos: dict[tuple[int, int], int] = {}
        rows = np.empty(len(samples), dtype=np.int64)
        for s, sample in enumerate(samples):
            g = profiles.genotypes[sample].get(marker)
            if g is None:
                rows[s] = -1
                continue
            key = tuple(sorted((idx[g[0]], idx[g[1]])))
            rows[s] = genos.setdefault(key, len(genos))
        rows[rows < 0] = len(genos)
        per_marker[marker] = (np.array(list(genos), dtype=np.int64).reshape(-1, 2), rows)
    return per_marker


def _virtual_batch(presence: np.ndarray, freqs: np.ndarray, mm: np.ndarray, mf: np.ndarray,
                   specs: tuple[MutationSpec, MutationSpec]):
    """Batched :func:`split_lump`: per family (row of ``presence``, (B, n) bool: alleles observed in
    the family) the observed alleles in table order, then Lp and Lu; shorter rows are padded with
    dummy alleles that nothing reaches.

    Returns prior (B, a), male and female (B, a, a), vindex (B, n) (virtual index of an observed
    allele, -1 otherwise) and weights (B, n, a).
    """
    bsz, n = presence.shape
    lumpable = all(s.trivial or s.model in ("equal", "proportional") for s in specs)
    if not lumpable:  # stepwise: the full allele set, no lumping
        prior = np.broadcast_to(freqs, (bsz, n)).copy()
        vindex = np.broadcast_to(np.arange(n), (bsz, n)).copy()
        weights = np.broadcast_to(np.eye(n), (bsz, n, n)).copy()
        return (prior, np.broadcast_to(mm, (bsz, n, n)).copy(), np.broadcast_to(mf, (bsz, n, n)).copy(),
                vindex, weights)
    k = presence.sum(axis=1)
    kmax = int(k.max()) if bsz else 0
    a = kmax + 2
    lp, lu = kmax, kmax + 1
    # Observed alleles first, in table order (a stable sort on "not observed").
    o_pad = np.argsort(~presence, axis=1, kind="stable")[:, :kmax]
    valid = np.arange(kmax)[None, :] < k[:, None]
    safe = np.where(valid, o_pad, 0)
    n_l = n - k
    p_obs = np.where(valid, freqs[safe], 0.0)
    p_l = np.where(n_l > 0, 1.0 - p_obs.sum(axis=1), 0.0)
    prior = np.zeros((bsz, a))
    prior[:, :kmax] = p_obs
    prior[:, lp] = p_l
    vindex = np.where(presence, np.cumsum(presence, axis=1) - 1, -1)
    weights = np.zeros((bsz, n, a))
    bb, xx = np.nonzero(presence)
    weights[bb, xx, vindex[bb, xx]] = 1.0
    safe_pl = np.where(p_l > 0, p_l, 1.0)
    safe_nl = np.where(n_l > 0, n_l, 1)
    weights[:, :, lp] = np.where(presence, 0.0, freqs[None, :] / safe_pl[:, None])
    weights[:, :, lu] = np.where(presence, 0.0, 1.0 / safe_nl[:, None])
    pair = valid[:, :, None] & valid[:, None, :]
    pads = ~valid

    def build(m: np.ndarray, spec: MutationSpec) -> np.ndarray:
        t = np.zeros((bsz, a, a))
        t[:, :kmax, :kmax] = np.where(pair, m[safe[:, :, None], safe[:, None, :]], 0.0)
        pi = np.arange(kmax)
        t[:, pi, pi] += pads  # dummy alleles stay themselves; nothing reaches them
        if spec.trivial:
            t[:, lp, lp] = 1.0
            t[:, lu, lu] = 1.0
        elif spec.model == "equal":
            u = spec.rate / (n - 1)
            t[:, :kmax, lu] = np.where(valid, (n_l * u)[:, None], 0.0)
            t[:, lp, :kmax] = np.where(valid, u, 0.0)
            t[:, lp, lp] = 1.0 - spec.rate - u
            t[:, lp, lu] = n_l * u
            t[:, lu, :kmax] = np.where(valid, u, 0.0)
            t[:, lu, lu] = 1.0 - spec.rate - u + n_l * u
        else:
            alpha = spec.rate / float(np.sum(freqs * (1.0 - freqs)))
            t[:, :kmax, lp] = np.where(valid, (alpha * p_l)[:, None], 0.0)
            t[:, lp, :kmax] = np.where(valid, alpha * p_obs, 0.0)
            t[:, lp, lp] = 1.0 - alpha + alpha * p_l
            t[:, lu, lu] = 1.0
        return t

    return prior, build(mm, specs[0]), build(mf, specs[1]), vindex, weights


def _group_genotypes(members: list[_Target], persons: list[int], profiles: Profiles,
                     table: FrequencyTable) -> np.ndarray:
    """(B, P, markers, 2) allele indices of the group's typed persons; -1 where untyped."""
    out = np.full((len(members), len(persons), len(table.markers), 2), -1, dtype=np.int64)
    indexes = [table.index(m) for m in table.markers]
    for b, t in enumerate(members):
        fam = t.family
        for j, pid in enumerate(persons):
            sample = fam.by_id[fam.order[pid]].sample
            genos = profiles.genotypes.get(sample) if sample else None
            if genos is None:
                if sample:
                    raise KinshipInputError(f"{fam.source}, member {fam.order[pid]}",
                                            f"sample {sample!r} is not in the profiles ({profiles.source})")
                continue
            for mi, marker in enumerate(table.markers):
                g = genos.get(marker)
                if g is not None:
                    out[b, j, mi] = (indexes[mi][g[0]], indexes[mi][g[1]])
    return out


def _genotype_values(joint: np.ndarray, weights: np.ndarray, genos: np.ndarray) -> np.ndarray:
    """P(data, X = {x, y}) for each genotype row (x, y) from the virtual joint (B, a, a)."""
    full = weights @ joint @ weights.transpose(0, 2, 1)  # (B, n, n) over ordered specific alleles
    x, y = genos[:, 0], genos[:, 1]
    vals = full[:, x, y] + full[:, y, x]
    homo = x == y
    vals[:, homo] = full[:, x[homo], x[homo]]
    return vals


def lr_tables(families: list[Family], profiles: Profiles, table: FrequencyTable,
              mutation: MutationModel, per_marker: dict, progress: Progress | None = None):
    """For each marker, log LR (float64) of every present sample genotype (rows; last row: untyped,
    zero) for every missing person (columns), and whether the family is typed at that marker."""
    targets: list[_Target] = []
    for fam in families:
        for mp in fam.missing:
            targets.append(_Target(fam, mp, len(targets)))
    groups: dict[tuple, list[_Target]] = defaultdict(list)
    looped = []
    for t in targets:
        if t.family.has_loop():
            looped.append(t)
            continue
        typed = {m.id for m in t.family.typed}
        structure, _ = structure_of(t.family, typed, t.missing)
        groups[(structure.parents, structure.evidence, structure.keep)].append(t)
    log_tables: dict[str, np.ndarray] = {}
    group_genos: dict[tuple, np.ndarray] = {}
    informative = np.zeros((len(table.markers), len(targets)), dtype=bool)
    steps = len(table.markers)
    for mi, marker in enumerate(table.markers):
        genos, _rows = per_marker[marker]
        freqs = table.freqs[marker]
        alleles = table.alleles[marker]
        out = np.zeros((len(genos) + 1, len(targets)))
        specs = (mutation.spec(marker, "male"), mutation.spec(marker, "female"))
        mm, mf = mutation_matrix(specs[0], alleles, freqs), mutation_matrix(specs[1], alleles, freqs)
        hw = np.where(genos[:, 0] == genos[:, 1], freqs[genos[:, 0]] ** 2,
                      2 * freqs[genos[:, 0]] * freqs[genos[:, 1]]) if len(genos) else np.zeros(0)
        for key, members in groups.items():
            structure = Structure(key[0], key[1], key[2])
            persons = sorted(structure.evidence)
            if (key, 0) not in group_genos:
                for start in range(0, len(members), BATCH):
                    group_genos[(key, start)] = _group_genotypes(members[start:start + BATCH], persons, profiles, table)
            for start in range(0, len(members), BATCH):
                chunk = members[start:start + BATCH]
                gg = group_genos[(key, start)][:, :, mi, :]  # (B, P, 2)
                bsz = len(chunk)
                typed_here = gg[:, :, 0] >= 0  # (B, P)
                presence = np.zeros((bsz, len(freqs)), dtype=bool)
                bi = np.repeat(np.arange(bsz)[:, None], 2 * len(persons), axis=1)
                flat = gg.reshape(bsz, -1)
                ok = flat >= 0
                presence[bi[ok], flat[ok]] = True
                prior, male, female, vindex, weights = _virtual_batch(presence, freqs, mm, mf, specs)
                a = prior.shape[1]
                evidence = {}
                rows = np.arange(bsz)
                for j, pid in enumerate(persons):
                    ev = np.ones((bsz, a, a))
                    tb = rows[typed_here[:, j]]
                    if len(tb):
                        va = vindex[tb, gg[tb, j, 0]]
                        vb = vindex[tb, gg[tb, j, 1]]
                        ev[tb] = 0.0
                        ev[tb, va, vb] = 1.0
                        ev[tb, vb, va] = 1.0
                    evidence[pid] = ev
                joint = eliminate(structure, prior, male, female, evidence)
                den = joint.sum(axis=(1, 2))
                bad = np.nonzero(den <= 0)[0]
                if len(bad):
                    fam = chunk[bad[0]].family
                    raise KinshipInputError(f"{fam.source or fam.name}, marker {marker}",
                                            "the family's reference profiles are inconsistent (likelihood 0)")
                cols = [t.column for t in chunk]
                informative[mi, cols] = typed_here.any(axis=1)
                if len(genos):
                    vals = _genotype_values(joint, weights, genos)
                    with np.errstate(divide="ignore"):
                        out[:-1, cols] = np.log(vals / den[:, None] / hw[None, :]).T
        for t in looped:
            fam_g = family_genotypes(t.family, profiles, marker)
            informative[mi, t.column] = bool(fam_g)
            den = marker_likelihoods(t.family, fam_g, table, marker, mutation)
            if den <= 0:
                raise KinshipInputError(f"{t.family.source}, marker {marker}",
                                        "the family's reference profiles are inconsistent (likelihood 0)")
            for r, (x, y) in enumerate(genos):
                g = (alleles[x], alleles[y])
                num = marker_likelihoods(t.family, fam_g, table, marker, mutation, clamp=(t.missing, g))
                with np.errstate(divide="ignore"):
                    out[r, t.column] = np.log(num / (den * hardy_weinberg(freqs, x, y)))
        log_tables[marker] = out
        if progress:
            progress("families × markers", mi + 1, steps)
    return targets, log_tables, informative


def blind_search(families: list[Family], profiles: Profiles, table: FrequencyTable, samples: list[str],
                 *, sample_profiles: Profiles | None = None, sexes: dict[str, str] | None = None,
                 mutation: MutationModel | None = None, top: int = 5, min_lr: float | None = None,
                 all_pairs: bool = False, compare_all_sexes: bool = False,
                 progress: Progress | None = None) -> list[SearchHit]:
    """Search ``samples`` against every missing person of ``families``; see the module docstring."""
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    for s in samples:
        if s not in sprof.genotypes:
            raise KinshipInputError(sprof.source, f"sample {s!r} is not in the profiles")
    sprof.check_against(table, samples=samples)
    profiles.check_against(table, samples=sorted({m.sample for f in families for m in f.typed}))
    per_marker = _sample_genotypes(samples, sprof, table)
    targets, log_tables, informative = lr_tables(families, profiles, table, mutation, per_marker, progress)
    n_targets = len(targets)
    if not n_targets or not samples:
        return []
    prior = 1.0 / n_targets
    log_prior_odds = math.log(prior) - math.log1p(-prior) if n_targets > 1 else math.inf
    mp_sex = np.array([t.family.by_id[t.missing].sex for t in targets])
    typed = np.stack([per_marker[m][1] < len(per_marker[m][0]) for m in table.markers], axis=1)
    compared = typed.astype(np.float32) @ informative.astype(np.float32)  # (S, T)
    hits: list[SearchHit] = []
    tables32 = {m: t.astype(np.float32) for m, t in log_tables.items()}
    log_min = math.log(min_lr) if min_lr and min_lr > 0 else None
    for start in range(0, len(samples), SAMPLE_BLOCK):
        block = np.arange(start, min(start + SAMPLE_BLOCK, len(samples)))
        acc = np.zeros((len(block), n_targets), dtype=np.float32)
        for m in table.markers:
            acc += tables32[m][per_marker[m][1][block]]
        allowed = np.ones(acc.shape, dtype=bool)
        if not compare_all_sexes:
            ssex = np.array([sexes.get(samples[s], "unknown") for s in block])
            allowed = ~((ssex[:, None] != mp_sex[None, :]) & (ssex[:, None] != "unknown") & (mp_sex[None, :] != "unknown"))
            acc[~allowed] = -np.inf
        rows_chosen, cols_chosen = [], []
        for row in range(len(block)):
            scores = acc[row]
            if all_pairs:
                chosen = np.nonzero(allowed[row])[0]
            else:
                k = min(top, n_targets)
                chosen = np.argpartition(-scores, k - 1)[:k] if k > 0 else np.array([], dtype=np.int64)
                chosen = chosen[scores[chosen] > -np.inf]
                if log_min is not None:
                    # Screened in float32 with a margin; the exact float64 values decide below.
                    chosen = np.union1d(chosen, np.nonzero(scores >= log_min - 1e-3)[0])
            rows_chosen.append(np.full(len(chosen), row, dtype=np.int64))
            cols_chosen.append(chosen.astype(np.int64))
        if not rows_chosen:
            continue
        rr, cc = np.concatenate(rows_chosen), np.concatenate(cols_chosen)
        # Exact log LR of every chosen pair of the block, in float64: one gather per marker.
        exact = np.zeros(len(rr))
        for m in table.markers:
            exact += log_tables[m][per_marker[m][1][block[rr]], cc]
        top_sets = None if log_min is None or all_pairs else [_top(acc[row], top) for row in range(len(block))]
        for i in range(len(rr)):
            row, c, value = int(rr[i]), int(cc[i]), float(exact[i])
            if top_sets is not None and value < log_min and c not in top_sets[row]:
                continue
            t = targets[c]
            s = int(block[row])
            lr = math.exp(value) if value > -math.inf else 0.0
            hits.append(SearchHit(samples[s], t.family.name, t.missing, lr, _posterior(value, log_prior_odds),
                                  int(compared[s, c])))
        if progress:
            progress("samples", block[-1] + 1, len(samples))
    hits.sort(key=lambda h: (h.sample, -(h.log10_lr if h.lr > 0 else -math.inf)))
    return hits


def _top(scores: np.ndarray, k: int) -> set[int]:
    k = min(k, len(scores))
    return set(np.argpartition(-scores, k - 1)[:k].tolist()) if k else set()


def _posterior(log_lr: float, log_prior_odds: float) -> float:
    """LR·π / (LR·π + 1 − π), computed on the log scale so that huge LRs do not overflow."""
    if log_lr == -math.inf:
        return 0.0
    x = log_lr + log_prior_odds
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0
