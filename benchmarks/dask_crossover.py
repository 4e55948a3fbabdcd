"""When do Dask read batches pay off? Cold `jobpipeline run` with the local process pool against
`--dask` on an already running cluster (a scheduler and N single-threaded workers started as
separate processes on this machine), by corpus size, measured side by side in one run.

    uv run python benchmarks/dask_crossover.py [--sizes 500 2000 5000] [--workers 2]

Prints a markdown table (paste it into docs/benchmarks.md). Every process it starts is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "benchmarks" / "corpus"


def corpus(n: int) -> Path:
    folder = CORPORA / f"n{n}"
    marker = folder / ".synth.json"
    if not marker.exists() or json.loads(marker.read_text()).get("n") != n:
        subprocess.run(
            [sys.executable, "-m", "jobpipeline.cli", "synth", "--n", str(n), "--out", str(folder), "--seed", "1"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def cold_run(seeds: Path, work: Path, env: dict[str, str], *extra: str) -> float:
    warehouse = work / "wh" / "jobs.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "run",
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"run failed:\n{result.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the finally below stops the cluster and the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
    work = Path(tempfile.mkdtemp(prefix="jp-dask-"))
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_HOME": str(work / "prefect-home"), "DASK_LOGGING__DISTRIBUTED": "error"})
    port = 18786 + os.getpid() % 1000
    address = f"tcp://127.0.0.1:{port}"
    cluster = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    cluster += [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    rows = []
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(args.workers, timeout=60)
        subprocess.run(
            [sys.executable, "-m", "jobpipeline.cli", "server", "start"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        for n in args.sizes:
            seeds = corpus(n)
            local = cold_run(seeds, work, env)
            dask = cold_run(seeds, work, env, "--dask", address)
            rows.append((n, local, dask))
            print(f"{n}: local pool {local:.1f} s, dask {dask:.1f} s", file=sys.stderr, flush=True)
    finally:
        subprocess.run(
            [sys.executable, "-m", "jobpipeline.cli", "server", "stop"], cwd=ROOT, env=env, capture_output=True
        )
        for process in reversed(cluster):
            process.terminate()
        for process in cluster:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"| articles | local pool s ({os.cpu_count()} processes) | Dask s ({args.workers} workers, running "
        "cluster) | Dask / local |"
    )
    print("|---|---|---|---|")
    for n, local, dask in rows:
        print(f"| {n:,} | {local:.1f} | {dask:.1f} | {dask / local:.2f} |")


if __name__ == "__main__":
    main()
