"""Exact pedigree likelihoods by variable elimination over allele variables.

Each person ``i`` has two variables: the allele received from the father ``P_i`` and from the
mother ``M_i`` (values: indices into a :class:`~vestige.kinship.mutation.VirtualSpace`).
Factors (Elston & Stewart 1971 in Lauritzen's formulation; Vigeland, *Pedigree analysis in R*,
ch. 3):

- founder ``i``: ``prior[P_i] * prior[M_i]``;
- child ``c`` of father ``f``: ``T(P_c | P_f, M_f) = ½ male[P_f, P_c] + ½ male[M_f, P_c]``,
  and likewise from the mother with the female matrix;
- observed person: ``E(P_i, M_i) = P(observation | genotype {P_i, M_i})`` — the indicator of
  the genotype for a clean profile, the drop-out model's probabilities for a degraded one
  (:mod:`vestige.kinship.observe`). An evidence factor may carry an extra *class* variable
  (``E(P_i, M_i, c)``), which the joint engine keeps to get, in one pass, the likelihood of
  every way of placing victims on missing persons.

Untyped persons without typed descendants sum to one and are dropped first. The remaining
variables are eliminated greedily (smallest resulting factor first), which is exact for any
pedigree, loops included (a loop only makes factors larger). Every array carries a leading
batch axis (size ``B`` or 1, broadcast) so that families of identical shape, or the quadrature
points of a θ computation, are computed in one pass.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

Factor = tuple[tuple[Hashable, ...], np.ndarray]


@dataclass(frozen=True)
class Structure:
    """The shape of a pedigree computation: who is whose child, who carries evidence, who is kept.

    ``persons`` are indices 0..N-1 in parents-first order; ``parents[i]`` is ``(f, m)`` or ``None``.
    ``keep`` is one person whose ordered alleles are returned, or ``None``.
    """

    parents: tuple[tuple[int, int] | None, ...]
    evidence: frozenset[int]
    keep: int | None = None

    def relevant(self, extra: frozenset[int] | set[int] = frozenset()) -> list[int]:
        """Persons that matter: those with evidence, kept or in ``extra``, and their ancestors."""
        need = set(self.evidence) | set(extra) | ({self.keep} if self.keep is not None else set())
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


def pedigree_factors(structure: Structure, prior: np.ndarray, male: np.ndarray, female: np.ndarray,
                     persons: list[int]) -> list[Factor]:
    """Founder and transmission factors of ``persons`` (variables ``2i`` = P_i, ``2i+1`` = M_i)."""
    factors: list[Factor] = []
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
    return factors


def eliminate(structure: Structure, prior: np.ndarray, male: np.ndarray, female: np.ndarray,
              evidence: dict[int, np.ndarray], keep_persons: tuple[int, ...] = ()) -> np.ndarray:
    """Likelihood of the evidence, shape (B,); or, with ``structure.keep`` (or ``keep_persons``),
    the joint of the evidence and the kept persons' ordered alleles, shape (B, a, a[, a, a...])
    over (paternal, maternal) of each kept person in turn.

    ``prior`` (B, a); ``male``/``female`` (B, a, a); ``evidence[i]`` (B, a, a) over (P_i, M_i).
    """
    kept = tuple(keep_persons) or ((structure.keep,) if structure.keep is not None else ())
    persons = structure.relevant(frozenset(kept))
    factors = pedigree_factors(structure, prior, male, female, persons)
    for i in persons:
        if i in evidence:
            factors.append(((2 * i, 2 * i + 1), evidence[i]))
    keep = tuple(v for k in kept for v in (2 * k, 2 * k + 1))
    a = prior.shape[-1]
    return contract(factors, lambda v: a, keep)


def contract(factors: list[Factor], dim, keep: tuple[Hashable, ...] = ()) -> np.ndarray:
    """Sum the product of ``factors`` over every variable not in ``keep``.

    Each factor is ``(variables, array)`` with the array shaped ``(B, *dims)`` (``B`` may be 1
    and broadcasts). ``dim(v)`` gives a variable's size. Greedy order: the variable whose
    elimination makes the smallest factor goes first (ties: the smaller variable id, so the
    order — and the floating-point result — is reproducible).
    Returns ``(B, *dims of keep)``.
    """
    factors = list(factors)
    variables = {v for vs, _ in factors for v in vs} - set(keep)
    while variables:
        best = best_cost = None
        for v in variables:
            scope = set()
            for vs, _ in factors:
                if v in vs:
                    scope.update(vs)
            scope.discard(v)
            cost = 1
            for x in scope:
                cost *= dim(x)
            if best_cost is None or cost < best_cost or (cost == best_cost and _key(v) < _key(best)):
                best, best_cost = v, cost
        factors = _sum_out(factors, best)
        variables.discard(best)
    if not factors:
        return np.ones((1,) + tuple(dim(v) for v in keep))
    return _einsum(factors, keep)


def _key(v) -> tuple:
    return (0, v) if isinstance(v, int) else (1, str(v))


_PATHS: dict[tuple, list] = {}  # einsum contraction orders, by subscripts and shapes


def _einsum(parts: list[Factor], out: tuple[Hashable, ...]) -> np.ndarray:
    """Multiply factors (each with a leading, broadcasting batch axis) and keep ``out``.

    The contraction order numpy's optimiser picks depends only on the subscripts and shapes,
    which repeat across markers and families: it is computed once per signature.
    """
    letters: dict[Hashable, int] = {}
    args: list = []
    sig = []
    for vs, arr in parts:
        subs = [letters.setdefault(v, len(letters)) for v in vs]
        args.append(arr)
        args.append([Ellipsis] + subs)
        sig.append((tuple(subs), arr.shape))
    for v in out:
        letters.setdefault(v, len(letters))
    out_subs = [Ellipsis] + [letters[v] for v in out]
    if len(parts) > 2:
        key = (tuple(sig), tuple(out_subs[1:]))
        path = _PATHS.get(key)
        if path is None:
            path = np.einsum_path(*args, out_subs, optimize="greedy")[0]
            if len(_PATHS) < 50_000:
                _PATHS[key] = path
        res = np.einsum(*args, out_subs, optimize=path)
    else:
        res = np.einsum(*args, out_subs)
    if res.ndim == len(out):  # every operand had its batch axis squeezed away (cannot happen)
        res = res[None]
    return res


def _sum_out(factors: list[Factor], v) -> list[Factor]:
    touching = [f for f in factors if v in f[0]]
    rest = [f for f in factors if v not in f[0]]
    scope: list = []
    for vs, _ in touching:
        for x in vs:
            if x != v and x not in scope:
                scope.append(x)
    out = tuple(scope)
    rest.append((out, _einsum(touching, out)))
    return rest
