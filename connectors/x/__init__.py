"""X (Twitter) connector: ``connectors.x:XConnector`` with its ``Settings`` and feed options."""

from connectors.x.client import build_client
from connectors.x.connector import XConnector
from connectors.x.settings import ConversationOptions, MentionsOptions, SearchOptions, Settings

__all__ = [
    "ConversationOptions",
    "MentionsOptions",
    "SearchOptions",
    "Settings",
    "XConnector",
    "build_client",
]
