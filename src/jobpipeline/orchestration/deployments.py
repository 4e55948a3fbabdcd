"""The deployments, described once: `jobpipeline serve` builds them from here, and
tests check that prefect.yaml (the work-pool route) declares the same schedule and trigger.

The two routes register different names (`scheduled-ingest` on the work pool, `serve-scheduled-ingest`
under serve): a deployment name is a key on the server, and serve taking over the work-pool
deployment's name left it with no pull steps, so every work-pool run crashed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INGEST_DEPLOYMENT = "scheduled-ingest"
REVALIDATE_DEPLOYMENT = "revalidate-on-change"
SERVE_INGEST = "serve-" + INGEST_DEPLOYMENT
SERVE_REVALIDATE = "serve-" + REVALIDATE_DEPLOYMENT
ENRICH_DEPLOYMENT = "scheduled-enrich"
SERVE_ENRICH = "serve-" + ENRICH_DEPLOYMENT
ENRICH_CRON = "0 4 * * *"
"""Daily at 04:00 in Asia/Tokyo: date-dependent checks (a title's year, an article's age) turn over there."""
WORK_POOL = "jobpipeline-process"
CRON = "*/30 * * * *"
TIMEZONE = "Asia/Tokyo"
SEEDS_CHANGED = "jobpipeline.seeds.changed"
RESOURCE_PREFIX = "jobpipeline.seeds"
PATHS_LABEL = "jobpipeline.paths"
PATHS_TEMPLATE = "{{ event.resource['" + PATHS_LABEL + "'] }}"
SENDER_LABEL = "jobpipeline.sender"
"""Who sent a seeds-changed event (`watch`, `serve:<id>`, or what a person writes): serve's trigger
ignores the events its own watcher sent, since serve re-validates those saves directly."""


def seeds_resource(seeds: Path, paths: list[str], sender: str = "watch") -> dict[str, str]:
    """The event resource for changed seed files: one id per seeds folder, the paths as a label."""
    return {
        "prefect.resource.id": f"{RESOURCE_PREFIX}.{seeds.resolve().as_posix()}",
        "prefect.resource.name": seeds.name,
        PATHS_LABEL: "\n".join(paths),
        "jobpipeline.path": paths[0] if paths else "",
        SENDER_LABEL: sender,
    }


def trigger_spec(seeds: Path | None = None, *, not_from: str | None = None) -> dict[str, Any]:
    """The re-validation trigger, as prefect.yaml writes it (any seeds folder), or for one folder;
    `not_from`: ignore events whose sender is that (Prefect's `!` negation; an event must then
    carry a sender label to match)."""
    resource = f"{RESOURCE_PREFIX}.{seeds.resolve().as_posix()}" if seeds else f"{RESOURCE_PREFIX}.*"
    match = {"prefect.resource.id": resource}
    if not_from is not None:
        match[SENDER_LABEL] = "!" + not_from
    return {
        "type": "event",
        "enabled": True,
        "expect": [SEEDS_CHANGED],
        "match": match,
        "parameters": {"paths": PATHS_TEMPLATE},
    }


SAVED_TAG = "jobpipeline:saved"
"""Tag of a re-validation run serve created for a save its own watcher saw: its trigger is `event`
(a save), though no automation created it."""

WATCHED_TAG = "jobpipeline:serve-watches-folder"
"""Tag of a serve re-validation deployment whose serve also watches its folder (watch then stands down)."""


def build_deployments(
    seeds: Path,
    warehouse: Path,
    *,
    cron: str = CRON,
    timezone: str = TIMEZONE,
    interval: float | None = None,
    watching: bool = False,
    sender: str | None = None,
    enrich_cron: str | None = None,
) -> list[tuple[Any, Any]]:
    """Serve's deployments with the flow each runs: ingest on a schedule (never overlapping) and
    re-validation on `jobpipeline.seeds.changed` events for this seeds folder. `interval` (seconds)
    replaces the cron schedule; `watching` tags the re-validation as fed by serve's own watch, whose
    events (sent as `sender`) the trigger then ignores: serve runs those re-validations directly.
    Enrichment runs on its own cron (`enrich_cron`, default the `enrich_cron` setting), never
    overlapping itself."""
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Cron, Interval

    from jobpipeline.orchestration.flows import enrich_flow, ingest_flow, revalidate_flow
    from jobpipeline.settings import get_settings

    where = {"seeds": str(seeds.resolve()), "warehouse": str(warehouse.resolve())}
    schedule = Interval(interval) if interval else Cron(cron, timezone=timezone)
    ingest = ingest_flow.to_deployment(
        name=SERVE_INGEST,
        parameters={**where, "trigger": "schedule"},
        concurrency_limit=1,
        description="Ingest the seeds folder into the warehouse and publish the datasets (jobpipeline serve).",
        schedules=[schedule],
    )
    spec = trigger_spec(seeds, not_from=sender if watching else None)
    revalidate = revalidate_flow.to_deployment(
        name=SERVE_REVALIDATE,
        parameters={**where, "trigger": "seeds-changed"},
        triggers=[
            DeploymentEventTrigger(
                expect=set(spec["expect"]),
                match=spec["match"],
                parameters=spec["parameters"],
            )
        ],
        description="Re-validate seed files named by a jobpipeline.seeds.changed event (jobpipeline serve).",
        tags=[WATCHED_TAG] if watching else [],
    )
    enrich = enrich_flow.to_deployment(
        name=SERVE_ENRICH,
        parameters={"warehouse": where["warehouse"], "trigger": "schedule"},
        concurrency_limit=1,
        description="Benchmarks and quality checks over the warehouse, then publish (jobpipeline serve).",
        schedules=[Cron(enrich_cron or get_settings().enrich_cron, timezone=timezone)],
    )
    return [(ingest, ingest_flow), (revalidate, revalidate_flow), (enrich, enrich_flow)]
