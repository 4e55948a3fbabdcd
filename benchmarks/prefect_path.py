"""What the Prefect path costs, measured side by side in one run, and a section of docs/benchmarks.md.

Every figure is the wall time of real processes started from here, on this machine, in this one run:

- no-change `jobpipeline run --local` and no-change `jobpipeline run` (server warm) on a copy of the bundled
  seeds, alternated N times; medians and their ratio;
- the first `jobpipeline run` on a brand-new PREFECT_HOME with no server running;
- `jobpipeline run` on an empty seeds folder with the server warm (the fixed cost);
- at 5,000 articles: our cold run and one-edit rerun, and the dlt peer's (benchmarks/dlt_peer.py) cold run
  and one-edit rerun;
- `jobpipeline watch`: save -> findings printed, through Prefect, the first save and later ones;
- `jobpipeline serve`: event emitted -> `validation_issues` updated in the warehouse (polled read-only).

    uv run --group bench python benchmarks/prefect_path.py            # all of it (the 5,000 part takes minutes)
    uv run --group bench python benchmarks/prefect_path.py --articles 0 --no-write   # skip the 5,000 part

Server modes (`--server-mode`): `managed` relies on the CLI starting and reusing a server under $PREFECT_HOME
(`jobpipeline server start|stop|status`); `external` is for a CLI without it: the first run uses Prefect's
temporary server and this script starts a `prefect server start` itself and sets PREFECT_API_URL for the warm
figures. `auto` (the default) picks `managed` when `jobpipeline server --help` works. Every server is started
under this run's own temporary PREFECT_HOME and stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from watch_latency import WatchError, stop_managed_server, watch_latencies  # noqa: E402

CORPORA = ROOT / "benchmarks" / "corpus"
OUT = ROOT / "benchmarks" / "out"
START = "<!-- prefect-path:start (written by benchmarks/prefect_path.py) -->"
END = "<!-- prefect-path:end -->"
STATE_FILE = "jobpipeline-server.json"
EDIT = "\n追記: ベンチマークによる編集。\n"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- processes -------------------------------------------------------------------------------------------
@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]


def timed(args: list[str], env: dict[str, str], timeout: float = 900.0) -> Timed:
    """Run a command to its end; its wall time. Output goes to files, not pipes: a server the command leaves
    running in the background would otherwise hold a pipe open and the wait would never end."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Timed(seconds, returncode, out.read(), err.read())


def jobpipeline(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobpipeline.cli", *args]


def run(seeds: Path, warehouse: Path, env: dict[str, str], local: bool = False) -> Timed:
    """One `jobpipeline run`, JSON summary; fails loudly on a run failure (exit 2)."""
    result = timed(
        jobpipeline(
            "run",
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
            *(["--local"] if local else []),
        ),
        env,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"jobpipeline run failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(api_url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def stop_group(process: subprocess.Popen[Any], grace: float = 30.0) -> None:
    """SIGTERM a process started in its own session, then SIGKILL its group if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


# -- the Prefect server ---------------------------------------------------------------------------------
class Prefect:
    """The Prefect side of one benchmark run: a private PREFECT_HOME and the server the runs use.

    managed: the CLI starts the server on the first run and reuses it; `api_url()` reads its state file.
    external: `warm()` starts `prefect server start` on a free port and the warm env carries PREFECT_API_URL.
    """

    def __init__(self, mode: str, home: Path) -> None:
        self.mode = mode
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.server: subprocess.Popen[bytes] | None = None
        self.url: str | None = None
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
        }
        for name in ("PREFECT_API_URL", "JOBPIPELINE_PREFECT_SERVER"):
            self.env.pop(name, None)

    def state(self) -> dict[str, Any]:
        try:
            return json.loads((self.home / STATE_FILE).read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def state_url(self) -> str | None:
        state = self.state()
        url = state.get("api_url") or state.get("url")  # the CLI writes api_url
        return str(url) if url else None

    def warm(self) -> None:
        """Make sure a server is up for the warm figures."""
        if self.mode == "managed":
            if not self.state():
                result = timed(jobpipeline("server", "start"), self.env, timeout=180)
                if result.returncode != 0:
                    raise SystemExit(f"jobpipeline server start failed:\n{result.stdout}{result.stderr}")
            self.url = self.state_url()
            return
        if self.server is not None:
            return
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        self.server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while not healthy(self.url):
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Prefect server did not start")
            time.sleep(0.25)
        self.env["PREFECT_API_URL"] = self.url

    def api_url(self) -> str:
        """The warm server's API URL (for the processes that need it spelled out: serve, the event emitter)."""
        url = self.url or self.state_url()
        if not url:
            raise SystemExit("no Prefect server is running for this benchmark")
        return str(url)

    def stop(self) -> None:
        if self.server is not None:
            stop_group(self.server)
            self.server = None
        log(f"stopping the managed server, if any: {stop_managed_server(self.home, self.env)}")


def detect_mode() -> str:
    probe = subprocess.run(jobpipeline("server", "--help"), cwd=ROOT, capture_output=True, check=False)
    return "managed" if probe.returncode == 0 else "external"


# -- measurements ---------------------------------------------------------------------------------------
@dataclass
class Results:
    mode: str
    repeats: int
    first_run_s: float | None = None
    local_nochange_s: list[float] = field(default_factory=list)
    prefect_nochange_s: list[float] = field(default_factory=list)
    empty_s: list[float] = field(default_factory=list)
    articles: int = 0
    ours_cold_s: float | None = None
    ours_edit_s: float | None = None
    peer_cold_s: float | None = None
    peer_edit_s: float | None = None
    peer_cold_record: dict[str, Any] = field(default_factory=dict)
    peer_edit_record: dict[str, Any] = field(default_factory=dict)
    watch_s: list[float] = field(default_factory=list)
    watch_note: str = ""
    serve_s: list[float] = field(default_factory=list)
    serve_note: str = ""
    serve_save_s: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    measured: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])
    load_after: float | None = None


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bundled_seeds(work: Path, name: str) -> Path:
    seeds = work / name
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.copytree(ROOT / "seeds", seeds)
    return seeds


