"""The warehouse contract: every table and column, described once.

DDL, the polars schemas used to stage rows, `jobpipeline tables` and the table reference in docs/tables.md
are all generated from these specs, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    per_article: bool = False
    """Rows derived from one article and replaced together when it changes (keyed by slug)."""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def names_without(self, *names: str) -> list[str]:
        """Column names in order, leaving out `names` (columns stamped at load time)."""
        return [c.name for c in self.columns if c.name not in names]

    def columns_ddl(self, *without: str) -> str:
        """`name TYPE, ...` of the columns, leaving out `without` (for staging tables)."""
        return ", ".join(f"{c.name} {c.type}" for c in self.columns if c.name not in without)


def _c(name: str, type_: str, description: str) -> Column:
    return Column(name, type_, description)


LINEAGE = (
    _c("source_path", "VARCHAR", "Seed file the row came from, relative to the seeds folder."),
    _c("content_hash", "VARCHAR", "sha256 of that file's bytes when the row was read."),
    _c("run_id", "INTEGER", "Run that loaded the row (see `runs`)."),
)
_SLUG = _c("slug", "VARCHAR", "Article slug (key of `articles`).")
_ORDINAL = _c("ordinal", "INTEGER", "0-based position within the article.")
_LINE = _c("line", "INTEGER", "1-based line in the source file.")

ARTICLES = TableSpec(
    "articles",
    "One row per accepted article. `is_current` is false while the article's file is broken and "
    "these rows are its last known good version.",
    (
        _SLUG,
        _c("title", "VARCHAR", "Page title."),
        _c("category", "VARCHAR", "Site category, e.g. `ai-data`."),
        _c("meta_description", "VARCHAR", "Search-engine description."),
        _c("thumbnail", "VARCHAR", "Thumbnail image path."),
        _c("hero_image", "VARCHAR", "Hero image path."),
        _c("body_chars", "INTEGER", "Length of the Markdown body in characters."),
        _c("section_count", "INTEGER", "Number of sections (headings)."),
        _c("extra_fields", "VARCHAR", "Front matter fields the schema does not know, as JSON."),
        _c("is_current", "BOOLEAN", "False when the file is now invalid and this is the last known good."),
        *LINEAGE,
    ),
    per_article=True,
)
SALARY_BANDS = TableSpec(
    "salary_bands",
    "The estimated-salary table, one row per experience level, in yen.",
    (
        _SLUG,
        _ORDINAL,
        _c("level", "VARCHAR", "Canonical level: entry, junior, mid, senior, lead, manager (NULL: unknown)."),
        _c("level_label", "VARCHAR", "The row label as written, e.g. ジュニア (0-3年)."),
        _c("years_min", "INTEGER", "Fewest years of experience (NULL: not stated)."),
        _c("years_max", "INTEGER", "Most years of experience (NULL: open or not stated)."),
        _c("min_yen", "BIGINT", "Lower bound in yen (NULL: open lower end or no figure)."),
        _c("max_yen", "BIGINT", "Upper bound in yen (NULL: open upper end or no figure)."),
        _c("min_open", "BOOLEAN", "The lower end is open (`以下`, `〜800万`)."),
        _c("max_open", "BOOLEAN", "The upper end is open (`1,800+`, `以上`, `超`)."),
        _c("basis", "VARCHAR", "annual, monthly, hourly, daily or unknown."),
        _c("raw", "VARCHAR", "The salary cell as written (a range in two columns, 下限 and 上限, joined: `450〜700`)."),
        _c("midpoint_yen", "BIGINT", "(min_yen + max_yen) / 2 where both ends exist."),
        _c("note", "VARCHAR", "The row's other cells (特徴)."),
        _LINE,
        *LINEAGE,
        _c(
            "plausible",
            "BOOLEAN",
            "false: a figure is outside the plausible range for its basis (the `salary-implausible` finding "
            "names it); the band stays here but is left out of every salary aggregate, check and chart.",
        ),
    ),
    per_article=True,
)
RELATED_JOB_LINKS = TableSpec(
    "related_job_links",
    "`related_jobs` entries as written (the `related_jobs` view adds whether each resolves).",
    (_SLUG, _ORDINAL, _c("related_slug", "VARCHAR", "The slug named in related_jobs."), _LINE, *LINEAGE),
    per_article=True,
)
SECTIONS = TableSpec(
    "sections",
    "Every heading of every article (level 0 is the text before the first heading).",
    (
        _SLUG,
        _ORDINAL,
        _c("level", "INTEGER", "Heading level 1-6; 0 for the preamble."),
        _c("title", "VARCHAR", "Heading text."),
        _c("char_count", "INTEGER", "Characters of Markdown under the heading."),
        _LINE,
        *LINEAGE,
    ),
    per_article=True,
)
SKILLS = TableSpec(
    "skills",
    "Rows of the skills tables (hard and soft skills).",
    (
        _SLUG,
        _ORDINAL,
        _c("skill_group", "VARCHAR", "Section the table sits under, e.g. 技術スキル（ハードスキル）."),
        _c("name", "VARCHAR", "Skill name."),
        _c("description", "VARCHAR", "What the skill covers."),
        _LINE,
        *LINEAGE,
    ),
    per_article=True,
)
TOOLS = TableSpec(
    "tools",
    "Tool names read from the tools table, with a canonical name for counting.",
    (
        _SLUG,
        _ORDINAL,
        _c("name", "VARCHAR", "Tool name as written."),
        _c("canonical_name", "VARCHAR", "Canonical name: `Kubernetes (K8s)` and `k8s` are both `Kubernetes`."),
        _c("tool_category", "VARCHAR", "The tools table's category cell, e.g. CI/CDツール."),
        _LINE,
        *LINEAGE,
    ),
    per_article=True,
)
CAREER_STAGES = TableSpec(
    "career_stages",
    "Rows of the career-path table.",
    (
        _SLUG,
        _ORDINAL,
        _c("stage", "VARCHAR", "Stage label as written."),
        _c("level", "VARCHAR", "Canonical level read from the label (NULL: unknown)."),
        _c("responsibilities", "VARCHAR", "主な役割と責任."),
        _c("outlook", "VARCHAR", "今後の展望."),
        _LINE,
        *LINEAGE,
    ),
    per_article=True,
)
INTERVIEW_QUESTIONS = TableSpec(
    "interview_questions",
    "Rows of the interview-questions table.",
    (
        _SLUG,
        _ORDINAL,
        _c("question", "VARCHAR", "The question, without its number."),
        _c("answer_points", "VARCHAR", "回答のポイント."),
        _LINE,
        *LINEAGE,
    ),
    per_article=True,
)
TAGS = TableSpec(
    "tags",
    "Front matter tags and the recommended hashtags at the end of the article.",
    (
        _SLUG,
        _ORDINAL,
        _c("tag", "VARCHAR", "Tag as written (a hashtag without its `#`)."),
        _c("canonical_tag", "VARCHAR", "Canonical form for counting (NFKC, known aliases folded)."),
        _c("origin", "VARCHAR", "`front_matter` (tags field) or `hashtag` (推奨タグ list)."),
        *LINEAGE,
    ),
    per_article=True,
)
KEYWORDS = TableSpec(
    "keywords",
    "Front matter keywords.",
    (_SLUG, _ORDINAL, _c("keyword", "VARCHAR", "Keyword as written."), *LINEAGE),
    per_article=True,
)
FILES = TableSpec(
    "files",
    "Every seed file seen, with what change detection and the corpus checks need.",
    (
        _c("source_path", "VARCHAR", "Path relative to the seeds folder."),
        _c("size", "BIGINT", "Size in bytes at the last read."),
        _c("mtime_ns", "BIGINT", "Modification time (ns) at the last read."),
        _c("content_hash", "VARCHAR", "sha256 of the bytes last parsed."),
        _c("claimed_slug", "VARCHAR", "Slug in the front matter (NULL when unreadable)."),
        _c("slug_line", "INTEGER", "Line of the slug field."),
        _c("parse_ok", "BOOLEAN", "The file passed every per-file check (before corpus checks)."),
        _c("related_jobs", "VARCHAR[]", "related_jobs as written."),
        _c("related_lines", "INTEGER[]", "Line of each related_jobs entry."),
        _c("status", "VARCHAR", "accepted, rejected or duplicate (after corpus checks)."),
        _c("changed_run_id", "INTEGER", "Run that last read a new version of the file."),
        _c(
            "read_ns",
            "BIGINT",
            "When the file was last read (ns since the epoch). An mtime less than 2 s older than this is "
            "'racily clean' (a later save of the same size may keep the same mtime), so the next run hashes "
            "the file again; NULL (a warehouse from before this column) counts as racy.",
        ),
        _c(
            "reader",
            "VARCHAR",
            "Fingerprint of the jobpipeline code and parsing libraries that read this version of the file. A run "
            "reads again every file another reader read (after an upgrade), whatever its size and mtime say; "
            "NULL (a warehouse from before this column) counts as another reader.",
        ),
    ),
)
FILE_FINDINGS = TableSpec(
    "file_findings",
    "Per-file findings of each file's current version (kept until the file changes).",
    (
        _c("source_path", "VARCHAR", "Seed file."),
        _c("content_hash", "VARCHAR", "sha256 of the version the finding describes."),
        _c("run_id", "INTEGER", "Run that found it."),
        _LINE,
        _c("slug", "VARCHAR", "Slug claimed by the file, if readable."),
        _c("severity", "VARCHAR", "error or warning."),
        _c("code", "VARCHAR", "Stable finding code (see docs/findings.md)."),
        _c("field", "VARCHAR", "Field or part concerned."),
        _c("message", "VARCHAR", "What is wrong and how to fix it."),
    ),
)
VALIDATION_ISSUES = TableSpec(
    "validation_issues",
    "All findings of the latest run: per file, corpus-wide and last-known-good notices.",
    (
        _c("run_id", "INTEGER", "The run whose findings these are."),
        _c("source_path", "VARCHAR", "Seed file."),
        _c("slug", "VARCHAR", "Slug claimed by the file, if readable."),
        _c("severity", "VARCHAR", "error or warning."),
        _c("code", "VARCHAR", "Stable finding code (see docs/findings.md)."),
        _c("field", "VARCHAR", "Field or part concerned."),
        _LINE,
        _c("message", "VARCHAR", "What is wrong and how to fix it."),
        _c("content_hash", "VARCHAR", "sha256 of the file version the finding describes."),
    ),
)
RUNS = TableSpec(
    "runs",
    "One row per run, committed with the run's data.",
    (
        _c("run_id", "INTEGER", "Increasing run number."),
        _c("started_at", "TIMESTAMPTZ", "When the run started."),
        _c("finished_at", "TIMESTAMPTZ", "When the run committed."),
        _c("status", "VARCHAR", "`ok` or `ok_with_rejections`."),
        _c(
            "trigger",
            "VARCHAR",
            "What started it: cli or revalidate (commands); schedule, event or manual (deployments).",
        ),
        _c("seeds_dir", "VARCHAR", "Seeds folder (absolute)."),
        _c("files_seen", "INTEGER", "Seed files discovered."),
        _c("files_new", "INTEGER", "Files not seen before."),
        _c("files_changed", "INTEGER", "Files new or with new content."),
        _c("files_unchanged", "INTEGER", "Files with the same content as before."),
        _c("files_deleted", "INTEGER", "Files gone since the previous run."),
        _c("files_rejected", "INTEGER", "Files with at least one error."),
        _c("articles_loaded", "INTEGER", "Articles whose rows were (re)written."),
        _c("articles_removed", "INTEGER", "Articles removed from the current tables."),
        _c("articles_kept_last_good", "INTEGER", "Articles whose file is broken, kept as last known good."),
        _c("errors", "INTEGER", "Error findings."),
        _c("warnings", "INTEGER", "Warning findings."),
        _c("stage_seconds", "VARCHAR", "Seconds per stage, as JSON."),
        _c("flow_run_id", "VARCHAR", "Prefect flow run id when run through Prefect."),
    ),
)
BAND_VALUE_COLUMNS: tuple[str, ...] = (
    "level",
    "level_label",
    "years_min",
    "years_max",
    "min_yen",
    "max_yen",
    "min_open",
    "max_open",
    "basis",
    "raw",
)
"""The columns of a band that make a version: a band whose values all match is unchanged (no new history row)."""

SALARY_BAND_HISTORY = TableSpec(
    "salary_band_history",
    "Every version each band has had: open rows (`valid_to` NULL) are the current ones.",
    (
        _SLUG,
        _ORDINAL,
        *(c for c in SALARY_BANDS.columns if c.name in BAND_VALUE_COLUMNS),
        _c(
            "source_path",
            "VARCHAR",
            "Seed file this version was first read from (a rename alone opens no new version).",
        ),
        _c(
            "content_hash",
            "VARCHAR",
            "sha256 of the file that introduced this version (later edits elsewhere in it keep the row).",
        ),
        _c("valid_from", "INTEGER", "Run that introduced this version."),
        _c("valid_to", "INTEGER", "Run that replaced or removed it (NULL: still current)."),
    ),
)
ARTICLE_HISTORY = TableSpec(
    "article_history",
    "Every version of every article (by content hash), with the runs it was valid between.",
    (
        _SLUG,
        _c("title", "VARCHAR", "Title of that version."),
        _c("category", "VARCHAR", "Category of that version."),
        _c("source_path", "VARCHAR", "Seed file of this version."),
        _c("content_hash", "VARCHAR", "sha256 of the file version."),
        _c("valid_from", "INTEGER", "Run that loaded this version."),
        _c("valid_to", "INTEGER", "Run that replaced or removed it (NULL: still current)."),
    ),
)

QUALITY_CHECKS = TableSpec(
    "quality_checks",
    "Corpus-level checks of every run and enrichment, kept with history: compare a run's row with the one before.",
    (
        _c("run_id", "INTEGER", "Run (or enrichment) that made the check (see `runs`)."),
        _c("checked_at", "TIMESTAMPTZ", "When it was checked."),
        _c(
            "check_name",
            "VARCHAR",
            "article-count-drop, rejected-share-up, category-median-move, dangling-links-up or schema-drift.",
        ),
        _c("subject", "VARCHAR", "The category (category-median-move) or front matter key (schema-drift); else NULL."),
        _c("status", "VARCHAR", "pass, warn (beyond half the threshold; a key appeared) or fail."),
        _c("value", "DOUBLE", "The change measured against the previous run (percent or points; NULL: first run)."),
        _c("threshold", "DOUBLE", "Where the check fails (the `JOBPIPELINE_CHECK_*` settings)."),
        _c(
            "observed",
            "DOUBLE",
            "This run's measure: articles, rejected %, median yen, dangling links, articles with the key.",
        ),
        _c("message", "VARCHAR", "The check in words."),
    ),
)

STAGED_FILE_COLUMNS = FILES.names_without("status", "changed_run_id")
"""What a read records of a file (`rows.FileVersion`); status and changed_run_id are decided at load."""
STAGED_FINDING_COLUMNS = FILE_FINDINGS.names_without("run_id")
"""A finding as staged (`file_findings` without the run that found it)."""
TOUCHED_COLUMNS = ("source_path", "size", "mtime_ns", "read_ns")
"""A file whose bytes are unchanged but was read again (size or mtime moved, racy, --verify): only these
columns are updated."""

ARTICLE_TABLES: tuple[TableSpec, ...] = (
    ARTICLES,
    SALARY_BANDS,
    RELATED_JOB_LINKS,
    SECTIONS,
    SKILLS,
    TOOLS,
    CAREER_STAGES,
    INTERVIEW_QUESTIONS,
    TAGS,
    KEYWORDS,
)
TABLES: tuple[TableSpec, ...] = (
    *ARTICLE_TABLES,
    FILES,
    FILE_FINDINGS,
    VALIDATION_ISSUES,
    RUNS,
    SALARY_BAND_HISTORY,
    ARTICLE_HISTORY,
    QUALITY_CHECKS,
)
BY_NAME = {spec.name: spec for spec in TABLES}

PLAUSIBLE = "coalesce(b.plausible, true)"
"""SQL: the band `b` may be counted. A band with a figure outside the plausible range (45,000〜70,000 under a
万円 header: 7億円) stayed in every median, percentile and outlier group and moved them by hundreds of
millions of yen. NULL (a row read before the column existed, until the upgrade's first run reads it again)
counts."""

VIEWS: dict[str, tuple[str, str]] = {
    "related_jobs": (
        "Related-job links with `resolved`: the target slug exists in `articles`.",
        """SELECT l.slug, l.ordinal, l.related_slug, a.slug IS NOT NULL AS resolved,
                  coalesce(a.is_current, false) AS target_is_current, l.line, l.source_path, l.content_hash,
                  l.run_id
           FROM related_job_links l LEFT JOIN articles a ON a.slug = l.related_slug""",
    ),
    "salary_by_category_level": (
        "Count, min, median and max of band midpoints per category and level (annual, plausible bands).",
        f"""SELECT a.category, b.level, count(b.midpoint_yen) AS bands,
                  min(b.midpoint_yen) AS min_midpoint_yen,
                  CAST(median(b.midpoint_yen) AS BIGINT) AS median_midpoint_yen,
                  max(b.midpoint_yen) AS max_midpoint_yen
           FROM salary_bands b JOIN articles a USING (slug)
           WHERE b.basis = 'annual' AND {PLAUSIBLE}
           GROUP BY a.category, b.level ORDER BY a.category, b.level""",
    ),
    # The published datasets a run names are queryable by those names (`query "SELECT * FROM tag_counts"` was
    # "Table with name tag_counts does not exist! Did you mean pg_constraint?").
    "tag_counts": (
        "How many articles use each canonical tag: in all, in their front matter tags, among their hashtags.",
        """SELECT canonical_tag AS tag, count(DISTINCT slug) AS articles,
                  count(DISTINCT slug) FILTER (WHERE origin = 'front_matter') AS as_tag,
                  count(DISTINCT slug) FILTER (WHERE origin = 'hashtag') AS as_hashtag
           FROM tags GROUP BY canonical_tag""",
    ),
    "tool_counts": (
        "How many articles name each canonical tool, and the spellings they use.",
        """SELECT canonical_name AS tool, count(DISTINCT slug) AS articles,
                  list(DISTINCT name ORDER BY name) AS spellings
           FROM tools GROUP BY canonical_name""",
    ),
    "validation_report": (
        "Every finding of the latest run (`validation_issues` under the name of its published dataset).",
        "SELECT * FROM validation_issues",
    ),
}


SKILL_MIN_ARTICLES = 5
"""`salary_by_skill` shows a tool or tag at a level only when this many articles back it."""
MAD_SCALE = 0.6745
MEAN_AD_SCALE = 1.253314
"""The robust z-score's constants; jobpipeline.quality computes the same score in Python."""

ANNUAL_BANDS = f"""SELECT a.category, b.level, b.slug, b.ordinal, b.source_path, b.line,
                          coalesce(b.min_open, false) OR coalesce(b.max_open, false) AS open_end,
                          CASE WHEN NOT coalesce(b.min_open, false) AND NOT coalesce(b.max_open, false)
                               THEN b.midpoint_yen END AS closed_midpoint
                   FROM salary_bands b JOIN articles a USING (slug) WHERE b.basis = 'annual' AND {PLAUSIBLE}"""
"""Annual, plausible bands with their article's category; `closed_midpoint` is NULL for a band with an open end."""

ANNUAL_BANDS_TABLE = "tmp_annual_bands"
"""The temp table `rebuild_derived` fills from ANNUAL_BANDS once, for the three derived tables that read
it (each joined salary_bands with articles again: ~0.1 s apiece at 100,000 articles)."""


def _histogram_quantile(p: float) -> str:
    """SQL: `quantile_cont` at `p` from a histogram (value `v`, count `w`, running count `upto`, total `n`).

    The element at 0-based position i is the smallest v whose running count exceeds i; linear
    interpolation between positions floor(h) and ceil(h), h = (n - 1) p, is what quantile_cont does.
    """
    h = f"((n - 1) * {p})"
    low = f"min(v) FILTER (WHERE upto > floor({h}))"
    high = f"min(v) FILTER (WHERE upto > ceil({h}))"
    return f"CAST({low} + ({h} - floor({h})) * ({high} - {low}) AS DOUBLE)"


_BENCHMARK_PERCENTILES = (10, 25, 50, 75, 90)

_HISTOGRAM_QUARTILES = ", ".join(f"{_histogram_quantile(p)} AS p{round(p * 100)}_yen" for p in (0.25, 0.5, 0.75))
"""salary_by_skill's quartiles from (value, count) pairs. quantile_cont over the tool-or-tag x band join
(~110 rows an article) held every value and ran out of the writer's 256 MB at 100,000 articles; counted
values aggregate in a hash table that spills, and give the same figures (tests/test_enrichment.py)."""

DERIVED: dict[str, tuple[str, str]] = {
    "related_graph": (
        "Per article: links out, links in from other articles, and links that resolve.",
        """SELECT a.slug, a.category,
                  coalesce(o.out_degree, 0) AS out_degree,
                  coalesce(o.resolved_out, 0) AS resolved_out_degree,
                  coalesce(i.in_degree, 0) AS in_degree
           FROM articles a
           LEFT JOIN (SELECT slug, count(*) AS out_degree, count(*) FILTER (WHERE resolved) AS resolved_out
                      FROM related_jobs GROUP BY slug) o ON o.slug = a.slug
           LEFT JOIN (SELECT related_slug, count(DISTINCT slug) AS in_degree FROM related_job_links
                      WHERE related_slug <> slug GROUP BY related_slug) i ON i.related_slug = a.slug""",
    ),
    "missing_articles": (
        "Slugs that articles link to but nobody has written, ranked by demand (what to write next).",
        """SELECT related_slug AS slug, count(DISTINCT slug) AS wanted_by,
                  list(DISTINCT slug ORDER BY slug) AS wanted_by_slugs
           FROM related_jobs WHERE NOT resolved AND regexp_full_match(related_slug, '[a-z][a-z0-9_]*')
           GROUP BY related_slug ORDER BY wanted_by DESC, slug""",
    ),
    "salary_benchmarks": (
        "Per category × level, and per level over the whole corpus (`category` NULL, `whole_corpus` true): "
        "articles, annual bands, p10/p25/p50/p75/p90 of closed annual band midpoints (`quantile_cont`, linear "
        "interpolation; NULL without a closed band) and `open_share`, the share of the group's annual bands with "
        "an open end.",
        # One quantile_cont with a list of quantiles sorts each group once, not five times.
        f"""WITH q AS (
             SELECT category, level, grouping(category) = 1 AS whole_corpus,
                    count(DISTINCT slug) AS n_articles, count(*) AS n_bands,
                    count(closed_midpoint) AS n_closed_bands,
                    quantile_cont(closed_midpoint, [{", ".join(f"0.{p:02d}" for p in _BENCHMARK_PERCENTILES)}]) AS p,
                    avg(CASE WHEN open_end THEN 1.0 ELSE 0.0 END) AS open_share
             FROM {ANNUAL_BANDS_TABLE} GROUP BY GROUPING SETS ((category, level), (level)))
           SELECT category, level, whole_corpus, n_articles, n_bands, n_closed_bands,
                  {", ".join(f"p[{i + 1}] AS p{p}_yen" for i, p in enumerate(_BENCHMARK_PERCENTILES))}, open_share
           FROM q""",
    ),
    "salary_by_skill": (
        f"Per canonical tool (`kind` tool) and canonical tag (`kind` tag) and level, where at least "
        f"{SKILL_MIN_ARTICLES} articles name it and have a closed annual band at that level: articles, bands and "
        "p25/p50/p75 of those bands' midpoints.",
        # Articles and names are numbered first: the join of every article's names with its bands (~110
        # rows an article) then groups integers, not strings (4.3 s -> 1.0 s at 100,000 articles, no spill).
        f"""WITH art AS (SELECT slug, CAST(row_number() OVER () AS INTEGER) AS id
                        FROM (SELECT DISTINCT slug FROM articles)),
           b AS (SELECT art.id, x.level, x.closed_midpoint AS v FROM {ANNUAL_BANDS_TABLE} x JOIN art USING (slug)
                 WHERE x.closed_midpoint IS NOT NULL),
           names AS (SELECT kind, name, CAST(row_number() OVER () AS INTEGER) AS nid FROM (
                       SELECT DISTINCT 'tool' AS kind, canonical_name AS name FROM tools
                       WHERE canonical_name IS NOT NULL
                       UNION ALL
                       SELECT DISTINCT 'tag', canonical_tag FROM tags WHERE canonical_tag IS NOT NULL)),
           named AS (SELECT DISTINCT n.nid, art.id FROM tools t JOIN art USING (slug)
                       JOIN names n ON n.kind = 'tool' AND n.name = t.canonical_name
                     UNION ALL
                     SELECT DISTINCT n.nid, art.id FROM tags t JOIN art USING (slug)
                       JOIN names n ON n.kind = 'tag' AND n.name = t.canonical_tag),
           hist AS (SELECT n.nid, b.level, b.v, count(*) AS w FROM named n JOIN b USING (id) GROUP BY ALL),
           -- Articles = bands, less the few articles with more than one band at a level: counting them
           -- from a second join of every name with every article's levels cost ~0.4 s at 100,000.
           multi AS (SELECT id, level, count(*) - 1 AS extra FROM b GROUP BY id, level HAVING count(*) > 1),
           extras AS (SELECT n.nid, m.level, sum(m.extra) AS extra FROM named n JOIN multi m USING (id) GROUP BY ALL),
           counted AS (SELECT t.nid, t.level, t.n_bands - coalesce(e.extra, 0) AS n_articles, t.n_bands
                       FROM (SELECT nid, level, sum(w) AS n_bands FROM hist GROUP BY ALL) t
                       LEFT JOIN extras e USING (nid, level)
                       WHERE t.n_bands - coalesce(e.extra, 0) >= {SKILL_MIN_ARTICLES}),
           cum AS (SELECT h.*, sum(w) OVER (PARTITION BY nid, level ORDER BY v) AS upto,
                          c.n_articles, c.n_bands AS n
                   FROM hist h JOIN counted c USING (nid, level)),
           q AS (SELECT nid, level, CAST(n_articles AS BIGINT) AS n_articles, CAST(n AS BIGINT) AS n_bands,
                        {_HISTOGRAM_QUARTILES}
                 FROM cum GROUP BY nid, level, n_articles, n)
           SELECT names.kind, names.name, q.level, q.n_articles, q.n_bands, q.p25_yen, q.p50_yen, q.p75_yen
           FROM q JOIN names USING (nid)""",
    ),
    "article_salary_position": (
        "Per closed annual band: its percentile rank (0-1, `percent_rank`) within its category × level, its robust "
        "z-score (0.6745 (x − median) / MAD; the mean absolute deviation when the MAD is 0) and `outlier`: "
        "|z| beyond `JOBPIPELINE_OUTLIER_Z` in a group of at least `JOBPIPELINE_OUTLIER_MIN_BANDS` bands "
        "(what `salary-outlier` reports).",
        # Group figures as aggregates joined back, and ranks from a count of each value: windows over
        # every band sorted each group's full rows three times (0.82 s -> 0.53 s at 100,000 articles).
        # percent_rank is (rank - 1) / (n - 1): the bands of the group below this value over n - 1.
        f"""WITH b AS (SELECT * FROM {ANNUAL_BANDS_TABLE} WHERE closed_midpoint IS NOT NULL),
           g AS (SELECT category, level, CAST(row_number() OVER () AS INTEGER) AS gid, count(*) AS group_bands,
                        quantile_cont(closed_midpoint, 0.5) AS group_median
                 FROM b GROUP BY ALL),
           bg AS (SELECT b.*, g.gid, g.group_bands, g.group_median,
                         abs(b.closed_midpoint - g.group_median) AS deviation
                  FROM b JOIN g ON b.category IS NOT DISTINCT FROM g.category AND b.level IS NOT DISTINCT FROM g.level),
           s AS (SELECT gid, quantile_cont(deviation, 0.5) AS group_mad, avg(deviation) AS group_mean_ad
                 FROM bg GROUP BY gid),
           h AS (SELECT gid, closed_midpoint, count(*) AS c FROM bg GROUP BY ALL),
           r AS (SELECT gid, closed_midpoint, sum(c) OVER (PARTITION BY gid ORDER BY closed_midpoint) - c AS below
                 FROM h),
           z AS (SELECT bg.*,
                        CASE WHEN group_bands > 1 THEN CAST(r.below AS DOUBLE) / (group_bands - 1) ELSE 0.0 END
                          AS percentile_rank,
                        CASE WHEN group_mad > 0 THEN {MAD_SCALE} * (closed_midpoint - group_median) / group_mad
                             WHEN group_mean_ad > 0
                             THEN (closed_midpoint - group_median) / ({MEAN_AD_SCALE} * group_mean_ad)
                             ELSE 0.0 END AS robust_z
                 FROM bg JOIN s USING (gid) JOIN r USING (gid, closed_midpoint))
           SELECT slug, ordinal, category, level, closed_midpoint AS midpoint_yen, group_bands,
                  group_median AS group_median_yen, percentile_rank, robust_z,
                  group_bands >= $outlier_min_bands AND abs(robust_z) > $outlier_z AS outlier,
                  source_path, line
           FROM z""",
    ),
}
"""Tables the enrich stage rebuilds from the current tables at the end of every load."""


@dataclass(frozen=True)
class Dataset:
    """A published dataset: a query over the warehouse written as one Parquet file."""

    name: str
    description: str
    sql: str


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "articles",
        "Accepted articles (is_current false: last known good kept while the file is broken).",
        """SELECT a.*, coalesce(g.out_degree, 0) AS related_out, coalesce(g.in_degree, 0) AS related_in,
                      (SELECT count(*) FROM salary_bands b WHERE b.slug = a.slug) AS salary_bands
               FROM articles a LEFT JOIN related_graph g USING (slug) ORDER BY a.slug""",
    ),
    Dataset(
        "salary_bands",
        "Salary bands, flat, with the article's title and category (`plausible` false: left out of every aggregate).",
        """SELECT b.slug, a.title, a.category, a.is_current, b.ordinal, b.level, b.level_label, b.years_min,
                      b.years_max, b.min_yen, b.max_yen, b.min_open, b.max_open, b.midpoint_yen, b.basis, b.raw,
                      b.source_path, b.content_hash, b.run_id, b.plausible
               FROM salary_bands b JOIN articles a USING (slug) ORDER BY b.slug, b.ordinal""",
    ),
    Dataset(
        "salary_by_category_level",
        "Count, min, median and max of band midpoints by category and level (annual, plausible bands).",
        "SELECT * FROM salary_by_category_level",
    ),
    Dataset(
        "salary_benchmarks",
        "Percentiles of closed annual band midpoints per category and level, and per level for the whole corpus.",
        "SELECT * FROM salary_benchmarks ORDER BY whole_corpus, category NULLS LAST, level NULLS LAST",
    ),
    Dataset(
        "salary_by_skill",
        "Quartiles of band midpoints per canonical tool or tag and level (at least 5 articles).",
        "SELECT * FROM salary_by_skill ORDER BY kind, name, level NULLS LAST",
    ),
    Dataset(
        "article_salary_position",
        "Each closed annual band's percentile rank and robust z-score within its category and level.",
        "SELECT * FROM article_salary_position ORDER BY slug, ordinal",
    ),
    Dataset(
        "quality_checks",
        "Corpus-level checks of every run, with history.",
        "SELECT * FROM quality_checks ORDER BY run_id, check_name, subject NULLS FIRST",
    ),
    Dataset(
        "related_jobs",
        "The related-job graph: one row per link, with whether the target exists.",
        """SELECT r.slug, r.related_slug, r.resolved, r.target_is_current, r.ordinal, r.line, r.source_path
               FROM related_jobs r ORDER BY r.slug, r.ordinal""",
    ),
    Dataset(
        "missing_articles",
        "Slugs linked to but not written, ranked by how many articles want them.",
        "SELECT * FROM missing_articles",
    ),
    Dataset(
        "tag_counts",
        "How many articles use each canonical tag (front matter tags and hashtags).",
        "SELECT * FROM tag_counts ORDER BY articles DESC, tag",
    ),
    Dataset(
        "tool_counts",
        "How many articles name each canonical tool.",
        "SELECT * FROM tool_counts ORDER BY articles DESC, tool",
    ),
    Dataset(
        "validation_report",
        "Every finding of the latest run.",
        "SELECT * FROM validation_report ORDER BY severity, source_path, line NULLS FIRST, code",
    ),
)


