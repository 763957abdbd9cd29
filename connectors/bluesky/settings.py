"""Bluesky settings (credentials, account identity) and the options of each feed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.base import ConnectorSettings

DEFAULT_SERVICE = "https://bsky.social"
Reason = Literal["mention", "reply", "quote"]
NOTIFICATION_REASONS: tuple[Reason, ...] = ("mention", "reply", "quote")


class Settings(ConnectorSettings):
    """Credentials and identity of the institution's Bluesky account.

    The connector logs in with ``handle`` + ``app_password`` (an app password, never the main
    password) unless it is given an SDK client that already has a session.
    """

    handle: str = Field(min_length=3, description="the account's handle, e.g. museum.bsky.social")
    did: str | None = Field(
        default=None, description="the account's DID; learned from the session when omitted"
    )
    app_password: SecretStr | None = None
    service: str = Field(default=DEFAULT_SERVICE, description="PDS or entryway URL to log in to")
    timeout: float = Field(default=30.0, gt=0, description="HTTP timeout in seconds")
    reply_langs: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=3)
    replies_only_when_addressed: bool = Field(
        default=True,
        description="refuse to reply unless the post mentions, quotes or replies to us "
        "(Bluesky asks automated accounts to interact only on opt-in)",
    )

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.strip().removeprefix("@").lower()

    @field_validator("did")
    @classmethod
    def _check_did(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("did:"):
            raise ValueError("must start with 'did:' (e.g. did:plc:...)")
        return value


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationsOptions(_Options):
    """``notifications``: mentions, replies and quotes of the account."""

    reasons: list[Reason] = Field(default_factory=lambda: list(NOTIFICATION_REASONS), min_length=1)
    page_size: int = Field(default=50, ge=1, le=100)


class SearchOptions(_Options):
    """``search``: latest posts matching a query (app.bsky.feed.searchPosts, sort=latest)."""

    query: str = Field(min_length=1)
    lang: str | None = None
    page_size: int = Field(default=25, ge=1, le=100)


class ThreadsOptions(_Options):
    """``threads``: replies in the threads of the account's own recent posts."""

    recent_posts: int = Field(default=10, ge=1, le=100)
    depth: int = Field(default=6, ge=1, le=1000)
    include_own_replies: bool = Field(
        default=True, description="also watch threads under our replies, not only our posts"
    )
