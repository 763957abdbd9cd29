"""python-telegram-bot's exceptions mapped into the connector error tree.

PTB raises ``RetryAfter`` for a 429 carrying ``parameters.retry_after``, ``InvalidToken`` for
401 and 404, ``Forbidden`` for 403, ``BadRequest`` for 400, ``Conflict`` for 409, ``TimedOut``
for timeouts and a plain ``NetworkError`` for transport failures *and* any other status (5xx).
The status is not kept on the exception, so it is read back from the exception class and the
message (which PTB builds from the Bot API's ``description`` or the HTTP reason phrase), and
the shared table of :mod:`connectors.http_faults` turns it into the error.

``Bot.do_api_request`` (how the connector reads getUpdates as raw JSON) replaces the
``InvalidToken`` of a 401 or 404 by a generic one ("Either the bot token was rejected … or the
endpoint … does not exist", or ``EndPointNotFound`` once the bot is initialized) and keeps the
original as ``__cause__``: the original is what gets mapped.
"""

from __future__ import annotations

import datetime as dtm
import re
import warnings
from http import HTTPStatus

from telegram import error as tg

from connectors.errors import (
    ConnectorError,
    MalformedResponse,
    NetworkError,
    NotFound,
    PermanentError,
)
from connectors.http_faults import for_status
from connectors.telegram.wire import UnexpectedShape

PLATFORM = "telegram"
CREDENTIAL = "bot_token"

_SERVER_PHRASES = {s.phrase.lower(): s.value for s in HTTPStatus if 500 <= s.value <= 599}
_STATUS_IN_TEXT = re.compile(r"\((5\d\d)\)")
_RETRY_IN_TEXT = re.compile(r"retry after (\d+(?:\.\d+)?)", re.IGNORECASE)


def redact(text: str, secret: str | None) -> str:
    """``text`` with the bot token (and its secret half) replaced by a placeholder."""
    if not secret:
        return text
    text = text.replace(secret, "<bot_token>")
    _, _, half = secret.partition(":")
    return text.replace(half, "<secret>") if len(half) >= 8 else text


def retry_after_seconds(exc: tg.RetryAfter) -> float:
    """Seconds to wait from a ``RetryAfter`` (an int or a timedelta, depending on PTB)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def _server_status(message: str) -> int | None:
    """The 5xx status a plain ``NetworkError`` message names, if it names one."""
    found = _STATUS_IN_TEXT.search(message)
    if found:
        return int(found[1])
    lowered = message.lower()
    return next(
        (code for phrase, code in _SERVER_PHRASES.items() if lowered.startswith(phrase)), None
    )


def _status(exc: tg.TelegramError, message: str) -> int | None:
    """The HTTP status behind a PTB exception (None: not an HTTP answer)."""
    lowered = message.lower()
    if isinstance(exc, tg.RetryAfter):
        return 429
    if isinstance(exc, tg.BadRequest):  # a NetworkError subclass in PTB: test it first
        return 404 if "not found" in lowered else 400
    if isinstance(exc, tg.TimedOut):
        return None
    if isinstance(exc, tg.NetworkError):
        return 429 if lowered.startswith("too many requests") else _server_status(message)
    if isinstance(exc, tg.InvalidToken):
        return 404 if lowered.startswith("not found") else 401
    if isinstance(exc, tg.Forbidden):
        return 403
    if isinstance(exc, tg.Conflict):
        return 409
    return None


def _retry_after(exc: tg.TelegramError, message: str) -> float:
    if isinstance(exc, tg.RetryAfter):
        return retry_after_seconds(exc)
    found = _RETRY_IN_TEXT.search(message)
    return float(found[1]) if found else 1.0


def _explain(exc: tg.TelegramError, status: int, message: str) -> str:
    """``message`` with what the status means for us on Telegram."""
    if status == 400:
        return f"Telegram refused the request: {message}"
    if isinstance(exc, tg.InvalidToken):
        if status == 401:
            return f"Telegram rejected the bot token: {message}"
        return f"{message} (the Bot API also answers 404 when {CREDENTIAL} is malformed)"
    if isinstance(exc, tg.Conflict):
        return (
            f"{message} (another getUpdates consumer or a webhook uses this bot token; give "
            "the connector a bot of its own)"
        )
    return message


def _original(exc: tg.TelegramError) -> tg.TelegramError:
    """The status's own exception behind ``do_api_request``'s rewording (see the docstring)."""
    cause = exc.__cause__
    if isinstance(exc, tg.InvalidToken | tg.EndPointNotFound) and isinstance(
        cause, tg.InvalidToken
    ):
        return cause
    return exc


def map_error(
    exc: BaseException, *, source: str = "", token: str | None = None
) -> ConnectorError | None:
    """The connector error for an SDK exception, or None if ``exc`` is not the SDK's."""
    if not isinstance(exc, tg.TelegramError):
        return None
    exc = _original(exc)
    message = redact(str(exc), token)
    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, tg.ChatMigrated):
        return NotFound(
            f"the group became a supergroup with id {exc.new_chat_id}; list that id in "
            "options.chats",
            **where,
        )
    status = _status(exc, message)
    if status is not None:
        return for_status(
            status,
            _explain(exc, status, message),
            credential=CREDENTIAL,
            retry_after=_retry_after(exc, message) if status == 429 else 0.0,
            platform=PLATFORM,
            source=source,
        )
    if isinstance(exc, tg.NetworkError):  # TimedOut included
        prefix = "timed out: " if isinstance(exc, tg.TimedOut) else ""
        return NetworkError(prefix + message, **where)
    if "invalid server response" in message.lower():
        return MalformedResponse(f"the Bot API answered something not JSON: {message}", **where)
    return PermanentError(message, **where)


def malformed(exc: BaseException, *, source: str = "", token: str | None = None) -> ConnectorError:
    """A :class:`MalformedResponse` for an answer of the wrong shape: a failed shape check
    (:class:`~connectors.telegram.wire.UnexpectedShape` names the update and the field), or a
    parse failure inside the SDK (a missing ``result``)."""
    text = str(exc) if isinstance(exc, UnexpectedShape) else f"{type(exc).__name__}: {exc}"
    detail = redact(text, token)
    return MalformedResponse(
        f"the Bot API answer does not have the expected shape ({detail})",
        platform=PLATFORM,
        source=source,
    )
