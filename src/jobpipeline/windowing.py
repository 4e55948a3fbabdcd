"""Bounded-window batch submission, shared by every runner that fans read batches out.

Two rules: a small job runs serially in the caller (starting workers would cost more than the
work), and a big one keeps at most a window of batches in flight, so memory stays flat however
large the corpus (results are consumed as they finish, in completion order).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, TypeVar

SERIAL_BELOW = 64
"""Fewer files than this are read in-process: starting worker processes would cost more."""

B = TypeVar("B")
F = TypeVar("F")


def files_in(items: Sequence[Any]) -> int:
    """Files across the batches (each batch's `items`; 0 for items without any)."""
    return sum(len(getattr(item, "items", ())) for item in items)


def runs_serially(items: Sequence[Any], workers: int) -> bool:
    """Whether these batches are better run one after the other in the caller."""
    return workers <= 1 or len(items) <= 1 or files_in(items) < SERIAL_BELOW


def window_size(workers: int) -> int:
    """Batches in flight: two per worker keeps every worker busy while one result is consumed."""
    return max(2, workers * 2)


def windowed(
    items: Iterable[B], submit: Callable[[B], F], next_done: Callable[[Collection[F]], F], window: int
) -> Iterator[F]:
    """Submit `items` with at most `window` in flight; yield each submitted future as it finishes.

    `submit` starts one item and returns its future; `next_done` blocks until one of the pending
    futures is finished and returns it (e.g. `lambda p: next(as_completed(p))`).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    pending: list[F] = []
    iterator = iter(items)
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            try:
                item = next(iterator)
            except StopIteration:
                exhausted = True
                break
            pending.append(submit(item))
        if not pending:
            return
        finished = next_done(pending)
        pending.remove(finished)
        yield finished
