"""One terminal voice on every route: the default route (through Prefect) prints what `--local`
prints: the lock-wait message, then one line per error; Prefect's log lines stay in the UI and
in `jobpipeline-runs.log` unless `jobpipeline --verbose` asks for them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import make_article
from helpers import ROOT, jobpipeline, python

pytestmark = pytest.mark.slow


def _user_env(default_route_env: dict[str, str]) -> dict[str, str]:
    """A user's environment: the session's managed server, and no console level of the test suite's."""
    env = dict(default_route_env)
    env.pop("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", None)
    return env


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.fixture
def lock_holder(tmp_path: Path) -> Iterator[Callable[[Path, float], None]]:
    """Hold a warehouse's writer lock from another process, as a run in progress would."""
    holders: list[subprocess.Popen[str]] = []

    def hold(warehouse: Path, seconds: float) -> None:
        script = (
            "import fcntl, sys, time\n"
            f"h = open({str(warehouse) + '.lock'!r}, 'a+')\n"
            "fcntl.flock(h, fcntl.LOCK_EX)\n"
            "h.seek(0); h.truncate(); h.write('pid 4242 since the test'); h.flush()\n"
            "print('held', flush=True)\n"
            f"time.sleep({seconds})\n"
        )
        holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"

    yield hold
    for holder in holders:
        holder.kill()
        holder.wait(timeout=10)


def _case_missing_seeds(tmp_path: Path, seeds: Path, warehouse: Path, hold: Callable[[Path, float], None]) -> list[str]:
    return ["--seeds", str(tmp_path / "nope"), "--warehouse", str(warehouse)]


def _case_unwritable_warehouse(
    tmp_path: Path, seeds: Path, warehouse: Path, hold: Callable[[Path, float], None]
) -> list[str]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # root cannot create a folder under a file either
    return ["--seeds", str(seeds), "--warehouse", str(blocker / "jobs.duckdb")]


def _case_lock_held(tmp_path: Path, seeds: Path, warehouse: Path, hold: Callable[[Path, float], None]) -> list[str]:
    hold(warehouse, 60)
    return ["--seeds", str(seeds), "--warehouse", str(warehouse), "--wait", "0"]


