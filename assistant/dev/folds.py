"""``rla eval --folds 2`` and ``--fit``: figures on questions the fit never saw.

Each question set is split in two halves (``fit.halves``). The answer step's numbers are fitted
on the first halves of all sets and every question of the second halves is asked with them;
then the other way round. So each question is scored exactly once, by parameters fitted
without it, and the figures per set are held-out figures. ``--fit`` fits on everything and
writes the shipped ``relevance.json``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from assistant.answering.relevance import Params
from assistant.dev.evaluate import EvalItem, QuestionResult, Row, eval_mode
from assistant.dev.fit import fit, halves


@contextmanager
def tuned(assistant: Any, params: Params) -> Iterator[None]:
    """Ask with ``params`` for the duration, then restore the assistant's own."""
    before = assistant.params
    assistant.use_params(params)
    try:
        yield
    finally:
        assistant.use_params(before)


@dataclass(frozen=True)
class FoldReport:
    rows: tuple[Row, ...]  # one per set: its held-out results
    fits: tuple[Params, ...]  # one per fold

    def to_dict(self) -> dict[str, Any]:
        return {
            "held_out": [r.to_dict() for r in self.rows],
            "fits": [p.to_dict() for p in self.fits],
        }


def held_out(
    assistant: Any, sets: Mapping[str, Sequence[EvalItem]], *, k: int = 8, folds: int = 2
) -> FoldReport:
    """Fit on one half of every set, score the other half, both ways (``folds`` must be 2)."""
    if folds != 2:
        raise ValueError("only two folds are supported (each half fitted on the other)")
    split = {name: halves(items) for name, items in sets.items()}
    results: dict[str, dict[str, QuestionResult]] = {name: {} for name in sets}
    fits: list[Params] = []
    for train, test in ((0, 1), (1, 0)):
        training = [i for parts in split.values() for i in parts[train]]
        params = fit(assistant, training, k, note=f"fold: half {train + 1} of each set")
        fits.append(params)
        with tuned(assistant, params):
            for name, parts in split.items():
                row = eval_mode(assistant, parts[test], k, "hybrid")
                results[name].update({r.id: r for r in row.results})
    rows = tuple(
        Row(f"{name} (held-out)", tuple(results[name][i.id] for i in items))
        for name, items in sets.items()
    )
    return FoldReport(rows, tuple(fits))


def fit_all(assistant: Any, sets: Mapping[str, Sequence[EvalItem]], *, k: int = 8) -> Params:
    """The shipped fit: every question of every set."""
    everything = [i for items in sets.values() for i in items]
    note = ", ".join(f"{name} ({len(items)} questions)" for name, items in sets.items())
    return fit(assistant, everything, k, note=f"fitted on {note}")


def render_sets(rows: Sequence[Row], k: int, title: str) -> str:
    """Per set: retrieved@k, cited, false refusals, traps refused, integrity, p50/p95."""
    head = (f"{'set':<26} {'n':>3} {'retr@' + str(k):>7} {'cited':>6} {'false ref':>9} "
            f"{'traps ref':>9} {'integr':>6} {'p50 ms':>7} {'p95 ms':>7}")
    lines = [title, head, "-" * len(head)]
    for row in rows:
        t = row.totals()
        lines.append(
            f"{row.name[:26]:<26} {t['questions']:>3} {_f(t['retrieved_at_k']):>7} "
            f"{_f(t['cited']):>6} {_f(t['false_refusals']):>9} {_f(t['refusal_accuracy']):>9} "
            f"{_f(t['integrity']):>6} {t['latency_ms_p50']:>7.1f} {t['latency_ms_p95']:>7.1f}"
        )
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
