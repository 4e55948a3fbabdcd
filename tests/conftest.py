"""Shared fixtures: the real seed article, article builders, and one Prefect harness per session."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_d9b025f51903baf0.txt"

# Prefect reads settings at import: keep its console quiet in tests, and keep the tests away from the
# developer's own Prefect (profiles, database, a managed server): a PREFECT_HOME of this session's own.
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILES_PATH", None)
XDIST_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
"""Set in the worker processes of a parallel run (pytest-xdist), the same in all of them."""
if XDIST_RUN:
    # The workers of one run share a PREFECT_HOME, so the first to need the managed server starts it and the
    # others reuse it (ensure_server serializes them); the controller stops it when the run ends.
    SESSION_PREFECT_HOME = Path(tempfile.gettempdir()) / f"jobpipeline-test-prefect-{XDIST_RUN}"
    SESSION_PREFECT_HOME.mkdir(exist_ok=True)
else:
    SESSION_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="jobpipeline-test-prefect-"))
    # A script that imports the tests' builders (benchmarks/pathological.py) has no pytest session to remove
    # it: one empty folder in /tmp each time it ran (pytest_sessionfinish removes it first in a test run).
    atexit.register(shutil.rmtree, SESSION_PREFECT_HOME, ignore_errors=True)
os.environ["PREFECT_HOME"] = str(SESSION_PREFECT_HOME)


@contextmanager
def kept_environment() -> Iterator[None]:
    """`os.environ` as it was on entry, when the block exits: variables set, changed or removed are put back."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        for key, value in saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` first, each group in its (random) order. With the suite spread over workers,
    the long tests start while the short ones fill in around them; last, one worker would finish a
    30-second test alone. Runs after pytest-randomly's shuffle, so the order within a group stays random."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """Each test leaves the environment as it found it. The in-process CLI sets Prefect's variables
    (`quiet_prefect`'s defaults, PREFECT_API_URL while a command runs): kept, they would change what the
    next test's processes inherit, so a test would pass or fail by what ran before it."""
    with kept_environment():
        yield


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


def make_article(
    slug: str,
    *,
    title: str | None = None,
    related: list[str] | None = None,
    category: str = "ai-data",
    salary: list[tuple[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    body_extra: str = "",
) -> str:
    """A small but complete article in the seed's shape."""
    front: dict[str, Any] = {
        "slug": slug,
        "title": title if title is not None else f"{slug}の年収・将来性は？",
        "category": category,
        "meta_description": f"{slug} の説明",
        "tags": ["Python", "Kubernetes"],
        "keywords": ["キャリア"],
        "related_jobs": related if related is not None else [],
        "thumbnail": f"/static/img/{slug}.png",
        "hero_image": f"/static/img/{slug}_hero.png",
    }
    if extra:
        front.update(extra)
    rows = (
        salary
        if salary is not None
        else [
            ("ジュニア (0-3年)", "450〜700"),
            ("ミドル (3-7年)", "700〜1,100"),
            ("シニア (7年以上/リード)", "1,100〜1,800+"),
        ]
    )
    table = "\n".join(f"| {label} | {cell} | 特徴 |" for label, cell in rows)
    return (
        "---json\n" + json.dumps(front, ensure_ascii=False, indent=2) + "\n---\n\n"
        "## 💰 日本での推定年収\n\n"
        "| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |\n" + table + "\n\n"
        "# タイトル\n\n## 1️⃣ 概要\n\n本文。\n\n### 💻 ツール・サービス\n\n"
        "| ツールカテゴリ | 具体的なツール名と用途 |\n| :--- | :--- |\n"
        "| CI/CDツール | Jenkins, GitHub Actionsなどを用いた自動化。 |\n"
        "| コンテナ | Kubernetes (K8s) によるデプロイ。 |\n\n"
        f"{body_extra}\n"
        "#推奨タグ\n`#Python`\n`#k8s`\n"
    )


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    path = tmp_path / "seeds"
    path.mkdir()
    return path


@pytest.fixture
def write_seed(seeds_dir: Path) -> Callable[..., Path]:
    def write(name: str, content: str | bytes) -> Path:
        target = seeds_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    return write


@pytest.fixture(scope="session")
def prefect_home() -> Iterator[Path]:
    """The test session's PREFECT_HOME: its database, and the managed server's state."""
    yield SESSION_PREFECT_HOME  # removed by pytest_sessionfinish


@pytest.fixture(scope="session")
def managed_server(prefect_home: Path) -> Iterator[Any]:
    """One real Prefect server for the whole run, started the way `jobpipeline run` starts it (on a free
    port, so a developer's own server on 4200 is left alone), stopped at the end. In a parallel run the
    workers share it: tests that register deployments or count the server's automations run on one
    worker (SAME_WORKER), so they never see another test's."""
    from jobpipeline.orchestration.server import ensure_server, free_port, stop_server

    # The server as a user's: serve schedules its own deployments' runs (serving.schedule_now), so no
    # test depends on how soon the server's scheduler notices a new deployment.
    server, _ = ensure_server(prefect_home, lambda line: None, port=free_port())
    try:
        yield server
    finally:
        # Deliver what the session's flow runs still queue before their server goes away.
        from jobpipeline.orchestration.launch import flush_prefect

        flush_prefect()
        if not XDIST_RUN:
            stop_server(prefect_home)


def _parallel_controller(config: pytest.Config) -> bool:
    """True in the process that hands tests to pytest-xdist workers."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


_PRESTART: list[subprocess.Popen[bytes]] = []


def _parallel_home(config: pytest.Config) -> Path:
    return Path(tempfile.gettempdir()) / f"jobpipeline-test-prefect-{config.option.testrunuid}"


def pytest_configure(config: pytest.Config) -> None:
    if not _parallel_controller(config):
        return
    if not config.option.testrunuid:
        # Chosen here, not by xdist, so that the controller knows the workers' PREFECT_HOME.
        config.option.testrunuid = uuid.uuid4().hex
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return  # some tests named: they may need no server at all
    # The whole suite: start the workers' shared server now, in the background, with `jobpipeline server
    # start` (which takes the same lock as the workers' ensure_server). It comes up while they start and
    # collect, instead of every worker waiting ~10 s for it at its first test that needs it.
    from jobpipeline.orchestration.server import free_port

    home = _parallel_home(config)
    home.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "JOBPIPELINE_SERVER_PORT": str(free_port()),
        }
    )
    command = [sys.executable, "-m", "jobpipeline.cli", "server", "start"]
    _PRESTART.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


SAME_WORKER = {
    # They register deployments on the shared server or count its automations (serve, the work-pool route),
    # or check that nothing serves (watch): run one after another, they never see each other's.
    "tests/test_routes.py": "deployments",
    "tests/test_serve.py": "deployments",
    "tests/test_watch_in_process.py": "deployments",
    # Their module fixtures build warehouses or corpora (several runs, 80 articles): once, not once per worker.
    "tests/test_report.py": "test_report.py",
    "tests/test_hostile_input.py": "test_hostile_input.py",
    "tests/test_signals.py": "test_signals.py",
    "tests/test_enrichment.py": "test_enrichment.py",
    "tests/test_synth.py": "test_synth.py",
    "tests/test_warehouse_faults.py": "test_warehouse_faults.py",
}
"""Test files whose tests run on one worker in a parallel run, by the name of their group."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the machine has cores, at most four. Much of the suite waits on
    servers, subprocesses and debounce timers; a third worker on 2 cores filled that idle time (3:02
    against 3:15 with two, measured on a quiet machine), and each worker adds a few seconds of imports."""
    return min(4, (os.cpu_count() or 1) + 1)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's scope scheduling with SAME_WORKER's groups as scopes and every other test a scope of its own.
    (Not xdist's `xdist_group` marks: pytest-xdist 3.8 renames the test to group it, which pytest 9.2
    ignores, so the marks group nothing.)"""
    from xdist.scheduler import LoadScopeScheduling

    class SameWorkerScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SAME_WORKER.get(nodeid.split("::", 1)[0], nodeid)

    return SameWorkerScheduling(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller of a parallel run stops the workers' shared server once they have all finished. A run
    in one process removes its PREFECT_HOME, used or not (`prefect_home`'s teardown runs only if a test used
    it: 352 homes had piled up in /tmp from runs of a few test files)."""
    if not XDIST_RUN:  # a worker's home is the run's shared one: the controller removes that below
        shutil.rmtree(SESSION_PREFECT_HOME, ignore_errors=True)
    if not _parallel_controller(session.config):
        return
    from jobpipeline.orchestration.server import stop_server

    for starting in _PRESTART:
        starting.wait(120)
    home = _parallel_home(session.config)
    if home.exists():
        stop_server(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness(managed_server: Any) -> Iterator[None]:
    """In-process flow runs report to the session's real server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: managed_server.api_url}):
        yield


@pytest.fixture
def default_route_env(prefect_home: Path, managed_server: Any) -> dict[str, str]:
    """The environment of a user who set nothing: no API URL, the managed server under PREFECT_HOME."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("PREFECT_API_URL", "JOBPIPELINE_PREFECT_SERVER")
    }
    env["PREFECT_HOME"] = str(prefect_home)
    return env
