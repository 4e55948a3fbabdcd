"""serve schedules its own deployments' runs: its first scheduled ingest never waits on how soon the
server's scheduler notices a new deployment. On a server of its own, whose scheduler is turned off
(a setting of the server's), so that the tests sharing the session's server never see it. Not in
test_serve.py: that file's tests share one worker (tests/conftest.py's SAME_WORKER), this one need not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import home_with_a_migrated_database, processes_with_home, start_serve, stop_serve, wait_for

pytestmark = pytest.mark.slow


def test_serve_schedules_its_runs_without_the_servers_scheduler(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path], managed_server: Any, prefect_home: Path
) -> None:
    """serve's first scheduled ingest comes within its interval even when the server's scheduler does
    not notice the new deployment (here: turned off; on a busy server its recent-deployments loop can
    start too late and leave it to the main loop, every 60 s: seen, a first run 55 s late). Before:
    no scheduled run at all. On a server of its own (the setting is the server's)."""
    from jobpipeline.orchestration.server import free_port

    home = home_with_a_migrated_database(tmp_path, prefect_home)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "JOBPIPELINE_SERVER_PORT": str(free_port()),
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        }
    )
    jobpipeline = [sys.executable, "-m", "jobpipeline.cli"]
    started = subprocess.run([*jobpipeline, "server", "start"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stdout + started.stderr
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    serve, lines = start_serve(seeds_dir, warehouse, env, "--interval", "2", "--no-watch")
    try:
        deadline = time.monotonic() + 60
        while not any("serving" in line for line in lines):
            assert time.monotonic() < deadline and serve.poll() is None, "".join(lines)
            time.sleep(0.1)
        began = time.monotonic()
        try:
            wait_for(warehouse, "SELECT count(*) FROM runs WHERE trigger = 'schedule'", 20)
        except AssertionError:
            raise AssertionError("".join(lines)) from None
        print(f"first scheduled run {time.monotonic() - began:.1f} s after serve said it serves (interval 2 s)")
    finally:
        stop_serve(serve)
        subprocess.run([*jobpipeline, "server", "stop"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert serve.returncode == 0, "".join(lines)
    assert processes_with_home(home) == []
