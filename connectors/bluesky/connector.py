"""The Bluesky connector, over the atproto SDK's synchronous ``atproto.Client``.

Feeds: ``notifications`` (mentions, replies, quotes), ``search`` (latest posts for a query) and
``threads`` (replies under the account's own recent posts). Reads go through
``Client.invoke_query`` with the SDK's parameter models and keep the JSON exactly as sent (for
``Post.raw``); replies use ``Client.send_post``; reconciliation ``Client.get_post_thread``.

Requests are counted per fetch (``FetchResult.requests_made``), including a ``createSession``
login when one is needed. The SDK refreshes the access token by itself when it is about to
expire (about once every two hours); that extra request is not counted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from atproto import Client
from atproto_client import models
from atproto_client.client.session import Session
from atproto_client.exceptions import LoginRequiredError
from atproto_client.request import Request
from atproto_client.utils.facet_detection import detect_facets
from pydantic import BaseModel

from connectors.base import (
    Author,
    ConnectorSettings,
    FetchResult,
    Post,
    PostKind,
    Sent,
    Source,
    SyncConnector,
    capability_set,
)
from connectors.bluesky import cursors, faults
from connectors.bluesky.cursors import Mark, SweepCursor, ThreadsCursor, ThreadState
from connectors.bluesky.normalize import (
    BLOCKED_POST,
    NOT_FOUND_POST,
    PLATFORM,
    AtUri,
    BadItem,
    Identity,
    author_from,
    permalink,
    post_from_view,
    reply_refs,
    timestamp,
    tombstone,
)
from connectors.bluesky.settings import NotificationsOptions, SearchOptions, ThreadsOptions
from connectors.bluesky.settings import Settings as BlueskySettings
from connectors.errors import (
    AuthError,
    Forbidden,
    MalformedResponse,
    NotFound,
    PermanentError,
    Unsupported,
)

log = logging.getLogger(__name__)

MAX_POST_BYTES = 3000  # app.bsky.feed.post text: 300 graphemes and 3000 bytes at most
_REASON_KIND = {"reply": PostKind.REPLY, "mention": PostKind.MENTION, "quote": PostKind.MENTION}


class _Budget:
    """At most ``limit`` requests in one fetch."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.used = 0

    @property
    def left(self) -> int:
        return self.limit - self.used


class _Page:
    """One page of a newest-first feed: its items and the API cursor of the next page."""

    def __init__(self, items: list[Any], next_page: str | None) -> None:
        self.items = items
        self.next_page = next_page


