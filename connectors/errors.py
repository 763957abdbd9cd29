"""The one exception tree every connector maps its SDK's failures into.

::

    ConnectorError
    ├── TransientError            try again later (the same call may succeed)
    │   ├── RateLimited           the platform said "slow down"; ``retry_after`` seconds
    │   ├── NetworkError          timeout, connection reset, DNS, TLS
    │   └── ServerError           5xx from the platform
    └── PermanentError            retrying the same call will fail the same way
        ├── AuthError             bad or revoked credential; ``credential`` names which
        ├── Forbidden             authenticated but not allowed (scope, blocked, suspended)
        ├── NotFound              the post, thread or account no longer exists
        ├── Unsupported           the connector cannot do this (capability or feed missing)
        └── MalformedResponse     the platform answered something we cannot parse

The scheduler backs off on ``TransientError`` (honouring ``RateLimited.retry_after``) and pauses
a source on ``AuthError``. Nothing here ever calls ``sys.exit``.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    def __init__(self, message: str, *, platform: str = "", source: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.source = source

    def __str__(self) -> str:
        where = ":".join(part for part in (self.platform, self.source) if part)
        return f"[{where}] {self.message}" if where else self.message


class TransientError(ConnectorError):
    """A failure that may go away if the same call is retried later."""


class RateLimited(TransientError):
    """The platform asked us to wait ``retry_after`` seconds before the next call."""

    def __init__(
        self, message: str, *, retry_after: float, platform: str = "", source: str = ""
    ) -> None:
        super().__init__(message, platform=platform, source=source)
        self.retry_after = max(0.0, float(retry_after))


class NetworkError(TransientError):
    """Timeout, refused or reset connection, DNS or TLS failure."""


class ServerError(TransientError):
    """The platform answered with a 5xx status."""


class PermanentError(ConnectorError):
    """A failure that retrying the same call will not fix."""


class AuthError(PermanentError):
    """A credential is missing, wrong or revoked; ``credential`` names the setting at fault
    (the message says to check it, if it does not name it already)."""

    def __init__(
        self, message: str, *, credential: str = "", platform: str = "", source: str = ""
    ) -> None:
        if credential and credential not in message:
            message = f"{message} (check {credential})"
        super().__init__(message, platform=platform, source=source)
        self.credential = credential


class Forbidden(PermanentError):
    """Authenticated, but the platform refuses this action (scope, block, suspension)."""


class NotFound(PermanentError):
    """The object asked for does not exist (any more)."""


class Unsupported(PermanentError):
    """The connector cannot do what was asked (missing capability or unknown feed)."""


class MalformedResponse(PermanentError):
    """The platform's answer could not be parsed; the cursor must not move."""
