"""Connection URLs in messages: credentials never shown, a missing driver or a refused login named.

Light on purpose (no Ibis, no driver): the command line and every engine use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from lifecycle_metrics.errors import ConnectionFailed, LifecycleError, MissingDriver

# PEP 249 names these for a database that cannot be reached or used ("unexpected disconnect,
# the data source name is not found", a refused login) and for the driver's own interface;
# every DB-API driver defines them, each in its own module, so they are known by name.
DBAPI_CONNECTION_ERRORS = frozenset({"OperationalError", "InterfaceError"})
# Ibis's URL schemes whose extra is named differently from the scheme
IBIS_EXTRAS = {"postgresql": "postgres", "pg": "postgres"}


def safe_url(url: str) -> str:
    """A connection URL with any credentials masked, for messages."""
    return re.sub(r"//[^@/]*@", "//***@", url)


def scheme(url: str) -> str:
    """The URL's scheme in lower case (`postgres` of `postgres://…`)."""
    return url.split("://", 1)[0].lower()


def missing_driver(url: str, package: str | None = None) -> MissingDriver:
    """The usage error for a URL whose Ibis backend or driver is not installed."""
    name = scheme(url)
    package = package or f"ibis-framework[{IBIS_EXTRAS.get(name, name)}]"
    return MissingDriver(
        f"{safe_url(url)}: reading {name}:// needs its driver, which is not installed: "
        f"pip install '{package}'"
    )


def is_connection_failure(error: BaseException) -> bool:
    """True for a socket error or a DB-API driver's "cannot connect" (PEP 249 names)."""
    if isinstance(error, OSError):
        return True
    return any(kind.__name__ in DBAPI_CONNECTION_ERRORS for kind in type(error).__mro__)


def connection_failed(url: str, error: BaseException) -> ConnectionFailed:
    """The error for a database that refused the login or was not reached, credentials masked."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = _without_credentials(lines[0], url) if lines else type(error).__name__
    return ConnectionFailed(
        f"{safe_url(url)}: cannot connect ({reason}); check the host, port, database and "
        "credentials — no data was read"
    )


@contextmanager
def connecting(url: str, package: str | None = None) -> Iterator[None]:
    """Inside: a missing driver becomes `MissingDriver`, a failed connection `ConnectionFailed`.

    Anything else (a bug, a query error) goes on as it is: it is not the connection's fault.
    """
    try:
        yield
    except LifecycleError:
        raise
    except ImportError:  # Ibis imports a backend's driver when its URL is first used
        raise missing_driver(url, package) from None
    except Exception as error:
        if not is_connection_failure(error):
            raise
        raise connection_failed(url, error) from None


def _without_credentials(text: str, url: str) -> str:
    """`text` with the URL's user and password masked (drivers may quote the user)."""
    parts = urlsplit(url)
    for secret in (parts.password, parts.username):
        if secret:
            text = re.sub(rf"(?<!\w){re.escape(unquote(secret))}(?!\w)", "***", text)
    return text
