"""The ingest pipeline, stage by stage: discover -> read -> load -> publish.

The order is written once, here. The CLI and the Prefect flows run these same functions; what
differs is the `StageRunner` they pass in: `LocalRunner` runs stages in this process and reads
batches in a process pool, the Prefect runner (flows/) makes each stage and batch a task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol, TypeVar

from jobpipeline.batches import BATCH_SIZE, ReadHealth, ReadItem, ReadTask, batch_size, chunks, read_batch
from jobpipeline.discover import Discovery, SeedFile, discover_seeds
from jobpipeline.errors import SeedsNotFoundError
from jobpipeline.faults import checkpoint
from jobpipeline.models import Finding
from jobpipeline.publish import go_live, stage_datasets
from jobpipeline.validate import check_corpus
from jobpipeline.warehouse import KnownFile, LoadResult, WriterLock, open_writer

STAGES = ("discover", "copy", "read", "load", "enrich", "publish")
SERIAL_BELOW = 64
"""Fewer files than this are read in-process: starting worker processes would cost more."""

ERRORS_SHOWN = 50
"""Error lines carried in a run's summary; the rest are in the `validation_issues` table."""

T = TypeVar("T")
B = TypeVar("B")
R = TypeVar("R")


class StageRunner(Protocol):
    """How stages and batches are executed (in-process, or as Prefect tasks)."""

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T: ...

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Iterator[R]: ...


Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""


@dataclass(frozen=True)
class ChangePlan:
    """What discovery found, compared with what the warehouse remembers."""

    present: list[str]
    new: list[str]
    suspect: list[str]
    """Known files whose size or mtime changed: read and hash them to know."""
    unchanged: list[str]
    deleted: list[str]

    @property
    def to_read(self) -> list[str]:
        return sorted(self.new + self.suspect)


def plan_changes(files: Sequence[SeedFile], known: dict[str, KnownFile], only: set[str] | None = None
                 ) -> ChangePlan:
    """Compare discovered files with the warehouse's `files` table (size + mtime fast path).

    With `only` (re-validation of given paths), other files count as unchanged without a look.
    """
    present: list[str] = []
    new: list[str] = []
    suspect: list[str] = []
    unchanged: list[str] = []
    for f in files:
        previous = known.get(f.path)
        if only is not None and f.path not in only:
            if previous is not None:  # a new file outside `only` waits for the next full run
                present.append(f.path)
                unchanged.append(f.path)
            continue
        present.append(f.path)
        if previous is None:
            new.append(f.path)
        elif previous.size != f.size or previous.mtime_ns != f.mtime_ns:
            suspect.append(f.path)
        else:
            unchanged.append(f.path)
    present_set = set(present)
    deleted = sorted(p for p in known if p not in present_set and (only is None or p in only))
    if only is not None:
        # Files outside `only` that vanished are still present as far as this re-validation knows.
        present = sorted(present_set | {p for p in known if p not in present_set and p not in only})
    return ChangePlan(present=present, new=new, suspect=suspect, unchanged=unchanged, deleted=deleted)


@dataclass
class RunSummary:
    """What a run did, for people (the CLI) and for Prefect artifacts."""

    run_id: int
    seeds: str
    warehouse: str
    files_seen: int
    files_new: int
    files_changed: int
    files_unchanged: int
    files_deleted: int
    load: LoadResult
    findings: list[Finding]
    published: str
    published_datasets: list[str]
    stage_seconds: dict[str, float] = field(default_factory=dict)
    read_paths: frozenset[str] = frozenset()
    """Files read in this run (new or changed): their findings are what a re-validation shows."""

    @property
    def files_rejected(self) -> int:
        return self.load.files_rejected

    def record(self) -> dict[str, Any]:
        """The summary as plain JSON-able data (CLI `--format json`, flow return value)."""
        load = self.load
        return {
            "run_id": self.run_id, "files_seen": self.files_seen, "files_new": self.files_new,
            "files_changed": self.files_changed, "files_unchanged": self.files_unchanged,
            "files_deleted": self.files_deleted, "files_rejected": load.files_rejected,
            "articles_loaded": load.articles_loaded, "articles_removed": load.articles_removed,
            "kept_last_known_good": load.kept_last_good, "newly_broken": load.newly_broken,
            "errors": load.errors, "warnings": load.warnings,
            "published": self.published, "datasets": self.published_datasets,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "warehouse": self.warehouse,
            "nothing_changed": self.nothing_changed,
            "error_lines": [f.format_line() for f in self.findings if f.severity == "error"][:ERRORS_SHOWN],
            "changed_findings": [f.format_line() for f in self.findings if f.source_path in self.read_paths],
        }

    @property
    def nothing_changed(self) -> bool:
        return self.files_changed == 0 and self.files_deleted == 0 and self.load.articles_loaded == 0


