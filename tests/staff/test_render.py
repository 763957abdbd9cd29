"""Alert rendering: hostile text stays text, long posts fit, callback data stays small."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.staff.buttons import MAX_CALLBACK_BYTES, Act, Signer
from bot.staff.render import render_alert, visible_len
from bot.staff.view import AlertView
from connectors.base import Author
from tests.helpers import make_post
from tests.staff.conftest import GROUP, Build
from tests.staff.fake_api import TOKEN, parse_html, utf16

HOSTILE = (
    'awful <b>bold</b></a> & &amp; {{ facts.url }} <a href="javascript:alert(1)">x</a>'
    " \u202egnp.exe\u202c <script>alert(1)</script> \u2066iso\u2069 end"
)
UTC = ZoneInfo("UTC")


async def test_hostile_text_is_shown_as_text(world_factory: Build) -> None:
    post = make_post(
        "9",
        HOSTILE,
        author=Author(id="e", handle="<i>eve</i>&co\u202e"),
        url="javascript:alert(document.cookie)",
    )
    world = await world_factory([post])
    await world.run_pipeline()
    [message] = world.fake.in_chat(GROUP)  # Telegram accepted the HTML
    shown = message["text"]
    expected = HOSTILE.replace("\u202e", "").replace("\u202c", "")
    expected = expected.replace("\u2066", "").replace("\u2069", "")
    assert expected in shown  # every character of the post, literally, as text
    assert "<i>eve</i>&co" in shown
    assert not any(ch in shown for ch in "\u202e\u202c\u2066\u2069")
    assert message["_links"] == []  # neither the post nor its URL made a link
    assert "https://example.org/tickets" not in shown  # {{ }} in a post is never a template
    # the only formatting is ours: the same tags as a harmless post gets
    calm = await world_factory([make_post("8", "awful service")])
    await calm.run_pipeline()
    assert message["_tags"] == calm.fake.in_chat(GROUP)[0]["_tags"]


def test_a_long_post_is_shortened_not_the_markup() -> None:
    text = "A&<" * 4000  # 12,000 characters; escaped, 28,000
    view = AlertView(
        payload={"author": "a", "platform": "x", "text": text, "rule": "r", "why": "w"},
        outbox_id=7,
        conversation_id=3,
        conversation_state="awaiting_us",
        draft_state="draft",
        draft_text="Thanks & see you <soon>",
        context=[("bob", "earlier & <b>post</b>")],
    )
    html = render_alert(view, UTC)
    parsed = parse_html(html)  # still valid Telegram HTML
    shown = "".join(parsed.text)
    assert visible_len(html) == utf16(shown) <= 4096
    assert "A&<A&<" in shown and "…" in shown
    assert len(shown) > 3000  # the post got the room that was left
    assert shown.rstrip().endswith("/mute 3")  # the end of the message is intact
    assert "Thanks & see you <soon>" in shown and "earlier & <b>post</b>" in shown


def test_astral_characters_count_double_toward_the_limit() -> None:
    view = AlertView(payload={"text": "😀" * 3000, "author": "a", "platform": "x"}, outbox_id=1)
    html = render_alert(view, UTC)
    assert visible_len(html) <= 4096 < len("".join(parse_html(html).text)) * 2
    assert 1900 < html.count("😀") < 2048


def test_callback_data_is_small_signed_and_checked() -> None:
    signer = Signer(TOKEN)
    data = signer.encode(Act.TOPIC, 2**53, "10")
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    press = signer.decode(data)
    assert press is not None and (press.act, press.outbox_id, press.arg) == (Act.TOPIC, 2**53, "10")
    body, _, _sig = data.rpartition(":")
    assert signer.decode(data.replace(f":{2**53}:", ":1:")) is None  # another item: refused
    assert signer.decode(body + ":AAAAAAAAAAA") is None  # forged signature
    assert Signer("other-token").decode(data) is None  # another bot's button
    assert signer.decode("ap:1:") is None and signer.decode(None) is None
    assert signer.decode("x" * 65) is None
