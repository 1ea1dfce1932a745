"""The one exception tree of Vestige, and the one table that maps it to HTTP and exit codes.

Every failure that a user can cause, or that the integrity checks find, is a subclass of
:class:`VestigeError` (the kinship engine, a pure core, has its own small tree, mapped here
too). :func:`error_table` gives each class its HTTP status (API, pages) and its exit code
(CLI); :func:`status_for` and :func:`exit_code` read it, walking the class's ancestors.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from functools import lru_cache


class VestigeError(Exception):
    """Base of every error Vestige raises on purpose.

    ``message`` is a plain sentence for the person who caused it; ``field`` names the input field
    (form field, JSON key, CSV column) when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def type(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict:
        return {"type": self.type, "message": self.message, "field": self.field}


class InvalidInput(VestigeError):
    """The input is malformed or breaks a rule; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        # Every field error found, not only the first: forms show them all at once.
        self.errors: dict[str, list[str]] = errors or ({field: [message]} if field else {})

    def as_dict(self) -> dict:
        data = super().as_dict()
        if self.errors:
            data["errors"] = self.errors
        return data


@dataclass(frozen=True)
class RowError:
    """One bad cell of an imported file. ``line`` is the 1-based line (row) in the file."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 40 else self.value[:37] + "..."
        return f"line {self.line}, column {self.column!r}, value {shown!r}: {self.reason}"


class ImportRejected(InvalidInput):
    """A bulk import found bad rows; nothing was written. ``rows`` lists every one."""

    def __init__(self, source: str, rows: list[RowError]) -> None:
        super().__init__(f"{source}: {len(rows)} bad row(s); nothing was imported", field="file")
        self.source = source
        self.rows = rows

    def as_dict(self) -> dict:
        data = super().as_dict()
        data["rows"] = [r.__dict__ for r in self.rows]
        return data


class NotFound(VestigeError):
    """The record, file or reference named does not exist (or is not visible to the user)."""


class PermissionDenied(VestigeError):
    """The user's role does not allow this action."""


class NotAuthenticated(VestigeError):
    """No valid session or API token was given."""


class RateLimited(VestigeError):
    """Too many attempts; try again later."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Conflict(VestigeError):
    """The action conflicts with the record's current state (e.g. editing a withdrawn record)."""


class IntegrityFailure(VestigeError):
    """Stored data does not match its recorded hash or chain: possible tampering or corruption."""


class ConfigurationError(VestigeError):
    """A setting is missing or unsafe."""


class StorageFull(VestigeError):
    """The disk (or the quota) is full, or the store is read-only: the action was undone, nothing
    half-written (blobs are written to a temporary file and renamed only when whole; the rows
    are written in the transaction that failed)."""


STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def storage_error(exc: BaseException) -> StorageFull | None:
    """A :class:`StorageFull` saying where, for an OS error of a full or read-only disk; else None."""
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        where = f"{exc.filename}: " if exc.filename else ""
        return StorageFull(f"{where}{exc.strerror or 'no space left on the device'}; nothing was written. Free some "
                           "space (or make the store writable) and try again.")
    return None


class TooLarge(InvalidInput):
    """The request body or file is larger than the limit."""


@lru_cache(maxsize=1)
def error_table() -> dict[type[Exception], tuple[int, int]]:
    """Each error class → (HTTP status, exit code). Built on first use: the kinship engine's
    errors are imported then, not when the settings import this module."""
    from vestige.kinship.errors import (
        KinshipError,  # lazy: not when the settings import this module
    )

    return {
        # class: (HTTP status, exit code)
        TooLarge: (413, 2),
        ImportRejected: (400, 2),
        InvalidInput: (400, 2),
        KinshipError: (400, 2),
        NotAuthenticated: (401, 4),
        PermissionDenied: (403, 4),
        NotFound: (404, 3),
        Conflict: (409, 5),
        IntegrityFailure: (409, 6),  # stored data no longer verifies: nothing was changed; alert, do not retry
        RateLimited: (429, 8),
        ConfigurationError: (503, 7),
        StorageFull: (507, 9),  # the disk is full or read-only: nothing was written; free space, retry  # the installation is not fit to serve this; an operator must act
        VestigeError: (400, 1),
    }


def _row(error: BaseException) -> tuple[int, int]:
    table = error_table()
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return (500, 1)


def status_for(error: BaseException) -> int:
    """The HTTP status of an error (500 only for what is not in the table: a bug)."""
    return _row(error)[0]


def exit_code(error: BaseException) -> int:
    """The CLI exit status of an error."""
    return _row(error)[1]
