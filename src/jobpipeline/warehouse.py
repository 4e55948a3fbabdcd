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
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from jobpipeline import schema
from jobpipeline.errors import QueryError, WarehouseBusyError, WarehouseError, WarehouseMissingError
from jobpipeline.faults import checkpoint
from jobpipeline.models import Finding
from jobpipeline.rows import Batch, FileVersion
from jobpipeline.validate import CorpusCheck, CorpusEntry

STORAGE_COMPATIBILITY = "v1.0.0"
"""DuckDB 2.x writes files 1.x cannot open unless told to; most users' `duckdb` CLI is 1.x."""


WRITER_MEMORY_LIMIT = "256MB"
"""DuckDB's own cap for a load; staging tables spill to disk beyond it (default is 80% of RAM)."""


def connect_config(temp_directory: Path | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"storage_compatibility_version": STORAGE_COMPATIBILITY,
                              "memory_limit": WRITER_MEMORY_LIMIT, "preserve_insertion_order": False}
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    return config


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the committed warehouse for reading; never blocked by a running load."""
    if not path.exists():
        raise WarehouseMissingError(str(path))
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseError(str(path), _explain_io_error(exc)) from None


def run_query(path: Path, sql: str) -> pl.DataFrame:
    """Run `sql` on the committed warehouse, read-only; SQL errors become one-line QueryErrors."""
    conn = open_read_only(path)
    try:
        return frame_of(conn, sql)
    except duckdb.Error as exc:
        raise QueryError(f"{_one_line(exc)} (see `jobpipeline tables` for the tables and columns)") from None
    finally:
        conn.close()


def frame_of(conn: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """The result of `sql` as a polars frame (empty for statements that return nothing)."""
    relation = conn.sql(sql)
    if relation is None:
        return pl.DataFrame()
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _explain_io_error(exc: duckdb.Error) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return ("another program holds it open for writing (a `duckdb` shell or a notebook?): close it and "
                "try again")
    return text.splitlines()[0]


@dataclass(frozen=True)
class KnownFile(FileVersion):
    """What the warehouse remembers of a seed file: the version last read, and its status."""

    status: str = ""


@dataclass(frozen=True)
class KnownArticle:
    slug: str
    source_path: str
    content_hash: str
    is_current: bool


@dataclass(frozen=True)
class Ownership:
    """Who provides each slug after this run, and what must change in the current tables."""

    corpus: CorpusCheck
    replace: dict[str, str]
    """slug -> source path whose staged rows replace the slug's rows."""
    remove: set[str]
    """Slugs leaving the current tables (file deleted, or it now claims another slug)."""
    keep_last_good: set[str]
    """Slugs whose file is now broken: rows stay, `is_current` false."""
    newly_broken: set[str]
    """The subset of keep_last_good that was current before this run (report it loudly)."""
    restored: set[str]
    """Slugs kept as last known good before whose unchanged owner is fine again."""
    reparse: list[str]
    """Unchanged files that now own a slug but whose rows were never loaded (parse them, stage, retry)."""
    statuses: dict[str, str]
    """source path -> accepted | rejected | duplicate, for every present file."""


@dataclass(frozen=True)
class LoadResult:
    run_id: int
    articles_loaded: int
    articles_removed: int
    kept_last_good: list[str]
    newly_broken: list[str]
    files_rejected: int
    errors: int
    warnings: int


