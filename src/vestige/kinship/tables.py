"""The blind search's LR tables: for each missing person and marker, ``log LR`` of every genotype
the samples show (see :mod:`vestige.kinship.search`).

Families are grouped by pedigree shape in a canonical numbering (:func:`canonical_structure`),
cut in parts (:data:`SHAPE_PART` families; a part is one task for a thread or a Dask worker,
:func:`table_part`), and at each marker batched by number of alleles seen in the family (the
smallest allele space); nuclear families take a closed form (:func:`nuclear_shape`), the
others the general elimination. The references are integer-coded once (:func:`_reference_codes`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vestige.kinship.canonical import canonical_structure
from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.likelihood import Structure, eliminate
from vestige.kinship.lr import structure_of
from vestige.kinship.mutation import MutationModel, MutationSpec, mutation_matrix
from vestige.kinship.observe import Degradation, category_terms, evidence_matrix, hw_probability
from vestige.kinship.pedigree import Family
from vestige.kinship.readings import family_readings, sample_readings
from vestige.kinship.scoring import ordered_map

Progress = Callable[[str, int, int], None]
BATCH = 2048  # families × markers eliminated at once
SHAPE_PART = 1024  # families of one shape computed as one task


@dataclass
class _Target:
    family: Family
    missing: str
    column: int  # where the tables and scores hold it
    natural: int = -1  # its place in the families' order (ties and lists follow it)


@dataclass
class MarkerSamples:
    """The samples' readings at one marker: clean genotypes as table rows, the rest as terms."""

    genos: np.ndarray  # (G, 2) allele-index pairs whose P(data, X = g) is needed (sorted pairs)
    rows: np.ndarray  # (S,) row of each clean sample's genotype; G (the zero row) otherwise
    alleles: np.ndarray  # (A,) allele indices whose "exactly one copy" value is needed
    terms: dict[int, tuple[np.ndarray, np.ndarray, float]]  # sample → (base row ids, coefs, P_HW)
    typed: np.ndarray  # (S,) bool: the sample has a reading here


