"""Blind search: every remains sample against every missing person of every family.

1. Tables. For each missing person X and marker m, one elimination keeps X's alleles free and
   gives ``P(family data, X = g)`` for *every* genotype ``g`` (:func:`split_lump` makes this
   exact for alleles the family never showed). Families of identical shape are computed
   together along the batch axis. Dividing by ``P(family data) · P(g)`` gives ``LR_m(g)``.
   A degraded reading (drop-out, drop-in, several bones of one body) is a linear combination
   of a few such values (:func:`vestige.kinship.observe.category_terms`), so it is exact too.
   Only markers typed in some sample and some reference are processed. A family whose
   references are impossible at a marker (likelihood 0 without a mutation that explains them)
   is skipped and reported; the search goes on for everyone else.
2. Scores. ``log LR(sample, X) = Σ_m log LR_m``: a table look-up per marker, summed over blocks
   of samples.
3. Report. Per sample the top ``K`` and every pair with ``LR ≥ min_lr``, with an honest
   posterior (:func:`posterior`): the prior per pair ``π`` is explicit (default
   ``1 / (max(N, R) + 1)`` for ``N`` missing persons — of the whole case when the caller says
   how many — and ``R`` samples), and the posterior accounts for the competing candidates of
   the sample *and* the competing samples of the missing person, so two sisters the DNA cannot
   tell apart, or two bones claiming one person, can never both reach 99.95 %.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import Structure, eliminate
from vestige.kinship.lr import (
    family_readings,
    json_lr,
    likelihood_ratio,
    sample_readings,
    structure_of,
)
from vestige.kinship.mutation import MutationModel, MutationSpec, mutation_matrix
from vestige.kinship.observe import Degradation, category_terms, evidence_matrix, hw_probability
from vestige.kinship.pedigree import Family

BATCH = 2048
SHAPE_PART = 1024  # families of one shape computed as one task
SAMPLE_BLOCK = 512
COMPETE = math.log(1e4)  # a competitor within a factor 10^4 of a pair's LR is flagged
Progress = Callable[[str, int, int], None]


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

    @property
    def log10_lr(self) -> float | None:
        return None if self.log_lr == -math.inf else self.log_lr / math.log(10)

    @property
    def lr(self) -> float:
        if self.log_lr == -math.inf:
            return 0.0
        return math.exp(self.log_lr) if self.log_lr < 709 else math.inf

    def as_dict(self) -> dict:
        return {"sample": self.sample, "family": self.family, "missing": self.missing,
                "lr": json_lr(self.log10_lr), "log10_lr": self.log10_lr, "posterior": self.posterior,
                "markers_compared": self.markers_compared, "flags": self.flags}


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
    shard_seconds: list[float] = field(default_factory=list)  # seconds per block of samples (one shard each)
    table_seconds: list[float] = field(default_factory=list)  # seconds per part of the tables (one shard each)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step: checks, readings, tables, scoring, report


@dataclass
class _Target:
    family: Family
    missing: str
    column: int  # where the tables and scores hold it
    natural: int = -1  # its place in the families' order (ties and lists follow it)


@dataclass
class _MarkerSamples:
    """The samples' readings at one marker: clean genotypes as table rows, the rest as terms."""

    genos: np.ndarray  # (G, 2) allele-index pairs whose P(data, X = g) is needed (sorted pairs)
    rows: np.ndarray  # (S,) row of each clean sample's genotype; G (the zero row) otherwise
    alleles: np.ndarray  # (A,) allele indices whose "exactly one copy" value is needed
    terms: dict[int, tuple[np.ndarray, np.ndarray, float]]  # sample → (base row ids, coefs, P_HW)
    typed: np.ndarray  # (S,) bool: the sample has a reading here


def _sample_markers(items: list[str], bodies: dict[str, list[str]], profiles: Profiles, table: FrequencyTable,
                    markers: list[str], degradation: Degradation | None) -> dict[str, _MarkerSamples]:
    """Per marker: which genotype rows and allele rows the samples need, and how to combine them.

    Base row ids: ``0..G-1`` genotype rows, ``G..G+A-1`` allele rows ("exactly one copy"),
    ``G+A`` the total (1 after dividing by P(data)).
    """
    out = {}
    # One clean sample per item (the common case): its genotypes read once, sample by sample.
    indices = [table.index(m) for m in markers]
    clean: list[list[tuple[int, tuple[int, int]]]] = [[] for _ in markers]
    general: list[int] = []
    for s, item in enumerate(items):
        parts = bodies.get(item)
        sample = parts[0] if parts else item
        if (parts and len(parts) > 1) or (degradation is not None and degradation.degraded(sample)):
            general.append(s)
            continue
        geno = profiles.genotypes.get(sample, {})
        for mi, marker in enumerate(markers):
            g = geno.get(marker)
            if g is None:
                continue
            if g[1] is None:
                sample_readings(profiles, [sample], marker, degradation)  # refuses it, naming file and line
            i, j = indices[mi][g[0]], indices[mi][g[1]]
            clean[mi].append((s, (i, j) if i <= j else (j, i)))
    for mi, marker in enumerate(markers):
        freqs = table.freqs[marker]
        idx = indices[mi]
        genos: dict[tuple[int, int], int] = {}
        allele_rows: dict[int, int] = {}
        rows = np.full(len(items), -1, dtype=np.int64)
        typed = np.zeros(len(items), dtype=bool)
        pending: dict[int, dict[tuple, float]] = {}
        hw_den: dict[int, float] = {}
        if clean[mi]:
            where = np.array([s for s, _ in clean[mi]], dtype=np.int64)
            rows[where] = [genos.setdefault(key, len(genos)) for _, key in clean[mi]]
            typed[where] = True
        for s in general:
            item = items[s]
            rs = sample_readings(profiles, bodies.get(item, [item]), marker, degradation)
            if not rs:
                continue
            typed[s] = True
            if len(rs) == 1 and rs[0].clean:
                al = rs[0].alleles
                key = (idx[al[0]], idx[al[-1]])
                key = (min(key), max(key))
                rows[s] = genos.setdefault(key, len(genos))
                continue
            union, coef = category_terms(rs, lambda a, _f=freqs, _i=idx: _f[_i[a]])
            pending[s] = coef
            hw_den[s] = hw_probability(rs, table.alleles[marker], freqs)
            for row in coef:
                if row[0] == "g":
                    key = (idx[row[1]], idx[row[2]])
                    genos.setdefault((min(key), max(key)), len(genos))
                elif row[0] == "r":
                    allele_rows.setdefault(idx[row[1]], len(allele_rows))
        g_count, a_count = len(genos), len(allele_rows)
        terms = {}
        for s, coef in pending.items():
            ids, cs = [], []
            for row, c in coef.items():
                if row[0] == "g":
                    key = (idx[row[1]], idx[row[2]])
                    ids.append(genos[(min(key), max(key))])
                elif row[0] == "r":
                    ids.append(g_count + allele_rows[idx[row[1]]])
                else:
                    ids.append(g_count + a_count)
                cs.append(c)
            terms[s] = (np.array(ids, dtype=np.int64), np.array(cs), hw_den[s])
        rows[rows < 0] = g_count
        out[marker] = _MarkerSamples(np.array(list(genos), dtype=np.int64).reshape(-1, 2), rows,
                                     np.array(list(allele_rows), dtype=np.int64), terms, typed)
    return out


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


