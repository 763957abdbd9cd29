"""Feature weighting shared by training and inference: sub-linear TF, IDF, per-block L2 norm."""

from __future__ import annotations

import numpy as np

from nlp.textcat.features import FeatureConfig, SparseBatch

__all__ = ["block_of", "compute_idf", "row_sums", "unseen_idf", "weight"]


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
    data[hashed] = (1.0 + np.log(data[hashed])) * np.take(idf, idx[hashed])
    # Columns ascend within a row, so each (row, block) is one run of entries: sum the squares
    # run by run (``reduceat`` is several times faster than ``bincount`` over row * 3 + block).
    n = data.shape[0]
    if n == 0:
        return data
    run_start = np.empty(n, dtype=bool)
    run_start[0] = True
    np.not_equal(block[1:], block[:-1], out=run_start[1:])
    run_start[batch.indptr[:-1][np.diff(batch.indptr) > 0]] = True
    starts = np.flatnonzero(run_start)
    norms = np.sqrt(np.add.reduceat(data * data, starts))
    scale = np.repeat(norms, np.diff(np.append(starts, n)))
    scale[~hashed] = 1.0
    scale[scale == 0] = 1.0
    return data / scale


def row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sum ``values`` (one entry, or row of entries, per stored cell) per CSR row: shape
    ``(n_rows, *values.shape[1:])``, zeros for empty rows."""
    out = np.zeros((indptr.shape[0] - 1, *values.shape[1:]), dtype=np.float64)
    nonempty = np.diff(indptr) > 0
    if values.shape[0]:
        out[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty], axis=0)
    return out
