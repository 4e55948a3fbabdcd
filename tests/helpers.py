"""Test helpers: run the CLI in-process or as a subprocess, and read the DuckDB file it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
from typer.testing import CliRunner

from jobpipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run `jobpipeline ARGS` in this process; returns click's Result (exit_code, stdout)."""
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def run_local(seeds: Path, warehouse: Path, *extra: str) -> dict[str, Any]:
    """`jobpipeline run --local --format json` in-process; the parsed summary."""
    result = cli("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse), "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def rows(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def spawn(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `jobpipeline ARGS` as a real process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