def _reference_codes(families: list[Family], profiles: Profiles, table: FrequencyTable, markers: list[str],
                     degradation: Degradation | None):
    """The references' genotypes as allele indices, read once for every marker.

    Returns ``codes`` (M, N + 1, 2) int64 (``-1``: untyped; row ``N`` is untyped everywhere), the
    row of each reference sample, and ``special``: ``{(row, marker index): readings}`` for the
    readings that are not one clean genotype (a degraded reference), which take the general
    evidence of :func:`vestige.kinship.observe.evidence_matrix`.
    """
    samples: dict[str, int] = {}
    for fam in families:
        for member in fam.typed:
            if member.sample not in profiles.genotypes:
                family_readings(fam, profiles, markers[0] if markers else "", degradation)  # raises, naming it
            samples.setdefault(member.sample, len(samples))
    genos = [profiles.genotypes[s] for s in samples]
    degraded = [r for r, s in enumerate(samples) if degradation is not None and degradation.degraded(s)]
    names = list(samples)
    special: dict[tuple[int, int], list] = {}
    codes = np.full((len(markers), len(samples) + 1, 2), -1, dtype=np.int64)
    for mi, marker in enumerate(markers):  # marker by marker, in comprehensions (C-speed loops)
        idx = table.index(marker)
        col = [g.get(marker) for g in genos]
        codes[mi, :-1, 0] = [idx[g[0]] if g is not None and g[1] is not None else -1 for g in col]
        codes[mi, :-1, 1] = [idx[g[1]] if g is not None and g[1] is not None else -1 for g in col]
        # a degraded reading, or one allele (which sample_readings refuses for a clean sample)
        odd = sorted({r for r, g in enumerate(col) if g is not None and g[1] is None} | {r for r in degraded if col[r]})
        for r in odd:
            special[(r, mi)] = sample_readings(profiles, [names[r]], marker, degradation)
            codes[mi, r] = -1
    return codes, samples, special


def _special_evidence(rs, a: int, vindex_row: np.ndarray, alleles: list[str], freqs: np.ndarray) -> np.ndarray:
    """(a, a) evidence of a degraded reading over one family's virtual alleles."""
    index = {x: i for i, x in enumerate(alleles)}
    labels: list[str | None] = [None] * a
    for x, i in index.items():
        v = vindex_row[i]
        if v >= 0:
            labels[v] = x
    return evidence_matrix(rs, labels, lambda lab: freqs[index[lab]])


@lru_cache(maxsize=4096)
def canonical_structure(structure: Structure) -> tuple[Structure, tuple[int, ...]]:
    """The same pedigree computation with its persons numbered canonically, and ``perm``
    (``perm[i]``: the person of ``structure`` now numbered ``i``).

    Persons are told apart by colour refinement (Weisfeiler–Leman): who is typed, kept or a
    founder, then the colours of their parents and of their children (as father or as mother),
    until no colour splits; they are then numbered parents first, the smallest colour first.
    Isomorphic pedigrees get the same numbering, so families written with their members in any
    order are computed in one batch (persons of one colour that are not interchangeable would
    only split a batch, never change a likelihood: any numbering is an exact relabelling).
    """
    n = len(structure.parents)
    children: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for c, par in enumerate(structure.parents):
        if par is not None:
            children[par[0]].append((c, 0))
            children[par[1]].append((c, 1))
    colour = [(i in structure.evidence, i == structure.keep, structure.parents[i] is None) for i in range(n)]
    ranks = _ranks(colour)
    for _ in range(n):
        refined = [(ranks[i],
                    tuple(ranks[p] for p in structure.parents[i]) if structure.parents[i] else (),
                    tuple(sorted((ranks[c], role) for c, role in children[i]))) for i in range(n)]
        new = _ranks(refined)
        if len(set(new)) == len(set(ranks)):
            break
        ranks = new
    placed: dict[int, int] = {}
    perm: list[int] = []
    while len(perm) < n:
        ready = [i for i in range(n) if i not in placed
                 and (structure.parents[i] is None or all(p in placed for p in structure.parents[i]))]
        pick = min(ready, key=lambda i: (ranks[i], i))
        placed[pick] = len(perm)
        perm.append(pick)
    parents = tuple(None if structure.parents[i] is None
                    else (placed[structure.parents[i][0]], placed[structure.parents[i][1]]) for i in perm)
    return (Structure(parents, frozenset(placed[i] for i in structure.evidence),
                      placed[structure.keep] if structure.keep is not None else None), tuple(perm))