def sample_markers(items: list[str], bodies: dict[str, list[str]], profiles: Profiles, table: FrequencyTable,
                    markers: list[str], degradation: Degradation | None) -> dict[str, MarkerSamples]:
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
        pending: dict[int, tuple] = {}  # degraded sample → its readings (the key of same_readings)
        same_readings: dict[tuple, tuple] = {}  # readings → (category terms, P_HW)
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
            # Degraded samples showing the same alleles with the same rates share their terms.
            reading_key = tuple(rs)
            known = same_readings.get(reading_key)
            if known is None:
                _union, coef = category_terms(rs, lambda a, _f=freqs, _i=idx: _f[_i[a]])
                known = same_readings[reading_key] = (coef, hw_probability(rs, table.alleles[marker], freqs))
                for row in known[0]:
                    if row[0] == "g":
                        key = (idx[row[1]], idx[row[2]])
                        genos.setdefault((min(key), max(key)), len(genos))
                    elif row[0] == "r":
                        allele_rows.setdefault(idx[row[1]], len(allele_rows))
            pending[s] = reading_key
        g_count, a_count = len(genos), len(allele_rows)
        built: dict[tuple, tuple] = {}  # reading → (base row ids, coefs, P_HW), shared by its samples
        for reading_key, (coef, hw) in same_readings.items():
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
            built[reading_key] = (np.array(ids, dtype=np.int64), np.array(cs), hw)
        terms = {s: built[reading_key] for s, reading_key in pending.items()}
        rows[rows < 0] = g_count
        out[marker] = MarkerSamples(np.array(list(genos), dtype=np.int64).reshape(-1, 2), rows,
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
    from vestige.kinship import (
        kernels,  # lazy: numba loads in seconds, only when something is scored
    )

    kmax = int(np.count_nonzero(presence, axis=1).max()) if bsz else 0
    a = kmax + 2
    safe = np.empty((bsz, kmax), dtype=np.int64)  # the seen alleles in table order, then 0
    p_obs = np.empty((bsz, kmax))
    vindex = np.empty((bsz, n), dtype=np.int64)
    k = kernels.observed_alleles(np.ascontiguousarray(presence), freqs, safe, p_obs, vindex)
    p_l = np.where(n - k > 0, 1.0 - p_obs.sum(axis=1), 0.0)  # numpy's sum: the figures of old, to the bit
    kinds = np.zeros(2, dtype=np.int64)
    params = np.zeros((2, 2))
    for i, spec in enumerate(specs):
        if spec.trivial:
            continue
        if spec.model == "equal":
            u = spec.rate / (n - 1)
            kinds[i], params[i] = 1, (u, 1.0 - spec.rate - u)
        else:
            alpha = spec.rate / float(np.sum(freqs * (1.0 - freqs)))
            kinds[i], params[i] = 2, (alpha, 1.0 - alpha)
    prior = np.empty((bsz, a))
    male = np.empty((bsz, a, a))
    female = np.empty((bsz, a, a))
    weights = np.empty((bsz, n, a))
    kernels.virtual_batch(presence, freqs, np.ascontiguousarray(mm), np.ascontiguousarray(mf), safe, p_obs, vindex,
                          k, p_l, kinds, params, prior, male, female, weights)
    return prior, male, female, vindex, weights


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


def table_part(tctx: _TableContext, part, dest: tuple | None = None) -> TablePart:
    """Every marker of one part of one family shape: the batches of each marker built, those of the
    same allele-space size eliminated together (one elimination for many markers), then each
    batch's rows written into the part's tables (their logs taken at the end).

    ``dest`` (the whole search's ``(logs, values, dens, informative)``, as :meth:`TablePart.into`
    takes them, in order of markers): the rows are written straight into the part's columns
    there, as LRs (the caller takes their logs), and the part returned holds only its columns,
    failures and time; without it (a Dask worker), the part's own tables are returned."""
    import time

    from vestige.kinship import (
        kernels,  # lazy: numba loads in seconds, only when something is scored
    )

    t0 = time.perf_counter()
    structure, persons, names, rows, group_cols, where_special = part
    n_fam = len(names)
    info, codes, special = tctx.info, tctx.codes, tctx.special
    if dest is None:
        logs = [np.zeros((len(i[8]) + 1, n_fam)) for i in info]
        values = [np.zeros((len(i[8]) + len(i[1].alleles) + 1, n_fam)) if i[1].terms else None for i in info]
        dens = np.zeros((len(info), n_fam))
        inform = np.zeros((len(info), n_fam), dtype=bool)
        out_cols = np.arange(n_fam)
    else:
        logs, values, dens, inform = dest
        out_cols = np.asarray(group_cols)
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
                evidence = np.empty((len(persons), bsz, a, a))  # person j's evidence: evidence[j]
                typed_any = np.zeros(bsz, dtype=bool)
                kernels.evidence_rows(c[sub], vindex, evidence, typed_any)
                if spec_here:  # degraded readings: their general evidence
                    for lb, b in enumerate(sub.tolist()):
                        for j in range(len(persons)):
                            rs = spec_here.get((b, j))
                            if rs:
                                evidence[j, lb] = _special_evidence(rs, a, vindex[lb], alleles, freqs)
                                typed_any[lb] = True
                by_size[a].append((mi, sub, prior, male, female, vindex, weights, evidence, typed_any))
    found_bad: list[tuple[int, int, str]] = []
    for batches in by_size.values():
        chunk: list = []
        size = 0
        for n_batch, batch in enumerate(batches):
            chunk.append(batch)
            size += len(batch[1])
            if size >= BATCH or n_batch == len(batches) - 1:
                if len(chunk) == 1:  # one batch: its own arrays
                    p = chunk[0]
                    joint = _joint(structure, p[2], p[3], p[4], {pid: p[7][j] for j, pid in enumerate(persons)})
                else:
                    joint = _joint(structure, np.concatenate([p[2] for p in chunk]),
                                   np.concatenate([p[3] for p in chunk]), np.concatenate([p[4] for p in chunk]),
                                   {pid: np.concatenate([p[7][j] for p in chunk]) for j, pid in enumerate(persons)})
                at = 0
                for p in chunk:
                    found_bad.extend(_write_rows(p, joint[at:at + len(p[1])], info, names, group_cols,
                                                 out_cols, logs, values, dens, inform))
                    at += len(p[1])
                chunk, size = [], 0
    if dest is not None:
        return TablePart(group_cols, [], [], dens[:, :0], inform[:, :0], found_bad, time.perf_counter() - t0)
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
    from vestige.kinship import (
        kernels,  # lazy: numba loads in seconds, only when something is scored
    )

    father, mother, kids, role = shape
    bsz, a = prior.shape
    ones = np.ones((bsz, a, a))
    children = np.stack([evidence[c] for c in kids]) if kids else np.ones((0, bsz, a, a))
    out = np.empty((bsz, a, a))
    kernels.nuclear(np.ascontiguousarray(prior), np.ascontiguousarray(male), np.ascontiguousarray(female),
                    np.ascontiguousarray(evidence.get(father, ones)), np.ascontiguousarray(evidence.get(mother, ones)),
                    children, role, out)
    return out


def _write_rows(batch, joint: np.ndarray, info, names, group_cols, out_cols, logs, values, dens,
                informative) -> list[tuple[int, int, str]]:
    """One batch's results into the tables (columns ``out_cols`` of the batch's families' places in
    the part): the LR of every sample genotype (the kernel), the value rows of degraded readings,
    log P(data), "typed here"; returns the families whose data are impossible at that marker
    (marker index, column, reason)."""
    from vestige.kinship import (
        kernels,  # lazy: numba loads in seconds, only when something is scored
    )

    mi, sub, prior, _male, _female, vindex, weights, _evidence, typed_any = batch
    marker, ms, _freqs, _alleles, _specs, _mm, _mf, hw, gx, gy = info[mi]
    den = joint.sum(axis=(1, 2))
    bad = []
    for b in np.nonzero(den <= 0)[0]:
        bad.append((mi, int(group_cols[sub[b]]), f"{names[sub[b]]}, marker {marker}: the family's reference "
                    "profiles are inconsistent (likelihood 0); check them or give a mutation model"))
    at = out_cols[sub]
    informative[mi, at] = typed_any
    with np.errstate(divide="ignore"):
        dens[mi, at] = np.log(den)
    safe_den = np.where(den > 0, den, 1.0)
    # Alleles the family never showed are lumped (only with lumpable mutation models): their
    # weights on the two lump alleles Lp (a - 2) and Lu (a - 1).
    if len(gx):
        kernels.genotype_rows(np.ascontiguousarray(joint), safe_den, vindex, weights, gx, gy, hw, at, logs[mi])
    if ms.terms:
        vals = values[mi]
        full = weights @ joint @ weights.transpose(0, 2, 1)  # (B, n, n) ordered specific alleles
        if len(gx):
            gv = full[:, gx, gy] + full[:, gy, gx]
            homo = gx == gy
            gv[:, homo] = full[:, gx[homo], gx[homo]]
            vals[:len(gx), at] = (gv / safe_den[:, None]).T
        if len(ms.alleles):
            u = ms.alleles
            one = full.sum(axis=2)[:, u] + full.sum(axis=1)[:, u] - 2 * full[:, u, u]
            vals[len(gx):len(gx) + len(u), at] = (one / safe_den[:, None]).T
        vals[-1, at] = 1.0
    return bad


@dataclass
class LRTables:
    """What :func:`lr_tables` computes: the targets (each family's missing persons, in column
    order), per marker the log LR table (rows: clean sample genotypes, last row zero for untyped
    samples; columns: targets) and the value rows of degraded readings, whether each family is typed
    there (markers × targets, bool), the families found impossible ({column: reason}), and with
    ``return_den`` each family's log P(data) per marker."""

    targets: list
    log_tables: dict
    value_tables: dict
    informative: np.ndarray
    bad: dict[int, str]
    log_den: dict | None = None


def lr_tables(families: list[Family], profiles: Profiles, table: FrequencyTable, markers: list[str],
              mutation: MutationModel, per_marker: dict[str, MarkerSamples], *,
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
        dest = ([log_tables[m] for m in markers], [value_tables[m] if per_marker[m].terms else None for m in markers],
                dens, informative)
        results = ordered_map(table_part, [(tctx, p, dest) for p in parts], threads)
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
    if map_parts is None:  # the LRs written in place become log LRs, marker by marker on the threads
        def take_log(rows):
            with np.errstate(divide="ignore"):
                np.log(rows, out=rows)
        list(ordered_map(take_log, [(log_tables[m][:-1],) for m in markers], threads))
    bad: dict[int, str] = {}
    for _mi, c, why in sorted(found, key=lambda x: x[0]):
        bad.setdefault(c, why)

    log_den = {m: dens[mi] for mi, m in enumerate(markers)}
    return LRTables(targets, log_tables, value_tables, informative, bad, log_den if return_den else None)


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
