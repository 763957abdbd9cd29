"""A loopback fake of the Telegram Bot API, behind python-telegram-bot's real HTTP stack.

``FakeTelegram.bot()`` is a real ``telegram.ext.ExtBot`` whose ``HTTPXRequest`` talks to an
``httpx.MockTransport``: every call goes through PTB's encoding, status handling and JSON
parsing. The fake answers in the Bot API's own shapes (``{"ok": true, "result": ...}``, errors
with ``error_code``, ``description`` and ``parameters.retry_after``), keeps the messages it was
sent (so edits can be checked), validates HTML the way Telegram does (only its tags, balanced,
every ``&`` an entity, at most 4096 characters of text) and refuses callback data over 64 bytes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import httpx
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

TOKEN = "7000000002:STAFF_TEST_TOKEN_PLACEHOLDER_012345"  # placeholder, never a real credential
BOT_ID = 7000000002
BOT_USERNAME = "salon_staff_bot"
DATE = 1793523600  # 2026-11-02 09:00 UTC
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
TAGS |= {"blockquote", "span", "tg-spoiler", "tg-emoji"}
ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class BadHtml(ValueError):
    """What Telegram says when a message's HTML cannot be parsed."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.links: list[str] = []
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise BadHtml(f'unsupported start tag "{tag}"')
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise BadHtml("a tag without href")
            self.links.append(href)
        self.tags[tag] += 1
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise BadHtml(f'unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(markup: str) -> _Parser:
    """Parse a message as Telegram would; :class:`BadHtml` if Telegram would refuse it."""
    if ENTITY.search(markup):
        raise BadHtml("unescaped & (not an entity)")
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    if parser.open:
        raise BadHtml(f'unclosed tag "{parser.open[-1]}"')
    return parser


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    """A Bot API error answer."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def too_many(retry_after: int = 3) -> dict[str, Any]:
    """The 429 answer Telegram gives when a flood limit is hit."""
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def user(uid: int, username: str | None = None, first_name: str = "Staff") -> dict[str, Any]:
    data: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def chat(cid: int) -> dict[str, Any]:
    if cid < 0:
        return {"id": cid, "type": "supergroup", "title": f"group {cid}"}
    return {"id": cid, "type": "private", "first_name": "Staff"}


class FakeTelegram:
    """The Bot API for one bot, in memory; see the module docstring."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # every message created, in order
        self.updates: list[dict[str, Any]] = []
        self.faults: dict[tuple[str, int], dict[str, Any]] = {}  # (method, nth call) -> error
        self.counts: Counter[str] = Counter()
        self.on_idle: Callable[[], None] | None = None  # called when getUpdates has nothing
        self._ids: Counter[int] = Counter()
        self._update_id = 5000

    # -- scripting -------------------------------------------------------------------------

    def fail(self, method: str, nth: int, answer: dict[str, Any]) -> None:
        """Answer the ``nth`` call (1-based) of ``method`` with ``answer`` (an error)."""
        self.faults[(method, nth)] = answer

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (its update_id is assigned here)."""
        self._update_id += 1
        update = {"update_id": self._update_id, **update}
        self.updates.append(update)
        return update

    def press(self, data: str, by: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        """Queue a button press on ``message``."""
        return self.push(
            {
                "callback_query": {
                    "id": f"cq{self._update_id + 1}",
                    "from": by,
                    "chat_instance": "ci-1",
                    "message": {k: v for k, v in message.items() if k[0] != "_"},
                    "data": data,
                }
            }
        )

    def write(
        self, text: str, by: dict[str, Any], chat_id: int, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Queue a message from a user (commands get their bot_command entity)."""
        message: dict[str, Any] = {
            "message_id": self._next_id(chat_id),
            "date": DATE,
            "chat": chat(chat_id),
            "from": by,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = {k: v for k, v in reply_to.items() if k[0] != "_"}
        return self.push({"message": message})

    # -- what was sent ---------------------------------------------------------------------

    def requests(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``method``, in order."""
        return [params for name, params in self.calls if name == method]

    def in_chat(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot created in ``chat_id``, in order (current state)."""
        return [
            self.messages[(m["chat"]["id"], m["message_id"])]
            for m in self.sent
            if m["chat"]["id"] == chat_id
        ]

    # -- the transport ---------------------------------------------------------------------

    def bot(self) -> ExtBot[None]:
        """A real PTB bot whose requests come here."""
        transport = httpx.MockTransport(self.handle)
        return ExtBot(
            TOKEN,
            request=HTTPXRequest(httpx_kwargs={"transport": transport}),
            get_updates_request=HTTPXRequest(httpx_kwargs={"transport": transport}),
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        prefix = f"/bot{TOKEN}/"
        assert request.url.path.startswith(prefix), f"not our bot: {request.url.path}"
        method = request.url.path.removeprefix(prefix)
        params = self._params(request)
        self.calls.append((method, params))
        self.counts[method] += 1
        fault = self.faults.get((method, self.counts[method]))
        if fault is not None:
            return httpx.Response(fault["error_code"], json=fault)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return httpx.Response(404, json=error(404, "Not Found: method not found"))
        try:
            result = handler(params)
        except BadHtml as exc:
            return httpx.Response(400, json=error(400, f"Bad Request: can't parse entities: {exc}"))
        except LookupError as exc:
            return httpx.Response(400, json=error(400, f"Bad Request: {exc.args[0]}"))
        return httpx.Response(200, json={"ok": True, "result": result})

    @staticmethod
    def _params(request: httpx.Request) -> dict[str, Any]:
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            head = f"Content-Type: {kind}\r\n\r\n".encode()
            parsed = BytesParser(policy=HTTP).parsebytes(head + request.content)
            params: dict[str, Any] = {}
            for part in parsed.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                if part.get_filename():
                    params[str(name)] = {"file": part.get_filename(), "bytes": payload}
                else:
                    params[str(name)] = _decode(payload.decode())
            return params
        return {k: _decode(v) for k, v in parse_qsl(request.content.decode("utf-8"))}

    def _next_id(self, chat_id: int) -> int:
        self._ids[chat_id] += 1
        return 100 + self._ids[chat_id]

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": self._next_id(chat_id),
            "date": DATE,
            "chat": chat(chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Salon", "username": BOT_USERNAME},
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            _check_markup(markup)
            # Telegram returns inline keyboards only (not ForceReply) with the message
            message["reply_markup" if "inline_keyboard" in markup else "_reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        self.sent.append(message)
        return message

    # -- methods ---------------------------------------------------------------------------

    def _getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Salon",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _text(self, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raw = str(params["text"])
        if params.get("parse_mode") == "HTML":
            parsed = parse_html(raw)
            text = "".join(parsed.text)
            extra = {"html": raw, "links": parsed.links, "tags": dict(parsed.tags)}
        else:
            text, extra = raw, {}
        if not text.strip():
            raise LookupError("message text is empty")
        if utf16(text) > 4096:
            raise LookupError("message is too long")
        return text, extra

    def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text, extra = self._text(params)
        message = self._message(params, text=text)
        message.update({"_" + k: v for k, v in extra.items()})
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = params["photo"]
        size = len(photo["bytes"]) if isinstance(photo, dict) else 0
        message = self._message(
            params,
            photo=[
                {
                    "file_id": "p1",
                    "file_unique_id": "u1",
                    "width": 90,
                    "height": 60,
                    "file_size": size,
                }
            ],
            caption=params.get("caption", ""),
        )
        message["_png"] = isinstance(photo, dict) and photo["bytes"].startswith(b"\x89PNG")
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self.messages:
            raise LookupError("message to edit not found")
        return self.messages[key]

    def _editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        text, extra = self._text(params)
        markup = params.get("reply_markup")
        if markup:
            _check_markup(markup)
        if message.get("_html") == extra.get("html") and message.get("reply_markup") == markup:
            raise LookupError(
                "message is not modified: specified new message content and "
                "reply markup are exactly the same"
            )
        message["text"] = text
        message.update({"_" + k: v for k, v in extra.items()})
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = DATE + 60
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params)
        markup = params.get("reply_markup")
        if markup:
            _check_markup(markup)
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def _answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        if len(str(params.get("text", ""))) > 200:
            raise LookupError("MESSAGE_TOO_LONG")
        return True

    def _setMyCommands(self, params: dict[str, Any]) -> bool:
        for command in params["commands"]:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise LookupError("BOT_COMMAND_INVALID")
        return True

    def _deleteWebhook(self, _params: dict[str, Any]) -> bool:
        return True

    def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        if offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= int(offset)]
        allowed = params.get("allowed_updates")
        batch = [u for u in self.updates if not allowed or set(u) - {"update_id"} <= set(allowed)]
        if not batch and self.on_idle is not None:
            self.on_idle()
        return batch[: int(params.get("limit", 100))]


def _check_markup(markup: dict[str, Any]) -> None:
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise LookupError("BUTTON_DATA_INVALID")


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A message's inline buttons: label -> callback data."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row if "callback_data" in b}
