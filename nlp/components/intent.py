"""``salon_intent``: cue-based, multi-label intents: question, complaint, praise, suggestion,
request.

Cues are regular expressions in ``nlp/lexicons/intent/cues.yaml``, per intent and language,
matched sentence by sentence on folded text (lower case, no accents, URLs and @mentions
removed). The post's language picks its cues; English cues always apply (posts mix languages);
an undetermined post uses every language. Evidence adds up and becomes a score
``1 - exp(-evidence)``; ``doc._.intents`` always holds all five intents.

Beyond the cues:

* a sentence that is a rhetorical question ("who even does that?", "why would anyone ...")
  earns no question credit and adds complaint evidence;
* exclamations ("what a day", "can't wait") do not count as sentence-initial question cues;
* sentiment feeds complaint (negative) and praise (positive); thanks and please count as praise
  only when the post asks nothing;
* a suggestion phrased as a question ("why not open on Mondays?") is mostly a suggestion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.extensions import doc_text
from nlp.components.language import SUPPORTED, confident_language
from nlp.components.lexicon import read_yaml
from nlp.components.text import MENTION, SENTENCE, URL, fold, fold_pattern, squeeze

INTENTS = ("question", "complaint", "praise", "suggestion", "request")
ENGLISH, ANY = "en", "any"
SENTIMENT_WEIGHT = 1.2  # evidence per unit of sentiment score (complaint / praise)
POLITE_WEIGHT = 0.4
RHETORICAL_COMPLAINT = 1.0
SUGGESTION_QUESTION_DAMPING = 0.3

# (weight, alternation of patterns, anchored at the sentence start?)
Cue = tuple[float, re.Pattern[str], bool]


def _compile(pattern: str) -> str:
    """Fold a cue like the text; a leading ``^`` allows punctuation/emoji before the words."""
    folded = fold_pattern(pattern)
    return r"^\W*" + folded[1:] if folded.startswith("^") else folded


def _groups(nodes: Iterable[Any]) -> list[Cue]:
    """Cue nodes (``{weight: [patterns]}`` or a plain list, weight 1) of several languages ->
    one alternation per weight and anchoring, so each is searched once per sentence."""
    chosen: dict[tuple[float, bool], list[str]] = {}
    for node in nodes:
        if not node:
            continue
        items = node.items() if isinstance(node, dict) else [(1.0, node)]
        for weight, patterns in items:
            for pattern in patterns or []:
                text = str(pattern)
                chosen.setdefault((float(weight), text.startswith("^")), []).append(text)
    return [
        (weight, _alternation([_compile(p) for p in patterns]), anchored)
        for (weight, anchored), patterns in sorted(chosen.items())
    ]


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One regex for many; a leading ``\\b`` shared by all is hoisted into a single lookbehind,
    which roughly halves the search time of a large alternation."""
    if all(p.startswith("\\b") for p in patterns):
        return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p[2:]})" for p in patterns) + ")")
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@dataclass(slots=True)
class CueSet:
    """Every cue that applies to one language."""

    intents: dict[str, list[Cue]] = field(default_factory=lambda: {i: [] for i in INTENTS})
    rhetorical: list[Cue] = field(default_factory=list)
    not_question: list[Cue] = field(default_factory=list)
    polite: list[Cue] = field(default_factory=list)


class IntentCues:
    """The cue file, compiled per language on first use."""

    def __init__(self) -> None:
        self._raw: dict[str, dict[str, Any]] = read_yaml("intent", "cues.yaml")
        self._sets: dict[str, CueSet] = {}

    def for_language(self, language: str | None) -> CueSet:
        """Cues for ``language`` plus English and language-independent ones."""
        key = language if language in SUPPORTED else "*"
        if key not in self._sets:
            langs = [ANY, *SUPPORTED] if key == "*" else list(dict.fromkeys([ANY, ENGLISH, key]))
            self._sets[key] = self._build(langs)
        return self._sets[key]

    def _build(self, langs: list[str]) -> CueSet:
        def nodes(section: str) -> list[Any]:
            return [self._raw.get(section, {}).get(lang) for lang in langs]

        return CueSet(
            intents={intent: _groups(nodes(intent)) for intent in INTENTS},
            rhetorical=_groups(nodes("rhetorical")),
            not_question=_groups(nodes("not_question")),
            polite=_groups(nodes("polite")),
        )


def _sum(cues: list[Cue], sentence: str, anchored: bool = True) -> float:
    return sum(
        w
        for w, pattern, at_start in cues
        if (anchored or not at_start) and pattern.search(sentence)
    )


def _any(cues: list[Cue], sentence: str) -> bool:
    return any(pattern.search(sentence) for _, pattern, _ in cues)


def score_intents(text: str, cues: CueSet, sentiment_score: float = 0.0) -> dict[str, float]:
    """Intent scores in [0, 1] for ``text`` (all five intents, rounded to four places)."""
    clean = squeeze(fold(MENTION.sub(" ", URL.sub(" ", text))), 1)  # "pleaseeee" -> "please"
    evidence = dict.fromkeys(INTENTS, 0.0)
    questions = cues.intents["question"]
    at_start = [cue for cue in questions if cue[2]]
    for match in SENTENCE.finditer(clean):
        sentence = match.group().strip()
        if not sentence:
            continue
        for intent in INTENTS[1:]:
            evidence[intent] += _sum(cues.intents[intent], sentence)
        if _any(cues.rhetorical, sentence):
            evidence["complaint"] += RHETORICAL_COMPLAINT
            continue
        evidence["question"] += _sum(questions, sentence, anchored=False)
        opening = _sum(at_start, sentence)
        if opening and not _any(cues.not_question, sentence):
            evidence["question"] += opening
    if evidence["suggestion"] and evidence["question"]:
        evidence["question"] *= SUGGESTION_QUESTION_DAMPING
    asks = evidence["question"] > 0 or evidence["request"] > 0
    if not asks and _any(cues.polite, clean):
        evidence["praise"] += POLITE_WEIGHT
    if sentiment_score < 0:
        evidence["complaint"] += SENTIMENT_WEIGHT * -sentiment_score
    elif sentiment_score > 0:
        damped = asks or evidence["suggestion"] > 0  # "it would be great if ..." is not praise
        evidence["praise"] += SENTIMENT_WEIGHT * sentiment_score * (0.5 if damped else 1.0)
    return {intent: round(1.0 - math.exp(-evidence[intent]), 4) for intent in INTENTS}


class IntentComponent:
    """Sets ``doc._.intents`` from cues and the sentiment score."""

    def __init__(self, name: str) -> None:
        extensions.register_extensions()
        self.name = name
        self.cues = IntentCues()

    def __call__(self, doc: Doc) -> Doc:
        cues = self.cues.for_language(confident_language(doc))
        doc._.intents = score_intents(doc_text(doc), cues, doc._.sentiment_score or 0.0)
        return doc


@Language.factory(
    "salon_intent",
    assigns=["doc._.intents"],
    requires=["doc._.language", "doc._.sentiment_score"],
    default_config={},
)
def make_intent(nlp: Language, name: str) -> IntentComponent:
    """Factory for :class:`IntentComponent`."""
    return IntentComponent(name)
