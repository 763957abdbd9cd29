"""Where staff alerts go: the console (rich) when no Telegram bot is configured."""

from __future__ import annotations

from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

PRIORITY_STYLE = {"urgent": "bold red", "high": "red", "normal": "yellow", "low": "dim"}


class AlertSink(Protocol):
    """Delivers staff alerts and digests; returns an id for the delivered message."""

    async def send_alert(self, payload: dict[str, Any], key: str) -> str: ...

    async def send_digest(self, payload: dict[str, Any], key: str) -> str: ...


class ConsoleSink:
    """Renders alerts as panels on the terminal (post text is escaped, never markup)."""

    def __init__(
        self, console: Console | None = None, *, quiet: bool = False, panels: int | None = None
    ) -> None:
        self.console = console or Console(highlight=False)
        self.quiet = quiet
        self.panels = panels  # full panels for the first N alerts, then one line each
        self.delivered: list[str] = []

    async def send_alert(self, payload: dict[str, Any], key: str) -> str:
        self.delivered.append(key)
        if self.quiet:
            pass
        elif self.panels is None or len(self.delivered) <= self.panels:
            self.console.print(render_alert(payload))
        else:
            self.console.print(render_alert_line(payload))
        return f"console:{len(self.delivered)}"

    async def send_digest(self, payload: dict[str, Any], key: str) -> str:
        self.delivered.append(key)
        if not self.quiet:
            self.console.print(Panel(escape(str(payload.get("summary", ""))), title="Digest"))
        return f"console:{len(self.delivered)}"


def render_alert(payload: dict[str, Any]) -> Panel:
    """A rich panel for one alert."""
    priority = str(payload.get("priority", "normal"))
    lines = [
        f"[bold]{escape(str(payload.get('author')))}[/] on {escape(str(payload.get('platform')))}"
        f" · topic {escape(str(payload.get('topic') or '-'))}"
        f" · {escape(str(payload.get('sentiment')))}"
        f" · {escape(', '.join(payload.get('intents') or []) or 'no intent')}",
        escape(str(payload.get("text", ""))),
    ]
    if payload.get("url"):
        lines.append(f"[dim]{escape(str(payload['url']))}[/]")
    if payload.get("draft"):
        lines.append(f"[green]Draft reply:[/] {escape(str(payload['draft']))}")
    if payload.get("note"):
        lines.append(f"[magenta]{escape(str(payload['note']))}[/]")
    lines.append(
        f"[dim]rule {escape(str(payload.get('rule')))}: {escape(str(payload.get('why')))}[/]"
    )
    title = f"{payload.get('action', 'alert')} · {priority}"
    return Panel(
        "\n".join(lines), title=escape(title), border_style=PRIORITY_STYLE.get(priority, "yellow")
    )


def render_alert_line(payload: dict[str, Any]) -> str:
    """One escaped line for an alert."""
    text = " ".join(str(payload.get("text", "")).split())
    text = text if len(text) <= 90 else text[:89] + "…"
    priority = str(payload.get("priority", "normal"))
    style = PRIORITY_STYLE.get(priority, "yellow")
    return (
        f"[{style}]{escape(str(payload.get('action')))}·{escape(priority)}[/] "
        f"{escape(str(payload.get('platform')))} {escape(str(payload.get('author')))}: "
        f"{escape(text)} [dim]({escape(str(payload.get('rule')))})[/]"
    )
