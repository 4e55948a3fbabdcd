"""Run a flow from the CLI: quietly, against PREFECT_API_URL or Prefect's temporary server.

The CLI prints its own summary, so Prefect's console logging is kept at WARNING (the server
still records every log line), and a failed flow becomes one line instead of a traceback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jobpipeline.errors import JobpipelineError

if TYPE_CHECKING:
    from jobpipeline.pipeline import Progress, RunOptions


class FlowFailedError(JobpipelineError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"the {name} flow failed: {reason}")


def quiet_prefect(console_level: str = "WARNING") -> None:
    """Settings that must be in place before Prefect is imported.

    The console stays at WARNING (the server still records every log line); telemetry is off
    because the temporary server otherwise prints a traceback when it cannot reach the internet;
    the events worker's "Still processing items" goodbye is not for users.
    """
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", console_level)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)


def run_ingest_flow(options: RunOptions, *, on_status: Callable[[str], None] | None = None,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Run the ingest flow (or the re-validation flow when `options.only_paths`) and return its record."""
    quiet_prefect()
    if on_status is not None and not os.environ.get("PREFECT_API_URL"):
        on_status("no PREFECT_API_URL: starting Prefect's temporary server for this run (set it, or run "
                  "`jobpipeline serve`, to skip this start-up)")
    from flows import ingest as flows_ingest

    flows_ingest.PROGRESS = progress
    try:
        if options.only_paths is not None:
            state = flows_ingest.revalidate_flow(
                paths=sorted(options.only_paths), seeds=str(options.seeds), warehouse=str(options.warehouse),
                trigger=options.trigger, wait_seconds=options.wait_seconds, return_state=True)
        else:
            state = flows_ingest.ingest_flow(
                seeds=str(options.seeds), warehouse=str(options.warehouse), trigger=options.trigger,
                csv=options.csv, wait_seconds=options.wait_seconds, workers=options.workers, return_state=True)
    finally:
        flows_ingest.PROGRESS = None
    return flow_result(state, "ingest" if options.only_paths is None else "revalidate")


def flow_result(state: Any, name: str) -> dict[str, Any]:
    """The flow's return value, or one JobpipelineError saying why it failed."""
    try:
        result = state.result()
    except JobpipelineError:
        raise
    except Exception as exc:  # the flow's own failure, already recorded by Prefect
        raise FlowFailedError(name, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(result, dict):
        raise FlowFailedError(name, f"ended {state.type.value.lower()} without a result")
    return result
