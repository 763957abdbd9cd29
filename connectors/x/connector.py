"""The X (Twitter) connector, on tweepy's API v2 ``Client``.

Feeds: ``mentions`` (``GET /2/users/:id/mentions``), ``search`` (recent search for a query)
and ``conversation`` (recent search over the threads of the account's own recent posts).
Every page asks for the post fields, the authors and the referenced posts in one call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
import tweepy
from pydantic import BaseModel

from connectors.base import (
    Author,
    ConnectorSettings,
    FetchResult,
    Post,
    Sent,
    Source,
    SyncConnector,
    capability_set,
)
from connectors.errors import Forbidden, MalformedResponse, NotFound, PermanentError, Unsupported
from connectors.x import faults
from connectors.x.client import build_client, redact_in_logs
from connectors.x.cursor import Cursor, Sweep, iso_z, snowflake_time
from connectors.x.normalize import (
    EXPANSIONS,
    PLATFORM,
    TWEET_FIELDS,
    USER_FIELDS,
    Identity,
    Page,
    as_payload,
    page_problem,
    parse_page,
    permalink,
    references,
    to_post,
    tombstones,
    unescape,
)
from connectors.x.settings import ConversationOptions, MentionsOptions, SearchOptions
from connectors.x.settings import Settings as XSettings

log = logging.getLogger(__name__)

RECENT_SEARCH_WINDOW = timedelta(days=7)
SEARCH_WINDOW_MARGIN = timedelta(minutes=5)  # stay clearly inside the 7-day window
SKIP_PAGE_SIZE = {"mentions": 5, "search": 10, "conversation": 10}
FIND_REPLY_PAGES = 3
_SDK_ERRORS = (
    tweepy.HTTPException,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    RecursionError,  # JSON nested deeper than the decoder goes
)

Call = Callable[[dict[str, str], str | None, int], Page]


class XConnector(SyncConnector):
    """Polls X through tweepy (blocking, run in a thread) and replies on the account's behalf."""

    platform: ClassVar[str] = PLATFORM
    capabilities = capability_set("mentions", "search", "thread", "reply", "reconcile")
    Settings: ClassVar[type[ConnectorSettings]] = XSettings
    feeds: ClassVar[Mapping[str, type[BaseModel]]] = {
        "mentions": MentionsOptions,
        "search": SearchOptions,
        "conversation": ConversationOptions,
    }

    def __init__(self, settings: XSettings, *, client: Any = None) -> None:
        self.settings = settings
        self.client = client if client is not None else build_client(settings)
        self._user_id = settings.known_user_id()
        self._handle = settings.handle
        redact_in_logs(settings.secret_values())

    # -- identity and auth ---------------------------------------------------------------

    @property
    def identity(self) -> Identity:
        """The institution's account as far as it is known."""
        return Identity(self._user_id, self._handle)

    @property
    def _read_user_auth(self) -> bool:
        return self.settings.bearer_token is None

    @property
    def _read_credential(self) -> str:
        return "access_token" if self._read_user_auth else "bearer_token"

    @property
    def _write_user_auth(self) -> bool:
        return self.settings.has_user_context

    @property
    def _write_credential(self) -> str:
        return "access_token" if self._write_user_auth else "bearer_token"

    def _call(self, fn: Callable[[], Any], *, source: str, credential: str) -> Any:
        try:
            return fn()
        except _SDK_ERRORS as exc:
            raise faults.translate(exc, source=source, credential=credential) from exc

    def _page(self, fn: Callable[[], Any], *, source: str) -> Page:
        result = self._call(fn, source=source, credential=self._read_credential)
        try:
            page = parse_page(result)
        except _SDK_ERRORS as exc:
            raise faults.translate(exc, source=source, credential=self._read_credential) from exc
        problem = page_problem(page, source=source)
        if problem is not None:
            raise problem
        return page

    def _account_id(self, source: str) -> tuple[str, int]:
        """The account's user id and the number of requests it took to learn it."""
        if self._user_id:
            return self._user_id, 0
        handle = self._handle or ""
        result = self._call(
            lambda: self.client.get_user(username=handle, user_auth=self._read_user_auth),
            source=source,
            credential=self._read_credential,
        )
        try:
            payload = as_payload(result)
        except _SDK_ERRORS as exc:
            raise faults.translate(exc, source=source, credential=self._read_credential) from exc
        data = payload.get("data")
        if not isinstance(data, dict) or not str(data.get("id", "")).isdigit():
            if payload.get("errors"):
                raise NotFound(f"X has no account @{handle}", platform=PLATFORM, source=source)
            raise MalformedResponse(f"no user id for @{handle}", platform=PLATFORM, source=source)
        self._user_id = str(data["id"])
        return self._user_id, 1

    def _from_operator(self) -> str:
        return f"from:{self._user_id or self._handle}"

    # -- fetching ------------------------------------------------------------------------

    def cursor_position(self, cursor: str) -> Any:
        """(watermark id, newest id seen, sweep progress): compares as the cursor advances."""
        try:
            return Cursor.loads(cursor).position()
        except ValueError:
            return (0, 0, 0)

    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        """Fetch at most ``source.max_pages`` pages newer than ``cursor``."""
        problems = self.validate_source(source)
        if problems:
            raise Unsupported("; ".join(problems), platform=PLATFORM, source=source.name)
        options = self.feed_options(source)
        if cursor is None:
            state = None
        else:
            try:
                state = Cursor.loads(cursor)
            except ValueError as exc:
                raise PermanentError(
                    f"unreadable cursor: {exc}", platform=PLATFORM, source=source.name
                ) from None
        budget = _Budget(source.max_pages)
        if source.feed == "mentions":
            return self._fetch_mentions(source, options, state, budget)
        if source.feed == "search":
            return self._fetch_search(source, options, state, budget)
        return self._fetch_conversation(source, options, state, budget)

    def _fetch_mentions(
        self, source: Source, options: MentionsOptions, state: Cursor | None, budget: _Budget
    ) -> FetchResult:
        user_id, spent = self._account_id(source.name)
        budget.spend(spent)

        def call(params: dict[str, str], token: str | None, size: int) -> Page:
            return self._page(
                lambda: self.client.get_users_mentions(
                    user_id,
                    max_results=size,
                    pagination_token=token,
                    tweet_fields=TWEET_FIELDS,
                    expansions=EXPANSIONS,
                    user_fields=USER_FIELDS,
                    user_auth=self._read_user_auth,
                    **params,
                ),
                source=source.name,
            )

        return self._run(
            source,
            state,
            call,
            budget,
            options.page_size,
            search=False,
            keep=_retweet_filter(options.include_retweets),
            mentions_feed=True,
        )

    def _fetch_search(
        self, source: Source, options: SearchOptions, state: Cursor | None, budget: _Budget
    ) -> FetchResult:
        query = options.query if options.include_retweets else f"({options.query}) -is:retweet"
        call = self._search_call(source)
        return self._run(source, state, call, budget, options.page_size, search=True, query=query)

    def _fetch_conversation(
        self,
        source: Source,
        options: ConversationOptions,
        state: Cursor | None,
        budget: _Budget,
    ) -> FetchResult:
        now = _now()
        if state is None:
            if not budget.left:
                return FetchResult([], None, True, budget.used)
            state = Cursor()
            seed = self._search_call(source)
            lookback = now - timedelta(hours=options.lookback_hours)
            params = {
                "query": f"{self._from_operator()} -is:retweet",
                "start_time": iso_z(_clamp_search_start(lookback, now)),
            }
            page = seed(params, None, 100)
            budget.spend(1)
            self._note_roots(state, [p for p in self._posts(page, source) if p.author.is_self])
            _prune_roots(state, options, now)
            start = now if source.backfill_hours is None else _backfill_start(source, now)
            state.start_time = iso_z(start)
            if source.backfill_hours is None or not budget.left:
                has_more = source.backfill_hours is not None
                return FetchResult([], state.dumps(), has_more, budget.used)
        query = _conversation_query(self._from_operator(), state.roots, options.query_max_length)
        result = self._run(
            source,
            state,
            self._search_call(source),
            budget,
            options.page_size,
            search=True,
            query=query,
        )
        self._note_roots(state, result.posts)
        _prune_roots(state, options, now)
        result.next_cursor = state.dumps()
        return result

    def _search_call(self, source: Source) -> Call:
        """Recent search; ``params`` carries the query and since_id or start_time."""

        def call(params: dict[str, str], token: str | None, size: int) -> Page:
            return self._page(
                lambda: self.client.search_recent_tweets(
                    max_results=size,
                    next_token=token,
                    sort_order="recency",
                    tweet_fields=TWEET_FIELDS,
                    expansions=EXPANSIONS,
                    user_fields=USER_FIELDS,
                    user_auth=self._read_user_auth,
                    **params,
                ),
                source=source.name,
            )

        return call

    def _run(
        self,
        source: Source,
        state: Cursor | None,
        call: Call,
        budget: _Budget,
        page_size: int,
        *,
        search: bool,
        query: str | None = None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
        mentions_feed: bool = False,
    ) -> FetchResult:
        """Walk pages newest-first from the cursor's sweep or watermark, within the budget.

        A paused sweep resumes with exactly the parameters (query included) its token was
        issued for; ids at or below the watermark, or at or above the oldest id this sweep
        already saw, are not new and are dropped.
        """
        now = _now()
        base = {} if query is None else {"query": query}
        if not budget.left:  # e.g. resolving the account id used the only request
            return FetchResult([], None if state is None else state.dumps(), True, budget.used)
        if state is None:
            if source.backfill_hours is None:
                return self._skip_existing(source, call, budget, base)
            state = Cursor(start_time=iso_z(_backfill_start(source, now)))
        floor = state.since_id or 0
        if state.sweep is not None:
            sweep = state.sweep
            params, token = sweep.params, sweep.next_token
            newest, oldest = sweep.newest_id, sweep.oldest_id
        else:
            params = {**base, **self._start_params(state, now, search)}
            token, newest, oldest = None, 0, None

        found: dict[str, Post] = {}
        done = False
        while budget.left:
            page = call(params, token, page_size)
            budget.spend(1)
            fresh: list[dict[str, Any]] = []
            reached_floor = False
            for tweet in page.tweets:
                tid = int(tweet["id"])
                if tid <= floor:
                    reached_floor = True
                elif oldest is None or tid < oldest:
                    fresh.append(tweet)
            if page.ids:
                newest = max(newest, *page.ids)
                low = min(page.ids)
                oldest = low if oldest is None else min(oldest, low)
            kept = [t for t in fresh if keep is None or keep(t)]
            posts = self._posts(page, source, kept, mentions_feed=mentions_feed)
            for post in posts:
                previous = found.get(post.key)
                if previous is None or int(post.raw.get("id", 0)) >= int(previous.raw.get("id", 0)):
                    found[post.key] = post
            token = page.meta.get("next_token") or None
            if token is None or reached_floor:
                done = True
                break

        if done:
            if newest > floor:
                state.since_id = newest
                state.start_time = None
            state.sweep = None
        else:
            assert token is not None
            state.sweep = Sweep(dict(params), str(token), max(newest, floor), oldest)
        posts = sorted(found.values(), key=lambda p: (p.created_at, int(p.id)))
        return FetchResult(posts, state.dumps(), not done, budget.used)

    def _skip_existing(
        self, source: Source, call: Call, budget: _Budget, params: dict[str, str]
    ) -> FetchResult:
        """First run without backfill: one request, no posts, a cursor at the newest item."""
        page = call(params, None, SKIP_PAGE_SIZE.get(source.feed, 10))
        budget.spend(1)
        newest = str(page.meta.get("newest_id") or "")
        ids = page.ids + ([int(newest)] if newest.isdigit() else [])
        state = Cursor(since_id=max(ids)) if ids else Cursor(start_time=iso_z(_now()))
        return FetchResult([], state.dumps(), False, budget.used)

    def _start_params(self, state: Cursor, now: datetime, search: bool) -> dict[str, str]:
        if state.since_id is not None:
            minted = snowflake_time(state.since_id)
            if search and minted is not None and minted < now - RECENT_SEARCH_WINDOW:
                # recent search refuses an old since_id; filter locally by id instead
                return {"start_time": iso_z(_clamp_search_start(minted, now))}
            return {"since_id": str(state.since_id)}
        if state.start_time is not None:
            start = datetime.fromisoformat(state.start_time.replace("Z", "+00:00"))
            if search:
                start = _clamp_search_start(start, now)
            return {"start_time": iso_z(start)}
        return {}

    def _posts(
        self,
        page: Page,
        source: Source,
        tweets: list[dict[str, Any]] | None = None,
        *,
        mentions_feed: bool = False,
    ) -> list[Post]:
        identity = self.identity
        posts: list[Post] = []
        for tweet in page.tweets if tweets is None else tweets:
            try:
                post = to_post(
                    tweet, page, source=source.name, identity=identity, mentions_feed=mentions_feed
                )
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise MalformedResponse(
                    f"post {tweet.get('id')!r} is malformed: {exc}",
                    platform=PLATFORM,
                    source=source.name,
                ) from exc
            if post is not None:
                posts.append(post)
        return posts + tombstones(posts, page, source=source.name, identity=identity)

    def _note_roots(self, state: Cursor, posts: list[Post]) -> None:
        for post in posts:
            conversation = post.conversation_id or post.id
            if post.author.is_self or conversation in state.roots:
                stamp = iso_z(post.edited_at or post.created_at)
                state.roots[conversation] = max(state.roots.get(conversation, ""), stamp)

    # -- replying ------------------------------------------------------------------------

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        """Reply to ``to``; refused (no request made) unless ``to`` mentions the account."""
        self._check_reply(to)
        target = _reply_target(to)
        result = self._call(
            lambda: self.client.create_tweet(
                text=text, in_reply_to_tweet_id=target, user_auth=self._write_user_auth
            ),
            source=to.source,
            credential=self._write_credential,
        )
        try:
            data = as_payload(result).get("data") or {}
            post_id = str(data["id"])
        except _SDK_ERRORS as exc:
            raise faults.translate(exc, source=to.source, credential="") from exc
        log.info("x: replied to %s with %s (key %s)", target, post_id, key)
        return Sent(platform_id=post_id, url=permalink(self._handle, post_id))

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        """Our earlier reply to ``to`` with this text, looked up in the account's timeline."""
        user_id, _ = self._account_id(to.source)
        targets = {to.id, _reply_target(to), *map(str, to.raw.get("edit_history_tweet_ids", []))}
        wanted = _comparable(text)
        since = str(min(int(t) for t in targets))
        token: str | None = None
        for _ in range(FIND_REPLY_PAGES):
            page = self._own_timeline(user_id, since, token, to.source)
            for tweet in page.tweets:
                parent = references(tweet).get("replied_to")
                if parent in targets and _comparable(str(tweet.get("text", ""))) == wanted:
                    return Sent(platform_id=tweet["id"], url=permalink(self._handle, tweet["id"]))
            token = page.meta.get("next_token") or None
            if token is None:
                break
        return None

    def _own_timeline(self, user_id: str, since: str, token: str | None, source: str) -> Page:
        return self._page(
            lambda: self.client.get_users_tweets(
                user_id,
                since_id=since,
                max_results=100,
                pagination_token=token,
                tweet_fields=["conversation_id", "created_at", "referenced_tweets"],
                user_auth=self._read_user_auth,
            ),
            source=source,
        )

    def _check_reply(self, to: Post) -> None:
        if to.platform != PLATFORM:
            raise Unsupported(f"cannot reply on X to a {to.platform} post", platform=PLATFORM)
        if not to.mentions_self:
            raise Forbidden(
                f"X allows automated replies only to posts that mention or quote the account; "
                f"{to.key} does not",
                platform=PLATFORM,
                source=to.source,
            )

    def whoami_sync(self) -> Author:
        """The account behind the credentials (app-only tokens: the configured account)."""
        if self.settings.has_user_context:
            result = self._call(
                lambda: self.client.get_me(user_fields=USER_FIELDS, user_auth=True),
                source="",
                credential="access_token",
            )
        else:
            user_id, handle = self._user_id, self._handle
            result = self._call(
                lambda: self.client.get_user(
                    id=user_id,
                    username=None if user_id else handle,
                    user_fields=USER_FIELDS,
                    user_auth=False,
                ),
                source="",
                credential="bearer_token",
            )
        try:
            data = as_payload(result)["data"]
            author = Author(
                id=str(data["id"]),
                handle=str(data["username"]),
                name=data.get("name"),
                is_self=True,
                followers=(data.get("public_metrics") or {}).get("followers_count"),
            )
        except _SDK_ERRORS as exc:
            raise faults.translate(exc, source="", credential="") from exc
        self._user_id = self._user_id or author.id
        self._handle = self._handle or author.handle
        return author


