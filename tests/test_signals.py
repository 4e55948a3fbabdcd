"""SIGINT and SIGTERM to a real `jobpipeline run` process (its pid, or its whole process group), on both
routes: through Prefect (the default) and `--local`; and SIGHUP, from a terminal that goes away.

Paused before the commit (reading, with the reader pool busy), a signal stops the run: exit 130 or 143,
the warehouse still at the previous run, no `.next` copy, and no process of the run left behind (the
stdout and stderr pipes reach EOF: `jobpipeline run | tee log` returns). Paused after the commit began,
the signal waits: the run commits and publishes, and its last line says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import rows, run_local

pytestmark = pytest.mark.slow

NEW_ARTICLES = 80
"""Enough files for the reader pool (runs of fewer than 64 files read in-process), in batches of 16."""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse at run 1 (one article), and a seeds folder that has since gained 80 articles."""
    root = tmp_path_factory.mktemp("signals") / "case"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    (seeds / "first.txt").write_text(make_article("first"), encoding="utf-8")
    run_local(seeds, root / "wh" / "jobs.duckdb")
    for i in range(NEW_ARTICLES):
        (seeds / f"new_{i:03d}.txt").write_text(make_article(f"new_{i:03d}", related=["first"]), encoding="utf-8")
    return root


@dataclass
class Case:
    seeds: Path
    warehouse: Path
    flag: Path


@pytest.fixture
def case(template: Path, tmp_path: Path) -> Case:
    root = tmp_path / "case"
    shutil.copytree(template, root, symlinks=True)
    return Case(root / "seeds", root / "wh" / "jobs.duckdb", tmp_path / "pause")


@pytest.fixture(params=["prefect", "local"])
def route(request: pytest.FixtureRequest) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The extra arguments and environment of each route (the default one on the session's managed server)."""
    if request.param == "local":
        yield ["--local"], dict(os.environ)
    else:
        yield [], request.getfixturevalue("default_route_env")


def session_processes(sid: int) -> list[str]:
    """Live processes (zombies aside) of the session `sid`: the run started it, so all its children are in it."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append(f"{entry.name} {state} {cmdline[:120]}")
    return found


def start_paused(case: Case, route: tuple[list[str], dict[str, str]], point: str) -> subprocess.Popen[str]:
    """`jobpipeline run` in a session of its own, paused at `point` (jobpipeline.faults)."""
    extra, env = route
    env = {**env, "JOBPIPELINE_PAUSE_AT": point, "JOBPIPELINE_PAUSE_FILE": str(case.flag)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "run",
            *extra,
            "--seeds",
            str(case.seeds),
            "--warehouse",
            str(case.warehouse),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    reached = Path(f"{case.flag}.reached")
    deadline = time.monotonic() + 120
    while not reached.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_session(process)
            pytest.fail(f"the run never reached {point}: {process.communicate()}")
        time.sleep(0.05)
    return process


def stop_session(process: subprocess.Popen[str]) -> None:
    """Whatever the test found, leave nothing running: SIGKILL what is left of the run's session."""
    for line in session_processes(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split()[0]), signal.SIGKILL)
    process.kill()
    process.wait()


def send(process: subprocess.Popen[str], signum: int, target: str) -> None:
    if target == "group":
        os.killpg(process.pid, signum)
    else:
        os.kill(process.pid, signum)


def finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The run's output once both pipes reach EOF: every process that held them has exited."""
    try:
        return process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        left = session_processes(process.pid)
        stop_session(process)
        pytest.fail(f"stdout/stderr still open after the run: held by {left}")


def with_stacks(err: str) -> str:
    """The run's stderr, and the threads' stacks its stop watchdog left when the run did not stop in time."""
    found = re.search(r"its threads' stacks: (\S+)\)", err)
    if not found or not Path(found.group(1)).exists():
        return err
    return f"{err}\n{Path(found.group(1)).read_text(encoding='utf-8')}"


def last_run(warehouse: Path) -> int:
    return int(rows(warehouse, "SELECT max(run_id) FROM runs")[0][0])


def _cases(*cases: tuple[str, signal.Signals, str]) -> Any:
    return pytest.mark.parametrize(
        ("route", "signum", "target"),
        [pytest.param(route, signum, target, id=f"{route}-{signum.name}-{target}") for route, signum, target in cases],
        indirect=["route"],
    )


EVERY_SIGNAL_AND_TARGET = [
    (signum, target) for signum in (signal.SIGINT, signal.SIGTERM) for target in ("pid", "group")
]
"""--local gets every signal sent every way. The default route, whose own parts are the flow engine and its
event loop (the readers and their forkserver are the same on both), gets each signal and each target once:
SIGINT to the pid is the case Prefect's engine once swallowed until the flow ended; SIGTERM to the group
reaches the readers too. (Each default-route case is ~2.7 s of CPU of a 2-core suite.)"""


