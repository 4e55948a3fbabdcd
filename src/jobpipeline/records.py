"""What a run, a re-validation or an enrichment did, as typed records.

A flow returns plain JSON (Prefect stores and serializes its result), so the pipeline's summaries
cross the flow boundary as dicts; every caller reads them back through these records, so a key
that is renamed or misspelt fails in mypy and in one place, not as a KeyError in a print line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self


@dataclass(frozen=True)
class _Record:
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The record of a summary's `record()` dict (unknown keys are an error: the shapes are one)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{cls.__name__} has no field {', '.join(unknown)}")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (`--format json`)."""
        return asdict(self)


@dataclass(frozen=True)
class RunRecord(_Record):
    """What an ingest run or a re-validation did (`pipeline.RunSummary.record()`)."""

    run_id: int
    files_seen: int
    files_new: int
    files_changed: int
    files_unchanged: int
    files_deleted: int
    files_rejected: int
    articles_loaded: int
    articles_removed: int
    kept_last_known_good: list[str]
    newly_broken: list[str]
    errors: int
    warnings: int
    published: str
    datasets: list[str]
    stage_seconds: dict[str, float]
    warehouse: str
    nothing_changed: bool
    error_lines: list[str]
    """The first error lines (`path:line: error[code] field: message`); all are in validation_issues."""
    changed_findings: list[str]
    """The findings of the files this run read (new, changed, named or deleted)."""
    enrichment_findings: dict[str, int] = field(default_factory=dict)
    quality_failed: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    """The flow run's parameters, for a run served by `serve` (which paths a re-validation was given)."""
    files_reread: int = 0
    """Unchanged files parsed again because an older jobpipeline (another reader) had read them."""


@dataclass(frozen=True)
class EnrichRecord(_Record):
    """What an enrichment on its own did (`pipeline.EnrichSummary.record()`)."""

    run_id: int
    warehouse: str
    errors: int
    warnings: int
    derived: dict[str, int]
    enrichment_findings: dict[str, int]
    quality_checks: dict[str, int]
    quality_failed: list[str]
    published: str
    stage_seconds: dict[str, float]
