"""Inline buttons: compact, signed callback data, and the keyboards of an alert.

Callback data is ``<action>:<outbox id>:<argument>:<signature>`` (at most 64 bytes, Telegram's
limit). The signature is an HMAC of the rest under a key derived from the bot token, so data a
client makes up or alters is refused before it reaches the store. A genuine button that has
gone stale (the draft was already approved elsewhere) is safe because every action checks the
stored state before it changes anything.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.staff.view import AlertView

MAX_CALLBACK_BYTES = 64
_SIG_BYTES = 8


class Act(enum.StrEnum):
    """What a button does (the two-letter code travels in the callback data)."""

    APPROVE = "ap"
    EDIT = "ed"
    DISMISS = "dm"
    ASSIGN = "as"  # without argument: show the staff list; with one: assign to member #n
    SNOOZE = "sn"  # argument: "h" (1 hour) or "d" (1 day)
    HANDLED = "hd"
    TOPIC = "wt"  # without argument: show the topics; with one: topic #n is right
    SENTIMENT = "ws"  # without argument: show the sentiments; with one: the right one
    BACK = "bk"  # back to the alert's own buttons


SNOOZES = {"h": 3600.0, "d": 86400.0}
SENTIMENT_CODES = {"n": "negative", "u": "neutral", "p": "positive"}


@dataclass(frozen=True, slots=True)
class Press:
    """A verified button press."""

    act: Act
    outbox_id: int
    arg: str = ""


class Signer:
    """Signs and checks callback data."""

    def __init__(self, token: str) -> None:
        self._key = hashlib.sha256(b"salon-staff-buttons\x00" + token.encode()).digest()

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_SIG_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def encode(self, act: Act, outbox_id: int, arg: str = "") -> str:
        """The callback data for one button."""
        body = f"{act.value}:{outbox_id}:{arg}"
        data = f"{body}:{self._sign(body)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {body!r}")
        return data

    def decode(self, data: str | None) -> Press | None:
        """The press ``data`` stands for, or None if it is malformed or not ours."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            return None
        body, _, signature = data.rpartition(":")
        # as bytes: compare_digest refuses str with non-ASCII characters (forged data may have)
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        code, _, rest = body.partition(":")
        number, _, arg = rest.partition(":")
        try:
            return Press(Act(code), int(number), arg)
        except ValueError:
            return None

    def button(self, label: str, act: Act, outbox_id: int, arg: str = "") -> InlineKeyboardButton:
        """An inline button carrying signed data."""
        return InlineKeyboardButton(label, callback_data=self.encode(act, outbox_id, arg))


def rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    """Buttons laid out ``width`` to a row."""
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def choice_keyboard(
    signer: Signer, act: Act, outbox_id: int, labels: list[str], *, width: int = 2
) -> InlineKeyboardMarkup:
    """One button per choice (argument: its index, or the code for sentiments), then Back."""
    if act is Act.SENTIMENT:
        choices = [
            signer.button(name, act, outbox_id, code) for code, name in SENTIMENT_CODES.items()
        ]
    else:
        choices = [signer.button(label, act, outbox_id, str(i)) for i, label in enumerate(labels)]
    return InlineKeyboardMarkup(
        [*rows(choices, width), [signer.button("« Back", Act.BACK, outbox_id)]]
    )


CLOSED_STATES = frozenset({"handled", "muted"})


def alert_keyboard(view: AlertView, signer: Signer) -> InlineKeyboardMarkup | None:
    """The buttons an alert offers in its current state (None: an alert the store lacks)."""
    if view.outbox_id is None:
        return None
    oid, b = view.outbox_id, signer.button
    first = []
    if view.draft_state == "draft":
        first += [b("✅ Approve", Act.APPROVE, oid), b("✏️ Edit", Act.EDIT, oid)]
    if not view.dismissed and view.draft_state in (None, "draft"):
        first.append(b("🗑 Dismiss", Act.DISMISS, oid))
    layout = [first] if first else []
    if view.conversation_id is not None and view.conversation_state not in CLOSED_STATES:
        layout.append(
            [
                b("👤 Assign", Act.ASSIGN, oid),
                b("⏰ 1 h", Act.SNOOZE, oid, "h"),
                b("⏰ 1 day", Act.SNOOZE, oid, "d"),
                b("✔️ Handled", Act.HANDLED, oid),
            ]
        )
    if view.post_id is not None:
        layout.append(
            [b("🏷 Wrong topic", Act.TOPIC, oid), b("🏷 Wrong sentiment", Act.SENTIMENT, oid)]
        )
    return InlineKeyboardMarkup(layout) if layout else None