def _ranks(values: list) -> list[int]:
    order = {v: r for r, v in enumerate(sorted(set(values)))}
    return [order[v] for v in values]


@dataclass
class _TableContext:
    """What every part of the tables is computed from (shipped once to each Dask worker)."""

    info: list  # per marker: (marker, readings, freqs, alleles, specs, male, female, P_HW, gx, gy)
    codes: np.ndarray  # (M, N + 1, 2) the references' allele indices (_reference_codes)
    special: dict  # (reference row, marker index) → degraded readings


@dataclass
class TablePart:
    """The tables of one part of one family shape, for its columns ``cols``: per marker the log LR
    rows (``logs[mi]``, (G + 1, n)), the value rows of degraded readings (``values[mi]``), log
    P(data) and "typed here" ((M, n)), the families found impossible (marker index, column,
    reason), and the seconds it took."""

    cols: np.ndarray
    logs: list
    values: list
    dens: np.ndarray
    informative: np.ndarray
    bad: list
    seconds: float

    def into(self, log_tables: dict, value_tables: dict, dens: np.ndarray, informative: np.ndarray,
             markers: list[str]) -> None:
        cols = self.cols
        for mi, m in enumerate(markers):
            log_tables[m][:, cols] = self.logs[mi]
            if self.values[mi] is not None:
                value_tables[m][:, cols] = self.values[mi]
        dens[:, cols] = self.dens
        informative[:, cols] = self.informative


def table_part(tctx: _TableContext, part) -> TablePart:
    """Every marker of one part of one family shape: the batches of each marker built, those of the
    same allele-space size eliminated together (one elimination for many markers), then each
    batch's rows written into the part's tables (their logs taken at the end)."""
    import time

    t0 = time.perf_counter()
    structure, persons, names, rows, group_cols, where_special = part
    n_fam = len(names)
    info, codes, special = tctx.info, tctx.codes, tctx.special
    logs = [np.zeros((len(i[8]) + 1, n_fam)) for i in info]
    values = [np.zeros((len(i[8]) + len(i[1].alleles) + 1, n_fam)) if i[1].terms else None for i in info]
    dens = np.zeros((len(info), n_fam))
    inform = np.zeros((len(info), n_fam), dtype=bool)
    by_size: dict[int, list] = defaultdict(list)
    for mi, (_marker, _ms, freqs, alleles, specs, mm, mf, *_rest) in enumerate(info):
        c = codes[mi][rows]  # (B, P, 2) allele indices, -1 untyped
        presence = np.zeros((n_fam, len(freqs)), dtype=bool)
        bb, _jj, _kk = np.nonzero(c >= 0)
        presence[bb, c[c >= 0]] = True
        spec_here = {}
        for (b, j), r in where_special.items():
            rs = special.get((r, mi))
            if rs:
                spec_here[(b, j)] = rs
                for reading_ in rs:
                    for x in reading_.alleles:
                        presence[b, alleles.index(x)] = True
        seen = presence.sum(axis=1)
        for k in np.unique(seen):
            same_k = np.nonzero(seen == k)[0]
            for start in range(0, len(same_k), BATCH):
                sub = same_k[start:start + BATCH]
                bsz = len(sub)
                prior, male, female, vindex, weights = _virtual_batch(presence[sub], freqs, mm, mf, specs)
                a = prior.shape[1]
                evidence = []
                typed_any = np.zeros(bsz, dtype=bool)
                for j in range(len(persons)):
                    cj = c[sub, j]
                    typed = cj[:, 0] >= 0
                    ev = np.ones((bsz, a, a))
                    tb = np.nonzero(typed)[0]
                    ev[tb] = 0.0
                    va, vb = vindex[tb, cj[tb, 0]], vindex[tb, cj[tb, 1]]
                    ev[tb, va, vb] = 1.0
                    ev[tb, vb, va] = 1.0
                    if spec_here:
                        for lb, b in enumerate(sub.tolist()):
                            rs = spec_here.get((b, j))
                            if rs:
                                ev[lb] = _special_evidence(rs, a, vindex[lb], alleles, freqs)
                                typed[lb] = True
                    evidence.append(ev)
                    typed_any |= typed
                by_size[a].append((mi, sub, prior, male, female, vindex, weights, evidence, typed_any))
    found_bad: list[tuple[int, int, str]] = []
    for batches in by_size.values():
        chunk: list = []
        size = 0
        for n_batch, batch in enumerate(batches):
            chunk.append(batch)
            size += len(batch[1])
            if size >= BATCH or n_batch == len(batches) - 1:
                joint = _joint(structure, np.concatenate([p[2] for p in chunk]),
                               np.concatenate([p[3] for p in chunk]), np.concatenate([p[4] for p in chunk]),
                               {pid: np.concatenate([p[7][j] for p in chunk]) for j, pid in enumerate(persons)})
                at = 0
                for p in chunk:
                    found_bad.extend(_write_rows(p, joint[at:at + len(p[1])], info, names, group_cols,
                                                 logs, values, dens, inform))
                    at += len(p[1])
                chunk, size = [], 0
    with np.errstate(divide="ignore"):
        for out in logs:
            np.log(out[:-1], out=out[:-1])
    return TablePart(group_cols, logs, values, dens, inform, found_bad, time.perf_counter() - t0)


@lru_cache(maxsize=4096)
def nuclear_shape(structure: Structure) -> tuple[int, int, tuple[int, ...], int] | None:
    """``(father, mother, typed children, kept role)`` when the computation is a nuclear family:
    two founders and children of both who have no children here, the kept person (0: the
    father, 1: the mother, 2: an untyped child) — :func:`vestige.kinship.kernels.nuclear` computes
    it in closed form; ``None`` otherwise (the general elimination)."""
    keep = structure.keep
    if keep is None or keep in structure.evidence:
        return None
    relevant = structure.relevant()
    founders = [i for i in relevant if structure.parents[i] is None]
    kids = [i for i in relevant if structure.parents[i] is not None]
    if len(founders) != 2 or not kids:
        return None
    pair = structure.parents[kids[0]]
    if set(pair) != set(founders) or any(structure.parents[i] != pair for i in kids):
        return None
    father, mother = pair
    role = 0 if keep == father else 1 if keep == mother else 2
    return father, mother, tuple(i for i in kids if i in structure.evidence), role


