"""Mutation models: JSON per marker and sex (pedmut's definitions); a ``"*"`` marker is the default."""

from __future__ import annotations

from pathlib import Path

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io.text import read_json
from vestige.kinship.mutation import MODELS, MutationModel, MutationSpec

__all__ = ["read_mutation"]


def read_mutation(path: str | Path) -> MutationModel:
    """``{marker: {"female": {"model", "rate", ...}, "male": {...}}}``; a ``"*"`` marker is the default."""
    p = Path(path)
    data = read_json(p)
    if not isinstance(data, dict):
        raise KinshipInputError(str(p), "expected an object keyed by marker")
    specs: dict[str, dict[str, MutationSpec]] = {}
    for marker, by_sex in data.items():
        if not isinstance(by_sex, dict) or set(by_sex) - {"female", "male"} or not by_sex:
            raise KinshipInputError(f"{p}, marker {marker}", 'expected {"female": {...}, "male": {...}}')
        for sex, spec in by_sex.items():
            where = f"{p}, marker {marker}, {sex}"
            if not isinstance(spec, dict) or spec.get("model") not in MODELS:
                raise KinshipInputError(where, f"model must be one of {', '.join(MODELS)}")
            try:
                specs.setdefault(marker, {})[sex] = MutationSpec(
                    model=spec["model"], rate=float(spec.get("rate", 0.0)),
                    rate2=float(spec.get("rate2", 0.0)), range=float(spec.get("range", 0.5)))
            except (TypeError, ValueError) as e:
                raise KinshipInputError(where, str(e)) from None
        for sex in ("female", "male"):
            specs[marker].setdefault(sex, specs[marker].get("male") or specs[marker].get("female"))
    return MutationModel(specs)
