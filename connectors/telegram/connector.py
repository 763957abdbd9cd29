"""The Telegram connector: the institution's channel and its discussion group via getUpdates.

One feed, ``updates``: each fetch makes exactly one ``getUpdates`` call (timeout 0) with the
saved offset. getUpdates *confirms* every update below the offset it is given, so the connector
never pages ahead on its own: it returns ``last update_id + 1`` as the cursor, and only the next
fetch, after the store has saved the batch, sends it. ``has_more`` says a full page came back.

Updates are read as raw Bot API JSON (``Bot.do_api_request`` without a return type), checked
by :mod:`connectors.telegram.wire` and normalized as dicts: parsing them into PTB objects and
rebuilding the JSON for ``Post.raw`` took nine tenths of the time (bench/bench_connectors.py).
PTB still does the HTTP, the status handling and the errors (``RetryAfter`` and friends), and
sends the replies.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from telegram import Bot, Message, ReplyParameters
from telegram.error import TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from connectors.base import (
    Author,
    Connector,
    ConnectorSettings,
    FetchResult,
    Post,
    Sent,
    Source,
    capability_set,
)
from connectors.errors import ConnectorError, PermanentError, Unsupported
from connectors.telegram.faults import malformed, map_error, redact
from connectors.telegram.normalize import (
    PLATFORM,
    Normalizer,
    permalink,
    post_id,
    split_post_id,
)
from connectors.telegram.settings import TelegramSettings, UpdatesOptions, updates_queue
from connectors.telegram.wire import JSON, MESSAGE_KEYS, check_updates

T = TypeVar("T")

ALLOWED_UPDATES = MESSAGE_KEYS
_LOGGERS_WITH_URLS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")


class _RedactToken(logging.Filter):
    """Replaces bot tokens in log records (httpx logs every URL, and the URL holds the token)."""

    def __init__(self) -> None:
        super().__init__("salon-telegram-redact")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.tokens:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a broken record is the logging system's business
            return True
        cleaned = text
        for token in self.tokens:
            cleaned = redact(cleaned, token)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


_REDACTOR = _RedactToken()


def guard_logs(token: str) -> None:
    """Keep ``token`` out of the log lines of httpx and PTB (they log Bot API URLs)."""
    _REDACTOR.tokens.add(token)
    for name in _LOGGERS_WITH_URLS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


def _allow_raw_get_updates() -> None:
    """Silence the one warning PTB gives for ``do_api_request("getUpdates")`` ("Please use
    Bot.getUpdates instead"): the raw call is deliberate (see the module docstring). The filter
    names that exact message, and adding it again replaces it rather than piling up."""
    warnings.filterwarnings(
        "ignore", message=r"Please use 'Bot\.getUpdates' instead", category=PTBUserWarning
    )


class TelegramConnector(Connector):
    """Telegram groups and channel comments through a bot (python-telegram-bot 22)."""

    platform: ClassVar[str] = PLATFORM
    capabilities = capability_set("comments", "mentions", "thread", "reply")
    Settings: ClassVar[type[TelegramSettings]] = TelegramSettings
    feeds: ClassVar[dict[str, type[UpdatesOptions]]] = {"updates": UpdatesOptions}

    @classmethod
    def exclusive_reader(cls, settings: ConnectorSettings, source: Source) -> str | None:
        """An ``updates`` source consumes its bot's getUpdates queue (one reader per bot)."""
        if source.feed != "updates" or not isinstance(settings, TelegramSettings):
            return None
        return updates_queue(settings.bot_token.get_secret_value())

    def __init__(self, settings: TelegramSettings, *, client: Bot | None = None) -> None:
        self.settings = settings
        self._token = settings.bot_token.get_secret_value()
        guard_logs(self._token)
        _allow_raw_get_updates()
        self._owned: tuple[HTTPXRequest, ...] = ()
        if client is None:
            client = self._build_bot(settings)
        self.bot = client
        self.normalizer = Normalizer(
            bot_id=settings.bot_id,
            account_id=settings.account_id,
            account_handle=settings.account_handle,
            bot_username=settings.bot_username,
        )

    def _build_bot(self, settings: TelegramSettings) -> Bot:
        seconds = settings.timeout

        def make(pool: int) -> HTTPXRequest:
            return HTTPXRequest(
                connection_pool_size=pool,
                read_timeout=seconds,
                connect_timeout=seconds,
                write_timeout=seconds,
                pool_timeout=seconds,
            )

        updates_request, request = make(1), make(4)
        self._owned = (updates_request, request)
        return Bot(
            self._token,
            base_url=settings.base_url,
            request=request,
            get_updates_request=updates_request,
        )

    def __repr__(self) -> str:
        who = self.settings.account_handle or self.settings.account_id or self.settings.bot_id
        return f"TelegramConnector(account={who!r})"

    # -- calls ----------------------------------------------------------------------------
    async def _call(self, make: Callable[[], Awaitable[T]], source: str = "") -> T:
        """Run one SDK call, mapping its failures into :mod:`connectors.errors`."""
        try:
            return await make()
        except ConnectorError:
            raise
        except TelegramError as exc:
            mapped = map_error(exc, source=source, token=self._token) or PermanentError(
                redact(str(exc), self._token), platform=PLATFORM, source=source
            )
            raise mapped from (None if self._token in str(exc) else exc)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            # an answer without ``result``, updates of the wrong shape (wire.UnexpectedShape),
            # or JSON nested too deep for json.loads (PTB lets its RecursionError through)
            raise malformed(exc, source=source, token=self._token) from None

    async def _get_updates(self, source: str, **params: Any) -> list[JSON]:
        """One getUpdates call; its ``result`` as raw JSON, shape-checked (see ``wire``)."""
        kwargs = {"timeout": 0, **params, "allowed_updates": ALLOWED_UPDATES}

        async def call() -> list[JSON]:
            result = await self.bot.do_api_request("getUpdates", api_kwargs=kwargs)
            return check_updates(result)

        return await self._call(call, source)

    # -- protocol -------------------------------------------------------------------------
    def cursor_position(self, cursor: str) -> int:
        """The getUpdates offset the cursor holds."""
        return int(cursor)

    async def fetch(self, source: Source, cursor: str | None) -> FetchResult:
        """One getUpdates call from the cursor's offset; see the module docstring."""
        options: UpdatesOptions = self.feed_options(source)
        if source.max_pages < 1:
            return FetchResult(posts=[], next_cursor=cursor, has_more=True, requests_made=0)
        if cursor is None and source.backfill_hours is None:
            # first run, skip what is queued: offset -1 returns (only) the newest update
            newest = await self._get_updates(source.name, offset=-1, limit=1)
            start = max((u["update_id"] for u in newest), default=-1) + 1
            return FetchResult(posts=[], next_cursor=str(start), requests_made=1)
        try:
            offset = self.cursor_position(cursor) if cursor is not None else None
        except ValueError:
            raise PermanentError(
                f"cursor {cursor!r} is not a getUpdates offset",
                platform=PLATFORM,
                source=source.name,
            ) from None
        since = None
        if cursor is None and source.backfill_hours is not None:
            since = datetime.now(UTC) - timedelta(hours=source.backfill_hours)
        updates = await self._get_updates(
            source.name, offset=offset or None, limit=options.page_size
        )
        fresh = [u for u in updates if offset is None or u["update_id"] >= offset]
        posts, warnings = self.normalizer.posts(fresh, options, source.name, since=since)
        if fresh:
            next_cursor: str | None = str(max(u["update_id"] for u in fresh) + 1)
        else:
            next_cursor = cursor if cursor is not None else "0"
        return FetchResult(
            posts=posts,
            next_cursor=next_cursor,
            has_more=len(fresh) >= options.page_size,
            requests_made=1,
            warnings=warnings,
        )

    async def reply(self, to: Post, text: str, key: str) -> Sent:
        """Answer ``to`` in its chat as a Telegram reply (plain text, no parse mode)."""
        if to.platform != PLATFORM:
            raise Unsupported(f"cannot reply to a {to.platform} post", platform=PLATFORM)
        try:
            chat_id, message_id = split_post_id(to.id)
        except ValueError as exc:
            raise PermanentError(str(exc), platform=PLATFORM, source=to.source) from None
        sent: Message = await self._call(
            lambda: self.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=None,
                reply_parameters=ReplyParameters(message_id=message_id),
            ),
            to.source,
        )
        topic = sent.message_thread_id if sent.is_topic_message else None
        return Sent(
            platform_id=post_id(sent.chat.id, sent.message_id),
            url=permalink(sent.chat.to_dict(), sent.message_id, topic),
        )

    async def whoami(self) -> Author:
        """The bot the token belongs to (getMe)."""
        me = await self._call(self.bot.get_me)
        if me.username:  # from now on @-mentions of the bot count as mentions of us
            self.normalizer.handles.add(me.username.lower())
        return Author(
            id=str(me.id),
            handle=me.username or str(me.id),
            name=me.full_name or None,
            is_self=True,
            is_bot=True,
        )

    async def aclose(self) -> None:
        """Close the HTTP clients this connector built (a given ``client`` is the caller's)."""
        for request in self._owned:
            await request.shutdown()
