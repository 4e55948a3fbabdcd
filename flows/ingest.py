"""Prefect flows: ingest the seeds folder, and re-validate files that changed.

Thin on purpose: each flow builds RunOptions, runs `jobpipeline.pipeline.ingest` with the
PrefectRunner (every stage and read batch a task), and attaches a summary artifact.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner

from flows.runner import PrefectRunner
from jobpipeline.discover import seed_relative
from jobpipeline.errors import ConfigurationError
from jobpipeline.pipeline import Progress, RunOptions, RunSummary, ingest

DEFAULT_SEEDS = "seeds"
DEFAULT_WAREHOUSE = "warehouse/jobs.duckdb"

PROGRESS: Progress | None = None
"""Set by the CLI for an in-process run so its progress bar moves; flow parameters must be JSON."""


@flow(name="jobpipeline-ingest", log_prints=True)
def ingest_flow(
    seeds: str = DEFAULT_SEEDS,
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "deployment",
    csv: bool = False,
    wait_seconds: float = 0.0,
    workers: int | None = None,
) -> dict[str, Any]:
    """Discover, read (in parallel), validate, load and publish the whole seeds folder."""
    return _run(RunOptions(seeds=Path(seeds), warehouse=Path(warehouse), trigger=trigger, csv=csv,
                           wait_seconds=wait_seconds, workers=workers))


@flow(name="jobpipeline-revalidate", log_prints=True)
def revalidate_flow(
    paths: list[str] | str,
    seeds: str = DEFAULT_SEEDS,
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "seeds-changed",
    wait_seconds: float = 0.0,
) -> dict[str, Any]:
    """Re-read only `paths` (relative to seeds, or absolute inside it), re-check corpus-wide
    references for everything, update the warehouse and the published validation report."""
    # An event carries the paths as one label, one path per line.
    listed = paths.splitlines() if isinstance(paths, str) else paths
    only = frozenset(seed_relative(Path(seeds), p.strip()) for p in listed if p.strip())
    return _run(RunOptions(seeds=Path(seeds), warehouse=Path(warehouse), trigger=trigger, only_paths=only,
                           wait_seconds=wait_seconds))


def _run(options: RunOptions) -> dict[str, Any]:
    options = replace(options, flow_run_id=str(flow_run.id) if flow_run.id else None)
    with batch_task_runner() as batch_runner:
        runner = PrefectRunner(options.workers, batch_runner=batch_runner)
        try:
            summary = ingest(options, runner, progress=PROGRESS, on_wait=print)
        finally:
            runner.close()
    _artifacts(summary)
    print(
        f"run {summary.run_id}: {summary.files_seen} seen, {summary.files_changed} changed, "
        f"{summary.files_deleted} deleted, {summary.files_rejected} rejected; "
        f"{summary.load.errors} errors, {summary.load.warnings} warnings"
    )
    return summary.record()


@contextmanager
def batch_task_runner() -> Iterator[TaskRunner[Any] | None]:
    """Where read batches run, chosen by configuration (JOBPIPELINE_TASK_RUNNER):

    - `local` (default): tasks in the flow process, each handing its batch to a process pool;
    - `dask`: a Dask cluster (`pip install 'jobpipeline[dask]'`); JOBPIPELINE_DASK_ADDRESS names a
      running scheduler, else a local cluster of JOBPIPELINE_DASK_WORKERS (2) workers is started.
    Workers only return rows: the flow process alone writes the warehouse.
    """
    choice = os.environ.get("JOBPIPELINE_TASK_RUNNER", "local").strip().lower()
    if choice in ("", "local"):
        yield None
        return
    if choice != "dask":
        raise ConfigurationError(f"JOBPIPELINE_TASK_RUNNER={choice!r} is not known: use local or dask")
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError:
        raise ConfigurationError("JOBPIPELINE_TASK_RUNNER=dask needs prefect-dask: "
                                 "uv sync --extra dask (or pip install 'jobpipeline[dask]')") from None
    address = os.environ.get("JOBPIPELINE_DASK_ADDRESS")
    workers = int(os.environ.get("JOBPIPELINE_DASK_WORKERS", "2"))
    runner = (DaskTaskRunner(address=address) if address else
              DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1}))
    with runner:
        yield runner


def _artifacts(summary: RunSummary) -> None:
    load = summary.load
    counts = [
        {"what": "files seen", "count": summary.files_seen},
        {"what": "new", "count": summary.files_new},
        {"what": "changed", "count": summary.files_changed},
        {"what": "unchanged", "count": summary.files_unchanged},
        {"what": "deleted", "count": summary.files_deleted},
        {"what": "rejected", "count": load.files_rejected},
        {"what": "articles loaded", "count": load.articles_loaded},
        {"what": "kept last known good", "count": len(load.kept_last_good)},
        {"what": "errors", "count": load.errors},
        {"what": "warnings", "count": load.warnings},
    ]
    create_table_artifact(key="jobpipeline-run-counts", table=counts,
                          description=f"jobpipeline run {summary.run_id}: what changed")
    findings = [
        {"file": f.source_path, "line": f.line, "severity": f.severity, "code": f.code, "field": f.field,
         "message": f.message}
        for f in sorted(summary.findings, key=lambda f: (f.severity != "error", f.source_path))[:200]
    ]
    if findings:
        create_table_artifact(key="jobpipeline-findings", table=findings,
                              description=f"Findings of run {summary.run_id} (first 200; errors first)")
    loud = "".join(f"\n- **{slug}** no longer reads; its last good version is kept" for slug in load.newly_broken)
    create_markdown_artifact(
        key="jobpipeline-run-summary",
        markdown=(f"# jobpipeline run {summary.run_id}\n\n{summary.files_changed} changed, "
                  f"{summary.files_deleted} deleted, {load.files_rejected} rejected.{loud}\n\n"
                  f"Published: `{summary.published}`"),
    )
