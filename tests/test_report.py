"""The HTML report: yen formatting, escaping, empty and huge warehouses, and the page in headless Chromium."""

from __future__ import annotations

import base64
import json
import math
import os
import queue
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import make_article
from helpers import cli, lacking, rows, run_local

from jobpipeline.report import (
    FINDING_CODES,
    WIDTH,
    BarChart,
    BarRow,
    CategoryChart,
    ErrorFile,
    FindingLine,
    KeptArticle,
    LevelGroup,
    RangeBar,
    ReportData,
    SalarySection,
    Tick,
    WarningRow,
    band_text,
    build_benchmark_section,
    build_quality_section,
    format_man_yen,
    job_name,
    nice_axis,
    render_report,
    report_data,
    robust_limit,
    stage_slices,
    write_report,
)
from jobpipeline.report._axis import quantile
from jobpipeline.report._render import template_environment
from jobpipeline.schema import ddl
from jobpipeline.warehouse import WarehouseReader, rebuild_derived

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HOSTILE_TITLE = f"{HOSTILE}MLエンジニア"
HOSTILE_TAG = "<img src=x onerror=alert(2)>"


# ------------------------------------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    ("yen", "expected"),
    [
        (0, "0円"),
        (1, "1円"),
        (9_999, "9,999円"),
        (10_000, "1万円"),
        (2_000, "2,000円"),
        (4_500_000, "450万円"),
        (11_000_000, "1,100万円"),
        (4_567_890, "456万7,890円"),
        (100_000_000, "1億円"),
        (120_000_000, "1億2,000万円"),
        (100_005_000, "1億5,000円"),
        (1_234_567_890, "12億3,456万7,890円"),
        (1_000_000_000_000, "10,000億円"),
        (-4_500_000, "-450万円"),
    ],
)
def test_format_man_yen(yen: int, expected: str) -> None:
    """Yen read the Japanese way: 万 and 億 units with thousands separators, exact to the yen."""
    assert format_man_yen(yen) == expected


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ((4_500_000, 7_000_000, False, False), "450万円〜700万円"),
        ((11_000_000, 18_000_000, False, True), "1,100万円〜1,800万円+"),
        ((15_000_000, None, False, True), "1,500万円以上"),
        ((None, 4_000_000, True, False), "〜400万円"),
        ((6_000_000, 6_000_000, False, False), "600万円"),
        ((None, None, False, False), "金額なし"),
    ],
)
def test_band_text(band: tuple[int | None, int | None, bool, bool], expected: str) -> None:
    """A band is written as a range, with 以上 / 〜 / + for its open ends."""
    assert band_text(*band) == expected


def test_nice_axis_is_tight_and_round() -> None:
    """The salary axis uses a 1-2-2.5-5 step, at most six intervals, and ends just past what it must show."""
    assert nice_axis(23_913_043) == (5_000_000, 5)
    assert nice_axis(18_000_000) == (5_000_000, 4)
    assert nice_axis(3_000_000) == (500_000, 6)
    assert nice_axis(1) == (1_000, 1)


@pytest.mark.parametrize(
    ("title", "front_matter", "expected"),
    [
        ("【2026最新】MLOpsエンジニアの年収・将来性は？未経験からのロードマップを徹底解説", {}, "MLOpsエンジニア"),
        (
            "【完全ガイド】プロダクトアーティストになるには？年収・キャリアパス・面接対策まで",
            {},
            "プロダクトアーティスト",
        ),
        ("データエンジニアとは？仕事内容・必要スキル・年収相場を徹底解説【2025年版】", {}, "データエンジニア"),
        (
            "ピープル報酬マネージャーの年収はいくら？経験年数別の相場と転職のコツ（2025）",
            {},
            "ピープル報酬マネージャー",
        ),
        ("未経験からゲームプログラマーへ：必要スキルと学習ロードマップ【2024】", {}, "ゲームプログラマー"),
        ("Labor Specialist（労務スペシャリスト）の仕事内容と年収・将来性【2026年最新】", {}, "労務スペシャリスト"),
        ("Webデザイナーに転職するには…未経験からの勉強法", {}, "Webデザイナー"),
        ("ITコンサルタントとは？年収・仕事内容", {}, "ITコンサルタント"),
        ("SRE（サイト信頼性エンジニア）の年収", {}, "SRE（サイト信頼性エンジニア）"),
        ("データサイエンティスト｜年収と将来性", {}, "データサイエンティスト"),
        ("バックエンドエンジニア", {}, "バックエンドエンジニア"),
        ("【保存版】年収1,000万円を目指す", {"job_name": "クラウドアーキテクト"}, "クラウドアーキテクト"),
        ("【保存版】年収1,000万円を目指す", {"name": " セキュリティエンジニア "}, "セキュリティエンジニア"),
        ("QAエンジニアの年収", {"job_name": "", "name": 3}, "QAエンジニア"),
        ("クラウドエンジニアの平均年収【2026】", {}, "クラウドエンジニア"),
        ("【2026最新】", {}, "【2026最新】"),
        (HOSTILE_TITLE, {}, HOSTILE_TITLE),
    ],
    ids=[
        "year-prefix-salary-tail",
        "guide-prefix-naruniwa",
        "towa-tail-year-suffix",
        "salary-question-year-parens",
        "mikeiken-kara-he",
        "english-with-japanese",
        "tenshoku-tail",
        "towa-tail",
        "acronym-keeps-expansion",
        "bar-separator",
        "plain-name",
        "job_name-field",
        "name-field-trimmed",
        "empty-or-odd-fields-ignored",
        "heikin-nenshu-tail",
        "nothing-left-keeps-title",
        "markup-kept-as-text",
    ],
)
def test_job_name(title: str, front_matter: dict[str, Any], expected: str) -> None:
    """A bar is labelled by the job's name: the title without 【…】 and its clickbait tail, or a name field."""
    assert job_name(title, front_matter) == expected


M = 10_000
"""One 万円 in yen."""


@pytest.mark.parametrize(
    ("ends", "expected"),
    [
        ([], math.inf),
        ([450 * M, 700 * M, 1_000 * M, 1_400 * M, 2_000 * M], 3_500 * M),
        ([v * 50 * M for v in range(6, 61)] + [1_2000 * M, 1_0000 * M], 6_600 * M),
        ([v * 10 * M for v in range(30, 130)] + [8_000 * M, 1_0000 * M, 1_2000 * M], 2_595 * M),
        ([1_000 * M] * 4 + [1_0000 * M], 1_000 * M),
        ([500 * M, 600 * M, 700 * M, 1_0000 * M], 10_375 * M),
    ],
    ids=["none", "no-outlier", "two-far-out", "three-percent-out", "flat-then-one", "too-few-to-tell"],
)
def test_robust_limit(ends: list[int], expected: float) -> None:
    """Bands above Q3 + 3 x IQR of all band ends are outliers, even when they are 3% of the bands (where a
    99th percentile still reaches them); with no outlier, or too few bands to tell, the limit is past them all."""
    assert robust_limit(ends) == pytest.approx(expected)
    assert quantile([v * 10 * M for v in range(30, 130)] + [8_000 * M, 1_0000 * M, 1_2000 * M], 0.99) > 8_000 * M


