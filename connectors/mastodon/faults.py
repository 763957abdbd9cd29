"""Mastodon.py failures mapped into connectors/errors.py, and the wire tap that makes it precise.

Mastodon.py turns every HTTP answer into its own exception or typed object; what it drops is the
raw answer itself (headers, status, body). :class:`WireTap` is a ``requests`` response hook on
the SDK's session that keeps, per thread, the last response: the connector reads the items' JSON
from it (``Post.raw`` is the payload as sent, not the SDK's re-typed copy) and the rate-limit
headers when a 429 arrives.

Mapping (first match wins)::

    MastodonRatelimitError / HTTP 429     -> RateLimited(retry_after from Retry-After,
                                             X-RateLimit-Reset (ISO time) vs the Date header)
    MastodonNetworkError (timeout, reset) -> NetworkError
    a body that broke off mid-answer      -> NetworkError
    HTTP 401                              -> AuthError(credential="access_token")
    HTTP 403                              -> Forbidden
    HTTP 404 / 410                        -> NotFound
    HTTP 5xx                              -> ServerError
    2xx that is not JSON                  -> MalformedResponse
    MastodonVersionError                  -> Unsupported
    anything else (422 validation, ...)   -> PermanentError
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import requests
from mastodon.errors import (
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonVersionError,
)

from connectors.errors import (
    ConnectorError,
    MalformedResponse,
    NetworkError,
    PermanentError,
    Unsupported,
)
from connectors.http_faults import for_status, header, header_waits, longest_wait

PLATFORM = "mastodon"
MAX_RETRY_AFTER = 24 * 3600.0


class WireTap:
    """A ``requests`` response hook keeping the last response seen by the calling thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._local.response = response

    def reset(self) -> None:
        """Forget the last response (call before each SDK call)."""
        self._local.response = None

    @property
    def last(self) -> Any | None:
        """The last ``requests.Response`` of this thread since :meth:`reset`, if any."""
        return getattr(self._local, "response", None)

    def attach(self, client: Any) -> bool:
        """Register on ``client.session``; False when the client has no requests session."""
        hooks = getattr(getattr(client, "session", None), "hooks", None)
        if not isinstance(hooks, dict):
            return False
        registered = hooks.setdefault("response", [])
        if self not in registered:
            registered.append(self)
        return True

    def detach(self, client: Any) -> None:
        """Remove the hook again."""
        hooks = getattr(getattr(client, "session", None), "hooks", None)
        if isinstance(hooks, dict) and self in hooks.get("response", []):
            hooks["response"].remove(self)


def response_json(response: Any, *, what: str, source: str) -> Any:
    """The decoded JSON body of a tapped response, or :class:`MalformedResponse`."""
    try:
        return json.loads(response.content)
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: nested too deep
        size = len(response.content or b"")
        raise MalformedResponse(
            f"{what}: HTTP {response.status_code} body is not JSON ({size} bytes): {exc}",
            platform=PLATFORM,
            source=source,
        ) from None


def _headers(response: Any) -> Any:
    return getattr(response, "headers", None)


def retry_after_seconds(response: Any, client_reset: float | None = None) -> float:
    """Seconds to wait after a 429, from the platform's own signals.

    ``Retry-After`` (seconds or HTTP date) and ``X-RateLimit-Reset`` (Mastodon: an ISO time;
    some servers: a Unix time) are measured against the response's ``Date`` header, so a
    skewed local clock does not matter; the larger signal wins. ``client_reset`` (Mastodon.py's
    own parse, an epoch on our clock) is the fallback.
    """
    waits = header_waits(_headers(response), "X-RateLimit-Reset")
    if not waits and client_reset:
        waits.append(float(client_reset) - time.time())
    return longest_wait(waits, floor=1.0, cap=MAX_RETRY_AFTER)


def rate_limit_exhausted(response: Any) -> bool:
    """True when the response says no request is left in this window."""
    remaining = header(_headers(response), "X-RateLimit-Remaining")
    return remaining is not None and remaining.isdigit() and int(remaining) == 0


def _status_of(exc: BaseException, response: Any) -> int | None:
    if response is not None:
        return int(response.status_code)
    for arg in exc.args:
        if isinstance(arg, int) and 100 <= arg <= 599:
            return arg
    return None


def _content(response: Any) -> bytes | None:
    """The body of ``response``; None when the connection broke off while it was being read."""
    try:
        return bytes(response.content or b"")
    except requests.RequestException:
        return None


def _error_text(response: Any) -> str:
    content = None if response is None else _content(response)
    if content is None:
        return ""
    try:
        body = json.loads(content)
    except (ValueError, TypeError, RecursionError):
        return ""
    if isinstance(body, dict):
        message = body.get("error_description") or body.get("error")
        if isinstance(message, str):
            return message[:300]
    return ""


def map_error(
    exc: MastodonError,
    *,
    what: str,
    source: str,
    response: Any | None,
    client_reset: float | None = None,
    secrets: tuple[str, ...] = (),
) -> ConnectorError:
    """The :mod:`connectors.errors` exception for an SDK failure during ``what``."""
    status = _status_of(exc, response)
    detail = _error_text(response)
    head = f"{what}: HTTP {status}" if status else what
    message = f"{head}: {detail}" if detail else head

    def scrub(text: str) -> str:
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, MastodonRatelimitError):
        status = 429
    if isinstance(exc, MastodonNetworkError) and status != 429:
        return NetworkError(scrub(f"{what}: {exc.args[0] if exc.args else exc}"), **where)
    if response is not None and _content(response) is None:
        return NetworkError(scrub(f"{what}: HTTP {status}: the answer broke off"), **where)
    if status is not None and 200 <= status < 300:
        size = len(_content(response) or b"")
        return MalformedResponse(
            scrub(f"{what}: HTTP {status} body is not valid JSON ({size} bytes)"), **where
        )
    if status is not None:
        wait = retry_after_seconds(response, client_reset) if status == 429 else 0.0
        return for_status(
            status,
            scrub(message),
            credential="access_token",
            retry_after=wait,
            platform=PLATFORM,
            source=source,
        )
    if "parse response as JSON" in str(exc.args[0] if exc.args else ""):
        return MalformedResponse(scrub(f"{what}: the response is not valid JSON"), **where)
    if isinstance(exc, MastodonVersionError):
        return Unsupported(scrub(f"{what}: {exc}"), **where)
    return PermanentError(scrub(f"{what}: {exc}"), **where)
