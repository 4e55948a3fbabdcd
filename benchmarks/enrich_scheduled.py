"""Seconds of a scheduled `jobpipeline-enrich` run on an unchanged corpus through a warm server (issue 18: ≤ 2 s).

Real processes: a temporary PREFECT_HOME, the managed Prefect server (started by a first `jobpipeline
run`), and `jobpipeline serve`, which runs its deployments' flow runs in its own warm process. Each round
creates a run of serve's enrich deployment, due now (what the daily schedule does at 04:00), and waits
for it to finish; it prints, per round, the seconds from the run's creation to its end (pickup
included: serve polls every `--poll` seconds), the flow run's own start-to-end, and the stages it
recorded in `runs`. The corpus never changes between rounds.

    uv run python benchmarks/enrich_scheduled.py [--n 2000] [--rounds 5] [--poll 0.5] [--gap 5]

`--n 0` uses the bundled seed article. Everything it starts is stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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


def api_url(env: dict[str, str]) -> str:
    status = subprocess.run(jobpipeline("server", "status"), env=env, capture_output=True, text=True, check=True)
    for line in status.stdout.splitlines():
        if line.startswith("PREFECT_API_URL="):
            return line.split("=", 1)[1].strip()
    raise SystemExit(f"no managed server:\n{status.stdout}{status.stderr}")


def last_run(warehouse: Path) -> tuple[int, str, dict[str, float]]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        run_id, trigger, stages = conn.execute(
            "SELECT run_id, trigger, stage_seconds FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        conn.close()
    return int(run_id), str(trigger), json.loads(stages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="synthetic articles (0: the bundled seed)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--poll", type=float, default=0.5, help="serve --poll (its default)")
    parser.add_argument(
        "--gap",
        type=float,
        default=5.0,
        help="seconds between rounds: a daily run finds a server that has long recorded the previous run's "
        "events (up to 200 jobpipeline.article.stale); back to back (--gap 0) serve's pickup waits ~2 s for it",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="enrich-scheduled-"))
    env = {
        **os.environ,
        "PREFECT_HOME": str(work / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
    }
    env.pop("PREFECT_API_URL", None)
    seeds, warehouse = work / "seeds", work / "w" / "jobs.duckdb"
    stack = contextlib.ExitStack()  # serve, once started
    try:
        if args.n:
            subprocess.run(
                jobpipeline("synth", "--n", str(args.n), "--out", str(seeds), "--seed", "3"), env=env, check=True
            )
        else:
            seeds.mkdir()
            shutil.copy(SEED, seeds)
        subprocess.run(
            jobpipeline("run", "--seeds", str(seeds), "--warehouse", str(warehouse)),
            env=env,
            check=True,
            capture_output=True,
        )
        env["PREFECT_API_URL"] = api_url(env)
        serve_args = ["--seeds", str(seeds), "--warehouse", str(warehouse), "--interval", "3600"]
        serve_args += ["--poll", str(args.poll)]
        output = stack.enter_context(running_serve(serve_args, env))
        time.sleep(5)  # serve's first scheduled ingest (nothing changed) runs now
        os.environ.update({k: env[k] for k in ("PREFECT_HOME", "PREFECT_API_URL")})
        from prefect.deployments import run_deployment

        from jobpipeline.orchestration.deployments import SERVE_ENRICH

        totals, own = [], []
        for round_ in range(args.rounds):
            if round_:
                time.sleep(args.gap)
            started = time.perf_counter()
            flow_run = run_deployment(f"jobpipeline-enrich/{SERVE_ENRICH}", timeout=300, poll_interval=0.05)
            total = time.perf_counter() - started
            state = flow_run.state.type.value if flow_run.state else "?"
            ran = (flow_run.end_time - flow_run.start_time).total_seconds() if flow_run.end_time else float("nan")
            run_id, trigger, stages = last_run(warehouse)
            totals.append(total)
            own.append(ran)
            print(
                f"round {round_ + 1}: {state}, created -> finished {total:.2f} s, flow run start -> end {ran:.2f} s; "
                f"runs row {run_id} ({trigger}): {stages}; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        print(
            f"median: created -> finished {statistics.median(totals):.2f} s, "
            f"flow run {statistics.median(own):.2f} s (serve polls every {args.poll:g} s)"
        )
        time.sleep(1)
        print("serve's own account of each run:")
        for line in output:
            if line.startswith("jobpipeline-enrich run"):
                print(f"  {line}")
    finally:
        stack.close()
        subprocess.run(jobpipeline("server", "stop"), env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
