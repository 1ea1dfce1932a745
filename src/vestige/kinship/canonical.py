"""Pedigree computations numbered canonically, so that families of one shape, whatever the
order their members were written in, are computed together in one batch."""

from __future__ import annotations

from functools import lru_cache

from vestige.kinship.likelihood import Structure

__all__ = ["canonical_structure"]


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
