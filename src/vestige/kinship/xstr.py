"""X-chromosome STRs: X inheritance in any pedigree, with linkage inside linkage groups.

A man carries one X (from his mother) and gives it unchanged — but for mutation — to each
daughter, none to his sons; a woman carries two and gives each child one, recombined. So X-STRs
tell a paternal half-sister (who shares her father's whole X with the missing woman) or a
paternal grandmother apart from the unrelated, where autosomal STRs cannot.

**Model** (pedprobr's X likelihood, Vigeland 2021, *Pedigree analysis in R*, ch. 3 and 4; KLINK's
linked pairs, Kling et al. 2015, FSI Genet 17:1, for the haplotype transmission): the markers of
one linkage group (``x_map``: Argus X-12's four groups of three, by position) are one variable
per X chromosome whose states are haplotypes over the group's loci, each locus's alleles being
those seen in the family and the sample plus one lump of the rest (exact for the ``none``,
``equal`` and ``proportional`` mutation models; :func:`vestige.kinship.mutation.lump`). Founders'
haplotypes are drawn in linkage equilibrium (the product of the loci's frequencies: no linkage
disequilibrium). A woman's two X are the paternal ``P`` and maternal ``M`` variables; a man has
``M`` only. Transmission:

- mother → child: the child's X takes, locus by locus along the group, the allele of one of the
  mother's two X, switching between them between adjacent loci with the recombination fraction
  ``r`` (female meioses: the female map), then mutated by the female matrix;
- father → daughter: his X mutated by the male matrix; father → son: nothing.

Observed: a woman's genotype at each locus (unordered), a man's single allele (a lab writing it
twice is read as one; two different alleles in a man are an error). Groups are independent of
each other (the issue's definition: linkage inside the groups only), so the X LR is the product
over groups of ``P(sample's genotypes | family, sample is the missing person) / P(sample's
genotypes | unrelated)``, both by variable elimination (exact, loops included).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import FrequencyTable, open_csv, read_json
from vestige.kinship.likelihood import contract
from vestige.kinship.mutation import MutationModel, MutationSpec, lump
from vestige.kinship.pedigree import Family

MAX_STATES = 4096  # haplotype states of one X variable (a woman's factor is this squared)

__all__ = ["XMap", "XProfiles", "check_x_alleles", "read_x_map", "read_x_profiles", "x_likelihood_ratio", "x_mutation"]


@dataclass
class XProfiles:
    """``genotypes[sample][marker]`` = (a,) for a man's single allele or (a, b) for a woman (or a
    person of unknown sex typed for two alleles)."""

    genotypes: dict[str, dict[str, tuple[str, ...]]]
    source: str = ""
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def where(self, sample: str, marker: str) -> str:
        line = self.lines.get((sample, marker))
        return f"{self.source}, line {line}" if line else f"{self.source}, sample {sample}"


def read_x_profiles(path: str | Path, known: set[str] | None = None) -> XProfiles:
    """CSV ``sample,marker,allele1,allele2``; a man's row has ``allele2`` empty (or repeated)."""
    source, rows = open_csv(path)
    header = [c.lower() for c in rows[0][1]]
    if header[:3] not in (["sample", "marker", "allele1"], ["sample name", "marker", "allele 1"]):
        raise KinshipInputError(f"{source}, line {rows[0][0]}",
                                "expected the header sample,marker,allele1,allele2 (X-STR profiles)")
    out = XProfiles({}, source)
    for line, row in rows[1:]:
        where = f"{source}, line {line}"
        if len(row) < 3 or not row[0] or not row[1] or not row[2]:
            raise KinshipInputError(where, "expected sample,marker,allele1[,allele2] with a sample, a marker and an allele")
        sample, marker, a1 = row[0], row[1], row[2]
        a2 = row[3] if len(row) > 3 else ""
        if known is not None and marker not in known:
            raise KinshipInputError(where, f"X marker {marker!r} (sample {sample}) is not in the genetic map / "
                                    "frequency table")
        g = (a1,) if not a2 or a2 == a1 else (a1, a2)
        hap = out.genotypes.setdefault(sample, {})
        if marker in hap:
            raise KinshipInputError(where, f"sample {sample} has {marker} twice")
        hap[marker] = g
        out.lines[(sample, marker)] = line
    return out


