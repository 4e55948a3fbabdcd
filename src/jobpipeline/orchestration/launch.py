"""Run a flow from the CLI: against the configured Prefect API, the managed server, or (when the
settings ask for it) Prefect's temporary server.

The CLI prints its own summary, progress, lock waits and one line per error, the same on every
route, so Prefect's console logging is off unless asked for (`jobpipeline --verbose`); the server
still records every log line (the UI shows them) and so does `jobpipeline-runs.log` under
PREFECT_HOME. A failed flow becomes one line instead of a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jobpipeline.errors import FlowFailedError, JobpipelineError

if TYPE_CHECKING:
    from jobpipeline.orchestration.server import Api
    from jobpipeline.pipeline import FindingsReady, Progress, RunOptions

Say = Callable[[str], None]

Command = Literal["run", "serve", "watch"]
"""A command that runs flows against the managed server, as the watchdog's line names it."""

RUN_LOG = "jobpipeline-runs.log"
"""Prefect's log lines of this machine's command-line runs, under PREFECT_HOME (rotated at 5 MB)."""

QUIET = "CRITICAL"
"""Prefect's console level by default: its ERROR lines repeat, with tracebacks, the error the CLI
prints as one line (measured: 78-82 lines for a missing seeds folder)."""


def quiet_prefect(console_level: str = QUIET) -> None:
    """Settings that must be in place before Prefect is imported.

    The console shows `console_level` and up (the server still records every log line); telemetry is off
    because the temporary server otherwise prints a traceback when it cannot reach the internet;
    the events worker's "Still processing items" goodbye is not for users.
    """
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", console_level)
    # `prefect._internal` does not propagate: it writes to stderr through its own `debug` handler (seen:
    # "Service 'EventsWorker' failed with 1 pending items" under the one-line error of a server that died).
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_DEBUG_LEVEL", console_level)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    logging.getLogger("EventsWorker").setLevel(logging.ERROR)
    # An unwritable PREFECT_HOME is reported by the managed server's own one-line error, which says what to do.
    warnings.filterwarnings("ignore", message="Failed to create the Prefect home directory")


@contextmanager
def prefect_api(say: Say, *, watchdog: Command | None = None) -> Iterator[Api]:
    """Find (or start) the Prefect API and point Prefect's client at it for the block.

    While a new server starts, this process imports and warms what its flow runs need. With
    `watchdog` (the command: a one-off run, or serve and watch, which live on), a managed server that
    exits or stops answering ends the command at once with one line (see `abandon_run`)."""
    quiet_prefect()
    from jobpipeline.orchestration.server import resolve_api

    api = resolve_api(say, meanwhile=warm_up)
    log_runs_to_file()
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
        with temporary_settings(updates={PREFECT_API_URL: api.url}), ExitStack() as stack:
            if watchdog is not None:
                stack.enter_context(_server_watchdog(api.url, say, watchdog))
            yield api
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous


@contextmanager
def _server_watchdog(api_url: str, say: Say, command: Command) -> Iterator[None]:
    from jobpipeline.orchestration.server import check_process, prefect_home, read_state, watch_server

    server = read_state(prefect_home())
    if server is None or server.api_url != api_url or check_process(server) != "ours":
        yield
        return
    stop = threading.Event()
    during = "during the run" if command == "run" else f"while {command} was running"
    watcher = watch_server(server, functools.partial(abandon_run, say, server.log, command), stop, during=during)
    try:
        yield
    finally:
        stop.set()
        watcher.join(5)


def abandon_run(say: Say, log: str, command: Command, why: str) -> None:
    """End this command now (exit 2, one line): its managed server is gone.

    serve and watch end too: left alone, they went on without a word while every save and every
    scheduled run waited out a minute of the client's retries (a server stopped with `jobpipeline
    server stop`, or killed); ended, a supervisor or the person at the terminal starts them again,
    and they start a server.

    Without a server the run cannot record its states, and Prefect's client would retry every
    call for about a minute before the run ends in pages of tracebacks. Stopping here is what a
    killed run does, which the warehouse is built to survive (copy-on-write and an atomic rename:
    it holds its previous state or this run's, and the next run completes the rest; the fault
    tests kill runs at every point). The run's own worker processes (read pool, local Dask) go
    with it."""
    import multiprocessing
    import sys

    if command == "run":
        say(
            f"error: {why}, so this run stops here (the warehouse holds its previous state or this run's; "
            f"the next run completes it) - see {log}, then run again (the next command starts a new server)"
        )
    else:
        say(
            f"error: {why}, so {command} stops here (the warehouse holds its previous state or its last run's; "
            f"the next run completes it) - see {log}, then start `jobpipeline {command}` again (it starts a new "
            "server)"
        )
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(2)
        if child.is_alive():
            child.kill()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):
            stream.flush()
    os._exit(2)