def _joint(structure: Structure, prior: np.ndarray, male: np.ndarray, female: np.ndarray,
           evidence: dict[int, np.ndarray]) -> np.ndarray:
    """``P(data, kept person's ordered alleles)`` (B, a, a): in closed form for a nuclear family,
    by the general elimination otherwise."""
    shape = nuclear_shape(structure)
    if shape is None:
        return eliminate(structure, prior, male, female, evidence)
    from vestige.kinship import kernels

    father, mother, kids, role = shape
    bsz, a = prior.shape
    ones = np.ones((bsz, a, a))
    children = np.stack([evidence[c] for c in kids]) if kids else np.ones((0, bsz, a, a))
    out = np.empty((bsz, a, a))
    kernels.nuclear(np.ascontiguousarray(prior), np.ascontiguousarray(male), np.ascontiguousarray(female),
                    np.ascontiguousarray(evidence.get(father, ones)), np.ascontiguousarray(evidence.get(mother, ones)),
                    children, role, out)
    return out


def _write_rows(batch, joint: np.ndarray, info, names, group_cols, logs, values, dens,
                informative) -> list[tuple[int, int, str]]:
    """One batch's results into its part's tables (columns: the batch's families' places in the
    part): the LR of every sample genotype (the kernel), the value rows of degraded readings,
    log P(data), "typed here"; returns the families whose data are impossible at that marker
    (marker index, column, reason)."""
    from vestige.kinship import kernels

    mi, sub, prior, _male, _female, vindex, weights, _evidence, typed_any = batch
    marker, ms, freqs, _alleles, _specs, _mm, _mf, hw, gx, gy = info[mi]
    n = len(freqs)
    bsz, a = prior.shape
    den = joint.sum(axis=(1, 2))
    bad = []
    for b in np.nonzero(den <= 0)[0]:
        bad.append((mi, int(group_cols[sub[b]]), f"{names[sub[b]]}, marker {marker}: the family's reference "
                    "profiles are inconsistent (likelihood 0); check them or give a mutation model"))
    informative[mi, sub] = typed_any
    with np.errstate(divide="ignore"):
        dens[mi, sub] = np.log(den)
    safe_den = np.where(den > 0, den, 1.0)
    # Alleles the family never showed are lumped (only with lumpable mutation models): their
    # weights on the two lump alleles Lp (a - 2) and Lu (a - 1).
    if len(gx):
        seen = vindex >= 0
        lumps = not seen.all()
        lp, lu = (a - 2, a - 1) if lumps else (0, 0)
        idx = np.empty((bsz, n, 2), dtype=np.int64)
        wt = np.empty((bsz, n, 2))
        idx[:, :, 0] = np.where(seen, vindex, lp)
        idx[:, :, 1] = np.where(seen, 0, lu)
        wt[:, :, 0] = np.where(seen, 1.0, weights[:, :, lp] if lumps else 0.0)
        wt[:, :, 1] = np.where(seen, 0.0, weights[:, :, lu] if lumps else 0.0)
        kernels.genotype_rows(np.ascontiguousarray(joint), safe_den, idx, wt, gx, gy, hw, sub, logs[mi])
    if ms.terms:
        vals = values[mi]
        full = weights @ joint @ weights.transpose(0, 2, 1)  # (B, n, n) ordered specific alleles
        if len(gx):
            gv = full[:, gx, gy] + full[:, gy, gx]
            homo = gx == gy
            gv[:, homo] = full[:, gx[homo], gx[homo]]
            vals[:len(gx), sub] = (gv / safe_den[:, None]).T
        if len(ms.alleles):
            u = ms.alleles
            one = full.sum(axis=2)[:, u] + full.sum(axis=1)[:, u] - 2 * full[:, u, u]
            vals[len(gx):len(gx) + len(u), sub] = (one / safe_den[:, None]).T
        vals[-1, sub] = 1.0
    return bad


