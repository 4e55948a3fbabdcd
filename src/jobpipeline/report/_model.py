"""What the page shows, as frozen records ready to draw, and the caps that keep it small."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

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
CHECK_HISTORY: Final = 10
"""Runs of history drawn per quality check (a row of status marks, oldest first)."""
MAX_CHECKS: Final = 60
"""Quality checks listed (fail and warn first); every status is counted."""
FINDING_EXAMPLES: Final = 3
"""Example articles named per enrichment finding code."""
MAX_OUTLIER_DOTS: Final = 12
"""Outlier bands drawn per category × level (the farthest first); the rest are counted."""
OPEN_CATEGORIES: Final = 4
"""Range-bar charts shown open; the other categories are collapsed (`<details>`, no script needed)."""

WIDTH: Final = 1000
"""Width of every chart's viewBox; x coordinates are in 0..WIDTH."""
OPEN_END: Final = 0.08
"""How far (fraction of the axis) an open end fades out past its last stated figure."""
ONE_SIDED: Final = 0.12
"""How far a band with a single figure (`1,500以上`, `〜400`) fades out from it."""

NO_CATEGORY: Final = "(カテゴリなし)"

LEVELS: Final[tuple[tuple[str | None, str], ...]] = (
    ("entry", "エントリー"),
    ("junior", "ジュニア"),
    ("mid", "ミドル"),
    ("senior", "シニア"),
    ("lead", "リード"),
    ("manager", "マネージャー"),
    (None, "レベル不明"),
)
LEVEL_LABEL: Final = dict(LEVELS)
LEVEL_ORDER: Final = {key: i for i, (key, _) in enumerate(LEVELS)}


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
    name: str = ""
    """The job's name (`job_name`), which labels the bar; the title is in the hint."""
    clipped: bool = False
    """The band reaches past the axis: drawn to the edge with a break mark and `clip_text`."""
    clip_text: str = ""
    """Where a clipped band really ends, e.g. 1億4,000万円."""


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
    axis_text: str = ""
    """Where the axis ends, e.g. 4,000万円."""
    bands_clipped: int = 0
    """Bands drawn clipped at the axis's edge (they reach past it)."""
    bands_implausible: int = 0
    """Annual bands with a figure outside the plausible range (`salary-implausible`): not drawn, not counted."""


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
class HistoryMark:
    """One run's status of a quality check (a small square in the history row)."""

    run_id: int
    status: str
    """pass, warn, fail, or `none` (the check did not run then)."""


@dataclass(frozen=True)
class CheckRow:
    """One corpus check of the latest checked run, ready to draw."""

    status: str
    check_name: str
    subject: str
    value_text: str
    """The change against the previous run (— on a first run)."""
    threshold_text: str
    observed_text: str
    message: str
    history: list[HistoryMark]


@dataclass(frozen=True)
class FindingExample:
    slug: str
    name: str
    """The job's name (`job_name`); the title is in `title`."""
    title: str
    message: str
    source_path: str
    line: int | None


@dataclass(frozen=True)
class FindingSummary:
    """One enrichment finding code: how many, and a few example articles."""

    code: str
    label: str
    description: str
    findings: int
    articles: int
    examples: list[FindingExample]


@dataclass(frozen=True)
class QualitySection:
    run_id: int | None
    """The run whose checks are listed (None: no check recorded yet)."""
    checked_at: str
    status_counts: list[Stat]
    checks: list[CheckRow]
    checks_total: int
    history_runs: list[int]
    """The runs of the history rows, oldest first."""
    findings: list[FindingSummary]


@dataclass(frozen=True)
class OutlierDot:
    """An outlier band drawn as a dot on its group's percentile bar (x in 0..WIDTH)."""

    x: float
    slug: str
    name: str
    text: str
    """Its midpoint, e.g. 1億3,000万円."""
    z_text: str
    beyond: bool
    """Past the axis: drawn at the edge as a mark with its figure."""


@dataclass(frozen=True)
class BenchmarkBar:
    """One category × level (or whole-corpus level) as a percentile bar: p10-p90 whisker, p25-p75 box,
    p50 mark (x in 0..WIDTH; None: no closed band to take percentiles of)."""

    level: str
    """CSS-safe level key (`unknown` for NULL)."""
    label: str
    n_bands: int
    n_articles: int
    p10_x: float | None
    p25_x: float | None
    p50_x: float | None
    p75_x: float | None
    p90_x: float | None
    median_text: str
    range_text: str
    """p10〜p90 in words."""
    hint: str
    dots: list[OutlierDot] = field(default_factory=list)
    outliers: int = 0
    """Outlier bands of the group (dots drawn: at most MAX_OUTLIER_DOTS)."""


@dataclass(frozen=True)
class BenchmarkGroup:
    name: str
    bars: list[BenchmarkBar]
    outliers: int


@dataclass(frozen=True)
class BenchmarkSection:
    ticks: list[Tick]
    intervals: int
    axis_text: str
    corpus: list[BenchmarkBar]
    """Whole-corpus rows, one per level."""
    categories: list[BenchmarkGroup]
    outliers: int
    outliers_beyond: int
    """Outliers past the axis (drawn at its edge)."""


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
    quality: QualitySection | None = None
    benchmarks: BenchmarkSection | None = None
    caps: dict[str, int] = field(
        default_factory=lambda: {
            "categories": MAX_CATEGORIES,
            "jobs_per_category": MAX_JOBS_PER_CATEGORY,
            "bar_rows": MAX_BAR_ROWS,
            "error_files": MAX_ERROR_FILES,
            "warnings": MAX_WARNINGS,
            "kept": MAX_KEPT,
            "outlier_dots": MAX_OUTLIER_DOTS,
        }
    )