def test_robust_limit_from_percentiles_matches_all_ends() -> None:
    """The 101 percentiles the warehouse sends give the same limit as every band end would."""
    ends = [((i * 7919) % 2_000 + 300) * M for i in range(5_000)] + [1_2000 * M] * 60
    percentiles = [quantile(ends, i / 100) for i in range(101)]
    assert robust_limit(percentiles) == pytest.approx(robust_limit(ends))


def test_stage_slices_tile_the_bar() -> None:
    """Stage seconds become consecutive slices that fill the bar; bad JSON gives no slice."""
    slices, total = stage_slices('{"discover": 1.0, "read": 3.0, "load": 0}')
    assert [(s.name, s.x, s.width, s.share_text) for s in slices] == [
        ("discover", 0.0, 250.0, "25%"),
        ("read", 250.0, 750.0, "75%"),
        ("load", 1000.0, 0.0, "0%"),
    ]
    assert total == "4.00秒"
    assert stage_slices("not json") == ([], "0.00秒")
    assert stage_slices(None) == ([], "0.00秒")


def hostile_data() -> ReportData:
    """A hand-built ReportData with markup in every kind of text the page shows."""
    bar = RangeBar(
        slug=HOSTILE,
        title=HOSTILE_TITLE,
        level_label=HOSTILE,
        text="450万円〜700万円",
        hint=f"{HOSTILE_TITLE} · 4,500,000円 〜 7,000,000円",
        is_current=False,
        solid_x=100.0,
        solid_w=200.0,
        fade_right_x=300.0,
        fade_right_w=80.0,
        arrow_right=380.0,
        median_x=250.0,
    )
    salary = SalarySection(
        ticks=[Tick(0.0, "0"), Tick(1000.0, "1,000万")],
        intervals=1,
        categories=[
            CategoryChart(
                name=HOSTILE,
                jobs=3,
                jobs_shown=1,
                median_text="575万円",
                levels=[
                    LevelGroup(
                        level="junior",
                        label="ジュニア",
                        bars=[bar],
                        jobs=3,
                        median_x=250.0,
                        median_text="575万円",
                        median_bands=3,
                    )
                ],
            )
        ],
        categories_total=1,
        bands_annual=3,
        bands_drawn=1,
        bands_other_basis=0,
        bands_no_figure=0,
    )
    chart = BarChart([BarRow(label=HOSTILE, value_text="3", width=WIDTH, tone="missing", detail=HOSTILE)], 40)
    return ReportData(
        generated_at="2026-01-01 09:00:00 JST",
        salary=salary,
        missing=chart,
        tags=chart,
        tools=chart,
        categories=chart,
        finding_codes=chart,
        error_files=[ErrorFile(HOSTILE, HOSTILE, [FindingLine(2, HOSTILE, HOSTILE, HOSTILE)], 1)],
        error_files_total=1,
        warnings=[WarningRow(HOSTILE, 3, HOSTILE, "related-dangling", HOSTILE)],
        warnings_total=1,
        kept=[KeptArticle(HOSTILE, HOSTILE_TITLE, HOSTILE, HOSTILE, "abc", 1, HOSTILE)],
        kept_total=1,
    )


def test_render_escapes_article_text() -> None:
    """Markup in titles, slugs, labels and messages is shown as text: the page has no script element."""
    page = render_report(hostile_data())
    assert HOSTILE not in page
    assert "<script" not in page.lower()
    assert HOSTILE_ESCAPED + "MLエンジニア" in page
    assert page.count(HOSTILE_ESCAPED) >= 10
    assert "showing 1 of 3" in page and "showing 1 of 40" in page


def test_render_empty_report() -> None:
    """A report with nothing in it (an empty warehouse) renders, saying so instead of drawing empty charts."""
    page = render_report(ReportData(generated_at="2026-01-01 09:00:00 JST"))
    assert page.startswith("<!doctype html>")
    assert "ウェアハウスは空です" in page and "年収レンジはまだありません" in page
    assert "まだ実行されていません" in page


def test_report_data_on_empty_warehouses() -> None:
    """A warehouse with the schema but no rows, or with no tables at all, gives an empty but valid report."""
    for setup in (ddl(), "SELECT 1"):
        conn = duckdb.connect()
        conn.execute(setup)
        data = report_data(conn)
        assert data.run is None and not data.kept and not data.missing.rows
        assert "<!doctype html>" in render_report(data)
        conn.close()


def test_templates_ship_inside_the_package() -> None:
    """The templates live in the package folder (so hatchling puts them in the wheel) and load from there; each
    declared section is drawn and linked from the contents."""
    folder = resources.files("jobpipeline") / "templates"
    assert (folder / "report.html.j2").is_file() and (folder / "report.css").is_file()
    from jobpipeline.report._render import SECTIONS

    for name in ["report.html.j2", "report/_macros.html.j2", *(s.template for s in SECTIONS)]:
        source = (folder / name).read_text(encoding="utf-8")
        assert "http://" not in source and "https://" not in source
    page = render_report(ReportData(generated_at="2026-01-01 09:00:00 JST"))
    for section in SECTIONS:
        assert f'<section class="card" id="{section.anchor}">' in page and f'href="#{section.anchor}"' in page


def test_caps_keep_a_huge_warehouse_small() -> None:
    """100,000 articles in 40 categories give a page under 3 MB that says what it left out."""
    conn = duckdb.connect()
    conn.execute(ddl())
    n = 100_000
    conn.execute(f"""INSERT INTO articles (slug, title, category, is_current, source_path, content_hash,
                                           run_id)
        SELECT 'job_' || i, '職種' || i, 'cat' || (i % 40), true, 'f' || i || '.txt', md5(i::VARCHAR), 1
        FROM range({n}) t(i)""")
    conn.execute(f"""INSERT INTO salary_bands (slug, ordinal, level, level_label, min_yen, max_yen, min_open,
                                               max_open, basis, raw, midpoint_yen)
        SELECT 'job_' || i, k, ['junior', 'mid', 'senior', 'manager'][k + 1], 'L', 3000000 + k * 3000000,
               6000000 + k * 4000000 + (i % 70) * 100000, false, k = 3, 'annual', 'raw', 7000000
        FROM range({n}) t(i), range(4) s(k)""")
    conn.execute(f"""INSERT INTO related_job_links (slug, ordinal, related_slug)
        SELECT 'job_' || i, 0, 'ghost_' || (i % 1000) FROM range({n}) t(i)""")
    conn.execute(f"""INSERT INTO tags (slug, ordinal, tag, canonical_tag, origin)
        SELECT 'job_' || i, 0, 't' || (i % 500), 't' || (i % 500), 'hashtag' FROM range({n}) t(i)""")
    conn.execute(f"""INSERT INTO validation_issues (run_id, source_path, slug, severity, code, message)
        SELECT 1, 'f' || i || '.txt', 'job_' || i, 'error', 'code-' || (i % 30), 'm'
        FROM range({n // 5}) t(i)""")
    rebuild_derived(conn)
    data = report_data(conn)
    assert data.salary is not None
    assert data.salary.categories_total == 40 and len(data.salary.categories) == 24
    assert all(c.jobs == 2_500 and c.jobs_shown == 12 for c in data.salary.categories)
    assert data.missing.total == 1_000 and len(data.missing.rows) == 25
    assert data.missing.rows[0].value_text == "100" and data.missing.rows[0].detail.endswith("他94件")
    assert data.error_files_total == 20_000 and len(data.error_files) == 100
    page = render_report(data)
    assert len(page.encode()) < 3_000_000
    assert "showing 12 of 2,500" in page and "showing 25 of 1,000" in page


