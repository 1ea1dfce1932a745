"""Readers for the kinship exchange formats (shared/data/README.md), one module per format:

- :mod:`.frequencies` — allele frequencies, CSV ``marker,allele,frequency`` or the "ladder" layout;
- :mod:`.profiles` — profiles, CSV ``sample,marker,allele1,allele2``;
- :mod:`.labfiles` — the tables labs export (GeneMapper ID/ID-X "Genotypes Table", Excel's CSV):
  the one reader of those for the whole project, the import pages' and the command line's;
- :mod:`.families` — families, JSON, one file per family;
- :mod:`.mutation` — mutation models, JSON per marker and sex;
- :mod:`.text` — what they share (a file given as text, CSV rows with line numbers, JSON).

Sample sexes (``remains.json`` or CSV ``sample,sex``) are read by :mod:`vestige.kinship.remains`.
Alleles are labels compared as strings (``9.3``, ``17``, ``OL``), never as floats. Every error
names the file and line (or member) and the value.
"""

from vestige.kinship.io.families import family_from_dict, read_families, read_family
from vestige.kinship.io.frequencies import SUM_TOLERANCE, FrequencyTable, read_frequencies
from vestige.kinship.io.mutation import read_mutation
from vestige.kinship.io.profiles import HEADERS, SEX_MARKERS, Profiles, read_profiles
from vestige.kinship.io.text import ALLELE, TextFile, open_csv, read_json, without_gc

__all__ = ["ALLELE", "HEADERS", "SEX_MARKERS", "SUM_TOLERANCE", "FrequencyTable", "Profiles", "TextFile",
           "family_from_dict", "open_csv", "read_families", "read_family", "read_frequencies", "read_json",
           "read_mutation", "read_profiles", "without_gc"]
