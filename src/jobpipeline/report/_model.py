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
