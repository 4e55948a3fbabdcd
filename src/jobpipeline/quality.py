"""Quality checks that need the whole corpus, its history or the date: pure functions on typed values.

Article-level checks give `Finding`s (warnings: the article is kept), written into
`validation_issues` with the others:

- `salary-level-inversion`: within one article, a higher level's band has a lower midpoint than a
  lower level's (level order: `levels.Level`, entry … manager). Closed annual bands only: an open
  band has no midpoint to compare. One finding per inverted band, naming the highest lower level.
- `salary-outlier`: a band's midpoint is far outside its category × level: |robust z| > threshold
  (3.5) where the group has at least `min_bands` (8) closed annual bands. Robust z is
  0.6745 (x − median) / MAD (Iglewicz and Hoaglin); where over half the group share one value
  (MAD 0) it is (x − median) / (1.253314 · mean absolute deviation), and 0 when every value is equal.
- `title-year-stale`: the title claims a year (【2025最新】, 2025年版, 2025年最新) before the current
  year in Asia/Tokyo. "Today" is always passed in, so tests and the schedule agree on it.
- `article-not-updated`: the article's content last changed more than `days` (365) ago (a move or rename is no change).
- `category-variant`: the category is another category spelled differently (`AI-Data`, `ai_data`,
  `ai-data ` for `ai-data`): the most used spelling of the group is the one meant. Each spelling is a
  category of its own in the salary tables and the report, so one article's typo splits its group.

Corpus-level checks compare this run's `CorpusStats` with the previous run's and give one
`QualityCheck` per check (and per category or front matter key), kept with history in
`quality_checks`. Status: `fail` beyond the threshold, `warn` beyond half of it, else `pass`; with
no previous run every check passes (nothing to compare). Front matter keys: one that vanished
fails, one that appeared warns (new fields are often intended).
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

import polars as pl

from jobpipeline import schema
from jobpipeline.levels import Level
from jobpipeline.models import Finding

TOKYO = ZoneInfo("Asia/Tokyo")
LEVEL_ORDER: tuple[str, ...] = get_args(Level)
"""entry < junior < mid < senior < lead < manager, as `levels.Level` declares them."""

CODES: dict[str, str] = {
    "salary-level-inversion": "a higher level's band sits below a lower level's in the same article",
    "salary-outlier": "a band's midpoint is far outside its category and level (robust z-score)",
    "title-year-stale": "the title claims a year before the current one (【2025最新】 in 2026)",
    "article-not-updated": "the article has not changed for longer than the settable number of days",
    "category-variant": "the category is another one spelled differently (case, spaces, - or _)",
}
"""The enrichment's finding codes (all warnings), registered with validate's codes."""

# Φ⁻¹(0.75) and √(π/2): make the MAD and the mean absolute deviation comparable to a standard deviation
# for normal data. One copy, in schema, so `article_salary_position` computes the same score.
MAD_SCALE = schema.MAD_SCALE
MEAN_AD_SCALE = schema.MEAN_AD_SCALE

Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class BandPoint:
    """A closed annual band of a current article, as the checks need it."""

    slug: str
    source_path: str
    ordinal: int
    level: str | None
    category: str | None
    midpoint_yen: int
    line: int | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class ArticleStamp:
    """A current article with its title and when its current content was first loaded."""

    slug: str
    source_path: str
    title: str
    loaded_at: datetime
    line: int | None = None
    category: str | None = None


# -- the article-level checks take columnar data ------------------------------------------------------------
# At 100,000 articles the checks judge ~400,000 bands and 100,000 titles: as Python objects, reading
# and judging them took 4.6 s of CPU (docs/benchmarks.md); as polars frames (DuckDB -> Arrow -> polars)
# the same rules run vectorised and only the flagged rows become Findings.
BAND_COLUMNS: dict[str, pl.DataType] = {
    "slug": pl.String(),
    "source_path": pl.String(),
    "ordinal": pl.Int64(),
    "level": pl.String(),
    "category": pl.String(),
    "midpoint_yen": pl.Int64(),
    "line": pl.Int64(),
}
"""The columns of a bands frame (one row per closed annual band, as `BandPoint`)."""

STAMP_COLUMNS: dict[str, pl.DataType] = {
    "slug": pl.String(),
    "source_path": pl.String(),
    "title": pl.String(),
    "loaded_at": pl.Datetime("us", "UTC"),
    "line": pl.Int64(),
    "category": pl.String(),
}
"""The columns of an articles frame (one row per current article, as `ArticleStamp`)."""

Bands = pl.DataFrame | Iterable[BandPoint]
Stamps = pl.DataFrame | Iterable[ArticleStamp]


def band_frame(bands: Bands) -> pl.DataFrame:
    """`bands` as a frame of BAND_COLUMNS (a frame is cast to them; BandPoints are converted)."""
    if isinstance(bands, pl.DataFrame):
        return bands.select(pl.col(name).cast(kind) for name, kind in BAND_COLUMNS.items())
    rows = [(b.slug, b.source_path, b.ordinal, b.level, b.category, b.midpoint_yen, b.line) for b in bands]
    return pl.DataFrame(rows, schema=BAND_COLUMNS, orient="row")


def stamp_frame(articles: Stamps) -> pl.DataFrame:
    """`articles` as a frame of STAMP_COLUMNS (times in UTC)."""
    if isinstance(articles, pl.DataFrame):
        frame = articles.with_columns(pl.col("loaded_at").dt.convert_time_zone("UTC"))
        if "category" not in frame.columns:  # only category_variants needs it
            frame = frame.with_columns(category=pl.lit(None, pl.String()))
        return frame.select(pl.col(name).cast(kind) for name, kind in STAMP_COLUMNS.items())
    rows = [(a.slug, a.source_path, a.title, a.loaded_at.astimezone(UTC), a.line, a.category) for a in articles]
    return pl.DataFrame(rows, schema=STAMP_COLUMNS, orient="row")


def _man(yen: int) -> str:
    return f"{yen / 10_000:,.0f}万円"


# -- salary-level-inversion ---------------------------------------------------------------------------------
_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}


def level_inversions(bands: Bands) -> list[Finding]:
    """Bands whose midpoint is below that of a lower level in the same article (ordered by slug, level, ordinal)."""
    ranked = (
        band_frame(bands)
        .filter(pl.col("level").is_in(LEVEL_ORDER))
        .with_columns(rank=pl.col("level").replace_strict(_RANK, return_dtype=pl.Int64))
        .sort("slug", "rank", "midpoint_yen")
    )
    # An article has an inversion exactly when, its bands sorted by level then midpoint, one band is
    # below the band before it at a lower level: one sort and a comparison with the previous row
    # finds the few such articles, and only those are judged in full (~5x less work at 100,000).
    previous = pl.col("slug").shift(1)
    suspect = (
        (pl.col("slug") == previous)
        & (pl.col("rank") > pl.col("rank").shift(1))
        & (pl.col("midpoint_yen") < pl.col("midpoint_yen").shift(1))
    )
    ranked = ranked.filter(pl.col("slug").is_in(ranked.filter(suspect)["slug"].implode()))
    # Per article and level, the top midpoint; "below" a level is the highest top of the lower levels,
    # named by the lowest level that reached it (a running maximum over the levels in order).
    tops = (
        ranked.group_by("slug", "rank")
        .agg(top=pl.col("midpoint_yen").max(), top_level=pl.col("level").first())
        .sort("slug", "rank")
        .with_columns(best=pl.col("top").cum_max().over("slug"))
        .with_columns(below=pl.col("best").shift(1).over("slug"))
        .with_columns(
            best_level=pl.when(pl.col("below").is_null() | (pl.col("top") > pl.col("below")))
            .then(pl.col("top_level"))
            .forward_fill()
            .over("slug")
        )
        .with_columns(below_level=pl.col("best_level").shift(1).over("slug"))
    )
    inverted = (
        ranked.join(tops.select("slug", "rank", "below", "below_level"), on=["slug", "rank"])
        .filter(pl.col("midpoint_yen") < pl.col("below"))
        .sort("slug", "rank", "ordinal")
    )
    return [
        _band_warning(
            band,
            "salary-level-inversion",
            f"the {band['level']} band (midpoint {_man(band['midpoint_yen'])}) sits below "
            f"the {band['below_level']} band (midpoint {_man(band['below'])}): check the rows' order and figures",
        )
        for band in inverted.iter_rows(named=True)
    ]


def _band_warning(band: dict[str, Any], code: str, message: str) -> Finding:
    """A warning about one salary band, from a row of a band frame."""
    return Finding(
        source_path=band["source_path"],
        line=band["line"],
        slug=band["slug"],
        severity="warning",
        code=code,
        field=f"salary_bands[{band['ordinal']}]",
        message=message,
    )


# -- salary-outlier -----------------------------------------------------------------------------------------
def robust_z_scores(values: Sequence[float]) -> list[float]:
    """Robust z-score of each value within `values` (see the module docstring for the formula)."""
    if not values:
        return []
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return [MAD_SCALE * (v - median) / mad for v in values]
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return [(v - median) / (MEAN_AD_SCALE * mean_ad) for v in values]
    return [0.0 for _ in values]


def salary_outliers(bands: Bands, threshold: float = 3.5, min_bands: int = 8) -> list[Finding]:
    """Bands with |robust z| > `threshold` within their category × level, in groups of ≥ `min_bands`.

    The same score as `robust_z_scores`, per group: midpoints are whole yen, so medians, deviations
    and their sums are exact in floating point and the vectorised figures equal the Python ones."""
    group = ["category", "level"]
    mid = pl.col("midpoint_yen")
    scored = (
        band_frame(bands)
        .with_columns(group_bands=pl.len().over(group), median=mid.median().over(group))
        .filter(pl.col("group_bands") >= min_bands)
        .with_columns(deviation=(mid - pl.col("median")).abs())
        .with_columns(mad=pl.col("deviation").median().over(group), mean_ad=pl.col("deviation").mean().over(group))
        .with_columns(
            z=pl.when(pl.col("mad") > 0)
            .then(MAD_SCALE * (mid - pl.col("median")) / pl.col("mad"))
            .when(pl.col("mean_ad") > 0)
            .then((mid - pl.col("median")) / (MEAN_AD_SCALE * pl.col("mean_ad")))
            .otherwise(0.0)
        )
        .filter(pl.col("z").abs() > threshold)
    )
    findings = [
        _band_warning(
            band,
            "salary-outlier",
            f"midpoint {_man(band['midpoint_yen'])} is far from the {band['category'] or '(none)'} "
            f"{band['level'] or '(unknown level)'} median {_man(round(band['median']))} (robust z {band['z']:+.1f}, "
            f"{band['group_bands']} bands): check the figures and their unit",
        )
        for band in scored.iter_rows(named=True)
    ]
    return sorted(findings, key=lambda f: (f.source_path, f.field or ""))


# -- title-year-stale ---------------------------------------------------------------------------------------
# `[\s\x1c-\x1f]` is Python's `\s`; polars' (Rust's) `\s` leaves out those four separators.
_WS = r"[\s\x1c-\x1f]"
_YEAR = r"(?:19|20)\d\d"
_TITLE_YEAR = (
    # 【2025最新】, 【2025年12月最新】, 【2025/12更新】, 【2025年度版】, (2025最新)
    rf"[【(]{_WS}*(?P<a>{_YEAR}){_WS}*(?:年{_WS}*(?:度{_WS}*)?)?(?:[/.]?{_WS}*\d{{1,2}}{_WS}*月?{_WS}*)?"
    rf"(?:最新|版|更新){_WS}*版?{_WS}*[】)]"
    # 【最新2025】, 【最新 2025年版】
    rf"|[【(]{_WS}*最新{_WS}*(?P<c>{_YEAR}){_WS}*(?:年{_WS}*(?:度{_WS}*)?)?版?{_WS}*[】)]"
    # 2024年版, 2023年最新, 2025年度版 outside brackets
    rf"|(?P<b>{_YEAR}){_WS}*年{_WS}*(?:度{_WS}*)?(?:版|最新)"
)
"""The year a title claims to be current for, in the ways Japanese titles write it (`【2025年12月最新】` was
not read, so a title two years old raised no `title-year-stale`). `【2025年卒】` claims nothing."""


def title_years(titles: pl.Series) -> pl.Series:
    """The year each title claims to be current for (`【2025最新】…` → 2025; null when it claims none).

    Titles compare after NFKC (full-width digits and brackets), with `[…]` read as `【…】`."""
    normal = (
        titles.cast(pl.String)
        .str.normalize("NFKC")
        .str.replace_all("[", "【", literal=True)
        .str.replace_all("]", "】", literal=True)
    )
    found = normal.str.extract_groups(_TITLE_YEAR).struct.unnest()
    digits = found["a"].fill_null(found["c"]).fill_null(found["b"])
    years = digits.str.to_integer(strict=False)
    if years.null_count() > digits.null_count():
        # `\d` matched digits of another script (20٢٥): Python reads them, polars does not.
        years = pl.Series([None if d is None else int(d) for d in digits], dtype=pl.Int64)
    return years.alias("year")


def title_year(title: str) -> int | None:
    """The year a title claims to be current for: `【2025最新】…` → 2025; None when it claims none."""
    year = title_years(pl.Series([title]))[0]
    return None if year is None else int(year)


def tokyo_today(now: datetime) -> date:
    """The date in Asia/Tokyo at `now` (aware): the articles' readers' calendar."""
    return now.astimezone(TOKYO).date()


def stale_titles(articles: Stamps, today: date) -> list[Finding]:
    """Articles whose title claims a year before `today`'s (a date in Asia/Tokyo)."""
    frame = stamp_frame(articles)
    stale = frame.with_columns(title_years(frame["title"])).filter(pl.col("year") < today.year)
    return [
        Finding(
            source_path=article["source_path"],
            line=article["line"],
            slug=article["slug"],
            severity="warning",
            code="title-year-stale",
            field="title",
            message=f"the title claims {article['year']} but it is {today.year} in Japan: "
            "update the article and its title's year",
        )
        for article in stale.iter_rows(named=True)
    ]


