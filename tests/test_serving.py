"""What serve does between a save in its folder and the run's start: the run it creates (tagged, handed
to its run thread, the event still emitted), its calls to a busy Prefect server (asked again within
milliseconds, not after Prefect's client's 2 s back-off: the ~2 s in a third of serve's saves), and
the run thread's one event loop and API clients.

The real server answers 503 only when its SQLite database is busy at the wrong moment, which no test
can arrange on demand: here httpx's MockTransport plays a server that is busy for a few requests."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobpipeline.orchestration.serving import (
    BUSY_RETRY_DELAYS,
    BusyRetryTransport,
    DirectRuns,
    RunLoop,
    on_saved,
    retry_while,
)


def busy_server(busy_answers: int, seen: list[bytes]) -> httpx.MockTransport:
    """A server whose flow-run creation answers 503 `busy_answers` times, then 201; `seen` gets the
    body of each creation request. Anything else gets 422, as Prefect's server answers Prefect's
    client's CSRF token request when CSRF protection is off."""

    def answer(request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/create_flow_run"):
            return httpx.Response(422, json={"detail": "CSRF protection is disabled."})
        seen.append(request.content)
        if len(seen) <= busy_answers:
            return httpx.Response(503, json={"exception_message": "Service Unavailable"})
        return httpx.Response(201, json={"created": True})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    ("results", "calls", "sleeps"),
    [
        pytest.param([201], 1, [], id="free-at-once"),
        pytest.param([503, 503, 201], 3, [0.05, 0.05], id="busy-twice"),
        pytest.param([503] * 100, len(BUSY_RETRY_DELAYS) + 1, list(BUSY_RETRY_DELAYS), id="busy-past-patience"),
    ],
)
def test_retry_while_asks_again_after_each_delay(results: list[int], calls: int, sleeps: list[float]) -> None:
    """`retry_while` calls again after each of BUSY_RETRY_DELAYS while the result says busy, and
    returns the last result: the first one that is not busy, or the busy one after the last delay."""
    answers = iter(results)
    made: list[int] = []
    slept: list[float] = []

    def call() -> int:
        made.append(next(answers))
        return made[-1]

    assert retry_while(call, lambda status: status == 503, slept.append) == made[-1]
    assert (len(made), slept) == (calls, sleeps)


def test_busy_retry_delays_are_short_and_bounded() -> None:
    """Each delay is well under Prefect's 2 s back-off, and all of them end within ten seconds
    (then Prefect's own retries, and serve's fallback to the event's trigger, take over)."""
    assert max(BUSY_RETRY_DELAYS) <= 0.25
    assert 1.0 <= sum(BUSY_RETRY_DELAYS) <= 10.0


def test_busy_server_503_never_reaches_prefects_client() -> None:
    """A create that meets two 503s comes back 201 to Prefect's client, the same request sent three
    times with 50 ms between them: the client, which would sleep 2**attempt seconds on each 503,
    never sees one (regression: 3 of 10 saves waited 1.8-2.2 s for the client's retry)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    seen: list[bytes] = []
    slept: list[float] = []
    statuses: list[int] = []

    def record(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/create_flow_run"):
            statuses.append(response.status_code)

    transport = BusyRetryTransport(busy_server(2, seen), sleep=slept.append)
    hooks: dict[str, list[Callable[[httpx.Response], None]]] = {"response": [record]}
    with (
        temporary_settings({PREFECT_API_URL: "http://busy.invalid/api"}),
        get_client(sync_client=True, httpx_settings={"transport": transport, "event_hooks": hooks}) as client,
    ):
        response = client.request("POST", "/deployments/{id}/create_flow_run", path_params={"id": "d"}, json={"a": 1})
    assert response.status_code == 201
    assert statuses == [201]
    assert slept == [0.05, 0.05]
    assert seen == [b'{"a":1}'] * 3


def test_a_save_before_serve_registered_its_deployments_goes_to_the_trigger() -> None:
    """Until serve's deployments are registered no run is created: the event goes out as
    `serve-starting` (which serve's trigger acts on) and the poll loop is woken to find its run."""
    direct = DirectRuns()
    wake = threading.Event()
    sent: list[tuple[list[str], str]] = []
    said: list[str] = []

    on_saved(["a.txt"], direct, wake, said.append, lambda paths, sender: sent.append((paths, sender)), "serve:1-x")

    assert sent == [(["a.txt"], "serve-starting")]
    assert wake.is_set()
    assert said == ["changed: a.txt"]


def test_a_save_is_handed_to_the_run_thread_as_an_event_run_and_still_announced(
    prefect_harness: None, tmp_path: Path
) -> None:
    """serve's own save becomes a Pending run of the re-validation deployment, tagged as a save (so
    it records trigger `event`) and handed straight to the run thread; the event still goes out, as
    serve (its own trigger ignores it); the client serve opened at start is the one it uses (the first
    save paid 0.1-0.17 s for a new one); and the poll loop is not woken to look for a run every 50 ms
    (regression: 10-27 API calls per save while the run worked)."""
    from prefect import get_client

    from jobpipeline.orchestration.deployments import SAVED_TAG
    from jobpipeline.orchestration.flows import revalidate_flow, run_trigger

    deployment = revalidate_flow.to_deployment(
        name=f"saved-test-{uuid.uuid4().hex[:8]}",
        parameters={"seeds": str(tmp_path), "warehouse": str(tmp_path / "jobs.duckdb")},
    )
    direct = DirectRuns()
    direct.open()  # as serve does once its deployments are registered
    opened = direct._client
    direct.deployment_id = asyncio.run(deployment.aapply())
    handed: list[Any] = []
    direct.submit = handed.append
    wake = threading.Event()
    sent: list[tuple[list[str], str]] = []
    try:
        on_saved(["a.txt"], direct, wake, [].append, lambda paths, sender: sent.append((paths, sender)), "serve:1-x")
        assert direct._client is opened, "the save opened an API client of its own"
    finally:
        direct.close()
        with get_client(sync_client=True) as client:
            for run in handed:
                client.delete_flow_run(run.id)
            client.delete_deployment(direct.deployment_id)

    [run] = handed
    assert run.parameters["paths"] == ["a.txt"] and run.state.is_pending()
    trigger = run_trigger(
        "seeds-changed",
        from_deployment=True,
        auto_scheduled=bool(run.auto_scheduled),
        created_by=run.created_by.type if run.created_by else None,
        tags=frozenset(run.tags),
    )
    assert (SAVED_TAG in run.tags, trigger) == (True, "event")
    assert sent == [(["a.txt"], "serve:1-x")]
    assert not wake.is_set()


def test_run_loop_keeps_one_loop_and_one_pair_of_api_clients_for_every_run(prefect_harness: None) -> None:
    """The run thread's runs share one event loop and Prefect's async and sync API clients, instead
    of new ones for each run (regression: ~0.07 s of every run went to making them)."""
    from prefect import get_client
    from prefect.context import SyncClientContext

    seen: list[tuple[int, int, int]] = []

    async def note() -> None:
        sync = SyncClientContext.get()
        assert sync is not None
        seen.append((id(asyncio.get_running_loop()), id(get_client()), id(sync.client)))

    run_loop = RunLoop(contextvars.copy_context())
    try:
        run_loop.run(note)
        run_loop.run(note)
    finally:
        run_loop.close()
    assert len(seen) == 2 and seen[0] == seen[1]
