"""The staff bot: the Application, its handlers, and a getUpdates loop on the service's loop.

Updates are fetched with ``getUpdates`` and each is handled to the end before the next fetch
confirms it (the offset moves past an update only once it was handled), so a crash re-delivers
rather than loses a button press; every action checks the stored state, so a re-delivered press
does no harm. Stopping interrupts only the wait for updates, never the handling of one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.models import utcnow
from bot.staff.auth import Gate
from bot.staff.buttons import Signer
from bot.staff.callbacks import Callbacks
from bot.staff.commands import COMMANDS, Commands
from bot.staff.context import StaffContext
from bot.staff.errors import StaffBotError
from bot.staff.pacing import Pacer, Sender, Sleep
from bot.staff.sink import TelegramSink
from config.settings import Settings
from connectors.errors import AuthError, ConnectorError
from connectors.telegram.connector import guard_logs  # keeps the token out of httpx's logs
from connectors.telegram.faults import map_error

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "callback_query"]
RETRY_SECONDS = 15.0  # after a failed getUpdates


def _bot(settings: Settings, token: str) -> Bot:
    tg = settings.staff.telegram
    return ExtBot(
        token,
        base_url=tg.base_url or "https://api.telegram.org/bot",
        request=HTTPXRequest(connection_pool_size=4),
        get_updates_request=HTTPXRequest(read_timeout=tg.poll_timeout + 10),
    )


class StaffBot:
    """Alerts out (:attr:`sink`), buttons and commands in (:meth:`run`)."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        bot: Bot | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        tg = settings.staff.telegram
        if not tg.token:
            raise StaffBotError("staff.telegram.token is not set (see docs/staff-bot.md)")
        if not (tg.chats or tg.users):
            raise StaffBotError(
                "staff.telegram: list the staff group's id under chats or staff user ids under"
                " users, or nobody will see the alerts (see docs/staff-bot.md)"
            )
        guard_logs(tg.token)
        self.bot = bot or _bot(settings, tg.token)
        self.sleep = sleep
        pacer = Pacer(clock=monotonic, sleep=sleep)
        self.ctx = StaffContext(
            settings, engine, self.bot, Sender(pacer, token=tg.token), Signer(tg.token), clock
        )
        self.sink = TelegramSink(self.ctx, ready=self.initialize)
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().bot(self.bot).updater(None).job_queue(None).build()
        )
        self._register()
        self.offset: int | None = None
        self._initialized = False
        self._init_lock = asyncio.Lock()

    def _register(self) -> None:
        gate, calls, cmds = Gate(self.ctx), Callbacks(self.ctx), Commands(self.ctx)
        self.gate = gate
        self.app.add_handler(TypeHandler(Update, gate), group=-1)
        self.app.add_handler(CallbackQueryHandler(calls.on_press))
        for name in ("inbox", "status", "digest", "mute", "pause", "resume", "help"):
            self.app.add_handler(CommandHandler(name, getattr(cmds, name)))
        self.app.add_handler(CommandHandler("start", cmds.help))
        self.app.add_handler(
            MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, calls.on_reply)
        )
        self.app.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("staff bot handler failed: %s", context.error, exc_info=context.error)

    async def initialize(self) -> None:
        """Connect (getMe), once; errors as the connector tree."""
        async with self._init_lock:
            if not self._initialized:
                try:
                    await self.app.initialize()
                except TelegramError as exc:
                    token = self.ctx.sender.token
                    raise (map_error(exc, source="staff", token=token) or exc) from None
                self._initialized = True

    async def register_commands(self) -> None:
        """Publish the command list (setMyCommands)."""
        await self.ctx.sender.call(None, lambda: self.bot.set_my_commands(COMMANDS))

    async def fetch(self, timeout: float) -> tuple[Update, ...]:
        """One getUpdates call from the current offset (errors as the connector tree)."""
        return await self.ctx.sender.call(
            None,
            lambda: self.bot.get_updates(
                offset=self.offset, timeout=int(timeout), allowed_updates=ALLOWED_UPDATES
            ),
        )

    async def handle(self, updates: tuple[Update, ...]) -> None:
        """Handle each update to the end, then move the offset past it."""
        for update in updates:
            await self.app.process_update(update)
            self.offset = update.update_id + 1

    async def poll_once(self, timeout: float = 0) -> int:
        """Fetch and handle one batch of updates; the number handled."""
        await self.initialize()
        updates = await self.fetch(timeout)
        await self.handle(updates)
        return len(updates)

    async def start(self) -> None:
        """Connect and publish the commands (errors as the connector tree)."""
        await self.initialize()
        await self.register_commands()

    async def run(self, stopping: asyncio.Event) -> None:
        """Handle updates until ``stopping`` is set (the service's loop runs this as a task).

        A bad token stops the bot (logged); network trouble is retried."""
        timeout = self.ctx.settings.staff.telegram.poll_timeout
        while True:
            try:
                await self.start()
                break
            except AuthError as exc:
                log.error("staff bot not started: %s", exc)
                return
            except ConnectorError as exc:
                log.warning("staff bot could not connect (%s); retrying", exc)
                if await self._stopped_within(stopping, RETRY_SECONDS):
                    return
        stop = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                fetch = asyncio.ensure_future(self.fetch(timeout))
                await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                try:
                    updates = fetch.result()
                except AuthError as exc:
                    log.error("staff bot stopped: %s", exc)
                    return
                except Exception as exc:  # network trouble, or a bug: never stop for good
                    log.warning("staff bot could not fetch updates (%s); retrying", exc)
                    if await self._stopped_within(stopping, RETRY_SECONDS):
                        return
                    continue
                await self.handle(updates)
        finally:
            stop.cancel()

    async def _stopped_within(self, stopping: asyncio.Event, seconds: float) -> bool:
        """Wait ``seconds`` (the injected sleep) unless stopped first; True if stopped."""
        pause = asyncio.ensure_future(self.sleep(seconds))
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({pause, stop}, return_when=asyncio.FIRST_COMPLETED)
        pause.cancel()
        stop.cancel()
        return stopping.is_set()

    async def aclose(self) -> None:
        """Close the bot's HTTP connections."""
        if self._initialized:
            await self.app.shutdown()
            self._initialized = False
