"""Developers' commands: `rla eval` (quality on a question set) and `rla bench` (speed and
memory against targets and the LangChain baseline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from assistant.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from assistant.dev.evaluate import EvalItem


@click.command("eval")
@click.argument(
    "questions", nargs=-1, required=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
)
@click.option("--k", type=int, default=8, show_default=True, help="Passages per question.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "keyword"]),
    default="hybrid",
    show_default=True,
    help="Retrieval mode to score (and to list per question).",
)
@click.option(
    "--ablation/--no-ablation",
    default=False,
    help="Score hybrid, dense and keyword and the LangChain baseline in one table.",
)
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="PDFs (files or folders) the baseline is built from; default: the store's copies.",
)
@click.option("--folds", type=click.IntRange(2, 2), default=None,
              help="Fit the answer step on one half of each set, score the other, both ways.")
@click.option("--fit", "fit_params", is_flag=True,
              help="Fit the answer step on every question and write relevance.json.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@pass_cli
def eval_command(
    cli: CliContext, questions: tuple[Path, ...], k: int, mode: str, ablation: bool,
    corpus: tuple[Path, ...], folds: int | None, fit_params: bool, as_json: bool,
) -> None:
    """Score retrieval, citations and refusals on each QUESTIONS file against the store.

    Each line has "question" and "must_contain" (a phrase the right passage holds, or null
    for a question the documents do not answer). See the README's "Quality and speed".
    """
    from assistant.dev import evaluate

    assistant = cli.assistant
    sets = {path.stem: evaluate.load_items(path) for path in questions}
    evaluate.require_documents(assistant)
    assistant.warm_up()
    if folds or fit_params:
        _folds(assistant, sets, k=k, fit_params=fit_params, as_json=as_json)
        return
    files = list(corpus) or [assistant.settings.files_dir]
    reports = [
        evaluate.run_eval(
            assistant, items, k=k, modes=evaluate.modes_for(mode, ablation),
            baseline_files=files if ablation else None, questions_file=str(path),
        )
        for path, items in zip(questions, sets.values(), strict=True)
    ]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False)
                   if len(reports) > 1 else json.dumps(reports[0].to_dict(), indent=2,
                                                       ensure_ascii=False))
        return
    from assistant.dev.eval_table import render
    from assistant.dev.folds import render_sets

    for report in reports:
        click.echo(render(report, per_question=mode) + "\n")
    rows = [r.row(mode) for r in reports]
    named = [evaluate.Row(name, row.results) for name, row in zip(sets, rows, strict=True)]
    click.echo(render_sets(named, k, f"per set ({mode}, shipped parameters):"))


def _folds(
    assistant: Any, sets: dict[str, list[EvalItem]], *, k: int, fit_params: bool, as_json: bool
) -> None:
    from assistant.answering.relevance import PARAMS_FILE, write_params
    from assistant.dev.folds import fit_all, held_out, render_sets

    if fit_params:
        params = fit_all(assistant, sets, k=k)
        write_params(params)
        click.echo(json.dumps(params.to_dict(), indent=2) if as_json
                   else f"wrote {PARAMS_FILE}: {params}")
        return
    report = held_out(assistant, sets, k=k)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(render_sets(report.rows, k, "held-out (fitted on the other half of each set):"))
    for n, params in enumerate(report.fits, start=1):
        click.echo(f"fit {n}: {params}")


@click.command()
@click.option("--scale", type=int, default=100_000, show_default=True,
              help="Chunks in the synthetic store (replicated from the corpus; cached); "
                   "above 100,000, the 100,000 store is measured too.")
@click.option("--rounds", type=int, default=3, show_default=True,
              help="Rounds of alternating ours / baseline / raw encode (median of ratios).")
@click.option("--passes", type=int, default=3, show_default=True,
              help="Passes over the question list when timing asks.")
@click.option("--corpus", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Files or folders to ingest (default: ../shared/corpus/pdf of the repo).")
@click.option("--metadata", "metadata_csv", type=click.Path(path_type=Path, exists=True),
              help="Metadata CSV for the corpus (default: the corpus's metadata.csv).")
@click.option("--questions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Questions (JSON lines) to time (default: ../shared/eval/dev.jsonl).")
@click.option("--cache-dir", type=click.Path(path_type=Path),
              help="Where scaled stores are cached (RLA_BENCH_CACHE, ~/.cache/rla-bench).")
@click.option("--no-encoders", is_flag=True, help="Skip the comparison of encoder options.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@pass_cli
def bench(cli: CliContext, scale: int, rounds: int, passes: int, corpus: tuple[Path, ...],
          metadata_csv: Path | None, questions: Path | None, cache_dir: Path | None,
          no_encoders: bool, as_json: bool) -> None:
    """Measure ingest, encoding and ask speed here, beside the LangChain baseline.

    Prints each figure beside its target (PASS/MISS); progress goes to stderr.
    """
    from assistant.dev import bench as bench_mod
    from assistant.dev import bench_report, evaluate

    shared = Path(__file__).resolve().parents[3] / "shared"
    paths = list(corpus) or [shared / "corpus" / "pdf"]
    if metadata_csv is None and not corpus and (shared / "corpus" / "metadata.csv").exists():
        metadata_csv = shared / "corpus" / "metadata.csv"
    items = evaluate.load_items(questions or shared / "eval" / "dev.jsonl")
    results = bench_mod.run_bench(
        corpus=paths, metadata=metadata_csv, items=items, scale=scale, rounds=rounds,
        passes=passes, cache=cache_dir, encoders=not no_encoders,
        say=lambda msg: click.echo(msg, err=True),
    )
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        click.echo(bench_report.render(results))



COMMANDS = (eval_command, bench)
