"""The staff bot's commands: /inbox, /status, /digest, /mute, /pause, /resume, /help."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from telegram import BotCommand, Update
from telegram.ext import ContextTypes

from bot.conversations import set_state
from bot.digest import Digest, digest_for
from bot.digest_charts import caption, render_charts
from bot.digest_period import week_so_far
from bot.digest_render import render_text
from bot.errors import ConversationError
from bot.models import StaffAction
from bot.outbox import set_sending_paused
from bot.staff.context import StaffContext, actor_name
from bot.staff.render import esc
from bot.staff.reports import inbox_text, status_text

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("inbox", "Open items, most urgent first"),
    BotCommand("status", "Sources, last polls, errors, quotas, outbox"),
    BotCommand("digest", "This week so far"),
    BotCommand("mute", "Mute a conversation: /mute <id or key>"),
    BotCommand("pause", "Stop all public replies"),
    BotCommand("resume", "Let public replies go out again"),
    BotCommand("help", "What the commands and buttons do"),
]

HELP = """<b>Salon staff bot</b>
/inbox – open items, most urgent first
/status – sources (last poll, errors, requests left), the outbox, pause state
/digest – this week so far, with charts
/mute &lt;conversation&gt; – mute a conversation: no more reminders (id from /inbox)
/pause – stop all public replies (alerts keep coming); /resume – start again
/help – this text

<b>Buttons on an alert</b>
✅ Approve – send the drafted reply (once)
✏️ Edit – reply to my prompt with new text; it replaces the draft
🗑 Dismiss – nothing to do; cancels the draft
👤 Assign – give the conversation to a colleague
⏰ 1 h / 1 day – no reminders until then
✔️ Handled – the conversation needs nothing more from us
🏷 Wrong topic / sentiment – teach the classifier the right answer"""


class Commands:
    """Handlers for the staff commands (``CommandHandler``)."""

    def __init__(self, ctx: StaffContext) -> None:
        self.ctx = ctx

    async def reply(self, update: Update, html: str) -> None:
        """Answer in the chat the command came from."""
        chat = update.effective_chat
        if chat is not None:
            await self.ctx.send_html(chat.id, html)

    async def inbox(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/inbox"""
        with self.ctx.session() as session:
            html = inbox_text(session, self.ctx.clock())
        await self.reply(update, html)

    async def status(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/status"""
        with self.ctx.session() as session:
            html = status_text(session, self.ctx.settings, self.ctx.clock())
        await self.reply(update, html)

    async def digest(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest: the week so far as a message, then its charts as photos."""
        chat = update.effective_chat
        if chat is None:
            return
        with tempfile.TemporaryDirectory(prefix="salon-digest-") as folder:
            out = Path(folder)
            digest = await asyncio.to_thread(self._week_so_far)
            text = render_text(digest, "this week so far")
            try:
                files = await asyncio.to_thread(render_charts, digest, out)
            except Exception:  # a chart is a bonus: the figures still go out
                log.exception("the digest charts could not be drawn")
                files = {}
            charts = [(path, caption(path.name)) for path in files.values()]
            await self.ctx.send_digest(chat.id, text, charts)

    def _week_so_far(self) -> Digest:
        start, end = week_so_far(self.ctx.clock(), self.ctx.tz)
        with self.ctx.session() as session:
            return digest_for(session, self.ctx.settings, start, end)

    async def mute(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/mute <conversation id or key>"""
        args = context.args or []
        user = update.effective_user
        if len(args) != 1 or user is None:
            await self.reply(update, "Usage: /mute &lt;conversation id or key&gt; (see /inbox)")
            return
        ref: int | str = int(args[0]) if args[0].isdigit() else args[0]
        with self.ctx.session() as session:
            try:
                conv = set_state(
                    session, ref, "muted", actor=actor_name(user), now=self.ctx.clock()
                )
            except ConversationError as exc:
                await self.reply(update, f"⚠️ {esc(exc)}")
                return
            session.commit()
            key = conv.key
        await self.reply(update, f"🔕 Conversation {esc(key, 100)} muted.")

    async def _set_paused(self, update: Update, paused: bool) -> None:
        user = update.effective_user
        if user is None:
            return
        actor, now = actor_name(user), self.ctx.clock()
        with self.ctx.session() as session:
            changed = set_sending_paused(session, paused, actor=actor, now=now)
            if changed:
                action = "pause" if paused else "resume"
                session.add(StaffAction(actor=actor, action=action, payload={}, created_at=now))
            session.commit()
        if paused:
            text = "⏸ Public replies are paused. Alerts keep coming. /resume to send again."
        else:
            text = "▶️ Public replies are going out again."
        await self.reply(update, text if changed else "Nothing changed: " + text)

    async def pause(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/pause"""
        await self._set_paused(update, True)

    async def resume(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/resume"""
        await self._set_paused(update, False)

    async def help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help (and /start)"""
        await self.reply(update, HELP)
