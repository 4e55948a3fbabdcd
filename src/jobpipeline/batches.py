"""Read batches of seed files: the unit of work handed to worker processes (or Dask workers).

Kept apart from the pipeline so a worker imports only the reader and polars, not DuckDB, Prefect
or the report templates: less start-up time and less memory per worker.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from jobpipeline.decode import MAX_FILE_BYTES, DecodeError, decode_article
from jobpipeline.discover import unreadable_finding
from jobpipeline.errors import SeedsUnreachableError
from jobpipeline.front_matter import FrontMatterError, field_lines, list_item_lines, split_front_matter
from jobpipeline.models import Finding, ReadResult
from jobpipeline.read import read_article
from jobpipeline.rows import Batch, batch_from_results
from jobpipeline.validate import SLUG_PATTERN, CorpusEntry

READ_ATTEMPTS = 3
"""Reads of a file whose stat moves while it is read, before its bytes are recorded against the stat
taken before the last read (older than the file's, so the next run reads it again)."""

BATCH_SIZE = 250
"""Most files per read task: ~10 MB of text, so a task's 2-3 ms of orchestration is noise."""

T = TypeVar("T")


@dataclass(frozen=True)
class ReadItem:
    """A file to read, with the hash the warehouse has for it (to skip unchanged bytes).

    `contents` set (by `with_contents`, in the flow's process): the worker parses these bytes and
    never opens the path, so a Dask worker on another machine needs no copy of the seeds folder.
    """

    path: str
    known_hash: str | None
    contents: FileContents | None = None


@dataclass(frozen=True)
class FileContents:
    """A file's bytes (at most the reader's limit plus one) and its stat, or why it could not be read."""

    data: bytes = b""
    size: int = 0
    mtime_ns: int = 0
    read_ns: int = 0
    """When the read ended (ns since the epoch): the racily-clean rule compares the mtime with it."""
    error: OSError | None = None


@dataclass(frozen=True)
class ReadTask:
    seeds: str
    items: tuple[ReadItem, ...]


def read_contents(path: Path, *, _after_read: Callable[[], None] | None = None) -> FileContents:
    """The bytes a reader parses, with the size and mtime the file had while they were read.

    The stat is taken before and after the read; when it moved (a save during the read), the file
    is read again, up to READ_ATTEMPTS times. A stat taken only after the read recorded a save
    made in between against the older bytes, and the file was never read again. `_after_read`
    is a test seam: called between a read and the stat that checks it.
    """
    try:
        with open(path, "rb") as handle:
            for _ in range(READ_ATTEMPTS):
                before = os.fstat(handle.fileno())
                handle.seek(0)
                data = handle.read(MAX_FILE_BYTES + 1)
                if _after_read is not None:
                    _after_read()
                after = os.fstat(handle.fileno())
                if _stat_key(before) == _stat_key(after):
                    break
            read_ns = time.time_ns()
    except OSError as exc:
        return FileContents(error=exc)
    return FileContents(data=data, size=before.st_size, mtime_ns=before.st_mtime_ns, read_ns=read_ns)


def _stat_key(stat: os.stat_result) -> tuple[int, int, int]:
    # ctime too: a write moves it even when the writer puts the old mtime back (os.utime, rsync -t).
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def with_contents(task: ReadTask) -> ReadTask:
    """The task with every file's bytes attached, for workers that cannot see the seeds folder."""
    root = Path(task.seeds)
    return ReadTask(
        task.seeds, tuple(ReadItem(item.path, item.known_hash, read_contents(root / item.path)) for item in task.items)
    )


def read_batch(task: ReadTask) -> Batch:
    """Read a batch of files (runs in a worker process): unchanged bytes are skipped by hash."""
    unchanged: list[tuple[str, int, int, int]] = []
    # A generator: each article becomes rows and is dropped before the next file is parsed, so a
    # worker holds one article's sections at a time, not the whole batch's.
    batch = batch_from_results(_read_items(task, unchanged))
    batch.unchanged = unchanged
    return batch


def _read_items(
    task: ReadTask, unchanged: list[tuple[str, int, int, int]]
) -> Iterator[tuple[ReadResult, int, int, int]]:
    root = Path(task.seeds)
    for item in task.items:
        contents = item.contents if item.contents is not None else read_contents(root / item.path)
        if contents.error is not None:
            finding = unreadable_finding(item.path, contents.error)
            yield ReadResult(source_path=item.path, content_hash="", size=0, findings=(finding,)), 0, 0, 0
            continue
        if item.known_hash is not None and hashlib.sha256(contents.data).hexdigest() == item.known_hash:
            unchanged.append((item.path, contents.size, contents.mtime_ns, contents.read_ns))
            continue
        # The size on disk (not len(data), capped at the limit) so an oversized file is not re-read every run.
        yield read_article(contents.data, item.path), contents.size, contents.mtime_ns, contents.read_ns


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
        entries.append(
            CorpusEntry(
                item.path,
                slug,
                related_jobs,
                list_item_lines(split.block_text, split.block_line, "related_jobs", related_jobs),
                lines.get("slug"),
                title,
            )
        )
    return entries


class ReadHealth:
    """Tells an unreachable seeds folder from bad input while a run's batches come back.

    A file here and there that cannot be opened is bad input: a finding, and the run goes on. A
    batch none of whose files could be opened, or a run in which more than half could not, means
    the batches ran where the folder is not (a Dask worker on another machine, an unmounted
    volume): the run must fail rather than record every article as broken.

    Known files under folders that could not be listed (`add_unlisted`) count too, against the
    whole folder: when they and the files that did not open are more than half of it, the run
    fails rather than serve most of the corpus as last known good.
    """

    def __init__(self) -> None:
        self.files = 0
        self.unreadable: list[Finding] = []
        self.corpus = 0
        self.unlisted = 0
        self.folders: list[Finding] = []

    def add_unlisted(self, files: int, corpus: int, folders: Sequence[Finding]) -> None:
        """`files` of the `corpus` files present sit under the folders of the `folder-unreadable` `folders`."""
        self.unlisted += files
        self.corpus = corpus
        self.folders.extend(folders)

    def add(self, batch: Batch, files_in_batch: int) -> None:
        found = [f for f in batch.findings if f.code == "file-unreadable"]
        self.files += files_in_batch
        self.unreadable.extend(found)
        if files_in_batch >= 2 and len(found) == files_in_batch:
            self._fail(f"none of the {files_in_batch} files of a read batch")

    def finish(self) -> None:
        if self.files >= 4 and len(self.unreadable) * 2 > self.files:
            self._fail(f"{len(self.unreadable)} of {self.files} files")
        lost = len(self.unreadable) + self.unlisted
        if self.unlisted and self.corpus >= 4 and lost * 2 > self.corpus:
            self._fail(f"{lost} of the {self.corpus} files of the seeds folder", self.folders)

    def _fail(self, what: str, examples: Sequence[Finding] = ()) -> None:
        first = examples[0] if examples else self.unreadable[-1]
        raise SeedsUnreachableError(what, first.source_path, first.message)
