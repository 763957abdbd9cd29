"""The digest's charts: PNG files 1080 px wide with large type and few series, so each is
readable on a phone (and Telegram, which scales photos to 1280 px, never shrinks them).

- ``digest-volumes.png`` (1080×1280): public posts per channel, this week and last; top topics.
- ``digest-sentiment.png`` (1080×810): positive, neutral and negative posts per local day.
- ``digest-response.png`` (1080×1080): response rate and median time to first response per
  channel, this week and last.

Drawn with matplotlib's Agg backend (headless: no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.digest import NO_TOPIC, Digest
from bot.response_metrics import Figures

DPI = 100
WIDTH = 10.8  # inches at DPI: 1080 px
#: chart name -> (caption, height in inches)
CHARTS: dict[str, tuple[str, float]] = {
    "volumes": ("Public posts per channel and topic", 12.8),
    "sentiment": ("Sentiment per day", 8.1),
    "response": ("Response this week and last", 10.8),
}
THIS_WEEK, LAST_WEEK = "#1565c0", "#b0bec5"
SENTIMENT_COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
TOP_TOPICS = 8
STYLE: dict[Any, Any] = {
    "font.size": 20,
    "axes.titlesize": 26,
    "axes.titleweight": "bold",
    "axes.titlepad": 14,
    "xtick.labelsize": 18,
    "ytick.labelsize": 20,
    "legend.fontsize": 18,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def chart_file(name: str) -> str:
    """The file name of chart ``name``."""
    return f"digest-{name}.png"


def caption(file_name: str) -> str:
    """What the chart in ``file_name`` shows (its alt text and photo caption)."""
    name = Path(file_name).stem.removeprefix("digest-")
    return CHARTS[name][0] if name in CHARTS else "Chart"


def _figure(name: str, rows: int = 1) -> tuple[Figure, list[Axes]]:
    fig, axes = plt.subplots(rows, 1, figsize=(WIDTH, CHARTS[name][1]), dpi=DPI, squeeze=False)
    return fig, [row[0] for row in axes]


def _nothing(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#616161")
    ax.set_xticks([])
    ax.set_yticks([])


def _paired_bars(
    ax: Axes,
    labels: Sequence[str],
    this: Sequence[float | None],
    last: Sequence[float | None],
    fmt: str,
) -> None:
    """Horizontal bars, this week's over last week's, the first label on top; this week's
    values written at the bars' ends ("–" where there is no value)."""
    height = 0.4
    ys = list(range(len(labels)))[::-1]
    now = [v or 0 for v in this]
    ax.barh([y + height / 2 for y in ys], now, height, color=THIS_WEEK, label="this week")
    ax.barh(
        [y - height / 2 for y in ys],
        [v or 0 for v in last],
        height,
        color=LAST_WEEK,
        label="last week",
    )
    ax.set_yticks(ys, labels)
    top = max([*now, *(v or 0 for v in last), 0])
    ax.set_xlim(0, top * 1.5 or 1)  # room on the right for the values and the legend
    for y, value, shown in zip(ys, now, this, strict=True):
        text = "–" if shown is None else fmt.format(shown)
        ax.text(value + top * 0.02, y + height / 2, text, va="center", fontsize=17)
    ax.legend(loc="lower right", frameon=False)


def _volumes(d: Digest, path: Path) -> None:
    fig, (channels, topics) = _figure("volumes", rows=2)
    names = list(d.per_platform) or list(d.previous_per_platform)
    if names:
        _paired_bars(
            channels,
            names,
            [d.per_platform.get(n, 0) for n in names],
            [d.previous_per_platform.get(n, 0) for n in names],
            "{:.0f}",
        )
        channels.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _nothing(channels, "no public posts")
    channels.set_title("Public posts per channel")
    top = [(k, v) for k, v in d.per_topic.items() if k != NO_TOPIC][:TOP_TOPICS]
    if top:
        ys = list(range(len(top)))[::-1]
        topics.barh(ys, [v for _, v in top], color="#6a1b9a")
        topics.set_yticks(ys, [k for k, _ in top])
        for y, (_, v) in zip(ys, top, strict=True):
            topics.text(v, y, f" {v}", va="center", fontsize=17)
        topics.set_xlim(0, max(v for _, v in top) * 1.15)
        topics.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _nothing(topics, "no topics recognised")
    topics.set_title(f"Top topics this week (of {sum(d.per_topic.values())} posts)")
    _save(fig, path)


def _sentiment(d: Digest, path: Path) -> None:
    fig, (ax,) = _figure("sentiment")
    days = list(d.sentiment_by_day)
    labels = [f"{day:%a}\n{day:%d}" for day in days]
    bottom = [0] * len(days)
    for label, colour in SENTIMENT_COLOURS.items():
        values = [d.sentiment_by_day[day].get(label, 0) for day in days]
        ax.bar(labels, values, bottom=bottom, color=colour, label=label, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylim(0, max(bottom, default=0) * 1.3 + 1)  # room above the bars for the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", ncols=3, frameon=False)
    ax.set_title("Sentiment per day")
    _save(fig, path)


def _response(d: Digest, path: Path) -> None:
    fig, (rates, times) = _figure("response", rows=2)
    now = d.responses.by_platform if d.responses else {}
    before = d.previous_responses.by_platform if d.previous_responses else {}
    names = sorted(
        {n for n, f in now.items() if f.asked} | {n for n, f in before.items() if f.asked},
        key=lambda n: (-(now[n].asked if n in now else 0), n),
    )
    if names:

        def rate(figures: dict[str, Figures], name: str) -> float | None:
            f = figures.get(name)
            return None if f is None or f.response_rate is None else 100 * f.response_rate

        def hours(figures: dict[str, Figures], name: str) -> float | None:
            f = figures.get(name)
            return None if f is None else f.median_hours

        _paired_bars(
            rates, names, [rate(now, n) for n in names], [rate(before, n) for n in names], "{:.0f}%"
        )
        rates.set_xlim(0, 150)
        rates.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100%"])
        _paired_bars(
            times,
            names,
            [hours(now, n) for n in names],
            [hours(before, n) for n in names],
            "{:.1f} h",
        )
    else:
        _nothing(rates, "no questions or complaints to us")
        _nothing(times, "nothing to answer")
    rates.set_title("Questions & complaints answered")
    times.set_title("Median time to first response")
    _save(fig, path)


def _save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI)
    plt.close(fig)


DRAW = {"volumes": _volumes, "sentiment": _sentiment, "response": _response}


def render_charts(d: Digest, out_dir: Path) -> dict[str, Path]:
    """Draw every chart into ``out_dir``; returns ``{name: path}`` in :data:`CHARTS` order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    with plt.rc_context(STYLE):
        for name in CHARTS:
            path = out_dir / chart_file(name)
            DRAW[name](d, path)
            files[name] = path
    return files
