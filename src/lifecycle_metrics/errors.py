"""One error hierarchy; each error is also the matching builtin so callers may catch either."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lifecycle_metrics.validate.issues import Issue


class LifecycleError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = 1


class UsageError(LifecycleError, ValueError):
    """The user asked for something that cannot be done as asked (bad option, unknown metric)."""

    exit_code = 2


class DataError(LifecycleError, ValueError):
    """The dataset cannot be read or is invalid; carries every problem found."""

    exit_code = 3

    def __init__(self, message: str, issues: list[Issue] | None = None) -> None:
        super().__init__(message)
        self.issues: list[Issue] = list(issues or [])


class MissingDriver(UsageError):
    """The engine or the URL needs a package that is not installed; the message names it."""


class ConnectionFailed(UsageError, ConnectionError):
    """The database DATA names refused the login or could not be reached; nothing was read.

    A usage error (exit 2) like a DATA folder that does not exist: no data was read, so none is
    called invalid.
    """
