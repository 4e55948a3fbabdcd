"""Flatten read results into table rows: what workers hand back and the warehouse loads.

Rows travel between processes, so they are polars frames (compact, Arrow-backed), not models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from jobpipeline import schema
from jobpipeline.enrich import canonical_tag, canonical_tool, midpoint
from jobpipeline.models import Article, Finding, ReadResult


@dataclass(frozen=True)
class FileVersion:
    """A file as read in this run (what the `files` table records)."""

    source_path: str
    size: int
    mtime_ns: int
    content_hash: str
    claimed_slug: str | None
    slug_line: int | None
    parse_ok: bool
    related_jobs: tuple[str, ...]
    related_lines: tuple[int | None, ...]
    read_ns: int | None = None
    """When the bytes were read (ns since the epoch); None when never recorded (an older warehouse)."""
    reader: str | None = None
    """The fingerprint of the reader that read them (`reader_version`), stamped by the run as it stages
    them; None when never recorded."""


@dataclass
class Batch:
    """Everything a batch of files produced, as rows ready to stage."""

    files: list[FileVersion] = field(default_factory=list)
    unchanged: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(path, size, mtime_ns, read_ns) of files whose bytes hash to what the warehouse already has."""
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    articles: int = 0


def article_rows(article: Article) -> dict[str, list[dict[str, Any]]]:
    """Rows of every per-article table for one article (run_id is stamped when loading)."""
    fm = article.front_matter
    lineage = {"source_path": article.source_path, "content_hash": article.content_hash}
    slug = fm.slug
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["articles"] = [
        {
            "slug": slug,
            "title": fm.title,
            "category": fm.category,
            "meta_description": fm.meta_description,
            "thumbnail": fm.thumbnail,
            "hero_image": fm.hero_image,
            "body_chars": article.body_chars,
            "section_count": len(article.sections),
            "extra_fields": json.dumps(fm.extra, ensure_ascii=False, default=str) if fm.extra else None,
            "is_current": True,
            **lineage,
        }
    ]
    rows["salary_bands"] = [
        {
            "slug": slug,
            "ordinal": r.ordinal,
            "level": r.experience.level,
            "level_label": r.experience.label,
            "years_min": r.experience.years_min,
            "years_max": r.experience.years_max,
            "min_yen": r.band.min_yen,
            "max_yen": r.band.max_yen,
            "min_open": r.band.min_open,
            "max_open": r.band.max_open,
            "basis": r.band.basis,
            "raw": r.band.raw,
            "midpoint_yen": midpoint(r.band.min_yen, r.band.max_yen),
            "note": r.note,
            "line": r.line,
            **lineage,
            "plausible": r.band.plausible,
        }
        for r in article.salary_rows
    ]
    lines = fm.related_lines + (None,) * (len(fm.related_jobs) - len(fm.related_lines))
    rows["related_job_links"] = [
        {"slug": slug, "ordinal": i, "related_slug": related, "line": lines[i], **lineage}
        for i, related in enumerate(fm.related_jobs)
    ]
    rows["sections"] = [
        {
            "slug": slug,
            "ordinal": s.ordinal,
            "level": s.level,
            "title": s.title,
            "char_count": len(s.text),
            "line": s.line,
            **lineage,
        }
        for s in article.sections
    ]
    rows["skills"] = [
        {
            "slug": slug,
            "ordinal": s.ordinal,
            "skill_group": s.group,
            "name": s.name,
            "description": s.description,
            "line": s.line,
            **lineage,
        }
        for s in article.skills
    ]
    rows["tools"] = [
        {
            "slug": slug,
            "ordinal": i,
            "name": t.name,
            "canonical_name": canonical_tool(t.name),
            "tool_category": t.tool_category,
            "line": t.line,
            **lineage,
        }
        for i, t in enumerate(article.tools)
    ]
    rows["career_stages"] = [
        {
            "slug": slug,
            "ordinal": c.ordinal,
            "stage": c.stage,
            "level": c.experience.level,
            "responsibilities": c.responsibilities,
            "outlook": c.outlook,
            "line": c.line,
            **lineage,
        }
        for c in article.career_stages
    ]
    rows["interview_questions"] = [
        {
            "slug": slug,
            "ordinal": q.ordinal,
            "question": q.question,
            "answer_points": q.answer_points,
            "line": q.line,
            **lineage,
        }
        for q in article.interview_questions
    ]
    tagged = [(t, "front_matter") for t in fm.tags] + [(t, "hashtag") for t in article.hashtags]
    rows["tags"] = [
        {
            "slug": slug,
            "ordinal": i,
            "tag": tag,
            "canonical_tag": canonical_tag(tag),
            "origin": origin,
            **lineage,
        }
        for i, (tag, origin) in enumerate(tagged)
    ]
    rows["keywords"] = [{"slug": slug, "ordinal": i, "keyword": k, **lineage} for i, k in enumerate(fm.keywords)]
    return rows


def batch_from_results(
    results: Iterable[tuple[ReadResult, int, int, int]], unchanged: Sequence[tuple[str, int, int, int]] = ()
) -> Batch:
    """Collect read results (each with the file's size and mtime on disk, and when it was read) into one Batch."""
    batch = Batch(unchanged=list(unchanged))
    collected: dict[str, list[dict[str, Any]]] = {spec.name: [] for spec in schema.ARTICLE_TABLES}
    for result, size, mtime_ns, read_ns in results:
        batch.findings.extend(result.findings)
        article = result.article
        fm = article.front_matter if article else None
        batch.files.append(
            FileVersion(
                source_path=result.source_path,
                size=size,
                mtime_ns=mtime_ns,
                content_hash=result.content_hash,
                claimed_slug=result.claimed_slug,
                slug_line=fm.field_lines.get("slug") if fm else None,
                parse_ok=article is not None,
                related_jobs=fm.related_jobs if fm else (),
                related_lines=fm.related_lines if fm else (),
                read_ns=read_ns,
            )
        )
        if article is None:
            continue
        batch.articles += 1
        for name, table_rows in article_rows(article).items():
            collected[name].extend(table_rows)
    batch.tables = {
        name: pl.DataFrame(table_rows, schema=schema.polars_schema(schema.BY_NAME[name]), orient="row")
        if table_rows
        else pl.DataFrame(schema=schema.polars_schema(schema.BY_NAME[name]))
        for name, table_rows in collected.items()
    }
    return batch
