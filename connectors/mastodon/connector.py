"""The Mastodon connector: ``mentions``, ``hashtag`` and ``context`` feeds, replies, whoami.

Built on Mastodon.py (``mastodon.Mastodon``, blocking, requests-based), so it is a
:class:`SyncConnector` whose calls run in a worker thread. The SDK client is constructed with
``ratelimit_method="throw"`` (it never sleeps; a 429 becomes :class:`RateLimited`) and
``version_check_mode="none"`` (no ``/api/v1/instance`` probe). Every SDK call is exactly one HTTP
request, counted against ``source.max_pages``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from mastodon import Mastodon
from mastodon.errors import MastodonError
from pydantic import BaseModel

from connectors.base import (
    Author,
    FetchResult,
    Post,
    PostKind,
    Sent,
    Source,
    SyncConnector,
    capability_set,
)
from connectors.errors import MalformedResponse, PermanentError
from connectors.mastodon.cursors import ContextCursor, Thread, check_id_cursor, position
from connectors.mastodon.faults import (
    PLATFORM,
    WireTap,
    map_error,
    rate_limit_exhausted,
    response_json,
)
from connectors.mastodon.normalize import (
    Identity,
    author_of,
    created_at,
    id_key,
    kind_of,
    link_threads,
    newest,
    snowflake_at,
    status_id,
    status_to_post,
)
from connectors.mastodon.replies import comparable_body, compose_reply, reply_visibility
from connectors.mastodon.settings import ContextOptions, HashtagOptions, MentionsOptions
from connectors.mastodon.settings import Settings as MastodonSettings
from connectors.mastodon.text import html_to_text
from connectors.mastodon.threads import absorb_context, replies_count

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Budget:
    """Requests one fetch may still make (``max_pages``), stopped early when the window is spent."""

    limit: int
    used: int = 0
    spent_window: bool = False  # X-RateLimit-Remaining said 0: do not ask for a 429

    def can(self) -> bool:
        return self.used < self.limit and not self.spent_window


def _plain(value: Any) -> Any:
    """Mastodon.py's typed objects back to JSON-able values (used when no response was tapped)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return str(value)  # also MaybeSnowflakeIdType
    return value


