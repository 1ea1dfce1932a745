"""Y-STR haplotypes: reading, population frequency, and the paternal-line likelihood ratio.

**Profiles** — CSV ``sample,marker,allele1,allele2`` (or GeneMapper's headers), one row per locus
under its YHRD name. A single-copy locus has one allele (a lab writing it twice is read as one);
a multi-copy locus (DYS385, DYF387S1, DYS459, DYS527, DYF403S1… or any ``a/b`` pair of one name)
has ``allele2`` too, read as an unordered set. DYS389II is the whole II fragment as labs report
it; where DYS389I is typed too the engine uses DYS389B = II − I, so that a mutation of the I part
is not counted twice (Gusmão et al. 2006, ISFG recommendations on Y-STRs). An intermediate allele
(``13.2``), a null (``0``, ``null``) or a duplicated single-copy locus is read and kept, but a
stepwise mutation cannot reach it from an integer allele: that locus is left out of the
likelihood ratio for that comparison, with a note (never counted as a match or an exclusion).

**Database** — one haplotype a row: ``id`` then one column per locus (multi-copy loci as
``"11,14"``), as YHRD exports and the lab's own collections are kept.

**Frequency** of the sample's haplotype (the LR's denominator): :mod:`vestige.kinship.haplofreq`
(Brenner's κ by default; counting; a discrete Laplace mixture).

**Likelihood along the paternal line** — see :mod:`vestige.kinship.lines`: the missing man's
haplotype given every typed man of his paternal line in the family, locus by locus, under the
symmetric single-step mutation model with per-locus rates (per father–son transmission; YHRD's
published rates are the documented default, Ballantyne et al. 2010, AJHG 87:341), exact over the
meioses between them. For a multi-copy locus each copy mutates at half the locus rate, the
copies' order unknown. ``LR = P(h_sample | refs, sample is the missing man) / P(h_sample)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import open_csv, read_json
from vestige.kinship.lines import LineTree, predictive, stepwise_matrix

if TYPE_CHECKING:
    from vestige.kinship.haplofreq import YFrequency

MULTI_COPY = {"DYS385", "DYS385AB", "DYS385A/B", "DYF387S1", "DYF387S1AB", "DYF387S1A/B", "DYS459", "DYS459A/B",
              "DYS527", "DYS527A/B", "DYF403S1", "DYS448AB", "DYS464"}
NULLS = {"0", "null", "NULL", "Null", "-", "OL"}
METHODS = ("kappa", "counting", "dl")
MARGIN = 4  # grid states beyond the smallest and largest allele seen (a mutation of >4 steps: < μ^4)

__all__ = ["LineageResult", "YDatabase", "YHaplotypes", "YModel", "read_y_database", "read_y_profiles",
           "read_y_rates", "y_likelihood_ratio"]


def _canon(marker: str) -> str:
    return marker.strip()


@lru_cache(maxsize=512)
def is_multi(marker: str) -> bool:
    return marker.upper().replace(" ", "") in MULTI_COPY


def _value(where: str, text: str) -> float | str:
    """A repeat count as a float (``13``, ``13.2``), or the label of a null."""
    t = text.strip()
    if t in NULLS:
        return "null"
    try:
        v = float(t)
    except ValueError:
        raise KinshipInputError(where, f"allele {text!r} is not a repeat count (or a null: 0, null)") from None
    if not (0 < v < 200) or math.isnan(v):
        raise KinshipInputError(where, f"allele {text!r} is not a plausible repeat count")
    return v


def integer_alleles(values) -> bool:
    return all(isinstance(v, float) and v == int(v) for v in values)


@dataclass
class YHaplotypes:
    """``haplotypes[sample][locus]`` = a tuple of allele values (one for a single-copy locus, two
    sorted for a multi-copy one), as read; ``lines`` where each row came from."""

    haplotypes: dict[str, dict[str, tuple]]
    source: str = ""
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def where(self, sample: str, locus: str) -> str:
        line = self.lines.get((sample, locus))
        return f"{self.source}, line {line}" if line else f"{self.source}, sample {sample}"

    @property
    def loci(self) -> list[str]:
        seen: dict[str, None] = {}
        for h in self.haplotypes.values():
            for locus in h:
                seen.setdefault(locus)
        return list(seen)

    def check_sexes(self, sexes: dict[str, str], what: str = "sample") -> None:
        """A Y locus in a woman's profile is an error naming the file, line, sample and locus."""
        for sample, hap in self.haplotypes.items():
            if sexes.get(sample) == "female" and hap:
                locus = next(iter(hap))
                raise KinshipInputError(self.where(sample, locus),
                                        f"Y locus {locus} typed for {what} {sample}, recorded as female")


