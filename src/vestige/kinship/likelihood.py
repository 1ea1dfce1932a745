"""Exact pedigree likelihoods by variable elimination over allele variables.

Each person ``i`` has two variables: the allele received from the father ``P_i`` and from the
mother ``M_i`` (values: indices into a :class:`~vestige.kinship.mutation.VirtualSpace`).
Factors (Elston & Stewart 1971 in Lauritzen's formulation; Vigeland, *Pedigree analysis in R*,
ch. 3):

- founder ``i``: ``prior[P_i] * prior[M_i]``;
- child ``c`` of father ``f``: ``T(P_c | P_f, M_f) = ½ male[P_f, P_c] + ½ male[M_f, P_c]``,
  and likewise from the mother with the female matrix;
- typed person with genotype {a, b}: indicator of ``(P, M) ∈ {(a, b), (b, a)}``.

Untyped persons without typed descendants sum to one and are dropped first. The remaining
variables are eliminated greedily (smallest resulting factor first), which is exact for any
pedigree, loops included (a loop only makes factors larger). Every array carries a leading
batch axis ``B`` so that families of identical shape are computed in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Structure:
    """The shape of a pedigree computation: who is whose child, who carries evidence, who is kept.

    ``persons`` are indices 0..N-1 in parents-first order; ``parents[i]`` is ``(f, m)`` or ``None``.
    """

    parents: tuple[tuple[int, int] | None, ...]
    evidence: frozenset[int]
    keep: int | None = None

    def relevant(self) -> list[int]:
        """Persons that matter: those with evidence or kept, and all their ancestors."""
        need = set(self.evidence) | ({self.keep} if self.keep is not None else set())
        stack = list(need)
        while stack:
            i = stack.pop()
            if self.parents[i] is not None:
                for p in self.parents[i]:
                    if p not in need:
                        need.add(p)
                        stack.append(p)
        return sorted(need)


def _transmission(t: np.ndarray) -> np.ndarray:
    """(B, a, a) matrix → (B, a, a, a) factor over (parent's P, parent's M, child's allele)."""
    return 0.5 * (t[:, :, None, :] + t[:, None, :, :])


def eliminate(structure: Structure, prior: np.ndarray, male: np.ndarray, female: np.ndarray,
              evidence: dict[int, np.ndarray]) -> np.ndarray:
    """Likelihood of the evidence, shape (B,); or, with ``structure.keep``, the joint of the
    evidence and the kept person's ordered alleles, shape (B, a, a) over (paternal, maternal).

    ``prior`` (B, a); ``male``/``female`` (B, a, a); ``evidence[i]`` (B, a, a) over (P_i, M_i).
    """
    factors: list[tuple[tuple[int, ...], np.ndarray]] = []
    persons = structure.relevant()
    tm = tf = None
    for i in persons:
        pv, mv = 2 * i, 2 * i + 1
        par = structure.parents[i]
        if par is None:
            factors.append(((pv,), prior))
            factors.append(((mv,), prior))
        else:
            f, m = par
            if tm is None:
                tm, tf = _transmission(male), _transmission(female)
            factors.append(((2 * f, 2 * f + 1, pv), tm))
            factors.append(((2 * m, 2 * m + 1, mv), tf))
        if i in evidence:
            factors.append(((pv, mv), evidence[i]))
    keep = (2 * structure.keep, 2 * structure.keep + 1) if structure.keep is not None else ()
    variables = {v for vs, _ in factors for v in vs} - set(keep)
    while variables:
        best, best_cost = None, None
        for v in variables:
            scope = set()
            for vs, _ in factors:
                if v in vs:
                    scope.update(vs)
            cost = len(scope)
            if best_cost is None or cost < best_cost or (cost == best_cost and v < best):
                best, best_cost = v, cost
        factors = _sum_out(factors, best)
        variables.discard(best)
    return _combine(factors, keep)


def _einsum(parts: list[tuple[tuple[int, ...], np.ndarray]], out: tuple[int, ...]) -> np.ndarray:
    """Multiply factors (each with a leading batch axis) and keep the variables ``out``."""
    letters: dict[int, int] = {}
    args: list = []
    for vs, arr in parts:
        args.append(arr)
        args.append([0] + [letters.setdefault(v, len(letters) + 1) for v in vs])
    return np.einsum(*args, [0] + [letters[v] for v in out], optimize=len(parts) > 2)


def _sum_out(factors, v):
    touching = [f for f in factors if v in f[0]]
    rest = [f for f in factors if v not in f[0]]
    scope = []
    for vs, _ in touching:
        for x in vs:
            if x != v and x not in scope:
                scope.append(x)
    out = tuple(scope)
    rest.append((out, _einsum(touching, out)))
    return rest


def _combine(factors, keep: tuple[int, ...]) -> np.ndarray:
    return _einsum(factors, keep) if factors else np.ones(1)


def genotype_evidence(batch: int, size: int, a: int, b: int) -> np.ndarray:
    """(B, size, size) indicator of the unordered genotype {a, b}."""
    e = np.zeros((batch, size, size))
    e[:, a, b] = 1.0
    e[:, b, a] = 1.0
    return e
