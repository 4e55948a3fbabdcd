"""Races and environment faults, with real processes: two runs at once, a reader holding the live file
mid-load, and a warehouse folder that is read-only or full (real tmpfs mounts, so they fail even for root).

The sweep over every kill point is scripts/kill_points.py (too slow for the suite).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import make_article
from helpers import need_tmpfs, rows, run_local, spawn

pytestmark = pytest.mark.slow


def wait_for(path: Path, *processes: subprocess.Popen[str], timeout: float = 30) -> None:
    """Wait for `path` while at least one of `processes` is still running."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert any(p.poll() is None for p in processes), [p.communicate() for p in processes]
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def start_run(
    seeds: Path, warehouse: Path, *extra: str, pause_at: str | None = None, flag: Path | None = None
) -> subprocess.Popen[str]:
    env = {"JOBPIPELINE_PAUSE_AT": pause_at, "JOBPIPELINE_PAUSE_FILE": str(flag)} if pause_at else None
    return spawn("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse), *extra, env=env)


@pytest.mark.parametrize("wait", ["60", "0"])
def test_two_runs_started_together(wait: str, seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]) -> None:
    """Two runs started at once: one loads; the other waits and finds nothing changed, or with --wait 0 exits
    with one busy line; neither prints a traceback."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("b.txt", make_article("beta"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    flag = tmp_path / "pause"
    # Both pause right after taking the lock, so they really overlap: the loser meets a held lock.
    runs = [start_run(seeds_dir, warehouse, "--wait", wait, pause_at="after-lock", flag=flag) for _ in range(2)]
    wait_for(Path(f"{flag}.reached"), *runs)
    # Release only once the loser has met the held lock: it exited (--wait 0) or said it is waiting.
    early = {id(p): "" for p in runs}
    for p in runs:
        assert p.stderr is not None
        os.set_blocking(p.stderr.fileno(), False)
    deadline = time.monotonic() + 30
    while not (any(p.poll() is not None for p in runs) or any("waiting" in text for text in early.values())):
        assert time.monotonic() < deadline, early
        for p in runs:
            assert p.stderr is not None
            with contextlib.suppress(BlockingIOError):
                early[id(p)] += os.read(p.stderr.fileno(), 65536).decode(errors="replace")
        time.sleep(0.05)
    for p in runs:
        assert p.stderr is not None
        os.set_blocking(p.stderr.fileno(), True)
    Path(f"{flag}.release").touch()
    outputs = [p.communicate(timeout=60) for p in runs]
    results = [(p.returncode, out, early[id(p)] + err) for p, (out, err) in zip(runs, outputs, strict=True)]
    for _, out, err in results:
        assert "Traceback" not in out + err
    codes = sorted(code for code, _, _ in results)
    loaded = [out for code, out, _ in results if code == 0 and "nothing changed" not in out]
    assert len(loaded) == 1, results
    if wait == "60":
        assert codes == [0, 0]
        waiter = next((out, err) for code, out, err in results if "nothing changed" in out)
        assert "waiting" in waiter[1]
        assert [r[0] for r in rows(warehouse, "SELECT run_id FROM runs ORDER BY 1")] == [1, 2]
    else:
        assert codes == [0, 2]
        busy = next(err for code, _, err in results if code == 2).strip().splitlines()
        assert len(busy) == 1 and "another run (pid" in busy[0] and "--wait" in busy[0], busy
        assert [r[0] for r in rows(warehouse, "SELECT run_id FROM runs ORDER BY 1")] == [1]


def test_a_run_that_waited_lists_the_folder_as_it_is_when_it_gets_the_lock(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """A run queued behind another lists the folder once it holds the lock: a file added, edited or deleted
    while it waited is loaded, updated or removed by it (it used to commit the listing it took before waiting)."""
    for path in (write_seed("a.txt", make_article("alpha", title="before")), write_seed("b.txt", make_article("beta"))):
        # Saved long before any read, so no run hashes them again as racily clean: the counts below are exact.
        os.utime(path, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    flag = tmp_path / "pause"
    # The first run holds the lock, paused after it listed the folder: what changes now is the second's to see.
    first = start_run(seeds_dir, warehouse, pause_at="after-copy", flag=flag)
    wait_for(Path(f"{flag}.reached"), first)
    second = start_run(seeds_dir, warehouse, "--wait", "60")
    try:
        assert second.stderr is not None
        said = second.stderr.readline()  # blocks until it meets the held lock (or ends: then it is empty)
        assert "waiting" in said, said + second.communicate(timeout=60)[1]
        write_seed("c.txt", make_article("gamma"))
        write_seed("a.txt", make_article("alpha", title="edited while waiting"))
        (seeds_dir / "b.txt").unlink()
    finally:
        Path(f"{flag}.release").touch()
        outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs
    assert rows(warehouse, "SELECT slug, title FROM articles ORDER BY slug") == [
        ("alpha", "edited while waiting"),
        ("gamma", "gammaの年収・将来性は？"),
    ]
    assert rows(warehouse, "SELECT source_path FROM files ORDER BY 1") == [("a.txt",), ("c.txt",)]
    # The first run committed the folder as it listed it; the second, the changes made while it waited.
    assert rows(warehouse, "SELECT run_id, files_new, files_changed, files_deleted FROM runs ORDER BY 1") == [
        (1, 2, 2, 0),
        (2, 0, 0, 0),
        (3, 1, 2, 1),
    ]


def second_run_paused_at(
    point: str, seeds_dir: Path, warehouse: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> tuple[subprocess.Popen[str], Path]:
    """Run 1 loads `alpha`; run 2 (a real process, `beta` added) is paused at `point`: it and its pause flag."""
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    write_seed("b.txt", make_article("beta"))
    flag = tmp_path / "pause"
    process = start_run(seeds_dir, warehouse, pause_at=point, flag=flag)
    wait_for(Path(f"{flag}.reached"), process)
    return process, flag


def test_duckdb_reader_holds_the_live_file_during_a_load(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """A `duckdb` read-only connection opened on the live file mid-load sees the last commit, does not block the
    run, and keeps its snapshot; a new connection afterwards sees the new run."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    process, flag = second_run_paused_at("in-transaction", seeds_dir, warehouse, tmp_path, write_seed)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert reader.execute("SELECT slug FROM articles ORDER BY 1").fetchall() == [("alpha",)]
        Path(f"{flag}.release").touch()
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert reader.execute("SELECT slug FROM articles ORDER BY 1").fetchall() == [("alpha",)]
    finally:
        reader.close()
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY 1")] == ["alpha", "beta"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs: its limits (full, read-only) hold for root too, unlike chmod."""
    need_tmpfs()
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True, capture_output=True, timeout=10
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True, timeout=10)


