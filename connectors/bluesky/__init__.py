"""Bluesky (AT Protocol) connector: notifications, search and own threads; replies.

``connectors.bluesky:BlueskyConnector`` is what the registry loads; ``Settings`` is its
settings model.
"""

from connectors.bluesky.connector import BlueskyConnector
from connectors.bluesky.settings import (
    NotificationsOptions,
    SearchOptions,
    Settings,
    ThreadsOptions,
)

__all__ = [
    "BlueskyConnector",
    "NotificationsOptions",
    "SearchOptions",
    "Settings",
    "ThreadsOptions",
]
