"""Seconds `jobpipeline enrich` takes at a large corpus (issue 18's target: ≤ 3 s of the flow's work at 100,000).

Reading 100,000 synthetic files takes far too long on a shared machine, so the warehouse is built
by ingesting a small synthetic corpus (`--base`, 500 articles) and copying its rows in DuckDB with
renamed slugs and paths until it holds `--n` articles (the enrichment never reads the seeds, so
only the tables matter). Then `enrich` runs with the local runner, and the script prints the
seconds of each stage: `enrich` (derived tables, benchmarks, every quality check) is the flow's
work; `copy` and `publish` are the copy-on-write and Parquet export every commit pays.

    uv run python benchmarks/enrich_speed.py [--n 100000] [--base 500] [--rounds 3] [--keep DIR]

Each round prints the stages and the parts of `enrich` (derived tables, reading what the checks need,
the checks, writing their findings) in wall and CPU seconds. With `--keep DIR` the amplified
warehouse is kept, and a later call with the same folder reuses it (building it takes minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from jobpipeline import schema
from jobpipeline.pipeline import LocalRunner, RunOptions, enrich, ingest
from jobpipeline.synth import generate_corpus


def amplify(warehouse: Path, copies: int) -> None:
    """Append `copies` renamed copies of every article (and its files and history rows)."""
    conn = duckdb.connect(str(warehouse))
    try:
        tables = [spec.name for spec in schema.ARTICLE_TABLES] + ["article_history", "salary_band_history"]
        for k in range(1, copies):
            suffix = f"__copy{k}"
            for table in tables:
                renamed = f"slug || '{suffix}' AS slug, source_path || '{suffix}' AS source_path"
                if table == "related_job_links":
                    renamed += f", related_slug || '{suffix}' AS related_slug"
                conn.execute(
                    f"INSERT INTO {table} SELECT * REPLACE ({renamed}) FROM {table} WHERE NOT contains(slug, '__copy')"
                )
            conn.execute(
                f"INSERT INTO files SELECT * REPLACE (source_path || '{suffix}' AS source_path) FROM files "
                "WHERE NOT contains(source_path, '__copy')"
            )
        conn.execute("CHECKPOINT")
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Build the warehouse here and keep it (default: a temp folder).")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="enrich-speed-"))
    try:
        warehouse = root / "w" / "jobs.duckdb"
        if not warehouse.exists():
            generate_corpus(root / "seeds", args.base, seed=1)
            ingest(RunOptions(seeds=root / "seeds", warehouse=warehouse), LocalRunner())
            amplify(warehouse, max(1, args.n // args.base))
        conn = duckdb.connect(str(warehouse), read_only=True)
        articles, bands = conn.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM salary_bands)"
        ).fetchall()[0]
        conn.close()
        print(f"warehouse: {articles:,} articles, {bands:,} salary bands, {warehouse.stat().st_size / 1e6:.0f} MB")
        for round_ in range(args.rounds):
            start, cpu = time.perf_counter(), time.process_time()
            summary = enrich(RunOptions(seeds=root / "seeds", warehouse=warehouse, trigger="enrich"), LocalRunner())
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in summary.stage_seconds.items())
            found = summary.result.counts()
            # CPU time (this process, DuckDB's threads included) is the figure a loaded shared machine distorts least.
            parts = ", ".join(
                f"{k} {wall:.2f}s/{part_cpu:.2f}s" for k, (wall, part_cpu) in summary.result.parts.items()
            )
            print(f"round {round_ + 1}: total {total:.2f}s wall, {cpu:.2f}s CPU ({stages}); findings {found}")
            print(f"  enrich parts (wall/CPU): {parts}; load average {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
