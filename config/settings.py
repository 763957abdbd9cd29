"""The settings schema: one YAML file, validated by these pydantic models (unknown keys are errors).

Secrets never live in the file: values are written as ``${SALON_SOMETHING}`` references and
resolved from the environment or a secrets file by :mod:`config.loader`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.rule_values import (
    WEEKDAYS,
    ComparisonKind,
    parse_comparison,
    parse_opening_day,
    parse_time_range,
    parse_weekday,
)

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
    # weekday (mon..sun) -> "closed" or "10:00-18:00" (ranges joined by commas), local time
    opening_hours: dict[str, str] | None = None

    @field_validator("opening_hours")
    @classmethod
    def _opening_hours(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        days = {WEEKDAYS[parse_weekday(day)]: str(hours) for day, hours in value.items()}
        missing = [day for day in WEEKDAYS if day not in days]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)}: give every weekday 'closed' or its hours"
                " (e.g. '10:00-18:00')"
            )
        for hours in days.values():
            parse_opening_day(hours)
        return {day: days[day] for day in WEEKDAYS}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)"
            ) from None
        return value


class DatabaseSettings(StrictModel):
    """Where the store lives. SQLite by default; PostgreSQL through a URL."""

    url: str = "sqlite:///salon.db"
    echo: bool = False
    # migrate the schema to this version's on start; false: refuse to start until
    # `salon db upgrade` has run (for operators who migrate by hand)
    auto_migrate: bool = True


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
CONVERSATION_STATES = frozenset({"open", "awaiting_us", "awaiting_them", "handled", "muted"})
ALERT_TARGETS = frozenset({"staff", "urgent"})  # plus the names in staff.members
QUIET_ACTIONS = frozenset({"digest_only", "ignore"})  # actions that never alert staff


def _all_known(value: StrList | None, allowed: frozenset[str], what: str) -> StrList | None:
    """``value`` unchanged if every name in it is allowed; else a ValueError naming the first."""
    for item in [value] if isinstance(value, str) else value or []:
        if item not in allowed:
            raise ValueError(f"unknown {what} {item!r}; allowed: {', '.join(sorted(allowed))}")
    return value


def _comparison(kind: ComparisonKind) -> BeforeValidator:
    """A validator turning YAML into a canonical comparison string (``">= 0.7"``)."""
    return BeforeValidator(lambda value: parse_comparison(value, kind).text)


ScoreTest = Annotated[str, _comparison("score")]
PolarityTest = Annotated[str, _comparison("signed score")]
CountTest = Annotated[str, _comparison("count")]
DurationTest = Annotated[str, _comparison("duration")]


def as_list(value: StrList | None) -> list[str]:
    """A single name or a list of names, as a list."""
    return [value] if isinstance(value, str) else list(value or [])


class Condition(StrictModel):
    """What a post must look like for a rule to match; all given fields must hold.

    Lists mean "any of". The rule language is documented in ``docs/rules.md``.
    """

    # the post
    platform: StrList | None = None
    source: StrList | None = None
    kind: StrList | None = None
    language: StrList | None = None
    keywords: list[str] | None = None  # any of, case-insensitive, whole words
    regex: str | None = None  # searched case-insensitively
    mentions_us: bool | None = None
    # what the classifier says (labels use the nlp thresholds; scores compare raw values)
    topic: StrList | None = None  # "visiting" also matches "visiting.hours"
    intent: StrList | None = None
    sentiment: StrList | None = None  # negative / neutral / positive
    abusive: bool | None = None
    topic_score: dict[str, ScoreTest] | None = None  # {visiting.hours: ">= 0.8"}
    intent_score: dict[str, ScoreTest] | None = None  # {question: ">= 0.8"}
    sentiment_score: PolarityTest | None = None  # "<= -0.6": -1 very negative .. 1 very positive
    abuse_score: ScoreTest | None = None
    # the author
    author: StrList | None = None  # handles, or platform:handle
    vip: bool | None = None  # the author is in triage.vip_authors
    min_followers: int | None = Field(default=None, ge=0)
    first_time_author: bool | None = None  # no earlier post by this author in the store
    known_bot: bool | None = None  # the platform says so, or policy.known_bots lists them
    # the conversation
    state: StrList | None = None  # open / awaiting_us / awaiting_them / handled / muted
    unanswered: bool | None = None  # no post of ours in the thread after this one
    conversation_age: DurationTest | None = None  # the thread's age at this post: ">= 2h"
    exchanges: CountTest | None = None  # our replies to the public so far: "< 3"
    # the clock (now, in the institution's time zone)
    time_of_day: StrList | None = None  # "08:00-20:00"; "22:00-06:00" passes midnight
    weekday: StrList | None = None  # mon .. sun
    open_now: bool | None = None  # inside institution.opening_hours
    # combinations
    not_: Condition | None = Field(default=None, alias="not")
    any_: list[Condition] | None = Field(default=None, alias="any")
    all_: list[Condition] | None = Field(default=None, alias="all")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("sentiment")
    @classmethod
    def _known_sentiment(cls, value: StrList | None) -> StrList | None:
        return _all_known(value, SENTIMENTS, "sentiment")

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: StrList | None) -> StrList | None:
        return _all_known(value, INTENTS, "intent")

    @field_validator("intent_score")
    @classmethod
    def _known_intent_scores(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        _all_known(list(value or {}), INTENTS, "intent")
        return value

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: StrList | None) -> StrList | None:
        return _all_known(value, CONVERSATION_STATES, "conversation state")

    @field_validator("weekday")
    @classmethod
    def _known_weekday(cls, value: StrList | None) -> list[str] | None:
        return None if value is None else [WEEKDAYS[parse_weekday(d)] for d in as_list(value)]

    @field_validator("time_of_day")
    @classmethod
    def _time_ranges(cls, value: StrList | None) -> StrList | None:
        for text in as_list(value):
            parse_time_range(text)
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not [word for word in value if word.strip()]:
            raise ValueError("give at least one keyword")
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    def walk(self, path: str = "when") -> Iterator[tuple[str, Condition]]:
        """This condition and every nested one, each with its path (``when.any[1]``)."""
        yield path, self
        if self.not_ is not None:
            yield from self.not_.walk(f"{path}.not")
        for name, parts in (("any", self.any_), ("all", self.all_)):
            for index, part in enumerate(parts or []):
                yield from part.walk(f"{path}.{name}[{index}]")


class RuleSettings(StrictModel):
    """A triage rule: when a post matches ``when``, take ``action`` (with its options)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    group: str = "default"
    when: Condition = Field(default_factory=Condition)
    action: Action
    template: str | None = Field(default=None, validate_default=True)
    priority: Priority = "normal"
    to: str | int | None = None  # alert target: staff (default), urgent, or a staff member
    assign: str | None = None  # a staff member (staff.members) who owns the conversation
    tag: list[str] = Field(default_factory=list)  # labels stored on the decision
    remind_after_hours: float | None = Field(default=None, gt=0)  # if still unanswered
    stop: bool = False
    enabled: bool = True

    @field_validator("tag", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("tag")
    @classmethod
    def _tag_names(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not re.match(NAME_PATTERN, tag):
                raise ValueError(f"tag {tag!r}: use lower-case letters, digits, '-', '_' or '.'")
        return value

    @field_validator("template")
    @classmethod
    def _template_for_replies(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action")
        if action in ("auto_reply", "draft_reply") and not value:
            raise ValueError(f"required for action {action}")
        return value

    @field_validator("to")
    @classmethod
    def _to_needs_an_alert(cls, value: str | int | None, info: ValidationInfo) -> str | int | None:
        action = info.data.get("action")
        if value is not None and action in QUIET_ACTIONS:
            raise ValueError(f"action {action} never alerts staff; use alert or draft_reply")
        return value

    @field_validator("remind_after_hours")
    @classmethod
    def _remind_needs_attention(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and info.data.get("action") == "ignore":
            raise ValueError("an ignored post is never reminded")
        return value


class TriageSettings(StrictModel):
    """The rules, evaluated in groups (first match per group, ``stop`` ends evaluation)."""

    rules: list[RuleSettings] = Field(default_factory=list)
    vip_authors: list[str] = Field(default_factory=list)  # handles, or platform:handle

    @model_validator(mode="after")
    def _unique_names(self) -> TriageSettings:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


def rule_path(index: int, name: str | None = None) -> str:
    """Where a rule sits in the file: ``triage.rules[3] (name 'vip-praise')``."""
    return f"triage.rules[{index}]" + (f" (name {name!r})" if name else "")


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
    # automatic replies in one conversation, ever (null: no limit): an automated account that
    # answers each of our replies can never draw Salon into an endless exchange; past it,
    # staff are alerted instead (drafts for staff to approve are not counted)
    per_conversation_auto_replies: int | None = Field(default=2, ge=0)
    disclosure: dict[str, str] = Field(default_factory=dict)  # platform -> line appended
    known_bots: list[str] = Field(default_factory=list)  # handles never answered


class TelegramStaffSettings(StrictModel):
    """The staff Telegram bot."""

    token: str | None = None
    chats: list[int] = Field(default_factory=list)
    users: list[int] = Field(default_factory=list)
    urgent_chat: int | None = None
    base_url: str | None = None  # for a self-hosted Bot API server (and tests)
    # more alerts than this on one topic waiting in one delivery: the rest become one summary
    # message ("12 more posts on events"); 0 never groups
    group_after: int = Field(default=5, ge=0)
    poll_timeout: float = Field(default=30.0, ge=0, le=50)  # long-poll seconds of getUpdates


class StaffSettings(StrictModel):
    """How staff are reached. Without a Telegram token, alerts render in the console."""

    telegram: TelegramStaffSettings = Field(default_factory=TelegramStaffSettings)
    remind_after_hours: float = Field(default=24.0, gt=0)
    # staff members rules may alert or assign (`to:`, `assign:`): name -> Telegram user id
    members: dict[str, int | None] = Field(default_factory=dict)
    # still unanswered this long after the question: escalate (urgent chat); null: never
    escalate_after_hours: float | None = Field(default=48.0, gt=0)
    # questions older than this are left to the digest rather than reminded (after a backfill
    # or a long outage); null: no limit
    remind_max_age_hours: float | None = Field(default=168.0, gt=0)

    @model_validator(mode="after")
    def _escalate_after_reminding(self) -> StaffSettings:
        late = self.escalate_after_hours
        if late is not None and late <= self.remind_after_hours:
            raise ValueError(
                f"escalate_after_hours ({late:g}) must be greater than remind_after_hours"
                f" ({self.remind_after_hours:g}); use null to never escalate"
            )
        if self.remind_max_age_hours is not None and self.remind_max_age_hours <= max(
            self.remind_after_hours, late or 0
        ):
            raise ValueError(
                "remind_max_age_hours must be greater than remind_after_hours and"
                " escalate_after_hours, or reminders could never fire"
            )
        return self


class SpikeSettings(StrictModel):
    """Spike alerts: a topic's volume (or negative posts) far above its usual level.

    The usual level is the same hour-of-week window over the last ``lookback_weeks`` weeks; a
    window with at least ``min_posts`` posts above ``mean + threshold * spread`` raises one alert.
    """

    enabled: bool = True
    lookback_weeks: int = Field(default=4, ge=1, le=52)
    threshold: float = Field(default=3.0, gt=0)  # k in mean + k * spread
    min_posts: int = Field(default=5, ge=1)
    window_hours: int = Field(default=6, ge=1, le=24)

    @field_validator("window_hours")
    @classmethod
    def _divides_a_day(cls, value: int) -> int:
        if 24 % value:
            raise ValueError(f"must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24), not {value}")
        return value


class DigestSettings(StrictModel):
    """The weekly digest."""

    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: int = Field(default=9, ge=0, le=23)
    out_dir: Path = Path("salon-digest")
    pseudonymise: bool = False  # authors as "Visitor 4F2A9C" instead of their handles
    # keys the pseudonyms (HMAC): write it as ${SALON_DIGEST_SECRET}; without it the
    # institution's name is used, and anyone who knows a handle's account id can check it
    pseudonym_secret: str | None = Field(default=None, min_length=16)
    # key connectors: accounts on several platforms with the same handle and display name are
    # taken for one person (see docs/digest.md)
    link_accounts: bool = True


class OutboxSettings(StrictModel):
    """Delivery of replies, alerts and digests."""

    dry_run: bool = False
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_base: float = Field(default=30.0, gt=0)
    backoff_cap: float = Field(default=3600.0, gt=0)
    drain_interval: float = Field(default=15.0, ge=1)
    sending_lease: float = Field(default=300.0, ge=10)


LogFormat = Literal["auto", "json", "human"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ServiceSettings(StrictModel):
    """`salon run` as a service: logs, and the metrics and health endpoint (off by default)."""

    log_format: LogFormat = "auto"  # auto: JSON lines unless stderr is a terminal
    log_level: LogLevel = "INFO"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # 0: any free port
    metrics_host: str = "127.0.0.1"  # serve /metrics and /healthz on loopback only


class PrivacySettings(StrictModel):
    """How long personal data is kept (days; null keeps it). Applied daily by `salon run`.

    After ``raw_days`` a post's raw platform payload is cleared; after ``text_days`` its text
    (the classification, decisions and counts stay); after ``handles_days`` without a post
    from them, an author's handle and name are replaced by a pseudonym.
    """

    raw_days: int | None = Field(default=None, ge=1)
    text_days: int | None = Field(default=None, ge=1)
    handles_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _raw_goes_first(self) -> PrivacySettings:
        for kind in ("text_days", "handles_days"):
            days = getattr(self, kind)
            if days is not None and (self.raw_days is None or self.raw_days > days):
                raise ValueError(
                    f"{kind} is {days} but raw_days is {self.raw_days}: raw payloads hold the"
                    f" text and the handle too; set raw_days to {days} or less"
                )
        return self


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
    spikes: SpikeSettings = Field(default_factory=SpikeSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    # the values config.loader substituted for ${VAR} references: secrets, never logged
    _substituted: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @property
    def substituted_values(self) -> frozenset[str]:
        """Every value that came from a ``${VAR}`` reference (environment or secrets file)."""
        return self._substituted

    def remember_substituted(self, values: frozenset[str]) -> None:
        """Record the values resolved from ``${VAR}`` references (called by the loader)."""
        self._substituted = values

    @model_validator(mode="after")
    def _cross_references(self) -> Settings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"sources: names must be unique ({', '.join(duplicates)} repeated)")
        problems = rule_reference_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self


def rule_reference_problems(settings: Settings) -> list[str]:
    """Rules naming what the rest of the file lacks: templates, staff, VIPs, opening hours."""
    problems: list[str] = []
    staff = settings.staff
    ids = {*staff.telegram.users, *staff.telegram.chats, *filter(None, staff.members.values())}
    targets = sorted(ALERT_TARGETS | set(staff.members))
    members = ", ".join(sorted(staff.members)) or "none: add them under staff.members"
    for index, rule in enumerate(settings.triage.rules):
        where = rule_path(index, rule.name)
        if rule.template and rule.template not in settings.templates:
            known = ", ".join(sorted(settings.templates)) or "none defined"
            problems.append(
                f"{where}.template: unknown template {rule.template!r}; allowed: {known}"
            )
        if isinstance(rule.to, int) and rule.to not in ids:
            problems.append(
                f"{where}.to: {rule.to} is not a Telegram id in staff.telegram.users/chats"
                " or staff.members"
            )
        elif isinstance(rule.to, str) and rule.to not in targets:
            problems.append(
                f"{where}.to: unknown staff target {rule.to!r}; allowed: {', '.join(targets)}"
            )
        if rule.assign is not None and rule.assign not in staff.members:
            problems.append(
                f"{where}.assign: unknown staff member {rule.assign!r}; allowed: {members}"
            )
        for path, cond in rule.when.walk():
            if cond.vip and not settings.triage.vip_authors:
                problems.append(f"{where}.{path}.vip: triage.vip_authors is empty")
            if cond.open_now is not None and settings.institution.opening_hours is None:
                problems.append(
                    f"{where}.{path}.open_now: set institution.opening_hours first"
                    " (every weekday: 'closed' or e.g. '10:00-18:00')"
                )
    return problems