@dataclass
class XMap:
    """Linkage groups (markers in map order) and the recombination fraction (female meioses)
    between adjacent markers of a group."""

    groups: list[list[str]]
    r: dict[tuple[str, str], float]
    source: str = ""
    rates: dict[str, float] = field(default_factory=dict)

    @property
    def markers(self) -> list[str]:
        return [m for g in self.groups for m in g]


def haldane(cm: float) -> float:
    """Haldane's map function: the recombination fraction for a distance of ``cm`` centimorgans."""
    return 0.5 * (1 - math.exp(-2 * cm / 100))


def kosambi(cm: float) -> float:
    """Kosambi's map function (KLINK's default)."""
    return 0.5 * math.tanh(2 * cm / 100)


def read_x_map(path: str | Path, function: str = "haldane") -> XMap:
    """The genetic map: JSON ``{"loci": [{"marker", "linkage_group", "cM_female" | "cM"}...],
    "adjacent_recombination_fractions": [{"from", "to", "r"}...]}``; a fraction given is used as
    given, else it comes from the cM distance by ``function`` (Haldane or Kosambi)."""
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("loci"), list) or not data["loci"]:
        raise KinshipInputError(str(path), 'expected {"loci": [{"marker", "linkage_group", "cM_female"}, ...]}')
    fn = {"haldane": haldane, "kosambi": kosambi}.get(function)
    if fn is None:
        raise KinshipInputError("map function", f"{function!r} is not haldane or kosambi")
    groups: dict[object, list[tuple[float, str]]] = {}
    for i, loc in enumerate(data["loci"]):
        if not isinstance(loc, dict) or "marker" not in loc:
            raise KinshipInputError(f"{path}, loci[{i}]", "a locus needs a marker")
        cm = loc.get("cM_female", loc.get("cM"))
        if not isinstance(cm, (int, float)):
            raise KinshipInputError(f"{path}, {loc['marker']}", f"cM position {cm!r} is not a number")
        groups.setdefault(loc.get("linkage_group", loc["marker"]), []).append((float(cm), str(loc["marker"])))
    ordered = [[m for _c, m in sorted(g)] for _k, g in sorted(groups.items(), key=lambda kv: min(kv[1])[0])]
    pos = {m: c for g in groups.values() for c, m in g}
    given = {}
    for e in data.get("adjacent_recombination_fractions", []) or []:
        try:
            r = float(e["r"])
        except (KeyError, TypeError, ValueError):
            continue
        if not 0 <= r <= 0.5:
            raise KinshipInputError(f"{path}, {e.get('from')}–{e.get('to')}", f"r {r} is not in [0, 0.5]")
        given[(str(e["from"]), str(e["to"]))] = r
    r = {}
    for g in ordered:
        for a, b in zip(g, g[1:], strict=False):
            r[(a, b)] = given.get((a, b), given.get((b, a), fn(abs(pos[b] - pos[a]))))
    rates = data.get("mutation_rate_per_meiosis") or {}
    rates = {str(k): float(v) for k, v in rates.items() if isinstance(v, (int, float))}
    return XMap(ordered, r, str(path), rates)


@dataclass
class _Space:
    """One linkage group's haplotype space for one computation."""

    loci: list[str]
    spaces: list  # VirtualSpace per locus
    size: int

    def index(self, states: tuple[int, ...]) -> int:
        i = 0
        for s, sp in zip(states, self.spaces, strict=True):
            i = i * sp.size + s
        return i


def kron(parts: list[np.ndarray]) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = np.kron(out, p)
    return out


