"""serve's own calls to its Prefect server: a 503 from a busy server is asked again within
milliseconds, not after Prefect's client's 2 s back-off (the ~2 s in a third of serve's saves).

The real server answers 503 only when its SQLite database is busy at the wrong moment, which no test
can arrange on demand: here httpx's MockTransport plays a server that is busy for a few requests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from jobpipeline.orchestration.serving import BUSY_RETRY_DELAYS, BusyRetryTransport, retry_while


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
