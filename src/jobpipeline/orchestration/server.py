"""The Prefect API a command talks to: the one Prefect's settings name, or a managed local server.

With no API configured (no `PREFECT_API_URL` in the environment, a profile, `prefect.toml`...),
Prefect would start a temporary server inside every process: 10-20 s per command, and a server
with no scheduler. Instead jobpipeline starts one `prefect server start` in the background, keeps
it between commands and tells the user how to stop it. What it knows of that server lives under
PREFECT_HOME, beside Prefect's own database:

- `jobpipeline-server.json`: the API URL, port, log path, and what identifies the process: its pid,
  its start time (/proc/PID/stat field 22) and its command line. Pids are reused (after a reboot or
  a crash the pid may name another program), so a command signals the pid only while all three
  still match; otherwise the file is stale and the process is left alone (as systemd and
  supervisord do);
- `jobpipeline-server.log`: the server's output;
- `jobpipeline-server.lock`: held while a command checks or starts the server, so two commands
  starting at once end up with one server.

`JOBPIPELINE_PREFECT_SERVER=ephemeral` keeps Prefect's temporary-server behaviour (nothing left
running; for CI and containers).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from jobpipeline.errors import ServerError
from jobpipeline.settings import get_settings

STATE_FILE = "jobpipeline-server.json"
LOG_FILE = "jobpipeline-server.log"
LOCK_FILE = "jobpipeline-server.lock"
HOST = "127.0.0.1"

Say = Callable[[str], None]


@dataclass(frozen=True)
class ManagedServer:
    """A Prefect server this project started in the background."""

    api_url: str
    port: int
    pid: int
    log: str
    started: int | None = None
    """The process's start time, in clock ticks after boot (/proc/PID/stat field 22)."""
    cmdline: tuple[str, ...] | None = None
    """The process's command line (/proc/PID/cmdline)."""

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")


ProcessCheck = Literal["ours", "gone", "stale"]
"""What the state file's pid names now: our server, no process, or a process that is not (or cannot
be shown to be) the one we started - a state file without `started`/`cmdline` is one of those."""


def process_identity(pid: int) -> tuple[int, tuple[str, ...]] | None:
    """(start time, command line) of a live process; None if there is none (or only a zombie)."""
    for _ in range(10):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, IndexError):
            return None
        # fields[0] is stat's field 3 (the state); field 22 (starttime) is fields[19].
        if fields[0] == "Z":
            return None
        if cmdline:
            break
        # Empty while a process is between fork and the end of its exec (measured: 2 in 5 right after
        # Popen returned); always empty for a kernel thread, which then matches nothing.
        time.sleep(0.05)
    return int(fields[19]), tuple(part.decode(errors="replace") for part in cmdline.split(b"\0")[:-1])


def check_process(server: ManagedServer) -> ProcessCheck:
    """Whether `server.pid` is still the process this project started (see the module doc)."""
    identity = process_identity(server.pid)
    if identity is None:
        return "gone"
    if server.started is None or server.cmdline is None:
        return "stale"  # written before identities were recorded: unverifiable, never signalled
    return "ours" if identity == (server.started, server.cmdline) else "stale"


def stale_note(home: Path, server: ManagedServer) -> str:
    return (
        f"{home / STATE_FILE} is stale: pid {server.pid} is no longer the Prefect server it recorded "
        "(pids are reused after a reboot or a crash); that process is left alone"
    )


@dataclass(frozen=True)
class Api:
    """Where a command's flow runs are recorded. `url` None: Prefect's temporary in-process server."""

    url: str | None
    source: str
    """How it was found: `configured` (Prefect's settings), `managed`, `started` or `ephemeral`."""


def prefect_home() -> Path:
    """PREFECT_HOME as Prefect resolves it (environment, profile or default)."""
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home).expanduser()


