"""`jobpipeline serve` as a benchmark starts it: its own session, its output collected, stopped with Ctrl-C.

Shared by benchmarks/default_route.py and benchmarks/enrich_scheduled.py (run as scripts, so this folder
is on sys.path).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_serve(args: list[str], env: dict[str, str], *, ready_timeout: float = 180) -> Iterator[list[str]]:
    """Start `jobpipeline serve ARGS`, wait until it says it serves, yield its output lines so far (the list
    keeps growing), and stop it with SIGINT (SIGKILL if it does not exit) however the block ends."""
    serve = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", "serve", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert serve.stdout is not None
        for line in serve.stdout:
            output.append(line.rstrip("\n"))
            if "Ctrl-C stops" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(ready_timeout):
            raise SystemExit("serve did not start:\n" + "\n".join(output))
        yield output
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(10)
