"""Enrichment end to end: benchmarks on real DuckDB files and published Parquet, findings and corpus
checks written by real runs, and `jobpipeline enrich` on the warehouse alone."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import SEED, make_article
from helpers import cli, rows, run_local

from jobpipeline.pipeline import LocalRunner, RunOptions, enrich, ingest
from jobpipeline.quality import CODES, BandPoint, robust_z_scores, salary_outliers
from jobpipeline.synth import generate_corpus

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
"""A fixed "now" for the date-dependent checks: the real seed claims 【2026最新】."""


@pytest.fixture(scope="module")
def synth_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse of 80 synthetic articles (built once for the module)."""
    root = tmp_path_factory.mktemp("synth")
    generate_corpus(root / "seeds", 80, seed=11)
    warehouse = root / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=root / "seeds", warehouse=warehouse, now=NOW), LocalRunner(1))
    yield warehouse
    shutil.rmtree(root, ignore_errors=True)


def published(warehouse: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(warehouse.parent / "published" / f"{name}.parquet")


def test_benchmark_percentiles_equal_polars_linear_quantiles(synth_warehouse: Path) -> None:
    """Every percentile of salary_benchmarks equals polars' linear-interpolation quantile over the
    published salary_bands' closed annual midpoints, per category x level and per level overall."""
    bands = published(synth_warehouse, "salary_bands").filter((pl.col("basis") == "annual") & pl.col("plausible"))
    closed = bands.filter(~pl.col("min_open").fill_null(False) & ~pl.col("max_open").fill_null(False))
    benchmarks = published(synth_warehouse, "salary_benchmarks")
    assert benchmarks.height > 10
    checked = 0
    for row in benchmarks.iter_rows(named=True):
        in_group = pl.col("level").eq_missing(row["level"])
        if not row["whole_corpus"]:
            in_group &= pl.col("category").eq_missing(row["category"])
        group = closed.filter(in_group)["midpoint_yen"].drop_nulls()
        everything = bands.filter(in_group)
        assert row["n_bands"] == everything.height
        assert row["n_articles"] == everything["slug"].n_unique()
        assert row["open_share"] == pytest.approx(1 - closed.filter(in_group).height / everything.height)
        for p in (10, 25, 50, 75, 90):
            expected = group.quantile(p / 100, interpolation="linear")
            if expected is None:
                assert row[f"p{p}_yen"] is None
            else:
                assert row[f"p{p}_yen"] == pytest.approx(expected, rel=1e-12), (row, p)
                checked += 1
    assert checked > 50


def test_salary_position_agrees_with_the_pure_robust_z(synth_warehouse: Path) -> None:
    """article_salary_position's robust z and outlier flag are what jobpipeline.quality computes."""
    position = published(synth_warehouse, "article_salary_position")
    for _, group in position.group_by(["category", "level"]):
        expected = robust_z_scores(group["midpoint_yen"].to_list())
        assert group["robust_z"].to_list() == pytest.approx(expected)
    points = [
        BandPoint(r["slug"], r["source_path"], r["ordinal"], r["level"], r["category"], r["midpoint_yen"])
        for r in position.iter_rows(named=True)
    ]
    pure = {(f.slug, f.field) for f in salary_outliers(points)}
    table = {(r["slug"], f"salary_bands[{r['ordinal']}]") for r in position.filter("outlier").iter_rows(named=True)}
    assert pure == table
    flagged = rows(synth_warehouse, "SELECT slug, field FROM validation_issues WHERE code = 'salary-outlier'")
    assert set(flagged) == table


def test_salary_by_skill_needs_five_articles(synth_warehouse: Path) -> None:
    """salary_by_skill has tools and tags per level, each backed by at least 5 articles, quartiles in order."""
    skill = published(synth_warehouse, "salary_by_skill")
    assert set(skill["kind"]) == {"tool", "tag"}
    assert skill["n_articles"].min() >= 5
    assert (skill["p25_yen"] <= skill["p50_yen"]).all() and (skill["p50_yen"] <= skill["p75_yen"]).all()


def test_salary_by_skill_equals_quantile_cont_over_the_join(synth_warehouse: Path) -> None:
    """salary_by_skill's histogram quartiles are exactly DuckDB's quantile_cont over every band of the
    articles naming each tool or tag (the query it replaced, which ran out of memory at 100,000)."""
    from jobpipeline.schema import ANNUAL_BANDS

    expected = rows(
        synth_warehouse,
        f"""WITH b AS (SELECT * FROM ({ANNUAL_BANDS}) WHERE closed_midpoint IS NOT NULL),
           named AS (SELECT DISTINCT 'tool' AS kind, canonical_name AS name, slug FROM tools
                     WHERE canonical_name IS NOT NULL
                     UNION ALL SELECT DISTINCT 'tag', canonical_tag, slug FROM tags WHERE canonical_tag IS NOT NULL)
           SELECT n.kind, n.name, b.level, count(DISTINCT b.slug), count(*),
                  quantile_cont(b.closed_midpoint, 0.25), quantile_cont(b.closed_midpoint, 0.5),
                  quantile_cont(b.closed_midpoint, 0.75)
           FROM named n JOIN b USING (slug) GROUP BY ALL HAVING count(DISTINCT b.slug) >= 5 ORDER BY ALL""",
    )
    actual = rows(synth_warehouse, "SELECT * FROM salary_by_skill ORDER BY ALL")
    assert len(actual) == len(expected) > 20
    for got, want in zip(actual, expected, strict=True):
        assert got[:5] == want[:5]
        assert got[5:] == pytest.approx(want[5:], rel=1e-12)


def test_real_seed_gets_no_enrichment_findings(tmp_path: Path) -> None:
    """The real seed article raises none of the enrichment's codes (as of 2026-12-06, its 【2026最新】 year)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    warehouse = tmp_path / "w" / "jobs.duckdb"
    summary = ingest(RunOptions(seeds=seeds, warehouse=warehouse, now=NOW), LocalRunner(1))
    assert summary.record()["enrichment_findings"] == {}
    assert summary.record()["quality_failed"] == []
    codes = {code for (code,) in rows(warehouse, "SELECT code FROM validation_issues")}
    assert not codes & set(CODES)


def test_planted_anomalies_are_found(seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path) -> None:
    """An inverted salary table, a stale title year and an outlying band are each found, once, in
    validation_issues and the run's summary; the clean articles get nothing."""
    normal = [("ジュニア (0-3年)", "450〜650"), ("ミドル (3-7年)", "700〜1,000"), ("シニア (7年以上)", "1,100〜1,500")]
    for i in range(8):
        write_seed(f"ok{i}.txt", make_article(f"ok{i}", salary=normal))
    write_seed("inv.txt", make_article("inv", salary=[normal[0], ("シニア", "400〜600")]))
    write_seed("old.txt", make_article("old", title="【2025最新】古い記事", salary=normal))
    write_seed(
        "big.txt",
        make_article("big", salary=[*normal[:2], ("シニア (7年以上)", "8,000〜12,000")]),
    )
    warehouse = tmp_path / "w" / "jobs.duckdb"
    summary = ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse, now=NOW), LocalRunner(1)).record()
    found = rows(
        warehouse,
        f"SELECT slug, code FROM validation_issues WHERE code IN ({', '.join(repr(c) for c in CODES)}) ORDER BY 1, 2",
    )
    assert found == [
        ("big", "salary-outlier"),
        ("inv", "salary-level-inversion"),
        ("old", "title-year-stale"),
    ]
    assert summary["enrichment_findings"] == {"salary-outlier": 1, "salary-level-inversion": 1, "title-year-stale": 1}
    assert any("title-year-stale" in line for line in summary["changed_findings"])


