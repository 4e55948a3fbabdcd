"""The reader pool's forkserver starts each reader through `jobpipeline._forkserver.reader_main`.

Checked in a process of its own: importing the module patches that process's `multiprocessing.spawn` and
makes it ignore SIGTERM, as it does in the forkserver.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import signal
    from multiprocessing import spawn, synchronize

    import jobpipeline._forkserver as forkserver

    assert spawn._main is forkserver.reader_main

    def unpickles_a_semaphore_that_is_gone(fd, sentinel):
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN, "SIGINT not ignored before unpickling"
        lock = object.__new__(synchronize.SemLock)
        lock.__setstate__((0, 1, 1, "/jobpipeline-test-semaphore-that-is-gone"))

    def fails_otherwise(fd, sentinel):
        raise FileNotFoundError("a reader's own error")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as the forkserver hands it to the child
    forkserver._spawn_main = unpickles_a_semaphore_that_is_gone
    assert forkserver.reader_main(0, 0) == 1
    forkserver._spawn_main = fails_otherwise
    try:
        forkserver.reader_main(0, 0)
    except FileNotFoundError as exc:
        assert "own error" in str(exc)
    else:
        raise AssertionError("an error of the reader itself was swallowed")
    print("ok")
    """
)


def test_a_reader_started_as_its_pool_stops_exits_quietly_and_ignores_sigint_from_the_start() -> None:
    """A reader forked just as the run stopped its pool finds the pool's semaphores gone: it exits with
    no traceback (one appeared under the run's last line, caught by test_signals under load); any other
    error still shows; and SIGINT is ignored before the reader unpickles anything (a Ctrl-C to the group
    used to interrupt a half-started reader)."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr
    assert result.stderr == ""
