"""Osteometric pair-matching: could a left and a right element come from one person?

The test of OsteoSort (Lynch; DPAA's osteometric sorting, after Byrd & Adams 2003 and Byrd &
LeGarde 2014; ``pm.ttest``), exactly:

- For a left and a right element measured by the same standard measurements m₁…m_k, the
  **D-value** ``D = (Σ_i |L_i − R_i| + 0.00005)^0.33`` (the absolute-value model with OsteoSort's
  half-normal power transformation; without it ``D = Σ_i |L_i − R_i|``; the signed model
  ``Σ_i (L_i − R_i)``).
- The **reference**: the D-values of known pairs (one person's left and right) measured by those
  same measurements: mean ``D̄`` and standard deviation ``s`` (n − 1 in the denominator), n pairs.
- ``p = tails · P(T_{n−1} < −|D − D̄| / s)`` (one tail by default, for the absolute model);
  the pair is **excluded** when p, rounded to four places, is at most α (0.1 by default, as
  OsteoSort), else it "cannot be excluded".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vestige.osteology.tdist import t_sf

__all__ = ["PairTest", "d_value", "pair_test", "OsteometryError"]

POWER = (0.00005, 0.33)  # OsteoSort's half-normal transformation: (x + p1) ** p2


class OsteometryError(ValueError):
    """Bad measurements or reference: says what and where."""


@dataclass(frozen=True)
class PairTest:
    left: str
    right: str
    element: str
    measurements: tuple[str, ...]
    d_value: float
    reference_pairs: int
    reference_mean: float
    reference_sd: float
    p_value: float
    excluded: bool

    def as_dict(self) -> dict:
        return {"left": self.left, "right": self.right, "element": self.element,
                "measurements": list(self.measurements), "d_value": self.d_value,
                "reference_pairs": self.reference_pairs, "reference_mean": self.reference_mean,
                "reference_sd": self.reference_sd, "p_value": self.p_value,
                "result": "excluded" if self.excluded else "cannot exclude"}


def d_value(left: np.ndarray, right: np.ndarray, *, absolute: bool = True, power: bool = True) -> np.ndarray:
    """D-values of pairs: ``left`` and ``right`` are (pairs, k) or (k,) measurement arrays."""
    diff = np.asarray(left, dtype=float) - np.asarray(right, dtype=float)
    if absolute:
        d = np.abs(diff).sum(axis=-1)
        return (d + POWER[0]) ** POWER[1] if power else d
    return diff.sum(axis=-1)


def pair_test(left_id: str, right_id: str, element: str, left: dict[str, float], right: dict[str, float],
              reference: list[tuple[dict[str, float], dict[str, float]]], *, alpha: float = 0.1,
              absolute: bool = True, power: bool = True, tails: int = 1) -> PairTest:
    """The test of one left and one right element over the measurements both have, against the
    reference pairs that have all of them."""
    if tails not in (1, 2):
        raise OsteometryError(f"tails {tails}: 1 or 2")
    shared = tuple(sorted(set(left) & set(right)))
    if not shared:
        raise OsteometryError(f"{left_id} and {right_id} ({element}): no measurement in common")
    ref = [(lf, rt) for lf, rt in reference if all(m in lf and m in rt for m in shared)]
    if len(ref) < 3:
        raise OsteometryError(f"{element}: {len(ref)} reference pairs have all of {', '.join(shared)}; at least 3 "
                              "are needed")
    ref_l = np.array([[lf[m] for m in shared] for lf, _rt in ref])
    ref_r = np.array([[rt[m] for m in shared] for _lf, rt in ref])
    dref = d_value(ref_l, ref_r, absolute=absolute, power=power)
    mean, sd = float(dref.mean()), float(dref.std(ddof=1))
    d = float(d_value(np.array([left[m] for m in shared]), np.array([right[m] for m in shared]),
                      absolute=absolute, power=power))
    if sd == 0.0:
        p = 1.0 if d == mean else 0.0
    else:
        p = min(1.0, tails * t_sf(abs(d - mean) / sd, len(dref) - 1))
    return PairTest(left_id, right_id, element, shared, d, len(dref), mean, sd, p, round(p, 4) <= alpha)


def _finite(value: str, where: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise OsteometryError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise OsteometryError(f"{where}: {value!r} is not a measurement (mm, not negative)")
    return v


SIDES = {"l": "left", "left": "left", "r": "right", "right": "right"}


def read_measurements(text: str, name: str) -> dict[tuple[str, str, str], dict[str, float]]:
    """A CSV ``id,element,side,measurement,value`` (one measurement a row; side L/R or left/right;
    millimetres) → {(id, element, side): {measurement: value}}; every bad row named by line."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    if not rows or [c.strip().lower() for c in rows[0][:5]] != ["id", "element", "side", "measurement", "value"]:
        raise OsteometryError(f"{name}, line 1: the header must be id,element,side,measurement,value")
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < 5:
            raise OsteometryError(f"{name}, line {n}: {len(row)} fields; expected id,element,side,measurement,value")
        ident, element, side, measurement, value = (c.strip() for c in row[:5])
        where = f"{name}, line {n}"
        if not ident or not element or not measurement:
            raise OsteometryError(f"{where}: id, element and measurement are required")
        s = SIDES.get(side.lower())
        if s is None:
            raise OsteometryError(f"{where}: side {side!r} is not L, R, left or right")
        key = (ident, element.lower(), s)
        if measurement in out.get(key, {}):
            raise OsteometryError(f"{where}: {ident} {element} {s} {measurement} is given twice")
        out.setdefault(key, {})[measurement] = _finite(value, where)
    if not out:
        raise OsteometryError(f"{name}: no measurements")
    return out


def reference_pairs(measured: dict[tuple[str, str, str], dict[str, float]]) -> dict[str, list[tuple[dict, dict]]]:
    """Element → the (left, right) measurements of each reference individual with both sides."""
    out: dict[str, list[tuple[dict, dict]]] = {}
    for (ident, element, side), values in measured.items():
        if side == "left" and (ident, element, "right") in measured:
            out.setdefault(element, []).append((values, measured[(ident, element, "right")]))
    return out


def sort_pairs(bones: dict[tuple[str, str, str], dict[str, float]], reference: dict[str, list[tuple[dict, dict]]],
               **options) -> tuple[list[PairTest], list[str]]:
    """Every left against every right of the same element (the commingled case): the tests, and
    notes for the pairs that cannot be tested (no shared measurement, too few reference pairs)."""
    tests, notes = [], []
    lefts = sorted(k for k in bones if k[2] == "left")
    rights = sorted(k for k in bones if k[2] == "right")
    for lid, element, _s in lefts:
        for rid, rel, _r in rights:
            if rel != element:
                continue
            try:
                tests.append(pair_test(lid, rid, element, bones[(lid, element, "left")], bones[(rid, element, "right")],
                                       reference.get(element, []), **options))
            except OsteometryError as e:
                notes.append(str(e))
    tests.sort(key=lambda t: (t.element, -t.p_value, t.left, t.right))
    return tests, notes
