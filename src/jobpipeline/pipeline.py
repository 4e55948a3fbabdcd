"""The ingest pipeline, stage by stage: lock -> discover -> copy -> read -> load -> enrich -> publish.

The stages are declared once, as data (`INGEST`), and `ingest` iterates them: timing, progress
and fault checkpoints happen there and nowhere else. The CLI and the Prefect flows run these same
stages; what differs is the `StageRunner` they pass in: `LocalRunner` runs stages in this process
and reads batches in a process pool, the Prefect runner makes each stage and batch a task.

The decisions of a load (what changed, who owns a slug, last known good, deletions) are pure
functions in `jobpipeline.load_plan`; `jobpipeline.warehouse` reads state into them and writes
what they decide.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol, TypeVar

from jobpipeline.batches import BATCH_SIZE, ReadHealth, ReadItem, ReadTask, batch_size, chunks, read_batch
from jobpipeline.discover import Discovery, discover_seeds, named_by
from jobpipeline.enrichment import EnrichResult, enrich_warehouse
from jobpipeline.errors import (
    SeedsEmptyError,
    SeedsFolderChangedError,
    SeedsNotFoundError,
    WarehouseBusyError,
    WarehouseMissingError,
)
from jobpipeline.faults import checkpoint
from jobpipeline.interrupts import hold, reader_started
from jobpipeline.load_plan import (
    ChangePlan,
    KnownArticle,
    KnownFile,
    LoadResult,
    Ownership,
    RunCounts,
    decide,
    deletions_from_another_folder,
    plan_changes,
    plan_load,
    refuses_empty_listing,
    reread_unchanged,
    run_counts,
    run_row,
)
from jobpipeline.models import Finding
from jobpipeline.publish import (
    catch_up,
    check_published_owner,
    go_live,
    live_run,
    published_behind,
    stage_datasets,
    staged_runs,
    version_path,
)
from jobpipeline.reader_version import reader_version
from jobpipeline.settings import found_above, get_settings, warehouse_file
from jobpipeline.validate import check_corpus
from jobpipeline.warehouse import WarehouseWriter, WriterLock, committed_reader, last_run_id, open_writer
from jobpipeline.windowing import SERIAL_BELOW, runs_serially, window_size, windowed

__all__ = [
    "INGEST",
    "SERIAL_BELOW",
    "STAGES",
    "ChangePlan",
    "LocalRunner",
    "Progress",
    "ReadItem",
    "ReadTask",
    "ReaderPool",
    "RunOptions",
    "RunSummary",
    "Stage",
    "StageRunner",
    "ValidationReport",
    "ingest",
    "map_in_processes",
    "new_process_pool",
    "plan_changes",
    "read_batch",
    "roll_forward",
    "roll_forward_if_free",
    "validate_seeds",
]

ERRORS_SHOWN = 50
"""Error lines carried in a run's summary; the rest are in the `validation_issues` table."""

FINDINGS_SHOWN = 500
"""Findings a run's summary carries (errors first, then the files it read); the table has them all."""

T = TypeVar("T")
B = TypeVar("B")
R = TypeVar("R")


class StageRunner(Protocol):
    """How stages and batches are executed (in-process, or as Prefect tasks)."""

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T: ...

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Generator[R]: ...


Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

