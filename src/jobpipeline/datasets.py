"""Analysts' access to the published datasets from Python: one consistent version, lazily.

`published/` is a symlink that each run swaps to its new version folder. Following the link once per
file could mix two runs' files if a run finishes in between; `dataset()` resolves the link once,
reads that version's manifest, and scans the file the manifest names in that same folder. The
publisher keeps the last few versions (publish.KEEP_VERSIONS), so a LazyFrame collected a while
later still finds its files unless several runs have committed since.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobpipeline.errors import DatasetNotFoundError, WarehouseError
from jobpipeline.settings import get_settings, warehouse_file

if TYPE_CHECKING:
    import polars as pl


def _version(warehouse: Path | str | None) -> tuple[Path, dict[str, Any]]:
    """The published version folder (the link resolved once) and its manifest."""
    # Imported here: `import jobpipeline` stays free of DuckDB and the report's templates.
    from jobpipeline.publish import other_publisher, published_path

    path = warehouse_file(Path(warehouse) if warehouse is not None else get_settings().warehouse)
    link = published_path(path)
    version = link.resolve()
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DatasetNotFoundError("manifest.json", str(link), []) from None
    other = other_publisher(path)
    if other is not None:
        raise WarehouseError(
            str(path), f"published/ beside it holds the datasets of {other}, another warehouse in the same folder"
        )
    return version, manifest


def dataset(name: str, warehouse: Path | str | None = None) -> pl.LazyFrame:
    """A published dataset as a polars LazyFrame, from the current version of `published/` beside
    `warehouse` (default: the `warehouse` setting).

    Example (a warehouse must exist)::

        import jobpipeline, polars as pl
        jobpipeline.dataset("salary_benchmarks").filter(pl.col("level") == "senior").collect()
    """
    import polars as pl

    version, manifest = _version(warehouse)
    entries = {entry["name"]: entry for entry in manifest.get("datasets", [])}
    if name not in entries:
        raise DatasetNotFoundError(name, str(version), sorted(entries))
    return pl.scan_parquet(version / entries[name]["file"])


def datasets(warehouse: Path | str | None = None) -> pl.DataFrame:
    """The published datasets of the current version: name, description, rows, columns, run_id."""
    import polars as pl

    _, manifest = _version(warehouse)
    return pl.DataFrame(
        [
            {
                "name": entry["name"],
                "description": entry.get("description", ""),
                "rows": int(entry["rows"]),
                "columns": [column["name"] for column in entry.get("columns", [])],
                "run_id": int(manifest.get("run_id", 0)),
            }
            for entry in manifest.get("datasets", [])
        ],
        schema={
            "name": pl.Utf8,
            "description": pl.Utf8,
            "rows": pl.Int64,
            "columns": pl.List(pl.Utf8),
            "run_id": pl.Int64,
        },
    )
