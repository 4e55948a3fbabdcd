"""Which route a command's work takes, decided in one place: in this process without Prefect
(`--local`), as a flow run recorded on the Prefect server (the default), or, for `watch`, by
emitting `jobpipeline.seeds.changed` to a deployment something serves (or standing down when
`serve` already watches the folder). `serve` is its own route (`orchestration.serving`).

The CLI parses options, calls one of these and prints the typed record it gets back. Prefect is
imported only on the routes that use it: `--local` commands never pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jobpipeline.records import EnrichRecord, RunRecord

if TYPE_CHECKING:
    from jobpipeline.pipeline import FindingsReady, Progress, RunOptions

Say = Callable[[str], None]


def ingest(
    options: RunOptions,
    *,
    local: bool,
    say: Say,
    dask: str | None = None,
    progress: Progress | None = None,
) -> RunRecord:
    """A run (or, with `options.only_paths`, a re-validation) on the route asked for. `say` gets the
    lock-wait line and the server's start line, the same words on both routes."""
    if local:
        from jobpipeline.pipeline import LocalRunner
        from jobpipeline.pipeline import ingest as run_stages

        return RunRecord.from_dict(run_stages(options, LocalRunner(), progress=progress, on_wait=say).record())
    from jobpipeline.orchestration.launch import prefect_api, run_ingest_flow

    with prefect_api(say, watchdog="run"):
        return RunRecord.from_dict(run_ingest_flow(options, progress=progress, dask=dask, on_wait=say))


def enrich(options: RunOptions, *, local: bool, say: Say) -> EnrichRecord:
    """An enrichment on its own (the warehouse only) on the route asked for."""
    if local:
        from jobpipeline.pipeline import LocalRunner
        from jobpipeline.pipeline import enrich as enrich_stages

        return EnrichRecord.from_dict(enrich_stages(options, LocalRunner(), on_wait=say).record())
    from jobpipeline.orchestration.launch import prefect_api, run_enrich_flow

    with prefect_api(say, watchdog="run"):
        return EnrichRecord.from_dict(run_enrich_flow(options, on_wait=say))


@dataclass
class WatchRoute:
    """How `watch` handles a burst of saves."""

    kind: Literal["local", "flow", "emit", "served"]
    """local: runs without Prefect; flow: flow runs in this process; emit: events to a served
    deployment; served: `serve` already watches this folder (watch stands down)."""
    description: str
    session: Any = None
    """The watch session's FlowSession (kind `flow`)."""
    stack: ExitStack | None = None
    """Where a FlowSession opened later (an `emit` route whose server stopped serving) stays open."""


def watch_route(seeds: Path, *, local: bool, stack: ExitStack, say: Say) -> WatchRoute:
    """Decide once, before watching, how saves are re-validated; what it opens stays open on `stack`."""
    if local:
        return WatchRoute("local", "re-validating in this process without Prefect")
    from jobpipeline.orchestration.events import served_revalidation
    from jobpipeline.orchestration.launch import FlowSession, prefect_api, warm_up

    api = stack.enter_context(prefect_api(say, watchdog="watch"))
    served = served_revalidation() if api.url else None
    if served is not None and served.watches(seeds):
        return WatchRoute(
            "served",
            f"`jobpipeline serve` already watches {seeds} and re-validates every save "
            f"(deployment {served.name}); a second watcher would send each save twice",
        )
    if served is not None:
        return WatchRoute(
            "emit",
            f"emitting jobpipeline.seeds.changed to {api.url}: deployment {served.name} re-validates",
            stack=stack,
        )
    warm_up()
    return WatchRoute(
        "flow",
        f"re-validating by flow runs in this process, recorded on {api.url or 'a temporary server'}",
        session=stack.enter_context(FlowSession()),
    )


def _revalidate_here_from_now_on(route: WatchRoute) -> None:
    """Turn an `emit` route into a `flow` route (flow runs in this process), for the rest of the watch."""
    from jobpipeline.orchestration.launch import FlowSession, warm_up

    assert route.stack is not None
    warm_up()
    route.session = route.stack.enter_context(FlowSession())
    route.kind = "flow"
    route.description = "re-validating by flow runs in this process"


def revalidate_saved(
    route: WatchRoute, options: RunOptions, *, say: Say, on_findings: FindingsReady | None = None
) -> RunRecord | str:
    """Handle one burst of saves on `route`: the re-validation's record, or the id of the event emitted."""
    if route.kind == "emit":
        from jobpipeline.orchestration.events import emit_seeds_changed, served_revalidation

        if served_revalidation() is not None:
            return emit_seeds_changed(options.seeds, sorted(options.only_paths or ()))
        # The serve (or worker) that was there when watch started has stopped: an event now would reach
        # nobody, and watch said "emitted" for a save nothing re-validated.
        _revalidate_here_from_now_on(route)
        say(f"nothing serves the re-validation deployment any more: {route.description} from now on")
    if route.kind == "local":
        from jobpipeline.pipeline import LocalRunner
        from jobpipeline.pipeline import ingest as run_stages

        return RunRecord.from_dict(run_stages(options, LocalRunner(), on_wait=say, on_findings=on_findings).record())
    from jobpipeline.orchestration.launch import run_ingest_flow

    return RunRecord.from_dict(run_ingest_flow(options, session=route.session, on_findings=on_findings, on_wait=say))
