"""The Salon spaCy components; importing this package registers their factories.

=================  ==================================  =======================================
factory            assigns                             module
=================  ==================================  =======================================
salon_normalize    token.norm                          :mod:`nlp.components.normalize`
salon_language     doc._.language, language_score      :mod:`nlp.components.language`
salon_topics       doc._.topics                        :mod:`nlp.components.topics`
salon_sentiment    doc._.sentiment, sentiment_score    :mod:`nlp.components.sentiment`
salon_intent       doc._.intents                       :mod:`nlp.components.intent`
salon_abuse        doc._.abuse                         :mod:`nlp.components.abuse`
salon_blend        trained models' sentiment, abuse    :mod:`nlp.components.blend`
=================  ==================================  =======================================
"""

from __future__ import annotations

from nlp.components import abuse, blend, intent, language, normalize, sentiment, topics
from nlp.components.extensions import register_extensions

__all__ = [
    "abuse",
    "blend",
    "intent",
    "language",
    "normalize",
    "register_extensions",
    "sentiment",
    "topics",
]
