"""The settings schema: one YAML file, validated by these pydantic models (unknown keys are errors).

Secrets never live in the file: values are written as ``${SALON_SOMETHING}`` references and
resolved from the environment or a secrets file by :mod:`config.loader`.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
MIN_POLL_INTERVAL = 30.0


class StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class InstitutionSettings(StrictModel):
    """Who we are."""

    name: str = Field(min_length=1)
    timezone: str = "UTC"
    website: str | None = None
    handles: dict[str, str] = Field(default_factory=dict)  # platform -> our account handle

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
            ) from None
        return value


class DatabaseSettings(StrictModel):
    """Where the store lives. SQLite by default; PostgreSQL through a URL."""

    url: str = "sqlite:///salon.db"
    echo: bool = False


class SourceSettings(StrictModel):
    """One feed to poll: which connector, which feed, how often."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    platform: str
    feed: str
    account: str | None = None  # key under ``accounts``; defaults to the platform name
    interval: float = 300.0  # seconds between polls
    jitter: float = 0.1  # share of the interval added at random, against thundering herds
    max_pages: int = Field(default=3, ge=1, le=20)
    backfill_hours: float | None = Field(default=None, ge=0)
    enabled: bool = True
    monthly_request_budget: int | None = Field(default=None, ge=1)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float) -> float:
        if value < MIN_POLL_INTERVAL:
            raise ValueError(f"must be at least {MIN_POLL_INTERVAL:.0f} s")
        return value

    @field_validator("jitter")
    @classmethod
    def _jitter_range(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError("must be between 0 and 1 (a share of the interval)")
        return value

    @property
    def account_name(self) -> str:
        """The ``accounts`` entry this source uses."""
        return self.account or self.platform


class NlpSettings(StrictModel):
    """The classifier: which taxonomy, and the confidence needed to answer automatically."""

    taxonomy_file: Path | None = None  # None: the packaged default museum taxonomy
    batch_size: int = Field(default=256, ge=1, le=10_000)
    min_topic_score: float = Field(default=0.3, ge=0, le=1)
    min_intent_score: float = Field(default=0.5, ge=0, le=1)
    abuse_threshold: float = Field(default=0.5, ge=0, le=1)
    trained_models: bool = True  # False: the rules-only pipeline (no model files, faster)
    topic_model: Path | None = None  # a folder from `salon nlp train --task topics`


Action = Literal["auto_reply", "draft_reply", "alert", "digest_only", "ignore"]
Priority = Literal["low", "normal", "high", "urgent"]
StrList = str | list[str]


SENTIMENTS = frozenset({"negative", "neutral", "positive"})
INTENTS = frozenset({"question", "complaint", "praise", "suggestion", "request"})


def _all_known(value: StrList | None, allowed: frozenset[str]) -> StrList | None:
    """``value`` unchanged if every name in it is allowed; else a ValueError naming the first."""
    for item in [value] if isinstance(value, str) else value or []:
        if item not in allowed:
            raise ValueError(f"{item!r} is not one of {', '.join(sorted(allowed))}")
    return value


class Condition(StrictModel):
    """What a post must look like for a rule to match; all given fields must hold."""

    platform: StrList | None = None
    source: StrList | None = None
    kind: StrList | None = None
    topic: StrList | None = None  # any of; "visiting" also matches "visiting.hours"
    intent: StrList | None = None  # any of
    sentiment: StrList | None = None  # any of negative / neutral / positive
    language: StrList | None = None
    abusive: bool | None = None
    keywords: list[str] | None = None  # any of, case-insensitive, whole words
    regex: str | None = None
    mentions_us: bool | None = None
    not_: Condition | None = Field(default=None, alias="not")
    any_: list[Condition] | None = Field(default=None, alias="any")
    all_: list[Condition] | None = Field(default=None, alias="all")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("sentiment")
    @classmethod
    def _known_sentiment(cls, value: StrList | None) -> StrList | None:
        return _all_known(value, SENTIMENTS)

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: StrList | None) -> StrList | None:
        return _all_known(value, INTENTS)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class RuleSettings(StrictModel):
    """A triage rule: when a post matches ``when``, take ``action``."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    group: str = "default"
    when: Condition = Field(default_factory=Condition)
    action: Action
    template: str | None = None
    priority: Priority = "normal"
    stop: bool = False
    enabled: bool = True

    @model_validator(mode="after")
    def _template_for_replies(self) -> RuleSettings:
        if self.action in ("auto_reply", "draft_reply") and not self.template:
            raise ValueError(f"template: required for action {self.action}")
        return self


class TriageSettings(StrictModel):
    """The rules, evaluated in groups (first match per group, ``stop`` ends evaluation)."""

    rules: list[RuleSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> TriageSettings:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


class TemplateSettings(StrictModel):
    """A reply template (Jinja2, sandboxed) with optional translations."""

    text: str = Field(min_length=1)
    languages: dict[str, str] = Field(default_factory=dict)


class Fact(StrictModel):
    """A fact replies may quote, e.g. opening hours; expired facts are never auto-sent."""

    value: str
    valid_until: date | None = None


class PolicySettings(StrictModel):
    """The platform policy guard for public replies."""

    per_author_daily: int = Field(default=3, ge=0)
    per_channel_daily: int = Field(default=50, ge=0)
    disclosure: dict[str, str] = Field(default_factory=dict)  # platform -> line appended
    known_bots: list[str] = Field(default_factory=list)  # handles never answered


class TelegramStaffSettings(StrictModel):
    """The staff Telegram bot."""

    token: str | None = None
    chats: list[int] = Field(default_factory=list)
    users: list[int] = Field(default_factory=list)
    urgent_chat: int | None = None
    base_url: str | None = None  # for a self-hosted Bot API server (and tests)


class StaffSettings(StrictModel):
    """How staff are reached. Without a Telegram token, alerts render in the console."""

    telegram: TelegramStaffSettings = Field(default_factory=TelegramStaffSettings)
    remind_after_hours: float = Field(default=24.0, gt=0)


class DigestSettings(StrictModel):
    """The weekly digest."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: int = Field(default=9, ge=0, le=23)
    out_dir: Path = Path("salon-digest")
    pseudonymise: bool = False


class OutboxSettings(StrictModel):
    """Delivery of replies, alerts and digests."""

    dry_run: bool = False
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_base: float = Field(default=30.0, gt=0)
    backoff_cap: float = Field(default=3600.0, gt=0)
    drain_interval: float = Field(default=15.0, ge=1)
    sending_lease: float = Field(default=300.0, ge=10)


class Settings(StrictModel):
    """The whole configuration file."""

    institution: InstitutionSettings
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    accounts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sources: list[SourceSettings] = Field(default_factory=list)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    templates: dict[str, TemplateSettings] = Field(default_factory=dict)
    facts: dict[str, Fact] = Field(default_factory=dict)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    staff: StaffSettings = Field(default_factory=StaffSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"sources: names must be unique ({', '.join(duplicates)} repeated)")
        for index, rule in enumerate(self.triage.rules):
            if rule.template and rule.template not in self.templates:
                known = ", ".join(sorted(self.templates)) or "none defined"
                raise ValueError(
                    f"triage.rules[{index}].template: rule {rule.name!r} uses unknown template"
                    f" {rule.template!r} (known: {known})"
                )
        return self
