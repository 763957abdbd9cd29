"""The staff bot's errors (configuration it cannot work with)."""

from __future__ import annotations

from bot.errors import SalonError


class StaffBotError(SalonError):
    """The staff Telegram bot is configured in a way it cannot work with."""
