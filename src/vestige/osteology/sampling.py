"""Which bone of an individual to sample for DNA first: a ranking by the yields published for
skeletal remains of the age of mass graves (issue 31, part 4).

The order, best first (tiers; ties broken by completeness, then by code):

1. the **petrous portion** of the temporal bone — the densest bone of the body and the best source
   of DNA in old remains (Pinhasi et al. 2015, PLoS ONE 10:e0129102);
2. **metacarpals, metatarsals** — in the Second World War mass graves of Slovenia, the bones with
   the highest success after the petrous portion (Zupanič Pajnič and colleagues, Forensic Science
   International: Genetics, 2021–2023; 144 bones sampled in one of them, as the issue cites); the
   **talus and calcaneus**, dense cancellous bones of the foot with good yields in the same series
   and in Mundorff & Davoren 2014 (Forensic Sci Int Genet 8:55);
3. the weight-bearing **femur and tibia** (their dense midshaft cortex; the bone ICMP sampled most in
   more than 18,500 identifications);
4. other long bones (humerus, radius, ulna, fibula), the patella, the os coxae;
5. everything else (ribs, vertebrae, the cranial vault, small carpals).

A fragment below 25 % complete goes after every fuller element (too little bone to cut a window
from and keep the rest for a second test); an element already sampled is shown as such and not
ranked first again. The ranking is ordinal: the papers report rates for their own conditions, and
this module does not turn them into a predicted yield.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Advice", "rank", "TIERS"]

TIERS: dict[str, int] = {
    "petrous": 1, "temporal": 1,
    **{f"metacarpal {i}": 2 for i in range(1, 6)}, **{f"metatarsal {i}": 2 for i in range(1, 6)},
    "talus": 2, "calcaneus": 2,
    "femur": 3, "tibia": 3,
    "humerus": 4, "radius": 4, "ulna": 4, "fibula": 4, "patella": 4, "os coxae": 4,
}
REASONS = {
    1: "petrous portion: the densest bone, the best DNA source in old remains",
    2: "metacarpal, metatarsal, talus or calcaneus: high success in WWII mass-grave series",
    3: "femur or tibia: dense midshaft cortex, the long bones most sampled",
    4: "another long bone",
    5: "other element: lower expected yield",
}
MIN_USEFUL = 25.0  # percent complete


@dataclass(frozen=True)
class Advice:
    code: str
    element: str
    side: str
    completeness: float
    tier: int
    reason: str
    sampled: bool = False


def rank(elements: list[tuple[str, str, str, float]], sampled: set[str] | frozenset[str] = frozenset()) -> list[Advice]:
    """``elements``: (code, canonical element, side, completeness) of one individual; ``sampled``:
    the codes already sampled. Best first."""
    out = []
    for code, element, side, completeness in elements:
        tier = TIERS.get(element, 5)
        out.append(Advice(code, element, side, completeness, tier, REASONS[tier], code in sampled))
    return sorted(out, key=lambda a: (a.sampled, a.completeness < MIN_USEFUL, a.tier, -a.completeness, a.code))
