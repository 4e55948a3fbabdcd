"""Seconds from saving a seed file to its re-validated findings under `jobpipeline watch`.

Runs `jobpipeline watch` on a copy of the bundled seeds (through Prefect's temporary server, or
with --local without Prefect), saves the article a few times and prints, for each save, the
seconds until watch printed the new findings.

    uv run python benchmarks/watch_latency.py [--local] [--saves 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="re-validate without Prefect")
    parser.add_argument("--saves", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jp-watch-"))
    seeds = work / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    warehouse = work / "wh" / "jobs.duckdb"
    subprocess.run([sys.executable, "-m", "jobpipeline.cli", "run", "--local", "--seeds", str(seeds),
                    "--warehouse", str(warehouse)], cwd=ROOT, check=True, capture_output=True)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", "watch", "--seeds", str(seeds), "--warehouse", str(warehouse),
         *(["--local"] if args.local else [])],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[tuple[float, str]] = []
    assert process.stdout is not None
    threading.Thread(target=lambda: lines.extend((time.monotonic(), line) for line in process.stdout),  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        while not any("watching" in line for _, line in lines):
            time.sleep(0.05)
        article = next(seeds.glob("*.txt"))
        for save in range(args.saves):
            seen = len([1 for _, line in lines if "findings ready" in line])
            saved = time.monotonic()
            with open(article, "a", encoding="utf-8") as handle:
                handle.write(f"\n編集 {save}\n")
            while len([1 for _, line in lines if "findings ready" in line]) == seen:
                if time.monotonic() - saved > 120:
                    raise SystemExit("no findings within 120 s:\n" + "".join(line for _, line in lines))
                time.sleep(0.02)
            ready = [t for t, line in lines if "findings ready" in line][-1]
            print(f"save {save + 1}: findings printed {ready - saved:.2f} s after the save "
                  f"({'--local' if args.local else 'through Prefect'})")
            time.sleep(1)
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