def lr_tables(families: list[Family], profiles: Profiles, table: FrequencyTable, markers: list[str],
              mutation: MutationModel, per_marker: dict[str, _MarkerSamples],
              degradation: Degradation | None = None, progress: Progress | None = None,
              return_den: bool = False, threads: int | None = None, order=None, map_parts=None,
              part_seconds: list | None = None):
    """For each marker: the log LR (float64) of every clean sample genotype row (last row: zero,
    for untyped samples), the value rows of degraded readings (``P(data, ·)/P(data)``; only at
    markers where a sample has one), whether the family is typed there; and the families found
    impossible (``{column: reason}``). ``order`` (a key on the targets) orders the columns;
    ``map_parts(fn, ctx, parts)`` (as ``map_blocks``) computes the parts elsewhere, e.g. on Dask
    workers; ``part_seconds`` receives each part's time.

    Families of one shape (the same pedigree, typed persons and missing person, whatever order
    the members are written in) are computed together, and at each marker in sub-batches of
    equal number of alleles seen in the family, so that each batch's allele space is as small
    as its families need (the elimination costs about the fourth power of its size).
    """

    targets: list[_Target] = []
    for fam in families:
        for mp in fam.missing:
            targets.append(_Target(fam, mp, len(targets), len(targets)))
    # Families of one shape in canonical form: the same computation whatever order the members
    # are written in. ``persons_of[t.natural][i]`` is the member at canonical position i.
    shape_of: dict[int, tuple] = {}
    persons_of: dict[int, list[str]] = {}
    shape_index: dict[tuple, int] = {}
    for t in targets:
        typed = {m.id for m in t.family.typed}
        raw, _ = structure_of(t.family, typed, t.missing)
        canon, perm = canonical_structure(raw)
        key = (canon.parents, canon.evidence, canon.keep)
        shape_of[t.natural] = key
        persons_of[t.natural] = [t.family.order[i] for i in perm]
        shape_index.setdefault(key, len(shape_index))
    if order is not None:  # the columns in another order (stable): the search puts each sex together,
        # and within a sex each shape together (a batch then writes neighbouring columns)
        targets.sort(key=lambda t: (order(t), shape_index[shape_of[t.natural]]))
        for c, t in enumerate(targets):
            t.column = c
    groups: dict[tuple, list[_Target]] = defaultdict(list)
    for t in targets:
        groups[shape_of[t.natural]].append(t)
    codes, ref_rows, special = _reference_codes(families, profiles, table, markers, degradation)
    untyped_row = len(ref_rows)
    # Per group: the reference row of each evidence person of each family, and its columns.
    layout = []
    # A shape's families in parts of up to SHAPE_PART, so that threads (or workers) share the work
    # of a large shape.
    parts = [(key, members[i:i + SHAPE_PART]) for key, members in groups.items()
             for i in range(0, len(members), SHAPE_PART)]
    for key, members in parts:
        persons = sorted(Structure(*key).evidence)
        rows = np.full((len(members), len(persons)), untyped_row, dtype=np.int64)
        for b, t in enumerate(members):
            by_id = {m.id: m for m in t.family.typed}
            ids = persons_of[t.natural]
            for j, pid in enumerate(persons):
                member = by_id.get(ids[pid])
                if member is not None:
                    rows[b, j] = ref_rows[member.sample]
        cols = np.array([t.column for t in members], dtype=np.int64)
        where_special = {}
        if special:
            special_rows = {r for r, _ in special}
            for b, j in zip(*np.nonzero(np.isin(rows, list(special_rows))), strict=True):
                where_special[(int(b), int(j))] = int(rows[b, j])
        layout.append((Structure(*key), persons, members, rows, cols, where_special))
    layout.sort(key=lambda g: -len(g[2]))  # the largest shapes first: threads finish together
    # Every marker's log LR rows one above the other (the scoring kernel reads them as one array);
    # log_tables[marker] is a view of its rows.
    offsets = np.cumsum([0] + [len(per_marker[m].genos) + 1 for m in markers])
    stack = np.zeros((int(offsets[-1]), len(targets)))
    log_tables: dict[str, np.ndarray] = {m: stack[offsets[i]:offsets[i + 1]] for i, m in enumerate(markers)}
    n_t = len(targets)
    informative = np.zeros((len(markers), n_t), dtype=bool)
    dens = np.zeros((len(markers), n_t))
    value_tables: dict[str, np.ndarray] = {}
    info = []
    for marker in markers:
        ms = per_marker[marker]
        genos = ms.genos
        freqs = table.freqs[marker]
        alleles = table.alleles[marker]
        specs = (mutation.spec(marker, "male"), mutation.spec(marker, "female"))
        hw = np.where(genos[:, 0] == genos[:, 1], freqs[genos[:, 0]] ** 2,
                      2 * freqs[genos[:, 0]] * freqs[genos[:, 1]]) if len(genos) else np.zeros(0)
        value_tables[marker] = np.zeros((len(genos) + len(ms.alleles) + 1, n_t) if ms.terms else (0, n_t))
        info.append((marker, ms, freqs, alleles, specs, mutation_matrix(specs[0], alleles, freqs),
                     mutation_matrix(specs[1], alleles, freqs), hw,
                     np.ascontiguousarray(genos[:, 0]), np.ascontiguousarray(genos[:, 1])))
    part_seconds = part_seconds if part_seconds is not None else []

    tctx = _TableContext(info, codes, special)
    parts = [(structure, persons, [t.family.source or t.family.name for t in members], rows, cols, where_special)
             for structure, persons, members, rows, cols, where_special in layout]
    # The parts are independent: computed by threads (numpy's elimination and the kernels release
    # the GIL), each writing its own columns, or on Dask workers and written here.
    found = []
    done = 0
    if map_parts is None:
        def local(tc, part):
            res = table_part(tc, part)
            res.into(log_tables, value_tables, dens, informative, markers)
            return res
        results = _ordered_map(local, [(tctx, p) for p in parts], threads)
    else:
        results = map_parts(table_part, tctx, parts)
    for res in results:
        if map_parts is not None:
            res.into(log_tables, value_tables, dens, informative, markers)
        found.extend(res.bad)
        part_seconds.append(res.seconds)
        done += len(res.cols) * len(markers)
        if progress:
            progress("families × markers", done, n_t * len(markers))
    bad: dict[int, str] = {}
    for _mi, c, why in sorted(found, key=lambda x: x[0]):
        bad.setdefault(c, why)

    log_den = {m: dens[mi] for mi, m in enumerate(markers)}
    if return_den:
        return targets, log_tables, value_tables, informative, bad, log_den
    return targets, log_tables, value_tables, informative, bad


def searched_markers(table: FrequencyTable, profiles: Profiles, sample_profiles: Profiles,
                     items: list[str], bodies: dict[str, list[str]], families: list[Family]) -> list[str]:
    """Markers typed in at least one searched sample and one family reference (in table order)."""
    in_samples, in_refs = set(), set()
    for item in items:
        for s in bodies.get(item, [item]):
            in_samples.update(sample_profiles.genotypes.get(s, {}))
    for fam in families:
        for m in fam.typed:
            in_refs.update(profiles.genotypes.get(m.sample, {}))
    return [m for m in table.markers if m in in_samples and m in in_refs]


def default_prior(n_missing: int, n_samples: int) -> float:
    """``1 / (max(N, R) + 1)``: each sample is one of the N missing persons or someone else, and
    each missing person one of the R samples or not among them — never certain a priori."""
    return 1.0 / (max(n_missing, n_samples) + 1)