class BlueskyConnector(SyncConnector):
    """Bluesky (AT Protocol) connector; pass ``client=`` to use an already-built SDK client."""

    platform: ClassVar[str] = PLATFORM
    capabilities = capability_set("mentions", "search", "thread", "reply", "reconcile")
    Settings: ClassVar[type[ConnectorSettings]] = BlueskySettings
    feeds: ClassVar[dict[str, type[BaseModel]]] = {
        "notifications": NotificationsOptions,
        "search": SearchOptions,
        "threads": ThreadsOptions,
    }

    def __init__(self, settings: BlueskySettings, *, client: Client | None = None) -> None:
        self.settings = settings
        self._owns_client = client is None
        self._client = client or Client(
            base_url=settings.service, request=Request(timeout=settings.timeout)
        )
        self._lock = threading.Lock()
        self._ready = False
        self._did: str | None = settings.did
        self._handle = settings.handle

    def __repr__(self) -> str:
        return f"BlueskyConnector(handle={self._handle!r}, did={self._did!r})"

    # -- session ---------------------------------------------------------------------------

    _credential: ClassVar[str] = "app_password"  # the setting an AuthError points at

    @property
    def me(self) -> Identity:
        """The institution's own account (its DID once a session exists)."""
        return Identity(self._did, self._handle)

    @contextmanager
    def _sdk(self, source: str) -> Iterator[None]:
        """Translate whatever the SDK raises into :mod:`connectors.errors`."""
        try:
            yield
        except Exception as exc:
            raise faults.translate(exc, source=source, credential=self._credential) from exc

    def _ensure_session(self, source: str) -> int:
        """Log in if the client has no session; returns the number of requests it took."""
        if self._ready:
            return 0
        with self._lock:
            if self._ready:
                return 0
            spent = 0
            session = self._current_session()
            if session is None:
                spent = self._login(source)
                session = self._current_session()
            if session is None:
                raise AuthError(
                    "login gave no session", credential=self._credential, **self._where(source)
                )
            if self._did is not None and session.did != self._did:
                raise AuthError(
                    f"logged in as {session.did}, but settings.did is {self._did}",
                    credential="did",
                    **self._where(source),
                )
            self._did = session.did
            if session.handle and session.handle != "handle.invalid":
                self._handle = session.handle.lower()
            self._ready = True
            return spent

    def _current_session(self) -> Session | None:
        try:
            return Session.decode(self._client.export_session_string())
        except LoginRequiredError:
            return None

    def _login(self, source: str) -> int:
        """``createSession`` with the app password (one request)."""
        password = self.settings.app_password
        if password is None:
            raise AuthError(
                "no app_password configured", credential="app_password", **self._where(source)
            )
        log.info("bluesky: logging in as %s", self.settings.handle)
        with self._sdk(source):
            self._client.login(
                self.settings.handle, password.get_secret_value(), fetch_bsky_profile=False
            )
        return 1

    @staticmethod
    def _where(source: str) -> dict[str, str]:
        return {"platform": PLATFORM, "source": source}

    def _query(self, nsid: str, params: BaseModel, budget: _Budget, source: str) -> dict[str, Any]:
        """One XRPC query through the SDK; the JSON object as sent."""
        budget.used += 1
        with self._sdk(source):
            response = self._client.invoke_query(
                nsid, params=params, output_encoding="application/json"
            )
        content = response.content
        if not isinstance(content, dict):
            kind = response.headers.get("content-type", "no content type")
            raise MalformedResponse(
                f"{nsid}: expected a JSON object, got {kind}", **self._where(source)
            )
        return content

    # -- fetch -----------------------------------------------------------------------------

    def cursor_position(self, cursor: str) -> Any:
        """The newest ``indexedAt`` a cursor has reached (aware UTC datetime)."""
        return cursors.position(cursor)

    def fetch_sync(self, source: Source, cursor: str | None) -> FetchResult:
        """Fetch at most ``source.max_pages`` requests' worth of new items of ``source``."""
        options = self.feed_options(source)
        budget = _Budget(source.max_pages)
        budget.used += self._ensure_session(source.name)
        if budget.left <= 0:
            return FetchResult([], cursor, has_more=True, requests_made=budget.used)
        try:
            if isinstance(options, NotificationsOptions):
                return self._fetch_notifications(source, options, cursor, budget)
            if isinstance(options, SearchOptions):
                return self._fetch_search(source, options, cursor, budget)
            if isinstance(options, ThreadsOptions):
                return self._fetch_threads(source, options, cursor, budget)
        except cursors.CursorError as exc:
            raise PermanentError(f"cursor: {exc}", **self._where(source.name)) from exc
        raise Unsupported(f"no feed {source.feed!r}", **self._where(source.name))

    def _fetch_notifications(
        self, source: Source, options: NotificationsOptions, cursor: str | None, budget: _Budget
    ) -> FetchResult:
        reasons = set(options.reasons)

        def page(api_cursor: str | None) -> _Page:
            params = models.AppBskyNotificationListNotifications.Params(
                limit=options.page_size, reasons=list(options.reasons), cursor=api_cursor
            )
            data = self._query(
                "app.bsky.notification.listNotifications", params, budget, source.name
            )
            return _Page(_items(data, "notifications", source.name), _next(data))

        def normalize(item: dict[str, Any]) -> Post | None:
            reason = item.get("reason")
            if not isinstance(reason, str) or reason not in reasons:
                return None  # a server that ignores ``reasons`` (likes, follows...)
            return post_from_view(
                item,
                source=source.name,
                me=self.me,
                kind=_REASON_KIND[str(reason)],
                mentioned=reason in ("mention", "quote"),
            )

        return self._sweep(source, cursor, budget, page, normalize)

    def _fetch_search(
        self, source: Source, options: SearchOptions, cursor: str | None, budget: _Budget
    ) -> FetchResult:
        def page(api_cursor: str | None) -> _Page:
            params = models.AppBskyFeedSearchPosts.Params(
                q=options.query,
                sort="latest",
                limit=options.page_size,
                lang=options.lang,
                cursor=api_cursor,
            )
            data = self._query("app.bsky.feed.searchPosts", params, budget, source.name)
            return _Page(_items(data, "posts", source.name), _next(data))

        def normalize(item: dict[str, Any]) -> Post | None:
            return post_from_view(item, source=source.name, me=self.me)

        return self._sweep(source, cursor, budget, page, normalize)

    def _sweep(
        self,
        source: Source,
        cursor: str | None,
        budget: _Budget,
        fetch_page: Callable[[str | None], _Page],
        normalize: Callable[[dict[str, Any]], Post | None],
    ) -> FetchResult:
        """Walk a newest-first feed from the head (or a resumed page) down to the mark."""
        warnings: list[str] = []
        if cursor is None and source.backfill_hours is None:
            # First run, skip what exists: one page, mark its newest item, deliver nothing.
            head = fetch_page(None)
            mark = Mark()
            for item in head.items:
                key = _key(item, warnings)
                if key is not None:
                    mark.advance(*key)
            mark.everything = mark.at is not None  # ties beyond this page existed too
            return _result([], SweepCursor(mark).dump(), False, budget, warnings)

        if cursor is None:
            since = datetime.now(UTC) - timedelta(hours=float(source.backfill_hours or 0))
            state = SweepCursor(Mark(since))
        else:
            state = SweepCursor.load(cursor)
        top = state.top.copy() if state.walking and state.top else state.mark.copy()
        low = state.low.copy() if state.walking and state.low else Mark()
        api_cursor = state.page
        posts: list[Post] = []
        done = False
        while budget.left > 0:
            page = fetch_page(api_cursor)
            reached = False
            for item in page.items:
                key = _key(item, warnings)
                if key is None:
                    continue
                if not state.mark.is_new(*key):
                    reached = True  # at or behind what was already delivered
                    continue
                if not low.is_older(*key):
                    continue  # delivered earlier in this walk (the page shifted)
                top.advance(*key)
                low.lower(*key)
                post = _normalize(normalize, item, warnings)
                if post is not None:
                    posts.append(post)
            if reached or not page.items or page.next_page is None:
                done = True
                break
            api_cursor = page.next_page
        next_state = SweepCursor(top) if done else SweepCursor(state.mark, top, low, api_cursor)
        return _result(posts, next_state.dump(), not done, budget, warnings)

    def _fetch_threads(
        self, source: Source, options: ThreadsOptions, cursor: str | None, budget: _Budget
    ) -> FetchResult:
        warnings: list[str] = []
        posts: list[Post] = []
        if cursor is None:
            now = datetime.now(UTC)
            hours = source.backfill_hours
            floor = now if hours is None else now - timedelta(hours=float(hours))
            state = ThreadsCursor(floor=floor, own=Mark(floor), pos=floor)
        else:
            state = ThreadsCursor.load(cursor)
        skip_existing = cursor is None and source.backfill_hours is None

        if not state.todo:
            params = models.AppBskyFeedGetAuthorFeed.Params(
                actor=self.me.did or self._handle,
                filter="posts_with_replies" if options.include_own_replies else "posts_no_replies",
                limit=options.recent_posts,
            )
            data = self._query("app.bsky.feed.getAuthorFeed", params, budget, source.name)
            posts.extend(self._watch_own_posts(data, state, skip_existing, source, warnings))

        while state.todo and budget.left > 0:
            uri, count = state.todo[0]
            thread = state.threads.get(uri) or state.new_thread()
            try:
                params = models.AppBskyFeedGetPostThread.Params(
                    uri=uri, depth=options.depth, parent_height=0
                )
                data = self._query("app.bsky.feed.getPostThread", params, budget, source.name)
            except NotFound:
                state.todo.pop(0)
                state.threads.pop(uri, None)
                warnings.append(f"{uri}: thread no longer exists, no longer watched")
                continue
            seen_own = state.own if options.include_own_replies else None
            posts.extend(self._thread_replies(data, thread, source, warnings, seen_own))
            thread.replies = count
            state.threads[uri] = thread
            state.todo.pop(0)

        state.pos = state.position()
        return _result(posts, state.dump(), bool(state.todo), budget, warnings)

    def _watch_own_posts(
        self,
        data: dict[str, Any],
        state: ThreadsCursor,
        skip_existing: bool,
        source: Source,
        warnings: list[str],
    ) -> list[Post]:
        """Deliver our new posts from an author feed page; queue the threads whose reply count
        changed. Our replies inside a thread rooted at one of these posts are not watched on
        their own (the root's fetch covers them)."""
        own: list[tuple[tuple[datetime, str], dict[str, Any]]] = []
        for entry in _items(data, "feed", source.name):
            view = entry.get("post") if isinstance(entry, dict) else None
            if not isinstance(view, dict) or entry.get("reason") is not None:
                continue  # a repost or a pin: not a post of ours in its own right
            key = _key(view, warnings)
            if key is not None and self.me.owns(_author_did(view)):
                own.append((key, view))
        roots = {key[1] for key, _ in own}
        before = state.own.copy()
        posts: list[Post] = []
        watched: dict[str, ThreadState] = {}
        for key, view in own:
            uri = key[1]
            replies = view.get("replyCount")
            count = replies if isinstance(replies, int) and not isinstance(replies, bool) else 0
            if skip_existing:
                state.own.advance(*key)
                state.own.everything = True
            elif before.is_new(*key):
                state.own.advance(*key)
                post = _normalize(
                    lambda v: post_from_view(v, source=source.name, me=self.me), view, warnings
                )
                if post is not None:
                    posts.append(post)
            if _root_uri(view) in roots - {uri}:
                continue  # covered by the thread of its root
            known = state.threads.get(uri)
            if known is None:
                known = state.new_thread()
                if skip_existing:
                    known.replies = count  # existing replies are not news
            if count != known.replies and all(uri != u for u, _ in state.todo):
                state.todo.append((uri, count))
            watched[uri] = known
        pending = {uri for uri, _ in state.todo}
        state.threads = {
            uri: st
            for uri, st in {**state.threads, **watched}.items()
            if uri in watched or uri in pending
        }
        return posts

    def _thread_replies(
        self,
        data: dict[str, Any],
        thread: ThreadState,
        source: Source,
        warnings: list[str],
        seen_own: Mark | None,
    ) -> list[Post]:
        """New replies (and tombstones) under the root of a ``getPostThread`` answer.

        ``seen_own``: the watermark of our own posts already delivered from the author feed;
        our replies at or behind it are not delivered a second time from the thread."""
        root = data.get("thread")
        if not isinstance(root, dict) or not isinstance(root.get("post"), dict):
            raise MalformedResponse(
                "getPostThread: thread is not a threadViewPost", **self._where(source.name)
            )
        root_view = root["post"]
        try:
            refs = reply_refs(root_view.get("record") or {})
        except BadItem:
            refs = None
        conversation = str(refs[0]["uri"]) if refs else str(root_view.get("uri"))
        before = thread.mark.copy()
        out: list[Post] = []
        stack: list[tuple[dict[str, Any], str]] = [(root, str(root_view.get("uri")))]
        while stack:
            node, parent_uri = stack.pop()
            children = node.get("replies")
            for child in children if isinstance(children, list) else []:
                if not isinstance(child, dict):
                    continue
                kind = child.get("$type")
                if kind == NOT_FOUND_POST or child.get("notFound") is True:
                    out.extend(self._tombstone(child, thread, conversation, parent_uri, source))
                    continue
                if kind == BLOCKED_POST or child.get("blocked") is True:
                    continue  # we cannot see it; nothing to report
                view = child.get("post")
                if not isinstance(view, dict):
                    continue
                key = _key(view, warnings)
                if key is None:
                    continue
                stack.append((child, key[1]))
                if not before.is_new(*key):
                    continue
                thread.mark.advance(*key)
                ours = self.me.owns(_author_did(view))
                if ours and seen_own is not None and not seen_own.is_new(*key):
                    continue  # delivered with the author feed
                post = _normalize(
                    lambda v: post_from_view(
                        v, source=source.name, me=self.me, kind=PostKind.REPLY
                    ),
                    view,
                    warnings,
                )
                if post is not None:
                    out.append(post)
        return out

    def _tombstone(
        self,
        node: dict[str, Any],
        thread: ThreadState,
        conversation: str,
        parent_uri: str,
        source: Source,
    ) -> list[Post]:
        """A deleted reply, reported once per thread."""
        uri = node.get("uri")
        if not isinstance(uri, str) or uri in thread.gone:
            return []
        thread.remember_gone(uri)
        try:
            gone = tombstone(
                node,
                source=source.name,
                me=self.me,
                conversation_id=conversation,
                parent_id=parent_uri,
            )
        except BadItem:
            return []
        return [gone] if gone is not None else []

    # -- reply -----------------------------------------------------------------------------

    def reply_sync(self, to: Post, text: str, key: str) -> Sent:
        """Post ``text`` as a reply to ``to`` (strong refs of root and parent from ``to.raw``)."""
        if to.platform != PLATFORM:
            raise Unsupported(f"cannot reply to a {to.platform} post", **self._where(to.source))
        size = len(text.encode("utf-8"))
        if size > MAX_POST_BYTES:
            raise PermanentError(
                f"reply is {size} bytes; Bluesky allows {MAX_POST_BYTES}",
                **self._where(to.source),
            )
        root, parent = self._strong_refs(to)
        self._ensure_session(to.source)  # our DID is needed to tell whether we are addressed
        self._check_may_reply(to)
        facets = detect_facets(text) or None
        with self._sdk(to.source):
            created = self._client.send_post(
                text,
                profile_identify=self._did,
                reply_to=models.AppBskyFeedPost.ReplyRef(root=root, parent=parent),
                langs=list(self.settings.reply_langs),
                facets=facets,
            )
        log.info("bluesky: replied to %s as %s (key %s)", to.id, created.uri, key)
        return self._sent(created.uri)

    def find_reply_sync(self, to: Post, text: str, key: str) -> Sent | None:
        """Our reply to ``to`` with exactly ``text``, if the thread shows one (else None)."""
        self._ensure_session(to.source)
        with self._sdk(to.source):
            answer = self._client.get_post_thread(to.id, depth=1, parent_height=0)
        thread = answer.thread
        if getattr(thread, "not_found", False) or getattr(thread, "blocked", False):
            raise NotFound(f"{to.id} is no longer visible", **self._where(to.source))
        for node in getattr(thread, "replies", None) or []:
            post = getattr(node, "post", None)
            if post is None or post.author.did != self._did:
                continue
            if getattr(post.record, "text", None) == text:
                return self._sent(post.uri)
        return None

    def whoami_sync(self) -> Author:
        """The logged-in account, with its follower count."""
        self._ensure_session("whoami")
        with self._sdk("whoami"):
            response = self._client.invoke_query(
                "app.bsky.actor.getProfile",
                params=models.AppBskyActorGetProfile.Params(actor=self._did or self._handle),
                output_encoding="application/json",
            )
        if not isinstance(response.content, dict):
            raise MalformedResponse("getProfile: expected a JSON object", **self._where("whoami"))
        try:
            return author_from(response.content, self.me)
        except BadItem as exc:
            raise MalformedResponse(f"getProfile: {exc}", **self._where("whoami")) from exc

    async def aclose(self) -> None:
        """Close the HTTP client if this connector built it."""
        if self._owns_client:
            self._client.request.close()

    def _sent(self, uri: str) -> Sent:
        at = AtUri.parse(uri)
        return Sent(platform_id=uri, url=permalink(self._handle, at.did, at.rkey))

    def _strong_refs(
        self, to: Post
    ) -> tuple[models.ComAtprotoRepoStrongRef.Main, models.ComAtprotoRepoStrongRef.Main]:
        """(root, parent) strong refs for a reply to ``to``, from its raw payload."""
        raw = to.raw
        uri, cid = raw.get("uri"), raw.get("cid")
        record = raw.get("record")
        if not isinstance(uri, str) or not isinstance(cid, str) or not isinstance(record, dict):
            raise PermanentError(
                f"{to.id}: raw payload has no uri/cid/record to reply to", **self._where(to.source)
            )
        parent = models.ComAtprotoRepoStrongRef.Main(uri=uri, cid=cid)
        try:
            refs = reply_refs(record)
        except BadItem as exc:
            raise PermanentError(f"{to.id}: {exc}", **self._where(to.source)) from exc
        if refs is None:
            return parent, parent
        root = refs[0]
        if not isinstance(root.get("cid"), str):
            raise PermanentError(f"{to.id}: reply root has no cid", **self._where(to.source))
        return models.ComAtprotoRepoStrongRef.Main(uri=root["uri"], cid=root["cid"]), parent

    def _check_may_reply(self, to: Post) -> None:
        """Refuse replies the thread gate forbids, or (by default) unsolicited ones."""
        viewer = to.raw.get("viewer")
        if isinstance(viewer, dict) and viewer.get("replyDisabled"):
            raise Forbidden(
                f"{to.id}: the thread's reply settings do not allow us to reply",
                **self._where(to.source),
            )
        if not self.settings.replies_only_when_addressed or to.author.is_self or to.mentions_self:
            return
        record = to.raw.get("record")
        refs = reply_refs(record) if isinstance(record, dict) else None
        if refs and any(self.me.owns(_did_of(ref.get("uri"))) for ref in refs):
            return  # a reply in one of our threads
        raise Forbidden(
            f"{to.id} neither mentions nor replies to us; Bluesky asks automated accounts "
            "to interact only when tagged (settings.replies_only_when_addressed)",
            **self._where(to.source),
        )


