"""Mutation models (pedmut definitions) and lumping of unobserved alleles.

Models, for ``n`` alleles with frequencies ``p`` and rate ``r`` (Vigeland, *Pedigree analysis in R*,
ch. 5; pedmut::mutationMatrix):

- ``none``: the identity.
- ``equal``: ``M[i,j] = r/(n-1)`` for ``j != i``, ``M[i,i] = 1-r``.
- ``proportional``: ``a = r / sum(p(1-p))``, ``M = (1-a) I + a 1 p^T``.
- ``stepwise``: between alleles of the same fractional class, mutations ``k`` steps apart are
  proportional to ``range^k`` with total ``rate``; mutations to other classes share ``rate2``.

Lumping (pedprobr's trick): alleles observed nowhere in the data are merged into one "lump".
This is exact when the model is lumpable for that partition, which is checked numerically from
the *full* matrix; the lumped constants are always computed from the full allele set, never
re-derived on the lumped one (that gives slightly wrong LRs, e.g. 121.665 instead of 121.348).

For the blind search, :func:`split_lump` keeps two virtual lumps whose members' identities are
distributed in proportion to frequency ("Lp") and uniformly ("Lu"). Both shapes are closed
under the equal, proportional and no-mutation models, and no observation depends on which
lumped allele a person carries; so one computation per family gives exact probabilities for
every genotype of a missing person, including alleles the family never showed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODELS = ("none", "equal", "proportional", "stepwise")


@dataclass(frozen=True)
class MutationSpec:
    model: str = "none"
    rate: float = 0.0
    rate2: float = 0.0
    range: float = 0.5

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"mutation model {self.model!r} is not one of {', '.join(MODELS)}")
        if not 0.0 <= self.rate <= 1.0 or not 0.0 <= self.rate2 <= 1.0:
            raise ValueError(f"mutation rates must be in [0, 1] (rate {self.rate}, rate2 {self.rate2})")
        if self.model == "stepwise" and (self.range <= 0 or self.rate + self.rate2 > 1):
            raise ValueError("stepwise: range must be positive and rate + rate2 at most 1")

    @property
    def trivial(self) -> bool:
        return self.model == "none" or (self.rate == 0.0 and (self.model != "stepwise" or self.rate2 == 0.0))


NO_MUTATION = MutationSpec()


class MutationModel:
    """Mutation specs per marker and sex (``"female"``/``"male"``); marker ``"*"`` is the default."""

    def __init__(self, specs: dict[str, dict[str, MutationSpec]] | None = None,
                 default: MutationSpec | None = None) -> None:
        self.specs = specs or {}
        self.default = default or NO_MUTATION

    @classmethod
    def uniform(cls, model: str, rate: float, rate2: float = 0.0, range: float = 0.5) -> MutationModel:
        return cls(default=MutationSpec(model, rate, rate2, range))

    def spec(self, marker: str, sex: str) -> MutationSpec:
        """The model of ``marker`` for a parent of ``sex``: the marker's own entry, else the
        ``"*"`` entry (each sex its own rates), else the default."""
        by_sex = self.specs.get(marker) or self.specs.get("*")
        if by_sex:
            return by_sex.get(sex) or by_sex.get("male") or by_sex.get("female")
        return self.default

    def describe(self) -> dict:
        """A JSON-able description (recorded with a matching run)."""
        def one(s: MutationSpec) -> dict:
            return {"model": s.model, "rate": s.rate, "rate2": s.rate2, "range": s.range}
        return {"default": one(self.default),
                "markers": {m: {sex: one(sp) for sex, sp in by.items()} for m, by in self.specs.items()}}


def mutation_matrix(spec: MutationSpec, alleles: list[str], freqs: np.ndarray) -> np.ndarray:
    """The full ``n × n`` transition matrix (row: parent's allele, column: transmitted allele)."""
    n = len(alleles)
    if n == 1 or spec.trivial:
        return np.eye(n)
    if spec.model == "equal":
        m = np.full((n, n), spec.rate / (n - 1))
        np.fill_diagonal(m, 1.0 - spec.rate)
        return m
    if spec.model == "proportional":
        alpha = spec.rate / float(np.sum(freqs * (1.0 - freqs)))
        m = (1.0 - alpha) * np.eye(n) + alpha * freqs[None, :]
        if (m > 1.0).any():
            raise ValueError(f"proportional model: rate {spec.rate} is impossible for these frequencies")
        return m
    return _stepwise(spec, alleles)


def _stepwise(spec: MutationSpec, alleles: list[str]) -> np.ndarray:
    try:
        values = np.array([float(a) for a in alleles])
    except ValueError:
        bad = next(a for a in alleles if not _is_number(a))
        raise ValueError(f"stepwise model needs numeric allele labels, not {bad!r}") from None
    if np.any(np.round(values, 1) != values):
        raise ValueError("stepwise model: microvariants must have one decimal (e.g. 9.3)")
    n = len(values)
    micro = np.round((values - np.round(values)) * 10)
    m = np.zeros((n, n))
    for i in range(n):
        same = micro == micro[i]
        for j in range(n):
            if i == j:
                if same.all():
                    m[i, j] = 1 - spec.rate
                elif same.sum() == 1:
                    m[i, j] = 1 - spec.rate2
                else:
                    m[i, j] = 1 - spec.rate - spec.rate2
            elif same[j]:
                m[i, j] = spec.range ** abs(values[i] - values[j])
            else:
                m[i, j] = spec.rate2 / (n - same.sum())
        others = same.copy()
        others[i] = False
        if others.any():
            m[i, others] = m[i, others] / m[i, others].sum() * spec.rate
    return m


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


@dataclass
class VirtualSpace:
    """Alleles as the engine sees them for one family and marker.

    ``prior[a]`` founder probabilities, ``male[a, a]``/``female[a, a]`` transmission matrices
    (mutation included), ``index`` maps an observed allele label to its virtual index, ``weights``
    (``n × a``) gives for each full-table allele its probability split over virtual alleles.
    """

    prior: np.ndarray
    male: np.ndarray
    female: np.ndarray
    index: dict[str, int]
    weights: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.prior)


