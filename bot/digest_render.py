"""The digest as Markdown, HTML and a compact Telegram text; its charts are in
:mod:`bot.digest_charts`.

The three renderings share one outline (:func:`sections`), so they say the same thing. Outside
text (posts, handles, topics) is cleaned of control and bidi characters everywhere, escaped
for Markdown (backslashes) and HTML (Jinja2 autoescape), and links are kept only if they are
http(s). Abusive posts are never in the outline: :mod:`bot.digest` only counts them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, select_autoescape

from bot.community import Group, KeyConnector
from bot.digest import Digest, Item
from bot.digest_charts import caption, render_charts
from bot.response_metrics import TABLE_HEADER, format_hours, format_rate, table_rows
from bot.safe_text import clean, one_line

TEXT_LIMIT = 160  # characters of a post quoted in Markdown and HTML
COMPACT_TEXT = 80  # … in the Telegram message
COMPACT_ITEMS = 3  # items per list in the Telegram message
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")

_pct, _hours = format_rate, format_hours


@dataclass(slots=True)
class Entry:
    """One line of a section: a bold lead (a name), text and an optional link."""

    text: str
    lead: str = ""
    url: str | None = None


@dataclass(slots=True)
class Section:
    """A titled part of the digest: lines, or a table."""

    title: str
    entries: list[Entry] = field(default_factory=list)
    header: Sequence[str] = ()
    rows: list[Sequence[str]] = field(default_factory=list)
    empty: str = "none"


def safe_url(url: object) -> str | None:
    """``url`` if it is an http(s) link, with characters that could end it percent-encoded."""
    target = clean(url or "").strip()
    if not re.match(r"https?://", target, re.IGNORECASE) or len(target) > 1000:
        return None
    return quote(target, safe=":/?#@!$&'*+,;=%-._~[]")


def md(text: object) -> str:
    """Outside text for Markdown: cleaned, one line, every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(clean(text).split()))


def _local(d: Digest, at: datetime, fmt: str = "%a %d %b %H:%M") -> str:
    return at.astimezone(d.tz).strftime(fmt)


def period(d: Digest) -> str:
    """``Mon 09 Nov – Sun 15 Nov 2026`` for a whole week (it ends at Monday 00:00), else up to
    the end's time (the week so far)."""
    first = _local(d, d.start, "%a %d %b")
    if d.end.astimezone(d.tz).time() == time(0):
        return f"{first} – {_local(d, d.end - timedelta(microseconds=1), '%a %d %b %Y')}"
    return f"{first} – {_local(d, d.end, '%a %d %b %Y %H:%M')}"


def _versus(now: str, before: str) -> str:
    return f"{now} (last week {before})"


def headline(d: Digest) -> list[tuple[str, str]]:
    """The key figures, as (label, value) pairs."""
    return [
        ("Public posts", _versus(str(d.public_posts), str(d.previous_public_posts))),
        ("Our posts and replies", str(d.own_posts)),
        ("Questions & complaints to us", str(d.needing_answer)),
        ("Response rate", _versus(_pct(d.response_rate), _pct(d.previous_response_rate))),
        (
            "Median time to first response",
            _versus(_hours(d.median_response_hours), _hours(d.previous_median_hours)),
        ),
        ("90% answered within", _hours(d.p90_response_hours)),
        ("Staff alerts", str(d.alerts)),
        ("Replies sent / drafts waiting", f"{d.replies_sent} / {d.drafts_waiting}"),
        ("Abusive posts (counted, not quoted)", str(d.abusive)),
    ]


def _item(d: Digest, item: Item, limit: int, since: bool = False) -> Entry:
    when = f", waiting since {_local(d, item.created_at)}" if since else ""
    return Entry(
        f"on {item.platform}{when}: {one_line(item.text, limit)}", item.author, safe_url(item.url)
    )


def _group_text(group: Group) -> str:
    topics = ", ".join(f"{t} ({n})" for t, n in group.topics) or "no particular topic"
    return (
        f"{group.size} people on {', '.join(group.platforms)}; talk about {topics};"
        f" e.g. {', '.join(group.members)}"
    )


