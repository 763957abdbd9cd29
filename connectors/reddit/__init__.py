"""Reddit connector: subreddits, the account's inbox and search, over PRAW/prawcore.

``connectors.reddit:RedditConnector`` is what the registry loads; see
``docs/connectors/reddit.md`` for the app, scopes, configuration and limits.
"""

from connectors.reddit.connector import RedditConnector, build_client
from connectors.reddit.settings import InboxOptions, SearchOptions, Settings, SubredditOptions

__all__ = [
    "InboxOptions",
    "RedditConnector",
    "SearchOptions",
    "Settings",
    "SubredditOptions",
    "build_client",
]
