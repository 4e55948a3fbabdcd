"""Seconds from saving a seed file to updated `validation_issues` through the work-pool route, and where they go.

Starts everything a user would, on a temporary PREFECT_HOME and a free port: the managed Prefect server,
the `jobpipeline-process` work pool, `prefect --no-prompt deploy --all` from a temporary copy of the
project, `prefect worker start` (PREFECT_WORKER_QUERY_SECONDS=--query-seconds) and `jobpipeline watch`
in a terminal with nothing configured. Each save adds a dangling related job to the bundled article;
for each, it prints the seconds of every step:

    save -> watch noticed (debounce) -> event sent -> flow run created (trigger) -> Pending (worker
    poll) -> Running (process start, imports, pull step) -> the flow's findings in the warehouse

and, to explain the process start, the seconds a fresh interpreter takes to import what a flow run needs.

    uv run python benchmarks/route_latency.py [--query-seconds 1] [--saves 3] [--compare-start 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = "000_d9b025f51903baf0.txt"
POOL = "jobpipeline-process"
REVALIDATE = "jobpipeline-revalidate/revalidate-on-change"
INGEST = "jobpipeline-ingest/scheduled-ingest"
STEPS = ("noticed", "sent", "created", "pending", "running", "landed")
"""Each step's end; its seconds are counted from the previous step's end (the first from the save)."""


class Lines:
    """A process's output lines, each with the wall-clock time it arrived."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.seen: list[tuple[float, str]] = []
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: self.seen.extend((time.time(), line) for line in stream), daemon=True).start()

    def wait(self, text: str, *, after: float = 0.0, timeout: float = 60.0) -> float:
        """The arrival time of the first line after `after` that contains `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.seen):
                if at >= after and text in line:
                    return at
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"no line with {text!r} within {timeout:.0f} s:\n{self.text()}")

    def text(self) -> str:
        return "".join(line for _, line in self.seen)


def start(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """A long-lived process in its own process group (stopped with `stop`)."""
    return subprocess.Popen(
        args,
        cwd=cwd,
        env={**env, "PWD": str(cwd)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    """SIGINT the process group (what Ctrl-C does), then SIGKILL what is left after 20 s."""
    for sig, grace in ((signal.SIGINT, 20.0), (signal.SIGKILL, 10.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def api_env(home: Path, api_url: str | None) -> dict[str, str]:
    """The environment of a terminal: PREFECT_HOME, and the API URL when the user exported it."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "JOBPIPELINE_PREFECT_SERVER")
    }
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def copy_project(target: Path) -> Path:
    """What a user deploys from: prefect.yaml, flows/, the bundled seeds and an empty warehouse folder."""
    target.mkdir(parents=True)
    shutil.copy2(ROOT / "prefect.yaml", target / "prefect.yaml")
    shutil.copytree(ROOT / "flows", target / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "seeds").mkdir()
    shutil.copy2(ROOT / "seeds" / SEED, target / "seeds" / SEED)
    (target / "warehouse").mkdir()
    return target


def prefect_call(api_url: str, call: Any) -> Any:
    """`await call(client)` against `api_url`."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def go() -> Any:
        async with get_client() as client:
            return await call(client)

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        return asyncio.run(go())


def wait_ready(api_url: str, name: str, timeout: float = 60.0) -> None:
    """Until a worker's poll has marked deployment `name` (flow/deployment) READY."""
    from prefect.client.schemas.objects import DeploymentStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment = prefect_call(api_url, lambda client: client.read_deployment_by_name(name))
        if deployment.status == DeploymentStatus.READY:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{name} not READY within {timeout:.0f} s: is the worker polling?")


def flow_run_times(api_url: str, name: str, after: float, timeout: float = 60.0) -> dict[str, float]:
    """When the first run of deployment `name` created after `after` was created and entered each
    state, by lower-case state type (server timestamps, wall clock); waits until it is final."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    async def times(client: Any) -> dict[str, float] | None:
        deployment = await client.read_deployment_by_name(name)
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=20,
        )
        runs = [run for run in runs if run.created.timestamp() >= after]
        if not runs:
            return None
        run = min(runs, key=lambda run: run.created)
        if run.state is None or not run.state.is_final():
            return None
        found = {"created": run.created.timestamp()}
        for state in await client.read_flow_run_states(run.id):
            found.setdefault(state.type.value.lower(), state.timestamp.timestamp())
        return found

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found: dict[str, float] | None = prefect_call(api_url, times)
        if found is not None:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"no finished run of {name} created after the save within {timeout:.0f} s")


def breakdown(saved: float, marks: dict[str, float]) -> list[tuple[str, float]]:
    """Seconds of each step, from the previous step's end (the first from the save)."""
    previous = saved
    steps = []
    for step in STEPS:
        steps.append((step, marks[step] - previous))
        previous = marks[step]
    return steps


@contextmanager
def work_pool_route(work: Path, query_seconds: float) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """A server, the pool, the deployments and a worker; yields (api_url, project folder, the
    environment of a terminal with nothing configured). Stops and removes everything on exit."""
    from jobpipeline.orchestration.server import ensure_server, free_port, stop_server

    home = work / "prefect-home"
    server = ensure_server(home, lambda line: None, port=free_port())
    worker: subprocess.Popen[str] | None = None
    try:
        api_url = server.api_url
        project = copy_project(work / "project")
        configured = api_env(home, api_url)
        bare = api_env(home, None)
        run = [sys.executable, "-m", "jobpipeline.cli", "run", "--local"]
        subprocess.run(run, cwd=project, env=bare, check=True, capture_output=True)
        subprocess.run(
            [sys.executable, "-m", "prefect", "work-pool", "create", POOL, "--type", "process"],
            cwd=project,
            env={**configured, "PWD": str(project)},
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
            cwd=project,
            env={**configured, "PWD": str(project)},
            check=True,
            capture_output=True,
        )
        path = f"{Path(sys.executable).parent}{os.pathsep}{configured.get('PATH', '')}"
        worker = start(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL],
            cwd=project,
            # prefect.yaml's command runs the `python` on the worker's PATH: this environment's.
            env={**configured, "PREFECT_WORKER_QUERY_SECONDS": f"{query_seconds:g}", "PATH": path},
        )
        wait_ready(api_url, REVALIDATE)
        yield api_url, project, bare
    finally:
        if worker is not None:
            stop(worker)
        stop_server(home)


