"""The quality checks section: the latest run's corpus checks with their recent history, and the
enrichment's article-level findings counted with a few example articles each."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from jobpipeline.report._format import format_man_yen, format_time
from jobpipeline.report._model import (
    CHECK_HISTORY,
    FINDING_EXAMPLES,
    MAX_CHECKS,
    CheckRow,
    FindingExample,
    FindingSummary,
    HistoryMark,
    QualitySection,
    Stat,
)
from jobpipeline.report._names import job_name
from jobpipeline.report._salary import _extra_fields

if TYPE_CHECKING:
    from jobpipeline.warehouse import Row, WarehouseReader

FINDING_CODES: Final = (
    ("salary-level-inversion", "レベルの逆転", "同じ記事で、上のレベルの年収レンジが下のレベルより低い。"),
    ("salary-outlier", "年収の外れ値", "カテゴリ×レベルの中央値から大きく外れたレンジ (robust z)。"),
    ("title-year-stale", "タイトルの年が古い", "タイトルが今年より前の年を掲げている (【2025最新】など)。"),
    ("article-not-updated", "長期間更新なし", "記事が設定した日数 (既定 365 日) より長く変わっていない。"),
    ("category-variant", "カテゴリの表記ゆれ", "別のカテゴリの表記違い (大文字・空白・-/_) で、集計が分かれる。"),
)
"""The enrichment's article-level finding codes (quality.CODES), in the order the page lists them."""

STATUSES: Final = (("fail", "失敗", "error"), ("warn", "注意", "warning"), ("pass", "合格", "ok"))
"""Check statuses, worst first: key, label, the tone of its count."""


def quality_section(warehouse: WarehouseReader) -> QualitySection:
    """The checks and findings, or an empty section for a warehouse made before the enrich stage."""
    codes = [code for code, _, _ in FINDING_CODES]
    examples = warehouse.finding_examples(codes, FINDING_EXAMPLES)
    if not warehouse.has_tables("quality_checks"):
        return build_quality_section([], [], examples)
    return build_quality_section(
        warehouse.latest_quality_checks(), warehouse.quality_check_history(CHECK_HISTORY), examples
    )


def build_quality_section(latest: Sequence[Row], history: Sequence[Row], examples: Sequence[Row]) -> QualitySection:
    """Lay out the section from `latest_quality_checks`, `quality_check_history` and `finding_examples` rows."""
    runs = sorted({int(r["run_id"]) for r in history})
    seen: dict[tuple[str, str | None], dict[int, str]] = {}
    for r in history:
        seen.setdefault((str(r["check_name"]), r["subject"]), {})[int(r["run_id"])] = str(r["status"])
    checks = [
        CheckRow(
            status=str(r["status"]),
            check_name=str(r["check_name"]),
            subject=str(r["subject"] or ""),
            value_text=_number(r["value"], signed=True),
            threshold_text=_number(r["threshold"]),
            observed_text=_observed(str(r["check_name"]), r["observed"]),
            message=str(r["message"] or ""),
            history=[
                HistoryMark(run, seen.get((str(r["check_name"]), r["subject"]), {}).get(run, "none")) for run in runs
            ],
        )
        for r in latest
    ]
    counts = {key: sum(c.status == key for c in checks) for key, _, _ in STATUSES}
    status_counts = [
        Stat(label, f"{counts[key]:,}", tone=tone if counts[key] else "", hint=key) for key, label, tone in STATUSES
    ]
    return QualitySection(
        run_id=int(latest[0]["run_id"]) if latest else None,
        checked_at=format_time(latest[0]["checked_at"]) if latest else "",
        status_counts=status_counts,
        checks=checks[:MAX_CHECKS],
        checks_total=len(checks),
        history_runs=runs,
        findings=_findings(examples),
    )


def _findings(rows: Sequence[Row]) -> list[FindingSummary]:
    """One summary per enrichment code, found or not (a zero says the check ran and found nothing)."""
    by_code: dict[str, list[Row]] = {}
    for r in rows:
        by_code.setdefault(str(r["code"]), []).append(r)
    summaries = []
    for code, label, description in FINDING_CODES:
        found = by_code.get(code, [])
        summaries.append(
            FindingSummary(
                code=code,
                label=label,
                description=description,
                findings=int(found[0]["findings"]) if found else 0,
                articles=int(found[0]["articles"]) if found else 0,
                examples=[
                    FindingExample(
                        slug=str(r["slug"]),
                        name=job_name(str(r["title"] or ""), _extra_fields(r["extra_fields"])) or str(r["slug"]),
                        title=str(r["title"] or ""),
                        message=str(r["message"] or ""),
                        source_path=str(r["source_path"] or ""),
                        line=r["line"],
                    )
                    for r in found
                ],
            )
        )
    return summaries


def _number(value: float | None, *, signed: bool = False) -> str:
    """A check's figure: one decimal, sign shown for a change; — when there is none (a first run)."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:+,.1f}" if signed else f"{value:,.1f}"
    return text.removesuffix(".0")


def _observed(check_name: str, value: float | None) -> str:
    """This run's measure in its unit: yen for a category median, percent for the rejected share."""
    if value is None or not math.isfinite(value):
        return "—"
    if check_name == "category-median-move":
        return format_man_yen(round(value))
    if check_name == "rejected-share-up":
        return _number(value) + "%"
    return _number(value)
