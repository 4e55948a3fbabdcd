"""The user's real article, read end to end and compared with a checked-in golden summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from regenerate_golden import GOLDEN, SOURCE, golden_text, summarize

from jobpipeline.read import read_article


def test_seed_matches_golden(seed_bytes: bytes) -> None:
    """Reading the real article gives exactly the checked-in summary (the test never rewrites it)."""
    summary = summarize(read_article(seed_bytes, SOURCE))
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(summary, ensure_ascii=False)) == expected, (
        "the reader's output changed: run `uv run python tests/regenerate_golden.py` to see the diff and "
        "rewrite tests/golden/, then commit it if the change is intended"
    )


def test_golden_file_is_byte_identical_to_a_regeneration(seed_bytes: bytes) -> None:
    """The checked-in file is exactly what the regeneration step writes, so a regeneration has no noise diff."""
    assert GOLDEN.read_text(encoding="utf-8") == golden_text(seed_bytes)


def test_regeneration_is_a_separate_step_that_shows_the_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`regenerate_golden --check` prints the diff and exits 1 without writing; without --check it rewrites."""
    import regenerate_golden

    stale = tmp_path / "golden.json"
    stale.write_text(
        GOLDEN.read_text(encoding="utf-8").replace('"mlops_engineer"', '"stale_slug"', 1), encoding="utf-8"
    )
    monkeypatch.setattr(regenerate_golden, "GOLDEN", stale)
    monkeypatch.setattr(regenerate_golden, "ROOT", tmp_path)
    before = stale.read_text(encoding="utf-8")
    assert regenerate_golden.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert '-  "slug": "stale_slug"' in out and '+  "slug": "mlops_engineer"' in out
    assert stale.read_text(encoding="utf-8") == before
    assert regenerate_golden.main([]) == 0
    assert stale.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert regenerate_golden.main(["--check"]) == 0


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
        ("junior", 0, 3),
        ("mid", 3, 7),
        ("senior", 7, None),
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
    for expected in (
        "Jenkins",
        "GitHub Actions",
        "Kubeflow",
        "MLflow",
        "Prometheus",
        "Grafana",
        "ELK Stack",
        "Elasticsearch",
        "DVC",
        "Git LFS",
        "Feast",
        "Helm",
        "Kustomize",
        "KServe",
    ):
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
