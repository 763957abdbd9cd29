"""A fake Telegram Bot API for two bots: the community bot (Salon's ``telegram`` connector reads
the museum's discussion group through getUpdates and replies there) and the staff bot (alerts
arrive as sendMessage calls). Wire format from tests/connectors/fixtures/telegram.

Updates are confirmed as the Bot API does: a getUpdates call with ``offset`` drops every update
below it; ``offset=-1`` returns only the newest.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.telegram.normalize import post_id
from tests.fakes.common import Ledger, Published, ReceivedReply
from tests.fakes.server import Request, Response

PLATFORM = "telegram"
PUBLIC_TOKEN = "7000000001:FAKEpublicBOTtokenFAKEpublic00"
STAFF_TOKEN = "7000000002:FAKEstaffBOTtokenFAKEstaff0000"
STAFF_CHAT = 424242  # a private chat with a staff member (paced at one message a second)
GROUP_ID = -1001500000002
GROUP: dict[str, Any] = {"id": GROUP_ID, "title": "Lumen Museum · Chat",
                         "username": "lumen_museum_chat", "type": "supergroup"}  # fmt: skip
BOTS = {
    PUBLIC_TOKEN: {"id": 7000000001, "is_bot": True, "first_name": "Lumen Museum",
                   "username": "lumen_museum_bot"},
    STAFF_TOKEN: {"id": 7000000002, "is_bot": True, "first_name": "Lumen Staff",
                  "username": "lumen_staff_bot"},
}  # fmt: skip


@dataclass(slots=True)
class StaffMessage:
    """A message the staff bot sent (an alert, a reminder, a digest)."""

    chat_id: int
    message_id: int
    text: str
    at: float  # time.monotonic() when the request arrived


class FakeTelegram:
    """The Bot API for :data:`PUBLIC_TOKEN` and :data:`STAFF_TOKEN`; see the module docstring."""

    def __init__(self) -> None:
        self.ledger = Ledger(PLATFORM)
        self.updates: list[dict[str, Any]] = []  # the community bot's queue, not yet confirmed
        self.staff: list[StaffMessage] = []
        self._update_id = 500_000
        self._message_id = 1000

    def settings(self, base_url: str) -> dict[str, Any]:
        """The ``accounts.telegram`` entry for Salon (the token comes from the environment)."""
        return {
            "bot_token": "${SALON_FAKE_TELEGRAM_PUBLIC_TOKEN}",
            "bot_username": BOTS[PUBLIC_TOKEN]["username"],
            "account_handle": "lumen_museum",
            "base_url": f"{base_url}/bot",
            "timeout": 5,
        }

    def staff_settings(self, base_url: str) -> dict[str, Any]:
        """The ``staff.telegram`` section for Salon."""
        return {
            "token": "${SALON_TELEGRAM_TOKEN}",
            "chats": [STAFF_CHAT],
            "base_url": f"{base_url}/bot",
            "group_after": 0,
            "poll_timeout": 1,
        }

    @property
    def last_update_id(self) -> int:
        """The id of the newest update ever queued."""
        return self._update_id

    def _next_message(self) -> int:
        self._message_id += 1
        return self._message_id

    def publish(self, text: str, handle: str, name: str, at: datetime) -> Published:
        """A message by ``handle`` in the discussion group at ``at``."""
        user = {"id": 100_000_000 + zlib.crc32(handle.encode()) % 100_000_000, "is_bot": False,
                "first_name": name, "username": handle}  # fmt: skip
        with self.ledger.lock:
            self._update_id += 1
            message_id = self._next_message()
            message = {"message_id": message_id, "from": user, "chat": GROUP,
                       "date": int(at.timestamp()), "text": text}  # fmt: skip
            self.updates.append({"update_id": self._update_id, "message": message})
            post = Published(PLATFORM, post_id(GROUP_ID, message_id), text, handle, at)
            self.ledger.publish(post)
        return post

    # -- the API --------------------------------------------------------------------------

    def is_write(self, request: Request) -> bool:
        """A message sent (or edited)."""
        return request.path.rsplit("/", 1)[-1].startswith(("send", "edit"))

    def rate_limited(self, retry_after: int) -> Response:
        """The Bot API's 429 (``parameters.retry_after``)."""
        return Response(
            {"ok": False, "error_code": 429,
             "description": f"Too Many Requests: retry after {retry_after}",
             "parameters": {"retry_after": retry_after}},
            status=429,
        )  # fmt: skip

    def handle(self, request: Request) -> Response:
        """Route ``/bot<token>/<method>``."""
        _, _, rest = request.path.partition("/bot")
        token, _, method = rest.partition("/")
        if token not in BOTS:
            return Response({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        params = request.params()
        if method == "getUpdates":
            return self._get_updates(token, params)
        if method == "sendMessage":
            return self._send(token, params)
        if method == "getMe":
            return _ok({**BOTS[token], "can_join_groups": True, "supports_inline_queries": False})
        if method.startswith("edit"):
            return _ok(True)
        if method in ("setMyCommands", "answerCallbackQuery", "deleteWebhook"):
            return _ok(True)
        return Response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    def _get_updates(self, token: str, params: dict[str, Any]) -> Response:
        if token == STAFF_TOKEN:  # nobody presses buttons in these runs
            time.sleep(min(float(params.get("timeout") or 0), 1.0))
            return _ok([])
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        with self.ledger.lock:
            if offset < 0:
                page = self.updates[offset:][:limit]
            else:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                page = self.updates[:limit]
        carried = [post_id(GROUP_ID, u["message"]["message_id"]) for u in page]
        return Response({"ok": True, "result": page}, items=("result",), carried=carried)

    def _send(self, token: str, params: dict[str, Any]) -> Response:
        chat_id, text = int(params["chat_id"]), str(params.get("text", ""))
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        with self.ledger.lock:
            message_id = self._next_message()
            chat = GROUP if chat_id == GROUP_ID else {"id": chat_id, "type": "private",
                                                          "first_name": "Staff"}  # fmt: skip
            if token == STAFF_TOKEN:
                self.staff.append(StaffMessage(chat_id, message_id, text, time.monotonic()))
            else:
                to = post_id(chat_id, int(reply_to)) if reply_to else ""
                sent = post_id(chat_id, message_id)
                self.ledger.replies.append(ReceivedReply(to, text, None, sent))
        message = {"message_id": message_id, "from": BOTS[token], "chat": chat,
                   "date": int(datetime.now(UTC).timestamp()), "text": text}  # fmt: skip
        return _ok(message)


def _ok(result: Any) -> Response:
    return Response({"ok": True, "result": result})
