"""What one DuckDB thread saves a load below `SINGLE_THREAD_BELOW` files, and what it costs at the threshold.

Two runs of the same corpus side by side: with the rule (`warehouse.writer_threads`), and with DuckDB's
default (one thread per core) forced. First the everyday case: a small corpus (`--small`, default 12
articles) loaded once, then `--rounds` runs that each see one edited file; the script prints the CPU
and wall seconds of a run (median), in this process, with the local runner. Then a first load of
`--large` articles (default 1,999: the largest corpus the rule keeps on one thread), printing the
load, enrich and publish stages, which are all the writer's work.

    uv run python benchmarks/writer_threads.py [--small 12] [--rounds 15] [--large 1999]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jobpipeline.warehouse as warehouse
from jobpipeline.pipeline import LocalRunner, RunOptions, RunSummary, ingest
from jobpipeline.synth import generate_corpus

RULE = warehouse.writer_threads


def duckdb_default(files: int) -> int | None:
    return None


def with_threads(rule: Callable[[int], int | None], run: Callable[[], RunSummary]) -> tuple[RunSummary, float, float]:
    """Run with `rule` deciding the writer's threads; the summary, CPU and wall seconds of this process."""
    warehouse.writer_threads = rule
    try:
        before, began = os.times(), time.perf_counter()
        summary = run()
        after = os.times()
        return summary, (after.user + after.system) - (before.user + before.system), time.perf_counter() - began
    finally:
        warehouse.writer_threads = RULE


def load(seeds: Path, target: Path) -> Callable[[], RunSummary]:
    return lambda: ingest(RunOptions(seeds=seeds, warehouse=target), LocalRunner(workers=2))


def everyday(root: Path, articles: int, rounds: int) -> None:
    seeds = root / "small"
    generate_corpus(seeds, articles, seed=1)
    edited = sorted(seeds.rglob("*.txt"))[0]
    print(f"one edited file in {articles} articles, {rounds} runs each, interleaved (median per run):")
    rules = {"one thread (the rule)": RULE, "DuckDB default": duckdb_default}
    targets = {name: root / f"small-{rule.__name__}" / "jobs.duckdb" for name, rule in rules.items()}
    for name, rule in rules.items():
        with_threads(rule, load(seeds, targets[name]))
    cpu: dict[str, list[float]] = {name: [] for name in rules}
    wall: dict[str, list[float]] = {name: [] for name in rules}
    for _ in range(rounds):
        with edited.open("a", encoding="utf-8") as handle:
            handle.write("\n")
        for name, rule in rules.items():  # one after the other: a busy moment of the machine hits both
            _, seconds_cpu, seconds_wall = with_threads(rule, load(seeds, targets[name]))
            cpu[name].append(seconds_cpu)
            wall[name].append(seconds_wall)
    for name in rules:
        print(f"  {name:24} cpu {statistics.median(cpu[name]):.3f} s   wall {statistics.median(wall[name]):.3f} s")


def first_load(root: Path, articles: int) -> None:
    seeds = root / "large"
    generate_corpus(seeds, articles, seed=1)
    print(f"first load of {articles} articles (the writer's stages, wall seconds):")
    for name, rule in (("one thread (the rule)", RULE), ("DuckDB default", duckdb_default)):
        target = root / f"large-{rule.__name__}" / "jobs.duckdb"
        summary, _, wall = with_threads(rule, load(seeds, target))
        stages = ", ".join(f"{k} {summary.stage_seconds[k]:.2f}" for k in ("load", "enrich", "publish"))
        print(f"  {name:24} {stages}   (whole run {wall:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--large", type=int, default=warehouse.SINGLE_THREAD_BELOW - 1)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; DuckDB threads below {warehouse.SINGLE_THREAD_BELOW} files: 1")
    with tempfile.TemporaryDirectory(prefix="jobpipeline-threads-") as tmp:
        everyday(Path(tmp), args.small, args.rounds)
        if args.large:
            first_load(Path(tmp), args.large)


if __name__ == "__main__":
    main()
