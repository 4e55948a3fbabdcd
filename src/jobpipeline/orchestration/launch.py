"""Run a flow from the CLI: against the configured Prefect API, the managed server, or (when the
settings ask for it) Prefect's temporary server.

The CLI prints its own summary, so Prefect's console logging is kept at WARNING (the server
still records every log line), and a failed flow becomes one line instead of a traceback.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from jobpipeline.errors import FlowFailedError, JobpipelineError

if TYPE_CHECKING:
    from jobpipeline.orchestration.server import Api
    from jobpipeline.pipeline import Progress, RunOptions

Say = Callable[[str], None]


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


@contextmanager
def prefect_api(say: Say, *, start: bool = True) -> Iterator[Api]:
    """Find (or start) the Prefect API and point Prefect's client at it for the block."""
    quiet_prefect()
    from jobpipeline.orchestration.server import resolve_api

    api = resolve_api(say, start=start)
    if api.source == "ephemeral":
        say("JOBPIPELINE_PREFECT_SERVER=ephemeral: Prefect starts a temporary server for this process")
    if api.url is None or api.source == "configured":
        yield api
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # The variable too: processes this one starts (Dask workers, a served run) report to the same server.
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api.url
    try:
        with temporary_settings(updates={PREFECT_API_URL: api.url}):
            yield api
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


def run_ingest_flow(options: RunOptions, *, progress: Progress | None = None) -> dict[str, Any]:
    """Run the ingest flow (or the re-validation flow when `options.only_paths`) in this process and
    return its record. Call it inside `prefect_api()`."""
    import asyncio

    from jobpipeline.orchestration.flows import ingest_flow, revalidate_flow, terminal_progress

    async def call() -> Any:
        if options.only_paths is not None:
            return await revalidate_flow(
                paths=sorted(options.only_paths), seeds=str(options.seeds), warehouse=str(options.warehouse),
                trigger=options.trigger, wait_seconds=options.wait_seconds, return_state=True)
        return await ingest_flow(
            seeds=str(options.seeds), warehouse=str(options.warehouse), trigger=options.trigger,
            csv=options.csv, wait_seconds=options.wait_seconds, workers=options.workers, return_state=True)

    with terminal_progress(progress):
        state = asyncio.run(call())
    return flow_result(state, "ingest" if options.only_paths is None else "revalidate")


def warm_up() -> None:
    """Import what a flow run needs now, so a long-lived process (watch) pays for it before the
    first save rather than on it."""
    import prefect.flow_engine
    import prefect.task_engine  # noqa: F401

    import jobpipeline.orchestration.flows  # noqa: F401


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
