"""Prefect flows: ingest the seeds folder, and re-validate files that changed.

Thin on purpose: each flow builds RunOptions, runs `jobpipeline.pipeline.ingest` with the
PrefectRunner (every stage and read batch a task), and attaches summary artifacts.

The flows are `async def`: Prefect 3.9's engine costs ~0.2 s per async flow run against ~1.1 s
per sync one (its sync engine waits out a one-second heartbeat). The stages inside stay plain
sync tasks; they block the flow's event loop, which has nothing else to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_table_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.context import FlowRunContext, SyncClientContext
from prefect.runtime import flow_run

from jobpipeline.discover import seed_relative
from jobpipeline.interrupts import reclaimed
from jobpipeline.orchestration.dask import batch_task_runner
from jobpipeline.orchestration.deployments import SAVED_TAG
from jobpipeline.orchestration.events import emit_quality_events
from jobpipeline.orchestration.runner import PrefectRunner
from jobpipeline.pipeline import FindingsReady, Progress, RunOptions, RunSummary, enrich, ingest
from jobpipeline.settings import LOCK_WAIT_SECONDS, Settings

DEFAULT_SEEDS = str(Settings.model_fields["seeds"].default)
DEFAULT_WAREHOUSE = str(Settings.model_fields["warehouse"].default)


@dataclass(frozen=True)
class Terminal:
    """Callbacks of the caller, for a flow run in the caller's process (flow parameters must be JSON)."""

    progress: Progress | None = None
    findings: FindingsReady | None = None
    wait: Callable[[str], None] | None = None
    """Told, once, that the run waits for another run's lock (the same words `--local` prints)."""


_terminal: ContextVar[Terminal | None] = ContextVar("jobpipeline_terminal", default=None)


