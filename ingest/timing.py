"""Seconds spent per ingest stage, collected only when someone asks (``rla bench``).

``collect()`` opens a tally for the current context; ``timed(stage)`` marks a function whose
time is added to that tally's ``stage``. With no tally open, a timed call costs one context
variable look-up. Stages nest exclusively: time spent in an inner timed call is counted for
the inner stage only.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# The open tally and the stack of timed calls running inside it (their start times).
_TALLY: ContextVar[tuple[dict[str, float], list[float]] | None] = ContextVar(
    "rla_stage_tally", default=None
)


@contextmanager
def collect() -> Iterator[dict[str, float]]:
    """A fresh ``{stage: seconds}`` that timed calls in this context add to."""
    stages: dict[str, float] = {}
    token = _TALLY.set((stages, []))
    try:
        yield stages
    finally:
        _TALLY.reset(token)


def timed(stage: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: add the call's own time (less nested timed calls) to ``stage``."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            tally = _TALLY.get()
            if tally is None:
                return fn(*args, **kwargs)
            stages, nested = tally
            nested.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                inner_spent = nested.pop()
                stages[stage] = stages.get(stage, 0.0) + spent - inner_spent
                if nested:
                    nested[-1] += spent

        return inner

    return wrap