def configured_api_url() -> str | None:
    """The API URL from Prefect's own settings: environment, active profile, prefect.toml, .env."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url).rstrip("/") if url else None


def is_healthy(api_url: str, timeout: float = 1.0) -> bool:
    return http_status(api_url.rstrip("/") + "/health", {}, timeout) == 200


def http_status(url: str, headers: dict[str, str], timeout: float) -> int | None:
    """The HTTP status a GET of `url` answers with; None when nothing answers."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def api_credentials() -> tuple[str | None, dict[str, str]]:
    """Which setting holds the credentials Prefect's client sends, and its Authorization header (as the
    client builds it: PREFECT_API_AUTH_STRING as Basic, else PREFECT_API_KEY as Bearer)."""
    import base64

    from prefect.settings import get_current_settings

    api = get_current_settings().api
    if api.auth_string is not None:
        token = base64.b64encode(api.auth_string.get_secret_value().encode("utf-8")).decode("ascii")
        return "PREFECT_API_AUTH_STRING", {"Authorization": f"Basic {token}"}
    if api.key is not None:
        return "PREFECT_API_KEY", {"Authorization": f"Bearer {api.key.get_secret_value()}"}
    return None, {}


def api_problem(url: str, health: int | None, authorized: int | None, sent: str | None) -> str | None:
    """What is wrong with the configured API at `url`, from the statuses of its health check and of a
    request that needs credentials (None: nothing answered), `sent` naming the setting whose credentials
    went with them; None when nothing is. A server started with PREFECT_SERVER_API_AUTH_STRING answers
    its health check to anyone, so only the second request finds missing credentials: they were an
    "internal error ... report it" from inside Prefect's client.

    >>> api_problem("http://h/api", 200, 200, None) is None
    True
    >>> print(api_problem("http://h/api", 200, 401, "PREFECT_API_AUTH_STRING"))
    the Prefect server at http://h/api (...) refuses the credentials in PREFECT_API_AUTH_STRING (HTTP 401): check them
    """
    where = f"the Prefect server at {url} (from Prefect's settings)"
    if health is None:
        return (
            f"{where} does not answer: start it, or unset PREFECT_API_URL (`prefect config unset PREFECT_API_URL`) "
            "to let jobpipeline run its own"
        )
    refused = next((code for code in (health, authorized) if code in (401, 403)), None)
    if refused is not None:
        if sent is not None:
            return f"{where} refuses the credentials in {sent} (HTTP {refused}): check them"
        return (
            f"{where} asks for credentials (HTTP {refused}): set PREFECT_API_AUTH_STRING to its `user:password` "
            "(a server started with PREFECT_SERVER_API_AUTH_STRING), or PREFECT_API_KEY for Prefect Cloud"
        )
    if health != 200:
        return (
            f"{where} answers HTTP {health} at {url}/health: PREFECT_API_URL must be the API's address, "
            "ending in /api (e.g. http://127.0.0.1:4200/api)"
        )
    return None


def check_configured_api(url: str, timeout: float = 3.0) -> None:
    """Raise ServerError with what to do when the configured API does not answer or refuses this user."""
    sent, headers = api_credentials()
    health = http_status(url + "/health", headers, timeout)
    authorized = http_status(url + "/admin/version", headers, timeout) if health == 200 else None
    problem = api_problem(url, health, authorized, sent)
    if problem is not None:
        raise ServerError(problem)


def resolve_api(say: Say, *, meanwhile: Callable[[], None] | None = None) -> Api:
    """The API this command uses: a configured one (checked to answer), else the managed server
    (reused, or started), else, when the setting asks for it, Prefect's temporary one.
    `meanwhile` runs while a new server starts (the caller's own warm-up overlaps its ~8 s)."""
    url = configured_api_url()
    if url:
        check_configured_api(url)
        return Api(url, "configured")
    if get_settings().prefect_server == "ephemeral":
        return Api(None, "ephemeral")
    running = running_server(prefect_home())
    if running is not None:
        return Api(running.api_url, "managed")
    managed, started = ensure_server(prefect_home(), say, meanwhile=meanwhile)
    return Api(managed.api_url, "started" if started else "managed")


