"""Bot API updates (raw JSON, checked by :mod:`connectors.telegram.wire`) to :class:`Post`.

Message ids are unique per chat only, so a post id is ``<chat_id>:<message_id>``. In a
supergroup every message of a reply chain carries ``message_thread_id``, the id of the chain's
first message (for channel comments: the automatic forward of the channel post), which gives
the conversation root directly; elsewhere the parent's root is remembered or the parent is used.
``Post.raw`` is the update exactly as received.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import Author, Post, PostKind
from connectors.telegram.settings import UpdatesOptions, normalize_handle
from connectors.telegram.wire import JSON, MESSAGE_KEYS

PLATFORM = "telegram"
TELEGRAM_SERVICE_USER = 777000  # "Telegram": the sender of automatic forwards
_ROOTS_KEPT = 10_000
PRIVATE, GROUP, SUPERGROUP, CHANNEL = "private", "group", "supergroup", "channel"
MENTION, TEXT_MENTION = "mention", "text_mention"
_MENTIONS = frozenset((MENTION,))


def post_id(chat_id: int, message_id: int) -> str:
    """The normalized id of message ``message_id`` of chat ``chat_id``."""
    return f"{chat_id}:{message_id}"


def split_post_id(value: str) -> tuple[int, int]:
    """``(chat_id, message_id)`` from a post id made by :func:`post_id`."""
    chat, sep, message = value.rpartition(":")
    if not sep:
        raise ValueError(f"{value!r} is not a Telegram post id '<chat_id>:<message_id>'")
    return int(chat), int(message)


def permalink(chat: Mapping[str, Any], message_id: int, topic_id: int | None = None) -> str | None:
    """The t.me link of a message of ``chat`` (a Bot API Chat: ``id``, ``type``, ``username``):
    public for chats with a username, ``t.me/c/…`` (members only) for private supergroups and
    channels, None for basic groups and private chats."""
    if chat["type"] in (PRIVATE, GROUP):
        return None
    username, chat_id = chat.get("username"), str(chat["id"])
    if username:
        base = f"https://t.me/{username}/{message_id}"
    elif chat_id.startswith("-100"):
        base = f"https://t.me/c/{chat_id[4:]}/{message_id}"
    else:
        return None
    return f"{base}?thread={topic_id}" if topic_id else base


def entity_texts(text: str, entities: Iterable[JSON], kinds: frozenset[str]) -> Iterator[str]:
    """The text of each entity of ``kinds``. Bot API offsets and lengths count UTF-16 code
    units, so an emoji outside the BMP before an entity shifts it by two, not one."""
    wanted = [e for e in entities if e["type"] in kinds]
    if not wanted:
        return
    units = text.encode("utf-16-le")
    for entity in wanted:
        start = 2 * entity["offset"]
        # a span that cuts a surrogate pair is the sender's error: keep the rest readable
        yield units[start : start + 2 * entity["length"]].decode("utf-16-le", "replace")


def _full_name(data: JSON) -> str | None:
    first = data.get("first_name")
    if not first:
        return None
    last = data.get("last_name")
    return f"{first} {last}" if last else first


def _user_author(user: JSON, *, is_self: bool) -> Author:
    return Author(
        id=str(user["id"]),
        handle=user.get("username") or str(user["id"]),
        name=_full_name(user),
        is_self=is_self,
        is_bot=bool(user.get("is_bot")),
    )


def _chat_author(chat: JSON, *, is_self: bool) -> Author:
    return Author(
        id=str(chat["id"]),
        handle=chat.get("username") or str(chat["id"]),
        name=chat.get("title") or _full_name(chat),
        is_self=is_self,
    )


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class Normalizer:
    """Turns updates into posts for one connector (knows the institution's identity)."""

    def __init__(
        self,
        *,
        bot_id: int,
        account_id: int | None = None,
        account_handle: str | None = None,
        bot_username: str | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.account_id = account_id
        self.handles = {h for h in (account_handle, bot_username) if h}
        self._roots: OrderedDict[str, str] = OrderedDict()

    # -- identity -------------------------------------------------------------------------
    def is_self_chat(self, chat: JSON) -> bool:
        """Whether ``chat`` is the institution's own channel."""
        if self.account_id is not None and chat["id"] == self.account_id:
            return True
        username: str | None = chat.get("username")
        return username is not None and normalize_handle(username) in self.handles

    def author_of(self, message: JSON) -> Author:
        """Who wrote ``message``: a user, or the chat it was sent on behalf of."""
        sender = message.get("sender_chat")
        if sender is not None:
            own = (
                self.is_self_chat(sender)
                or sender["id"] == message["chat"]["id"]  # a channel post, an anonymous admin
                or bool(message.get("is_automatic_forward"))  # the linked channel's own post
            )
            return _chat_author(sender, is_self=own)
        user = message.get("from")
        if user is not None:
            return _user_author(user, is_self=user["id"] == self.bot_id)
        return _chat_author(message["chat"], is_self=True)  # a channel post without sender_chat

    def mentions_self(self, message: JSON, parent: JSON | None) -> bool:
        """@-mentions of our handles, a text mention of the bot, or a reply to our message."""
        if parent is not None and self.author_of(parent).is_self:
            return True
        external = message.get("external_reply")
        if external is not None:
            chat = external.get("chat")
            if chat is not None and self.is_self_chat(chat):
                return True
        text = message.get("text")
        entities = message.get("entities") if text else message.get("caption_entities")
        if not entities:
            return False
        for entity in entities:
            if entity["type"] == TEXT_MENTION:
                user = entity.get("user")
                if user is not None and user["id"] == self.bot_id:
                    return True
        source = text or message.get("caption") or ""
        mentioned = entity_texts(source, entities, _MENTIONS)
        return any(normalize_handle(handle) in self.handles for handle in mentioned)

    # -- threads --------------------------------------------------------------------------
    def _remember(self, key: str, root: str) -> None:
        self._roots[key] = root
        self._roots.move_to_end(key)
        while len(self._roots) > _ROOTS_KEPT:
            self._roots.popitem(last=False)

    @staticmethod
    def _parent(message: JSON) -> JSON | None:
        parent: JSON | None = message.get("reply_to_message")
        if parent is None or parent.get("forum_topic_created") is not None:
            return None  # in a forum topic every message "replies" to the topic's creation
        return parent

    def _thread(self, message: JSON, parent: JSON | None) -> tuple[str, str | None]:
        """``(conversation_id, in_reply_to_id)`` of ``message``."""
        chat = message["chat"]
        chat_id = chat["id"]
        own = post_id(chat_id, message["message_id"])
        reply_to: str | None = None
        if parent is not None:
            reply_to = post_id(chat_id, parent["message_id"])
        else:
            ext = message.get("external_reply") or {}
            if ext.get("chat") is not None and ext.get("message_id") is not None:
                reply_to = post_id(ext["chat"]["id"], ext["message_id"])
        thread_id = message.get("message_thread_id")
        if thread_id and chat["type"] == SUPERGROUP:
            root = post_id(chat_id, thread_id)
        elif parent is not None and reply_to is not None:
            parent_thread = parent.get("message_thread_id")
            root = self._roots.get(reply_to) or (
                post_id(chat_id, parent_thread) if parent_thread else reply_to
            )
        elif reply_to is not None:
            root = reply_to
        else:
            root = own
        self._remember(own, root)
        return root, reply_to

    # -- posts ----------------------------------------------------------------------------
    @staticmethod
    def message_of(update: JSON) -> JSON | None:
        """The message an update carries (new or edited, group or channel)."""
        for key in MESSAGE_KEYS:
            message: JSON | None = update.get(key)
            if message is not None:
                return message
        return None

    def skip_reason(self, message: JSON, options: UpdatesOptions) -> str | None:
        """Why the feed options drop ``message`` (None: keep it).

        Reasons worth telling the operator are sentences; routine drops (service messages,
        media without caption, channel posts or forwards switched off) are an empty string.
        """
        chat = message["chat"]
        if chat["type"] == PRIVATE:
            if not options.private_messages:
                return "direct message(s) to the bot: options.private_messages is off"
        elif not options.keeps(chat["id"], chat.get("username")):
            title = chat.get("title")
            name = f" ({title})" if title else ""
            return f"update(s) from chat {chat['id']}{name}: not listed in options.chats"
        switched_off = (chat["type"] == CHANNEL and not options.channel_posts) or (
            bool(message.get("is_automatic_forward")) and not options.automatic_forwards
        )
        if switched_off or (message.get("text") is None and message.get("caption") is None):
            return ""
        return None

    def kind_of(
        self, message: JSON, parent: JSON | None, replying: bool, mentions: bool
    ) -> PostKind:
        """Post for channel posts and their forwards, comment under them, reply, message."""
        chat_type = message["chat"]["type"]
        if chat_type == CHANNEL:
            return PostKind.REPLY if replying else PostKind.POST
        if message.get("is_automatic_forward"):
            return PostKind.POST
        if parent is not None and parent.get("is_automatic_forward"):
            return PostKind.COMMENT
        if replying:
            return PostKind.REPLY
        if chat_type != PRIVATE and mentions:
            return PostKind.MENTION
        return PostKind.MESSAGE

    def post(self, update: JSON, message: JSON, source: str) -> Post:
        """The normalized post of ``message`` (carried by ``update``, kept as ``raw``)."""
        parent = self._parent(message)
        conversation, reply_to = self._thread(message, parent)
        mentions = self.mentions_self(message, parent)
        chat, message_id = message["chat"], message["message_id"]
        topic = message.get("message_thread_id") if message.get("is_topic_message") else None
        text = message.get("text")
        edited = message.get("edit_date")
        return Post(
            platform=PLATFORM,
            id=post_id(chat["id"], message_id),
            source=source,
            kind=self.kind_of(message, parent, reply_to is not None, mentions),
            author=self.author_of(message),
            text=text if text is not None else (message.get("caption") or ""),
            created_at=_time(message["date"]),
            url=permalink(chat, message_id, topic),
            conversation_id=conversation,
            in_reply_to_id=reply_to,
            mentions_self=mentions,
            edited_at=_time(edited) if edited else None,
            raw=update,
        )

    def posts(
        self,
        updates: Iterable[JSON],
        options: UpdatesOptions,
        source: str,
        since: datetime | None = None,
    ) -> tuple[list[Post], list[str]]:
        """Posts of the kept messages, one per id (a later edit replaces the earlier state),
        and a warning per reason something worth telling was skipped."""
        out: dict[str, Post] = {}
        skipped: Counter[str] = Counter()
        oldest = since.timestamp() if since is not None else None
        for update in updates:
            message = self.message_of(update)
            if message is None:
                continue
            reason = self.skip_reason(message, options)
            if reason is not None:
                if reason:
                    skipped[reason] += 1
                continue
            if oldest is not None and message["date"] < oldest:
                continue
            post = self.post(update, message, source)
            out.pop(post.id, None)
            out[post.id] = post
        warnings = [f"skipped {count} {reason}" for reason, count in skipped.items()]
        return list(out.values()), warnings
