"""The user's real article, read end to end and compared with a checked-in golden summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jobpipeline.models import ReadResult
from jobpipeline.read import read_article

GOLDEN = Path(__file__).parent / "golden" / "mlops_engineer.json"
SOURCE = "000_d9b025f51903baf0.txt"


def summarize(result: ReadResult) -> dict[str, Any]:
    article = result.article
    assert article is not None
    fm = article.front_matter
    return {
        "front_matter": fm.model_dump(exclude={"field_lines", "related_lines"}),
        "field_lines": fm.field_lines,
        "related_lines": list(fm.related_lines),
        "body_line": article.body_line,
        "sections": [[s.level, s.title, s.line] for s in article.sections],
        "tables": [[t.kind, t.line, list(t.header), len(t.rows)] for t in article.tables],
        "salary": [
            {"label": r.experience.label, "level": r.experience.level, "years": [r.experience.years_min,
             r.experience.years_max], "min_yen": r.band.min_yen, "max_yen": r.band.max_yen,
             "max_open": r.band.max_open, "basis": r.band.basis, "raw": r.band.raw, "line": r.line}
            for r in article.salary_rows
        ],
        "tools": [t.name for t in article.tools],
        "skills": [s.name for s in article.skills],
        "career_levels": [c.experience.level for c in article.career_stages],
        "interview_questions": len(article.interview_questions),
        "hashtags": list(article.hashtags),
        "findings": [f.format_line() for f in result.findings],
    }


def test_seed_matches_golden(seed_bytes: bytes) -> None:
    """Reading the real article gives exactly the checked-in summary (UPDATE_GOLDEN=1 rewrites it)."""
    summary = json.loads(json.dumps(summarize(read_article(seed_bytes, SOURCE)), ensure_ascii=False))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert summary == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_seed_front_matter(seed_bytes: bytes) -> None:
    """The `---json` front matter is read (not silently dropped as python-frontmatter would)."""
    result = read_article(seed_bytes, SOURCE)
    assert result.article is not None
    fm = result.article.front_matter
    assert fm.slug == "mlops_engineer"
    assert fm.category == "ai-data"
    assert fm.related_jobs == ("data_scientist", "devops_engineer")
    assert fm.thumbnail == "/static/img/mlops_engineer.png"
    assert "Kubernetes" in fm.tags
    assert fm.title.startswith("【2026最新】MLOpsエンジニア")


def test_seed_salary_bands(seed_bytes: bytes) -> None:
    """The three bands, their years and levels, in yen, the top one open-ended."""
    result = read_article(seed_bytes, SOURCE)
    assert result.article is not None
    rows = result.article.salary_rows
    bands = [(r.band.min_yen, r.band.max_yen, r.band.max_open, r.band.basis) for r in rows]
    assert bands == [
        (4_500_000, 7_000_000, False, "annual"),
        (7_000_000, 11_000_000, False, "annual"),
        (11_000_000, 18_000_000, True, "annual"),
    ]
    assert [(r.experience.level, r.experience.years_min, r.experience.years_max) for r in rows] == [
        ("junior", 0, 3), ("mid", 3, 7), ("senior", 7, None)
    ]


def test_seed_sections_tools_and_tags(seed_bytes: bytes) -> None:
    """Section titles, tool names and recommended hashtags come out of the body."""
    result = read_article(seed_bytes, SOURCE)
    assert result.article is not None
    article = result.article
    titles = [s.title for s in article.sections]
    assert "💰 日本での推定年収（doda・OpenWork参照）" in titles
    assert "9️⃣ 面接でよくある質問とその対策" in titles
    tools = [t.name for t in article.tools]
    for expected in ("Jenkins", "GitHub Actions", "Kubeflow", "MLflow", "Prometheus", "Grafana", "ELK Stack",
                     "Elasticsearch", "DVC", "Git LFS", "Feast", "Helm", "Kustomize", "KServe"):
        assert expected in tools
    assert "Data Version Control" not in tools
    assert article.hashtags == ("MLOpsエンジニア", "機械学習運用", "DevOps", "Kubernetes", "AIキャリア")
    assert len(article.interview_questions) == 15
    assert len(article.career_stages) == 5


def test_seed_is_accepted_with_only_expected_warnings(seed_bytes: bytes) -> None:
    """The real article has no errors; its dangling links are a corpus check, not a per-file one."""
    result = read_article(seed_bytes, SOURCE)
    assert result.accepted
    assert [f for f in result.findings if f.severity == "error"] == []