def small_runs(prefect: Prefect, work: Path, results: Results) -> Path:
    """First run (no server), then N no-change runs each way alternated, then the empty folder. Returns the
    seeds copy the Prefect runs loaded (its warehouse is `work/wh-seeds`)."""
    seeds = bundled_seeds(work, "seeds")
    warehouse = work / "wh-seeds" / "jobs.duckdb"
    log(f"first `jobpipeline run` on a new PREFECT_HOME, no server ({prefect.mode})...")
    first = run(seeds, warehouse, prefect.env)
    results.first_run_s = first.seconds
    log(f"  {first.seconds:.2f} s")
    prefect.warm()
    local_warehouse = work / "wh-local" / "jobs.duckdb"
    run(seeds, local_warehouse, prefect.env, local=True)  # the --local warehouse's own first run
    run(seeds, warehouse, prefect.env)  # a warm-up, so the next N are alike
    for attempt in range(results.repeats):
        local = run(seeds, local_warehouse, prefect.env, local=True)
        ours = run(seeds, warehouse, prefect.env)
        if not (local.json()["nothing_changed"] and ours.json()["nothing_changed"]):
            raise SystemExit("a no-change run changed something")
        results.local_nochange_s.append(local.seconds)
        results.prefect_nochange_s.append(ours.seconds)
        log(f"  no change #{attempt + 1}: --local {local.seconds:.2f} s, Prefect {ours.seconds:.2f} s")
    empty = work / "empty-seeds"
    empty.mkdir(exist_ok=True)
    for attempt in range(3):
        target = work / f"wh-empty-{attempt}" / "jobs.duckdb"
        results.empty_s.append(run(empty, target, prefect.env).seconds)
        shutil.rmtree(target.parent, ignore_errors=True)
    log(f"  empty folder: {', '.join(f'{s:.2f}' for s in results.empty_s)} s")
    return seeds


