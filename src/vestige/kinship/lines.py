"""Lineages inside a pedigree: the paternal line (Y chromosome) and the maternal line (mtDNA).

A Y chromosome passes from a father to his sons only; mitochondrial DNA from a mother to all her
children. Inside a family, the members who carry the missing person's Y (or mtDNA) are those
joined to them by such transmissions: the *line tree*, whose edges are single meioses (a father
→ son edge for Y, a mother → child edge for mtDNA). Its typed members are the references for that
system; the number of meioses between two of them is their distance in the tree.

:func:`line_tree` builds the tree and :func:`predictive` computes, for one locus whose states
change by a symmetric Markov chain (stepwise mutation), the distribution of the missing person's
state given the typed members' states:

    q(x) = P(x_MP = x | typed members on the line)

by rooting the tree at the missing person and passing messages (sum–product; Pearl 1988, the
peeling of Elston & Stewart 1971 on a tree). The founder of the line gets a *flat* prior: the
chain is symmetric, so the flat measure is stationary and reversible, the tree can be rooted at
any member, and q does not depend on where the line begins. For one reference ``n`` meioses away
this is the usual ``q(x) = Tⁿ(x_ref → x)`` (e.g. Andersen & Balding 2017; the YHRD kinship
calculator); with several typed relatives on the line it is exact over every meiosis between them.
The haplotype's population frequency enters only in the denominator of the LR (see
:mod:`vestige.kinship.ystr`), so P(h_sample | refs, H1) / P(h_sample | H2) is the LR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.pedigree import Family

SYSTEMS = ("y", "mt")

__all__ = ["LineTree", "line_tree", "predictive", "SYSTEMS"]


@dataclass
class LineTree:
    """The line tree of ``system`` through ``missing``: ``neighbours[id]`` lists the members one
    meiosis away on the line; ``typed`` the members with data for the system (the missing person
    excluded), with their distance in meioses from the missing person in ``distance``."""

    system: str
    missing: str
    neighbours: dict[str, list[str]] = field(default_factory=dict)
    typed: list[str] = field(default_factory=list)
    distance: dict[str, int] = field(default_factory=dict)
    _pruned: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    @property
    def informative(self) -> bool:
        return bool(self.typed)

    def pruned(self) -> dict[str, list[str]]:
        """The tree without branches that hold no typed member (they carry no information);
        computed once (the tree is not changed after :func:`line_tree` built it)."""
        if self._pruned is None:
            self._pruned = self._prune()
        return self._pruned

    def _prune(self) -> dict[str, list[str]]:
        keep = set(self.typed) | {self.missing}
        # walk from each typed member back to the missing person: everything on the way is kept
        parent = self._parents()
        for t in self.typed:
            node = t
            while node != self.missing:
                node = parent[node]
                keep.add(node)
        return {n: [m for m in nb if m in keep] for n, nb in self.neighbours.items() if n in keep}

    def signature(self, labels: dict[str, tuple]) -> tuple:
        """The pruned tree as a canonical nested tuple rooted at the missing person: each node's
        label (``labels.get(node)``, a tuple; () for a member without one) and its subtrees, sorted. Two
        lines with equal signatures give :func:`predictive` equal results for emissions that are
        equal where the labels are (the meioses between the members are what the tree is)."""
        nb = self.pruned()

        def sig(node: str, parent: str | None) -> tuple:
            return (labels.get(node, ()), tuple(sorted(sig(c, node) for c in nb[node] if c != parent)))

        return sig(self.missing, None)

    def _parents(self) -> dict[str, str]:
        parent, stack, seen = {}, [self.missing], {self.missing}
        while stack:
            node = stack.pop()
            for nb in self.neighbours[node]:
                if nb not in seen:
                    seen.add(nb)
                    parent[nb] = node
                    stack.append(nb)
        return parent


def _line_parent(family: Family, member: str, system: str) -> str | None:
    m = family.by_id[member]
    if system == "y":
        return m.father if m.sex == "male" else None
    return m.mother


def line_tree(family: Family, missing: str, system: str, typed: set[str]) -> LineTree:
    """The line tree of ``system`` ("y" or "mt") through ``missing``; ``typed`` names the members
    (ids) whose samples have data for the system. For Y the missing person must be male (a
    woman, or a person of unknown sex, has no Y line: the tree is empty)."""
    if system not in SYSTEMS:
        raise KinshipInputError("system", f"{system!r} is not one of {', '.join(SYSTEMS)}")
    if missing not in family.by_id:
        raise KinshipInputError(family.source or family.name, f"{missing!r} is not a member of the family")
    tree = LineTree(system, missing)
    if system == "y" and family.by_id[missing].sex != "male":
        tree.neighbours[missing] = []
        return tree
    # the line's founder: up the line from the missing person
    top = missing
    while (p := _line_parent(family, top, system)) is not None:
        top = p
    # every member below the founder along the line
    members, stack = [top], [top]
    while stack:
        node = stack.pop()
        for child in family.children[node]:
            if _line_parent(family, child, system) == node:
                members.append(child)
                stack.append(child)
    tree.neighbours = {m: [] for m in members}
    for m in members:
        p = _line_parent(family, m, system)
        if p is not None and p in tree.neighbours:
            tree.neighbours[m].append(p)
            tree.neighbours[p].append(m)
    # distances from the missing person (a tree: breadth first)
    dist, frontier = {missing: 0}, [missing]
    while frontier:
        nxt = []
        for node in frontier:
            for nb in tree.neighbours[node]:
                if nb not in dist:
                    dist[nb] = dist[node] + 1
                    nxt.append(nb)
        frontier = nxt
    tree.typed = sorted((m for m in members if m in typed and m != missing), key=lambda m: (dist[m], m))
    tree.distance = {m: dist[m] for m in tree.typed}
    return tree


def predictive(tree: LineTree, step: np.ndarray, emission: dict[str, np.ndarray]) -> np.ndarray:
    """q(x) = P(missing person's state = x | the typed members' observations), shape (S,).

    ``step`` (S, S): the one-meiosis transition matrix, symmetric (a reversible chain with a flat
    stationary measure); ``emission[member]`` (S,): P(observation | state) of each typed member
    (an indicator for an exact reading; several states for an ambiguous one). Members without an
    emission are untyped. Returns the flat vector 1/S when no member is typed."""
    n_states = step.shape[0]
    nb = tree.pruned()

    def message(node: str, toward: str) -> np.ndarray:
        # P(data in node's subtree, away from ``toward`` | state of ``toward``)
        v = emission.get(node)
        v = np.ones(n_states) if v is None else v.astype(np.float64, copy=True)
        for child in nb[node]:
            if child != toward:
                v *= message(child, node)
                s = v.max()
                if s > 0:
                    v /= s  # rescaled: q is normalised at the end, only the shape matters
        return step @ v

    own = emission.get(tree.missing)  # an earlier sample of the missing person's own, if any
    q = np.ones(n_states) if own is None else own.astype(np.float64, copy=True)
    for child in nb[tree.missing]:
        q *= message(child, tree.missing)
        s = q.max()
        if s > 0:
            q /= s
    total = q.sum()
    if total <= 0:
        raise KinshipInputError(tree.missing, f"the typed members of the {tree.system} line are inconsistent "
                                "with each other under the mutation model")
    return q / total


def stepwise_matrix(n_states: int, rate: float) -> np.ndarray:
    """One meiosis of the symmetric single-step model on a grid of ``n_states`` repeat counts:
    unchanged with 1 − μ, one repeat up or down with μ/2 each, reflected at the grid's ends so
    that every row sums to 1 and the matrix stays symmetric (Ohta & Kimura 1973's stepwise model;
    the grid spans every allele seen with a margin, so the ends are never reached in practice)."""
    t = np.zeros((n_states, n_states))
    idx = np.arange(n_states)
    t[idx, idx] = 1.0 - rate
    t[idx[:-1], idx[1:]] += rate / 2
    t[idx[1:], idx[:-1]] += rate / 2
    t[0, 0] += rate / 2
    t[-1, -1] += rate / 2
    return t
