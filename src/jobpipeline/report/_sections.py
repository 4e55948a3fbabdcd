"""The page's sections other than the salary charts: each asks the warehouse one named question."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jobpipeline.report._benchmarks import benchmark_section
from jobpipeline.report._checks import quality_section
from jobpipeline.report._format import format_seconds, format_time
from jobpipeline.report._model import (
    MAX_BAR_ROWS,
    MAX_ERROR_FILES,
    MAX_FINDINGS_PER_FILE,
    MAX_KEPT,
    MAX_WANTED_BY,
    MAX_WARNINGS,
    NO_CATEGORY,
    RECENT_RUNS,
    WIDTH,
    BarChart,
    BarRow,
    ErrorFile,
    FindingLine,
    KeptArticle,
    ReportData,
    RunInfo,
    RunRow,
    StageSlice,
    Stat,
    WarningRow,
)
from jobpipeline.report._salary import salary_section
from jobpipeline.warehouse import Row, WarehouseReader, as_reader

if TYPE_CHECKING:
    import duckdb

# --------------------------------------------------------------------------------------------- queries


def report_data(source: WarehouseReader | duckdb.DuckDBPyConnection) -> ReportData:
    """Ask the warehouse (a reader, or a read-only or the loader's connection) for everything the page shows."""
    warehouse = as_reader(source)
    generated_at = format_time(datetime.now(UTC))
    if not warehouse.report_tables_present():
        return ReportData(generated_at=generated_at)
    kept, kept_total = _kept(warehouse)
    error_files, error_files_total = _error_files(warehouse)
    warnings, warnings_total = _warnings(warehouse)
    run, recent = _runs(warehouse)
    band_ends = warehouse.band_end_percentiles()  # both charts' axis: one query, not one per chart
    return ReportData(
        generated_at=generated_at,
        headline=_headline(warehouse),
        salary=salary_section(warehouse, band_ends),
        categories=_bar_chart(*warehouse.category_counts(NO_CATEGORY, MAX_BAR_ROWS), tone="cat", unit="記事"),
        severities=_severities(warehouse),
        finding_codes=_finding_codes(warehouse),
        error_files=error_files,
        error_files_total=error_files_total,
        warnings=warnings,
        warnings_total=warnings_total,
        kept=kept,
        kept_total=kept_total,
        missing=_missing(warehouse),
        tags=_bar_chart(*warehouse.tag_counts(MAX_BAR_ROWS), tone="tag", unit="記事"),
        tools=_bar_chart(*warehouse.tool_counts(MAX_BAR_ROWS), tone="tool", unit="記事"),
        run=run,
        recent_runs=recent,
        quality=quality_section(warehouse),
        benchmarks=benchmark_section(warehouse, band_ends),
    )


def _headline(warehouse: WarehouseReader) -> list[Stat]:
    counts = warehouse.headline_counts()
    articles, current, categories = counts["articles"], counts["current"], counts["categories"]
    bands, errors, warnings = counts["bands"], counts["errors"], counts["warnings"]
    files, rejected, missing = counts["files"], counts["rejected"], counts["missing"]
    kept = articles - current
    return [
        Stat("記事", f"{articles:,}", hint=f"{current:,} current, {kept:,} last known good"),
        Stat("カテゴリ", f"{categories:,}"),
        Stat("年収レンジ", f"{bands:,}", hint="salary_bands rows"),
        Stat("ファイル", f"{files:,}", hint=f"{rejected:,} not accepted"),
        Stat("エラー", f"{errors:,}", tone="error" if errors else "ok"),
        Stat("警告", f"{warnings:,}", tone="warning" if warnings else "ok"),
        Stat("最終正常版で保持", f"{kept:,}", tone="warning" if kept else "ok", hint="articles.is_current = false"),
        Stat("未執筆のリンク先", f"{missing:,}", hint="missing_articles"),
    ]


def _bar_chart(total: int, rows: Sequence[Row], *, tone: str, unit: str) -> BarChart:
    """Rows with `label` and `n` (already ordered and capped) as a bar chart of `total` rows."""
    top = max((int(r["n"]) for r in rows), default=0)
    return BarChart(
        [
            BarRow(label=str(r["label"]), value_text=f"{int(r['n']):,}", width=_scale(int(r["n"]), top), tone=tone)
            for r in rows
        ],
        int(total),
        unit,
    )


def _scale(value: float, top: float) -> float:
    """`value` as a bar length in viewBox units; a non-zero value stays visible (at least 4 units)."""
    if top <= 0 or value <= 0:
        return 0.0
    return max(round(value / top * WIDTH, 1), 4.0)


def _severities(warehouse: WarehouseReader) -> list[Stat]:
    rows = warehouse.severity_counts()
    return [
        Stat(
            str(r["severity"]),
            f"{int(r['findings']):,}",
            tone=str(r["severity"]),
            hint=f"{int(r['files']):,} ファイル",
        )
        for r in rows
    ]


def _finding_codes(warehouse: WarehouseReader) -> BarChart:
    total, rows = warehouse.finding_code_counts(MAX_BAR_ROWS)
    top = max((int(r["findings"]) for r in rows), default=0)
    return BarChart(
        [
            BarRow(
                label=str(r["code"]),
                value_text=f"{int(r['findings']):,}",
                width=_scale(int(r["findings"]), top),
                tone=str(r["severity"]),
                detail=f"{r['severity']} · {int(r['files']):,} ファイル",
            )
            for r in rows
        ],
        int(total),
    )


def _error_files(warehouse: WarehouseReader) -> tuple[list[ErrorFile], int]:
    total, rows = warehouse.error_findings(MAX_ERROR_FILES, MAX_FINDINGS_PER_FILE)
    files: dict[str, ErrorFile] = {}
    for r in rows:
        path = str(r["source_path"])
        entry = files.setdefault(path, ErrorFile(path, str(r["slug"] or ""), [], int(r["errors_in_file"])))
        entry.findings.append(FindingLine(r["line"], str(r["code"]), str(r["field"] or ""), str(r["message"] or "")))
    return list(files.values()), int(total)


def _warnings(warehouse: WarehouseReader) -> tuple[list[WarningRow], int]:
    total, rows = warehouse.warning_findings(MAX_WARNINGS)
    found = [
        WarningRow(
            source_path=str(r["source_path"] or ""),
            line=r["line"],
            slug=str(r["slug"] or ""),
            code=str(r["code"]),
            message=str(r["message"] or ""),
        )
        for r in rows
    ]
    return found, int(total)


def _kept(warehouse: WarehouseReader) -> tuple[list[KeptArticle], int]:
    total, rows = warehouse.kept_articles(MAX_KEPT)
    return [
        KeptArticle(
            slug=str(r["slug"]),
            title=str(r["title"] or ""),
            category=str(r["category"] or ""),
            source_path=str(r["source_path"] or ""),
            content_hash=str(r["content_hash"] or "")[:12],
            run_id=r["run_id"],
            reason=str(r["reason"] or ""),
        )
        for r in rows
    ], int(total)


def _missing(warehouse: WarehouseReader) -> BarChart:
    total, rows = warehouse.missing_article_rows(MAX_BAR_ROWS)
    top = max((int(r["wanted_by"]) for r in rows), default=0)
    chart_rows = []
    for r in rows:
        slug, wanted_by = r["slug"], r["wanted_by"]
        names = [str(s) for s in (r["wanted_by_slugs"] or [])]
        detail = "← " + ", ".join(names[:MAX_WANTED_BY])
        if len(names) > MAX_WANTED_BY:
            detail += f" 他{len(names) - MAX_WANTED_BY:,}件"
        chart_rows.append(
            BarRow(
                label=str(slug),
                value_text=f"{int(wanted_by):,}",
                width=_scale(int(wanted_by), top),
                tone="missing",
                detail=detail,
            )
        )
    return BarChart(chart_rows, int(total), "記事から")


def _runs(warehouse: WarehouseReader) -> tuple[RunInfo | None, list[RunRow]]:
    rows = warehouse.recent_runs(RECENT_RUNS)
    recent = [
        RunRow(
            run_id=int(r["run_id"]),
            started=format_time(r["started_at"]),
            duration=_duration(r["started_at"], r["finished_at"]),
            trigger=str(r["trigger"] or ""),
            status=str(r["status"] or ""),
            changed=int(r["files_changed"] or 0),
            deleted=int(r["files_deleted"] or 0),
            rejected=int(r["files_rejected"] or 0),
            loaded=int(r["articles_loaded"] or 0),
            errors=int(r["errors"] or 0),
            warnings=int(r["warnings"] or 0),
        )
        for r in rows
    ]
    if not rows:
        return None, recent
    r = rows[0]
    labels = (
        "発見",
        "新規",
        "変更",
        "変更なし",
        "削除",
        "却下",
        "記事読込",
        "記事削除",
        "最終正常版で保持",
        "エラー",
        "警告",
    )
    keys = (
        "files_seen",
        "files_new",
        "files_changed",
        "files_unchanged",
        "files_deleted",
        "files_rejected",
        "articles_loaded",
        "articles_removed",
        "articles_kept_last_good",
        "errors",
        "warnings",
    )
    tones = {
        "files_rejected": "error",
        "errors": "error",
        "warnings": "warning",
        "articles_kept_last_good": "warning",
        "files_deleted": "warning",
    }
    changes = [
        Stat(label, f"{int(r[key] or 0):,}", tone=tones.get(key, "") if r[key] else "", hint=key)
        for label, key in zip(labels, keys, strict=True)
    ]
    stages, stages_total = stage_slices(r["stage_seconds"])
    started = r["started_at"]
    started_utc = started.astimezone(UTC).isoformat(timespec="seconds") if isinstance(started, datetime) else ""
    return RunInfo(
        run_id=int(r["run_id"]),
        started=format_time(started),
        finished=format_time(r["finished_at"]),
        started_utc=started_utc,
        duration=_duration(started, r["finished_at"]),
        status=str(r["status"] or ""),
        trigger=str(r["trigger"] or ""),
        seeds_dir=str(r["seeds_dir"] or ""),
        changes=changes,
        stages=stages,
        stages_total=stages_total,
    ), recent


def _duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return format_seconds(max((end - start).total_seconds(), 0.0))


def stage_slices(stage_seconds: str | None) -> tuple[list[StageSlice], str]:
    """`runs.stage_seconds` JSON as consecutive slices of one stacked bar (x in 0..WIDTH)."""
    try:
        parsed = json.loads(stage_seconds or "{}")
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    stages = [
        (str(k), float(v)) for k, v in parsed.items() if isinstance(v, int | float) and math.isfinite(v) and v >= 0
    ]
    total = sum(v for _, v in stages)
    slices, x = [], 0.0
    for index, (name, seconds) in enumerate(stages):
        width = seconds / total * WIDTH if total > 0 else WIDTH / len(stages)
        share = f"{seconds / total:.0%}" if total > 0 else "—"
        slices.append(StageSlice(name, format_seconds(seconds), share, round(x, 1), round(width, 1), index % 8))
        x += width
    return slices, format_seconds(total)