def _group_space(table: FrequencyTable, mutation: MutationModel, loci: list[str],
                 observed: dict[str, set[str]]) -> _Space:
    spaces = [lump(table.alleles[m], table.freqs[m], observed.get(m, set()), mutation.spec(m, "male"),
                   mutation.spec(m, "female")) for m in loci]
    size = int(np.prod([s.size for s in spaces]))
    if size > MAX_STATES:
        raise KinshipInputError(f"X linkage group {'+'.join(loci)}", f"{size} haplotype states (more than "
                                f"{MAX_STATES}): use the equal or proportional mutation model, whose unseen "
                                "alleles are lumped")
    return _Space(loci, spaces, size)


def _female_transmission(space: _Space, r: list[float]) -> np.ndarray:
    """T[h1, h2, c]: the child's X from a mother with X chromosomes h1 and h2 (recombination
    between adjacent loci with fractions ``r``, then the female mutation matrices)."""
    n = len(space.loci)
    s = space.size
    out = np.zeros((s, s, s))
    for pattern in itertools.product((0, 1), repeat=n):
        p = 0.5
        for k in range(1, n):
            p *= r[k - 1] if pattern[k] != pattern[k - 1] else 1 - r[k - 1]
        if p == 0:
            continue
        # per locus a (k, k, k) tensor over (h1_l, h2_l, c_l)
        parts = []
        for src, sp in zip(pattern, space.spaces, strict=True):
            m = sp.female
            k = sp.size
            t = np.empty((k, k, k))
            if src == 0:
                t[:] = m[:, None, :]
            else:
                t[:] = m[None, :, :]
            parts.append(t)
        out += p * kron3(parts)
    return out


def kron3(parts: list[np.ndarray]) -> np.ndarray:
    """The Kronecker product of (k_l, k_l, k_l) tensors over each of the three axes at once."""
    out = parts[0]
    for t in parts[1:]:
        a, b, c = out.shape
        x, y, z = t.shape
        out = (out[:, None, :, None, :, None] * t[None, :, None, :, None, :]).reshape(a * x, b * y, c * z)
    return out


def _evidence(space: _Space, genotype: dict[str, tuple[str, ...]], pair: bool, where: str) -> np.ndarray:
    """P(observations | haplotypes): (S,) for one X (a man) or (S, S) for two (a woman)."""
    if not pair:
        vecs = []
        for m, sp in zip(space.loci, space.spaces, strict=True):
            v = np.ones(sp.size)
            g = genotype.get(m)
            if g is not None:
                if len(g) != 1:
                    raise KinshipInputError(where, f"{m}: two alleles ({'/'.join(g)}) in a man, who has one X")
                v = np.zeros(sp.size)
                v[sp.index[g[0]]] = 1.0
            vecs.append(v)
        return kron(vecs)
    mats = []
    for m, sp in zip(space.loci, space.spaces, strict=True):
        e = np.ones((sp.size, sp.size))
        g = genotype.get(m)
        if g is not None:
            a, b = g[0], g[-1]
            e = np.zeros((sp.size, sp.size))
            e[sp.index[a], sp.index[b]] = 1.0
            e[sp.index[b], sp.index[a]] = 1.0
        mats.append(e)
    return kron(mats)


