"""`jobpipeline serve` for real: a local Prefect server, a schedule that fires, a trigger that reacts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, make_article
from helpers import rows

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_run(warehouse: Path, trigger: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if warehouse.exists() and rows(warehouse, f"SELECT count(*) FROM runs WHERE trigger = '{trigger}'")[0][0]:
            return
        time.sleep(0.5)
    raise AssertionError(f"no {trigger} run before the deadline")


def test_schedule_fires_and_event_triggers_revalidation(seeds_dir: Path, tmp_path: Path,
                                                        write_seed: Callable[..., Path]) -> None:
    """Under `serve`, an interval schedule creates ingest runs and a seeds-changed event creates a
    re-validation run, each recorded with its Prefect flow run id."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1"}
    env.pop("PREFECT_API_URL", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", "serve", "--seeds", str(seeds_dir), "--warehouse", str(warehouse),
         "--interval", "5", "--poll", "1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        started = time.monotonic()
        wait_for_run(warehouse, "schedule", started + 90)
        scheduled_after = time.monotonic() - started
        assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]

        write_seed("a.txt", make_article("alpha", related=["from_event"]))
        emitted = time.monotonic()
        emit = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from flows.watch import emit_seeds_changed;"
             " print(emit_seeds_changed(Path(sys.argv[1]), ['a.txt']))", str(seeds_dir)],
            cwd=ROOT, env={**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}, capture_output=True,
            text=True, timeout=60)
        assert emit.returncode == 0, emit.stderr
        wait_for_run(warehouse, "seeds-changed", emitted + 60)
        triggered_after = time.monotonic() - emitted
        [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'seeds-changed'")
        assert flow_run_id
        assert rows(warehouse, "SELECT related_slug FROM related_job_links") == [("from_event",)]
        print(f"first scheduled run {scheduled_after:.1f} s after serve started; "
              f"event to re-validated warehouse {triggered_after:.1f} s")
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(10)
    output = serve.stdout.read() if serve.stdout else ""
    assert "serving scheduled-ingest every 5 s" in output
