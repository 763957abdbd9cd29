"""Hand-check of the rule-based classifier on the demo posts (not a test; the tests never read
this data). Run from the repository root: ``.venv/bin/python -m tests.nlp.demo_report [-v]
[--rules-only]``.

Each demo tag has an expectation; the report prints the share of posts meeting it and, with
``-v``, the posts that do not.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from nlp.analysis import Analysis
from nlp.pipeline import Classifier

DATA = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data"
TOPIC, INTENT = 0.3, 0.5


def _topic(key: str) -> Callable[[Analysis], bool]:
    return lambda a: a.topics.get(key, 0.0) >= TOPIC


def _intent(key: str) -> Callable[[Analysis], bool]:
    return lambda a: a.intents.get(key, 0.0) >= INTENT


def _both(*checks: Callable[[Analysis], bool]) -> Callable[[Analysis], bool]:
    return lambda a: all(check(a) for check in checks)


EXPECT: dict[str, tuple[str, Callable[[Analysis], bool]]] = {
    "hours-question": (
        "visiting.hours >= 0.3 and question",
        _both(_topic("visiting.hours"), _intent("question")),
    ),
    "ticket-question": (
        "visiting.tickets and question",
        _both(_topic("visiting.tickets"), _intent("question")),
    ),
    "accessibility-question": (
        "visiting.access and question",
        _both(_topic("visiting.access"), _intent("question")),
    ),
    "facilities-question": (
        "visiting.facilities and question",
        _both(_topic("visiting.facilities"), _intent("question")),
    ),
    "volunteering": ("volunteering topic", _topic("volunteering")),
    "event-signup": (
        "events or tickets topic",
        lambda a: _topic("events")(a) or _topic("visiting.tickets")(a),
    ),
    "complaint": (
        "complaint intent and negative",
        _both(_intent("complaint"), lambda a: a.sentiment == "negative"),
    ),
    "praise": (
        "praise intent and positive",
        _both(_intent("praise"), lambda a: a.sentiment == "positive"),
    ),
    "suggestion": ("suggestion intent", _intent("suggestion")),
    "abusive": ("is_abusive", lambda a: a.is_abusive),
    "spam": ("not abusive", lambda a: not a.is_abusive),
    "non-english": ("language is not en", lambda a: a.language != "en"),
    "rumour-root": ("press topic", _topic("press")),
    "rumour-reply": ("not abusive", lambda a: not a.is_abusive),
    "clarification": ("press topic", _topic("press")),
    "own-post": ("not abusive", lambda a: not a.is_abusive),
    "own-reply": ("not abusive", lambda a: not a.is_abusive),
    "untagged": ("not abusive", lambda a: not a.is_abusive),
}


def main(argv: list[str]) -> int:
    """Print accuracy per demo tag."""
    verbose = "-v" in argv
    posts = [json.loads(line) for path in sorted(DATA.glob("*.jsonl")) for line in path.open()]
    if not posts:
        print(f"no demo data in {DATA}")
        return 1
    classifier = Classifier(trained="--rules-only" not in argv)
    results = classifier.analyse([p["text"] for p in posts], [p.get("language") for p in posts])
    by_tag: dict[str, list[tuple[dict[str, object], Analysis]]] = defaultdict(list)
    for post, analysis in zip(posts, results, strict=True):
        by_tag[(post.get("raw") or {}).get("demo_tag") or "untagged"].append((post, analysis))
    print(f"{classifier.name} {classifier.version}: {len(posts)} demo posts")
    for tag, items in sorted(by_tag.items()):
        label, check = EXPECT.get(tag, ("(no expectation)", lambda a: True))
        good = [check(a) for _, a in items]
        print(f"{tag:24} {sum(good):3}/{len(items):<3} {sum(good) / len(items):6.0%}  {label}")
        if verbose:
            for (post, analysis), ok in zip(items, good, strict=True):
                if not ok:
                    text = str(post["text"]).replace("\n", " ")[:110]
                    print(f"    MISS {text!r}\n         {analysis.to_dict()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
