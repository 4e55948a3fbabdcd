"""The HTML report: one self-contained page drawn from the warehouse.

`report_data` runs every query and turns the rows into ready-to-draw numbers (SVG coordinates in a
0-1000 wide viewBox, pre-formatted yen texts); `render_report` is pure and only fills the Jinja2
template `templates/report.html.j2` (autoescaped: article text is never trusted); `write_report`
does both and swaps the file in atomically.

The page makes no network request (no scripts, fonts or images from anywhere) and has no script at
all, so it opens from the file system, in a mail attachment or on a phone alike.

Caps keep a 100,000-article warehouse to a page of a few MB: see the MAX_* constants in `_model`; each
capped list says "showing N of M" on the page.

Modules: `_model` (the records the template draws, and the caps), `_format` (yen, times), `_names`
(a job's name from its title), `_axis` (the salary axis), `_salary` (the range-bar charts),
`_benchmarks` (percentile bars per category × level, outliers as dots), `_checks` (quality checks with
history, enrichment findings with examples),
`_sections` (every other section, one named warehouse question each), `_render` (template, file).
A new section is a builder in `_sections` (or a module of its own), a field of `ReportData` and a
`<section>` in the template.
"""

from jobpipeline.report._axis import nice_axis, robust_limit
from jobpipeline.report._benchmarks import build_benchmark_section
from jobpipeline.report._checks import FINDING_CODES, build_quality_section
from jobpipeline.report._format import (
    JST,
    band_exact,
    band_text,
    format_man_yen,
    format_seconds,
    format_time,
    format_yen,
)
from jobpipeline.report._model import (
    CHECK_HISTORY,
    FINDING_EXAMPLES,
    LEVELS,
    MAX_BAR_ROWS,
    MAX_CATEGORIES,
    MAX_CHECKS,
    MAX_ERROR_FILES,
    MAX_FINDINGS_PER_FILE,
    MAX_JOBS_PER_CATEGORY,
    MAX_KEPT,
    MAX_OUTLIER_DOTS,
    MAX_WANTED_BY,
    MAX_WARNINGS,
    NO_CATEGORY,
    OPEN_CATEGORIES,
    RECENT_RUNS,
    WIDTH,
    BarChart,
    BarRow,
    BenchmarkBar,
    BenchmarkGroup,
    BenchmarkSection,
    CategoryChart,
    CheckRow,
    ErrorFile,
    FindingExample,
    FindingLine,
    FindingSummary,
    HistoryMark,
    KeptArticle,
    LevelGroup,
    OutlierDot,
    QualitySection,
    RangeBar,
    ReportData,
    RunInfo,
    RunRow,
    SalarySection,
    StageSlice,
    Stat,
    Tick,
    WarningRow,
)
from jobpipeline.report._names import job_name
from jobpipeline.report._render import render_report, warm_templates, write_report
from jobpipeline.report._salary import build_salary_section
from jobpipeline.report._sections import report_data, stage_slices

__all__ = [
    "CHECK_HISTORY",
    "FINDING_CODES",
    "FINDING_EXAMPLES",
    "JST",
    "LEVELS",
    "MAX_BAR_ROWS",
    "MAX_CATEGORIES",
    "MAX_CHECKS",
    "MAX_ERROR_FILES",
    "MAX_FINDINGS_PER_FILE",
    "MAX_JOBS_PER_CATEGORY",
    "MAX_KEPT",
    "MAX_OUTLIER_DOTS",
    "MAX_WANTED_BY",
    "MAX_WARNINGS",
    "NO_CATEGORY",
    "OPEN_CATEGORIES",
    "RECENT_RUNS",
    "WIDTH",
    "BarChart",
    "BarRow",
    "BenchmarkBar",
    "BenchmarkGroup",
    "BenchmarkSection",
    "CategoryChart",
    "CheckRow",
    "ErrorFile",
    "FindingExample",
    "FindingLine",
    "FindingSummary",
    "HistoryMark",
    "KeptArticle",
    "LevelGroup",
    "OutlierDot",
    "QualitySection",
    "RangeBar",
    "ReportData",
    "RunInfo",
    "RunRow",
    "SalarySection",
    "StageSlice",
    "Stat",
    "Tick",
    "WarningRow",
    "band_exact",
    "band_text",
    "build_benchmark_section",
    "build_quality_section",
    "build_salary_section",
    "format_man_yen",
    "format_seconds",
    "format_time",
    "format_yen",
    "job_name",
    "nice_axis",
    "render_report",
    "report_data",
    "robust_limit",
    "stage_slices",
    "warm_templates",
    "write_report",
]
