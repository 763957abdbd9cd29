"""Write the bundled demo data (``python -m bot.demo.make_data [--out DIR]``).

The conversation is a hand-written script per platform (the ``*_SCRIPT`` strings at the end of
this module); this code turns it into posts with realistic ids, urls and raw payloads.
Everything derives from the script and from hashes of stable keys, never from a random
generator or the clock, so the output is the same byte for byte on every run and machine.

Script format, one item per line (``#`` starts a comment line):

``== MM-DD HH:MM [r/Sub]``
    a new thread starting at this Port Avel local time (UTC+1 in this period); ``r/Sub`` is the
    subreddit of a Reddit thread.
``[+DELAY | @MM-DD HH:MM] [>N] WHO [[tag]] [{lang}] [~EDITED]: TEXT``
    a post: DELAY after the previous line (minutes, or ``2h``, ``1d``), or at a local time;
    ``>N`` replies to line N of the thread (default: the previous line; the first line is the
    root); ``WHO`` is a key of :data:`PEOPLE`; ``tag`` goes to ``raw["demo_tag"]``; ``lang`` is
    the language (default ``en``; other languages are tagged ``non-english``); ``~EDITED`` the
    minutes until an edit. Indented lines continue the text; ``\\n`` is a line break.
    On X and Mastodon, replies get the usual leading @-mentions automatically; a Reddit
    submission is ``title\\n\\nbody``. Posts by ``lumen`` (the museum) are tagged ``own-post``
    or ``own-reply`` unless another tag is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.demo import DATA_DIR, OWN_ACCOUNTS, PLATFORM_FILES, TAGS
from connectors.base import Author, Post, PostKind
from connectors.serialize import post_to_dict

YEAR = 2026
LOCAL_OFFSET = timedelta(hours=1)  # Port Avel local time is UTC+1 from 25 October 2026
SOURCES = {platform: f"demo-{platform}" for platform in PLATFORM_FILES}
TELEGRAM_CHAT_ID = -1001234567890
TELEGRAM_CHAT_TITLE = "Lumen Friends"
X_EPOCH_MS = 1288834974657  # the epoch of X (Twitter) snowflake ids
MUSEUM = "lumen"
TEXT_LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "telegram": 4096, "reddit": 10_000}


# -- the people ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the script, with one handle per platform they use."""

    key: str
    name: str
    group: str  # museum, families, students, history, connectors, other
    accounts: dict[str, str]


def _people(rows: Iterable[tuple[str, str, str, dict[str, str]]]) -> dict[str, Person]:
    return {key: Person(key, name, group, accounts) for key, name, group, accounts in rows}


PEOPLE: dict[str, Person] = _people(
    [
        (MUSEUM, "Lumen Museum", "museum", {p: handle for p, (_, handle) in OWN_ACCOUNTS.items()}),
        # families with children
        ("priya", "Priya Nair", "families", {"x": "priyanair_pa", "telegram": "priya_nair"}),
        ("tomh", "Tom Harrow", "families", {"x": "tomharrow", "reddit": "harrowdad"}),
        (
            "sofie",
            "Sofie Lund",
            "families",
            {"mastodon": "sofielund@mastodon.social", "bluesky": "sofielund.bsky.social"},
        ),
        ("dani", "Dani Okafor", "families", {"x": "dani_okafor", "telegram": "dani_ok"}),
        ("marek", "Marek Wiśniewski", "families", {"x": "marek_wisn", "telegram": "marekwis"}),
        (
            "julie",
            "Julie Moreau",
            "families",
            {"x": "julie_moreau_pa", "bluesky": "juliemoreau.bsky.social"},
        ),
        ("becca", "Becca Lyle", "families", {"reddit": "beccalyle", "telegram": "becca_lyle"}),
        ("gareth", "Gareth Pryce", "families", {"x": "garethpryce", "reddit": "tired_dad_of_3"}),
        ("hanna", "Hanna Ostrowska", "families", {"telegram": "hanna_ostrowska"}),
        ("fenwick", "The Fenwicks", "families", {"x": "fenwickfamily"}),
        (
            "nadia",
            "Nadia Rahman",
            "families",
            {"mastodon": "nadia@toot.community", "telegram": "nadiar"},
        ),
        ("olu", "Olu Adebayo", "families", {"x": "oluadebayo"}),
        (
            "katrin",
            "Katrin Vogel",
            "families",
            {"mastodon": "kvogel@chaos.social", "bluesky": "katrinvogel.bsky.social"},
        ),
        ("maud", "Maud Lefèvre", "families", {"telegram": "maud_lefevre"}),
        (
            "rosa",
            "Rosa Jiménez",
            "families",
            {"x": "rosajimenez_", "bluesky": "rosajimenez.bsky.social"},
        ),
        (
            "ellie",
            "Ellie Dunmore",
            "families",
            {"reddit": "ellie_dunmore", "bluesky": "elliedunmore.bsky.social"},
        ),
        ("jamal", "Jamal Reid", "families", {"x": "jamalreid", "reddit": "jamal_reid_pa"}),
        # art students
        (
            "kai",
            "Kai Brennan",
            "students",
            {"x": "kaibrennan_art", "bluesky": "kaibrennan.bsky.social", "reddit": "kai_draws"},
        ),
        (
            "noor",
            "Noor Haddad",
            "students",
            {"bluesky": "noorhaddad.bsky.social", "mastodon": "noor@mastodon.art"},
        ),
        (
            "lotte",
            "Lotte de Vries",
            "students",
            {"mastodon": "lottedevries@mastodon.art", "bluesky": "lottedv.bsky.social"},
        ),
        (
            "bence",
            "Bence Tóth",
            "students",
            {"x": "bencetoth_", "bluesky": "bencetoth.bsky.social"},
        ),
        (
            "chiara",
            "Chiara Russo",
            "students",
            {"x": "chiara_russo_ill", "bluesky": "chiararusso.bsky.social"},
        ),
        ("milo", "Milo Fairweather", "students", {"reddit": "milo_sketches", "telegram": "milofw"}),
        (
            "yuki",
            "Yuki Tanaka-Ross",
            "students",
            {"bluesky": "yukitr.bsky.social", "mastodon": "yukitr@mastodon.art"},
        ),
        ("femi", "Femi Ade", "students", {"x": "femiade_studio", "bluesky": "femiade.bsky.social"}),
        ("zosia", "Zosia Krawczyk", "students", {"mastodon": "zosia@mastodon.art"}),
        (
            "inesa",
            "Inés Alvarado",
            "students",
            {"x": "ines_alvarado_", "bluesky": "inesalvarado.bsky.social"},
        ),
        ("jonah", "Jonah Petrie", "students", {"reddit": "jonah_p_prints"}),
        ("ama", "Ama Owusu", "students", {"x": "amaowusu_", "bluesky": "amaowusu.bsky.social"}),
        ("leon", "Léon Girard", "students", {"mastodon": "leongirard@mastodon.art"}),
        ("tess", "Tess Marlow", "students", {"x": "tessmarlow", "telegram": "tess_marlow"}),
        # local history buffs
        ("harold", "Harold Pike", "history", {"x": "haroldpike_rn", "reddit": "HaroldPikeRN"}),
        (
            "peg",
            "Peg Quill",
            "history",
            {"telegram": "peg_quill", "mastodon": "pegquill@mastodon.social"},
        ),
        ("des", "Desmond Aird", "history", {"x": "desaird", "reddit": "desaird"}),
        (
            "friedrich",
            "Friedrich Albers",
            "history",
            {"mastodon": "falbers@chaos.social", "reddit": "f_albers"},
        ),
        (
            "evelyn",
            "Evelyn Marsh",
            "history",
            {"reddit": "evelyn_marsh_history", "bluesky": "evelynmarsh.bsky.social"},
        ),
        ("colin", "Colin Treharne", "history", {"x": "oldportavel", "reddit": "OldPortAvel"}),
        (
            "agnieszka",
            "Agnieszka Nowak",
            "history",
            {"telegram": "aga_nowak", "reddit": "aga_nowak_pa"},
        ),
        ("pieter", "Pieter Bakker", "history", {"mastodon": "pbakker@mastodon.nl"}),
        (
            "gwen",
            "Gwen Tregarthen",
            "history",
            {"telegram": "gwen_treg", "mastodon": "gwen@mastodon.social"},
        ),
        ("laszlo", "László Kovács", "history", {"reddit": "laszlo_k", "telegram": "laszlok"}),
        ("bill", "Bill Crannock", "history", {"x": "billcrannock"}),
        ("dot", "Dorothy Penwarden", "history", {"telegram": "dot_penwarden"}),
        (
            "ray",
            "Ray Hollis",
            "history",
            {"reddit": "rayhollis_models", "mastodon": "rayhollis@mastodon.social"},
        ),
        # people who talk across the groups
        (
            "ruth",
            "Ruth Calder",
            "connectors",
            {
                "x": "ruthcalder",
                "telegram": "ruthcalder",
                "mastodon": "ruthcalder@mastodon.social",
            },
        ),
        (
            "sam",
            "Sam Okonjo",
            "connectors",
            {
                "x": "samokonjo",
                "reddit": "samokonjo",
                "bluesky": "samokonjo.bsky.social",
                "mastodon": "samokonjo@mastodon.social",
            },
        ),
        (
            "inesf",
            "Ines Ferreira",
            "connectors",
            {"x": "inesferreira", "telegram": "inesferreira", "reddit": "inesferreira"},
        ),
        (
            "theo",
            "Theo Lindqvist",
            "connectors",
            {
                "x": "theolindqvist",
                "bluesky": "theolindqvist.bsky.social",
                "mastodon": "theolindqvist@mastodon.social",
            },
        ),
        # everyone else: one-off visitors, ranters, rumour starters, spammers
        ("annika", "Annika Holm", "other", {"x": "annika_holm"}),
        ("ratepayer", "Avel Ratepayer", "other", {"x": "avel_ratepayer"}),
        ("truth", "Truth in Avel", "other", {"x": "truthinavel"}),
        ("insider", "Avel Insider", "other", {"x": "avel_insider"}),
        ("cryptomoon", "CryptoMoon Drops 🚀", "other", {"x": "cryptomoon_drops"}),
        ("fakegift", "Lumen Museum Giveaway", "other", {"x": "lumen_giveaway0"}),
        ("growpro", "GrowFollowers Pro", "other", {"x": "growfollowers_pro"}),
        ("kerlazmm", "Kerlaz Maritime Museum", "other", {"x": "kerlazmaritime"}),
        ("mattie", "Mattie Lowe", "other", {"x": "mattielowe"}),
        ("greta", "Greta Sandvik", "other", {"x": "greta_sandvik"}),
        ("throwaway", "throwaway_avel77", "other", {"reddit": "throwaway_avel77"}),
        ("watcher", "harbourwatcher", "other", {"reddit": "harbourwatcher"}),
        ("bestdeals", "best_deals_4u", "other", {"reddit": "best_deals_4u"}),
        ("quaydweller", "quay_dweller", "other", {"reddit": "quay_dweller"}),
        ("avelwatch", "Avel Watch", "other", {"mastodon": "avelwatch@mastodon.online"}),
        ("hollow", "hollowcrown", "other", {"mastodon": "hollowcrown@mastodon.online"}),
        ("promo", "Promo Deals 💰", "other", {"mastodon": "promo_deals@mastodon.online"}),
        ("mira", "Mira Castell", "other", {"mastodon": "miracastell@mastodon.social"}),
        ("notcurator", "not your curator", "other", {"bluesky": "notyourcurator.bsky.social"}),
        ("boost", "FollowBoost", "other", {"bluesky": "followboost.bsky.social"}),
        ("jules", "Jules Arnaud", "other", {"bluesky": "julesarnaud.bsky.social"}),
        ("gary", "Gary Bowden", "other", {"telegram": "gary_b_avel"}),
        ("anna", "Anna 💋 VIP", "other", {"telegram": "crypto_anna_vip"}),
        ("kees", "Kees Janssen", "other", {"telegram": "keesj"}),
    ]
)


