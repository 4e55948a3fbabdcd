"""The load's DuckDB threads follow the corpus: one thread while every table fits one row group (a
second has nothing to take, and costs CPU), DuckDB's own default above. Real files on disk."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jobpipeline.warehouse import SINGLE_THREAD_BELOW, WriterLock, open_writer


def duckdb_default_threads() -> int:
    """What DuckDB picks on this machine (its own count of cores, which may differ from os.cpu_count)."""
    conn = duckdb.connect(":memory:")
    try:
        (threads,) = conn.execute("SELECT current_setting('threads')").fetchone() or (0,)
    finally:
        conn.close()
    return int(threads)


@pytest.mark.parametrize(
    ("files", "expected"),
    [(0, 1), (12, 1), (SINGLE_THREAD_BELOW - 1, 1), (SINGLE_THREAD_BELOW, None)],
)
def test_writer_threads_follow_the_number_of_files(tmp_path: Path, files: int, expected: int | None) -> None:
    warehouse = tmp_path / "jobs.duckdb"
    with WriterLock(warehouse).acquire(0, None), open_writer(warehouse, files) as writer:
        (threads,) = writer.one("SELECT current_setting('threads')")
    assert threads == (expected or duckdb_default_threads())


def test_an_enrichment_counts_the_files_the_warehouse_holds(tmp_path: Path) -> None:
    """`jobpipeline enrich` lists no folder: the warehouse's own `files` decide."""
    warehouse = tmp_path / "jobs.duckdb"
    with WriterLock(warehouse).acquire(0, None):
        with open_writer(warehouse) as writer:
            writer.conn.execute(
                f"INSERT INTO files (source_path) SELECT 'f' || i || '.txt' FROM range({SINGLE_THREAD_BELOW}) t(i)"
            )
        with open_writer(warehouse) as writer:
            (threads,) = writer.one("SELECT current_setting('threads')")
    assert threads == duckdb_default_threads()
