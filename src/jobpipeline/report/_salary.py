"""The salary range-bar charts: one shared axis, categories by job count, levels in career order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from jobpipeline.report._axis import nice_axis
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

if TYPE_CHECKING:
    from jobpipeline.warehouse import WarehouseReader

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


def salary_section(warehouse: WarehouseReader) -> SalarySection:
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
        for level in sorted(by_category[category], key=lambda lv: LEVEL_ORDER.get(lv, len(LEVELS))):
            median, median_bands = medians.get((category, level), (None, 0))
            median_x = x(median) if median is not None else None
            members = sorted(by_category[category][level], key=lambda b: (-_sort_yen(b), b.slug))
            groups.append(
                LevelGroup(
                    level=level or "unknown",
                    label=LEVEL_LABEL.get(level, str(level)),
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
