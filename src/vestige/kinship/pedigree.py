"""Families (pedigrees) and their validation.

A family is a list of members with sex, parents (both or none), flags for missing persons and
the name of the profile of typed members. Validation follows the house rules of the exchange
format (shared/data/README.md) and pedtools: both parents or none; a father is male and a
mother female; no one is their own ancestor; ids are unique; a family has a missing person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vestige.kinship.errors import KinshipInputError

SEXES = ("male", "female", "unknown")


@dataclass(frozen=True)
class Member:
    id: str
    sex: str = "unknown"
    father: str | None = None
    mother: str | None = None
    missing: bool = False
    sample: str | None = None
    deceased: bool = False

    @property
    def founder(self) -> bool:
        return self.father is None


@dataclass
class Family:
    """A validated pedigree. ``members`` keeps file order; ``order`` lists parents before children."""

    name: str
    members: list[Member]
    source: str = ""
    require_missing: bool = True
    by_id: dict[str, Member] = field(init=False)
    order: list[str] = field(init=False)
    children: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        where = self.source or self.name
        if not self.members:
            raise KinshipInputError(where, "the family has no members")
        self.by_id = {}
        for m in self.members:
            if not m.id:
                raise KinshipInputError(where, "a member has an empty id")
            if m.id in self.by_id:
                raise KinshipInputError(f"{where}, member {m.id}", "duplicate member id")
            if m.sex not in SEXES:
                raise KinshipInputError(f"{where}, member {m.id}", f"sex {m.sex!r} is not male, female or unknown")
            self.by_id[m.id] = m
        self.children = {m.id: [] for m in self.members}
        for m in self.members:
            if m.father is None and m.mother is None:
                continue
            w = f"{where}, member {m.id}"
            if (m.father is None) != (m.mother is None):
                raise KinshipInputError(w, "has one parent; give both parents or none")
            for role, pid, sex in (("father", m.father, "male"), ("mother", m.mother, "female")):
                if pid not in self.by_id:
                    raise KinshipInputError(w, f"{role} {pid!r} is not a member of the family")
                if pid == m.id:
                    raise KinshipInputError(w, f"is their own {role}")
                if self.by_id[pid].sex != sex:
                    raise KinshipInputError(w, f"{role} {pid!r} has sex {self.by_id[pid].sex!r}; a {role} must be {sex}")
            self.children[m.father].append(m.id)
            self.children[m.mother].append(m.id)
        self.order = self._topological(where)
        if self.require_missing and not any(m.missing for m in self.members):
            raise KinshipInputError(where, "the family has no missing person (mark one with \"missing\": true)")
        if len(self.members) > 200:
            raise KinshipInputError(where, f"{len(self.members)} members; the engine takes at most 200")

    def _topological(self, where: str) -> list[str]:
        state: dict[str, int] = {}
        order: list[str] = []
        path: list[str] = []  # the persons being visited, each a child of the one before

        def visit(mid: str) -> None:
            seen = state.get(mid)
            if seen == 2:
                return
            if seen == 1:
                cycle = " → ".join(path[path.index(mid):] + [mid])
                raise KinshipInputError(f"{where}, member {mid}", f"is their own ancestor ({cycle})")
            m = self.by_id[mid]
            if m.father is not None:
                state[mid] = 1
                path.append(mid)
                visit(m.father)
                visit(m.mother)
                path.pop()
            state[mid] = 2
            order.append(mid)

        for m in self.members:
            visit(m.id)
        return order

    @property
    def missing(self) -> list[str]:
        return [m.id for m in self.members if m.missing]

    @property
    def typed(self) -> list[Member]:
        return [m for m in self.members if m.sample]

    def has_loop(self) -> bool:
        """True when the pedigree has a loop (e.g. a child of two relatives).

        Pedigree graph: persons and matings (father, mother) as nodes; a mating links to both
        parents and to each child. A loop is a cycle in that undirected graph (union-find).
        """
        parent: dict[object, object] = {}

        def find(x):
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        edges = set()
        for m in self.members:
            if m.father is not None:
                mating = ("mating", m.father, m.mother)
                edges.add((mating, m.father))
                edges.add((mating, m.mother))
                edges.add((mating, m.id))
        for a, b in edges:
            ra, rb = find(a), find(b)
            if ra == rb:
                return True
            parent[ra] = rb
        return False
