"""SIGINT, SIGTERM and SIGHUP during a run, and reader processes that never outlive the process that started them.

A command that runs the pipeline (`run`, `revalidate`) handles them the same way, on either route (SIGHUP,
a terminal that went away, also puts /dev/null in place of the terminal for what is left to print):

- before the commit, a signal interrupts the run at once: KeyboardInterrupt is raised in the main thread
  wherever it is (a stage, Prefect's engine, a wait for a read batch), the stack unwinds, the uncommitted
  `.next` copy is removed and the reader pool is stopped;
- once the commit stage has begun (`hold`), stopping half-way would leave the warehouse and the datasets
  saying different things, so the signal is only remembered (`received`): the run finishes and the
  command then says that the run was committed.

A stopped run has `grace` seconds (setting `stop_grace_seconds`) to unwind; past them a watchdog thread
ends the process with the same one line and the threads' stacks in a file it names. Its stacks found the
one hang seen so far (about one suite in ten, on the Prefect route): Prefect's task runner joined a read
batch's thread that waited for good on a pool whose reader had been ended mid-write
(orchestration/runner.py's `_call_in_pool` now looks for the stop). The watchdog stays as the last
resort; it never fires once the commit has begun (that run finishes, as above).

The Prefect route needs the handler too: `asyncio.run` replaces Python's SIGINT handler with one that
cancels the flow's task at its next `await`, and the stages never await, so Ctrl-C used to wait for
the whole run (committed and published) and then say "nothing was committed". asyncio leaves a
handler that is not Python's default alone.

Readers (a `ProcessPoolExecutor` on the forkserver) and their forkserver (`jobpipeline._forkserver`)
ignore both signals: the parent decides when they stop. Each reader holds the read end of a pipe whose
only write end is in the parent (`lifeline`); when the parent dies, however it dies (SIGKILL included),
the pipe reaches EOF and the reader exits. Without it a reader waits for its next batch forever, and it
holds the parent's stdout and stderr, so `jobpipeline run | tee log` never returned. The forkserver and
the resource tracker exit on their own once the parent and the readers are gone.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""What stops a run. SIGHUP: its terminal went away (a closed window, a lost ssh connection), which killed
the run where it stood; a SIGHUP ignored when the block begins (`nohup`) stays ignored."""


def handled(signum: int) -> bool:
    """Whether a command takes `signum` over: every one of SIGNALS, except a SIGHUP ignored from the start
    (`nohup`)."""
    return signum != signal.SIGHUP or signal.getsignal(signum) is not signal.SIG_IGN


def leave_the_terminal() -> None:
    """Put /dev/null on standard streams that are terminals (character devices): after a hang-up every
    write to one fails, and the stopped command still has its last lines to say. Files and pipes stay."""
    import stat

    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
    finally:
        os.close(null)


class _State:
    installed = False
    committing: int | None = None
    """The run whose commit has begun: signals are held from then on."""
    received: int | None = None
    stopped_at: float | None = None
    """When a signal stopped the run (monotonic clock); read by the block's watchdog."""
    block = 0
    """Counts `stop_on_signals` blocks: a watchdog acts only in its own."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGHUP:
        leave_the_terminal()
    if _State.received is None:
        _State.received = signum
    if _State.committing is None:
        if _State.stopped_at is None:
            _State.stopped_at = time.monotonic()  # no lock taken in a handler: the watchdog polls
        raise KeyboardInterrupt


def _watchdog(block: int, grace: float) -> None:
    """The stopped run's last resort: still in its block `grace` seconds after the signal, no commit begun."""
    while _State.block == block:
        stopped_at = _State.stopped_at
        if stopped_at is not None and _State.committing is None and time.monotonic() - stopped_at >= grace:
            _end_now(grace)
        time.sleep(0.25)


def _end_now(grace: float) -> None:
    from jobpipeline.errors import RunDidNotStop

    fd, stacks = tempfile.mkstemp(prefix=f"jobpipeline-stopped-{os.getpid()}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        faulthandler.dump_traceback(file=handle, all_threads=True)
    error = RunDidNotStop(_State.received or signal.SIGTERM, grace, stacks)
    os.write(sys.stderr.fileno(), f"{error}\n".encode())
    os._exit(error.exit_code)


@contextmanager
def stop_on_signals(grace: float) -> Iterator[None]:
    """Inside this block (main thread only), SIGINT and SIGTERM stop the run before its commit, or are
    held until the run ends once the commit has begun (see the module docstring). A run stopped before
    its commit that is still in this block `grace` seconds later is ended there."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS if handled(signum)}
    _State.installed, _State.committing, _State.received, _State.stopped_at = True, None, None, None
    _State.block += 1
    threading.Thread(target=_watchdog, args=(_State.block, grace), name="stop-watchdog", daemon=True).start()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _State.installed, _State.committing = False, None
        _State.block += 1  # its watchdog returns


@contextmanager
def reclaimed() -> Iterator[None]:
    """Inside `stop_on_signals`, make its handler the one that runs again for this block.

    Prefect's flow engine installs a SIGTERM handler of its own for the length of a flow run (it
    raises TerminationSignal at once, the commit included); this block is the flow's body."""
    if not _State.installed or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS if handled(signum)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def hold(run_id: int) -> None:
    """The commit of `run_id` has begun: from now on a signal is remembered, not raised."""
    if _State.installed:
        _State.committing = run_id


def received() -> int | None:
    """The first signal received inside `stop_on_signals` (None: none)."""
    return _State.received


def committing() -> int | None:
    """The run whose commit began inside `stop_on_signals` (None: none began)."""
    return _State.committing


def reader_started(lifeline: Connection) -> None:
    """Initializer of a reader process: ignore SIGINT and SIGTERM (a Ctrl-C or a `kill` to the process group
    is the parent's to handle) and exit as soon as the parent's end of `lifeline` closes."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), name="lifeline", daemon=True).start()


def _exit_with_parent(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()  # nothing is ever sent: this returns at EOF, when the parent is gone
    os._exit(1)
