"""Make a trained model folder a loadable spaCy pipeline (``spacy.load(folder)``).

``salon nlp train`` calls :func:`write_spacy_pipeline` on the folder it wrote: the folder gets
``config.cfg``, ``tokenizer``, ``vocab/`` and a ``meta.json`` that holds spaCy's keys next to
the model's own (name, version, figures), plus one component directory that points back at the
model files (see :mod:`nlp.components.model_folder`), so nothing is copied::

    import spacy
    nlp = spacy.load("nlp/models/sentiment")   # blank tokenizer + salon_sentiment_model
    nlp("What a lovely exhibition")._.textcat_sentiment
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

import nlp.components
import nlp.components.topic_model
import nlp.textcat  # noqa: F401
from nlp.components.model_folder import ModelFolderIO
from nlp.errors import NlpError
from nlp.textcat.model import read_meta

# task -> (component name in the pipeline, factory, its config)
COMPONENTS: dict[str, tuple[str, str, dict[str, object]]] = {
    "sentiment": ("salon_sentiment_model", "salon_textcat", {"task": "sentiment"}),
    "abuse": ("salon_abuse_model", "salon_textcat", {"task": "abuse"}),
    "intent": ("salon_intent", "salon_intent", {"use_model": True}),
    "topics": ("salon_topic_model", "salon_topic_model", {}),
}


def spacy_pipeline(task: str, folder: Path) -> Language:
    """A blank multi-language pipeline with the component of ``task`` reading ``folder``."""
    if task not in COMPONENTS:
        raise NlpError(f"unknown task {task!r}; expected one of {', '.join(COMPONENTS)}")
    name, factory, config = COMPONENTS[task]
    pipeline = spacy.blank("xx")
    component = pipeline.add_pipe(factory, name=name, config=config)
    assert isinstance(component, ModelFolderIO)
    component.load_model_dir(folder)
    meta = read_meta(folder)
    pipeline.meta.update(meta)  # the model's own keys next to spaCy's
    pipeline.meta.update(
        lang="xx", name=str(meta.get("name", name)), version=str(meta.get("version", "0.0.0"))
    )
    if not pipeline.meta.get("description"):
        pipeline.meta["description"] = f"Salon {task} model (see docs/models.md)"
    return pipeline


def write_spacy_pipeline(task: str, folder: Path) -> Path:
    """Turn the model folder ``folder`` of ``task`` into a spaCy pipeline; return ``folder``."""
    spacy_pipeline(task, folder).to_disk(folder)
    return folder
