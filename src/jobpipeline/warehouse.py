"""The DuckDB edge: the only module that talks to the warehouse file.

Readers never wait for writers. DuckDB lets one process hold a file for writing and then no other
process at all, read-only included, so a run never opens the live file for writing: it copies it
to `<name>.next`, loads into the copy, checkpoints, and renames the copy over the live file
(copy-on-write). Readers keep answering from the last committed file the whole time, a killed run
leaves only a stale `.next` that the next run deletes, and the rename makes each run all or
nothing. The price is one sequential file copy per run (measured in docs/benchmarks.md).

Writers queue on an advisory lock file beside the warehouse, so two runs never race.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import duckdb
import polars as pl

from jobpipeline import schema
from jobpipeline.errors import QueryError, WarehouseBusyError, WarehouseError, WarehouseMissingError
from jobpipeline.faults import checkpoint
from jobpipeline.levels import Level
from jobpipeline.load_plan import STAGED_STATUS, KnownArticle, KnownFile, LoadDecision, LoadResult
from jobpipeline.models import Finding, Severity
from jobpipeline.quality import CODES as ENRICHMENT_CODES
from jobpipeline.quality import STAMP_COLUMNS, CorpusStats, QualityCheck
from jobpipeline.rows import Batch
from jobpipeline.salary import Basis
from jobpipeline.settings import found_above

STORAGE_COMPATIBILITY = "v1.0.0"
"""DuckDB 2.x writes files 1.x cannot open unless told to; most users' `duckdb` CLI is 1.x."""


WRITER_MEMORY_LIMIT = "256MB"
"""DuckDB's own cap for a load; staging tables spill to disk beyond it (default is 80% of RAM)."""


def connect_config(temp_directory: Path | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "storage_compatibility_version": STORAGE_COMPATIBILITY,
        "memory_limit": WRITER_MEMORY_LIMIT,
        "preserve_insertion_order": False,
    }
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return config


SINGLE_THREAD_BELOW = 2_000
"""Files under which a load runs DuckDB on one thread. DuckDB splits work by row group (122,880 rows);
the widest table (`sections`) has ~44 rows an article, so below ~2,800 articles every table is one row
group and a second thread has nothing to take: it only costs. On 2 cores (benchmarks/writer_threads.py):
a run that sees one edited file uses ~15% less CPU and ~8% less time (12 or 200 articles), and a first
load of 1,999 articles is as fast (the writer's stages 1.13 s against 1.16 s)."""


def writer_threads(files: int) -> int | None:
    """DuckDB threads for a load over `files` seed files (None: DuckDB's default, one per core).

    >>> writer_threads(12), writer_threads(1_999), writer_threads(2_000)
    (1, 1, None)
    """
    return 1 if files < SINGLE_THREAD_BELOW else None


READER_CONFIG: dict[str, Any] = {"enable_external_access": False, "lock_configuration": True}
"""How every reader opens the warehouse. `read_only` covers the warehouse file alone: without these,
SQL given to `query` could still `COPY ... TO` any file, `ATTACH` another database for writing or
`read_text('/etc/shadow')`. Set at connect time (the warehouse file itself still opens), and locked
so that `SET enable_external_access = true` is refused too. The report reads only tables."""


