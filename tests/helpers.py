"""Test helpers: run the CLI in-process or as a subprocess, read the DuckDB file it wrote, drive long-lived
commands (serve, watch, a worker) in their own process group, and call the session's Prefect API."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import pytest
from typer.testing import CliRunner

from jobpipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run `jobpipeline ARGS` in this process; returns click's Result (exit_code, stdout)."""
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def jobpipeline(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `jobpipeline ARGS` as a real process from the project folder; its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "jobpipeline.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def python(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -c CODE ARGS` as a real process from the project folder; its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_local(seeds: Path, warehouse: Path, *extra: str) -> dict[str, Any]:
    """`jobpipeline run --local --format json` in-process; the parsed summary."""
    result = cli("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse), "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `jobpipeline ARGS` as a real process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The next line of `process`'s stderr, or an AssertionError after `timeout` seconds (the process is then
    killed: a reader blocked on its pipe would otherwise wait for as long as the process lives)."""
    assert process.stderr is not None
    stream = process.stderr
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        raise AssertionError(f"no line on stderr within {timeout:.0f} s")
    return line[0]


class Output:
    """A process's output lines, each with the wall-clock time it arrived."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[tuple[float, str]] = []
        stream = process.stdout
        assert stream is not None
        threading.Thread(target=lambda: self.lines.extend((time.time(), line) for line in stream), daemon=True).start()

    def wait(self, text: str, *, after: float = 0.0, timeout: float = 60.0) -> float:
        """The arrival time of the first line after `after` that contains `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if at >= after and text in line:
                    return at
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} within {timeout:.0f} s:\n{self.text()}")

    def text(self) -> str:
        return "".join(line for _, line in self.lines)


def start(args: list[str], *, cwd: Path, env: dict[str, str]) -> Output:
    """A long-lived command in its own process group, started from `cwd` as a shell would (PWD too)."""
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env={**env, "PWD": str(cwd)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return Output(process)


def stop(output: Output) -> None:
    """Ctrl-C the command's process group; SIGKILL what is left after 30 s."""
    process = output.process
    for sig, grace in ((signal.SIGINT, 30.0), (signal.SIGKILL, 10.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue


def api(api_url: str, call: Callable[[Any], Any]) -> Any:
    """`await call(client)` against `api_url`, with a client made for that URL. (Not `get_client` under
    `temporary_settings`: that rebuilds Prefect's settings, ~0.2 s of CPU a call, and the tests that wait
    on a deployment or a flow run call this several times a second.)"""
    from prefect.client.orchestration import PrefectClient

    async def go() -> Any:
        async with PrefectClient(api_url) as client:
            return await call(client)

    return asyncio.run(go())


def deployment_names(api_url: str) -> set[str]:
    async def names(client: Any) -> set[str]:
        return {deployment.name for deployment in await client.read_deployments()}

    return set(api(api_url, names))


def route_line(output: Output) -> str:
    output.wait("watching", timeout=120)
    return next(line for _, line in output.lines if "watching" in line)


def in_ci() -> bool:
    """Whether this is a CI run (CI=true, as CI services and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def lacking(what: str) -> NoReturn:
    """This machine lacks `what`, which the test needs. On a developer's machine the test is skipped with that
    reason; in CI it fails: CI is where the capability is promised, and a skip there drops what the test covers
    without anyone reading the summary line."""
    if in_ci():
        pytest.fail(f"CI lacks {what}; install or grant it (a skip here would hide an untested path)")
    pytest.skip(f"needs {what}")


@functools.cache
def tmpfs_refusal() -> str | None:
    """Why a tmpfs cannot be mounted here, or None when it can: tried once per session in a throwaway mount
    namespace (`unshare --mount`), so nothing on the machine changes. Both tmpfs users ask this: the full and
    read-only disk tests mount one directly, the Dask test hides the seeds under one for its workers."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "util-linux's unshare and mount"
    with tempfile.TemporaryDirectory() as target:
        probe = subprocess.run(
            ["unshare", "--mount", "sh", "-c", f"mount -t tmpfs none {target}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    if probe.returncode != 0:
        return f"root with CAP_SYS_ADMIN to mount a tmpfs ({probe.stderr.strip() or probe.returncode})"
    return None


def need_tmpfs() -> None:
    """Skip (locally) or fail (in CI) unless a tmpfs can be mounted, with the same reason for every test."""
    refusal = tmpfs_refusal()
    if refusal is not None:
        lacking(refusal)


def processes_with_home(home: Path) -> list[int]:
    """Pids of live processes whose environment names this PREFECT_HOME."""
    found = []
    marker = f"PREFECT_HOME={home}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry))
    return found


MIGRATED_HOME_SETTINGS = {
    # The database is a migrated copy already: alembic's check of every migration script is ~1 s of CPU.
    "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
    # Tests of processes and answers: preparing the UI's static files is another ~1 s of CPU a start.
    "PREFECT_UI_ENABLED": "false",
}
"""Settings for a server on `home_with_a_migrated_database` (~2.3 s of CPU less a start, of ~6.5 s)."""


def home_with_a_migrated_database(tmp_path: Path, prefect_home: Path) -> Path:
    """A new PREFECT_HOME holding a consistent copy of the session server's database: the migrations of a
    new database are a third of a server's first start (~4 s of CPU), and these tests are about processes."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    with (
        contextlib.closing(sqlite3.connect(prefect_home / "prefect.db")) as source,
        contextlib.closing(sqlite3.connect(home / "prefect.db")) as copy,
    ):
        source.backup(copy)
    return home


def wait_for(warehouse: Path, sql: str, timeout: float, *, why: Callable[[], str] = str) -> float:
    """Until `sql`'s first value is truthy in the warehouse; when it was (wall clock). An AssertionError
    after `timeout` seconds, with `why()` (e.g. the output of the process waited for).

    Queried only when the file changed: a run commits by renaming a new file into place, and opening
    DuckDB costs ~20 ms of CPU, which a poll every 0.05 s took from the very processes being waited for."""
    deadline = time.monotonic() + timeout
    seen: tuple[int, ...] | None = None
    while time.monotonic() < deadline:
        try:
            stat = warehouse.stat()
        except FileNotFoundError:
            stat = None
        if stat is not None and (key := (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)) != seen:
            seen = key
            if rows(warehouse, sql)[0][0]:
                return time.time()
        time.sleep(0.05)
    raise AssertionError(f"not true within {timeout:.0f} s: {sql}\n{why()}")


def start_serve(
    seeds: Path, warehouse: Path, env: dict[str, str], *options: str
) -> tuple[subprocess.Popen[str], list[str]]:
    """`jobpipeline serve OPTIONS` in a process group of its own, its output collected."""
    command = [sys.executable, "-m", "jobpipeline.cli", "serve", "--seeds", str(seeds), "--warehouse", str(warehouse)]
    process = subprocess.Popen(
        [*command, *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return process, lines


def stop_serve(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