def test_enrich_reads_the_warehouse_only_and_follows_the_date(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`enrich` works with the seeds folder gone (it never reads a seed file), records a run and
    publishes; a year later the unchanged article is stale and its 2026 title too."""
    write_seed("a.txt", make_article("alpha", title="【2026最新】alpha"))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse, now=NOW), LocalRunner(1))
    shutil.rmtree(seeds_dir)
    later = datetime.now(UTC) + timedelta(days=400)
    summary = enrich(RunOptions(seeds=seeds_dir, warehouse=warehouse, trigger="enrich", now=later), LocalRunner(1))
    record = summary.record()
    assert record["enrichment_findings"] == {"article-not-updated": 1, "title-year-stale": 1}
    assert rows(warehouse, "SELECT run_id, trigger, files_seen FROM runs ORDER BY run_id") == [
        (1, "cli", 1),
        (2, "enrich", 0),
    ]
    issues = rows(warehouse, "SELECT run_id, code FROM validation_issues WHERE code = 'article-not-updated'")
    assert issues == [(2, "article-not-updated")]
    manifest = json.loads((warehouse.parent / "published" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == 2
    report = {d["name"]: d["rows"] for d in manifest["datasets"]}
    assert report["quality_checks"] > 0 and report["validation_report"] >= 2


@pytest.mark.parametrize(("change", "stale"), [("move", True), ("rename", True), ("edit", False)])
def test_an_article_moved_or_renamed_is_not_updated_by_that(
    change: str, stale: bool, seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """A file moved to another folder or renamed is a new version in article_history (its path changed),
    and article-not-updated counted from the move: a site that reorganised its folders lost the signal for a
    year. It counts from the last change of the article's bytes."""
    path = write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse), LocalRunner(1))
    with duckdb.connect(str(warehouse)) as conn:  # run 1 was 400 days ago
        conn.execute("UPDATE runs SET started_at = started_at - INTERVAL 400 DAY WHERE run_id = 1")
    if change == "move":
        (seeds_dir / "engineering").mkdir()
        path.rename(seeds_dir / "engineering" / "a.txt")
    elif change == "rename":
        path.rename(seeds_dir / "alpha.txt")
    else:
        path.write_text(make_article("alpha", title="alpha の年収 (改訂)"), encoding="utf-8")
    summary = ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse), LocalRunner(1)).record()
    assert rows(warehouse, "SELECT count(*) FROM article_history WHERE slug = 'alpha'") == [(2,)]
    assert ("article-not-updated" in summary["enrichment_findings"]) is stale, summary["enrichment_findings"]