def check_prior(prior: float, n_missing: int, n_samples: int) -> None:
    if not (0.0 < prior < 1.0) or math.isnan(prior):
        raise KinshipInputError("--prior", f"{prior} is not a probability in (0, 1)")
    bound = max(n_missing, n_samples)
    if prior * bound > 1.0 + 1e-12:
        raise KinshipInputError("--prior", f"{prior:g} per pair is impossible with {n_missing} missing persons "
                                f"and {n_samples} samples: the prior probabilities of one sample's (or one "
                                f"person's) candidates would sum above 1 (at most 1/{bound})")


def posterior(log_lr: float, row_lse: float, n_row: int, col_lse: float, n_col: int, prior: float) -> float:
    """Posterior probability that sample ``r`` is missing person ``m``, with competitors.

    With a prior ``π`` per pair, a sample is one of its ``n_row`` compared candidates or
    someone else (prior ``1 − n_row·π``), and a missing person is one of the ``n_col`` samples
    compared with them or not among them (``1 − n_col·π``). Bayes' rule with the sample's
    competitors gives ``LR_rm / (Σ_m' LR_rm' + (1 − n_row π)/π)``, with the person's competitors
    ``LR_rm / (Σ_r' LR_r'm + (1 − n_col π)/π)`` (the open-set posterior of Brenner & Weir 2003,
    Theor Popul Biol 63:173, applied along each axis). The reported posterior is the smaller:
    neither two candidates of one sample nor two samples of one person can both be near 1.
    The exact joint posterior (:mod:`vestige.kinship.joint`) can be higher where competition
    resolves itself (a competitor that is clearly someone else); this one never exceeds what
    either axis allows, which is the conservative side for an identification.
    """
    if log_lr == -math.inf:
        return 0.0
    log_pi = math.log(prior)
    vals = []
    for lse, n in ((row_lse, n_row), (col_lse, n_col)):
        none = 1.0 - n * prior
        log_none = math.log(none) - log_pi if none > 0 else -math.inf
        vals.append(math.exp(log_lr - np.logaddexp(lse, log_none)))
    return min(1.0, min(vals))


def posteriors(log_lr: np.ndarray, row_lse: np.ndarray, n_row: np.ndarray, col_lse: np.ndarray, n_col: np.ndarray,
               prior: float) -> np.ndarray:
    """:func:`posterior` for many pairs at once (the same formula, element by element)."""
    log_pi = math.log(prior)
    out = np.ones(len(log_lr))
    with np.errstate(divide="ignore", invalid="ignore"):
        for lse, n in ((row_lse, n_row), (col_lse, n_col)):
            none = 1.0 - n * prior
            log_none = np.where(none > 0, np.log(np.where(none > 0, none, 1.0)) - log_pi, -np.inf)
            out = np.minimum(out, np.exp(log_lr - np.logaddexp(lse, log_none)))
    out[log_lr == -np.inf] = 0.0
    return out


