"""Building tweepy's ``Client`` for the connector, and keeping secrets out of tweepy's logs."""

from __future__ import annotations

import logging
import re
from typing import Any

import tweepy
from requests.adapters import HTTPAdapter

from connectors.x.settings import Settings


class _TimeoutAdapter(HTTPAdapter):
    """tweepy passes no timeout to requests; this adapter supplies one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def build_client(settings: Settings) -> tweepy.Client:
    """A tweepy ``Client`` from ``settings``: raw JSON answers, no sleeping on rate limits."""

    def secret(value: Any) -> str | None:
        return None if value is None else value.get_secret_value()

    client = tweepy.Client(
        bearer_token=secret(settings.bearer_token),
        consumer_key=secret(settings.consumer_key),
        consumer_secret=secret(settings.consumer_secret),
        access_token=secret(settings.access_token),
        access_token_secret=secret(settings.access_token_secret),
        return_type=dict,
        wait_on_rate_limit=False,
    )
    client.session.mount("https://", _TimeoutAdapter(settings.timeout))
    return client


class _Redact(logging.Filter):
    """Scrub bearer tokens and known secrets from tweepy's debug log (it logs headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = re.sub(r"(Bearer\s+)[^\s'\",}]+", r"\1[redacted]", message)
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACT = _Redact()


def redact_in_logs(secrets: list[str]) -> None:
    """Scrub ``secrets`` (and any bearer token) from what tweepy logs."""
    _REDACT.secrets.update(s for s in secrets if len(s) >= 4)
    for name in ("tweepy.client", "tweepy"):
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)
