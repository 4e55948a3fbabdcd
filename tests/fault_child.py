"""A run killed at a fault point, in a child process forked from a forkserver (no interpreter start-up).

Kept apart from the test modules so a child imports only this and the (preloaded) pipeline.
"""

from __future__ import annotations

import multiprocessing
import os
import struct
import sys
import time
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path

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


@dataclass(frozen=True)
class Batch:
    """A read batch as the runners count it (by `items`): enough of them go to a process pool."""

    marker: str
    index: int
    items: tuple[int, ...] = tuple(range(32))


def half_written_result(batch: Batch) -> int:
    """Batch 0 is read at once. Batch 1 waits for `<marker>.go`, then leaves the first bytes of a result in
    the pool's result pipe, touches `marker` and hangs.

    What a reader ended mid-write leaves (its lifeline ends it with `os._exit` wherever it is, also while it
    sends a finished batch): the pool's manager thread reads the message's length and then waits for bytes
    that never come, and the parent holds the pipe's write end too, so no EOF ends that wait. No future of
    that pool completes after it: neither a batch's result nor BrokenProcessPool."""
    if batch.index == 0:
        return 0
    go = Path(batch.marker + ".go")
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    frame = sys._getframe()
    while frame.f_code.co_name != "_process_worker":  # concurrent.futures.process: the reader's main loop
        assert frame.f_back is not None, "not called in a process pool's worker"
        frame = frame.f_back
    result_queue = frame.f_locals["result_queue"]
    os.write(result_queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"half a batch")
    Path(batch.marker).touch()
    time.sleep(120)
    return batch.index
