"""Jittered exponential backoff that honours a server's ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """``base * 2**(failures-1)``, capped, with "full jitter" over its upper half."""

    base: float = 30.0
    cap: float = 3600.0

    def delay(
        self, failures: int, *, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after ``failures`` consecutive failures (>= ``retry_after``)."""
        if failures <= 0:
            return max(0.0, retry_after or 0.0)
        ceiling = min(self.cap, self.base * 2 ** min(failures - 1, 30))
        jittered = ceiling / 2 + (rng or random).random() * ceiling / 2
        if retry_after is not None:
            return max(float(retry_after), jittered if failures > 1 else float(retry_after))
        return jittered