def test_a_category_spelled_another_way_is_found_over_the_warehouse(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """Two articles in `ai-data` and one in `AI-Data ` made two categories in salary_by_category_level, and
    nothing said why. The run's enrichment names the odd one out (and keeps counting it apart, as written)."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("b.txt", make_article("beta"))
    write_seed("c.txt", make_article("gamma", category="AI-Data "))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    summary = ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse), LocalRunner(1)).record()
    assert summary["enrichment_findings"].get("category-variant") == 1, summary["enrichment_findings"]
    [(path, message)] = rows(
        warehouse, "SELECT source_path, message FROM validation_issues WHERE code = 'category-variant'"
    )
    assert path == "c.txt" and "is `ai-data` spelled differently (2 articles write `ai-data`)" in message


def test_an_implausible_band_stays_in_salary_bands_and_out_of_every_aggregate(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`45,000〜70,000` under a 万円 header (a zero too many: 4.5-7億円) raised `salary-implausible`, and the band
    still went into the medians, percentiles and outlier groups (a junior median of 57,500万円 beside 575万円
    ones, p90 3.5億円) and raised a level inversion of its own. It stays in `salary_bands`, marked, and counts
    nowhere else; the report says how many it left out."""
    normal = [("ジュニア (0-3年)", "450〜700"), ("ミドル (3-7年)", "700〜1,100"), ("シニア (7年以上)", "1,100〜1,500")]
    for i in range(8):
        write_seed(f"ok{i}.txt", make_article(f"ok{i}", salary=normal))
    write_seed("typo.txt", make_article("typo", salary=[("ジュニア (0-3年)", "45,000〜70,000"), *normal[1:]]))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse, now=NOW), LocalRunner(1))
    assert rows(warehouse, "SELECT raw, plausible FROM salary_bands WHERE slug = 'typo' ORDER BY ordinal") == [
        ("45,000〜70,000", False),
        ("700〜1,100", True),
        ("1,100〜1,500", True),
    ]
    assert rows(warehouse, "SELECT slug, code FROM validation_issues") == [("typo", "salary-implausible")]
    junior = "level = 'junior'"
    assert rows(warehouse, f"SELECT bands, max_midpoint_yen FROM salary_by_category_level WHERE {junior}") == [
        (8, 5_750_000)
    ]
    for whole_corpus, n_bands, p90 in rows(
        warehouse, f"SELECT whole_corpus, n_bands, p90_yen FROM salary_benchmarks WHERE {junior}"
    ):
        assert (n_bands, p90) == (8, 5_750_000), whole_corpus
    assert rows(warehouse, "SELECT count(*) FROM article_salary_position WHERE slug = 'typo'") == [(2,)]
    published_bands = published(warehouse, "salary_bands").filter(pl.col("slug") == "typo")
    assert published_bands["plausible"].to_list() == [False, True, True]
    report = (warehouse.parent / "published" / "report.html").read_text(encoding="utf-8")
    assert "金額がありえない範囲の 1 件 (salary-implausible) は除外。" in report