@dataclass(frozen=True)
class RunOptions:
    seeds: Path
    warehouse: Path
    trigger: str = "cli"
    only_paths: frozenset[str] | None = None
    wait_seconds: float = 0.0
    csv: bool = False
    workers: int | None = None
    flow_run_id: str | None = None


def ingest(options: RunOptions, runner: StageRunner, *, progress: Progress | None = None,
           on_wait: Callable[[str], None] | None = None) -> RunSummary:
    """Run every stage once over the seeds folder and commit the result, all or nothing."""
    started = datetime.now(UTC)
    seconds: dict[str, float] = {}
    seeds = options.seeds.resolve()
    if not seeds.is_dir():
        raise SeedsNotFoundError(str(options.seeds))

    clock = time.perf_counter()
    discovery: Discovery = runner.stage("discover", discover_seeds, seeds)
    seconds["discover"] = time.perf_counter() - clock

    lock = runner.stage("lock", WriterLock(options.warehouse).acquire, options.wait_seconds, on_wait)
    checkpoint("after-lock")
    try:
        with open_writer(options.warehouse) as writer:
            seconds["copy"] = writer.copy_seconds
            checkpoint("after-copy")
            known = writer.known_files()
            plan = plan_changes(discovery.files, known, set(options.only_paths) if options.only_paths else None)

            clock = time.perf_counter()
            touched = _read_into(writer, runner, seeds, plan.to_read, known, progress)
            if not seeds.is_dir():
                # Every unread file would look broken and be kept as last known good: say what happened.
                raise SeedsNotFoundError(str(options.seeds))
            ownership = writer.resolve(plan.present, known, check_corpus)
            if ownership.reparse:
                _read_into(writer, runner, seeds, ownership.reparse, {}, progress)
                ownership = writer.resolve(plan.present, known, check_corpus)
            seconds["read"] = time.perf_counter() - clock
            checkpoint("after-stage")

            clock = time.perf_counter()
            load = runner.stage("load", writer.apply, ownership, plan.present, plan.deleted, discovery.findings)
            changed = len(plan.to_read) - touched
            counts = {
                "seen": len(discovery.files), "new": len(plan.new), "changed": changed,
                "unchanged": len(plan.unchanged) + touched, "deleted": len(plan.deleted),
            }
            seconds["load"] = time.perf_counter() - clock
            checkpoint("after-apply")
            clock = time.perf_counter()
            runner.stage("enrich", writer.enrich)
            seconds["enrich"] = time.perf_counter() - clock
            writer.record_run(started_at=started, trigger=options.trigger, seeds_dir=str(seeds), counts=counts,
                              load=load, stage_seconds=seconds, flow_run_id=options.flow_run_id)
            checkpoint("after-record-run")
            clock = time.perf_counter()
            version = runner.stage("publish", stage_datasets, writer.conn, options.warehouse, writer.run_id,
                                   options.csv)
            findings = _findings(writer, set(plan.to_read) | set(plan.deleted))
            seconds["publish"] = time.perf_counter() - clock
            writer.set_stage_seconds(seconds)
            checkpoint("after-publish-staged")
        checkpoint("after-warehouse-rename")
        go_live(options.warehouse, version)
        checkpoint("after-go-live")
    finally:
        lock.release()
    return RunSummary(
        run_id=load.run_id, seeds=str(seeds), warehouse=str(options.warehouse),
        files_seen=counts["seen"], files_new=counts["new"], files_changed=counts["changed"],
        files_unchanged=counts["unchanged"], files_deleted=counts["deleted"], load=load, findings=findings,
        published=str(version), published_datasets=sorted(p.stem for p in version.glob("*.parquet")),
        stage_seconds=seconds, read_paths=frozenset(plan.to_read) | frozenset(plan.deleted),
    )


def _read_into(writer: Any, runner: StageRunner, seeds: Path, paths: Sequence[str],
               known: dict[str, KnownFile], progress: Progress | None) -> int:
    """Read `paths` in batches and stage them; returns how many turned out unchanged."""
    items = [ReadItem(p, known[p].content_hash if p in known else None) for p in paths]
    tasks = [ReadTask(str(seeds), batch) for batch in chunks(items, batch_size(len(items)))]
    done = 0
    touched = 0
    health = ReadHealth()
    if progress:
        progress("read", 0, len(items))
    for batch in runner.map("read", read_batch, tasks):
        health.add(batch, len(batch.files) + len(batch.unchanged))
        writer.stage(batch)
        checkpoint("after-read-batch")
        done += len(batch.files) + len(batch.unchanged)
        touched += len(batch.unchanged)
        if progress:
            progress("read", done, len(items))
    health.finish()
    return touched


