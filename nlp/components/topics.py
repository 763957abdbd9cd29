"""``salon_topics``: taxonomy terms found with a PhraseMatcher, scored per topic.

Terms and posts are compared on ``NORM`` as set by ``salon_normalize`` (lower case, accents
folded, elided articles dropped, plurals lightly stemmed), so "Opening Hours", "opening hours"
and "l'entrée"/"entrées" all match their terms. Each match adds a weight to its topic:

* longer terms weigh more (1 word 0.5, 2 words 1.0, 3 or more 1.3);
* a term listed under several topics is split between them (specificity);
* a translation in a language other than the post's own weighs 0.6 of that (English terms and
  the post's own language keep full weight);
* within a topic, overlapping matches keep the longest; a repeated term adds half each time.

The topic score is ``1 - exp(-1.2 * total)``: one single word gives 0.45, one two-word term
0.70, two distinct two-word terms 0.91.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import srsly
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from config.taxonomy import Taxonomy, default_taxonomy, load_taxonomy, parse_taxonomy
from nlp.components import extensions
from nlp.components.normalize import Normalizer

LENGTH_WEIGHT = {1: 0.5, 2: 1.0}
LONG_TERM_WEIGHT = 1.3
FOREIGN_FACTOR = 0.6
REPEAT_FACTOR = 0.5
SCORE_RATE = 1.2
ENGLISH = "en"


@dataclass(frozen=True, slots=True)
class _Entry:
    """One normalised term: which topics list it, and in which languages (None = base terms)."""

    length: int
    topics: tuple[tuple[str, frozenset[str | None]], ...]


def _topic_weight(length: int, shared_by: int) -> float:
    return LENGTH_WEIGHT.get(length, LONG_TERM_WEIGHT) / shared_by


class TopicMatcher:
    """Scores ``doc._.topics`` from a :class:`~config.taxonomy.Taxonomy`."""

    def __init__(self, nlp: Language, name: str, taxonomy_path: str | None = None) -> None:
        extensions.register_extensions()
        self.nlp = nlp
        self.name = name
        self.taxonomy_path = taxonomy_path
        self._normalizer = Normalizer()
        self._taxonomy: Taxonomy | None = None
        self._matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self._entries: dict[int, _Entry] = {}
        self._languages: frozenset[str] = frozenset()

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy in use (the configured file, or the packaged default, on first use)."""
        if self._taxonomy is None:
            path = self.taxonomy_path
            self.set_taxonomy(load_taxonomy(path) if path else default_taxonomy())
        assert self._taxonomy is not None
        return self._taxonomy

    def set_taxonomy(self, taxonomy: Taxonomy) -> None:
        """Replace the taxonomy and rebuild the phrase patterns."""
        found: dict[str, dict[str, set[str | None]]] = defaultdict(lambda: defaultdict(set))
        docs: dict[str, Doc] = {}
        lengths: dict[str, int] = {}
        for key, topic in taxonomy.topics.items():
            for term, language in topic.all_terms():
                doc = self._normalizer(self.nlp.make_doc(term))
                norms = [t.norm_ for t in doc if not t.is_space]
                if not norms:
                    continue
                pattern = " ".join(norms)
                found[pattern][key].add(language)
                docs.setdefault(pattern, doc)
                lengths[pattern] = sum(1 for t in doc if not (t.is_punct or t.is_space)) or 1
        matcher = PhraseMatcher(self.nlp.vocab, attr="NORM")
        entries: dict[int, _Entry] = {}
        for pattern, topics in found.items():
            matcher.add(pattern, [docs[pattern]])
            entries[self.nlp.vocab.strings[pattern]] = _Entry(
                lengths[pattern],
                tuple((key, frozenset(langs)) for key, langs in sorted(topics.items())),
            )
        self._matcher, self._entries, self._taxonomy = matcher, entries, taxonomy
        self._languages = frozenset([ENGLISH, *taxonomy.languages()])

    def __call__(self, doc: Doc) -> Doc:
        if self._taxonomy is None:
            _ = self.taxonomy
        language = doc._.language
        candidates: dict[str, list[tuple[int, int, int, float]]] = defaultdict(list)
        for match_id, start, end in self._matcher(doc):
            entry = self._entries[match_id]
            shared_by = len(entry.topics)
            for key, languages in entry.topics:
                weight = _topic_weight(entry.length, shared_by)
                if language in self._languages and not languages & {None, language}:
                    weight *= FOREIGN_FACTOR
                candidates[key].append((start, end, match_id, weight))
        scores: dict[str, float] = {}
        for key, spans in candidates.items():
            total = sum(_non_overlapping(spans))
            scores[key] = round(1.0 - math.exp(-SCORE_RATE * total), 4)
        doc._.topics = dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))
        return doc

    # Serialization: the taxonomy travels with the pipeline.
    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The taxonomy as JSON bytes."""
        data: bytes = srsly.json_dumps(self.taxonomy.model_dump(mode="json")).encode("utf-8")
        return data

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> TopicMatcher:
        """Load a taxonomy written by :meth:`to_bytes`."""
        self.set_taxonomy(parse_taxonomy(srsly.json_loads(data.decode("utf-8"))))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write ``taxonomy.json`` into ``path``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "taxonomy.json").write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> TopicMatcher:
        """Read ``taxonomy.json`` from ``path``."""
        return self.from_bytes((Path(path) / "taxonomy.json").read_bytes())


def _non_overlapping(spans: list[tuple[int, int, int, float]]) -> Iterable[float]:
    """Weights of the longest non-overlapping spans; a repeated term counts half each time."""
    taken: set[int] = set()
    seen: dict[int, int] = defaultdict(int)
    for start, end, match_id, weight in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if any(i in taken for i in range(start, end)):
            continue
        taken.update(range(start, end))
        yield weight * REPEAT_FACTOR ** seen[match_id]
        seen[match_id] += 1


@Language.factory(
    "salon_topics",
    assigns=["doc._.topics"],
    requires=["token.norm"],
    default_config={"taxonomy_path": None},
)
def make_topics(nlp: Language, name: str, taxonomy_path: str | None) -> TopicMatcher:
    """Factory for :class:`TopicMatcher` (``taxonomy_path`` None: the packaged default)."""
    return TopicMatcher(nlp, name, taxonomy_path)
