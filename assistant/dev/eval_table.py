"""The tables ``rla eval`` prints: totals per row, ratios to the baseline, one row's questions,
and the issue's target line for hybrid retrieval."""

from __future__ import annotations

from assistant.dev.evaluate import BASELINE, EvalReport


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"x{value:.2f}"


def render(report: EvalReport, *, per_question: str | None = None) -> str:
    """The summary table, the ratios to the baseline, and one row's questions if asked."""
    k = report.k
    head = (
        f"{'row':<9} {'retr@' + str(k):>7} {'MRR':>5} {'cited':>5} {'answd':>5} "
        f"{'refusal':>7} {'integr':>6} {'p50 ms':>8} {'p95 ms':>8}"
    )
    lines = [
        f"{report.questions_file or 'questions'}: k={k}, {report.store_chunks} chunks in store",
        "",
        head,
        "-" * len(head),
    ]
    for row in report.rows:
        t = row.totals()
        lines.append(
            f"{row.name:<9} {_fmt(t['retrieved_at_k']):>7} {_fmt(t['mrr']):>5} "
            f"{_fmt(t['cited']):>5} {_fmt(t['answered']):>5} {_fmt(t['refusal_accuracy']):>7} "
            f"{_fmt(t['integrity']):>6} {t['latency_ms_p50']:>8.1f} {t['latency_ms_p95']:>8.1f}"
        )
    if any(r.ratio_to_baseline for r in report.rows):
        lines += ["", "ours / baseline:", f"{'row':<9} {'retr@' + str(k):>7} {'MRR':>6} "
                  f"{'cited':>6} {'p50':>7}"]
        for row in report.rows:
            if row.name == BASELINE:
                continue
            r = row.ratio_to_baseline
            lines.append(
                f"{row.name:<9} {_ratio(r.get('retrieved_at_k')):>7} {_ratio(r.get('mrr')):>6} "
                f"{_ratio(r.get('cited')):>6} {_ratio(r.get('latency_ms_p50')):>7}"
            )
    if per_question:
        row = report.row(per_question)
        lines += ["", f"per question ({row.name}):",
                  f"{'id':<10} {'rank':>4} {'cited':>5} {'grounded':>8} {'ok':>3} {'ms':>7}"]
        for q in row.results:
            expect = "refuse" if q.must_contain is None else ""
            rank = str(q.rank) if q.rank else ("-" if q.must_contain else expect)
            lines.append(
                f"{q.id:<10} {rank:>4} {_yn(q.cited):>5} {_yn(q.grounded):>8} "
                f"{_yn(q.integrity_ok):>3} {q.latency_ms:>7.1f}"
                + (f"  {'; '.join(q.problems)}" if q.problems else "")
            )
    check = hybrid_target(report)
    if check:
        lines += ["", check]
    if report.notes:
        lines += [""] + [f"note: {n}" for n in report.notes]
    return "\n".join(lines)


def hybrid_target(report: EvalReport) -> str:
    """The issue's target line: hybrid retrieved@k >= every other row's (PASS/MISS)."""
    names = [r.name for r in report.rows]
    if "hybrid" not in names or len(names) < 2:
        return ""
    ours = report.row("hybrid").totals()["retrieved_at_k"] or 0.0
    others = {
        r.name: r.totals()["retrieved_at_k"] or 0.0 for r in report.rows if r.name != "hybrid"
    }
    ok = all(ours >= v for v in others.values())
    return (f"target: hybrid retrieved@{report.k} >= {', '.join(others)}: "
            f"{ours:.2f} vs {', '.join(f'{v:.2f}' for v in others.values())} -> "
            f"{'PASS' if ok else 'MISS'}")


def _yn(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")