# -- parsing the script -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One post of a thread, as written in the script."""

    number: int  # line number in the script, for error messages
    who: str
    text: str
    delay: timedelta | None = None
    at: datetime | None = None
    to: int | None = None
    tag: str | None = None
    lang: str = "en"
    edited: int | None = None


@dataclass(slots=True)
class Thread:
    """A root post and its replies."""

    start: datetime  # UTC
    sub: str | None
    lines: list[Line] = field(default_factory=list)


_HEAD = re.compile(r"^== (?P<when>\d\d-\d\d \d\d:\d\d)(?:\s+r/(?P<sub>\w+))?\s*$")
_LINE = re.compile(
    r"^(?:(?:\+(?P<delay>\d+)(?P<unit>[mhd]?)|@(?P<at>\d\d-\d\d \d\d:\d\d))\s+)?"
    r"(?:>(?P<to>\d+)\s+)?"
    r"(?P<who>[a-z0-9_]+)"
    r"(?:\s+\[(?P<tag>[a-z-]+)\])?"
    r"(?:\s+\{(?P<lang>[a-z]{2})\})?"
    r"(?:\s+~(?P<edited>\d+))?"
    r":\s(?P<text>.*)$"
)
_UNITS = {"": 1, "m": 1, "h": 60, "d": 1440}


