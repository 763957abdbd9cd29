"""The Reddit connector over PRAW (``praw.Reddit``) and prawcore.

Listings are read with ``Reddit.request`` (one HTTP request per page, raw JSON, no lazy
objects that fetch per item); replies go through PRAW's ``reply()`` on a lazy Comment,
Submission or Message (one ``POST /api/comment``). All SDK calls of one connector are
serialized by a lock: PRAW is not thread-safe and the sync methods run in worker threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import praw
from praw.models import Comment, Message, Submission

from connectors.base import (
    Author,
    FetchResult,
    Post,
    Sent,
    Source,
    SyncConnector,
    capability_set,
)
from connectors.errors import MalformedResponse, NotFound, RateLimited, Unsupported
from connectors.reddit import normalize
from connectors.reddit.cursor import Cursor, Edge, ListingState, advance, first_mark
from connectors.reddit.faults import no_retries, pending_wait, translate
from connectors.reddit.settings import InboxOptions, SearchOptions, SubredditOptions
from connectors.reddit.settings import Settings as RedditSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
RECONCILE_PAGES = 3  # pages of the account's own history find_reply may read


@dataclass(frozen=True, slots=True)
class Listing:
    """One newest-first listing a source polls."""

    key: str  # the cursor's name for it
    path: str
    params: dict[str, str | int]


def build_client(settings: RedditSettings) -> praw.Reddit:
    """A ``praw.Reddit`` from ``settings`` (no network until the first call)."""
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    password = settings.password.get_secret_value() if settings.password else None
    refresh = settings.refresh_token.get_secret_value() if settings.refresh_token else None
    return praw.Reddit(
        client_id=settings.client_id,
        client_secret=secret,
        user_agent=settings.agent(),
        username=settings.username if password else None,
        password=password,
        refresh_token=refresh,
        check_for_updates=False,
        check_for_async=False,
        ratelimit_seconds=0,
        requestor_kwargs={"timeout": settings.timeout},
    )


def same_text(ours: str, theirs: Any) -> bool:
    """Whether a body Reddit stored is the text we sent (it trims and uses ``\\n``)."""
    if not isinstance(theirs, str):
        return False

    def norm(value: str) -> str:
        return value.replace("\r\n", "\n").strip()

    return norm(ours) == norm(theirs)


def parse_listing(data: Any, what: str, source: str) -> tuple[list[dict[str, Any]], str | None]:
    """The children and ``after`` token of a ``Listing`` (``MalformedResponse`` otherwise)."""
    body = data.get("data") if isinstance(data, dict) else None
    children = body.get("children") if isinstance(body, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("kind") != "Listing"
        or not isinstance(children, list)
    ):
        raise MalformedResponse(
            f"{what}: expected a Listing, got {type(data).__name__}",
            platform=normalize.PLATFORM,
            source=source,
        )
    after = body.get("after") if isinstance(body, dict) else None
    return children, after if isinstance(after, str) and after else None


class RedditConnector(SyncConnector):
    """Subreddits (new submissions and comments), the account's inbox, keyword search."""

    platform = "reddit"
    capabilities = capability_set("comments", "mentions", "search", "reply", "reconcile")
    Settings = RedditSettings
    feeds = {"subreddit": SubredditOptions, "inbox": InboxOptions, "search": SearchOptions}

    def __init__(self, settings: RedditSettings, *, client: praw.Reddit | None = None) -> None:
        self.settings: RedditSettings = settings
        self.reddit = client if client is not None else build_client(settings)
        no_retries(self.reddit)
        self.me = normalize.Identity(settings.username, settings.account_id)
        self._lock = threading.Lock()
        self._handle: str | None = settings.username

    def __repr__(self) -> str:
        return f"RedditConnector(username={self.settings.username!r})"

    # -- plumbing ---------------------------------------------------------------------------

    def _sdk(self, what: str, source: str, call: Callable[[], T]) -> T:
        """Run one SDK call under the lock, mapping its failures; refuse to sleep long."""
        with self._lock:
            wait = pending_wait(self.reddit)
            if wait > self.settings.max_rate_wait:
                raise RateLimited(
                    f"{what}: Reddit's x-ratelimit budget is spent, resets in {wait:.0f}s",
                    retry_after=wait,
                    platform=self.platform,
                    source=source,
                )
            log.debug("reddit %s (%s)", what, source)
            try:
                return call()
            except Exception as exc:
                mapped = translate(exc, settings=self.settings, source=source, what=what)
                if mapped is exc:
                    raise
                raise mapped from exc

    def _get(self, path: str, params: dict[str, str | int], source: str) -> Any:
        what = f"GET /{path}"
        return self._sdk(
            what, source, lambda: self.reddit.request(method="GET", path=path, params=params)
        )

    def cursor_position(self, cursor: str) -> Any:
        """Seconds since the epoch of the furthest listing the cursor covers."""
        try:
            return Cursor.decode(cursor).position()
        except ValueError:
            return float("-inf")

    # -- fetching ---------------------------------------------------------------------------

    def _listings(self, source: Source) -> tuple[list[Listing], Any]:
        options = self.feed_options(source)
        size = options.page_size
        if isinstance(options, SubredditOptions):
            where = "+".join(options.subreddits)
            paths = {"submissions": f"r/{where}/new", "comments": f"r/{where}/comments"}
            return [Listing(item, paths[item], {"limit": size}) for item in options.items], options
        if isinstance(options, InboxOptions):
            return [Listing("inbox", "message/inbox", {"limit": size, "mark": "false"})], options
        if isinstance(options, SearchOptions):
            params: dict[str, str | int] = {
                "q": options.query,
                "sort": "new",
                "t": "all",
                "type": "link",
                "limit": size,
            }
            if options.subreddits:
                params["restrict_sr"] = "on"
                path = f"r/{'+'.join(options.subreddits)}/search"
            else:
                path = "search"
            return [Listing("search", path, params)], options
        raise Unsupported(f"no feed {source.feed!r}", platform=self.platform, source=source.name)

    def _keep(self, post: Post, options: Any) -> bool:
        if not isinstance(options, InboxOptions):
            return True
        if post.id.startswith("t4_"):
            return "message" in options.types
        return post.raw.get("data", {}).get("type") in options.types

    def _page(
        self,
        source: Source,
        listing: Listing,
        state: ListingState,
        options: Any,
        warnings: list[str],
    ) -> tuple[list[Post], bool]:
        """Read one page of ``listing``: the posts it brings and whether the walk ended.

        A response that is not a Listing raises :class:`MalformedResponse`; a single child
        that cannot be read is skipped with a warning (one odd item must not stall a source).
        """
        params = dict(listing.params)
        skip_existing = state.mark is None and source.backfill_hours is None
        if state.mark is None and source.backfill_hours is not None:
            state.mark = Edge(time.time() - source.backfill_hours * 3600.0)
        if state.round is not None:
            params["after"] = state.round.after
        what = f"GET /{listing.path}"
        data = self._get(listing.path, params, source.name)
        children, after = parse_listing(data, what, source.name)
        known: list[dict[str, Any]] = []
        items: list[tuple[float, str]] = []
        for position, child in enumerate(children):
            kind = child.get("kind") if isinstance(child, dict) else None
            if kind not in ("t1", "t3", "t4") or not isinstance(child.get("data"), dict):
                continue  # e.g. a "more" stub: not an item of these listings
            try:
                items.append(
                    (normalize.created(child["data"]), normalize.fullname(kind, child["data"]))
                )
            except normalize.Shape as exc:
                warnings.append(f"{what}: skipped child {position}: {exc}")
                continue
            known.append(child)
        if skip_existing:
            state.mark = first_mark(items)
            return [], True
        step = advance(state, items, after)
        posts = []
        for index in step.new:
            try:
                post = normalize.to_post(
                    known[index], source=source.name, me=self.me, feed=source.feed
                )
            except normalize.Shape as exc:
                warnings.append(f"{what}: skipped {items[index][1]}: {exc}")
                continue
            if post is not None and self._keep(post, options):
                posts.append(post)
        return posts, step.done

    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        """Poll each listing of ``source`` newest-first down to the cursor, within
        ``source.max_pages`` requests shared round-robin between the listings."""
        listings, options = self._listings(source)
        try:
            state = Cursor.decode(cursor)
        except ValueError as exc:
            raise MalformedResponse(
                f"stored cursor is not a Reddit cursor: {exc}",
                platform=self.platform,
                source=source.name,
            ) from None
        order = [listings[(state.turn + i) % len(listings)] for i in range(len(listings))]
        done: set[str] = set()
        polled: set[str] = set()
        posts: list[Post] = []
        seen: set[str] = set()
        warnings: list[str] = []
        made = 0
        stop = False
        while not stop and made < source.max_pages and len(done) < len(order):
            for listing in order:
                if listing.key in done:
                    continue
                if made >= source.max_pages:
                    break
                if made and pending_wait(self.reddit) > self.settings.max_rate_wait:
                    stop = True  # the rate budget is spent: keep what we have, has_more says so
                    break
                page, finished = self._page(
                    source, listing, state.state(listing.key), options, warnings
                )
                made += 1
                polled.add(listing.key)
                for post in page:
                    if post.id not in seen:
                        seen.add(post.id)
                        posts.append(post)
                if finished:
                    done.add(listing.key)
        if len(polled) < len(order):  # a short budget: start with the others next time
            state.turn = (state.turn + len(polled)) % len(listings)
        # more is known to be waiting only where a walk stopped short of its mark; a listing
        # the budget did not reach is polled first next time (``turn``), not flagged here
        has_more = any(state.state(listing.key).round is not None for listing in order)
        posts.sort(key=lambda p: p.created_at)
        return FetchResult(
            posts=posts,
            next_cursor=state.encode(),
            has_more=has_more,
            requests_made=made,
            warnings=warnings,
        )

    # -- replying ---------------------------------------------------------------------------

    def _thing(self, fullname: str) -> Comment | Submission | Message:
        kind, _, ident = fullname.partition("_")
        if not ident:
            raise NotFound(f"{fullname!r} is not a Reddit fullname", platform=self.platform)
        if kind == "t1":
            return self.reddit.comment(id=ident)
        if kind == "t3":
            return self.reddit.submission(id=ident)
        if kind == "t4":
            return Message(self.reddit, {"id": ident, "name": fullname})
        raise Unsupported(f"cannot reply to a {kind} item", platform=self.platform)

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        """Reply to ``to`` (a comment, submission or message) with ``text`` (Markdown).

        Reddit has no idempotency key: ``key`` is only logged; :meth:`find_reply_sync`
        is how the outbox avoids a second reply after a crash.
        """
        thing = self._thing(to.id)
        log.info("reddit reply to %s (outbox key %s)", to.id, key)
        made = self._sdk(f"POST /api/comment on {to.id}", to.source, lambda: thing.reply(text))
        if made is None:  # quarantined subreddit: created, but Reddit does not echo it
            found = self.find_reply_sync(to, text, key)
            if found is not None:
                return found
            raise MalformedResponse(
                f"POST /api/comment on {to.id}: Reddit accepted the reply but returned no item",
                platform=self.platform,
                source=to.source,
            )
        return self._receipt(vars(made), "t4" if isinstance(made, Message) else "t1")

    def _receipt(self, data: dict[str, Any], kind: str) -> Sent:
        name = normalize.fullname(kind, data)
        url: str | None = None
        permalink = data.get("permalink")
        if kind == "t4":
            url = f"{normalize.SITE}/message/messages/{name.removeprefix('t4_')}"
        elif isinstance(permalink, str) and permalink:
            url = normalize.SITE + permalink
        return Sent(platform_id=name, url=url)

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        """Our reply to ``to`` with this text, from the account's newest comments (or sent
        messages), reading back at most until items older than ``to`` itself."""
        handle = self._handle if self._handle else self.whoami_sync().handle
        if to.id.startswith("t4_"):
            path, kind = "message/sent", "t4"
            params: dict[str, str | int] = {"limit": 100}
        else:
            path, kind = f"user/{handle}/comments", "t1"
            params = {"limit": 100, "sort": "new"}
        oldest = to.created_at.timestamp()
        for _ in range(RECONCILE_PAGES):
            data = self._get(path, params, to.source)
            children, after = parse_listing(data, f"GET /{path}", to.source)
            older = False
            for child in children:
                item = child.get("data") if isinstance(child, dict) else None
                if not isinstance(item, dict):
                    continue
                stamp = item.get("created_utc")
                if isinstance(stamp, int | float) and stamp < oldest:
                    older = True
                if item.get("parent_id") == to.id and same_text(text, item.get("body")):
                    author = item.get("author")
                    if not isinstance(author, str) or author.lower() == handle.lower():
                        return self._receipt(item, kind)
            if older or after is None:
                return None
            params = {**params, "after": after}
        return None

    # -- identity ---------------------------------------------------------------------------

    def whoami_sync(self) -> Author:
        """The account behind the credentials (``GET /api/v1/me``)."""
        data = self._get("api/v1/me", {}, "")
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise MalformedResponse("GET /api/v1/me: no account name", platform=self.platform)
        ident = data.get("id")
        profile = data.get("subreddit") if isinstance(data.get("subreddit"), dict) else {}
        followers = profile.get("subscribers") if profile else None
        title = profile.get("title") if profile else None
        self._handle = self._handle or data["name"]
        return Author(
            id=f"t2_{ident}" if isinstance(ident, str) and ident else data["name"],
            handle=data["name"],
            name=title if isinstance(title, str) and title else None,
            is_self=True,
            is_bot=False,
            followers=followers if isinstance(followers, int) else None,
        )