# -- category-variant -----------------------------------------------------------------------------------------
def category_key(category: str) -> str:
    """What the spellings of one category share: width, case, spaces, `-` and `_` aside.

    >>> category_key(" AI_Data "), category_key("ａｉ－ｄａｔａ")
    ('aidata', 'aidata')
    """
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", category)).lower()


def category_variants(articles: Stamps) -> list[Finding]:
    """Articles whose category is another spelling of a category more articles use (ties: the spelling that
    is already lowercase and trimmed, then the first in order)."""
    frame = stamp_frame(articles).filter(pl.col("category").is_not_null())
    # Keyed over the distinct spellings only (a corpus has tens): 100,000 articles are one group_by.
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for category, articles_using in frame.group_by("category").len().iter_rows():
        spellings[category_key(category)][category] = articles_using
    meant: dict[str, tuple[str, int]] = {}
    for counts in spellings.values():
        if len(counts) > 1:
            best = min(counts, key=lambda c: (-counts[c], c != c.strip().lower(), c))
            meant.update({c: (best, counts[best]) for c in counts if c != best})
    return [
        Finding(
            source_path=article["source_path"],
            line=None,
            slug=article["slug"],
            severity="warning",
            code="category-variant",
            field="category",
            message=_variant_message(article["category"], *meant[article["category"]]),
        )
        for article in frame.filter(pl.col("category").is_in(list(meant))).iter_rows(named=True)
    ]


