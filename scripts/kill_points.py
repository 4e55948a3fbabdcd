"""Crash-consistency sweep: SIGKILL a run at every fault point, in two scenarios, and check the result.

    uv run python scripts/kill_points.py            # all points x both scenarios, 2 at a time
    uv run python scripts/kill_points.py --jobs 4 --keep /tmp/kills

For every point in `jobpipeline.faults.POINTS` and each scenario

- cold: the first run ever, on an empty warehouse folder;
- incremental: a second run after one article was edited, one deleted and one added;

a real `jobpipeline run --local` process is killed there (JOBPIPELINE_KILL_AT). Then:

1. the warehouse (what a reader sees: every table, every column but clocks and absolute paths) is
   exactly the previous state or the new one;
2. the published datasets are exactly the previous or the new ones (every file matching the
   manifest's sha256), and the warehouse's last run (one run behind only when killed between the
   warehouse's rename and the datasets' swap, the one point two renames cannot close);
3. the next run completes, leaves no `.next` copy or half-built dataset folder behind, and its
   warehouse and datasets equal those of a clean run that was never killed.

"New" is what a clean run produces from the same files (computed once per scenario). Run ids and
timestamps are left out of the comparison only where a committed-then-killed run legitimately adds
a "nothing changed" run. Prints one row per kill point; exits 1 if any row fails. Takes ~2 minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from jobpipeline import schema
from jobpipeline.faults import POINTS

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("cold", "incremental")

VOLATILE = {"mtime_ns", "read_ns", "started_at", "finished_at", "seeds_dir", "stage_seconds", "flow_run_id"}
"""Columns that differ between two folders holding the same files (clocks and absolute paths)."""
TABLES = [spec.name for spec in schema.TABLES if spec.name != "runs"] + list(schema.DERIVED)
"""Every table a reader may query (runs is compared apart: a killed-after-commit run adds a no-op run)."""
RUNS = (
    "run_id, status, files_seen, files_new, files_changed, files_unchanged, files_deleted, files_rejected, "
    "articles_loaded, articles_removed"
)
RENAME_WINDOW = "after-warehouse-rename"
"""Between the warehouse's rename and the datasets' swap: the datasets are one run behind until the next run."""


def article(slug: str, *, related: tuple[str, ...] = (), salary: str = "450〜700", title: str | None = None) -> str:
    front = {
        "slug": slug,
        "title": title or f"{slug}の年収・将来性は？",
        "category": "ai-data",
        "meta_description": f"{slug} の説明",
        "tags": ["Python", "Kubernetes"],
        "keywords": ["キャリア"],
        "related_jobs": list(related),
        "thumbnail": f"/static/img/{slug}.png",
        "hero_image": f"/static/img/{slug}_hero.png",
    }
    return (
        "---json\n" + json.dumps(front, ensure_ascii=False, indent=2) + "\n---\n\n## 💰 日本での推定年収\n\n"
        "| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |\n"
        f"| ジュニア (0-3年) | {salary} | 補助 |\n| シニア (7年以上) | 1,100〜1,800+ | 統括 |\n\n"
        "# タイトル\n\n## 概要\n\n本文。\n\n#推奨タグ\n`#Python`\n"
    )


def write_first(seeds: Path) -> None:
    seeds.mkdir(parents=True)
    (seeds / "a.txt").write_text(article("alpha", related=("beta", "gamma")), encoding="utf-8")
    (seeds / "b.txt").write_text(article("beta"), encoding="utf-8")
    (seeds / "c.txt").write_text(article("gamma"), encoding="utf-8")
    (seeds / "sub").mkdir()
    (seeds / "sub" / "broken.txt").write_text('---json\n{"slug": "broken",\n---\n', encoding="utf-8")


def write_edits(seeds: Path) -> None:
    (seeds / "a.txt").write_text(
        article("alpha", related=("beta", "delta"), salary="2,000万円以上", title="改訂"), encoding="utf-8"
    )
    (seeds / "c.txt").unlink()
    (seeds / "d.txt").write_text(article("delta", related=("alpha",)), encoding="utf-8")


def run(seeds: Path, warehouse: Path, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING"}
    env.pop("JOBPIPELINE_KILL_AT", None)
    if kill_at:
        env["JOBPIPELINE_KILL_AT"] = kill_at
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "run",
            "--local",
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def warehouse_state(warehouse: Path) -> dict[str, Any] | None:
    """What a reader of the live file sees (None: no warehouse yet)."""
    if not warehouse.exists():
        return None
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        state: dict[str, Any] = {}
        for name in TABLES:
            # validation_issues is rewritten by every run, a no-op run too: its run_id is the newest run's.
            volatile = VOLATILE | ({"run_id"} if name == "validation_issues" else set())
            columns = [r[0] for r in conn.execute(f"DESCRIBE {name}").fetchall() if r[0] not in volatile]
            state[name] = conn.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY ALL").fetchall()
        state["runs"] = conn.execute(f"SELECT {RUNS} FROM runs ORDER BY run_id").fetchall()
        return state
    finally:
        conn.close()


def published_state(warehouse: Path) -> dict[str, Any] | None:
    """The live datasets, checked file by file against the manifest (None: nothing published yet)."""
    link = warehouse.parent / "published"
    if not link.exists():
        return None
    directory = link.resolve()  # resolve once, as a careful reader does
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    state: dict[str, Any] = {"run_id": manifest["run_id"]}
    conn = duckdb.connect()
    try:
        for dataset in manifest["datasets"]:
            file = directory / dataset["file"]
            if hashlib.sha256(file.read_bytes()).hexdigest() != dataset["sha256"]:
                raise AssertionError(f"{file} does not match the manifest")
            columns = [c["name"] for c in dataset["columns"] if c["name"] != "run_id"]
            select = ", ".join(f'"{c}"' for c in columns)
            state[dataset["name"]] = conn.execute(
                f"SELECT {select} FROM read_parquet('{file}') ORDER BY ALL"
            ).fetchall()
    finally:
        conn.close()
    return state


def same_data(a: dict[str, Any] | None, b: dict[str, Any] | None, *, extra_noop_runs: bool = False) -> bool:
    """Equal states; with `extra_noop_runs`, `a` may also hold trailing "nothing changed" runs."""
    if a is None or b is None:
        return a is b
    if {k: v for k, v in a.items() if k not in ("runs", "validation_issues")} != {
        k: v for k, v in b.items() if k not in ("runs", "validation_issues")
    }:
        return False
    if a["validation_issues"] != b["validation_issues"]:
        return False
    runs_a, runs_b = a["runs"], b["runs"]
    if not extra_noop_runs:
        return bool(runs_a == runs_b)
    extra = runs_a[len(runs_b) :]
    # a no-op run: nothing new, changed or deleted, nothing loaded or removed
    return runs_a[: len(runs_b)] == runs_b and all(r[3] == r[4] == r[6] == r[8] == r[9] == 0 for r in extra)


def same_published(a: dict[str, Any] | None, b: dict[str, Any] | None, *, any_run: bool = False) -> bool:
    if a is None or b is None:
        return a is b
    if not any_run and a["run_id"] != b["run_id"]:
        return False
    return {k: v for k, v in a.items() if k != "run_id"} == {k: v for k, v in b.items() if k != "run_id"}


def prepare(directory: Path, scenario: str) -> tuple[Path, Path]:
    seeds, warehouse = directory / "seeds", directory / "wh" / "jobs.duckdb"
    write_first(seeds)
    if scenario == "incremental":
        first = run(seeds, warehouse)
        if first.returncode != 0:
            raise RuntimeError(f"setup run failed: {first.stderr}")
        write_edits(seeds)
    return seeds, warehouse


@dataclass
class Reference:
    before_warehouse: dict[str, Any] | None
    before_published: dict[str, Any] | None
    after_warehouse: dict[str, Any] | None
    after_published: dict[str, Any] | None


def reference(root: Path, scenario: str) -> Reference:
    seeds, warehouse = prepare(root / f"reference-{scenario}", scenario)
    before = Reference(warehouse_state(warehouse), published_state(warehouse), None, None)
    clean = run(seeds, warehouse)
    if clean.returncode != 0:
        raise RuntimeError(f"clean run failed: {clean.stderr}")
    before.after_warehouse, before.after_published = warehouse_state(warehouse), published_state(warehouse)
    # Otherwise "previous or new" would prove nothing.
    if same_data(before.before_warehouse, before.after_warehouse) or same_published(
        before.before_published, before.after_published
    ):
        raise RuntimeError(f"the {scenario} scenario does not change the warehouse and the datasets")
    return before


@dataclass
class Result:
    scenario: str
    point: str
    killed: bool
    warehouse: str
    published: str
    same_run: str
    next_run: str
    final: str
    seconds: float

    @property
    def ok(self) -> bool:
        return (
            self.killed
            and self.warehouse in ("previous", "new")
            and self.published in ("previous", "new")
            and self.same_run in ("yes", "window")
            and self.next_run == "ok"
            and self.final == "= clean run"
        )


def classify(state: Any, ref: Reference, *, published: bool) -> str:
    compare = same_published if published else same_data
    before, after = (
        (ref.before_published, ref.after_published) if published else (ref.before_warehouse, ref.after_warehouse)
    )
    if compare(state, before):
        return "previous"
    if compare(state, after):
        return "new"
    return "MIXED"


def kill_case(root: Path, scenario: str, point: str, ref: Reference) -> Result:
    started = time.monotonic()
    seeds, warehouse = prepare(root / f"{scenario}-{point}", scenario)
    killed = run(seeds, warehouse, kill_at=point).returncode == -9
    try:
        wh = classify(warehouse_state(warehouse), ref, published=False)
    except Exception as exc:  # a reader could not even open it
        wh = f"UNREADABLE ({type(exc).__name__})"
    try:
        pub = classify(published_state(warehouse), ref, published=True)
    except Exception as exc:
        pub = f"BROKEN ({type(exc).__name__})"
    if pub == "new" and wh != "new":
        pub = "NEWER THAN WAREHOUSE"
    same_run = same_run_of(warehouse, point)
    after = run(seeds, warehouse)
    next_run = "ok" if after.returncode == 0 and "Traceback" not in after.stderr else f"FAILED ({after.returncode})"
    leftovers = [p.name for p in [*warehouse.parent.glob("*.next*"), *warehouse.parent.glob(".published/.building-*")]]
    final_ok = same_data(warehouse_state(warehouse), ref.after_warehouse, extra_noop_runs=True) and same_published(
        published_state(warehouse), ref.after_published, any_run=True
    )
    final = (
        "= clean run"
        if final_ok and not leftovers
        else ("leftovers " + ",".join(leftovers) if leftovers else "DIFFERS")
    )
    return Result(scenario, point, killed, wh, pub, same_run, next_run, final, time.monotonic() - started)


def same_run_of(warehouse: Path, point: str) -> str:
    """Whether the datasets are the warehouse's last run: yes; `window` (one run behind, only where the
    run was killed between the two renames); or NO."""
    try:
        state, published = warehouse_state(warehouse), published_state(warehouse)
    except Exception as exc:
        return f"NO ({type(exc).__name__})"
    last = state["runs"][-1][0] if state and state["runs"] else None
    run = published["run_id"] if published else None
    if run == last:
        return "yes"
    if point == RENAME_WINDOW and (run or 0) == (last or 0) - 1:
        return "window"
    return "NO"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="kill cases run at once (default 2)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--points", nargs="*", default=list(POINTS), help="fault points (default: all)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="kill-points-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            refs = dict(zip(SCENARIOS, pool.map(lambda s: reference(root, s), SCENARIOS), strict=True))
            cases = [(s, p) for s in SCENARIOS for p in args.points]
            results = list(pool.map(lambda case: kill_case(root, case[0], case[1], refs[case[0]]), cases))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    header = (
        f"{'scenario':12} {'kill point':24} {'killed':6} {'warehouse':10} {'published':10} {'same run':8} "
        f"{'next run':9} {'final state':14} {'secs':>5}  result"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.scenario:12} {r.point:24} {'yes' if r.killed else 'NO':6} {r.warehouse:10} {r.published:10} "
            f"{r.same_run:8} {r.next_run:9} {r.final:14} {r.seconds:5.1f}  {'ok' if r.ok else 'FAIL'}"
        )
    failed = [r for r in results if not r.ok]
    print(
        f"\n{len(results)} kill points, {len(results) - len(failed)} ok, {len(failed)} failed "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
