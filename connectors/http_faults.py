"""The HTTP fault table every connector shares, and the rate-limit header helpers.

Each platform module first turns its SDK's exception into an HTTP status (plus whatever its
platform says more precisely: an XRPC error name, a "deleted" hint, the token endpoint), then
asks :func:`for_status` for the error, so one status means the same thing everywhere::

    429                 -> RateLimited(retry_after)
    5xx                 -> ServerError
    401                 -> AuthError(credential)      the setting to check
    403                 -> Forbidden
    404, 410            -> NotFound
    any other status    -> PermanentError             (a platform may override single statuses)

Waits come from the platform's own headers: :func:`retry_after_header` reads ``Retry-After``
(seconds or an HTTP date), :func:`server_clock` the response's ``Date`` so that a skewed local
clock does not matter, and :func:`longest_wait` picks the largest known wait or the default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import parse_time
from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    NotFound,
    PermanentError,
    RateLimited,
    ServerError,
)

DEFAULT_RETRY_AFTER = 60.0  # a 429 with no usable signal at all: one minute
STATUS_ERRORS: Mapping[int, type[ConnectorError]] = {
    401: AuthError,
    403: Forbidden,
    404: NotFound,
    410: NotFound,
    429: RateLimited,
}


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """The value of header ``name`` (any case), stripped; None when absent or empty."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            text = str(value).strip()
            return text or None
    return None


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None (absent, not a number, inf or nan)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def http_date(value: str | None) -> float | None:
    """Epoch seconds of an HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``), or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def server_clock(headers: Mapping[str, Any] | None) -> float:
    """The server's time from its ``Date`` header, else our own clock."""
    return http_date(header(headers, "date")) or time.time()


def retry_after_header(headers: Mapping[str, Any] | None, now: float) -> float | None:
    """``Retry-After`` in seconds from ``now``: a number, or an HTTP date; None if absent."""
    value = header(headers, "retry-after")
    seconds = number(value)
    if seconds is not None:
        return seconds
    when = http_date(value)
    return None if when is None else when - now


def epoch(value: str | None) -> float | None:
    """A reset time as epoch seconds: a Unix time or an ISO-8601 time; None if neither."""
    if not value:
        return None
    seconds = number(value)
    if seconds is not None:
        return seconds
    try:
        return parse_time(value).timestamp()
    except ValueError:
        return None


def header_waits(
    headers: Mapping[str, Any] | None, reset: str, *, now: float | None = None
) -> list[float]:
    """The waits a 429's headers ask for, on the server's clock (its ``Date``, else ours):
    ``Retry-After`` and the reset time in header ``reset`` (epoch seconds or ISO-8601)."""
    if now is None:
        now = server_clock(headers)
    at = epoch(header(headers, reset))
    waits = [retry_after_header(headers, now), None if at is None else at - now]
    return [wait for wait in waits if wait is not None]


def longest_wait(
    waits: Iterable[float | None],
    *,
    floor: float = 0.0,
    cap: float | None = None,
    default: float = DEFAULT_RETRY_AFTER,
) -> float:
    """The largest known wait, at least ``floor`` and at most ``cap``; ``default`` if none."""
    known = [wait for wait in waits if wait is not None]
    if not known:
        return default
    wait = max(floor, *known)
    return wait if cap is None else min(cap, wait)


def for_status(
    status: int,
    message: str,
    *,
    platform: str,
    source: str = "",
    credential: str = "",
    retry_after: float = DEFAULT_RETRY_AFTER,
    overrides: Mapping[int, type[ConnectorError]] | None = None,
) -> ConnectorError:
    """The error for an HTTP ``status`` (the table in this module's docstring).

    ``overrides`` maps single statuses to another class for one platform (Bluesky's 409 is
    transient, X's 402 forbidden); ``credential`` names the setting a 401 points at.
    """
    where = {"platform": platform, "source": source}
    kind = (overrides or {}).get(status) or STATUS_ERRORS.get(status)
    if kind is None:
        kind = ServerError if status >= 500 else PermanentError
    if kind is RateLimited:
        return RateLimited(
            f"{message} (retry in {retry_after:.0f}s)", retry_after=retry_after, **where
        )
    if kind is AuthError:
        return AuthError(message, credential=credential, **where)
    return kind(message, **where)