@functools.cache
def log_runs_to_file() -> Path | None:
    """Keep Prefect's log lines (flow runs, task runs, tracebacks) in `jobpipeline-runs.log` under
    PREFECT_HOME, whatever the console shows; None if that folder cannot be written."""
    import logging.handlers

    import prefect.main  # noqa: F401  (configures Prefect's logging, which would drop a handler added earlier)

    from jobpipeline.orchestration.server import prefect_home

    path = prefect_home() / RUN_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s %(message)s"))
    handler.setLevel(logging.INFO)
    logging.getLogger("prefect").addHandler(handler)
    logging.getLogger("prefect._internal").addHandler(handler)  # does not propagate to "prefect"
    return path


class FlowSession:
    """Flow runs one after another in this process (a `watch` session) on one event loop that keeps
    Prefect's clients: a new client costs a TLS context (~50 ms) and a connection, three per run."""

    def __enter__(self) -> FlowSession:
        import asyncio

        from prefect.context import AsyncClientContext, SyncClientContext

        self._stack = ExitStack()
        self._stack.enter_context(SyncClientContext.get_or_create())
        self.loop = self._stack.enter_context(asyncio.Runner())
        self._clients = AsyncClientContext()
        self.loop.run(self._clients.__aenter__())  # stays set in the runner's context for every later run
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.loop.run(self._clients.__aexit__(None, None, None))
        finally:
            self._stack.close()


def run_enrich_flow(options: RunOptions, *, on_wait: Say | None = None) -> dict[str, Any]:
    """Run the enrich flow in this process and return its record. Call it inside `prefect_api()`."""
    import asyncio

    from jobpipeline.orchestration.flows import enrich_flow, terminal

    async def call() -> Any:
        with terminal(wait=on_wait):
            return await enrich_flow(
                warehouse=str(options.warehouse),
                trigger=options.trigger,
                csv=options.csv,
                wait_seconds=options.wait_seconds,
                return_state=True,
            )

    return flow_result(asyncio.run(call()), "enrich")


def run_ingest_flow(
    options: RunOptions,
    *,
    progress: Progress | None = None,
    dask: str | None = None,
    session: FlowSession | None = None,
    on_findings: FindingsReady | None = None,
    on_wait: Say | None = None,
) -> dict[str, Any]:
    """Run the ingest flow (or the re-validation flow when `options.only_paths`) in this process and
    return its record. Call it inside `prefect_api()`. `dask`: see `ingest_flow`; `on_findings` and
    `on_wait`: see `pipeline.ingest`."""
    import asyncio

    from jobpipeline.orchestration.flows import ingest_flow, revalidate_flow, terminal

    async def call() -> Any:
        # Set inside the coroutine: a session's event loop runs it in the loop's own context.
        with terminal(progress, on_findings, on_wait):
            if options.only_paths is not None:
                return await revalidate_flow(
                    paths=sorted(options.only_paths),
                    seeds=str(options.seeds),
                    warehouse=str(options.warehouse),
                    trigger=options.trigger,
                    wait_seconds=options.wait_seconds,
                    return_state=True,
                )
            return await ingest_flow(
                seeds=str(options.seeds),
                warehouse=str(options.warehouse),
                trigger=options.trigger,
                csv=options.csv,
                wait_seconds=options.wait_seconds,
                workers=options.workers,
                dask=dask,
                verify=options.verify,
                allow_empty=options.allow_empty,
                new_seeds=options.new_seeds,
                return_state=True,
            )

    state = session.loop.run(call()) if session is not None else asyncio.run(call())
    return flow_result(state, "ingest" if options.only_paths is None else "revalidate")


@functools.cache
def warm_up() -> None:
    """Pay now for what the first flow run in a long-lived process (watch, serve) would otherwise
    pay on the first save: measured there, 0.7 s of the first run's 1.0 s to findings, in
    Prefect's parameter serialization (it imports FastAPI's encoders), DuckDB's first connection,
    Arrow, the reader's first article and the report's template. Once per process: a command that
    started the server has already warmed up while it waited."""
    import fastapi.encoders  # noqa: F401
    import pyarrow  # type: ignore[import-untyped]  # noqa: F401  (polars hands frames to DuckDB through Arrow)

    import jobpipeline.orchestration.flows  # noqa: F401
    from jobpipeline.read import read_article
    from jobpipeline.report import warm_templates
    from jobpipeline.warehouse import warm_engine

    warm_engine()
    warm_templates()
    read_article(
        b'---json\n{"slug": "warm_up", "title": "t"}\n---\n\n# t\n\n| a | b |\n|---|---|\n| 1 | 2 |\n', "warm-up.txt"
    )


def flush_prefect(timeout: float = 10.0) -> None:
    """Send what Prefect's log and event queues still hold (a command about to exit must)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=timeout)
    EventsWorker.drain_all(timeout=timeout)


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
