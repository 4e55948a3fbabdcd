"""`jobpipeline serve`: the schedule, the trigger and the folder watch in one long-lived process.

Prefect's own `Runner` starts a new Python process for every flow run; measured on the bundled
seeds that is ~3 s of a ~4 s event-to-warehouse latency (interpreter start and imports), plus
the poll interval. This server runs the flow runs its deployments receive *in its own process*,
where Prefect and the pipeline are already imported, so a run costs what the work costs:

1. register serve's two deployments (names of their own, so the work-pool deployments of
   prefect.yaml are never overwritten) and have the server schedule their runs at once;
2. mark the runs a previous serve left Running or Pending (it was killed) Crashed, which frees
   the ingest's concurrency slot at once instead of after Prefect's 300 s lease;
3. poll the API for their scheduled runs (every `poll` seconds; polling also marks the
   deployments ready, which is how `watch` knows someone serves them);
4. take each due run (Pending, which respects the ingest's concurrency limit of one) and run it
   here, in a worker thread with its own event loop;
5. with `watch`, turn a save in its own folder into a re-validation run at once (created on the
   server from the re-validation deployment, so it is recorded like any other) and still emit
   `jobpipeline.seeds.changed` for others; its trigger ignores the events serve sent itself. The
   round trip through the server's automation service cost 0.1 s to 7 s per save;
6. on exit, delete the deployments it registered and their triggers: the server is left as serve found it.

A run cancelled in the UI cannot be killed mid-stage here (it is not a process of its own); the
stages are short and the warehouse commit is atomic, so it finishes or fails as a whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx

from jobpipeline.orchestration.launch import prefect_api, warm_up

Say = Callable[[str], None]
R = TypeVar("R")
OnRecord = Callable[[str, dict[str, Any]], None]


BUSY_RETRY_DELAYS = (0.05,) * 20 + (0.25,) * 20
"""Seconds between serve's attempts at a request its Prefect server answered 503 (about 6 s in all).

The server answers 503 when its SQLite database was busy: creating a flow run reads and then writes
in a deferred transaction, which SQLite fails at once ("database is locked") when another
connection, such as the server's own services recording the previous run's events, wrote in
between. Prefect's client then sleeps 2**attempt seconds (2 s, jittered) before asking again, and
sleeps even with its retries set to 0: that was the ~2 s in a third of serve's saves (measured with
benchmarks/default_route.py: 3 of 10 creates answered 503 in 0.04 s, then 1.8-2.2 s of sleep). The
conflict ends with the other write, so serve asks again after 50 ms; after these, Prefect's own
retries take over."""


def retry_while(call: Callable[[], R], again: Callable[[R], bool], sleep: Callable[[float], None]) -> R:
    """`call()`, called again after each delay of BUSY_RETRY_DELAYS while `again(result)`; the last result."""
    result = call()
    for delay in BUSY_RETRY_DELAYS:
        if not again(result):
            break
        sleep(delay)
        result = call()
    return result


class BusyRetryTransport(httpx.BaseTransport):
    """An HTTP transport that asks again, within milliseconds, when the server answers 503."""

    def __init__(self, inner: httpx.BaseTransport, sleep: Callable[[float], None] = time.sleep) -> None:
        self.inner = inner
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        def send() -> httpx.Response:
            return self.inner.handle_request(request)

        def busy(response: httpx.Response) -> bool:
            if response.status_code != 503:
                return False
            response.read()
            response.close()
            return True

        return retry_while(send, busy, self.sleep)

    def close(self) -> None:
        self.inner.close()


def _api_transport() -> BusyRetryTransport:
    """The transport Prefect's client would make (TLS as Prefect's settings say), asking again on a 503."""
    import ssl

    from prefect.settings import (
        PREFECT_API_ENABLE_HTTP2,
        PREFECT_API_SSL_CERT_FILE,
        PREFECT_API_TLS_INSECURE_SKIP_VERIFY,
    )

    # A transport of one's own replaces httpx's default one, with the TLS settings Prefect gives it.
    cert_file = PREFECT_API_SSL_CERT_FILE.value()
    context = ssl.create_default_context(cafile=cert_file) if cert_file else httpx.create_ssl_context()
    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return BusyRetryTransport(httpx.HTTPTransport(verify=context, http2=PREFECT_API_ENABLE_HTTP2.value()))


class DirectRuns:
    """Re-validation runs serve creates itself for its own watcher's saves."""

    def __init__(self) -> None:
        self.deployment_id: UUID | None = None
        self.submit: Callable[[Any], None] | None = None
        """Hands a flow run to serve's run thread (set while the poll loop runs)."""
        self._client: Any = None
        """One API client for every save (a new one cost 0.04-0.1 s a save); the watcher thread's only."""

    def create(self, paths: list[str]) -> str | None:
        """A flow run of serve's re-validation deployment for `paths`, run at once; its name, or None
        before the deployment is registered (the event's trigger covers that moment).

        It is created Pending and handed to the run thread here: waiting for the poll loop to find
        it Scheduled cost up to 2 s more in a third of the saves (measured by
        benchmarks/default_route.py). A serve that dies leaves it Pending, which the next serve marks
        Crashed like any orphan. A busy server is asked again at once (BUSY_RETRY_DELAYS)."""
        submit = self.submit
        if self.deployment_id is None or submit is None:
            return None
        from prefect.states import Pending

        from jobpipeline.orchestration.deployments import SAVED_TAG

        self.open()
        flow_run = self._client.create_flow_run_from_deployment(
            self.deployment_id, parameters={"paths": paths}, tags=[SAVED_TAG], state=Pending()
        )
        submit(flow_run)
        return str(flow_run.name)

    def open(self) -> None:
        """Open the API client, if it is not open yet (serve does before the first save can come)."""
        if self._client is None:
            from prefect import get_client

            self._client = get_client(sync_client=True, httpx_settings={"transport": _api_transport()}).__enter__()

    def close(self) -> None:
        """Close the API client (once the watcher thread, its only user, has stopped)."""
        client, self._client = self._client, None
        if client is not None:
            client.__exit__(None, None, None)


