"""Connected components of pairs (union–find with path halving): the groups that pairwise tests
propose — bones of one body (pm-match), victims of one family (victims)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["connected_components"]


def connected_components(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The components of the graph the edges make, each sorted, in sorted order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return sorted(sorted(g) for g in groups.values())