def _reading(where: str, sample: str, key: tuple[str, str, str], known: set[str] | None) -> tuple[str, tuple]:
    """One row's (locus, alleles) from its marker and allele cells, checked: a two-copy locus
    sorted, a single-copy allele written twice read as one, two values as a duplication."""
    marker, a1, a2 = key
    locus = _canon(marker)
    if not sample or not locus:
        raise KinshipInputError(where, "empty sample or marker")
    if not a1:
        raise KinshipInputError(where, f"{locus} of sample {sample}: allele1 is empty")
    if known is not None and locus not in known and locus != "DYS389B":
        raise KinshipInputError(where, f"Y locus {locus!r} (sample {sample}) has no mutation rate in the "
                                "rates file; add it there or remove the row")
    v1 = _value(f"{where}, {locus}", a1)
    v2 = _value(f"{where}, {locus}", a2) if a2 else v1
    if is_multi(locus):
        return locus, tuple(sorted((v1, v2), key=lambda v: (isinstance(v, str), v if isinstance(v, float) else 0)))
    return locus, ((v1,) if v2 == v1 else (v1, v2))  # written twice: one allele; two values: duplicated


def read_y_profiles(path: str | Path, known: set[str] | None = None) -> YHaplotypes:
    """Read a Y-STR profiles CSV (see the module docstring); ``known`` (the loci of the rates
    file) makes an unknown locus an error naming its line."""
    source, rows = open_csv(path)
    header = [c.lower() for c in rows[0][1]]
    if header[:3] not in (["sample", "marker", "allele1"], ["sample name", "marker", "allele 1"]):
        raise KinshipInputError(f"{source}, line {rows[0][0]}",
                                "expected the header sample,marker,allele1,allele2 (Y-STR profiles)")
    out = YHaplotypes({}, source)
    haplotypes, lines = out.haplotypes, out.lines
    # (marker, allele1, allele2) as written → (locus, alleles): a few thousand distinct readings
    # in 10^5 rows, each checked and converted once
    readings: dict[tuple[str, str, str], tuple[str, tuple]] = {}
    for line, row in rows[1:]:
        n = len(row)
        key = (row[1], row[2], row[3] if n > 3 else "") if n >= 3 else None
        got = readings.get(key) if key is not None else None
        sample = row[0] if n else ""
        if got is None or not sample:
            if n < 3:
                raise KinshipInputError(f"{source}, line {line}",
                                        f"expected sample,marker,allele1[,allele2]; got {n} fields")
            got = readings[key] = _reading(f"{source}, line {line}", sample, key, known)
        locus, alleles = got
        hap = haplotypes.get(sample)
        if hap is None:
            hap = haplotypes[sample] = {}
        elif locus in hap:
            raise KinshipInputError(f"{source}, line {line}", f"sample {sample} has {locus} twice (first at line "
                                    f"{lines[(sample, locus)]})")
        hap[locus] = alleles
        lines[(sample, locus)] = line
    return out


@dataclass
class YDatabase:
    """Unrelated men's haplotypes: ``loci`` and ``rows`` (one tuple of allele tuples per man)."""

    loci: list[str]
    rows: list[tuple]
    source: str = ""
    population: str = ""

    @property
    def size(self) -> int:
        return len(self.rows)


def read_y_database(path: str | Path) -> YDatabase:
    """A haplotype database: ``id`` then one column per locus; multi-copy loci as ``"11,14"``."""
    source, rows = open_csv(path)
    header = rows[0][1]
    if len(header) < 2:
        raise KinshipInputError(f"{source}, line {rows[0][0]}", "expected an id column then one column per locus")
    loci = [_canon(h) for h in header[1:]]
    if len(set(loci)) != len(loci):
        raise KinshipInputError(f"{source}, line {rows[0][0]}", "a locus is named twice in the header")
    out = []
    cells: dict[tuple[str, str], tuple | None] = {}  # (locus, cell) → alleles: cells repeat across men
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise KinshipInputError(f"{source}, line {line}", f"{len(row)} fields, the header has {len(header)}")
        hap = []
        for locus, cell in zip(loci, row[1:], strict=True):
            known = cells.get((locus, cell), False)
            if known is not False:
                hap.append(known)
                continue
            where = f"{source}, line {line}, {locus}"
            parts = [c for c in cell.replace(";", ",").split(",") if c.strip()]
            if not parts:
                hap.append(None)  # not typed
                cells[(locus, cell)] = None
                continue
            vals = [_value(where, c) for c in parts]
            if is_multi(locus):
                if len(vals) == 1:
                    vals = vals * 2
                if len(vals) != 2:
                    raise KinshipInputError(where, f"{cell!r}: a two-copy locus takes two alleles")
            elif len(vals) == 2 and vals[0] == vals[1]:
                vals = vals[:1]
            alleles = tuple(sorted(vals, key=lambda v: (isinstance(v, str), v if isinstance(v, float) else 0)))
            cells[(locus, cell)] = alleles
            hap.append(alleles)
        out.append(tuple(hap))
    if not out:
        raise KinshipInputError(source, "the database has no haplotypes")
    return YDatabase(loci, out, source)


