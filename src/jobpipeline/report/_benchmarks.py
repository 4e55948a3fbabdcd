"""The salary benchmarks section: per category × level a percentile bar (p10-p90 whisker, p25-p75 box,
p50 mark) on one shared robust axis, with the group's outlier bands as dots; whole-corpus rows first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from jobpipeline.report._axis import nice_axis, robust_limit
from jobpipeline.report._format import format_man_yen
from jobpipeline.report._model import (
    LEVEL_LABEL,
    LEVEL_ORDER,
    LEVELS,
    MAX_OUTLIER_DOTS,
    NO_CATEGORY,
    WIDTH,
    BenchmarkBar,
    BenchmarkGroup,
    BenchmarkSection,
    OutlierDot,
    Tick,
)
from jobpipeline.report._names import job_name
from jobpipeline.report._salary import _extra_fields

if TYPE_CHECKING:
    from jobpipeline.warehouse import Row, WarehouseReader

PERCENTILES = ("p10_yen", "p25_yen", "p50_yen", "p75_yen", "p90_yen")


def benchmark_section(warehouse: WarehouseReader, band_ends: Sequence[float]) -> BenchmarkSection | None:
    """The section's data, or None for a warehouse made before the enrich stage (no benchmark tables)."""
    if not warehouse.has_tables("salary_benchmarks", "article_salary_position"):
        return None
    return build_benchmark_section(
        warehouse.salary_benchmark_rows(),
        warehouse.salary_outlier_rows(MAX_OUTLIER_DOTS),
        band_ends=band_ends,
    )


def build_benchmark_section(
    benchmarks: Sequence[Row], outliers: Sequence[Row], band_ends: Sequence[float] | None = None
) -> BenchmarkSection | None:
    """Lay out the percentile bars from `salary_benchmark_rows` and `salary_outlier_rows` rows.

    The axis is the salary charts' robust one (`robust_limit` of every band end, `band_ends`): it reaches
    every group's p90 and every outlier within the fence; outliers past it sit at its edge as a mark with
    their figure, so a 1億円 band cannot squash the bars into the axis's left tenth.
    """
    if not benchmarks:
        return None
    p90s = [float(r["p90_yen"]) for r in benchmarks if r["p90_yen"] is not None]
    dots = [float(r["midpoint_yen"]) for r in outliers if r["midpoint_yen"] is not None]
    limit = robust_limit(band_ends if band_ends else p90s + dots)
    reach = [v for v in p90s + dots if v <= limit]
    step, intervals = nice_axis(max(reach, default=20_000_000.0))
    domain = step * intervals
    ticks = [
        Tick(round(i * step / domain * WIDTH, 1), format_man_yen(i * step).removesuffix("円") or "0")
        for i in range(intervals + 1)
    ]

    def x(yen: float | None) -> float | None:
        return None if yen is None else _x(yen, domain)

    by_group: dict[tuple[str, str | None], list[Row]] = {}
    for r in outliers:
        by_group.setdefault((str(r["category"] or NO_CATEGORY), r["level"]), []).append(r)

    def bar(r: Row, group: str) -> BenchmarkBar:
        found = by_group.get((group, r["level"]), []) if group else []
        p = [r[k] for k in PERCENTILES]
        level_label = LEVEL_LABEL.get(r["level"], str(r["level"]))
        # The fig column shows the median to the 万 (752万5,000円 reads as noise there); the hint is exact.
        median = format_man_yen(round(p[2] / 10_000) * 10_000) if p[2] is not None else "—"
        span = f"{format_man_yen(round(p[0]))}〜{format_man_yen(round(p[4]))}" if p[0] is not None else "—"
        quartiles = f"{format_man_yen(round(p[1]))}〜{format_man_yen(round(p[3]))}" if p[1] is not None else "—"
        return BenchmarkBar(
            level=r["level"] or "unknown",
            label=level_label,
            n_bands=int(r["n_bands"] or 0),
            n_articles=int(r["n_articles"] or 0),
            p10_x=x(p[0]),
            p25_x=x(p[1]),
            p50_x=x(p[2]),
            p75_x=x(p[3]),
            p90_x=x(p[4]),
            median_text=median,
            range_text=span,
            hint=f"{group or '全体'} · {level_label}: 中央値 {median} · p25〜p75 {quartiles} · p10〜p90 {span}"
            f" · {int(r['n_bands'] or 0):,} レンジ ({int(r['n_articles'] or 0):,} 記事)",
            dots=[_dot(o, domain) for o in found],
            outliers=int(found[0]["group_outliers"]) if found else 0,
        )

    def level_key(r: Row) -> int:
        return LEVEL_ORDER.get(r["level"], len(LEVELS))

    corpus = [bar(r, "") for r in sorted((r for r in benchmarks if r["whole_corpus"]), key=level_key)]
    grouped: dict[str, list[Row]] = {}
    for r in benchmarks:
        if not r["whole_corpus"]:
            grouped.setdefault(str(r["category"] or NO_CATEGORY), []).append(r)
    categories = []
    for name in sorted(grouped):
        bars = [bar(r, name) for r in sorted(grouped[name], key=level_key)]
        categories.append(BenchmarkGroup(name, bars, sum(b.outliers for b in bars)))
    return BenchmarkSection(
        ticks=ticks,
        intervals=intervals,
        axis_text=format_man_yen(domain),
        corpus=corpus,
        categories=categories,
        outliers=sum(g.outliers for g in categories),
        outliers_beyond=sum(d.beyond for g in categories for b in g.bars for d in b.dots),
    )


def _x(yen: float, domain: int) -> float:
    """`yen` on an axis from 0 to `domain` yen, in viewBox units, held inside it."""
    return round(min(max(yen / domain, 0.0), 1.0) * WIDTH, 1)


def _dot(row: Row, domain: int) -> OutlierDot:
    """An outlier band as a dot named by its job (past the axis: at the edge, `beyond`)."""
    midpoint = int(row["midpoint_yen"])
    title = str(row["title"] or "")
    z = float(row["robust_z"] or 0.0)
    return OutlierDot(
        x=_x(midpoint, domain),
        slug=str(row["slug"]),
        name=job_name(title, _extra_fields(row["extra_fields"])) or str(row["slug"]),
        text=format_man_yen(midpoint),
        z_text=f"{z:+.1f}",
        beyond=midpoint > domain,
    )