def test_a_warehouse_from_before_band_plausibility_gains_the_column(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """A warehouse written before `salary_bands.plausible` (the column dropped, the view as it was): the report
    still renders from it read-only, and the next run adds the column before the views that read it and fills
    it (the reader changed, so every file is read again)."""
    write_seed("a.txt", make_article("alpha", salary=[("ジュニア (0-3年)", "45,000〜70,000")]))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    conn = duckdb.connect(str(warehouse))
    conn.execute("DROP VIEW salary_by_category_level")
    conn.execute("ALTER TABLE salary_bands DROP COLUMN plausible")
    from jobpipeline.schema import PLAUSIBLE, VIEWS

    old_view = VIEWS["salary_by_category_level"][1].replace(f" AND {PLAUSIBLE}", "")
    conn.execute(f"CREATE VIEW salary_by_category_level AS {old_view}")
    conn.execute("UPDATE files SET reader = 'the-older-reader'")
    conn.close()
    out = tmp_path / "old-report.html"
    assert cli("report", "--warehouse", str(warehouse), "--out", str(out)).exit_code == 0
    assert run_local(seeds_dir, warehouse)["files_reread"] == 1
    assert rows(warehouse, "SELECT plausible FROM salary_bands") == [(False,)]
    assert rows(warehouse, "SELECT count(*) FROM salary_by_category_level") == [(0,)]  # the band counts nowhere


def test_enrich_command_on_a_missing_warehouse(tmp_path: Path) -> None:
    """`jobpipeline enrich --local` on no warehouse says to run first and exits 2, creating nothing."""
    result = cli("enrich", "--local", "--warehouse", str(tmp_path / "w" / "jobs.duckdb"))
    assert result.exit_code == 2
    assert "run `jobpipeline run` first" in result.output
    assert not (tmp_path / "w").exists()


def test_article_count_drop_fails_run_over_run(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """quality_checks keeps each run's checks; losing 2 of 10 articles fails article-count-drop, and a
    front matter key that vanished from the corpus fails schema-drift."""
    for i in range(10):
        write_seed(f"a{i}.txt", make_article(f"a{i}", extra={"salary_note": "x"} if i < 2 else None))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    (seeds_dir / "a0.txt").unlink()
    (seeds_dir / "a1.txt").unlink()
    summary = run_local(seeds_dir, warehouse)
    assert sorted(summary["quality_failed"]) == [
        "article-count-drop: 8 articles (was 10: 20.0% fewer)",
        "schema-drift: front matter key `salary_note` vanished",
    ]
    history = rows(
        warehouse,
        "SELECT run_id, status, value FROM quality_checks WHERE check_name = 'article-count-drop' ORDER BY run_id",
    )
    assert history == [(1, "pass", None), (2, "fail", 20.0)]


def test_serve_schedules_enrichment_daily_in_tokyo(tmp_path: Path) -> None:
    """serve registers the enrich flow at 04:00 Asia/Tokyo (the `enrich_cron` setting), prefect.yaml the same."""
    from jobpipeline.orchestration.deployments import ENRICH_CRON, SERVE_ENRICH, build_deployments
    from jobpipeline.settings import Settings

    assert Settings.model_fields["enrich_cron"].default == ENRICH_CRON == "0 4 * * *"
    *_, (deployment, flow) = build_deployments(tmp_path / "seeds", tmp_path / "w.duckdb", interval=5)
    assert (deployment.name, flow.name) == (SERVE_ENRICH, "jobpipeline-enrich")
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (ENRICH_CRON, "Asia/Tokyo")
    assert deployment.concurrency_limit == 1


def test_prefect_yaml_example_automations_parse() -> None:
    """The commented automations in prefect.yaml are valid Prefect automations, the freshness one proactive."""
    import yaml
    from conftest import ROOT
    from prefect.events.schemas.automations import AutomationCore, Posture

    text = (ROOT / "prefect.yaml").read_text(encoding="utf-8")
    block = text[text.index("# automations:") :]
    spec = yaml.safe_load("\n".join(line.removeprefix("# ") for line in block.splitlines()))
    automations = [AutomationCore.model_validate(a) for a in spec["automations"]]
    freshness = automations[0].trigger
    assert freshness.posture == Posture.Proactive  # type: ignore[union-attr]
    assert freshness.within.total_seconds() == 26 * 3600  # type: ignore[union-attr]
    assert automations[1].trigger.expect == {"jobpipeline.quality.failed"}  # type: ignore[union-attr]


def test_quality_events_one_resource_per_failed_check(tmp_path: Path) -> None:
    """A failed check is one jobpipeline.quality.failed event per check and subject; a stale article one
    jobpipeline.article.stale event; passing checks and other findings emit nothing."""
    from jobpipeline.enrichment import EnrichResult
    from jobpipeline.models import Finding
    from jobpipeline.orchestration.events import quality_events
    from jobpipeline.quality import QualityCheck

    result = EnrichResult(
        derived={},
        findings=[
            Finding(source_path="a.txt", slug="a", severity="warning", code="title-year-stale", message="m"),
            Finding(source_path="b.txt", slug="b", severity="warning", code="salary-outlier", message="m"),
        ],
        checks=[
            QualityCheck("article-count-drop", None, "fail", 20.0, 10.0, 8, "fewer"),
            QualityCheck("category-median-move", "ai", "fail", 16.0, 15.0, 1.0, "moved"),
            QualityCheck("dangling-links-up", None, "pass", 0.0, 20.0, 1, "ok"),
        ],
    )
    events = [(name, resource["prefect.resource.id"]) for name, resource, _ in quality_events(result, tmp_path)]
    assert events == [
        ("jobpipeline.quality.failed", "jobpipeline.quality.article-count-drop"),
        ("jobpipeline.quality.failed", "jobpipeline.quality.category-median-move.ai"),
        ("jobpipeline.article.stale", "jobpipeline.article.a"),
    ]


@pytest.mark.prefect
def test_enrich_flow_records_its_flow_run(prefect_harness: None, tmp_path: Path) -> None:
    """The jobpipeline-enrich flow commits a `runs` row with its flow run id and publishes."""
    import asyncio

    from jobpipeline.orchestration.flows import enrich_flow
    from jobpipeline.orchestration.launch import flow_result

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    warehouse = tmp_path / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=seeds, warehouse=warehouse, now=NOW), LocalRunner(1))
    state = asyncio.run(enrich_flow(warehouse=str(warehouse), return_state=True))
    record = flow_result(state, "enrich")
    assert record["run_id"] == 2 and record["quality_checks"]["fail"] == 0
    assert rows(warehouse, "SELECT trigger, flow_run_id FROM runs WHERE run_id = 2") == [
        ("enrich", str(state.state_details.flow_run_id))
    ]


