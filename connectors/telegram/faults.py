"""python-telegram-bot's exceptions mapped into the connector error tree.

PTB raises ``RetryAfter`` for a 429 carrying ``parameters.retry_after``, ``InvalidToken`` for
401 and 404, ``Forbidden`` for 403, ``BadRequest`` for 400, ``Conflict`` for 409, ``TimedOut``
for timeouts and a plain ``NetworkError`` for transport failures *and* any other status (5xx).
The status is not kept on the exception, so 5xx and 401/404 are told apart by the message,
which PTB builds from the Bot API's ``description`` or the HTTP reason phrase.
"""

from __future__ import annotations

import datetime as dtm
import re
import warnings
from http import HTTPStatus

from telegram import error as tg

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
)

PLATFORM = "telegram"
CREDENTIAL = "bot_token"

_SERVER_PHRASES = tuple(s.phrase.lower() for s in HTTPStatus if 500 <= s.value <= 599)
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


def _is_server_error(message: str) -> bool:
    lowered = message.lower()
    if re.search(r"\(5\d\d\)", lowered):
        return True
    return lowered.startswith(_SERVER_PHRASES)


def map_error(
    exc: BaseException, *, source: str = "", token: str | None = None
) -> ConnectorError | None:
    """The connector error for an SDK exception, or None if ``exc`` is not the SDK's."""
    message = redact(str(exc), token)
    where = {"platform": PLATFORM, "source": source}
    if isinstance(exc, tg.RetryAfter):
        return RateLimited(message, retry_after=retry_after_seconds(exc), **where)
    if isinstance(exc, tg.TimedOut):
        return NetworkError(f"timed out: {message}", **where)
    if isinstance(exc, tg.BadRequest):  # a NetworkError subclass in PTB: test it first
        if "not found" in message.lower():
            return NotFound(message, **where)
        return PermanentError(f"Telegram refused the request: {message}", **where)
    if isinstance(exc, tg.NetworkError):
        if message.lower().startswith("too many requests"):
            found = _RETRY_IN_TEXT.search(message)
            return RateLimited(message, retry_after=float(found[1]) if found else 1.0, **where)
        if _is_server_error(message):
            return ServerError(message, **where)
        return NetworkError(message, **where)
    if isinstance(exc, tg.InvalidToken):
        if message.lower().startswith("not found"):
            return NotFound(
                f"{message} (the Bot API also answers 404 when {CREDENTIAL} is malformed)",
                **where,
            )
        return AuthError(
            f"Telegram rejected {CREDENTIAL}: {message}", credential=CREDENTIAL, **where
        )
    if isinstance(exc, tg.Forbidden):
        return Forbidden(message, **where)
    if isinstance(exc, tg.ChatMigrated):
        return NotFound(
            f"the group became a supergroup with id {exc.new_chat_id}; list that id in "
            "options.chats",
            **where,
        )
    if isinstance(exc, tg.Conflict):
        return PermanentError(
            f"{message} (another getUpdates consumer or a webhook uses this bot token; give "
            "the connector a bot of its own)",
            **where,
        )
    if isinstance(exc, tg.TelegramError):
        if "invalid server response" in message.lower():
            return MalformedResponse(f"the Bot API answered something not JSON: {message}", **where)
        return PermanentError(message, **where)
    return None


def malformed(exc: BaseException, *, source: str = "", token: str | None = None) -> ConnectorError:
    """A :class:`MalformedResponse` for a parse failure inside the SDK (missing keys, types)."""
    detail = redact(f"{type(exc).__name__}: {exc}", token)
    return MalformedResponse(
        f"the Bot API answer does not have the expected shape ({detail})",
        platform=PLATFORM,
        source=source,
    )
