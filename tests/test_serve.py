"""`jobpipeline serve` for real, on the session's Prefect server: a schedule that fires, a save that is
re-validated through the event trigger, and a server left as serve found it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import rows

pytestmark = pytest.mark.slow


def wait_for(warehouse: Path, sql: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if warehouse.exists() and rows(warehouse, sql)[0][0]:
            return
        time.sleep(0.1)
    raise AssertionError(f"not true before the deadline: {sql}")


def deployment_names(api_url: str) -> set[str]:
    import asyncio

    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def names() -> set[str]:
        async with get_client() as client:
            return {d.name for d in await client.read_deployments()}

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        return asyncio.run(names())


def test_serve_schedules_watches_and_cleans_up(
    seeds_dir: Path,
    tmp_path: Path,
    write_seed: Callable[..., Path],
    managed_server: Any,
    default_route_env: dict[str, str],
) -> None:
    """Under `serve`, an interval schedule creates ingest runs, a save in the seeds folder becomes an
    event whose re-validation run lands in the warehouse, both with their flow run ids; on exit serve
    deletes the deployments it registered."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "serve",
            "--seeds",
            str(seeds_dir),
            "--warehouse",
            str(warehouse),
            "--interval",
            "3",
            "--debounce-ms",
            "100",
        ],
        cwd=ROOT,
        env=default_route_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    assert serve.stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(serve.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    try:
        try:
            wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", time.monotonic() + 90)
        except AssertionError:
            raise AssertionError("".join(lines)) from None
        assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
        assert {"serve-scheduled-ingest", "serve-revalidate-on-change"} <= deployment_names(managed_server.api_url)

        write_seed("a.txt", make_article("alpha", related=["from_event"]))
        saved = time.monotonic()
        # Wait for the event's run itself: the 3 s schedule may ingest the save first.
        wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'event'", saved + 60)
        latency = time.monotonic() - saved
        [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'event'")
        assert flow_run_id
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
        print(f"save to re-validated warehouse under serve: {latency:.2f} s")
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(10)
    output = "".join(lines)
    assert "serving serve-scheduled-ingest every 3 s" in output, output
    assert "watching the seeds folder" in output
    assert not {"serve-scheduled-ingest", "serve-revalidate-on-change"} & deployment_names(managed_server.api_url)