def serve_deployments(
    *,
    seeds: Path,
    warehouse: Path,
    cron: str,
    timezone: str,
    interval: float | None,
    poll: float,
    watch: bool,
    debounce_ms: int = 400,
    say: Say = print,
    on_record: OnRecord | None = None,
) -> None:
    """Serve both deployments (and, with `watch`, re-validate saves) until interrupted; `on_record`
    gets each finished run's flow name and record (the CLI prints findings as `watch` does)."""
    from jobpipeline.orchestration.server import prefect_home

    with prefect_api(say, watchdog="serve") as api, serve_lock(prefect_home(), seeds):
        if api.url is None:
            from jobpipeline.errors import ConfigurationError

            raise ConfigurationError(
                "serve needs a real Prefect server: unset JOBPIPELINE_PREFECT_SERVER=ephemeral or set PREFECT_API_URL"
            )
        say(f"using the Prefect server at {api.url} (UI {api.url.removesuffix('/api')})")
        from jobpipeline.pipeline import roll_forward_if_free

        rolled = roll_forward_if_free(warehouse)
        if rolled is not None:
            say(f"published/ was behind the warehouse (a run stopped between commit and publish): now run {rolled}")
        warm_up()
        from jobpipeline.orchestration.deployments import build_deployments

        sender = f"serve:{os.getpid()}-{uuid4().hex[:8]}"
        deployments = build_deployments(
            seeds, warehouse, cron=cron, timezone=timezone, interval=interval, watching=watch, sender=sender
        )
        stop = threading.Event()
        wake = threading.Event()
        direct = DirectRuns()
        watcher = _start_watcher(seeds, debounce_ms, stop, wake, say, direct, sender) if watch else None
        try:
            asyncio.run(
                _serve(
                    deployments,
                    poll=poll,
                    stop=stop,
                    wake=wake,
                    say=say,
                    describe=_describe(cron, timezone, interval, watch),
                    direct=direct,
                    on_record=on_record,
                )
            )
        except KeyboardInterrupt:
            say("stopping...")
        finally:
            stop.set()
            if watcher is not None:
                watcher.join(5)
            if watcher is None or not watcher.is_alive():
                direct.close()


SERVE_LOCK = "jobpipeline-serve.lock"
"""Under PREFECT_HOME: held by the one `serve` of that home's server for as long as it runs."""


