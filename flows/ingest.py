"""Prefect flows: ingest the seeds folder, and re-validate files that changed.

Thin on purpose: each flow builds RunOptions, runs `jobpipeline.pipeline.ingest` with the
PrefectRunner (every stage and read batch a task), and attaches a summary artifact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from flows.runner import PrefectRunner
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
    paths: list[str],
    seeds: str = DEFAULT_SEEDS,
    warehouse: str = DEFAULT_WAREHOUSE,
    trigger: str = "seeds-changed",
    wait_seconds: float = 0.0,
) -> dict[str, Any]:
    """Re-read only `paths` (relative to seeds, or absolute inside it), re-check corpus-wide
    references for everything, update the warehouse and the published validation report."""
    root = Path(seeds).resolve()
    only = frozenset(_relative(root, p) for p in paths)
    return _run(RunOptions(seeds=Path(seeds), warehouse=Path(warehouse), trigger=trigger, only_paths=only,
                           wait_seconds=wait_seconds))


def _relative(root: Path, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def _run(options: RunOptions) -> dict[str, Any]:
    from dataclasses import replace

    options = replace(options, flow_run_id=str(flow_run.id) if flow_run.id else None)
    runner = PrefectRunner(options.workers)
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
