"""A run stopped by a signal before its commit ends within its grace period, even when its unwinding hangs
(jobpipeline.interrupts). The end-to-end signal cases on both routes are in test_signals.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT

STUCK = """
import sys, time
from jobpipeline.interrupts import hold, stop_on_signals
with stop_on_signals(1.0):
    if sys.argv[1] == "committing":
        hold(7)
    try:
        print("ready", flush=True)
        time.sleep(30 if sys.argv[1] == "stuck" else 3)
    except KeyboardInterrupt:
        time.sleep(30)  # an unwinding that never ends (seen once: the main thread asleep for good)
print("finished", flush=True)
"""


def start(case: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK, case],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_run_whose_unwinding_hangs_ends_after_its_grace(signum: int) -> None:
    """Before: the process slept until killed. Now it ends 1 s (its grace) after the signal, with one line
    saying nothing was committed and where the threads' stacks are."""
    process = start("stuck")
    try:
        signalled = time.monotonic()
        os.kill(process.pid, signum)
        _, err = process.communicate(timeout=15)
        took = time.monotonic() - signalled
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 128 + signum, err
    assert 0.9 < took < 10, took
    [line] = err.strip().splitlines()
    name = signal.Signals(signum).name
    assert line.startswith(f"interrupted ({name}): nothing was committed; the run did not stop within 1 s"), line
    found = re.search(r"stacks: (\S+)\)$", line)
    assert found, line
    stacks = Path(found.group(1))
    try:
        assert 'File "<string>", line 11' in stacks.read_text(encoding="utf-8")  # the hanging sleep
    finally:
        stacks.unlink()


def test_a_run_whose_commit_began_is_never_cut_short() -> None:
    """Once the commit has begun a signal is held: the run goes on past the grace and finishes."""
    process = start("committing")
    try:
        os.kill(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
        process.wait()
    assert (process.returncode, out, err) == (0, "finished\n", "")
