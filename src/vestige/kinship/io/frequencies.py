"""Allele frequency tables: CSV ``marker,allele,frequency`` or the "ladder" layout (first column the
allele, one column per marker, empty cells for absent alleles); each marker must sum to 1 within
rounding, and is rescaled to exactly 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io.text import open_csv

__all__ = ["SUM_TOLERANCE", "FrequencyTable", "read_frequencies"]

SUM_TOLERANCE = 0.005  # published tables are rounded; beyond this a table is wrong, not rounded.


@dataclass
class FrequencyTable:
    """Per marker: allele labels (in table order) and their frequencies (float64, same order)."""

    alleles: dict[str, list[str]]
    freqs: dict[str, np.ndarray]
    source: str = ""
    added: list[tuple[str, str, float]] = field(default_factory=list)  # (marker, allele, frequency)

    @property
    def markers(self) -> list[str]:
        return list(self.alleles)

    def index(self, marker: str) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.alleles[marker])}

    def add_allele(self, marker: str, allele: str, frequency: float) -> None:
        """Add a rare allele at ``frequency``; the others are scaled so the marker still sums to 1."""
        f = self.freqs[marker] * (1.0 - frequency)
        self.freqs[marker] = np.append(f, frequency)
        self.alleles[marker] = [*self.alleles[marker], allele]
        self.added.append((marker, allele, frequency))


def _float(where: str, value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise KinshipInputError(where, f"frequency {value!r} is not a number") from None
    if not (0.0 < f <= 1.0):
        raise KinshipInputError(where, f"frequency {value!r} is not in (0, 1]")
    return f


def read_frequencies(path: str | Path) -> FrequencyTable:
    """Read a long (``marker,allele,frequency``) or ladder CSV; check each marker sums to 1."""
    name, rows = open_csv(path)
    header = [h.lower() for h in rows[0][1]]
    alleles: dict[str, list[str]] = {}
    freqs: dict[str, list[float]] = {}
    lines: dict[str, int] = {}
    if header[:3] == ["marker", "allele", "frequency"]:
        for line, row in rows[1:]:
            where = f"{name}, line {line}"
            if len(row) < 3 or not row[0] or not row[1]:
                raise KinshipInputError(where, f"expected marker,allele,frequency; got {','.join(row)!r}")
            marker, allele, f = row[0], row[1], _float(where, row[2])
            if allele in alleles.get(marker, ()):
                raise KinshipInputError(where, f"allele {allele!r} of {marker} is listed twice")
            alleles.setdefault(marker, []).append(allele)
            freqs.setdefault(marker, []).append(f)
            lines.setdefault(marker, line)
    else:
        markers = rows[0][1][1:]
        if not markers or any(not m for m in markers):
            raise KinshipInputError(f"{name}, line 1", "a ladder table needs a header: allele, then one column per marker")
        for line, row in rows[1:]:
            allele = row[0]
            if not allele:
                raise KinshipInputError(f"{name}, line {line}", "empty allele label in the first column")
            for marker, cell in zip(markers, row[1:], strict=False):
                if cell == "" or cell.upper() == "NA":
                    continue
                where = f"{name}, line {line}, column {marker}"
                if allele in alleles.get(marker, ()):
                    raise KinshipInputError(where, f"allele {allele!r} is listed twice")
                alleles.setdefault(marker, []).append(allele)
                freqs.setdefault(marker, []).append(_float(where, cell))
                lines.setdefault(marker, line)
    if not alleles:
        raise KinshipInputError(name, "no allele frequencies found")
    out = {}
    for marker, fs in freqs.items():
        total = float(np.sum(fs))
        if abs(total - 1.0) > SUM_TOLERANCE:
            raise KinshipInputError(f"{name}, marker {marker}", f"frequencies sum to {total:.6f}, not 1")
        # Within rounding, rescale to exactly 1 (as Familias does): otherwise an untransmitted
        # founder allele carries the table's deficit into some likelihoods and not others.
        arr = np.asarray(fs, dtype=np.float64)
        out[marker] = arr / arr.sum()
    return FrequencyTable(alleles=alleles, freqs=out, source=name)
