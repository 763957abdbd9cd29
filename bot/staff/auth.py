"""Who the staff bot obeys: the configured staff chats and users, nobody else.

A private chat is obeyed when its user is staff (``staff.telegram.users`` or a member id in
``staff.members``). A group is obeyed when it is a staff chat (``chats`` or ``urgent_chat``)
and, if ``users`` is set, the sender is staff too; with ``users`` empty, every member of a
staff group is trusted. Anyone else gets one polite refusal (remembered per person, or per
chat for groups, so a busy stranger is not answered again and again) and a log line with ids
only, never the contents of what they wrote.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from telegram import Chat, Update, User
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.staff.context import StaffContext, actor_name

log = logging.getLogger(__name__)
REMEMBERED = 10_000  # refused ids kept (the oldest are forgotten first)


class Gate:
    """Runs before every handler (group -1); stops updates from anyone not authorised."""

    def __init__(self, ctx: StaffContext) -> None:
        self.ctx = ctx
        tg, members = ctx.settings.staff.telegram, ctx.settings.staff.members
        self.users = {*tg.users, *(uid for uid in members.values() if uid is not None)}
        self.chats = {*tg.chats, *([tg.urgent_chat] if tg.urgent_chat is not None else [])}
        self.any_member = not tg.users  # no user list: every member of a staff group is staff
        self.refused: OrderedDict[int, None] = OrderedDict()

    def allows(self, chat: Chat | None, user: User | None) -> bool:
        """Whether ``user`` writing in ``chat`` is obeyed."""
        if chat is None or user is None or user.is_bot:
            return False
        if chat.type == Chat.PRIVATE:
            return user.id in self.users
        return chat.id in self.chats and (self.any_member or user.id in self.users)

    def _first_refusal(self, key: int) -> bool:
        if key in self.refused:
            return False
        self.refused[key] = None
        while len(self.refused) > REMEMBERED:
            self.refused.popitem(last=False)
        return True

    async def __call__(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            raise ApplicationHandlerStop
        chat, user = update.effective_chat, update.effective_user
        if self.allows(chat, user):
            assert user is not None
            self.ctx.names[user.id] = actor_name(user)
            return
        if user is None or chat is None:
            raise ApplicationHandlerStop  # channel posts and the like: not for us
        kind = "button press" if update.callback_query else "message"
        log.warning("refused a %s from user %s in chat %s (not staff)", kind, user.id, chat.id)
        strange_group = chat.type != Chat.PRIVATE and chat.id not in self.chats
        first = self._first_refusal(chat.id if strange_group else user.id)
        text = (
            f"Sorry, this bot works only for the staff of {self.ctx.settings.institution.name}."
            " Messages here are not read."
        )
        query = update.callback_query
        if query is not None:
            await self.ctx.sender.quietly(None, lambda: query.answer(text if first else None))
        elif first and update.effective_message is not None:
            await self.ctx.sender.quietly(chat.id, lambda: self.ctx.bot.send_message(chat.id, text))
        raise ApplicationHandlerStop