@contextmanager
def terminal(
    progress: Progress | None = None,
    findings: FindingsReady | None = None,
    wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Flow runs started inside this block report read progress (as well as to the UI), lock waits
    and their findings, as soon as they are loaded, to the caller."""
    token = _terminal.set(Terminal(progress, findings, wait))
    try:
        yield
    finally:
        _terminal.reset(token)


@flow(name="jobpipeline-ingest", log_prints=True)
async def ingest_flow(
    seeds: str = DEFAULT_SEEDS,
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "deployment",
    csv: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    workers: int | None = None,
    dask: str | None = None,
    verify: bool = False,
    allow_empty: bool = False,
    new_seeds: bool = False,
) -> dict[str, Any]:
    """Discover, read (in parallel), validate, load and publish the whole seeds folder.

    `dask`: read batches on the Dask scheduler at this address (`local` starts a local cluster);
    None follows the `task_runner` setting. `verify`: hash every file, whatever its size and mtime.
    `allow_empty`: a folder with no seed file may delete every article (else the run stops). `new_seeds`:
    another seeds folder than the last run's may delete the articles it lacks (else the run stops).
    """
    return await _run(
        RunOptions(
            seeds=Path(seeds),
            warehouse=Path(warehouse),
            trigger=trigger,
            csv=csv,
            wait_seconds=wait_seconds,
            workers=workers,
            verify=verify,
            allow_empty=allow_empty,
            new_seeds=new_seeds,
        ),
        dask,
    )


@flow(name="jobpipeline-revalidate", log_prints=True)
async def revalidate_flow(
    paths: list[str] | str,
    seeds: str = DEFAULT_SEEDS,
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "seeds-changed",
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> dict[str, Any]:
    """Re-read only `paths` (relative to seeds, or absolute inside it), re-check corpus-wide
    references for everything, update the warehouse and the published validation report."""
    # An event carries the paths as one label, one path per line.
    listed = paths.splitlines() if isinstance(paths, str) else paths
    only = frozenset(seed_relative(Path(seeds), p.strip()) for p in listed if p.strip())
    return await _run(
        RunOptions(
            seeds=Path(seeds), warehouse=Path(warehouse), trigger=trigger, only_paths=only, wait_seconds=wait_seconds
        )
    )


def run_trigger(
    requested: str,
    *,
    from_deployment: bool,
    auto_scheduled: bool,
    created_by: str | None,
    tags: frozenset[str] = frozenset(),
) -> str:
    """What started a flow run, for `runs.trigger`.

    A flow called in-process (`jobpipeline run`, `watch`) keeps the trigger its caller names. A
    deployment's run is told by how Prefect created it, not by the deployment's `trigger` parameter
    (which named the same `schedule` for a `prefect deployment run` typed by hand):
    - `schedule`: created by the scheduler (Prefect 3 marks it `auto_scheduled`);
    - `event`: created by an automation, i.e. a deployment trigger (`created_by.type` AUTOMATION), or
      by serve for a save its own watcher saw (tagged `jobpipeline:saved`);
    - `manual`: anything else (`prefect deployment run`, the UI's Run button, `run_deployment`).
    """
    if not from_deployment:
        return requested
    if auto_scheduled:
        return "schedule"
    if created_by == "AUTOMATION" or SAVED_TAG in tags:
        return "event"
    return "manual"


def _trigger_of_this_run(requested: str) -> str:
    context = FlowRunContext.get()
    run = context.flow_run if context else None
    if run is None:
        return requested
    return run_trigger(
        requested,
        from_deployment=run.deployment_id is not None,
        auto_scheduled=bool(run.auto_scheduled),
        created_by=run.created_by.type if run.created_by else None,
        tags=frozenset(run.tags or ()),
    )


@flow(name="jobpipeline-enrich", log_prints=True)
async def enrich_flow(
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "enrich",
    csv: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
) -> dict[str, Any]:
    """Rebuild the derived tables and salary benchmarks and run the quality checks over the warehouse
    alone (never the seeds), then commit and publish. Scheduled daily: date-dependent checks
    (`title-year-stale`, `article-not-updated`) change with no file change."""
    options = RunOptions(
        seeds=Path(DEFAULT_SEEDS),
        warehouse=Path(warehouse),
        # As for ingest: serve's scheduled deployment says `schedule`, a run of it by hand is `manual`.
        trigger=_trigger_of_this_run(trigger),
        csv=csv,
        wait_seconds=wait_seconds,
        flow_run_id=str(flow_run.id) if flow_run.id else None,
    )
    with reclaimed(), SyncClientContext.get_or_create(), PrefectRunner(None) as runner:
        summary = enrich(options, runner, on_wait=_waiting(_terminal.get() or Terminal()))
    record = summary.record()
    await acreate_table_artifact(
        key="jobpipeline-quality-checks",
        table=[
            {"check": c.check, "subject": c.subject, "status": c.status, "value": c.value, "message": c.message}
            for c in summary.result.checks
            if c.status != "pass"
        ]
        or [{"check": "all", "subject": None, "status": "pass", "value": None, "message": "every check passed"}],
        description=f"jobpipeline enrichment {summary.run_id}: corpus checks that did not pass",
    )
    emit_quality_events(summary.result, Path(warehouse))
    print(
        f"enrichment {summary.run_id}: {record['enrichment_findings']} findings; "
        f"{len(summary.result.failed)} corpus checks failed"
    )
    return record


async def _run(options: RunOptions, dask: str | None = None) -> dict[str, Any]:
    options = replace(
        options,
        flow_run_id=str(flow_run.id) if flow_run.id else None,
        trigger=_trigger_of_this_run(options.trigger),
    )
    caller = _terminal.get() or Terminal()
    progress = ProgressReport(caller.progress)
    # One sync client for the stage tasks: without it each sync task in an async flow opens its own
    # (a new connection and TLS context every time, ~40 ms each).
    with reclaimed():  # SIGINT and SIGTERM stop the run before its commit only (jobpipeline.interrupts)
        with (
            SyncClientContext.get_or_create(),
            batch_task_runner(dask) as batch_runner,
            PrefectRunner(options.workers, batch_runner=batch_runner) as runner,
        ):
            summary = ingest(options, runner, progress=progress, on_wait=_waiting(caller), on_findings=caller.findings)
        await _artifacts(summary)
    emit_quality_events(summary.enrichment, options.warehouse)
    print(
        f"run {summary.run_id}: {summary.files_seen} seen, {summary.files_changed} changed, "
        f"{summary.files_deleted} deleted, {summary.files_rejected} rejected; "
        f"{summary.load.errors} errors, {summary.load.warnings} warnings"
    )
    return summary.record()


def _waiting(caller: Terminal) -> Callable[[str], None]:
    """A lock wait goes to the run's log (the UI) and, at once, to the terminal that started it:
    a message only in Prefect's log leaves the person at the terminal waiting in silence."""
    logger = get_run_logger()

    def on_wait(message: str) -> None:
        logger.info(message)
        if caller.wait is not None:
            caller.wait(message)

    return on_wait


class ProgressReport:
    """Read progress to the terminal that started the run (if any) and to a Prefect progress
    artifact in the UI, updated at most once a second (each update is an API call)."""

    def __init__(self, terminal: Progress | None) -> None:
        self.terminal = terminal
        self.artifact_id: Any = None
        self.last_update = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.terminal is not None:
            self.terminal(stage, done, total)
        if total < PROGRESS_ARTIFACT_FROM:
            return
        now = time.monotonic()
        if done < total and now - self.last_update < 1.0:
            return
        self.last_update = now
        percent = 100.0 * done / total
        if self.artifact_id is None:
            # _sync: this callback runs inside the flow's event loop, where the plain call would
            # return a coroutine instead of creating the artifact.
            self.artifact_id = create_progress_artifact(  # type: ignore[call-arg]
                percent, key=f"jobpipeline-{stage}", description=f"{stage}: files done", _sync=True
            )
        else:
            update_progress_artifact(self.artifact_id, percent, _sync=True)  # type: ignore[call-arg]


PROGRESS_ARTIFACT_FROM = 500
"""Files a stage must have before the UI gets a progress artifact: smaller runs end within seconds."""


async def _artifacts(summary: RunSummary) -> None:
    load = summary.load
    counts = [
        {"what": "files seen", "count": summary.files_seen},
        {"what": "new", "count": summary.files_new},
        {"what": "changed", "count": summary.files_changed},
        {"what": "unchanged", "count": summary.files_unchanged},
        {"what": "read again (another jobpipeline read them)", "count": summary.files_reread},
        {"what": "deleted", "count": summary.files_deleted},
        {"what": "rejected", "count": load.files_rejected},
        {"what": "articles loaded", "count": load.articles_loaded},
        {"what": "kept last known good", "count": len(load.kept_last_good)},
        {"what": "errors", "count": load.errors},
        {"what": "warnings", "count": load.warnings},
    ]
    await acreate_table_artifact(
        key="jobpipeline-run-counts", table=counts, description=f"jobpipeline run {summary.run_id}: what changed"
    )
    findings = [
        {
            "file": f.source_path,
            "line": f.line,
            "severity": f.severity,
            "code": f.code,
            "field": f.field,
            "message": f.message,
        }
        for f in sorted(summary.findings, key=lambda f: (f.severity != "error", f.source_path))[:200]
    ]
    if findings:
        await acreate_table_artifact(
            key="jobpipeline-findings",
            table=findings,
            description=f"Findings of run {summary.run_id} (first 200; errors first)",
        )
    loud = "".join(f"\n- **{slug}** no longer reads; its last good version is kept" for slug in load.newly_broken)
    await acreate_markdown_artifact(
        key="jobpipeline-run-summary",
        markdown=(
            f"# jobpipeline run {summary.run_id}\n\n{summary.files_changed} changed, "
            f"{summary.files_deleted} deleted, {load.files_rejected} rejected.{loud}\n\n"
            f"Published: `{summary.published}`"
        ),
    )
