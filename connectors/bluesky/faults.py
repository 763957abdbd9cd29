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

from typing import Any

import httpx
from atproto_client import exceptions as sdk
from atproto_client.models.common import XrpcError

from connectors.errors import (
    AuthError,
    ConnectorError,
    MalformedResponse,
    NetworkError,
    PermanentError,
    TransientError,
)
from connectors.http_faults import for_status, header, header_waits, longest_wait

PLATFORM = "bluesky"
# XRPC error names that say more than a 400 status: read as the status they stand for
_XRPC_STATUS = {
    **dict.fromkeys(("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"), 401),
    **dict.fromkeys(
        ("AccountTakedown", "AccountDeactivated", "BlockedActor", "BlockedByActor"), 403
    ),
    **dict.fromkeys(("NotFound", "RecordNotFound", "ActorNotFound"), 404),
}


def _xrpc(response: Any) -> tuple[str, str]:
    """(error name, message) of an XRPC error body, or ("", "")."""
    content = getattr(response, "content", None)
    if isinstance(content, XrpcError):
        return content.error or "", content.message or ""
    if isinstance(content, dict):
        return str(content.get("error") or ""), str(content.get("message") or "")
    return "", ""


def retry_after(headers: dict[str, Any], *, now: float | None = None) -> float:
    """Seconds to wait: ``RateLimit-Reset`` (epoch seconds) minus the response's ``Date`` (our
    clock if absent, so local skew does not matter), or ``Retry-After``; the larger wins."""
    return longest_wait(header_waits(headers, "ratelimit-reset", now=now))


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
    headers = response.headers or {}
    if status == 429:
        extra = ", ".join(
            f"{name}={value}"
            for name in ("remaining", "policy")
            if (value := header(headers, f"ratelimit-{name}")) is not None
        )
        detail += f"; {extra}" if extra else ""
    elif status < 500:
        status = _XRPC_STATUS.get(error, status)
    return for_status(
        status,
        detail,
        credential=credential,
        retry_after=retry_after(headers) if status == 429 else 0.0,
        overrides={409: TransientError},  # a swap/compare conflict: read again, then retry
        **where,
    )


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