@pytest.mark.parametrize(
    "case",
    [_case_missing_seeds, _case_unwritable_warehouse, _case_lock_held],
    ids=["missing-seeds", "unwritable-warehouse", "lock-held-wait-0"],
)
def test_error_cases_print_the_same_lines_on_both_routes(
    case: Callable[..., list[str]],
    tmp_path: Path,
    default_route_env: dict[str, str],
    lock_holder: Callable[[Path, float], None],
) -> None:
    """Each error case is at most two lines on the terminal, exit 2, the same through Prefect as with --local."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path / "w" / "jobs.duckdb"
    warehouse.parent.mkdir()
    args = case(tmp_path, seeds, warehouse, lock_holder)
    env = _user_env(default_route_env)
    prefect = jobpipeline("run", *args, env=env)
    local = jobpipeline("run", "--local", *args, env=env)
    assert (prefect.returncode, local.returncode) == (2, 2), prefect.stderr + local.stderr
    assert _lines(prefect.stderr) == _lines(local.stderr), prefect.stderr
    assert 1 <= len(_lines(prefect.stderr)) <= 2, prefect.stderr
    assert _lines(prefect.stderr)[-1].startswith("error: ")
    assert prefect.stdout == local.stdout == ""


def test_lock_wait_is_said_at_once_and_bounded_by_wait(
    tmp_path: Path, default_route_env: dict[str, str], lock_holder: Callable[[Path, float], None]
) -> None:
    """Through Prefect the wait message reaches the terminal and --wait bounds the whole wait: no
    task retry waits on after it (before: retries 1, 4 and 15 s later outlived a 20 s holder, and
    the message went to Prefect's log only)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path / "jobs.duckdb"
    lock_holder(warehouse, 20)
    started = time.monotonic()
    result = jobpipeline(
        "run", "--seeds", str(seeds), "--warehouse", str(warehouse), "--wait", "1", env=_user_env(default_route_env)
    )
    # A run that reached the lock more than 19 s late (a starved machine) found it free: nothing to check.
    if time.monotonic() - started < 19:
        lines = _lines(result.stderr)
        assert result.returncode == 2, result.stderr
        assert lines == [
            "warehouse is busy (pid 4242 since the test); waiting up to 1 s...",
            f"error: warehouse {warehouse}: another run (pid 4242 since the test) is writing it; gave up after 1 s "
            "- wait for it to finish or raise --wait",
        ], result.stderr


def test_prefect_logs_go_to_the_run_log_and_to_the_terminal_with_verbose(
    tmp_path: Path, default_route_env: dict[str, str], prefect_home: Path
) -> None:
    """A failed flow's Prefect ERROR lines and traceback are in jobpipeline-runs.log, and on the
    terminal only with --verbose."""
    args = ["run", "--seeds", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")]
    env = _user_env(default_route_env)
    verbose = jobpipeline("--verbose", *args, env=env)
    assert verbose.returncode == 2
    assert "Traceback" in verbose.stderr and "Flow run" in verbose.stderr
    log = (prefect_home / "jobpipeline-runs.log").read_text(encoding="utf-8")
    assert "SeedsNotFoundError" in log and str(tmp_path / "nope") in log
    assert os.path.getsize(prefect_home / "jobpipeline-runs.log") > 0


def test_prefect_internal_machinery_lines_stay_off_the_terminal(tmp_path: Path) -> None:
    """`prefect._internal` does not propagate to Prefect's console handler: it has a stderr handler of
    its own, so a run whose server died printed "Service 'EventsWorker' failed with 1 pending items"
    under its one-line error. It follows the console level and goes to the run log like the rest."""
    script = (
        "import logging\n"
        "from jobpipeline.orchestration.launch import quiet_prefect, log_runs_to_file\n"
        "quiet_prefect()\n"
        "log_runs_to_file()\n"
        "logging.getLogger('prefect._internal.concurrency').error(\"Service 'EventsWorker' failed\")\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_LOGGING")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    run = python(script, env=env)
    assert run.returncode == 0, run.stderr
    assert _lines(run.stderr) == []
    log = (tmp_path / "home" / "jobpipeline-runs.log").read_text(encoding="utf-8")
    assert "prefect._internal.concurrency Service 'EventsWorker' failed" in log


@pytest.mark.parametrize("closed", [1, 2])
def test_a_run_with_stdout_or_stderr_closed_loads_and_exits_0(closed: int, seeds_dir: Path, tmp_path: Path) -> None:
    """`jobpipeline run >&-` (or `2>&-`, as some cron and service setups start commands): the run loaded,
    then the exit raised AttributeError on the missing stream, printed a traceback and exited 1 (with
    stderr closed: exit 1 and no word). The closed number now holds /dev/null, so no file the run opens
    (its lock, the warehouse's copy) can take it and receive what is written to "standard output"."""
    (seeds_dir / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    args = ["run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)]
    run = subprocess.run(
        [sys.executable, "-m", "jobpipeline.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE if closed == 2 else None,
        stderr=subprocess.PIPE if closed == 1 else None,
        preexec_fn=lambda: os.close(closed),  # the child is not threaded yet: safe here
        text=True,
        timeout=120,
    )
    said = run.stderr if closed == 1 else run.stdout
    assert run.returncode == 0, said
    assert "Traceback" not in said
    if closed == 2:
        assert "loaded 1 article" in said
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("SELECT slug FROM articles").fetchall() == [("alpha",)]
    assert (tmp_path / "w.duckdb.lock").read_text() == ""  # released, and nothing else written into it


@pytest.mark.parametrize("output_format", ["table", "csv"])
def test_a_terminal_that_cannot_show_japanese_gets_escapes_not_a_traceback(output_format: str, tmp_path: Path) -> None:
    """With an ASCII (or latin-1, or EUC-JP) terminal, the first title that did not fit raised
    UnicodeEncodeError after the query had run: a traceback and exit 1 instead of the answer. Such
    characters are written as escapes there now."""
    import duckdb

    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    run = jobpipeline(
        "query", "--warehouse", str(warehouse), "--format", output_format, "SELECT '【MLOps】年収'", env=env
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "\\u3010MLOps\\u3011\\u5e74\\u53ce" in run.stdout


def test_output_to_a_full_disk_is_one_line_not_a_traceback(seeds_dir: Path, tmp_path: Path) -> None:
    """`jobpipeline query ... --format csv > export.csv` (or `run > log`) on a full disk printed 40 lines of
    rich's or print's internals ending in `OSError: [Errno 28]`, after the work was done. One line says the
    output is incomplete and that the work is not undone; exit 2. (/dev/full: Linux's always-full file.)"""
    (seeds_dir / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    from helpers import run_local

    run_local(seeds_dir, warehouse)
    for args in (
        ["query", "--warehouse", str(warehouse), "--format", "csv", "SELECT slug FROM articles"],
        ["validate", "--seeds", str(seeds_dir)],
    ):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-m", "jobpipeline.cli", *args],
                cwd=ROOT,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        assert done.returncode == 2, done.stderr
        assert done.stderr == (
            "error: could not write the output: No space left on device: it is incomplete; what the command did "
            "(a run's commit, a published dataset) is not undone\n"
        ), done.stderr


def test_an_out_path_that_cannot_be_written_is_the_persons_to_fix_not_an_internal_error(
    seeds_dir: Path, tmp_path: Path
) -> None:
    """`report --out` into a full disk or a read-only folder, `synth --out` under a file: "internal error:
    PermissionError ... (rerun with --debug ... and report it)". One line names the path and the reason."""
    from helpers import cli, run_local

    (seeds_dir / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    run_local(seeds_dir, warehouse)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for args, said in (
        (["report", "--warehouse", str(warehouse), "--out", "/dev/full"], "cannot write the report to /dev/full"),
        (["synth", "--n", "2", "--out", str(tmp_path / "a-file" / "corpus")], "cannot write the corpus to"),
    ):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert said in result.output and "internal error" not in result.output, result.output
