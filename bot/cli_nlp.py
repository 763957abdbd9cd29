"""``salon nlp``: classify a text, evaluate the shipped pipeline, train the models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

nlp_app = typer.Typer(
    name="nlp",
    help="Classify a text, evaluate the pipeline on labelled data, train the models.",
    no_args_is_help=True,
)

RulesOnly = Annotated[
    bool, typer.Option("--rules-only", help="Skip the trained models (lexicons and rules only).")
]


@nlp_app.command()
def classify(
    text: Annotated[str, typer.Argument(help="The post to analyse.")],
    language: Annotated[
        str | None,
        typer.Option("--language", "-l", help="The platform's language tag, e.g. fr or pt-BR."),
    ] = None,
    rules_only: RulesOnly = False,
) -> None:
    """Print the full analysis of TEXT as JSON (language, topics, sentiment, intents, abuse)."""
    from nlp.analysis import Analysis
    from nlp.pipeline import Classifier

    classifier = Classifier(trained=not rules_only)
    doc = next(iter(classifier.pipe([text], [language])))
    out: dict[str, object] = {
        "classifier": classifier.name,
        "version": classifier.version,
        **Analysis.from_doc(doc).to_dict(),
    }
    for attr in ("textcat_sentiment", "textcat_abuse", "lexicon_scores"):
        if doc.has_extension(attr) and doc._.get(attr) is not None:
            out[attr] = doc._.get(attr)
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2))


@nlp_app.command()
def evaluate(
    task: Annotated[str, typer.Option("--task", help="sentiment, offensive or hate.")],
    texts: Annotated[Path, typer.Option("--texts", help="One text per line.")],
    labels: Annotated[
        Path, typer.Option("--labels", help="One label id per line (ids as in mapping.txt).")
    ],
    rules_only: RulesOnly = False,
) -> None:
    """Print one JSON object: quality of the whole pipeline on TEXTS and its docs_per_second."""
    from nlp.evaluation import evaluate_pipeline, read_labelled
    from nlp.pipeline import Classifier

    items, ids = read_labelled(texts, labels, task)
    result = evaluate_pipeline(task, items, ids, Classifier(trained=not rules_only))
    typer.echo(json.dumps(result))
