"""Reddit settings (credentials, account identity) and the options of each feed."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from connectors.base import ConnectorSettings

_NAME = re.compile(r"^[A-Za-z0-9_-]{2,21}$")  # subreddit names; usernames are 3-20 of these
_PREFIX = re.compile(r"^/?(?:r|u|user)/", re.IGNORECASE)

SEARCH_QUERY_MAX = 512  # Reddit rejects longer ``q`` values


class Settings(ConnectorSettings):
    """Credentials of a Reddit "script" (or "web"/"installed") app and the account it acts as.

    ``username`` + ``password`` use the password grant of a script app; ``refresh_token``
    uses a token obtained once through the OAuth code flow. With neither, the connector is
    read-only (subreddit and search feeds only, no inbox, no replies).
    """

    client_id: str = Field(min_length=1)
    client_secret: SecretStr | None = None  # None for "installed" apps
    username: str | None = None  # the institution's account, without the u/ prefix
    password: SecretStr | None = None
    refresh_token: SecretStr | None = None
    account_id: str | None = None  # the account's fullname (t2_...), for is_self
    user_agent: str | None = None  # Reddit asks for "<platform>:<app id>:<version> (by /u/...)"
    timeout: float = Field(default=16.0, gt=0)
    max_rate_wait: float = Field(default=5.0, ge=0)  # wait this long in-process, else RateLimited

    @field_validator("username")
    @classmethod
    def _strip_user_prefix(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _PREFIX.sub("", value.strip())
        if not _NAME.match(value):
            raise ValueError("not a Reddit username (letters, digits, _ or -)")
        return value

    @field_validator("account_id")
    @classmethod
    def _fullname(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value if value.startswith("t2_") else f"t2_{value}"

    @model_validator(mode="after")
    def _grant_is_complete(self) -> Settings:
        if self.password is not None and not self.username:
            raise ValueError("username: required with password (script app password grant)")
        if self.password is not None and self.client_secret is None:
            raise ValueError("client_secret: required with password (script app password grant)")
        return self

    @property
    def authenticated(self) -> bool:
        """Whether the credentials act as a user (inbox and replies need this)."""
        return self.refresh_token is not None or (
            self.username is not None and self.password is not None
        )

    def agent(self) -> str:
        """The User-Agent to send (Reddit throttles generic ones)."""
        if self.user_agent:
            return self.user_agent
        owner = f" (by /u/{self.username})" if self.username else ""
        return f"python:salon:0.1.0{owner}"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_size: int = Field(default=100, ge=1, le=100)  # Reddit's listing maximum is 100


def _subreddit_names(values: list[str]) -> list[str]:
    names: list[str] = []
    for raw in values:
        name = _PREFIX.sub("", raw.strip()).strip("/")
        if not _NAME.match(name):
            raise ValueError(f"{raw!r} is not a subreddit name")
        if name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names


ListingName = Literal["submissions", "comments"]


def _both_listings() -> list[ListingName]:
    return ["submissions", "comments"]


class SubredditOptions(_Options):
    """``feed: subreddit``: new submissions and/or comments in one or more subreddits.

    Each listing in ``items`` is one request per poll (an idle poll of a one-listing source
    costs exactly one request); several subreddits share one request (``r/a+b/new``).
    """

    subreddits: list[str] = Field(min_length=1, max_length=100)
    items: list[ListingName] = Field(default_factory=_both_listings, min_length=1)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        return _subreddit_names(values)

    @field_validator("items")
    @classmethod
    def _unique(cls, values: list[ListingName]) -> list[ListingName]:
        return list(dict.fromkeys(values))


InboxType = Literal["username_mention", "comment_reply", "post_reply", "message"]


def _inbox_defaults() -> list[InboxType]:
    return ["username_mention", "comment_reply", "post_reply"]


class InboxOptions(_Options):
    """``feed: inbox``: the account's inbox (one listing: ``/message/inbox``).

    ``types`` picks what to keep: mentions of the account, replies to its comments and
    posts, and (off by default) private messages. Items are never marked read.
    """

    types: list[InboxType] = Field(default_factory=_inbox_defaults, min_length=1)


class SearchOptions(_Options):
    """``feed: search``: keyword search of submissions, newest first (``sort=new``).

    With ``subreddits`` the search is restricted to them, otherwise it covers all of Reddit.
    """

    query: str = Field(min_length=1, max_length=SEARCH_QUERY_MAX)
    subreddits: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        return _subreddit_names(values)
