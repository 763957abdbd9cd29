"""salon_language: offline detection of nine languages, hints, scripts (speed: bench/)."""

from __future__ import annotations

import pytest

from nlp.components.language import SUPPORTED, LanguageDetector, normalise_hint
from tests.nlp.language_samples import SAMPLES
from tests.nlp.pipelines import run


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


def test_samples_cover_every_supported_language_with_fifteen_sentences() -> None:
    assert set(SAMPLES) == set(SUPPORTED)
    assert all(len(sentences) >= 15 for sentences in SAMPLES.values())


@pytest.mark.parametrize("language", SUPPORTED)
def test_detects_each_language(detector: LanguageDetector, language: str) -> None:
    results = [detector.detect(text) for text in SAMPLES[language]]
    hits = [lang for lang, _ in results].count(language)
    assert hits >= len(SAMPLES[language]) - 1, results  # at most one miss per language
    assert all(0.0 < score <= 1.0 for _, score in results)


def test_overall_accuracy(detector: LanguageDetector) -> None:
    pairs = [(lang, text) for lang, texts in SAMPLES.items() for text in texts]
    correct = sum(detector.detect(text)[0] == lang for lang, text in pairs)
    assert correct / len(pairs) >= 0.97


def test_confidence_is_higher_for_longer_text(detector: LanguageDetector) -> None:
    short = detector.detect("Merci !")
    long = detector.detect("Merci beaucoup pour cette visite, nous avons adoré l'exposition.")
    assert short[0] == long[0] == "fr"
    assert long[1] > short[1]


def test_urls_mentions_and_emoji_are_ignored(detector: LanguageDetector) -> None:
    assert detector.detect("🎉🎉 https://example.org/a-b?c=d @museum") == ("und", 0.0)
    assert detector.detect("") == ("und", 0.0)
    lang, _ = detector.detect("@museo_del_prado https://t.co/xyz ¿A qué hora abrís mañana?")
    assert lang == "es"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今日は美術館に行きました", "ja"),
        ("오늘 박물관에 갔어요", "ko"),
        ("我今天去了博物馆", "zh"),
        ("Πήγαμε στο μουσείο σήμερα", "el"),
        ("Сегодня мы были в музее", "ru"),
        ("Сьогодні ми були в музеї, і це було чудово", "uk"),
    ],
)
def test_other_scripts_are_labelled_by_script(
    detector: LanguageDetector, text: str, expected: str
) -> None:
    lang, score = detector.detect(text)
    assert lang == expected and 0.0 < score < 1.0


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("pt_BR", "pt"),
        ("ZH-Hant", "zh"),
        ("und", None),
        ("", None),
        (None, None),
        ("zxx", None),
        ("english", None),
        (42, None),
    ],
)
def test_platform_tags_are_normalised(tag: object, expected: str | None) -> None:
    assert normalise_hint(tag) == expected


def test_platform_hint_is_trusted_over_detection() -> None:
    doc = run("Wann öffnet das Museum morgen?", language="pt-BR", last="salon_language")
    assert (doc._.language, doc._.language_score) == ("pt", 1.0)


def test_unusable_hint_falls_back_to_detection() -> None:
    doc = run("Wann öffnet das Museum morgen?", language="und", last="salon_language")
    assert doc._.language == "de" and doc._.language_score > 0.9


def test_restricting_languages() -> None:
    english_or_french = LanguageDetector(["en", "fr"])
    assert english_or_french.detect("Wann öffnet das Museum morgen?")[0] in {"en", "fr"}
    with pytest.raises(ValueError, match="unsupported"):
        LanguageDetector(["en", "xx"])


def test_email_addresses_and_entities_are_not_evidence(detector: LanguageDetector) -> None:
    from nlp.components.language import _NOISE

    assert _NOISE.sub(" ", "mail info@museum.org &amp; ok").split() == ["mail", "ok"]
    assert _NOISE.sub(" ", "no@") == "no@"
    # an unbroken run is scanned once, not once per character (this took 40 s before)
    assert detector.detect("x" * 100_000)[0] in {"und", *SUPPORTED}


def test_word_cache_overflow_keeps_scores_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.components.language as language

    texts = [text for samples in SAMPLES.values() for text in samples]
    expected = [LanguageDetector().scores(text) for text in texts]
    monkeypatch.setattr(language, "_CACHE_LIMIT", 12)  # cleared every text or two
    small = LanguageDetector()
    assert [small.scores(text) for text in texts] == expected
