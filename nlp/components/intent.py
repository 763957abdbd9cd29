"""``salon_intent``: multi-label intents: question, complaint, praise, suggestion, request.

Two layers:

1. **Cues** -- regular expressions in ``nlp/lexicons/intent/cues.yaml``, per intent and language,
   matched sentence by sentence on folded text (lower case, no accents, URLs and @mentions
   removed). The post's language picks its cues; English cues always apply (posts mix
   languages); an undetermined post uses every language. Evidence adds up per intent:

   * a rhetorical sentence ("who even does that?", "why is it closed again?") earns no question
     credit and adds complaint evidence; after one, a bare "?" elsewhere counts a third;
   * a sentence that is a request ("could you send me the slides?") or not a question ("what a
     day!", "anyone else going?") earns no credit from its "?" or its opening words;
   * sarcasm ("cheers for that", "Brilliant move 👏", 🙄) adds complaint evidence and cancels
     praise;
   * sentiment feeds complaint (negative) and praise (positive); thanks and please count as
     praise only when the post asks nothing; a suggestion phrased as a question ("why not open
     on Mondays?") is mostly a suggestion.

   ``score = 1 - exp(-evidence)``: the default scores (``score_intents``). Which of the
   hundreds of patterns can match a sentence is found through an index of their literal
   prefixes (:mod:`nlp.patterns`), so the component stays fast as the cue file grows.

2. **Trained model**, opt-in (``config={"use_model": True}``, or ``model_path``): one logistic
   regression per intent over the cue scores and hashed word/character n-grams
   (:mod:`nlp.intent.model`), trained on ``nlp/data/intent/train.jsonl`` by
   ``python -m nlp.intent.train`` and shipped in ``nlp/models/intent``; 0.5 is each intent's
   tuned decision point. It is not the default: on the training posts' cross-validation it did
   not beat the cues, and it halves the component's speed (see ``nlp/data/intent/README.md``).
   Retrained on an institution's own labelled posts it may.

``doc._.intents`` always holds all five intents with scores in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.batching import BatchComponent
from nlp.components.extensions import doc_text
from nlp.components.language import SUPPORTED, confident_language
from nlp.components.lexicon import read_yaml
from nlp.components.model_folder import ModelFolderIO
from nlp.components.text import MENTION, SENTENCE, URL, fold, fold_pattern, squeeze
from nlp.intent import INTENTS, MODEL_DIR
from nlp.patterns import PatternIndex

if TYPE_CHECKING:  # the model module imports nlp.textcat, which imports the components
    from nlp.intent.model import IntentModel

ENGLISH, ANY = "en", "any"
SENTIMENT_WEIGHT = 1.2  # evidence per unit of sentiment score (complaint / praise)
POLITE_WEIGHT = 0.4
RHETORICAL_COMPLAINT = 1.0
SUGGESTION_QUESTION_DAMPING = 0.3
SARCASM_COMPLAINT = 1.0
REQUEST_SENTENCE = 1.0  # request evidence that makes a sentence a request, not a question
RHETORICAL_CONTEXT_MARK = 1 / 3  # weight of a bare "?" in a post with a rhetorical sentence

SECTIONS = ("question_mark", "rhetorical", "not_question", "sarcasm", "polite")
POST_SECTIONS = ("sarcasm", "polite")


def _compile(pattern: str) -> str:
    """Fold a cue like the text; a leading ``^`` allows punctuation/emoji before the words."""
    folded = fold_pattern(pattern)
    return r"^\W*" + folded[1:] if folded.startswith("^") else folded


@dataclass(frozen=True, slots=True)
class CueGroup:
    """Patterns (ids in the set's index) that together add ``weight`` once per sentence."""

    weight: float
    anchored: bool  # at the start of the sentence
    ids: frozenset[int]


@dataclass(slots=True)
class CueSet:
    """Every cue that applies to one language: groups per section, and one pattern index for
    the sections matched per sentence, one for those matched on the whole post."""

    groups: dict[str, list[CueGroup]]
    index: PatternIndex
    post_index: PatternIndex


def _total(groups: list[CueGroup], hits: set[int], anchored: bool = True) -> float:
    return sum(g.weight for g in groups if (anchored or not g.anchored) and g.ids & hits)


def _fires(groups: list[CueGroup], hits: set[int]) -> bool:
    return any(g.ids & hits for g in groups)


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
        """Cue nodes (``{weight: [patterns]}`` or a plain list, weight 1) of ``langs`` -> one
        group per section, weight and anchoring."""
        groups: dict[str, list[CueGroup]] = {}
        tables: tuple[dict[str, int], dict[str, int]] = ({}, {})  # per sentence, per post
        for section in (*INTENTS, *SECTIONS):
            patterns = tables[section in POST_SECTIONS]
            chosen: dict[tuple[float, bool], set[int]] = {}
            for lang in langs:
                node = self._raw.get(section, {}).get(lang)
                items = node.items() if isinstance(node, dict) else [(1.0, node or [])]
                for weight, group in items:
                    for pattern in group or []:
                        compiled = _compile(str(pattern))
                        pid = patterns.setdefault(compiled, len(patterns))
                        key = (float(weight), compiled.startswith("^"))
                        chosen.setdefault(key, set()).add(pid)
            groups[section] = [
                CueGroup(weight, anchored, frozenset(ids))
                for (weight, anchored), ids in sorted(chosen.items())
            ]
        return CueSet(groups, PatternIndex(tables[0]), PatternIndex(tables[1]))


@dataclass(slots=True)
class CueEvidence:
    """What the cues found in one post, before sentiment: evidence per intent, the number of
    rhetorical sentences, and whether it is sarcastic and whether it thanks or says please."""

    intents: dict[str, float]
    rhetorical: int = 0
    sarcastic: bool = False
    polite: bool = False


def cue_evidence(text: str, cues: CueSet) -> CueEvidence:
    """Add up the cues of ``text`` sentence by sentence (see the module docstring)."""
    clean = squeeze(fold(MENTION.sub(" ", URL.sub(" ", text))), 1)  # "pleaseeee" -> "please"
    evidence = dict.fromkeys(INTENTS, 0.0)
    groups, index = cues.groups, cues.index
    rhetorical = 0
    bare_marks = 0.0  # question-mark credit of sentences without any other question cue
    for match in SENTENCE.finditer(clean):
        sentence = match.group().strip()
        if not sentence:
            continue
        hits = index.matching(sentence)
        if not hits:
            continue
        for intent in INTENTS[1:]:
            evidence[intent] += _total(groups[intent], hits)
        if _fires(groups["rhetorical"], hits):
            rhetorical += 1
            continue
        if _fires(groups["not_question"], hits):
            continue
        if _total(groups["request"], hits) >= REQUEST_SENTENCE:
            evidence["question"] += _total(groups["question"], hits, anchored=False)
            continue
        worded = _total(groups["question"], hits)  # phrases, and opening words at the start
        marks = _total(groups["question_mark"], hits)
        evidence["question"] += worded + marks
        if not worded:
            bare_marks += marks
    if rhetorical:
        evidence["question"] -= bare_marks * (1.0 - RHETORICAL_CONTEXT_MARK)
    post = cues.post_index.matching(clean)
    return CueEvidence(
        evidence, rhetorical, _fires(groups["sarcasm"], post), _fires(groups["polite"], post)
    )


def rule_evidence(found: CueEvidence, sentiment_score: float = 0.0) -> dict[str, float]:
    """Combine cue evidence with the sentiment score into evidence per intent (>= 0)."""
    evidence = dict(found.intents)
    evidence["complaint"] += RHETORICAL_COMPLAINT * found.rhetorical
    if found.sarcastic:
        evidence["complaint"] += SARCASM_COMPLAINT
        evidence["praise"] = 0.0
        sentiment_score = -abs(sentiment_score)  # "Brilliant move 👏" is not positive
    if evidence["suggestion"] and evidence["question"]:
        evidence["question"] *= SUGGESTION_QUESTION_DAMPING
    asks = evidence["question"] > 0 or evidence["request"] > 0
    if not asks and found.polite and not found.sarcastic:
        evidence["praise"] += POLITE_WEIGHT
    if sentiment_score < 0:
        evidence["complaint"] += SENTIMENT_WEIGHT * -sentiment_score
    elif sentiment_score > 0:
        damped = asks or evidence["suggestion"] > 0  # "it would be great if ..." is not praise
        evidence["praise"] += SENTIMENT_WEIGHT * sentiment_score * (0.5 if damped else 1.0)
    return evidence


N_FEATURES = 2 * len(INTENTS) + 6


def intent_features(text: str, found: CueEvidence, sentiment_score: float) -> list[float]:
    """The cue layer's view of a post as :data:`N_FEATURES` numbers for the trained model: rule
    scores, raw cue scores (no sentiment), rhetorical, sarcastic and polite flags, positive and
    negative sentiment, and whether the post has a question mark."""
    evidence = rule_evidence(found, sentiment_score)
    return [
        *(1.0 - math.exp(-evidence[intent]) for intent in INTENTS),
        *(1.0 - math.exp(-found.intents[intent]) for intent in INTENTS),
        float(found.rhetorical > 0),
        float(found.sarcastic),
        float(found.polite),
        max(sentiment_score, 0.0),
        max(-sentiment_score, 0.0),
        float("?" in text),
    ]


def score_intents(text: str, cues: CueSet, sentiment_score: float = 0.0) -> dict[str, float]:
    """Cue-only intent scores in [0, 1] for ``text`` (all five intents, rounded to four places)."""
    evidence = rule_evidence(cue_evidence(text, cues), sentiment_score)
    return _scores(evidence)


def _scores(evidence: dict[str, float]) -> dict[str, float]:
    return {intent: round(1.0 - math.exp(-evidence[intent]), 4) for intent in INTENTS}


class IntentComponent(ModelFolderIO, BatchComponent):
    """Sets ``doc._.intents`` from the cues and the sentiment score, or from the trained model
    over them when one is given."""

    def __init__(
        self,
        name: str,
        model: IntentModel | None = None,
        batch_size: int = 256,
        model_dir: Path | None = None,
    ) -> None:
        extensions.register_extensions()
        self.name = name
        self.cues = IntentCues()
        self.model = model
        self.model_dir = model_dir
        self.batch_size = batch_size

    def load_model_dir(self, folder: Path | None) -> None:
        """Use the trained model in ``folder`` (``None``: cues only)."""
        from nlp.intent.model import load_intent_model

        self.model = load_intent_model(folder) if folder is not None else None
        self.model_dir = folder

    def _evidence(self, doc: Doc) -> tuple[str, CueEvidence, float]:
        text = doc_text(doc)
        found = cue_evidence(text, self.cues.for_language(confident_language(doc)))
        return text, found, float(doc._.sentiment_score or 0.0)

    def set_batch(self, docs: list[Doc]) -> None:
        """Score a batch (the trained model, if any, runs once per batch)."""
        seen = [self._evidence(doc) for doc in docs]
        if self.model is None:
            for doc, (_, found, sentiment) in zip(docs, seen, strict=True):
                doc._.intents = _scores(rule_evidence(found, sentiment))
            return
        dense = np.array([intent_features(*row) for row in seen])
        probs = self.model.predict_proba([row[0] for row in seen], dense)
        for doc, row in zip(docs, probs.tolist(), strict=True):
            doc._.intents = {i: round(p, 4) for i, p in zip(INTENTS, row, strict=True)}


@Language.factory(
    "salon_intent",
    assigns=["doc._.intents"],
    requires=["doc._.language", "doc._.sentiment_score"],
    default_config={"use_model": False, "model_path": None, "batch_size": 256},
)
def make_intent(
    nlp: Language, name: str, use_model: bool, model_path: str | None, batch_size: int
) -> IntentComponent:
    """Factory for :class:`IntentComponent`: cues only by default; ``use_model`` adds the
    trained model of ``model_path`` (default: the shipped ``nlp/models/intent``)."""
    if not (use_model or model_path):
        return IntentComponent(name, None, batch_size)
    component = IntentComponent(name, None, batch_size)
    component.load_model_dir(Path(model_path) if model_path else MODEL_DIR)
    return component
