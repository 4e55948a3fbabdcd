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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jobpipeline.report import write_report

KEEP_VERSIONS = 3
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    sql: str


DATASETS: tuple[Dataset, ...] = (
    Dataset("articles", "Accepted articles (is_current false: last known good kept while the file is broken).",
            """SELECT a.*, coalesce(g.out_degree, 0) AS related_out, coalesce(g.in_degree, 0) AS related_in,
                      (SELECT count(*) FROM salary_bands b WHERE b.slug = a.slug) AS salary_bands
               FROM articles a LEFT JOIN related_graph g USING (slug) ORDER BY a.slug"""),
    Dataset("salary_bands", "Salary bands, flat, with the article's title and category.",
            """SELECT b.slug, a.title, a.category, a.is_current, b.ordinal, b.level, b.level_label, b.years_min,
                      b.years_max, b.min_yen, b.max_yen, b.min_open, b.max_open, b.midpoint_yen, b.basis, b.raw,
                      b.source_path, b.content_hash, b.run_id
               FROM salary_bands b JOIN articles a USING (slug) ORDER BY b.slug, b.ordinal"""),
    Dataset("salary_by_category_level", "Count, min, median and max of band midpoints by category and level.",
            "SELECT * FROM salary_by_category_level"),
    Dataset("related_jobs", "The related-job graph: one row per link, with whether the target exists.",
            """SELECT r.slug, r.related_slug, r.resolved, r.target_is_current, r.ordinal, r.line, r.source_path
               FROM related_jobs r ORDER BY r.slug, r.ordinal"""),
    Dataset("missing_articles", "Slugs linked to but not written, ranked by how many articles want them.",
            "SELECT * FROM missing_articles"),
    Dataset("tag_counts", "How many articles use each canonical tag (front matter tags and hashtags).",
            """SELECT canonical_tag AS tag, count(DISTINCT slug) AS articles,
                      count(*) FILTER (WHERE origin = 'front_matter') AS as_tag,
                      count(*) FILTER (WHERE origin = 'hashtag') AS as_hashtag
               FROM tags GROUP BY canonical_tag ORDER BY articles DESC, tag"""),
    Dataset("tool_counts", "How many articles name each canonical tool.",
            """SELECT canonical_name AS tool, count(DISTINCT slug) AS articles,
                      list(DISTINCT name ORDER BY name) AS spellings
               FROM tools GROUP BY canonical_name ORDER BY articles DESC, tool"""),
    Dataset("validation_report", "Every finding of the latest run.",
            """SELECT * FROM validation_issues
               ORDER BY severity, source_path, line NULLS FIRST, code"""),
)


def published_path(warehouse: Path) -> Path:
    """`published/` beside the warehouse file (a symlink to the current run's folder)."""
    return warehouse.parent / "published"


def versions_path(warehouse: Path) -> Path:
    return warehouse.parent / ".published"


def stage_datasets(conn: duckdb.DuckDBPyConnection, warehouse: Path, run_id: int, csv: bool = False
                   ) -> Path:
    """Write every dataset and the manifest for `run_id` into a new version folder (not yet live)."""
    versions = versions_path(warehouse)
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"run-{run_id:06d}"
    building = versions / f".building-run-{run_id:06d}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    entries: list[dict[str, Any]] = []
    for dataset in DATASETS:
        file = building / f"{dataset.name}.parquet"
        conn.execute(f"COPY ({dataset.sql}) TO '{_sql_path(file)}' (FORMAT parquet, COMPRESSION zstd)")
        described = conn.execute(f"DESCRIBE {dataset.sql}").fetchall()
        count_row = conn.execute(f"SELECT count(*) FROM read_parquet('{_sql_path(file)}')").fetchall()[0]
        entry: dict[str, Any] = {
            "name": dataset.name,
            "description": dataset.description,
            "file": file.name,
            "format": "parquet",
            "rows": int(count_row[0]) if count_row else 0,
            "columns": [{"name": row[0], "type": row[1]} for row in described],
            "sha256": _sha256(file),
            "bytes": file.stat().st_size,
        }
        if csv:
            csv_file = building / f"{dataset.name}.csv"
            # The UTF-8 BOM makes Excel (in Japan, too) open the file as UTF-8 instead of Shift_JIS.
            plain = building / f".{dataset.name}.csv"
            conn.execute(f"COPY (SELECT * FROM read_parquet('{_sql_path(file)}')) TO '{_sql_path(plain)}' "
                         "(FORMAT csv, HEADER)")
            with open(csv_file, "wb") as with_bom, open(plain, "rb") as source:
                with_bom.write(b"\xef\xbb\xbf")
                shutil.copyfileobj(source, with_bom)
            plain.unlink()
            entry["csv"] = {"file": csv_file.name, "sha256": _sha256(csv_file)}
        entries.append(entry)
    report = write_report(conn, building / REPORT_FILE)
    manifest = {
        "run_id": run_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": warehouse.name,
        "datasets": entries,
        "report": {"file": report.name, "sha256": _sha256(report), "bytes": report.stat().st_size},
    }
    (building / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
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


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


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
