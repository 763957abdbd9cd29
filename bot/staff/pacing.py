"""Staying inside Telegram's flood limits, and riding out a 429 when we do not.

Telegram allows about one message a second in a chat, twenty a minute in a group and thirty a
second overall. :class:`Pacer` spaces calls with a leaky bucket per chat plus one for the bot
(GCRA: a burst up to the bucket size, then one call per interval). :class:`Sender` makes every
call through the pacer and, on ``RetryAfter``, waits the time Telegram names and tries again,
so a burst is delivered in order and nothing is dropped. The clock and the sleep are injected:
tests run a burst of hundreds of messages without waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram.error import RetryAfter, TelegramError

from connectors.errors import ConnectorError, RateLimited
from connectors.telegram.faults import map_error, retry_after_seconds

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Limit:
    """``burst`` calls at once, then one every ``interval`` seconds."""

    burst: int
    interval: float


OVERALL = Limit(burst=30, interval=1 / 30)
PRIVATE_CHAT = Limit(burst=1, interval=1.0)
GROUP_CHAT = Limit(burst=20, interval=3.0)  # 20 a minute


class Pacer:
    """Waits before each call as long as the limits of its chat and of the bot require."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self._due: dict[object, float] = {}  # key -> theoretical arrival time of the next call
        self._lock = asyncio.Lock()

    def _limits(self, chat_id: int | None) -> list[tuple[object, Limit]]:
        limits: list[tuple[object, Limit]] = [("*", OVERALL)]
        if chat_id is not None:
            limits.append((chat_id, GROUP_CHAT if chat_id < 0 else PRIVATE_CHAT))
        return limits

    def _delay(self, key: object, limit: Limit, now: float) -> float:
        due = max(self._due.get(key, now), now)
        return due - (limit.burst - 1) * limit.interval - now

    async def wait(self, chat_id: int | None) -> None:
        """Return when a call to ``chat_id`` (None: not tied to a chat) may be made."""
        async with self._lock:
            limits = self._limits(chat_id)
            while True:
                now = self.clock()
                delay = max(self._delay(key, limit, now) for key, limit in limits)
                if delay <= 1e-9:
                    break
                await self.sleep(delay)
            for key, limit in limits:
                self._due[key] = max(self._due.get(key, now), now) + limit.interval


class Sender:
    """Makes Bot API calls paced, retried on ``RetryAfter``, errors mapped to the connector tree
    (:class:`~connectors.errors.TransientError` makes the outbox retry later)."""

    def __init__(self, pacer: Pacer, *, token: str, max_retries: int = 5) -> None:
        self.pacer, self.token, self.max_retries = pacer, token, max_retries
        self.waited = 0.0  # seconds spent waiting on RetryAfter (for tests and logs)

    async def call(self, chat_id: int | None, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()`` for ``chat_id`` within the limits; raises a connector error."""
        for attempt in range(self.max_retries + 1):
            await self.pacer.wait(chat_id)
            try:
                return await make()
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                if attempt == self.max_retries:
                    raise RateLimited(
                        f"Telegram still says retry after {seconds:g} s after {attempt} retries",
                        retry_after=seconds,
                        platform="telegram",
                        source="staff",
                    ) from None
                log.info("Telegram asks to wait %.0f s (chat %s)", seconds, chat_id)
                self.waited += seconds
                await self.pacer.sleep(seconds)
            except TelegramError as exc:
                mapped = map_error(exc, source="staff", token=self.token)
                raise (mapped or exc) from None
        raise AssertionError("unreachable")

    async def quietly(self, chat_id: int | None, make: Callable[[], Awaitable[T]]) -> T | None:
        """Like :meth:`call`, for edits: "message is not modified" and other refusals of an
        edit are logged and return None instead of raising."""
        try:
            return await self.call(chat_id, make)
        except (ConnectorError, TelegramError) as exc:
            if "not modified" not in str(exc).lower():
                log.warning("staff bot call to chat %s failed: %s", chat_id, exc)
            return None
