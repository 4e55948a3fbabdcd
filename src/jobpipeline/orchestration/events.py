"""Tell a Prefect server that seed files changed, so the re-validation deployment runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobpipeline.enrichment import EnrichResult
from jobpipeline.errors import ServerError
from jobpipeline.orchestration.deployments import SEEDS_CHANGED, WATCHED_TAG, seeds_resource
from jobpipeline.orchestration.server import is_healthy


def emit_seeds_changed(seeds: Path, paths: list[str], *, flush: bool = True, sender: str = "watch") -> str:
    """Emit `jobpipeline.seeds.changed` for `paths`; returns the event id.

    emit_event never raises and silently drops events for a server that is down, so the
    server's health is checked first. `flush` waits until the event is sent (a process about to
    exit must); a long-lived sender (serve) leaves that to Prefect's events worker, whose
    connection a flush would close.
    """
    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker
    from prefect.settings import get_current_settings

    api_url = str(get_current_settings().api.url or "")
    if not is_healthy(api_url):
        raise ServerError(
            f"the Prefect server at {api_url or '(none configured)'} does not answer: start it "
            "(jobpipeline server start, or jobpipeline serve)"
        )
    event = emit_event(event=SEEDS_CHANGED, resource=seeds_resource(seeds, paths, sender), payload={"paths": paths})
    if flush:
        EventsWorker.drain_all(timeout=10)
    return str(event.id) if event else "not sent"


QUALITY_FAILED = "jobpipeline.quality.failed"
ARTICLE_STALE = "jobpipeline.article.stale"
STALE_CODES = ("title-year-stale", "article-not-updated")
STALE_EVENTS_MAX = 200
"""Stale-article events per run at most: a corpus that went stale at once is one problem, not 100,000."""


def quality_events(result: EnrichResult, warehouse: Path) -> list[tuple[str, dict[str, str], dict[str, object]]]:
    """(event, resource, payload) for every failed corpus check (one resource per check and subject)
    and every stale article (up to STALE_EVENTS_MAX), so a Prefect automation can tell someone."""
    where = warehouse.resolve().as_posix()
    events: list[tuple[str, dict[str, str], dict[str, object]]] = []
    for check in result.failed:
        name = check.check if check.subject is None else f"{check.check}.{check.subject}"
        events.append(
            (
                QUALITY_FAILED,
                {
                    "prefect.resource.id": f"jobpipeline.quality.{name}",
                    "prefect.resource.name": name,
                    "jobpipeline.warehouse": where,
                },
                {"value": check.value, "threshold": check.threshold, "message": check.message},
            )
        )
    stale = [f for f in result.findings if f.code in STALE_CODES][:STALE_EVENTS_MAX]
    events.extend(
        (
            ARTICLE_STALE,
            {
                "prefect.resource.id": f"jobpipeline.article.{f.slug}",
                "prefect.resource.name": f.slug or f.source_path,
                "jobpipeline.path": f.source_path,
                "jobpipeline.warehouse": where,
            },
            {"code": f.code, "message": f.message},
        )
        for f in stale
    )
    return events


def emit_quality_events(result: EnrichResult | None, warehouse: Path) -> int:
    """Emit `quality_events` (inside a flow run: Prefect's API is configured); returns how many."""
    from prefect.events import emit_event

    if result is None:
        return 0
    events = quality_events(result, warehouse)
    for event, resource, payload in events:
        emit_event(event=event, resource=resource, payload=payload)
    return len(events)


REVALIDATE_FLOW = "jobpipeline-revalidate"


@dataclass(frozen=True)
class ServedRevalidation:
    """A re-validation deployment something serves right now."""

    name: str
    seeds: str
    """Its `seeds` parameter (absolute for serve's, as prefect.yaml wrote it for the work pool's)."""
    watched: bool
    """Its serve also watches that folder and sends the events itself."""

    def watches(self, seeds: Path) -> bool:
        return self.watched and self.seeds == str(seeds.resolve())


def served_revalidation() -> ServedRevalidation | None:
    """A re-validation deployment that something serves right now (`serve`, or a worker polling its
    pool), or None: then nobody would act on an event and the caller re-validates itself."""
    import asyncio

    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.objects import DeploymentStatus

    async def ready() -> ServedRevalidation | None:
        async with get_client() as client:
            deployments = await client.read_deployments(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[REVALIDATE_FLOW]))
            )
        served = [
            ServedRevalidation(
                f"{REVALIDATE_FLOW}/{d.name}", str(d.parameters.get("seeds", "")), WATCHED_TAG in (d.tags or [])
            )
            for d in deployments
            if d.status == DeploymentStatus.READY and not d.paused
        ]
        # One that watches its own folder first: the caller may then have nothing to do.
        return sorted(served, key=lambda s: not s.watched)[0] if served else None

    return asyncio.run(ready())