class MastodonConnector(SyncConnector):
    """Mastodon through Mastodon.py; see docs/connectors/mastodon.md."""

    platform: ClassVar[str] = PLATFORM
    # feeds: "mentions" -> mentions, "hashtag" -> timeline, "context" -> thread;
    # reconcile: find_reply reads status_context
    capabilities = capability_set("mentions", "timeline", "thread", "reply", "reconcile")
    Settings: ClassVar[type[MastodonSettings]] = MastodonSettings
    feeds: ClassVar[dict[str, type[BaseModel]]] = {
        "mentions": MentionsOptions,
        "hashtag": HashtagOptions,
        "context": ContextOptions,
    }

    def __init__(self, settings: MastodonSettings, *, client: Any = None) -> None:
        if not isinstance(settings, MastodonSettings):
            settings = MastodonSettings.model_validate(settings)
        self.settings = settings
        self._owns_client = client is None
        self._client: Any = client if client is not None else self._build_client(settings)
        method = getattr(self._client, "ratelimit_method", "throw")
        if method != "throw":
            log.warning(
                "mastodon: the given client uses ratelimit_method=%r; it may sleep inside a "
                "fetch. Build it with ratelimit_method='throw'.",
                method,
            )
        self._tap = WireTap()
        if not self._tap.attach(self._client):
            log.debug("mastodon: client has no requests session; raw payloads come from the SDK")
        self._learned: Identity | None = None

    def __repr__(self) -> str:
        who = self.settings.handle or self.settings.account_id or "?"
        return f"MastodonConnector({self.settings.api_base_url!r}, account={who!r})"

    @staticmethod
    def _build_client(settings: MastodonSettings) -> Mastodon:
        try:
            return Mastodon(
                access_token=settings.access_token.get_secret_value(),
                api_base_url=settings.api_base_url,
                ratelimit_method="throw",
                version_check_mode="none",
                request_timeout=settings.request_timeout,
                user_agent=settings.user_agent,
            )
        except MastodonError as exc:
            raise PermanentError(
                f"cannot build the Mastodon client: {type(exc).__name__}", platform=PLATFORM
            ) from None

    # -- plumbing -----------------------------------------------------------------------

    def cursor_position(self, cursor: str) -> Any:
        """Ids sort by (length, text); the context cursor sorts by its ``high`` id."""
        return position(cursor)

    def _call(self, what: str, source: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run one SDK call (one HTTP request) and return the response's JSON."""
        self._tap.reset()
        try:
            result = fn(*args, **kw)
        except MastodonError as exc:
            raise map_error(
                exc,
                what=what,
                source=source,
                response=self._tap.last,
                client_reset=getattr(self._client, "ratelimit_reset", None),
                secrets=(self.settings.access_token.get_secret_value(),),
            ) from exc
        response = self._tap.last
        if response is None:
            return _plain(result)
        return response_json(response, what=what, source=source)

    def _page(
        self, what: str, source: str, budget: _Budget, fn: Callable[..., Any], *a: Any, **kw: Any
    ) -> list[dict[str, Any]]:
        """One counted request returning a JSON array of objects."""
        budget.used += 1
        body = self._call(what, source, fn, *a, **kw)
        if rate_limit_exhausted(self._tap.last):
            budget.spent_window = True
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise MalformedResponse(
                f"{what}: expected a JSON array of objects, got {type(body).__name__}",
                platform=PLATFORM,
                source=source,
            )
        return body

    def _identity(self) -> Identity:
        learned = self._learned
        return Identity(
            account_id=self.settings.account_id or (learned.account_id if learned else None),
            handle=self.settings.handle or (learned.handle if learned else None),
            host=self.settings.host,
        )

    def _ensure_identity(self, source: str, budget: _Budget | None, *, need_id: bool) -> bool:
        """Learn the account from ``verify_credentials`` when settings do not say enough."""
        ident = self._identity()
        if ident.account_id is not None or (ident.handle is not None and not need_id):
            return True
        if budget is not None:
            if not budget.can():
                return False
            budget.used += 1
        self.whoami_sync(source=source)
        return True

    def _forward(
        self,
        source: str,
        budget: _Budget,
        cursor: str,
        limit: int,
        fetch_page: Callable[[str], list[dict[str, Any]]],
    ) -> tuple[list[dict[str, Any]], str, bool]:
        """Page forward from ``cursor`` with ``min_id`` within the budget."""
        at = cursor
        collected: list[dict[str, Any]] = []
        has_more = False
        while budget.can():
            page = fetch_page(at)
            fresh = [
                item
                for item in page
                if id_key(status_id(item, source=source, where="item")) > id_key(at)
            ]
            collected.extend(fresh)
            if fresh:
                at = newest(*(str(item["id"]) for item in fresh)) or at
            has_more = len(page) >= limit and bool(fresh)
            if not has_more:
                break
        return collected, at, has_more

    # -- fetch --------------------------------------------------------------------------

    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        """Fetch one bounded batch of ``source`` (see the feed methods)."""
        options = self.feed_options(source)
        if isinstance(options, MentionsOptions):
            return self._fetch_mentions(source, options, cursor)
        if isinstance(options, HashtagOptions):
            return self._fetch_hashtag(source, options, cursor)
        return self._fetch_context(source, options, cursor)

    def _fetch_mentions(
        self, source: Source, opts: MentionsOptions, cursor: str | None
    ) -> FetchResult:
        budget = _Budget(source.max_pages)
        if not self._ensure_identity(source.name, budget, need_id=False) or not budget.can():
            return FetchResult([], cursor, has_more=True, requests_made=budget.used)

        def page(**kw: Any) -> list[dict[str, Any]]:
            return self._page(
                "GET /api/v1/notifications",
                source.name,
                budget,
                self._client.notifications,
                types=list(opts.types),
                **kw,
            )

        if cursor is None and source.backfill_hours is None:
            first = page(limit=1)
            top = newest(*(status_id(n, source=source.name, where="notification") for n in first))
            return FetchResult([], top or "0", False, budget.used)
        if cursor is None:
            items, cursor_out = self._mentions_backfill(source, opts, budget, page)
            has_more = False
        else:
            start = check_id_cursor(cursor, source=source.name)
            items, cursor_out, has_more = self._forward(
                source.name, budget, start, opts.limit, lambda at: page(min_id=at, limit=opts.limit)
            )
        ident = self._identity()
        posts: dict[str, Post] = {}
        for note in items:
            if note.get("type") not in opts.types:
                continue
            status = note.get("status")
            if not isinstance(status, dict):
                log.info("mastodon: notification %s has no status (removed)", note.get("id"))
                continue
            post = status_to_post(
                status,
                identity=ident,
                source=source.name,
                kind=kind_of(status, PostKind.MENTION),
                raw=note,
                mentions_self=True,
            )
            posts.setdefault(post.id, post)
        return FetchResult(link_threads(list(posts.values())), cursor_out, has_more, budget.used)

    def _mentions_backfill(
        self,
        source: Source,
        opts: MentionsOptions,
        budget: _Budget,
        page: Callable[..., list[dict[str, Any]]],
    ) -> tuple[list[dict[str, Any]], str]:
        """First run with backfill: walk back (``max_id``) to the cutoff, within the budget.

        Notification ids are not time-based, so the walk is newest to oldest; what does not
        fit in ``max_pages`` pages is left behind (the cursor starts at the newest).
        """
        hours = float(source.backfill_hours or 0)
        cutoff = datetime.now(UTC) - timedelta(hours=hours)
        collected: list[dict[str, Any]] = []
        top: str | None = None
        before: str | None = None
        while budget.can():
            items = page(limit=opts.limit, max_id=before) if before else page(limit=opts.limit)
            if not items:
                break
            ids = [status_id(n, source=source.name, where="notification") for n in items]
            top = newest(top, *ids)
            within = [n for n in items if created_at(n, source=source.name) >= cutoff]
            collected.extend(within)
            if len(within) < len(items) or len(items) < opts.limit:
                break
            before = min(ids, key=id_key)
        return collected, top or "0"

    def _fetch_hashtag(
        self, source: Source, opts: HashtagOptions, cursor: str | None
    ) -> FetchResult:
        budget = _Budget(source.max_pages)
        if not self._ensure_identity(source.name, budget, need_id=False) or not budget.can():
            return FetchResult([], cursor, has_more=True, requests_made=budget.used)
        endpoint = f"/api/v1/timelines/tag/{quote(opts.tag, safe='')}"

        def page(min_id: str | None, limit: int) -> list[dict[str, Any]]:
            # Mastodon.py's timeline_hashtag() first probes /api/v2/instance (and re-probes on
            # every call when that fails); the SDK's own pagination call goes straight to the
            # endpoint, so one page is exactly one request.
            params: dict[str, Any] = {
                "_pagination_method": "GET",
                "_pagination_endpoint": endpoint,
                "limit": limit,
            }
            if min_id is not None:
                params["min_id"] = min_id
            for flag in ("local", "remote", "only_media"):
                if getattr(opts, flag):
                    params[flag] = "true"
            return self._page(
                f"GET {endpoint}", source.name, budget, self._client.fetch_previous, params
            )

        if cursor is None and source.backfill_hours is None:
            first = page(None, 1)
            top = newest(*(status_id(s, source=source.name) for s in first))
            return FetchResult([], top or snowflake_at(datetime.now(UTC)), False, budget.used)
        if cursor is None:
            hours = float(source.backfill_hours or 0)
            start = snowflake_at(datetime.now(UTC) - timedelta(hours=hours))
        else:
            start = check_id_cursor(cursor, source=source.name)
        items, cursor_out, has_more = self._forward(
            source.name, budget, start, opts.limit, lambda at: page(at, opts.limit)
        )
        ident = self._identity()
        posts: dict[str, Post] = {}
        for status in items:
            if status.get("reblog"):
                continue  # boosts are not conversation (tag timelines normally omit them)
            default = PostKind.REPLY if status.get("in_reply_to_id") else PostKind.POST
            post = status_to_post(
                status, identity=ident, source=source.name, kind=kind_of(status, default)
            )
            posts.setdefault(post.id, post)
        return FetchResult(link_threads(list(posts.values())), cursor_out, has_more, budget.used)

    def _fetch_context(
        self, source: Source, opts: ContextOptions, cursor: str | None
    ) -> FetchResult:
        """Replies under the account's recent statuses.

        One request lists the own statuses (``account_statuses``); a status's thread is read
        (``status_context``) only when its ``replies_count`` changed since the last scan, so an
        idle poll is one request. Each watched status keeps its own watermark in the cursor.
        """
        budget = _Budget(source.max_pages)
        state = ContextCursor.load(cursor, source=source.name) if cursor else None
        if not self._ensure_identity(source.name, budget, need_id=True) or not budget.can():
            return FetchResult([], cursor, has_more=True, requests_made=budget.used)
        ident = self._identity()
        own = self._page(
            "GET /api/v1/accounts/:id/statuses",
            source.name,
            budget,
            self._client.account_statuses,
            ident.account_id,
            exclude_reblogs=True,
            limit=opts.statuses,
        )
        now = datetime.now(UTC)
        too_old = now - timedelta(hours=opts.max_age_hours)
        window = [
            s for s in own if not s.get("reblog") and created_at(s, source=source.name) >= too_old
        ]
        window.sort(key=lambda s: id_key(status_id(s, source=source.name)), reverse=True)
        if state is None:
            if source.backfill_hours is None:
                floor = newest(snowflake_at(now), *(str(s["id"]) for s in window)) or "0"
                first = {str(s["id"]): Thread(floor, replies_count(s)) for s in window}
                return FetchResult(
                    [], ContextCursor(floor, floor, first).dump(), False, budget.used
                )
            floor = snowflake_at(now - timedelta(hours=float(source.backfill_hours)))
            state = ContextCursor(floor, floor, {})

        threads: dict[str, Thread] = {}
        posts: dict[str, Post] = {}
        for status in window:
            sid = str(status["id"])
            known = state.threads.get(sid)
            if known is None:
                known = Thread(newest(state.floor, sid) or sid, 0)
                if not status.get("in_reply_to_id") and id_key(sid) > id_key(state.floor):
                    posts[sid] = status_to_post(
                        status,
                        identity=ident,
                        source=source.name,
                        kind=kind_of(status, PostKind.POST),
                    )
            threads[sid] = Thread(known.watermark, known.replies)

        has_more = False
        for status in window:
            sid = str(status["id"])
            if replies_count(status) == threads[sid].replies:
                continue  # nothing new under it (or a scan of an ancestor covered it)
            if not budget.can():
                has_more = True
                break
            budget.used += 1
            body = self._call(
                "GET /api/v1/statuses/:id/context",
                source.name,
                self._client.status_context,
                sid,
            )
            if rate_limit_exhausted(self._tap.last):
                budget.spent_window = True
            absorb_context(status, body, threads, posts, ident, source.name)

        high = newest(
            state.high, state.floor, *posts.keys(), *(t.watermark for t in threads.values())
        )
        result_cursor = ContextCursor(state.floor, high or state.high, threads).dump()
        return FetchResult(link_threads(list(posts.values())), result_cursor, has_more, budget.used)

    # -- replies ------------------------------------------------------------------------

    def _reply_visibility(self, to: Post) -> str:
        return reply_visibility(to, self.settings.reply_visibility)

    def compose_reply(self, to: Post, text: str) -> str:
        """The status text we post for ``text`` (see :func:`replies.compose_reply`)."""
        return compose_reply(to, text)

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        """Post ``text`` in reply to ``to`` (``key`` goes out as the Idempotency-Key)."""
        body = self.compose_reply(to, text)
        status = self._call(
            "POST /api/v1/statuses",
            to.source,
            self._client.status_post,
            body,
            in_reply_to_id=to.id,
            visibility=self._reply_visibility(to),
            idempotency_key=key,
        )
        sid = status_id(status, source=to.source)
        url = status.get("url") or status.get("uri")
        return Sent(platform_id=sid, url=url if isinstance(url, str) else None)

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        """Our existing reply to ``to`` with this text, from ``status_context(to.id)``."""
        self._ensure_identity(to.source, None, need_id=False)
        ident = self._identity()
        body = self._call(
            "GET /api/v1/statuses/:id/context", to.source, self._client.status_context, to.id
        )
        descendants = body.get("descendants") if isinstance(body, dict) else None
        if not isinstance(descendants, list):
            raise MalformedResponse(
                f"context of {to.id}: descendants missing", platform=PLATFORM, source=to.source
            )
        wanted = comparable_body(compose_reply(to, text))
        for item in descendants:
            if not isinstance(item, dict) or str(item.get("in_reply_to_id")) != to.id:
                continue
            account = item.get("account")
            if not isinstance(account, dict) or not ident.is_self(account):
                continue
            content = item.get("content")
            said = html_to_text(content) if isinstance(content, str) else str(item.get("text"))
            if comparable_body(said) == wanted:
                url = item.get("url") or item.get("uri")
                return Sent(
                    platform_id=status_id(item, source=to.source),
                    url=url if isinstance(url, str) else None,
                )
        return None

    def whoami_sync(self, *, source: str = "") -> Author:
        """The token's account (GET /api/v1/accounts/verify_credentials)."""
        account = self._call(
            "GET /api/v1/accounts/verify_credentials",
            source,
            self._client.account_verify_credentials,
        )
        author = author_of(account, self._identity(), source=source, where="account")
        acct = author.handle.lower()
        if "@" not in acct:
            acct = f"{acct}@{self.settings.host}"
        self._learned = Identity(account_id=author.id, handle=acct, host=self.settings.host)
        return Author(
            id=author.id,
            handle=author.handle,
            name=author.name,
            is_self=True,
            is_bot=author.is_bot,
            followers=author.followers,
        )

    async def aclose(self) -> None:
        """Unhook from the SDK session (and close it when we built the client)."""
        self._tap.detach(self._client)
        if self._owns_client:
            session = getattr(self._client, "session", None)
            if session is not None:
                session.close()
