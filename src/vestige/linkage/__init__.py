"""Names across scripts and languages, and probabilistic record linkage of lists of people against
the register (issue 31): a pure core — no Django, nothing of Vestige above it.

- :mod:`~vestige.linkage.names`: KMU 2010 transliteration and spelling-insensitive name keys.
- :mod:`~vestige.linkage.given_names`: Ukrainian given names, their Russian forms, patronymics.
- :mod:`~vestige.linkage.records`: the person record and its comparison keys.
- :mod:`~vestige.linkage.model`: the Fellegi–Sunter model on Splink/DuckDB (the ``linkage`` extra).
- :mod:`~vestige.linkage.synthetic`: invented registers and lists with known truth, for tests and benchmarks.
"""