def _sex_codes(item_sex: np.ndarray, mp_sex: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The samples' and the targets' sexes as small integer codes, and the code of "unknown"
    (-1 when nobody's is unknown)."""
    values, codes = np.unique(np.concatenate([item_sex, mp_sex]).astype(str), return_inverse=True)
    codes = codes.astype(np.int64)
    unknown = int(np.searchsorted(values, "unknown")) if "unknown" in values else -1
    return codes[:len(item_sex)], codes[len(item_sex):], unknown


def _sex_filter(item_sex: np.ndarray, uncertain: np.ndarray, mp_sex: np.ndarray, all_sexes: bool):
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


def blind_search(families: list[Family], profiles: Profiles, table: FrequencyTable, samples: list[str],
                 *, sample_profiles: Profiles | None = None, sexes: dict[str, str] | None = None,
                 uncertain_sex: set[str] | None = None, mutation: MutationModel | None = None,
                 degradation: Degradation | None = None, bodies: dict[str, list[str]] | None = None,
                 theta: float = 0.0, top: int = 5, min_lr: float | None = None, all_pairs: bool = False,
                 compare_all_sexes: bool = False, prior: float | None = None, missing_total: int | None = None,
                 marker_detail: bool = False, progress: Progress | None = None, map_blocks=None,
                 threads: int | None = None) -> SearchResult:
    """Search ``samples`` (or bodies: ``bodies[name]`` lists the samples of one body) against
    every missing person of ``families``; see the module docstring. ``map_blocks(fn, ctx, items)``
    (e.g. :func:`vestige.kinship.distributed.dask_map`) computes the parts of the tables and
    scores the blocks of samples elsewhere, yielding their results in order; the fold is the
    same, so the output is identical. Without it
    the blocks are scored by ``threads`` threads (default: one per core; numpy's gathers, sums and
    exponentials release the GIL), folded in block order all the same."""
    mutation = mutation or MutationModel()
    sprof = sample_profiles or profiles
    sexes = sexes or {}
    bodies = bodies or {}
    uncertain_sex = uncertain_sex or set()
    if top < 0:
        raise KinshipInputError("--top", f"{top} is negative; give 0 or more candidates per sample")
    if min_lr is not None and (math.isnan(min_lr) or min_lr < 0):
        raise KinshipInputError("--min-lr", f"{min_lr} is not a non-negative number")
    if not 0.0 <= theta < 1.0 or math.isnan(theta):
        raise KinshipInputError("--theta", f"{theta} is not in [0, 1)")
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
        raise KinshipInputError("--missing-total", f"{missing_total} is fewer than the {n_targets} missing "
                                "persons in these families")
    pi = prior if prior is not None else default_prior(n_prior_missing, len(samples))
    check_prior(pi, n_prior_missing, len(samples))
    markers = searched_markers(table, profiles, sprof, samples, bodies, families)
    result = SearchResult([], pi, n_targets, len(samples), markers)
    if not n_targets or not samples:
        return result
    result.seconds["checks"] = time.perf_counter() - clock
    per_marker = _sample_markers(samples, bodies, sprof, table, markers, degradation)
    result.seconds["readings"] = time.perf_counter() - clock - result.seconds["checks"]
    if theta > 0:
        return _theta_search(result, families, profiles, sprof, table, samples, bodies, sexes, uncertain_sex,
                             mutation, degradation, theta, top, min_lr, all_pairs, compare_all_sexes, pi,
                             n_prior_missing)
    # The targets are scored with each sex together, so that a sample of known sex is summed over
    # its own sex's missing persons only (and those of unknown sex); ties and lists still follow
    # the families' order (``_Target.natural``).
    targets, log_tables, value_tables, informative, bad = lr_tables(
        families, profiles, table, markers, mutation, per_marker, degradation, progress, threads=threads,
        order=lambda t: t.family.by_id[t.missing].sex, map_parts=map_blocks, part_seconds=result.table_seconds)
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
    sample_code, target_code, unknown_code = _sex_codes(item_sex, mp_sex)
    n_codes = int(max(sample_code.max(initial=0), target_code.max(initial=0))) + 1
    first = np.searchsorted(target_code, np.arange(n_codes), side="left")
    last = np.searchsorted(target_code, np.arange(n_codes), side="right")
    stack = log_tables[markers[0]].base if markers else np.zeros((1, n_targets))
    offsets = np.cumsum([0] + [len(log_tables[m]) for m in markers])
    natural = np.array([t.natural for t in targets], dtype=np.int64)
    ctx = _BlockContext(markers, per_marker, stack, offsets, value_tables, sample_code, uncertain, target_code,
                        unknown_code, first, last, natural, compare_all_sexes, good, n_targets, top, all_pairs,
                        log_min, marker_detail, targets)
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
        _merge_best(col_best, col_best_i, out.top_v, out.top_i)
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
    # Another sample among the two best of the missing person, within a factor 10^4 (LR ≥ 1).
    floor = np.maximum(values - COMPETE, 0.0)
    rival_at = np.full(len(pending), -1, dtype=np.int64)
    for k in (1, 0):  # the best one wins
        other = col_best_i[k, pc]
        hit_k = (values > 0) & (other >= 0) & (other != ps) & (col_best[k, pc] >= floor)
        rival_at[hit_k] = other[hit_k]
    names = [t.family.name for t in targets]
    for i, ((s, c, value, flags, _r_lse, _r_n, per), n_compared) in enumerate(
            zip(pending, compared.tolist(), strict=True)):
        if rival_at[i] >= 0:
            flags.append(f"competing_remains:{samples[rival_at[i]]}")
        result.hits.append(SearchHit(samples[s], names[c], targets[c].missing, value, n_compared, float(post[i]),
                                     flags, per))
    result.hits.sort(key=lambda h: (h.sample, -h.log_lr))
    result.seconds["report"] = time.perf_counter() - clock - sum(result.seconds.values())
    return result


def _threads(threads: int | None) -> int:
    import os

    n = threads if threads is not None else min(8, os.cpu_count() or 1)
    if n < 1:
        raise KinshipInputError("--threads", f"{n}: give 1 or more threads")
    return n


def _ordered_map(fn, args: list[tuple], threads: int | None):
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
        return _ordered_map(fn, [(ctx, b) for b in starts], threads)
    return run


@dataclass
class _BlockContext:
    """Everything one block of samples is scored with (the LR tables and the per-sample readings);
    shipped once to each Dask worker."""

    markers: list
    per_marker: dict
    stack: np.ndarray  # every marker's log LR table, one above the other (lr_tables)
    offsets: np.ndarray  # first row of each marker's table in ``stack``
    value_tables: dict
    sample_code: np.ndarray  # sexes as small integers (see _sex_codes)
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


def score_block(ctx: _BlockContext, start: int) -> BlockResult:
    """Score samples ``start`` … ``start + SAMPLE_BLOCK`` against every target (one shard)."""
    import time

    from vestige.kinship import kernels

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
        for s, (ids, coefs, den) in ms.terms.items():
            if lo <= s <= hi:
                num = coefs @ values[ids]
                with np.errstate(divide="ignore", invalid="ignore"):
                    extra_rows.append(np.log(np.maximum(num, 0.0) / den))
                rows[mi, s - lo] = -len(extra_rows)
    extra = np.stack(extra_rows) if extra_rows else np.zeros((1, n_targets))
    acc = np.empty((nb, n_targets))
    row_n = np.zeros(nb, dtype=np.int64)
    col_n = np.zeros(n_targets, dtype=np.int64)
    kernels.accumulate(ctx.stack, rows, extra, ctx.sample_code[block], ctx.first, ctx.last, ctx.unknown_code,
                       ctx.uncertain[block], ctx.good, ctx.compare_all_sexes, acc, row_n, col_n)
    k = 0 if ctx.all_pairs else min(top, n_targets)
    row_max = np.empty(nb)
    top_v = np.empty((nb, k))
    top_i = np.empty((nb, k), dtype=np.int64)
    best_v = np.empty((2, n_targets))
    best_i = np.empty((2, n_targets), dtype=np.int64)
    kernels.block_stats(acc, k, ctx.natural, row_max, top_v, top_i, best_v, best_i)
    row_lse, col_lse = _block_lse(acc, row_max, best_v[0])
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
        pending.append((samples_l[i], c, value, flags, lse_l[i], n_l[i], per))
    best_i = np.where(best_i >= 0, block[np.maximum(best_i, 0)], -1)
    return BlockResult(int(block[0]) if len(block) else start, int(block[-1]) + 1 if len(block) else start,
                       col_lse, col_n, best_v, best_i,
                       [(int(block[r]), float(row_lse[r])) for r in range(len(block))], pending,
                       time.perf_counter() - t0)


def _allowed(ctx: _BlockContext, samples: np.ndarray) -> np.ndarray:
    """(len(samples), T) bool: the pairs compared (sexes, and the families not skipped)."""
    sc = ctx.sample_code[samples][:, None]
    tc = ctx.target_code[None, :]
    differ = (sc != tc) & (sc != ctx.unknown_code) & (tc != ctx.unknown_code)
    free = ctx.uncertain[samples][:, None] | ctx.compare_all_sexes
    return (~differ | free) & ctx.good[None, :]


def _conflict(ctx: _BlockContext, samples: np.ndarray, cols: np.ndarray) -> np.ndarray:
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


def _block_top(acc: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best and the second best row of each column of one block (values, sample indices)."""
    if acc.shape[0] == 0:
        return np.zeros((0, acc.shape[1])), np.zeros((0, acc.shape[1]), dtype=np.int64)
    if acc.shape[0] > 1:  # two argmax passes
        cols = np.arange(acc.shape[1])
        first = acc.argmax(axis=0)
        kept = acc[first, cols].copy()
        acc[first, cols] = -np.inf
        second = acc.argmax(axis=0)
        acc[first, cols] = kept
        top_rows = np.stack([first, second])
    else:
        top_rows = np.zeros((1, acc.shape[1]), int)
    return np.take_along_axis(acc, top_rows, axis=0), block[top_rows]


def _merge_best(best: np.ndarray, best_i: np.ndarray, top_v: np.ndarray, top_i: np.ndarray) -> None:
    """Keep, per target, the two best samples seen so far (values and indices); earlier wins ties."""
    if top_v.shape[0] == 0:
        return
    cand_v = np.concatenate([best, top_v], axis=0)
    cand_i = np.concatenate([best_i, top_i], axis=0)
    order = np.argsort(-cand_v, axis=0, kind="stable")[:2]
    best[:] = np.take_along_axis(cand_v, order, axis=0)
    best_i[:] = np.take_along_axis(cand_i, order, axis=0)


def _track_best(best: np.ndarray, best_i: np.ndarray, acc: np.ndarray, block: np.ndarray) -> None:
    """Keep, per target, the two best samples seen so far (values and indices)."""
    _merge_best(best, best_i, *_block_top(acc, block))


def _add_terms(acc: np.ndarray, block: np.ndarray, ms: _MarkerSamples, values: np.ndarray) -> None:
    """Add the log LR of degraded readings in ``block`` (rows of ``acc``) at one marker."""
    lo, hi = int(block[0]), int(block[-1])
    for s, (ids, coefs, den) in ms.terms.items():
        if lo <= s <= hi:
            num = coefs @ values[ids]
            with np.errstate(divide="ignore", invalid="ignore"):
                acc[s - lo] += np.log(np.maximum(num, 0.0) / den)


def _terms_for_pairs(rows: np.ndarray, cols: np.ndarray, ms: _MarkerSamples, values: np.ndarray) -> np.ndarray:
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


def _top(scores: np.ndarray, k: int) -> set[int]:
    k = min(k, len(scores))
    return set(np.argpartition(-scores, k - 1)[:k].tolist()) if k else set()


def _theta_search(result: SearchResult, families, profiles, sprof, table, samples, bodies, sexes, uncertain_sex,
                  mutation, degradation, theta, top, min_lr, all_pairs, compare_all_sexes, pi, n_prior) -> SearchResult:
    """θ > 0: every pair through the exact per-pair path (θ couples a family's founder alleles
    with the sample's, so the one-table-per-family shortcut does not apply)."""
    targets = [(f, mp) for f in families for mp in f.missing]
    mp_sex = np.array([f.by_id[mp].sex for f, mp in targets])
    item_sex = np.array([sexes.get(s, "unknown") for s in samples])
    uncertain = np.array([s in uncertain_sex for s in samples])
    allowed, conflict = _sex_filter(item_sex, uncertain, mp_sex, compare_all_sexes)
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
                r = likelihood_ratio(fam, mp, bodies.get(item, [item]), profiles, table, mutation, theta=theta,
                                     sample_profiles=sprof, degradation=degradation)
            except KinshipInputError as e:
                if "inconsistent" in str(e):
                    bad[fam.name] = str(e)
                    break
                raise
            scores[i, j] = -math.inf if r.log10_lr is None else r.log10_lr * math.log(10)
            compared[i, j] = r.markers_compared
    result.skipped = sorted(bad.items())
    for name in bad:
        for j, (fam, _mp) in enumerate(targets):
            if fam.name == name:
                allowed[:, j] = False
                scores[:, j] = -np.inf
    row_lse = np.logaddexp.reduce(scores, axis=1)
    col_lse = np.logaddexp.reduce(scores, axis=0)
    for i, item in enumerate(samples):
        order = np.argsort(-scores[i], kind="stable")
        chosen = [j for j in order if allowed[i, j]] if all_pairs else [j for j in order[:top] if scores[i, j] > -np.inf]
        if min_lr:
            chosen += [j for j in order if scores[i, j] >= math.log(min_lr) and j not in chosen]
        for j in chosen:
            fam, mp = targets[j]
            h = SearchHit(item, fam.name, mp, float(scores[i, j]), int(compared[i, j]),
                          flags=["sex_conflict"] if conflict[i, j] else [])
            h.posterior = posterior(h.log_lr, float(row_lse[i]), int(allowed[i].sum()), float(col_lse[j]),
                                    int(allowed[:, j].sum()), pi)
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
    per_marker = _sample_markers(items, bodies, sprof, table, markers, degradation)
    targets, log_tables, value_tables, informative, bad, log_den = lr_tables(
        families, profiles, table, markers, mutation, per_marker, degradation, progress, return_den=True)
    n_t = len(targets)
    acc = np.zeros((len(items), n_t))
    if items and n_t:
        block = np.arange(len(items))
        for m in markers:
            acc += log_tables[m][per_marker[m].rows]
            _add_terms(acc, block, per_marker[m], value_tables[m])
    mp_sex = np.array([t.family.by_id[t.missing].sex for t in targets])
    item_sex = np.array([sexes.get(s, "unknown") for s in items])
    uncertain = np.array([s in (uncertain_sex or set()) for s in items])
    allowed, conflict = _sex_filter(item_sex, uncertain, mp_sex, compare_all_sexes) if n_t and items else (
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