def fails_with_one_line(seeds: Path, warehouse: Path) -> str:
    """Run in a real process; assert it exits 2 with exactly one stderr line and no traceback; return the line."""
    process = start_run(seeds, warehouse)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_read_only_warehouse_folder(small_disk: Path, seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """On a read-only warehouse folder the run fails with one clear line and the warehouse stays readable."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = small_disk / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    write_seed("b.txt", make_article("beta"))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True, timeout=10)
    try:
        line = fails_with_one_line(seeds_dir, warehouse)
        assert line.startswith("error: ") and "Read-only file system" in line, line
        assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True, timeout=10)
    run_local(seeds_dir, warehouse)
    assert rows(warehouse, "SELECT slug FROM articles ORDER BY 1") == [("alpha",), ("beta",)]


def test_a_disk_filled_while_the_datasets_are_written_fails_in_plain_words(
    small_disk: Path, seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]
) -> None:
    """Another program fills the disk while the run writes its Parquet datasets (staged before the commit):
    nothing is committed, the next run publishes. The line was DuckDB's "IO Error: Async write failed for
    range [offset=1100, size=3541]: {"exception_type":"IO","exception_message":"Could not write file ...",
    "errno":"28"}"; it is the message inside."""
    warehouse = small_disk / "wh" / "jobs.duckdb"
    process, flag = second_run_paused_at("after-record-run", seeds_dir, warehouse, tmp_path, write_seed)
    filler = small_disk / "filler"
    with contextlib.suppress(OSError), open(filler, "wb") as handle:
        handle.write(b"\0" * shutil.disk_usage(small_disk).free)
    Path(f"{flag}.release").touch()
    out, err = process.communicate(timeout=60)
    filler.unlink()
    assert process.returncode == 2, (out, err)
    [line] = err.strip().splitlines()
    assert "Could not write file" in line and "No space left on device" in line, line
    assert "exception_type" not in line and "errno" not in line, line
    assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
    manifest = warehouse.parent / "published" / "manifest.json"
    assert json.loads(manifest.read_text(encoding="utf-8"))["run_id"] == 1
    run_local(seeds_dir, warehouse)
    assert rows(warehouse, "SELECT slug FROM articles ORDER BY 1") == [("alpha",), ("beta",)]
    assert json.loads(manifest.read_text(encoding="utf-8"))["run_id"] == 2


FULL_DISK_CASES = [
    pytest.param(lambda size: 0, id="no-room-even-for-the-lock-file"),
    pytest.param(lambda size: 100 * 1024, id="no-room-for-the-copy"),
    pytest.param(lambda size: size + 64 * 1024, id="no-room-to-load"),
]


@pytest.mark.parametrize("room", FULL_DISK_CASES)
def test_full_disk(
    room: Callable[[int], int], small_disk: Path, seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """On a full disk the run fails with one clear line, the previous warehouse stays usable, and the next run
    (with room again) completes."""
    write_seed("a.txt", make_article("alpha"))
    warehouse = small_disk / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    write_seed("b.txt", make_article("beta"))
    filler = small_disk / "filler"
    keep = room(warehouse.stat().st_size)
    with contextlib.suppress(OSError), open(filler, "wb") as handle:  # tmpfs rounds to pages: full is full
        handle.write(b"\0" * max(shutil.disk_usage(small_disk).free - keep, 0))
    try:
        line = fails_with_one_line(seeds_dir, warehouse)
        assert line.startswith("error: warehouse ") and "No space left on device" in line, line
        assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
        assert not list(warehouse.parent.glob("*.next*"))
    finally:
        filler.unlink()
    run_local(seeds_dir, warehouse)
    assert rows(warehouse, "SELECT slug FROM articles ORDER BY 1") == [("alpha",), ("beta",)]
