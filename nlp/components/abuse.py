"""``salon_abuse``: a first, lexicon-based abuse score in [0, 1] (a trained model comes later).

Data: ``nlp/lexicons/abuse/terms.tsv`` (insults, slurs, profanity per language) and
``patterns.yaml`` (category weights, what makes a term *aimed* at someone, and harassment or
threat patterns that are abusive by themselves).

The text is folded (lower case, no accents), common obfuscation is undone (``1d10t``,
``f*ck``, ``fuuuck``), and each term hit is weighed by how it is aimed, sentence by sentence:

* *direct*: right after a second-person address ("you absolute idiot", "du Idiot",
  "seu idiota");
* *indirect*: the post names the institution or its people ("your staff are idiots",
  "run by morons", an @mention);
* self-deprecation ("I'm such an idiot") is untargeted;
* otherwise untargeted (swearing about the weather stays low: "fucking amazing" is not abuse).

Hits and patterns combine as a noisy-or. Profanity alone or one untargeted insult stays below
0.5 (the "abusive" threshold); an insult aimed at someone, a slur, harassment ("shut up") or a
threat goes above it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.extensions import doc_text
from nlp.components.language import SUPPORTED, confident_language
from nlp.components.lexicon import read_tsv, read_yaml
from nlp.components.text import MENTION, SENTENCE, URL, fold, fold_pattern
from nlp.patterns import PatternIndex

ENGLISH, SHARED = "en", "xx"
UNTARGETED, INDIRECT, DIRECT = 0, 1, 2
MAX_TERM_WORDS = 4
_WORD = re.compile(r"[^\W_]+")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "i",
    }
)
_OBFUSCATED = re.compile(r"[a-z][0134578@$!|*#]+[a-z]|[a-z][*#]+|[0134578@$][a-z]{2}")
_CANDIDATE = re.compile(r"[\w@$!|*#]*[a-z][\w@$!|*#]*")
_MASK = re.compile(r"[*#]")
_REPEATS = re.compile(r"([a-z])\1{2,}")
MENTION_TOKEN = "mentionedaccount"  # stands in for @handles, which aim abuse at someone


@dataclass(slots=True)
class AbuseRules:
    """Everything needed to score posts in one language."""

    terms: dict[tuple[str, ...], str] = field(default_factory=dict)
    first_words: set[str] = field(default_factory=set)
    by_length: dict[int, list[str]] = field(default_factory=dict)  # single words, for masks
    direct: list[re.Pattern[str]] = field(default_factory=list)
    self_aimed: list[re.Pattern[str]] = field(default_factory=list)
    indirect: PatternIndex = field(default_factory=lambda: PatternIndex(()))
    # Harassment and threat patterns: one index over all of them; ``groups[pid]`` is the
    # (weight, language) group of pattern ``pid``, and ``weights[group]`` its weight.
    harassment: PatternIndex = field(default_factory=lambda: PatternIndex(()))
    groups: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


class AbuseLexicon:
    """Loads the abuse files and builds :class:`AbuseRules` per language on demand."""

    def __init__(self) -> None:
        self._terms: dict[str, list[tuple[str, str]]] = {}
        for lang, term, category in read_tsv("abuse", "terms.tsv", columns=3):
            self._terms.setdefault(lang, []).append((term, category))
        config: dict[str, Any] = read_yaml("abuse", "patterns.yaml")
        self.weights: dict[str, tuple[float, float, float]] = {
            name: (float(w[0]), float(w[1]), float(w[2])) for name, w in config["weights"].items()
        }
        unknown = {c for terms in self._terms.values() for _, c in terms} - set(self.weights)
        if unknown:
            raise ValueError(f"abuse/terms.tsv uses categories without weights: {sorted(unknown)}")
        self._config = config
        self._rules: dict[str, AbuseRules] = {}

    def rules(self, language: str | None) -> AbuseRules:
        """Rules for ``language`` plus English and shared terms (all languages if unknown)."""
        key = language if language in SUPPORTED else "*"
        if key not in self._rules:
            langs = [SHARED, *SUPPORTED] if key == "*" else [SHARED, ENGLISH, key]
            self._rules[key] = self._build(list(dict.fromkeys(langs)))
        return self._rules[key]

    def _build(self, langs: list[str]) -> AbuseRules:
        rules = AbuseRules()
        indirect: list[str] = []
        harassment: list[str] = []
        for lang in langs:
            for term, category in self._terms.get(lang, []):
                words = tuple(_WORD.findall(fold(term)))
                if not words or len(words) > MAX_TERM_WORDS:
                    continue
                previous = rules.terms.get(words)
                if previous is None or self._rank(category) > self._rank(previous):
                    rules.terms[words] = category
                rules.first_words.add(words[0])
                if len(words) == 1:
                    rules.by_length.setdefault(len(words[0]), []).append(words[0])
            rules.direct += _compile_all(self._config.get("direct", {}).get(lang))
            rules.self_aimed += _compile_all(self._config.get("self", {}).get(lang))
            indirect += [fold_pattern(p) for p in self._config.get("indirect", {}).get(lang) or []]
            for weight, by_lang in (self._config.get("harassment") or {}).items():
                patterns = by_lang.get(lang) or []
                if patterns:
                    harassment += [fold_pattern(p) for p in patterns]
                    rules.groups += [len(rules.weights)] * len(patterns)
                    rules.weights.append(float(weight))
        rules.indirect = PatternIndex(indirect)
        rules.harassment = PatternIndex(harassment)
        return rules

    def _rank(self, category: str) -> float:
        return self.weights[category][DIRECT]


def _compile_all(patterns: Iterable[str] | None) -> list[re.Pattern[str]]:
    return [re.compile(fold_pattern(p)) for p in patterns or []]


def _unmask(token: str, rules: AbuseRules) -> str:
    """``f*ck`` -> ``fuck`` when exactly one lexicon word of that length fits the mask."""
    pattern = re.compile("".join("." if _MASK.match(ch) else re.escape(ch) for ch in token))
    fits = {word for word in rules.by_length.get(len(token), ()) if pattern.fullmatch(word)}
    return fits.pop() if len(fits) == 1 else token


def deobfuscate(text: str, rules: AbuseRules) -> str:
    """Undo leetspeak, masks and letter stretching in already folded text."""
    if not _OBFUSCATED.search(text) and not _REPEATS.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        token = match.group()
        core = token.rstrip("!|")  # "idiot!!" keeps its exclamation marks
        tail = token[len(core) :]
        if _MASK.search(core):
            core = _unmask(core, rules)
        elif any(ch in "0134578@$!|" for ch in core):
            core = core.translate(_LEET)
        return _REPEATS.sub(r"\1", core) + tail

    return _CANDIDATE.sub(fix, text)


def score_abuse(
    text: str, rules: AbuseRules, weights: dict[str, tuple[float, float, float]]
) -> float:
    """The abuse score in [0, 1] of ``text``."""
    folded = fold(URL.sub(" ", text))
    folded = MENTION.sub(f" {MENTION_TOKEN} ", folded)
    cleaned = deobfuscate(folded, rules)
    keep = 1.0  # probability that nothing is abusive (noisy-or)
    for group in {rules.groups[pid] for pid in rules.harassment.matching(cleaned)}:
        keep *= 1.0 - rules.weights[group]
    if rules.first_words.isdisjoint(_WORD.findall(cleaned)):  # no term can start anywhere
        return round(1.0 - keep, 4) if keep < 1.0 else 0.0
    aimed_at_us = MENTION_TOKEN in cleaned or bool(rules.indirect.matching(cleaned))
    for match in SENTENCE.finditer(cleaned):
        sentence = match.group()
        words = [(m.group(), m.start()) for m in _WORD.finditer(sentence)]
        index = 0
        while index < len(words):
            hit = _term_at(words, index, rules)
            if hit is None:
                index += 1
                continue
            length, category = hit
            before = sentence[: words[index][1]]
            if any(p.search(before) for p in rules.self_aimed):
                aim = UNTARGETED
            elif any(p.search(before) for p in rules.direct):
                aim = DIRECT
            else:
                aim = INDIRECT if aimed_at_us else UNTARGETED
            keep *= 1.0 - weights[category][aim]
            index += length
    return round(1.0 - keep, 4) if keep < 1.0 else 0.0


def _term_at(words: list[tuple[str, int]], index: int, rules: AbuseRules) -> tuple[int, str] | None:
    if words[index][0] not in rules.first_words:
        return None
    for length in range(min(MAX_TERM_WORDS, len(words) - index), 0, -1):
        key = tuple(word for word, _ in words[index : index + length])
        category = rules.terms.get(key)
        if category is not None:
            return length, category
    return None


class AbuseComponent:
    """Sets ``doc._.abuse``."""

    def __init__(self, name: str) -> None:
        extensions.register_extensions()
        self.name = name
        self.lexicon = AbuseLexicon()

    def __call__(self, doc: Doc) -> Doc:
        rules = self.lexicon.rules(confident_language(doc))
        doc._.abuse = score_abuse(doc_text(doc), rules, self.lexicon.weights)
        return doc


@Language.factory(
    "salon_abuse",
    assigns=["doc._.abuse"],
    requires=["doc._.language"],
    default_config={},
)
def make_abuse(nlp: Language, name: str) -> AbuseComponent:
    """Factory for :class:`AbuseComponent`."""
    return AbuseComponent(name)
