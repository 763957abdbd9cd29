"""Bundled demo data: three weeks of public conversation around a fictional museum.

The **Lumen Museum** (art and science) in the harbour city of Port Avel, 2026-10-26 to
2026-11-15: visitor questions, praise, complaints, events, a rumour that turns into a small
crisis and is then clarified, abuse, spam, and the museum's own posts and replies, on X, Reddit,
Mastodon, Bluesky and Telegram. One JSONL file per platform, one post per line in the shape of
:func:`connectors.serialize.post_to_dict`, sorted by ``created_at``. ``raw["demo_tag"]`` labels
the posts tests look for (see :data:`TAGS`).

The files are written by :mod:`bot.demo.make_data` (``python -m bot.demo.make_data``), which
reproduces them byte for byte; edit the script there, never the JSONL files. Times were
written in Port Avel local time, Central European Time (``Europe/Amsterdam``, UTC+1 then).
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"

#: platform name -> file name inside :data:`DATA_DIR`
PLATFORM_FILES: dict[str, str] = {
    "x": "x.jsonl",
    "reddit": "reddit.jsonl",
    "mastodon": "mastodon.jsonl",
    "bluesky": "bluesky.jsonl",
    "telegram": "telegram.jsonl",
}

#: platform name -> (author id, handle) of the museum's own account
OWN_ACCOUNTS: dict[str, tuple[str, str]] = {
    "x": ("1500000000000000001", "lumenmuseum"),
    "reddit": ("8ltm4q1x", "LumenMuseum"),
    "mastodon": ("109000000000000001", "lumen@museum.social"),
    "bluesky": ("did:plc:lumenmuseum0000000000000a", "lumenmuseum.bsky.social"),
    "telegram": ("7650012345", "lumen_museum_bot"),
}

#: the values ``raw["demo_tag"]`` takes (a post has at most one; many have none)
TAGS: tuple[str, ...] = (
    "hours-question",
    "ticket-question",
    "accessibility-question",
    "facilities-question",
    "complaint",
    "praise",
    "suggestion",
    "abusive",
    "spam",
    "own-post",
    "own-reply",
    "rumour-root",
    "rumour-reply",
    "clarification",
    "non-english",
    "volunteering",
    "event-signup",
)