class WarehouseWriter:
    """A load in progress on the `.next` copy. Obtain one from `open_writer`."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.run_id = self._next_run_id()
        self.copy_seconds = 0.0
        """Seconds spent copying the live file (the price of copy-on-write)."""
        self._staged_paths: set[str] = set()
        self._create_staging()

    # -- reading the previous state ---------------------------------------------------------
    def _next_run_id(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0]
        return int(row[0]) if row else 1

    def known_files(self) -> dict[str, KnownFile]:
        """The `files` table: what the previous run read."""
        return self._file_versions("files", "status")

    def _file_versions(self, table: str, status: str) -> dict[str, KnownFile]:
        rows = self.conn.execute(
            "SELECT source_path, size, mtime_ns, content_hash, claimed_slug, slug_line, parse_ok, related_jobs, "
            f"related_lines, {status} FROM {table}"
        ).fetchall()
        return {
            r[0]: KnownFile(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), tuple(r[7] or ()),
                            tuple(r[8] or ()), r[9])
            for r in rows
        }

    def known_articles(self) -> dict[str, KnownArticle]:
        rows = self.conn.execute("SELECT slug, source_path, content_hash, is_current FROM articles").fetchall()
        return {r[0]: KnownArticle(r[0], r[1], r[2], bool(r[3])) for r in rows}

    # -- staging ------------------------------------------------------------------------------
    def _create_staging(self) -> None:
        for spec in schema.ARTICLE_TABLES:
            columns = ", ".join(f"{c.name} {c.type}" for c in spec.columns if c.name != "run_id")
            self.conn.execute(f"CREATE OR REPLACE TEMP TABLE stg_{spec.name} ({columns})")
        self.conn.execute(
            "CREATE OR REPLACE TEMP TABLE stg_files (source_path VARCHAR, size BIGINT, mtime_ns BIGINT, "
            "content_hash VARCHAR, claimed_slug VARCHAR, slug_line INTEGER, parse_ok BOOLEAN, "
            "related_jobs VARCHAR[], related_lines INTEGER[])"
        )
        self.conn.execute(
            "CREATE OR REPLACE TEMP TABLE stg_findings (source_path VARCHAR, content_hash VARCHAR, line INTEGER, "
            "slug VARCHAR, severity VARCHAR, code VARCHAR, field VARCHAR, message VARCHAR)"
        )
        self.conn.execute(
            "CREATE OR REPLACE TEMP TABLE stg_touched (source_path VARCHAR, size BIGINT, mtime_ns BIGINT)"
        )

    def stage(self, batch: Batch) -> None:
        """Keep a batch's rows in temp tables until ownership across the corpus is known."""
        for name, frame in batch.tables.items():
            if frame.height:
                self._insert_frame(f"stg_{name}", frame)
        hashes = {f.source_path: f.content_hash for f in batch.files}
        if batch.files:
            self._insert_frame("stg_files", pl.DataFrame(
                [{
                    "source_path": f.source_path, "size": f.size, "mtime_ns": f.mtime_ns,
                    "content_hash": f.content_hash, "claimed_slug": f.claimed_slug, "slug_line": f.slug_line,
                    "parse_ok": f.parse_ok, "related_jobs": list(f.related_jobs),
                    "related_lines": list(f.related_lines),
                } for f in batch.files],
                schema={"source_path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64, "content_hash": pl.Utf8,
                        "claimed_slug": pl.Utf8, "slug_line": pl.Int32, "parse_ok": pl.Boolean,
                        "related_jobs": pl.List(pl.Utf8), "related_lines": pl.List(pl.Int32)},
            ))
            self._staged_paths.update(hashes)
        if batch.findings:
            self._insert_frame("stg_findings", _findings_frame(batch.findings, hashes))
        if batch.unchanged:
            self._insert_frame("stg_touched", pl.DataFrame(
                batch.unchanged, schema={"source_path": pl.Utf8, "size": pl.Int64, "mtime_ns": pl.Int64},
                orient="row"))

    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        self.conn.register("_frame", frame.to_arrow())
        try:
            self.conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
        finally:
            self.conn.unregister("_frame")

    def staged_files(self) -> dict[str, KnownFile]:
        """Files read in this run so far."""
        return self._file_versions("stg_files", "''")

    # -- deciding -------------------------------------------------------------------------------
    def resolve(self, present: Sequence[str], known: dict[str, KnownFile],
                check: Callable[..., CorpusCheck]) -> Ownership:
        """Decide slug ownership across the corpus and what each current slug becomes."""
        staged = self.staged_files()
        state = {path: staged.get(path) or known[path] for path in present if path in staged or path in known}
        entries = [
            CorpusEntry(p, f.claimed_slug, f.related_jobs, f.related_lines, f.slug_line)
            for p, f in state.items() if f.parse_ok and f.claimed_slug
        ]
        owners = check(entries).owners
        articles = self.known_articles()
        replace: dict[str, str] = {}
        reparse: list[str] = []
        restored: set[str] = set()
        for slug, path in owners.items():
            current = articles.get(slug)
            if path in staged:
                replace[slug] = path
            elif current is not None and (current.source_path, current.content_hash) == (
                path, state[path].content_hash):
                if not current.is_current:
                    restored.add(slug)
            else:
                reparse.append(path)
        remove: set[str] = set()
        keep: set[str] = set()
        for slug, current in articles.items():
            if slug in owners:
                continue
            now = state.get(current.source_path)
            if now is not None and not now.parse_ok and now.claimed_slug in (None, slug):
                keep.add(slug)
            else:
                remove.add(slug)
        corpus = check(entries, also_known=keep)
        losers = corpus.losers
        statuses: dict[str, str] = {}
        for path, f in state.items():
            if path in losers:
                statuses[path] = "duplicate"
            elif f.parse_ok and owners.get(f.claimed_slug or "") == path:
                statuses[path] = "accepted"
            else:
                statuses[path] = "rejected"
        return Ownership(
            corpus=corpus, replace=replace, remove=remove, keep_last_good=keep,
            newly_broken={s for s in keep if articles[s].is_current}, restored=restored,
            reparse=sorted(reparse), statuses=statuses,
        )

    # -- applying -------------------------------------------------------------------------------
    def apply(self, ownership: Ownership, present: Sequence[str], deleted: Sequence[str],
              discovery_findings: Sequence[Finding]) -> LoadResult:
        """Write the run's changes into the current tables, history and validation report."""
        run = self.run_id
        conn = self.conn
        conn.execute("BEGIN TRANSACTION")
        try:
            self._set_temp("tmp_replace", ["slug", "source_path"], list(ownership.replace.items()))
            gone = sorted(set(ownership.replace) | ownership.remove)
            self._set_temp("tmp_gone", ["slug"], [(s,) for s in gone])
            # History first: it compares the old open rows with the new staged ones.
            conn.execute(f"""
                UPDATE salary_band_history h SET valid_to = {run}
                WHERE valid_to IS NULL AND slug IN (SELECT slug FROM tmp_gone) AND NOT EXISTS (
                  SELECT 1 FROM stg_salary_bands s JOIN tmp_replace r USING (slug, source_path)
                  WHERE s.slug = h.slug AND s.ordinal = h.ordinal
                    AND s.level IS NOT DISTINCT FROM h.level AND s.level_label IS NOT DISTINCT FROM h.level_label
                    AND s.years_min IS NOT DISTINCT FROM h.years_min AND s.years_max IS NOT DISTINCT FROM h.years_max
                    AND s.min_yen IS NOT DISTINCT FROM h.min_yen AND s.max_yen IS NOT DISTINCT FROM h.max_yen
                    AND s.min_open = h.min_open AND s.max_open = h.max_open AND s.basis = h.basis
                    AND s.raw = h.raw)""")
            conn.execute(f"""
                INSERT INTO salary_band_history
                SELECT s.slug, s.ordinal, s.level, s.level_label, s.years_min, s.years_max, s.min_yen, s.max_yen,
                       s.min_open, s.max_open, s.basis, s.raw, s.source_path, s.content_hash, {run}, NULL
                FROM stg_salary_bands s JOIN tmp_replace r USING (slug, source_path)
                WHERE NOT EXISTS (
                  SELECT 1 FROM salary_band_history h WHERE h.valid_to IS NULL AND h.slug = s.slug
                    AND h.ordinal = s.ordinal AND s.level IS NOT DISTINCT FROM h.level
                    AND s.level_label IS NOT DISTINCT FROM h.level_label
                    AND s.years_min IS NOT DISTINCT FROM h.years_min AND s.years_max IS NOT DISTINCT FROM h.years_max
                    AND s.min_yen IS NOT DISTINCT FROM h.min_yen AND s.max_yen IS NOT DISTINCT FROM h.max_yen
                    AND s.min_open = h.min_open AND s.max_open = h.max_open AND s.basis = h.basis
                    AND s.raw = h.raw)""")
            conn.execute(f"""
                UPDATE article_history h SET valid_to = {run}
                WHERE valid_to IS NULL AND slug IN (SELECT slug FROM tmp_gone) AND NOT EXISTS (
                  SELECT 1 FROM tmp_replace r JOIN stg_articles s USING (slug, source_path)
                  WHERE s.slug = h.slug AND s.content_hash = h.content_hash AND s.source_path = h.source_path)""")
            conn.execute(f"""
                INSERT INTO article_history
                SELECT s.slug, s.title, s.category, s.source_path, s.content_hash, {run}, NULL
                FROM stg_articles s JOIN tmp_replace r USING (slug, source_path)
                WHERE NOT EXISTS (SELECT 1 FROM article_history h WHERE h.valid_to IS NULL AND h.slug = s.slug
                                  AND h.content_hash = s.content_hash AND h.source_path = s.source_path)""")
            checkpoint("in-transaction")
            for spec in schema.ARTICLE_TABLES:
                conn.execute(f"DELETE FROM {spec.name} WHERE slug IN (SELECT slug FROM tmp_gone)")
                columns = ", ".join(f"s.{c}" for c in spec.column_names if c != "run_id")
                conn.execute(
                    f"INSERT INTO {spec.name} BY NAME SELECT {columns}, {run} AS run_id "
                    f"FROM stg_{spec.name} s JOIN tmp_replace r USING (slug, source_path)"
                )
            if ownership.keep_last_good:
                self._set_temp("tmp_keep", ["slug"], [(s,) for s in sorted(ownership.keep_last_good)])
                conn.execute("UPDATE articles SET is_current = false WHERE slug IN (SELECT slug FROM tmp_keep)")
            if ownership.restored:
                self._set_temp("tmp_restored", ["slug"], [(s,) for s in sorted(ownership.restored)])
                conn.execute("UPDATE articles SET is_current = true WHERE slug IN (SELECT slug FROM tmp_restored)")
            self._apply_files(ownership, deleted)
            counts = self._rebuild_validation_issues(ownership, present, discovery_findings)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        rejected = sum(1 for status in ownership.statuses.values() if status != "accepted")
        return LoadResult(
            run_id=run, articles_loaded=len(ownership.replace),
            articles_removed=len(ownership.remove), kept_last_good=sorted(ownership.keep_last_good),
            newly_broken=sorted(ownership.newly_broken), files_rejected=rejected,
            errors=counts[0], warnings=counts[1],
        )

    def _set_temp(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
        if rows:
            frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.Utf8), orient="row")
            self._insert_frame(name, frame)

    def _apply_files(self, ownership: Ownership, deleted: Sequence[str]) -> None:
        conn, run = self.conn, self.run_id
        self._set_temp("tmp_deleted", ["source_path"], [(p,) for p in deleted])
        conn.execute("DELETE FROM files WHERE source_path IN (SELECT source_path FROM tmp_deleted)")
        conn.execute("DELETE FROM files WHERE source_path IN (SELECT source_path FROM stg_files)")
        conn.execute(f"""INSERT INTO files BY NAME SELECT *, 'rejected' AS status, {run} AS changed_run_id
                         FROM stg_files""")
        conn.execute("""UPDATE files f SET size = t.size, mtime_ns = t.mtime_ns FROM stg_touched t
                        WHERE f.source_path = t.source_path""")
        known_status = dict(conn.execute("SELECT source_path, status FROM files").fetchall())
        changes = [(p, s) for p, s in ownership.statuses.items() if known_status.get(p) != s]
        if changes:
            self._set_temp("tmp_status", ["source_path", "status"], changes)
            conn.execute("""UPDATE files f SET status = t.status FROM tmp_status t
                            WHERE f.source_path = t.source_path""")
        conn.execute("""DELETE FROM file_findings WHERE source_path IN (SELECT source_path FROM tmp_deleted)
                        OR source_path IN (SELECT source_path FROM stg_files)""")
        conn.execute(f"INSERT INTO file_findings BY NAME SELECT *, {run} AS run_id FROM stg_findings")

    def _rebuild_validation_issues(self, ownership: Ownership, present: Sequence[str],
                                   discovery_findings: Sequence[Finding]) -> tuple[int, int]:
        conn, run = self.conn, self.run_id
        extra = list(ownership.corpus.findings) + list(discovery_findings)
        articles = self.known_articles()
        for slug in sorted(ownership.keep_last_good):
            article = articles[slug]
            extra.append(Finding(
                source_path=article.source_path, slug=slug, severity="warning", code="kept-last-known-good",
                message=f"the file no longer reads, so `{slug}` keeps its last good version "
                        f"(sha256 {article.content_hash[:12]}): fix the errors above to update it"))
        conn.execute("DELETE FROM validation_issues")
        conn.execute(f"""INSERT INTO validation_issues BY NAME
                         SELECT {run} AS run_id, source_path, slug, severity, code, field, line, message,
                                content_hash
                         FROM file_findings""")
        if extra:
            hashes = dict(conn.execute("SELECT source_path, content_hash FROM files").fetchall())
            frame = _findings_frame(extra, hashes)
            self._insert_frame("validation_issues", frame.with_columns(pl.lit(run, pl.Int32).alias("run_id")))
        row = conn.execute("SELECT count(*) FILTER (WHERE severity = 'error'), "
                           "count(*) FILTER (WHERE severity = 'warning') FROM validation_issues").fetchall()[0]
        assert row is not None
        return int(row[0]), int(row[1])

    def record_run(self, *, started_at: datetime, trigger: str, seeds_dir: str, counts: dict[str, int],
                   load: LoadResult, stage_seconds: dict[str, float], flow_run_id: str | None) -> None:
        status = "ok_with_rejections" if load.files_rejected else "ok"
        self.conn.execute(
            "INSERT INTO runs BY NAME SELECT ? AS run_id, ? AS started_at, ? AS finished_at, ? AS status, "
            "? AS trigger, ? AS seeds_dir, ? AS files_seen, ? AS files_new, ? AS files_changed, "
            "? AS files_unchanged, ? AS files_deleted, ? AS files_rejected, ? AS articles_loaded, "
            "? AS articles_removed, ? AS articles_kept_last_good, ? AS errors, ? AS warnings, "
            "? AS stage_seconds, ? AS flow_run_id",
            [self.run_id, started_at, datetime.now(UTC), status, trigger, seeds_dir, counts["seen"],
             counts["new"], counts["changed"], counts["unchanged"], counts["deleted"], load.files_rejected,
             load.articles_loaded, load.articles_removed, len(load.kept_last_good), load.errors, load.warnings,
             json.dumps({k: round(v, 3) for k, v in stage_seconds.items()}), flow_run_id],
        )

    def enrich(self) -> dict[str, int]:
        """Rebuild the derived tables (related-job graph degrees, demand for missing articles).

        Canonical levels, tool and tag names and band midpoints are derived per article as its
        rows are built (jobpipeline.enrich); what needs the whole corpus is derived here, once
        the current tables are final. Returns the row count of each derived table.
        """
        return rebuild_derived(self.conn)

    def set_stage_seconds(self, stage_seconds: dict[str, float]) -> None:
        """Record the final per-stage timings (publishing ends after the runs row was written)."""
        self.conn.execute("UPDATE runs SET stage_seconds = ? WHERE run_id = ?",
                          [json.dumps({k: round(v, 3) for k, v in stage_seconds.items()}), self.run_id])


