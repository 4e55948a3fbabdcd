"""Start and stop a local Prefect server (what `jobpipeline serve` does when none is configured)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from jobpipeline.errors import JobpipelineError


class ServerError(JobpipelineError):
    pass


def is_healthy(api_url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def local_server(port: int = 4200, host: str = "127.0.0.1", log: Path | None = None,
                 startup_timeout: float = 90.0) -> Iterator[str]:
    """Run `prefect server start` for the duration of the block; yields its API URL."""
    api_url = f"http://{host}:{port}/api"
    if is_healthy(api_url):
        raise ServerError(f"something already answers on {host}:{port}: set PREFECT_API_URL={api_url} to use it, "
                          "or pass --port")
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log_file = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not is_healthy(api_url):
            if process.poll() is not None:
                raise ServerError(f"prefect server exited with code {process.returncode} while starting"
                                  + (f": see {log}" if log else ""))
            if time.monotonic() > deadline:
                raise ServerError(f"prefect server did not answer on {api_url} within {startup_timeout:.0f} s")
            time.sleep(0.25)
        yield api_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        if log_file is not subprocess.DEVNULL:
            log_file.close()  # type: ignore[union-attr]