def outlier_warehouse() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse: 200 jobs with bands of 300万〜3,000万円, and three outliers reaching 1億〜1億4,000万円,
    drawn in category `cat` with its 9 highest-paid jobs."""
    conn = duckdb.connect()
    conn.execute(ddl())
    conn.execute("""INSERT INTO articles (slug, title, category, is_current, source_path, content_hash, run_id)
        SELECT 'job_' || i, '【完全ガイド】職種' || i || 'になるには？年収・キャリアパス',
               CASE WHEN i BETWEEN 91 AND 99 OR i >= 200 THEN 'cat' ELSE 'bulk' END, true,
               'f' || i || '.txt', md5(i::VARCHAR), 1
        FROM range(203) t(i)""")
    conn.execute("""INSERT INTO salary_bands (slug, ordinal, level, level_label, min_yen, max_yen, min_open,
                                              max_open, basis, raw, midpoint_yen)
        SELECT 'job_' || i, 0, 'senior', 'シニア', 3000000 + (i % 100) * 150000, 6000000 + (i % 100) * 240000,
               false, false, 'annual', 'raw', 4500000 + (i % 100) * 195000
        FROM range(200) t(i)""")
    conn.execute("""INSERT INTO salary_bands (slug, ordinal, level, level_label, min_yen, max_yen, min_open,
                                              max_open, basis, raw, midpoint_yen) VALUES
        ('job_200', 0, 'senior', 'シニア', 80000000, 120000000, false, false, 'annual', '8,000〜1億2,000', 100000000),
        ('job_201', 0, 'senior', 'シニア', 85000000, 140000000, false, true, 'annual', '8,500〜1億4,000+', 112500000),
        ('job_202', 0, 'senior', 'シニア', 25000000, 100000000, false, false, 'annual', '2,500〜1億', 62500000)""")
    rebuild_derived(conn)
    return conn


def test_outlier_bands_do_not_squash_the_axis() -> None:
    """A few 1億円 bands no longer set the axis: it covers the robust range (so the other bars span most of
    it), and the outliers are drawn to its edge, marked with their real upper end, and counted in a note."""
    conn = outlier_warehouse()
    data = report_data(conn)
    conn.close()
    assert data.salary is not None
    bars = [b for c in data.salary.categories if c.name == "cat" for g in c.levels for b in g.bars]
    normal = [b for b in bars if b.slug not in ("job_200", "job_201", "job_202")]
    assert len(normal) == 9
    assert max(b.solid_x + b.solid_w for b in normal) >= 0.6 * WIDTH
    assert data.salary.ticks[-1].label == "3,000万"
    outliers = {b.slug: b for b in bars if b not in normal}
    assert {slug: (b.clipped, b.clip_text) for slug, b in outliers.items()} == {
        "job_200": (True, "1億2,000万円"),
        "job_201": (True, "1億4,000万円+"),
        "job_202": (True, "1億円"),
    }
    assert all(b.solid_x + b.solid_w == WIDTH and b.solid_w > 0 and b.fade_right_w == 0 for b in outliers.values())
    assert outliers["job_202"].solid_x == round(2_500 / 3_000 * WIDTH, 1)
    assert not any(b.clipped for b in normal)
    assert data.salary.bands_clipped == 3 and data.salary.axis_text == "3,000万円"
    page = render_report(data)
    assert "1億4,000万円+ ▶</span>" in page and "(軸の外、1億2,000万円まで)" in page
    assert "それを超える 3 件は右端で切って描き" in page


def test_write_report_replaces_the_file_atomically(tmp_path: Path) -> None:
    """write_report swaps a finished file in (readable by all) and leaves no temporary file behind."""
    conn = duckdb.connect()
    conn.execute(ddl())
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text('<!doctype html>\n<meta name="generator" content="jobpipeline">\nold', encoding="utf-8")
    assert write_report(conn, target) == target
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    assert target.stat().st_mode & 0o777 == 0o644


def _report_templates(env: Any) -> list[str]:
    return env.list_templates(filter_func=lambda name: name.startswith("report"))


def test_a_later_process_loads_the_compiled_templates_instead_of_compiling_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first environment compiles each of the page's templates once and keeps it in the cache folder; a
    new environment on that folder (a later command) renders the same page without compiling any."""
    data = ReportData(generated_at="2026-01-01 09:00:00 JST")
    first = template_environment(str(tmp_path))
    templates = _report_templates(first)
    assert "report.html.j2" in templates and "report/salary.html.j2" in templates
    for name in templates:
        first.get_template(name)
    assert len(list(tmp_path.iterdir())) == len(templates)
    expected = render_report(data)

    later = template_environment(str(tmp_path))

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled a template that the cache holds")

    monkeypatch.setattr(later, "compile", no_compiling)
    monkeypatch.setattr("jobpipeline.report._render._environment", lambda: later)
    assert render_report(data) == expected


def _corrupt_entries(folder: Path) -> None:
    for entry in folder.iterdir():
        entry.write_bytes(entry.read_bytes()[:40] + b"\x00garbage")


def _emptied_entries(folder: Path) -> None:
    for entry in folder.iterdir():
        entry.write_bytes(b"")


def _folder_replaced_by_a_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("not a folder")


def _folder_removed(folder: Path) -> None:
    shutil.rmtree(folder)


@pytest.mark.parametrize(
    "damage",
    [_corrupt_entries, _emptied_entries, _folder_replaced_by_a_file, _folder_removed],
    ids=["corrupt-entries", "empty-entries", "folder-is-a-file", "folder-gone"],
)
def test_a_damaged_template_cache_is_compiled_around(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Callable[[Path], None]
) -> None:
    """The cache is only ever a shortcut: entries that cannot be read, or a folder that cannot be written,
    give the same page as no cache at all, and the run goes on."""
    data = ReportData(generated_at="2026-01-01 09:00:00 JST")
    expected = render_report(data)
    folder = tmp_path / "cache"
    folder.mkdir()
    warm = template_environment(str(folder))
    for name in _report_templates(warm):
        warm.get_template(name)
    damage(folder)

    damaged = template_environment(str(folder))
    monkeypatch.setattr("jobpipeline.report._render._environment", lambda: damaged)
    assert render_report(data) == expected


