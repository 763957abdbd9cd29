"""spaCy component ``salon_textcat``: runs a trained classifier over ``nlp.pipe`` batches.

    nlp.add_pipe("salon_textcat", config={"task": "sentiment"})
    nlp.add_pipe("salon_textcat", name="abuse", config={"task": "abuse"})

Sets ``doc._.textcat_<task>``: a dict label -> probability. For ``abuse`` the dict holds
``abusive``/``not-abusive`` plus the two parts ``offensive`` and ``hate``. The component reads
only ``doc.text`` (no tokens, tags or vectors are needed) and classifies a whole batch at once.
"""

from __future__ import annotations

from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components.batching import BatchComponent
from nlp.components.extensions import doc_text
from nlp.components.model_folder import ModelFolderIO
from nlp.textcat.model import TASKS, AbuseModel, TextClassifierModel, load_textcat, model_folder

__all__ = ["SalonTextcat", "make_salon_textcat"]


def _ensure_extension(attr: str) -> None:
    if not Doc.has_extension(attr):
        Doc.set_extension(attr, default=None)


class SalonTextcat(ModelFolderIO, BatchComponent):
    """Callable pipe that writes ``doc._.textcat_<task>``; saved with ``nlp.to_disk`` as a
    pointer to (or a copy of) its model folder."""

    def __init__(
        self,
        name: str,
        task: str,
        model: TextClassifierModel,
        batch_size: int = 256,
        model_dir: Path | None = None,
    ):
        self.name = name
        self.task = task
        self.model = model
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.attr = f"textcat_{task}"
        _ensure_extension(self.attr)

    def load_model_dir(self, folder: Path | None) -> None:
        """Use the model of ``task`` in ``folder`` (``None``: the shipped one)."""
        self.model_dir = model_folder(self.task, folder)
        self.model = load_textcat(self.task, self.model_dir)

    def _scores(self, docs: list[Doc]) -> list[dict[str, float]]:
        texts = [doc_text(doc) for doc in docs]  # cached: spaCy rebuilds doc.text each time
        if isinstance(self.model, AbuseModel):
            parts = self.model.predict_parts(texts)
            return [
                {
                    "abusive": float(parts["abusive"][i]),
                    "not-abusive": 1.0 - float(parts["abusive"][i]),
                    "offensive": float(parts["offensive"][i]),
                    "hate": float(parts["hate"][i]),
                }
                for i in range(len(docs))
            ]
        probs = self.model.predict_proba(texts)
        labels = self.model.labels
        return [{label: float(p) for label, p in zip(labels, row, strict=True)} for row in probs]

    def set_batch(self, docs: list[Doc]) -> None:
        """Classify a batch and write ``doc._.textcat_<task>``."""
        for doc, scores in zip(docs, self._scores(docs), strict=True):
            doc._.set(self.attr, scores)


@Language.factory(
    "salon_textcat",
    default_config={"task": "sentiment", "model_path": None, "batch_size": 256},
    assigns=[f"doc._.textcat_{task}" for task in TASKS],
    requires=[],
)
def make_salon_textcat(
    nlp: Language, name: str, task: str, model_path: str | None, batch_size: int
) -> SalonTextcat:
    """Factory: ``task`` is sentiment, offensive, hate or abuse; ``model_path`` a model folder
    (default: the one shipped in ``nlp/models``)."""
    folder = model_folder(task, model_path)
    return SalonTextcat(name, task, load_textcat(task, folder), batch_size, folder)
