"""The digest as Markdown, HTML and a PNG chart (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from jinja2 import Environment, select_autoescape

from bot.digest import Digest
from bot.response_metrics import TABLE_HEADER, format_hours, format_rate, table_rows

SENTIMENT_COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}


_pct, _hours = format_rate, format_hours


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def headline(d: Digest) -> list[tuple[str, str]]:
    """The key figures, as (label, value) pairs."""
    return [
        ("Public posts", f"{d.public_posts} (last week {d.previous_public_posts})"),
        ("Our posts and replies", str(d.own_posts)),
        ("Questions & complaints", str(d.needing_answer)),
        ("Response rate", f"{_pct(d.response_rate)} (last week {_pct(d.previous_response_rate)})"),
        (
            "Time to first response",
            f"median {_hours(d.median_response_hours)}, 90% within {_hours(d.p90_response_hours)}",
        ),
        ("Staff alerts", str(d.alerts)),
        ("Replies sent / drafts waiting", f"{d.replies_sent} / {d.drafts_waiting}"),
    ]


def response_rows(d: Digest) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Response figures per channel and per topic (the busiest topics), as tables."""
    if d.responses is None:
        return []
    return [
        ("Response by channel", table_rows(d.responses.by_platform)),
        ("Response by topic", table_rows(d.responses.by_topic)),
    ]


def spike_lines(d: Digest) -> list[str]:
    """One line per spike alert of the week."""
    return [
        f"{s.get('author')} from {s.get('window_start', '')[:16].replace('T', ' ')} UTC"
        f" ({s.get('why')})"
        for s in d.spikes
    ]


def render_markdown(d: Digest, chart: str | None = "digest.png") -> str:
    """The digest as Markdown."""
    lines = [
        f"# {d.institution}: weekly digest",
        f"{d.start:%A %d %B %Y} – {d.end:%A %d %B %Y}",
        "",
        "| | |",
        "|---|---|",
        *[f"| {label} | {value} |" for label, value in headline(d)],
        "",
    ]
    if chart:
        lines += [f"![Charts]({chart})", ""]
    lines += ["## Channels", *[f"- {k}: {v}" for k, v in d.per_platform.items()], ""]
    lines += ["## Topics", *[f"- {k}: {v}" for k, v in d.per_topic.items()], ""]
    lines += ["## Sentiment", *[f"- {k}: {v}" for k, v in d.sentiment.items()], ""]
    for title, rows in response_rows(d):
        lines += [f"## {title}", "| " + " | ".join(TABLE_HEADER) + " |", "|---" * 6 + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows] + [""]
    lines += ["## Spikes", *[f"- {line}" for line in spike_lines(d) or ["none"]], ""]
    sections = [
        ("Unanswered questions and complaints", d.unanswered),
        ("Top praise", d.top_praise),
        ("Top complaints", d.top_complaints),
        ("Suggestions", d.suggestions),
    ]
    for title, items in sections:
        lines.append(f"## {title}")
        if not items:
            lines.append("- none")
        for item in items:
            link = f" ([link]({item['url']}))" if item.get("url") else ""
            lines.append(
                f"- **{item['author']}** on {item['platform']}: {_short(item['text'])}{link}"
            )
        lines.append("")
    lines.append("## Key connectors")
    if not d.connectors:
        lines.append("- not enough conversation between members this week")
    for c in d.connectors:
        lines.append(f"- **{c.handle}** ({c.platform}) links {c.groups} groups")
    for i, group in enumerate(d.groups, start=1):
        lines.append(f"- group {i}: {', '.join(group)}")
    return "\n".join(lines) + "\n"


