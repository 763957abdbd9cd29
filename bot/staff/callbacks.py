"""Button presses and the replies that carry a draft's new text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session
from telegram import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.staff import actions
from bot.staff.actions import Outcome
from bot.staff.buttons import SENTIMENT_CODES, SNOOZES, Act, Press, choice_keyboard
from bot.staff.context import StaffContext, actor_name
from bot.staff.render import esc
from bot.staff.view import alert_item, post_and_draft

log = logging.getLogger(__name__)
EDIT_PROMPT = re.compile(r"^✏️ New text for the draft reply of alert #(\d+)\b")
STALE = "This button is not valid any more."

Apply = Callable[[Session, int, str, datetime], Outcome]


class Callbacks:
    """Handlers for inline buttons (``CallbackQueryHandler``) and edit replies."""

    def __init__(self, ctx: StaffContext) -> None:
        self.ctx = ctx

    def apply(self, press: Press, actor: str) -> Outcome:
        """Run one action in one transaction (committed only if it changed something)."""
        now = self.ctx.clock()
        with self.ctx.session() as session:
            outcome = self._action(press)(session, press.outbox_id, actor, now)
            if outcome.changed:
                session.commit()
            else:
                session.rollback()
        return outcome

    def _action(self, press: Press) -> Apply:
        act, arg = press.act, press.arg
        if act is Act.APPROVE:
            return actions.approve
        if act is Act.DISMISS:
            return actions.dismiss
        if act is Act.HANDLED:
            return actions.mark_handled
        if act is Act.SNOOZE and arg in SNOOZES:
            return lambda s, i, who, now: actions.snooze_for(s, i, SNOOZES[arg], who, now)
        if act is Act.ASSIGN and arg.isdigit() and int(arg) < len(self.ctx.members()):
            member = self.ctx.members()[int(arg)]
            return lambda s, i, who, now: actions.assign(s, i, member, who, now)
        if act is Act.TOPIC and arg.isdigit() and int(arg) < len(self.ctx.topics):
            topic = self.ctx.topics[int(arg)]
            return lambda s, i, who, now: actions.correct(s, i, "topics", [topic], who, now)
        if act is Act.SENTIMENT and arg in SENTIMENT_CODES:
            label = SENTIMENT_CODES[arg]
            return lambda s, i, who, now: actions.correct(s, i, "sentiment", [label], who, now)
        return lambda *_: Outcome(False, STALE)

    async def _answer(self, query: CallbackQuery, text: str | None = None) -> None:
        await self.ctx.sender.quietly(None, lambda: query.answer(text))

    async def on_press(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button was pressed: check it, act, and show the result in place."""
        query = update.callback_query
        if query is None:
            return
        press = self.ctx.signer.decode(query.data)
        if press is None:
            log.warning("ignored a button with invalid data from user %s", query.from_user.id)
            await self._answer(query, STALE)
            return
        with self.ctx.session() as session:
            known = alert_item(session, press.outbox_id) is not None
        if not known:
            await self._answer(query, actions.GONE.answer)
            return
        message = query.message if isinstance(query.message, Message) else None
        pressed = (message.chat.id, message.message_id) if message else None
        menu = self._menu(press)
        if menu is not None:
            await self._answer(query)
            if message is not None:
                await self.ctx.sender.quietly(
                    message.chat.id, lambda: query.edit_message_reply_markup(menu)
                )
            return
        if press.act is Act.EDIT:
            await self.prompt_edit(press.outbox_id, query, message)
            return
        if press.act is Act.BACK:
            await self._answer(query)
        else:
            outcome = self.apply(press, actor_name(query.from_user))
            await self._answer(query, outcome.answer)
        await self.ctx.refresh_alert(press.outbox_id, also=pressed)

    def _menu(self, press: Press) -> InlineKeyboardMarkup | None:
        """The choices a button opens (Assign, Wrong topic, Wrong sentiment without a choice)."""
        if press.arg:
            return None
        signer, oid = self.ctx.signer, press.outbox_id
        if press.act is Act.ASSIGN:
            return choice_keyboard(signer, Act.ASSIGN, oid, self.ctx.members())
        if press.act is Act.TOPIC:
            return choice_keyboard(signer, Act.TOPIC, oid, self.ctx.topics)
        if press.act is Act.SENTIMENT:
            return choice_keyboard(signer, Act.SENTIMENT, oid, [], width=3)
        return None

    async def prompt_edit(
        self, alert_id: int, query: CallbackQuery, message: Message | None
    ) -> None:
        """Ask for the draft's new text, as a message the staff member replies to."""
        with self.ctx.session() as session:
            _, draft = post_and_draft(session, alert_id)
        if draft is None or draft.state != "draft" or message is None:
            await self._answer(query, "There is no draft to edit any more.")
            await self.ctx.refresh_alert(alert_id)
            return
        user = query.from_user
        who = f"@{user.username}" if user.username else esc(user.full_name, 60)
        text = (
            f"✏️ New text for the draft reply of alert #{alert_id}, {who}: reply to this message"
            f" with it (it replaces the draft; then press Approve).\n\nNow:\n"
            f"<i>{esc(draft.payload.get('text', ''), 3000)}</i>"
        )
        chat_id = message.chat.id
        await self.ctx.sender.quietly(
            chat_id,
            lambda: self.ctx.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=ForceReply(selective=True, input_field_placeholder="New reply text"),
            ),
        )
        await self._answer(query, "Reply to my message with the new text.")

    async def on_reply(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to one of our edit prompts: the draft's new text."""
        message = update.effective_message
        user = update.effective_user
        if message is None or user is None or message.text is None:
            return
        prompt = message.reply_to_message
        if prompt is None or prompt.from_user is None or prompt.from_user.id != self.ctx.bot.id:
            return
        found = EDIT_PROMPT.match(prompt.text or "")
        if found is None:
            return
        alert_id = int(found[1])
        now = self.ctx.clock()
        with self.ctx.session() as session:
            outcome = actions.edit_draft(session, alert_id, message.text, actor_name(user), now)
            if outcome.changed:
                session.commit()
        chat_id = message.chat.id
        await self.ctx.sender.quietly(
            chat_id, lambda: message.reply_text(outcome.answer, do_quote=True)
        )
        if outcome.changed:
            await self.ctx.refresh_alert(alert_id)
