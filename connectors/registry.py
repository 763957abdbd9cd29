"""Platform name to connector class, imported lazily so one SDK's absence breaks only itself."""

from __future__ import annotations

import importlib

from connectors.base import Connector
from connectors.errors import Unsupported

CONNECTORS: dict[str, str] = {
    "replay": "connectors.replay:ReplayConnector",
    "x": "connectors.x:XConnector",
    "reddit": "connectors.reddit:RedditConnector",
    "mastodon": "connectors.mastodon:MastodonConnector",
    "bluesky": "connectors.bluesky:BlueskyConnector",
    "telegram": "connectors.telegram:TelegramConnector",
}


def connector_class(platform: str) -> type[Connector]:
    """The connector class for ``platform``; :class:`Unsupported` names the known ones."""
    target = CONNECTORS.get(platform)
    if target is None:
        known = ", ".join(sorted(CONNECTORS))
        raise Unsupported(f"unknown platform {platform!r} (known: {known})")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise Unsupported(f"connector {platform!r} is not available: {exc}") from exc
    cls: type[Connector] = getattr(module, attr)
    return cls
