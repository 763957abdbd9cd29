"""Alerts and digests to the staff chats on Telegram (the :class:`~bot.alerts.AlertSink`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.models import OutboxItem
from bot.staff.context import StaffContext, format_refs
from bot.staff.render import render_group
from bot.staff.view import load_view

log = logging.getLogger(__name__)


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


class TelegramSink:
    """Sends each alert as an HTML message with buttons to the chats it is meant for.

    Returns ``"chat:message,..."`` for the outbox to store as the item's ``external_id``: that
    is how the bot finds every copy of an alert to edit it in place after a button press.
    """

    def __init__(
        self, ctx: StaffContext, ready: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.ctx = ctx
        self.group_after = ctx.settings.staff.telegram.group_after
        self._ready = ready  # connects the bot (getMe) before the first message

    async def _connect(self) -> None:
        if self._ready is not None:
            await self._ready()

    def staff_chats(self) -> list[int]:
        """Where alerts go by default: the staff chats, else each staff user privately."""
        tg = self.ctx.settings.staff.telegram
        return list(tg.chats) or list(tg.users)

    def destinations(self, payload: dict[str, Any]) -> list[int]:
        """The chats for an alert: its rule's target (``to``: ``urgent``, a staff member or a
        chat id) or the staff chats; urgent alerts also go to the urgent chat."""
        staff = self.ctx.settings.staff
        urgent_chat = staff.telegram.urgent_chat
        to = payload.get("to")
        member_id = staff.members.get(to) if isinstance(to, str) else None
        if to == "urgent" and urgent_chat is not None:
            return [urgent_chat]
        if isinstance(to, int) or (isinstance(to, str) and to.lstrip("-").isdigit()):
            targets = [int(to)]
        elif member_id is not None:
            targets = [member_id]
        else:
            targets = self.staff_chats()
        if payload.get("priority") == "urgent" and urgent_chat is not None:
            targets.append(urgent_chat)
        return _unique(targets)

    async def send_alert(self, payload: dict[str, Any], key: str) -> str:
        """One alert, with its buttons, to each of its chats."""
        await self._connect()
        with self.ctx.session() as session:
            item = session.scalars(select(OutboxItem).where(col(OutboxItem.key) == key)).first()
            view = load_view(session, item, payload)
        html, markup = self.ctx.alert_message(view)
        refs = []
        for chat_id in self.destinations(payload):
            message = await self.ctx.send_html(chat_id, html, markup)
            refs.append((chat_id, message.message_id))
        return format_refs(refs)

    async def send_alert_group(self, payloads: list[dict[str, Any]], keys: list[str]) -> str:
        """Many alerts on one topic as one summary message."""
        await self._connect()
        html = render_group(payloads)
        refs = []
        for chat_id in self.destinations(payloads[0]):
            message = await self.ctx.send_html(chat_id, html)
            refs.append((chat_id, message.message_id))
        return format_refs(refs)

    async def send_digest(self, payload: dict[str, Any], key: str) -> str:
        """The weekly digest: its compact text, then its charts as photos, to the staff chats."""
        await self._connect()
        charts = [
            (Path(str(chart["path"])), str(chart.get("caption", "")))
            for chart in payload.get("charts", [])
            if isinstance(chart, dict) and chart.get("path")
        ]
        refs = []
        for chat_id in self.staff_chats():
            messages = await self.ctx.send_digest(chat_id, str(payload.get("summary", "")), charts)
            refs += [(chat_id, message.message_id) for message in messages]
        return format_refs(refs)
