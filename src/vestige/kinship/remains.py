"""The remains file: samples in order, with sex, drop-out and drop-in rates and body (JSON or
CSV), and a file of sexes alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import open_csv, read_json
from vestige.kinship.pedigree import SEXES


@dataclass
class Remains:
    """The remains file: samples in order, with sex, drop-out and drop-in rates and body.

    Samples that share a ``body`` are bones of one individual: the engine combines their
    readings as independent observations of one genotype, under the body's name.
    """

    samples: list[str]
    sexes: dict[str, str] = field(default_factory=dict)
    dropout: dict[str, float] = field(default_factory=dict)
    dropin: dict[str, float] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def bodies(self) -> dict[str, list[str]]:
        """``{body: [samples]}`` for bodies of two or more samples."""
        out: dict[str, list[str]] = {}
        for s in self.samples:
            out.setdefault(self.body.get(s, s), []).append(s)
        return {b: ss for b, ss in out.items() if len(ss) > 1 or b != ss[0]}

    def items(self) -> list[str]:
        """What is searched: each body once (by its name), each lone sample by its own name."""
        seen, out = set(), []
        for s in self.samples:
            b = self.body.get(s, s)
            if b not in seen:
                seen.add(b)
                out.append(b)
        return out


REMAINS_COLUMNS = ("sample", "sex", "dropout", "dropin", "body")


def _rate(where: str, name: str, value) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise KinshipInputError(where, f"{name} {value!r} is not a number") from None
    if not 0.0 <= f < 1.0 or f != f:
        raise KinshipInputError(where, f"{name} {value!r} is not a probability in [0, 1)")
    return f


def read_remains(path: str | Path) -> Remains:
    """``remains.json`` (``[{"sample", "sex", "dropout", "dropin", "body"}]``) or a CSV with a
    header starting ``sample`` and any of ``sex,dropout,dropin,body``. A CSV without a header
    (one sample name per line) is read as a plain list of samples — its first line included."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        data = read_json(p)
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise KinshipInputError(str(p), 'expected a list of {"sample": ..., "sex": ...}')
        name = str(p)
        rows = []
        for i, d in enumerate(data):
            unknown = set(d) - set(REMAINS_COLUMNS)
            if unknown:
                raise KinshipInputError(f"{name}, item {i + 1}", f"unknown field(s) {sorted(unknown)}")
            rows.append((f"{name}, item {i + 1}", {k: d.get(k) for k in REMAINS_COLUMNS}))
    else:
        name, raw = open_csv(p)
        header = [h.lower() for h in raw[0][1]]
        if header and header[0] == "sample":
            unknown = [h for h in header if h not in REMAINS_COLUMNS]
            if unknown:
                raise KinshipInputError(f"{name}, line 1", f"unknown column(s) {unknown}; expected "
                                        f"{','.join(REMAINS_COLUMNS)}")
            body_rows = raw[1:]
        else:
            header, body_rows = ["sample"], raw
        rows = [(f"{name}, line {line}", dict(zip(header, row, strict=False))) for line, row in body_rows]
    out = Remains(samples=[], source=name)
    seen = set()
    for where, row in rows:
        sample = str(row.get("sample") or "").strip()
        if not sample:
            raise KinshipInputError(where, "the sample name is empty")
        if sample in seen:
            raise KinshipInputError(where, f"sample {sample!r} is listed twice")
        seen.add(sample)
        out.samples.append(sample)
        sex = str(row.get("sex") or "unknown").strip() or "unknown"
        if sex not in SEXES:
            raise KinshipInputError(where, f"sex {sex!r} is not male, female or unknown")
        out.sexes[sample] = sex
        for col, target in (("dropout", out.dropout), ("dropin", out.dropin)):
            v = row.get(col)
            if v not in (None, ""):
                target[sample] = _rate(where, col, v)
        b = row.get("body")
        if b not in (None, ""):
            out.body[sample] = str(b).strip()
    return out


def read_sexes(path: str | Path) -> dict[str, str]:
    """Sample sexes from ``remains.json`` (``[{"sample", "sex"}]``) or a CSV ``sample,sex``."""
    return read_remains(path).sexes
