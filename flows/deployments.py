"""The two deployments, described once: `jobpipeline serve` builds them from here, and
tests check that prefect.yaml (the work-pool route) declares the same schedule and trigger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INGEST_DEPLOYMENT = "scheduled-ingest"
REVALIDATE_DEPLOYMENT = "revalidate-on-change"
WORK_POOL = "jobpipeline-process"
CRON = "*/30 * * * *"
TIMEZONE = "Asia/Tokyo"
SEEDS_CHANGED = "jobpipeline.seeds.changed"
RESOURCE_PREFIX = "jobpipeline.seeds"
PATHS_LABEL = "jobpipeline.paths"
PATHS_TEMPLATE = "{{ event.resource['" + PATHS_LABEL + "'] }}"


def seeds_resource(seeds: Path, paths: list[str]) -> dict[str, str]:
    """The event resource for changed seed files: one id per seeds folder, the paths as a label."""
    return {
        "prefect.resource.id": f"{RESOURCE_PREFIX}.{seeds.resolve().as_posix()}",
        "prefect.resource.name": seeds.name,
        PATHS_LABEL: "\n".join(paths),
        "jobpipeline.path": paths[0] if paths else "",
    }


def trigger_spec() -> dict[str, Any]:
    """The re-validation trigger, as prefect.yaml writes it."""
    return {
        "type": "event",
        "enabled": True,
        "expect": [SEEDS_CHANGED],
        "match": {"prefect.resource.id": f"{RESOURCE_PREFIX}.*"},
        "parameters": {"paths": PATHS_TEMPLATE},
    }


def build_deployments(seeds: Path, warehouse: Path, *, cron: str = CRON, timezone: str = TIMEZONE,
                      interval: float | None = None) -> list[Any]:
    """Runner deployments for `serve`: ingest on a schedule (never overlapping) and re-validation
    on the `jobpipeline.seeds.changed` event. `interval` (seconds) replaces the cron schedule."""
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Cron, Interval

    from flows.ingest import ingest_flow, revalidate_flow

    where = {"seeds": str(seeds.resolve()), "warehouse": str(warehouse.resolve())}
    schedule = Interval(interval) if interval else Cron(cron, timezone=timezone)
    ingest = ingest_flow.to_deployment(
        name=INGEST_DEPLOYMENT,
        parameters={**where, "trigger": "schedule", "wait_seconds": 600.0},
        concurrency_limit=1,
        description="Ingest the seeds folder into the warehouse and publish the datasets.",
        schedules=[schedule],
    )
    spec = trigger_spec()
    revalidate = revalidate_flow.to_deployment(
        name=REVALIDATE_DEPLOYMENT,
        parameters={**where, "trigger": "seeds-changed", "wait_seconds": 600.0},
        triggers=[DeploymentEventTrigger(
            expect=set(spec["expect"]), match=spec["match"], parameters=spec["parameters"],
        )],
        description="Re-validate seed files named by a jobpipeline.seeds.changed event.",
    )
    return [ingest, revalidate]
