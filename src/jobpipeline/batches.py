"""Read batches of seed files: the unit of work handed to worker processes (or Dask workers).

Kept apart from the pipeline so a worker imports only the reader and polars, not DuckDB, Prefect
or the report templates: less start-up time and less memory per worker.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from jobpipeline.decode import MAX_FILE_BYTES
from jobpipeline.models import Finding, ReadResult
from jobpipeline.read import read_article
from jobpipeline.rows import Batch, batch_from_results

BATCH_SIZE = 250
"""Most files per read task: ~10 MB of text, so a task's 2-3 ms of orchestration is noise."""

T = TypeVar("T")


@dataclass(frozen=True)
class ReadItem:
    """A file to read, with the hash the warehouse has for it (to skip unchanged bytes)."""

    path: str
    known_hash: str | None


@dataclass(frozen=True)
class ReadTask:
    seeds: str
    items: tuple[ReadItem, ...]


def read_batch(task: ReadTask) -> Batch:
    """Read a batch of files (runs in a worker process): unchanged bytes are skipped by hash."""
    root = Path(task.seeds)
    results: list[tuple[ReadResult, int]] = []
    unchanged: list[tuple[str, int, int]] = []
    for item in task.items:
        try:
            with open(root / item.path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
                stat = os.fstat(handle.fileno())
        except OSError as exc:
            finding = Finding(source_path=item.path, severity="error", code="file-unreadable",
                              message=f"cannot read the file ({exc.strerror or type(exc).__name__}): check it "
                                      "exists and is readable")
            results.append((ReadResult(source_path=item.path, content_hash="", size=0, findings=(finding,)), 0))
            continue
        if item.known_hash is not None and hashlib.sha256(data).hexdigest() == item.known_hash:
            unchanged.append((item.path, stat.st_size, stat.st_mtime_ns))
            continue
        results.append((read_article(data, item.path), stat.st_mtime_ns))
    return batch_from_results(results, unchanged)


def batch_size(files: int, workers: int | None = None) -> int:
    """Files per batch: at most BATCH_SIZE, and small enough that every worker gets ~4 batches
    (so one slow batch does not leave the other cores idle at the end)."""
    workers = workers or os.cpu_count() or 1
    return max(16, min(BATCH_SIZE, -(-files // (workers * 4))))


def chunks(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


