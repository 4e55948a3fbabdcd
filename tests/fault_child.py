"""A run killed at a fault point, in a child process forked from a forkserver (no interpreter start-up).

Kept apart from the test modules so a child imports only this and the (preloaded) pipeline.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import ForkServerContext

from jobpipeline.pipeline import LocalRunner, RunOptions, ingest


def _run_with_fault(point: str, options: RunOptions) -> None:
    os.environ["JOBPIPELINE_KILL_AT"] = point  # faults.checkpoint SIGKILLs this process there
    ingest(options, LocalRunner(workers=1))


def _context() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, ForkServerContext)
    context.set_forkserver_preload(["jobpipeline.pipeline", "fault_child"])
    return context


def run_killed_at(point: str, options: RunOptions, timeout: float = 60.0) -> int | None:
    """Run `ingest` in a child that SIGKILLs itself at `point`; its exit code (-9 when killed there,
    0 when the run never reached the point)."""
    child = _context().Process(target=_run_with_fault, args=(point, options))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
    return child.exitcode


def _run_paused(point: str, flag: str, options: RunOptions) -> None:
    os.environ["JOBPIPELINE_PAUSE_AT"] = point  # faults.checkpoint waits there for `<flag>.release`
    os.environ["JOBPIPELINE_PAUSE_FILE"] = flag
    ingest(options, LocalRunner(workers=1))


def start_paused_at(point: str, flag: str, options: RunOptions) -> multiprocessing.process.BaseProcess:
    """Start `ingest` in a child that pauses at `point` (it creates `<flag>.reached` and waits for
    `<flag>.release`); join it once released."""
    child = _context().Process(target=_run_paused, args=(point, flag, options))
    child.start()
    return child
