"""Named points in a run where tests can kill or pause the process (fault injection).

Off unless a setting (an environment variable, see settings.py) names a point:
- JOBPIPELINE_KILL_AT=<point>: SIGKILL this process there (crash-consistency tests);
- JOBPIPELINE_PAUSE_AT=<point> with JOBPIPELINE_PAUSE_FILE=<path>: create `<path>.reached`, then
  wait (up to 60 s) for `<path>.release` (tests that query or start a second run mid-load).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from jobpipeline.settings import get_settings

POINTS = (
    "after-lock",
    "after-copy",
    "after-read-batch",
    "after-stage",
    "in-transaction",
    "after-apply",
    "after-record-run",
    "after-publish-staged",
    "after-warehouse-rename",
    "after-go-live",
)


def checkpoint(point: str) -> None:
    settings = get_settings()  # ~0.1 ms; a run passes a dozen points plus one per read batch
    if settings.kill_at == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if settings.pause_at == point:
        base = settings.pause_file
        if not base:
            return
        Path(base + ".reached").touch()
        deadline = time.monotonic() + 60
        while not Path(base + ".release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
