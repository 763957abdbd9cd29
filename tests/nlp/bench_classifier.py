"""Throughput of ``Classifier.analyse`` on 10,000 short posts (not a test).

Run from the repository root: ``.venv/bin/python -m tests.nlp.bench_classifier``. Posts are
built from the hand-written language samples, shuffled and recombined so that most are unique
(caches help only as much as real vocabulary repetition would).
"""

from __future__ import annotations

import random
import statistics
import time

from nlp.pipeline import Classifier
from tests.nlp.language_samples import SAMPLES

EXTRAS = ["", " 🙂", " #museum", "!", " Thanks!", " @museum", " 😡", "??"]


def make_posts(count: int, seed: int = 7) -> list[str]:
    """``count`` short posts: one or two sample sentences plus an optional tail."""
    rng = random.Random(seed)
    sentences = [text for texts in SAMPLES.values() for text in texts]
    posts = []
    for _ in range(count):
        words = rng.choice(sentences).split()
        rng.shuffle(words)  # new word orders and combinations, same vocabulary
        post = " ".join(words[: rng.randint(4, 14)])
        posts.append(post + rng.choice(EXTRAS))
    return posts


def main() -> None:
    """Print posts per second for three runs of 10,000 posts."""
    start = time.perf_counter()
    classifier = Classifier()
    print(f"start-up (pipeline + lexicons): {time.perf_counter() - start:.2f} s")
    posts = make_posts(10_000)
    print(f"{len(posts)} posts, mean {statistics.mean(map(len, posts)):.0f} characters")
    for run in range(3):
        start = time.perf_counter()
        classifier.analyse(posts)
        elapsed = time.perf_counter() - start
        print(f"run {run + 1}: {len(posts) / elapsed:,.0f} posts/s")


if __name__ == "__main__":
    main()
