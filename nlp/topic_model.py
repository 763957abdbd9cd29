"""A topic model that learns from staff corrections, on top of the taxonomy matcher.

The taxonomy's phrase matcher (``salon_topics``) knows only the terms staff wrote down. When
staff correct topics in the staff bot ("Wrong topic" -> the right ones), each correction is a
labelled post. Once a topic has enough of them (``min_examples``, default 15), ``salon nlp
train --task topics`` fits one logistic regression per topic on hashed word and character
n-grams, and the ``salon_topic_model`` component adds the topics it is sure of (probability at
least ``threshold``) to those the matcher found.

Training needs scikit-learn (``pip install 'salon[train]'``); inference needs numpy only. Data
is JSON Lines, one labelled post per line: ``{"text": "...", "topics": ["visiting.hours"]}``
(an empty list means "none of the taxonomy's topics").
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.errors import NlpDataError
from nlp.textcat.features import FeatureConfig, FeatureExtractor, SparseBatch
from nlp.textcat.weighting import compute_idf, row_sums, unseen_idf, weight

MODEL_FILE = "topics.npz"
FEATURES = FeatureConfig(word_bits=17, word_ngrams=2, char_bits=17, char_min=3, char_max=5)
MIN_EXAMPLES = 15
HOLDOUT_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class TopicExample:
    """One labelled post."""

    text: str
    topics: frozenset[str]


def read_examples(path: Path, known_topics: Iterable[str] | None = None) -> list[TopicExample]:
    """Labelled posts from a JSONL file; each bad line is reported as ``file:line: problem``."""
    if not path.is_file():
        raise NlpDataError(f"{path}: no such file (expected JSON Lines of text and topics)")
    known = set(known_topics) if known_topics is not None else None
    examples, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        text, topics = (item.get("text"), item.get("topics")) if isinstance(item, dict) else (0, 0)
        if not isinstance(text, str) or not text.strip():
            problems.append(f'{where}: "text" must be a non-empty string')
        elif not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            problems.append(f'{where}: "topics" must be a list of topic keys')
        elif known is not None and (unknown := sorted(set(topics) - known)):
            problems.append(f"{where}: unknown topic(s) {', '.join(unknown)} (not in the taxonomy)")
        else:
            examples.append(TopicExample(text, frozenset(topics)))
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise NlpDataError(f"{len(problems)} bad line(s) in {path}:\n  {shown}{more}")
    return examples


def split_holdout(
    examples: Sequence[TopicExample], share: float = HOLDOUT_SHARE
) -> tuple[list[TopicExample], list[TopicExample]]:
    """A deterministic train/held-out split by a hash of the text (stable across runs)."""
    cut = int(share * 1000)
    train: list[TopicExample] = []
    held: list[TopicExample] = []
    for example in examples:
        bucket = zlib.crc32(example.text.encode("utf-8")) % 1000
        (held if bucket < cut else train).append(example)
    return train, held


class TopicModel:
    """One sigmoid per learned topic over hashed n-grams; numpy-only inference."""

    def __init__(
        self,
        topics: Sequence[str],
        cols: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        idf: np.ndarray,
        idf_unseen: float,
        config: FeatureConfig = FEATURES,
        version: str = "0",
    ) -> None:
        self.topics = tuple(topics)
        self.config = config
        self.version = version
        self.extractor = FeatureExtractor(config)
        n = config.n_features
        self._cols, self._coef_compact, self._idf_compact = cols, coef, idf
        self._coef = np.zeros((n, len(self.topics)), dtype=np.float32)
        self._coef[cols] = coef
        self._idf = np.full(n, idf_unseen, dtype=np.float32)
        self._idf[: config.word_offset] = 1.0
        self._idf[cols] = idf
        self.idf_unseen = idf_unseen
        self._intercept = intercept.astype(np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), len(topics))`` independent probabilities."""
        batch = self.extractor.transform(texts)
        vals = weight(batch, self._idf, self.config)
        contrib = np.take(self._coef, batch.indices, axis=0) * vals[:, None]
        scores = row_sums(contrib, batch.indptr)
        return 1.0 / (1.0 + np.exp(-(scores + self._intercept)))

    def save(self, folder: Path, meta: dict[str, Any]) -> Path:
        """Write ``topics.npz`` and ``meta.json`` into ``folder``; return the model file."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / MODEL_FILE
        np.savez_compressed(
            path,
            topics=np.array(self.topics, dtype=str),
            cols=self._cols.astype(np.int32),
            coef=self._coef_compact.astype(np.float16),
            intercept=self._intercept.astype(np.float32),
            idf=self._idf_compact.astype(np.float32),
            idf_unseen=np.float32(self.idf_unseen),
            feature_config=np.array(json.dumps(self.config.to_dict())),
        )
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> TopicModel:
        """Load a model written by :meth:`save` (a clear error if the folder is not one)."""
        path = Path(folder) / MODEL_FILE
        if not path.is_file():
            raise NlpDataError(
                f"{folder}: no {MODEL_FILE} here; train one with "
                "`salon nlp train --task topics --data DIR --out DIR`"
            )
        meta_path = Path(folder) / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        with np.load(path, allow_pickle=False) as data:
            return cls(
                topics=data["topics"].tolist(),
                cols=data["cols"].astype(np.int64),
                coef=data["coef"].astype(np.float32),
                intercept=data["intercept"],
                idf=data["idf"].astype(np.float32),
                idf_unseen=float(data["idf_unseen"]),
                config=FeatureConfig.from_dict(json.loads(str(data["feature_config"]))),
                version=str(meta.get("version", "0")),
            )


def _csr(batch: SparseBatch, values: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix

    return csr_matrix((values, batch.indices, batch.indptr), shape=(batch.n_rows, batch.n_cols))


def learnable_topics(examples: Sequence[TopicExample], min_examples: int) -> list[str]:
    """Topics with at least ``min_examples`` positive and as many negative examples."""
    counts = Counter(topic for example in examples for topic in example.topics)
    return sorted(t for t, n in counts.items() if min_examples <= n <= len(examples) - min_examples)


def fit_topic_model(
    examples: Sequence[TopicExample], min_examples: int = MIN_EXAMPLES, version: str = "0"
) -> TopicModel:
    """Fit one L2-regularised logistic regression per learnable topic (needs scikit-learn)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise NlpDataError(
            "training needs scikit-learn: pip install 'salon[train]' (inference does not)"
        ) from exc
    topics = learnable_topics(examples, min_examples)
    if not topics:
        counts = Counter(topic for example in examples for topic in example.topics)
        best = ", ".join(f"{t} {n}" for t, n in counts.most_common(3)) or "none"
        raise NlpDataError(
            f"not enough labels yet: every topic needs at least {min_examples} labelled posts "
            f"with it and {min_examples} without it (most labelled: {best}; "
            f"{len(examples)} posts in all). Keep correcting topics in the staff bot."
        )
    extractor = FeatureExtractor(FEATURES)
    batch = extractor.transform([example.text for example in examples])
    idf = compute_idf(batch, FEATURES)
    matrix = _csr(batch, weight(batch, idf, FEATURES))
    coef = np.zeros((batch.n_cols, len(topics)), dtype=np.float32)
    intercept = np.zeros(len(topics))
    for j, topic in enumerate(topics):
        labels = np.array([topic in example.topics for example in examples])
        clf = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear")
        clf.fit(matrix, labels)
        coef[:, j] = clf.coef_[0]
        intercept[j] = clf.intercept_[0]
    cols = np.flatnonzero(np.abs(coef).max(axis=1) > 1e-4)
    return TopicModel(
        topics, cols, coef[cols], intercept, idf[cols], unseen_idf(len(examples)), version=version
    )