FindingsReady = Callable[[list[Finding]], None]
"""on_findings(findings of the files a run read): called once they are loaded, before the commit."""


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
    enrichment: EnrichResult | None = None
    """What the enrich stage found: findings over the corpus and this run's `quality_checks`."""
    files_reread: int = 0
    """Unchanged files parsed again because an older reader had read them (counted in files_unchanged)."""

    @property
    def files_rejected(self) -> int:
        return self.load.files_rejected

    def record(self) -> dict[str, Any]:
        """The summary as plain JSON-able data (CLI `--format json`, flow return value)."""
        load = self.load
        return {
            "run_id": self.run_id,
            "files_seen": self.files_seen,
            "files_new": self.files_new,
            "files_changed": self.files_changed,
            "files_unchanged": self.files_unchanged,
            "files_deleted": self.files_deleted,
            "files_reread": self.files_reread,
            "files_rejected": load.files_rejected,
            "articles_loaded": load.articles_loaded,
            "articles_removed": load.articles_removed,
            "kept_last_known_good": load.kept_last_good,
            "newly_broken": load.newly_broken,
            "errors": load.errors,
            "warnings": load.warnings,
            "published": self.published,
            "datasets": self.published_datasets,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
            "warehouse": self.warehouse,
            "nothing_changed": self.nothing_changed,
            "error_lines": [f.format_line() for f in self.findings if f.severity == "error"][:ERRORS_SHOWN],
            "changed_findings": [f.format_line() for f in self.findings if f.source_path in self.read_paths],
            "enrichment_findings": self.enrichment.counts() if self.enrichment else {},
            "quality_failed": [f"{c.check}: {c.message}" for c in self.enrichment.failed] if self.enrichment else [],
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
    verify: bool = False
    """Hash every file, whatever its size and mtime say (`run --verify`)."""
    allow_empty: bool = False
    """A folder that lists no seed file may delete every article (`run --allow-empty`)."""
    new_seeds: bool = False
    """Another seeds folder than the last run's may delete the articles it lacks (`run --new-seeds`)."""
    wait_seconds: float = 0.0
    csv: bool = False
    workers: int | None = None
    flow_run_id: str | None = None
    now: datetime | None = None
    """The enrichment's "now" (aware; None: the clock): what date-dependent checks compare with."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "warehouse", warehouse_file(self.warehouse))  # a link: its target


# -- the stages --------------------------------------------------------------------------------------------
@dataclass
class _Run:
    """A run in progress: what each stage leaves for the next ones."""

    options: RunOptions
    runner: StageRunner
    progress: Progress | None
    on_wait: Callable[[str], None] | None
    scope: ExitStack
    """Unwound at the end: closes the writer (discarding an uncommitted copy), then releases the lock."""
    on_findings: FindingsReady | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: dict[str, float] = field(default_factory=dict)
    seeds: Path = field(init=False)
    discovery: Discovery = field(init=False)
    writer_scope: ExitStack = field(init=False)
    writer: WarehouseWriter = field(init=False)
    known: dict[str, KnownFile] = field(init=False)
    plan: ChangePlan = field(init=False)
    touched: int = field(init=False)
    staged: dict[str, KnownFile] = field(init=False)
    articles: dict[str, KnownArticle] = field(init=False)
    ownership: Ownership = field(init=False)
    load: LoadResult = field(init=False)
    counts: RunCounts = field(init=False)
    version: Path = field(init=False)
    findings: list[Finding] = field(init=False)
    enriched: EnrichResult = field(init=False)


def _seeds(run: _Run) -> None:
    """Fail at once on a missing seeds folder, before waiting for the lock (a stat, no listing)."""
    run.seeds = run.options.seeds.resolve()
    if not run.seeds.is_dir():
        seeds = run.options.seeds
        raise SeedsNotFoundError(str(seeds), is_file=run.seeds.is_file(), above=found_above(seeds))


def _discover(run: _Run) -> None:
    # Listed under the writer lock: a listing taken before a wait would be committed after the runs
    # that went first, deleting what they had just loaded and missing the saves made meanwhile.
    run.discovery = discover_seeds(run.seeds)


def _lock(run: _Run) -> None:
    lock = WriterLock(run.options.warehouse).acquire(run.options.wait_seconds, run.on_wait)
    run.scope.callback(lock.release)


def _roll_forward(run: _Run) -> None:
    roll_forward(run.options.warehouse, csv=run.options.csv)


def roll_forward(warehouse: Path, *, csv: bool = False) -> int | None:
    """Make `published` show the warehouse's last committed run, if a run was stopped between its commit
    and its publish (`publish.catch_up`); returns the run made live (None: it already was).
    The caller holds the WriterLock. Refuses (PublishedSharedError) when `published/` is another warehouse's."""
    check_published_owner(warehouse)
    if published_behind(warehouse) is None:
        # Up to date, and usually from two stats (`published` swapped after the warehouse's last
        # write), not a connection: opening the warehouse to ask cost 0.03-0.13 s of each of serve's
        # one-file re-validations.
        return None
    committed = last_run_id(warehouse)
    action = catch_up(committed, live_run(warehouse), staged_runs(warehouse))
    if committed is None or action == "up-to-date":
        return None
    if action == "go-live":
        version = version_path(warehouse, committed)
    else:
        with committed_reader(warehouse) as reader:
            version = stage_datasets(reader, warehouse, committed, csv)
    go_live(warehouse, version)
    return committed


def roll_forward_if_free(warehouse: Path) -> int | None:
    """`roll_forward` under the writer lock when nobody holds it (a run that holds it publishes anyway)."""
    if not warehouse.exists():
        return None
    try:
        lock = WriterLock(warehouse).acquire(0)
    except WarehouseBusyError:
        return None
    try:
        return roll_forward(warehouse)
    finally:
        lock.release()


def _copy(run: _Run) -> None:
    run.writer_scope = run.scope.enter_context(ExitStack())
    # An enrichment lists no folder: the warehouse's own count of files decides alone.
    files = len(run.discovery.files) if hasattr(run, "discovery") else 0
    run.writer = run.writer_scope.enter_context(open_writer(run.options.warehouse, files))


def _read(run: _Run) -> None:
    """Read new and changed files, then decide ownership (reading files that newly own a slug)."""
    only = run.options.only_paths
    run.known = run.writer.known_files()
    if only is None and refuses_empty_listing(
        len(run.discovery.files), len(run.discovery.unlisted), len(run.known), allow_empty=run.options.allow_empty
    ):
        raise SeedsEmptyError(str(run.options.seeds), len(run.known))
    last_seeds = run.writer.last_seeds_dir() if only is None else ""
    missing = deletions_from_another_folder(
        last_seeds,
        str(run.seeds),
        [f.path for f in run.discovery.files] + list(run.discovery.unlisted),
        run.known,
        allow=run.options.new_seeds,
    )
    if missing:
        raise SeedsFolderChangedError(str(run.options.seeds), last_seeds, missing, len(run.known))
    run.plan = plan_changes(
        run.discovery.files,
        run.known,
        set(only) if only else None,
        unlisted=run.discovery.unlisted,
        verify=run.options.verify,
        reader=reader_version(),
    )
    health = ReadHealth()
    if run.plan.unlisted:
        folders = [f for f in run.discovery.findings if f.code == "folder-unreadable"]
        health.add_unlisted(len(run.plan.unlisted), len(run.plan.present), folders)
    # Stale files are parsed whatever their hash: the rows an older reader made of the same bytes differ.
    stale = set(run.plan.stale)
    hashes = {path: file for path, file in run.known.items() if path not in stale}
    run.touched = _read_into(run, run.plan.to_read, hashes, health)
    if not run.seeds.is_dir():
        # Every unread file would look broken and be kept as last known good: say what happened.
        raise SeedsNotFoundError(str(run.options.seeds))
    run.articles = run.writer.known_articles()

    def decide_on_staged() -> Ownership:
        run.staged = run.writer.staged_files()
        return decide(
            run.plan.present,
            run.known,
            run.staged,
            run.articles,
            check_corpus,
            unlisted=run.plan.unlisted,
            titles=run.writer.article_titles,
        )

    run.ownership = decide_on_staged()
    # Until no owner is missing its rows: a file read again may now claim another slug, which hands
    # the old one to the next claimant (found by tests/test_state_machine.py). Each round stages
    # files never staged before, so it ends.
    while run.ownership.reparse:
        _read_into(run, run.ownership.reparse, {})
        run.ownership = decide_on_staged()


def _read_into(run: _Run, paths: Sequence[str], known: dict[str, KnownFile], health: ReadHealth | None = None) -> int:
    """Read `paths` in batches and stage them; returns how many turned out unchanged."""
    items = [ReadItem(p, known[p].content_hash if p in known else None) for p in paths]
    tasks = [ReadTask(str(run.seeds), batch) for batch in chunks(items, batch_size(len(items)))]
    done = 0
    touched = 0
    health = health or ReadHealth()
    if run.progress:
        run.progress("read", 0, len(items))
    # closing(): an interrupted run stops its readers now, not when the traceback that holds this frame goes.
    reader = reader_version()
    with closing(run.runner.map("read", read_batch, tasks)) as batches:
        for batch in batches:
            health.add(batch, len(batch.files) + len(batch.unchanged))
            # Stamped here, not by the reader processes: runs compare with this process's fingerprint, and a
            # Dask worker with other versions installed would make every run read every file again.
            batch.files = [replace(file, reader=reader) for file in batch.files]
            run.writer.stage(batch)
            checkpoint("after-read-batch")
            done += len(batch.files) + len(batch.unchanged)
            touched += len(batch.unchanged)
            if run.progress:
                run.progress("read", done, len(items))
    health.finish()
    return touched


def _load(run: _Run) -> None:
    decision = plan_load(run.ownership, run.plan.deleted, run.known, run.staged, run.articles, run.discovery.findings)
    run.load = run.writer.apply(decision)
    reread = reread_unchanged(run.plan.stale, run.known, run.staged)
    run.counts = run_counts(run.plan, len(run.discovery.files), run.touched, reread)
    if run.on_findings is not None:
        # The findings are final once loaded (the rest only derives and publishes): a person
        # watching the folder sees them now, not after the publish and the commit.
        read = set(run.plan.to_read) | set(run.plan.deleted)
        run.on_findings([f for f in run.writer.summary_findings(read, FINDINGS_SHOWN) if f.source_path in read])


def _enrich(run: _Run) -> None:
    run.enriched = enrich_warehouse(run.writer, run.options.now or datetime.now(UTC), get_settings())
    # The enrichment's findings join validation_issues: the run's counts include them.
    run.load = replace(run.load, errors=run.enriched.errors, warnings=run.enriched.warnings)


def _record(run: _Run) -> None:
    run.writer.record_run(
        run_row(
            run.counts,
            run.load,
            started_at=run.started,
            trigger=run.options.trigger,
            seeds_dir=str(run.seeds),
            stage_seconds=_seconds_json(run.seconds),
            flow_run_id=run.options.flow_run_id,
        )
    )


def _publish(run: _Run) -> None:
    run.version = stage_datasets(run.writer, run.options.warehouse, run.writer.run_id, run.options.csv)
    run.findings = run.writer.summary_findings(set(run.plan.to_read) | set(run.plan.deleted), FINDINGS_SHOWN)


def _commit(run: _Run) -> None:
    """Record the final timings, then make the loaded copy the live warehouse (one rename)."""
    run.writer.set_stage_seconds(_seconds_json(run.seconds))
    run.writer_scope.close()


def _go_live(run: _Run) -> None:
    go_live(run.options.warehouse, run.version)


def _seconds_json(seconds: dict[str, float]) -> str:
    return json.dumps({k: round(v, 3) for k, v in seconds.items()})


@dataclass(frozen=True)
class Stage:
    """One step of a run, as data: `ingest` times it, runs it and reaches its fault point."""

    name: str
    run: Callable[[_Run], None]
    task: bool = False
    """Run through the StageRunner (a Prefect task, retried when transient); else inline."""
    timed: bool = True
    """Its seconds go into the summary and `runs.stage_seconds`."""
    then: str | None = None
    """Fault point reached right after it (jobpipeline.faults)."""
    commits: bool = False
    """The commit point: once it begins, SIGINT and SIGTERM no longer stop the run, which finishes
    and then says it was interrupted after the commit (jobpipeline.interrupts)."""


INGEST: tuple[Stage, ...] = (
    Stage("seeds", _seeds, timed=False),
    # Inline, not a task: a task's retries would stretch the wait past `--wait` (1 + 4 + 15 s more),
    # and the wait is the same code, with the same words on the terminal, on every route.
    Stage("lock", _lock, timed=False, then="after-lock"),
    # First, under the lock: a run stopped between its commit and its publish left `published` one run behind.
    Stage("roll-forward", _roll_forward, timed=False),
    Stage("discover", _discover, task=True),
    Stage("copy", _copy, then="after-copy"),
    Stage("read", _read, then="after-stage"),
    Stage("load", _load, task=True, then="after-apply"),
    Stage("enrich", _enrich, task=True),
    Stage("record", _record, timed=False, then="after-record-run"),
    Stage("publish", _publish, task=True, then="after-publish-staged"),
    Stage("commit", _commit, timed=False, then="after-warehouse-rename", commits=True),
    Stage("go-live", _go_live, timed=False, then="after-go-live"),
)
"""The ingest run, in order. Two more fault points sit inside stages: after-read-batch (per batch)
and in-transaction (inside the load's transaction)."""

STAGES = tuple(stage.name for stage in INGEST if stage.timed)
"""The timed stages, in run order (how summaries print their seconds)."""


def ingest(
    options: RunOptions,
    runner: StageRunner,
    *,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_findings: FindingsReady | None = None,
) -> RunSummary:
    """Run every stage once over the seeds folder and commit the result, all or nothing."""
    with ExitStack() as scope:
        run = _Run(options, runner, progress, on_wait, scope, on_findings)
        _run_stages(INGEST, run)
    plan = run.plan
    return RunSummary(
        run_id=run.load.run_id,
        seeds=str(run.seeds),
        warehouse=str(options.warehouse),
        files_seen=run.counts.seen,
        files_new=run.counts.new,
        files_changed=run.counts.changed,
        files_unchanged=run.counts.unchanged,
        files_deleted=run.counts.deleted,
        load=run.load,
        findings=run.findings,
        published=str(run.version),
        published_datasets=sorted(p.stem for p in run.version.glob("*.parquet")),
        stage_seconds=run.seconds,
        read_paths=frozenset(plan.to_read) | frozenset(plan.deleted),
        enrichment=run.enriched,
        files_reread=run.counts.reread,
    )


# -- enrichment on its own: the warehouse, never the seeds ------------------------------------------------
@dataclass
class EnrichSummary:
    """What `jobpipeline enrich` (the `jobpipeline-enrich` flow) did."""

    run_id: int
    warehouse: str
    result: EnrichResult
    published: str
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The summary as plain JSON-able data (CLI `--format json`, flow return value)."""
        return {
            "run_id": self.run_id,
            "warehouse": self.warehouse,
            "errors": self.result.errors,
            "warnings": self.result.warnings,
            "derived": self.result.derived,
            "enrichment_findings": self.result.counts(),
            "quality_checks": {status: sum(c.status == status for c in self.result.checks) for status in STATUSES},
            "quality_failed": [f"{c.check}: {c.message}" for c in self.result.failed],
            "published": self.published,
            "stage_seconds": {k: round(v, 3) for k, v in self.stage_seconds.items()},
        }


STATUSES = ("pass", "warn", "fail")


def _require_warehouse(run: _Run) -> None:
    if not run.options.warehouse.exists():
        raise WarehouseMissingError(str(run.options.warehouse), above=found_above(run.options.warehouse))


def _enrich_only(run: _Run) -> None:
    run.enriched = enrich_warehouse(run.writer, run.options.now or datetime.now(UTC), get_settings())


def _record_enrichment(run: _Run) -> None:
    rejected = run.writer.rejected_files()
    load = LoadResult(run.writer.run_id, 0, 0, [], [], rejected, run.enriched.errors, run.enriched.warnings)
    run.writer.record_run(
        run_row(
            RunCounts(0, 0, 0, 0, 0),
            load,
            started_at=run.started,
            trigger=run.options.trigger,
            seeds_dir=run.writer.last_seeds_dir(),
            stage_seconds=_seconds_json(run.seconds),
            flow_run_id=run.options.flow_run_id,
        )
    )


def _publish_enrichment(run: _Run) -> None:
    run.version = stage_datasets(run.writer, run.options.warehouse, run.writer.run_id, run.options.csv)


ENRICH: tuple[Stage, ...] = (
    Stage("check", _require_warehouse, timed=False),
    Stage("lock", _lock, timed=False, then="after-lock"),
    Stage("roll-forward", _roll_forward, timed=False),
    Stage("copy", _copy, then="after-copy"),
    Stage("enrich", _enrich_only, task=True),
    Stage("record", _record_enrichment, timed=False, then="after-record-run"),
    Stage("publish", _publish_enrichment, task=True, then="after-publish-staged"),
    Stage("commit", _commit, timed=False, then="after-warehouse-rename", commits=True),
    Stage("go-live", _go_live, timed=False, then="after-go-live"),
)
"""An enrichment on its own, in order: the ingest's stages without discover, read and load. Its
results commit and publish like a run's and get a `runs` row (trigger `enrich`, no files counted)."""


def enrich(options: RunOptions, runner: StageRunner, *, on_wait: Callable[[str], None] | None = None) -> EnrichSummary:
    """Rebuild the derived tables and run the quality checks over the committed warehouse (never the
    seeds), then commit and publish, all or nothing."""
    with ExitStack() as scope:
        run = _Run(options, runner, None, on_wait, scope)
        _run_stages(ENRICH, run)
    return EnrichSummary(
        run_id=run.writer.run_id,
        warehouse=str(options.warehouse),
        result=run.enriched,
        published=str(run.version),
        stage_seconds=run.seconds,
    )


def _run_stages(stages: Sequence[Stage], run: _Run) -> None:
    """Run `stages` in order: timing, fault points and the commit's signal hold happen here only."""
    for stage in stages:
        if stage.commits:
            hold(run.writer.run_id)
        clock = time.perf_counter()
        if stage.task:
            run.runner.stage(stage.name, stage.run, run)
        else:
            stage.run(run)
        if stage.timed:
            run.seconds[stage.name] = time.perf_counter() - clock
        if stage.then:
            checkpoint(stage.then)


class LocalRunner:
    """Stages in this process; batches in a process pool (parsing is CPU-bound: the GIL would serialize threads)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def stage(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    def map(self, name: str, fn: Callable[[B], R], items: Sequence[B]) -> Generator[R]:
        if runs_serially(items, self.workers):
            for item in items:
                yield fn(item)
            return
        yield from map_in_processes(fn, items, self.workers)


class ReaderPool(ProcessPoolExecutor):
    """A pool for read batches whose processes never outlive this one (jobpipeline.interrupts): they
    ignore SIGINT and SIGTERM, and exit when this process dies or `stop`s the pool.

    forkserver: safe when the parent has threads (Prefect's) and cheaper than spawn, since the
    server process imports the reader once."""

    def __init__(self, workers: int) -> None:
        context = get_context("forkserver")
        context.set_forkserver_preload(["jobpipeline.batches", "jobpipeline.interrupts", "jobpipeline._forkserver"])
        readers_end, self._lifeline = context.Pipe(duplex=False)
        super().__init__(max_workers=workers, mp_context=context, initializer=reader_started, initargs=(readers_end,))

    stopped = False
    """`stop` was called: a batch that fails now failed because nobody waits for it any more."""

    def stop(self) -> None:
        """Stop at once: drop the queued batches and end the readers, even mid-batch (an interrupted run)."""
        self.stopped = True
        self.shutdown(wait=False, cancel_futures=True)
        self._lifeline.close()  # every reader sees EOF and exits


def new_process_pool(workers: int) -> ReaderPool:
    return ReaderPool(workers)


def map_in_processes(fn: Callable[[B], R], items: Iterable[B], workers: int) -> Iterator[R]:
    """Yield fn(item) for each item as workers finish, within a bounded window of batches in flight."""
    pool = new_process_pool(workers)

    def submit(item: B) -> Future[R]:
        return pool.submit(fn, item)

    def next_done(pending: Iterable[Future[R]]) -> Future[R]:
        return next(as_completed(pending))

    try:
        for finished in windowed(items, submit, next_done, window_size(workers)):
            yield finished.result()
    except BaseException:  # an error, an interrupt, or the consumer closing this generator early
        pool.stop()
        raise
    pool.shutdown()


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


def validate_seeds(
    seeds: Path,
    runner: StageRunner,
    *,
    progress: Progress | None = None,
    only: frozenset[str] | None = None,
    incumbents: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Read and check every file without writing to any warehouse (what `jobpipeline validate` does).

    With `only` (files, or folders for every file under them), just those files are read in full and
    reported on; the rest of the folder is read for slugs and links alone, so corpus-wide checks still
    see everything. `incumbents` (slug -> the file whose article the warehouse holds) keep their slugs, as
    in a run.
    """
    from jobpipeline.batches import read_corpus_entries
    from jobpipeline.validate import CorpusEntry

    if not seeds.is_dir():
        raise SeedsNotFoundError(str(seeds), is_file=seeds.is_file(), above=found_above(seeds))
    discovery = discover_seeds(seeds)
    by = {f.path: named_by(f.path, only) for f in discovery.files} if only is not None else {}
    selected = [f for f in discovery.files if only is None or by[f.path] is not None]
    items = [ReadItem(f.path, None) for f in selected]
    tasks = [ReadTask(str(seeds), batch) for batch in chunks(items, batch_size(len(items)))]
    findings = [f for f in discovery.findings if only is None or named_by(f.source_path, only) is not None]
    # A path discovery already has a finding for (a name that is not UTF-8, a skipped link) is not missing;
    # one the folder's .jobpipelineignore leaves out is no article (the pre-commit hook names every file).
    named = {path for path in only or frozenset() if not discovery.ignore.ignores(path)}
    missing = sorted(named - set(by.values()) - {f.source_path for f in findings})
    findings.extend(
        Finding(
            source_path=path,
            severity="error",
            code="file-unreadable",
            message="no such seed file (*.txt or *.md; names beginning with a dot are passed over) in the seeds "
            "folder: check the path",
        )
        for path in missing
    )
    entries: list[CorpusEntry] = []
    if only is not None:
        others = [ReadItem(f.path, None) for f in discovery.files if by[f.path] is None]
        for part in runner.map(
            "scan", read_corpus_entries, [ReadTask(str(seeds), batch) for batch in chunks(others, BATCH_SIZE * 4)]
        ):
            entries.extend(part)
    done = 0
    broken: dict[str, str] = {}
    for batch in runner.map("read", read_batch, tasks):
        findings.extend(batch.findings)
        articles = batch.tables.get("articles")
        titles = dict(articles.select("source_path", "title").iter_rows()) if articles is not None else {}
        entries.extend(
            CorpusEntry(
                f.source_path, f.claimed_slug, f.related_jobs, f.related_lines, f.slug_line, titles.get(f.source_path)
            )
            for f in batch.files
            if f.parse_ok and f.claimed_slug
        )
        for f in batch.files:
            if not f.parse_ok and f.claimed_slug:  # batches finish in any order: the first path, as the plan's
                broken[f.claimed_slug] = min(f.source_path, broken.get(f.claimed_slug, f.source_path))
        done += len(batch.files)
        if progress:
            progress("read", done, len(items))
    findings.extend(
        f
        for f in check_corpus(entries, broken=broken, incumbents=incumbents).findings
        if only is None or by.get(f.source_path) is not None
    )
    findings.sort(key=lambda f: (f.source_path, f.line or 0, f.severity, f.code))
    return ValidationReport(files_seen=len(selected), findings=findings)
