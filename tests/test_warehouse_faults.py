"""Crash consistency and concurrency, with real processes and the real DuckDB file.

A run is killed with SIGKILL at named points (jobpipeline.faults); afterwards the warehouse and
the published folder are each exactly the previous or the new state, and the next run repairs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import cli, rows, run_local, spawn

pytestmark = pytest.mark.slow


def state_of(warehouse: Path) -> tuple[Any, ...]:
    """What a reader sees: the articles with their hashes, band rows, and the runs recorded."""
    return (
        tuple(rows(warehouse, "SELECT slug, content_hash, is_current FROM articles ORDER BY slug")),
        tuple(rows(warehouse, "SELECT slug, ordinal, min_yen FROM salary_bands ORDER BY slug, ordinal")),
        tuple(rows(warehouse, "SELECT run_id FROM runs ORDER BY run_id")),
    )


def published_state(warehouse: Path) -> int:
    """The run id of the published datasets, after checking every file against the manifest."""
    published = warehouse.parent / "published"
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    for dataset in manifest["datasets"]:
        assert hashlib.sha256((published / dataset["file"]).read_bytes()).hexdigest() == dataset["sha256"]
    return int(manifest["run_id"])


def setup_two_states(seeds: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    write_seed("a.txt", make_article("alpha", related=["beta"]))
    write_seed("b.txt", make_article("beta"))
    write_seed("c.txt", make_article("gamma"))
    run_local(seeds, warehouse)
    # the next run will edit one, delete one, add one
    write_seed("a.txt", make_article("alpha", salary=[("シニア", "2,000万円以上")]))
    (seeds / "c.txt").unlink()
    write_seed("d.txt", make_article("delta"))


KILL_POINTS = ["after-copy", "after-read-batch", "in-transaction", "after-record-run", "after-publish-staged",
               "after-warehouse-rename"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_leaves_old_or_new_state(point: str, seeds_dir: Path, tmp_path: Path,
                                      write_seed: Callable[..., Path]) -> None:
    """SIGKILL at `point` leaves exactly the old or the new state, and the next run completes."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    before = state_of(warehouse)
    process = spawn("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse),
                    env={"JOBPIPELINE_KILL_AT": point})
    process.communicate(timeout=60)
    assert process.returncode == -9, f"the run was not killed at {point}"
    after_kill = state_of(warehouse)
    assert published_state(warehouse) in (1, 2)
    run_local(seeds_dir, warehouse)
    final = state_of(warehouse)
    # Data is exactly the old or the new state; the runs recorded are the old ones or old + the killed one.
    assert after_kill[:2] in (before[:2], final[:2])
    assert after_kill[2] in (before[2], final[2][:-1])
    assert (after_kill[:2] == before[:2]) == (after_kill[2] == before[2])
    assert {slug for slug, _, _ in final[0]} == {"alpha", "beta", "delta"}
    assert published_state(warehouse) == final[2][-1][0]
    assert not warehouse.with_name("jobs.duckdb.next").exists()


def pause_run(seeds: Path, warehouse: Path, tmp_path: Path, point: str) -> tuple[Any, Path]:
    flag = tmp_path / "pause"
    process = spawn("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse),
                    env={"JOBPIPELINE_PAUSE_AT": point, "JOBPIPELINE_PAUSE_FILE": str(flag)})
    deadline = time.monotonic() + 30
    while not Path(str(flag) + ".reached").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the pause point"
        time.sleep(0.05)
    return process, Path(str(flag) + ".release")


def test_query_during_a_run_answers_from_last_commit(seeds_dir: Path, tmp_path: Path,
                                                     write_seed: Callable[..., Path]) -> None:
    """While a run is inside its load transaction, `query` answers at once from the last committed run."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "in-transaction")
    try:
        started = time.monotonic()
        result = cli("query", "--warehouse", str(warehouse), "--format", "json",
                     "SELECT slug FROM articles ORDER BY slug")
        assert time.monotonic() - started < 5
        assert [r["slug"] for r in json.loads(result.stdout)] == ["alpha", "beta", "gamma"]
    finally:
        release.touch()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY slug")] == ["alpha", "beta", "delta"]


def test_second_run_waits_or_exits_clearly(seeds_dir: Path, tmp_path: Path,
                                          write_seed: Callable[..., Path]) -> None:
    """A second run while one writes exits with one clear line (--wait 0) or waits its turn."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "after-stage")
    try:
        result = cli("run", "--local", "--wait", "0", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        assert result.exit_code == 2
        assert "another run (pid" in result.stderr and "Traceback" not in result.output
        waiting = spawn("run", "--local", "--wait", "60", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        assert waiting.stderr is not None
        said = waiting.stderr.readline()  # blocks until the second run reports that it waits
        assert "waiting" in said and waiting.poll() is None, said
    finally:
        release.touch()
    assert process.wait(timeout=60) == 0
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "nothing changed" in out
    assert [r[0] for r in rows(warehouse, "SELECT run_id FROM runs ORDER BY 1")] == [1, 2, 3]


def test_revalidation_during_a_run_waits_and_loses_nothing(seeds_dir: Path, tmp_path: Path,
                                                         write_seed: Callable[..., Path]) -> None:
    """A re-validation (what `watch` runs on a save) started while a run is loading waits for it, then
    applies its own change on top: no traceback, no lost rows."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "in-transaction")
    try:
        write_seed("b.txt", make_article("beta", related=["saved_during_run"]))
        revalidation = spawn("revalidate", "--local", "--wait", "60", "--seeds", str(seeds_dir),
                             "--warehouse", str(warehouse), "b.txt")
        assert revalidation.stderr is not None
        said = revalidation.stderr.readline()
        assert "waiting" in said, said
    finally:
        release.touch()
    assert process.wait(timeout=60) == 0
    _out, err = revalidation.communicate(timeout=60)
    assert revalidation.returncode == 0 and "Traceback" not in err, err
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY slug")] == ["alpha", "beta", "delta"]
    assert rows(warehouse, "SELECT related_slug FROM related_job_links WHERE slug = 'beta'") == [("saved_during_run",)]
    assert [r[0] for r in rows(warehouse, "SELECT trigger FROM runs ORDER BY run_id")] == ["cli", "cli", "revalidate"]
