"""Crash consistency and concurrency, with real processes and the real DuckDB file.

A run is killed with SIGKILL at named points (jobpipeline.faults); afterwards the warehouse and
the published folder are each exactly the previous or the new state, and the next run repairs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import make_article
from fault_child import run_killed_at
from helpers import cli, python, read_line, rows, run_local, spawn

from jobpipeline import schema
from jobpipeline.errors import WarehouseBusyError
from jobpipeline.faults import POINTS
from jobpipeline.pipeline import RunOptions
from jobpipeline.warehouse import WriterLock, lock_path

pytestmark = pytest.mark.slow


VOLATILE = {
    "mtime_ns",
    "read_ns",
    "started_at",
    "finished_at",
    "seeds_dir",
    "stage_seconds",
    "flow_run_id",
    "checked_at",
}
"""Columns that differ between two folders holding the same files (clocks and absolute paths)."""


def state_of(warehouse: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a reader sees: every table and derived table, every column but clocks and absolute paths."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        state = {}
        for name in [spec.name for spec in schema.TABLES] + list(schema.DERIVED):
            columns = [r[0] for r in conn.execute(f"DESCRIBE {name}").fetchall() if r[0] not in VOLATILE]
            state[name] = conn.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY ALL").fetchall()
        return state
    finally:
        conn.close()


def published_state(warehouse: Path) -> dict[str, Any]:
    """The published run id and every dataset's rows, after checking each file against the manifest."""
    folder = (warehouse.parent / "published").resolve()  # resolve once, as a careful reader does
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    state: dict[str, Any] = {"run_id": int(manifest["run_id"])}
    conn = duckdb.connect()
    try:
        for dataset in manifest["datasets"]:
            file = folder / dataset["file"]
            assert hashlib.sha256(file.read_bytes()).hexdigest() == dataset["sha256"], f"{file} was changed"
            stable = f"COLUMNS(lambda c: c NOT IN ({', '.join(repr(v) for v in sorted(VOLATILE))}))"
            state[dataset["name"]] = conn.execute(
                f"SELECT {stable} FROM read_parquet('{file}') ORDER BY ALL"
            ).fetchall()
    finally:
        conn.close()
    return state


def last_run(state: dict[str, list[tuple[Any, ...]]]) -> int:
    return max(row[0] for row in state["runs"])