def local_time(when: str) -> datetime:
    """``MM-DD HH:MM`` Port Avel local time as an aware UTC datetime."""
    stamp = datetime.strptime(f"{YEAR}-{when}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return stamp - LOCAL_OFFSET


def parse_script(script: str, platform: str) -> list[Thread]:
    """The threads of one platform's script; raises ``ValueError`` naming the bad line."""
    threads: list[Thread] = []
    pending: dict[str, Any] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            text = pending.pop("text").replace("\\n", "\n")
            threads[-1].lines.append(Line(text=text, **pending))
            pending = None

    for number, raw_line in enumerate(script.splitlines(), start=1):
        where = f"{platform} script line {number}"
        if not raw_line.strip() or raw_line.lstrip().startswith("#"):
            continue
        if raw_line[0].isspace():
            if pending is None:
                raise ValueError(f"{where}: continuation without a post")
            pending["text"] += " " + raw_line.strip()
            continue
        flush()
        head = _HEAD.match(raw_line)
        if head:
            threads.append(Thread(local_time(head["when"]), head["sub"]))
            continue
        found = _LINE.match(raw_line)
        if not found or not threads:
            raise ValueError(f"{where}: cannot read {raw_line!r}")
        if found["who"] not in PEOPLE:
            raise ValueError(f"{where}: unknown person {found['who']!r}")
        if found["tag"] and found["tag"] not in TAGS:
            raise ValueError(f"{where}: unknown tag {found['tag']!r}")
        delay = None
        if found["delay"]:
            delay = timedelta(minutes=int(found["delay"]) * _UNITS[found["unit"]])
        pending = {
            "number": number,
            "who": found["who"],
            "text": found["text"].strip(),
            "delay": delay,
            "at": local_time(found["at"]) if found["at"] else None,
            "to": int(found["to"]) if found["to"] else None,
            "tag": found["tag"],
            "lang": found["lang"] or "en",
            "edited": int(found["edited"]) if found["edited"] else None,
        }
    flush()
    return threads


# -- deterministic "randomness" -----------------------------------------------------------


def _h(*parts: object) -> int:
    """A stable 64-bit hash of ``parts`` (the same on every Python version and machine)."""
    data = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _pick(lo: int, hi: int, *parts: object) -> int:
    """A stable integer in ``[lo, hi]`` chosen by ``parts``."""
    return lo + _h(*parts) % (hi - lo + 1)


_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _encode(value: int, alphabet: str, width: int = 0) -> str:
    base = len(alphabet)
    out = ""
    while value:
        value, digit = divmod(value, base)
        out = alphabet[digit] + out
    return out.rjust(width, alphabet[0]) or alphabet[0]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


# -- accounts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    """A person's account on one platform."""

    person: Person
    platform: str
    id: str
    handle: str
    followers: int | None

    @property
    def is_self(self) -> bool:
        return self.person.key == MUSEUM

    @property
    def username(self) -> str:
        """The handle without a Mastodon instance."""
        return self.handle.split("@", 1)[0]

    def author(self) -> Author:
        return Author(
            id=self.id,
            handle=self.handle,
            name=self.person.name,
            is_self=self.is_self,
            is_bot=self.is_self and self.platform == "telegram",
            followers=self.followers,
        )


MUSEUM_FOLLOWERS = {"x": 18432, "mastodon": 3208, "bluesky": 5871}
FOLLOWER_RANGES = {
    "families": (40, 900),
    "students": (120, 2400),
    "history": (15, 600),
    "connectors": (900, 6500),
    "other": (3, 1800),
}


def _ms_at(year: int, month: int) -> int:
    return _ms(datetime(year, month, 1, tzinfo=UTC))


def account(person_key: str, platform: str) -> Account:
    """The account of ``person_key`` on ``platform`` (``KeyError`` if they are not there)."""
    person = PEOPLE[person_key]
    handle = person.accounts[platform]
    if person.key == MUSEUM:
        ident = OWN_ACCOUNTS[platform][0]
        return Account(person, platform, ident, handle, MUSEUM_FOLLOWERS.get(platform))
    seed = (platform, handle)
    if platform == "x":  # a quarter are old accounts with short ids, the rest snowflakes
        if _h(*seed, "old") % 4 == 0:
            ident = str(_pick(14_000_000, 1_400_000_000, *seed))
        else:
            joined = _pick(_ms_at(2015, 1), _ms_at(2025, 6), *seed)
            ident = str(((joined - X_EPOCH_MS) << 22) | (_h(*seed, "bits") % (1 << 22)))
    elif platform == "reddit":
        ident = _encode(_pick(36**5, 36**8 - 1, *seed), _B36)
    elif platform == "mastodon":
        joined = _pick(_ms_at(2018, 1), _ms_at(2025, 6), *seed)
        ident = str((joined << 16) | (_h(*seed, "seq") % 65536))
    elif platform == "bluesky":
        ident = "did:plc:" + _encode(_h(*seed, "did") << 56 | _h(*seed, "plc"), _B32, 24)[-24:]
    else:
        ident = str(_pick(180_000_000, 7_400_000_000, *seed))
    followers = None
    if platform not in ("reddit", "telegram"):  # neither shows follower counts
        followers = _pick(*FOLLOWER_RANGES[person.group], *seed, "followers")
    return Account(person, platform, ident, handle, followers)


# -- from script to posts ------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Draft:
    """A post being built: its place in the script, then its platform ids."""

    platform: str
    account: Account
    body: str  # the text as written (before automatic @-mentions)
    created_at: datetime
    key: str  # stable hash key
    tag: str | None
    lang: str
    sub: str | None
    edited_at: datetime | None = None
    parent: Draft | None = None
    root: Draft | None = None  # None for a root
    children: list[Draft] = field(default_factory=list)
    text: str = ""
    id: str = ""
    number: int = 0  # Telegram message id, Reddit base36 value
    rkey: str = ""  # Bluesky record key

    @property
    def thread_root(self) -> Draft:
        return self.root or self

    @property
    def is_self(self) -> bool:
        return self.account.is_self


def _drafts(platform: str, threads: list[Thread]) -> list[Draft]:
    """Timed drafts of every post of ``threads``, replies linked to their parents."""
    drafts: list[Draft] = []
    starts: set[datetime] = set()
    for thread in threads:
        if thread.start in starts:
            raise ValueError(f"{platform}: two threads start at {thread.start}")
        starts.add(thread.start)
        made: list[Draft] = []
        minute = thread.start
        for index, line in enumerate(thread.lines):
            where = f"{platform} script line {line.number}"
            if index == 0 and (line.delay or line.at or line.to is not None):
                raise ValueError(f"{where}: a thread's first post has no delay or parent")
            if line.to is not None and line.to >= index:
                raise ValueError(f"{where}: >{line.to} is not an earlier post of the thread")
            if index > 0:
                if line.at is not None:
                    if line.at <= minute:
                        raise ValueError(f"{where}: {line.at} is not after the previous post")
                    minute = line.at
                elif line.delay:
                    minute += line.delay
                else:
                    raise ValueError(f"{where}: a reply needs +DELAY or @TIME")
            key = f"{platform}|{thread.start:%m-%d %H:%M}|{index}"
            created = minute + timedelta(seconds=_pick(0, 59, key, "s"))
            tag = line.tag
            if tag is None and line.who == MUSEUM:
                tag = "own-post" if index == 0 else "own-reply"
            elif tag is None and line.lang != "en":
                tag = "non-english"
            draft = Draft(
                platform=platform,
                account=account(line.who, platform),
                body=line.text,
                created_at=created,
                key=key,
                tag=tag,
                lang=line.lang,
                sub=thread.sub,
                edited_at=created + timedelta(minutes=line.edited) if line.edited else None,
            )
            if index > 0:
                parent = made[line.to if line.to is not None else index - 1]
                draft.parent = parent
                draft.root = made[0]
                parent.children.append(draft)
            made.append(draft)
        drafts.extend(made)
    drafts.sort(key=lambda d: (d.created_at, d.key))
    return drafts


def _with_mentions(draft: Draft, me: str) -> str:
    """The text of an X or Mastodon reply: the usual leading @-mentions, then the body."""
    if draft.parent is None:
        return draft.body
    root = draft.thread_root
    names: list[str] = []
    for other in (draft.parent.account, root.account):
        if other.person is not draft.account.person and other.username not in names:
            names.append(other.username)
    addressed = _mentions_museum(root) or root.is_self or draft.parent.is_self
    if addressed and not draft.is_self and me not in names:
        names.append(me)
    names = [n for n in names if f"@{n}".lower() not in draft.body.lower()]
    return " ".join([*(f"@{n}" for n in names), draft.body])


_SELF_MENTION = {
    "x": re.compile(r"@lumenmuseum\b", re.IGNORECASE),
    "mastodon": re.compile(r"@lumen(?![\w.])|@lumen@museum\.social", re.IGNORECASE),
    "bluesky": re.compile(r"@lumenmuseum\.bsky\.social", re.IGNORECASE),
    "reddit": re.compile(r"\bu/LumenMuseum\b", re.IGNORECASE),
    "telegram": re.compile(r"@lumen_museum_bot\b", re.IGNORECASE),
}


def _mentions_museum(draft: Draft) -> bool:
    """Whether the post (not by the museum) names the museum's account."""
    if draft.is_self:
        return False
    text = draft.text or draft.body
    if _SELF_MENTION[draft.platform].search(text):
        return True
    # Telegram counts a reply to one of our messages as addressed to us (as the connector does).
    return draft.platform == "telegram" and draft.parent is not None and draft.parent.is_self


def _kind(draft: Draft) -> PostKind:
    if draft.platform == "reddit":
        if draft.parent is None:
            return PostKind.POST
        return PostKind.COMMENT if draft.parent.parent is None else PostKind.REPLY
    if draft.parent is not None:
        return PostKind.REPLY
    if _mentions_museum(draft):
        return PostKind.MENTION
    return PostKind.MESSAGE if draft.platform == "telegram" else PostKind.POST


def _engagement(draft: Draft) -> tuple[int, int, int]:
    """Likes, reposts and quotes, by what kind of post it is."""
    k = draft.key
    if draft.tag == "spam":
        return _pick(0, 2, k, "l"), 0, 0
    if draft.tag in ("rumour-root", "clarification") and draft.parent is None:
        return _pick(90, 420, k, "l"), _pick(40, 260, k, "r"), _pick(5, 40, k, "q")
    if draft.is_self and draft.parent is None:
        return _pick(25, 180, k, "l"), _pick(4, 45, k, "r"), _pick(0, 6, k, "q")
    if draft.parent is None:
        likes = _pick(0, 60 if draft.tag == "praise" else 28, k, "l")
        return likes, _pick(0, max(1, likes // 4), k, "r"), _pick(0, 2, k, "q") // 2
    if draft.tag == "rumour-reply":
        return _pick(0, 45, k, "l"), _pick(0, 9, k, "r"), 0
    return (
        _pick(0, 14 if draft.is_self else 9, k, "l"),
        _pick(0, 1, k, "r") * _pick(0, 2, k, "r2"),
        0,
    )


def _thread_size(draft: Draft) -> int:
    return sum(1 + _thread_size(child) for child in draft.children)


def _iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _finish(draft: Draft, raw: dict[str, Any], url: str | None, metrics: dict[str, int]) -> Post:
    if draft.tag:
        raw["demo_tag"] = draft.tag
    lang = draft.lang if draft.platform in ("x", "mastodon", "bluesky") else None
    return Post(
        platform=draft.platform,
        id=draft.id,
        source=SOURCES[draft.platform],
        kind=_kind(draft),
        author=draft.account.author(),
        text=draft.text,
        created_at=draft.created_at,
        url=url,
        conversation_id=draft.thread_root.id,
        in_reply_to_id=draft.parent.id if draft.parent else None,
        language=lang,
        mentions_self=_mentions_museum(draft),
        edited_at=draft.edited_at,
        deleted=False,
        metrics=metrics,
        raw=raw,
    )


# Raw payloads keep a few characteristic fields of each platform's wire format (no text, no
# counts: those are in the post itself), so that the five files stay small.

# X ---------------------------------------------------------------------------------------


def _x_posts(drafts: list[Draft]) -> list[Post]:
    for d in drafts:
        ms = _ms(d.created_at) + _pick(0, 999, d.key, "ms")
        worker = _pick(0, 1023, d.key, "w") << 12
        d.id = str(((ms - X_EPOCH_MS) << 22) | worker | _pick(0, 4095, d.key))
        d.text = _with_mentions(d, "lumenmuseum")
    posts = []
    for d in drafts:
        likes, reposts, quotes = _engagement(d)
        replies = len(d.children)
        raw: dict[str, Any] = {"author_id": d.account.id}
        if d.parent is not None:
            raw["in_reply_to_user_id"] = d.parent.account.id
            raw["referenced_tweets"] = [{"type": "replied_to", "id": d.parent.id}]
        url = f"https://x.com/{d.account.handle}/status/{d.id}"
        metrics = {"likes": likes, "reposts": reposts, "replies": replies, "quotes": quotes}
        posts.append(_finish(d, raw, url, metrics))
    return posts


# Reddit ----------------------------------------------------------------------------------

_REDDIT_T3_BASE = int("1q2a000", 36)  # submission ids around the start of the period
_REDDIT_T1_BASE = int("o4k0000", 36)  # comment ids
_PERIOD_START = datetime(YEAR, 10, 26, tzinfo=UTC)


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 40:
            break
        slug = f"{slug}_{word}" if slug else word
    return slug or "post"


def _reddit_posts(drafts: list[Draft]) -> list[Post]:
    for d in drafts:
        seconds = int((d.created_at - _PERIOD_START).total_seconds())
        if d.parent is None:
            d.number = _REDDIT_T3_BASE + seconds * 3 + _pick(0, 2, d.key)
        else:
            d.number = _REDDIT_T1_BASE + seconds * 47 + _pick(0, 46, d.key)
        d.id = _encode(d.number, _B36)
        d.text = d.body
    posts = []
    for d in drafts:
        likes = 1 + _engagement(d)[0]
        if d.tag in ("abusive", "spam"):
            likes = _pick(-14, 0, d.key, "down")
        root = d.thread_root
        base = f"https://www.reddit.com/r/{d.sub}/comments/{root.id}/{_slug(root.body)}/"
        data: dict[str, Any] = {
            "name": ("t3_" if d.parent is None else "t1_") + d.id,
            "author_fullname": "t2_" + d.account.id,
            "score": likes,
        }
        if d.edited_at:
            data["edited"] = float(int(d.edited_at.timestamp()))
        if d.parent is None:
            data["num_comments"] = _thread_size(d)
            metrics = {"likes": likes, "replies": _thread_size(d)}
        else:
            data["link_id"] = "t3_" + root.id
            data["parent_id"] = ("t3_" if d.parent.parent is None else "t1_") + d.parent.id
            metrics = {"likes": likes}
        raw = {"kind": "t3" if d.parent is None else "t1", "data": data}
        url = base if d.parent is None else f"{base}{d.id}/"
        posts.append(_finish(d, raw, url, metrics))
    return posts


# Mastodon --------------------------------------------------------------------------------


def _mastodon_posts(drafts: list[Draft]) -> list[Post]:
    for d in drafts:
        ms = _ms(d.created_at) + _pick(0, 999, d.key, "ms")
        d.id = str((ms << 16) | _pick(0, 65535, d.key))
        d.text = _with_mentions(d, "lumen")
    posts = []
    for d in drafts:
        likes, reposts, _ = _engagement(d)
        acc = d.account
        raw: dict[str, Any] = {
            "in_reply_to_account_id": d.parent.account.id if d.parent else None,
            "visibility": "public",
            "account": {"id": acc.id, "acct": acc.username if acc.is_self else acc.handle},
        }
        url = f"https://{acc.handle.split('@', 1)[1]}/@{acc.username}/{d.id}"
        metrics = {"likes": likes, "reposts": reposts, "replies": len(d.children)}
        posts.append(_finish(d, raw, url, metrics))
    return posts


# Bluesky ---------------------------------------------------------------------------------


def _bluesky_posts(drafts: list[Draft]) -> list[Post]:
    for d in drafts:
        micros = int(d.created_at.timestamp()) * 1_000_000 + _pick(0, 999_999, d.key, "us")
        d.rkey = _encode((micros << 10) | _pick(0, 1023, d.key, "clock"), _B32_SORT, 13)
        d.id = f"at://{d.account.id}/app.bsky.feed.post/{d.rkey}"
        d.text = d.body
    posts = []
    for d in drafts:
        likes, reposts, quotes = _engagement(d)
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": _iso_ms(d.created_at),
            "langs": [d.lang],
        }
        raw: dict[str, Any] = {"record": record}
        url = f"https://bsky.app/profile/{d.account.handle}/post/{d.rkey}"
        metrics = {"likes": likes, "replies": len(d.children), "reposts": reposts, "quotes": quotes}
        posts.append(_finish(d, raw, url, metrics))
    return posts


# Telegram --------------------------------------------------------------------------------

_TELEGRAM_FIRST_MESSAGE = 18241
_TELEGRAM_FIRST_UPDATE = 731_552_904


def _telegram_user(acc: Account) -> dict[str, Any]:
    return {"id": int(acc.id), "is_bot": acc.is_self, "first_name": acc.person.name.split()[0]}


def _telegram_posts(drafts: list[Draft]) -> list[Post]:
    number = _TELEGRAM_FIRST_MESSAGE
    for d in drafts:
        d.number = number
        d.id = f"{TELEGRAM_CHAT_ID}:{number}"
        d.text = d.body
        # joins, stickers and photos without text take message ids too
        number += 1 + (_pick(0, 3, d.key, "gap") if _h(d.key, "skip") % 3 == 0 else 0)
    posts = []
    for position, d in enumerate(drafts):
        message: dict[str, Any] = {
            "message_id": d.number,
            "date": int(d.created_at.timestamp()),
            "chat": {"id": TELEGRAM_CHAT_ID},
            "from": _telegram_user(d.account),
        }
        if d.edited_at:
            message["edit_date"] = int(d.edited_at.timestamp())
        if d.parent is not None:
            message["reply_to_message"] = {"message_id": d.parent.number}
        raw = {"update_id": _TELEGRAM_FIRST_UPDATE + position, "message": message}
        url = f"https://t.me/c/{str(TELEGRAM_CHAT_ID)[4:]}/{d.number}"
        posts.append(_finish(d, raw, url, {}))
    return posts


_BUILDERS = {
    "x": _x_posts,
    "reddit": _reddit_posts,
    "mastodon": _mastodon_posts,
    "bluesky": _bluesky_posts,
    "telegram": _telegram_posts,
}


def build_posts() -> dict[str, list[Post]]:
    """Every platform's posts, sorted by ``created_at`` (checks ids and text limits)."""
    out: dict[str, list[Post]] = {}
    for platform in PLATFORM_FILES:
        drafts = _drafts(platform, parse_script(SCRIPTS[platform], platform))
        posts = _BUILDERS[platform](drafts)
        ids = [p.id for p in posts]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{platform}: duplicate ids")
        for post, draft in zip(posts, drafts, strict=True):
            limit = TEXT_LIMITS[platform]
            if len(post.text) > limit:
                raise ValueError(f"{platform}: {draft.key} is {len(post.text)} > {limit} chars")
        out[platform] = posts
    return out


def render(posts: list[Post]) -> str:
    """The JSONL text of ``posts`` (UTF-8 characters kept, one object per line)."""
    return "".join(
        json.dumps(post_to_dict(p), ensure_ascii=False, separators=(",", ":")) + "\n" for p in posts
    )


def write_all(out_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write every platform's file into ``out_dir``; returns the number of posts per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for platform, posts in build_posts().items():
        path = out_dir / PLATFORM_FILES[platform]
        path.write_bytes(render(posts).encode("utf-8"))
        counts[PLATFORM_FILES[platform]] = len(posts)
    return counts


def main(argv: list[str] | None = None) -> None:
    """Command line: write the demo data (default: into the package's data folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder to write into")
    args = parser.parse_args(argv)
    counts = write_all(args.out)
    total = sum(counts.values())
    print(f"wrote {total} posts to {args.out}: " + ", ".join(f"{n} {c}" for n, c in counts.items()))


# -- the script ------------------------------------------------------------------------------
# Facts the museum's answers keep to (they match config/example.yaml): open Tuesday to Sunday
# 10:00-18:00, Thursdays until 21:00 (Lumen Lates), closed Mondays; adults €16, students and
# over-65s €9, under-18s free, Friends of Lumen free; step-free throughout, lifts to every floor,
# wheelchairs to borrow at the desk, Calm Hour on Sundays 10:00-11:00; free cloakroom, baby
# change on every floor, Harbour Café on the ground floor, nearest car park Harbour Street.
# Staff sign X replies ^JL (Jo Lennick, social media) and ^MB (Mo Barzani, visitor team);
# Oriane Vasseur is the director, Dr Mireille Cadou curates Tides of Light.

X_SCRIPT = r"""
== 10-26 08:52
olu: wondering if you're open today, half term and the kids are already climbing the walls
  @lumenmuseum
+47 lumen: Hi Olu, sorry, we're closed on Mondays, even in half-term 🙈 Open Tue–Sun 10:00–18:00,
  and the shadow-puppet drop-in runs Tue–Fri this week. ^JL
+6 olu: ah no worries, tomorrow it is

== 10-26 12:30
lumen: Half-term at Lumen 🌗 Shadow-puppet drop-in, Tue–Fri 11:00–15:00 in the Learning Studio.
  Free, no booking, just turn up with small humans. #PortAvel #halfterm
+95 priya: Is it ok for a 3 year old or is it more for older kids?
+21 lumen: Absolutely ok! We have chunky puppets for little hands. Grown-ups stay with under-5s
  please 🙂 ^JL
+3h >0 dani: went to this last year, my two still talk about the dragon puppet

== 10-26 19:40
kai: sketching day at the Lumen tomorrow for the Tides of Light project, anyone from 2nd year wanna
  come?? #TidesOfLight
+25 tess: me!! 10:30 at the front steps?
+12 >0 femi: count me in, need to fill my sketchbook before crit friday 😭
+8 kai: 10:30 it is 🖤

== 10-27 09:15
jamal [accessibility-question]: @lumenmuseum Is the Tides of Light gallery step-free? I use a
  wheelchair and last time the ramp up to gallery 4 was roped off
+32 lumen: Hi Jamal, yes, the whole museum is step-free and gallery 4 is reached by either lift.
  The ramp was closed for a fitting last month and is open again. Wheelchairs to borrow at the
  desk too. ^MB
+15 jamal: great, thanks for the quick answer

== 10-27 11:02
fenwick [ticket-question]: @lumenmuseum how much for 2 adults and 3 kids (6, 9 and 12)? Does it
  include Tides of Light?
+28 lumen: Hi! Under-18s are free, so it's 2 × €16 = €32 for the family, Tides of Light included.
  Booking a time slot online is wise in half-term: lumen-museum.example/tickets ^MB
+4 fenwick: bargain. booked for thursday 🙌

== 10-27 14:20
chiara {it}: Tides of Light al @lumenmuseum è una meraviglia. La sala delle lenti mi ha lasciata
  senza parole ✨ #TidesOfLight

== 10-27 16:48
ratepayer [complaint]: @lumenmuseum 40 minutes in a queue outside with a toddler in the rain. Not
  one person came out to tell us anything. Shambles.
+22 lumen: We're really sorry, that's not the welcome we want. Half-term walk-ups were far above
  what we planned for; from tomorrow there's a second desk and someone walking the queue. ^MB
+31 ratepayer: we'll see

== 10-27 20:05
tomh [praise]: Took the kids to the shadow puppet thing at @lumenmuseum today. Staff were brilliant
  with my youngest, who's really shy. Proper gem this place
+13h lumen: This made our morning, thank you Tom! Passing it on to the Learning team 💛 ^JL

== 10-28 10:30
lumen: This Thursday: Lumen Late, Dark Matter 🌑 Glow-in-the-dark drawing, a telescope on the
  terrace (weather permitting) and the bar open till 21:00. #LumenLates
+40 tess: is the life drawing back at the lates or was that a one off
+25 lumen: One-off for now, but we hear you! Tell us what you'd like at future Lates 👀
+9 femi [suggestion]: life drawing every late pleaseeee. and a quiet corner for people who just want
  to draw
+2h >0 kai [event-signup]: booked me + 3 for thursday, see u in the dark

== 10-28 13:44
rosa {es}: ¿Alguien sabe si en el @lumenmuseum hay consigna para maletas? Llegamos a Port Avel el
  jueves y el tren sale por la tarde
+50 lumen {es}: ¡Hola Rosa! Sí, el guardarropa es gratuito y en la planta baja hay taquillas grandes
  para maletas. ¡Buen viaje! ^JL
+11 rosa {es}: ¡Genial, muchas gracias! 🙏

== 10-28 18:30
sam: New on Port Avel Notes: a half-term guide to the harbour. The Lumen puppet drop-in, the ferry
  museum, and where to get the best crêpes. portavelnotes.example/half-term
+35 priya: the crêpe stand by the lighthouse steps is elite, good call
+1h >0 ruth: Sharing with my class parents, thank you Sam!

== 10-29 09:02
cryptomoon [spam]: 🚀 $LUMEN token AIRDROP is LIVE 🚀 Claim 5,000 free tokens before midnight ➡️
  lumen-airdrop.example @lumenmuseum #crypto #airdrop #NFT

== 10-29 10:11
fakegift [spam]: 🎁 GIVEAWAY 🎁 Lumen Museum is giving away 500 FREE annual passes to celebrate 1M
  visitors!! Follow + RT + claim at lumenpass-free.example. Ends TONIGHT
+44 des: This is a scam, isn't it? @lumenmuseum
+19 lumen: Yes, thank you Desmond, that's not us. We never ask anyone to click a link to claim
  passes. Please report the account. ^JL

== 10-29 12:40
ruth: @lumenmuseum do you still do free school visits for Port Avel primaries? Looking at Year 4 in
  the spring term
+37 lumen: Hi Ruth! Yes, free for every Port Avel school. Spring bookings open on 10 November:
  email learning@lumen-museum.example and the team will hold a date. ^MB
+8 ruth: Perfect, I'll be first in the queue on the 10th 😄

== 10-29 21:15
kai [praise]: Dark Matter late at @lumenmuseum was unreal. Drew for 2 hours under UV and the DJ was
  actually good?? #LumenLates
+6 tess: my sketchbook is glowing. literally
+20 >0 theo: got some lovely shots of the telescope queue, posting tomorrow 📷
+11h >0 ruth: Bringing my sixth formers to the next one, they need to see this

== 10-30 10:05
jamal [complaint]: @lumenmuseum East lift not working and no sign anywhere. Had to go all the way
  round. Not great.
+18 lumen: Sorry Jamal. The east lift broke down this morning and engineers are on the way. The
  west lift reaches every floor; signs are up now. ^MB
+12 jamal [suggestion]: thanks. might be worth a note on the website too, I checked before leaving

== 10-30 13:30
bence {hu}: A @lumenmuseum Tides of Light kiállítása az év legszebb dolga eddig. Kötelező, ha Port
  Avelben jártok 🌊💡

== 10-30 17:20
gareth [facilities-question]: @lumenmuseum where's the nearest parking to the museum? Coming in
  from Kerlaz tomorrow with three kids and a buggy
+26 sam: Harbour Street car park is the closest, 5 min walk. Fills up by 11 on Saturdays though
+9 gareth: cheers Sam, we'll aim for 10

== 10-31 09:40
marek {pl}: Czy do @lumenmuseum można wejść z wózkiem? Jutro jedziemy z małą 🙂
+34 lumen {pl}: Dzień dobry! Tak, wózki są mile widziane w całym muzeum, a przy wejściu jest miejsce
  na wózki. ^JL
+5 marek {pl}: Super, dziękujemy!

== 10-31 11:55
olu [suggestion]: @lumenmuseum Lightbox workshop sold out again. Third weekend in a row. Maybe add
  more sessions?
+41 lumen: We hear you Olu! We're adding a 16:00 session from 14 November. Tickets go live on
  Monday. ^JL
+15 >0 dani: yes please, we missed it too
+4 >1 olu: brilliant, thank you 👏

== 10-31 15:10
bill: Popped into the Lumen to see the Avel Lens again. Still gives me goosebumps. My grandad kept
  that light for 22 years.
+50 colin: Was that the old Pointe Saint-Gildas light, Bill?
+14 bill: That's the one. 1957 to 1979.
+1h des: What a thing to have in the family. You should talk to the museum, they're collecting
  harbour stories
+20 bill: might just do that
+2h >0 ruth: Bill, would you come and tell my Year 4s about him? We do lighthouses next term and
  they'd be spellbound
+40 bill: It would be an honour, Ruth

== 10-31 16:40
tess: why is every museum café contractually obliged to charge €5 for a croissant

== 11-01 10:30
julie {fr}: Dimanche au @lumenmuseum avec les enfants. L'atelier des ombres était complet mais
  l'expo vaut vraiment le détour ☀️

== 11-01 14:22
growpro [spam]: @lumenmuseum Want more visitors? 10K REAL followers for your museum for only $49 💯
  DM us now, fast delivery guaranteed!!

== 11-01 16:45
ama [ticket-question]: @lumenmuseum any student discount? asking for a very broke art student (me)
+33 lumen: Students pay €9 with a valid card, Ama 🙂 ^JL
+7 ama: €9 I can do

== 11-02 08:30
lumen: We're closed today (Mondays), back tomorrow at 10:00. Heads-up: from tomorrow Gallery 2
  (maritime) is closed while we prepare a new display. Everything else is open as usual.
+2h harold: How long will gallery 2 be shut? Was hoping to show my grandson the Marguerite model
+44 lumen: Until the spring, Harold, we'll share dates soon. The Marguerite isn't going anywhere,
  promise. ^JL

== 11-02 19:25
greta: @lumenmuseum hoping to bring my nan on Saturday, she can't manage stairs at all and gets
  tired quickly
+15h lumen: Hi Greta, she'll be fine: step-free throughout, lifts to every floor, benches in most
  galleries and wheelchairs to borrow at the desk. ^MB

== 11-03 09:50
lumen: Good news: the east lift is fixed ✅ Thanks for your patience, and sorry to everyone who
  had to take the long way round.
+25 jamal: 👍 thanks for letting us know

== 11-03 19:10
femi: doing my final project on the Tides of Light lens room, if anyone has photos from opening
  night pls send 🙏
+40 theo: I've got a few, DM me
+7 >0 kai: theo's photos are the best ones tbh
+1h >0 inesf: One of our volunteers photographed the whole install too, I'll ask if she'd share

== 11-04 12:00
lumen: Tonight 19:00: 'Lighthouses of the Avel Coast' with Dr Alys Penhale, first of our Light &
  Sea lectures. A few seats left: lumen-museum.example/whats-on #LightAndSea
+18 des [event-signup]: Booked. Been waiting for this one
+6 colin: see you there Des
+1h >0 bill: wish I could, bad knee. will it be recorded?
+30 lumen: It will, Bill: recordings go up on our website within a week 🙂

== 11-04 21:40
des [praise]: Fascinating talk at @lumenmuseum tonight. Didn't know the Saint-Gildas lens was made
  in Paris in 1868, or that it floats on a bath of mercury.

== 11-05 10:20
dani [facilities-question]: @lumenmuseum is there somewhere to change a baby on the 2nd floor?
  couldn't find it last time and ended up in the car
+3h inesf: There's one on every floor, Dani, in the accessible toilet by the lifts. Easy to miss!

== 11-05 19:45
tess [complaint]: at the @lumenmuseum late with @kaibrennan_art and the bar ran out of literally
  everything by 7 😩
+24 lumen: Sorry Tess! Much busier than we expected tonight. Restocked now, promise 🍋

# the rumour reaches X on Friday morning
== 11-06 08:15
insider [rumour-root]: So @lumenmuseum is quietly SELLING OFF the maritime collection and closing
  the science wing. Gallery 2 already emptied, crates going out the back door. Nobody asked Port
  Avel. #SaveLumen
+20 truth [rumour-reply]: Typical. Flog the family silver and turn the place into a wedding venue.
  Disgusting.
+25 >0 harold [rumour-reply]: Is this true? My father's ship model is in that collection. He
  donated it in 1974.
+11 >0 colin [rumour-reply]: Saw the crates myself on Tuesday. Somebody needs to answer for this.
+30 >0 ratepayer [rumour-reply]: our taxes pay for that place and they sell it off behind our backs
+40 >0 sam [rumour-reply]: Asking the museum for a statement now. Let's wait for facts before we
  pile on, folks.
+5 truth [rumour-reply]: facts lol. the facts are in the skip behind the building
+8h >0 kai [rumour-reply]: wait is the science wing actually closing?? half my class did their
  light studies there
@11-07 11:35 >0 lumen [clarification]: Nothing is being sold. Gallery 2 is closed for a new
  display, Harbour Lives, opening 13 March 2027; 12 ship models are on loan to Kerlaz Maritime
  Museum. Full statement: lumen-museum.example/news/maritime
+38 >8 harold: Thank you. That's a relief. Might have been good to say so before the crates went
  out.
+12 >8 colin: fair enough. apologies for the noise
+50 >8 insider: we'll see in March

== 11-06 09:30
bill [rumour-root]: @lumenmuseum please tell me the Avel Lens isn't going anywhere. Heard terrible
  rumours this morning
@11-07 11:40 lumen [clarification]: Bill, the Avel Lens is staying exactly where it is, in the
  Light Hall. Nothing is being sold: lumen-museum.example/news/maritime ^JL
+15 bill: Thank you. Slept badly over this.

== 11-06 11:05
mattie [rumour-root]: Is it true you're selling the ship models @lumenmuseum? My kids will be
  gutted

== 11-06 13:05
truth [abusive]: @lumenmuseum Oriane Vasseur is a talentless bean-counter who should be marched out
  of the building. Resign, you fraud.

== 11-06 13:40
ratepayer [abusive]: @lumenmuseum you lot are a bunch of spineless parasites. Answer the question
  or shut the doors for good.

== 11-07 11:30
lumen [clarification]: A note on the rumours about our maritime collection 🧵 Nothing is being
  sold. The collection belongs to the people of Port Avel and is held in trust. Gallery 2 is
  closed for a redisplay and reopens 13 March 2027.
+2 lumen [clarification]: 12 ship models are on loan to our friends at @kerlazmaritime until
  June. The science wing is open as usual; only the Camera Obscura is closed for roof repairs until
  4 December.
+2 lumen [clarification]: We should have explained the closure before the crates appeared. Sorry
  for the worry. Questions welcome, we're reading everything today. Oriane Vasseur, Director
+30 >2 des: Thank you for the clear answer.
+25 >0 kerlazmm: Can confirm 😊 The models arrive Monday, and we'll take very good care of them.
  Loan on display from 20 Nov.
+15 >0 truth: convenient
+40 >0 sam: Good. Updated my post with the museum's statement. Please share this as widely as the
  rumour went.
+2h >2 ruth: Thanks for explaining, my class will be relieved. They adore the ship models

== 11-08 10:15
fenwick [praise]: Back at @lumenmuseum for round two. Camera obscura closed (roof repairs) but the
  kids spent an hour in the lens room anyway. Love this place ❤️
+2h theo: the lens room with kids in it is the best version of the lens room

== 11-08 14:00
cryptomoon [spam]: LAST CHANCE!! $LUMEN crypto presale bonus 300% 🔥🔥 only 2 hours left. Connect
  wallet at lumen-airdrop.example @lumenmuseum @visitportavel

== 11-09 09:00
lumen: We're looking for volunteers! Gallery guides, family workshop helpers and story collectors
  for Harbour Lives. Info evening Thu 12 Nov, 17:30: lumen-museum.example/volunteer
+50 inesf: Best thing I ever did, volunteering here. Come and join us 💛
+1h >0 bill [volunteering]: Could an old sailor help with the harbour stories?
+22 lumen: Bill, we'd love that. Bring your grandad's story on Thursday! ^JL
+3h >0 olu [volunteering]: do you take volunteers under 18? my eldest is 16 and mad about boats

== 11-10 08:05
ruth: @lumenmuseum emailed the learning team at 8am sharp for spring term, wish me luck 😅
+40 lumen: Got it Ruth, you're first! The team will confirm this week. ^MB

== 11-10 15:30
gareth [event-signup]: @lumenmuseum do you need to book the Saturday Lightbox workshop or can you
  just turn up
+36 lumen: Booking's needed, Gareth (kits are limited): lumen-museum.example/whats-on. The new
  16:00 session still has spaces! ^JL
+20 gareth: booked the 4 o'clock for all three 🙌

== 11-11 11:00
lumen: Tonight 19:00: 'Creatures That Make Light', marine biologist Dr Anouk Verhoeven on
  bioluminescence in the Avel estuary 🪼 #LightAndSea
+45 chiara {it}: Vengo! Si può ancora prenotare?
+20 lumen {it}: Sì Chiara, ci sono ancora posti: lumen-museum.example/whats-on 🙂 ^JL

== 11-11 22:10
femi [praise]: that bioluminescence lecture @lumenmuseum... I'm painting glowing jellyfish for the
  rest of my life now

== 11-12 12:00
tess [suggestion]: @lumenmuseum any chance of more seating in Tides of Light? There's one bench in
  the lens room and it's always taken

== 11-12 19:30
inesa {es}: La Late de esta noche en el @lumenmuseum: música, luz y demasiada gente 😅 pero vale
  la pena

== 11-13 10:40
ratepayer [abusive]: @lumenmuseum still waiting for anyone at that dump to grow a spine. Vasseur
  especially. Useless, the lot of you.

== 11-13 18:21
annika [hours-question]: @lumenmuseum Hello, what time do you open on Sunday? We would like to
  visit before lunch. Thank you!

== 11-14 09:30
priya [accessibility-question]: @lumenmuseum are the quiet hours still on Sundays? My son is
  autistic and the Calm Hour made such a difference last time
+25 lumen: Yes Priya, Calm Hour is every Sunday 10:00–11:00: lower light and sound in Tides of
  Light, and a quiet room on floor 1. See you tomorrow 💛 ^JL
+6 priya: thank you!!

== 11-14 13:15
dani [complaint]: @lumenmuseum the soup in the Harbour Café was stone cold and the person at the
  till just shrugged. €7.50 for that?

== 11-14 16:20
fakegift [spam]: FINAL HOURS of our GIVEAWAY 🎁 Free Friends of Lumen membership for the first 200
  people who verify their crypto wallet at lumen-friends-gift.example 🎁🎁

== 11-15 11:20
olu [praise]: Calm Hour this morning was lovely. Quiet, dim, and the staff were so patient with
  everyone. Thank you @lumenmuseum

== 11-15 15:00
theo: Last light over Lantern Quay, with the Lumen glowing behind the masts. #PortAvel
  #TidesOfLight 📷
+40 bence {hu}: Gyönyörű fotó! Ez lesz a háttérképem.
+1h >0 sam: that's going on the blog header if you'll let me
"""

REDDIT_SCRIPT = r"""
== 10-26 20:10 r/PortAvel
becca: Things to do with kids in half-term that aren't soft play?\n\nWe've done the aquarium twice
  and I can't face it again. Budget is tight. Any ideas? Ages 4 and 7.
+18 tomh: Lumen Museum has a free shadow puppet drop-in all week, and the permanent galleries are
  free anyway. Mine loved it last year.
+9 >0 gareth: Seconding the Lumen. Go early, it gets rammed after lunch.
+30 >0 ellie: the lightbox workshop on saturdays is great but you have to book way ahead
+22 >1 becca: Oh perfect, free is exactly our budget 😂 thank you all
+1h >1 inesf: I volunteer there on Wednesdays, come say hi at the puppet table!
+2h >0 sam: I wrote a half-term guide with more free stuff around the harbour:
  portavelnotes.example/half-term

== 10-27 12:00 r/LumenMuseum
lumen: Staff Q&A on Tides of Light this Friday, ask our curator anything\n\nHi all, this is the
  official account of the Lumen Museum. Our curator Dr Mireille Cadou will answer your questions
  about Tides of Light here on Friday from 15:00. Drop questions below any time before then!
+50 kai: How did you get the lens room to throw those moving caustic patterns? Is it real water?
+2h >0 jonah: Which piece took the longest to install?
+4h >0 evelyn: Will there be anything about the old harbour lamp-lighters?
@10-30 15:10 >1 lumen: Real water! A shallow tank above the ceiling panel with a very slow pump.
  The hardest part was stopping it from humming. (Mireille)
+6 >2 lumen: The big Fresnel lens in room 3: eleven days and a lot of nerves. It weighs as much as
  a small car. (Mireille)
+9 >3 lumen: Yes! Room 5 has a lamp-lighter's pole and his logbook from 1891. (Mireille)
+20 >4 kai: that is so cool, thank you!!
+2h >6 evelyn: Wonderful, I'll go and find it on Sunday.

== 10-28 09:45 r/PortAvel
ellie [facilities-question]: Lumen Museum with a double buggy?\n\nTwins, 18 months. Is it doable
  or should I bring the sling? Where do you leave the buggy if you can't take it in?
+40 gareth: Did it with a double last month. Both lifts are big enough and you can take it into
  every gallery.
+25 >0 becca: Baby change on the ground floor is decent, don't know about upstairs
+10 ellie: Thank you both, buggy it is

== 10-29 14:00 r/PortAvel
harold: Anyone else remember the old maritime hall before the Lumen refurb?\n\nUsed to go every
  Sunday with my father in the 60s. The Marguerite model was in a glass case bigger than my
  bedroom.
+35 colin: Yes! And the smell of linseed oil. The floors creaked like a ship's deck.
+20 >0 des: School trip, 1971. We got told off for touching the diving helmet.
+1h >0 friedrich: I visited as a student from Bremen in 1983. It was the first museum that
  explained lighthouse optics properly to me.
+40 >1 harold: The creaking floors! Good memories. Glad it's all still there.
+2h >0 evelyn: If anyone has photos of the old hall I'm putting together a little history blog,
  please DM me
+30 >0 ray: I restored two of the smaller models in that hall in the 90s, happy to share notes
+15 colin: Ray, you legend
+3h >4 sam: Harold, could I quote you in a piece about the old hall for Port Avel Notes?
+1h harold: Of course, young man

== 10-30 18:20 r/PortAvel
throwaway [complaint]: Lumen Museum front desk staff are getting unbearable\n\nAsked where the
  toilets were and got an eye-roll from the guy at the desk. Third time I've had attitude there.
+40 tomh: Honestly never had that, they've always been lovely to us. Bad day maybe?
+12 throwaway: bad day every time apparently
+3h >0 lumen: Sorry to read this. That's not OK and we'd like to put it right. If you're willing,
  send us a message with the day and time and our visitor manager will follow up. (Toilets are
  behind the cloakroom on every floor.)

== 10-31 10:00 r/LumenMuseum
milo: Sketching in Tides of Light?\n\nPencils only, or can I bring a small watercolour set?
+1h lumen: Pencils and dry media are welcome everywhere. Watercolours are fine in the Learning
  Studio but not in the galleries, sorry! Folding stools are free to borrow at the cloakroom.
+30 >0 jonah: the stools are a lifesaver tbh

== 11-01 19:00 r/PortAvel
laszlo {hu}: Magyarok Port Avelben?\n\nVan itt valaki, aki szívesen elmenne velem a Lumen
  Múzeumba jövő héten? A Tides of Light kiállítás nagyon érdekel.
+45 kai: not hungarian, sorry! but the thursday late is a good time to meet people, lots of us go
+20 laszlo {hu}: Köszönöm! Thank you, I will go on Thursday.

== 11-02 11:20 r/PortAvel
sam: Lumen's maritime gallery closing from tomorrow, anyone know why?\n\nSaw a sign by the
  entrance. Nothing on the website yet.
+25 des: Redisplay, I think? They mentioned collecting new stories from the harbour.
+40 >0 harold: I hope they keep the Marguerite where people can see it
+2h >0 quaydweller: probably making room for a gift shop lol

== 11-03 17:15 r/PortAvel
quaydweller [ticket-question]: Is the Lumen free on Sundays?\n\nSomeone told me it's free for
  locals on the first Sunday of the month, is that true? Can't find it on their site.
+1h des: Don't think so, but under-18s are always free and the lates are cheap

# the rumour starts here, on Thursday night after the Late
== 11-05 21:40 r/PortAvel
watcher [rumour-root]: Lumen Museum is selling off the maritime collection??\n\nWalked past the
  loading bay after the late tonight. Crates stencilled "MARITIME - TRANSIT" going into an unmarked
  van. Gallery 2 has been shut since Tuesday with no explanation. A friend who works for the
  council says the science wing is next, they want it for a conference centre. Can anyone confirm?
+25 colin [rumour-reply]: I saw the same crates on Tuesday. This stinks.
+15 >0 throwaway [rumour-reply]: Of course they are. Sell the lot and pay consultants with it.
+40 >0 harold [rumour-reply]: If they sell my father's donation I will chain myself to the door.
  I'm 78 and I'll do it.
@11-06 08:10 >0 evelyn [rumour-reply]: Has anyone actually asked the museum? Redisplays involve
  crates. Let's not get ahead of ourselves.
+20 >0 ray [rumour-reply]: Transit crates usually mean a loan, not a sale. A sale would need a
  public board decision and an auction house, and we'd all know.
+15 >5 watcher [rumour-reply]: then why all the secrecy
+1h >0 friedrich {de}: Eine städtische Sammlung kann man nicht einfach verkaufen. In Bremen gab es
  2009 genau denselben Aufruhr, am Ende war es eine Leihgabe.
+3h >0 kai [rumour-reply]: please don't let them close the science wing, it's where we do all our
  light studies
+2h >1 becca [rumour-reply]: my kids would be gutted. is there a petition?
@11-07 11:45 >0 lumen [clarification] ~14: Hi everyone, u/LumenMuseum here. Nothing is being
  sold. The crates hold 12 ship models going on loan to Kerlaz Maritime Museum until June.
  Gallery 2 is closed for a redisplay (Harbour Lives, opening 13 March 2027). The science wing
  stays open; only the Camera Obscura is closed until 4 December for roof repairs. The collection
  is held in trust for Port Avel and can't be sold off. Full statement:
  lumen-museum.example/news/maritime
+30 >3 harold: Thank you. I'm glad. And I won't need the chains.
+12 >10 ray: Called it. Loans to Kerlaz are good news actually, more people get to see the models.
+1h >10 watcher: ok, fair enough. should have said so before.
+40 lumen: That's fair, we should have. From now on we'll post about works before they start.

== 11-06 12:10 r/LumenMuseum
sam [rumour-root]: Statement request: maritime collection rumours\n\nu/LumenMuseum, lots of people
  asking across Reddit, X and the Telegram group. Can you tell us what's happening with Gallery 2
  and the science wing?
+25 becca [rumour-reply]: Following. My kids love that gallery
+10 >0 des [rumour-reply]: Same question. A plain answer would calm everyone down
+5h >0 lumen: We hear you. We're pulling the full facts together so we get them right, and we'll
  post a statement tomorrow morning. Meanwhile: the science wing is open as usual.
+30 throwaway [rumour-reply]: "pulling the facts together" = getting the PR story straight
@11-07 11:50 >0 lumen [clarification]: The statement is up: lumen-museum.example/news/maritime. In
  short: nothing is being sold, Gallery 2 is being redisplayed, and 12 models are on loan to Kerlaz.
+20 >5 sam: Thanks. Linking it in the other thread.

== 11-06 20:30 r/PortAvel
throwaway [abusive]: The Lumen's director is a joke\n\nOriane Vasseur has wrecked that place in two
  years. Smug, arrogant and clueless. Someone should tell her to her face what a disgrace she is.
+30 tomh: Mate, criticise the decisions all you want, but this is just nasty.
+15 >0 colin: Not OK. Leave the personal stuff out of it.

== 11-08 10:00 r/PortAvel
becca [accessibility-question]: Lumen calm hour, is it actually calm?\n\nMy daughter gets
  overwhelmed by noise and crowds. Is the Sunday calm hour genuinely quiet or just a bit less busy?
+45 ellie: We went last week. Genuinely quiet, lights dimmed, and staff had ear defenders to borrow.
+1h >0 lumen: Thanks Ellie! Becca, Calm Hour is every Sunday 10:00–11:00 with capped numbers.
  There's also a quiet room on floor 1 you can use any time.
+20 becca: Lovely, we'll try next Sunday

== 11-09 19:45 r/LumenMuseum
jonah [volunteering]: Volunteering as a student?\n\nDoes anyone know if the volunteer scheme works
  around a uni timetable? I'm free Tuesday and Friday afternoons.
+30 inesf: Yes! I started while doing my MA. The rotas are flexible, come to the info evening on
  Thursday.
+20 >0 milo: thinking about it too, could go together?
+10 jonah: deal

== 11-10 12:30 r/PortAvel
bestdeals [spam]: Get 500 upvotes + karma FAST 🔥 cheap followers for your business\n\nDM for the
  price list. PayPal or crypto accepted. Instagram, X, Reddit, TikTok.

== 11-11 09:20 r/PortAvel
agnieszka {pl}: Polskie rodziny w Port Avel, warsztaty w muzeum?\n\nCzy ktoś był na warsztatach
  Lightbox w Lumen? Czy dzieci muszą mówić po angielsku?
+1h gareth: Mine went with a Polish friend's kid who speaks barely any English. The instructors
  just demo everything, it's very hands-on. She made the best lightbox of the lot.
+30 agnieszka {pl}: Dziękuję! To bardzo pomaga.

== 11-12 16:00 r/PortAvel
des [suggestion]: Idea for the Lumen: a proper harbour history trail\n\nWith Gallery 2 being redone,
  it'd be great to have numbered plaques around the quay linking back to objects in the museum.
  Anyone else think so?
+35 evelyn: Yes! I'd volunteer to research it.
+20 >0 colin: Brilliant idea. There used to be blue plaques, half of them have vanished.
+1h >0 sam: Would happily map it for the blog
+20 >0 inesf: And volunteers could lead trail walks on Sundays!
+2h >0 lumen: Love this, Des. The Harbour Lives team is looking at exactly this kind of thing. Can
  we pass your post on to them?
+25 des: Of course!

== 11-13 21:00 r/PortAvel
kai: Best spots to draw in Port Avel on a rainy weekend?\n\nAsking for our life drawing group
+25 milo: Lumen's Light Hall, obviously
+10 >0 jonah: the ferry terminal café lol
+30 kai: both excellent and both free
+1h >0 sam: the covered market balcony. nobody ever looks up, you can draw for hours

== 11-14 11:00 r/PortAvel
tomh [complaint]: Lumen café prices are a joke\n\n€4.20 for a babyccino. Who prices these things?
  Bring your own snacks, people: there's a picnic room on floor 0 nobody tells you about.
+40 becca: the picnic room is a hidden gem
+15 >0 ellie: agree on the prices but the cinnamon buns are worth it

== 11-15 17:30 r/LumenMuseum
evelyn [praise]: Thank you to the Lumen team\n\nAfter last week's scare I went in today and chatted
  with one of the Harbour Lives curators for 20 minutes about the lamp-lighters. Couldn't have been
  kinder, and the misspelt label is already fixed.
+45 harold: Same experience on Thursday. Good people.
+1h >0 lumen: Thank you Evelyn, that means a lot to the team.
"""

MASTODON_SCRIPT = r"""
== 10-26 10:00
lumen ~6: Hello Fediverse 👋 We're the Lumen Museum in Port Avel: art and science under one roof.
  Tides of Light is on until 28 February. We'll post events and behind-the-scenes, and answer
  questions here. #museum #PortAvel #introduction
+30 peg: Welcome! Lovely to have you here.
+30 >0 friedrich {de}: Willkommen im Fediverse! Ich freue mich auf Einblicke hinter die Kulissen.
+1h >0 noor: yay!! finally a museum account I actually want to follow
+20 >2 lumen {de}: Danke, Friedrich! Wir geben uns Mühe 🙂

== 10-27 13:15
sofie [facilities-question]: @lumen is there somewhere to leave a pram inside? Planning a visit on
  Thursday with a 6-month-old
+35 lumen: Hi Sofie! Yes, there's a pram park just inside the entrance, and baby change on every
  floor. Prams are welcome in all the galleries too.
+8 sofie: Perfect, thank you!

== 10-27 21:30
lotte {nl}: Vandaag Tides of Light in het Lumen gezien. Dat licht door de waterbakken… ik ga het de
  hele week proberen na te schilderen. #TidesOfLight
+20 noor: the water tank room!!! same
+1h >0 zosia {pl}: Muszę to zobaczyć w tym tygodniu 😍

== 10-28 09:20
katrin {de}: @lumen Gibt es den Audioguide auf Deutsch? Wir kommen nächste Woche mit meiner Mutter,
  die sehr schlecht sieht.
+45 lumen {de}: Hallo Katrin! Ja, den Audioguide gibt es auf Deutsch. Am Samstag, 7. November, um
  14 Uhr gibt es außerdem eine Führung mit Audiodeskription (auf Englisch), und Großdruck-Texte
  liegen am Empfang.
+15 katrin {de}: Wunderbar, vielen Dank!

== 10-29 11:00
nadia [accessibility-question]: @lumen is the harbour-side entrance step-free? My mum uses a
  walker and the quay steps look scary
+40 gwen: The Rope Walk entrance round the side is completely level, Nadia. Avoid the quay steps,
  they're lethal in the wet.
+25 nadia: thanks Gwen, Rope Walk it is

== 10-30 16:00
pieter {nl}: De scheepsmodellen in het Lumen zijn nog steeds de mooiste buiten Rotterdam. Dat van
  de Marguerite is ongelooflijk gedetailleerd. #PortAvel
+1h ray: Agreed, Pieter. The rigging on the Marguerite is all original 1911 work, never replaced.
+30 pieter {nl}: Dat wist ik niet! Bedankt, Ray.
+2h >0 theo: I photographed the Marguerite's rigging close up last spring, happy to share the files

== 10-31 12:00
leon {fr}: Quelqu'un sait si on peut photographier dans l'expo Tides of Light ? Je prépare un
  carnet pour mon cours de scénographie.
+25 noor: photos without flash are fine, I took loads
+10 leon {fr}: Merci !

== 11-01 09:30
lumen: Sunday morning Calm Hour, 10:00–11:00: lights and sound lowered in Tides of Light, capped
  numbers, quiet room open on floor 1. No need to book. #accessibility #autism #PortAvel
+1h ruth: Shared this with our SEN coordinator, thank you for doing this.
+30 >0 nadia: this is so good. more museums should do it
+40 ruth: Agreed, Nadia. I'd love a school version of it for our SEN groups
+2h >0 mira: Is the Calm Hour also on public holidays?

== 11-02 18:00
yuki: printmaking session tonight inspired by the Lumen lens room. caustics are SO hard to carve
  into lino
+15 lotte: show us!!
+10 yuki: when it stops looking like spaghetti 😅
+20 theo: spaghetti caustics is a genre now
+1h >0 ruth: My Year 4s did caustics on polystyrene tiles last year, much less spaghetti. Happy to
  share the lesson plan!

== 11-03 10:30
peg: Gallery 2 at the Lumen closed for a "redisplay". I hope they don't lose the charm of the old
  cases. Some of us like a museum that looks like a museum.
+40 gwen: Agreed, Peg. The old brass labels are half the fun.
+2h >0 friedrich: Redisplays are usually for the better in my experience. Let's see what they do.
+3h >0 ruth: Peg, my class would love to hear about the old cases. Could I bring them to you one
  day?
+40 peg: I'd be delighted, dear

== 11-04 19:45
sam: At the first Light & Sea lecture at the Lumen. Packed room. Dr Penhale just showed a 1920s
  photo of my great-grandmother's street 🤯 #LightAndSea
+30 peg: Oh, I wish I'd gone! Is there a recording?
+1h sam: The museum says yes, next week

# the rumour on Mastodon
== 11-06 09:40
avelwatch [rumour-root]: Hearing from several people that the Lumen Museum is selling off its
  maritime collection and closing the science wing. Crates seen leaving Gallery 2. If you care
  about Port Avel's heritage, ask them loudly. @lumen #PortAvel #heritage
+20 peg [rumour-reply]: Is this true? I'm very upset.
+15 >0 gwen [rumour-reply]: This would be a disgrace if it's true.
+30 >0 pieter {nl}: Verkopen?! Dat kan toch niet waar zijn.
+20 >0 friedrich [rumour-reply]: Please let's wait for the museum's answer. Crates can mean many
  things.
+40 >0 ray [rumour-reply]: I'd bet money it's a loan. Can you confirm?
+4h >0 noor [rumour-reply]: if they close the science wing where are we supposed to do our optics
  drawings?? this city never keeps anything nice
@11-07 11:55 >0 lumen [clarification]: Nothing is being sold. Gallery 2 is closed for a redisplay
  opening 13 March 2027; 12 ship models are on loan to Kerlaz Maritime Museum until June; the
  science wing is open (only the Camera Obscura is closed for roof repairs until 4 December).
  Statement: lumen-museum.example/news/maritime
+20 >1 peg: Thank you. That's a weight off.
+10 >7 ray: Told you 😄
+40 >7 avelwatch: Good to hear. Boosting the correction.

== 11-06 22:10
hollow [abusive]: @lumen your director should be ashamed of herself. Vasseur couldn't run a bath,
  let alone a museum. Pathetic, spineless, useless.

== 11-07 11:30
lumen [clarification]: About the rumours: nothing in our collection is being sold, and the science
  wing is not closing. Gallery 2 is being redisplayed (Harbour Lives, opening March 2027) and 12
  ship models are on loan to Kerlaz Maritime Museum. We're sorry we didn't explain the closure
  earlier. lumen-museum.example/news/maritime #PortAvel
+20 sofie: Thanks for clearing it up!
+10 >0 friedrich {de}: Danke für die klare Erklärung.
+30 >0 sam: Boosting. Please share this as widely as the rumour went.
+2h >0 hollow: still think she should go

== 11-03 20:40
mira [ticket-question]: @lumen do you need to book tickets in advance for a weekend, or can we just
  walk in?
+14h lumen: Walk-ups are fine most days, Mira, but booking a slot is safer at weekends:
  lumen-museum.example/tickets

== 11-08 13:00
promo [spam]: 💰 Turn $100 into $5,000 in ONE week with our AI crypto trading bot. No experience
  needed! Join now: quickprofit-ai.example #crypto #museum #art

== 11-09 10:10
lumen: We're recruiting volunteers for Harbour Lives: help us record Port Avel's harbour stories.
  Info evening Thursday 12 November, 17:30, Learning Studio. #volunteering #PortAvel
+40 peg [volunteering]: I have 60 years of harbour stories and nothing to do on Tuesdays. Sign me
  up.
+15 lumen: Peg, that's the best reply we've had all week. See you Thursday! ✨
+30 >1 gwen: I'll come with you, Peg

== 11-10 20:00
zosia {pl}: Czy ktoś idzie jutro na wykład o bioluminescencji w Lumen? Szukam towarzystwa 🪼
+25 lotte: I'm going! Meet at the bar at 18:45?
+10 zosia {pl}: Tak! 💙

== 11-11 21:30
leon {fr}: Conférence sur la bioluminescence au Lumen ce soir : salle comble, intervenante géniale.
  Les méduses de l'estuaire, qui l'eût cru.

== 11-12 13:40
nadia [suggestion]: @lumen suggestion: could you put a map of the benches on the website? My mum
  needs to plan where she can rest.
+1h lumen: That's a really good idea, Nadia. We'll add a seating map to the access page. Meanwhile:
  benches in every gallery except room 3, and folding stools at the cloakroom.
+2h >0 sam: Adding bench spots to my access guide to the harbour too, thanks Nadia

== 11-13 17:45
ruth [praise]: Visited the Lumen with 28 nine-year-olds today. Nobody got lost, nobody cried, and
  one child declared the Fresnel lens "better than Minecraft". Huge thanks to the learning team
  @lumen
+20 peg: "Better than Minecraft" is the highest honour
+15 >0 noor: can confirm the lens is better than minecraft
+40 >0 lumen: We're putting that on a poster 😄 Thanks Ruth!

== 11-14 10:20
katrin {de}: @lumen Warum ist die Garderobe samstags so chaotisch? 20 Minuten gewartet, nur eine
  Person am Schalter.

== 11-15 12:00
theo: Calm Hour photos, shared with permission. The Light Hall at 10am on a Sunday is a different
  planet. #TidesOfLight #photography
+25 yuki: these are stunning theo
+30 >0 sofie: We were there! That's my son's red hat in photo 3 😄
"""

BLUESKY_SCRIPT = r"""
== 10-26 11:00
lumen: Hello Bluesky! We're the Lumen Museum in Port Avel 🌊💡 Tides of Light is open until 28 Feb
  2027. Ask us anything here.
+25 kai: hiii welcome!!
+40 >0 chiara {it}: Finalmente! Benvenuti 💛
+1h >0 theo: Welcome! Expect many photos of your building from me.

== 10-27 18:30
noor: drew the lens room until they kicked us out at 6. hand cramp achieved. #TidesOfLight
+15 kai: the room 3 lens is my nemesis
+20 >0 yuki: post the drawings, coward 😂
+10 noor: fine. tomorrow

== 10-28 12:15
julie {fr}: @lumenmuseum.bsky.social Est-ce que les billets sont moins chers pour les familles ? On
  vient de Saint-Malo samedi avec trois enfants.
+40 lumen {fr}: Bonjour Julie ! L'entrée est gratuite pour les moins de 18 ans, 16 € par adulte.
  Réservez un créneau sur lumen-museum.example/tickets 😊
+12 julie {fr}: Parfait, merci beaucoup !

== 10-29 16:40
sofie [facilities-question]: @lumenmuseum.bsky.social is the café ok for allergies? My son has a
  nut allergy and we'd rather not bring a picnic in the rain
+3h ellie: they had a printed allergen list at the counter when we went, and the staff checked
  with the kitchen for us

== 10-30 09:10
evelyn: A little thread on Port Avel's lamp-lighters 🧵 The last one retired in 1932, and the Lumen
  has his pole and logbook in Tides of Light, room 5.
+3 evelyn: His name was Aurèle Gwenn and he walked 11 km of harbour streets every night, rain or
  shine. The logbook notes every lamp that wouldn't light.
+40 >0 sam: This is gold, Evelyn. Can I link it on Port Avel Notes?
+10 evelyn: Of course!
+1h >1 theo: I have a photo of that logbook from the opening, will send it over

== 10-30 20:00
rosa {es}: Tides of Light es lo mejor que he visto este año. Port Avel, ¡te quiero! 🌊

== 10-31 14:30
ellie [facilities-question]: @lumenmuseum.bsky.social is there a quiet space for feeding a baby?
+25 lumen: Yes Ellie, the family room on floor 0 (next to the Learning Studio) has comfy chairs
  and is quiet most of the day. You're welcome to feed anywhere you like, though!
+6 ellie: you're the best

== 11-01 19:20
yuki: lumen museum people: is the lightbox workshop only for kids? asking as a 24 year old who
  wants to make a lightbox
+50 lumen: Ha! The Saturday ones are for 5–11s, but there's a grown-up version at the Late on 12
  Nov. Book at lumen-museum.example/whats-on 😉
+10 yuki [event-signup]: BOOKING
+25 >1 femi [event-signup]: me too omg, just booked 2
+1h >0 theo: grown-up lightbox gang 🙋

== 11-02 12:40
boost [spam]: Grow your Bluesky to 10K followers in 7 days 📈 Real, active accounts. Museums,
  artists, brands. DM "GROW" now @lumenmuseum.bsky.social

== 11-03 15:00
katrin {de}: Der Aufzug im Lumen funktioniert wieder, falls sich das jemand gefragt hat. Endlich.

== 11-04 11:30
ama [volunteering]: @lumenmuseum.bsky.social do you ever take art students for work placements?
  Would love to work on exhibitions one day
+45 lumen: We do! Spring placements are advertised in January, and volunteering is a great way in
  meanwhile. Info evening on 12 Nov 🙂
+10 ama: noted, see you there

# the rumour on Bluesky
== 11-06 10:50
notcurator [rumour-root]: Apparently the Lumen Museum is flogging its maritime collection to a
  private buyer and shutting the science wing. Public heritage sold to the highest bidder. Again.
  @lumenmuseum.bsky.social
+30 evelyn [rumour-reply]: Source? I'd like to see something official before believing this.
+15 notcurator [rumour-reply]: crates. vans. closed gallery. draw your own conclusions
+40 >0 femi [rumour-reply]: WHAT. the science wing is literally why I applied to art school here
+10 >3 kai [rumour-reply]: if this is true we're organising a sketch-in protest
+1h >0 chiara {it}: Che tristezza se fosse vero…
+2h >0 theo [rumour-reply]: Let's give them a day to respond before the torches come out
@11-07 12:00 >0 lumen [clarification]: Nothing is being sold and the science wing isn't closing.
  Gallery 2 is being redisplayed (reopens 13 March 2027), and 12 ship models are on loan to Kerlaz
  Maritime Museum. Full statement: lumen-museum.example/news/maritime
+20 >7 kai: phew. sketch-in cancelled. sketch-in rebranded as normal saturday
+15 >7 femi: ok breathing again

== 11-06 15:00
notcurator [abusive]: @lumenmuseum.bsky.social whoever runs your comms is a coward and an idiot.
  Oriane Vasseur should be ashamed to show her face in Port Avel.

== 11-07 11:32
lumen [clarification]: About this week's rumours 🧵 Nothing in our collection is being sold: it's
  held in trust for the people of Port Avel. Gallery 2 is closed for a redisplay, Harbour Lives,
  opening 13 March 2027.
+2 lumen [clarification]: The crates hold 12 ship models on loan to Kerlaz Maritime Museum until
  June. The science wing is open; only the Camera Obscura is closed for roof repairs until 4
  December.
+30 >1 ama: thank you for the clear answer 🙏
+15 >0 noor: ok good because I was about to cry
+1h >0 julie {fr}: Merci pour la clarification.
+20 >0 jules: Would have been nice to hear this before the rumour did the rounds, but thanks.

== 11-08 16:00
bence {hu}: Ma újra a Lumenben rajzoltam. A tudományos szárny nyitva, minden rendben 😌
  #TidesOfLight

== 11-09 18:30
inesa {es}: ¿Alguien sabe si el Lumen busca voluntarios que hablen español? Me encantaría ayudar
  con las visitas guiadas.
+1h lumen {es}: ¡Hola Inés! Sí, nos encantaría contar con guías que hablen español. Ven a la sesión
  informativa el jueves 12 a las 17:30.
+15 inesa {es}: ¡Allí estaré!

== 11-10 14:10
chiara {it}: Qualcuno sa se al Lumen c'è un guardaroba? Vorrei venire con lo zaino dopo il corso.
+20 kai: yes, free cloakroom, and lockers for €1 (you get it back)

== 11-11 20:40
theo: Bioluminescence lecture at the Lumen tonight. Somebody brought a jar of glowing plankton from
  the estuary and the room lost its mind 🪼✨
+15 yuki: I WAS THERE. best night
+30 >0 sofie: Missed it 😭 is it recorded?
+12h lumen: It is, Sofie! Up on our website next week.

== 11-12 22:15
ama [praise]: adult lightbox workshop at the @lumenmuseum.bsky.social late: 10/10, made a tiny
  lighthouse, crying
+20 femi: mine is a jellyfish and it's perfect

== 11-13 11:45
rosa {es}: @lumenmuseum.bsky.social Una sugerencia: ¿podrían poner los textos de la exposición
  también en español? Hay muchísimos visitantes españoles.

== 11-14 17:10
evelyn [suggestion]: Small plea to the @lumenmuseum.bsky.social: the lamp-lighter case label has
  his name misspelt (Aurel, not Aurèle). A tiny thing, but it matters to his family.
+40 lumen: Thank you Evelyn, you're right. We're fixing it this week 🙏

== 11-15 13:30
theo: Sunday at the harbour. Grey sky, gold light, and the queue for the Lumen down to the ferry
  stop. #PortAvel
+30 sam: the queue was fine though, moved fast!
+20 >0 katrin: Was there with the kids, took 10 minutes. Calm Hour beforehand was lovely.
"""

TELEGRAM_SCRIPT = r"""
== 10-26 09:00
lumen: Good morning, Lumen Friends ☀️ Reminder: we're closed today (Monday). The half-term
  shadow-puppet drop-in starts tomorrow, 11:00–15:00.
+25 dani: The kids have been asking since Friday 😄
+10 >0 priya: see you tomorrow then!

== 10-26 14:30
peg [event-signup] ~2: Does anyone know whether the lecture series needs booking or is it first
  come?
+20 inesf: Booking needed, Peg: lumen-museum.example/whats-on. I booked Wednesday the 4th already
+15 peg: Thank you dear
+5 dot [event-signup]: Could you put me down for that too please Ines, I can't manage the website
+10 inesf: Done, Dot, I'll bring your ticket

== 10-27 10:20
maud {fr}: Bonjour à tous ! Est-ce que le musée est accessible en fauteuil roulant par l'entrée
  principale ?
+30 lumen {fr}: Bonjour Maud ! Oui, tout le musée est de plain-pied, avec des ascenseurs pour
  chaque étage. Des fauteuils roulants sont prêtés à l'accueil.
+5 maud {fr}: Merci beaucoup !

== 10-27 19:00
milo: anyone fancy a sketch meetup at the Thursday late?
+10 tess: yes obviously
+40 >0 ruth: I might bring a couple of my sixth formers if that's ok?
+5 milo: the more the merrier

== 10-28 09:40
hanna {pl}: Dzień dobry! Czy ktoś wie, czy na pierwszym piętrze jest przewijak dla niemowląt?
+25 marek {pl}: Jest na każdym piętrze, obok toalet. Na pierwszym po lewej od windy.
+10 hanna {pl}: Dziękuję, Marek!

== 10-28 15:00
gary [complaint]: whats the point of a friends group if nobody from the museum ever answers. asked
  about parking last week. nothing
+40 lumen: Sorry Gary, that one slipped past us. We have no car park of our own; Harbour Street car
  park is a 5-minute walk, and there are 3 blue badge bays on Rope Walk.
+10 gary: finally

== 10-29 17:30
lumen: Tonight's Late starts at 18:00! Glow-in-the-dark drawing in the Light Hall, and a telescope
  on the terrace if the clouds behave 🌑 #LumenLates
+20 milo: clouds are absolutely not behaving
+25 lumen: Plan B: the telescope is coming inside, with live moon pictures projected in the Light
  Hall 🌝

== 10-30 11:10
becca: Heads up for anyone with buggies, the east lift is out today
+15 dani: ugh, thanks Becca
+10 >0 lumen: Thanks Becca, and sorry all: the west lift is working and reaches every floor.

== 10-31 09:30
laszlo {hu}: Sziasztok! Hol lehet jegyet venni a szombati workshopra?
+20 inesf: Hi László, it's online at lumen-museum.example/whats-on, but I think today's is sold
  out 😕
+15 laszlo {hu}: Köszönöm, akkor jövő héten.

== 11-01 16:00
dot [praise]: I went to the Light Hall today and sat by the Avel lens for an hour. My late husband's
  father helped install it in 1931. I cried a bit. A lovely young man brought me a cup of tea.
  Thank you all.
+10 peg: Oh Dot 💛
+20 >0 gwen: What a lovely thing. Tea and a good cry at the Lumen.
+1h >0 lumen: Dot, thank you for telling us. We'd love to record his story for Harbour Lives, if
  you'd like that.
+30 dot: I'd like that very much
+20 >0 ruth: Dot, that story would mean the world to my class too, if you ever fancied a visit

== 11-02 20:00
ruth: Teachers in the group: the risk assessment pack for school trips to the Lumen is on the
  website now, under Learning.
+10 priya: You're a star Ruth
+15 >0 tess: I'm not a teacher but I'm proud of you anyway

== 11-03 12:00
agnieszka {pl}: Czy w kawiarni są jakieś opcje bezglutenowe?

== 11-04 08:30
lumen: Lecture tonight at 19:00: Lighthouses of the Avel Coast 🗼 Doors open at 18:30.
+20 peg: Ines has my ticket 😄
+5 >0 dot: and mine

== 11-05 20:15
milo: great late tonight!! the bar queue was biblical though
+10 tess [suggestion]: we need a second bar. or a bar for people who only want tea
+30 >0 ruth: My sixth formers are now obsessed with the lens room. Thank you all for making them
  welcome

# the rumour reaches the group on Friday morning
== 11-06 07:50
gary [rumour-root]: Just seen on Reddit they're selling the maritime collection and closing the
  science wing. Is this true??? Some "friends" group this is, nobody tells us anything
+15 peg [rumour-reply]: I'm sure that can't be right
+10 >0 laszlo [rumour-reply]: I saw the reddit post too. Many crates.
+5 >0 gwen [rumour-reply]: The Marguerite sold? Over my dead body.
+10 >0 dot [rumour-reply]: Oh no, not the lens
+5 >0 becca [rumour-reply]: My kids will be devastated if the science wing goes
+20 >0 inesf [rumour-reply]: I volunteer there and have heard nothing about selling. Gallery 2 is
  closed for a redisplay. Let's not panic.
+5 gary [rumour-reply]: volunteers are the last to know mate
+10 >0 marek {pl}: Ktoś wie coś więcej? Czy część naukowa naprawdę będzie zamknięta?
+40 >0 lumen: We've seen the posts. Nothing is being sold. We'll share a full statement tomorrow
  morning; today everything is open as usual, including the science wing.
+10 gary [rumour-reply]: "nothing is being sold" then why the secrecy

== 11-04 15:20
kees [ticket-question]: Do Friends of Lumen get in free to everything or just Tides of Light?
+45 lumen: Everything, Kees, plus 10% off in the café and shop, and early booking for talks.

== 11-06 12:20
gary [abusive]: Tell that Vasseur woman she's a disgrace and a liar. Gutting this museum and
  laughing about it. Absolute snake.
+10 peg: Gary, that's uncalled for.
+30 >0 lumen: Gary, disagreement is welcome here; personal abuse of our staff is not. Please keep
  to the group rules.

== 11-06 18:00
anna [spam]: Hello dear friends 💋 I made $12,000 this week with crypto mentor Mr Jensen 🚀 Bitcoin,
  forex, everything. Contact him on t.me/jensen_profit_example, he changed my life

== 11-07 11:31
lumen [clarification]: 📢 A statement about our maritime collection\n\nNothing is being sold. The
  collection belongs to Port Avel and is held in trust.\n• Gallery 2 is closed for a redisplay,
  Harbour Lives, opening 13 March 2027.\n• 12 ship models are on loan to Kerlaz Maritime Museum
  until June.\n• The science wing is open. Only the Camera Obscura is closed for roof repairs
  until 4 December.\n\nWe're sorry we didn't explain this earlier. Questions welcome
  here.\nOriane Vasseur, Director
+10 peg: Thank you Oriane. Told you all 😉
+5 >0 gwen: That's a relief. Good to hear it straight.
+10 >0 dot: Thank goodness
+5 >0 becca: phew!!
+20 >0 laszlo: Thank you for explaining.
+15 >0 gary: fine. still think you should have said something sooner
+20 lumen: You're right, Gary. We'll announce works before they start from now on.
+1h >0 maud {fr}: Merci pour l'explication, on était inquiets.

== 11-07 14:05
kees: Anyone been to the audio-described tour this afternoon? Thinking of bringing my dad next
  month
+30 peg: Not today, but Gwen's sister goes every month and loves it

== 11-08 10:45
priya [accessibility-question]: Anyone know if the Calm Hour needs booking? Want to bring my son
  next Sunday
+20 dani: no booking, just turn up at 10
+5 priya: thank you!
+30 >0 inesf: It's lovely, Priya. Ask at the desk for ear defenders if he likes them

== 11-09 12:00
lumen: 🙋 Volunteers wanted for Harbour Lives: record stories, help at family workshops, guide in
  Tides of Light. Info evening Thursday 12 November, 17:30. Reply here if you're coming!
+30 dot [volunteering]: I'll come, if someone can give me a lift
+10 inesf: I'll pick you up, Dot
+1h >0 laszlo [volunteering]: Can volunteers with not so good English help?
+25 lumen: Absolutely, László! We need Hungarian speakers for tours too.
+2h >0 tess [volunteering]: I'd do family workshops
+20 >0 hanna {pl}: Ja też chętnie pomogę przy warsztatach dla dzieci.

== 11-10 09:15
nadia [accessibility-question]: is the quiet room open during the Thursday lates too?
  @lumen_museum_bot

== 11-11 17:00
dot: Ines, have you got my lecture ticket for tonight?
+5 inesf: In my pocket, Dot 😄

== 11-12 21:30
tess [volunteering]: volunteer info evening was lovely, signed up for saturday workshops!
+20 inesf: See you Saturdays, Tess! Bring your glue gun skills
+10 dot: Me too, Harbour Lives stories on Tuesdays
+5 peg: We're a gang now
+30 lumen: Welcome aboard, all of you! 🎉

== 11-13 14:00
marek {pl}: Czy w niedzielę jest otwarte od 10? Chcemy przyjść z dziećmi.
+40 lumen {pl}: Tak, w niedzielę otwieramy o 10:00 (od 10 do 11 jest Calm Hour, ciszej i
  spokojniej). Do zobaczenia!
+5 marek {pl}: Dziękujemy!

== 11-14 12:30
becca [complaint]: Queue for the Lightbox workshop was chaos today. Nobody knew which line was which
  and we missed the first 10 minutes.
+10 dani: same, took us 20 min to check in
+30 >0 lumen: Sorry Becca and Dani. From next Saturday workshops get their own check-in desk by the
  Learning Studio.

== 11-14 19:10
kees [spam]: 🎁 Telegram Premium GIVEAWAY, free for all group members, claim here:
  t.me/premium_gift_example
+10 gwen: Kees, I think your account's been hacked
+30 kees: sorry all, it was hacked, changed my password now

== 11-15 18:00
peg: What a week. Thank you all for being such a nice group, even when we're cross 😄
+10 gwen: Here's to the Lumen Friends 🥂
+15 >0 ruth: cheers!
+20 >0 lumen: Cheers, Peg, and thank you all for keeping us honest 💛
"""

SCRIPTS = {
    "x": X_SCRIPT,
    "reddit": REDDIT_SCRIPT,
    "mastodon": MASTODON_SCRIPT,
    "bluesky": BLUESKY_SCRIPT,
    "telegram": TELEGRAM_SCRIPT,
}


if __name__ == "__main__":
    main()
