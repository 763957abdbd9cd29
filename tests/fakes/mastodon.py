"""A fake Mastodon instance: mention notifications, replies (with ``Idempotency-Key``), context.

Wire format from tests/connectors/fixtures/mastodon (the recorded notification and status are
the templates). ``GET /api/v1/notifications`` honours ``min_id`` as Mastodon does: the page
just above ``min_id``, newest first; ``max_id`` and ``since_id`` as documented.
"""

from __future__ import annotations

import html
import zlib
from datetime import datetime
from typing import Any

from tests.fakes.common import Ledger, Published, ReceivedReply, iso_ms, template
from tests.fakes.server import Request, Response

PLATFORM = "mastodon"
ACCOUNT_ID = "109000000000000001"
ACCT = "lumen"


def _key(value: str) -> tuple[int, str]:
    return len(value), value


class FakeMastodon:
    """The institution's account ``lumen`` on this instance; see the module docstring."""

    def __init__(self, host: str = "museum.social") -> None:
        self.host = host
        self.ledger = Ledger(PLATFORM)
        self.notifications: list[dict[str, Any]] = []  # oldest first
        self.statuses: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> status
        self._next_note = 35_000_000
        self._next_status = 113_000_000_000_000_000
        self._me = template(PLATFORM, "reply.json", "interactions", 0, "response", "json")[
            "account"
        ]
        self._me.update(id=ACCOUNT_ID, username=ACCT, acct=ACCT, display_name="Lumen Museum")

    def settings(self, base_url: str) -> dict[str, Any]:
        """The ``accounts.mastodon`` entry for Salon (the token comes from the environment)."""
        return {
            "api_base_url": base_url,
            "access_token": "${SALON_FAKE_MASTODON_TOKEN}",
            "account_id": ACCOUNT_ID,
            "handle": f"{ACCT}@{self.host}",
            "request_timeout": 5,
        }

    # -- the world ------------------------------------------------------------------------

    def _status(self, text: str, account: dict[str, Any], at: datetime) -> dict[str, Any]:
        note = template(PLATFORM, "mentions_pages.json", "interactions", 0, "response", "json", 0)
        status = note["status"]
        self._next_status += 1
        sid = str(self._next_status)
        status.update(
            id=sid,
            created_at=iso_ms(at),
            edited_at=None,
            in_reply_to_id=None,
            in_reply_to_account_id=None,
            language=None,
            content=f"<p>{html.escape(text)}</p>",
            uri=f"https://{self.host}/users/{account['username']}/statuses/{sid}",
            url=f"https://{self.host}/@{account['username']}/{sid}",
            account=account,
            replies_count=0,
            mentions=[{"id": ACCOUNT_ID, "username": ACCT, "acct": ACCT, "url": ""}],
        )
        return status

    def publish(self, text: str, handle: str, name: str, at: datetime) -> Published:
        """A mention of the institution by ``handle`` (a new account per handle), at ``at``."""
        note = template(PLATFORM, "mentions_pages.json", "interactions", 0, "response", "json", 0)
        user = handle.split("@", 1)[0]
        account = note["account"]
        account.update(
            id=str(200_000 + zlib.crc32(handle.encode()) % 10_000_000),
            username=user,
            acct=handle,
            display_name=name,
            url=f"https://{self.host}/@{user}",
        )
        status = self._status(text, account, at)
        with self.ledger.lock:
            self._next_note += 1
            nid = str(self._next_note)
            note.update(id=nid, type="mention", created_at=iso_ms(at), group_key=f"ungrouped-{nid}")
            note["status"] = status
            self.notifications.append(note)
            self.statuses[status["id"]] = status
            post = Published(PLATFORM, status["id"], text, handle, at)
            self.ledger.publish(post)
        return post

    # -- the API --------------------------------------------------------------------------

    def is_write(self, request: Request) -> bool:
        """A status posted."""
        return request.method == "POST"

    def rate_limited(self, retry_after: int) -> Response:
        """Mastodon's 429: ``{"error": "Too many requests"}`` and the rate-limit headers."""
        return Response(
            {"error": "Too many requests"},
            status=429,
            headers={"Retry-After": str(retry_after), "X-RateLimit-Remaining": "0"},
        )

    def handle(self, request: Request) -> Response:
        """Route one request."""
        path = request.path
        if path == "/api/v1/notifications":
            return self._notifications(request)
        if path == "/api/v1/statuses" and request.method == "POST":
            return self._post_status(request)
        if path.startswith("/api/v1/statuses/") and path.endswith("/context"):
            return self._context(path.split("/")[4])
        if path == "/api/v1/accounts/verify_credentials":
            return Response(self._me)
        return Response({"error": "Record not found"}, status=404)

    def _notifications(self, request: Request) -> Response:
        types = set(request.args("types")) or {"mention"}
        limit = min(int(request.arg("limit") or 40), 80)
        min_id, max_id, since_id = (request.arg(k) for k in ("min_id", "max_id", "since_id"))
        with self.ledger.lock:
            items = [n for n in self.notifications if n["type"] in types]
        stale: list[dict[str, Any]] = []
        if max_id:
            items = [n for n in items if _key(n["id"]) < _key(max_id)]
        if min_id:
            stale = [n for n in items if _key(n["id"]) <= _key(min_id)][-2:]
            page = [n for n in items if _key(n["id"]) > _key(min_id)][:limit]
        else:
            if since_id:
                items = [n for n in items if _key(n["id"]) > _key(since_id)]
            page = items[-limit:]
        page = list(reversed(page))  # newest first, as Mastodon answers
        carried = [n["status"]["id"] for n in page]
        return Response(page, items=("",), stale=stale, carried=carried)

    def _post_status(self, request: Request) -> Response:
        params = request.params()
        key = request.headers.get("idempotency-key")
        with self.ledger.lock:
            if key and key in self.by_key:
                self.ledger.idempotent_repeats += 1
                return Response(self.by_key[key])
            to = str(params.get("in_reply_to_id") or "")
            status = self._status(
                str(params.get("status", "")), self._me, datetime.now().astimezone()
            )
            status.update(in_reply_to_id=to or None, mentions=[])
            if to in self.statuses:
                self.statuses[to]["replies_count"] += 1
            self.statuses[status["id"]] = status
            if key:
                self.by_key[key] = status
            self.ledger.replies.append(
                ReceivedReply(to, str(params.get("status")), key, status["id"])
            )
        return Response(status)

    def _context(self, status_id: str) -> Response:
        with self.ledger.lock:
            if status_id not in self.statuses:
                return Response({"error": "Record not found"}, status=404)
            below = [s for s in self.statuses.values() if s.get("in_reply_to_id") == status_id]
        return Response({"ancestors": [], "descendants": below})
