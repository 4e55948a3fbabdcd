"""The salary range-bar charts: one shared axis, categories by job count, levels in career order."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from jobpipeline.report._axis import nice_axis, robust_limit
from jobpipeline.report._format import band_exact, band_text, format_man_yen
from jobpipeline.report._model import (
    LEVEL_LABEL,
    LEVEL_ORDER,
    LEVELS,
    MAX_CATEGORIES,
    MAX_JOBS_PER_CATEGORY,
    NO_CATEGORY,
    ONE_SIDED,
    OPEN_END,
    WIDTH,
    CategoryChart,
    LevelGroup,
    RangeBar,
    SalarySection,
    Tick,
)
from jobpipeline.report._names import job_name

if TYPE_CHECKING:
    from jobpipeline.warehouse import Row, WarehouseReader

# --------------------------------------------------------------------------------------------- salary chart


@dataclass(frozen=True)
class Band:
    """One annual salary band as the chart needs it."""

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
    name: str = ""
    """The job's name for the label (`job_name`); the title when empty."""


def band_from_row(row: Row) -> Band:
    """A `salary_chart().bands` row (read by column name) as a Band named by `job_name`."""
    title = str(row["title"] or "")
    return Band(
        slug=str(row["slug"]),
        title=title,
        category=str(row["category"]),
        is_current=bool(row["is_current"]),
        level=row["level"],
        level_label=str(row["level_label"] or ""),
        min_yen=row["min_yen"],
        max_yen=row["max_yen"],
        min_open=bool(row["min_open"]),
        max_open=bool(row["max_open"]),
        raw=str(row["raw"] or ""),
        name=job_name(title, _extra_fields(row["extra_fields"])),
    )


def _extra_fields(text: object) -> Mapping[str, Any]:
    """`articles.extra_fields` (front matter the schema does not know, as JSON) as a mapping; {} if unreadable."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def salary_section(warehouse: WarehouseReader, band_ends: Sequence[float]) -> SalarySection:
    counts = warehouse.salary_band_counts()
    chart = warehouse.salary_chart(NO_CATEGORY, MAX_CATEGORIES, MAX_JOBS_PER_CATEGORY)
    return build_salary_section(
        [band_from_row(r) for r in chart.bands],
        per_category={str(r["category"]): int(r["jobs"]) for r in chart.per_category},
        level_jobs={(str(r["category"]), r["level"]): int(r["jobs"]) for r in chart.level_jobs},
        medians={
            (str(r["category"] or NO_CATEGORY), r["level"]): (r["median_midpoint_yen"], r["bands"])
            for r in chart.medians
        },
        category_medians={str(r["category"]): r["median_midpoint_yen"] for r in chart.category_medians},
        bands_annual=counts["annual"],
        bands_other_basis=counts["other_basis"],
        bands_no_figure=counts["no_figure"],
        bands_implausible=counts["implausible"],
        band_ends=band_ends,
    )


def build_salary_section(
    bands: Sequence[Band],
    *,
    per_category: dict[str, int],
    level_jobs: dict[tuple[str, str | None], int],
    medians: dict[tuple[str, str | None], tuple[int | None, int]],
    category_medians: dict[str, int | None],
    bands_annual: int,
    bands_other_basis: int,
    bands_no_figure: int,
    bands_implausible: int = 0,
    band_ends: Sequence[float] | None = None,
) -> SalarySection:
    """Lay out the range-bar charts: one shared axis, categories by job count, levels in career order.

    The axis covers the robust range of the bands (`robust_limit`): a few outliers (8,000万〜1億2,000万円
    among bands of 300万〜3,000万円) would otherwise push every other bar into the axis's left tenth.
    Bands past the axis are drawn to its edge with a mark and their real figure (`RangeBar.clipped`).
    `band_ends` describes every band of the corpus (`band_end_percentiles`); without it, the drawn ones.
    The drawn ones alone are a biased sample (the most linked-to jobs, where outliers may gather).
    """
    shown = {b.category for b in bands}
    limit = robust_limit(band_ends if band_ends else [float(_top(b)) for b in bands])
    # The axis must reach every band within the robust range, fading open ends included (they fade
    # over a share of the axis, hence the division in _right_end), and the medians drawn.
    reach = [_right_end(b) for b in bands if _top(b) <= limit]
    reach += [float(m) for (c, _), (m, _) in medians.items() if m is not None and c in shown and m <= limit]
    step, intervals = nice_axis(max(reach, default=20_000_000.0))
    domain = step * intervals
    ticks = [
        Tick(round(i * step / domain * WIDTH, 1), format_man_yen(i * step).removesuffix("円") or "0")
        for i in range(intervals + 1)
    ]

    def x(yen: int) -> float:
        return round(min(max(yen / domain, 0.0), 1.0) * WIDTH, 1)

    by_category: dict[str, dict[str | None, list[Band]]] = {}
    for band in bands:
        by_category.setdefault(band.category, {}).setdefault(band.level, []).append(band)
    charts = []
    for category in sorted(by_category, key=lambda c: (-per_category.get(c, 0), c)):
        groups = []
        for level in sorted(by_category[category], key=lambda lv: LEVEL_ORDER.get(lv, len(LEVELS))):
            median, median_bands = medians.get((category, level), (None, 0))
            median_x = x(median) if median is not None else None
            members = sorted(by_category[category][level], key=lambda b: (-_sort_yen(b), b.slug))
            groups.append(
                LevelGroup(
                    level=level or "unknown",
                    label=LEVEL_LABEL.get(level, str(level)),
                    bars=[_range_bar(b, x, domain, median_x) for b in members],
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
        bands_implausible=bands_implausible,
        axis_text=format_man_yen(domain),
        bands_clipped=sum(_top(b) > domain for b in bands),
    )


def _top(band: Band) -> int:
    """The band's highest stated figure in yen (what must fit on the axis for it to be drawn whole)."""
    return max(v for v in (band.min_yen, band.max_yen, 0) if v is not None)


