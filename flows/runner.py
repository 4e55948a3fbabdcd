"""PrefectRunner: the pipeline's stages and read batches as Prefect tasks.

Stages run as tasks in the flow's process (they share the warehouse connection); read batches are
tasks too, each handing its batch to a process pool, because parsing is CPU-bound and threads
would serialize on the GIL. A task costs 2-3 ms of orchestration, so a batch holds hundreds of
files. Only transient errors (a busy warehouse) are retried; bad input never is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed

from jobpipeline.errors import JobpipelineError

T = TypeVar("T")
B = TypeVar("B")
R = TypeVar("R")

RETRY_DELAYS = [1, 4, 15]


def is_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only the project's transient errors (a busy warehouse), never bad input."""
    try:
        state.result()
    except JobpipelineError as exc:
        return exc.transient
    except Exception:
        return False
    return False


def _call_in_pool(pool: ProcessPoolExecutor | None, fn: Callable[[B], R], item: B) -> R:
    if pool is None:
        return fn(item)
    return pool.submit(fn, item).result()


class PrefectRunner:
    """StageRunner whose stages and batches are Prefect tasks (see module doc)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        wrapped = task(fn, name=name, cache_policy=NO_CACHE, retries=len(RETRY_DELAYS),
                       retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient)
        return wrapped(*args)  # type: ignore[no-any-return]

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Iterator[R]:
        files = sum(len(getattr(item, "items", ())) for item in items)
        pool = self._get_pool() if self.workers > 1 and files >= 64 and len(items) > 1 else None
        batch_task = task(_call_in_pool, name=f"{name}-batch", cache_policy=NO_CACHE)
        window = max(2, self.workers * 2)  # bounded in flight: memory stays flat on big corpora
        pending: list[PrefectFuture[R]] = []
        queue = list(items)
        while queue or pending:
            while queue and len(pending) < window:
                pending.append(batch_task.submit(pool, fn, queue.pop(0)))
            finished = next(iter(as_completed(pending)))
            pending.remove(finished)
            yield finished.result()

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = get_context("forkserver")
            context.set_forkserver_preload(["jobpipeline.pipeline"])
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