def _connector_text(c: KeyConnector) -> str:
    groups = ", ".join(f"{label} ({n})" for label, n in c.links.items())
    return (
        f"on {', '.join(c.platforms)}: talks with {sum(c.links.values())} people in groups"
        f" {groups} · betweenness {c.score:.2f}"
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def sections(d: Digest, limit: int = TEXT_LIMIT) -> list[Section]:
    """The digest's outline, after the headline figures: every section in reading order."""
    channels = [
        Entry(f"{name}: {n} (last week {d.previous_per_platform.get(name, 0)})")
        for name, n in d.per_platform.items()
    ]
    days = [
        (f"{day:%a %d %b}", *(str(c.get(s, 0)) for s in ("positive", "neutral", "negative")))
        for day, c in d.sentiment_by_day.items()
    ]
    out = [
        Section("Channels", channels),
        Section("Topics", [Entry(f"{k}: {v}") for k, v in d.per_topic.items()]),
        Section(
            "Sentiment per day",
            header=("", "positive", "neutral", "negative"),
            rows=list(days),
        ),
    ]
    if d.responses is not None:
        out.append(
            Section(
                "Response by channel",
                header=TABLE_HEADER,
                rows=list(table_rows(d.responses.by_platform)),
            )
        )
        out.append(
            Section(
                "Response by topic",
                header=TABLE_HEADER,
                rows=list(table_rows(d.responses.by_topic)),
            )
        )
    out += [
        Section(
            "Emerging topics",
            [
                Entry(f"{e.topic}: {e.count} (usually {e.weekly_mean:.1f} a week)")
                for e in d.emerging
            ],
        ),
        Section(
            "Spikes",
            [
                Entry(
                    f"{s.label}: {s.count} from {_local(d, s.start)} to {_local(d, s.end, '%H:%M')}"
                    f" (usually {s.baseline:.1f})"
                )
                for s in d.spikes
            ],
        ),
        Section(
            "Waiting for an answer",
            [_item(d, i, limit, since=True) for i in d.unanswered],
            empty="nothing: every question and complaint got an answer",
        ),
        Section("Top praise", [_item(d, i, limit) for i in d.top_praise]),
        Section("Top complaints", [_item(d, i, limit) for i in d.top_complaints]),
        Section("Suggestions", [_item(d, i, limit) for i in d.suggestions]),
        Section(
            "Key connectors",
            [Entry(_connector_text(c), c.name) for c in d.community.connectors],
            empty="nobody links separate groups this week",
        ),
        Section(
            "Groups",
            [Entry(_group_text(g), f"Group {g.label}") for g in d.community.groups],
            empty="not enough conversation between members to see groups",
        ),
    ]
    return out


def render_markdown(d: Digest, charts: Sequence[str] = ()) -> str:
    """The digest as Markdown (``charts``: image file names to show after the figures)."""
    lines = [
        f"# {md(d.institution)}: weekly digest",
        f"Week {d.week}: {period(d)}",
        "",
        "| | |",
        "|---|---|",
        *[f"| {label} | {value} |" for label, value in headline(d)],
        "",
    ]
    for name in charts:
        lines += [f"![{caption(name)}]({quote(name)})", ""]
    for section in sections(d):
        lines.append(f"## {section.title}")
        if section.header:
            lines += ["| " + " | ".join(section.header) + " |", "|---" * len(section.header) + "|"]
            lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in section.rows]
        for e in section.entries:
            lead = f"**{md(e.lead)}** " if e.lead else ""
            link = f" ([link]({e.url}))" if e.url else ""
            lines.append(f"- {lead}{md(e.text)}{link}")
        if not section.entries and not section.rows:
            lines.append(f"- {section.empty}")
        lines.append("")
    return "\n".join(lines)