def corpus(n: int) -> Path:
    """The cached `jobpipeline synth --n N --seed 1` corpus (shared with benchmarks/run.py)."""
    path = CORPORA / f"n{n}"
    marker = path / ".synth.json"
    if not marker.exists() or json.loads(marker.read_text()).get("n") != n:
        log(f"generating {n} articles into {path}...")
        subprocess.run(
            jobpipeline("synth", "--n", str(n), "--out", str(path), "--seed", "1"),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def edit_one(seeds: Path, n: int) -> Path:
    """Append a paragraph to the same file benchmarks/run.py edits."""
    victim = sorted(seeds.rglob("*.txt"))[n // 2]
    with open(victim, "a", encoding="utf-8") as handle:
        handle.write(EDIT)
    return victim


def peer(seeds: Path, destination: Path, env: dict[str, str]) -> Timed:
    result = timed(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dlt_peer.py"),
            "--seeds",
            str(seeds),
            "--destination",
            str(destination),
        ],
        env,
        timeout=1800,
    )
    if result.returncode != 0:
        raise SystemExit(f"the dlt peer failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def corpus_runs(prefect: Prefect, work: Path, results: Results) -> None:
    """Our cold and one-edit runs at N articles (server warm), then the dlt peer's, each on its own copy."""
    n = results.articles
    source = corpus(n)
    ours_seeds, peer_seeds = work / f"seeds-{n}", work / f"peer-seeds-{n}"
    for copy in (ours_seeds, peer_seeds):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".synth.json"))
    warehouse = work / f"wh-{n}" / "jobs.duckdb"
    log(f"[{n}] our cold run...")
    cold = run(ours_seeds, warehouse, prefect.env)
    results.ours_cold_s = cold.seconds
    edit_one(ours_seeds, n)
    log(f"[{n}] our one-edit rerun ({cold.seconds:.2f} s cold)...")
    edit = run(ours_seeds, warehouse, prefect.env)
    if edit.json()["files_changed"] != 1:
        raise SystemExit(f"our rerun did not see exactly one change: {edit.stdout[:2000]}")
    results.ours_edit_s = edit.seconds
    log(f"[{n}] dlt peer cold run ({edit.seconds:.2f} s one edit)...")
    destination = work / f"peer-{n}" / "peer.duckdb"
    peer_cold = peer(peer_seeds, destination, prefect.env)
    results.peer_cold_s = peer_cold.seconds
    results.peer_cold_record = json.loads(peer_cold.stdout.strip().splitlines()[-1])
    edit_one(peer_seeds, n)
    log(f"[{n}] dlt peer one-edit rerun ({peer_cold.seconds:.2f} s cold)...")
    peer_edit = peer(peer_seeds, destination, prefect.env)
    results.peer_edit_s = peer_edit.seconds
    results.peer_edit_record = json.loads(peer_edit.stdout.strip().splitlines()[-1])
    if results.peer_edit_record["files_read"] != 1:
        results.notes.append(f"the peer's rerun read {results.peer_edit_record['files_read']} files, not 1")
    log(f"[{n}] peer one edit {peer_edit.seconds:.2f} s")
    for path in (ours_seeds, peer_seeds, warehouse.parent, destination.parent):
        shutil.rmtree(path, ignore_errors=True)


def watch_runs(prefect: Prefect, seeds: Path, results: Results, saves: int) -> None:
    """`jobpipeline watch` through Prefect: no PREFECT_API_URL (with one set, watch only emits events)."""
    env = {k: v for k, v in prefect.env.items() if k != "PREFECT_API_URL"}
    how = (
        "managed server warm"
        if prefect.mode == "managed"
        else "no PREFECT_API_URL: Prefect's temporary server in the watch process"
    )
    log(f"watch, {saves} saves ({how})...")
    try:
        results.watch_s = watch_latencies(seeds, seeds.parent / "wh-seeds" / "jobs.duckdb", env, saves=saves)
        results.watch_note = how
    except WatchError as exc:
        results.watch_note = f"not measured: {str(exc).splitlines()[0]}"
        log(str(exc))
    log(f"  {', '.join(f'{s:.2f}' for s in results.watch_s)} s")


EMITTER = r"""
import json, sys, time
from pathlib import Path
try:
    from jobpipeline.orchestration.events import emit_seeds_changed
except ImportError:  # a CLI from before the managed server
    from flows.watch import emit_seeds_changed
from prefect.events import emit_event
from prefect.events.worker import EventsWorker
# Connect the events client first, so the figures are the event's, not the client's start-up.
emit_event(event="jobpipeline.bench.warmup", resource={"prefect.resource.id": "jobpipeline.bench"})
EventsWorker.drain_all(timeout=10)
seeds = Path(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    emitted = time.time()
    event_id = emit_seeds_changed(seeds, [line.strip()])
    print(json.dumps({"emitted": emitted, "flushed": time.time(), "event": event_id}), flush=True)
"""


