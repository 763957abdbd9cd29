"""Bot API messages (python-telegram-bot objects) to normalized :class:`Post` objects.

Message ids are unique per chat only, so a post id is ``<chat_id>:<message_id>``. In a
supergroup every message of a reply chain carries ``message_thread_id``, the id of the chain's
first message (for channel comments: the automatic forward of the channel post), which gives
the conversation root directly; elsewhere the parent's root is remembered or the parent is used.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from telegram import Chat, Message, MessageEntity, Update, User
from telegram.constants import ChatType

from connectors.base import Author, Post, PostKind, ensure_utc
from connectors.telegram.settings import UpdatesOptions, normalize_handle

PLATFORM = "telegram"
TELEGRAM_SERVICE_USER = 777000  # "Telegram": the sender of automatic forwards
_ROOTS_KEPT = 10_000
# Message fields PTB always sets (False) although the wire JSON omits them when false.
_PTB_DEFAULT_FLAGS = (
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
)


def post_id(chat_id: int, message_id: int) -> str:
    """The normalized id of message ``message_id`` of chat ``chat_id``."""
    return f"{chat_id}:{message_id}"


def split_post_id(value: str) -> tuple[int, int]:
    """``(chat_id, message_id)`` from a post id made by :func:`post_id`."""
    chat, sep, message = value.rpartition(":")
    if not sep:
        raise ValueError(f"{value!r} is not a Telegram post id '<chat_id>:<message_id>'")
    return int(chat), int(message)


def permalink(chat: Chat, message_id: int, topic_id: int | None = None) -> str | None:
    """The t.me link of a message: public for chats with a username, ``t.me/c/…`` (members
    only) for private supergroups and channels, None for basic groups and private chats."""
    if chat.type in (ChatType.PRIVATE, ChatType.GROUP):
        return None
    if chat.username:
        base = f"https://t.me/{chat.username}/{message_id}"
    elif str(chat.id).startswith("-100"):
        base = f"https://t.me/c/{str(chat.id)[4:]}/{message_id}"
    else:
        return None
    return f"{base}?thread={topic_id}" if topic_id else base


def wire_dict(update: Update) -> dict[str, Any]:
    """The update as the Bot API sent it (PTB's ``to_dict`` minus the defaults PTB adds)."""
    data: dict[str, Any] = json.loads(json.dumps(update.to_dict(recursive=True)))
    return _strip_defaults(data)


def _strip_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        if "message_id" in value and "chat" in value:
            for flag in _PTB_DEFAULT_FLAGS:
                if value.get(flag) is False:
                    del value[flag]
        for item in value.values():
            _strip_defaults(item)
    elif isinstance(value, list):
        for item in value:
            _strip_defaults(item)
    return value


def _user_author(user: User, *, is_self: bool) -> Author:
    return Author(
        id=str(user.id),
        handle=user.username or str(user.id),
        name=user.full_name or None,
        is_self=is_self,
        is_bot=bool(user.is_bot),
    )


def _chat_author(chat: Chat, *, is_self: bool) -> Author:
    return Author(
        id=str(chat.id),
        handle=chat.username or str(chat.id),
        name=chat.title or chat.full_name or None,
        is_self=is_self,
    )


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
    def is_self_chat(self, chat: Chat) -> bool:
        """Whether ``chat`` is the institution's own channel."""
        if self.account_id is not None and chat.id == self.account_id:
            return True
        return bool(chat.username) and normalize_handle(chat.username or "") in self.handles

    def author_of(self, message: Message) -> Author:
        """Who wrote ``message``: a user, or the chat it was sent on behalf of."""
        sender = message.sender_chat
        if sender is not None:
            own = (
                self.is_self_chat(sender)
                or sender.id == message.chat.id  # a channel post, or an anonymous group admin
                or bool(message.is_automatic_forward)  # the linked channel's own post
            )
            return _chat_author(sender, is_self=own)
        if message.from_user is not None:
            return _user_author(message.from_user, is_self=message.from_user.id == self.bot_id)
        return _chat_author(message.chat, is_self=True)  # a channel post without sender_chat

    def _is_ours(self, message: Message) -> bool:
        return self.author_of(message).is_self

    def mentions_self(self, message: Message, parent: Message | None) -> bool:
        """@-mentions of our handles, a text mention of the bot, or a reply to our message."""
        if parent is not None and self._is_ours(parent):
            return True
        external = message.external_reply
        if external is not None and external.chat is not None and self.is_self_chat(external.chat):
            return True
        kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        found = (
            message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
        )
        for entity, text in found.items():
            if entity.type == MessageEntity.TEXT_MENTION:
                if entity.user is not None and entity.user.id == self.bot_id:
                    return True
            elif normalize_handle(text) in self.handles:
                return True
        return False

    # -- threads --------------------------------------------------------------------------
    def _remember(self, key: str, root: str) -> None:
        self._roots[key] = root
        self._roots.move_to_end(key)
        while len(self._roots) > _ROOTS_KEPT:
            self._roots.popitem(last=False)

    @staticmethod
    def _parent(message: Message) -> Message | None:
        parent = message.reply_to_message
        if parent is None or parent.forum_topic_created is not None:
            return None  # in a forum topic every message "replies" to the topic's creation
        return parent

    def _thread(self, message: Message, parent: Message | None) -> tuple[str, str | None]:
        """``(conversation_id, in_reply_to_id)`` of ``message``."""
        chat_id = message.chat.id
        own = post_id(chat_id, message.message_id)
        reply_to: str | None = None
        if parent is not None:
            reply_to = post_id(chat_id, parent.message_id)
        elif message.external_reply is not None:
            ext = message.external_reply
            if ext.chat is not None and ext.message_id is not None:
                reply_to = post_id(ext.chat.id, ext.message_id)
        if message.message_thread_id and message.chat.type == ChatType.SUPERGROUP:
            root = post_id(chat_id, message.message_thread_id)
        elif parent is not None and reply_to is not None:
            root = self._roots.get(reply_to) or (
                post_id(chat_id, parent.message_thread_id) if parent.message_thread_id else reply_to
            )
        elif reply_to is not None:
            root = reply_to
        else:
            root = own
        self._remember(own, root)
        return root, reply_to

    # -- posts ----------------------------------------------------------------------------
    def message_of(self, update: Update) -> Message | None:
        """The message an update carries (new or edited, group or channel)."""
        return (
            update.message
            or update.edited_message
            or update.channel_post
            or update.edited_channel_post
        )

    def skip_reason(self, message: Message, options: UpdatesOptions) -> str | None:
        """Why the feed options drop ``message`` (None: keep it).

        Reasons worth telling the operator are sentences; routine drops (service messages,
        media without caption, channel posts or forwards switched off) are an empty string.
        """
        chat = message.chat
        if chat.type == ChatType.PRIVATE:
            if not options.private_messages:
                return "direct message(s) to the bot: options.private_messages is off"
        elif not options.keeps(chat.id, chat.username):
            name = f" ({chat.title})" if chat.title else ""
            return f"update(s) from chat {chat.id}{name}: not listed in options.chats"
        switched_off = (chat.type == ChatType.CHANNEL and not options.channel_posts) or (
            bool(message.is_automatic_forward) and not options.automatic_forwards
        )
        if switched_off or (message.text is None and message.caption is None):
            return ""
        return None

    def kind_of(
        self, message: Message, parent: Message | None, replying: bool, mentions: bool
    ) -> PostKind:
        """Post for channel posts and their forwards, comment under them, reply, message."""
        if message.chat.type == ChatType.CHANNEL:
            return PostKind.REPLY if replying else PostKind.POST
        if message.is_automatic_forward:
            return PostKind.POST
        if parent is not None and parent.is_automatic_forward:
            return PostKind.COMMENT
        if replying:
            return PostKind.REPLY
        if message.chat.type != ChatType.PRIVATE and mentions:
            return PostKind.MENTION
        return PostKind.MESSAGE

    def post(self, update: Update, message: Message, source: str) -> Post:
        """The normalized post of ``message`` (carried by ``update``)."""
        parent = self._parent(message)
        conversation, reply_to = self._thread(message, parent)
        mentions = self.mentions_self(message, parent)
        topic = message.message_thread_id if message.is_topic_message else None
        return Post(
            platform=PLATFORM,
            id=post_id(message.chat.id, message.message_id),
            source=source,
            kind=self.kind_of(message, parent, reply_to is not None, mentions),
            author=self.author_of(message),
            text=message.text if message.text is not None else (message.caption or ""),
            created_at=ensure_utc(message.date),
            url=permalink(message.chat, message.message_id, topic),
            conversation_id=conversation,
            in_reply_to_id=reply_to,
            mentions_self=mentions,
            edited_at=ensure_utc(message.edit_date) if message.edit_date else None,
            raw=wire_dict(update),
        )

    def posts(
        self,
        updates: Iterable[Update],
        options: UpdatesOptions,
        source: str,
        since: datetime | None = None,
    ) -> tuple[list[Post], list[str]]:
        """Posts of the kept messages, one per id (a later edit replaces the earlier state),
        and a warning per reason something worth telling was skipped."""
        out: dict[str, Post] = {}
        skipped: Counter[str] = Counter()
        for update in updates:
            message = self.message_of(update)
            if message is None:
                continue
            reason = self.skip_reason(message, options)
            if reason is not None:
                if reason:
                    skipped[reason] += 1
                continue
            if since is not None and ensure_utc(message.date) < since:
                continue
            post = self.post(update, message, source)
            out.pop(post.id, None)
            out[post.id] = post
        warnings = [f"skipped {count} {reason}" for reason, count in skipped.items()]
        return list(out.values()), warnings
