"""The digest's renderings: Markdown, HTML and the Telegram text say the same thing, escape
hostile text, never quote abusive posts, hide handles when pseudonymised; the charts are PNGs
of the sizes phones read well."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from bot.community import Community, Group, KeyConnector
from bot.digest import Digest, Item
from bot.digest_charts import CHARTS, caption
from bot.digest_people import Namer
from bot.digest_render import render_html, render_markdown, render_text, safe_url, write_digest
from bot.digest_send import digest_payload
from tests.test_digest import ABUSIVE, build_week, digest_of
from tests.test_digest import week as week  # the module-scoped fixture week's digest

HOSTILE_TEXT = '<script>alert("x")</script> **bold** [click](javascript:alert(1)) | a & b'
HOSTILE_NAME = "<img src=x onerror=alert(1)>"
SIZES = {"volumes": (1080, 1280), "sentiment": (1080, 810), "response": (1080, 1080)}
HANDLES = re.compile(r"\b(alice|bob|carol|dave|eve|frank)\b")


def hostile_digest() -> Digest:
    start = datetime(2026, 11, 1, 23, tzinfo=UTC)
    item = Item(
        author=HOSTILE_NAME,
        platform="x",
        text=HOSTILE_TEXT,
        url="javascript:alert(1)",
        created_at=start + timedelta(hours=5),
        topic="<b>topic</b>",
        engagement=1,
    )
    linked = Item(
        author="ok", platform="x", text="fine", url="https://x.example/a b)(<c>", created_at=start,
        topic=None, engagement=0,
    )  # fmt: skip
    return Digest(
        institution="Lumen <Museum> & Co",
        start=start,
        end=start + timedelta(days=7),
        timezone="Europe/Amsterdam",
        per_topic={"<i>x</i>": 1},
        unanswered=[item, linked],
        top_praise=[item],
        community=Community(
            groups=[Group("A", 3, ["x"], [("<u>t</u>", 2)], [HOSTILE_NAME])],
            connectors=[KeyConnector(HOSTILE_NAME, ["x"], 0.5, {"A": 2})],
        ),
    )


def test_html_escapes_hostile_text() -> None:
    html = render_html(hostile_digest())
    assert "<script" not in html and "<img" not in html and "<b>topic" not in html
    assert "javascript:" not in html.split("</style>")[1].replace(
        "[click](javascript:alert(1))", ""
    )
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Lumen &lt;Museum&gt; &amp; Co" in html
    assert 'href="https://x.example/a%20b%29%28%3Cc%3E"' in html  # only http(s) links, encoded
    assert html.count("<a href=") == 1


def test_markdown_escapes_hostile_text() -> None:
    markdown = render_markdown(hostile_digest())
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<script" not in html and "<img" not in html and "<strong>bold" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text
    assert html.count("<a href=") == 1 and 'href="https://x.example/a%20b%29%28%3Cc%3E"' in html
    table_rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert all(line.count("|") == table_rows[0].count("|") for line in table_rows[:2])


def test_telegram_text_is_plain_and_keeps_text_readable() -> None:
    text = render_text(hostile_digest())
    assert text.startswith("📊 Lumen <Museum> & Co: weekly digest")  # sent without parse mode
    assert "javascript:" not in text.replace("[click](javascript:alert(1))", "")
    assert "https://x.example/a%20b%29%28%3Cc%3E" in text


def test_safe_url() -> None:
    assert safe_url("https://example.org/x?a=1&b=2#f") == "https://example.org/x?a=1&b=2#f"
    assert safe_url("HTTP://example.org/") == "HTTP://example.org/"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url(None) is None
    assert safe_url("https://e.org/\u202e/x") == "https://e.org//x"  # bidi override dropped


def test_every_rendering_has_every_section(week: Digest) -> None:
    markdown, html, text = render_markdown(week), render_html(week), render_text(week)
    for title in (
        "Channels",
        "Topics",
        "Sentiment per day",
        "Response by channel",
        "Emerging topics",
        "Spikes",
        "Waiting for an answer",
        "Top praise",
        "Top complaints",
        "Suggestions",
        "Key connectors",
        "Groups",
    ):
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in html
    assert "Week 2026-W45: Mon 02 Nov – Sun 08 Nov 2026" in markdown
    assert "| Response rate | 50% (last week 67%) |" in markdown
    assert "| Median time to first response | 1.2 h (last week 3.5 h) |" in markdown
    assert "- exhibitions: 3 (usually 0.0 a week)" in markdown
    assert "- negative posts: 5 from Fri 06 Nov 19:00 to 21:00 (usually 1.0)" in markdown
    assert "| Mon 02 Nov | 0 | 1 | 0 |" in markdown
    assert "9 public posts (last week 4), 3 of ours" in text
    assert "Answered 50% of 4 questions & complaints (last week 67%)" in text
    assert "• bob on x: @lumenmuseum the café was awful" in text
    assert len(text) < 4096  # one Telegram message


def test_abusive_posts_are_counted_never_quoted(week: Digest) -> None:
    renderings = [render_markdown(week), render_html(week), render_text(week)]
    renderings.append(str(digest_payload(week, {})))
    for rendering in renderings:
        assert "ABUSIVE-WORDS" not in rendering and "idiots" not in rendering
    assert ABUSIVE.split()[0] not in str(week)
    assert "| Abusive posts (counted, not quoted) | 1 |" in renderings[0]
    assert "Abusive posts: 1 (not quoted)" in renderings[2]


def test_files_and_charts_phones_can_read(week: Digest, tmp_path: Path) -> None:
    files = write_digest(week, tmp_path)
    assert list(files) == ["markdown", "html", *SIZES]
    assert "ABUSIVE-WORDS" not in files["markdown"].read_text() + files["html"].read_text()
    charts = {name: files[name] for name in CHARTS}
    for name, path in charts.items():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
        assert struct.unpack(">II", data[16:24]) == SIZES[name], name
        assert data.endswith(b"IEND\xaeB`\x82")
    assert caption(files["sentiment"].name) == "Sentiment per day"
    assert "![Sentiment per day](digest-sentiment.png)" in files["markdown"].read_text()
    assert '<img src="digest-response.png" alt="Response this week and last">' in (
        files["html"].read_text()
    )


def test_pseudonymised_renderings_name_nobody(session: Session) -> None:
    build_week(session)
    digest = digest_of(session, namer=Namer(True, "a-secret-of-16-chars", ["lumenmuseum"]))
    assert digest.top_praise and digest.unanswered  # there are people to name
    for rendering in (render_markdown(digest), render_html(digest), render_text(digest)):
        assert not HANDLES.search(rendering), HANDLES.search(rendering)
        assert "Visitor " in rendering


@pytest.mark.parametrize("so_far", [False, True])
def test_period_line(so_far: bool) -> None:
    d = hostile_digest()
    if so_far:
        d.end = d.start + timedelta(days=2, hours=10, minutes=5)
        assert "Mon 02 Nov – Wed 04 Nov 2026 10:05" in render_text(d, "this week so far")
    else:
        assert "Week 2026-W45: Mon 02 Nov – Sun 08 Nov 2026" in render_text(d)