def ddl() -> str:
    """CREATE statements for every table and view (idempotent)."""
    return table_ddl() + "\n" + view_ddl()


def table_ddl() -> str:
    """CREATE statements for the tables that are missing (an existing table keeps its columns)."""
    statements = []
    for spec in TABLES:
        columns = ",\n  ".join(f"{c.name} {c.type}" for c in spec.columns)
        statements.append(f"CREATE TABLE IF NOT EXISTS {spec.name} (\n  {columns}\n);")
    return "\n".join(statements)


def view_ddl() -> str:
    """CREATE OR REPLACE statements for every view: after the tables have every column the views read."""
    return "\n".join(f"CREATE OR REPLACE VIEW {name} AS {sql};" for name, (_, sql) in VIEWS.items())


_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.Utf8(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "BOOLEAN": pl.Boolean(),
    "VARCHAR[]": pl.List(pl.Utf8()),
    "INTEGER[]": pl.List(pl.Int32()),
    "TIMESTAMPTZ": pl.Datetime("us", "UTC"),
    "DOUBLE": pl.Float64(),
}


def polars_schema(spec: TableSpec, *, without: tuple[str, ...] = ("run_id",)) -> dict[str, pl.DataType]:
    """The polars schema of `spec`'s rows as staged (run_id is stamped at load time)."""
    return {c.name: _POLARS_TYPES[c.type] for c in spec.columns if c.name not in without}


def markdown_reference() -> str:
    """The table reference of docs/tables.md, generated so it cannot drift from the DDL."""
    parts: list[str] = []
    for spec in TABLES:
        parts.append(f"#### `{spec.name}`\n\n{spec.description}\n\n| column | type | meaning |\n|---|---|---|")
        parts.extend(f"| `{c.name}` | {c.type} | {c.description.replace('|', '/')} |" for c in spec.columns)
        parts.append("")
    parts.append(
        "#### Derived tables (rebuilt by the enrich stage of every run) and views\n\n"
        "| name | kind | what it gives |\n|---|---|---|"
    )
    parts.extend(f"| `{name}` | derived table | {description} |" for name, (description, _) in DERIVED.items())
    parts.extend(f"| `{name}` | view | {description} |" for name, (description, _) in VIEWS.items())
    return "\n".join(parts) + "\n"