def _items(data: dict[str, Any], name: str, source: str) -> list[Any]:
    items = data.get(name)
    if not isinstance(items, list):
        raise MalformedResponse(f"response has no {name!r} list", platform=PLATFORM, source=source)
    return items


def _next(data: dict[str, Any]) -> str | None:
    value = data.get("cursor")
    return value if isinstance(value, str) and value else None


def _key(item: Any, warnings: list[str]) -> tuple[datetime, str] | None:
    """(indexedAt, uri) of an item, or None with a warning if it has none."""
    if not isinstance(item, dict):
        warnings.append("skipped an item that is not an object")
        return None
    uri = item.get("uri")
    if not isinstance(uri, str) or not uri:
        warnings.append("skipped an item without uri")
        return None
    try:
        return timestamp(item.get("indexedAt"), "indexedAt"), uri
    except BadItem as exc:
        warnings.append(f"skipped {uri}: {exc}")
        return None


def _normalize(
    normalize: Callable[[dict[str, Any]], Post | None], item: dict[str, Any], warnings: list[str]
) -> Post | None:
    try:
        return normalize(item)
    except BadItem as exc:
        warnings.append(f"skipped {item.get('uri')}: {exc}")
        return None


def _author_did(view: dict[str, Any]) -> str | None:
    author = view.get("author")
    did = author.get("did") if isinstance(author, dict) else None
    return did if isinstance(did, str) else None


def _root_uri(view: dict[str, Any]) -> str | None:
    record = view.get("record")
    reply = record.get("reply") if isinstance(record, dict) else None
    root = reply.get("root") if isinstance(reply, dict) else None
    uri = root.get("uri") if isinstance(root, dict) else None
    return uri if isinstance(uri, str) else None


def _did_of(uri: Any) -> str | None:
    try:
        return AtUri.parse(uri).did
    except BadItem:
        return None


def _result(
    posts: list[Post], cursor: str, has_more: bool, budget: _Budget, warnings: list[str]
) -> FetchResult:
    unique: dict[str, Post] = {}
    for post in posts:
        unique.setdefault(post.id, post)
    result = FetchResult(
        list(unique.values()), cursor, has_more=has_more, requests_made=budget.used
    )
    result.warnings.extend(warnings)
    for warning in warnings:
        log.warning("bluesky: %s", warning)
    return result
