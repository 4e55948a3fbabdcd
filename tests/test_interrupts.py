"""A run stopped by a signal before its commit ends within its grace period, even when its unwinding hangs
(jobpipeline.interrupts). The end-to-end signal cases on both routes are in test_signals.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import ROOT, python

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


HALF_WRITTEN = """
import sys, time
from pathlib import Path

from prefect import flow

from fault_child import Batch, half_written_result
from jobpipeline.cli import _exit
from jobpipeline.orchestration.runner import PrefectRunner

marker = Path(sys.argv[1])


@flow
def reading() -> None:
    with PrefectRunner(2) as runner:
        for _ in runner.map("read", half_written_result, [Batch(str(marker), 0), Batch(str(marker), 1)]):
            Path(f"{marker}.go").touch()
            while not marker.exists():  # batch 1's reader has written half its result
                time.sleep(0.02)
            raise KeyboardInterrupt  # a Ctrl-C while the run handles batch 0, as in faults.checkpoint


try:
    reading()
except KeyboardInterrupt:
    print("interrupted", flush=True)
_exit(0)  # the CLI's way out: atexit handlers, then no interpreter teardown
"""


@pytest.mark.slow
def test_an_interrupted_prefect_read_whose_pool_is_stuck_still_unwinds(managed_server: Any, tmp_path: Path) -> None:
    """A run on the Prefect route interrupted while its readers' results are half written ends at once.

    Each read batch is a Prefect task waiting in a thread for its batch's future; on the way out of the
    interrupted flow Prefect's task runner joins those threads. A reader ended mid-write leaves its pool's
    manager thread waiting for the rest of the message for good (fault_child.half_written_result), so no
    future completes: the threads waited for ever, the run's stop watchdog ended it 20 s after the signal
    with its stacks and "did not stop", and the resource tracker's leak warning came after that last line
    (tests/test_signals.py, about one suite in ten)."""
    env = {
        **os.environ,
        "PREFECT_API_URL": managed_server.api_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITTEN, str(tmp_path / "written")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the interrupted flow never ended: {out}{err[-2000:]}")
    assert process.returncode == 0, err
    assert out == "interrupted\n", out + err
    assert "leaked" not in err, err


SIGNALLED_IN_DUCKDB = """
import os, signal, sys, time

from jobpipeline import warehouse
from jobpipeline.cli import main


class SignalledStream:
    '''An Arrow table that DuckDB reads by calling back into Python, and a SIGTERM arriving during that call.'''

    def __init__(self, table):
        self.table = table

    def __arrow_c_stream__(self, requested_schema=None):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(2)  # the run's handler raises KeyboardInterrupt here, inside DuckDB's call
        return self.table.__arrow_c_stream__(requested_schema)


class SignalledFrame:
    def __init__(self, frame):
        self.frame = frame

    def to_arrow(self):
        return SignalledStream(self.frame.to_arrow())


stage = warehouse.WarehouseWriter._insert_frame
warehouse.WarehouseWriter._insert_frame = lambda self, table, frame: stage(self, table, SignalledFrame(frame))
sys.argv = ["jobpipeline", "run", "--local", "--seeds", sys.argv[1], "--warehouse", sys.argv[2]]
main()
"""


def test_a_signal_that_duckdb_turns_into_its_own_error_still_says_interrupted(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """SIGTERM while DuckDB reads a batch's rows through Python: DuckDB reports the KeyboardInterrupt raised
    in its call as its own error ("Invalid Input Error: reading the schema of the object registered as
    '_frame' failed: KeyboardInterrupt"). The run still ends as an interrupted one: exit 143 and the line that
    says nothing was committed (before: "error: ... load failed: Invalid Input Error ..." and exit 2; seen with
    a real `kill` to a run's group mid-read)."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    done = python(SIGNALLED_IN_DUCKDB, str(seeds_dir), str(warehouse))
    lines = done.stderr.strip().splitlines()
    assert lines[-1:] == ["interrupted (SIGTERM): nothing was committed; the warehouse is as it was before the run"], (
        done.stderr
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert not warehouse.exists()