@_cases(
    *[("local", signum, target) for signum, target in EVERY_SIGNAL_AND_TARGET],
    ("prefect", signal.SIGINT, "pid"),
    ("prefect", signal.SIGTERM, "group"),
)
def test_signal_before_commit_stops_the_run_and_its_readers(
    case: Case, route: tuple[list[str], dict[str, str]], signum: int, target: str
) -> None:
    """A signal while the run reads (readers busy) stops it: exit 128+signal, warehouse still at run 1,
    no `.next` copy, the last line says nothing was committed, and no process of the run is left."""
    process = start_paused(case, route, "after-read-batch")
    try:
        assert any("forkserver" in line for line in session_processes(process.pid)), "no reader pool to stop"
        send(process, signum, target)
        _out, err = finish(process)
    finally:
        stop_session(process)
    assert process.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert err.strip().splitlines()[-1] == (
        f"interrupted ({name}): nothing was committed; the warehouse is as it was at run 1"
    ), with_stacks(err)
    assert "Traceback" not in err, err
    assert last_run(case.warehouse) == 1
    assert rows(case.warehouse, "SELECT count(*) FROM articles") == [(1,)]
    assert not list(case.warehouse.parent.glob("*.next*"))
    assert session_processes(process.pid) == []


@_cases(("local", signal.SIGINT, "group"), ("local", signal.SIGTERM, "group"), ("prefect", signal.SIGINT, "group"))
def test_signal_after_commit_began_lets_it_finish(
    case: Case, route: tuple[list[str], dict[str, str]], signum: int, target: str
) -> None:
    """A signal to the group once the commit has begun (between the warehouse's rename and the datasets'
    swap) waits for the run: run 2 is committed and published, and the last line says so."""
    process = start_paused(case, route, "after-warehouse-rename")
    try:
        send(process, signum, target)
        Path(f"{case.flag}.release").touch()
        out, err = finish(process)
    finally:
        stop_session(process)
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, err
    assert err.strip().splitlines()[-1] == f"interrupted ({name}) after the commit: run 2 is committed", err
    assert out.startswith("run 2:"), out
    assert last_run(case.warehouse) == 2
    manifest = json.loads((case.warehouse.parent / "published" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == 2
    assert not list(case.warehouse.parent.glob("*.next*"))
    assert session_processes(process.pid) == []


def test_readers_exit_when_the_run_is_killed(case: Case) -> None:
    """SIGKILL to the run (no handler runs) still ends its readers: they watch a pipe only the run writes to,
    so the output pipes reach EOF and no process of the run is left (the `.next` copy waits for the next run)."""
    process = start_paused(case, (["--local"], dict(os.environ)), "after-read-batch")
    try:
        assert any("forkserver" in line for line in session_processes(process.pid)), "no reader pool"
        os.kill(process.pid, signal.SIGKILL)
        finish(process)
    finally:
        stop_session(process)
    assert process.returncode == -signal.SIGKILL
    assert session_processes(process.pid) == []
    assert last_run(case.warehouse) == 1


def start_on_a_terminal(case: Case, route: tuple[list[str], dict[str, str]], point: str) -> tuple[Any, int]:
    """`jobpipeline run` whose controlling terminal is a new pseudo-terminal (as in an ssh session), paused at
    `point`; returns the process and the terminal's master end (closing it hangs the terminal up)."""
    import fcntl
    import pty
    import termios

    master, terminal = pty.openpty()
    extra, env = route
    env = {**env, "JOBPIPELINE_PAUSE_AT": point, "JOBPIPELINE_PAUSE_FILE": str(case.flag)}
    command = [sys.executable, "-m", "jobpipeline.cli", "run", *extra, "--seeds", str(case.seeds)]
    process = subprocess.Popen(
        [*command, "--warehouse", str(case.warehouse)],
        env=env,
        cwd=ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(terminal)
    reached = Path(f"{case.flag}.reached")
    deadline = time.monotonic() + 120
    while not reached.exists():
        with contextlib.suppress(OSError):
            if select.select([master], [], [], 0.05)[0]:
                os.read(master, 65536)  # what the run prints, so it never blocks on a full terminal
        if process.poll() is not None or time.monotonic() > deadline:
            stop_session(process)
            pytest.fail(f"the run never reached {point} (exit {process.returncode})")
    return process, master


def test_a_closed_terminal_stops_the_run_like_sigterm(case: Case, default_route_env: dict[str, str]) -> None:
    """The terminal of a run goes away (its window closed, the ssh connection lost): SIGHUP. It killed the run
    where it stood, leaving its `.next` copy (as large as the warehouse) until the next run and its flow run
    Running in Prefect; now the run stops as on SIGTERM (exit 129, run 1 kept, no copy, no process left)."""
    process, master = start_on_a_terminal(case, ([], default_route_env), "after-read-batch")
    try:
        os.close(master)  # hang up
        process.wait(90)
    finally:
        stop_session(process)
    assert process.returncode == 128 + signal.SIGHUP
    assert last_run(case.warehouse) == 1
    assert not list(case.warehouse.parent.glob("*.next*"))
    assert session_processes(process.pid) == []


def test_a_run_under_nohup_goes_on_when_its_terminal_closes(case: Case) -> None:
    """`nohup jobpipeline run &` ignores SIGHUP, and so does the run: it commits when its terminal closes."""
    command = [sys.executable, "-m", "jobpipeline.cli", "run", "--local", "--seeds", str(case.seeds)]
    process = subprocess.Popen(
        [*command, "--warehouse", str(case.warehouse)],
        env={**os.environ, "JOBPIPELINE_PAUSE_AT": "after-read-batch", "JOBPIPELINE_PAUSE_FILE": str(case.flag)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 120
        while not Path(f"{case.flag}.reached").exists():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGHUP)
        Path(f"{case.flag}.release").touch()
        out, err = finish(process)
    finally:
        stop_session(process)
    assert process.returncode == 0, err
    assert out.startswith("run 2:"), out
    assert last_run(case.warehouse) == 2