def answering_api_url() -> str:
    """The API URL commands would use, if a server answers there now (configured, or the managed
    one); raises ServerError otherwise. Starts nothing."""
    url = configured_api_url()
    if url:
        check_configured_api(url)
        return url
    running = running_server(prefect_home())
    if running is None:
        raise ServerError(
            f"no managed Prefect server answers (PREFECT_HOME {prefect_home()}): `jobpipeline server start` starts one"
        )
    return running.api_url


def read_state(home: Path) -> ManagedServer | None:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        started = data.get("started")
        cmdline = data.get("cmdline")
        return ManagedServer(
            api_url=str(data["api_url"]),
            port=int(data["port"]),
            pid=int(data["pid"]),
            log=str(data["log"]),
            started=int(started) if started is not None else None,
            cmdline=tuple(str(part) for part in cmdline) if isinstance(cmdline, list) else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_state(home: Path, server: ManagedServer) -> None:
    temporary = home / (STATE_FILE + ".tmp")
    temporary.write_text(json.dumps(asdict(server), indent=2) + "\n", encoding="utf-8")
    temporary.replace(home / STATE_FILE)


def running_server(home: Path) -> ManagedServer | None:
    """The managed server of `home`, if its own process (not a reused pid) lives and it answers."""
    state = read_state(home)
    if state is not None and check_process(state) == "ours" and is_healthy(state.api_url):
        return state
    return None


def _unwritable(home: Path, exc: OSError) -> ServerError:
    return ServerError(
        f"PREFECT_HOME {home} cannot be written ({exc.strerror or exc}), and the managed Prefect server keeps "
        "its state there: set PREFECT_HOME to a folder you can write, or run with --local (no Prefect)"
    )


@contextlib.contextmanager
def _server_lock(home: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """The lock that serializes starting the managed server; `on_wait` is called once if another command
    holds it (it is starting the server: up to ~15 s)."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        handle = open(home / LOCK_FILE, "a+b")  # noqa: SIM115  (closed by the `with` below)
    except OSError as exc:
        raise _unwritable(home, exc) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def ensure_server(
    home: Path, say: Say, *, port: int | None = None, meanwhile: Callable[[], None] | None = None
) -> tuple[ManagedServer, bool]:
    """Reuse the managed server of `home`, or start one and wait until it answers; True if started.

    Serialized by a file lock: a second command that arrives while the first is starting the
    server waits for it (and says so) and then reuses it.
    """
    with _server_lock(
        home, on_wait=lambda: say("waiting for the Prefect server another jobpipeline command is starting")
    ):
        state = read_state(home)
        if state is not None:
            check = check_process(state)
            if check == "ours":
                if _wait_healthy(state, timeout=get_settings().server_start_timeout, process=None):
                    return state, False
                _terminate(state)  # ours, alive but never answered: replace it
            elif check == "stale":
                say(stale_note(home, state) + "; starting a new server")
        return _start(home, say, port, meanwhile), True


def _start(home: Path, say: Say, port: int | None, meanwhile: Callable[[], None] | None = None) -> ManagedServer:
    settings = get_settings()
    wanted = port or settings.server_port
    chosen = wanted if port_is_free(wanted) else free_port()
    # A new server answers after ~10 s (~15 s with a new database): said now, not only once it answers.
    if chosen != wanted:
        say(f"port {wanted} is taken: starting the Prefect server on port {chosen} instead (~10 s, once)")
    else:
        say("starting a Prefect server for jobpipeline in the background (~10 s, once; later commands reuse it)")
    log = home / LOG_FILE
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # key-value stores under Prefect's server check every call with beartype unless told not to
        "PY_KEY_VALUE_DISABLE_BEARTYPE": "true",
    }
    env.pop("PREFECT_API_URL", None)
    try:
        output = open(log, "ab")  # noqa: SIM115  (closed by the `with` below)
    except OSError as exc:
        raise _unwritable(home, exc) from None
    command = (sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(chosen))
    with output:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C in the terminal does not reach it
        )
    # The command line is the one given: /proc may not show it yet when Popen returns (the exec can
    # still be finishing); the start time is set at fork and never changes.
    identity = process_identity(process.pid)
    server = ManagedServer(
        api_url=f"http://{HOST}:{chosen}/api",
        port=chosen,
        pid=process.pid,
        log=str(log),
        started=identity[0] if identity else None,
        cmdline=command,
    )
    try:
        _write_state(home, server)
    except OSError as exc:  # the folder turned read-only with the log still writable: leave nothing running
        _terminate(server, child=process)
        raise _unwritable(home, exc) from None
    if meanwhile is not None:
        meanwhile()
    if not _wait_healthy(server, timeout=settings.server_start_timeout, process=process):
        _terminate(server, child=process)
        (home / STATE_FILE).unlink(missing_ok=True)
        code = process.poll()
        why = (
            f"exited with code {code}"
            if code is not None
            else f"did not answer within {settings.server_start_timeout:.0f} s"
        )
        raise ServerError(f"the Prefect server on port {chosen} {why}: see {log}")
    say(
        f"started a Prefect server for jobpipeline: UI at {server.ui_url} (it keeps running for later "
        f"commands; `jobpipeline server stop` stops it; log {log})"
    )
    return server


def _wait_healthy(server: ManagedServer, *, timeout: float, process: subprocess.Popen[bytes] | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_healthy(server.api_url, timeout=1.0):
            return True
        exited = process.poll() is not None if process is not None else check_process(server) != "ours"
        if exited:
            return False
        time.sleep(0.1)
    return False


def _terminate(server: ManagedServer, grace: float = 15.0, child: subprocess.Popen[bytes] | None = None) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after `grace` seconds; each
    signal only while the pid is still the server's own process (it started its own group): the
    `child` this process started and has not reaped, or else the process the state file identifies."""

    def ours() -> bool:
        if child is not None:
            return child.poll() is None  # reaps it once it exits: its pid cannot be reused before
        with contextlib.suppress(ChildProcessError):
            os.waitpid(server.pid, os.WNOHANG)  # reap it if it is our child
        return check_process(server) == "ours"

    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not ours():
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not ours():
                return
            time.sleep(0.05)


@dataclass(frozen=True)
class Stopped:
    """What `stop_server` did: `outcome` stopped (the server), none (no state file), gone (its
    process had exited) or stale (the pid names another process, left alone)."""

    outcome: Literal["stopped", "none", "gone", "stale"]
    server: ManagedServer | None = None


WATCH_INTERVAL = 1.0
"""Seconds between a run's checks that its managed server is still there (a /proc read and a /health call)."""
UNANSWERED_CHECKS = 10
"""Failed health checks (2 s each) in a row after which a live but silent server counts as lost: a
server busy with its database still answers /health, so only a hung one gets there (in 10-30 s). A
server that exited is lost at the first check; Prefect's client alone would retry each call for ~60 s
(5 retries, exponential back-off) and a run made ~148 s of them before it ended in tracebacks."""


def watch_server(
    server: ManagedServer, on_lost: Callable[[str], None], stop: threading.Event, *, during: str = "during the run"
) -> threading.Thread:
    """Check `server` every WATCH_INTERVAL until `stop` is set; call `on_lost(why)` once if it is gone."""

    def watch() -> None:
        misses = 0
        while not stop.wait(WATCH_INTERVAL):
            if check_process(server) != "ours":
                on_lost(f"the managed Prefect server (pid {server.pid}) exited {during}")
                return
            misses = 0 if is_healthy(server.api_url, timeout=2.0) else misses + 1
            if misses >= UNANSWERED_CHECKS:
                on_lost(f"the managed Prefect server at {server.api_url} stopped answering {during}")
                return

    thread = threading.Thread(target=watch, name="jobpipeline-server-watchdog", daemon=True)
    thread.start()
    return thread


def stop_server(home: Path) -> Stopped:
    """Stop the managed server of `home` and everything it started, if its process is still its own."""
    with _server_lock(home):
        state = read_state(home)
        if state is None:
            return Stopped("none")
        (home / STATE_FILE).unlink(missing_ok=True)
        check = check_process(state)
        if check != "ours":
            return Stopped(check, state)
        _terminate(state)
        return Stopped("stopped", state)
