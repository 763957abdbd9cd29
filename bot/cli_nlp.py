"""``salon nlp``: classify a text, evaluate the shipped pipeline, train the models."""

from __future__ import annotations

import json
from collections.abc import Callable
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
    task: Annotated[str, typer.Option("--task", help="sentiment, offensive, hate or intent.")],
    texts: Annotated[
        Path | None, typer.Option("--texts", help="One text per line (TweetEval format).")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="One label id per line (ids as in mapping.txt)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="intent: a JSONL file or folder (default: the bundled test split)."
        ),
    ] = None,
    rules_only: RulesOnly = False,
) -> None:
    """Print one JSON object: quality of the whole pipeline and its docs_per_second."""
    from nlp.errors import NlpDataError
    from nlp.evaluation import evaluate_pipeline, read_labelled
    from nlp.pipeline import Classifier

    classifier = Classifier(trained=not rules_only)
    if task == "intent":
        from nlp.intent import DATA_DIR
        from nlp.intent.evaluate import evaluate_intent

        result = evaluate_intent(data or DATA_DIR, classifier=classifier)
    elif texts is None or labels is None:
        raise NlpDataError(f"--task {task} needs --texts FILE and --labels FILE")
    else:
        items, ids = read_labelled(texts, labels, task)
        result = evaluate_pipeline(task, items, ids, classifier)
    typer.echo(json.dumps(result))


TRAIN_TASKS = ("sentiment", "abuse", "intent", "topics")


@nlp_app.command()
def train(
    task: Annotated[str, typer.Option("--task", help=f"One of {', '.join(TRAIN_TASKS)}.")],
    data: Annotated[Path, typer.Option("--data", help="Folder with the training data.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Output folder (default: the shipped model's for sentiment, "
            "abuse and intent; salon-models/topics for topics).",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Config whose taxonomy to use (topics).")
    ] = None,
) -> None:
    """Train a model, showing progress; writes the model, its meta.json and metrics.json."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nlp.errors import NlpDataError

    if task not in TRAIN_TASKS:
        raise NlpDataError(f"unknown task {task!r}; choose one of {', '.join(TRAIN_TASKS)}")
    console = Console(stderr=True, log_path=False)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        step = bar.add_task(f"{task}: starting", total=None)

        def progress(message: str) -> None:
            bar.update(step, description=f"{task}: {message}")
            bar.console.log(message)

        metrics = _train(task, data, out, config, progress)
    typer.echo(json.dumps(metrics, indent=2))


def _train(
    task: str, data: Path, out: Path | None, config: Path | None, progress: Callable[[str], None]
) -> dict[str, object]:
    from nlp.spacy_export import write_spacy_pipeline

    metrics, folder = _fit(task, data, out, config, progress)
    write_spacy_pipeline(task, folder)
    progress(f"wrote {folder} (a spaCy pipeline too: spacy.load({str(folder)!r}))")
    return metrics


def _fit(
    task: str, data: Path, out: Path | None, config: Path | None, progress: Callable[[str], None]
) -> tuple[dict[str, object], Path]:
    if task == "topics":
        from config.loader import load_settings
        from config.taxonomy import default_taxonomy, load_taxonomy
        from nlp.topic_training import train_topics

        path = load_settings(config).nlp.taxonomy_file if config else None
        taxonomy = load_taxonomy(path) if path else default_taxonomy()
        folder = out or Path("salon-models/topics")
        return train_topics(data, folder, taxonomy, progress=progress), folder
    if task == "intent":
        from nlp.intent.train import MODEL_DIR, train_intent

        progress(f"training on {data / 'train.jsonl'} (5-fold cross-validation, then all)")
        folder = out or MODEL_DIR
        return train_intent(data, folder), folder
    from nlp.textcat.model import MODELS_DIR
    from nlp.textcat.train import main as train_textcat

    progress("training: extracting features, then fitting the ensemble (log lines follow)")
    train_textcat(["--task", task, "--data", str(data), *(["--out", str(out)] if out else [])])
    folder = out or MODELS_DIR / task
    metrics: dict[str, object] = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return metrics, folder


@nlp_app.command("export-labels")
def export_labels(
    task: Annotated[str, typer.Option("--task", help="topics, sentiment or intent.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write train.jsonl into.")],
    config: Annotated[
        Path, typer.Option("--config", "-c", envvar="SALON_CONFIG", help="The configuration.")
    ] = Path("salon.yaml"),
) -> None:
    """Write staff corrections (newest per post) as training data for `salon nlp train`."""
    from sqlalchemy.orm import Session

    from bot.corrections import export_corrections
    from bot.db import open_engine
    from config.loader import load_settings
    from nlp.errors import NlpDataError

    settings = load_settings(config)
    engine = open_engine(settings.database.url)
    try:
        with Session(engine) as session:
            path, count = export_corrections(session, task, out)
    except ValueError as exc:
        raise NlpDataError(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"{count} corrected post(s) written to {path}")