def read_y_rates(path: str | Path) -> dict[str, float]:
    """Per-locus mutation rates (per father–son transmission, the whole locus): JSON, either
    ``{"rates": {locus: rate}}`` or ``{locus: rate}``."""
    data = read_json(path)
    rates = data.get("rates", data) if isinstance(data, dict) else None
    if not isinstance(rates, dict) or not rates:
        raise KinshipInputError(str(path), 'expected {"rates": {"DYS19": 0.0022, ...}}')
    out = {}
    for locus, r in rates.items():
        if not isinstance(r, (int, float)) or isinstance(r, bool) or not (0.0 <= r < 0.5):
            raise KinshipInputError(f"{path}, {locus}", f"rate {r!r} is not a probability below 0.5")
        out[_canon(locus)] = float(r)
    return out


# --- the loci the model works on --------------------------------------------------------------

def model_loci(hap: dict[str, tuple]) -> dict[str, tuple]:
    """The loci as modelled: DYS389II replaced by DYS389B = II − I where DYS389I is typed too
    (and dropped where it is not: its I part cannot be separated)."""
    if "DYS389II" not in hap:
        return hap
    out = {k: v for k, v in hap.items() if k != "DYS389II"}
    i, ii = hap.get("DYS389I"), hap["DYS389II"]
    if i and len(i) == 1 and len(ii) == 1 and isinstance(i[0], float) and isinstance(ii[0], float):
        out["DYS389B"] = (ii[0] - i[0],)
    return out


def model_rates(rates: dict[str, float]) -> dict[str, float]:
    out = dict(rates)
    if "DYS389II" in rates and "DYS389B" not in rates:
        # II = I + B: a mutation of II that is not one of I is one of B
        out["DYS389B"] = max(rates["DYS389II"] - rates.get("DYS389I", 0.0), rates["DYS389II"] / 2)
    return out


@dataclass
class YModel:
    """Per-locus grids and one-meiosis matrices for the loci of ``rates``; ``low[locus]`` is the
    repeat count of grid state 0 (the grid spans every allele seen, ± MARGIN)."""

    rates: dict[str, float]
    low: dict[str, int] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, rates: dict[str, float], *haplotype_sets) -> YModel:
        m = cls(model_rates(rates))
        readings: set = set()  # the distinct (locus, alleles) first: 10^5 haplotypes, a few thousand readings
        for haps in haplotype_sets:
            for hap in haps:
                readings.update(model_loci(hap).items())
        seen: dict[str, set] = {}
        for locus, vals in sorted(readings, key=lambda r: r[0]):  # loci in a fixed order
            values = seen.get(locus)
            if values is None:
                values = seen[locus] = set()
            values.update(vals)
        for locus, values in seen.items():
            steps = [v for v in values if isinstance(v, float) and v == int(v)]
            if steps:
                lo, hi = min(steps), max(steps)
                m.low[locus] = int(lo) - MARGIN
                m.size[locus] = int(hi) - int(lo) + 1 + 2 * MARGIN
        return m

    def copies(self, locus: str) -> int:
        return 2 if is_multi(locus) else 1

    def n_states(self, locus: str) -> int:
        g = self.size[locus]
        return g * g if self.copies(locus) == 2 else g

    def state(self, locus: str, vals: tuple) -> list[int] | None:
        """The grid states an observation is (both orders for two different copies), or None when
        it is off the stepwise grid (intermediate, null, duplicated, or not seen when the grid
        was built)."""
        if locus not in self.size or not integer_alleles(vals):
            return None
        g, lo = self.size[locus], self.low[locus]
        idx = [int(v) - lo for v in vals]
        if any(not 0 <= i < g for i in idx):
            return None
        if self.copies(locus) == 1:
            return idx if len(idx) == 1 else None
        if len(idx) != 2:
            return None
        a, b = idx
        return [a * g + b] if a == b else [a * g + b, b * g + a]

    def step(self, locus: str) -> np.ndarray:
        return _step_matrix(self.size[locus], self.rates[locus], self.copies(locus))


