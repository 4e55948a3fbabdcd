"""Prefect orchestration: the flows end to end in one shared harness, deployments, prefect.yaml."""

from __future__ import annotations

import asyncio
import json
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, make_article
from helpers import rows, run_local

pytestmark = pytest.mark.prefect


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "jobs.duckdb"


def test_ingest_flow_end_to_end(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """The ingest flow loads the folder, records its flow run id, and leaves artifacts in Prefect."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

    from jobpipeline.orchestration.flows import ingest_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha", related=["beta"]))
    write_seed("b.txt", make_article("beta"))
    write_seed("broken.txt", "---json\n{\n---\n")
    state = asyncio.run(ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), trigger="test", return_state=True))
    record = flow_result(state, "ingest")
    assert (record["files_seen"], record["files_rejected"], record["articles_loaded"]) == (3, 1, 2)
    [(flow_run_id, trigger)] = rows(warehouse, "SELECT flow_run_id, trigger FROM runs")
    assert flow_run_id == str(state.state_details.flow_run_id) and trigger == "test"
    # This run's artifact, not the key's latest: the server is shared with other tests' runs.
    with get_client(sync_client=True) as client:
        [counts] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["jobpipeline-run-counts"])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])),
        )
    table = {row["what"]: row["count"] for row in json.loads(str(counts.data))}
    assert (table["files seen"], table["rejected"], table["articles loaded"]) == (3, 1, 2)
    assert table["read again (another jobpipeline read them)"] == 0


def test_ingest_flow_over_an_emptied_folder_stops_unless_allowed(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """An unmounted share shows as its empty mount point: the ingest flow stops in one line and commits
    nothing (it deleted every article and published empty datasets); `allow_empty` lets it delete them."""
    from jobpipeline.errors import SeedsEmptyError
    from jobpipeline.orchestration.flows import ingest_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha"))
    flow_result(asyncio.run(ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), return_state=True)), "ingest")
    (seeds_dir / "a.txt").unlink()
    state = asyncio.run(ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), return_state=True))
    with pytest.raises(SeedsEmptyError) as failed:
        flow_result(state, "ingest")
    assert "lists no seed file" in str(failed.value) and "the warehouse has 1 file from it" in str(failed.value)
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    assert rows(warehouse, "SELECT count(*) FROM articles") == [(1,)]
    state = asyncio.run(
        ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), allow_empty=True, return_state=True)
    )
    assert flow_result(state, "ingest")["articles_removed"] == 1
    assert rows(warehouse, "SELECT count(*) FROM articles") == [(0,)]


def test_ingest_flow_from_another_folder_stops_unless_new_seeds(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """The flow (what a deployment or `serve` runs) refuses a seeds folder that would delete most of the
    warehouse's articles because it is not the last run's, and takes `new_seeds` as `run --new-seeds` does."""
    from jobpipeline.errors import SeedsFolderChangedError
    from jobpipeline.orchestration.flows import ingest_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha"))
    flow_result(asyncio.run(ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), return_state=True)), "ingest")
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.txt").write_text(make_article("beta"), encoding="utf-8")
    state = asyncio.run(ingest_flow(seeds=str(other), warehouse=str(warehouse), return_state=True))
    with pytest.raises(SeedsFolderChangedError):
        flow_result(state, "ingest")
    assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
    state = asyncio.run(ingest_flow(seeds=str(other), warehouse=str(warehouse), new_seeds=True, return_state=True))
    assert flow_result(state, "ingest")["articles_removed"] == 1
    assert rows(warehouse, "SELECT slug FROM articles") == [("beta",)]


def test_revalidate_flow_reads_only_the_changed_file(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """Re-validation re-reads only the named file, yet re-checks references across the corpus."""
    from jobpipeline.orchestration.flows import ingest_flow, revalidate_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha", related=["beta"]))
    write_seed("b.txt", make_article("beta"))
    flow_result(asyncio.run(ingest_flow(seeds=str(seeds_dir), warehouse=str(warehouse), return_state=True)), "ingest")
    write_seed("b.txt", make_article("beta_renamed", related=["nowhere"]))
    write_seed("c.txt", make_article("gamma"))  # changed too, but not named: left for the next full run
    record = flow_result(
        asyncio.run(
            revalidate_flow(paths="b.txt\n", seeds=str(seeds_dir), warehouse=str(warehouse), return_state=True)
        ),
        "revalidate",
    )
    assert (record["files_changed"], record["files_new"]) == (1, 0)
    assert rows(warehouse, "SELECT slug FROM articles ORDER BY slug") == [("alpha",), ("beta_renamed",)]
    assert rows(warehouse, "SELECT code FROM validation_issues WHERE slug = 'alpha'") == [("related-dangling",)]
    # what the re-validation shows is about the file it read (its own dangling link), not the rest of the
    # corpus (alpha's link to the renamed slug dangles too, in a.txt)
    [line] = record["changed_findings"]
    assert line.startswith("b.txt:") and "warning[related-dangling]" in line and "`nowhere`" in line, line


def test_failed_flow_is_one_line(prefect_harness: None, tmp_path: Path) -> None:
    """A flow that fails (missing seeds folder) becomes one JobpipelineError, not a traceback."""
    from jobpipeline.errors import JobpipelineError
    from jobpipeline.orchestration.flows import ingest_flow
    from jobpipeline.orchestration.launch import flow_result

    state = asyncio.run(
        ingest_flow(seeds=str(tmp_path / "none"), warehouse=str(tmp_path / "w.duckdb"), return_state=True)
    )
    with pytest.raises(JobpipelineError, match="seeds folder"):
        flow_result(state, "ingest")


def test_serve_builds_schedule_and_trigger(tmp_path: Path) -> None:
    """`serve` builds the cron ingest (Asia/Tokyo, limit 1) and the event-triggered re-validation."""
    from jobpipeline.orchestration.deployments import CRON, SEEDS_CHANGED, TIMEZONE, build_deployments

    (ingest, _), (revalidate, _), _ = build_deployments(tmp_path / "seeds", tmp_path / "w.duckdb")
    [schedule] = ingest.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (CRON, TIMEZONE)
    assert ingest.concurrency_limit == 1
    [trigger] = revalidate.triggers
    assert trigger.expect == {SEEDS_CHANGED}
    assert trigger.parameters == {"paths": "{{ event.resource['jobpipeline.paths'] }}"}
    assert revalidate.parameters["seeds"] == str((tmp_path / "seeds").resolve())
    (quick, _), *_ = build_deployments(tmp_path, tmp_path / "w.duckdb", interval=5)
    assert quick.schedules[0].schedule.interval.total_seconds() == 5


def test_prefect_yaml_matches_the_code() -> None:
    """prefect.yaml parses, names real flow entrypoints and a process work pool, and declares the
    same schedule and trigger that `serve` builds."""
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    from jobpipeline.orchestration.deployments import (
        CRON,
        ENRICH_CRON,
        ENRICH_DEPLOYMENT,
        INGEST_DEPLOYMENT,
        REVALIDATE_DEPLOYMENT,
        TIMEZONE,
        WORK_POOL,
        trigger_spec,
    )

    config: dict[str, Any] = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in config["deployments"]}
    assert set(deployments) == {INGEST_DEPLOYMENT, REVALIDATE_DEPLOYMENT, ENRICH_DEPLOYMENT}
    for deployment in deployments.values():
        path, name = deployment["entrypoint"].split(":")
        assert (ROOT / path).exists()
        assert isinstance(load_flow_from_entrypoint(f"{ROOT / path}:{name}"), Flow)  # as a worker loads it
        assert deployment["work_pool"]["name"] == WORK_POOL
    ingest = deployments[INGEST_DEPLOYMENT]
    assert ingest["schedules"] == [{"cron": CRON, "timezone": TIMEZONE, "active": True}]
    assert ingest["concurrency_limit"] == 1
    assert deployments[REVALIDATE_DEPLOYMENT]["triggers"] == [trigger_spec()]
    enrich = deployments[ENRICH_DEPLOYMENT]
    assert enrich["schedules"] == [{"cron": ENRICH_CRON, "timezone": TIMEZONE, "active": True}]
    assert "seeds" not in enrich["parameters"]  # it reads the warehouse alone


def test_watch_revalidates_a_saved_file(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """`watch --local` sees a save and prints the re-validated findings within a bounded wait."""
    import subprocess
    import threading
    import time

    from helpers import spawn

    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    process = spawn(
        "watch", "--local", "--debounce-ms", "200", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not any("watching" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, lines
            time.sleep(0.1)
        saved = time.monotonic()
        write_seed("a.txt", make_article("alpha", related=["nobody_here"]))
        while not any("warehouse updated" in line for line in lines):
            assert time.monotonic() - saved < 30, lines
            time.sleep(0.1)
        assert any("findings ready" in line for line in lines)  # printed before the warehouse commit
        assert any("related-dangling" in line and "nobody_here" in line for line in lines)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    assert rows(warehouse, "SELECT related_slug FROM related_job_links") == [("nobody_here",)]


def test_cli_run_goes_through_prefect(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`jobpipeline run` (no --local) runs the ingest flow and prints the summary."""
    from helpers import cli

    write_seed("a.txt", make_article("alpha"))
    result = cli("run", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles_loaded"] == 1
    [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs")
    assert flow_run_id


@pytest.mark.parametrize(
    ("from_deployment", "auto_scheduled", "created_by", "tags", "expected"),
    [
        pytest.param(False, False, None, (), "cli", id="in-process-keeps-its-caller's-trigger"),
        pytest.param(True, True, None, (), "schedule", id="created-by-the-scheduler"),
        pytest.param(True, False, "AUTOMATION", (), "event", id="created-by-a-deployment-trigger"),
        pytest.param(True, False, None, (), "manual", id="prefect-deployment-run"),
        pytest.param(True, False, "USER", (), "manual", id="created-by-a-user"),
        pytest.param(True, False, None, ("jobpipeline:saved",), "event", id="created-by-serve-for-a-save"),
    ],
)
def test_run_trigger_table(
    from_deployment: bool, auto_scheduled: bool, created_by: str | None, tags: tuple[str, ...], expected: str
) -> None:
    """A deployment's run records how Prefect created it, whatever its `trigger` parameter says."""
    from jobpipeline.orchestration.flows import run_trigger

    got = run_trigger(
        "cli",
        from_deployment=from_deployment,
        auto_scheduled=auto_scheduled,
        created_by=created_by,
        tags=frozenset(tags),
    )
    assert got == expected


def test_manual_and_triggered_deployment_runs_record_their_real_trigger(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`prefect deployment run` of the scheduled deployment is `manual`, not `schedule`; a run an
    automation creates (as a deployment trigger does) is `event`."""
    import base64
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.flow_engine import run_flow_async

    from jobpipeline.orchestration.flows import ingest_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha"))
    # Like serve's scheduled deployment (its `trigger` parameter says schedule), under a name of its own
    # and without a schedule, so that nothing else on the session's server runs it.
    deployment = ingest_flow.to_deployment(
        name=f"trigger-test-{uuid.uuid4().hex[:8]}",
        parameters={"seeds": str(seeds_dir), "warehouse": str(warehouse), "trigger": "schedule"},
    )

    async def scenario() -> list[Any]:
        deployment_id = await deployment.aapply()
        async with get_client() as client:
            try:
                manual = await client.create_flow_run_from_deployment(deployment_id)  # `prefect deployment run`
                # What Prefect's automations send when their action runs a deployment.
                automation = {
                    "Prefect-Automation-ID": str(uuid.uuid4()),
                    "Prefect-Automation-Name": base64.b64encode(b"revalidate-on-change").decode(),
                }
                response = await client._client.post(
                    f"/deployments/{deployment_id}/create_flow_run", json={}, headers=automation
                )
                triggered = FlowRun.model_validate(response.json())
                assert triggered.created_by is not None and triggered.created_by.type == "AUTOMATION"
                return [
                    await run_flow_async(ingest_flow, flow_run=run, parameters=run.parameters, return_type="state")
                    for run in (manual, triggered)
                ]
            finally:
                await client.delete_deployment(deployment_id)

    for state in asyncio.run(scenario()):
        flow_result(state, "ingest")
    assert rows(warehouse, "SELECT trigger FROM runs ORDER BY run_id") == [("manual",), ("event",)]


def _start_time(pid: int) -> str | None:
    """A process's start time (field 22 of /proc/PID/stat), None once it is gone: with the pid, what
    identifies it (pids are reused)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


@pytest.mark.prefect
def test_prefect_runner_ends_its_readers_once_every_batch_is_read(prefect_harness: None) -> None:
    """The reader processes of a flow's read end when its batches are all read, not when the flow ends:
    idle, they held ~230 MiB through the load, enrich and publish of a 100,000-article run (its peak)."""
    from prefect import flow

    from jobpipeline.batches import ReadItem
    from jobpipeline.orchestration.runner import PrefectRunner
    from jobpipeline.pipeline import ReadTask

    tasks = [ReadTask("/nowhere", [ReadItem(f"{b}-{i}.txt", None) for i in range(40)]) for b in range(2)]
    readers: dict[int, str | None] = {}

    @flow
    def read_then_work() -> list[int]:
        with PrefectRunner(2) as runner:
            sizes = []
            for batch in runner.map("read", operator.attrgetter("items"), tasks):
                sizes.append(len(batch))
                pool = runner._pool
                assert pool is not None
                readers.update((pid, _start_time(pid)) for pid in list(pool._processes or {}))
            # The run's next stages (load, enrich, publish) would run here.
            alive = [pid for pid, started in readers.items() if started and _start_time(pid) == started]
            assert runner._pool is None and alive == [], alive
            return sizes

    assert read_then_work() == [40, 40]
    assert readers


def test_a_manual_run_of_the_scheduled_enrich_deployment_records_manual(
    prefect_harness: None, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """serve's enrich deployment names `schedule`; `prefect deployment run` of it is recorded `manual`
    (before: `schedule`, the parameter, whatever created the run)."""
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow_async

    from jobpipeline.orchestration.flows import enrich_flow
    from jobpipeline.orchestration.launch import flow_result

    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    deployment = enrich_flow.to_deployment(
        name=f"enrich-trigger-test-{uuid.uuid4().hex[:8]}",
        parameters={"warehouse": str(warehouse), "trigger": "schedule"},
    )

    async def scenario() -> Any:
        deployment_id = await deployment.aapply()
        async with get_client() as client:
            try:
                manual = await client.create_flow_run_from_deployment(deployment_id)
                return await run_flow_async(
                    enrich_flow, flow_run=manual, parameters=manual.parameters, return_type="state"
                )
            finally:
                await client.delete_deployment(deployment_id)

    flow_result(asyncio.run(scenario()), "enrich")
    assert rows(warehouse, "SELECT trigger FROM runs ORDER BY run_id DESC LIMIT 1") == [("manual",)]
