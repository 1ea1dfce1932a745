"""The minimum number of individuals (MNI) of a commingled context, from its skeletal inventory.

Each row of an inventory is one skeletal element as the anthropologist recorded it: its context
(grave, trench, bag), the element, its side (``L``, ``R``; ``M`` for a midline element; ``U``
when the side could not be told) and its completeness (percent). The count follows the standard
definition (White 1991; Adams & Konigsberg 2004, "Estimation of the most likely number of
individuals from commingled human skeletal remains", AJPA 125:138):

- only elements more than half complete are counted (a bone less than half present could be the
  other half of one already counted; ``--min-completeness`` changes the threshold);
- a paired element counts ``max(L, R)`` individuals, raised to ``ceil((L + R + U) / 2)`` when the
  unsided ones cannot all be the other side of those counted (each person has one left and one
  right);
- an unpaired element (cranium, mandible, sacrum, vertebrae by position, sternum, hyoid) counts
  one individual per copy;
- the context's MNI is the largest count of any element, which is named with it.

Elements are named as Osteoware and Buikstra & Ubelaker's Standards name them (English names;
the common abbreviations are read too).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

__all__ = ["ElementCount", "InventoryError", "Mni", "PAIRED", "UNPAIRED", "mni", "read_inventory", "clean", "Element"]

PAIRED = frozenset({
    "humerus", "radius", "ulna", "femur", "tibia", "fibula", "clavicle", "scapula", "os coxae", "patella",
    "talus", "calcaneus", "navicular", "cuboid", "medial cuneiform", "intermediate cuneiform",
    "lateral cuneiform", "scaphoid", "lunate", "triquetral", "pisiform", "trapezium", "trapezoid", "capitate",
    "hamate", "metacarpal 1", "metacarpal 2", "metacarpal 3", "metacarpal 4", "metacarpal 5", "metatarsal 1",
    "metatarsal 2", "metatarsal 3", "metatarsal 4", "metatarsal 5", "rib 1", "rib 2", "rib 11", "rib 12",
    "temporal", "petrous", "parietal", "zygomatic", "maxilla", "nasal",
})
UNPAIRED = frozenset({
    "cranium", "frontal", "occipital", "sphenoid", "mandible", "hyoid", "sternum", "manubrium", "sacrum",
    "coccyx", "atlas", "axis", "c3", "c4", "c5", "c6", "c7", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9",
    "t10", "t11", "t12", "l1", "l2", "l3", "l4", "l5",
})
ALIASES = {
    "hum": "humerus", "rad": "radius", "uln": "ulna", "fem": "femur", "tib": "tibia", "fib": "fibula",
    "cla": "clavicle", "clav": "clavicle", "sca": "scapula", "scap": "scapula", "innominate": "os coxae",
    "pelvis": "os coxae", "coxal": "os coxae", "os coxa": "os coxae", "pat": "patella", "skull": "cranium",
    "mand": "mandible", "c1": "atlas", "c2": "axis", "petrous portion": "petrous", "petrous bone": "petrous",
    **{f"mc{i}": f"metacarpal {i}" for i in range(1, 6)}, **{f"mt{i}": f"metatarsal {i}" for i in range(1, 6)},
}
SIDES = {"l": "L", "left": "L", "r": "R", "right": "R", "m": "M", "midline": "M", "u": "U", "unknown": "U",
         "": "U", "?": "U"}


class InventoryError(ValueError):
    """A row that cannot be read: names the file, line, field and value."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ElementCount:
    element: str
    left: int = 0
    right: int = 0
    unsided: int = 0  # paired elements whose side was not told, or the copies of an unpaired one
    excluded: int = 0  # rows below the completeness threshold (not counted)

    @property
    def count(self) -> int:
        if self.element in UNPAIRED:
            return self.unsided
        return max(self.left, self.right, math.ceil((self.left + self.right + self.unsided) / 2))

    def as_dict(self) -> dict:
        return {"element": self.element, "left": self.left, "right": self.right, "unsided": self.unsided,
                "excluded": self.excluded, "mni": self.count}


@dataclass
class Mni:
    context: str
    mni: int
    by: list[str]  # the elements giving it
    elements: list[ElementCount] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"context": self.context, "mni": self.mni, "by": self.by,
                "elements": [e.as_dict() for e in self.elements]}


@dataclass(frozen=True)
class Element:
    context: str
    element: str
    side: str
    completeness: float
    line: int


def canonical(name: str) -> str | None:
    key = " ".join(name.strip().lower().replace("_", " ").split())
    key = ALIASES.get(key, key)
    return key if key in PAIRED or key in UNPAIRED else None


def clean(context: str, element: str, side: str, completeness: str | float) -> tuple[str, str, float]:
    """One recorded element checked: (canonical element, side L/R/M/U, completeness in percent);
    an :class:`InventoryError` names the field that is wrong."""
    name = canonical(element)
    if name is None:
        raise InventoryError(f"{element!r} is not a skeletal element this inventory knows (English names as "
                             "Osteoware writes them)", "element")
    s = SIDES.get((side or "").strip().lower())
    if s is None:
        raise InventoryError(f"{side!r} is not L, R, M or U", "side")
    if name in UNPAIRED and s in ("L", "R"):
        raise InventoryError(f"the {name} has no side", "side")
    if name in PAIRED and s == "M":
        raise InventoryError(f"the {name} is paired (L, R or U)", "side")
    try:
        pct = float(completeness or 100)
    except ValueError:
        raise InventoryError(f"{completeness!r} is not a percentage", "completeness") from None
    if not 0 < pct <= 100:
        raise InventoryError(f"{pct:g} is not in (0, 100]", "completeness")
    if not (context or "").strip():
        raise InventoryError("required (the grave, trench or bag)", "context")
    return name, s, pct


def read_inventory(text: str, name: str) -> list[Element]:
    """``context,element,side,completeness`` (a header row; completeness in percent, empty: whole)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InventoryError(f"{name}: the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    need = ("context", "element", "side")
    if any(h not in header for h in need):
        raise InventoryError(f"{name}, line 1: the header needs context, element, side[, completeness]")
    at = {h: header.index(h) for h in (*need, "completeness") if h in header}
    out = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        cell = {h: (row[i].strip() if i < len(row) else "") for h, i in at.items()}
        try:
            element, side, completeness = clean(cell["context"], cell["element"], cell["side"],
                                                cell.get("completeness", ""))
        except InventoryError as e:
            raise InventoryError(f"{name}, line {n}, {e.field}: {e}") from None
        out.append(Element(cell["context"], element, side, completeness, n))
    return out


def mni(elements: list[Element], *, min_completeness: float = 50.0) -> list[Mni]:
    """The MNI of each context (and of all together, context ``*``, when there are several)."""
    contexts = sorted({e.context for e in elements})
    groups = {c: [e for e in elements if e.context == c] for c in contexts}
    if len(contexts) > 1:
        groups["*"] = list(elements)
    out = []
    for context, rows in groups.items():
        tallies: dict[str, dict[str, int]] = {}
        for e in rows:
            t = tallies.setdefault(e.element, {"L": 0, "R": 0, "U": 0, "x": 0})
            if e.completeness <= min_completeness:
                t["x"] += 1
            else:
                t["U" if e.side in ("U", "M") else e.side] += 1
        counts = sorted((ElementCount(el, t["L"], t["R"], t["U"], t["x"]) for el, t in tallies.items()),
                        key=lambda c: (-c.count, c.element))
        best = counts[0].count if counts else 0
        out.append(Mni(context, best, [c.element for c in counts if c.count == best and best > 0], counts))
    return out
