"""Issue 17's targets for the default route, measured side by side in one run with real processes:

- each error case (missing seeds folder, unwritable warehouse, a held lock with `--wait 0`): the lines
  on the terminal and the wall time, through Prefect (managed server, warm) and with `--local`;
- `serve`: a save in its folder -> the save's finding in `validation_issues` (polled read-only), 10 saves,
  with serve's own account of each run (due -> picked up, ran);
- a no-change `run` through Prefect (server warm) against `run --local`, alternated, medians and ratio.

    uv run python benchmarks/default_route.py            # prints the figures (markdown)

Everything runs under a temporary PREFECT_HOME; the managed server it starts and `serve` are stopped
in a `finally`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from _serve import running_serve

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_d9b025f51903baf0.txt"


def jobpipeline(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobpipeline.cli", *args]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    started = time.perf_counter()
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return seconds, result.returncode, lines


def error_cases(work: Path, env: dict[str, str]) -> list[dict[str, object]]:
    seeds = work / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds)
    warehouse = work / "w" / "jobs.duckdb"
    blocker = work / "a-file"
    blocker.write_text("not a folder")
    subprocess.run(jobpipeline("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse)), env=env)
    cases = {
        "missing seeds folder": ["--seeds", str(work / "nope"), "--warehouse", str(warehouse)],
        "unwritable warehouse": ["--seeds", str(seeds), "--warehouse", str(blocker / "jobs.duckdb")],
        "lock held, --wait 0": ["--seeds", str(seeds), "--warehouse", str(warehouse), "--wait", "0"],
    }
    rows = []
    with open(str(warehouse) + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held for the third case; the first two never reach it
        lock.write("pid 4242 (the benchmark)")
        lock.flush()
        for name, args in cases.items():
            prefect = timed(jobpipeline("run", *args), env)
            local = timed(jobpipeline("run", "--local", *args), env)
            rows.append(
                {
                    "case": name,
                    "prefect_s": round(prefect[0], 2),
                    "local_s": round(local[0], 2),
                    "exit": (prefect[1], local[1]),
                    "lines": (len(prefect[2]), len(local[2])),
                    "same": prefect[2] == local[2],
                    "text": prefect[2],
                }
            )
    return rows


def serve_latencies(work: Path, env: dict[str, str], saves: int) -> tuple[list[float], list[str]]:
    seeds = work / "serve-seeds"
    seeds.mkdir()
    target = seeds / SEED.name
    shutil.copy(SEED, target)
    warehouse = work / "serve-w" / "jobs.duckdb"
    subprocess.run(jobpipeline("run", "--seeds", str(seeds), "--warehouse", str(warehouse)), env=env, check=True)
    latencies = []
    serve_args = ["--seeds", str(seeds), "--warehouse", str(warehouse), "--interval", "3600"]
    with running_serve(serve_args, env, ready_timeout=120) as output:
        time.sleep(2)  # the watcher is up; the first scheduled ingest has run
        original = target.read_text(encoding="utf-8")
        for i in range(saves):
            slug = f"bench_ghost_{i}"
            target.write_text(
                original.replace('"related_jobs": [', f'"related_jobs": ["{slug}", ', 1), encoding="utf-8"
            )
            saved = time.perf_counter()
            while time.perf_counter() - saved < 60:
                try:
                    conn = duckdb.connect(str(warehouse), read_only=True)
                    try:
                        found = conn.execute(
                            "SELECT count(*) FROM validation_issues WHERE message LIKE ?", [f"%`{slug}`%"]
                        ).fetchone()
                    finally:
                        conn.close()
                    if found and found[0]:
                        break
                except duckdb.Error:
                    pass  # the rename window: try again
                time.sleep(0.02)
            latencies.append(time.perf_counter() - saved)
            time.sleep(1.0)
    return latencies, output


def no_change_ratio(work: Path, env: dict[str, str], rounds: int) -> tuple[float, float]:
    seeds = work / "ratio-seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds)
    warehouse = work / "ratio-w" / "jobs.duckdb"
    args = ["--seeds", str(seeds), "--warehouse", str(warehouse)]
    subprocess.run(jobpipeline("run", *args), env=env, check=True, capture_output=True)
    prefect, local = [], []
    for _ in range(rounds):
        prefect.append(timed(jobpipeline("run", *args), env)[0])
        local.append(timed(jobpipeline("run", "--local", *args), env)[0])
    return statistics.median(prefect), statistics.median(local)


def print_serve(latencies: list[float], output: list[str]) -> None:
    ordered = sorted(latencies)
    print(
        f"\nserve, save -> finding in validation_issues over {len(latencies)} saves: median "
        f"{statistics.median(latencies):.2f} s, worst {ordered[-1]:.2f} s; all: "
        + ", ".join(f"{x:.2f}" for x in latencies)
    )
    print("serve's own account of each run:")
    for line in output:
        if "picked up" in line:
            print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--serve-only", action="store_true", help="only the serve latencies")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jobpipeline-default-route-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "JOBPIPELINE_PREFECT_SERVER"}
    env["PREFECT_HOME"] = str(work / "prefect-home")
    try:
        subprocess.run(jobpipeline("server", "start"), env=env, check=True, capture_output=True, timeout=180)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        if args.serve_only:
            print_serve(*serve_latencies(work, env, args.saves))
            return
        print("\n| error case | Prefect route | `--local` | exit | terminal lines | same lines |")
        print("|---|---:|---:|---|---|---|")
        for row in error_cases(work, env):
            print(
                f"| {row['case']} | {row['prefect_s']:.2f} s | {row['local_s']:.2f} s | {row['exit']} | "
                f"{row['lines']} | {'yes' if row['same'] else 'no'} |"
            )
            for line in row["text"]:  # type: ignore[attr-defined]
                print(f"|  | `{line}` |||||")
        prefect_s, local_s = no_change_ratio(work, env, 5)
        print(
            f"\nno-change run, median of 5: through Prefect {prefect_s:.2f} s, --local {local_s:.2f} s "
            f"= {prefect_s / local_s:.2f}x"
        )
        print_serve(*serve_latencies(work, env, args.saves))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        subprocess.run(jobpipeline("server", "stop"), env=env, capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
