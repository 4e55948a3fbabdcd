"""The managed Prefect server: started once for concurrent commands, reused, stopped with nothing left."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import (
    MIGRATED_HOME_SETTINGS,
    cli,
    home_with_a_migrated_database,
    jobpipeline,
    processes_with_home,
    python,
    rows,
    run_local,
    start,
    start_serve,
    stop_serve,
    wait_for,
)
from typer.testing import CliRunner

from jobpipeline.cli import app
from jobpipeline.errors import ServerError
from jobpipeline.orchestration import server


@pytest.mark.slow
def test_lifecycle_one_server_for_concurrent_starts(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path], managed_server: Any, prefect_home: Path
) -> None:
    """Two commands starting at once end with one server (on a free port when the preferred one is
    taken, which they say); a run reuses it and is recorded there; serve's first scheduled ingest comes
    within its interval even though the server's scheduler is off here; `server stop` leaves no process.

    The scheduler is off because serve must not depend on how soon it notices a new deployment: on a busy
    server its recent-deployments loop can start too late and leave the first run to the main loop, every
    60 s (seen: a first run 55 s late; before serve scheduled its own runs, none came at all here). One
    server of its own for both (a setting of the server's; ~6 s of CPU each)."""
    home = home_with_a_migrated_database(tmp_path, prefect_home)
    env = {key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL",)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        wanted = taken.getsockname()[1]
        env.update(
            {
                **MIGRATED_HOME_SETTINGS,
                "PREFECT_HOME": str(home),
                "JOBPIPELINE_SERVER_PORT": str(wanted),
                "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            }
        )
        starts = [
            subprocess.Popen(
                [sys.executable, "-m", "jobpipeline.cli", "server", "start"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [start.communicate(timeout=120)[0] for start in starts]
    try:
        assert all(start.returncode == 0 for start in starts), outputs
        started = [out for out in outputs if "started a Prefect server" in out]
        assert len(started) == 1, outputs
        assert f"port {wanted} is taken: starting the Prefect server on port" in started[0]
        # The other command waited on the lock while the first started the server: it said so.
        [waited] = [out for out in outputs if out is not started[0]]
        assert "waiting for the Prefect server another jobpipeline command is starting" in waited, outputs
        assert "jobpipeline server stop" in started[0]
        state = server.read_state(home)
        assert state is not None and state.port != wanted
        assert any(f"already running: UI at {state.ui_url}" in out for out in outputs), outputs
        assert len([pid for pid in processes_with_home(home) if pid == state.pid]) == 1

        status = jobpipeline("server", "status", env=env)
        assert status.returncode == 0 and "answering" in status.stdout

        write_seed("a.txt", make_article("alpha"))
        warehouse = tmp_path / "wh" / "jobs.duckdb"
        run = jobpipeline("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "--format", "json", env=env)
        assert run.returncode == 0, run.stderr
        assert "started a Prefect server" not in run.stderr  # reused
        assert json.loads(run.stdout)["articles_loaded"] == 1
        [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs")
        assert flow_run_id

        served = tmp_path / "served" / "jobs.duckdb"
        serve, lines = start_serve(seeds_dir, served, env, "--interval", "2", "--no-watch")
        try:
            deadline = time.monotonic() + 60
            while not any("serving" in line for line in lines):
                assert time.monotonic() < deadline and serve.poll() is None, "".join(lines)
                time.sleep(0.1)
            began = time.monotonic()
            wait_for(served, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", 20, why=lambda: "".join(lines))
            print(f"first scheduled run {time.monotonic() - began:.1f} s after serve said it serves (interval 2 s)")
        finally:
            stop_serve(serve)
        assert serve.returncode == 0, "".join(lines)
    finally:
        stop = jobpipeline("server", "stop", env=env)
    assert stop.returncode == 0 and "stopped the Prefect server" in stop.stdout, stop.stdout + stop.stderr
    assert processes_with_home(home) == []
    assert server.read_state(home) is None
    again = jobpipeline("server", "status", env=env)
    assert again.returncode == 1 and "no managed Prefect server" in again.stdout


def test_commands_that_run_no_flow_import_no_prefect(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """query, tables, validate, salary and report do not pay for importing Prefect."""
    from helpers import run_local

    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    code = """
import sys
from typer.testing import CliRunner
from jobpipeline.cli import app
wh, seeds = sys.argv[1], sys.argv[2]
for args in (["query", "--warehouse", wh, "SELECT 1"], ["tables", "--warehouse", wh],
             ["validate", "--seeds", seeds], ["salary", "450〜700", "--unit", "万円"],
             ["report", "--warehouse", wh]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
    assert "prefect" not in sys.modules, args
print("ok")
"""
    result = python(code, str(warehouse), str(seeds_dir))
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_configured_server_that_does_not_answer_is_one_line(tmp_path: Path, seeds_dir: Path) -> None:
    """A PREFECT_API_URL nobody answers at stops the run before any work, saying what to do."""
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{server.free_port()}/api"}
    result = jobpipeline("run", "--seeds", str(seeds_dir), "--warehouse", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == 2
    assert "does not answer" in result.stderr and "prefect config unset PREFECT_API_URL" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(
    ("health", "authorized", "sent", "said"),
    [
        (None, None, None, "does not answer: start it, or unset PREFECT_API_URL"),
        (200, 200, None, None),
        (200, 200, "PREFECT_API_KEY", None),
        (200, 404, None, None),  # no /admin/version there (Prefect Cloud): the health check decides
        (200, 401, None, "asks for credentials (HTTP 401): set PREFECT_API_AUTH_STRING"),
        (401, None, None, "asks for credentials (HTTP 401)"),  # Prefect Cloud without PREFECT_API_KEY
        (403, None, "PREFECT_API_KEY", "refuses the credentials in PREFECT_API_KEY (HTTP 403): check them"),
        (200, 401, "PREFECT_API_AUTH_STRING", "refuses the credentials in PREFECT_API_AUTH_STRING (HTTP 401)"),
        (404, None, None, "answers HTTP 404 at http://h:4200/api/health: PREFECT_API_URL must be the API's address"),
    ],
)
def test_what_is_wrong_with_a_configured_api(
    health: int | None, authorized: int | None, sent: str | None, said: str | None
) -> None:
    """One line per way a configured server can fail a command before any work, each saying what to do."""
    problem = server.api_problem("http://h:4200/api", health, authorized, sent)
    assert (problem is None) if said is None else (problem is not None and said in problem), problem


@pytest.mark.slow
def test_a_server_that_wants_credentials_gets_them_or_one_line(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path], managed_server: Any, prefect_home: Path
) -> None:
    """A Prefect server started with PREFECT_SERVER_API_AUTH_STRING answers its health check to anyone: a
    run without PREFECT_API_AUTH_STRING passed the check and ended in "internal error:
    PrefectHTTPStatusError: Client error '401 Unauthorized' ... report it". It is one line saying which
    setting to set, before any work; with the setting the run is recorded there."""
    home = home_with_a_migrated_database(tmp_path, prefect_home)
    port = server.free_port()
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update({**MIGRATED_HOME_SETTINGS, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "PREFECT_SERVER_API_AUTH_STRING": "admin:s3cret"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 60
        while not server.is_healthy(api):
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        write_seed("a.txt", make_article("alpha"))
        warehouse = tmp_path / "wh" / "jobs.duckdb"
        args = ("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        refused = jobpipeline(*args, env={**env, "PREFECT_API_URL": api})
        assert refused.returncode == 2, refused.stderr
        [line] = refused.stderr.strip().splitlines()
        assert "asks for credentials (HTTP 401): set PREFECT_API_AUTH_STRING" in line, line
        assert not warehouse.exists()
        run = jobpipeline(*args, env={**env, "PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": "admin:s3cret"})
        assert run.returncode == 0, run.stderr
        [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs")
        assert flow_run_id
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_ephemeral_setting_starts_no_background_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """JOBPIPELINE_PREFECT_SERVER=ephemeral leaves the API to Prefect's temporary in-process server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("JOBPIPELINE_PREFECT_SERVER", "ephemeral")
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # as if no server were configured
        api = server.resolve_api(lambda line: None)
    assert (api.url, api.source) == (None, "ephemeral")


@pytest.mark.slow
def test_ephemeral_run_records_and_leaves_nothing(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path], managed_server: Any, prefect_home: Path
) -> None:
    """With JOBPIPELINE_PREFECT_SERVER=ephemeral a run is still a recorded flow run, its logs reach the
    temporary server before it stops (no "Error logging to API"), and no process is left behind."""
    home = home_with_a_migrated_database(tmp_path, prefect_home)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update({**MIGRATED_HOME_SETTINGS, "PREFECT_HOME": str(home), "JOBPIPELINE_PREFECT_SERVER": "ephemeral"})
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run = jobpipeline("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), env=env)
    assert run.returncode == 0, run.stderr
    assert "Error logging to API" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs")
    assert flow_run_id
    assert server.read_state(home) is None and processes_with_home(home) == []


# -- the state file names a process: only the server it recorded is ever signalled ------------------


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated long-lived program in a process group of its own (a pid reused after a reboot)."""
    process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


@contextlib.contextmanager
def home_of_its_own(home: Path) -> Iterator[None]:
    """In-process commands see `home` as PREFECT_HOME and no configured API (whatever the session set)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    with temporary_settings(updates={PREFECT_HOME: str(home)}, restore_defaults={PREFECT_API_URL}):
        yield


def write_stale_state(home: Path, pid: int, *, legacy: bool) -> None:
    """A state file naming `pid` at a URL nobody answers: written before identities were recorded
    (`legacy`), or recording a server process whose start time and command line `pid` does not have."""
    home.mkdir(parents=True, exist_ok=True)
    state: dict[str, object] = {
        "api_url": f"http://127.0.0.1:{server.free_port()}/api",
        "port": 4200,
        "pid": pid,
        "log": str(home / server.LOG_FILE),
    }
    if not legacy:
        started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])  # field 22
        state["started"] = started - 1  # the recorded server started earlier: the pid was reused since
        state["cmdline"] = [sys.executable, "-m", "prefect", "server", "start"]
    (home / server.STATE_FILE).write_text(json.dumps(state), encoding="utf-8")


def alive(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


@pytest.mark.parametrize("legacy", [False, True], ids=["reused-pid", "state-without-identity"])
def test_stop_and_status_leave_a_reused_pid_alone(
    tmp_path: Path, sleeper: subprocess.Popen[bytes], legacy: bool
) -> None:
    """`server status` and `server stop` on a state file whose pid now names another program say the
    state is stale and never signal that program (before: stop SIGTERMed its whole process group)."""
    home = tmp_path / "home"
    write_stale_state(home, sleeper.pid, legacy=legacy)
    with home_of_its_own(home):
        status = cli("server", "status")
        assert status.exit_code == 1 and "is stale" in status.stdout, status.stdout
        assert alive(sleeper)
        stop = cli("server", "stop")
    assert stop.exit_code == 0 and "is stale" in stop.stdout and "left alone" in stop.stdout, stop.stdout
    assert "stopped the Prefect server" not in stop.stdout
    assert alive(sleeper)
    assert server.read_state(home) is None  # the stale file is gone: the next run starts afresh


@pytest.mark.parametrize("legacy", [False, True], ids=["reused-pid", "state-without-identity"])
def test_ensure_server_leaves_a_reused_pid_alone(
    tmp_path: Path, sleeper: subprocess.Popen[bytes], monkeypatch: pytest.MonkeyPatch, legacy: bool
) -> None:
    """The path `run` takes to its server says the state is stale and starts its own server, without
    waiting for or signalling the program that now has the pid (before: it waited out the start
    timeout, then killed that program's process group). The new server is given too little time to
    answer here, so the test stays fast and leaves nothing running."""
    home = tmp_path / "home"
    write_stale_state(home, sleeper.pid, legacy=legacy)
    monkeypatch.setenv("JOBPIPELINE_SERVER_START_TIMEOUT", "0.2")
    said: list[str] = []
    with pytest.raises(ServerError, match=r"did not answer|exited"):
        server.ensure_server(home, said.append, port=server.free_port())
    assert alive(sleeper)
    assert any("is stale" in line and f"pid {sleeper.pid}" in line for line in said), said
    assert processes_with_home(home) == []


def test_a_server_that_never_answers_is_stopped_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server started and given up on is stopped, even when /proc did not yet show its command line
    as Popen returned (2 starts in 5 measured: it was then taken for another program and left running)."""
    monkeypatch.setenv("JOBPIPELINE_SERVER_START_TIMEOUT", "0.2")
    for attempt in range(8):
        home = tmp_path / f"home-{attempt}"
        with pytest.raises(ServerError):
            server.ensure_server(home, lambda line: None, port=server.free_port())
        assert processes_with_home(home) == [], f"attempt {attempt} left its server running"


def test_state_records_the_server_process_identity(managed_server: Any, prefect_home: Path) -> None:
    """The state file records the server's start time and command line, and they match its process."""
    state = server.read_state(prefect_home)
    assert state is not None and state.started is not None and state.cmdline is not None
    assert "prefect" in state.cmdline and "server" in state.cmdline
    assert server.check_process(state) == "ours"


# -- the API URL for other tools (issue 17) ---------------------------------------------------------


def test_status_prints_the_api_url_line(managed_server: Any, prefect_home: Path) -> None:
    """`server status` ends with `PREFECT_API_URL=...` for a server that answers."""
    with home_of_its_own(prefect_home):
        status = cli("server", "status")
    assert status.exit_code == 0, status.stdout
    assert status.stdout.splitlines()[-1] == f"PREFECT_API_URL={managed_server.api_url}"


def test_server_env_exports_the_api_url(managed_server: Any, prefect_home: Path) -> None:
    """`eval "$(jobpipeline server env)"` points this shell's Prefect tools at the managed server."""
    with home_of_its_own(prefect_home):
        result = cli("server", "env")
    assert result.exit_code == 0
    assert result.stdout == f"export PREFECT_API_URL={managed_server.api_url}\n"
    shell = subprocess.run(
        ["bash", "-c", f'eval "{result.stdout.strip()}"; printf %s "$PREFECT_API_URL"'],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert shell.stdout == managed_server.api_url


def test_server_env_without_a_server_is_one_line(tmp_path: Path) -> None:
    """With no server answering, `server env` prints nothing to eval and one line saying what to do (exit 2)."""
    with home_of_its_own(tmp_path / "home"):
        result = CliRunner().invoke(app, ["server", "env"])
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "no managed Prefect server answers" in line and "jobpipeline server start" in line


def test_unwritable_prefect_home_is_one_line_naming_it(tmp_path: Path, seeds_dir: Path) -> None:
    """A PREFECT_HOME the user cannot write stops `run` with one line that names the folder and says
    what to do (before: "internal error: PermissionError ... report it")."""
    home = tmp_path / "read-only-home"
    home.mkdir()
    home.chmod(0o555)
    command = [sys.executable, "-m", "jobpipeline.cli", "run", "--seeds", str(seeds_dir)]
    command += ["--warehouse", str(tmp_path / "w.duckdb")]
    if os.geteuid() == 0:  # root writes anywhere: drop the capabilities that let it
        if shutil.which("capsh") is None:
            pytest.skip("running as root without capsh (apt-get install libcap2-bin): cannot drop write access")
        command = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", shlex.join(command)]
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"PREFECT_HOME {home} cannot be written" in line and "--local" in line, line
    assert "internal error" not in line
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.slow
def test_run_serve_and_watch_whose_managed_server_dies_end_in_one_line(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path], managed_server: Any, prefect_home: Path
) -> None:
    """A managed server killed mid-run ends the run at once with exit 2 and one line naming the server,
    leaving no process behind and a warehouse the next run completes (before: the run went on for
    ~148 s of client retries and ended in ~10 KB of tracebacks). serve and watch end the same way: they
    went on without a word, and each save or scheduled run waited out a minute of retries (a server
    stopped with `jobpipeline server stop` did the same). Slow: starts a server of its own."""
    home = home_with_a_migrated_database(tmp_path, prefect_home)
    # A user's environment: no API URL, and not the suite's console level (the run's stderr is the subject).
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PREFECT_API_URL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"}
    }
    env.update(
        {**MIGRATED_HOME_SETTINGS, "PREFECT_HOME": str(home), "JOBPIPELINE_SERVER_PORT": str(server.free_port())}
    )
    began = time.monotonic()
    started = jobpipeline("server", "start", env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    print(f"server start: {time.monotonic() - began:.1f} s")
    said = started.stdout.splitlines()  # checked at the end, once the server is stopped
    state = server.read_state(home)
    assert state is not None
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    pause = tmp_path / "pause"
    run = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", "run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)],
        cwd=ROOT,
        env={**env, "JOBPIPELINE_PAUSE_AT": "after-lock", "JOBPIPELINE_PAUSE_FILE": str(pause)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # serve on a folder of its own (its scheduled ingest would only queue on the paused run's lock), and a
    # watch on a third one: it emits to serve's re-validation deployment.
    served, watched = tmp_path / "served", tmp_path / "watched"
    served.mkdir()
    watched.mkdir()
    serve, serve_lines = start_serve(served, tmp_path / "served-wh" / "jobs.duckdb", env)
    args = ["watch", "--seeds", str(watched), "--warehouse", str(tmp_path / "w2")]
    watch = start([sys.executable, "-m", "jobpipeline.cli", *args], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while not Path(str(pause) + ".reached").exists() or not any("Ctrl-C stops" in x for x in serve_lines):
            assert time.monotonic() < deadline and run.poll() is None and serve.poll() is None, serve_lines
            time.sleep(0.1)
        watch.wait("Ctrl-C stops", timeout=60)
        print(f"run paused mid-load, serve and watch ready: {time.monotonic() - began:.1f} s")
        os.killpg(state.pid, signal.SIGKILL)  # the server and everything it started
        killed = time.monotonic()
        # A bound on correctness, not speed: Prefect's own retries alone take ~148 s.
        _, stderr = run.communicate(timeout=60)
        serve.wait(60)
        watch.process.wait(60)
        print(f"server killed -> run, serve and watch exited: {time.monotonic() - killed:.1f} s")
    finally:
        for process in (run, serve, watch.process):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        jobpipeline("server", "stop", env=env)
    assert run.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    [line] = lines
    assert f"the managed Prefect server (pid {state.pid}) exited during the run" in line, line
    assert serve.returncode == 2, serve_lines
    assert (
        f"the managed Prefect server (pid {state.pid}) exited while serve was running, so serve stops here"
        in (serve_lines[-1])
    ), serve_lines
    assert watch.process.returncode == 2, watch.text()
    assert "exited while watch was running, so watch stops here" in watch.text().strip().splitlines()[-1]
    assert processes_with_home(home) == []
    again = run_local(seeds_dir, warehouse)
    assert again["articles_loaded"] == 1
    # Said before the wait (~10 s), not only once the server answered: a first command sat silent.
    assert said[0].startswith("starting a Prefect server for jobpipeline in the background"), said
    assert said[1].startswith("started a Prefect server for jobpipeline"), said