def _pedigree_factors(family: Family, space: _Space, r: list[float],
                      data: dict[str, dict[str, tuple[str, ...]]]) -> tuple[np.ndarray, list]:
    """The founders', transmissions' and observations' factors of one linkage group over the
    family's X variables ((id, "M") for everyone, (id, "P") for women); and the founders' prior."""
    prior = kron([sp.prior for sp in space.spaces])
    male_t = kron([sp.male for sp in space.spaces])  # father → daughter: (h_father, h_child)
    female_t = _female_transmission(space, r)
    factors = []
    for mid in family.order:
        m = family.by_id[mid]
        male = m.sex == "male"
        if m.father is None:
            factors.append((((mid, "M"),), prior[None]))
            if not male:
                factors.append((((mid, "P"),), prior[None]))
        else:
            factors.append((((m.mother, "P"), (m.mother, "M"), (mid, "M")), female_t[None]))
            if not male:
                factors.append((((m.father, "M"), (mid, "P")), male_t[None]))
        if mid in data:
            where = f"{family.source or family.name}, member {mid}"
            if male:
                factors.append((((mid, "M"),), _evidence(space, data[mid], False, where)[None]))
            else:
                factors.append((((mid, "P"), (mid, "M")), _evidence(space, data[mid], True, where)[None]))
    return prior, factors


def group_likelihood(family: Family, table: FrequencyTable, mutation: MutationModel, loci: list[str],
                     r: list[float], data: dict[str, dict[str, tuple[str, ...]]],
                     extra: list[tuple[str, dict[str, tuple[str, ...]]]] = ()) -> float:
    """P(the X data of ``data`` (member id → genotypes) at one linkage group) in ``family``, times
    that of each unrelated ``extra`` person (sex, genotypes); exact."""
    observed: dict[str, set[str]] = {}
    for g in [*data.values(), *(x[1] for x in extra)]:
        for m, alleles in g.items():
            if m in loci:
                observed.setdefault(m, set()).update(alleles)
    space = _group_space(table, mutation, loci, observed)
    prior, factors = _pedigree_factors(family, space, r, data)
    value = float(contract(factors, lambda v: space.size)[0]) if factors else 1.0
    for k, (sx, g) in enumerate(extra):
        where = f"unrelated person {k + 1}"
        if sx == "male":
            value *= float(prior @ _evidence(space, g, False, where))
        else:
            value *= float(prior @ _evidence(space, g, True, where) @ prior)
    return value


@dataclass
class XResult:
    log10_lr: float | None  # None: nothing compared; -inf: an exclusion
    groups: dict[str, float] = field(default_factory=dict)  # group → LR
    markers_compared: int = 0
    references: list[str] = field(default_factory=list)


def x_likelihood_ratio(family: Family, missing: str, sample_genotypes: dict[str, tuple[str, ...]],
                       xprof: XProfiles, table: FrequencyTable, xmap: XMap, mutation: MutationModel,
                       sample_sex: str | None = None) -> XResult:
    """LR that the sample (its X genotypes) is ``missing`` of ``family``, against an unrelated
    person of the missing person's sex, from the X data of the family's typed members."""
    if missing not in family.by_id:
        raise KinshipInputError(family.source or family.name, f"{missing!r} is not a member of the family")
    data = {m.id: xprof.genotypes[m.sample] for m in family.typed if m.sample in xprof.genotypes}
    sex = family.by_id[missing].sex if family.by_id[missing].sex != "unknown" else (sample_sex or "unknown")
    res = XResult(None, references=sorted(family.by_id[m].sample for m in data))
    if not sample_genotypes or not data:
        return res
    if sex == "male":
        for m, g in sample_genotypes.items():
            if len(g) != 1:
                raise KinshipInputError(f"{xprof.source}", f"{m}: two alleles ({'/'.join(g)}) for a man, who has "
                                        "one X")
    total = 0.0
    for loci in xmap.groups:
        here = [m for m in loci if m in sample_genotypes and m in table.alleles]
        if not here or not any(m in g for g in data.values() for m in loci):
            continue
        sub = [m for m in loci if m in table.alleles]
        rr = [xmap.r[(a, b)] for a, b in zip(loci, loci[1:], strict=False)]
        if len(sub) != len(loci):
            raise KinshipInputError(xmap.source, f"X markers {', '.join(set(loci) - set(sub))} have no frequencies")
        fam_data = {mid: {m: g[m] for m in loci if m in g} for mid, g in data.items()}
        with_sample = {k: dict(v) for k, v in fam_data.items()}
        own = with_sample.setdefault(missing, {})
        for m in loci:
            if m in sample_genotypes:
                if m in own and set(own[m]) != set(sample_genotypes[m]):
                    return XResult(-math.inf, references=res.references)
                own[m] = sample_genotypes[m]
        num = group_likelihood(family, table, mutation, loci, rr, with_sample)
        sg = {m: sample_genotypes[m] for m in loci if m in sample_genotypes}
        den = group_likelihood(family, table, mutation, loci, rr, fam_data, [(sex, sg)])
        if den == 0:
            raise KinshipInputError(family.source or family.name, f"X group {'+'.join(loci)}: the references' X "
                                    "data are inconsistent without a mutation model")
        lr = num / den
        res.groups["+".join(loci)] = lr
        res.markers_compared += len(here)
        if lr == 0:  # an exclusion (no mutation model could explain it)
            return XResult(-math.inf, res.groups, res.markers_compared, res.references)
        total += math.log10(lr)
    res.log10_lr = total if res.groups else None
    return res


