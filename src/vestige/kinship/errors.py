"""Errors of the kinship engine (its own small tree: the package imports nothing from Vestige).

Every input error names where it is: file, line, member or field, and the offending value.
"""

from __future__ import annotations


class KinshipError(Exception):
    """Base of the kinship engine's errors."""


class KinshipInputError(KinshipError, ValueError):
    """Bad input data: ``where`` is e.g. ``"profiles.csv, line 12"`` or ``"FAM-1.json, member S1"``.

    A bad option of a call is named by its ``field`` (``theta``, ``min_lr``: :meth:`option`), never
    by a command-line flag, so that a web user does not read ``--theta``; the command line shows it
    as its flag (:meth:`cli_message`). A ``where`` written as a flag (``"--top"``, by the command
    line's own checks) is read as that field.
    """

    def __init__(self, where: str, message: str, *, field: str = "") -> None:
        if where.startswith("--") and not field:
            where, field = "", where[2:].replace("-", "_")
        self.where, self.message, self.field = where, message, field
        super().__init__(f"{where or field}: {message}" if (where or field) else message)

    @classmethod
    def option(cls, field: str, message: str) -> KinshipInputError:
        """A bad value of the option ``field`` (a parameter name of the engine)."""
        return cls("", message, field=field)

    def cli_message(self) -> str:
        """The message as the ``vestige`` command prints it: the option named by its flag."""
        if self.field and not self.where:
            return f"--{self.field.replace('_', '-')}: {self.message}"
        return str(self)
