"""`jobpipeline watch` with nothing serving re-validation, on the session's real server.

A module of its own, away from test_routes.py: its module-scoped work-pool route keeps a worker serving
the re-validation deployment for as long as that module runs, and with it present watch rightly emits
events instead (the tests run in random order)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import deployment_names, route_line, rows, run_local, start, stop

from jobpipeline.orchestration.deployments import REVALIDATE_DEPLOYMENT, SERVE_REVALIDATE

pytestmark = pytest.mark.slow


def test_watch_says_it_revalidates_in_process_when_nothing_serves(
    tmp_path: Path,
    write_seed: Callable[..., Path],
    seeds_dir: Path,
    managed_server: Any,
    default_route_env: dict[str, str],
) -> None:
    """With no re-validation deployment served, `watch` in a terminal with nothing configured finds the
    managed server, says it re-validates in its own process, and does."""
    assert not {SERVE_REVALIDATE, REVALIDATE_DEPLOYMENT} & deployment_names(managed_server.api_url)
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "warehouse" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    watch = start(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "watch",
            "--debounce-ms",
            "100",
            "--seeds",
            str(seeds_dir),
            "--warehouse",
            str(warehouse),
        ],
        cwd=tmp_path,
        env=default_route_env,
    )
    try:
        line = route_line(watch)
        assert f"re-validating by flow runs in this process, recorded on {managed_server.api_url}" in line, line
        write_seed("a.txt", make_article("alpha", related=["in_process"]))
        watch.wait("warehouse updated", timeout=60)  # findings come first, before the commit
    finally:
        stop(watch)
    assert rows(warehouse, "SELECT code FROM validation_issues WHERE message LIKE '%in_process%'") == [
        ("related-dangling",)
    ]
    [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs WHERE trigger = 'revalidate'")
    assert flow_run_id