def open_read_only(path: Path, *, exports: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the committed warehouse for reading, with no access to other files; never blocked by a running load.

    `exports`: may write files (`COPY ... TO`), for re-publishing the datasets; never for `query`."""
    if not path.exists():
        raise WarehouseMissingError(str(path), above=found_above(path))
    try:
        return duckdb.connect(str(path), read_only=True, config={} if exports else READER_CONFIG)
    except duckdb.Error as exc:  # IOException mostly; a SQLite file is a PermissionException (see below)
        raise WarehouseError(str(path), _explain_open_error(exc, path)) from None


def run_query(path: Path, sql: str) -> pl.DataFrame:
    """Run `sql` on the committed warehouse, read-only; SQL errors become one-line QueryErrors."""
    conn = open_read_only(path)
    try:
        statements = len(conn.extract_statements(sql))
        if statements > 1:
            # DuckDB runs them all and answers with the last: the others' results vanished without a word.
            raise QueryError(
                f"the SQL holds {statements} statements and query answers one: run each with its own "
                "`jobpipeline query` (or join them with UNION ALL)"
            )
        return frame_of(conn, sql)
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except RuntimeError as exc:
        # Ctrl-C while DuckDB computes: it stops the query and raises RuntimeError("Query interrupted"),
        # which read as an internal error ("report it"). It is the person's Ctrl-C.
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from None
        raise
    except (duckdb.PermissionException, duckdb.InvalidInputException) as exc:
        if isinstance(exc, duckdb.InvalidInputException) and "configuration has been locked" not in str(exc):
            message = _one_line(exc)
            raise QueryError(f"{message} ({query_hint(message)})") from None
        raise QueryError(
            f"{_one_line(exc)} (query reads the warehouse only: no other files, databases, extensions or settings)"
        ) from None
    except duckdb.Error as exc:
        _raise_if_damaged(exc, path)
        message = _sql_error(exc)
        raise QueryError(f"{message} ({query_hint(message, sql)})") from None
    finally:
        conn.close()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP's list for CSV injection)."""


def spreadsheet_text(column: str) -> str:
    """SQL: the text column `column` (quoted), with `'` put before a value a spreadsheet would run as a
    formula (`=HYPERLINK(...)`, `+1`, `@SUM`): Excel then shows it as the text it is. The articles' text
    is anyone's who can edit a seed, and the CSV copies exist to be opened in Excel.

    >>> print(spreadsheet_text('"note"'))
    CASE WHEN left("note", 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || "note" ELSE "note" END AS "note"
    """
    starts = ", ".join(f"chr({ord(c)})" if c in ("\t", "\r") else f"'{c}'" for c in FORMULA_STARTS)
    return f"CASE WHEN left({column}, 1) IN ({starts}) THEN '''' || {column} ELSE {column} END AS {column}"


def query_hint(message: str, sql: str = "") -> str:
    """What to do about SQL the warehouse refused: a write gets no table list, it needs another route;
    full-width symbols or digits typed with the Japanese IME on are named."""
    if "read-only mode" in message:
        return (
            "queries are read-only: only `jobpipeline run` writes the warehouse; to experiment, copy the file "
            "and open the copy with duckdb"
        )
    wide = fullwidth_outside_quotes(sql)
    if wide:
        return f"the SQL has full-width {' '.join(wide)} outside quotes: type them half-width (IME off)"
    return "see `jobpipeline tables` for the tables and columns"


CODED_VALUES: dict[str, tuple[str, ...]] = {
    "level": get_args(Level),
    "basis": get_args(Basis),
    "severity": get_args(Severity),
}
"""Columns that hold a fixed set of English codes, whatever the articles wrote."""
_CODED_COMPARISON = re.compile(r"\b(level|basis|severity)\s*(?:==?|<>|!=|\bIN\s*\()\s*'([^']*)'", re.IGNORECASE)


def empty_result_hint(sql: str) -> str | None:
    """Why a query found no rows, when the SQL compares a coded column with a value it never holds.

    >>> print(empty_result_hint("SELECT * FROM salary_bands WHERE level = 'シニア'"))
    `level` holds entry, junior, mid, senior, lead or manager, never 'シニア' (the row label as written is ...)
    >>> empty_result_hint("SELECT * FROM salary_bands WHERE level_label = 'シニア'") is None
    True
    """
    for match in _CODED_COMPARISON.finditer(sql):
        column, value = match.group(1).lower(), match.group(2)
        allowed = CODED_VALUES[column]
        if value in allowed:
            continue
        listed = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
        label = (
            f" (the row label as written is `level_label`: `level_label LIKE '%{value}%'`)" if column == "level" else ""
        )
        return f"`{column}` holds {listed}, never '{value}'{label}"
    return None


def fullwidth_outside_quotes(sql: str) -> list[str]:
    """Full-width ASCII (＝ １ （ ＊, U+FF01-FF5E) in `sql` outside string literals and quoted names, each
    once: DuckDB reads `slug＝'a'` as a type named `slug＝`. Inside quotes they are the articles' text.

    >>> fullwidth_outside_quotes("SELECT * FROM salary_bands WHERE level_label = 'ジュニア（0-3年）' LIMIT １")
    ['１']
    >>> fullwidth_outside_quotes('SELECT "（x）" FROM t WHERE a＝1 AND b＝2')
    ['＝']
    """
    found: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            quote = None if char == quote else quote  # a doubled quote closes and reopens: same result
        elif char in "'\"":
            quote = char
        elif "\uff01" <= char <= "\uff5e" and char not in found:
            found.append(char)
    return found


def table_row_counts(path: Path) -> dict[str, int]:
    """Estimated rows of each table in the committed warehouse (what `jobpipeline tables` shows)."""
    frame = run_query(path, "SELECT table_name, estimated_size FROM duckdb_tables()")
    return {str(name): int(size) for name, size in frame.iter_rows()}


def last_run_id(path: Path) -> int | None:
    """The last committed run in the warehouse file (None: no file, no run yet, or it cannot be opened)."""
    if not path.exists():
        return None
    try:
        conn = open_read_only(path)
    except WarehouseError:
        return None
    try:
        (run_id,) = conn.execute("SELECT max(run_id) FROM runs").fetchall()[0]
        return None if run_id is None else int(run_id)
    except duckdb.CatalogException:
        return None
    finally:
        conn.close()


def loaded_slug_owners(path: Path, seeds: Path) -> dict[str, str]:
    """slug -> the seed file whose article the committed warehouse holds, when its last run read `seeds`.

    What `validate` needs to name the same duplicate as the next run (a loaded article keeps its slug).
    Empty when there is no warehouse, it cannot be opened, or it was built from another folder."""
    if not path.exists():
        return {}
    try:
        conn = open_read_only(path)
    except WarehouseError:
        return {}
    reader = WarehouseReader(conn)
    try:
        last = reader.last_seeds_dir()
        if not last or Path(last).resolve() != seeds.resolve():
            return {}
        return {str(slug): str(source) for slug, source in reader.rows("SELECT slug, source_path FROM articles")}
    except duckdb.Error:  # an older or damaged file: validate goes on without it (the run will say more)
        return {}
    finally:
        conn.close()


@contextlib.contextmanager
def committed_reader(path: Path) -> Iterator[WarehouseReader]:
    """A reader of the committed warehouse that may export datasets (re-publishing a committed run)."""
    conn = open_read_only(path, exports=True)
    try:
        yield WarehouseReader(conn)
    except duckdb.Error as exc:
        _raise_if_damaged(exc, path)
        raise
    finally:
        conn.close()


def warm_engine() -> None:
    """Open and close an in-memory database: DuckDB's first connection in a process costs ~0.1 s,
    which a long-lived process (watch, serve) pays at start rather than on its first run."""
    duckdb.connect(":memory:").close()


AS_TEXT = re.compile(r"\b(INTERVAL|UNION|BIT)\b")
"""Column types polars cannot take from Arrow (INTERVAL, UNION) or takes wrongly (BIT, as bytes): read as
DuckDB writes them. `now() - max(finished_at)` is an INTERVAL."""


def frame_of(conn: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of `sql` as a polars frame (empty for statements that return nothing). Types polars cannot
    take come as DuckDB's text, and a repeated column name (`SELECT a.*, b.*` over a join) gets a suffix
    (`slug`, `slug_1`): polars refused both, and `query` said "internal error"."""
    relation = conn.sql(sql)
    if relation is None:
        return pl.DataFrame()
    names = unique_names(relation.columns)
    as_text = [bool(AS_TEXT.search(str(kind))) for kind in relation.types]
    if names != relation.columns or any(as_text):
        relation = relation.project(
            ", ".join(
                f"{f'CAST(#{i} AS VARCHAR)' if text else f'#{i}'} AS {_quoted(name)}"
                for i, (name, text) in enumerate(zip(names, as_text, strict=True), start=1)
            )
        )
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def unique_names(names: list[str]) -> list[str]:
    """`names` with each repeat suffixed `_1`, `_2`, ... (a suffix another column already has is skipped).

    >>> unique_names(["slug", "title", "slug", "slug_1"])
    ['slug', 'title', 'slug_2', 'slug_1']
    """
    taken = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        if name in seen:
            n = 1
            while f"{name}_{n}" in taken:
                n += 1
            taken.add(f"{name}_{n}")
            name = f"{name}_{n}"
        seen.add(name)
        result.append(name)
    return result


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _explain_open_error(exc: BaseException, path: Path) -> str:
    """DuckDB's or the OS's refusal to open the warehouse `path`, as what it means and what to do.

    The writer opens a copy (`<path>.next`): DuckDB's own text would name the copy, which the user never made."""
    text = str(exc)
    if path.is_dir():
        return "it is a folder: pass --warehouse the DuckDB file itself (e.g. warehouse/jobs.duckdb)"
    sqlite = _starts_with(path, SQLITE_HEADER)
    if "not a valid DuckDB database" in text or sqlite:
        # DuckDB takes a SQLite file (Prefect's prefect.db, say) for one to attach through its sqlite
        # extension, which readers may not load: "Permission Error: Loading external extensions is disabled".
        what = "empty (0 bytes)" if _size(path) == 0 else "a SQLite database" if sqlite else "not a DuckDB database"
        return (
            f"the file is {what}: pass --warehouse the warehouse's DuckDB file, or move this file away "
            "(`jobpipeline run` then builds a new warehouse there)"
        )
    hint = damage_hint(exc)
    if hint is not None:
        return hint
    if "lock" in text.lower():
        return "another program holds it open for writing (a `duckdb` shell or a notebook?): close it and try again"
    return _one_line(exc)


SQLITE_HEADER = b"SQLite format 3\x00"

DAMAGE_SIGNS = ("Corrupt database file", "Could not read enough bytes", "checksum")
"""How DuckDB words a file whose blocks fail their checksums or end early (truncated, overwritten, a bad
disk, a partial copy)."""


def damage_hint(exc: BaseException) -> str | None:
    """When DuckDB refused the warehouse because the file itself is damaged: what that means and what to
    do (nothing in it can be trusted; the seeds rebuild the current tables, not the history). Else None."""
    if not any(sign in str(exc) for sign in DAMAGE_SIGNS):
        return None
    return (
        f"the file is damaged (DuckDB: {_one_line(exc)}): restore it from a backup, or move it aside and run "
        "`jobpipeline run` to build the warehouse again from the seeds (runs and history then start again)"
    )


def _raise_if_damaged(exc: BaseException, path: Path, *, doing: str = "") -> None:
    """Raise the damaged-warehouse WarehouseError for `exc` where it surfaces (open, query, re-publish,
    load); return for any other DuckDB error."""
    hint = damage_hint(exc)
    if hint is not None:
        raise WarehouseError(str(path), doing + hint) from None


def _starts_with(path: Path, header: bytes) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(header)) == header
    except OSError:
        return False


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _band_unchanged(staged: str, history: str) -> str:
    """SQL: the staged band `staged` has the same values as the history row `history` (NULLs equal)."""
    return " AND ".join(f"{staged}.{c} IS NOT DISTINCT FROM {history}.{c}" for c in schema.BAND_VALUE_COLUMNS)


Row = dict[str, Any]
"""One result row keyed by column name."""


class WarehouseReader:
    """Named reads of a warehouse connection: what publish and the report ask for.

    Wraps the loader's connection (publishing inside a run) or a read-only one (`report --out`).
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql).fetchall()

    def one(self, sql: str) -> tuple[Any, ...]:
        # fetchall, not fetchone: DuckDB refuses the connection's next statement while a result is unfinished.
        [row] = self.conn.execute(sql).fetchall()
        return tuple(row)

    def last_seeds_dir(self) -> str:
        """The seeds folder of the newest run ('' before any)."""
        rows = self.rows("SELECT seeds_dir FROM runs ORDER BY run_id DESC LIMIT 1")
        return str(rows[0][0]) if rows and rows[0][0] is not None else ""

    def plausible_band(self) -> str:
        """SQL: band `b` may be counted (`schema.PLAUSIBLE`); every band in a warehouse written before
        `salary_bands.plausible` existed, which a read-only report cannot add."""
        (present,) = self.one(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'salary_bands' AND column_name = 'plausible'"
        )
        return schema.PLAUSIBLE if present else "true"

    def table_names(self) -> set[str]:
        return {str(r[0]) for r in self.rows("SELECT table_name FROM information_schema.tables")}

    def last_run_id(self) -> int | None:
        """The newest committed run (None: no run yet)."""
        row = self.one("SELECT max(run_id) FROM runs")
        return None if row[0] is None else int(row[0])

    # -- datasets (publish writes the files; these produce them) ------------------------------------
    def export_dataset(self, dataset: schema.Dataset, file: Path) -> tuple[int, list[dict[str, str]]]:
        """Write `dataset` as zstd Parquet to `file`; returns its row count and columns (name, type)."""
        # COPY answers with the number of rows it wrote: no second read of the file to count them.
        (count,) = self.one(f"COPY ({dataset.sql}) TO '{_sql_path(file)}' (FORMAT parquet, COMPRESSION zstd)")
        described = self.rows(f"DESCRIBE {dataset.sql}")
        return int(count), [{"name": row[0], "type": row[1]} for row in described]

    def parquet_to_csv(self, parquet: Path, csv: Path) -> None:
        """Copy a Parquet file to CSV with a header (no BOM: publish adds it), for spreadsheets: text that a
        spreadsheet would run as a formula is kept as text (`spreadsheet_text`)."""
        source = f"read_parquet('{_sql_path(parquet)}')"
        columns = self.rows(f"DESCRIBE SELECT * FROM {source}")
        projection = ", ".join(
            spreadsheet_text(_quoted(str(name))) if str(kind) == "VARCHAR" else _quoted(str(name))
            for name, kind, *_ in columns
        )
        self.conn.execute(f"COPY (SELECT {projection} FROM {source}) TO '{_sql_path(csv)}' (FORMAT csv, HEADER)")

    # -- the report's questions ------------------------------------------------------------------------
    # Each returns rows keyed by column name (see `records`): the report reads `row["files_changed"]`,
    # never `row[8]`, so a column added to a query or to `runs` cannot silently shift what it shows.
    def records(self, sql: str) -> list[Row]:
        """The rows of `sql`, each a dict keyed by the query's column names (aliases name computed ones)."""
        cursor = self.conn.execute(sql)
        names = [d[0] for d in cursor.description or ()]
        if len(set(names)) != len(names):
            raise ValueError(f"query has duplicate column names {names}: alias them so rows can be read by name")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def report_tables_present(self) -> bool:
        """Whether every table and view the report reads exists (an empty or foreign file: no)."""
        present = self.table_names()
        return all(name in present for name in REPORT_TABLES)

    def counted(self, sql: str, limit: int) -> tuple[int, list[Row]]:
        """How many rows `sql` gives, and its first `limit` rows.

        For the report's counts, whose results are small (one row per tag, tool, category or code):
        the query runs once; counting it apart ran each twice (tool counts: 2 x 0.5 s at 100,000)."""
        rows = self.records(sql)
        return len(rows), rows[: int(limit)]

    def headline_counts(self) -> dict[str, int]:
        """Articles (all, current), categories, bands, errors, warnings, files (all, not accepted), missing."""
        # One query per table: a single SELECT of nine scalar subqueries measured ~10x slower.
        counts: dict[str, int] = {}
        for sql in (
            "SELECT count(*) AS articles, count(*) FILTER (WHERE is_current) AS current, "
            "count(DISTINCT category) AS categories FROM articles",
            "SELECT count(*) AS bands FROM salary_bands",
            "SELECT count(*) FILTER (WHERE severity = 'error') AS errors, "
            "count(*) FILTER (WHERE severity = 'warning') AS warnings FROM validation_issues",
            "SELECT count(*) AS files, count(*) FILTER (WHERE status <> 'accepted') AS rejected FROM files",
            "SELECT count(*) AS missing FROM missing_articles",
        ):
            (row,) = self.records(sql)
            counts.update((name, int(value or 0)) for name, value in row.items())
        return counts

    def category_counts(self, no_category: str, limit: int) -> tuple[int, list[Row]]:
        """label (category; NULL is named `no_category`), n (articles); most articles first."""
        return self.counted(
            f"""SELECT coalesce(category, '{_sql_text(no_category)}') AS label, count(*) AS n
                FROM articles GROUP BY 1 ORDER BY n DESC, 1""",
            limit,
        )

    def tag_counts(self, limit: int) -> tuple[int, list[Row]]:
        """label (canonical tag), n (articles); most used first."""
        return self.counted(
            """SELECT canonical_tag AS label, count(DISTINCT slug) AS n FROM tags
               WHERE canonical_tag IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1""",
            limit,
        )

    def tool_counts(self, limit: int) -> tuple[int, list[Row]]:
        """label (canonical tool), n (articles); most used first."""
        return self.counted(
            """SELECT canonical_name AS label, count(DISTINCT slug) AS n FROM tools
               WHERE canonical_name IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1""",
            limit,
        )

    def severity_counts(self) -> list[Row]:
        """severity, findings, files; errors first."""
        return self.records("""SELECT severity, count(*) AS findings, count(DISTINCT source_path) AS files
                               FROM validation_issues GROUP BY 1 ORDER BY severity = 'error' DESC, 1""")

    def finding_code_counts(self, limit: int) -> tuple[int, list[Row]]:
        """severity, code, findings, files; errors first, then the most frequent."""
        return self.counted(
            """SELECT severity, code, count(*) AS findings, count(DISTINCT source_path) AS files
               FROM validation_issues
               GROUP BY 1, 2 ORDER BY severity = 'error' DESC, findings DESC, code""",
            limit,
        )

    def error_findings(self, max_files: int, per_file: int) -> tuple[int, list[Row]]:
        """Files with errors (how many), and up to `per_file` errors of the first `max_files` of them:
        source_path, slug, line, code, field, message, errors_in_file."""
        (total,) = self.one("SELECT count(DISTINCT source_path) FROM validation_issues WHERE severity = 'error'")
        rows = self.records(f"""
            WITH e AS (
                SELECT source_path, slug, line, code, field, message,
                       row_number() OVER (PARTITION BY source_path ORDER BY line NULLS FIRST, code) AS k,
                       count(*) OVER (PARTITION BY source_path) AS errors_in_file
                FROM validation_issues WHERE severity = 'error'),
            f AS (SELECT DISTINCT source_path FROM e ORDER BY source_path LIMIT {int(max_files)})
            SELECT source_path, slug, line, code, field, message, errors_in_file
            FROM e JOIN f USING (source_path)
            WHERE k <= {int(per_file)} ORDER BY source_path, k""")
        return int(total), rows

    def warning_findings(self, limit: int) -> tuple[int, list[Row]]:
        """Findings that are not errors (how many), and the first `limit`: source_path, line, slug, code, message."""
        (total,) = self.one("SELECT count(*) FROM validation_issues WHERE severity <> 'error'")
        rows = self.records(f"""SELECT source_path, line, slug, code, message FROM validation_issues
                                WHERE severity <> 'error' ORDER BY code, source_path, line NULLS FIRST
                                LIMIT {int(limit)}""")
        return int(total), rows

    def kept_articles(self, limit: int) -> tuple[int, list[Row]]:
        """Articles kept as last known good (how many), and the first `limit`:
        slug, title, category, source_path, content_hash, run_id, reason (first error of the file)."""
        (total,) = self.one("SELECT count(*) FROM articles WHERE NOT is_current")
        rows = self.records(f"""
            SELECT a.slug, a.title, a.category, a.source_path, a.content_hash, a.run_id,
                   (SELECT min(v.code || ': ' || v.message) FROM validation_issues v
                    WHERE v.source_path = a.source_path AND v.severity = 'error') AS reason
            FROM articles a WHERE NOT a.is_current ORDER BY a.slug LIMIT {int(limit)}""")
        return int(total), rows

    def missing_article_rows(self, limit: int) -> tuple[int, list[Row]]:
        """`missing_articles` (how many), and its first `limit` rows: slug, wanted_by, wanted_by_slugs."""
        (total,) = self.one("SELECT count(*) FROM missing_articles")
        return int(total), self.records(
            f"SELECT slug, wanted_by, wanted_by_slugs FROM missing_articles LIMIT {int(limit)}"
        )

    def recent_runs(self, limit: int) -> list[Row]:
        """The newest runs first: every `runs` column but flow_run_id, by name."""
        columns = ", ".join(schema.RUNS.names_without("flow_run_id"))
        return self.records(f"SELECT {columns} FROM runs ORDER BY run_id DESC LIMIT {int(limit)}")

    def salary_band_counts(self) -> dict[str, int]:
        """Bands of current articles: annual, other_basis (not annual), no_figure (annual without any figure),
        implausible (annual with a figure outside the plausible range: not drawn, not counted)."""
        (row,) = self.records(f"""
            SELECT count(*) FILTER (WHERE b.basis = 'annual') AS annual,
                   count(*) FILTER (WHERE b.basis <> 'annual' OR b.basis IS NULL) AS other_basis,
                   count(*) FILTER (WHERE b.basis = 'annual' AND b.min_yen IS NULL AND b.max_yen IS NULL)
                       AS no_figure,
                   count(*) FILTER (WHERE b.basis = 'annual' AND NOT {self.plausible_band()}) AS implausible
            FROM salary_bands b JOIN articles a USING (slug)""")
        return {name: int(value or 0) for name, value in row.items()}

    def band_end_percentiles(self) -> list[float]:
        """The 0th, 1st, …, 100th percentiles of the upper ends (highest stated figure) of every annual band
        the charts could draw: the whole corpus's spread in 101 numbers, whatever its size ([] if none)."""
        points = ", ".join(f"{i / 100}" for i in range(101))
        (row,) = self.records(f"""
            SELECT quantile_cont(greatest(coalesce(b.min_yen, b.max_yen), coalesce(b.max_yen, b.min_yen)),
                                 [{points}]) AS percentiles
            FROM salary_bands b JOIN articles a USING (slug)
            WHERE b.basis = 'annual' AND (b.min_yen IS NOT NULL OR b.max_yen IS NOT NULL)
              AND {self.plausible_band()}""")
        return [float(v) for v in row["percentiles"] or []]

    def salary_chart(self, no_category: str, max_categories: int, max_jobs: int) -> SalaryChartRows:
        """What the range-bar charts draw: annual bands of the most linked-to jobs of the largest categories."""
        none = _sql_text(no_category)
        plausible = self.plausible_band()
        ranked = f"""
            WITH drawable AS (
                SELECT DISTINCT slug FROM salary_bands b
                WHERE basis = 'annual' AND (min_yen IS NOT NULL OR max_yen IS NOT NULL) AND {plausible}),
            deg AS (SELECT related_slug AS slug, count(DISTINCT slug) AS in_degree FROM related_job_links
                    WHERE related_slug <> slug GROUP BY 1),
            ranked AS (
                SELECT coalesce(a.category, '{none}') AS category, a.slug,
                       row_number() OVER (PARTITION BY coalesce(a.category, '{none}')
                                          ORDER BY coalesce(d.in_degree, 0) DESC, a.slug) AS rank,
                       count(*) OVER (PARTITION BY coalesce(a.category, '{none}')) AS jobs
                FROM articles a JOIN drawable USING (slug) LEFT JOIN deg d USING (slug)),
            categories AS (
                SELECT category, jobs FROM (SELECT DISTINCT category, jobs FROM ranked)
                ORDER BY jobs DESC, category LIMIT {int(max_categories)})"""
        return SalaryChartRows(
            per_category=self.records(f"{ranked} SELECT DISTINCT category, jobs FROM ranked"),
            bands=self.records(f"""{ranked}
                SELECT b.slug, coalesce(a.title, '') AS title, a.extra_fields, r.category, a.is_current,
                       b.level, coalesce(b.level_label, '') AS level_label, b.min_yen, b.max_yen,
                       coalesce(b.min_open, false) AS min_open, coalesce(b.max_open, false) AS max_open,
                       coalesce(b.raw, '') AS raw
                FROM salary_bands b JOIN articles a USING (slug) JOIN ranked r USING (slug)
                JOIN categories c ON c.category = r.category
                WHERE r.rank <= {int(max_jobs)} AND b.basis = 'annual'
                  AND (b.min_yen IS NOT NULL OR b.max_yen IS NOT NULL) AND {plausible}
                ORDER BY b.slug, b.ordinal"""),
            level_jobs=self.records(f"""
                SELECT coalesce(a.category, '{none}') AS category, b.level, count(DISTINCT b.slug) AS jobs
                FROM salary_bands b JOIN articles a USING (slug)
                WHERE b.basis = 'annual' AND (b.min_yen IS NOT NULL OR b.max_yen IS NOT NULL) AND {plausible}
                GROUP BY 1, 2"""),
            medians=self.records("SELECT category, level, median_midpoint_yen, bands FROM salary_by_category_level"),
            category_medians=self.records(f"""
                SELECT coalesce(a.category, '{none}') AS category,
                       CAST(median(b.midpoint_yen) AS BIGINT) AS median_midpoint_yen
                FROM salary_bands b JOIN articles a USING (slug) WHERE b.basis = 'annual' AND {plausible}
                GROUP BY 1"""),
        )

    # -- quality checks and salary benchmarks (issue 18) ---------------------------------------------------
    # Tables the enrich stage writes; a warehouse made before it lacks them, and those sections say so.
    def has_tables(self, *names: str) -> bool:
        """Whether every table or view in `names` exists."""
        present = self.table_names()
        return all(name in present for name in names)

    def latest_quality_checks(self) -> list[Row]:
        """The newest checked run's `quality_checks`: run_id, checked_at, check_name, subject, status, value,
        threshold, observed, message; fail first, then warn, then pass, each by check_name and subject."""
        return self.records("""
            SELECT run_id, checked_at, check_name, subject, status, value, threshold, observed, message
            FROM quality_checks WHERE run_id = (SELECT max(run_id) FROM quality_checks)
            ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, check_name,
                     subject NULLS FIRST""")

    def quality_check_history(self, runs: int) -> list[Row]:
        """Every check's status in the last `runs` checked runs: check_name, subject, run_id, status; oldest
        run first (a check missing from a run, e.g. a category that was not there, has no row)."""
        return self.records(f"""
            WITH recent AS (SELECT DISTINCT run_id FROM quality_checks ORDER BY run_id DESC LIMIT {int(runs)})
            SELECT check_name, subject, run_id, status FROM quality_checks JOIN recent USING (run_id)
            ORDER BY check_name, subject NULLS FIRST, run_id""")

    def finding_examples(self, codes: Sequence[str], per_code: int) -> list[Row]:
        """For each of `codes` found in `validation_issues`: code, findings, articles, and its first
        `per_code` articles (by slug) with one finding each: slug, title, extra_fields, message, source_path,
        line. One row per example, ordered by code and slug."""
        listed = ", ".join(f"'{_sql_text(code)}'" for code in codes) or "NULL"
        return self.records(f"""
            WITH v AS (SELECT * FROM validation_issues WHERE code IN ({listed})),
            counts AS (SELECT code, count(*) AS findings, count(DISTINCT coalesce(slug, source_path)) AS articles
                       FROM v GROUP BY code),
            firsts AS (SELECT code, slug, min(message) AS message, min(source_path) AS source_path,
                              min(line) AS line,
                              row_number() OVER (PARTITION BY code ORDER BY slug) AS k
                       FROM v WHERE slug IS NOT NULL GROUP BY code, slug)
            SELECT f.code, c.findings, c.articles, f.slug, coalesce(a.title, '') AS title, a.extra_fields,
                   f.message, f.source_path, f.line
            FROM firsts f JOIN counts c USING (code) LEFT JOIN articles a USING (slug)
            WHERE f.k <= {int(per_code)} ORDER BY f.code, f.slug""")

    def salary_benchmark_rows(self) -> list[Row]:
        """`salary_benchmarks`: category (NULL on whole-corpus rows), level, whole_corpus, n_articles, n_bands,
        n_closed_bands, p10_yen … p90_yen, open_share; whole-corpus rows first."""
        return self.records("""
            SELECT category, level, whole_corpus, n_articles, n_bands, n_closed_bands,
                   p10_yen, p25_yen, p50_yen, p75_yen, p90_yen, open_share
            FROM salary_benchmarks ORDER BY whole_corpus DESC, category NULLS FIRST, level NULLS LAST""")

    def salary_outlier_rows(self, per_group: int) -> list[Row]:
        """Outlier bands (`article_salary_position.outlier`), the `per_group` farthest (|robust z|) of each
        category × level: category, level, slug, ordinal, title, extra_fields, midpoint_yen, robust_z,
        group_outliers (how many the group has)."""
        return self.records(f"""
            WITH o AS (SELECT p.*, row_number() OVER (PARTITION BY p.category, p.level
                                                      ORDER BY abs(p.robust_z) DESC, p.slug, p.ordinal) AS k,
                              count(*) OVER (PARTITION BY p.category, p.level) AS group_outliers
                       FROM article_salary_position p WHERE p.outlier)
            SELECT o.category, o.level, o.slug, o.ordinal, coalesce(a.title, '') AS title, a.extra_fields,
                   o.midpoint_yen, o.robust_z, o.group_outliers
            FROM o LEFT JOIN articles a USING (slug)
            WHERE o.k <= {int(per_group)} ORDER BY o.category, o.level, o.midpoint_yen, o.slug""")


@dataclass(frozen=True)
class SalaryChartRows:
    """Rows behind the report's salary charts (see `WarehouseReader.salary_chart`), keyed by column name."""

    per_category: list[Row]
    """category, jobs (with a drawable annual band)"""
    bands: list[Row]
    """slug, title, extra_fields (JSON), category, is_current, level, level_label, min_yen, max_yen, min_open,
    max_open, raw"""
    level_jobs: list[Row]
    """category, level, jobs"""
    medians: list[Row]
    """category, level, median_midpoint_yen, bands (from `salary_by_category_level`)"""
    category_medians: list[Row]
    """category, median_midpoint_yen"""


REPORT_TABLES = (
    "articles",
    "salary_bands",
    "related_job_links",
    "tags",
    "tools",
    "validation_issues",
    "runs",
    "files",
    "missing_articles",
    "salary_by_category_level",
)


def as_reader(source: WarehouseReader | duckdb.DuckDBPyConnection) -> WarehouseReader:
    """A WarehouseReader for a connection (or the reader itself)."""
    return source if isinstance(source, WarehouseReader) else WarehouseReader(source)


class WarehouseWriter(WarehouseReader):
    """A load in progress on the `.next` copy. Obtain one from `open_writer`.

    It reads the previous state for the load model (`jobpipeline.load_plan`), stages what the run
    read, and writes the model's decisions; it decides nothing itself.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path) -> None:
        super().__init__(conn)
        self.path = path
        self.run_id = self._next_run_id()
        self._create_staging()

    # -- reading the previous state ---------------------------------------------------------
    def _next_run_id(self) -> int:
        return (self.last_run_id() or 0) + 1

    def known_files(self) -> dict[str, KnownFile]:
        """The `files` table: what the previous run read."""
        names = schema.FILES.names_without("changed_run_id")
        return {
            r[0]: _known_file(dict(zip(names, r, strict=True)))
            for r in self.rows(f"SELECT {', '.join(names)} FROM files")
        }

    def staged_files(self) -> dict[str, KnownFile]:
        """Files read in this run so far."""
        names = schema.STAGED_FILE_COLUMNS
        return {
            r[0]: _known_file(dict(zip(names, r, strict=True)))
            for r in self.rows(f"SELECT {', '.join(names)} FROM stg_files")
        }

    def article_titles(self) -> dict[str, str]:
        """The title of each file's article: as read in this run, else as loaded before."""
        titles: dict[str, str] = {}
        for table in ("articles", "stg_articles"):  # staged last: it wins
            titles.update(self.rows(f"SELECT source_path, title FROM {table} WHERE title IS NOT NULL"))
        return titles

    def known_articles(self) -> dict[str, KnownArticle]:
        rows = self.rows("SELECT slug, source_path, content_hash, is_current FROM articles")
        return {r[0]: KnownArticle(r[0], r[1], r[2], bool(r[3])) for r in rows}

    # -- staging ------------------------------------------------------------------------------
    def _create_staging(self) -> None:
        for spec in schema.ARTICLE_TABLES:
            self.conn.execute(f"CREATE OR REPLACE TEMP TABLE stg_{spec.name} ({spec.columns_ddl('run_id')})")
        files = schema.FILES.columns_ddl("status", "changed_run_id")
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE stg_files ({files})")
        findings = schema.FILE_FINDINGS.columns_ddl("run_id")
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE stg_findings ({findings})")
        touched = ", ".join(f"{c.name} {c.type}" for c in schema.FILES.columns if c.name in schema.TOUCHED_COLUMNS)
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE stg_touched ({touched})")

    def stage(self, batch: Batch) -> None:
        """Keep a batch's rows in temp tables until ownership across the corpus is known."""
        for name, frame in batch.tables.items():
            if frame.height:
                self._insert_frame(f"stg_{name}", frame)
        hashes = {f.source_path: f.content_hash for f in batch.files}
        if batch.files:
            names = schema.STAGED_FILE_COLUMNS
            self._insert_frame(
                "stg_files",
                pl.DataFrame(
                    [tuple(_plain(getattr(f, c)) for c in names) for f in batch.files],
                    schema=_frame_schema(schema.FILES, names),
                    orient="row",
                ),
            )
        if batch.findings:
            self._insert_frame("stg_findings", _findings_frame(batch.findings, hashes))
        if batch.unchanged:
            self._insert_frame(
                "stg_touched",
                pl.DataFrame(batch.unchanged, schema=_frame_schema(schema.FILES, schema.TOUCHED_COLUMNS), orient="row"),
            )

    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        self.conn.register("_frame", frame.to_arrow())
        try:
            self.conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
        finally:
            self.conn.unregister("_frame")

    # -- writing the model's decisions ------------------------------------------------------------
    def apply(self, decision: LoadDecision) -> LoadResult:
        """Write the run's changes into the current tables, history and validation report, in one transaction."""
        run = self.run_id
        conn = self.conn
        ownership = decision.ownership
        conn.execute("BEGIN TRANSACTION")
        try:
            self._set_temp("tmp_replace", ["slug", "source_path"], list(ownership.replace.items()))
            self._set_temp("tmp_gone", ["slug"], [(s,) for s in ownership.gone])
            self._close_and_open_history(run)
            checkpoint("in-transaction")
            for spec in schema.ARTICLE_TABLES:
                conn.execute(f"DELETE FROM {spec.name} WHERE slug IN (SELECT slug FROM tmp_gone)")
                columns = ", ".join(f"s.{c}" for c in spec.names_without("run_id"))
                conn.execute(
                    f"INSERT INTO {spec.name} BY NAME SELECT {columns}, {run} AS run_id "
                    f"FROM stg_{spec.name} s JOIN tmp_replace r USING (slug, source_path)"
                )
            for flag, slugs in ((False, ownership.keep_last_good), (True, ownership.restored)):
                if slugs:
                    self._set_temp("tmp_flag", ["slug"], [(s,) for s in sorted(slugs)])
                    conn.execute(
                        f"UPDATE articles SET is_current = {str(flag).lower()} "
                        "WHERE slug IN (SELECT slug FROM tmp_flag)"
                    )
            self._apply_files(decision)
            counts = self._rebuild_validation_issues(decision.findings)
            conn.execute("COMMIT")
        except BaseException:
            # The first error is the one to report: after a failed COMMIT (a full disk) DuckDB has
            # already ended or invalidated the transaction, and ROLLBACK's own error ("no transaction
            # is active", "database has been invalidated") would replace "No space left on device".
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise
        return LoadResult(
            run_id=run,
            articles_loaded=len(ownership.replace),
            articles_removed=len(ownership.remove),
            kept_last_good=sorted(ownership.keep_last_good),
            newly_broken=sorted(ownership.newly_broken),
            files_rejected=ownership.files_rejected,
            errors=counts[0],
            warnings=counts[1],
        )

    def _close_and_open_history(self, run: int) -> None:
        """Close the open history rows of slugs that change, open rows for new versions.

        History first: it compares the old open rows with the new staged ones.
        """
        conn = self.conn
        bands = schema.SALARY_BAND_HISTORY.names_without("valid_from", "valid_to")
        conn.execute(f"""
            UPDATE salary_band_history h SET valid_to = {run}
            WHERE valid_to IS NULL AND slug IN (SELECT slug FROM tmp_gone) AND NOT EXISTS (
              SELECT 1 FROM stg_salary_bands s JOIN tmp_replace r USING (slug, source_path)
              WHERE s.slug = h.slug AND s.ordinal = h.ordinal AND {_band_unchanged("s", "h")})""")
        conn.execute(f"""
            INSERT INTO salary_band_history
            SELECT {", ".join(f"s.{c}" for c in bands)}, {run}, NULL
            FROM stg_salary_bands s JOIN tmp_replace r USING (slug, source_path)
            WHERE NOT EXISTS (
              SELECT 1 FROM salary_band_history h WHERE h.valid_to IS NULL AND h.slug = s.slug
                AND h.ordinal = s.ordinal AND {_band_unchanged("s", "h")})""")
        versions = schema.ARTICLE_HISTORY.names_without("valid_from", "valid_to")
        conn.execute(f"""
            UPDATE article_history h SET valid_to = {run}
            WHERE valid_to IS NULL AND slug IN (SELECT slug FROM tmp_gone) AND NOT EXISTS (
              SELECT 1 FROM tmp_replace r JOIN stg_articles s USING (slug, source_path)
              WHERE s.slug = h.slug AND s.content_hash = h.content_hash AND s.source_path = h.source_path)""")
        conn.execute(f"""
            INSERT INTO article_history
            SELECT {", ".join(f"s.{c}" for c in versions)}, {run}, NULL
            FROM stg_articles s JOIN tmp_replace r USING (slug, source_path)
            WHERE NOT EXISTS (SELECT 1 FROM article_history h WHERE h.valid_to IS NULL AND h.slug = s.slug
                              AND h.content_hash = s.content_hash AND h.source_path = s.source_path)""")

    def _set_temp(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
        if rows:
            frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.Utf8), orient="row")
            self._insert_frame(name, frame)

    def _apply_files(self, decision: LoadDecision) -> None:
        conn, run = self.conn, self.run_id
        self._set_temp("tmp_deleted", ["source_path"], [(p,) for p in decision.deleted])
        conn.execute("DELETE FROM files WHERE source_path IN (SELECT source_path FROM tmp_deleted)")
        conn.execute("DELETE FROM files WHERE source_path IN (SELECT source_path FROM stg_files)")
        conn.execute(f"""INSERT INTO files BY NAME SELECT *, '{STAGED_STATUS}' AS status, {run} AS changed_run_id
                         FROM stg_files""")
        conn.execute("""UPDATE files f SET size = t.size, mtime_ns = t.mtime_ns, read_ns = t.read_ns FROM stg_touched t
                        WHERE f.source_path = t.source_path""")
        if decision.status_changes:
            self._set_temp("tmp_status", ["source_path", "status"], list(decision.status_changes))
            conn.execute("""UPDATE files f SET status = t.status FROM tmp_status t
                            WHERE f.source_path = t.source_path""")
        conn.execute("""DELETE FROM file_findings WHERE source_path IN (SELECT source_path FROM tmp_deleted)
                        OR source_path IN (SELECT source_path FROM stg_files)""")
        conn.execute(f"INSERT INTO file_findings BY NAME SELECT *, {run} AS run_id FROM stg_findings")

    def _rebuild_validation_issues(self, extra: Sequence[Finding]) -> tuple[int, int]:
        conn, run = self.conn, self.run_id
        conn.execute("DELETE FROM validation_issues")
        columns = schema.VALIDATION_ISSUES.names_without("run_id")
        conn.execute(f"""INSERT INTO validation_issues BY NAME
                         SELECT {run} AS run_id, {", ".join(columns)} FROM file_findings""")
        if extra:
            hashes = {str(r[0]): str(r[1]) for r in self.rows("SELECT source_path, content_hash FROM files")}
            frame = _findings_frame(extra, hashes)
            self._insert_frame("validation_issues", frame.with_columns(pl.lit(run, pl.Int32).alias("run_id")))
        errors, warnings = self.one(
            "SELECT count(*) FILTER (WHERE severity = 'error'), "
            "count(*) FILTER (WHERE severity = 'warning') FROM validation_issues"
        )
        return int(errors), int(warnings)

    def record_run(self, row: dict[str, Any]) -> None:
        """Insert this run's `runs` row; `row` holds every column but run_id and finished_at."""
        values = {**row, "run_id": self.run_id, "finished_at": datetime.now(UTC)}
        names = schema.RUNS.column_names
        self.conn.execute(
            f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [values[name] for name in names],
        )

    def enrich(self, *, outlier_z: float = 3.5, outlier_min_bands: int = 8) -> dict[str, int]:
        """Rebuild the derived tables (related-job graph degrees, demand for missing articles,
        salary benchmarks and each band's position).

        Canonical levels, tool and tag names and band midpoints are derived per article as its
        rows are built (jobpipeline.enrich); what needs the whole corpus is derived here, once
        the current tables are final. Returns the row count of each derived table.
        """
        return rebuild_derived(self.conn, outlier_z=outlier_z, outlier_min_bands=outlier_min_bands)

    # -- enrichment: what the quality checks read, and where their results go ----------------------
    def band_points(self) -> pl.DataFrame:
        """Closed annual bands (what inversions and outliers judge), a frame of `quality.BAND_COLUMNS`."""
        return frame_of(
            self.conn,
            f"""SELECT slug, source_path, ordinal, level, category, closed_midpoint AS midpoint_yen, line
                FROM ({schema.ANNUAL_BANDS}) WHERE closed_midpoint IS NOT NULL""",
        )

    def article_stamps(self, now: datetime) -> pl.DataFrame:
        """Current articles with their title and when their current content was first loaded (from
        `article_history` and `runs`; a version of a run not yet recorded was loaded `now`), a frame of
        `quality.STAMP_COLUMNS`.

        The content's, not the version's: a file moved to another folder or renamed is a new version (its
        source_path changed) of unchanged bytes, and is no more up to date for it. The clock starts at the
        latest version whose content hash differs from the version before it."""
        frame = frame_of(
            self.conn,
            """WITH versions AS (
                 SELECT slug, content_hash, valid_from,
                        lag(content_hash) OVER (PARTITION BY slug ORDER BY valid_from, content_hash) AS before
                 FROM article_history),
               since AS (
                 SELECT slug, max(valid_from) AS run_id FROM versions
                 WHERE before IS DISTINCT FROM content_hash GROUP BY slug)
               SELECT a.slug, a.source_path, coalesce(a.title, '') AS title, min(r.started_at) AS loaded_at,
                      CAST(NULL AS BIGINT) AS line, a.category
               FROM articles a
               LEFT JOIN since s ON s.slug = a.slug
               LEFT JOIN runs r ON r.run_id = s.run_id
               WHERE a.is_current GROUP BY ALL ORDER BY a.slug""",
        )
        loaded = pl.col("loaded_at").cast(STAMP_COLUMNS["loaded_at"])
        return frame.with_columns(loaded.fill_null(pl.lit(now.astimezone(UTC), STAMP_COLUMNS["loaded_at"])))

    def corpus_stats(self) -> CorpusStats:
        """What the corpus-level checks compare run over run (see jobpipeline.quality)."""
        articles, files, rejected, dangling = self.one("""
            SELECT (SELECT count(*) FROM articles WHERE is_current),
                   (SELECT count(*) FROM files),
                   (SELECT count(*) FROM files WHERE status <> 'accepted'),
                   (SELECT count(*) FROM related_jobs WHERE NOT resolved)""")
        medians = self.rows(f"""SELECT coalesce(category, ''), quantile_cont(closed_midpoint, 0.5)
                                FROM ({schema.ANNUAL_BANDS}) WHERE closed_midpoint IS NOT NULL GROUP BY 1""")
        known = " UNION ALL ".join(
            f"SELECT '{key}', count(*) FILTER (WHERE {key} IS NOT NULL) FROM articles WHERE is_current"
            for key in ("slug", "title", "category", "meta_description", "thumbnail", "hero_image")
        )
        lists = " UNION ALL ".join(
            f"SELECT '{key}', count(DISTINCT slug) FROM {table} WHERE {where}"
            for key, table, where in (
                ("tags", "tags", "origin = 'front_matter'"),
                ("keywords", "keywords", "true"),
                ("related_jobs", "related_job_links", "true"),
            )
        )
        extra = """SELECT k, count(*) FROM (SELECT unnest(json_keys(extra_fields)) AS k FROM articles
                   WHERE is_current AND extra_fields IS NOT NULL AND json_type(extra_fields) = 'OBJECT') GROUP BY k"""
        keys = self.rows(f"{known} UNION ALL {lists} UNION ALL {extra}")
        return CorpusStats(
            articles=int(articles),
            rejected_share=100.0 * int(rejected) / int(files) if files else 0.0,
            dangling_links=int(dangling),
            category_medians={str(c): float(m) for c, m in medians},
            front_matter_keys={str(k): int(n) for k, n in keys if n},
        )

    def rejected_files(self) -> int:
        (count,) = self.one("SELECT count(*) FROM files WHERE status <> 'accepted'")
        return int(count)

    def previous_checks(self) -> list[tuple[str, str | None, float]]:
        """(check, subject, observed) of the newest run that made corpus checks (empty: none yet)."""
        return [
            (str(r[0]), r[1], float(r[2]))
            for r in self.rows("""SELECT check_name, subject, observed FROM quality_checks
                                  WHERE run_id = (SELECT max(run_id) FROM quality_checks) AND observed IS NOT NULL""")
        ]

    def write_enrichment(
        self, findings: Sequence[Finding], checks: Sequence[QualityCheck], checked_at: datetime
    ) -> tuple[int, int]:
        """Replace the enrichment's findings in `validation_issues` and add this run's `quality_checks`;
        returns the errors and warnings `validation_issues` now holds."""
        conn, run = self.conn, self.run_id
        conn.execute("BEGIN TRANSACTION")
        try:
            codes = ", ".join(f"'{code}'" for code in ENRICHMENT_CODES)
            conn.execute(f"DELETE FROM validation_issues WHERE code IN ({codes})")
            if findings:
                self._insert_findings(findings)
            conn.execute("DELETE FROM quality_checks WHERE run_id = ?", [run])
            if checks:
                frame = pl.DataFrame(
                    [
                        (run, checked_at, c.check, c.subject, c.status, c.value, c.threshold, c.observed, c.message)
                        for c in checks
                    ],
                    schema=schema.polars_schema(schema.QUALITY_CHECKS, without=()),
                    orient="row",
                )
                self._insert_frame("quality_checks", frame)
            errors, warnings = self.one(
                "SELECT count(*) FILTER (WHERE severity = 'error'), "
                "count(*) FILTER (WHERE severity = 'warning') FROM validation_issues"
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(errors), int(warnings)

    def _insert_findings(self, findings: Sequence[Finding]) -> None:
        """Add `findings` to `validation_issues` for this run, each with its file's current content hash
        (joined here: a dict of every file's hash cost ~0.2 s at 100,000 files)."""
        frame = _findings_frame(findings, {})
        self.conn.register("_findings", frame.drop("content_hash").to_arrow())
        try:
            self.conn.execute(f"""INSERT INTO validation_issues BY NAME
                                  SELECT f.*, h.content_hash, {self.run_id} AS run_id
                                  FROM _findings f LEFT JOIN files h USING (source_path)""")
        finally:
            self.conn.unregister("_findings")

    def set_stage_seconds(self, stage_seconds: str) -> None:
        """Record the final per-stage timings (publishing ends after the runs row was written)."""
        self.conn.execute("UPDATE runs SET stage_seconds = ? WHERE run_id = ?", [stage_seconds, self.run_id])

    def summary_findings(self, read_paths: set[str], limit: int) -> list[Finding]:
        """The findings worth showing: errors anywhere, then those of the files this run read (at most `limit`).

        Capped, so a 100,000-file corpus with a warning per file does not build 100,000 models.
        """
        self._set_temp("tmp_read", ["source_path"], [(p,) for p in sorted(read_paths)][:limit])
        rows = self.rows(
            "SELECT source_path, line, slug, severity, code, field, message FROM validation_issues "
            "WHERE severity = 'error' OR source_path IN (SELECT source_path FROM tmp_read) "
            f"ORDER BY severity, source_path, line NULLS FIRST, code LIMIT {limit}"
        )
        return [
            Finding(source_path=r[0], line=r[1], slug=r[2], severity=r[3], code=r[4], field=r[5], message=r[6])
            for r in rows
        ]


def _known_file(values: dict[str, Any]) -> KnownFile:
    return KnownFile(
        **{
            **values,
            "parse_ok": bool(values["parse_ok"]),
            "related_jobs": tuple(values["related_jobs"] or ()),
            "related_lines": tuple(values["related_lines"] or ()),
            "status": values.get("status") or "",
        }
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _frame_schema(spec: schema.TableSpec, names: Sequence[str]) -> dict[str, pl.DataType]:
    full = schema.polars_schema(spec, without=())
    return {name: full[name] for name in names}


def _findings_frame(findings: Sequence[Finding], hashes: dict[str, str]) -> pl.DataFrame:
    names = schema.STAGED_FINDING_COLUMNS
    return pl.DataFrame(
        [tuple(hashes.get(f.source_path) if c == "content_hash" else getattr(f, c) for c in names) for f in findings],
        schema=_frame_schema(schema.FILE_FINDINGS, names),
        orient="row",
    )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


# -- the writer's lifecycle: lock, copy, load, rename ---------------------------------------------
def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def next_path(path: Path) -> Path:
    return path.with_name(path.name + ".next")


_HOLDER_SETTLE_SECONDS = 1.0


class WriterLock:
    """The one-writer lock: an advisory `flock` on `<warehouse>.lock`, released by the OS if we die.

    `acquire(wait_seconds)` waits up to that long for another run (0: fail at once) and raises
    WarehouseBusyError, a transient error the orchestrator may retry with backoff.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def acquire(self, wait_seconds: float = 0.0, on_wait: Callable[[str], None] | None = None) -> WriterLock:
        lock = lock_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock, "a+")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise WarehouseError(
                str(self.path), f"cannot create {lock.name} ({exc.strerror}): check the folder exists and is writable"
            ) from None
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip()
                waited = time.monotonic() - start
                if not holder and waited < _HOLDER_SETTLE_SECONDS:
                    # The holder writes its line just after it takes the lock: a run started at the same
                    # instant looks again for a moment, so that it can name the holder (or get the lock).
                    time.sleep(0.02)
                    continue
                holder = holder or "unknown process"
                if waited >= wait_seconds:
                    handle.close()
                    raise WarehouseBusyError(str(self.path), holder, waited) from None
                if not told and on_wait is not None:
                    on_wait(f"warehouse is busy ({holder}); waiting up to {wait_seconds:.0f} s...")
                    told = True
                time.sleep(0.2)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}")
            handle.flush()
        except OSError as exc:
            with contextlib.suppress(OSError):  # closing flushes the same unwritable buffer again
                handle.close()
            raise WarehouseError(
                str(self.path),
                f"cannot write {lock.name} ({exc.strerror}): free some space or make the folder writable",
            ) from None
        self._handle = handle
        return self

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
        handle.close()

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def open_writer(path: Path, files: int = 0) -> Iterator[WarehouseWriter]:
    """Copy-on-write load: yields a writer on `<path>.next`; on success the copy replaces `path`.

    `files`: how many seed files the run found (the warehouse's own count is taken too), for
    `writer_threads`. The caller must hold the `WriterLock`. On any exception the live file is untouched.
    """
    staging = next_path(path)
    for leftover in (staging, _wal(staging)):
        leftover.unlink(missing_ok=True)  # a killed run's copy: the lock says nobody else owns it
    live: os.stat_result | None = None
    try:
        if path.exists():
            _refuse_another_writer(path)
            live = path.stat()
            shutil.copyfile(path, staging)
            _access_like(live, staging, writable=True)
            if _wal(path).exists():
                # Another program's writes that never reached the file (it died before its checkpoint):
                # DuckDB replays them onto the copy here, and the checkpoint below writes them in.
                shutil.copyfile(_wal(path), _wal(staging))
        conn = duckdb.connect(str(staging), config=connect_config(path.with_name(path.name + ".tmp")))
    except (OSError, duckdb.Error) as exc:
        staging.unlink(missing_ok=True)
        raise WarehouseError(str(path), f"cannot prepare the load: {_explain_open_error(exc, path)}") from None
    committed = False
    try:
        _drop_legacy_views(conn)
        conn.execute(schema.table_ddl())
        _add_missing_columns(conn)
        # Views last: one may read a column an older warehouse gains just above (salary_bands.plausible).
        conn.execute(schema.view_ddl())
        writer = WarehouseWriter(conn, path)
        (known,) = writer.one("SELECT count(*) FROM files")
        threads = writer_threads(max(files, known))
        if threads is not None:
            conn.execute(f"SET threads = {threads}")
        yield writer
        conn.execute("CHECKPOINT")
        conn.close()
        if _wal(staging).exists():
            raise WarehouseError(str(path), "DuckDB left a WAL after checkpoint; refusing to publish a partial file")
        if live is not None:
            _access_like(live, staging)
        _fsync(staging)
        # The live file's WAL (folded into the copy above) must not outlive it: DuckDB would replay one
        # generation's log onto the next at every open.
        _wal(path).unlink(missing_ok=True)
        os.replace(staging, path)
        _fsync(path.parent)
        committed = True
    except duckdb.Error as exc:
        _raise_if_damaged(exc, path, doing="load failed: ")
        raise WarehouseError(str(path), f"load failed: {_one_line(exc)}{_disk_full_hint(exc)}") from None
    except OSError as exc:
        raise WarehouseError(str(path), f"load failed ({exc.strerror}): check free space and permissions") from None
    finally:
        if not committed:
            with contextlib.suppress(Exception):
                conn.close()
            staging.unlink(missing_ok=True)
            _wal(staging).unlink(missing_ok=True)


def _wal(database: Path) -> Path:
    """DuckDB's write-ahead log of `database`: the same name with `.wal` appended."""
    return database.with_name(database.name + ".wal")


def _refuse_another_writer(path: Path) -> None:
    """Raise WarehouseError when another program holds the live file open for writing (a `duckdb` shell, a
    notebook): the copy would be taken from under it, torn if it checkpoints meanwhile, and what it writes
    afterwards would be lost at the rename. A read-only open (as `query`'s) is refused exactly then."""
    open_read_only(path).close()


def rebuild_derived(
    conn: duckdb.DuckDBPyConnection, *, outlier_z: float = 3.5, outlier_min_bands: int = 8
) -> dict[str, int]:
    """(Re)create every derived table from the current tables; returns their row counts.

    `outlier_z` and `outlier_min_bands` decide `article_salary_position.outlier` (the settings of
    the same names).
    """
    counts: dict[str, int] = {}
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {schema.ANNUAL_BANDS_TABLE} AS {schema.ANNUAL_BANDS}")
    for name, (_, sql) in schema.DERIVED.items():
        sql = sql.replace("$outlier_min_bands", str(int(outlier_min_bands))).replace(
            "$outlier_z", repr(float(outlier_z))
        )
        # CREATE TABLE AS answers with its row count.
        counts[name] = int(conn.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}").fetchall()[0][0])
    conn.execute(f"DROP TABLE {schema.ANNUAL_BANDS_TABLE}")
    return counts


def _drop_legacy_views(conn: duckdb.DuckDBPyConnection) -> None:
    """Warehouses written before the enrich stage existed have views where derived tables now go."""
    names = ", ".join(f"'{name}'" for name in schema.DERIVED)
    for (view,) in conn.execute(
        f"SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name IN ({names})"
    ).fetchall():
        conn.execute(f"DROP VIEW {view}")


def _add_missing_columns(conn: duckdb.DuckDBPyConnection) -> None:
    """Columns added to a table after a warehouse was written (e.g. `files.read_ns`): added, NULL in old rows.

    New columns go last in their spec, so an added column sits where a new warehouse has it.
    """
    present = {
        (str(t), str(c)) for t, c in conn.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall()
    }
    for spec in schema.TABLES:
        for column in spec.columns:
            if (spec.name, column.name) not in present:
                conn.execute(f"ALTER TABLE {spec.name} ADD COLUMN {column.name} {column.type}")


def _access_like(live: os.stat_result, copy: Path, *, writable: bool = False) -> None:
    """Give the copy that replaces the warehouse the live file's permissions and group.

    A rename replaces the file, not just its bytes: a warehouse made private (`chmod 600`) or shared with a
    group came back 0644 in the runner's group after every run. The copy gets the mode from the start (no
    window where the new data is readable by more people), with the owner's write bit while it is loaded
    (a `chmod 444` warehouse is still replaced by a run, as before). The group is kept where the runner may
    set it (a member of that group)."""
    mode = stat.S_IMODE(live.st_mode) | (stat.S_IRUSR | stat.S_IWUSR if writable else 0)
    # A filesystem that cannot keep modes or groups (some SMB and FAT mounts refuse chmod) has none to lose.
    with contextlib.suppress(OSError):
        os.chmod(copy, mode)
    with contextlib.suppress(OSError):
        if copy.stat().st_gid != live.st_gid:
            os.chown(copy, -1, live.st_gid)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full_hint(exc: BaseException) -> str:
    if "No space left on device" not in str(exc):
        return ""
    return " - free space on that disk and run again (the warehouse keeps its previous state)"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return duckdb_error_line(text.splitlines()[0]) if text else type(exc).__name__


_DUCKDB_PAYLOAD = re.compile(r'\{"exception_type":.*\}')


def duckdb_error_line(line: str) -> str:
    r"""DuckDB's error line, with the JSON some of its IO errors carry replaced by the message inside it.

    >>> print(duckdb_error_line('IO Error: Async write failed for range [offset=1100, size=3541]: '
    ...     '{"exception_type":"IO","exception_message":"Could not write file \\"/w/a.parquet\\": '
    ...     'No space left on device","errno":"28"}'))
    IO Error: Could not write file "/w/a.parquet": No space left on device
    """
    found = _DUCKDB_PAYLOAD.search(line)
    if found is None:
        return line
    try:
        message = json.loads(found.group()).get("exception_message")
    except (ValueError, AttributeError):
        return line
    if not isinstance(message, str) or not message.strip():
        return line
    kind = line.split(":", 1)[0] if line.split(":", 1)[0].endswith("Error") else ""
    return f"{kind}: {message.strip()}" if kind else message.strip()


SQL_SUGGESTIONS = ("Did you mean", "Candidate bindings:")
"""DuckDB's own advice on lines after an SQL error's first (a misspelt table or column): kept."""


def _sql_error(exc: BaseException) -> str:
    """An SQL error on one line with DuckDB's suggestion, if any (`Did you mean "articles"?`)."""
    lines = [line.strip() for line in str(exc).strip().splitlines()]
    advice = [line for line in lines[1:] if line.startswith(SQL_SUGGESTIONS)]
    return " ".join([_one_line(exc), *advice])
