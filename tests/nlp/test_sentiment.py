"""salon_sentiment: lexicon valences with negation, boosters, contrast, emphasis and emoji."""

from __future__ import annotations

import pytest

from tests.nlp.pipelines import run


def score(text: str, language: str | None = "en") -> float:
    return float(run(text, language, last="salon_sentiment")._.sentiment_score)


def label(text: str, language: str | None = "en") -> str:
    return str(run(text, language, last="salon_sentiment")._.sentiment)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The exhibition was great", "positive"),
        ("Stunning collection, we loved it", "positive"),
        ("The staff were so rude", "negative"),
        ("We queued for ages and the lift was broken", "negative"),
        ("The museum opens at 10 on Sunday.", "neutral"),
        ("Where is the cloakroom?", "neutral"),
    ],
)
def test_polarity(text: str, expected: str) -> None:
    assert label(text) == expected


def test_scores_are_bounded() -> None:
    for text in ["AMAZING!!!! 😍😍😍 best best best", "worst. awful. terrible!!! 😡😡😡", ""]:
        assert -1.0 <= score(text) <= 1.0


def test_negation_flips_and_dampens() -> None:
    assert score("The exhibition was great") > 0 > score("The exhibition was not great")
    assert score("It isn't bad") > 0 > score("It is bad")
    assert score("The guards weren't rude at all") > 0
    assert abs(score("not great")) < abs(score("great"))
    assert score("Never again.") < 0  # a phrase, not a negated "again"
    assert score("Can't wait to see it!") > 0
    assert score("No queues at all") > 0 > score("Queues everywhere")


def test_negation_stops_at_the_clause() -> None:
    assert score("Not sure about parking, but the collection is great") > 0.3


def test_boosters_and_dampeners() -> None:
    assert score("very good") > score("good") > score("a bit good") > 0
    assert score("extremely boring") < score("boring") < score("slightly boring") < 0


def test_but_clause_weighs_the_second_half() -> None:
    assert score("The building is beautiful but the staff were rude") < 0
    assert score("It was crowded but we loved every minute") > 0


def test_concessive_clause_weighs_less() -> None:
    assert score("Although it was crowded, we loved it") > score("It was crowded, we loved it")


def test_exclamation_and_capitals_emphasise() -> None:
    assert score("great!!!") > score("great!") > score("great")
    assert score("awful!!") < score("awful")
    assert score("The show was GREAT") > score("The show was great")


def test_questions_damp_praise_words() -> None:
    assert 0 < score("Is the café any good?") < score("The café is good.")
    assert score("Why is the website so bad?") < 0


def test_emoji_and_emoticons() -> None:
    assert score("😍") > 0 and score("❤️") > 0 and score("👍🏽") > 0 and score(":)") > 0
    assert score("😡") < 0 and score("👎") < 0 and score(":(") < 0
    assert score("Lift broken again 😡😡") < score("Lift broken again")


def test_elongated_words() -> None:
    assert score("sooo goood") > 0
    assert score("loooove it") > 0


def test_museum_vocabulary() -> None:
    for text in ["long queue", "broken lift", "rude staff", "overpriced café", "out of order"]:
        assert score(text) < 0, text
    for text in ["stunning", "loved it", "must-see", "hidden gem", "worth every penny"]:
        assert score(text) > 0, text


@pytest.mark.parametrize(
    ("text", "language", "positive"),
    [
        ("L'exposition était magnifique !", "fr", True),
        ("Ce n'était pas génial", "fr", False),
        ("C'était pas mal du tout", "fr", True),
        ("Die Ausstellung war toll", "de", True),
        ("Das war nicht gut", "de", False),
        ("Die Führung gefiel mir nicht", "de", False),
        ("La exposición es preciosa", "es", True),
        ("La cola fue horrible", "es", False),
        ("Bellissima mostra, complimenti", "it", True),
        ("Personale scortese e sporco", "it", False),
        ("Prachtige tentoonstelling", "nl", True),
        ("Het beviel me niet", "nl", False),
        ("Adorei a exposição", "pt", True),
        ("Não gostei nada", "pt", False),
        ("Nagyon tetszett a kiállítás", "hu", True),
        ("Borzasztó volt a sor", "hu", False),
        ("Wystawa była świetna", "pl", True),
        ("Nie podobało mi się", "pl", False),
    ],
)
def test_other_languages(text: str, language: str, positive: bool) -> None:
    value = score(text, language)
    assert (value > 0.1) if positive else (value < -0.1), value


def test_unknown_language_uses_every_lexicon() -> None:
    assert score("Wystawa była świetna", None) > 0
    assert score("magnifique", "und") > 0
