"""Logging for the service: JSON lines or human lines on stderr, with every secret redacted.

:func:`configure_logging` sets up the root logger once (calling it again replaces what it set
up). Off a terminal (systemd's journal, Docker, a file) each record is one JSON object per line;
on a terminal it is a short human line. Every handler it installs carries a
:class:`RedactionFilter` that removes, from the message, the exception text and the stack:

- every configured secret value: what the loader substituted for a ``${VAR}`` reference (the
  environment or the secrets file), any account setting whose name says it is a credential
  (token, secret, password, key), the staff bot token and the database URL's password;
- common token shapes, whoever logs them (a library printing a URL, an SDK's error): Telegram
  bot tokens, ``Bearer`` and ``Authorization`` values, JWTs, ``token=``/``password=``-style
  query parameters and URL passwords.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, Any, Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import Settings

LogFormat = Literal["auto", "json", "human"]
MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 6  # shorter values would blank ordinary words; they are not real secrets
SECRET_KEY = re.compile(r"token|secret|password|passwd|api_?key|credential|private", re.I)
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OURS = "_salon_handler"  # marks the handlers configure_logging installed
# libraries whose INFO lines are per request or per job run: WARNING and above only
NOISY_LOGGERS = ("httpx", "httpcore", "apscheduler", "alembic.runtime.plugins")

# (pattern, replacement): shapes of credentials in text, whatever produced it
TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot token, also inside api.telegram.org/bot<token>/ URLs
    (re.compile(r"(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}"), MASK),
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), rf"\1 {MASK}"),
    (re.compile(r"(Authorization[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+", re.I), rf"\1{MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), MASK),  # JWT
    (
        re.compile(
            r"\b((?:access_|refresh_|bot_|auth_|api_)?(?:token|secret|password|passwd|api_?key|"
            r"client_secret|app_password)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+",
            re.I,
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@", re.I), rf"\1{MASK}@"),  # user:pw@
)


def secret_values(settings: Settings) -> set[str]:
    """Every secret value in ``settings`` worth hiding from the logs."""
    values = set(settings.substituted_values)
    for account in settings.accounts.values():
        values.update(_credential_values(account))
    if settings.staff.telegram.token:
        values.add(settings.staff.telegram.token)
    try:
        password = make_url(settings.database.url).password
    except ArgumentError:
        password = None
    if password:
        values.add(str(password))
    return {value for value in values if len(value) >= MIN_SECRET_LENGTH}


def _credential_values(node: Any, key: str = "") -> Iterable[str]:
    """String values under keys that name a credential, at any depth."""
    if isinstance(node, Mapping):
        for name, value in node.items():
            yield from _credential_values(value, str(name))
    elif isinstance(node, list):
        for value in node:
            yield from _credential_values(value, key)
    elif isinstance(node, str) and SECRET_KEY.search(key):
        yield node


_STANDARD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class Redactor:
    """Removes known secret values and token-shaped strings from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        ordered = sorted({s for s in secrets if s}, key=len, reverse=True)  # longest first
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced by ``[REDACTED]``."""
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        for pattern, replacement in TOKEN_PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class RedactionFilter(logging.Filter):
    """Rewrites each record so no secret reaches any output: message, exception and stack."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor
        self._exc_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format: show what we have rather than lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exc_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in vars(record).items():  # fields given with ``extra=``
            if name not in _STANDARD_FIELDS and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, exception, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        for name, value in vars(record).items():
            if name not in _STANDARD_FIELDS and not name.startswith("_"):
                data[name] = value
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(
    settings: Settings | None = None,
    *,
    log_format: LogFormat | None = None,
    level: str | None = None,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) through one redacting handler.

    ``log_format``/``level`` default to ``settings.service``; ``auto`` writes JSON lines unless
    the stream is a terminal. Returns the installed handler.
    """
    service = settings.service if settings is not None else None
    log_format = log_format or (service.log_format if service else "auto")
    level = level or (service.log_level if service else "INFO")
    stream = stream if stream is not None else sys.stderr
    if log_format == "auto":
        log_format = "human" if _is_terminal(stream) else "json"
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(HUMAN_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RedactionFilter(Redactor(secret_values(settings) if settings else ())))
    setattr(handler, _OURS, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
