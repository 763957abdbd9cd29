"""Telegram HTML for staff messages. Every piece of outside text goes through :func:`esc`.

Outside text (posts, handles, rule descriptions, drafts, links) is cleaned of control and
bidirectional-override characters and HTML-escaped, so a post can neither break the markup nor
add formatting, links or reversed text of its own. Messages stay under Telegram's 4096
characters by shortening the post text, never by cutting the markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.safe_text import clean, shorten
from bot.safe_text import one_line as plain_line
from bot.staff.view import AlertView, Logged

MESSAGE_LIMIT = 4096
PRIORITY_ICON = {"urgent": "🔴", "high": "🟠", "normal": "🟡", "low": "⚪"}
GROUP_LISTED = 10
_PLACEHOLDER = "\x00TEXT\x00"  # control characters never survive clean(): no collision
_TAG = re.compile(r"<[^>]*>")


def esc(text: object, limit: int | None = None) -> str:
    """Cleaned, optionally shortened (to ``limit`` characters, with …) and HTML-escaped."""
    return html.escape(shorten(clean(text), limit) if limit else clean(text), quote=True)


def one_line(text: object, limit: int) -> str:
    """``text`` on one line (whitespace collapsed), shortened and escaped."""
    return html.escape(plain_line(text, limit), quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """Length of the text Telegram shows for our HTML (its limits count that, tags and
    entities parsed); every ``<`` in our markup opens a tag, since outside text is escaped."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` within ``units`` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def link(url: object, label: str) -> str:
    """An HTML link to an http(s) URL (``label`` is markup we wrote); else nothing."""
    target = clean(url).strip()
    if not re.match(r"https?://", target, re.IGNORECASE) or len(target) > 1000:
        return ""
    return f'<a href="{html.escape(target, quote=True)}">{label}</a>'


