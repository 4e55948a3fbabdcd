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

from pydantic import Field, ValidationError, field_validator
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
    stop_grace_seconds: float = Field(
        20.0,
        gt=0,
        description="Seconds a run stopped by SIGINT, SIGTERM or SIGHUP before its commit has to clean up (remove its "
        "copy, end its readers, tell Prefect); past them the process ends at once.",
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
    enrich_cron: str = Field(
        "0 4 * * *", description="When the `jobpipeline-enrich` flow runs on its own (cron, Asia/Tokyo) in serve."
    )
    outlier_z: float = Field(3.5, gt=0, description="`salary-outlier`: robust z-score beyond which a band is flagged.")
    outlier_min_bands: int = Field(
        8, ge=3, description="`salary-outlier`: fewest closed annual bands a category x level needs to be judged."
    )
    stale_after_days: int = Field(365, ge=1, description="`article-not-updated`: days unchanged before flagged.")
    check_article_drop_pct: float = Field(
        10.0, ge=0, description="`quality_checks`: fail when the article count drops by more (percent)."
    )
    check_rejected_points: float = Field(
        5.0, ge=0, description="`quality_checks`: fail when the rejected-file share rises by more (points)."
    )
    check_median_move_pct: float = Field(
        15.0, ge=0, description="`quality_checks`: fail when a category's median midpoint moves by more (percent)."
    )
    check_dangling_up_pct: float = Field(
        20.0, ge=0, description="`quality_checks`: fail when dangling related_jobs links rise by more (percent)."
    )
    kill_at: str | None = Field(None, description="Test hook: SIGKILL the run at this fault point.")
    pause_at: str | None = Field(None, description="Test hook: pause the run at this fault point.")
    pause_file: str | None = Field(None, description="Test hook: `<file>.reached` / `<file>.release` for pause_at.")

    @field_validator("seeds", "warehouse", mode="before")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        # JOBPIPELINE_SEEDS="" (an empty variable in a service file) is Path(""), the current folder.
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: set a path or unset the variable")
        return given_path(value) if isinstance(value, str) else value


def given_path(text: str) -> Path:
    """A path as a person wrote it, with a leading `~` meaning their home folder. A service file, a `.env`
    file or a quoted `--seeds "~/seeds"` reaches the program with the `~` unexpanded (only a shell expands
    it, and not inside quotes): it was a folder named `~` that did not exist. `./~` still names one.

    >>> given_path("~/seeds") == Path.home() / "seeds", given_path("seeds/~x"), given_path("./~")
    (True, PosixPath('seeds/~x'), PosixPath('~'))
    """
    return Path(text).expanduser() if text.startswith("~") else Path(text)  # Path("./~") is Path("~")


def warehouse_file(path: Path) -> Path:
    """The file a warehouse path names: a symbolic link (`warehouse/jobs.duckdb -> /data/jobs.duckdb`) is
    followed. A run writes its copy, lock and published datasets beside the warehouse and renames the copy
    over it: beside a link, the rename replaced the link with a new file, the target stayed at the old run
    for good, and runs through the link and through the target took different locks."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def found_above(path: Path, here: Path | None = None) -> str | None:
    """The nearest folder above `here` (the current folder) that has the relative `path`: a command run
    from a subfolder of the project (`cd docs`) looks for `seeds/` and `warehouse/jobs.duckdb` there."""
    if path.is_absolute():
        return None
    try:
        start = (here or Path.cwd()).resolve()
    except OSError:  # the current folder was deleted
        return None
    return next((str(folder) for folder in start.parents if (folder / path).exists()), None)


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
            f"JOBPIPELINE_{'_'.join(str(part) for part in error['loc']).upper()}={error.get('input')!r}: "
            f"{error['msg'].removeprefix('Value error, ')}"
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
