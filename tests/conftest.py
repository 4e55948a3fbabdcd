"""Shared fixtures: the real seed article, article builders, and one Prefect harness per session."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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
SESSION_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="jobpipeline-test-prefect-"))
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
    yield SESSION_PREFECT_HOME
    shutil.rmtree(SESSION_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def managed_server(prefect_home: Path) -> Iterator[Any]:
    """One real Prefect server for the whole session, started the way `jobpipeline run` starts it
    (on a free port, so a developer's own server on 4200 is left alone), stopped at the end."""
    from jobpipeline.orchestration.server import ensure_server, free_port, stop_server

    with pytest.MonkeyPatch.context() as environment:
        # Interval schedules of new deployments are planned within a second, not the default ten.
        environment.setenv("PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS", "1")
        server, _ = ensure_server(prefect_home, lambda line: None, port=free_port())
        try:
            yield server
        finally:
            # Deliver what the session's flow runs still queue before their server goes away.
            from jobpipeline.orchestration.launch import flush_prefect

            flush_prefect()
            stop_server(prefect_home)


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
