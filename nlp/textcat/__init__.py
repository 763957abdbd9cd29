"""Trained, CPU-only text classifiers (sentiment, offensive, hate, abuse) as spaCy components.

Public interface::

    from nlp.textcat import load_textcat
    model = load_textcat("sentiment")          # or "offensive", "hate", "abuse"
    model.predict_proba(["I love this museum!"])  # -> np.ndarray (n, len(model.labels))

    import nlp.textcat  # registers the spaCy factory
    nlp.add_pipe("salon_textcat", config={"task": "sentiment"})  # -> doc._.textcat_sentiment

Inference needs numpy (and spaCy for the component) only; training needs scikit-learn,
vaderSentiment and alt-profanity-check (the `train` extra).
"""

from nlp.textcat.component import SalonTextcat, make_salon_textcat
from nlp.textcat.model import (
    MODELS_DIR,
    TASKS,
    AbuseModel,
    LinearTextModel,
    TextClassifierModel,
    load_textcat,
)

__all__ = [
    "MODELS_DIR",
    "TASKS",
    "AbuseModel",
    "LinearTextModel",
    "SalonTextcat",
    "TextClassifierModel",
    "load_textcat",
    "make_salon_textcat",
]
