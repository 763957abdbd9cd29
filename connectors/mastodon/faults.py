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
    HTTP 401                              -> AuthError(credential="access_token")
    HTTP 403                              -> Forbidden
    HTTP 404 / 410                        -> NotFound
    HTTP 5xx                              -> ServerError
    2xx that is not JSON                  -> MalformedResponse
    MastodonVersionError                  -> Unsupported
    anything else (422 validation, ...)   -> PermanentError
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

from mastodon.errors import (
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonVersionError,
)

from connectors.base import parse_time
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
    Unsupported,
)

PLATFORM = "mastodon"
DEFAULT_RETRY_AFTER = 60.0  # no usable signal at all: one minute (the window is 5 minutes)
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
    except (ValueError, TypeError) as exc:
        size = len(response.content or b"")
        raise MalformedResponse(
            f"{what}: HTTP {response.status_code} body is not JSON ({size} bytes): {exc}",
            platform=PLATFORM,
            source=source,
        ) from None


def _header(response: Any, name: str) -> str | None:
    if response is None:
        return None
    value = response.headers.get(name)
    return str(value).strip() if value else None


def _server_now(response: Any) -> float:
    """The server's clock from its ``Date`` header (falls back to ours)."""
    date = _header(response, "Date")
    if date:
        try:
            return parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def retry_after_seconds(response: Any, client_reset: float | None = None) -> float:
    """Seconds to wait after a 429, from the platform's own signals.

    ``Retry-After`` (seconds or HTTP date) and ``X-RateLimit-Reset`` (Mastodon: an ISO time;
    some servers: a Unix time) are measured against the response's ``Date`` header, so a skewed
    local clock does not matter; the larger signal wins. ``client_reset`` (Mastodon.py's own
    parse, an epoch on our clock) is the fallback.
    """
    now = _server_now(response)
    waits: list[float] = []
    retry = _header(response, "Retry-After")
    if retry:
        try:
            waits.append(float(retry))
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                waits.append(parsedate_to_datetime(retry).timestamp() - now)
    reset = _header(response, "X-RateLimit-Reset")
    if reset:
        try:
            if reset.isdigit():
                waits.append(float(reset) - now)
            else:
                waits.append(parse_time(reset).timestamp() - now)
        except ValueError:
            pass
    if not waits and client_reset:
        waits.append(float(client_reset) - time.time())
    if not waits:
        return DEFAULT_RETRY_AFTER
    return min(MAX_RETRY_AFTER, max(1.0, max(waits)))


def rate_limit_exhausted(response: Any) -> bool:
    """True when the response says no request is left in this window."""
    remaining = _header(response, "X-RateLimit-Remaining")
    return remaining is not None and remaining.isdigit() and int(remaining) == 0


def _status_of(exc: BaseException, response: Any) -> int | None:
    if response is not None:
        return int(response.status_code)
    for arg in exc.args:
        if isinstance(arg, int) and 100 <= arg <= 599:
            return arg
    return None


def _error_text(response: Any) -> str:
    if response is None:
        return ""
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
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
    if isinstance(exc, MastodonRatelimitError) or status == 429:
        wait = retry_after_seconds(response, client_reset)
        return RateLimited(scrub(f"{message} (retry in {wait:.0f}s)"), retry_after=wait, **where)
    if isinstance(exc, MastodonNetworkError):
        return NetworkError(scrub(f"{what}: {exc.args[0] if exc.args else exc}"), **where)
    if status == 401:
        return AuthError(
            scrub(f"{message} (check the access token)"), credential="access_token", **where
        )
    if status == 403:
        return Forbidden(scrub(message), **where)
    if status in (404, 410):
        return NotFound(scrub(message), **where)
    if status is not None and status >= 500:
        return ServerError(scrub(message), **where)
    if status is not None and 200 <= status < 300:
        size = len(response.content or b"") if response is not None else 0
        return MalformedResponse(
            scrub(f"{what}: HTTP {status} body is not valid JSON ({size} bytes)"), **where
        )
    if "parse response as JSON" in str(exc.args[0] if exc.args else ""):
        return MalformedResponse(scrub(f"{what}: the response is not valid JSON"), **where)
    if isinstance(exc, MastodonVersionError):
        return Unsupported(scrub(f"{what}: {exc}"), **where)
    return PermanentError(scrub(message if status else f"{what}: {exc}"), **where)
