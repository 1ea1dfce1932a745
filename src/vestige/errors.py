"""The one exception tree of Vestige.

Every failure that a user can cause, or that the integrity checks find, is a subclass of
:class:`VestigeError`. The tree knows nothing of HTTP: the API maps classes to status codes in
one table (``vestige.api.STATUS_BY_ERROR``) and the CLI maps them to exit codes
(``vestige.cli.EXIT_BY_ERROR``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class ErrorReport:
    """Several errors gathered before giving up (used by dry runs)."""

    errors: list[VestigeError] = field(default_factory=list)
