"""Errors of the NLP layer (data files, models)."""

from __future__ import annotations


class NlpError(Exception):
    """Base class for NLP errors a user can fix (bad data file, missing model)."""


class NlpDataError(NlpError):
    """A training or evaluation file is missing, malformed or inconsistent."""
