"""Bounded-window batch submission (jobpipeline.windowing), with plain values standing in for futures."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pytest

from jobpipeline.windowing import SERIAL_BELOW, runs_serially, window_size, windowed


@dataclass(frozen=True)
class Task:
    items: tuple[int, ...]


@pytest.mark.parametrize(
    ("batches", "workers", "serial"),
    [
        pytest.param([Task(tuple(range(SERIAL_BELOW)))] * 2, 1, True, id="one-worker"),
        pytest.param([Task(tuple(range(SERIAL_BELOW * 4)))], 4, True, id="one-batch"),
        pytest.param([Task((1,))] * (SERIAL_BELOW - 1), 4, True, id="few-files"),
        pytest.param([Task((1,))] * SERIAL_BELOW, 4, False, id="enough-files-and-batches"),
        pytest.param([object(), object()], 4, True, id="items-without-files"),
    ],
)
def test_runs_serially(batches: list[object], workers: int, serial: bool) -> None:
    """Small jobs stay in the caller: one worker, one batch, or fewer files than SERIAL_BELOW."""
    assert runs_serially(batches, workers) is serial


@pytest.mark.parametrize(("workers", "window"), [(1, 2), (2, 4), (8, 16)])
def test_window_size(workers: int, window: int) -> None:
    """Two batches in flight per worker, never fewer than two."""
    assert window_size(workers) == window


@pytest.mark.parametrize("window", [1, 2, 3, 10])
def test_windowed_bounds_what_is_in_flight(window: int) -> None:
    """Every item is submitted once and yielded once; never more than `window` are pending at a time."""
    in_flight: list[int] = []
    most = 0

    def submit(item: int) -> int:
        nonlocal most
        in_flight.append(item)
        most = max(most, len(in_flight))
        return item

    def next_done(pending: Collection[int]) -> int:
        finished = max(pending)  # finish out of order, as workers do
        in_flight.remove(finished)
        return finished

    done = list(windowed(range(7), submit, next_done, window))
    assert sorted(done) == list(range(7))
    assert most == min(window, 7)


def test_windowed_rejects_an_empty_window() -> None:
    """A window below one would submit nothing: it is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        list(windowed([1], lambda i: i, lambda p: next(iter(p)), 0))