def setup_two_states(seeds: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    write_seed("a.txt", make_article("alpha", related=["beta"]))
    write_seed("b.txt", make_article("beta"))
    write_seed("c.txt", make_article("gamma"))
    run_local(seeds, warehouse)
    # the next run will edit one, delete one, add one
    write_seed("a.txt", make_article("alpha", salary=[("シニア", "2,000万円以上")]))
    (seeds / "c.txt").unlink()
    write_seed("d.txt", make_article("delta"))


@dataclass(frozen=True)
class TwoStates:
    """A folder to copy for each kill (seeds edited, warehouse at run 1), and both states a reader may see."""

    template: Path
    old: dict[str, Any]
    new: dict[str, Any]
    old_published: dict[str, Any]
    new_published: dict[str, Any]


@pytest.fixture(scope="module")
def two_states(tmp_path_factory: pytest.TempPathFactory) -> TwoStates:
    """The previous state, and the new one a clean run produces from the same files (built once)."""
    template = tmp_path_factory.mktemp("two-states") / "case"
    seeds, warehouse = template / "seeds", template / "wh" / "jobs.duckdb"
    seeds.mkdir(parents=True)

    def write_seed(name: str, content: str) -> Path:
        (seeds / name).write_text(content, encoding="utf-8")
        return seeds / name

    write_seed("e.txt", make_article("epsilon", related=["gamma"]))
    setup_two_states(seeds, warehouse, write_seed)
    write_seed("e.txt", '---json\n{"slug": "epsilon",\n---\n')  # and break one: kept as last known good
    clean = template.with_name("clean")
    shutil.copytree(template, clean, symlinks=True)
    run_local(clean / "seeds", clean / "wh" / "jobs.duckdb")
    states = TwoStates(
        template,
        state_of(warehouse),
        state_of(clean / "wh" / "jobs.duckdb"),
        published_state(warehouse),
        published_state(clean / "wh" / "jobs.duckdb"),
    )
    assert states.old != states.new and states.old_published != states.new_published
    return states


RENAME_WINDOW = "after-warehouse-rename"
"""The one point between two renames: the warehouse is the new run's, the datasets still the previous
run's (two names cannot swap in one rename); the next run publishes them."""


@pytest.mark.parametrize("point", POINTS)
def test_kill_leaves_old_or_new_state(point: str, two_states: TwoStates, tmp_path: Path) -> None:
    """SIGKILL at `point` leaves the warehouse and the datasets both exactly the old state or both the new
    one (every table compared), and the next run completes to the clean run's state."""
    case = tmp_path / "case"
    shutil.copytree(two_states.template, case, symlinks=True)
    seeds, warehouse = case / "seeds", case / "wh" / "jobs.duckdb"
    # A forked child, not a new interpreter: same pipeline, same SIGKILL, a tenth of the start-up.
    # scripts/kill_points.py kills the CLI process itself at every point.
    assert run_killed_at(point, RunOptions(seeds=seeds, warehouse=warehouse)) == -9, f"not killed at {point}"
    after_kill, published = state_of(warehouse), published_state(warehouse)
    assert after_kill in (two_states.old, two_states.new), "the warehouse is a mix of two runs"
    assert published in (two_states.old_published, two_states.new_published), "the datasets are a mix of two runs"
    if point == RENAME_WINDOW:
        assert (after_kill, published) == (two_states.new, two_states.old_published)
    else:
        assert published["run_id"] == last_run(after_kill), "the datasets are not the warehouse's run"
    run_local(seeds, warehouse)
    final, final_published = state_of(warehouse), published_state(warehouse)
    assert final_published["run_id"] == last_run(final)
    committed = after_kill == two_states.new
    # The next run is the clean run (nothing committed) or a run that finds nothing to change.
    # Per-run tables (runs, and quality_checks: each run's corpus checks) gain that run's rows.
    per_run = ("runs", "validation_issues", "quality_checks")
    assert {k: v for k, v in final.items() if k not in per_run} == {
        k: v for k, v in two_states.new.items() if k not in per_run
    }
    assert len(final["runs"]) == len(two_states.new["runs"]) + committed
    assert not list(warehouse.parent.glob("*.next*"))
    assert not list((warehouse.parent / ".published").glob(".building-*"))


@pytest.mark.parametrize(
    ("committed", "live", "staged", "expected"),
    [
        (None, None, set(), "up-to-date"),  # no run committed yet
        (3, 3, {1, 2, 3}, "up-to-date"),
        (3, 2, {1, 2, 3}, "go-live"),  # killed between the warehouse's rename and the swap
        (1, None, {1}, "go-live"),  # the same, on the first run ever
        (3, 2, {1, 2}, "republish"),  # and the staged folder is gone
        (3, None, set(), "republish"),
    ],
)
def test_catch_up_rules(committed: int | None, live: int | None, staged: set[int], expected: str) -> None:
    """What makes `published` show the warehouse's last committed run, by table."""
    from jobpipeline.publish import catch_up

    assert catch_up(committed, live, staged) == expected


def killed_in_rename_window(two_states: TwoStates, tmp_path: Path) -> tuple[Path, Path]:
    case = tmp_path / "case"
    shutil.copytree(two_states.template, case, symlinks=True)
    seeds, warehouse = case / "seeds", case / "wh" / "jobs.duckdb"
    assert run_killed_at(RENAME_WINDOW, RunOptions(seeds=seeds, warehouse=warehouse)) == -9
    assert published_state(warehouse) == two_states.old_published
    return seeds, warehouse


def test_rename_window_is_reported_by_query_and_closed_by_the_next_run(two_states: TwoStates, tmp_path: Path) -> None:
    """Killed between the warehouse's rename and the datasets' swap: `query` says on stderr that published/
    lags the warehouse and how to fix it; the next run makes the staged datasets live before anything else
    (even a run that then dies right after its copy)."""
    seeds, warehouse = killed_in_rename_window(two_states, tmp_path)
    committed = last_run(state_of(warehouse))
    result = cli("query", "--warehouse", str(warehouse), "--format", "csv", "SELECT max(run_id) AS run FROM runs")
    assert result.exit_code == 0 and result.stdout == f"run\n{committed}\n"
    note = (
        f"note: published/ shows run {committed - 1} but the warehouse is at run {committed} (a run was stopped "
        f"between its commit and its publish): run `jobpipeline run` to publish run {committed}"
    )
    assert result.stderr.strip().splitlines() == [note]
    # `report` names the published page, which is run N-1's: it says so too (it said nothing).
    result = cli("report", "--warehouse", str(warehouse))
    assert result.exit_code == 0 and "published/report.html" in result.stdout
    assert result.stderr.strip().splitlines() == [note]
    assert run_killed_at("after-copy", RunOptions(seeds=seeds, warehouse=warehouse)) == -9
    assert published_state(warehouse) == two_states.new_published
    assert state_of(warehouse) == two_states.new
    result = cli("query", "--warehouse", str(warehouse), "SELECT 1")
    assert result.exit_code == 0 and result.stderr == ""


def test_rename_window_without_staged_datasets_is_republished(two_states: TwoStates, tmp_path: Path) -> None:
    """When the committed run's staged folder is gone, rolling forward (what `serve` does at start, and a
    run after its lock) writes the datasets again from the warehouse."""
    from jobpipeline.pipeline import roll_forward_if_free
    from jobpipeline.publish import version_path

    _seeds, warehouse = killed_in_rename_window(two_states, tmp_path)
    committed = last_run(state_of(warehouse))
    shutil.rmtree(version_path(warehouse, committed))
    assert roll_forward_if_free(warehouse) == committed
    assert published_state(warehouse) == two_states.new_published
    assert roll_forward_if_free(warehouse) is None  # up to date: nothing to do


def test_roll_forward_of_an_up_to_date_warehouse_does_not_open_it(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run rolls forward first; when `published` was swapped after the warehouse's last write,
    two stats say it is up to date and the warehouse is not opened to ask (that cost 0.03-0.13 s of
    each of serve's one-file re-validations)."""
    import jobpipeline.pipeline as pipeline
    from jobpipeline.publish import published_path

    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    # The swap a second after the commit: file times can be coarser than the moments between them.
    written = warehouse.stat().st_mtime_ns
    os.utime(published_path(warehouse), ns=(written + 10**9, written + 10**9), follow_symlinks=False)
    opened: list[Path] = []
    real = pipeline.last_run_id
    monkeypatch.setattr(pipeline, "last_run_id", lambda path: opened.append(path) or real(path))

    assert pipeline.roll_forward(warehouse) is None
    assert opened == []


def pause_run(seeds: Path, warehouse: Path, tmp_path: Path, point: str) -> tuple[Any, Path]:
    flag = tmp_path / "pause"
    process = spawn(
        "run",
        "--local",
        "--seeds",
        str(seeds),
        "--warehouse",
        str(warehouse),
        env={"JOBPIPELINE_PAUSE_AT": point, "JOBPIPELINE_PAUSE_FILE": str(flag)},
    )
    deadline = time.monotonic() + 30
    while not Path(str(flag) + ".reached").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the pause point"
        time.sleep(0.05)
    return process, Path(str(flag) + ".release")


def test_query_during_a_run_answers_from_last_commit(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """While a run is inside its load transaction, `query` answers at once from the last committed run."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "in-transaction")
    try:
        # Bounded by the work, not by a clock: the query must answer while the run is still paused.
        result = cli(
            "query", "--warehouse", str(warehouse), "--format", "json", "SELECT slug FROM articles ORDER BY slug"
        )
        assert process.poll() is None, "the run finished before the query answered"
        assert [r["slug"] for r in json.loads(result.stdout)] == ["alpha", "beta", "gamma"]
    finally:
        release.touch()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY slug")] == ["alpha", "beta", "delta"]


def test_second_run_waits_or_exits_clearly(seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]) -> None:
    """A second run while one writes exits with one clear line (--wait 0) or waits its turn."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "after-stage")
    try:
        result = cli("run", "--local", "--wait", "0", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        assert result.exit_code == 2
        assert "another run (pid" in result.stderr and "Traceback" not in result.output
        waiting = spawn("run", "--local", "--wait", "60", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        said = read_line(waiting, timeout=60)  # the second run reports that it waits
        assert "waiting" in said and waiting.poll() is None, said
    finally:
        release.touch()
    assert process.wait(timeout=60) == 0
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "nothing changed" in out
    assert [r[0] for r in rows(warehouse, "SELECT run_id FROM runs ORDER BY 1")] == [1, 2, 3]


def test_a_run_meeting_a_lock_just_taken_names_its_holder(tmp_path: Path) -> None:
    """Two runs started at the same instant: the loser met the lock before the winner had written its line
    and said "another run (unknown process)" (seen in test_two_runs_started_together). It looks again for a
    moment and names the holder."""
    warehouse = tmp_path / "jobs.duckdb"
    with open(lock_path(warehouse), "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)

        def write_line() -> None:
            time.sleep(0.2)
            holder.write("pid 4242 since 2026-12-07T00:00:00+00:00")
            holder.flush()

        writer = threading.Thread(target=write_line)
        writer.start()
        with pytest.raises(WarehouseBusyError) as raised:
            WriterLock(warehouse).acquire(0)
        writer.join()
    assert raised.value.holder.startswith("pid 4242"), raised.value.holder


def test_revalidation_during_a_run_waits_and_loses_nothing(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """A re-validation (what `watch` runs on a save) started while a run is loading waits for it, then
    applies its own change on top: no traceback, no lost rows."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    setup_two_states(seeds_dir, warehouse, write_seed)
    process, release = pause_run(seeds_dir, warehouse, tmp_path, "in-transaction")
    try:
        write_seed("b.txt", make_article("beta", related=["saved_during_run"]))
        revalidation = spawn(
            "revalidate", "--local", "--wait", "60", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "b.txt"
        )
        said = read_line(revalidation, timeout=60)
        assert "waiting" in said, said
    finally:
        release.touch()
    assert process.wait(timeout=60) == 0
    _out, err = revalidation.communicate(timeout=60)
    assert revalidation.returncode == 0 and "Traceback" not in err, err
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY slug")] == ["alpha", "beta", "delta"]
    assert rows(warehouse, "SELECT related_slug FROM related_job_links WHERE slug = 'beta'") == [("saved_during_run",)]
    assert [r[0] for r in rows(warehouse, "SELECT trigger FROM runs ORDER BY run_id")] == ["cli", "cli", "revalidate"]


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "32m") -> Iterator[Path]:
    """A real tmpfs of `size` mounted on `folder` (skips where mounting is not permitted)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_disk_full_at_commit_says_no_space_not_rollback(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """A disk that fills up while the load commits ends the run with one line carrying DuckDB's first
    error ("No space left on device"), not the ROLLBACK's "no transaction is active" / "database has
    been invalidated" that replaced it; the warehouse keeps its previous state."""
    write_seed("a.txt", make_article("alpha"))
    with small_disk(tmp_path / "disk") as disk:
        warehouse = disk / "jobs.duckdb"
        run_local(seeds_dir, warehouse)
        before = state_of(warehouse)
        # Room for the copy-on-write copy and 64 KB more: the commit's WAL, ~300 KB here, does not fit.
        stat = os.statvfs(disk)
        size = (stat.f_blocks - stat.f_bfree) * stat.f_frsize + warehouse.stat().st_size + 64 * 1024
        subprocess.run(["mount", "-o", f"remount,size={size}", "tmpfs", str(disk)], check=True)
        for i in range(20):
            write_seed(f"b{i}.txt", make_article(f"beta{i}", body_extra="本文" * 2000))
        result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        assert result.exit_code == 2
        [line] = result.stderr.strip().splitlines()
        assert "No space left on device" in line and "free space" in line, line
        assert "rollback" not in line.lower() and "invalidated" not in line, line
        assert state_of(warehouse) == before
        assert not [p.name for p in disk.iterdir() if ".next" in p.name]  # the failed copy is cleaned up


def _sqlite_file(path: Path, real: Path) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE runs (run_id INTEGER)")
        conn.commit()


def _damaged_warehouse(path: Path, real: Path) -> None:
    """A real warehouse with 8 bytes of its first block (the catalog's) overwritten: its checksum fails."""
    shutil.copyfile(real, path)
    with path.open("r+b") as file:
        file.seek(12_288)
        file.write(b"\xff" * 8)


def _truncated_warehouse(path: Path, real: Path) -> None:
    """A real warehouse cut short (a partial copy or download)."""
    shutil.copyfile(real, path)
    os.truncate(path, 600_000)


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = tmp_path_factory.mktemp("seeds")
    (seeds / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    warehouse = tmp_path_factory.mktemp("wh") / "jobs.duckdb"
    run_local(seeds, warehouse)
    return warehouse


@pytest.mark.parametrize(
    ("make", "said"),
    [
        # DuckDB's own words named `<warehouse>.next`, a copy the user never made, and nothing to do.
        (lambda path, _: path.write_text("id,slug\n1,a\n"), "the file is not a DuckDB database: pass --warehouse"),
        (lambda path, _: path.touch(), "the file is empty (0 bytes): pass --warehouse"),
        # It said "cannot prepare the load: [Errno 21] Is a directory".
        (lambda path, _: path.mkdir(), "it is a folder: pass --warehouse the DuckDB file itself"),
        # Prefect's prefect.db, say: "internal error: PermissionException: ... Loading external extensions is
        # disabled ... report it" (DuckDB wanted its sqlite extension to attach it).
        (_sqlite_file, "the file is a SQLite database: pass --warehouse"),
        # A bad disk, a partial copy, an overwritten block: "internal error: Error: Corrupt database file ...
        # report it", or DuckDB's "Could not read enough bytes" and nothing to do.
        (_damaged_warehouse, "the file is damaged (DuckDB: Corrupt database file: "),
        (_truncated_warehouse, "the file is damaged (DuckDB: IO Error: Could not read enough bytes"),
    ],
    ids=["not-duckdb", "empty", "folder", "sqlite", "damaged-block", "truncated"],
)
@pytest.mark.parametrize("command", ["run", "query", "tables"])
def test_a_warehouse_path_that_is_not_a_duckdb_file_is_one_line_naming_it(
    command: str,
    make: Callable[[Path, Path], object],
    said: str,
    tmp_path: Path,
    write_seed: Callable[..., Path],
    real_warehouse: Path,
) -> None:
    """A wrong --warehouse (a CSV, an empty file, a folder, a SQLite file) or a damaged one is one line that
    names the path given, says what is there and what to do; the file is left as it was and no copy is left
    beside it."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "w.duckdb"
    make(warehouse, real_warehouse)
    before = warehouse.read_bytes() if warehouse.is_file() else None
    args = {
        "run": ["run", "--local", "--seeds", str(tmp_path / "seeds")],
        "query": ["query", "SELECT 1"],
        "tables": ["tables"],
    }[command]
    result = cli(*args, "--warehouse", str(warehouse))
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"warehouse {warehouse}: " in result.stderr and said in result.stderr, result.stderr
    assert ".next" not in result.stderr
    assert (warehouse.read_bytes() if warehouse.is_file() else None) == before
    assert not [path.name for path in tmp_path.iterdir() if ".next" in path.name]


def test_two_warehouses_in_one_folder_do_not_overwrite_each_others_datasets(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """`published/` belongs to the folder: a `test.duckdb` beside `jobs.duckdb` replaced jobs.duckdb's
    datasets, report and version folders, and `query` on jobs.duckdb then took test.duckdb's run for its
    own. A run of the second warehouse is refused in one line, nothing committed; `report` and `dataset()`
    on a warehouse whose neighbour published say whose the files are; a renamed warehouse takes over."""
    from jobpipeline import dataset
    from jobpipeline.errors import WarehouseError

    write_seed("a.txt", make_article("alpha"))
    folder = tmp_path / "wh"
    jobs = folder / "jobs.duckdb"
    run_local(seeds_dir, jobs)
    manifest = folder / "published" / "manifest.json"
    before = manifest.read_bytes()

    second = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(folder / "test.duckdb"))
    assert second.exit_code == 2, second.output
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert "holds the datasets of jobs.duckdb, another warehouse in the same folder" in second.stderr
    assert f"--warehouse {(folder / 'test' / 'test.duckdb').as_posix()}" in second.stderr
    assert not (folder / "test.duckdb").exists() and manifest.read_bytes() == before

    # A warehouse that shares the folder already (from before this check): its readers are told.
    elsewhere = tmp_path / "other" / "test.duckdb"
    run_local(seeds_dir, elsewhere)
    shutil.copyfile(elsewhere, folder / "test.duckdb")
    report = cli("report", "--warehouse", str(folder / "test.duckdb"))
    assert report.exit_code == 2 and "is the report of jobs.duckdb" in report.stderr, report.output
    with pytest.raises(WarehouseError, match=r"holds the datasets of jobs\.duckdb"):
        dataset("articles", folder / "test.duckdb")
    query = cli("query", "--warehouse", str(folder / "test.duckdb"), "SELECT count(*) FROM articles")
    assert query.exit_code == 0 and "note:" not in query.stderr, query.output
    (folder / "test.duckdb").unlink()

    # `mv jobs.duckdb prod.duckdb`: the datasets were the same warehouse's, and its runs go on publishing.
    jobs.rename(folder / "prod.duckdb")
    assert run_local(seeds_dir, folder / "prod.duckdb")["run_id"] == 2
    assert json.loads(manifest.read_text(encoding="utf-8"))["warehouse"] == "prod.duckdb"


@pytest.mark.parametrize("mode", [0o640, 0o444])  # private to a group; read-only
def test_a_run_keeps_the_warehouse_files_permissions_and_group(
    mode: int, tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """Each run replaces the warehouse with a copy (one rename), and the copy was created as the umask says:
    a warehouse made private (`chmod 600`, `640`) became readable by everyone (0644) and left its group
    after the next run. The copy now takes the live file's mode and group (a read-only `444` warehouse is
    still replaced, as before)."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    os.chmod(warehouse, mode)
    group = warehouse.stat().st_gid if os.geteuid() else 4321  # root may give it any group
    os.chown(warehouse, -1, group)
    write_seed("a.txt", make_article("alpha", title="edited"))
    assert run_local(seeds_dir, warehouse)["files_changed"] == 1
    assert oct(warehouse.stat().st_mode & 0o7777) == oct(mode)
    assert warehouse.stat().st_gid == group
    assert rows(warehouse, "SELECT title FROM articles") == [("edited",)]


def test_a_warehouse_that_is_a_link_is_loaded_where_the_link_points(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """`warehouse/jobs.duckdb -> /data/jobs.duckdb` (the warehouse on a bigger disk): the run's copy was
    renamed over the link, so the link became a new file, the target stayed at the old run for good, and a
    run through the target took another lock than a run through the link. Every command follows the link:
    the target is loaded, its folder holds the lock and the published datasets, the link stays a link."""
    write_seed("a.txt", make_article("alpha"))
    data = tmp_path / "data" / "jobs.duckdb"
    run_local(seeds_dir, data)
    link = tmp_path / "warehouse" / "jobs.duckdb"
    link.parent.mkdir()
    link.symlink_to(data)
    write_seed("a.txt", make_article("alpha", title="edited"))
    assert run_local(seeds_dir, link)["files_changed"] == 1
    assert link.is_symlink() and link.resolve() == data
    assert rows(data, "SELECT title FROM articles") == [("edited",)]
    assert sorted(p.name for p in link.parent.iterdir()) == ["jobs.duckdb"]  # no lock, copy or datasets here
    query = cli("query", "--warehouse", str(link), "--format", "csv", "SELECT max(run_id) AS n FROM runs")
    assert query.stdout == "n\n2\n", query.output
    report = cli("report", "--warehouse", str(link))
    assert str(data.parent / "published" / "report.html") in report.output, report.output
    from jobpipeline.datasets import dataset

    assert dataset("articles", link).collect()["title"].to_list() == ["edited"]


def test_a_wal_another_program_left_is_folded_in_not_replayed_on_the_next_run(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """Another program wrote to the warehouse (a `duckdb` shell's CREATE TABLE) and died before its
    checkpoint: its changes sit in `jobs.duckdb.wal`, which DuckDB replays onto whatever file has that name.
    The run copied the file without the WAL and renamed the copy into place with the old WAL beside it,
    so every later open replayed one generation's log onto another. The run now folds the WAL into its
    copy (the other program's table is kept) and no WAL is left beside the new file."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    died = python(
        "import duckdb, os, sys\n"
        "conn = duckdb.connect(sys.argv[1])\n"
        "conn.execute(\"CREATE TABLE my_notes AS SELECT 'keep me' AS note\")\n"
        "os._exit(0)  # no checkpoint: the change is in the WAL only\n",
        str(warehouse),
    )
    assert died.returncode == 0, died.stderr
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert wal.exists()
    write_seed("a.txt", make_article("alpha", title="edited"))
    assert run_local(seeds_dir, warehouse)["files_changed"] == 1
    assert not wal.exists()
    assert rows(warehouse, "SELECT note FROM my_notes") == [("keep me",)]
    assert rows(warehouse, "SELECT title FROM articles") == [("edited",)]


def test_a_run_refuses_a_warehouse_another_program_holds_open_for_writing(
    tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """A `duckdb` shell or a notebook with the warehouse open for writing: the run copied the file from under
    it (mid-checkpoint, a torn copy) and whatever it wrote afterwards was lost. The run stops before any work
    with the line `query` gives in that case, and the warehouse is as it was."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        write_seed("a.txt", make_article("alpha", title="edited"))
        result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    finally:
        holder.communicate("", timeout=30)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "another program holds it open for writing" in line, line
    assert rows(warehouse, "SELECT max(run_id) FROM runs") == [(1,)]
    assert rows(warehouse, "SELECT title FROM articles") == [("alphaの年収・将来性は？",)]