_HTML = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ d.institution }}: weekly digest</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:auto;padding:1rem}
body{line-height:1.4}table{border-collapse:collapse}img{max-width:100%}li{margin:.3rem 0}
td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style></head><body>
<h1>{{ d.institution }}: weekly digest</h1>
<p>Week {{ d.week }}: {{ period }}</p>
<table>{% for label, value in figures %}<tr><td>{{ label }}</td><td><b>{{ value }}</b></td></tr>
{% endfor %}</table>
{% for src, alt in charts %}<p><img src="{{ src }}" alt="{{ alt }}"></p>
{% endfor %}
{% for s in sections %}<h2>{{ s.title }}</h2>
{% if s.header %}<table><tr>{% for h in s.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in s.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
{% if s.entries or not s.rows %}<ul>{% for e in s.entries %}<li>
{%- if e.lead %}<b>{{ e.lead }}</b> {% endif %}{{ e.text }}
{%- if e.url %} <a href="{{ e.url }}" rel="nofollow noopener">link</a>{% endif %}</li>
{% else %}<li>{{ s.empty }}</li>{% endfor %}</ul>{% endif %}
{% endfor %}</body></html>
"""
)


def render_html(d: Digest, charts: Sequence[str] = ()) -> str:
    """The digest as a self-contained HTML page (all outside text escaped)."""
    return _HTML.render(
        d=d,
        period=period(d),
        figures=headline(d),
        charts=[(name, caption(name)) for name in charts],
        sections=sections(d),
    )


def render_text(d: Digest, title: str = "weekly digest") -> str:
    """The compact plain-text version for a Telegram message (sent without formatting, so
    nothing in it can be taken as markup)."""
    lines = [
        f"📊 {one_line(d.institution, 80)}: {title}",
        f"Week {d.week}: {period(d)}",
        "",
        f"{d.public_posts} public posts (last week {d.previous_public_posts}),"
        f" {d.own_posts} of ours",
        f"Answered {_pct(d.response_rate)} of {d.needing_answer} questions & complaints"
        f" (last week {_pct(d.previous_response_rate)}), median"
        f" {_hours(d.median_response_hours)} (last week {_hours(d.previous_median_hours)})",
        "Sentiment: " + " · ".join(f"{k} {v}" for k, v in d.sentiment.items()),
    ]
    if d.abusive:
        lines.append(f"Abusive posts: {d.abusive} (not quoted)")
    if d.per_platform:
        lines.append("Channels: " + " · ".join(f"{k} {v}" for k, v in d.per_platform.items()))
    topics = [(k, v) for k, v in d.per_topic.items() if k != "(none)"][:6]
    if topics:
        lines.append("Topics: " + " · ".join(f"{one_line(k, 40)} {v}" for k, v in topics))
    if d.emerging:
        lines.append(
            "🆕 Rising: "
            + " · ".join(f"{e.topic} {e.count} (usually {e.weekly_mean:.1f})" for e in d.emerging)
        )
    for s in d.spikes:
        lines.append(f"⚡ Spike: {s.label}, {s.count} from {_local(d, s.start)}")
    lists = (
        ("⏳ Waiting for an answer", d.unanswered),
        ("👍 Praise", d.top_praise),
        ("👎 Complaints", d.top_complaints),
        ("💡 Suggestions", d.suggestions),
    )
    for heading, items in lists:
        if not items:
            continue
        more = f" (+{len(items) - COMPACT_ITEMS} more)" if len(items) > COMPACT_ITEMS else ""
        lines += ["", heading + more]
        for item in items[:COMPACT_ITEMS]:
            url = safe_url(item.url)
            lines.append(
                f"• {one_line(item.author, 40)} on {item.platform}:"
                f" {one_line(item.text, COMPACT_TEXT)}" + (f" {url}" if url else "")
            )
    if d.community.connectors:
        lines += ["", "🔗 Key connectors (they link groups of people who rarely talk)"]
        for c in d.community.connectors[:COMPACT_ITEMS]:
            lines.append(
                f"• {one_line(c.name, 40)} ({', '.join(c.platforms)}): groups " + ", ".join(c.links)
            )
        shown = {label for c in d.community.connectors[:COMPACT_ITEMS] for label in c.links}
        for g in d.community.groups:
            if g.label in shown:
                about = ", ".join(t for t, _ in g.topics) or "no particular topic"
                lines.append(f"   group {g.label}: {g.size} people; {about}")
    return "\n".join(lines) + "\n"


def write_digest(d: Digest, out_dir: Path) -> dict[str, Path]:
    """Write ``digest.md``, ``digest.html`` and the chart PNGs into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = render_charts(d, out_dir)
    names = [path.name for path in charts.values()]
    md_path = out_dir / "digest.md"
    md_path.write_text(render_markdown(d, names), encoding="utf-8")
    html_path = out_dir / "digest.html"
    html_path.write_text(render_html(d, names), encoding="utf-8")
    return {"markdown": md_path, "html": html_path, **charts}