def landed(warehouse: Path, missing: str, saved: float, timeout: float = 120.0) -> float:
    """When `validation_issues` first named the related job `missing` (polled every 50 ms)."""
    import duckdb

    while time.time() - saved < timeout:
        connection = duckdb.connect(str(warehouse), read_only=True)
        try:
            found = connection.execute(
                "SELECT count(*) FROM validation_issues WHERE message LIKE ?", [f"%{missing}%"]
            ).fetchone()
        finally:
            connection.close()
        if found and found[0]:
            return time.time()
        time.sleep(0.05)
    raise RuntimeError(f"{missing} not in validation_issues within {timeout:.0f} s")


def save_and_measure(project: Path, api_url: str, watch: Lines, missing: str) -> tuple[float, list[tuple[str, float]]]:
    """Add the dangling related job `missing` to the article; the seconds to its finding, and each step's."""
    article = project / "seeds" / SEED
    text = article.read_text(encoding="utf-8").replace('"related_jobs": [', f'"related_jobs": [\n    "{missing}",', 1)
    saved = time.time()
    article.write_text(text, encoding="utf-8")
    marks = {
        "noticed": watch.wait("changed:", after=saved),
        "sent": watch.wait("emitted jobpipeline.seeds.changed", after=saved),
        "landed": landed(project / "warehouse" / "jobs.duckdb", missing, saved),
    }
    states = flow_run_times(api_url, REVALIDATE, saved)
    marks.update({step: states[step] for step in ("created", "pending", "running")})
    return marks["landed"] - saved, breakdown(saved, marks)


def start_seconds(api_url: str, *, supervisor: bool) -> float:
    """Pending -> Running of one ingest run on the worker: with prefect.yaml's command, or (`supervisor`)
    with the command unset for this run, as Prefect's process worker runs a flow by default."""

    async def run_once(client: Any) -> float:
        deployment = await client.read_deployment_by_name(INGEST)
        run = await client.create_flow_run_from_deployment(
            deployment.id, job_variables={"command": None} if supervisor else {}
        )
        while run.state is None or not run.state.is_final():
            await asyncio.sleep(0.2)
            run = await client.read_flow_run(run.id)
        entered: dict[str, float] = {}
        for state in await client.read_flow_run_states(run.id):
            entered.setdefault(state.type.value, state.timestamp.timestamp())
        return entered["RUNNING"] - entered["PENDING"]

    seconds: float = prefect_call(api_url, run_once)
    return seconds


def compare_start(api_url: str, pairs: int) -> None:
    """Alternate runs with and without prefect.yaml's command, so both see the same machine load."""
    found: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(pairs):
        for supervisor in (False, True):
            found[supervisor].append(start_seconds(api_url, supervisor=supervisor))
    for supervisor, seconds in found.items():
        what = "Prefect's workspace supervisor (no command)" if supervisor else "command: python -m prefect.engine"
        listed = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"Pending -> Running with {what}: mean {sum(seconds) / len(seconds):.2f} s ({listed})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query-seconds", type=float, default=1.0, help="PREFECT_WORKER_QUERY_SECONDS")
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--debounce-ms", type=int, default=400)
    parser.add_argument(
        "--compare-start",
        type=int,
        default=0,
        metavar="PAIRS",
        help="also time the process start of PAIRS "
        "ingest runs with prefect.yaml's command against as many with Prefect's default, alternating",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jp-route-"))
    measured: list[list[tuple[str, float]]] = []
    try:
        with work_pool_route(work, args.query_seconds) as (api_url, project, bare):
            command = [sys.executable, "-m", "jobpipeline.cli", "watch", "--debounce-ms", str(args.debounce_ms)]
            watch = Lines(start(command, cwd=project, env=bare))
            try:
                watch.wait("watching", timeout=120)
                print(next(line for _, line in watch.seen if "watching" in line).strip())
                for save in range(args.saves):
                    total, steps = save_and_measure(project, api_url, watch, f"bench_missing_{save}")
                    measured.append(steps)
                    print(f"save {save + 1}: {total:.2f} s = " + ", ".join(f"{s} {x:+.2f}" for s, x in steps))
                    time.sleep(1)
            finally:
                stop(watch.process)
            means = {step: sum(dict(steps)[step] for steps in measured) / len(measured) for step in STEPS}
            print(
                f"PREFECT_WORKER_QUERY_SECONDS={args.query_seconds:g}, watch --debounce-ms {args.debounce_ms}; "
                f"mean of {len(measured)} saves: {sum(means.values()):.2f} s = "
                + ", ".join(f"{step} {seconds:.2f}" for step, seconds in means.items())
            )
            if args.compare_start:
                compare_start(api_url, args.compare_start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    imports = "import prefect.engine, prefect.flow_engine, jobpipeline.orchestration.flows"
    subprocess.run([sys.executable, "-c", imports], check=True)
    print(f"a fresh interpreter imports prefect.engine and the flows in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
