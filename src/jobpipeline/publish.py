"""The datasets edge: the only module that writes published files.

Each run writes its datasets into a fresh folder `.published/run-NNNNNN/` and then swaps the
`published` symlink to it with one rename, so a reader sees one run's files or the next run's,
never a mix. The previous folders are kept for a while, so a reader that resolved the link just
before the swap can finish reading.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from jobpipeline.errors import PublishedSharedError
from jobpipeline.schema import DATASETS, Dataset
from jobpipeline.warehouse import WarehouseReader, last_run_id

KEEP_VERSIONS = 3
REPORT_FILE = "report.html"


def published_path(warehouse: Path) -> Path:
    """`published/` beside the warehouse file (a symlink to the current run's folder)."""
    return warehouse.parent / "published"


def versions_path(warehouse: Path) -> Path:
    return warehouse.parent / ".published"


__all__ = [
    "DATASETS",
    "KEEP_VERSIONS",
    "REPORT_FILE",
    "CatchUp",
    "Dataset",
    "catch_up",
    "check_published_owner",
    "go_live",
    "live_run",
    "other_publisher",
    "published_behind",
    "published_by_other",
    "published_owner",
    "published_path",
    "stage_datasets",
    "staged_runs",
    "version_path",
    "versions_path",
]

CatchUp = Literal["up-to-date", "go-live", "republish"]


def catch_up(committed: int | None, live: int | None, staged: set[int]) -> CatchUp:
    """What makes `published` show the warehouse's last committed run.

    A run commits the warehouse (one rename) and then swaps `published` (a second one); killed in
    between, the warehouse is at run N and the datasets at N-1. Rules, in order:
    - no committed run, or the live datasets are that run's (or newer): up-to-date;
    - the run's version folder was staged before the commit (it always is, unless removed): go-live;
    - otherwise write the datasets again from the warehouse: republish.
    """
    if committed is None or (live is not None and live >= committed):
        return "up-to-date"
    return "go-live" if committed in staged else "republish"


def published_by_other(this: str, owner: str | None, owner_exists: bool) -> str | None:
    """The other warehouse file whose datasets `published/` holds, if a run of `this` must not replace them.

    `published/` and `.published/` belong to the folder, so two warehouse files in one folder (a
    `jobs.duckdb` and a `test.duckdb`) overwrote each other's datasets, version folders and report, and
    `query` then took the other's run for its own. The manifest names the file that published; a file by
    that name that is gone (the warehouse was renamed) leaves them to this one.

    >>> published_by_other("test.duckdb", "jobs.duckdb", owner_exists=True)
    'jobs.duckdb'
    >>> published_by_other("jobs.duckdb", "old.duckdb", owner_exists=False) is None
    True
    """
    if owner is None or owner == this or not owner_exists:
        return None
    return owner


def published_owner(warehouse: Path) -> str | None:
    """The warehouse file named by the live manifest (None: nothing published, or a manifest that cannot be read)."""
    try:
        manifest = json.loads((published_path(warehouse) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    owner = manifest.get("warehouse") if isinstance(manifest, dict) else None
    return owner if isinstance(owner, str) and owner else None


def other_publisher(warehouse: Path) -> str | None:
    """The other warehouse file (in the same folder) whose datasets `published/` holds; None: this one's or none."""
    owner = published_owner(warehouse)
    return published_by_other(warehouse.name, owner, owner is not None and (warehouse.parent / owner).exists())


def check_published_owner(warehouse: Path) -> None:
    """Raise PublishedSharedError when `published/` holds another warehouse file's datasets."""
    other = other_publisher(warehouse)
    if other is not None:
        suggestion = (warehouse.parent / warehouse.stem / warehouse.name).as_posix()
        raise PublishedSharedError(str(warehouse), other, suggestion)


def version_path(warehouse: Path, run_id: int) -> Path:
    return versions_path(warehouse) / f"run-{run_id:06d}"


def live_run(warehouse: Path) -> int | None:
    """The run whose datasets `published` shows (None: nothing published, or not a link to a version)."""
    try:
        target = os.readlink(published_path(warehouse))
    except OSError:
        return None
    found = re.fullmatch(r"run-(\d+)", Path(target).name)
    return int(found.group(1)) if found else None


def published_behind(warehouse: Path) -> tuple[int, int | None] | None:
    """(the warehouse's last committed run, the run `published` shows) when the datasets lag behind; else None."""
    try:
        # A swap made after the warehouse was last written cannot be behind it: two stats instead of
        # opening the warehouse (~25 ms of each `query`).
        if published_path(warehouse).lstat().st_mtime_ns > warehouse.stat().st_mtime_ns:
            return None
    except OSError:
        pass
    committed = last_run_id(warehouse)
    live = live_run(warehouse)
    if committed is None or catch_up(committed, live, set()) == "up-to-date":
        return None
    if other_publisher(warehouse) is not None:
        return None  # another warehouse's datasets: no lag of this one's to speak of (`report` says whose)
    return committed, live


def staged_runs(warehouse: Path) -> set[int]:
    """Runs with a complete version folder under `.published/` (a folder is renamed into place when complete)."""
    if not versions_path(warehouse).is_dir():
        return set()
    return {int(p.name[4:]) for p in versions_path(warehouse).iterdir() if re.fullmatch(r"run-\d+", p.name)}


def stage_datasets(source: WarehouseReader, warehouse: Path, run_id: int, csv: bool = False) -> Path:
    """Write every dataset and the manifest for `run_id` into a new version folder (not yet live)."""
    versions = versions_path(warehouse)
    versions.mkdir(parents=True, exist_ok=True)
    target = version_path(warehouse, run_id)
    building = versions / f".building-run-{run_id:06d}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    entries: list[dict[str, Any]] = []
    for dataset in DATASETS:
        file = building / f"{dataset.name}.parquet"
        rows, columns = source.export_dataset(dataset, file)
        entry: dict[str, Any] = {
            "name": dataset.name,
            "description": dataset.description,
            "file": file.name,
            "format": "parquet",
            "rows": rows,
            "columns": columns,
            "sha256": _sha256(file),
            "bytes": file.stat().st_size,
        }
        if csv:
            csv_file = building / f"{dataset.name}.csv"
            # The UTF-8 BOM makes Excel (in Japan, too) open the file as UTF-8 instead of Shift_JIS.
            plain = building / f".{dataset.name}.csv"
            source.parquet_to_csv(file, plain)
            with open(csv_file, "wb") as with_bom, open(plain, "rb") as plain_csv:
                with_bom.write(b"\xef\xbb\xbf")
                shutil.copyfileobj(plain_csv, with_bom)
            plain.unlink()
            entry["csv"] = {"file": csv_file.name, "sha256": _sha256(csv_file)}
        entries.append(entry)
    from jobpipeline.report import (
        write_report,
    )  # here: `query` reads `live_run` and need not import the report (~0.17 s)

    report = write_report(source, building / REPORT_FILE)
    manifest = {
        "run_id": run_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": warehouse.name,
        "datasets": entries,
        "report": {"file": report.name, "sha256": _sha256(report), "bytes": report.stat().st_size},
    }
    (building / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for file in building.iterdir():
        _fsync(file)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(building, target)
    return target


def go_live(warehouse: Path, version: Path) -> None:
    """Point `published` at `version` in one atomic rename, then drop old versions."""
    link = published_path(warehouse)
    if link.exists() and not link.is_symlink():
        # An earlier layout (or a person) left a real folder: keep it aside rather than delete data.
        os.replace(link, versions_path(warehouse) / f"legacy-{datetime.now(UTC):%Y%m%d%H%M%S}")
    temporary = link.with_name(".published.link")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version, link.parent), temporary)
    os.replace(temporary, link)
    _fsync(link.parent)
    _prune(warehouse, keep=version)


def _prune(warehouse: Path, keep: Path) -> None:
    versions = sorted(
        (p for p in versions_path(warehouse).iterdir() if re.fullmatch(r"run-\d+", p.name)),
        key=lambda p: p.name,
    )
    for old in versions[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in versions_path(warehouse).glob(".building-run-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