@contextlib.contextmanager
def serve_lock(home: Path, seeds: Path) -> Iterator[None]:
    """Hold PREFECT_HOME's serve lock for the block, or raise ServeBusyError naming the serve that holds it.

    Serve's deployments have fixed names: a second serve on the same server took them over (another
    seeds folder's ingest included), and when it stopped it deleted them, leaving the first one serving
    nothing ("Deployment not found" at its next save). The operating system releases the lock when its
    holder exits however it exits (kill -9 included), so a restarted serve is never kept out by a dead one."""
    from jobpipeline.errors import ServeBusyError

    try:
        home.mkdir(parents=True, exist_ok=True)
        handle = open(home / SERVE_LOCK, "a+", encoding="utf-8")  # noqa: SIM115  (closed below)
    except OSError:
        yield  # an unwritable PREFECT_HOME fails on its own, with its own message
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise ServeBusyError(str(home), handle.read().strip() or "pid unknown") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(
                f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}, seeds {seeds.absolute()}"
            )
            handle.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _describe(cron: str, timezone: str, interval: float | None, watch: bool) -> str:
    from jobpipeline.orchestration.deployments import SERVE_INGEST, SERVE_REVALIDATE

    when = f"every {interval:g} s" if interval else f"on cron '{cron}' ({timezone})"
    watching = "; watching the seeds folder" if watch else ""
    return (
        f"serving {SERVE_INGEST} {when} and {SERVE_REVALIDATE} on jobpipeline.seeds.changed "
        f"in this process{watching}; Ctrl-C stops"
    )


async def _serve(
    deployments: list[Any],
    *,
    poll: float,
    stop: threading.Event,
    wake: threading.Event,
    say: Say,
    describe: str,
    direct: DirectRuns,
    on_record: OnRecord | None,
) -> None:
    from prefect import get_client

    from jobpipeline.orchestration.events import REVALIDATE_FLOW

    async with get_client() as client:
        ids: dict[UUID, Any] = {}
        names: dict[UUID, str] = {}
        try:
            for deployment, flow in deployments:
                deployment_id = await deployment.aapply()
                ids[deployment_id] = flow
                names[deployment_id] = deployment.name
                await schedule_now(client, deployment_id)
            for line in await crash_orphaned_runs(client, list(ids)):
                say(line)
            direct.open()  # before the watcher may use it: the first save need not wait for it
            # Only now may the watcher create runs: before, they would look like a dead serve's orphans.
            direct.deployment_id = next((i for i, flow in ids.items() if flow.name == REVALIDATE_FLOW), None)
            say(describe)
            await _poll(client, ids, poll=poll, stop=stop, wake=wake, say=say, on_record=on_record, direct=direct)
        finally:
            direct.deployment_id = None
            removed = []
            for deployment_id in ids:
                with contextlib.suppress(Exception):  # the server may be gone already; nothing to leave then
                    # A deployment's trigger is an automation it owns; deleting the deployment leaves it behind.
                    await client.delete_resource_owned_automations(f"prefect.deployment.{deployment_id}")
                    await client.delete_deployment(deployment_id)
                    removed.append(names[deployment_id])
            if removed:
                say(f"removed the deployments {' and '.join(removed)} and their triggers from the Prefect server")


async def schedule_now(client: Any, deployment_id: UUID) -> None:
    """Have the server create the deployment's scheduled runs now, as its scheduler would.

    Prefect's recent-deployments scheduler looks only at deployments updated in the last 6 s (its 5 s
    loop and one more): on a busy server a loop that starts late misses a deployment serve just
    registered, and its first run waits for the main scheduler, every 60 s (seen: a serve test's first
    scheduled run 55 s late). Idempotent (the server keys scheduled runs by deployment and time); a
    deployment without a schedule gets no runs."""
    await client.request("POST", "/deployments/{id}/schedule", path_params={"id": deployment_id}, json={})


