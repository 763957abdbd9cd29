"""Mastodon status HTML to plain text, and the settings/options models."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from connectors.mastodon import HashtagOptions, MentionsOptions, Settings
from connectors.mastodon.text import html_to_text

LINK = (
    '<a href="https://www.example.org/exhibitions/2024/impressionism" rel="nofollow noopener" '
    'translate="no" target="_blank"><span class="invisible">https://www.</span>'
    '<span class="ellipsis">example.org/exhibitions/2024/i</span>'
    '<span class="invisible">mpressionism</span></a>'
)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>line<br>break<br />again</p>", "line\nbreak\nagain"),
        ("<p>a</p><p></p><p>b</p>", "a\n\nb"),
        (f"<p>see {LINK}</p>", "see https://www.example.org/exhibitions/2024/impressionism"),
        ("<p>&quot;Q&amp;A&quot; &lt;3 &#39;x&#39; &nbsp;!</p>", "\"Q&A\" <3 'x' \xa0!"),
        (
            '<p><span class="h-card" translate="no"><a href="https://a.example/@bo" '
            'class="u-url mention">@<span>bo</span></a></span> hi '
            '<a href="https://social.example/tags/art" class="mention hashtag" rel="tag">'
            "#<span>art</span></a></p>",
            "@bo hi #art",
        ),
        (
            '<p class="quote-inline">RE: <a href="https://x.example/@a/1">https://x.example/@a/1</a>'
            "</p><p>my take</p>",
            "my take",
        ),
        (
            '<p>my take<span class="quote-inline"><br/><br/>RE: <a href="https://x.example/1">'
            "https://x.example/1</a></span></p>",
            "my take",
        ),
        ("<ul><li>one</li><li>two</li></ul><p>end</p>", "one\ntwo\n\nend"),
        ("<p>مرحبا\u200f بالعالم</p>", "مرحبا\u200f بالعالم"),
        ("<p>👩\u200d🔬\u200b\ufe0f</p>", "👩\u200d🔬\u200b\ufe0f"),
        ("plain text, no markup", "plain text, no markup"),
        ("", ""),
    ],
)
def test_html_to_text(content: str, text: str) -> None:
    assert html_to_text(content) == text


@given(st.text())
def test_escaped_text_in_a_paragraph_round_trips(original: str) -> None:
    # Mastodon escapes what the author typed and wraps it in <p>; we must get it back exactly.
    normalized = original.replace("\r\n", "\n").replace("\r", "\n")
    assert html_to_text(f"<p>{html.escape(normalized)}</p>") == normalized


def test_settings_normalize_and_forbid_unknown_keys() -> None:
    settings = Settings(
        api_base_url="social.example/",
        access_token=SecretStr("t"),
        handle="@StadtMuseum@Social.Example",
    )
    assert settings.api_base_url == "https://social.example"
    assert settings.handle == "stadtmuseum@social.example"
    assert settings.host == "social.example"
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(
            {"api_base_url": "https://social.example", "access_token": "t", "password": "x"}
        )
    assert "password" in str(caught.value)
    with pytest.raises(ValidationError):
        Settings.model_validate({"api_base_url": "ftp://social.example", "access_token": "t"})
    with pytest.raises(ValidationError):
        Settings.model_validate(
            {
                "api_base_url": "https://social.example",
                "access_token": "t",
                "handle": "not a handle",
            }
        )


def test_feed_options() -> None:
    assert HashtagOptions(tag="#MuseumWeek").tag == "MuseumWeek"
    assert HashtagOptions(tag="kunst_2024").tag == "kunst_2024"
    for bad in ("", "#", "two words", "a/b", "x?y"):
        with pytest.raises(ValidationError):
            HashtagOptions(tag=bad)
    with pytest.raises(ValidationError):
        HashtagOptions(tag="ok", limit=41)  # the tag timeline serves at most 40
    assert MentionsOptions().types == ["mention"]
    with pytest.raises(ValidationError):
        MentionsOptions.model_validate({"types": ["favourite"]})
    with pytest.raises(ValidationError):
        MentionsOptions(limit=81)