def _right_end(band: Band) -> float:
    """How far right (in yen) the band is drawn, its fading open end included."""
    if band.min_yen is not None and band.max_yen is not None:
        high = max(band.min_yen, band.max_yen)
        return high / (1 - OPEN_END) if band.max_open else float(high)
    if band.min_yen is not None:
        return band.min_yen / (1 - ONE_SIDED)
    return float(band.max_yen or 0)


def _sort_yen(band: Band) -> int:
    if band.min_yen is not None and band.max_yen is not None:
        return (band.min_yen + band.max_yen) // 2
    return band.min_yen if band.min_yen is not None else band.max_yen or 0


CLIP_MIN: float = 0.03 * WIDTH
"""Shortest bar drawn for a band that lies wholly past the axis (it still shows, at the edge)."""


def _clip_text(band: Band) -> str:
    """Where a clipped band really ends: 1億4,000万円, 1億2,000万円+ or 1億円以上."""
    if band.min_yen is not None and band.max_yen is not None:
        return format_man_yen(max(band.min_yen, band.max_yen)) + ("+" if band.max_open else "")
    if band.min_yen is not None:
        return format_man_yen(band.min_yen) + "以上"
    return format_man_yen(band.max_yen or 0)


def _range_bar(band: Band, x: Callable[[int], float], domain: int, median_x: float | None) -> RangeBar:
    """One band's geometry: a solid part between stated figures, fades and arrows at open ends, and a
    band past the axis (`domain` yen) drawn to the edge, marked, with its real figure."""
    low, high = band.min_yen, band.max_yen
    if low is not None and high is not None and low > high:
        low, high = high, low
    exact = band_exact(band.min_yen, band.max_yen, band.min_open, band.max_open)
    text = band_text(band.min_yen, band.max_yen, band.min_open, band.max_open)
    clipped = _top(band) > domain
    base = RangeBar(
        slug=band.slug,
        title=band.title,
        name=band.name,
        level_label=band.level_label,
        is_current=band.is_current,
        text=text,
        hint=f"{band.title} ({band.slug}) · {band.level_label}: {exact} · 原文 {band.raw}"
        + (f" · 軸の外 (軸は{format_man_yen(domain)}まで)" if clipped else "")
        + ("" if band.is_current else " · 最終正常版"),
        solid_x=0.0,
        solid_w=0.0,
        median_x=median_x,
        clipped=clipped,
        clip_text=_clip_text(band) if clipped else "",
    )
    fade_open, fade_one = OPEN_END * WIDTH, ONE_SIDED * WIDTH
    if clipped:
        # The part inside the axis is solid up to the edge, where the template draws the break mark
        # and the real figure; an open end past the axis has nothing left to fade into.
        start = x(low) if low is not None else x(high or 0)
        start = min(start, WIDTH - CLIP_MIN)
        bar = replace(base, solid_x=start, solid_w=round(WIDTH - start, 1))
        if low is not None and high is not None and band.min_open:
            w = round(min(fade_open, start), 1)
            bar = replace(bar, fade_left_x=round(start - w, 1), fade_left_w=w, arrow_left=round(start - w, 1))
        return bar
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
