"""Tell a Prefect server that seed files changed, so the re-validation deployment runs."""

from __future__ import annotations

from pathlib import Path

from flows.deployments import SEEDS_CHANGED, seeds_resource
from flows.server import ServerError, is_healthy


def emit_seeds_changed(seeds: Path, paths: list[str]) -> str:
    """Emit `jobpipeline.seeds.changed` for `paths` and flush it; returns the event id.

    emit_event never raises and silently drops events for a server that is down, so the
    server's health is checked first.
    """
    import os

    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker

    api_url = os.environ.get("PREFECT_API_URL", "")
    if not is_healthy(api_url):
        raise ServerError(f"the Prefect server at {api_url} does not answer: start it (jobpipeline serve) or unset "
                          "PREFECT_API_URL to re-validate locally")
    event = emit_event(event=SEEDS_CHANGED, resource=seeds_resource(seeds, paths), payload={"paths": paths})
    EventsWorker.drain_all(timeout=10)
    return str(event.id) if event else "not sent"
