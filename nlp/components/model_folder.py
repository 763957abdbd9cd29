"""``to_disk`` / ``from_disk`` for components whose model is a folder of files.

The trained components (``salon_textcat``, ``salon_intent`` with its model,
``salon_topic_model``) read a model folder (``.npz`` files and ``meta.json``). Saved with
``nlp.to_disk(DIR)``, a component writes ``DIR/<component>/model.json``: ``{"model_dir": ".."}``
when its model folder is ``DIR`` itself (what ``salon nlp train`` writes: the model folder *is*
the spaCy pipeline, nothing is copied), otherwise the model files are copied next to it
(``"."``). ``spacy.load(DIR)`` then loads the model from there, wherever ``DIR`` was moved.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nlp.errors import NlpError

POINTER_FILE = "model.json"


class ModelFolderIO:
    """Mixin: serialises the component as a pointer to (or a copy of) its model folder."""

    name: str
    model_dir: Path | None = None  # None: the component runs without a model

    def load_model_dir(self, folder: Path | None) -> None:
        """Load the model in ``folder`` (``None``: no model) and remember where it came from."""
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write ``path/model.json`` (and the model files unless they are in ``path``'s parent)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        pointer: str | None = None
        if self.model_dir is not None:
            source = self.model_dir.resolve()
            if source == path.parent.resolve():
                pointer = ".."
            else:
                if source != path.resolve():
                    for file in source.iterdir():
                        if file.is_file():
                            shutil.copy2(file, path / file.name)
                pointer = "."
        text = json.dumps({"model_dir": pointer}) + "\n"
        (path / POINTER_FILE).write_text(text, encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Any:
        """Load the model that ``to_disk`` pointed to or copied."""
        pointer_file = Path(path) / POINTER_FILE
        try:
            pointer = json.loads(pointer_file.read_text(encoding="utf-8"))["model_dir"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise NlpError(
                f"{pointer_file}: not a saved {self.name} component ({exc}); save the pipeline "
                "with nlp.to_disk() or train it with `salon nlp train`"
            ) from None
        self.load_model_dir(None if pointer is None else (Path(path) / pointer).resolve())
        return self
