"""vestige.kinship — exact DNA kinship likelihood ratios and blind search.

Pure: numpy only, nothing from Django or the rest of Vestige, so it can be installed, tested,
benchmarked and shipped to a worker alone.

Public API::

    from vestige.kinship import read_frequencies, read_profiles, read_family, read_mutation
    from vestige.kinship import likelihood_ratio, blind_search, simulate
"""

from vestige.kinship.errors import KinshipError, KinshipInputError
from vestige.kinship.io import (
    FrequencyTable,
    Profiles,
    read_families,
    read_family,
    read_frequencies,
    read_mutation,
    read_profiles,
)
from vestige.kinship.lr import LRResult, likelihood_ratio
from vestige.kinship.mutation import MutationModel, MutationSpec
from vestige.kinship.pedigree import Family, Member
from vestige.kinship.remains import Remains, read_remains, read_sexes

# search is imported lazily below (it pulls in more than the LR path needs)

__all__ = [
    "Family", "FrequencyTable", "KinshipError", "KinshipInputError", "LRResult", "Member",
    "MutationModel", "MutationSpec", "Profiles", "Remains", "likelihood_ratio",
    "read_families", "read_family", "read_frequencies", "read_mutation", "read_profiles",
    "read_remains", "read_sexes",
]
