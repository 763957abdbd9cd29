"""Settings (credentials, account identity) and per-feed options of the Mastodon connector."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.base import ConnectorSettings

_HANDLE = re.compile(r"^[a-z0-9_][a-z0-9_.-]*(@[a-z0-9.-]+\.[a-z0-9-]+)?$")
_TAG_FORBIDDEN = re.compile(r"[\s#/?&%,.;:!'\"<>()\[\]{}]")


class Settings(ConnectorSettings):
    """Credentials and identity of the institution's Mastodon account.

    ``access_token`` is the only secret (a user token of an application created under
    Preferences > Development). ``account_id`` and/or ``handle`` identify the institution's own
    account; with neither, the connector asks the server once (``verify_credentials``).
    """

    api_base_url: str = Field(description="The instance, e.g. https://mastodon.social")
    access_token: SecretStr
    account_id: str | None = Field(default=None, description="The account's numeric id")
    handle: str | None = Field(default=None, description="user@domain of the account")
    request_timeout: float = Field(default=30.0, gt=0, le=300)
    user_agent: str = "salon-bot (Mastodon.py)"
    reply_visibility: Literal["match", "unlisted"] = Field(
        default="match",
        description="match: reply with the original's visibility; unlisted: never reply public",
    )

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        text = value.strip().rstrip("/")
        if "://" not in text:
            text = "https://" + text
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the instance URL, e.g. https://mastodon.social")
        return text

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().lstrip("@").lower()
        if not _HANDLE.match(text):
            raise ValueError("must look like user@example.social (or just user)")
        return text

    @field_validator("account_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            raise ValueError("must not be empty")
        return text

    @property
    def host(self) -> str:
        """The instance's host name (the domain of local accounts' handles)."""
        return (urlsplit(self.api_base_url).hostname or "").lower()


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MentionsOptions(_Options):
    """``mentions``: notifications of the given types (GET /api/v1/notifications)."""

    limit: int = Field(default=40, ge=1, le=80, description="notifications per request")
    types: list[Literal["mention", "quote"]] = Field(
        default=["mention"],
        min_length=1,
        description="mention; add quote (Mastodon 4.5+) to hear about quotes of our posts",
    )


class HashtagOptions(_Options):
    """``hashtag``: the public timeline of one hashtag (GET /api/v1/timelines/tag/:tag)."""

    tag: str = Field(description="without the leading #")
    limit: int = Field(default=40, ge=1, le=40, description="statuses per request")
    local: bool = False
    remote: bool = False
    only_media: bool = False

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        text = value.strip()
        if text.startswith("#"):
            text = text[1:]
        if not text or _TAG_FORBIDDEN.search(text):
            raise ValueError("must be a single hashtag such as museum (letters, digits, _)")
        return text


class ContextOptions(_Options):
    """``context``: replies under the account's own recent statuses (statuses + context)."""

    statuses: int = Field(default=20, ge=1, le=40, description="own recent statuses to watch")
    max_age_hours: float = Field(default=168.0, gt=0, description="stop watching older ones")
