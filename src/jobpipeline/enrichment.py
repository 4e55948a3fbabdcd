"""The enrichment step: derived tables, benchmarks and quality checks over the warehouse alone.

It runs as the `enrich` stage of every ingest and re-validation (in the same copy-on-write
transaction, so a run's data and its checks commit together), and on its own (`jobpipeline
enrich`, the `jobpipeline-enrich` flow on a daily schedule) so that checks that depend on the date
change without any file change. It never reads a seed file: everything comes from the warehouse.

The writer reads what the checks need, the pure functions of `jobpipeline.quality` decide, the
writer writes what they found.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from jobpipeline.models import Finding
from jobpipeline.quality import (
    QualityCheck,
    Thresholds,
    category_variants,
    corpus_checks,
    level_inversions,
    not_updated,
    previous_stats,
    salary_outliers,
    stale_titles,
    tokyo_today,
)
from jobpipeline.settings import Settings
from jobpipeline.warehouse import WarehouseWriter


@dataclass(frozen=True)
class EnrichResult:
    """What one enrichment found and wrote."""

    derived: dict[str, int]
    """Rows of each derived table."""
    findings: list[Finding]
    """The enrichment's article-level findings (all of them, not only new ones)."""
    checks: list[QualityCheck] = field(default_factory=list)
    """This run's corpus-level checks."""
    errors: int = 0
    warnings: int = 0
    """Errors and warnings `validation_issues` holds afterwards (every code)."""
    parts: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Wall and CPU seconds of each part (derived, read, checks, write): where the stage's time goes."""

    @property
    def failed(self) -> list[QualityCheck]:
        return [c for c in self.checks if c.status == "fail"]

    def counts(self) -> dict[str, int]:
        """Findings per enrichment code."""
        counted: dict[str, int] = {}
        for finding in self.findings:
            counted[finding.code] = counted.get(finding.code, 0) + 1
        return counted


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        article_drop_pct=settings.check_article_drop_pct,
        rejected_share_points=settings.check_rejected_points,
        category_median_pct=settings.check_median_move_pct,
        dangling_up_pct=settings.check_dangling_up_pct,
    )


@contextmanager
def _timed(parts: dict[str, tuple[float, float]], name: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    parts[name] = (time.perf_counter() - wall, time.process_time() - cpu)


def enrich_warehouse(writer: WarehouseWriter, now: datetime, settings: Settings) -> EnrichResult:
    """Rebuild the derived tables, run every quality check as of `now` (aware), write the results."""
    parts: dict[str, tuple[float, float]] = {}
    with _timed(parts, "derived"):
        derived = writer.enrich(outlier_z=settings.outlier_z, outlier_min_bands=settings.outlier_min_bands)
    with _timed(parts, "read"):
        bands = writer.band_points()
        stamps = writer.article_stamps(now)
        previous = previous_stats(writer.previous_checks())
        stats = writer.corpus_stats()
    with _timed(parts, "checks"):
        findings = [
            *level_inversions(bands),
            *salary_outliers(bands, settings.outlier_z, settings.outlier_min_bands),
            *stale_titles(stamps, tokyo_today(now)),
            *not_updated(stamps, now, settings.stale_after_days),
            *category_variants(stamps),
        ]
        checks = corpus_checks(previous, stats, thresholds(settings))
    with _timed(parts, "write"):
        errors, warnings = writer.write_enrichment(findings, checks, now)
    return EnrichResult(derived, findings, checks, errors, warnings, parts)
