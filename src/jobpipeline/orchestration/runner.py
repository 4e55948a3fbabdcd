"""PrefectRunner: the pipeline's stages and read batches as Prefect tasks.

Stages run as tasks in the flow's process (they share the warehouse connection); read batches are
tasks too, each handing its batch to a process pool, because parsing is CPU-bound and threads
would serialize on the GIL. A task costs 2-3 ms of orchestration, so a batch holds hundreds of
files. Only transient errors (a busy warehouse) are retried; bad input never is.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import queue
from collections.abc import Callable, Collection, Generator, Sequence
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import TaskRunner

from jobpipeline.batches import ReadTask, with_contents
from jobpipeline.errors import JobpipelineError
from jobpipeline.pipeline import ReaderPool, new_process_pool
from jobpipeline.windowing import runs_serially, window_size, windowed

T = TypeVar("T")
B = TypeVar("B")
R = TypeVar("R")

RETRY_DELAYS: list[float] = [1, 4, 15]


def is_transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only the project's transient errors (a busy warehouse), never bad input."""
    try:
        state.result()
    except JobpipelineError as exc:
        return exc.transient
    except Exception:
        return False
    return False


STOP_CHECK_SECONDS = 0.2
"""How often a batch task waiting on its reader looks whether the run stopped the pool."""


def _call_in_pool(pool: ReaderPool | None, fn: Callable[[B], R], item: B, sink: queue.SimpleQueue[R]) -> None:
    # The batch goes to `sink`, not back through Prefect: measured at 10,000 articles, returning
    # it as the task's result kept every batch alive until the flow ended (~1 GB instead of ~0.5).
    if pool is None:
        sink.put(fn(item))
        return
    try:
        future = pool.submit(fn, item)
        # Not one unbounded wait: once an interrupted run stops the pool, this future may never complete. A
        # reader ended mid-write leaves half a result in the pool's pipe, its manager thread waits for the
        # rest for good, and Prefect's task runner joins this thread before the flow can end (the run hung
        # until its stop watchdog; tests/test_interrupts.py).
        while not pool.stopped:
            with contextlib.suppress(TimeoutError):
                sink.put(future.result(timeout=STOP_CHECK_SECONDS))
                return
    except Exception:
        if pool.stopped:
            return  # the run was interrupted and stopped its readers: not a failure of this batch to log
        raise


class PrefectRunner:
    """StageRunner whose stages and batches are Prefect tasks (see module doc)."""

    def __init__(self, workers: int | None = None, batch_runner: TaskRunner[Any] | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.batch_runner = batch_runner
        """When set (a DaskTaskRunner), read batches run there and only their rows come back."""
        self._pool: ReaderPool | None = None

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        # The arguments go in a closure, not as task parameters: Prefect walks every parameter
        # looking for futures, and a stage's arguments hold the whole corpus's state.
        def run_stage() -> T:
            return fn(*args)

        run_stage.__name__ = name
        wrapped = task(
            name=name,
            cache_policy=NO_CACHE,
            retries=len(RETRY_DELAYS),
            retry_delay_seconds=RETRY_DELAYS,
            retry_condition_fn=is_transient,
        )(run_stage)
        return wrapped()

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Generator[R]:
        submit: Callable[[B], PrefectFuture[R]]
        if self.batch_runner is not None:
            remote = task(name=f"{name}-batch", cache_policy=NO_CACHE)(fn)
            parameter = next(iter(inspect.signature(fn).parameters))
            runner = self.batch_runner

            def submit(item: B) -> PrefectFuture[R]:
                # Workers may run where the seeds folder is not: send the bytes, read here.
                sent = with_contents(item) if isinstance(item, ReadTask) else item
                future: PrefectFuture[R] = runner.submit(remote, parameters={parameter: sent})
                return future
        else:
            pool = None if runs_serially(items, self.workers) else self._get_pool()
            local = task(name=f"{name}-batch", cache_policy=NO_CACHE)(_call_in_pool)
            sink: queue.SimpleQueue[R] = queue.SimpleQueue()

            def submit(item: B) -> PrefectFuture[R]:
                future: PrefectFuture[R] = local.submit(pool, fn, item, sink)  # type: ignore[assignment]
                return future

        def next_done(pending: Collection[PrefectFuture[R]]) -> PrefectFuture[R]:
            return next(iter(as_completed(list(pending))))

        for finished in windowed(items, submit, next_done, window_size(self.workers)):
            result = finished.result()  # raises the batch's error, if any
            yield sink.get_nowait() if self.batch_runner is None else result
        # Every batch is read: end the readers now, as LocalRunner does. Kept until the flow ended, two
        # idle readers held ~230 MiB through the load, enrich and publish of a 100,000-article run,
        # which made its peak (1,151 MiB, benchmarks/run.py). A re-read round starts them again.
        self.close()

    def _get_pool(self) -> ReaderPool:
        if self._pool is None:
            self._pool = new_process_pool(self.workers)
        return self._pool

    def close(self, *, stop: bool = False) -> None:
        """Shut the reader pool down; `stop`: at once, readers mid-batch included (an interrupted or failed run)."""
        if self._pool is not None:
            if stop:
                self._pool.stop()
            else:
                self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PrefectRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(stop=exc_type is not None)