def add_unknown_field(path: Path, name: str) -> None:
    """Add `"name": 1` to the JSON front matter: the next validation reports a field-unknown warning on it."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("{\n", 1)
    path.write_text(f'{head}{{\n  "{name}": 1,\n{rest}', encoding="utf-8")


def warehouse_has(warehouse: Path, field_name: str) -> bool:
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            row = connection.execute("SELECT count(*) FROM validation_issues WHERE field = ?", [field_name]).fetchone()
    except duckdb.Error:
        return False  # the file is being swapped in: try again
    return bool(row and row[0])


@contextlib.contextmanager
def started(
    args: list[str], env: dict[str, str], ready: str, timeout: float = 180.0
) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """A long-running command in its own session, past the output line containing `ready`; stopped on exit."""
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.extend(stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not any(ready in line for line in list(lines)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(args[2:4])} did not get ready:\n{''.join(lines)[-3000:]}")
            time.sleep(0.05)
        yield process, lines
    finally:
        stop_group(process)


def wait_for_field(warehouse: Path, name: str, timeout: float = 120.0) -> float | None:
    """time.time() when `validation_issues` first names `name`, or None after `timeout`."""
    deadline = time.monotonic() + timeout
    while not warehouse_has(warehouse, name):
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    return time.time()


def serve_runs(prefect: Prefect, seeds: Path, results: Results, events: int) -> None:
    """`jobpipeline serve` on the warm server: seconds from an emitted event to `validation_issues` updated
    (serve not watching), and, where serve watches the folder itself, from a save to the same."""
    warehouse = seeds.parent / "wh-seeds" / "jobs.duckdb"
    env = {**prefect.env, "PREFECT_API_URL": prefect.api_url()}
    article = sorted(seeds.rglob("*.txt"))[0]
    relative = article.relative_to(seeds).as_posix()
    serve = jobpipeline("serve", "--seeds", str(seeds), "--warehouse", str(warehouse))
    if prefect.mode == "managed":
        serve.append("--no-watch")  # the events below are the only trigger
    else:
        serve += ["--port", str(free_port())]  # an older serve starts its own server unless told the URL
    log(f"serve, {events} events...")
    with (
        started(serve, env, "serving") as (_, serve_lines),
        started([sys.executable, "-c", EMITTER, str(seeds)], env, "ready") as (emitter, emitted_lines),
    ):
        assert emitter.stdin is not None
        for event in range(events):
            name = f"bench_event_{event}"
            add_unknown_field(article, name)
            time.sleep(0.5)  # the save is not the event: let it settle
            before = len([line for line in emitted_lines if line.startswith("{")])
            emitter.stdin.write(relative + "\n")
            emitter.stdin.flush()
            updated = wait_for_field(warehouse, name)
            if updated is None:
                results.serve_note = f"event {event + 1}: no update within 120 s"
                log("".join(serve_lines)[-3000:])
                return
            while len([line for line in emitted_lines if line.startswith("{")]) == before:
                time.sleep(0.01)
            emitted = json.loads([line for line in emitted_lines if line.startswith("{")][-1])["emitted"]
            results.serve_s.append(updated - emitted)
            log(f"  event {event + 1}: {updated - emitted:.2f} s")
            time.sleep(1.5)  # let the flow run finish before the next event
    results.serve_note = "the event is emitted from another process (warm events client)"
    if prefect.mode != "managed":
        return
    log(f"serve watching the folder itself, {events} saves...")
    serve.remove("--no-watch")
    with started(serve, env, "serving") as (_, serve_lines):
        time.sleep(1.0)  # the watcher thread starts after the line
        for save in range(events):
            name = f"bench_save_{save}"
            saved = time.time()
            add_unknown_field(article, name)
            updated = wait_for_field(warehouse, name)
            if updated is None:
                results.notes.append(f"serve's own watch: save {save + 1} not in the warehouse within 120 s")
                log("".join(serve_lines)[-3000:])
                return
            results.serve_save_s.append(updated - saved)
            log(f"  save {save + 1}: {updated - saved:.2f} s")
            time.sleep(1.5)


# -- report ---------------------------------------------------------------------------------------------
def machine() -> str:
    """Cores, processor, memory and Python of this machine, in one line."""
    import platform

    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.processor()
    )
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def verdict(value: float | None, target: float) -> str:
    if value is None or value != value:
        return "not measured"
    return "met" if value <= target else "not met"


def steps(record: dict[str, Any]) -> str:
    """dlt's own seconds per step, from the peer's trace."""
    seconds = record.get("step_seconds") or {}
    return ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items()) or "steps not recorded"


def render(r: Results) -> str:
    """The markdown section, between its markers."""
    local, ours = median(r.local_nochange_s), median(r.prefect_nochange_s)
    ratio = ours / local if local else float("nan")
    empty = median(r.empty_s)
    edit_ratio = (r.ours_edit_s / r.peer_cold_s) if r.ours_edit_s and r.peer_cold_s else None
    watch_first = r.watch_s[0] if r.watch_s else None
    watch_later = max(r.watch_s[1:]) if len(r.watch_s) > 1 else None
    serve_worst = max(r.serve_s) if r.serve_s else None

    def s(value: float | None) -> str:
        return "—" if value is None or value != value else f"{value:.2f} s"

    def spread(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values) or "—"

    mode = (
        "the CLI's managed server under a new PREFECT_HOME"
        if r.mode == "managed"
        else "a CLI without a managed server: the first run uses Prefect's temporary server; the warm figures use "
        "a `prefect server start` that the script started, through PREFECT_API_URL"
    )
    lines = [
        START,
        "## The Prefect path, side by side",
        "",
        f"Measured {r.measured} on {machine()} by `benchmarks/prefect_path.py` in one run "
        f"({mode}). Wall time of new processes; medians of {r.repeats}. Load average (1 min) "
        f"{r.load_before:.1f} before, {r.load_after or 0:.1f} after: other work on the machine shows up here.",
        "",
        "| what | seconds | runs |",
        "|---|---|---|",
        f"| no-change `jobpipeline run --local`, bundled seeds (median) | {s(local)} | {spread(r.local_nochange_s)} |",
        f"| no-change `jobpipeline run`, server warm (median) | {s(ours)} | {spread(r.prefect_nochange_s)} |",
        f"| ratio Prefect / `--local` | {ratio:.2f}x | |",
        f"| first `jobpipeline run`, new PREFECT_HOME, no server running | {s(r.first_run_s)} | |",
        f"| `jobpipeline run` on an empty seeds folder, server warm (median) | {s(empty)} | {spread(r.empty_s)} |",
    ]
    if r.articles:
        lines += [
            f"| {r.articles:,} articles: our cold run | {s(r.ours_cold_s)} | |",
            f"| {r.articles:,} articles: our one-edit rerun, server warm | {s(r.ours_edit_s)} | |",
            f"| {r.articles:,} articles: dlt peer cold run | {s(r.peer_cold_s)} | "
            f"{r.peer_cold_record.get('articles', '?')} articles, {r.peer_cold_record.get('rejected', '?')} rejected; "
            f"{steps(r.peer_cold_record)} |",
            f"| {r.articles:,} articles: dlt peer one-edit rerun | {s(r.peer_edit_s)} | "
            f"{r.peer_edit_record.get('files_read', '?')} file read; {steps(r.peer_edit_record)} |",
            f"| ratio our one edit / peer cold | {edit_ratio:.3f}x | |" if edit_ratio else "| ratio | — | |",
        ]
    lines += [
        f"| `watch`: save → findings printed, first save | {s(watch_first)} | {r.watch_note} |",
        f"| `watch`: later saves (worst) | {s(watch_later)} | {spread(r.watch_s[1:])} |",
        f"| `serve`: event emitted → `validation_issues` updated (worst) | {s(serve_worst)} | "
        f"{spread(r.serve_s)}; {r.serve_note} |",
        f"| `serve` watching the folder itself: save → `validation_issues` updated (worst) | "
        f"{s(max(r.serve_save_s) if r.serve_save_s else None)} | {spread(r.serve_save_s)} |",
        "",
        "| target (issue 10) | figure | target | verdict |",
        "|---|---|---|---|",
        f"| no-change run, server warm, vs `--local` | {ratio:.2f}x | ≤ 2.0x | {verdict(ratio, 2.0)} |",
        f"| first run, no server (starts one) | {s(r.first_run_s)} | ≤ 12 s | {verdict(r.first_run_s, 12)} |",
        f"| empty seeds folder, server warm | {s(empty)} | ≤ 3.5 s | {verdict(empty, 3.5)} |",
    ]
    if r.articles:
        lines.append(
            f"| one-edit rerun at {r.articles:,} / dlt peer's cold run | "
            f"{f'{edit_ratio:.3f}x' if edit_ratio else '—'} | ≤ 0.1x | {verdict(edit_ratio, 0.1)} |"
        )
    lines += [
        f"| watch: save → findings, first save | {s(watch_first)} | ≤ 0.5 s | {verdict(watch_first, 0.5)} |",
        f"| watch: save → findings, later saves | {s(watch_later)} | ≤ 0.5 s | {verdict(watch_later, 0.5)} |",
        f"| serve: event → warehouse updated | {s(serve_worst)} | ≤ 3 s | {verdict(serve_worst, 3)} |",
        "",
        "The dlt peer (`benchmarks/dlt_peer.py`) is what a data engineer would write instead: dlt's filesystem",
        "source with an incremental cursor on `modification_date`, the project's own reader in a transformer",
        "(parsing in the pipeline's process), `articles` merged on `slug` with its child rows nested (dlt's",
        "child tables), a DuckDB destination, dlt's defaults otherwise. Both one-edit reruns append a paragraph to",
        "the same file; each side has its own copy of the corpus. `watch` and `serve` run on the bundled seeds;",
        "the save figures include the watcher's wait for a burst of saves to end (50 ms of quiet, at most the",
        "400 ms `--debounce-ms`), and the warehouse is polled read-only every 50 ms. Commands run as",
        "`python -m jobpipeline.cli` (no `uv run` in front, which adds its own check of the environment).",
        *(f"Note: {note.rstrip('.')}." for note in r.notes),
        END,
    ]
    return "\n".join(lines) + "\n"


def splice(document: str, section: str) -> str:
    """Put `section` into the document: between the markers, else in place of the old "Prefect's fixed cost"
    section, else after the opening paragraph."""
    if START in document and END in document:
        head, rest = document.split(START, 1)
        return head + section.rstrip("\n") + rest.split(END, 1)[1]
    old = "## Prefect's fixed cost"
    if old in document:
        head, rest = document.split(old, 1)
        tail = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
        # The old section ended with the line saying what "net" means below; keep that line.
        net = next((line for line in rest.split("\n## ", 1)[0].splitlines() if line.startswith("Figures below")), "")
        net = net.replace(" s) where", " s, a run on an empty seeds folder in the same setting) where")
        return head + section + ("\n" + net + "\n" if net else "") + "\n" + tail
    first_heading = document.find("\n## ")
    if first_heading < 0:
        return document.rstrip("\n") + "\n\n" + section
    return document[: first_heading + 1] + section + "\n" + document[first_heading + 1 :]


def existing_section(document: str) -> str | None:
    """The section as last written, for benchmarks/run.py to carry over when it rewrites the file."""
    if START in document and END in document:
        return START + document.split(START, 1)[1].split(END, 1)[0] + END + "\n"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="no-change runs each way (default 5)")
    parser.add_argument("--articles", type=int, default=5000, help="corpus size for the peer comparison (0: skip)")
    parser.add_argument("--saves", type=int, default=4, help="saves under watch (the first is reported apart)")
    parser.add_argument("--events", type=int, default=3, help="events under serve")
    parser.add_argument("--server-mode", choices=("auto", "managed", "external"), default="auto")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=("small", "corpus", "watch", "serve"),
        help="parts to leave out (small also skips watch and serve)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the section only")
    parser.add_argument(
        "--from-json", type=Path, help="render a saved benchmarks/out/prefect_path.json, measure nothing"
    )
    args = parser.parse_args()
    if args.from_json:
        write(Results(**json.loads(args.from_json.read_text(encoding="utf-8"))), args.output, args.no_write)
        return
    # SIGTERM ends the run through the finally below (a shell's background job ignores SIGINT),
    # so every server it started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mode = detect_mode() if args.server_mode == "auto" else args.server_mode
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="jp-prefect-path-", dir=OUT))
    prefect = Prefect(mode, work / "prefect-home")
    results = Results(mode=mode, repeats=args.repeats, articles=0 if "corpus" in args.skip else args.articles)
    log(f"server mode: {mode}; work folder {work}")
    try:
        if "small" not in args.skip:
            seeds = small_runs(prefect, work, results)
        else:
            prefect.warm()
        if results.articles:
            prefect.warm()
            corpus_runs(prefect, work, results)
        if "small" not in args.skip:
            if "watch" not in args.skip:
                watch_runs(prefect, seeds, results, args.saves)
            if "serve" not in args.skip:
                serve_runs(prefect, seeds, results, args.events)
    finally:
        results.load_after = os.getloadavg()[0]
        prefect.stop()
        (OUT / "prefect_path.json").write_text(json.dumps(asdict(results), indent=2), encoding="utf-8")
        shutil.rmtree(work, ignore_errors=True)
    write(results, args.output, args.no_write)


def write(results: Results, output: Path, dry_run: bool) -> None:
    """Print the section and put it into `output`."""
    section = render(results)
    print(section)
    if not dry_run:
        document = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
        output.write_text(splice(document, section), encoding="utf-8")
        log(f"wrote the section into {output}")


if __name__ == "__main__":
    main()
