"""``salon_topic_model``: adds the topics a model trained on staff corrections is sure of.

Runs after ``salon_topics`` (the taxonomy matcher). For every topic the model learned, a post
whose probability reaches ``threshold`` gets that topic with the larger of the matcher's score
and the probability; topics the model never learned are left to the matcher. See
:mod:`nlp.topic_model` for training.
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components import extensions
from nlp.components.batching import BatchComponent
from nlp.components.extensions import doc_text
from nlp.components.model_folder import ModelFolderIO
from nlp.errors import NlpError
from nlp.topic_model import TopicModel


class TopicModelComponent(ModelFolderIO, BatchComponent):
    """Merges the trained topic model's confident topics into ``doc._.topics``."""

    def __init__(
        self, name: str, model_dir: Path | None, threshold: float, batch_size: int
    ) -> None:
        extensions.register_extensions()
        self.name = name
        self.threshold = threshold
        self.batch_size = batch_size
        self.load_model_dir(model_dir)

    def load_model_dir(self, folder: Path | None) -> None:
        """Use the topic model in ``folder`` (``None``: none yet; ``from_disk`` gives one)."""
        self.model = TopicModel.load(folder) if folder is not None else None
        self.model_dir = folder

    def set_batch(self, docs: list[Doc]) -> None:
        """Merge the model's confident topics into each doc's."""
        if self.model is None:
            raise NlpError(
                f"{self.name}: no topic model loaded; give model_path (a folder written by "
                "`salon nlp train --task topics`)"
            )
        probs = self.model.predict_proba([doc_text(doc) for doc in docs])
        for doc, row in zip(docs, probs, strict=True):
            topics = dict(doc._.topics or {})
            for topic, p in zip(self.model.topics, row, strict=True):
                if p >= self.threshold:
                    topics[topic] = round(max(topics.get(topic, 0.0), float(p)), 4)
            doc._.topics = topics


@Language.factory(
    "salon_topic_model",
    assigns=["doc._.topics"],
    requires=["doc._.topics"],
    default_config={"model_path": None, "threshold": 0.5, "batch_size": 256},
)
def make_topic_model(
    nlp: Language, name: str, model_path: str | None, threshold: float, batch_size: int
) -> TopicModelComponent:
    """Factory: ``model_path`` is a folder written by ``salon nlp train --task topics``
    (``None`` only when the model comes from ``from_disk``)."""
    folder = Path(model_path) if model_path else None
    return TopicModelComponent(name, folder, threshold, batch_size)
