"""The data a case's likelihoods are computed from, as one typed object: the search, the linked
pairs and the joint engine's groups read it instead of six or seven loose parameters each."""

from __future__ import annotations

from dataclasses import dataclass, field

from vestige.kinship.io import FrequencyTable, Profiles
from vestige.kinship.mutation import MutationModel
from vestige.kinship.observe import Degradation

__all__ = ["CaseData"]


@dataclass(frozen=True)
class CaseData:
    """The victims (``items``: samples, or bodies whose samples ``bodies`` lists), the references'
    profiles and the samples' (``sprof``: the same object when one file holds both), the frequency
    table, the mutation model (``fam_mutation``: a family's own, where families differ), the
    samples' degradation (None: clean) and the co-ancestry θ within families."""

    items: list[str]
    bodies: dict[str, list[str]]
    profiles: Profiles
    sprof: Profiles
    table: FrequencyTable
    mutation: MutationModel = field(default_factory=MutationModel)
    fam_mutation: dict[str, MutationModel] = field(default_factory=dict)
    degradation: Degradation | None = None
    theta: float = 0.0

    def mutation_of(self, family: str) -> MutationModel:
        """The mutation model of family ``family``."""
        return self.fam_mutation.get(family, self.mutation)

    def samples_of(self, item: str) -> list[str]:
        """The samples of victim ``item`` (itself, when it is a sample)."""
        return self.bodies.get(item, [item])
