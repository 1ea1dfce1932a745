"""Errors of the kinship engine (its own small tree: the package imports nothing from Vestige).

Every input error names where it is: file, line, member or field, and the offending value.
"""

from __future__ import annotations


class KinshipError(Exception):
    """Base of the kinship engine's errors."""


class KinshipInputError(KinshipError, ValueError):
    """Bad input data: ``where`` is e.g. ``"profiles.csv, line 12"`` or ``"FAM-1.json, member S1"``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message
