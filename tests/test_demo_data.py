"""The bundled demo data: it parses, is big and varied enough, its threads hold together, its
tags are where the demo expects them, and the generator reproduces it byte for byte."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.demo import DATA_DIR, OWN_ACCOUNTS, PLATFORM_FILES, TAGS, make_data
from connectors.base import Post, PostKind
from connectors.serialize import post_from_dict, post_to_dict

FIRST_DAY = date(2026, 10, 26)
LAST_DAY = date(2026, 11, 15)
LOCAL = timedelta(hours=1)  # Port Avel time in the period
LANGUAGE_PLATFORMS = {"x", "mastodon", "bluesky"}  # the platforms that report a language

Loaded = dict[str, list[tuple[dict[str, Any], Post]]]


@pytest.fixture(scope="module")
def data() -> Loaded:
    out: Loaded = {}
    for platform, name in PLATFORM_FILES.items():
        lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
        out[platform] = [(d, post_from_dict(d)) for d in map(json.loads, lines)]
    return out


def _posts(data: Loaded) -> list[Post]:
    return [post for rows in data.values() for _, post in rows]


def _tag(post: Post) -> str | None:
    tag = post.raw.get("demo_tag")
    return tag if isinstance(tag, str) else None


def _tagged(data: Loaded, tag: str) -> list[Post]:
    return [p for p in _posts(data) if _tag(p) == tag]


def _by_key(data: Loaded) -> dict[str, Post]:
    return {p.key: p for p in _posts(data)}


def _parent(post: Post, index: dict[str, Post]) -> Post | None:
    if post.in_reply_to_id is None:
        return None
    return index[f"{post.platform}:{post.in_reply_to_id}"]


def test_every_line_parses_and_has_the_serialized_shape(data: Loaded) -> None:
    for platform, rows in data.items():
        for line, post in rows:
            assert post.platform == platform
            assert post_to_dict(post) == line, f"{post.key} is not in post_to_dict's shape"
            assert post.created_at.tzinfo == UTC
            assert post.text.strip(), post.key
            assert post.raw, post.key


def test_counts(data: Loaded) -> None:
    counts = {platform: len(rows) for platform, rows in data.items()}
    assert sum(counts.values()) >= 320, counts
    assert len(counts) >= 4
    assert all(n >= 40 for n in counts.values()), counts


def test_files_are_small(data: Loaded) -> None:
    total = sum((DATA_DIR / name).stat().st_size for name in PLATFORM_FILES.values())
    assert total < 400_000, f"{total} bytes"


def test_span_and_order(data: Loaded) -> None:
    for platform, rows in data.items():
        times = [post.created_at for _, post in rows]
        assert times == sorted(times), f"{platform} is not sorted by created_at"
    days = {p.created_at.date() for p in _posts(data)}
    assert min(days) == FIRST_DAY and max(days) == LAST_DAY
    period = {FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)}
    assert days == period, f"days without posts: {sorted(period - days)}"


def test_daily_rhythm(data: Loaded) -> None:
    hours = Counter((p.created_at + LOCAL).hour for p in _posts(data))
    night = sum(n for hour, n in hours.items() if hour < 7)
    assert night <= len(_posts(data)) * 0.02, hours
    daytime = sum(n for hour, n in hours.items() if 9 <= hour < 22)
    assert daytime >= len(_posts(data)) * 0.85, hours


def test_ids_are_unique_and_look_real(data: Loaded) -> None:
    patterns = {
        "x": r"[1-9]\d{17,18}",
        "reddit": r"[0-9a-z]{6,8}",
        "mastodon": r"1\d{17}",
        "bluesky": r"at://did:plc:[a-z0-9]{24,25}/app\.bsky\.feed\.post/[2-7a-j][2-7a-z]{12}",
        "telegram": r"-1001234567890:\d+",
    }
    for platform, rows in data.items():
        ids = [post.id for _, post in rows]
        assert len(ids) == len(set(ids)), f"duplicate ids on {platform}"
        for post in (p for _, p in rows):
            assert re.fullmatch(patterns[platform], post.id), post.id
            assert post.url and post.url.startswith("https://"), post.key
    for _, post in data["x"]:  # snowflakes carry their creation time
        made = datetime.fromtimestamp(((int(post.id) >> 22) + make_data.X_EPOCH_MS) / 1000, UTC)
        assert abs(made - post.created_at) < timedelta(seconds=1), post.key
    for _, post in data["mastodon"]:
        made = datetime.fromtimestamp((int(post.id) >> 16) / 1000, UTC)
        assert abs(made - post.created_at) < timedelta(seconds=1), post.key


def test_threads_point_at_existing_posts(data: Loaded) -> None:
    index = _by_key(data)
    for post in _posts(data):
        assert post.conversation_id is not None, post.key
        root = index.get(f"{post.platform}:{post.conversation_id}")
        assert root is not None, f"{post.key}: conversation {post.conversation_id} is missing"
        assert root.in_reply_to_id is None and root.conversation_id == root.id
        parent = _parent(post, index) if post.in_reply_to_id else None
        if post.in_reply_to_id is None:
            assert post.conversation_id == post.id, post.key
            continue
        assert parent is not None
        assert parent.created_at < post.created_at, post.key
        assert parent.conversation_id == post.conversation_id, post.key
        assert post.kind in (PostKind.REPLY, PostKind.COMMENT), post.key


def test_raw_payloads_agree_with_the_posts(data: Loaded) -> None:
    index = _by_key(data)
    for post in _posts(data):
        raw, parent = post.raw, _parent(post, index)
        if post.platform == "x":
            assert raw["author_id"] == post.author.id
            refs = raw.get("referenced_tweets")
            assert (refs[0]["id"] if refs else None) == post.in_reply_to_id
        elif post.platform == "reddit":
            prefix = "t3_" if parent is None else "t1_"
            assert raw["kind"] == prefix[:2] and raw["data"]["name"] == prefix + post.id
            if parent is not None:
                assert raw["data"]["link_id"] == f"t3_{post.conversation_id}"
                assert raw["data"]["parent_id"].endswith("_" + parent.id)
        elif post.platform == "mastodon":
            assert raw["account"]["id"] == post.author.id
            expected = parent.author.id if parent else None
            assert raw["in_reply_to_account_id"] == expected
        elif post.platform == "bluesky":
            assert post.id.startswith(f"at://{post.author.id}/")
            assert raw["record"]["langs"] == [post.language]
        else:
            message = raw["message"]
            assert post.id.endswith(f":{message['message_id']}")
            assert str(message["from"]["id"]) == post.author.id
            replied = message.get("reply_to_message")
            assert (replied["message_id"] if replied else None) == (
                int(parent.id.rsplit(":", 1)[1]) if parent else None
            )


def test_several_long_threads(data: Loaded) -> None:
    sizes = Counter((p.platform, p.conversation_id) for p in _posts(data))
    long_threads = [thread for thread, n in sizes.items() if n >= 5]
    assert len(long_threads) >= 8, sizes.most_common(5)
    assert len({platform for platform, _ in long_threads}) == len(PLATFORM_FILES)


def test_tags(data: Loaded) -> None:
    seen = Counter(_tag(p) for p in _posts(data))
    unknown = set(seen) - set(TAGS) - {None}
    assert not unknown, unknown
    missing = [tag for tag in TAGS if not seen[tag]]
    assert not missing, missing
    assert seen["hours-question"] == 1
    assert seen[None] > len(_posts(data)) / 3, "most posts should carry no tag"


def test_the_hours_question_is_a_plain_unanswered_question_on_x(data: Loaded) -> None:
    [question] = _tagged(data, "hours-question")
    assert question.platform == "x"
    assert question.mentions_self and not question.author.is_self
    assert question.in_reply_to_id is None
    assert "?" in question.text and re.search(r"\b(open|close)\b", question.text, re.I)
    thread = [p for p in _posts(data) if p.conversation_id == question.conversation_id]
    assert [p.key for p in thread] == [question.key], "someone answered the hours question"


def test_own_posts_come_only_from_own_accounts(data: Loaded) -> None:
    own_tags = {"own-post", "own-reply", "clarification"}
    for post in _posts(data):
        own_id, own_handle = OWN_ACCOUNTS[post.platform]
        assert (post.author.id == own_id) == post.author.is_self, post.key
        assert (post.author.handle == own_handle) == post.author.is_self, post.key
        assert (_tag(post) in own_tags) == post.author.is_self, post.key
        if _tag(post) == "own-post":
            assert post.in_reply_to_id is None
        if _tag(post) == "own-reply":
            assert post.in_reply_to_id is not None
        if post.author.is_self:
            assert not post.mentions_self


def test_museum_answers_some_questions_and_not_others(data: Loaded) -> None:
    index = _by_key(data)
    replied_to = {f"{p.platform}:{p.in_reply_to_id}" for p in _posts(data) if p.author.is_self}
    answered = replied_to & set(index)
    for tag in ("ticket-question", "accessibility-question", "facilities-question", "complaint"):
        posts = _tagged(data, tag)
        done = [p for p in posts if p.key in answered]
        assert done and len(done) < len(posts), f"{tag}: {len(done)} of {len(posts)} answered"


def test_mentions_on_x_follow_the_text(data: Loaded) -> None:
    addressed = 0
    for _, post in data["x"]:
        names_us = "@lumenmuseum" in post.text.lower() and not post.author.is_self
        assert post.mentions_self == names_us, post.key
        addressed += names_us
        if post.kind == PostKind.MENTION:
            assert post.mentions_self and post.in_reply_to_id is None
    assert 0 < addressed < len(data["x"])


def test_languages(data: Loaded) -> None:
    for post in _posts(data):
        if post.platform in LANGUAGE_PLATFORMS:
            assert post.language, post.key
        else:
            assert post.language is None, post.key
    foreign = _tagged(data, "non-english")
    assert len(foreign) >= 25
    assert all(p.language != "en" for p in foreign if p.platform in LANGUAGE_PLATFORMS)
    languages = {p.language for p in _posts(data) if p.language and p.language != "en"}
    assert languages >= {"fr", "de", "es", "it", "nl", "hu", "pl"}, languages
    assert len({p.platform for p in foreign}) == len(PLATFORM_FILES)


def test_the_rumour_spreads_then_calms(data: Loaded) -> None:
    roots, replies = _tagged(data, "rumour-root"), _tagged(data, "rumour-reply")
    clarifications = _tagged(data, "clarification")
    assert len({p.platform for p in roots}) >= 4
    assert len({p.platform for p in clarifications}) >= 4
    assert len(replies) >= 15
    start = min(p.created_at for p in roots)
    first_clarification = min(p.created_at for p in clarifications)
    assert timedelta(hours=24) <= first_clarification - start <= timedelta(days=2)
    assert all(p.in_reply_to_id for p in replies)
    for platform in PLATFORM_FILES:
        settled = min(p.created_at for p in clarifications if p.platform == platform)
        late = [p.key for p in replies if p.platform == platform and p.created_at > settled]
        assert not late, f"angry replies after the clarification: {late}"


def test_abuse_names_a_staff_member_and_spam_sells_something(data: Loaded) -> None:
    abusive = _tagged(data, "abusive")
    assert len(abusive) >= 5
    assert sum("Vasseur" in p.text for p in abusive) >= 3
    spam = _tagged(data, "spam")
    assert len(spam) >= 6
    pitches = r"crypto|airdrop|giveaway|followers|free|bitcoin|\$"
    assert all(re.search(pitches, p.text, re.I) for p in spam), [p.text for p in spam]


def test_a_community_with_groups_and_bridges(data: Loaded) -> None:
    public = [p for p in _posts(data) if not p.author.is_self]
    by_person = Counter(p.author.name for p in public)
    recurring = [name for name, n in by_person.items() if n >= 2]
    assert 60 <= len(recurring) <= 90, len(recurring)
    platforms_of: dict[str | None, set[str]] = defaultdict(set)
    for post in public:
        platforms_of[post.author.name].add(post.platform)
    assert sum(len(p) >= 2 for p in platforms_of.values()) >= 15
    # the people who talk across groups reply to members of every group
    group_of = {person.name: person.group for person in make_data.PEOPLE.values()}
    index = _by_key(data)
    reached: dict[str, set[str]] = defaultdict(set)
    for post in public:
        parent = _parent(post, index)
        if parent is not None and post.author.name and parent.author.name:
            reached[post.author.name].add(group_of[parent.author.name])
    bridges = [p.name for p in make_data.PEOPLE.values() if p.group == "connectors"]
    assert len(bridges) >= 3
    for name in bridges:
        assert reached[name] >= {"families", "students", "history"}, (name, reached[name])


def test_the_generator_reproduces_the_files(tmp_path: Path) -> None:
    counts = make_data.write_all(tmp_path)
    assert set(counts) == set(PLATFORM_FILES.values())
    for name in PLATFORM_FILES.values():
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
    assert {p.name for p in DATA_DIR.glob("*.jsonl")} == set(PLATFORM_FILES.values())


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("== 10-27 10:00\nnobody: hello", "unknown person"),
        ("== 10-27 10:00\npriya [nice]: hello", "unknown tag"),
        ("priya: hello", "cannot read"),
        ("== 10-27 10:00\npriya: hi\n+5 >3 dani: hello", "not an earlier post"),
        ("== 10-27 10:00\npriya: hi\ndani: no delay", r"needs \+DELAY"),
        ("== 10-27 10:00\npriya: hi\n@10-27 09:00 dani: before", "not after"),
    ],
)
def test_the_script_reader_names_bad_lines(script: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_data._drafts("x", make_data.parse_script(script, "x"))