_HTML = Environment(autoescape=select_autoescape(default=True)).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ d.institution }}: weekly digest</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:auto;padding:1rem;line-height:1.4}
table{border-collapse:collapse}td{padding:.2rem .6rem;border-bottom:1px solid #ddd}
img{max-width:100%}li{margin:.3rem 0}</style></head><body>
<h1>{{ d.institution }}: weekly digest</h1>
<p>{{ d.start.strftime('%A %d %B %Y') }} – {{ d.end.strftime('%A %d %B %Y') }}</p>
<table>{% for label, value in figures %}<tr><td>{{ label }}</td><td><b>{{ value }}</b></td></tr>
{% endfor %}</table>
{% if chart %}<p><img src="{{ chart }}" alt="Volumes, topics and sentiment this week"></p>
{% endif %}
{% for title, rows in responses %}<h2>{{ title }}</h2><table>
<tr>{% for h in header %}<td><b>{{ h }}</b></td>{% endfor %}</tr>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endfor %}
<h2>Spikes</h2><ul>{% for line in spikes %}<li>{{ line }}</li>
{% else %}<li>none</li>{% endfor %}</ul>
{% for title, items in sections %}<h2>{{ title }}</h2><ul>
{% for i in items %}<li><b>{{ i.author }}</b> on {{ i.platform }}: {{ short(i.text) }}
{% if i.url %}<a href="{{ i.url }}">link</a>{% endif %}</li>{% else %}<li>none</li>{% endfor %}
</ul>{% endfor %}
<h2>Key connectors</h2><ul>{% for c in d.connectors %}
<li><b>{{ c.handle }}</b> ({{ c.platform }}) links {{ c.groups }} groups</li>
{% else %}<li>not enough conversation between members this week</li>{% endfor %}</ul>
</body></html>
"""
)


def render_html(d: Digest, chart: str | None = "digest.png") -> str:
    """The digest as a self-contained HTML page (all text escaped)."""
    sections = [
        ("Unanswered questions and complaints", d.unanswered),
        ("Top praise", d.top_praise),
        ("Top complaints", d.top_complaints),
        ("Suggestions", d.suggestions),
    ]
    return _HTML.render(
        d=d,
        figures=headline(d),
        chart=chart,
        sections=sections,
        short=_short,
        responses=response_rows(d),
        header=TABLE_HEADER,
        spikes=spike_lines(d),
    )


def render_chart(d: Digest, path: Path) -> Path:
    """Four panels, readable on a phone: channels, topics, sentiment per day, response."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 10), dpi=100)
    ax = axes[0][0]
    ax.bar(list(d.per_platform), list(d.per_platform.values()), color="#1565c0")
    ax.set_title("Posts per channel")
    ax = axes[0][1]
    topics = [(k, v) for k, v in d.per_topic.items() if k != "(none)"][:8][::-1]
    ax.barh([k for k, _ in topics], [v for _, v in topics], color="#6a1b9a")
    ax.set_title("Top topics")
    ax = axes[1][0]
    days = list(d.sentiment_by_day)
    bottom = [0] * len(days)
    for label, colour in SENTIMENT_COLOURS.items():
        values = [d.sentiment_by_day[day].get(label, 0) for day in days]
        ax.bar([f"{day:%a %d}" for day in days], values, bottom=bottom, color=colour, label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Sentiment per day")
    ax.set_ylim(0, max(bottom, default=0) * 1.25 + 1)  # room above the bars for the legend
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    ax.tick_params(axis="x", labelrotation=45)
    ax = axes[1][1]
    answered, waiting = d.answered, d.needing_answer - d.answered
    ax.pie(
        [max(answered, 0), max(waiting, 0)] if d.needing_answer else [1],
        labels=["answered", "unanswered"] if d.needing_answer else ["no questions"],
        colors=["#2e7d32", "#c62828"] if d.needing_answer else ["#9e9e9e"],
        autopct="%1.0f%%" if d.needing_answer else None,
    )
    ax.set_title("Questions & complaints answered")
    fig.suptitle(f"{d.institution}: {d.start:%d %b} – {d.end:%d %b %Y}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def write_digest(d: Digest, out_dir: Path) -> dict[str, Path]:
    """Write ``digest.md``, ``digest.html`` and ``digest.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chart = render_chart(d, out_dir / "digest.png")
    md = out_dir / "digest.md"
    md.write_text(render_markdown(d, chart.name), encoding="utf-8")
    html = out_dir / "digest.html"
    html.write_text(render_html(d, chart.name), encoding="utf-8")
    return {"markdown": md, "html": html, "chart": chart}