@dataclass
class XPredictive:
    """For one missing person and one linkage group: P(missing person's X haplotype(s) | the
    family's X data), over the family's lumped space: (S,) for a man, (S, S) over (P, M) for a
    woman; ``index[l]`` maps the locus's seen alleles to their state (the lump is the last)."""

    loci: list[str]
    q: np.ndarray
    index: list[dict[str, int]]
    sizes: list[int]
    lump_freq: list[float]
    freqs: list[dict[str, float]]
    female: bool


def x_predictive(family: Family, missing: str, table: FrequencyTable, xmap: XMap, mutation: MutationModel,
                 data: dict[str, dict[str, tuple[str, ...]]]) -> list[XPredictive]:
    """The missing person's predictive X haplotype distribution per linkage group that the
    family's typed members have data on. Exact where the mutation model keeps the unseen alleles
    lumpable *in proportion to their frequencies* (``none`` and ``proportional``): then an allele
    outside the family's is the lump's state times its share of the lump's frequency."""
    female = family.by_id[missing].sex != "male"
    out = []
    for loci in xmap.groups:
        if not any(m in g for g in data.values() for m in loci):
            continue
        rr = [xmap.r[(a, b)] for a, b in zip(loci, loci[1:], strict=False)]
        observed: dict[str, set[str]] = {}
        for g in data.values():
            for m, alleles in g.items():
                if m in loci:
                    observed.setdefault(m, set()).update(alleles)
        space = _group_space(table, mutation, loci, observed)
        _prior, factors = _pedigree_factors(family, space, rr, {mid: {k: v for k, v in g.items() if k in loci}
                                                                 for mid, g in data.items()})
        keep = ((missing, "P"), (missing, "M")) if female else ((missing, "M"),)
        size = space.size
        joint = contract(factors, lambda v, size=size: size, keep)[0]
        total = joint.sum()
        if total <= 0:
            raise KinshipInputError(family.source or family.name, f"X group {'+'.join(loci)}: the references' X "
                                    "data are inconsistent without a mutation model")
        out.append(XPredictive(loci, joint / total, [dict(sp.index) for sp in space.spaces],
                               [sp.size for sp in space.spaces], [float(sp.prior[-1]) for sp in space.spaces],
                               [dict(zip(table.alleles[m], table.freqs[m].tolist(), strict=True)) for m in loci],
                               female))
    return out


