"""A fake Bluesky PDS/AppView: app-password login, notifications, replies, threads.

Wire format from tests/connectors/fixtures/bluesky (templates: the recorded session,
notification and thread reply). ``listNotifications`` pages newest first; its ``cursor`` is the
``indexedAt`` of a page's last item, as the AppView's is.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.common import Ledger, Published, ReceivedReply, iso_ms, template
from tests.fakes.server import Request, Response

PLATFORM = "bluesky"
DID = "did:plc:lumenmuseumfakefakefake00"
HANDLE = "lumenmuseum.bsky.social"
POST = "app.bsky.feed.post"


class FakeBluesky:
    """The institution's account ``lumenmuseum.bsky.social``; see the module docstring."""

    def __init__(self) -> None:
        self.ledger = Ledger(PLATFORM)
        self.notifications: list[dict[str, Any]] = []  # newest first
        self.replies: dict[str, list[dict[str, Any]]] = {}  # parent uri -> our reply views
        self._seq = 0
        self._last_indexed: datetime | None = None

    def settings(self, base_url: str) -> dict[str, Any]:
        """The ``accounts.bluesky`` entry for Salon (the password comes from the environment)."""
        return {
            "handle": HANDLE,
            "did": DID,
            "app_password": "${SALON_FAKE_BLUESKY_PASSWORD}",
            "service": base_url,
            "timeout": 5,
        }

    def _rkey(self) -> str:
        self._seq += 1
        return f"3lfake{self._seq:07d}"

    def _indexed(self, at: datetime) -> datetime:
        """``at``, moved a millisecond past the last item if needed (unique, increasing)."""
        if self._last_indexed is not None and at <= self._last_indexed:
            at = self._last_indexed + timedelta(milliseconds=1)
        self._last_indexed = at
        return at

    def publish(self, text: str, handle: str, name: str, at: datetime) -> Published:
        """A mention of the institution by ``handle`` at ``at``."""
        note = template(PLATFORM, "notifications.json", "interactions", 0, "response", "json")
        item = note["notifications"][0]
        author_did = f"did:plc:fake{zlib.crc32(handle.encode()):010d}aaaaaaaaaaaa"
        with self.ledger.lock:
            uri = f"at://{author_did}/{POST}/{self._rkey()}"
            indexed = self._indexed(at)
            prefix = f"@{HANDLE} "
            item.update(
                uri=uri,
                cid=f"bafyfake{self._seq:020d}",
                reason="mention",
                isRead=False,
                indexedAt=iso_ms(indexed),
            )
            item["author"].update(did=author_did, handle=handle, displayName=name)
            item["author"].pop("description", None)
            item["record"] = {
                "$type": POST,
                "createdAt": iso_ms(at),
                "text": prefix + text,
                "facets": [
                    {
                        "$type": "app.bsky.richtext.facet",
                        "index": {"byteStart": 0, "byteEnd": len(prefix.encode()) - 1},
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": DID}],
                    }
                ],
            }
            self.notifications.insert(0, item)
            post = Published(PLATFORM, uri, prefix + text, handle, at)
            self.ledger.publish(post)
        return post

    # -- the API --------------------------------------------------------------------------

    def is_write(self, request: Request) -> bool:
        """A record created (logging in changes nothing)."""
        return request.path.endswith("com.atproto.repo.createRecord")

    def rate_limited(self, retry_after: int) -> Response:
        """The PDS's 429: ``RateLimitExceeded`` and ``RateLimit-Reset`` (epoch seconds)."""
        reset = int(datetime.now(UTC).timestamp()) + retry_after
        return Response(
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            status=429,
            headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                     "RateLimit-Reset": str(reset), "Retry-After": str(retry_after)},
        )  # fmt: skip

    def handle(self, request: Request) -> Response:
        """Route one XRPC request."""
        method = request.path.removeprefix("/xrpc/")
        if method in ("com.atproto.server.createSession", "com.atproto.server.refreshSession"):
            return self._session()
        if method == "app.bsky.notification.listNotifications":
            return self._notifications(request)
        if method == "com.atproto.repo.createRecord":
            return self._create(request)
        if method == "app.bsky.feed.getPostThread":
            return self._thread(str(request.arg("uri")))
        return Response({"error": "MethodNotImplemented", "message": method}, status=501)

    @staticmethod
    def _session() -> Response:
        body = template(PLATFORM, "session.json", "interactions", 0, "response", "json")
        body.pop("didDoc", None)  # a DID document would send the client to the real PDS
        body.update(did=DID, handle=HANDLE)
        return Response(body)

    def _notifications(self, request: Request) -> Response:
        limit = min(int(request.arg("limit") or 50), 100)
        reasons = set(request.args("reasons")) or {"mention", "reply", "quote"}
        cursor = request.arg("cursor")
        with self.ledger.lock:
            items = [n for n in self.notifications if n["reason"] in reasons]
        older = [n for n in items if cursor is None or n["indexedAt"] < cursor]
        page = older[:limit]
        stale = [n for n in items if cursor is not None and n["indexedAt"] >= cursor][-2:]
        body: dict[str, Any] = {"notifications": page, "priority": False}
        if len(page) == limit:
            body["cursor"] = page[-1]["indexedAt"]
        carried = [n["uri"] for n in page]
        return Response(body, items=("notifications",), stale=stale, carried=carried)

    def _create(self, request: Request) -> Response:
        params = request.params()
        record = params.get("record") or {}
        parent = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
        with self.ledger.lock:
            uri = f"at://{DID}/{POST}/{self._rkey()}"
            view = template(
                PLATFORM, "find_reply.json", "interactions", 0, "response", "json", "thread"
            )["replies"][-1]
            view["post"].update(uri=uri, record=record, indexedAt=iso_ms(datetime.now(UTC)))
            view["post"]["author"].update(did=DID, handle=HANDLE)
            self.replies.setdefault(parent, []).append(view)
            self.ledger.replies.append(ReceivedReply(parent, str(record.get("text")), None, uri))
        cid = f"bafyfake{self._seq:020d}"
        return Response({"uri": uri, "cid": cid, "validationStatus": "valid"})

    def _thread(self, uri: str) -> Response:
        with self.ledger.lock:
            note = next((n for n in self.notifications if n["uri"] == uri), None)
            replies = list(self.replies.get(uri, []))
        if note is None:
            return Response({"error": "NotFound", "message": "Post not found"}, status=400)
        post = {k: note[k] for k in ("uri", "cid", "author", "record", "indexedAt")}
        post.update(replyCount=len(replies), repostCount=0, likeCount=0, quoteCount=0, labels=[])
        thread = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post, "replies": replies}
        return Response({"thread": thread})
