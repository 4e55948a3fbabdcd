"""Read batches on a real Dask cluster: a scheduler and two workers started as separate processes,
in a mount namespace where the test's folder (seeds included) is hidden under an empty tmpfs, and
with no Prefect API of their own. A run must still read every file (the batches carry the bytes)
and record its task runs on the flow's server (no worker starts a temporary one)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_article
from helpers import need_tmpfs, rows

pytestmark = pytest.mark.slow


def _free_port() -> int:
    from jobpipeline.orchestration.server import free_port

    return free_port()


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.fixture(scope="module")
def hidden_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder the cluster's processes cannot see: an empty tmpfs is mounted over it for them."""
    need_tmpfs()  # the same capability as the tmpfs disk tests, the same verdict when it is missing
    root = tmp_path_factory.mktemp("hidden")
    yield root


@pytest.fixture(scope="module")
def dask_cluster(hidden_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`dask scheduler` and two `dask worker` processes, each started on its own as a user would."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    elsewhere = tmp_path_factory.mktemp("cluster-cwd")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    env.update(
        {
            "PREFECT_HOME": str(elsewhere / "prefect-home"),
            "DASK_LOGGING__DISTRIBUTED": "error",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    hide = f"mount -t tmpfs none {hidden_root} && exec "
    commands = [
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-dashboard",
        ],
        *[
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{index}",
            ]
            for index in range(2)
        ],
    ]
    logs = [elsewhere / f"process-{index}.log" for index in range(len(commands))]
    processes = [
        subprocess.Popen(
            ["unshare", "--mount", "sh", "-c", hide + " ".join(command)],
            cwd=elsewhere,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
            start_new_session=True,
        )
        for command, log in zip(commands, logs, strict=True)
    ]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            workers = client.run(os.getpid)
        yield {"address": address, "worker_pids": list(workers.values()), "logs": logs}
    finally:
        # The cluster holds no state worth a graceful goodbye (which costs seconds per worker).
        for process in reversed(processes):
            process.kill()
        for process in processes:
            process.wait(10)


def test_workers_without_the_folder_read_every_file(
    dask_cluster: dict[str, Any],
    hidden_root: Path,
    managed_server: Any,
    default_route_env: dict[str, str],
    write_seed: Callable[..., Path],
    seeds_dir: Path,
) -> None:
    """`run --dask ADDRESS` loads a folder the workers cannot open: every file arrives as bytes, the
    read-batch task runs land on the flow's server, and no worker starts a Prefect server of its own."""
    seeds = hidden_root / "seeds"
    seeds.mkdir()
    for index in range(40):
        (seeds / f"{index:02}.txt").write_text(make_article(f"job_{index}"), encoding="utf-8")
    warehouse = hidden_root / "wh" / "jobs.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobpipeline.cli",
            "run",
            "--dask",
            dask_cluster["address"],
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
        ],
        cwd=ROOT,
        env=default_route_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(result.stdout)
    assert (record["articles_loaded"], record["files_rejected"]) == (40, 0)
    assert rows(warehouse, "SELECT count(*) FROM salary_bands") == [(120,)]
    [(flow_run_id,)] = rows(warehouse, "SELECT flow_run_id FROM runs")

    batches = asyncio.run(_read_batch_task_runs(managed_server.api_url, flow_run_id))
    assert len(batches) == 3 and all(state == "COMPLETED" for state in batches), batches  # 40 files, 16 a batch

    from distributed import Client

    with Client(dask_cluster["address"], timeout=30) as client:
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert sum(ran.values()) >= 3, ran  # the cluster ran the batches, not the flow's own process
    # A temporary Prefect server would be a child process of the worker that started it, and say so.
    assert all(_children(pid) == [] for pid in dask_cluster["worker_pids"])
    assert not any("temporary server" in log.read_text().lower() for log in dask_cluster["logs"])


async def _read_batch_task_runs(api_url: str, flow_run_id: str) -> list[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            deadline = time.monotonic() + 10
            while True:
                runs = await client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
                )
                batches = [
                    run.state_type.value
                    for run in runs
                    if run.name.startswith("read-batch") and run.state_type is not None
                ]
                if len(batches) >= 3 or time.monotonic() > deadline:
                    return batches
                await asyncio.sleep(0.2)


def test_a_local_cluster_listens_on_this_machine_only_and_warns_nothing_when_its_port_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run's task runner, as `run --dask local` makes it, on a real local cluster: its dashboard listens
    on 127.0.0.1 (Dask's default serves it on every interface). And while 8787 is taken (another run's
    cluster, a notebook's) Dask moves it to a free port and warns with Python's warning machinery, which put
    four lines of `distributed/node.py:195: UserWarning: Port 8787 is already in use ...` on the terminal
    above the run's own: no such warning (the link is in the run log, from prefect-dask)."""
    import socket
    import warnings

    from jobpipeline.orchestration.dask import batch_task_runner

    monkeypatch.setenv("JOBPIPELINE_DASK_WORKERS", "1")  # settings follow the environment
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        except OSError:
            pass  # something already holds it: the case itself
        with warnings.catch_warnings(record=True) as seen, batch_task_runner("local") as runner:
            assert runner is not None and runner.client.dashboard_link
            http = runner.client.cluster.scheduler.http_server
            hosts = {sock.getsockname()[0] for sock in http._sockets.values()}
    assert hosts == {"127.0.0.1"}
    said = [str(w.message) for w in seen if "already in use" in str(w.message)]
    assert said == []