def _lumpable(m: np.ndarray, lump: np.ndarray, keep: np.ndarray) -> bool:
    block = m[np.ix_(lump, keep)]
    to_lump = m[np.ix_(lump, lump)].sum(axis=1)
    return bool(np.allclose(block, block[0], rtol=1e-12, atol=1e-15)
                and np.allclose(to_lump, to_lump[0], rtol=1e-12, atol=1e-15))


def lump(alleles: list[str], freqs: np.ndarray, observed: set[str],
         male: MutationSpec, female: MutationSpec) -> VirtualSpace:
    """Observed alleles plus one lump of the rest, when both sexes' models allow it; else the full set.

    The lump's transitions are block sums of the full matrices (exact for a lumpable model).
    """
    n = len(alleles)
    obs_idx = np.array([i for i, a in enumerate(alleles) if a in observed], dtype=int)
    rest = np.array([i for i, a in enumerate(alleles) if a not in observed], dtype=int)
    mm = mutation_matrix(male, alleles, freqs)
    mf = mutation_matrix(female, alleles, freqs)
    # none, equal and proportional are lumpable for every partition (their rows to the kept
    # alleles agree across the lump, and so do their sums into it); others are checked.
    known = all(s.trivial or s.model in ("equal", "proportional") for s in (male, female))
    if len(rest) <= 1 or not (known or (_lumpable(mm, rest, obs_idx) and _lumpable(mf, rest, obs_idx))):
        return VirtualSpace(freqs.copy(), mm, mf, {a: i for i, a in enumerate(alleles)}, np.eye(n))
    k = len(obs_idx)

    def lumped(m: np.ndarray) -> np.ndarray:
        out = np.empty((k + 1, k + 1))
        out[:k, :k] = m[np.ix_(obs_idx, obs_idx)]
        out[:k, k] = m[np.ix_(obs_idx, rest)].sum(axis=1)
        out[k, :k] = m[rest[0], obs_idx]
        out[k, k] = m[rest[0], rest].sum()
        return out

    prior = np.append(freqs[obs_idx], freqs[rest].sum())
    return VirtualSpace(prior, lumped(mm), lumped(mf), {alleles[i]: j for j, i in enumerate(obs_idx)})


def split_lump(alleles: list[str], freqs: np.ndarray, observed: set[str],
               male: MutationSpec, female: MutationSpec) -> VirtualSpace:
    """Observed alleles plus the two virtual lumps Lp and Lu, with ``weights`` to recover any
    specific allele (see the module docstring). Falls back to the full allele set for models
    other than none, equal and proportional."""
    n = len(alleles)
    obs_idx = np.array([i for i, a in enumerate(alleles) if a in observed], dtype=int)
    rest = np.array([i for i, a in enumerate(alleles) if a not in observed], dtype=int)
    ok = all(s.trivial or s.model in ("equal", "proportional") for s in (male, female))
    if len(rest) == 0 or not ok:
        full = lump(alleles, freqs, set(alleles), male, female)
        return full
    k, n_l = len(obs_idx), len(rest)
    p_l = float(freqs[rest].sum())

    def virtual(spec: MutationSpec) -> np.ndarray:
        m = mutation_matrix(spec, alleles, freqs)
        t = np.zeros((k + 2, k + 2))
        t[:k, :k] = m[np.ix_(obs_idx, obs_idx)]
        if spec.trivial:
            t[k, k] = t[k + 1, k + 1] = 1.0
        elif spec.model == "equal":
            u = spec.rate / (n - 1)
            t[:k, k + 1] = n_l * u
            t[k, :k] = u
            t[k, k] = 1.0 - spec.rate - u
            t[k, k + 1] = n_l * u
            t[k + 1, :k] = u
            t[k + 1, k + 1] = 1.0 - spec.rate - u + n_l * u
        else:  # proportional: a lump's identity stays in proportion to frequency
            alpha = spec.rate / float(np.sum(freqs * (1.0 - freqs)))
            t[:k, k] = alpha * p_l
            t[k, :k] = alpha * freqs[obs_idx]
            t[k, k] = 1.0 - alpha + alpha * p_l
            t[k + 1, k + 1] = 1.0
        return t

    prior = np.concatenate([freqs[obs_idx], [p_l, 0.0]])
    weights = np.zeros((n, k + 2))
    weights[obs_idx, np.arange(k)] = 1.0
    weights[rest, k] = freqs[rest] / p_l
    weights[rest, k + 1] = 1.0 / n_l
    return VirtualSpace(prior, virtual(male), virtual(female),
                        {alleles[i]: j for j, i in enumerate(obs_idx)}, weights)
