"""The HTML report: one self-contained page drawn from the warehouse.

`report_data` runs every query and turns the rows into ready-to-draw numbers (SVG coordinates in a
0-1000 wide viewBox, pre-formatted yen texts); `render_report` is pure and only fills the Jinja2
template `templates/report.html.j2` (autoescaped: article text is never trusted); `write_report`
does both and swaps the file in atomically.

The page makes no network request (no scripts, fonts or images from anywhere) and has no script at
all, so it opens from the file system, in a mail attachment or on a phone alike.

Caps keep a 100,000-article warehouse to a page of a few MB: see the MAX_* constants below; each
capped list says "showing N of M" on the page.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape

from jobpipeline.warehouse import WarehouseReader, as_reader

if TYPE_CHECKING:
    import duckdb

MAX_CATEGORIES: Final = 24
"""Categories drawn as range-bar charts (the ones with the most jobs with annual bands)."""
MAX_JOBS_PER_CATEGORY: Final = 12
"""Jobs drawn per category (most linked-to first, then by slug); each job has one bar per level."""
MAX_BAR_ROWS: Final = 25
"""Rows of each horizontal bar chart (tags, tools, missing articles, categories, finding codes)."""
MAX_ERROR_FILES: Final = 100
"""Files with errors listed, with at most MAX_FINDINGS_PER_FILE findings each."""
MAX_FINDINGS_PER_FILE: Final = 5
MAX_WARNINGS: Final = 100
"""Warning findings listed (they are all counted by code)."""
MAX_KEPT: Final = 100
"""Articles kept as last known good listed."""
MAX_WANTED_BY: Final = 6
"""Linking slugs named per missing article."""
RECENT_RUNS: Final = 10
OPEN_CATEGORIES: Final = 4
"""Range-bar charts shown open; the other categories are collapsed (`<details>`, no script needed)."""

WIDTH: Final = 1000
"""Width of every chart's viewBox; x coordinates are in 0..WIDTH."""
OPEN_END: Final = 0.08
"""How far (fraction of the axis) an open end fades out past its last stated figure."""
ONE_SIDED: Final = 0.12
"""How far a band with a single figure (`1,500以上`, `〜400`) fades out from it."""

NO_CATEGORY: Final = "(カテゴリなし)"
JST: Final = timezone(timedelta(hours=9), "JST")

LEVELS: Final[tuple[tuple[str | None, str], ...]] = (
    ("entry", "エントリー"),
    ("junior", "ジュニア"),
    ("mid", "ミドル"),
    ("senior", "シニア"),
    ("lead", "リード"),
    ("manager", "マネージャー"),
    (None, "レベル不明"),
)
_LEVEL_LABEL: Final = dict(LEVELS)
_LEVEL_ORDER: Final = {key: i for i, (key, _) in enumerate(LEVELS)}


# --------------------------------------------------------------------------------------------- formatting


def format_man_yen(yen: int) -> str:
    """Yen the Japanese way: 4,500,000 is 450万円, 120,000,000 is 1億2,000万円, 4,567,890 is 456万7,890円."""
    if yen < 0:
        return "-" + format_man_yen(-yen)
    oku, rest = divmod(yen, 100_000_000)
    man, en = divmod(rest, 10_000)
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    if en or not parts:
        parts.append(f"{en:,}")
    return "".join(parts) + "円"


def format_yen(yen: int) -> str:
    """Yen with thousands separators: 4,500,000円."""
    return f"{yen:,}円"


def band_text(min_yen: int | None, max_yen: int | None, min_open: bool, max_open: bool) -> str:
    """A band as people write it: 450万〜700万円, 1,100万円〜1,800万円+, 1,500万円以上, 〜400万円."""
    low = format_man_yen(min_yen) if min_yen is not None else None
    high = format_man_yen(max_yen) if max_yen is not None else None
    if low is not None and high is not None:
        text = low if min_yen == max_yen else f"{low}〜{high}"
        return ("〜" if min_open else "") + text + ("+" if max_open else "")
    if low is not None:
        return f"{low}以上" if max_open or not min_open else low
    if high is not None:
        return f"〜{high}" if min_open or not max_open else high
    return "金額なし"


