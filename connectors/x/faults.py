"""Map tweepy / requests failures into the connector error tree.

::

    tweepy.TooManyRequests (429)   -> RateLimited(retry_after from x-rate-limit-reset & co.)
    tweepy.TwitterServerError (5xx) -> ServerError
    requests Timeout / ConnectionError / other RequestException -> NetworkError
    tweepy.Unauthorized (401)      -> AuthError(credential=<the setting used>)
    tweepy.Forbidden (403)         -> Forbidden (NotFound when the post is deleted/invisible)
    402 Payment Required           -> Forbidden (plan or credits exhausted)
    tweepy.NotFound (404)          -> NotFound
    tweepy.BadRequest (400), other 4xx -> PermanentError
    undecodable JSON, wrong shapes -> MalformedResponse

Messages carry the status and X's own error text, never credentials or request headers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests
import tweepy

from connectors.errors import ConnectorError, Forbidden, MalformedResponse, NetworkError
from connectors.http_faults import (
    for_status,
    header,
    longest_wait,
    number,
    retry_after_header,
)

PLATFORM = "x"
_DAILY_LIMITS = ("x-user-limit-24hour", "x-app-limit-24hour")
_GONE_HINTS = ("deleted or not visible", "has been deleted", "no longer available")


def retry_after(headers: Mapping[str, str], reset_time: int | None, now: float) -> float:
    """Seconds to wait after a 429, from X's own headers.

    ``Retry-After`` (seconds or HTTP date) if present; else the latest reset among exhausted
    windows: the 15-minute ``x-rate-limit-reset`` and the 24-hour ``x-user-limit-24hour-reset``
    / ``x-app-limit-24hour-reset`` (epoch seconds).
    """
    explicit = retry_after_header(headers, now)
    if explicit is not None:
        return longest_wait([explicit])
    window = reset_time if reset_time is not None else number(header(headers, "x-rate-limit-reset"))
    resets = [] if window is None else [float(window)]
    for prefix in _DAILY_LIMITS:
        reset = number(header(headers, f"{prefix}-reset"))
        remaining = number(header(headers, f"{prefix}-remaining"))
        if reset is not None and remaining is not None and remaining <= 0:
            resets.append(reset)
    return longest_wait([max(resets) - now] if resets else [])


def translate(exc: Exception, *, source: str, credential: str) -> ConnectorError:
    """The connector error for ``exc``, raised by tweepy or requests during one call.

    Anything that is neither an HTTP nor a transport failure (``ValueError``, ``KeyError``,
    ``TypeError`` from decoding or from tweepy's model classes) means the answer was malformed.
    """
    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, tweepy.HTTPException):
        return _from_http(exc, credential=credential, **where)
    if isinstance(exc, requests.JSONDecodeError):
        reason = getattr(exc, "msg", None) or type(exc).__name__
        return MalformedResponse(f"X answered with invalid JSON: {reason}", **where)
    if isinstance(exc, requests.Timeout):
        return NetworkError(f"timed out talking to X: {type(exc).__name__}", **where)
    if isinstance(exc, requests.RequestException):
        return NetworkError(f"network error talking to X: {type(exc).__name__}", **where)
    return MalformedResponse(f"X answered something unexpected: {exc!r}", **where)


def _from_http(
    exc: tweepy.HTTPException, *, credential: str, platform: str, source: str
) -> ConnectorError:
    response: Any = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    detail = "; ".join(str(m) for m in exc.api_messages) or getattr(response, "reason", "")
    message = f"X said {status}: {detail}".rstrip(": ")
    if status == 403 and any(hint in detail.lower() for hint in _GONE_HINTS):
        status = 404  # X answers 403 for a post that was deleted or is no longer visible
    elif status == 402:
        message += " (plan or credits exhausted)"
    wait = 0.0
    if status == 429:
        headers = getattr(response, "headers", None) or {}
        wait = retry_after(headers, getattr(exc, "reset_time", None), time.time())
    return for_status(
        status,
        message,
        credential=credential,
        retry_after=wait,
        overrides={402: Forbidden},
        platform=platform,
        source=source,
    )