def predictive_log_lr(pred: XPredictive, genotype: dict[str, tuple[str, ...]]) -> float | None:
    """log LR of the sample's genotypes at one group from the missing person's predictive:
    P(genotypes | family, sample is the missing person) / P(genotypes | unrelated, LE); None when
    the sample has none of the group's loci. An allele outside the family's is the lump's state
    times its share of the lump (see :func:`x_predictive`)."""
    loci = [m for m in pred.loci if m in genotype]
    if not loci:
        return None
    # per locus: the candidate (state, weight) of each of the genotype's alleles
    per_locus = []
    log_pop = 0.0
    for k, m in enumerate(pred.loci):
        g = genotype.get(m)
        if g is None:
            per_locus.append(None)
            continue
        opts = []
        for a in g:
            f = pred.freqs[k].get(a)
            if f is None:
                raise KinshipInputError(m, f"X allele {a!r} is not in the frequency table")
            if a in pred.index[k]:
                opts.append((pred.index[k][a], 1.0))
            else:
                opts.append((pred.sizes[k] - 1, f / pred.lump_freq[k]))
        per_locus.append(opts)
        if len(g) == 1:
            log_pop += math.log(pred.freqs[k][g[0]] if not pred.female else pred.freqs[k][g[0]] ** 2)
        else:
            log_pop += math.log(2 * pred.freqs[k][g[0]] * pred.freqs[k][g[1]])
    if not pred.female:
        marg = pred.q.reshape(pred.sizes)
        untyped = tuple(k for k, opts in enumerate(per_locus) if opts is None)
        if untyped:
            marg = marg.sum(axis=untyped)
        sel, w = [], 1.0
        for k, opts in enumerate(per_locus):
            if opts is None:
                continue
            if len(opts) != 1:
                raise KinshipInputError(pred.loci[k], "two alleles for a man, who has one X")
            sel.append(opts[0][0])
            w *= opts[0][1]
        p = float(marg[tuple(sel)]) * w
        return math.log(p) - log_pop if p > 0 else -math.inf
    q = pred.q.reshape(pred.sizes + pred.sizes)
    n = len(pred.sizes)
    axes = [k for k, o in enumerate(per_locus) if o is None] + [n + k for k, o in enumerate(per_locus) if o is None]
    if axes:
        q = q.sum(axis=tuple(axes))
    typed = [o for o in per_locus if o is not None]
    total = 0.0
    for orders in itertools.product(*[[(o[0], o[-1]), (o[-1], o[0])] if len(o) == 2 and o[0] != o[-1] else
                                      [(o[0], o[-1])] for o in typed]):
        # orders[k] = ((state, weight) on P, (state, weight) on M)
        p_idx = tuple(pm[0][0] for pm in orders)
        m_idx = tuple(pm[1][0] for pm in orders)
        w = 1.0
        for pm in orders:
            w *= pm[0][1] * pm[1][1]
        total += float(q[p_idx + m_idx]) * w
    return math.log(total) - log_pop if total > 0 else -math.inf


def sample_codes(xprof: XProfiles, samples: list[str], table: FrequencyTable, loci: list[str]) -> np.ndarray:
    """(S, L, 2) allele ids (indices into the table's alleles of each locus), -1 untyped; a single
    allele (a man's, or a woman's homozygote) fills both slots."""
    out = np.full((len(samples), len(loci), 2), -1, dtype=np.int64)
    index = [{a: i for i, a in enumerate(table.alleles[m])} for m in loci]
    for i, s in enumerate(samples):
        g = xprof.genotypes.get(s) if s is not None else None
        if not g:
            continue
        for k, m in enumerate(loci):
            al = g.get(m)
            if al is not None:
                out[i, k, 0] = index[k][al[0]]
                out[i, k, 1] = index[k][al[-1]]
    return out


