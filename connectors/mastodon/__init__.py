"""Mastodon connector (Mastodon.py): ``mentions``, ``hashtag`` and ``context`` feeds; replies.

``connectors.mastodon:MastodonConnector`` is what the registry imports. Modules: ``settings``
(Settings and feed options), ``connector`` (fetch, reply, whoami), ``normalize`` (JSON to Post),
``text`` (status HTML to plain text), ``faults`` (SDK errors to connectors.errors, the wire
tap), ``cursors`` (cursor formats), ``threads`` (context-feed watermarks), ``replies``.
"""

from connectors.mastodon.connector import MastodonConnector
from connectors.mastodon.settings import ContextOptions, HashtagOptions, MentionsOptions, Settings

__all__ = ["ContextOptions", "HashtagOptions", "MastodonConnector", "MentionsOptions", "Settings"]
