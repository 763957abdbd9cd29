"""Feature extraction: normalisation, tokens, negation scope, emoji, deterministic hashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.textcat import features
from nlp.textcat.features import (
    DENSE_NAMES,
    N_DENSE,
    FeatureConfig,
    FeatureExtractor,
    SparseBatch,
    mark_negation,
    normalize,
    tokenize,
)
from nlp.textcat.lexicon import ToxicityLexicon, load_toxicity_lexicon
from nlp.textcat.weighting import block_of, compute_idf, row_sums, weight

ROOT = Path(__file__).resolve().parents[2]
SMALL = FeatureConfig(word_bits=12, char_bits=12)
LEXICON = {"good": 1.9, "bad": -2.5, "love": 3.2, "😍": 2.5, "😡": -2.0}


def _dense(text: str, lexicon: dict[str, float] | None = None) -> dict[str, float]:
    batch = FeatureExtractor(SMALL, LEXICON if lexicon is None else lexicon).transform([text])
    row = np.zeros(len(DENSE_NAMES))
    for col, val in zip(batch.indices, batch.data, strict=True):
        if col < len(DENSE_NAMES):
            row[col] = val
    return dict(zip(DENSE_NAMES, row.tolist(), strict=True))


def test_normalize_undoes_escapes_and_masks_users_and_urls() -> None:
    text = "Hi @Museum\\u002c see https://example.org/x &amp; more   now"
    assert normalize(text) == "Hi @user, see http & more now"


def test_tokenize_keeps_emoticons_emoji_hashtags_and_squeezes_elongation() -> None:
    tokens = tokenize("Sooooo GOOD :) #ArtLover 😍 !!!")
    assert tokens == ["soo", "good", ":)", "#artlover", "😍", "!!!"]


def test_negation_scope_opens_after_negator_and_closes_at_punctuation_or_but() -> None:
    tokens = tokenize("i do not like the new wing , but the cafe is nice")
    flags = mark_negation(tokens)
    scoped = [t for t, f in zip(tokens, flags, strict=True) if f]
    assert scoped == ["like", "the", "new", "wing"]
    assert not any(flags[tokens.index("but") :])
    assert mark_negation(tokenize("don't go.")) == [False, True, False]


def test_negation_flips_lexicon_polarity() -> None:
    assert _dense("the show was good")["lex_compound"] > 0
    assert _dense("the show was not good")["lex_compound"] < 0
    assert _dense("the show was not good")["lex_neg_flipped"] > 0
    assert _dense("the show was good")["lex_neg_flipped"] == 0


def test_emoji_carries_lexicon_valence() -> None:
    assert _dense("see you there 😍")["emoji_pos"] > 0
    assert _dense("see you there 😡")["emoji_neg"] > 0
    assert _dense("see you there")["emoji_pos"] == 0


def test_style_features() -> None:
    d = _dense("WHAT a DAY!!! Sooo tired?")
    assert d["n_exclaim"] > 0 and d["n_question"] > 0 and d["ends_question"] == 1.0
    assert d["n_allcaps"] > 0 and d["n_elongated"] > 0
    assert _dense("a quiet day")["n_exclaim"] == 0


def test_negated_tokens_hash_differently() -> None:
    ex = FeatureExtractor(FeatureConfig(word_bits=16, char_bits=12, char_max=0, dense=False))
    pos = set(ex.transform(["good"]).indices.tolist())
    neg = set(ex.transform(["not good"]).indices.tolist())
    # "not good" holds "not" and "good_NEG" plus the bigram, never the plain "good" unigram.
    assert pos and not pos & neg


def test_batch_equals_one_by_one_and_columns_in_range() -> None:
    texts = ["I love it", "", "bad bad bad :(", "@user ok http"]
    ex = FeatureExtractor(SMALL, LEXICON)
    batch = ex.transform(texts)
    assert batch.n_rows == len(texts)
    assert batch.indices.max() < SMALL.n_features
    for i, text in enumerate(texts):
        one = ex.transform([text])
        lo, hi = batch.indptr[i], batch.indptr[i + 1]
        assert one.indices.tolist() == batch.indices[lo:hi].tolist()
        assert np.allclose(one.data, batch.data[lo:hi])
    # repeated word counted, not duplicated
    rep = ex.transform(["bad bad bad"])
    assert rep.data.max() >= 3 and len(set(rep.indices.tolist())) == len(rep.indices)


def test_weighting_normalises_blocks() -> None:
    ex = FeatureExtractor(SMALL, LEXICON)
    batch = ex.transform(["a good day at the museum", "bad"])
    vals = weight(batch, compute_idf(batch, SMALL), SMALL)
    lo, hi = batch.indptr[0], batch.indptr[1]
    cols, row = batch.indices[lo:hi], vals[lo:hi]
    words = (cols >= SMALL.word_offset) & (cols < SMALL.char_offset)
    chars = cols >= SMALL.char_offset
    assert np.isclose(np.linalg.norm(row[words]), 1.0)
    assert np.isclose(np.linalg.norm(row[chars]), 1.0)


def test_hashing_is_deterministic_across_processes() -> None:
    code = (
        "import json; from nlp.textcat.features import FeatureConfig, FeatureExtractor;"
        "b = FeatureExtractor(FeatureConfig(word_bits=14, char_bits=14)).transform("
        "['Not bad at all :) 😍 #museum']); print(json.dumps(b.indices.tolist()))"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout))
    here = FeatureExtractor(FeatureConfig(word_bits=14, char_bits=14)).transform(
        ["Not bad at all :) 😍 #museum"]
    )
    assert runs[0] == runs[1] == here.indices.tolist()


TOX = ToxicityLexicon({"idiot": (2.0, 3.0), "stupid": (1.0, 1.0), "museum": (1.5, -0.5)}, -1.0)


def test_toxicity_score_is_normalised_tfidf_dot_plus_bias() -> None:
    # "idiot idiot museum": tf-idf (4, 1.5), coef (3, -0.5) -> (12 - 0.75) / sqrt(16 + 2.25) - 1
    expected = (12.0 - 0.75) / np.sqrt(18.25) - 1.0
    assert TOX.score("Idiot, IDIOT at the museum!") == pytest.approx(expected)
    assert TOX.score("nothing known here") == -1.0
    tokens = tokenize(normalize("Idiot, #idiot at the museum!"))
    assert TOX.score_tokens(tokens) == pytest.approx(expected)
    # contractions and hyphenated words count as their parts, as in the source model
    assert TOX.score_tokens(tokenize("stupid-idiot")) == pytest.approx(TOX.score("stupid-idiot"))


def test_toxicity_column_and_layout() -> None:
    plain = FeatureConfig(word_bits=12, char_bits=12)
    cfg = FeatureConfig(word_bits=12, char_bits=12, toxicity=True)
    assert cfg.word_offset == plain.word_offset + 1 == N_DENSE + 1
    assert cfg.n_features == plain.n_features + 1
    batch = FeatureExtractor(cfg, LEXICON, TOX).transform(["you idiot", "a quiet day"])
    tox = {
        row: batch.data[i]
        for row in range(2)
        for i in range(batch.indptr[row], batch.indptr[row + 1])
        if batch.indices[i] == N_DENSE
    }
    assert tox[0] == pytest.approx(TOX.score("you idiot")) and tox[0] > 0
    assert tox[1] == pytest.approx(-1.0)
    # without the flag the layout (and every older model file) is unchanged
    assert FeatureExtractor(plain, LEXICON, TOX).toxicity is None
    with pytest.raises(ValueError, match="needs a ToxicityLexicon"):
        FeatureExtractor(cfg, LEXICON)


def test_toxicity_lexicon_reproduces_the_installed_profanity_model() -> None:
    from profanity_check import profanity_check

    lexicon = load_toxicity_lexicon()
    texts = ["you are a fucking idiot", "Lovely garden, see you soon", "", "what a joke"]
    matrix = profanity_check.vectorizer.transform(texts)
    estimators = [c.estimator for c in profanity_check.model.calibrated_classifiers_]
    expected = np.mean([e.decision_function(matrix) for e in estimators], axis=0)
    assert np.allclose([lexicon.score(t) for t in texts], expected, atol=1e-9)
    assert lexicon.score(texts[0]) > 0 > lexicon.score(texts[1])


TEXTS = ["Not bad at all :) 😍", "you idiot", "", "a quiet day at the museum, love it"]


def _same(a: SparseBatch, b: SparseBatch) -> bool:
    return (
        np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.allclose(a.data, b.data)
    )


def test_extractors_differing_only_in_toxicity_share_one_extraction() -> None:
    plain = FeatureExtractor(FeatureConfig(word_bits=12, char_bits=12), LEXICON)
    toxic = FeatureExtractor(FeatureConfig(word_bits=12, char_bits=12, toxicity=True), LEXICON, TOX)
    assert plain.sharing_key == toxic.sharing_key
    features.forget_last_batch()
    alone = toxic.transform(TEXTS)  # nothing cached: extracted for itself
    plain.transform(TEXTS)
    shared = toxic.transform(TEXTS)  # the same batch again: reuses plain's extraction
    assert _same(alone, shared)
    # every column after the toxicity one is the plain layout's column shifted by one
    plain_batch = plain.transform(TEXTS)
    hashed = shared.indices[shared.indices > N_DENSE] - 1
    assert np.array_equal(
        np.sort(hashed), np.sort(plain_batch.indices[plain_batch.indices >= N_DENSE])
    )


def test_a_different_lexicon_or_shape_is_never_shared() -> None:
    base = FeatureExtractor(SMALL, LEXICON)
    assert FeatureExtractor(SMALL, {"good": 1.0}).sharing_key != base.sharing_key
    assert FeatureExtractor(FeatureConfig(word_bits=13, char_bits=12), LEXICON).sharing_key != (
        base.sharing_key
    )
    other = FeatureExtractor(SMALL, {"bad": 3.0})  # "bad" is positive here
    base.transform(["bad"])
    got = other.transform(["bad"])
    assert got.data[list(got.indices).index(DENSE_NAMES.index("lex_pos_sum"))] > 0


def _weight_by_bincount(batch: SparseBatch, idf: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The textbook form of ``weight`` (one bincount over row * 3 + block)."""
    idx = batch.indices
    data = batch.data.astype(np.float64, copy=True)
    block = block_of(idx, config)
    hashed = block > 0
    data[hashed] = (1.0 + np.log(data[hashed])) * idf[idx[hashed]]
    rows = np.repeat(np.arange(batch.n_rows), np.diff(batch.indptr))
    key = rows * 3 + block
    norms = np.sqrt(np.bincount(key, weights=data * data, minlength=batch.n_rows * 3))
    scale = np.where(hashed, norms[key], 1.0)
    scale[scale == 0] = 1.0
    return data / scale


def test_weight_and_row_sums_match_their_textbook_forms_with_empty_rows() -> None:
    cfg = FeatureConfig(word_bits=12, char_bits=12)
    inner = FeatureExtractor(cfg, LEXICON).transform(TEXTS)
    # every text has cells: add an empty row before and after them
    indptr = np.concatenate([[0], inner.indptr, [inner.indptr[-1]]])
    batch = SparseBatch(indptr, inner.indices, inner.data, inner.n_cols)
    idf = compute_idf(batch, cfg)
    vals = weight(batch, idf, cfg)
    assert np.allclose(vals, _weight_by_bincount(batch, idf, cfg))
    rows = np.repeat(np.arange(batch.n_rows), np.diff(batch.indptr))
    pairs = np.stack([vals, 2 * vals], axis=1)
    expected = np.stack([np.bincount(rows, w, minlength=batch.n_rows) for w in pairs.T], axis=1)
    got = row_sums(pairs, batch.indptr)
    assert got.shape == (batch.n_rows, 2) and np.allclose(got, expected)
    assert got[0].tolist() == [0.0, 0.0] and got[-1].tolist() == [0.0, 0.0]
