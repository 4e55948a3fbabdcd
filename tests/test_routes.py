"""The routes side by side on the session's real server, driven the way a user drives them: `prefect deploy
--all` and a `prefect worker` on the `jobpipeline-process` pool, `jobpipeline serve`, and `jobpipeline watch`
in a terminal with nothing configured."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from conftest import ROOT, make_article
from helpers import Output, api, deployment_names, route_line, rows, run_local, start, stop, wait_for

from jobpipeline.orchestration.deployments import (
    INGEST_DEPLOYMENT,
    REVALIDATE_DEPLOYMENT,
    SERVE_INGEST,
    SERVE_REVALIDATE,
    WORK_POOL,
)

pytestmark = pytest.mark.slow

INGEST = f"jobpipeline-ingest/{INGEST_DEPLOYMENT}"
REVALIDATE = f"jobpipeline-revalidate/{REVALIDATE_DEPLOYMENT}"
KEPT = (
    "id",
    "flow_id",
    "entrypoint",
    "path",
    "pull_steps",
    "work_pool_name",
    "work_queue_name",
    "paused",
    "parameters",
    "job_variables",
)
"""What a work-pool deployment must keep while serve runs and after it exits."""


def run(args: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """A one-off command; its output, or an AssertionError with it."""
    done = subprocess.run(args, cwd=cwd, env={**env, "PWD": str(cwd)}, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def kept(api_url: str) -> dict[str, dict[str, Any]]:
    """The fields serve must leave alone, for each work-pool deployment."""

    async def read(client: Any) -> dict[str, dict[str, Any]]:
        found = {}
        for name in (INGEST, REVALIDATE):
            deployment = await client.read_deployment_by_name(name)
            found[name] = {field: getattr(deployment, field) for field in KEPT}
            limit = deployment.global_concurrency_limit
            found[name]["concurrency_limit"] = limit.limit if limit else None
            found[name]["schedules"] = [(s.schedule.model_dump(mode="json"), s.active) for s in deployment.schedules]
        return found

    result: dict[str, dict[str, Any]] = api(api_url, read)
    return result


def flow_run(api_url: str, flow_run_id: str, timeout: float = 60.0) -> Any:
    """The flow run, once it is final (an AssertionError with its last state after `timeout` seconds)."""

    async def read(client: Any) -> Any:
        deadline = time.monotonic() + timeout
        run = await client.read_flow_run(UUID(flow_run_id))
        while run.state is None or not run.state.is_final():
            assert time.monotonic() < deadline, f"flow run {flow_run_id} not final within {timeout:.0f} s: {run.state}"
            await asyncio.sleep(0.2)
            run = await client.read_flow_run(UUID(flow_run_id))
        return run

    return api(api_url, read)


def deployment_id(api_url: str, name: str) -> UUID:
    """The id of deployment `name` (flow/deployment)."""
    found: UUID = api(api_url, lambda client: client.read_deployment_by_name(name)).id
    return found


def automation_count(api_url: str) -> int:
    async def count(client: Any) -> int:
        return len(await client.read_automations())

    return int(api(api_url, count))


@dataclass(frozen=True)
class WorkPoolRoute:
    """A project folder deployed to the work pool, and a worker polling it."""

    project: Path
    api_url: str
    configured: dict[str, str]
    """The environment of a terminal that exported PREFECT_API_URL (deploy, worker)."""
    bare: dict[str, str]
    """The environment of a terminal with nothing configured (serve, watch find the managed server)."""
    worker: Output

    @property
    def warehouse(self) -> Path:
        return self.project / "warehouse" / "jobs.duckdb"


@pytest.fixture(scope="module")
def work_pool_route(
    managed_server: Any, prefect_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkPoolRoute]:
    """The work-pool route of docs/routes.md from a copy of the project folder (its own seeds and warehouse, so the
    repository's are untouched): pool, `prefect --no-prompt deploy --all`, a worker polling every second.
    Stops the worker and deletes the deployments, their triggers and the pool: the server is shared."""
    project = tmp_path_factory.mktemp("project")
    shutil.copy2(ROOT / "prefect.yaml", project / "prefect.yaml")
    shutil.copytree(ROOT / "flows", project / "flows", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "seeds").mkdir()
    (project / "seeds" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    (project / "warehouse").mkdir()
    run_local(project / "seeds", project / "warehouse" / "jobs.duckdb")
    bare = {
        key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "JOBPIPELINE_PREFECT_SERVER")
    }
    bare["PREFECT_HOME"] = str(prefect_home)
    configured = {**bare, "PREFECT_API_URL": managed_server.api_url}
    prefect = [sys.executable, "-m", "prefect"]
    automations = automation_count(managed_server.api_url)
    worker: Output | None = None
    try:
        run([*prefect, "work-pool", "create", WORK_POOL, "--type", "process"], cwd=project, env=configured)
        run([*prefect, "--no-prompt", "deploy", "--all"], cwd=project, env=configured)
        # prefect.yaml's command runs the `python` on the worker's PATH: this environment's, as when it is active.
        path = f"{Path(sys.executable).parent}{os.pathsep}{configured.get('PATH', '')}"
        worker = start(
            [*prefect, "worker", "start", "--pool", WORK_POOL],
            cwd=project,
            env={**configured, "PREFECT_WORKER_QUERY_SECONDS": "1", "PATH": path},
        )
        route = WorkPoolRoute(project, managed_server.api_url, configured, bare, worker)
        wait_ready(route)
        yield route
    finally:
        if worker is not None:
            stop(worker)
        api(managed_server.api_url, remove_work_pool_route)
    assert automation_count(managed_server.api_url) == automations, "the deployments' triggers were left behind"


def wait_ready(route: WorkPoolRoute, timeout: float = 60.0) -> None:
    """Until the worker's first poll has marked the re-validation deployment READY (what watch looks for)."""
    from prefect.client.schemas.objects import DeploymentStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment = api(route.api_url, lambda client: client.read_deployment_by_name(REVALIDATE))
        if deployment.status == DeploymentStatus.READY:
            return
        time.sleep(0.2)
    raise AssertionError(f"{REVALIDATE} never READY: the worker said\n{route.worker.text()}")


async def remove_work_pool_route(client: Any) -> None:
    """Delete the work-pool deployments (with the automations their triggers made) and the pool."""
    from prefect.exceptions import ObjectNotFound

    for name in (INGEST, REVALIDATE):
        try:
            deployment = await client.read_deployment_by_name(name)
        except ObjectNotFound:
            continue
        await client.delete_resource_owned_automations(f"prefect.deployment.{deployment.id}")
        await client.delete_deployment(deployment.id)
    with contextlib.suppress(ObjectNotFound):
        await client.delete_work_pool(WORK_POOL)


def test_serve_beside_the_work_pool_route(
    work_pool_route: WorkPoolRoute, tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """`serve` on the same server as `prefect deploy --all` and a worker: a run of each route's ingest
    deployment lands in its own warehouse with its flow run id; the work-pool deployments keep their pull
    step, path, entrypoint, pool and schedule while serve runs and after it exits; serve's own
    deployments, and their triggers, are gone after it exits."""
    route = work_pool_route
    before = kept(route.api_url)
    automations = automation_count(route.api_url)
    began = time.monotonic()
    seconds: dict[str, float] = {}
    write_seed("s.txt", make_article("served"))
    serve_warehouse = tmp_path / "serve" / "jobs.duckdb"
    serve = start(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "serve",
            "--seeds",
            str(seeds_dir),
            "--warehouse",
            str(serve_warehouse),
            "--interval",
            "3",
        ],
        cwd=tmp_path,
        env=route.bare,
    )
    try:
        serve.wait(f"serving {SERVE_INGEST}", timeout=120)
        seconds["serve started"] = time.monotonic() - began
        assert {SERVE_INGEST, SERVE_REVALIDATE} <= deployment_names(route.api_url)
        serve_ingest_id = deployment_id(route.api_url, f"jobpipeline-ingest/{SERVE_INGEST}")
        assert kept(route.api_url) == before

        output = run(
            [sys.executable, "-m", "prefect", "deployment", "run", INGEST], cwd=route.project, env=route.configured
        )
        match = re.search(r"UUID: ([0-9a-f-]{36})", output)
        assert match, output
        pool_run_id = match.group(1)
        wait_for(
            route.warehouse,
            f"SELECT count(*) FROM runs WHERE flow_run_id = '{pool_run_id}'",
            120,
            why=route.worker.text,
        )
        seconds["work-pool run landed"] = time.monotonic() - began
        wait_for(serve_warehouse, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", 60, why=serve.text)
        seconds["scheduled serve run landed"] = time.monotonic() - began
        assert kept(route.api_url) == before
    finally:
        stop(serve)
    seconds["serve stopped"] = time.monotonic() - began
    print(
        "serve beside the work pool, seconds since serve began: "
        + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
    )
    assert serve.process.returncode == 0, serve.text()

    pool_run = flow_run(route.api_url, pool_run_id)
    assert (pool_run.state.type.value, pool_run.deployment_id) == ("COMPLETED", before[INGEST]["id"])
    # `prefect deployment run` of the scheduled deployment is recorded as what it was: manual.
    assert rows(route.warehouse, f"SELECT trigger, seeds_dir FROM runs WHERE flow_run_id = '{pool_run_id}'") == [
        ("manual", str((route.project / "seeds").resolve()))
    ]
    served_ids = [row[0] for row in rows(serve_warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'schedule'")]
    served_run = flow_run(route.api_url, served_ids[0])
    assert (served_run.state.type.value, served_run.deployment_id) == ("COMPLETED", serve_ingest_id)
    assert rows(serve_warehouse, "SELECT slug FROM articles") == [("served",)]

    assert kept(route.api_url) == before
    assert not {SERVE_INGEST, SERVE_REVALIDATE} & deployment_names(route.api_url)
    assert automation_count(route.api_url) == automations, "serve left its trigger behind"


def test_a_save_reaches_validation_issues_through_the_worker(work_pool_route: WorkPoolRoute) -> None:
    """`watch` in a terminal with nothing configured says it emits for the worker's deployment; a save then
    becomes an event, a triggered run on the worker and a new finding in validation_issues. Prints where
    the seconds went (no timed assertion: the machine is shared)."""
    route = work_pool_route
    watch = start(
        [sys.executable, "-m", "jobpipeline.cli", "watch", "--debounce-ms", "100"], cwd=route.project, env=route.bare
    )
    try:
        line = route_line(watch)
        assert f"emitting jobpipeline.seeds.changed to {route.api_url}: deployment {REVALIDATE} re-validates" in line
        saved = time.time()
        (route.project / "seeds" / "a.txt").write_text(make_article("alpha", related=["from_event"]), encoding="utf-8")
        marks = {
            "noticed": watch.wait("changed: a.txt", after=saved),
            "sent": watch.wait("emitted jobpipeline.seeds.changed", after=saved),
        }
        # The run's row commits with its findings; waiting for it, not for the finding, stays right when the
        # deployment's cron (every 30 min) happens to ingest the save first.
        marks["landed"] = wait_for(
            route.warehouse,
            "SELECT count(*) FROM runs WHERE trigger = 'event'",
            120,
            why=lambda: watch.text() + route.worker.text(),
        )
        assert rows(route.warehouse, "SELECT code FROM validation_issues WHERE message LIKE '%from_event%'") == [
            ("related-dangling",)
        ]
        # Nothing serves the deployment any more (paused in the UI; a serve that stopped deletes its own):
        # the next save is re-validated here, not "emitted" to nobody.
        revalidate_id = deployment_id(route.api_url, REVALIDATE)
        api(route.api_url, lambda client: client.pause_deployment(revalidate_id))
        try:
            again = time.time()
            (route.project / "seeds" / "a.txt").write_text(make_article("alpha", related=["later"]), encoding="utf-8")
            watch.wait("nothing serves the re-validation deployment any more", after=again, timeout=60)
            wait_for(route.warehouse, "SELECT count(*) FROM runs WHERE trigger = 'revalidate'", 60, why=watch.text)
        finally:
            api(route.api_url, lambda client: client.resume_deployment(revalidate_id))
    finally:
        stop(watch)
    [(flow_run_id,)] = rows(route.warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'event'")
    run_ = flow_run(route.api_url, flow_run_id)
    assert (run_.state.type.value, run_.deployment_id) == ("COMPLETED", deployment_id(route.api_url, REVALIDATE))
    assert rows(route.warehouse, "SELECT code FROM validation_issues WHERE message LIKE '%`later`%'") == [
        ("related-dangling",)
    ]

    async def states(client: Any) -> dict[str, float]:
        return {
            state.type.value.lower(): state.timestamp.timestamp()
            for state in reversed(await client.read_flow_run_states(run_.id))
        }

    marks.update(api(route.api_url, states), created=run_.created.timestamp())
    previous, steps = saved, []
    for step, what in (
        ("noticed", "watch noticed"),
        ("sent", "event sent"),
        ("created", "trigger: run created"),
        ("pending", "worker poll"),
        ("running", "process start, imports"),
        ("landed", "the flow, to the warehouse"),
    ):
        steps.append(f"{what} {marks[step] - previous:+.2f}")
        previous = marks[step]
    print(
        f"save to validation_issues through the work-pool worker: {marks['landed'] - saved:.2f} s = " + ", ".join(steps)
    )
