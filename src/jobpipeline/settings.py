"""Every setting of jobpipeline in one object: its environment variable, its default, what it does.

Read once per command with `get_settings()`; command-line options override single fields. The
settings table in docs/settings.md is generated from this class (a test keeps them equal). Prefect's own
settings (`PREFECT_API_URL`, `PREFECT_HOME`, profiles) stay Prefect's: `orchestration.server`
reads them through Prefect.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCK_WAIT_SECONDS = 600.0
"""How long a run waits for another run's writer lock before it gives up."""


class Settings(BaseSettings):
    """jobpipeline's settings, from `JOBPIPELINE_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="JOBPIPELINE_", frozen=True, extra="ignore")

    seeds: Path = Field(Path("seeds"), description="Seeds folder read by every command.")
    warehouse: Path = Field(Path("warehouse/jobs.duckdb"), description="The DuckDB warehouse file.")
    lock_wait_seconds: float = Field(
        LOCK_WAIT_SECONDS, ge=0, description="Seconds a run waits for another run's writer lock (`--wait`)."
    )
    prefect_server: Literal["managed", "ephemeral"] = Field(
        "managed",
        description="With no Prefect API configured: `managed` starts (or reuses) a background Prefect server "
        "under PREFECT_HOME that later runs reuse; `ephemeral` lets Prefect start a temporary server in each "
        "process and leaves nothing running (for CI and containers).",
    )
    server_port: int = Field(4200, ge=1, le=65535, description="Port the managed server tries first.")
    server_start_timeout: float = Field(90.0, gt=0, description="Seconds to wait for a new server to answer.")
    task_runner: Literal["local", "dask"] = Field(
        "local", description="Where read batches run under Prefect: the local process pool, or Dask."
    )
    dask_address: str | None = Field(None, description="A running Dask scheduler (`tcp://host:8786`) for `dask`.")
    dask_workers: int = Field(2, ge=1, description="Workers of the local Dask cluster started when no address.")
    kill_at: str | None = Field(None, description="Test hook: SIGKILL the run at this fault point.")
    pause_at: str | None = Field(None, description="Test hook: pause the run at this fault point.")
    pause_file: str | None = Field(None, description="Test hook: `<file>.reached` / `<file>.release` for pause_at.")


def get_settings() -> Settings:
    """The settings as the environment has them now (built again whenever a JOBPIPELINE_ variable changed)."""
    key = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("JOBPIPELINE_")))
    return _settings_for(key)


@functools.lru_cache(maxsize=8)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    # Building Settings costs ~0.6 ms; fault checkpoints ask once per read batch.
    from jobpipeline.errors import ConfigurationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"JOBPIPELINE_{'_'.join(str(part) for part in error['loc']).upper()}={error.get('input')!r}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"{problems} (see docs/settings.md)") from None


def settings_table() -> str:
    """The settings table of docs/settings.md, generated from `Settings`."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default is None else (default.as_posix() if isinstance(default, Path) else str(default))
        lines.append(
            f"| `{prefix}{name.upper()}` | `{shown}` | {field.description} |"
            if shown
            else f"| `{prefix}{name.upper()}` | | {field.description} |"
        )
    return "\n".join(lines)
