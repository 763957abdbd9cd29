"""PRAW / prawcore failures mapped into :mod:`connectors.errors`, and prawcore tuned for us.

prawcore retries 5xx answers and dropped connections itself (twice, sleeping 2-4 s) and
sleeps in-process when the ``x-ratelimit-*`` headers say the budget is spent. Salon's
scheduler and outbox own retries and backoff, and a retried ``POST /api/comment`` could
publish a reply twice, so :func:`no_retries` turns prawcore's retries off and
:func:`pending_wait` lets the connector raise :class:`RateLimited` instead of sleeping.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import prawcore
import requests
from praw.exceptions import ClientException, RedditAPIException
from prawcore.sessions import FiniteRetryStrategy

from connectors.errors import (
    AuthError,
    ConnectorError,
    Forbidden,
    MalformedResponse,
    NetworkError,
    NotFound,
    PermanentError,
    RateLimited,
)
from connectors.http_faults import (
    DEFAULT_RETRY_AFTER,
    for_status,
    header,
    longest_wait,
    number,
    retry_after_header,
)
from connectors.reddit.settings import Settings

PLATFORM = "reddit"
TOKEN_PATH = "/api/v1/access_token"
_RATELIMIT_TEXT = re.compile(r"(\d+)\s+(millisecond|second|minute|hour)s?", re.IGNORECASE)
_UNIT = {"millisecond": 0.001, "second": 1.0, "minute": 60.0, "hour": 3600.0}
_GONE_API_ERRORS = {"DELETED_COMMENT", "DELETED_LINK", "NO_THING_ID", "SUBREDDIT_NOEXIST"}
_REFUSED_API_ERRORS = {
    "TOO_OLD",
    "THREAD_LOCKED",
    "ARCHIVED",
    "SUBREDDIT_NOTALLOWED",
    "USER_BLOCKED",
    "BANNED_FROM_SUBREDDIT",
    "COMMENT_GUIDANCE_VALIDATION_FAILED",
}


@dataclass(frozen=True)
class NoRetry(FiniteRetryStrategy):
    """A prawcore retry strategy that neither retries nor sleeps."""

    retries: int = 0

    def _sleep_seconds(self) -> float | None:
        return None


def no_retries(reddit: Any) -> None:
    """Make every prawcore session of ``reddit`` issue each request exactly once."""
    for attr in ("_core", "_authorized_core", "_read_only_core"):
        core = getattr(reddit, attr, None)
        if core is not None and hasattr(core, "_retry_strategy_class"):
            core._retry_strategy_class = NoRetry


def pending_wait(reddit: Any) -> float:
    """Seconds prawcore's rate limiter would sleep before the next request (from the last
    ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` headers it saw)."""
    limiter = getattr(getattr(reddit, "_core", None), "rate_limiter", None)
    due = getattr(limiter, "next_request_timestamp_ns", None)
    if not isinstance(due, int):
        return 0.0
    return max(0.0, (due - time.monotonic_ns()) / 1e9)


def retry_after(headers: Any) -> float:
    """The wait a 429 asks for: ``Retry-After`` (seconds or HTTP date), else
    ``x-ratelimit-reset`` (seconds from now); never less than that reset when
    ``x-ratelimit-remaining`` is 0."""
    delay = retry_after_header(headers, time.time())
    reset = number(header(headers, "x-ratelimit-reset"))
    remaining = number(header(headers, "x-ratelimit-remaining"))
    if reset is not None and (delay is None or (remaining is not None and remaining <= 0)):
        delay = max(delay or 0.0, reset)
    return longest_wait([delay])


def grant_credential(settings: Settings) -> str:
    """The setting that produces the user token (what a 401 points at)."""
    if settings.username and settings.password is not None:
        return "password"
    if settings.refresh_token is not None:
        return "refresh_token"
    return "client_secret"


def _api_error(exc: RedditAPIException, settings: Settings, where: dict[str, str]) -> Exception:
    items = list(exc.items)
    kinds = {item.error_type for item in items}
    text = "; ".join(item.error_message for item in items) or "Reddit API error"
    for item in items:
        if item.error_type == "RATELIMIT":
            found = _RATELIMIT_TEXT.search(item.message or "")
            wait = (
                float(found.group(1)) * _UNIT[found.group(2).lower()]
                if found
                else DEFAULT_RETRY_AFTER
            )
            return RateLimited(f"Reddit: {item.message}", retry_after=wait, **where)
    if kinds & _GONE_API_ERRORS:
        return NotFound(f"Reddit: {text}", **where)
    if kinds & _REFUSED_API_ERRORS:
        return Forbidden(f"Reddit: {text}", **where)
    if "USER_REQUIRED" in kinds:
        return AuthError(
            f"Reddit: {text} (the credentials are app-only; set username+password or "
            "refresh_token)",
            credential=grant_credential(settings),
            **where,
        )
    return PermanentError(f"Reddit: {text}", **where)


def _status_error(response: Any, settings: Settings, where: dict[str, str], what: str) -> Exception:
    status = int(getattr(response, "status_code", 0) or 0)
    at_token = TOKEN_PATH in str(getattr(response, "url", "") or "")
    return for_status(
        status,
        f"{what}: Reddit answered {status}" + (" at the token endpoint" if at_token else ""),
        credential="client_secret" if at_token else grant_credential(settings),
        retry_after=retry_after(getattr(response, "headers", None)) if status == 429 else 0.0,
        overrides={451: Forbidden},  # unavailable for legal reasons: refused, not gone
        **where,
    )


def translate(exc: Exception, *, settings: Settings, source: str, what: str) -> Exception:
    """The :mod:`connectors.errors` exception for ``exc`` (``exc`` itself if it is not one
    the SDK raises). ``what`` names the call for the message; secrets never appear."""
    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, prawcore.BadJSON):
        kind = exc.response.headers.get("content-type", "unknown content type")
        return MalformedResponse(f"{what}: Reddit answered unparseable JSON ({kind})", **where)
    if isinstance(exc, prawcore.InsufficientScope):
        return Forbidden(f"{what}: the token lacks the OAuth scope this call needs", **where)
    if isinstance(exc, prawcore.InvalidToken):
        return AuthError(
            f"{what}: Reddit rejected the access token (401 invalid_token)",
            credential=grant_credential(settings),
            **where,
        )
    if isinstance(exc, prawcore.Redirect):
        return NotFound(f"{what}: Reddit redirected to {exc.path} (no such subreddit?)", **where)
    if isinstance(exc, prawcore.OAuthException):
        credential = (
            "client_secret"
            if exc.error in ("invalid_client", "unauthorized_client")
            else grant_credential(settings)
        )
        return AuthError(
            f"{what}: Reddit refused the login ({exc.error})", credential=credential, **where
        )
    if isinstance(exc, prawcore.ResponseException):
        return _status_error(exc.response, settings, where, what)
    if isinstance(exc, prawcore.RequestException):
        original = exc.original_exception
        return NetworkError(f"{what}: {type(original).__name__}: {original}", **where)
    if isinstance(exc, requests.RequestException) and not isinstance(exc, requests.JSONDecodeError):
        return NetworkError(f"{what}: {type(exc).__name__}: {exc}", **where)
    if isinstance(exc, json.JSONDecodeError | requests.JSONDecodeError):
        return MalformedResponse(f"{what}: Reddit answered unparseable JSON ({exc.msg})", **where)
    if isinstance(exc, RedditAPIException):
        return _api_error(exc, settings, where)
    if isinstance(exc, prawcore.InvalidInvocation):
        return AuthError(f"{what}: {exc}", credential=grant_credential(settings), **where)
    if isinstance(exc, ClientException):
        return PermanentError(f"{what}: {exc}", **where)
    if isinstance(exc, KeyError):
        return MalformedResponse(f"{what}: Reddit's answer lacks {exc}", **where)
    if isinstance(exc, RecursionError):
        return MalformedResponse(f"{what}: Reddit answered JSON nested too deeply", **where)
    return exc