@lru_cache(maxsize=256)
def _step_matrix(grid: int, rate: float, copies: int) -> np.ndarray:
    if copies == 1:
        return stepwise_matrix(grid, rate)
    single = stepwise_matrix(grid, rate / 2)  # each copy at half the locus rate
    return np.kron(single, single)  # ordered pairs: symmetric, flat-stationary


def emission(model: YModel, locus: str, vals: tuple) -> np.ndarray | None:
    states = model.state(locus, vals)
    if states is None:
        return None
    e = np.zeros(model.n_states(locus))
    e[states] = 1.0
    return e


# --- frequencies ------------------------------------------------------------------------------

@dataclass
class LineageResult:
    """One lineage system's comparison of a sample with a missing person's line."""

    system: str
    log10_lr: float | None  # None: nothing compared (LR 1)
    references: dict[str, int] = field(default_factory=dict)  # typed sample → meioses from the missing person
    loci_compared: list[str] = field(default_factory=list)
    frequency: float | None = None
    detail: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def lr(self) -> float:
        if self.log10_lr is None:
            return 1.0
        return 10 ** self.log10_lr if self.log10_lr < 308 else math.inf


def y_predictive(tree: LineTree, model: YModel, refs: dict[str, dict[str, tuple]],
                 memo: dict | None = None) -> dict[str, np.ndarray]:
    """Per locus, q(x) for the missing man given the typed men of ``tree`` (``refs``: member id →
    model haplotype); only loci at least one of them has on the grid. ``memo`` (a dict the caller
    keeps across lines) shares q between lines of one shape whose men read alike at a locus."""
    out = {}
    loci = sorted({k for h in refs.values() for k in h})
    single = len(tree.typed) == 1 and len(refs) == 1
    for locus in loci:
        if locus not in model.rates or locus not in model.size:
            continue
        if single:
            # one man on the line, n meioses away: q = Tⁿ e, the matrix power cached per locus and
            # distance (Tⁿ is symmetric: the columns of the man's states); the message passing below
            # gives the same
            (member, hap), = refs.items()
            states = model.state(locus, hap[locus]) if locus in hap else None
            if states is not None:
                q = _power(model.size[locus], model.rates[locus], model.copies(locus),
                           tree.distance[member])[:, states].sum(axis=1)
                out[locus] = q / q.sum()
            continue
        states = {}
        for member, hap in refs.items():
            if locus in hap:
                st = model.state(locus, hap[locus])
                if st is not None:
                    states[member] = tuple(st)
        if not states:
            continue
        key = (locus, tree.signature(states)) if memo is not None else None
        q = memo.get(key) if key is not None else None
        if q is None:
            em = {}
            for member, st in states.items():
                e = np.zeros(model.n_states(locus))
                e[list(st)] = 1.0
                em[member] = e
            q = predictive(tree, model.step(locus), em)
            if key is not None:
                memo[key] = q
        out[locus] = q
    return out


@lru_cache(maxsize=1024)
def _power(grid: int, rate: float, copies: int, n: int) -> np.ndarray:
    return np.linalg.matrix_power(_step_matrix(grid, rate, copies), n)


def y_likelihood_ratio(tree: LineTree, sample_hap: dict[str, tuple], refs: dict[str, dict[str, tuple]],
                       model: YModel, freq: YFrequency, member_samples: dict[str, str] | None = None) -> LineageResult:
    """LR that the sample with ``sample_hap`` is the missing man of ``tree``, against an unrelated
    man; ``refs`` maps the line's typed member ids to their haplotypes (as read)."""
    member_samples = member_samples or {}
    res = LineageResult("y", None, {member_samples.get(m, m): tree.distance[m] for m in tree.typed if m in refs})
    if not refs or not sample_hap:
        return res
    mrefs = {m: model_loci(h) for m, h in refs.items()}
    shap = model_loci(sample_hap)
    q = y_predictive(tree, model, mrefs)
    total, loci = 0.0, []
    for locus in sorted(shap):
        if locus not in q:
            continue
        states = model.state(locus, shap[locus])
        if states is None:
            res.notes.append(f"{locus}: allele {'/'.join(str(v) for v in shap[locus])} is off the stepwise grid "
                             "(intermediate, null or duplicated): left out")
            continue
        total += math.log(max(float(q[locus][states].sum()), 1e-300))
        loci.append(locus)
    if not loci:
        return res
    f, info = freq.frequency(sample_hap, set(loci))
    res.loci_compared = loci
    res.frequency = f
    res.detail = info
    res.log10_lr = (total - math.log(f)) / math.log(10)
    return res