# ------------------------------------------------------------------------------------------ a real warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs over a few articles: a hostile title and tag, open bands, dangling links, a broken file and
    an article kept as last known good."""
    root = tmp_path_factory.mktemp("report")
    seeds, warehouse = root / "seeds", root / "wh" / "jobs.duckdb"
    seeds.mkdir()
    articles = {
        "a.txt": make_article(
            "ml_engineer",
            title=HOSTILE_TITLE,
            related=["data_scientist", "ghost_job"],
            extra={"tags": [HOSTILE_TAG, "Python"]},
            salary=[("ジュニア (0-3年)", "500〜750"), ("シニア (7年以上)", "1,200〜2,000+")],
        ),
        "b.txt": make_article(
            "data_scientist",
            related=["ml_engineer", "ghost_job", "bi_engineer"],
            salary=[("新卒", "〜400"), ("ミドル", "650〜1,000"), ("マネージャー", "1,400以上")],
        ),
        "c.txt": make_article(
            "backend_engineer",
            category="engineering",
            related=["ghost_job"],
            title="【2026最新】サーバーサイドの年収ランキング",
            extra={"job_name": "バックエンドエンジニア"},
        ),
        "d.txt": make_article("it_consultant", category="business"),
        "broken.txt": '---json\n{"slug": "broken_one", "title": \n---\nbody\n',
    }
    for name, text in articles.items():
        (seeds / name).write_text(text, encoding="utf-8")
    run_local(seeds, warehouse)
    (seeds / "d.txt").write_text('---json\n{"slug": "it_consultant"\n---\n', encoding="utf-8")
    run_local(seeds, warehouse)
    return warehouse


def read_report_data(warehouse: Path) -> ReportData:
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return report_data(conn)
    finally:
        conn.close()


def test_report_data_from_a_run(warehouse: Path) -> None:
    """The page's data matches the warehouse: bands, gaps, broken files, last known good and the run."""
    data = read_report_data(warehouse)
    assert data.salary is not None
    ai = next(c for c in data.salary.categories if c.name == "ai-data")
    levels = {g.level: [(b.slug, b.text) for b in g.bars] for g in ai.levels}
    assert levels["entry"] == [("data_scientist", "〜400万円")]
    assert levels["manager"] == [("data_scientist", "1,400万円以上")]
    assert ("ml_engineer", "1,200万円〜2,000万円+") in levels["senior"]
    senior = next(b for g in ai.levels if g.level == "senior" for b in g.bars if b.slug == "ml_engineer")
    assert senior.fade_right_w > 0 and senior.arrow_right is not None and senior.solid_w > 0
    assert "12,000,000円 〜 20,000,000円" in senior.hint
    assert [(r.label, r.value_text) for r in data.missing.rows][:1] == [("ghost_job", "3")]
    assert [f.source_path for f in data.error_files] == ["broken.txt", "d.txt"]
    assert [k.slug for k in data.kept] == ["it_consultant"] and "frontmatter" in data.kept[0].reason
    assert HOSTILE_TAG in [r.label for r in data.tags.rows]
    assert data.run is not None and data.run.run_id == 2
    assert [s.name for s in data.run.stages] == ["discover", "copy", "read", "load", "enrich", "publish"]
    assert [r.run_id for r in data.recent_runs] == [2, 1]


def test_bars_are_labelled_by_job_name(warehouse: Path) -> None:
    """Range bars carry the job's name (the title's clickbait cut, or the front matter's job_name); the
    full title stays in the hover text."""
    data = read_report_data(warehouse)
    assert data.salary is not None
    labels = {b.slug: (b.name, b.title) for c in data.salary.categories for g in c.levels for b in g.bars}
    assert labels["data_scientist"] == ("data_scientist", "data_scientistの年収・将来性は？")
    assert labels["backend_engineer"] == ("バックエンドエンジニア", "【2026最新】サーバーサイドの年収ランキング")
    page = render_report(data)
    assert '<span class="t">バックエンドエンジニア</span>' in page
    assert '<span class="t">data_scientist</span>' in page
    assert '<span class="t">data_scientistの年収・将来性は？</span>' not in page