FINDINGS_SHOWN = 500
"""Findings a run's summary carries (errors first, then the files it read); the table has them all."""


def _findings(writer: Any, read_paths: set[str]) -> list[Finding]:
    """The findings worth showing: errors anywhere, then those of the files this run read.

    Capped, so a 100,000-file corpus with a warning per file does not build 100,000 models.
    """
    writer.conn.execute("CREATE OR REPLACE TEMP TABLE tmp_read (source_path VARCHAR)")
    if read_paths:
        writer.conn.executemany("INSERT INTO tmp_read VALUES (?)", [(p,) for p in sorted(read_paths)][:FINDINGS_SHOWN])
    rows = writer.conn.execute(
        "SELECT source_path, line, slug, severity, code, field, message FROM validation_issues "
        "WHERE severity = 'error' OR source_path IN (SELECT source_path FROM tmp_read) "
        f"ORDER BY severity, source_path, line NULLS FIRST, code LIMIT {FINDINGS_SHOWN}"
    ).fetchall()
    return [Finding(source_path=r[0], line=r[1], slug=r[2], severity=r[3], code=r[4], field=r[5], message=r[6])
            for r in rows]


class LocalRunner:
    """Stages in this process; batches in a process pool (parsing is CPU-bound: the GIL would serialize threads)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Iterator[R]:
        files = sum(len(getattr(item, "items", ())) for item in items)
        if self.workers <= 1 or files < SERIAL_BELOW or len(items) <= 1:
            for item in items:
                yield fn(item)
            return
        yield from map_in_processes(fn, items, self.workers)


def new_process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool for read batches. forkserver: safe when the parent has threads (Prefect's) and
    cheaper than spawn, since the server process imports the reader once."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["jobpipeline.batches"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def map_in_processes(fn: Callable[[B], R], items: Iterable[B], workers: int) -> Iterator[R]:
    """Yield fn(item) for each item as workers finish; at most 2 batches in flight per worker."""
    with new_process_pool(workers) as pool:
        pending: set[Future[R]] = set()
        iterator = iter(items)
        for item in iterator:
            pending.add(pool.submit(fn, item))
            if len(pending) >= workers * 2:
                break
        while pending:
            finished = next(as_completed(pending))
            pending.remove(finished)
            yield finished.result()
            for item in iterator:
                pending.add(pool.submit(fn, item))
                break


@dataclass(frozen=True)
class ValidationReport:
    files_seen: int
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    @property
    def rejected_files(self) -> int:
        return len({f.source_path for f in self.findings if f.severity == "error"})


def validate_seeds(seeds: Path, runner: StageRunner, *, progress: Progress | None = None,
                   only: frozenset[str] | None = None) -> ValidationReport:
    """Read and check every file without touching any warehouse (what `jobpipeline validate` does).

    With `only`, just those files are read in full and reported on; the rest of the folder is
    read for slugs and links alone, so corpus-wide checks still see everything.
    """
    from jobpipeline.batches import read_corpus_entries
    from jobpipeline.validate import CorpusEntry

    if not seeds.is_dir():
        raise SeedsNotFoundError(str(seeds))
    discovery = discover_seeds(seeds)
    selected = [f for f in discovery.files if only is None or f.path in only]
    items = [ReadItem(f.path, None) for f in selected]
    tasks = [ReadTask(str(seeds), batch) for batch in chunks(items, batch_size(len(items)))]
    findings = [f for f in discovery.findings if only is None or f.source_path in only]
    missing = sorted((only or frozenset()) - {f.path for f in discovery.files})
    findings.extend(Finding(source_path=path, severity="error", code="file-unreadable",
                            message="no such seed file (*.txt or *.md) in the seeds folder: check the path")
                    for path in missing)
    entries: list[CorpusEntry] = []
    if only is not None:
        others = [ReadItem(f.path, None) for f in discovery.files if f.path not in only]
        for part in runner.map("scan", read_corpus_entries,
                               [ReadTask(str(seeds), batch) for batch in chunks(others, BATCH_SIZE * 4)]):
            entries.extend(part)
    done = 0
    for batch in runner.map("read", read_batch, tasks):
        findings.extend(batch.findings)
        entries.extend(CorpusEntry(f.source_path, f.claimed_slug, f.related_jobs, f.related_lines, f.slug_line)
                       for f in batch.files if f.parse_ok and f.claimed_slug)
        done += len(batch.files)
        if progress:
            progress("read", done, len(items))
    findings.extend(f for f in check_corpus(entries).findings if only is None or f.source_path in only)
    findings.sort(key=lambda f: (f.source_path, f.line or 0, f.severity, f.code))
    return ValidationReport(files_seen=len(selected), findings=findings)