async def crash_orphaned_runs(client: Any, deployment_ids: list[UUID]) -> list[str]:
    """Mark the Running or Pending runs of serve's deployments Crashed; one line for each.

    Serve is the only process that executes these runs, so when it starts, any such run was left by
    a serve that died (SIGKILL, a power cut) and will never finish. Left alone, it keeps the ingest
    deployment's concurrency slot until Prefect's lease expires (300 s): no scheduled ingest runs
    meanwhile. Forced (no orchestration rules but the minimal ones), the transition out of Running
    or Pending still releases the slot and its lease (Prefect's ReleaseFlowConcurrencySlots)."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    if not deployment_ids:
        return []
    orphans = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=deployment_ids),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING])),
        )
    )
    lines = []
    for run in orphans:
        await client.set_flow_run_state(
            run.id,
            Crashed(message="the jobpipeline serve process running it exited (found when serve started again)"),
            force=True,
        )
        lines.append(
            f"flow run {run.name} ({run.id}) was left {run.state_name or 'running'} by a serve that exited: "
            "marked Crashed (its concurrency slot is free again)"
        )
    return lines


EAGER_SECONDS = 3.0
"""After serve's own watcher sends an event its trigger acts on (`on_saved` could not create the run
itself), poll every EAGER_POLL for this long: the trigger creates the run within ~0.1 s, and waiting
out a whole poll interval would double the latency."""
EAGER_POLL = 0.05


async def _poll(
    client: Any,
    flows: dict[UUID, Any],
    *,
    poll: float,
    stop: threading.Event,
    wake: threading.Event,
    say: Say,
    on_record: OnRecord | None = None,
    direct: DirectRuns | None = None,
) -> None:
    """Take due runs of the deployments in `flows` (id -> flow) and run them one after another in a
    worker thread (with this context: Prefect's settings, such as the API URL, live in it); `direct`
    hands runs created for serve's own saves to the same thread."""
    from prefect.states import Pending
    from prefect.utilities.engine import propose_state

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobpipeline-run")
    run_loop = RunLoop(contextvars.copy_context())
    running: set[UUID] = set()
    futures: list[Future[None]] = []
    eager_until = 0.0

    def submit(flow_run: Any) -> None:
        running.add(flow_run.id)
        futures.append(
            executor.submit(run_loop.run, _run_one, flows[flow_run.deployment_id], flow_run, say, running, on_record)
        )

    # The run loop's clients open now, not on the first save's run.
    futures.append(executor.submit(run_loop.run, _nothing))
    if direct is not None:
        direct.submit = submit
    try:
        while not stop.is_set():
            due = await client.get_scheduled_flow_runs_for_deployments(
                deployment_ids=list(flows), scheduled_before=datetime.now(UTC) + timedelta(seconds=0.1)
            )
            for flow_run in sorted(due, key=lambda run: run.expected_start_time or run.created):
                if flow_run.id in running or flow_run.deployment_id not in flows:
                    continue
                state = await propose_state(client, Pending(), flow_run_id=flow_run.id)
                if not state.is_pending():
                    continue  # taken by someone else, or waiting for the concurrency slot
                submit(flow_run)
            futures[:] = [future for future in futures if not future.done()]
            eager_until = await _sleep(poll, wake, eager_until)
    finally:
        if direct is not None:
            direct.submit = None
        for future in futures:
            future.cancel()
        executor.submit(run_loop.close)
        executor.shutdown(wait=True)


async def _sleep(poll: float, wake: threading.Event, eager_until: float) -> float:
    """Wait until the next poll (sooner right after a wake-up); returns the new end of eager polling."""
    deadline = time.monotonic() + poll
    while time.monotonic() < deadline:
        if wake.is_set():
            wake.clear()
            eager_until = time.monotonic() + EAGER_SECONDS
        if time.monotonic() < eager_until:
            await asyncio.sleep(EAGER_POLL)
            return eager_until
        await asyncio.sleep(EAGER_POLL)
    return eager_until


class RunLoop:
    """The run thread's one event loop, with Prefect's API clients open on it for every run.

    `asyncio.run` for each run made a new loop, and with it new async and sync API clients (a TLS
    context, a connection, a CSRF request each) before the flow could start: measured ~0.07 s of a
    bare flow run's 0.17 s. The runs execute in `context` (Prefect's settings, such as the API URL,
    live in it), one at a time: the run thread is the only one that calls `run` and `close`."""

    def __init__(self, context: contextvars.Context) -> None:
        self.context = context
        self._runner: asyncio.Runner | None = None
        self._clients: contextlib.AsyncExitStack | None = None

    def run(self, fn: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        if self._runner is None:
            self._runner = asyncio.Runner()
        # This very context, not a copy: the clients opened in the first run stay set for the next ones.
        self._runner.run(self._with_clients(fn(*args)), context=self.context)

    async def _with_clients(self, work: Coroutine[Any, Any, None]) -> None:
        if self._clients is None:
            from prefect.context import AsyncClientContext, SyncClientContext

            clients = contextlib.AsyncExitStack()
            await clients.enter_async_context(AsyncClientContext())
            clients.enter_context(SyncClientContext())
            self._clients = clients
        await work

    def close(self) -> None:
        runner, clients, self._runner, self._clients = self._runner, self._clients, None, None
        if runner is None:
            return
        with runner:
            if clients is not None:
                with contextlib.suppress(Exception):  # the server may be gone already
                    runner.run(clients.aclose(), context=self.context)


async def _nothing() -> None:
    return None


async def _run_one(flow: Any, flow_run: Any, say: Say, running: set[UUID], on_record: OnRecord | None = None) -> None:
    """Run one flow run (on the run thread's loop), and say how long each part took."""
    from prefect.flow_engine import run_flow_async
    from prefect.utilities.callables import get_call_parameters, parameters_to_args_kwargs

    picked = time.time()
    args, kwargs = parameters_to_args_kwargs(flow.fn, flow_run.parameters)
    parameters = get_call_parameters(flow.fn, args, kwargs)
    try:
        state = await run_flow_async(flow, flow_run=flow_run, parameters=parameters, return_type="state")
    finally:
        running.discard(flow_run.id)
    due = (flow_run.expected_start_time or flow_run.created or datetime.now(UTC)).timestamp()
    outcome = state.type.value.lower() if state is not None else "ended"
    say(
        f"{flow.name} run {flow_run.name}: {outcome}; due -> picked up "
        f"{max(0.0, picked - due):.2f} s, ran {time.time() - picked:.2f} s"
    )
    if on_record is not None and state is not None and state.is_completed():
        with contextlib.suppress(Exception):  # a result that cannot be read is in the UI; serving goes on
            record = await state.aresult()
            if isinstance(record, dict):
                on_record(flow.name, {**record, "parameters": dict(flow_run.parameters)})
    elif state is not None and state.is_failed():
        say(f"  {state.message or 'failed'}")


Emit = Callable[[list[str], str], None]
"""emit(paths, sender): send `jobpipeline.seeds.changed` for `paths` as `sender`."""


def on_saved(paths: list[str], direct: DirectRuns, wake: threading.Event, say: Say, emit: Emit, sender: str) -> None:
    """What serve does for a burst of saves in its own folder: create the re-validation run and hand
    it to the run thread (`direct`), then emit the event for others, as `sender` (which serve's own
    trigger ignores). Before serve's deployments are registered, or if the run could not be created,
    the event goes out as `serve-starting`, which the trigger does act on, and the poll loop looks
    for the trigger's run at once (`wake`).

    A run serve hands over itself needs no such look: polling every 50 ms for 3 s after each save
    took 10-27 API calls per re-validation, in serve's process and in the server, while both
    worked on the run (on 2 shared cores)."""
    name = None
    try:
        name = direct.create(paths)
        say(f"changed: {', '.join(paths)}" + (f" (re-validating: run {name})" if name else ""))
    except Exception as exc:  # keep watching: one failed call must not end the service
        say(f"changed: {', '.join(paths)}, but its re-validation run could not be created: {exc}")
    if name is None:
        wake.set()
    try:
        emit(paths, sender if name else "serve-starting")
    except Exception as exc:
        say(f"  the jobpipeline.seeds.changed event could not be sent: {exc}")


def _start_watcher(
    seeds: Path,
    debounce_ms: int,
    stop: threading.Event,
    wake: threading.Event,
    say: Say,
    direct: DirectRuns,
    sender: str,
) -> threading.Thread:
    """Watch the served folder in a thread: for each burst of saves, `on_saved`."""
    from jobpipeline.orchestration.events import emit_seeds_changed
    from jobpipeline.watching import folder_note, watch_seeds

    ready = threading.Event()

    def emit(paths: list[str], as_sender: str) -> None:
        emit_seeds_changed(seeds, paths, flush=False, sender=as_sender)

    def on_change(paths: list[str], noticed: float) -> None:
        on_saved(paths, direct, wake, say, emit, sender)

    def on_folder(there: bool) -> None:
        say(folder_note(seeds, there))

    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run,
        args=(watch_seeds, seeds, on_change),
        kwargs={
            "debounce_ms": debounce_ms,
            "stop": stop,
            "on_ready": ready.set,
            "on_folder": on_folder,
            "on_polling": say,
        },
        name="jobpipeline-watch",
        daemon=True,
    )
    thread.start()
    ready.wait(10)
    return thread