def _variant_message(category: str, best: str, users: int) -> str:
    written = "1 article writes" if users == 1 else f"{users} articles write"
    return (
        f"category {category!r} is `{best}` spelled differently ({written} `{best}`): write it so, or the "
        "salary tables count this article apart"
    )


# -- article-not-updated ------------------------------------------------------------------------------------
def not_updated(articles: Stamps, now: datetime, days: int = 365) -> list[Finding]:
    """Articles whose current content was first loaded more than `days` days before `now`."""
    limit = now - timedelta(days=days)
    old = stamp_frame(articles).filter(pl.col("loaded_at") < limit)
    return [
        Finding(
            source_path=a["source_path"],
            slug=a["slug"],
            severity="warning",
            code="article-not-updated",
            message=f"unchanged since {a['loaded_at'].astimezone(TOKYO):%Y-%m-%d} "
            f"({(now - a['loaded_at']).days} days, over {days}): review it",
        )
        for a in old.iter_rows(named=True)
    ]


# -- corpus-level checks -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusStats:
    """What the corpus-level checks compare run over run."""

    articles: int
    rejected_share: float
    """Rejected files as a percentage of files seen (0-100)."""
    dangling_links: int
    category_medians: dict[str, float] = field(default_factory=dict)
    """Median closed annual band midpoint per category (yen)."""
    front_matter_keys: dict[str, int] = field(default_factory=dict)
    """Articles having each front matter key."""


