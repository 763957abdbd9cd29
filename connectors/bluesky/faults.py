"""atproto SDK exceptions and HTTP statuses mapped into :mod:`connectors.errors`.

::

    429 (RateLimitExceededError)        -> RateLimited(retry_after: RateLimit-Reset minus the
                                           response Date, or Retry-After; else 60 s)
    timeout (InvokeTimeoutError)        -> NetworkError
    transport failure (NetworkError,
      httpx.TransportError)             -> NetworkError
    5xx, 502                            -> ServerError
    409 (swap/conflict)                 -> TransientError
    401, 400 ExpiredToken/InvalidToken,
      LoginRequiredError                -> AuthError(credential="app_password")
    403, 400 AccountTakedown/Blocked*   -> Forbidden
    404, 400 NotFound/RecordNotFound    -> NotFound
    other 4xx                           -> PermanentError
    unparseable body (ValueError,
      ModelError)                       -> MalformedResponse
"""

from __future__ import annotations

import math
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from atproto_client import exceptions as sdk
from atproto_client.models.common import XrpcError

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    PermanentError,
    RateLimited,
    ServerError,
    TransientError,
)

PLATFORM = "bluesky"
DEFAULT_RETRY_AFTER = 60.0
_AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})
_FORBIDDEN_ERRORS = frozenset(
    {"AccountTakedown", "AccountDeactivated", "BlockedActor", "BlockedByActor"}
)
_NOT_FOUND_ERRORS = frozenset({"NotFound", "RecordNotFound", "ActorNotFound"})


def _xrpc(response: Any) -> tuple[str, str]:
    """(error name, message) of an XRPC error body, or ("", "")."""
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    if isinstance(content, dict):
        return str(content.get("error") or ""), str(content.get("message") or "")
    return "", ""


def _header(headers: dict[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def retry_after(headers: dict[str, Any], *, now: float | None = None) -> float:
    """Seconds to wait: ``RateLimit-Reset`` (epoch seconds) minus the response's ``Date`` (our
    clock if absent, so local skew does not matter), or ``Retry-After``; the larger wins."""
    if now is None:
        now = _date(_header(headers, "date")) or time.time()
    waits: list[float] = []
    reset = _number(_header(headers, "ratelimit-reset"))
    if reset is not None:
        waits.append(reset - now)
    after = _header(headers, "retry-after")
    seconds = _number(after)
    if seconds is None and after:
        when = _date(after)
        seconds = None if when is None else when - now
    if seconds is not None:
        waits.append(seconds)
    return max(0.0, *waits) if waits else DEFAULT_RETRY_AFTER


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def translate(exc: BaseException, *, source: str, credential: str) -> ConnectorError:
    """The connector error for an SDK/transport exception (``credential`` names the setting
    used to log in, for :class:`AuthError`)."""
    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, sdk.InvokeTimeoutError):
        return NetworkError("request timed out", **where)
    if isinstance(exc, sdk.LoginRequiredError):
        return AuthError("not logged in", credential=credential, **where)
    if isinstance(exc, sdk.RequestErrorBase):
        return _from_response(exc, where, credential)
    if isinstance(exc, httpx.TransportError):
        return NetworkError(f"transport error: {type(exc).__name__}", **where)
    if isinstance(exc, sdk.ModelError | ValueError):
        return MalformedResponse(f"unparseable response: {_short(exc)}", **where)
    return PermanentError(f"unexpected SDK error: {type(exc).__name__}: {_short(exc)}", **where)


def _from_response(
    exc: sdk.RequestErrorBase, where: dict[str, str], credential: str
) -> ConnectorError:
    response = exc.response
    if response is None:
        return NetworkError(f"network error: {type(exc).__name__}", **where)
    status = response.status_code
    error, message = _xrpc(response)
    detail = f"HTTP {status}" + (f" {error}" if error else "") + (f": {message}" if message else "")
    if status == 429:
        headers = response.headers or {}
        remaining = _header(headers, "ratelimit-remaining")
        policy = _header(headers, "ratelimit-policy")
        extra = ", ".join(
            part
            for part in (
                f"remaining={remaining}" if remaining is not None else "",
                f"policy={policy}" if policy else "",
            )
            if part
        )
        return RateLimited(
            f"rate limited ({detail}{'; ' + extra if extra else ''})",
            retry_after=retry_after(headers),
            **where,
        )
    if status >= 500:
        return ServerError(detail, **where)
    if status == 401 or error in _AUTH_ERRORS:
        return AuthError(detail, credential=credential, **where)
    if status == 403 or error in _FORBIDDEN_ERRORS:
        return Forbidden(detail, **where)
    if status == 404 or error in _NOT_FOUND_ERRORS:
        return NotFound(detail, **where)
    if status == 409:
        return TransientError(detail, **where)
    return PermanentError(detail, **where)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