def band_exact(min_yen: int | None, max_yen: int | None, min_open: bool, max_open: bool) -> str:
    """The same band in full yen: 4,500,000円 〜 7,000,000円."""
    low = format_yen(min_yen) if min_yen is not None else ("(下限なし)" if min_open else "?")
    high = format_yen(max_yen) if max_yen is not None else ("(上限なし)" if max_open else "?")
    return f"{low} 〜 {high}" + (" 以上" if max_open and max_yen is not None else "")


def format_seconds(seconds: float) -> str:
    """0.26秒, 12.3秒, 2分05秒, 1時間02分."""
    if seconds < 10:
        return f"{seconds:.2f}秒"
    if seconds < 60:
        return f"{seconds:.1f}秒"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}分{secs:02d}秒"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}時間{minutes:02d}分"


def format_time(moment: datetime | None) -> str:
    """A timestamp in Japan time: 2026-11-30 01:11:50 JST."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")


def nice_axis(required: float, max_intervals: int = 6) -> tuple[int, int]:
    """(step, intervals) of the tightest 1-2-2.5-5 x 10^k yen axis from 0 reaching `required`."""
    best: tuple[int, int] | None = None
    exponent = 3
    while best is None or best[0] * 10 >= 10**exponent:
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = int(mantissa * 10**exponent)
            intervals = max(1, math.ceil(required / step))
            if intervals <= max_intervals and (best is None or step * intervals < best[0] * best[1]):
                best = (step, intervals)
        exponent += 1
    return best


# --------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Stat:
    """One headline number."""

    label: str
    value: str
    tone: str = ""
    hint: str = ""


@dataclass(frozen=True)
class BarRow:
    """One row of a horizontal bar chart; `width` is in viewBox units (0..WIDTH)."""

    label: str
    value_text: str
    width: float
    tone: str = ""
    detail: str = ""
    hint: str = ""


@dataclass(frozen=True)
class BarChart:
    rows: list[BarRow]
    total: int
    """How many rows there would be without the cap."""
    unit: str = ""

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class RangeBar:
    """One salary band drawn as a range: a solid part, fading open ends and arrow tips (x in 0..WIDTH)."""

    slug: str
    title: str
    level_label: str
    text: str
    hint: str
    is_current: bool
    solid_x: float
    solid_w: float
    fade_left_x: float = 0.0
    fade_left_w: float = 0.0
    fade_right_x: float = 0.0
    fade_right_w: float = 0.0
    arrow_left: float | None = None
    arrow_right: float | None = None
    median_x: float | None = None


@dataclass(frozen=True)
class LevelGroup:
    level: str
    """CSS-safe level key (`unknown` for NULL)."""
    label: str
    bars: list[RangeBar]
    jobs: int
    """Jobs of the category with a band at this level (before the cap)."""
    median_x: float | None
    median_text: str
    median_bands: int


@dataclass(frozen=True)
class CategoryChart:
    name: str
    jobs: int
    jobs_shown: int
    levels: list[LevelGroup]
    median_text: str


@dataclass(frozen=True)
class SalarySection:
    ticks: list[Tick]
    intervals: int
    categories: list[CategoryChart]
    categories_total: int
    bands_annual: int
    bands_drawn: int
    bands_other_basis: int
    bands_no_figure: int


@dataclass(frozen=True)
class FindingLine:
    line: int | None
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class ErrorFile:
    source_path: str
    slug: str
    findings: list[FindingLine]
    total: int


@dataclass(frozen=True)
class WarningRow:
    source_path: str
    line: int | None
    slug: str
    code: str
    message: str


@dataclass(frozen=True)
class KeptArticle:
    slug: str
    title: str
    category: str
    source_path: str
    content_hash: str
    run_id: int | None
    reason: str


@dataclass(frozen=True)
class StageSlice:
    name: str
    seconds_text: str
    share_text: str
    x: float
    width: float
    index: int


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    started: str
    finished: str
    started_utc: str
    duration: str
    status: str
    trigger: str
    seeds_dir: str
    changes: list[Stat]
    stages: list[StageSlice]
    stages_total: str


@dataclass(frozen=True)
class RunRow:
    run_id: int
    started: str
    duration: str
    trigger: str
    status: str
    changed: int
    deleted: int
    rejected: int
    loaded: int
    errors: int
    warnings: int


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, ready to draw: no query or arithmetic is left to the template."""

    generated_at: str
    headline: list[Stat] = field(default_factory=list)
    salary: SalarySection | None = None
    categories: BarChart = field(default_factory=lambda: BarChart([], 0))
    severities: list[Stat] = field(default_factory=list)
    finding_codes: BarChart = field(default_factory=lambda: BarChart([], 0))
    error_files: list[ErrorFile] = field(default_factory=list)
    error_files_total: int = 0
    warnings: list[WarningRow] = field(default_factory=list)
    warnings_total: int = 0
    kept: list[KeptArticle] = field(default_factory=list)
    kept_total: int = 0
    missing: BarChart = field(default_factory=lambda: BarChart([], 0))
    tags: BarChart = field(default_factory=lambda: BarChart([], 0))
    tools: BarChart = field(default_factory=lambda: BarChart([], 0))
    run: RunInfo | None = None
    recent_runs: list[RunRow] = field(default_factory=list)
    caps: dict[str, int] = field(
        default_factory=lambda: {
            "categories": MAX_CATEGORIES,
            "jobs_per_category": MAX_JOBS_PER_CATEGORY,
            "bar_rows": MAX_BAR_ROWS,
            "error_files": MAX_ERROR_FILES,
            "warnings": MAX_WARNINGS,
            "kept": MAX_KEPT,
        }
    )


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
    return ReportData(
        generated_at=generated_at,
        headline=_headline(warehouse),
        salary=_salary(warehouse),
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


def _bar_chart(total: int, rows: Sequence[tuple[Any, ...]], *, tone: str, unit: str) -> BarChart:
    """Rows of (label, count) (already ordered and capped) as a bar chart of `total` rows."""
    top = max((int(r[1]) for r in rows), default=0)
    return BarChart(
        [BarRow(label=str(r[0]), value_text=f"{int(r[1]):,}", width=_scale(int(r[1]), top), tone=tone) for r in rows],
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
    return [Stat(str(r[0]), f"{int(r[1]):,}", tone=str(r[0]), hint=f"{int(r[2]):,} ファイル") for r in rows]


def _finding_codes(warehouse: WarehouseReader) -> BarChart:
    total, rows = warehouse.finding_code_counts(MAX_BAR_ROWS)
    top = max((int(r[2]) for r in rows), default=0)
    return BarChart(
        [
            BarRow(
                label=str(r[1]),
                value_text=f"{int(r[2]):,}",
                width=_scale(int(r[2]), top),
                tone=str(r[0]),
                detail=f"{r[0]} · {int(r[3]):,} ファイル",
            )
            for r in rows
        ],
        int(total),
    )


def _error_files(warehouse: WarehouseReader) -> tuple[list[ErrorFile], int]:
    total, rows = warehouse.error_findings(MAX_ERROR_FILES, MAX_FINDINGS_PER_FILE)
    files: dict[str, ErrorFile] = {}
    for path, slug, line, code, field_, message, n in rows:
        entry = files.setdefault(str(path), ErrorFile(str(path), str(slug or ""), [], int(n)))
        entry.findings.append(FindingLine(line, str(code), str(field_ or ""), str(message or "")))
    return list(files.values()), int(total)


def _warnings(warehouse: WarehouseReader) -> tuple[list[WarningRow], int]:
    total, rows = warehouse.warning_findings(MAX_WARNINGS)
    found = [WarningRow(str(r[0] or ""), r[1], str(r[2] or ""), str(r[3]), str(r[4] or "")) for r in rows]
    return found, int(total)


def _kept(warehouse: WarehouseReader) -> tuple[list[KeptArticle], int]:
    total, rows = warehouse.kept_articles(MAX_KEPT)
    return [
        KeptArticle(
            str(r[0]), str(r[1] or ""), str(r[2] or ""), str(r[3] or ""), str(r[4] or "")[:12], r[5], str(r[6] or "")
        )
        for r in rows
    ], int(total)


def _missing(warehouse: WarehouseReader) -> BarChart:
    total, rows = warehouse.missing_article_rows(MAX_BAR_ROWS)
    top = max((int(r[1]) for r in rows), default=0)
    chart_rows = []
    for slug, wanted_by, wanting in rows:
        names = [str(s) for s in (wanting or [])]
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
            run_id=int(r[0]),
            started=format_time(r[1]),
            duration=_duration(r[1], r[2]),
            trigger=str(r[4] or ""),
            status=str(r[3] or ""),
            changed=int(r[8] or 0),
            deleted=int(r[10] or 0),
            rejected=int(r[11] or 0),
            loaded=int(r[12] or 0),
            errors=int(r[15] or 0),
            warnings=int(r[16] or 0),
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
        Stat(label, f"{int(value or 0):,}", tone=tones.get(key, "") if value else "", hint=key)
        for label, key, value in zip(labels, keys, r[6:17], strict=True)
    ]
    stages, stages_total = stage_slices(r[17])
    started_utc = r[1].astimezone(UTC).isoformat(timespec="seconds") if isinstance(r[1], datetime) else ""
    return RunInfo(
        run_id=int(r[0]),
        started=format_time(r[1]),
        finished=format_time(r[2]),
        started_utc=started_utc,
        duration=_duration(r[1], r[2]),
        status=str(r[3] or ""),
        trigger=str(r[4] or ""),
        seeds_dir=str(r[5] or ""),
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


# --------------------------------------------------------------------------------------------- salary chart


@dataclass(frozen=True)
class _Band:
    slug: str
    title: str
    category: str
    is_current: bool
    level: str | None
    level_label: str
    min_yen: int | None
    max_yen: int | None
    min_open: bool
    max_open: bool
    raw: str


def _salary(warehouse: WarehouseReader) -> SalarySection:
    counts = warehouse.salary_band_counts()
    chart = warehouse.salary_chart(NO_CATEGORY, MAX_CATEGORIES, MAX_JOBS_PER_CATEGORY)
    bands = [
        _Band(
            str(r[0]), str(r[1]), str(r[2]), bool(r[3]), r[4], str(r[5]), r[6], r[7], bool(r[8]), bool(r[9]), str(r[10])
        )
        for r in chart.bands
    ]
    return build_salary_section(
        bands,
        per_category={str(c): int(n) for c, n in chart.per_category},
        level_jobs={(str(c), lv): int(n) for c, lv, n in chart.level_jobs},
        medians={(str(r[0] or NO_CATEGORY), r[1]): (r[2], r[3]) for r in chart.medians},
        category_medians={str(r[0]): r[1] for r in chart.category_medians},
        bands_annual=int(counts[0]),
        bands_other_basis=int(counts[1]),
        bands_no_figure=int(counts[2]),
    )


def build_salary_section(
    bands: Sequence[_Band],
    *,
    per_category: dict[str, int],
    level_jobs: dict[tuple[str, str | None], int],
    medians: dict[tuple[str, str | None], tuple[int | None, int]],
    category_medians: dict[str, int | None],
    bands_annual: int,
    bands_other_basis: int,
    bands_no_figure: int,
) -> SalarySection:
    """Lay out the range-bar charts: one shared axis, categories by job count, levels in career order."""
    shown = {b.category for b in bands}
    # The axis must reach every band's right end, fading open ends included (they fade over a share
    # of the axis, hence the division).
    reach = [_right_end(b) for b in bands]
    reach += [float(m) for (c, _), (m, _) in medians.items() if m is not None and c in shown]
    step, intervals = nice_axis(max(reach, default=20_000_000.0))
    domain = step * intervals
    ticks = [
        Tick(round(i * step / domain * WIDTH, 1), format_man_yen(i * step).removesuffix("円") or "0")
        for i in range(intervals + 1)
    ]

    def x(yen: int) -> float:
        return round(min(max(yen / domain, 0.0), 1.0) * WIDTH, 1)

    by_category: dict[str, dict[str | None, list[_Band]]] = {}
    for band in bands:
        by_category.setdefault(band.category, {}).setdefault(band.level, []).append(band)
    charts = []
    for category in sorted(by_category, key=lambda c: (-per_category.get(c, 0), c)):
        groups = []
        for level in sorted(by_category[category], key=lambda lv: _LEVEL_ORDER.get(lv, len(LEVELS))):
            median, median_bands = medians.get((category, level), (None, 0))
            median_x = x(median) if median is not None else None
            members = sorted(by_category[category][level], key=lambda b: (-_sort_yen(b), b.slug))
            groups.append(
                LevelGroup(
                    level=level or "unknown",
                    label=_LEVEL_LABEL.get(level, str(level)),
                    bars=[_range_bar(b, x, median_x) for b in members],
                    jobs=level_jobs.get((category, level), len(members)),
                    median_x=median_x,
                    median_text=format_man_yen(median) if median is not None else "—",
                    median_bands=median_bands,
                )
            )
        median = category_medians.get(category)
        charts.append(
            CategoryChart(
                name=category,
                jobs=per_category.get(category, 0),
                jobs_shown=len({b.slug for lv in by_category[category].values() for b in lv}),
                levels=groups,
                median_text=format_man_yen(median) if median is not None else "—",
            )
        )
    return SalarySection(
        ticks=ticks,
        intervals=intervals,
        categories=charts,
        categories_total=len(per_category),
        bands_annual=bands_annual,
        bands_drawn=len(bands),
        bands_other_basis=bands_other_basis,
        bands_no_figure=bands_no_figure,
    )


def _right_end(band: _Band) -> float:
    """How far right (in yen) the band is drawn, its fading open end included."""
    if band.min_yen is not None and band.max_yen is not None:
        high = max(band.min_yen, band.max_yen)
        return high / (1 - OPEN_END) if band.max_open else float(high)
    if band.min_yen is not None:
        return band.min_yen / (1 - ONE_SIDED)
    return float(band.max_yen or 0)


def _sort_yen(band: _Band) -> int:
    if band.min_yen is not None and band.max_yen is not None:
        return (band.min_yen + band.max_yen) // 2
    return band.min_yen if band.min_yen is not None else band.max_yen or 0


def _range_bar(band: _Band, x: Callable[[int], float], median_x: float | None) -> RangeBar:
    """One band's geometry: a solid part between stated figures, fades and arrows at open ends."""
    low, high = band.min_yen, band.max_yen
    if low is not None and high is not None and low > high:
        low, high = high, low
    exact = band_exact(band.min_yen, band.max_yen, band.min_open, band.max_open)
    base = RangeBar(
        slug=band.slug,
        title=band.title,
        level_label=band.level_label,
        is_current=band.is_current,
        text=band_text(band.min_yen, band.max_yen, band.min_open, band.max_open),
        hint=f"{band.title} ({band.slug}) · {band.level_label}: {exact} · 原文 {band.raw}"
        + ("" if band.is_current else " · 最終正常版"),
        solid_x=0.0,
        solid_w=0.0,
        median_x=median_x,
    )
    fade_open, fade_one = OPEN_END * WIDTH, ONE_SIDED * WIDTH
    if low is not None and high is not None:
        x1, x2 = x(low), x(high)
        bar = replace(base, solid_x=x1, solid_w=round(max(x2 - x1, 0.0), 1))
        if band.max_open:
            w = round(min(fade_open, WIDTH - x2), 1)
            bar = replace(bar, fade_right_x=x2, fade_right_w=w, arrow_right=round(x2 + w, 1))
        if band.min_open:
            w = round(min(fade_open, x1), 1)
            bar = replace(bar, fade_left_x=round(x1 - w, 1), fade_left_w=w, arrow_left=round(x1 - w, 1))
        return bar
    if low is not None:
        x1 = x(low)
        w = round(min(fade_one, WIDTH - x1), 1)
        return replace(base, solid_x=x1, fade_right_x=x1, fade_right_w=w, arrow_right=round(x1 + w, 1))
    assert high is not None
    x2 = x(high)
    w = round(min(fade_one, x2), 1)
    return replace(base, solid_x=x2, fade_left_x=round(x2 - w, 1), fade_left_w=w, arrow_left=round(x2 - w, 1))


# --------------------------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # One per process: Jinja keeps compiled templates per environment (compiling costs ~0.1 s a run).
    env = Environment(
        loader=PackageLoader("jobpipeline", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["man_yen"] = format_man_yen
    env.filters["yen"] = format_yen
    env.filters["num"] = lambda n: f"{n:,}"
    return env


def warm_templates() -> None:
    """Compile the report's template now (long-lived processes call this before their first run)."""
    _environment().get_template("report.html.j2")


def render_report(data: ReportData) -> str:
    """The page for `data`: one self-contained HTML string (pure; no I/O beyond loading the template)."""
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            width=WIDTH,
            levels=[(key or "unknown", label) for key, label in LEVELS],
            open_categories=OPEN_CATEGORIES,
        )
    )


def write_report(source: WarehouseReader | duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Query, render and write the report to `path` atomically (a temporary file renamed over it)."""
    html = render_report(report_data(source))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(html)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
