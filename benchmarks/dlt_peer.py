"""The peer: what a data engineer would write with dlt instead of jobpipeline, on the same seeds folder.

An ordinary dlt pipeline, the way dlt's docs write one:

- dlt's `filesystem` source lists the seed files, with `dlt.sources.incremental("modification_date")` as the
  cursor: dlt keeps the last modification date in the pipeline state, so a rerun lists every file but hands on
  only those saved since the last run (its file-level incremental; there is no hand-rolled change detection).
- a transformer reads each file with the project's own reader (`jobpipeline.read.read_article`, the same code
  jobpipeline runs) and turns the article into rows with `jobpipeline.rows.article_rows`: one `articles` row with
  its salary bands, sections, skills, tools, career stages, interview questions, tags, keywords, related links and
  warnings nested as lists, which dlt normalizes into child tables (`articles__salary_bands`, ...).
- `articles` has `write_disposition="merge"` and `primary_key="slug"`: an edited article replaces its row and
  dlt's delete-insert merge replaces its child rows.
- the destination is a DuckDB file.

The transformer parses in the pipeline's own process, as a dlt transformer does. `--workers N` parses each page
of files on a process pool instead; on this 2-core machine, shared with other work, the pool measured slower
(3.2 s against 2.0 s for 300 articles, and a 5 s forkserver start), so it is off by default.

What it does not do, and jobpipeline does: rejected files are counted and dropped (no findings table, no last
known good), a deleted file's article stays (the incremental cursor only sees new modification dates), and there
are no corpus-wide link checks, history tables or published datasets.

One run per process, so a benchmark can time it from outside:

    uv run --group bench python benchmarks/dlt_peer.py --seeds seeds --destination /tmp/peer/peer.duckdb
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # before dlt reads its config

import dlt
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.sources.filesystem import filesystem

from jobpipeline.models import ReadResult
from jobpipeline.read import read_article
from jobpipeline.rows import article_rows

SEED_SUFFIXES = (".txt", ".md")
LINEAGE = ("source_path", "content_hash")


def article_record(result: ReadResult) -> dict[str, Any] | None:
    """One `articles` row with every child table nested as a list (None for a rejected file)."""
    if result.article is None:
        return None
    tables = article_rows(result.article)
    record = dict(tables.pop("articles")[0])
    for name, rows in tables.items():
        # The parent row carries the file's lineage; dlt links children to it by _dlt_parent_id.
        record[name] = [{k: v for k, v in row.items() if k not in LINEAGE} for row in rows]
    record["warnings"] = [f.model_dump(exclude={"source_path", "slug", "severity"}) for f in result.findings]
    return record


def read_record(data: bytes, path: str) -> dict[str, Any] | None:
    """Read one file with the project's reader; its `articles` record (None for a rejected file)."""
    return article_record(read_article(data, path))


class Counts:
    """What the transformer saw, printed after the run."""

    files_read = 0
    articles = 0
    rejected = 0


def seeds_source(seeds: Path, pool: Executor | None) -> Any:
    """The seed files, incrementally by modification date, piped into the reader."""
    files = filesystem(bucket_url=seeds.resolve().as_uri(), file_glob="**/*")
    files.add_filter(lambda item: item["file_name"].endswith(SEED_SUFFIXES))
    files.apply_hints(incremental=dlt.sources.incremental("modification_date"))

    # extra_fields is null for most articles: without a hint dlt cannot infer its type.
    @dlt.transformer(
        name="articles", write_disposition="merge", primary_key="slug", columns={"extra_fields": {"data_type": "text"}}
    )
    def articles(page: list[FileItemDict]) -> Iterator[dict[str, Any]]:
        data = [item.read_bytes() for item in page]
        paths = [item["relative_path"] for item in page]
        # Workers hand back plain rows, not models: cheaper to pickle.
        records = pool.map(read_record, data, paths) if pool else map(read_record, data, paths)
        for record in records:
            Counts.files_read += 1
            if record is None:
                Counts.rejected += 1
                continue
            Counts.articles += 1
            yield record

    return files | articles


def run(seeds: Path, destination: Path, pipelines_dir: Path, workers: int) -> dict[str, Any]:
    """Run the peer pipeline once; what it read and loaded, and its seconds (inside the process)."""
    started = time.perf_counter()
    destination.parent.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name="jobpipeline_peer",
        pipelines_dir=str(pipelines_dir),
        destination=dlt.destinations.duckdb(str(destination)),
        dataset_name="seeds",
    )
    pool = None
    if workers > 1:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))
    try:
        info = pipeline.run(seeds_source(seeds, pool))
    finally:
        if pool is not None:
            pool.shutdown()
    trace = pipeline.last_trace
    steps = {
        str(step.step): round((step.finished_at - step.started_at).total_seconds(), 3)
        for step in (trace.steps if trace else [])
        if step.finished_at and step.step in ("extract", "normalize", "load")
    }
    return {
        "files_read": Counts.files_read,
        "articles": Counts.articles,
        "rejected": Counts.rejected,
        "load_packages": len(info.loads_ids),
        "has_failed_jobs": info.has_failed_jobs,
        "seconds_in_process": round(time.perf_counter() - started, 3),
        "step_seconds": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--destination", type=Path, required=True, help="the DuckDB file to load")
    parser.add_argument("--pipelines-dir", type=Path, help="dlt's working folder (default: beside the destination)")
    parser.add_argument("--workers", type=int, default=1, help="reader processes (default 1: none)")
    args = parser.parse_args()
    pipelines_dir = args.pipelines_dir or args.destination.parent / "dlt-pipelines"
    summary = run(args.seeds, args.destination, pipelines_dir, args.workers)
    print(json.dumps(summary))
    sys.exit(1 if summary["has_failed_jobs"] else 0)


if __name__ == "__main__":
    main()
