"""Lineage systems (Y-STR, mtDNA) scored for many samples against many missing persons at once.

:class:`LineageScores` is built once for a search (or for one pair, by ``kinship lr``: the same
code gives the same figures) from the typed members of each missing person's paternal and
maternal line (:mod:`vestige.kinship.lines`):

- **Y** (:mod:`vestige.kinship.ystr`): per locus, the log of q(x), the missing man's predictive
  distribution given his line's typed men, stacked over the loci (rows: repeat counts — unordered
  pairs for a multi-copy locus; columns: missing persons). A sample's score against a missing man
  is the sum of its loci's rows, less the log frequency of its haplotype on the loci both have.
- **mtDNA** (:mod:`vestige.kinship.mtdna`): per missing person, the line's consensus (positions where
  its typed relatives agree) and the positions left out (they disagree, or show heteroplasmy);
  per position-rate class, log A (the missing person keeps the line's base) and log B (a given
  other base). A pair's log likelihood is the sum of log A over the positions both ranges cover,
  corrected at the positions where either has a variant; less the log frequency of the sample's
  haplotype (Clopper–Pearson upper bound).

``block(samples)`` returns (len(samples), T) log LRs, 0 where a system has nothing to compare, in
the order of the ``targets`` given — what :func:`vestige.kinship.search.blind_search` adds to the
autosomal scores. Both systems are independent of each other and of the autosomal STRs (Y and
mtDNA are inherited apart from the autosomes), so their LRs multiply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.haplofreq import YFrequency
from vestige.kinship.io import FrequencyTable
from vestige.kinship.lines import line_tree, predictive
from vestige.kinship.mtdna import (
    STATES,
    MtDatabase,
    MtModel,
    MtProfiles,
    in_range,
    jukes_cantor,
    mt_log_frequencies,
    range_overlap,
)
from vestige.kinship.mutation import MutationModel
from vestige.kinship.pedigree import Family
from vestige.kinship.snp.scores import SnpModel, snp_target
from vestige.kinship.xstr import (
    XMap,
    XProfiles,
    predictive_log_lrs,
    sample_codes,
    x_predictive,
)
from vestige.kinship.ystr import YHaplotypes, YModel, model_loci, y_predictive

__all__ = ["Lineage", "LineageScores"]


@dataclass
class Lineage:
    """The lineage data and models of a search; any part may be absent."""

    y: YHaplotypes | None = None
    y_model: YModel | None = None
    y_freq: YFrequency | None = None
    mt: MtProfiles | None = None
    mt_model: MtModel | None = None
    mt_db: MtDatabase | None = None
    x: XProfiles | None = None
    x_table: FrequencyTable | None = None
    x_map: XMap | None = None
    x_mutation: MutationModel | None = None
    snp: SnpModel | None = None

    @property
    def systems(self) -> list[str]:
        return [s for s, ok in (("y", self.y is not None), ("mt", self.mt is not None), ("x", self.x is not None),
                                ("snp", self.snp is not None)) if ok]

    def check(self, families: list[Family], sexes: dict[str, str]) -> list[tuple[str, str]]:
        """A Y locus in a female reference's profile is an error naming the file, line, sample and
        locus. A remains sample recorded female with Y-STR results is returned as (sample, where):
        its recorded sex (often amelogenin's, whose Y peak drops out of degraded bone) is wrong,
        and the search compares it with both sexes, flagged."""
        if self.y is None:
            return []
        member_sex = {m.sample: m.sex for f in families for m in f.typed}
        self.y.check_sexes(member_sex, "reference")
        return [(s, self.y.where(s, next(iter(h)))) for s, h in self.y.haplotypes.items()
                if h and sexes.get(s) == "female" and s not in member_sex]


def _typed_members(family: Family, names: set[str]) -> set[str]:
    return {m.id for m in family.typed if m.sample in names}


@dataclass
class _YPart:
    columns: np.ndarray  # target indices with a typed Y line
    stack: np.ndarray  # (Σ states, len(columns)) log q, 0 where the line has no data at a locus
    offsets: np.ndarray  # first row of each locus
    sample_state: np.ndarray  # (S, L) unordered state index per locus, -1 untyped / off the grid
    pattern: np.ndarray  # (len(columns),) the loci pattern of each target
    log_f: np.ndarray  # (S, n_patterns) log frequency on typed(s) ∩ pattern
    has: np.ndarray  # (S, n_patterns) the sample shares at least one locus with the pattern


@dataclass
class _MtPart:
    columns: np.ndarray
    site_ins: np.ndarray
    site_class: np.ndarray
    s_ptr: np.ndarray
    s_site: np.ndarray
    s_state: np.ndarray  # 1..5 for a variant, 6 for heteroplasmy
    s_pattern: np.ndarray
    t_state_t: np.ndarray  # (n_sites, len(columns)) int8: 0 ref, 1..5 a base, -1 left out
    cover: np.ndarray  # (n_sites, len(columns)) the line's references cover the site
    in_s: np.ndarray  # (n sample patterns, n_sites)
    log_a_t: np.ndarray  # (n_classes, len(columns))
    log_b_t: np.ndarray
    base: np.ndarray  # (n sample patterns, len(columns)): a sample without variants, the line's sites included
    log_f: np.ndarray  # (S,)
    typed: np.ndarray  # (S,) bool


class LineageScores:
    """Log LRs of the lineage systems for ``samples`` × ``targets`` ((family, missing id) pairs)."""

    def __init__(self, lineage: Lineage, targets: list[tuple[Family, str]], samples: list[str],
                 parts: dict[str, list[str]] | None = None) -> None:
        """``samples``: the items searched (samples, or bodies whose ``parts[body]`` lists their
        samples: a system is read from the first part that has its data)."""
        self.lineage = lineage
        self.targets = targets
        self.samples = samples
        self.parts = parts or {}
        self.n_targets = len(targets)
        self.y: _YPart | None = None
        self.mt: _MtPart | None = None
        self.y_trees: dict[int, tuple] = {}
        self.mt_trees: dict[int, tuple] = {}
        if lineage.y is not None:
            self._build_y()
        if lineage.mt is not None:
            self._build_mt()
        self.x_columns = np.zeros(0, dtype=np.int64)
        self.x_scores = np.zeros((len(samples), 0))
        self.x_compared = np.zeros((len(samples), 0), dtype=bool)
        if lineage.x is not None:
            self._build_x()
        self.snp_columns = np.zeros(0, dtype=np.int64)
        self.snp_scores = np.zeros((len(samples), 0))
        self.snp_compared = np.zeros((len(samples), 0), dtype=bool)
        self.snp_targets: dict[int, object] = {}
        if lineage.snp is not None:
            self._build_snp()
        self._columns_added: tuple[np.ndarray, dict[str, np.ndarray]] | None = None

    def _pick(self, data: dict, item: str):
        for s in self.parts.get(item, [item]):
            if s in data:
                return data[s]
        return None

    # --- Y ---------------------------------------------------------------------------------

    def _build_y(self) -> None:
        lin = self.lineage
        if lin.y_model is None or lin.y_freq is None:
            raise KinshipInputError("y", "Y-STR profiles need mutation rates and a haplotype database")
        haps = lin.y.haplotypes
        model = lin.y_model
        cols, qs = [], []
        names = set(haps)
        single_rows: dict = {}
        shared: dict = {}  # lines of several men: q per (locus, line shape with the men's readings)
        logs: dict = {}  # id(q) → (log of its unordered row, q kept alive): one log per shared q
        for c, (family, missing) in enumerate(self.targets):
            typed = _typed_members(family, names)
            if not typed:
                continue
            tree = line_tree(family, missing, "y", typed)
            if not tree.typed:
                continue
            refs = {m: model_loci(haps[family.by_id[m].sample]) for m in tree.typed}
            if len(refs) == 1:
                # one man on the line: each locus's row depends only on (locus, meioses, alleles),
                # which many lines share — computed once (the same numbers as y_predictive)
                (member, hap), = refs.items()
                n = tree.distance[member]
                q = {}
                for loc, vals in hap.items():
                    key = (loc, n, vals)
                    row = single_rows.get(key)
                    if row is None:
                        one = y_predictive(tree, model, {member: {loc: vals}})
                        row = single_rows[key] = (np.log(np.maximum(self._unordered(loc, one[loc]), 1e-300))
                                                  if loc in one else False)
                    if row is not False:
                        q[loc] = row
            else:
                q = {}
                for loc, v in y_predictive(tree, model, refs, shared).items():
                    row = logs.get(id(v))
                    if row is None:
                        row = logs[id(v)] = (np.log(np.maximum(self._unordered(loc, v), 1e-300)), v)
                    q[loc] = row[0]
            if not q:
                continue
            self.y_trees[c] = (tree, refs)
            cols.append(c)
            qs.append(q)
        loci = sorted({loc for q in qs for loc in q})
        offsets = [0]
        for loc in loci:
            offsets.append(offsets[-1] + self._n_unordered(loc))
        stack = np.zeros((offsets[-1], len(cols)))
        patterns: dict[frozenset, int] = {}
        pattern = np.empty(len(cols), dtype=np.int64)
        for j, q in enumerate(qs):
            for li, loc in enumerate(loci):
                if loc in q:
                    stack[offsets[li]:offsets[li + 1], j] = q[loc]
            pattern[j] = patterns.setdefault(frozenset(q), len(patterns))
        states = np.full((len(self.samples), len(loci)), -1, dtype=np.int64)
        sample_haps = []
        column = {loc: li for li, loc in enumerate(loci)}
        memo: dict = {}  # (locus, alleles) → (column, state): a few hundred distinct readings per locus
        for i, s in enumerate(self.samples):
            h = self._pick(haps, s)
            h = model_loci(h) if h else {}
            sample_haps.append(h)
            for loc, vals in h.items():  # only what the sample has (a woman's row stays empty)
                hit = memo.get((loc, vals))
                if hit is None:
                    li = column.get(loc)
                    st = self._unordered_state(loc, vals) if li is not None else None
                    hit = memo[(loc, vals)] = (li, st) if st is not None else ()
                if hit:
                    states[i, hit[0]] = hit[1]
        log_f = np.zeros((len(self.samples), max(len(patterns), 1)))
        has = np.zeros((len(self.samples), max(len(patterns), 1)), dtype=bool)
        typed_mask = states >= 0
        for pat, p in patterns.items():
            on_mask = typed_mask & np.array([loc in pat for loc in loci], dtype=bool)[None, :]
            rows = np.flatnonzero(on_mask.any(axis=1))
            if len(rows):
                # the loci each sample is compared on: one set per distinct row of the mask
                distinct, which = np.unique(on_mask[rows], axis=0, return_inverse=True)
                loci_sets = [frozenset(loci[li] for li in np.flatnonzero(d)) for d in distinct]
                sets = [loci_sets[k] for k in which.ravel().tolist()]
                log_f[rows, p] = lin.y_freq.log_frequencies([sample_haps[i] for i in rows], sets)
                has[rows, p] = True
        self.y_loci = loci
        self.y = _YPart(np.array(cols, dtype=np.int64), stack, np.array(offsets, dtype=np.int64), states,
                        pattern, log_f, has)

    def _n_unordered(self, locus: str) -> int:
        g = self.lineage.y_model.size[locus]
        return g * (g + 1) // 2 if self.lineage.y_model.copies(locus) == 2 else g

    def _unordered(self, locus: str, q: np.ndarray) -> np.ndarray:
        model = self.lineage.y_model
        if model.copies(locus) == 1:
            return q
        g = model.size[locus]
        m = q.reshape(g, g)
        iu = np.triu_indices(g)
        return np.where(iu[0] == iu[1], m[iu], m[iu] + m.T[iu])

    def _unordered_state(self, locus: str, vals: tuple) -> int | None:
        model = self.lineage.y_model
        states = model.state(locus, vals)
        if states is None:
            return None
        if model.copies(locus) == 1:
            return states[0]
        g = model.size[locus]
        a, b = sorted((states[0] // g, states[0] % g))
        return a * g - a * (a - 1) // 2 + (b - a)  # row-major upper triangle, as np.triu_indices

    # --- mtDNA -----------------------------------------------------------------------------

    def _build_mt(self) -> None:
        lin = self.lineage
        if lin.mt_model is None or lin.mt_db is None:
            raise KinshipInputError("mt", "mtDNA profiles need a mutation rate and a haplotype database")
        haps = lin.mt.haplotypes
        cols, lines_ = [], []
        names = set(haps)
        for c, (family, missing) in enumerate(self.targets):
            typed = _typed_members(family, names)
            if not typed:  # no one typed in the family: no line to build
                continue
            tree = line_tree(family, missing, "mt", typed)
            if not tree.typed:
                continue
            refs = {m: haps[family.by_id[m].sample] for m in tree.typed}
            self.mt_trees[c] = (tree, refs)
            cols.append(c)
            lines_.append((tree, refs))
        # the sites: every variant or heteroplasmy seen among the samples and the lines
        sites: set = set()
        for s in self.samples:
            h = self._pick(haps, s)
            if h is not None:
                sites |= set(h.variants) | set(h.heteroplasmy)
        consensus, left_out, covers = [], [], []
        for _tree, refs in lines_:
            cover = None
            for h in refs.values():
                cover = h.ranges if cover is None else range_overlap(cover, h.ranges)
            covers.append(cover or ())
            vs: dict = {}
            out: set = set()
            all_sites = set()
            for h in refs.values():
                all_sites |= set(h.variants) | set(h.heteroplasmy)
            for site in all_sites:
                vals = {h.variants.get(site, "ref") for h in refs.values()}
                if len(vals) > 1 or any(site in h.heteroplasmy for h in refs.values()):
                    out.add(site)
                elif "ref" not in vals:
                    vs[site] = next(iter(vals))
            consensus.append(vs)
            left_out.append(out)
            sites |= all_sites
        order = sorted(sites)
        index = {s: i for i, s in enumerate(order)}
        model = lin.mt_model
        rate_of = np.array([model.site_rate(p) for p, _ in order])
        classes = sorted({model.site_rate(p) for p in model.weights} | {model.site_rate(-1)})
        class_of = {r: k for k, r in enumerate(classes)}
        site_class = np.array([class_of[r] for r in rate_of], dtype=np.int64) if order else np.zeros(0, np.int64)
        site_ins = np.array([ins for _p, ins in order], dtype=np.int64)
        # sample patterns (ranges) and line cover patterns
        s_patterns: dict = {}
        t_patterns: dict = {}
        code = {"A": 1, "C": 2, "G": 3, "T": 4, "DEL": 5}
        s_ptr, s_site, s_state = [0], [], []
        s_pattern = np.full(len(self.samples), -1, dtype=np.int64)
        typed = np.zeros(len(self.samples), dtype=bool)
        log_f = np.zeros(len(self.samples))
        for i, s in enumerate(self.samples):
            h = self._pick(haps, s)
            if h is not None:
                typed[i] = True
                s_pattern[i] = s_patterns.setdefault(h.ranges, len(s_patterns))
                entries = [(index[site], code[b]) for site, b in h.variants.items()]
                entries += [(index[site], 6) for site in h.heteroplasmy]
                for si, st in sorted(entries):
                    s_site.append(si)
                    s_state.append(st)
            s_ptr.append(len(s_site))
        n_sites = len(order)
        t_state = np.zeros((len(cols), n_sites), dtype=np.int8)
        t_ptr, t_site = [0], []
        t_cover = np.empty(len(cols), dtype=np.int64)
        log_a = np.zeros((len(cols), len(classes)))
        log_b = np.zeros((len(cols), len(classes)))
        steps = [jukes_cantor(r) for r in classes]
        by_shape: dict = {}  # log A and log B per class, for each shape of line (they depend on nothing else)
        for j, ((tree, refs), vs, out, cover) in enumerate(zip(lines_, consensus, left_out, covers, strict=True)):
            t_cover[j] = t_patterns.setdefault(cover, len(t_patterns))
            marks = sorted({index[s] for s in vs} | {index[s] for s in out})
            for si in marks:
                t_site.append(si)
            t_ptr.append(len(t_site))
            for site, b in vs.items():
                t_state[j, index[site]] = code[b]
            for site in out:
                t_state[j, index[site]] = -1
            shape = tree.signature(dict.fromkeys(refs, (0,)))  # every reference reads the consensus
            got = by_shape.get(shape)
            if got is None:
                em = {}
                for m in refs:
                    e = np.zeros(STATES)
                    e[0] = 1.0
                    em[m] = e
                got = by_shape[shape] = [
                    (math.log(q[0]), math.log(q[1])) for q in (predictive(tree, step, em) for step in steps)]
            for k, (a, b) in enumerate(got):
                log_a[j, k], log_b[j, k] = a, b
        in_s = np.zeros((max(len(s_patterns), 1), n_sites), dtype=np.bool_)
        for pat, p in s_patterns.items():
            in_s[p] = [in_range(pos, pat) for pos, _ in order]
        in_t = np.zeros((max(len(t_patterns), 1), n_sites), dtype=np.bool_)
        for pat, p in t_patterns.items():
            in_t[p] = [in_range(pos, pat) for pos, _ in order]
        # log A summed over the positions both cover, per (sample pattern, cover pattern)
        base = np.zeros((max(len(s_patterns), 1), len(cols)))
        for sp, sp_i in s_patterns.items():
            for tp, tp_i in t_patterns.items():
                counts = np.zeros(len(classes))
                for lo, hi in range_overlap(sp, tp):
                    for pos in range(lo, hi + 1):
                        counts[class_of[model.site_rate(pos)]] += 1
                mask = t_cover == tp_i
                base[sp_i, mask] = log_a[mask] @ counts
        # frequencies: the sample's haplotype among the database's
        log_f[:] = mt_log_frequencies(lin.mt_db, [self._pick(haps, s) for s in self.samples])
        # the kernel's site-major arrays, and each line's own sites' corrections folded into the base
        cover = np.ascontiguousarray(in_t[t_cover].T) if n_sites else np.zeros((0, len(cols)), dtype=np.bool_)
        t_ptr_a, t_site_a = np.array(t_ptr, dtype=np.int64), np.array(t_site, dtype=np.int64)
        line_of = np.repeat(np.arange(len(cols)), np.diff(t_ptr_a))
        if len(t_site_a):
            theirs = t_state[line_of, t_site_a].astype(np.int64)
            la = log_a[line_of, site_class[t_site_a]]
            lb = log_b[line_of, site_class[t_site_a]]
            ins = site_ins[t_site_a] > 0
            left_out = theirs < 0
            corr = np.where(left_out, np.where(ins, 0.0, -la), np.where(ins, lb, lb - la))  # mine = 0 (no variant)
            for sp in range(base.shape[0]):
                ok = in_s[sp, t_site_a] & cover[t_site_a, line_of]
                np.add.at(base[sp], line_of[ok], corr[ok])
        self.mt = _MtPart(np.array(cols, dtype=np.int64), site_ins, site_class, np.array(s_ptr, dtype=np.int64),
                          np.array(s_site, dtype=np.int64), np.array(s_state, dtype=np.int64), s_pattern,
                          np.ascontiguousarray(t_state.T), cover, in_s, np.ascontiguousarray(log_a.T),
                          np.ascontiguousarray(log_b.T), base, log_f, typed)

    # --- X ---------------------------------------------------------------------------------

    def _build_x(self) -> None:
        """The X log LR of every sample against every missing person whose family has X data:
        the missing person's predictive table per linkage group (:func:`vestige.kinship.xstr.
        x_predictive`), looked up with each sample's genotypes (a dense (S, T_x) matrix)."""
        lin = self.lineage
        if lin.x_table is None or lin.x_map is None:
            raise KinshipInputError("x", "X-STR profiles need allele frequencies and a genetic map")
        geno = lin.x.genotypes
        names = set(geno)
        cols, preds = [], []
        for c, (family, missing) in enumerate(self.targets):
            data = {m.id: geno[m.sample] for m in family.typed if m.sample in names}
            if not data:
                continue
            p = x_predictive(family, missing, lin.x_table, lin.x_map, lin.x_mutation or MutationModel(), data)
            if p:
                cols.append(c)
                preds.append(p)
        scores = np.zeros((len(self.samples), len(cols)))
        compared = np.zeros((len(self.samples), len(cols)), dtype=bool)
        picked = [next((p for p in self.parts.get(s, [s]) if p in names), None) for s in self.samples]
        codes: dict[tuple, np.ndarray] = {}
        for j, groups in enumerate(preds):
            for pred in groups:
                key = tuple(pred.loci)
                if key not in codes:
                    codes[key] = sample_codes(lin.x, picked, lin.x_table, pred.loci)
                v = predictive_log_lrs(pred, codes[key], lin.x_table)
                seen = ~np.isnan(v)
                scores[seen, j] += v[seen]
                compared[:, j] |= seen
        self.x_columns = np.array(cols, dtype=np.int64)
        self.x_scores, self.x_compared = scores, compared

    def _build_snp(self) -> None:
        """The multipoint SNP log LR of every sample against every missing person whose family has
        a SNP-typed reference (:mod:`vestige.kinship.snp.scores`), as a dense (S, T_snp) matrix."""
        model = self.lineage.snp
        picked = [next((p for p in self.parts.get(s, [s]) if model.enough(p)), None) for s in self.samples]
        rows = [i for i, p in enumerate(picked) if p is not None]
        names = [picked[i] for i in rows]
        cols, values = [], []
        for c, (family, missing) in enumerate(self.targets):
            target = snp_target(family, missing, model)
            if target is None:
                continue
            self.snp_targets[c] = target
            cols.append(c)
            values.append(target.log_lrs(model, names) if names else np.zeros(0))
        scores = np.zeros((len(self.samples), len(cols)))
        compared = np.zeros((len(self.samples), len(cols)), dtype=bool)
        for j, v in enumerate(values):
            scores[rows, j] = v
            compared[rows, j] = True
        self.snp_columns = np.array(cols, dtype=np.int64)
        self.snp_scores, self.snp_compared = scores, compared

    # --- scores ----------------------------------------------------------------------------

    def block(self, rows: np.ndarray, systems: tuple[str, ...] = ("y", "mt")) -> np.ndarray:
        """(len(rows), T) log LRs of the lineage systems for samples ``rows`` (indices into
        ``samples``), summed over ``systems``; 0 where nothing is compared."""
        from vestige.kinship import (
            lineage_kernels as kernels,  # lazy: numba loads (seconds) only when something is scored
        )

        out = np.zeros((len(rows), self.n_targets))
        rows = np.asarray(rows, dtype=np.int64)
        if self.y is not None and "y" in systems and len(self.y.columns):
            y = self.y
            kernels.y_block(rows, y.columns, y.stack, y.offsets, y.sample_state, y.pattern, y.log_f, y.has, out)
        if self.mt is not None and "mt" in systems and len(self.mt.columns):
            m = self.mt
            kernels.mt_block(rows, m.columns, m.site_ins, m.site_class, m.s_ptr, m.s_site, m.s_state, m.s_pattern,
                             m.t_state_t, m.cover, m.in_s, m.log_a_t, m.log_b_t, m.base, m.log_f, m.typed, out)
        if "x" in systems and len(self.x_columns):
            out[:, self.x_columns] += self.x_scores[rows]
        if "snp" in systems and len(self.snp_columns):
            out[:, self.snp_columns] += self.snp_scores[rows]
        return out

    def columns_added(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``(position, place)``: for each target its column in :meth:`block_parts`' compact sum, or
        ``-1`` when no lineage system compares it (``position`` (T,)); for each system the compact
        columns of its own columns (``place[system]``). Computed once."""
        if self._columns_added is None:
            systems = {"y": self.y.columns if self.y is not None else None,
                       "mt": self.mt.columns if self.mt is not None else None,
                       "x": self.x_columns, "snp": self.snp_columns}
            cols = [np.asarray(c, dtype=np.int64) for c in systems.values() if c is not None and len(c)]
            union = np.unique(np.concatenate(cols)) if cols else np.zeros(0, dtype=np.int64)
            position = np.full(self.n_targets, -1, dtype=np.int64)
            position[union] = np.arange(len(union))
            place = {name: position[np.asarray(c, dtype=np.int64)] for name, c in systems.items()
                     if c is not None and len(c)}
            self._columns_added = (position, place)
        return self._columns_added

    def block_parts(self, rows: np.ndarray) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """(total, parts): the sum over every system (what the scoring adds), compact — (len(rows), U)
        over the U targets some system compares, their places given by :meth:`columns_added` — and
        per system its columns and its own (len(rows), len(columns)) log LRs: each system scored
        once into a compact matrix, then added into the total (a dense (len(rows), T) sum cost more
        than the systems themselves at 10^4 targets)."""
        from vestige.kinship import (
            lineage_kernels as kernels,  # lazy: numba loads (seconds) only when something is scored
        )

        rows = np.asarray(rows, dtype=np.int64)
        position, place = self.columns_added()
        total = np.zeros((len(rows), int(position.max(initial=-1)) + 1))
        parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.y is not None and len(self.y.columns):
            y = self.y
            comp = np.zeros((len(rows), len(y.columns)))
            kernels.y_block(rows, np.arange(len(y.columns)), y.stack, y.offsets, y.sample_state, y.pattern, y.log_f,
                            y.has, comp)
            parts["y"] = (y.columns, comp)
        if self.mt is not None and len(self.mt.columns):
            m = self.mt
            comp = np.zeros((len(rows), len(m.columns)))
            kernels.mt_block(rows, np.arange(len(m.columns)), m.site_ins, m.site_class, m.s_ptr, m.s_site, m.s_state,
                             m.s_pattern, m.t_state_t, m.cover, m.in_s, m.log_a_t, m.log_b_t, m.base, m.log_f,
                             m.typed, comp)
            parts["mt"] = (m.columns, comp)
        if len(self.x_columns):
            parts["x"] = (self.x_columns, self.x_scores[rows])
        if len(self.snp_columns):
            parts["snp"] = (self.snp_columns, self.snp_scores[rows])
        for name, (_cols, comp) in parts.items():  # in the systems' order, as before: the same sums
            kernels.scatter_columns(total, np.ascontiguousarray(comp), place[name])
        return total, parts

    def compared(self, system: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per pair (rows[i], cols[i]): did ``system`` compare anything (else its LR is 1)?"""
        out = np.zeros(len(rows), dtype=bool)
        if system in ("x", "snp"):
            columns, done = ((self.x_columns, self.x_compared) if system == "x"
                             else (self.snp_columns, self.snp_compared))
            if not len(columns) or not len(rows):
                return out
            j = np.minimum(np.searchsorted(columns, cols), len(columns) - 1)
            on = columns[j] == cols
            out[on] = done[rows[on], j[on]]
            return out
        part = self.y if system == "y" else self.mt
        if part is None or not len(part.columns) or not len(rows):
            return out
        j = np.searchsorted(part.columns, cols)
        j = np.minimum(j, len(part.columns) - 1)
        on_line = part.columns[j] == cols
        if system == "y":
            out[on_line] = part.has[rows[on_line], part.pattern[j[on_line]]]
        else:
            out[on_line] = part.typed[rows[on_line]]
        return out

    def pair(self, row: int, col: int) -> dict[str, float | None]:
        """{system: log10 LR or None (nothing compared)} for one sample and one target."""
        out: dict[str, float | None] = {}
        for system in self.lineage.systems:
            v = self.block(np.array([row]), (system,))[0, col]
            compared = bool(self.compared(system, np.array([row]), np.array([col]))[0])
            out[system] = float(v / math.log(10)) if compared else None
        return out
