"""`jobpipeline serve`: one command that runs the schedule and the trigger on one machine."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from flows.server import local_server


def serve_deployments(*, seeds: Path, warehouse: Path, cron: str, timezone: str, interval: float | None,
                      port: int, poll: float, say: Callable[[str], None] = print) -> None:
    """Serve both deployments until interrupted, starting (and stopping) a local server if needed.

    The temporary server Prefect starts when no API URL is set runs no scheduler, so a real
    server is required for the schedule to fire and the trigger to react.
    """
    with ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))
            home.mkdir(parents=True, exist_ok=True)
            say(f"starting a local Prefect server on port {port} (log: {home / 'jobpipeline-server.log'})...")
            api_url = stack.enter_context(local_server(port=port, log=home / "jobpipeline-server.log"))
            os.environ["PREFECT_API_URL"] = api_url  # before Prefect's client is first used
            say(f"Prefect server ready: UI at {api_url.removesuffix('/api')}")
        else:
            say(f"using the Prefect server at {os.environ['PREFECT_API_URL']}")

        from prefect.runner import Runner

        from flows.deployments import INGEST_DEPLOYMENT, REVALIDATE_DEPLOYMENT, build_deployments

        runner = Runner(name="jobpipeline", query_seconds=poll, limit=4)
        for deployment in build_deployments(seeds, warehouse, cron=cron, timezone=timezone, interval=interval):
            runner.add_deployment(deployment)
        when = f"every {interval:g} s" if interval else f"on cron '{cron}' ({timezone})"
        say(f"serving {INGEST_DEPLOYMENT} {when} and {REVALIDATE_DEPLOYMENT} on jobpipeline.seeds.changed; "
            "Ctrl-C stops")
        try:
            asyncio.run(runner.start())
        except KeyboardInterrupt:
            say("stopping...")
