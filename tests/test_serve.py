"""`jobpipeline serve` for real, on the session's Prefect server: a schedule that fires, a save that is
re-validated through the event trigger, and a server left as serve found it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import api, deployment_names, jobpipeline, rows, start_serve, stop_serve, wait_for

pytestmark = pytest.mark.slow


def created_by(api_url: str, flow_run_id: str) -> str | None:
    """Who created a flow run: None for a client call, `AUTOMATION` for a trigger's run."""

    async def read(client: Any) -> str | None:
        run = await client.read_flow_run(flow_run_id)
        return run.created_by.type if run.created_by else None

    found: str | None = api(api_url, read)
    return found


def test_serve_schedules_watches_and_cleans_up(
    seeds_dir: Path,
    tmp_path: Path,
    write_seed: Callable[..., Path],
    managed_server: Any,
    default_route_env: dict[str, str],
) -> None:
    """Under `serve`, an interval schedule creates ingest runs; a save in the seeds folder is
    re-validated by a run serve creates itself (not by a round trip through the automation service,
    and not twice although the event is still emitted), its findings printed as `watch` prints
    them; both runs have flow run ids; on exit serve deletes the deployments it registered and
    says so."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    serve, lines = start_serve(seeds_dir, warehouse, default_route_env, "--interval", "3", "--debounce-ms", "100")
    try:
        try:
            wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", 90)
        except AssertionError:
            raise AssertionError("".join(lines)) from None
        assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
        assert {"serve-scheduled-ingest", "serve-revalidate-on-change"} <= deployment_names(managed_server.api_url)

        write_seed("a.txt", make_article("alpha", related=["from_event"]))
        saved = time.monotonic()
        # Wait for the event's run itself: the 3 s schedule may ingest the save first.
        wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'event'", 60)
        latency = time.monotonic() - saved
        [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'event'")
        assert flow_run_id
        assert created_by(managed_server.api_url, flow_run_id) != "AUTOMATION"
        assert rows(warehouse, "SELECT related_slug FROM related_job_links") == [("from_event",)]
        assert rows(warehouse, "SELECT code FROM validation_issues WHERE message LIKE '%from_event%'") == [
            ("related-dangling",)
        ]
        # A `watch` in another terminal on the same folder stands down instead of doubling every event.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "jobpipeline.cli",
                "watch",
                "--seeds",
                str(seeds_dir),
                "--warehouse",
                str(warehouse),
            ],
            cwd=ROOT,
            env=default_route_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0 and "already watches" in second.stdout, second.stdout + second.stderr
        # A second serve (another terminal, another folder) is refused: it took over serve's deployments
        # (their names are fixed), and deleted them when it stopped, leaving this one serving nothing.
        other = tmp_path / "other-seeds"
        other.mkdir()
        third = jobpipeline("serve", "--seeds", str(other), "--warehouse", str(tmp_path / "o"), env=default_route_env)
        assert third.returncode == 2, third.stdout + third.stderr
        assert f"another `jobpipeline serve` (pid {serve.pid} since " in third.stderr, third.stderr
        assert f"seeds {seeds_dir}) serves on this Prefect server" in third.stderr, third.stderr
        assert "serving" not in third.stdout and len(third.stderr.strip().splitlines()) == 1, third.stderr
        # Seconds later (the watch above took them): the event serve emitted did not re-validate again.
        assert rows(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'event'") == [(1,)]
        print(f"save to re-validated warehouse under serve: {latency:.2f} s")
    finally:
        stop_serve(serve)
    output = "".join(lines)
    assert "serving serve-scheduled-ingest every 3 s" in output, output
    assert "watching the seeds folder" in output
    assert "warning[related-dangling] related_jobs[0]: no article has slug `from_event`" in output, output
    assert "removed the deployments serve-scheduled-ingest and serve-revalidate-on-change" in output, output
    assert not {"serve-scheduled-ingest", "serve-revalidate-on-change"} & deployment_names(managed_server.api_url)


def test_serve_restarted_after_a_kill_crashes_the_orphan_and_ingests_on_schedule(
    seeds_dir: Path,
    tmp_path: Path,
    write_seed: Callable[..., Path],
    managed_server: Any,
    default_route_env: dict[str, str],
) -> None:
    """A serve killed with SIGKILL mid-run and started again marks the run it left Running as Crashed and
    ingests on its next interval (before: no scheduled ingest for ~310 s, until Prefect's lease on the
    deployment's concurrency slot expired)."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    pause = tmp_path / "pause"
    first, first_lines = start_serve(
        seeds_dir,
        warehouse,
        {**default_route_env, "JOBPIPELINE_PAUSE_AT": "after-lock", "JOBPIPELINE_PAUSE_FILE": str(pause)},
        "--interval",
        "2",
        "--no-watch",
    )
    second: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 90
        while not Path(str(pause) + ".reached").exists():
            assert time.monotonic() < deadline and first.poll() is None, "".join(first_lines)
            time.sleep(0.1)
        stop_serve(first, signal.SIGKILL)  # mid-run: its flow run stays Running on the server

        second, second_lines = start_serve(seeds_dir, warehouse, default_route_env, "--interval", "2", "--no-watch")
        try:
            # Well under the 300 s lease: serve's start-up plus an interval or two.
            wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", 90)
        except AssertionError:
            raise AssertionError("".join(second_lines)) from None
        assert any("marked Crashed" in line for line in second_lines), "".join(second_lines)
    finally:
        stop_serve(first, signal.SIGKILL)
        if second is not None:
            stop_serve(second)