class _Budget:
    """Counts the HTTP requests one call may still make."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def left(self) -> bool:
        return self.used < self.limit

    def spend(self, count: int) -> None:
        self.used += count


def _now() -> datetime:
    return datetime.now(UTC)


def _backfill_start(source: Source, now: datetime) -> datetime:
    return now - timedelta(hours=source.backfill_hours or 0)


def _clamp_search_start(start: datetime, now: datetime) -> datetime:
    return max(start, now - RECENT_SEARCH_WINDOW + SEARCH_WINDOW_MARGIN)


def _retweet_filter(include: bool) -> Callable[[dict[str, Any]], bool] | None:
    if include:
        return None
    return lambda tweet: "retweeted" not in references(tweet)


def _conversation_query(from_operator: str, roots: Mapping[str, str], limit: int) -> str:
    """``(from:me OR conversation_id:...) -is:retweet`` with the most recent roots that fit."""
    parts = [from_operator]
    for root, _ in sorted(roots.items(), key=lambda item: item[1], reverse=True):
        candidate = [*parts, f"conversation_id:{root}"]
        if len(_wrap(candidate)) > limit:
            break
        parts = candidate
    return _wrap(parts)


def _wrap(parts: list[str]) -> str:
    return f"({' OR '.join(parts)}) -is:retweet"


def _prune_roots(state: Cursor, options: ConversationOptions, now: datetime) -> None:
    cutoff = iso_z(now - timedelta(hours=options.lookback_hours))
    recent = sorted(
        ((root, seen) for root, seen in state.roots.items() if seen >= cutoff),
        key=lambda item: item[1],
        reverse=True,
    )
    state.roots = dict(recent[: options.max_conversations])


def _reply_target(to: Post) -> str:
    """The id to answer: the latest version of an edited post, else the post itself."""
    version = to.raw.get("id")
    history = [str(i) for i in to.raw.get("edit_history_tweet_ids") or []]
    if isinstance(version, str) and version.isdigit() and to.id in history:
        return version
    return to.id


def _comparable(text: str) -> str:
    """Text as X stores a reply: leading @handles and t.co links do not count."""
    text = unescape(text)
    text = re.sub(r"^(?:@\w{1,15}\s+)+", "", text.strip())
    text = re.sub(r"https?://\S+", "<link>", text)
    return " ".join(text.split())
