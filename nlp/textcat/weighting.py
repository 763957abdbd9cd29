"""Feature weighting shared by training and inference: sub-linear TF, IDF, per-block L2 norm."""

from __future__ import annotations

import numpy as np

from nlp.textcat.features import FeatureConfig, SparseBatch

__all__ = ["block_of", "compute_idf", "unseen_idf", "weight"]


def block_of(indices: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Block id per column index: 0 dense, 1 word n-grams, 2 char n-grams."""
    return (indices >= config.word_offset).astype(np.int64) + (indices >= config.char_offset)


def unseen_idf(n_docs: int) -> float:
    """IDF of a column never (or too rarely) seen in training: ``log(1 + n) + 1``."""
    return float(np.log(1.0 + n_docs) + 1.0)


def compute_idf(batch: SparseBatch, config: FeatureConfig) -> np.ndarray:
    """Smoothed IDF per column (``log((1+n)/(1+df)) + 1``); dense columns get 1."""
    df = np.bincount(batch.indices, minlength=batch.n_cols).astype(np.float64)
    n = batch.n_rows
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    idf[: config.word_offset] = 1.0
    return idf.astype(np.float32)


def weight(batch: SparseBatch, idf: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Return the weighted values for ``batch.data`` (same order).

    Hashed counts become ``(1 + log tf) * idf`` and each document's word block and char block
    are L2-normalised separately (like two TF-IDF vectorisers side by side); dense features are
    passed through unchanged.
    """
    idx = batch.indices
    data = batch.data.astype(np.float64, copy=True)
    block = block_of(idx, config)
    hashed = block > 0
    data[hashed] = (1.0 + np.log(data[hashed])) * idf[idx[hashed]]
    rows = np.repeat(np.arange(batch.n_rows, dtype=np.int64), np.diff(batch.indptr))
    key = rows * 3 + block
    norms = np.sqrt(np.bincount(key, weights=data * data, minlength=batch.n_rows * 3))
    scale = np.where(hashed, norms[key], 1.0)
    scale[scale == 0] = 1.0
    return data / scale
