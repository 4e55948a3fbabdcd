"""Seconds from saving a seed file to its re-validated findings under `jobpipeline watch`.

Runs `jobpipeline watch` on a copy of the bundled seeds (through Prefect, or with --local without
Prefect), saves the article a few times and prints, for each save, the seconds until watch printed
the new findings. The first save is timed too: it pays whatever start-up the watch session defers.
`benchmarks/prefect_path.py` calls `watch_latencies` for its side-by-side figures.

    uv run python benchmarks/watch_latency.py [--local] [--saves 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "findings ready"


class WatchError(RuntimeError):
    pass


def watch_latencies(
    seeds: Path,
    warehouse: Path,
    env: dict[str, str],
    saves: int = 3,
    local: bool = False,
    timeout: float = 120.0,
    pause: float = 1.0,
) -> list[float]:
    """Seconds from each save of one article to watch's "findings ready" line, the first save included.

    `env` is the whole environment of the watch process. Raises WatchError when watch prints no findings
    (for example when it only emits events for a deployment to act on).
    """
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "watch",
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
            *(["--local"] if local else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[tuple[float, str]] = []
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.extend((time.monotonic(), line) for line in stdout), daemon=True).start()

    def printed() -> str:
        return "".join(line for _, line in list(lines))

    latencies: list[float] = []
    try:
        started = time.monotonic()
        while not any("watching" in line for _, line in list(lines)):
            if process.poll() is not None or time.monotonic() - started > timeout:
                raise WatchError("watch did not start:\n" + printed())
            time.sleep(0.02)
        article = sorted(seeds.rglob("*.txt"))[0]
        for save in range(saves):
            seen = sum(READY in line for _, line in list(lines))
            saved = time.monotonic()
            with open(article, "a", encoding="utf-8") as handle:
                handle.write(f"\n編集 {save}\n")
            while sum(READY in line for _, line in list(lines)) == seen:
                if time.monotonic() - saved > timeout or process.poll() is not None:
                    raise WatchError(f"no findings within {timeout:.0f} s of save {save + 1}:\n" + printed())
                time.sleep(0.01)
            ready = [t for t, line in list(lines) if READY in line][-1]
            latencies.append(ready - saved)
            time.sleep(pause)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    return latencies


def stop_managed_server(home: Path, env: dict[str, str] | None = None) -> str:
    """Stop the managed Prefect server under PREFECT_HOME `home`, if any: `jobpipeline server stop`, then by pid.

    Returns what was done, for the log. A CLI without `server stop` just fails that step.
    """
    done = []
    try:  # read before `server stop`, which removes the state file
        pid: int | None = int(json.loads((home / "jobpipeline-server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        pid = None
    stop = subprocess.run(
        [sys.executable, "-m", "jobpipeline.cli", "server", "stop"],
        cwd=ROOT,
        env={**(env or os.environ), "PREFECT_HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    done.append(f"server stop: exit {stop.returncode}")
    if pid is None:
        return "; ".join(done)
    try:  # a pid from a stale state file may be some other process by now
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if not any(name in cmdline for name in (b"prefect", b"jobpipeline", b"uvicorn")):
            return "; ".join(done)
    except OSError:
        return "; ".join(done)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)  # the server's own session, when it was started in one
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        done.append(f"sent {sig.name} to {pid}")
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
    return "; ".join(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="re-validate without Prefect")
    parser.add_argument("--saves", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jp-watch-"))
    try:
        seeds = work / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        warehouse = work / "wh" / "jobs.duckdb"
        subprocess.run(
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
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        # Without PREFECT_API_URL watch re-validates through Prefect in its own process (with the API URL set it
        # only emits events); a private PREFECT_HOME keeps any server it starts this benchmark's alone.
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_HOME": str(work / "prefect")}
        env.pop("PREFECT_API_URL", None)
        for save, seconds in enumerate(watch_latencies(seeds, warehouse, env, args.saves, args.local), 1):
            print(
                f"save {save}: findings printed {seconds:.2f} s after the save "
                f"({'--local' if args.local else 'through Prefect'})"
            )
    finally:
        stop_managed_server(work / "prefect")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
