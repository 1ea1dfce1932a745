"""What a profile says at a marker, as the likelihoods take it: each sample's readings (a clean
genotype, or one with drop-out and drop-in, :mod:`vestige.kinship.observe`) and a family's typed
members' readings. A single allele without a drop-out probability is refused here, by file, line,
sample and marker, never read as a homozygote."""

from __future__ import annotations

from vestige.kinship.errors import KinshipInputError
from vestige.kinship.io import Profiles
from vestige.kinship.observe import Degradation, Reading, reading
from vestige.kinship.pedigree import Family

__all__ = ["family_readings", "sample_readings"]


def sample_readings(profiles: Profiles, samples: list[str] | tuple[str, ...], marker: str,
                    degradation: Degradation | None) -> list[Reading]:
    """The readings of ``samples`` (several bones of one body, or one sample) at ``marker``."""
    out = []
    for s in samples:
        g = profiles.genotypes.get(s, {}).get(marker)
        if g is None:
            continue
        d, c = degradation.of(s) if degradation else (0.0, 0.0)
        if g[1] is None and d == 0.0:
            raise KinshipInputError(profiles.where(s, marker),
                                    f"{s} shows one allele ({g[0]}) at {marker} and no second one: "
                                    "declare the sample degraded with a drop-out probability (a 'dropout' "
                                    "column, --dropout or --reference-dropout), or write the homozygote "
                                    f"as {g[0]},{g[0]}")
        out.append(reading(g[0], g[1], d, c))
    return out


def family_readings(family: Family, profiles: Profiles, marker: str,
                    degradation: Degradation | None = None) -> dict[str, list[Reading]]:
    """Typed members' readings at ``marker`` (members whose profile lacks the marker are untyped)."""
    out = {}
    for m in family.typed:
        if m.sample not in profiles.genotypes:
            raise KinshipInputError(f"{family.source}, member {m.id}",
                                    f"sample {m.sample!r} is not in the profiles ({profiles.source})")
        rs = sample_readings(profiles, [m.sample], marker, degradation)
        if rs:
            out[m.id] = rs
    return out
