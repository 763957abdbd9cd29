"""salon_abuse: insults aimed at people or the institution, slurs, harassment and threats."""

from __future__ import annotations

import pytest

from tests.nlp.pipelines import run


def abuse(text: str, language: str | None = None) -> float:
    return float(run(text, language, last="salon_abuse")._.abuse)


@pytest.mark.parametrize(
    "text",
    [
        "You are an idiot",
        "you absolute 1d10t",
        "f*ck you",
        "fuuuuck youuuu",
        "Your staff are a bunch of morons",
        "@NatMuseum you useless idiots",
        "whoever runs your comms is a coward and an idiot",
        "She's a disgrace and a liar",
        "Shut up",
        "I will burn the museum down",
        "I hope you die",
        "kys",
        "T'es qu'un connard",
        "Du Idiot",
        "Sei proprio uno stronzo",
        "Jullie zijn een stel idioten",
        "Seu idiota",
        "Te hülye vagy",
        "Ty debilu",
        "Spierdalaj",
        "Vete a la mierda",
    ],
)
def test_abusive(text: str) -> None:
    assert abuse(text) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "This exhibition is fucking amazing",
        "What a shit day, train cancelled",
        "I'm such an idiot, forgot my tickets",
        "stupid website won't load",
        "Great exhibition about Nazi propaganda",
        "Your cow exhibit is lovely",
        "The Van Dyck portraits are stunning",
        "A chink in the armour, literally: the 1540 harness",
        "We always get lost in this museum",
        "shut up and take my money",
        "Kurwa, ale kolejka",
        "The lift is broken again and nobody answered",
        "",
    ],
)
def test_not_abusive(text: str) -> None:
    assert abuse(text) < 0.5


def test_aim_matters() -> None:
    untargeted = abuse("what an idiotic rule")
    aimed = abuse("you are idiotic")
    assert untargeted < 0.5 <= aimed


def test_threats_score_highest() -> None:
    assert abuse("I will kill you") > abuse("You are an idiot") > abuse("idiot")


def test_several_hits_add_up() -> None:
    assert abuse("@museum pathetic, spineless, useless") > abuse("@museum pathetic")


def test_unknown_language_checks_every_lexicon() -> None:
    assert abuse("Spierdalaj", None) >= 0.5
    assert abuse("Spierdalaj", "pl") >= 0.5
