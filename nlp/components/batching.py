"""A base for components that score a whole batch of docs at once (trained models)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from spacy.tokens import Doc


class BatchComponent(ABC):
    """Calls :meth:`set_batch` on batches of ``batch_size`` docs; one doc is a batch of one."""

    batch_size: int = 256

    @abstractmethod
    def set_batch(self, docs: list[Doc]) -> None:
        """Score ``docs`` (never empty) and set their attributes."""

    def __call__(self, doc: Doc) -> Doc:
        self.set_batch([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Score docs in batches (what ``nlp.pipe`` calls)."""
        size = batch_size or self.batch_size
        batch: list[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= size:
                self.set_batch(batch)
                yield from batch
                batch = []
        if batch:
            self.set_batch(batch)
            yield from batch
