"""Hashed text features for the trained classifiers (numpy only, no training libraries).

A batch of texts becomes one sparse matrix in CSR form (``SparseBatch``) with three column
blocks:

* ``[0, N_DENSE)`` dense hand-made features: lexicon scores with negation scope, punctuation,
  capitals, elongation, emoji, length; with ``FeatureConfig.toxicity`` one more column,
  ``tox_score``: the decision value of a profanity model's word weights (``lexicon.py``);
* word n-grams (1..``word_ngrams``) hashed into ``2**word_bits`` columns; tokens inside a
  negation scope carry a ``_NEG`` suffix;
* character n-grams (``char_min``..``char_max``) of the normalised text hashed into
  ``2**char_bits`` columns.

Hashing is deterministic (CRC-32 for tokens, a fixed polynomial hash for characters), never
Python's salted ``hash()``, so features are stable across processes and machines. Values are
raw counts; weighting (IDF, sub-linear TF, per-block L2 norm) lives in ``weighting.py`` and is
shared by training and inference.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nlp.textcat.lexicon import ToxicityLexicon

__all__ = [
    "DENSE_NAMES",
    "NEGATORS",
    "N_DENSE",
    "TOXICITY_NAME",
    "FeatureConfig",
    "FeatureExtractor",
    "SparseBatch",
    "mark_negation",
    "normalize",
    "tokenize",
]

# --------------------------------------------------------------------------- normalisation

_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")
_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_USER_RE = re.compile(r"@\w+")
_WS_RE = re.compile(r"\s+")
_HTML = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}
_HTML_RE = re.compile("|".join(map(re.escape, _HTML)))


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    # Lone surrogates cannot be encoded later; drop them.
    return "" if 0xD800 <= code <= 0xDFFF else chr(code)


def normalize(text: str) -> str:
    """Undo literal ``\\uXXXX`` escapes and HTML entities, mask URLs and users, squash spaces.

    Case is kept (capitals are a feature); ``@anything`` becomes ``@user`` and URLs ``http``,
    the same normalisation TweetEval applies, so live posts look like the training data.
    """
    if "\\u" in text:
        text = _ESCAPE_RE.sub(_unescape, text)
    if "&" in text:
        text = _HTML_RE.sub(lambda m: _HTML[m.group(0)], text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _URL_RE.sub("http", text)
    text = _USER_RE.sub("@user", text)
    return _WS_RE.sub(" ", text).strip()


# --------------------------------------------------------------------------- tokenisation

_EMOTICON = (
    r"""(?:[<>]?[:;=8xX][\-o\*']?[\)\]\(\[dDpP/\\:\}\{@\|3]+|<3+|</3+|\^_*\^|[\)\(]+[\-']?[:;=])"""
)
_TOKEN_RE = re.compile(
    rf"""
    {_EMOTICON}(?=\s|$|[^\w])        # emoticons :) :-( <3 ^_^
    | @user
    | \#\w+                          # hashtags
    | \w+(?:['\-]\w+)*               # words, contractions, hyphenated
    | [!?]+                          # runs of ! and ?
    | \.{{2,}}|…                     # ellipsis
    | [.,:;]                         # clause punctuation
    | [^\w\s]                        # anything else: emoji, symbols
    """,
    re.VERBOSE,
)
_ELONG_RE = re.compile(r"(\w)\1{2,}")
_CLAUSE_END = frozenset({".", ",", ":", ";", "!", "?", "…", "but"})

NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "nowhere",
        "neither",
        "nor",
        "without",
        "cannot",
        "cant",
        "can't",
        "dont",
        "don't",
        "doesnt",
        "doesn't",
        "didnt",
        "didn't",
        "isnt",
        "isn't",
        "arent",
        "aren't",
        "wasnt",
        "wasn't",
        "werent",
        "weren't",
        "wont",
        "won't",
        "wouldnt",
        "wouldn't",
        "shouldnt",
        "shouldn't",
        "couldnt",
        "couldn't",
        "aint",
        "ain't",
        "hasnt",
        "hasn't",
        "havent",
        "haven't",
        "hadnt",
        "hadn't",
        "mustnt",
        "mustn't",
        "neednt",
        "needn't",
        "rarely",
        "seldom",
        "hardly",
        "barely",
        "nope",
    ]
)


def tokenize(text: str) -> list[str]:
    """Split normalised text into lower-cased tokens (words, hashtags, emoticons, emoji, punct).

    Letters repeated three or more times are squeezed to two (``sooooo`` -> ``soo``).
    """
    tokens = []
    # One search of the whole text spares a regex call per token in most posts.
    squeeze = _ELONG_RE.search(text.lower()) is not None
    for tok in _TOKEN_RE.findall(text):
        low = tok.lower()
        if squeeze and len(low) > 3:
            low = _ELONG_RE.sub(r"\1\1", low)
        if low[0] in "!?" and len(low) > 1:
            low = low[:3]
        tokens.append(low)
    return tokens


def _is_clause_end(tok: str) -> bool:
    return tok in _CLAUSE_END or tok[0] in "!?." or tok == "…"


def mark_negation(tokens: Sequence[str]) -> list[bool]:
    """Return for each token whether it lies in a negation scope.

    A scope opens after a negator (``not``, ``don't``, ``never``...) and closes at clause
    punctuation or ``but``; the negator itself is not in the scope.
    """
    flags = []
    in_scope = False
    for tok in tokens:
        if _is_clause_end(tok):
            in_scope = False
            flags.append(False)
        elif tok in NEGATORS or tok.endswith("n't"):
            in_scope = True
            flags.append(False)
        else:
            flags.append(in_scope)
    return flags


# --------------------------------------------------------------------------- dense features

DENSE_NAMES: tuple[str, ...] = (
    "lex_pos_sum",
    "lex_neg_sum",
    "lex_max",
    "lex_min",
    "lex_last",
    "lex_n_pos",
    "lex_n_neg",
    "lex_compound",
    "lex_neg_flipped",
    "emoji_pos",
    "emoji_neg",
    "hashtag_lex",
    "n_exclaim",
    "n_question",
    "ends_exclaim",
    "ends_question",
    "n_allcaps",
    "n_elongated",
    "n_negations",
    "has_url",
    "n_users",
    "log_len",
    "bias_one",
)
N_DENSE = len(DENSE_NAMES)
TOXICITY_NAME = "tox_score"  # column N_DENSE when FeatureConfig.toxicity is set
_N_SCALAR = -0.74  # VADER's empirically derived damping of negated valence
_CAPS_RE = re.compile(r"\b[A-Z][A-Z']{2,}\b")
_ELONG_RAW_RE = re.compile(r"([a-zA-Z])\1{2,}")


def _is_emoji(tok: str) -> bool:
    return len(tok) <= 2 and unicodedata.category(tok[0]) == "So"


def _dense(
    raw: str, tokens: Sequence[str], neg: Sequence[bool], lexicon: Mapping[str, float]
) -> list[float]:
    pos_sum = neg_sum = 0.0
    lex_max = lex_min = last = 0.0
    n_pos = n_neg = 0
    flipped = 0
    emo_pos = emo_neg = 0.0
    tag = 0.0
    negations = 0
    for tok, in_neg in zip(tokens, neg, strict=True):
        if tok in NEGATORS:
            negations += 1
        word = tok[1:] if tok[0] == "#" and len(tok) > 1 else tok
        val = lexicon.get(word)
        if val is None and len(word) > 2 and word[-1] == word[-2]:
            val = lexicon.get(word[:-1])
        if val is None:
            continue
        if in_neg:
            val *= _N_SCALAR
            flipped += 1
        if tok[0] == "#":
            tag += val
        if _is_emoji(tok):
            if val > 0:
                emo_pos += val
            else:
                emo_neg -= val
        if val > 0:
            pos_sum += val
            n_pos += 1
        elif val < 0:
            neg_sum -= val
            n_neg += 1
        lex_max = max(lex_max, val)
        lex_min = min(lex_min, val)
        last = val
    total = pos_sum - neg_sum
    compound = total / math.sqrt(total * total + 15.0)
    stripped = raw.rstrip()
    return [
        pos_sum / 4.0,
        neg_sum / 4.0,
        lex_max / 4.0,
        lex_min / 4.0,
        last / 4.0,
        math.log1p(n_pos),
        math.log1p(n_neg),
        compound,
        math.log1p(flipped),
        emo_pos / 4.0,
        emo_neg / 4.0,
        tag / 4.0,
        math.log1p(raw.count("!")),
        math.log1p(raw.count("?")),
        float(stripped.endswith("!")),
        float(stripped.endswith("?")),
        math.log1p(len(_CAPS_RE.findall(raw))),
        math.log1p(len(_ELONG_RAW_RE.findall(raw))),
        math.log1p(negations),
        float("http" in raw),
        math.log1p(raw.count("@user")),
        math.log1p(len(tokens)) / 4.0,
        1.0,
    ]


# --------------------------------------------------------------------------- hashing

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PRIME = np.uint64(0x100000001B3)


def _mix(h: np.ndarray, salt: int, bits: int) -> np.ndarray:
    """SplitMix64 finaliser, then keep the top ``bits`` bits."""
    with np.errstate(over="ignore"):
        h = h ^ np.uint64(salt * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
        h = (h ^ (h >> np.uint64(30))) * _MIX1
        h = (h ^ (h >> np.uint64(27))) * _MIX2
        h = h ^ (h >> np.uint64(31))
    return (h >> np.uint64(64 - bits)).astype(np.int64)


def _ngram_hashes(
    units: np.ndarray, owner: np.ndarray, n_min: int, n_max: int, bits: int, salt: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hash every n-gram (n_min..n_max) of ``units`` that stays inside one owner document.

    Returns (column ids, owner of each n-gram), vectorised over the whole batch.
    """
    cols: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    total = units.shape[0]
    h = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, n_max + 1):
            if total - n + 1 <= 0:
                break
            length = total - n + 1
            h = h[:length] * _PRIME + units[n - 1 : n - 1 + length]
            if n < n_min:
                continue
            same = owner[:length] == owner[n - 1 : n - 1 + length]
            cols.append(_mix(h[same], salt * 31 + n, bits))
            owners.append(owner[:length][same])
    if not cols:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(cols), np.concatenate(owners)


# --------------------------------------------------------------------------- extractor


@dataclass(frozen=True)
class FeatureConfig:
    """Shape of the feature space; saved with every model so inference rebuilds it exactly."""

    word_bits: int = 20
    word_ngrams: int = 3
    char_bits: int = 20
    char_min: int = 2
    char_max: int = 5
    negation: bool = True
    dense: bool = True
    toxicity: bool = False  # one extra dense column; needs a ToxicityLexicon

    @property
    def n_features(self) -> int:
        """Total number of columns."""
        return self.word_offset + (1 << self.word_bits) + (1 << self.char_bits)

    @property
    def word_offset(self) -> int:
        """First word-block column (the dense block, and the toxicity column, come first)."""
        return N_DENSE + int(self.toxicity)

    @property
    def char_offset(self) -> int:
        """First char-block column."""
        return self.word_offset + (1 << self.word_bits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureConfig:
        """Inverse of ``to_dict`` (unknown keys ignored)."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class SparseBatch:
    """CSR matrix of raw feature counts: ``indptr`` (n+1), ``indices``, ``data``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        """Number of documents."""
        return int(self.indptr.shape[0] - 1)


class FeatureExtractor:
    """Turn texts into a ``SparseBatch`` of raw counts under a ``FeatureConfig``."""

    def __init__(
        self,
        config: FeatureConfig,
        lexicon: Mapping[str, float] | None = None,
        toxicity: ToxicityLexicon | None = None,
    ):
        if config.toxicity and toxicity is None:
            raise ValueError(
                "FeatureConfig(toxicity=True) needs a ToxicityLexicon: pass "
                "nlp.textcat.lexicon.load_toxicity_lexicon() when training (model files carry it)"
            )
        self.config = config
        self.lexicon: Mapping[str, float] = lexicon or {}
        self.toxicity = toxicity if config.toxicity else None
        # Extractors with equal keys produce the same occurrences (see ``_occurrences``).
        shape = {k: v for k, v in config.to_dict().items() if k != "toxicity"}
        lexicon_digest = hashlib.sha256(
            json.dumps(sorted(self.lexicon.items())).encode("utf-8")
        ).hexdigest()
        self.sharing_key = (tuple(sorted(shape.items())), lexicon_digest)

    def transform(self, texts: Iterable[str]) -> SparseBatch:
        """Extract features for a batch of texts."""
        cfg = self.config
        found = _occurrences(tuple(texts), self)
        dense: np.ndarray | None = None
        if found.n_docs and (cfg.dense or self.toxicity is not None):
            dense = np.zeros((found.n_docs, cfg.word_offset), dtype=np.float64)
            if cfg.dense:
                dense[:, :N_DENSE] = found.dense
            if self.toxicity is not None:
                dense[:, N_DENSE] = [self.toxicity.score_tokens(t) for t in found.tokens]
        rows = [found.word_rows, found.char_rows]
        cols = [found.word_cols + cfg.word_offset, found.char_cols + cfg.char_offset]
        return _to_csr(dense, rows, cols, found.n_docs, cfg.n_features)


@dataclass(frozen=True)
class _Occurrences:
    """One batch's tokens, lexicon features and hashed n-gram occurrences (block-relative
    columns): everything but the toxicity column and the column offsets, so extractors that
    differ only in those share it."""

    n_docs: int
    tokens: list[list[str]]
    dense: np.ndarray  # (n_docs, N_DENSE) lexicon and style features
    word_rows: np.ndarray
    word_cols: np.ndarray
    char_rows: np.ndarray
    char_cols: np.ndarray


# The last batch extracted: the sentiment and the abuse models see the same ``nlp.pipe``
# batch one after the other, and their extractors differ only in the toxicity column.
_LAST: tuple[tuple[Any, ...], _Occurrences] | None = None


def forget_last_batch() -> None:
    """Drop the shared extraction of the last batch (benchmarks timing repeats of one batch)."""
    global _LAST, _LAST_TOKENS
    _LAST = _LAST_TOKENS = None


def _occurrences(texts: tuple[str, ...], extractor: FeatureExtractor) -> _Occurrences:
    global _LAST
    key = (extractor.sharing_key, texts)
    last = _LAST
    if last is not None and last[0] == key:
        return last[1]
    found = _extract(texts, extractor)
    _LAST = (key, found)
    return found


# The last batch normalised and tokenised: every model (intent, sentiment, abuse) reads the
# same ``nlp.pipe`` batch, whatever its feature configuration.
_LAST_TOKENS: tuple[tuple[str, ...], list[tuple[str, list[str]]]] | None = None


def _normalised(texts: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    global _LAST_TOKENS
    last = _LAST_TOKENS
    if last is not None and last[0] == texts:
        return last[1]
    found = []
    for text in texts:
        norm = normalize(text)
        found.append((norm, tokenize(norm)))
    _LAST_TOKENS = (texts, found)
    return found


def _extract(texts: tuple[str, ...], extractor: FeatureExtractor) -> _Occurrences:
    cfg = extractor.config
    tok_hashes: list[int] = []
    tok_owner: list[int] = []
    char_parts: list[str] = []
    token_lists: list[list[str]] = []
    dense_rows: list[list[float]] = []
    for doc_id, (norm, tokens) in enumerate(_normalised(texts)):
        neg = mark_negation(tokens) if cfg.negation else [False] * len(tokens)
        token_lists.append(tokens)
        if cfg.dense:
            dense_rows.append(_dense(norm, tokens, neg, extractor.lexicon))
        for tok, in_neg in zip(tokens, neg, strict=True):
            key = tok + "_NEG" if in_neg else tok
            tok_hashes.append(zlib.crc32(key.encode("utf-8")))
        tok_owner.extend([doc_id] * len(tokens))
        char_parts.append(" " + norm.lower() + " ")
    n_docs = len(texts)
    empty = np.zeros(0, np.int64)
    word_cols = word_rows = char_cols = char_rows = empty
    if tok_hashes:
        units = np.asarray(tok_hashes, dtype=np.uint64)
        owner = np.asarray(tok_owner, dtype=np.int64)
        word_cols, word_rows = _ngram_hashes(
            units, owner, 1, cfg.word_ngrams, cfg.word_bits, salt=1
        )
    if char_parts and cfg.char_max > 0:
        joined = "".join(char_parts)
        units = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        lengths = np.fromiter((len(p) for p in char_parts), dtype=np.int64, count=n_docs)
        owner = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        char_cols, char_rows = _ngram_hashes(
            units, owner, cfg.char_min, cfg.char_max, cfg.char_bits, 2
        )
    dense = (
        np.asarray(dense_rows, dtype=np.float64)
        if dense_rows
        else np.zeros((n_docs, N_DENSE), dtype=np.float64)
    )
    return _Occurrences(n_docs, token_lists, dense, word_rows, word_cols, char_rows, char_cols)


def _to_csr(
    dense: np.ndarray | None,
    rows_l: list[np.ndarray],
    cols_l: list[np.ndarray],
    n_rows: int,
    n_cols: int,
) -> SparseBatch:
    """Assemble the dense block and hashed occurrences into row-grouped CSR.

    Each hashed occurrence counts 1; duplicates of a (row, col) are merged with one integer
    sort of the keys ``row << shift | col`` (much cheaper than ``np.unique`` with inverse).
    Dense cells are unique per row, so their value is read back from ``dense``.
    """
    shift = np.int64(max(1, int(n_cols - 1).bit_length()))
    keys = [(r << shift) | c for r, c in zip(rows_l, cols_l, strict=True)]
    if dense is not None and dense.size:
        d_rows, d_cols = np.nonzero(dense)
        keys.append((d_rows.astype(np.int64) << shift) | d_cols.astype(np.int64))
    key = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    if key.shape[0] == 0:
        return SparseBatch(
            np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int64), np.zeros(0), n_cols
        )
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    uniq = key[starts]
    values = np.diff(np.append(starts, key.shape[0])).astype(np.float64)
    out_rows = uniq >> shift
    out_cols = uniq & ((np.int64(1) << shift) - 1)
    if dense is not None and dense.size:
        is_dense = out_cols < dense.shape[1]
        values[is_dense] = dense[out_rows[is_dense], out_cols[is_dense]]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(out_rows, minlength=n_rows))
    return SparseBatch(indptr, out_cols, values, n_cols)
