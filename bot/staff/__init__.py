"""The staff Telegram bot: alerts with buttons, commands, and the sink the outbox uses.

See ``docs/staff-bot.md`` for setting it up and what each button does.
"""

from __future__ import annotations

from bot.staff.errors import StaffBotError
from bot.staff.sink import TelegramSink
from bot.staff.staffbot import StaffBot

__all__ = ["StaffBot", "StaffBotError", "TelegramSink"]
