"""The Dask worker plugin that points a worker's Prefect client at the flow's server.

A module of its own: it imports `distributed`, which only a Dask run should pay for, and workers
unpickle the plugin by this module's name.
"""

from __future__ import annotations

import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class PrefectApiPlugin(WorkerPlugin):
    """Sets PREFECT_API_URL on every worker, including workers that join later."""

    name = "jobpipeline-prefect-api"

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url

    def setup(self, worker: Any) -> None:
        os.environ["PREFECT_API_URL"] = self.api_url
