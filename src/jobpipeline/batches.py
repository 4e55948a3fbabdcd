"""Read batches of seed files: the unit of work handed to worker processes (or Dask workers).

Kept apart from the pipeline so a worker imports only the reader and polars, not DuckDB, Prefect
or the report templates: less start-up time and less memory per worker.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from jobpipeline.decode import MAX_FILE_BYTES, DecodeError, decode_article
from jobpipeline.discover import unreadable_finding
from jobpipeline.front_matter import FrontMatterError, field_lines, list_item_lines, split_front_matter
from jobpipeline.models import ReadResult
from jobpipeline.read import read_article
from jobpipeline.rows import Batch, batch_from_results
from jobpipeline.validate import SLUG_PATTERN, CorpusEntry

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
    unchanged: list[tuple[str, int, int]] = []
    # A generator: each article becomes rows and is dropped before the next file is parsed, so a
    # worker holds one article's sections at a time, not the whole batch's.
    batch = batch_from_results(_read_items(task, unchanged))
    batch.unchanged = unchanged
    return batch


def _read_items(task: ReadTask, unchanged: list[tuple[str, int, int]]) -> Iterator[tuple[ReadResult, int, int]]:
    root = Path(task.seeds)
    for item in task.items:
        try:
            with open(root / item.path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
                stat = os.fstat(handle.fileno())
        except OSError as exc:
            finding = unreadable_finding(item.path, exc)
            yield ReadResult(source_path=item.path, content_hash="", size=0, findings=(finding,)), 0, 0
            continue
        if item.known_hash is not None and hashlib.sha256(data).hexdigest() == item.known_hash:
            unchanged.append((item.path, stat.st_size, stat.st_mtime_ns))
            continue
        # The size on disk (not len(data), capped at the limit) so an oversized file is not re-read every run.
        yield read_article(data, item.path), stat.st_size, stat.st_mtime_ns


def batch_size(files: int, workers: int | None = None) -> int:
    """Files per batch: at most BATCH_SIZE, and small enough that every worker gets ~4 batches
    (so one slow batch does not leave the other cores idle at the end)."""
    workers = workers or os.cpu_count() or 1
    return max(16, min(BATCH_SIZE, -(-files // (workers * 4))))


def chunks(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]




def read_corpus_entries(task: ReadTask) -> list[CorpusEntry]:
    """What the corpus checks need of each file (slug, related jobs), reading front matter only.

    Used to check a few files against a large folder (`jobpipeline validate FILE ...`, the
    pre-commit hook) without parsing every other article's body. A file counts when its front
    matter parses and has a valid slug and a title: per-file checks deeper than that are skipped.
    """
    root = Path(task.seeds)
    entries: list[CorpusEntry] = []
    for item in task.items:
        try:
            with open(root / item.path, "rb") as handle:
                text = decode_article(handle.read(MAX_FILE_BYTES + 1))
            split = split_front_matter(text)
        except (OSError, DecodeError, FrontMatterError):
            continue
        slug, title, related = split.data.get("slug"), split.data.get("title"), split.data.get("related_jobs", [])
        if not isinstance(slug, str) or not SLUG_PATTERN.match(slug) or not isinstance(title, str) or not title:
            continue
        related_jobs = tuple(r for r in related if isinstance(r, str)) if isinstance(related, list) else ()
        lines = field_lines(split.block_text, split.block_line, split.fence)
        entries.append(CorpusEntry(item.path, slug, related_jobs,
                                   list_item_lines(split.block_text, split.block_line, "related_jobs", related_jobs),
                                   lines.get("slug")))
    return entries
