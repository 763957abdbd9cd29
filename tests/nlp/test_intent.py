"""salon_intent: multi-label cues for question, complaint, praise, suggestion and request."""

from __future__ import annotations

import pytest

from nlp.components.intent import INTENTS
from tests.nlp.pipelines import run

THRESHOLD = 0.5  # the default nlp.min_intent_score of the rules


def intents(text: str, language: str | None = None) -> dict[str, float]:
    return dict(run(text, language, last="salon_intent")._.intents)


def labels(text: str, language: str | None = None) -> set[str]:
    return {name for name, value in intents(text, language).items() if value >= THRESHOLD}


def test_every_intent_is_always_scored() -> None:
    for text in ["", "Hello", "What time do you open?"]:
        found = intents(text)
        assert tuple(found) == INTENTS
        assert all(0.0 <= value <= 1.0 for value in found.values())


@pytest.mark.parametrize(
    "text",
    [
        "What time do you open on Monday?",
        "when do you open on sundays",
        "wondering if you're open on the bank holiday",
        "Does anyone know if the café takes cards",
        "is it possible to bring a pram inside",
        "Can I bring my dog",
        "Quick question, do members get in free",
        "Est-ce que le musée est ouvert le lundi",
        "Weiß jemand, ob man dort parken kann",
        "¿Cuánto cuesta la entrada?",
        "Czy muzeum jest otwarte w poniedziałek",
        "Nyitva van-e a múzeum hétfőn",
    ],
)
def test_questions_with_and_without_question_marks(text: str) -> None:
    assert "question" in labels(text)


@pytest.mark.parametrize(
    "text",
    [
        "Who even designs a museum without benches?",
        "Why would anyone put the toilets in the basement?",
        "What's the point of booking if you ignore it?",
        "Seriously? Closed again?",
    ],
)
def test_rhetorical_questions_lean_complaint(text: str) -> None:
    found = intents(text)
    assert found["complaint"] >= THRESHOLD > found["question"]


def test_exclamations_are_not_questions() -> None:
    assert "question" not in labels("What a wonderful day at the museum!")
    assert "question" not in labels("Can't wait to visit!")


@pytest.mark.parametrize(
    "text",
    [
        "You should open on Mondays",
        "It would be great if you had more seating",
        "Why not open later on Fridays?",
        "Maybe add more sessions?",
        "Ihr solltet mehr Bänke aufstellen",
        "Ce serait bien d'avoir plus de bancs",
    ],
)
def test_suggestions(text: str) -> None:
    found = intents(text)
    assert found["suggestion"] >= THRESHOLD
    assert found["suggestion"] > found["question"]
    assert found["praise"] < THRESHOLD  # "would be great" is not praise


@pytest.mark.parametrize(
    "text",
    [
        "Please send me the link to the recording",
        "Can you send me the recording?",
        "Could someone get back to me about my booking",
        "Pouvez-vous m'envoyer le programme ?",
    ],
)
def test_requests(text: str) -> None:
    assert "request" in labels(text)


def test_complaints_and_praise() -> None:
    assert "complaint" in labels("The lift is broken again and nobody answered my email")
    assert "complaint" in labels("Staff were rude. Unacceptable.")
    assert "praise" in labels("Loved the exhibition, thank you so much!")
    assert "praise" in labels("Bravo pour cette exposition magnifique", "fr")
    assert labels("The museum opens at ten.") == set()


def test_thanks_after_a_question_is_not_praise() -> None:
    found = intents("What time do you open? Thanks!")
    assert found["question"] >= THRESHOLD > found["praise"]
    assert intents("Thanks!")["praise"] >= THRESHOLD


@pytest.mark.parametrize(
    "text",
    [
        "wondering if the cafe is open sunday",
        "just checking the library is open on the 26th",
        "anyone kno if the tram stop by the gallery is running this wknd",
        "hey does the library have a 3D printer people can use",
        "r u guys open late tonight",
        "trying to figure out whether the 46 bus still stops outside",
    ],
)
def test_questions_without_question_marks_or_question_words(text: str) -> None:
    assert "question" in labels(text)


@pytest.mark.parametrize(
    "text",
    [
        "who even designs a museum with no benches?!",
        "is this a museum or an airport, three security checks to see a painting",
        "Why is the library closed AGAIN on a saturday?",
        "what even is the point of a members' lounge that's always closed",
        "Is anyone going to fix the lift or should we just bring ropes",
    ],
)
def test_rhetorical_questions_are_complaints_not_questions(text: str) -> None:
    assert labels(text) == {"complaint"}


@pytest.mark.parametrize(
    "text",
    [
        "got charged twice for the same booking on your website, cheers for that",
        "You removed half the chairs from the reading room. Brilliant move 👏",
        "oh good, the website's down on the day tickets go on sale 🙄",
    ],
)
def test_sarcasm_is_a_complaint_not_praise(text: str) -> None:
    found = labels(text)
    assert "complaint" in found and "praise" not in found


def test_a_request_phrased_as_a_question_is_a_request() -> None:
    assert labels("Could you send me the slides from last night's talk?") == {"request"}
    # asking for information stays a question, however politely
    assert labels("Can you tell me whether the exhibition suits under 10s?") == {"question"}


def test_social_chit_chat_is_not_a_question() -> None:
    assert "question" not in labels("Heading to the late opening tonight, anyone else going?")
