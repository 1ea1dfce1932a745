"""Simulated dental records: a population's AM charts and, years later, the PM charts of the same
people, with the treatment that happened in between and the losses of a grave. PURE.

Used by the tests (the ranking must put the right person first in ≥ 90 % of usable cases) and by
``benchmarks/dental_match.py``. The rates are of the order reported for European adults (about a
third of permanent teeth restored or missing by middle age, molars far more than incisors; new
caries about 1–2 % of teeth a year; post-mortem loss mostly of single-rooted anterior teeth):
Kassebaum et al., *J Dent Res* 93 (2014) 20S–28S; Adams, *J Forensic Sci* 48 (2003) 487–496 (the
distribution of restorations in a population of 29,152 charts). They are the model's, stated
here so a reader can change them; no real person's chart is involved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from vestige.osteology.odontology import MATERIALS, PERMANENT, SURFACES, ToothState

S = ToothState

# How much more often a tooth position is restored than an incisor: molars most, canines least.
POSITION_RISK = {1: 0.5, 2: 0.6, 3: 0.4, 4: 1.0, 5: 1.2, 6: 2.6, 7: 2.2, 8: 1.2}
ANTERIOR = {1, 2, 3}


@dataclass
class Case:
    person: str
    am: dict[str, dict]
    pm: dict[str, dict]
    years: float


def _initial(rng: random.Random, age: int) -> dict[str, dict]:
    chart: dict[str, dict] = {}
    burden = min(1.0, max(0.05, (age - 15) / 50)) * rng.uniform(0.3, 1.7)  # people differ a lot
    for t in PERMANENT:
        pos = int(t[1])
        if pos == 8 and rng.random() < 0.35:
            chart[t] = {"state": S.UNERUPTED.value if rng.random() < 0.4 else S.MISSING.value}
            continue
        r = rng.random() / (burden * POSITION_RISK[pos] + 1e-9)
        if r < 0.05:
            chart[t] = {"state": S.MISSING.value}
        elif r < 0.06:
            chart[t] = {"state": S.IMPLANT.value}
        elif r < 0.09:
            chart[t] = {"state": S.CROWN.value, "material": "metal_ceramic", **({"root_canal": True} if rng.random() < 0.5 else {})}
        elif r < 0.28:
            chart[t] = _filling(rng, pos, root_canal=rng.random() < 0.12)
        elif r < 0.31:
            chart[t] = {"state": S.CARIES.value, "surfaces": "O" if pos >= 4 else "M"}
        else:
            chart[t] = {"state": S.SOUND.value}
    return chart


def _filling(rng: random.Random, pos: int, *, root_canal: bool = False, base: str = "") -> dict:
    pool = "MODBL" if pos >= 4 else "MDBL"
    n = rng.choice((1, 1, 2, 2, 3)) if not base else 0
    surfaces = set(base) | set(rng.sample(pool, k=min(n, len(pool))))
    if base and rng.random() < 0.9:
        surfaces.add(rng.choice([s for s in pool if s not in surfaces] or list(pool)))
    entry = {"state": S.FILLED.value, "surfaces": "".join(s for s in SURFACES if s in surfaces),
             "material": rng.choice(("amalgam", "amalgam", "composite", "composite", "glass_ionomer"))}
    if root_canal:
        entry["root_canal"] = True
    return entry


def _progress(rng: random.Random, chart: dict[str, dict], years: float) -> dict[str, dict]:
    """Treatment between the AM record and death: only forward in time."""
    out = {t: dict(e) for t, e in chart.items()}
    for t, e in out.items():
        pos = int(t[1])
        risk = POSITION_RISK[pos]
        state = S(e["state"])
        p = 1 - (1 - 0.012 * risk) ** years  # something happens to this tooth in the interval
        if rng.random() >= p:
            continue
        if state == S.SOUND:
            out[t] = _filling(rng, pos) if rng.random() < 0.8 else {"state": S.CARIES.value, "surfaces": "O"}
        elif state == S.CARIES:
            out[t] = _filling(rng, pos, base=e.get("surfaces", ""))
        elif state == S.FILLED:
            roll = rng.random()
            if roll < 0.5:
                new = _filling(rng, pos, base=e.get("surfaces", ""), root_canal=bool(e.get("root_canal")))
                if rng.random() < 0.2:
                    new["material"] = rng.choice(MATERIALS[:3])  # replaced in another material
                out[t] = new
            elif roll < 0.75:
                out[t] = {"state": S.CROWN.value, "material": "metal_ceramic", "root_canal": True}
            elif roll < 0.9:
                out[t] = {**e, "root_canal": True}
            else:
                out[t] = {"state": S.MISSING.value}
        elif state in (S.CROWN, S.BRIDGE):
            if rng.random() < 0.3:
                out[t] = {"state": S.MISSING.value}
        elif state == S.MISSING:
            if rng.random() < 0.3:
                out[t] = {"state": S.IMPLANT.value}
        elif state == S.UNERUPTED and years > 3 and rng.random() < 0.2:
            out[t] = {"state": S.MISSING.value}  # a wisdom tooth removed
    return out


def _post_mortem(rng: random.Random, truth: dict[str, dict], *, lost_jaw: bool) -> dict[str, dict]:
    """What an examiner charts from the body: missing teeth are now in-life losses; some anterior
    teeth fall out after death; a jaw (or teeth) may be unrecoverable."""
    pm: dict[str, dict] = {}
    gone_quadrants = set(rng.sample((1, 2, 3, 4), k=2)) if lost_jaw else set()
    for t, e in truth.items():
        q, pos = int(t[0]), int(t[1])
        state = S(e["state"])
        if q in gone_quadrants or rng.random() < 0.04:
            pm[t] = {"state": S.NOT_RECOVERABLE.value}
        elif state == S.MISSING:
            pm[t] = {"state": S.MISSING_AM.value if rng.random() < 0.85 else S.MISSING_UNKNOWN.value}
        elif state in (S.SOUND, S.CARIES, S.FILLED) and pos in ANTERIOR and rng.random() < 0.12:
            pm[t] = {"state": S.MISSING_PM.value}
        else:
            pm[t] = dict(e)
            if state == S.FILLED and rng.random() < 0.1:
                pm[t].pop("material", None)  # the material not told apart on the body
    return pm


def _ante_mortem_record(rng: random.Random, chart: dict[str, dict]) -> dict[str, dict]:
    """What the dentist's notes give: usually only the treated and missing teeth, sometimes the
    whole mouth; an occasional charting error (a filling put on the neighbouring tooth)."""
    full = rng.random() < 0.4
    out = {t: dict(e) for t, e in chart.items() if full or e["state"] != S.SOUND.value}
    if out and rng.random() < 0.15:
        t = rng.choice(sorted(out))
        neighbour = f"{t[0]}{min(8, int(t[1]) + 1)}"
        if neighbour != t:
            out[neighbour], out[t] = out[t], out.get(neighbour, {"state": S.SOUND.value})
    return out


def population(n: int, *, seed: int = 1) -> list[Case]:
    """``n`` people: their AM record, their PM chart, and the years between."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        age = rng.randint(18, 75)
        am_truth = _initial(rng, age)
        years = rng.choice((0.5, 1, 2, 3, 5, 8, 10)) * rng.uniform(0.5, 1.5)
        at_death = _progress(rng, am_truth, years)
        cases.append(Case(person=f"P{i:04d}", am=_ante_mortem_record(rng, am_truth),
                          pm=_post_mortem(rng, at_death, lost_jaw=rng.random() < 0.1), years=years))
    return cases