@dataclass(frozen=True)
class Thresholds:
    """When a corpus-level check fails (the `check_*` settings)."""

    article_drop_pct: float = 10.0
    rejected_share_points: float = 5.0
    category_median_pct: float = 15.0
    dangling_up_pct: float = 20.0


@dataclass(frozen=True)
class QualityCheck:
    """One corpus-level check's result (a `quality_checks` row without the run and time)."""

    check: str
    subject: str | None
    status: Status
    value: float | None
    """The measured change (percent or points; for keys: +1 appeared, -1 vanished, 0 unchanged)."""
    threshold: float | None
    observed: float
    """This run's measure (what the next run compares with)."""
    message: str


def _graded(change: float, threshold: float) -> Status:
    return "fail" if change > threshold else "warn" if change > threshold / 2 else "pass"


def _pct_change(old: float, new: float) -> float:
    return 0.0 if old == new else (100.0 * (new - old) / old if old else 100.0)


def corpus_checks(previous: CorpusStats | None, current: CorpusStats, limits: Thresholds) -> list[QualityCheck]:
    """Compare `current` with the `previous` run's stats (None: the first run, nothing to compare)."""
    checks: list[QualityCheck] = []

    def add(check: str, change: float | None, threshold: float, observed: float, text: str, sub: str | None) -> None:
        status: Status = "pass" if change is None else _graded(change, threshold)
        checks.append(QualityCheck(check, sub, status, change, threshold, observed, text))

    drop = None if previous is None else max(0.0, -_pct_change(previous.articles, current.articles))
    add(
        "article-count-drop",
        drop,
        limits.article_drop_pct,
        current.articles,
        f"{current.articles} articles" + ("" if previous is None else f" (was {previous.articles}: {drop:.1f}% fewer)"),
        None,
    )
    rise = None if previous is None else current.rejected_share - previous.rejected_share
    add(
        "rejected-share-up",
        rise,
        limits.rejected_share_points,
        current.rejected_share,
        f"{current.rejected_share:.1f}% of files rejected"
        + ("" if previous is None else f" (was {previous.rejected_share:.1f}%)"),
        None,
    )
    for category in sorted(current.category_medians):
        median = current.category_medians[category]
        old = None if previous is None else previous.category_medians.get(category)
        move = None if old is None else abs(_pct_change(old, median))
        add(
            "category-median-move",
            move,
            limits.category_median_pct,
            median,
            f"{category}: median midpoint {_man(round(median))}"
            + ("" if old is None else f" (was {_man(round(old))}: {move:.1f}% apart)"),
            category,
        )
    up = None if previous is None else max(0.0, _pct_change(previous.dangling_links, current.dangling_links))
    add(
        "dangling-links-up",
        up,
        limits.dangling_up_pct,
        current.dangling_links,
        f"{current.dangling_links} dangling related_jobs links"
        + ("" if previous is None else f" (was {previous.dangling_links})"),
        None,
    )
    old_keys = set(current.front_matter_keys) if previous is None else set(previous.front_matter_keys)
    for key in sorted(old_keys | set(current.front_matter_keys)):
        if key not in current.front_matter_keys:
            checks.append(
                QualityCheck("schema-drift", key, "fail", -1.0, None, 0.0, f"front matter key `{key}` vanished")
            )
        elif key not in old_keys:
            count = current.front_matter_keys[key]
            checks.append(
                QualityCheck(
                    "schema-drift",
                    key,
                    "warn",
                    1.0,
                    None,
                    count,
                    f"front matter key `{key}` appeared ({count} articles)",
                )
            )
        else:
            count = current.front_matter_keys[key]
            unchanged = None if previous is None else 0.0
            checks.append(
                QualityCheck("schema-drift", key, "pass", unchanged, None, count, f"`{key}` in {count} articles")
            )
    return checks


def previous_stats(rows: Iterable[tuple[str, str | None, float]]) -> CorpusStats | None:
    """Rebuild the previous run's CorpusStats from its checks' (check, subject, observed); None if none."""
    listed = list(rows)
    if not listed:
        return None
    single = {check: observed for check, subject, observed in listed if subject is None}
    return CorpusStats(
        articles=int(single.get("article-count-drop", 0)),
        rejected_share=float(single.get("rejected-share-up", 0.0)),
        dangling_links=int(single.get("dangling-links-up", 0)),
        category_medians={s: o for c, s, o in listed if c == "category-median-move" and s is not None},
        front_matter_keys={s: int(o) for c, s, o in listed if c == "schema-drift" and s is not None and o > 0},
    )