def test_synth_plants_anomalies_and_the_checks_find_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every anomaly synth plants is found with its code (drift against the same corpus without the
    plants), and the files it did not plant in are byte-identical to a corpus without anomalies."""
    from jobpipeline.synth import ANOMALY_CODES

    # 60 articles spread over many categories: judge groups from 3 bands so a planted outlier has a group.
    monkeypatch.setenv("JOBPIPELINE_OUTLIER_MIN_BANDS", "3")
    clean = generate_corpus(tmp_path / "clean", 60, seed=5, broken_share=0.0)
    report = generate_corpus(tmp_path / "seeds", 60, seed=5, broken_share=0.0, anomalies=2)
    assert sorted(report.planted_files.values()) == sorted(["inversion", "outlier", "stale_title", "drift_key"] * 2)
    assert clean.planted_files == {}
    for path in (tmp_path / "clean").rglob("*.txt"):
        relative = path.relative_to(tmp_path / "clean").as_posix()
        if relative not in report.planted_files:
            assert path.read_bytes() == (tmp_path / "seeds" / relative).read_bytes(), relative

    warehouse = tmp_path / "w" / "jobs.duckdb"
    # The clean corpus first, then the planted one in its place: schema drift compares the two.
    ingest(RunOptions(seeds=tmp_path / "clean", warehouse=warehouse, now=NOW), LocalRunner(1))
    ingest(RunOptions(seeds=tmp_path / "seeds", warehouse=warehouse, now=NOW), LocalRunner(1))
    found = set(rows(warehouse, "SELECT source_path, code FROM validation_issues"))
    drift = rows(
        warehouse,
        "SELECT subject, status FROM quality_checks WHERE run_id = 2 AND check_name = 'schema-drift' "
        "AND status <> 'pass'",
    )
    assert drift == [("salary_source", "warn")]
    for path, kind in report.planted_files.items():
        if kind != "drift_key":
            assert (path, ANOMALY_CODES[kind]) in found, (path, kind)


def test_tables_lists_the_derived_tables(seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path) -> None:
    """`jobpipeline tables` lists every derived table (the benchmarks among them) with its rows."""
    from jobpipeline import schema

    write_seed("a.txt", make_article("alpha"))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    listed = cli("tables", "--warehouse", str(warehouse)).stdout
    for name in schema.DERIVED:
        assert f"{name} (derived table, " in listed, name
    assert "salary_benchmarks (derived table, 6 rows)" in listed


def test_salary_by_skill_counts_an_article_with_two_bands_at_a_level_once(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """An article with two bands at one level counts once in n_articles and twice in n_bands, and the
    quartiles are quantile_cont over every band (articles are counted as bands less the extra ones)."""
    one = [("ジュニア (0-3年)", "450〜650"), ("シニア (7年以上)", "1,100〜1,500")]
    for i in range(5):
        write_seed(f"a{i}.txt", make_article(f"a{i}", salary=one))
    write_seed("two.txt", make_article("two", salary=[*one, ("シニア (リード)", "1,300〜1,900")]))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    got = rows(
        warehouse,
        "SELECT level, n_articles, n_bands, p25_yen, p50_yen, p75_yen FROM salary_by_skill "
        "WHERE kind = 'tag' AND name = 'Python' ORDER BY level",
    )
    assert got == [
        ("junior", 6, 6, 5_500_000.0, 5_500_000.0, 5_500_000.0),
        ("senior", 6, 7, 13_000_000.0, 13_000_000.0, 13_000_000.0),
    ]


def test_a_tag_in_another_casing_counts_as_the_same_tag(
    seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`python`, `Python` and `ＰＹＴＨＯＮ`, `mlops` and `MLOps` were separate rows of tag_counts (and of
    salary_by_skill): one article each, where three wrote the same tag. Known names count under their usual
    spelling; a tag outside them keeps its own. A tag an article repeats (`MLOps`, `#mlops`) counts it once."""
    for i, tags in enumerate([["python", "mlops"], ["Python", "MLOps", "#mlops"], ["ＰＹＴＨＯＮ", "機械学習"]]):
        write_seed(f"a{i}.txt", make_article(f"job{i}", extra={"tags": tags}))
    warehouse = tmp_path / "w" / "jobs.duckdb"
    ingest(RunOptions(seeds=seeds_dir, warehouse=warehouse, now=NOW), LocalRunner(1))
    counts = dict(published(warehouse, "tag_counts").select("tag", "as_tag").iter_rows())
    assert (counts["Python"], counts["MLOps"], counts["機械学習"]) == (3, 2, 1), counts
    assert not {"python", "mlops", "PYTHON"} & set(counts)