def test_report_questions_return_rows_by_column_name(warehouse: Path) -> None:
    """The warehouse answers the report's questions with rows keyed by column name, so a column added to a
    query or to `runs` cannot shift what the report reads."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        reader = WarehouseReader(conn)
        (expected,) = conn.execute(
            "SELECT files_changed, files_deleted, errors, stage_seconds FROM runs WHERE run_id = 2"
        ).fetchall()
        latest = reader.recent_runs(1)[0]
        assert (latest["files_changed"], latest["files_deleted"], latest["errors"], latest["stage_seconds"]) == expected
        chart = reader.salary_chart("(none)", 24, 12)
        band = next(r for r in chart.bands if r["slug"] == "backend_engineer")
        assert band["title"] == "【2026最新】サーバーサイドの年収ランキング" and band["category"] == "engineering"
        assert json.loads(band["extra_fields"])["job_name"] == "バックエンドエンジニア"
        total, kept = reader.kept_articles(10)
        assert total == 1 and kept[0]["slug"] == "it_consultant" and kept[0]["reason"].startswith("frontmatter")
        assert reader.salary_band_counts()["annual"] > 0
        with pytest.raises(ValueError, match="duplicate column names"):
            reader.records("SELECT 1 AS a, 2 AS a")
    finally:
        conn.close()
    data = read_report_data(warehouse)
    assert data.run is not None
    changes = {s.hint: s.value for s in data.run.changes}
    assert changes["files_changed"] == str(expected[0]) and changes["errors"] == str(expected[2])


@pytest.mark.parametrize(
    ("there", "replaced"),
    [
        pytest.param("the-warehouse", False, id="the-warehouse-itself"),
        pytest.param("an-article", False, id="an-article"),
        pytest.param("a-link-to-the-warehouse", False, id="a-link-to-the-warehouse"),
        pytest.param("a-report", True, id="an-older-report"),
        pytest.param("empty", True, id="an-empty-file"),
        pytest.param("nothing", True, id="no-file"),
    ],
)
def test_report_out_replaces_only_a_report(warehouse: Path, tmp_path: Path, there: str, replaced: bool) -> None:
    """`report --out warehouse/jobs.duckdb` (tab completion one step too far) replaced the warehouse, its
    history and all, with a web page, exit 0; `--out seeds/a.txt` an article. --out replaces only a page
    it wrote (or an empty file); anything else is one line, exit 2, the file left as it was."""
    copy = tmp_path / "jobs.duckdb"
    shutil.copyfile(warehouse, copy)
    out = tmp_path / "out.html"
    if there == "the-warehouse":
        out = copy
    elif there == "an-article":
        out.write_text(make_article("alpha"), encoding="utf-8")
    elif there == "a-link-to-the-warehouse":
        out.symlink_to(copy)
    elif there == "a-report":
        assert cli("report", "--warehouse", str(copy), "--out", str(out)).exit_code == 0
        out.write_text(out.read_text(encoding="utf-8").replace("</body>", "old</body>"), encoding="utf-8")
    elif there == "empty":
        out.touch()
    before = out.read_bytes() if out.exists() else None
    warehouse_before = copy.read_bytes()
    result = cli("report", "--warehouse", str(copy), "--out", str(out))
    if replaced:
        assert result.exit_code == 0, result.output
        assert out.read_bytes() != before and b'<meta name="generator" content="jobpipeline">' in out.read_bytes()
    else:
        assert result.exit_code == 2, result.output
        assert "exists and is not a jobpipeline report: refusing to replace it" in result.stderr, result.stderr
        assert out.read_bytes() == before
    assert copy.read_bytes() == warehouse_before


def test_report_open_without_a_browser_prints_the_path(warehouse: Path) -> None:
    """`report --open` where no browser can be started (BROWSER names a missing command, no display, no
    console browser on PATH) still prints the page's path and says that no browser was found."""
    command = Path(sys.executable).parent / "jobpipeline"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    env.update(BROWSER="/nonexistent/browser", PATH=str(command.parent))
    done = subprocess.run(
        [str(command), "report", "--open", "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    page = (warehouse.parent / "published" / "report.html").absolute()
    assert done.returncode == 0, done.stderr
    assert f"report: {page}" in done.stdout
    assert "no web browser found" in done.stderr and str(page) in done.stderr


# ------------------------------------------------------------------------------------------ in a browser


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit truecolour PNG (what Chromium writes), with zlib and struct."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, bpp = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows = zlib.decompress(idat), width * bpp, []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                if kind == 1:
                    line[x] = (line[x] + left) & 255
                elif kind == 3:
                    line[x] = (line[x] + (left + prev[x]) // 2) & 255
                else:
                    up_left = prev[x - bpp] if x >= bpp else 0
                    p = left + prev[x] - up_left
                    pa, pb, pc = abs(p - left), abs(p - prev[x]), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else prev[x] if pb <= pc else up_left
                    line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    if bpp == 4:
        rows = [b"".join(r[i : i + 3] for i in range(0, len(r), bpp)) for r in rows]
    return width, height, rows


def colours(png: bytes) -> tuple[set[bytes], float]:
    """The distinct colours of a screenshot and the share of pixels that are not background-ish."""
    width, height, rows = decode_png(png)
    seen: set[bytes] = set()
    busy = 0
    for row in rows:
        for i in range(0, len(row), 3):
            pixel = row[i : i + 3]
            seen.add(pixel)
            busy += min(pixel) < 235
    return seen, busy / (width * height)


class Browser:
    """Headless Chromium driven over the DevTools protocol, recording every event of one page."""

    def __init__(self, chromium: str, profile: Path, env: dict[str, str] | None = None) -> None:
        from websockets.sync.client import connect

        self.profile = profile
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        lines: queue.Queue[str] = queue.Queue()
        stderr = self.proc.stderr
        assert stderr is not None

        def drain() -> None:  # keeps reading so Chromium never blocks on a full pipe
            for line in stderr:
                lines.put(line)

        threading.Thread(target=drain, daemon=True).start()
        deadline = time.monotonic() + 15
        url = ""
        while not url:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line.startswith("DevTools listening on "):
                url = line.split(" on ", 1)[1].strip()
        self.ws = connect(url, max_size=None, open_timeout=10)
        self.events: list[dict[str, Any]] = []
        self.last_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def send(self, method: str, session: bool, params: dict[str, Any]) -> int:
        self.last_id += 1
        message: dict[str, Any] = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        return self.last_id

    def receive(self) -> dict[str, Any]:
        """The next message; an alert() is recorded as an event and dismissed so the page goes on."""
        message: dict[str, Any] = json.loads(self.ws.recv(timeout=20))
        if message.get("method") == "Page.javascriptDialogOpening":
            self.send("Page.handleJavaScriptDialog", True, {"accept": True})
        return message

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        sent = self.send(method, session, params)
        while True:
            reply = self.receive()
            if reply.get("id") == sent:
                assert "error" not in reply, reply
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.receive())

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True
        )
        return result["result"].get("value")

    def screenshot(self, width: int, height: int, mobile: bool) -> bytes:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.evaluate("document.fonts.ready.then(() => true)")
        return base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # Chromium keeps its SingletonSocket in /tmp/org.chromium.Chromium.XXXXXX, linked from the profile,
        # and leaves that folder behind when terminated (four a suite run, piling up): remove it too.
        link = self.profile / "SingletonSocket"
        if link.is_symlink():
            shutil.rmtree(Path(os.readlink(link)).parent, ignore_errors=True)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if v and k in ("src", "href", "xlink:href", "action", "poster")]
        self.urls += [v for k, v in attrs if v and k == "style" and "url(" in v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def find_chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        lacking("chromium on PATH (apt-get install chromium fonts-noto-cjk)")
    return chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    started = Browser(find_chromium(), tmp_path / "profile")
    try:
        yield started
    finally:
        started.close()


MISSING_GLYPH = "\U0010fffd"
"""A private-use code point no font draws: the browser shows its missing-glyph box (tofu) for it."""


def heading_shots(browser: Browser) -> tuple[str, bytes, bytes]:
    """The page's Japanese heading as drawn, then drawn again with each character replaced by MISSING_GLYPH.

    Without a font that has the Japanese glyphs, both are the same row of boxes; with one, they differ.
    """
    probe = browser.evaluate("""(() => {
        const heading = document.querySelector('h1');
        const span = document.createElement('span');
        span.id = 'glyph-probe';
        span.textContent = heading.firstChild.textContent;
        heading.firstChild.replaceWith(span);
        window.scrollTo(0, 0);
        const r = span.getBoundingClientRect();
        return {text: span.textContent, x: r.x, y: r.y, width: r.width, height: r.height};
    })()""")
    clip = {"x": probe["x"], "y": probe["y"], "width": max(probe["width"], 40), "height": probe["height"], "scale": 1}

    def shot() -> bytes:
        browser.evaluate("document.fonts.ready.then(() => true)")
        data = browser.call("Page.captureScreenshot", session=True, format="png", clip=clip)["data"]
        return base64.b64decode(data)

    drawn = shot()
    missing = "".join(MISSING_GLYPH if ord(c) > 0x2E7F else c for c in probe["text"])
    browser.evaluate(f"document.getElementById('glyph-probe').textContent = {json.dumps(missing)}")
    return probe["text"], drawn, shot()


def glyphs_render(drawn: bytes, boxes: bytes) -> bool:
    """True when the Japanese text is not drawn as the same boxes as the missing glyphs."""
    return decode_png(drawn)[2] != decode_png(boxes)[2]


@pytest.mark.slow
def test_report_in_headless_chromium(warehouse: Path, browser: Browser, tmp_path: Path) -> None:
    """The written page loads with no request and no console error, draws its charts, escapes the hostile
    title and tag, and fits a phone's width."""
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        page = write_report(conn, tmp_path / "report.html")
    finally:
        conn.close()
    parsed = _Elements()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert [u for u in parsed.urls if not u.startswith(("#", "data:"))] == []

    url = page.as_uri()
    browser.call(
        "Emulation.setDeviceMetricsOverride", session=True, width=1280, height=2000, deviceScaleFactor=1, mobile=False
    )
    browser.call("Page.navigate", session=True, url=url)
    browser.wait_for("Page.loadEventFired")
    desktop = browser.screenshot(1280, 2000, mobile=False)
    dom = browser.evaluate("document.documentElement.outerHTML")
    facts = browser.evaluate("""({
        scripts: document.scripts.length, images: document.images.length,
        labels: [...document.querySelectorAll('.rb-label .t')].map(e => e.textContent),
        tags: [...document.querySelectorAll('#tags .hb-label .t')].map(e => e.textContent),
        bars: document.querySelectorAll('.rb-bar svg rect.fill').length,
        barWidth: document.querySelector('.rb-bar svg').getBoundingClientRect().width,
        font: getComputedStyle(document.body).fontFamily})""")
    phone = browser.screenshot(390, 1800, mobile=True)
    overflow = browser.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    heading, drawn, boxes = heading_shots(browser)
    if shots := os.environ.get("JOBPIPELINE_REPORT_SHOTS"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        Path(shots, "report-desktop.png").write_bytes(desktop)
        Path(shots, "report-phone.png").write_bytes(phone)

    requests = [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]
    assert [r for r in requests if r != url and not r.startswith("data:")] == []
    problems = [
        e
        for e in browser.events
        if e.get("method") in ("Runtime.exceptionThrown", "Page.javascriptDialogOpening")
        or (e.get("method") == "Runtime.consoleAPICalled")
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert problems == []

    assert facts["scripts"] == 0 and facts["images"] == 0
    assert HOSTILE_TITLE in facts["labels"] and HOSTILE_TAG in facts["tags"]
    from_dom = _Elements()
    from_dom.feed(dom)
    assert "script" not in from_dom.tags and "img" not in from_dom.tags
    assert any(HOSTILE_TITLE in t for t in from_dom.text)
    assert facts["bars"] >= 8 and facts["barWidth"] > 300
    assert "Hiragino Sans" in facts["font"] and "Noto Sans CJK JP" in facts["font"]
    assert heading.startswith("求人記事ウェアハウス")
    assert glyphs_render(drawn, boxes), "the Japanese heading is drawn as missing-glyph boxes: install fonts-noto-cjk"

    seen, busy = colours(desktop)
    assert len(seen) > 200 and busy > 0.05
    for level in ("29a096", "3883d0", "4b5bd4"):  # junior, mid and senior bars are drawn
        assert bytes.fromhex(level) in seen
    assert overflow <= 0
    assert len(colours(phone)[0]) > 100


def font_without_japanese() -> Path:
    """A font file on this machine that has no Japanese glyphs (DejaVu or Liberation Sans)."""
    for family in ("DejaVu Sans", "Liberation Sans"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{lang}", family], capture_output=True, text=True, check=False
        )
        path, _, langs = found.stdout.partition("|")
        if found.returncode == 0 and path and "ja" not in langs.split("|") and Path(path).is_file():
            return Path(path)
    pytest.skip("no font without Japanese glyphs found with fc-match")


@pytest.mark.slow
def test_glyph_check_fails_without_a_japanese_font(warehouse: Path, tmp_path: Path) -> None:
    """The rendering check is real: with fontconfig limited to a font that lacks Japanese, the heading is boxes."""
    if shutil.which("fc-match") is None:
        lacking("fc-match on PATH (apt-get install fontconfig)")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "only.ttf").symlink_to(font_without_japanese())
    config = tmp_path / "fonts.conf"
    config.write_text(
        f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>
""",
        encoding="utf-8",
    )
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        page = write_report(conn, tmp_path / "report.html")
    finally:
        conn.close()
    browser = Browser(find_chromium(), tmp_path / "profile", env={"FONTCONFIG_FILE": str(config)})
    try:
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=1280,
            height=800,
            deviceScaleFactor=1,
            mobile=False,
        )
        browser.call("Page.navigate", session=True, url=page.as_uri())
        browser.wait_for("Page.loadEventFired")
        heading, drawn, boxes = heading_shots(browser)
    finally:
        browser.close()
    assert heading.startswith("求人記事ウェアハウス")
    assert not glyphs_render(drawn, boxes)


@pytest.mark.slow
def test_outliers_in_headless_chromium(browser: Browser, tmp_path: Path) -> None:
    """Drawn by a browser, the outlier page keeps the ordinary bars wide, puts each outlier's real upper end
    inside its bar's track at the right edge, labels bars by job name, and still fits a phone."""
    conn = outlier_warehouse()
    try:
        page = write_report(conn, tmp_path / "report.html")
    finally:
        conn.close()
    measure = """(() => {
        const rows = [...document.querySelectorAll('.rb-row:not(.axis):not(.lv-head)')];
        return rows.map(row => {
            const track = row.querySelector('.rb-bar').getBoundingClientRect();
            const fills = [...row.querySelectorAll('rect.fill')].map(e => e.getBoundingClientRect());
            const tag = row.querySelector('.clip');
            const t = tag && tag.getBoundingClientRect();
            return {
                label: row.querySelector('.rb-label .t').textContent,
                reach: fills.length ? (Math.max(...fills.map(f => f.right)) - track.left) / track.width : 0,
                tag: tag && tag.textContent,
                tagInside: !!t && t.width > 20 && t.right <= track.right + 0.5 && t.left >= track.left
                    && t.top >= track.top - 1 && t.bottom <= track.bottom + 1,
            };
        });
    })()"""
    browser.call(
        "Emulation.setDeviceMetricsOverride", session=True, width=1280, height=1600, deviceScaleFactor=1, mobile=False
    )
    browser.call("Page.navigate", session=True, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    rows = {r["label"]: r for r in browser.evaluate(measure)}
    clipped = {label: r["tag"] for label, r in rows.items() if r["tag"]}
    assert clipped == {"職種200": "1億2,000万円 ▶", "職種201": "1億4,000万円+ ▶", "職種202": "1億円 ▶"}
    assert all(rows[label]["tagInside"] and rows[label]["reach"] > 0.99 for label in clipped)
    assert max(r["reach"] for label, r in rows.items() if label not in clipped) > 0.6
    browser.screenshot(390, 1800, mobile=True)
    assert browser.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert all(r["tagInside"] for r in browser.evaluate(measure) if r["tag"])


# ------------------------------------------------------------------------------------------ checks and benchmarks


@pytest.fixture(scope="module")
def anomaly_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Three runs through the CLI: a clean synthetic corpus of 60 articles, the same corpus with two of each
    anomaly planted (a salary inversion, an outlier, a stale title year, a new front matter key), then that
    corpus with 12 unplanted articles deleted (article-count-drop fails). Returns the warehouse and the
    planted files (path: kind)."""
    root = tmp_path_factory.mktemp("anomalies")
    clean, seeds, warehouse = root / "clean", root / "seeds", root / "wh" / "jobs.duckdb"
    # 60 articles over many categories: judge groups from 3 bands so each planted outlier has a group.
    env = {"JOBPIPELINE_OUTLIER_MIN_BANDS": "3"}
    for out, anomalies in ((clean, "0"), (seeds, "2")):
        made = cli(
            "synth", "--n", "60", "--out", str(out), "--seed", "5", "--broken-share", "0", "--anomalies", anomalies
        )
        assert made.exit_code == 0, made.output
    planted: dict[str, str] = json.loads((seeds / ".synth.json").read_text(encoding="utf-8"))["planted_files"]
    for folder in (clean, seeds):
        ran = cli("run", "--local", "--seeds", str(folder), "--warehouse", str(warehouse), env=env)
        assert ran.exit_code in (0, 1), ran.output
    unplanted = sorted(p for p in seeds.rglob("*.txt") if p.relative_to(seeds).as_posix() not in planted)
    for path in unplanted[:12]:
        path.unlink()
    ran = cli("run", "--local", "--seeds", str(seeds), "--warehouse", str(warehouse), env=env)
    assert ran.exit_code in (0, 1), ran.output
    return warehouse, planted


def planted_slugs(warehouse: Path, planted: dict[str, str], kind: str) -> set[str]:
    """The slugs of the articles planted with `kind`."""
    paths = ", ".join("'" + p.replace("'", "''") + "'" for p, k in planted.items() if k == kind)
    return {str(slug) for (slug,) in rows(warehouse, f"SELECT slug FROM articles WHERE source_path IN ({paths})")}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("latest run", "3"),
        ("latest first status", "fail"),
        ("latest first check", "article-count-drop"),
        ("history runs", "[1, 2, 3]"),
        ("history runs, 2", "[2, 3]"),
        ("finding codes", "['salary-level-inversion', 'salary-outlier', 'title-year-stale']"),
        ("examples per code at most", "True"),
        ("benchmarks whole corpus first", "True"),
        ("outliers one per group", "True"),
    ],
)
def test_check_and_benchmark_queries(
    anomaly_warehouse: tuple[Path, dict[str, str]], question: str, expected: str
) -> None:
    """The report's new warehouse questions answer with the right rows on a warehouse built by the CLI."""
    warehouse, _ = anomaly_warehouse
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        reader = WarehouseReader(conn)
        latest = reader.latest_quality_checks()
        examples = reader.finding_examples([c for c, _, _ in FINDING_CODES], 2)
        answers = {
            "latest run": lambda: {r["run_id"] for r in latest}.pop(),
            "latest first status": lambda: latest[0]["status"],
            "latest first check": lambda: latest[0]["check_name"],
            "history runs": lambda: sorted({r["run_id"] for r in reader.quality_check_history(10)}),
            "history runs, 2": lambda: sorted({r["run_id"] for r in reader.quality_check_history(2)}),
            "finding codes": lambda: sorted({r["code"] for r in examples}),
            "examples per code at most": lambda: all(
                sum(e["code"] == c for e in examples) <= 2 for c in {e["code"] for e in examples}
            ),
            "benchmarks whole corpus first": lambda: (
                [r["whole_corpus"] for r in reader.salary_benchmark_rows()]
                == sorted((r["whole_corpus"] for r in reader.salary_benchmark_rows()), reverse=True)
            ),
            "outliers one per group": lambda: (
                len({(r["category"], r["level"]) for r in reader.salary_outlier_rows(1)})
                == len(reader.salary_outlier_rows(1))
            ),
        }
        assert str(answers[question]()) == expected
        if question == "finding codes":
            counted = dict(
                conn.execute(
                    "SELECT code, count(*) FROM validation_issues WHERE code LIKE 'salary-%' "
                    "OR code LIKE 'title-%' GROUP BY 1"
                ).fetchall()
            )
            assert {r["code"]: r["findings"] for r in examples} == counted
    finally:
        conn.close()


def test_checks_section_shows_status_and_history(anomaly_warehouse: tuple[Path, dict[str, str]]) -> None:
    """The checks section lists the latest run's checks worst first, each with its status over the last runs,
    and counts the article-level findings with example articles named by job."""
    warehouse, planted = anomaly_warehouse
    data = read_report_data(warehouse)
    q = data.quality
    assert q is not None and q.run_id == 3 and q.history_runs == [1, 2, 3]
    by_name = {(c.check_name, c.subject): c for c in q.checks}
    drop = by_name[("article-count-drop", "")]
    assert drop.status == "fail" and [m.status for m in drop.history] == ["pass", "pass", "fail"]
    assert (drop.value_text, drop.threshold_text) == ("+20", "10")  # 12 of 60 articles gone
    # The key synth plants appears in run 2 (warn: a new key) and was not there in run 1.
    assert [m.status for m in by_name[("schema-drift", "salary_source")].history] == ["none", "warn", "pass"]
    counted = dict(rows(warehouse, "SELECT status, count(*) FROM quality_checks WHERE run_id = 3 GROUP BY 1"))
    assert {s.hint: int(s.value) for s in q.status_counts} == {k: counted.get(k, 0) for k in ("fail", "warn", "pass")}
    assert [c.status for c in q.checks] == sorted((c.status for c in q.checks), key=["fail", "warn", "pass"].index)
    findings = {f.code: f for f in q.findings}
    assert list(findings) == [c for c, _, _ in FINDING_CODES]
    inverted = sorted(
        str(s)
        for (s,) in rows(warehouse, "SELECT DISTINCT slug FROM validation_issues WHERE code = 'salary-level-inversion'")
    )
    assert planted_slugs(warehouse, planted, "inversion") <= set(inverted)
    assert [e.slug for e in findings["salary-level-inversion"].examples] == inverted[:3]
    assert findings["salary-level-inversion"].articles == len(inverted)
    assert findings["article-not-updated"].findings == 0
    page = render_report(data)
    assert '<section class="card" id="checks">' in page and '<a href="#checks">' in page
    assert '<span class="qc qc-fail">失敗</span>' in page
    assert 'aria-label="履歴: #1 合格、#2 合格、#3 失敗"' in page
    example = findings["salary-level-inversion"].examples[0]
    assert f'<span class="t">{example.name}</span> <span class="s">{example.slug}</span>' in page


def test_benchmarks_section_marks_planted_outliers(anomaly_warehouse: tuple[Path, dict[str, str]]) -> None:
    """Each category × level is a percentile bar with its band count; every planted outlier is a dot on its
    group's bar named by its job; the whole corpus comes first, levels in career order."""
    warehouse, planted = anomaly_warehouse
    data = read_report_data(warehouse)
    bm = data.benchmarks
    assert bm is not None
    assert [b.level for b in bm.corpus] == ["entry", "junior", "mid", "senior", "lead", "manager"]
    assert all(not b.dots for b in bm.corpus)
    bars = [b for g in bm.categories for b in g.bars]
    for b in bars + bm.corpus:
        if b.p10_x is not None:
            assert b.p10_x <= b.p25_x <= b.p50_x <= b.p75_x <= b.p90_x <= WIDTH  # type: ignore[operator]
    dotted = {d.slug: d for b in bars for d in b.dots}
    outliers = planted_slugs(warehouse, planted, "outlier")
    assert outliers and outliers <= set(dotted)
    assert bm.outliers == sum(b.outliers for b in bars) >= len(outliers)
    (n_bands,) = rows(warehouse, "SELECT sum(n_bands) FROM salary_benchmarks WHERE whole_corpus")[0]
    assert sum(b.n_bands for b in bm.corpus) == n_bands
    page = render_report(data)
    assert '<section class="card" id="benchmarks">' in page
    for slug in outliers:
        dot = dotted[slug]
        assert (f"外れ値: {dot.name} {dot.text}" in page) or (f"{dot.name} ({slug}) {dot.text}" in page)


def test_benchmark_axis_keeps_far_outliers_at_its_edge() -> None:
    """A 1億円 outlier does not stretch the benchmark axis: it sits at the edge, beyond, with its figure; markup
    in a job's name or a check's message is shown as text."""
    bench = [
        {
            "category": c,
            "level": "senior",
            "whole_corpus": c is None,
            "n_articles": 20,
            "n_bands": 20,
            "n_closed_bands": 20,
            "p10_yen": 6e6,
            "p25_yen": 7e6,
            "p50_yen": 8e6,
            "p75_yen": 9e6,
            "p90_yen": 1.1e7,
            "open_share": 0.0,
        }
        for c in (None, "cat")
    ]
    outliers = [
        {
            "category": "cat",
            "level": "senior",
            "slug": slug,
            "ordinal": 0,
            "title": title,
            "extra_fields": None,
            "midpoint_yen": yen,
            "robust_z": 20.0,
            "group_outliers": 2,
        }
        for slug, title, yen in (("far", HOSTILE_TITLE, 100_000_000), ("near", "近い職種の年収", 16_000_000))
    ]
    bm = build_benchmark_section(bench, outliers, band_ends=[float(v) for v in range(5_000_000, 12_000_001, 70_000)])
    assert bm is not None and bm.axis_text == "2,000万円" and bm.outliers == 2 and bm.outliers_beyond == 1
    (bar,) = bm.categories[0].bars
    dots = {d.slug: d for d in bar.dots}
    assert dots["far"].beyond and dots["far"].x == WIDTH and dots["far"].text == "1億円"
    assert not dots["near"].beyond and dots["near"].x == 800.0 and dots["near"].name == "近い職種"
    quality = build_quality_section(
        [
            {
                "run_id": 1,
                "checked_at": None,
                "check_name": "schema-drift",
                "subject": HOSTILE,
                "status": "warn",
                "value": None,
                "threshold": None,
                "observed": 3.0,
                "message": HOSTILE,
            }
        ],
        [{"check_name": "schema-drift", "subject": HOSTILE, "run_id": 1, "status": "warn"}],
        [],
    )
    page = render_report(ReportData(generated_at="now", benchmarks=bm, quality=quality))
    assert "<script>" not in page and HOSTILE_ESCAPED in page
    assert "軸の外の外れ値: &lt;script&gt;" in page


@pytest.mark.slow
def test_checks_and_benchmarks_in_headless_chromium(
    anomaly_warehouse: tuple[Path, dict[str, str]], browser: Browser, tmp_path: Path
) -> None:
    """Drawn by a browser at a phone's width, the checks and benchmarks sections fit the screen, their status
    marks and percentile boxes are drawn, and each planted outlier is a round dot inside its bar's track (or
    in the edge tag) named by its job for screen readers and on hover."""
    warehouse, planted = anomaly_warehouse
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        page = write_report(conn, tmp_path / "report.html")
    finally:
        conn.close()
    measure = """(() => {
        const box = e => e.getBoundingClientRect();
        const dots = [...document.querySelectorAll('#benchmarks .bm-dot[role=img]')].map(d => {
            const track = box(d.closest('.bm-bar')), r = box(d);
            return {label: d.getAttribute('aria-label'), title: d.title, w: r.width, h: r.height,
                    inside: r.left + r.width / 2 >= track.left - 0.5 && r.right - r.width / 2 <= track.right + 0.5
                            && r.top >= track.top && r.bottom <= track.bottom};
        });
        return {
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            sections: ['checks', 'benchmarks'].map(id => box(document.getElementById(id)).right <= window.innerWidth),
            dots,
            beyond: [...document.querySelectorAll('#benchmarks .bm-beyond[role=img]')]
                .map(e => e.getAttribute('aria-label')),
            boxes: [...document.querySelectorAll('#benchmarks rect.box')].filter(e => box(e).width > 0).length,
            marks: [...document.querySelectorAll('#checks .qm')].filter(e => box(e).width > 0).length,
            fail: getComputedStyle(document.querySelector('#checks .qc-fail')).backgroundColor,
        };
    })()"""
    browser.call("Page.navigate", session=True, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    browser.screenshot(390, 1800, mobile=True)
    facts = browser.evaluate(measure)
    assert facts["overflow"] <= 0 and facts["sections"] == [True, True]
    assert facts["boxes"] >= 6 and facts["marks"] >= 3 and facts["fail"] not in ("", "rgba(0, 0, 0, 0)")
    assert facts["dots"] and all(d["inside"] and abs(d["w"] - d["h"]) < 0.5 and d["w"] > 5 for d in facts["dots"])
    labels = " ".join([d["label"] for d in facts["dots"]] + facts["beyond"])
    data = read_report_data(warehouse)
    assert data.benchmarks is not None
    names = {d.slug: d.name for g in data.benchmarks.categories for b in g.bars for d in b.dots}
    for slug in planted_slugs(warehouse, planted, "outlier"):
        assert names[slug] in labels, slug
