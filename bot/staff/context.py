"""What the staff bot's parts share: settings, store, Bot API client, pacing, signing, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, Message, User
from telegram.constants import ParseMode

from bot.models import utcnow
from bot.staff.buttons import Signer, alert_keyboard
from bot.staff.pacing import Sender
from bot.staff.render import render_alert, split_plain
from bot.staff.view import AlertView, alert_item, load_view
from config.settings import Settings

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def parse_refs(external_id: str | None) -> list[tuple[int, int]]:
    """The (chat id, message id) pairs an alert was delivered as (``"-100:7,42:3"``)."""
    refs = []
    for part in (external_id or "").split(","):
        chat, _, message = part.partition(":")
        try:
            refs.append((int(chat), int(message)))
        except ValueError:
            continue  # not a Telegram delivery (e.g. the console's "console:3")
    return refs


def format_refs(refs: list[tuple[int, int]]) -> str:
    """The inverse of :func:`parse_refs`."""
    return ",".join(f"{chat}:{message}" for chat, message in refs)


def actor_name(user: User) -> str:
    """How a staff member appears in the log: ``@handle``, else their name and id."""
    return f"@{user.username}" if user.username else f"{user.full_name} ({user.id})"


@dataclass(eq=False)
class StaffContext:
    """Shared state of the staff bot."""

    settings: Settings
    engine: Engine
    bot: Bot
    sender: Sender
    signer: Signer
    clock: Callable[[], datetime] = utcnow
    names: dict[int, str] = field(default_factory=dict)  # staff seen so far: id -> name

    @property
    def tz(self) -> ZoneInfo:
        """The institution's time zone (times shown to staff)."""
        return ZoneInfo(self.settings.institution.timezone)

    def session(self) -> Session:
        """A new session on the store."""
        return Session(self.engine, expire_on_commit=False)

    @cached_property
    def topics(self) -> list[str]:
        """The taxonomy's topic keys (the choices of "Wrong topic")."""
        from config.taxonomy import default_taxonomy, load_taxonomy

        path = self.settings.nlp.taxonomy_file
        return list((load_taxonomy(path) if path else default_taxonomy()).topics)

    def members(self) -> list[str]:
        """Whom an alert can be assigned to: configured members, then other staff users."""
        staff = self.settings.staff
        choices = list(staff.members)
        known = {uid for uid in staff.members.values() if uid is not None}
        for uid in staff.telegram.users:
            if uid not in known:
                choices.append(self.names.get(uid, f"user {uid}"))
        return choices

    def alert_message(self, view: AlertView) -> tuple[str, InlineKeyboardMarkup | None]:
        """The HTML and buttons of an alert in its current state."""
        return render_alert(view, self.tz), alert_keyboard(view, self.signer)

    async def send_html(
        self, chat_id: int, html: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        """Send an HTML message to ``chat_id`` (paced, retried on 429)."""
        return await self.sender.call(
            chat_id,
            lambda: self.bot.send_message(
                chat_id,
                html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            ),
        )

    async def send_digest(
        self, chat_id: int, text: str, charts: list[tuple[Path, str]]
    ) -> list[Message]:
        """A digest: its plain text (no markup to inject; as many messages as it takes, without
        link previews), then each existing chart as a photo with its caption."""
        sent = [
            await self.sender.call(
                chat_id,
                partial(self.bot.send_message, chat_id, chunk, link_preview_options=NO_PREVIEW),
            )
            for chunk in split_plain(text)
        ]
        for path, caption in charts:
            if path.is_file():
                sent.append(await self.send_photo(chat_id, path, caption))
        return sent

    async def send_photo(self, chat_id: int, path: Path, caption: str) -> Message:
        """A PNG file as a photo (paced, retried on 429)."""
        photo = InputFile(path.read_bytes(), filename=path.name)
        return await self.sender.call(
            chat_id, partial(self.bot.send_photo, chat_id, photo, caption=caption)
        )

    async def refresh_alert(self, alert_id: int, also: tuple[int, int] | None = None) -> None:
        """Edit every copy of an alert (and the message ``also``) to show its current state."""
        with self.session() as session:
            item = alert_item(session, alert_id)
            if item is None:
                return
            view = load_view(session, item, {})
            refs = parse_refs(item.external_id)
        if also is not None and also not in refs:
            refs.append(also)
        html, markup = self.alert_message(view)
        for chat_id, message_id in refs:
            edit = partial(
                self.bot.edit_message_text,
                html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            await self.sender.quietly(chat_id, edit)