def _findings_frame(findings: Sequence[Finding], hashes: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{
            "source_path": f.source_path, "content_hash": hashes.get(f.source_path), "line": f.line,
            "slug": f.slug, "severity": f.severity, "code": f.code, "field": f.field, "message": f.message,
        } for f in findings],
        schema={"source_path": pl.Utf8, "content_hash": pl.Utf8, "line": pl.Int32, "slug": pl.Utf8,
                "severity": pl.Utf8, "code": pl.Utf8, "field": pl.Utf8, "message": pl.Utf8},
    )


# -- the writer's lifecycle: lock, copy, load, rename ---------------------------------------------
def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def next_path(path: Path) -> Path:
    return path.with_name(path.name + ".next")


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
            raise WarehouseError(str(self.path), f"cannot create {lock.name} ({exc.strerror}): check the "
                                 "folder exists and is writable") from None
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown process"
                waited = time.monotonic() - start
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
            raise WarehouseError(str(self.path), f"cannot write {lock.name} ({exc.strerror}): free some space or "
                                 "make the folder writable") from None
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
def open_writer(path: Path) -> Iterator[WarehouseWriter]:
    """Copy-on-write load: yields a writer on `<path>.next`; on success the copy replaces `path`.

    The caller must hold the `WriterLock`. On any exception the live file is untouched.
    """
    staging = next_path(path)
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)  # a killed run's copy: the lock says nobody else owns it
    started = time.perf_counter()
    try:
        if path.exists():
            shutil.copyfile(path, staging)
        copy_seconds = time.perf_counter() - started
        conn = duckdb.connect(str(staging), config=connect_config(path.with_name(path.name + ".tmp")))
    except (OSError, duckdb.Error) as exc:
        staging.unlink(missing_ok=True)
        raise WarehouseError(str(path), f"cannot prepare the load: {_one_line(exc)}") from None
    committed = False
    try:
        _drop_legacy_views(conn)
        conn.execute(schema.ddl())
        writer = WarehouseWriter(conn, path)
        writer.copy_seconds = copy_seconds
        yield writer
        conn.execute("CHECKPOINT")
        conn.close()
        if staging.with_name(staging.name + ".wal").exists():
            raise WarehouseError(str(path), "DuckDB left a WAL after checkpoint; refusing to publish a partial file")
        _fsync(staging)
        os.replace(staging, path)
        _fsync(path.parent)
        committed = True
    except duckdb.Error as exc:
        raise WarehouseError(str(path), f"load failed: {_one_line(exc)}") from None
    except OSError as exc:
        raise WarehouseError(str(path), f"load failed ({exc.strerror}): check free space and permissions") from None
    finally:
        if not committed:
            with contextlib.suppress(Exception):
                conn.close()
            staging.unlink(missing_ok=True)
            staging.with_name(staging.name + ".wal").unlink(missing_ok=True)


def rebuild_derived(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)create every derived table from the current tables; returns their row counts."""
    counts: dict[str, int] = {}
    for name, (_, sql) in schema.DERIVED.items():
        conn.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        counts[name] = int(conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
    return counts


def _drop_legacy_views(conn: duckdb.DuckDBPyConnection) -> None:
    """Warehouses written before the enrich stage existed have views where derived tables now go."""
    names = ", ".join(f"'{name}'" for name in schema.DERIVED)
    for (view,) in conn.execute(
        f"SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name IN ({names})"
    ).fetchall():
        conn.execute(f"DROP VIEW {view}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