def fit(template: str, text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``template`` with its placeholder replaced by ``text`` (escaped), the text shortened
    until the message Telegram shows fits in ``limit`` UTF-16 units."""
    budget = limit - visible_len(template.replace(_PLACEHOLDER, ""))
    body = clean(text)
    if utf16_len(body) > budget:
        body = cut(body, max(0, budget - 1)) + "…"
    return template.replace(_PLACEHOLDER, html.escape(body))


def local(at: datetime, tz: ZoneInfo, fmt: str = "%H:%M") -> str:
    """A time in the institution's time zone."""
    return at.astimezone(tz).strftime(fmt)


def log_line(entry: Logged, tz: ZoneInfo) -> str:
    """One line saying who did what, when ("✅ Approved by @maria 14:02")."""
    who, when, data = esc(entry.actor, 64), local(entry.at, tz), entry.payload
    lines = {
        "approve": f"✅ Approved by {who} {when}",
        "edit": f"✏️ Draft edited by {who} {when}",
        "dismiss": f"🗑 Dismissed by {who} {when}",
        "assign": f"👤 Assigned to {esc(data.get('to'), 64)} by {who} {when}",
        "state:handled": f"✔️ Marked handled by {who} {when}",
        "state:muted": f"🔕 Muted by {who} {when}",
        "correct": (
            f"🏷 {esc(data.get('task'))} corrected to "
            f"{esc(', '.join(map(str, data.get('labels', []))), 200)} by {who} {when}"
        ),
    }
    if entry.action == "snooze":
        until = data.get("until")
        moment = local(datetime.fromisoformat(until), tz, "%a %d %b %H:%M") if until else "now"
        return f"⏰ Snoozed until {moment} by {who} {when}"
    return lines.get(entry.action, f"{esc(entry.action, 40)} by {who} {when}")


def _draft_lines(view: AlertView) -> list[str]:
    state, text = view.draft_state, view.draft_text or ""
    if state is None:
        return []
    if state == "draft":
        return [f"📝 <b>Draft reply</b> (waiting for approval):\n<i>{esc(text, 1500)}</i>"]
    titles = {
        "queued": "📤 Reply approved, sending",
        "sending": "📤 Reply sending",
        "sent": "✅ Reply sent",
        "cancelled": "🗑 Draft cancelled",
        "failed": f"⚠️ Reply failed: {esc(view.draft_error or 'unknown error', 300)}",
        "held": "⚠️ Reply held: it may or may not have gone out; check the platform",
    }
    return [f"{titles.get(state, esc(state))}:\n<i>{esc(text, 600)}</i>"]


def render_alert(view: AlertView, tz: ZoneInfo) -> str:
    """The alert message: who, where, what, why, the conversation so far, the draft, the log."""
    p = view.payload
    priority = str(p.get("priority", "normal"))
    head = f"{PRIORITY_ICON.get(priority, '🟡')} <b>{esc(priority.upper(), 20)}</b>"
    head += f" · {esc(str(p.get('action', 'alert')).replace('_', ' '), 40)}"
    if view.outbox_id is not None:
        head += f" · #{view.outbox_id}"
    who = f"<b>{esc(p.get('author'), 80)}</b> on {esc(p.get('platform'), 40)}"
    url = link(p.get("url"), "open post")
    lines = [head, who + (f" · {url}" if url else ""), f"<blockquote>{_PLACEHOLDER}</blockquote>"]
    intents = ", ".join(map(str, p.get("intents") or [])) or "none"
    lines.append(
        f"Topic <b>{esc(p.get('topic') or '–', 60)}</b>"
        f" · sentiment <b>{esc(p.get('sentiment'), 20)}</b>"
        f" · intent <b>{esc(intents, 80)}</b>" + (" · ⚠️ abusive" if p.get("abusive") else "")
    )
    lines.append(f"Rule <code>{esc(p.get('rule'), 80)}</code>: {esc(p.get('why'), 300)}")
    if p.get("note"):
        lines.append(f"Note: {esc(p['note'], 300)}")
    if view.context:
        lines.append("Earlier in the conversation:")
        lines += [f"• {esc(author, 40)}: {one_line(text, 140)}" for author, text in view.context]
    lines += _draft_lines(view)
    status = []
    if view.assigned_to:
        status.append(f"owner {esc(view.assigned_to, 60)}")
    if view.conversation_state:
        status.append(f"conversation {esc(view.conversation_state.replace('_', ' '), 30)}")
    if view.conversation_id is not None:
        status.append(f"/mute {view.conversation_id}")
    if status:
        lines.append("<i>" + " · ".join(status) + "</i>")
    if view.log:
        lines.append("")
        lines += [log_line(entry, tz) for entry in view.log[-10:]]
    return fit("\n".join(lines), str(p.get("text", "")))


def render_group(payloads: Sequence[dict[str, Any]]) -> str:
    """One message standing for many alerts on the same topic."""
    topic = payloads[0].get("topic") or "no particular topic"
    lines = [f"📚 <b>{len(payloads)} more posts on {esc(topic, 60)}</b>"]
    for p in payloads[:GROUP_LISTED]:
        url = link(p.get("url"), "link")
        lines.append(
            f"• {esc(p.get('author'), 40)} on {esc(p.get('platform'), 20)}: "
            f"{one_line(p.get('text', ''), 120)}" + (f" ({url})" if url else "")
        )
    if len(payloads) > GROUP_LISTED:
        lines.append(f"… and {len(payloads) - GROUP_LISTED} more.")
    lines.append("Open items: /inbox")
    return fit_lines(lines)


def fit_lines(lines: Sequence[str], limit: int = MESSAGE_LIMIT) -> str:
    """Whole lines (our markup) up to ``limit``, then a note that the rest was left out."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        cost = visible_len(line) + 1
        if used + cost > limit - 40:
            out.append(f"… ({len(lines) - index} more lines)")
            break
        out.append(line)
        used += cost
    return "\n".join(out)


def split_plain(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text in chunks of at most ``limit`` UTF-16 units, split at line ends if possible."""
    chunks: list[str] = []
    current = ""
    for line in clean(text).splitlines(keepends=True):
        while utf16_len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = limit
            while utf16_len(line[:cut]) > limit:
                cut -= 1
            chunks.append(line[:cut])
            line = line[cut:]
        if utf16_len(current + line) > limit:
            chunks.append(current)
            current = ""
        current += line
    if current.strip():
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]
