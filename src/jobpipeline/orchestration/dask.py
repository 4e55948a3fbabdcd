"""Where read batches run under Prefect: in the flow's process pool, or on a Dask cluster.

Dask workers receive each file's bytes with its batch (`batches.with_contents`), so they need
no copy of the seeds folder, and they report their task runs to the flow's own Prefect server:
the flow gives every worker its API URL, where a worker with none would start a temporary
server of its own (~10 s each, and its task runs would never reach the flow's UI).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jobpipeline.errors import ConfigurationError
from jobpipeline.settings import get_settings

LOCAL_CLUSTER = "local"
LOCAL_DASHBOARD = "127.0.0.1:8787"
"""Where a local cluster's dashboard listens (Dask moves to a free port when 8787 is taken)."""


@contextmanager
def batch_task_runner(dask: str | None = None) -> Iterator[Any]:
    """The task runner for read batches: None (the flow's own process pool) or a DaskTaskRunner.

    `dask` (an address, or `local`) overrides the `task_runner` / `dask_address` settings: with
    neither, batches stay local; `local` or no address starts a local cluster of `dask_workers`.
    """
    settings = get_settings()
    if dask is None and settings.task_runner == "local":
        yield None
        return
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError:
        raise ConfigurationError(
            "Dask read batches need prefect-dask: uv sync --extra dask (or pip install 'jobpipeline[dask]')"
        ) from None
    address = dask if dask is not None else settings.dask_address
    if address and address != LOCAL_CLUSTER:
        runner = DaskTaskRunner(address=address)
    else:
        _quiet_dashboard_moves()
        runner = DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(settings.dask_workers))
    with runner:
        _report_to_this_server(runner)
        yield runner


def local_cluster_kwargs(workers: int) -> dict[str, Any]:
    """A local cluster for one run. Its dashboard listens on this machine only: Dask's default
    (":8787") serves it on every interface, to anyone on the network, for as long as the run lasts."""
    return {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": LOCAL_DASHBOARD}


def _quiet_dashboard_moves() -> None:
    """When 8787 is taken (another run's cluster, a notebook's), Dask serves the dashboard on a free port
    and says so with a UserWarning: four lines of `distributed/node.py` on the terminal, above the run's
    own. The new address is in the run's log (prefect-dask logs the dashboard link), so the terminal is
    spared. Process-wide and only this message: every other warning of Dask's still shows."""
    warnings.filterwarnings(
        "ignore", message=r"Port \d+ is already in use", category=UserWarning, module=r"distributed\."
    )


def _report_to_this_server(runner: Any) -> None:
    from prefect.settings import get_current_settings

    from jobpipeline.orchestration.dask_plugin import PrefectApiPlugin

    url = get_current_settings().api.url
    if url:
        runner.client.register_plugin(PrefectApiPlugin(str(url)), name=PrefectApiPlugin.name)