def predictive_log_lrs(pred: XPredictive, codes: np.ndarray, table: FrequencyTable) -> np.ndarray:
    """:func:`predictive_log_lr` for many samples at once: ``codes`` (S, L, 2) from
    :func:`sample_codes` over ``pred.loci``; NaN where a sample has none of the group's loci,
    -inf where two alleles meet a missing man's single X."""
    n_s, n_l, _ = codes.shape
    out = np.full(n_s, np.nan)
    maps, weights, freqs = [], [], []
    for k, m in enumerate(pred.loci):
        f = table.freqs[m]
        st = np.full(len(f), pred.sizes[k] - 1, dtype=np.int64)
        w = f / pred.lump_freq[k] if pred.lump_freq[k] > 0 else np.zeros(len(f))
        for a, j in pred.index[k].items():
            idx = table.alleles[m].index(a)
            st[idx] = j
            w[idx] = 1.0
        maps.append(st)
        weights.append(w)
        freqs.append(f)
    typed = codes[:, :, 0] >= 0  # (S, L)
    patterns = {}
    for i in np.flatnonzero(typed.any(axis=1)):
        patterns.setdefault(tuple(typed[i]), []).append(i)
    for pat, rows in patterns.items():
        rows = np.array(rows)
        on = [k for k in range(n_l) if pat[k]]
        off = tuple(k for k in range(n_l) if not pat[k])
        a = codes[rows][:, on, 0]
        b = codes[rows][:, on, 1]
        het = a != b
        # log P(genotypes | unrelated), linkage equilibrium
        fa = np.stack([freqs[k][a[:, t]] for t, k in enumerate(on)], axis=1)
        fb = np.stack([freqs[k][b[:, t]] for t, k in enumerate(on)], axis=1)
        sa = np.stack([maps[k][a[:, t]] for t, k in enumerate(on)], axis=1)
        sb = np.stack([maps[k][b[:, t]] for t, k in enumerate(on)], axis=1)
        wa = np.stack([weights[k][a[:, t]] for t, k in enumerate(on)], axis=1)
        wb = np.stack([weights[k][b[:, t]] for t, k in enumerate(on)], axis=1)
        if not pred.female:
            marg = pred.q.reshape(pred.sizes)
            if off:
                marg = marg.sum(axis=off)
            p = marg[tuple(sa.T)] * wa.prod(axis=1)
            log_pop = np.log(fa).sum(axis=1)
            with np.errstate(divide="ignore"):
                v = np.log(p) - log_pop
            v[het.any(axis=1)] = -np.inf
            out[rows] = v
            continue
        q = pred.q.reshape(pred.sizes + pred.sizes)
        if off:
            q = q.sum(axis=off + tuple(n_l + k for k in off))
        log_pop = np.where(het, np.log(2 * fa * fb), np.log(fa * fb)).sum(axis=1)
        total = np.zeros(len(rows))
        for flips in itertools.product((0, 1), repeat=len(on)):
            flip = np.array(flips, dtype=bool)[None, :] & het  # a homozygote has one order
            valid = np.all(~np.array(flips, dtype=bool)[None, :] | het, axis=1)
            ps = np.where(flip, sb, sa)
            ms = np.where(flip, sa, sb)
            w = (wa * wb).prod(axis=1)
            total += np.where(valid, q[tuple(ps.T) + tuple(ms.T)] * w, 0.0)
        with np.errstate(divide="ignore"):
            out[rows] = np.log(total) - log_pop
    return out


def x_mutation(xmap: XMap, model: str = "proportional", rate: float | None = None) -> MutationModel:
    """The X markers' mutation model: ``model`` (pedmut's none or proportional) at ``rate`` per
    meiosis, or the map's per-locus rates (0.002 where it gives none)."""
    specs = {}
    for m in xmap.markers:
        r = rate if rate is not None else xmap.rates.get(m, 0.002)
        spec = MutationSpec(model, r if model != "none" else 0.0)
        specs[m] = {"male": spec, "female": spec}
    return MutationModel(specs)


def check_x_alleles(profiles: XProfiles, table: FrequencyTable) -> None:
    """Every allele of the profiles in the frequency table (else: which file, line, sample)."""
    for sample, g in profiles.genotypes.items():
        for m, alleles in g.items():
            for a in alleles:
                if a not in table.alleles.get(m, ()):
                    raise KinshipInputError(profiles.where(sample, m), f"X allele {a!r} of {m} (sample {sample}) "
                                            f"is not in the frequency table {table.source}")
