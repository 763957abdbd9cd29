"""Telegram connector: the institution's channel, its discussion group and channel comments.

``connectors.telegram:TelegramConnector`` is what the registry imports.
"""

from connectors.telegram.connector import ALLOWED_UPDATES, TelegramConnector
from connectors.telegram.settings import TelegramSettings, UpdatesOptions

Settings = TelegramSettings

__all__ = ["ALLOWED_UPDATES", "Settings", "TelegramConnector", "TelegramSettings", "UpdatesOptions"]
