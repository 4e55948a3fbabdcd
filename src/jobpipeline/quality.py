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
- `article-not-updated`: the article's current version was loaded more than `days` (365) ago.

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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

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
    """A current article with its title and when its current version was loaded."""

    slug: str
    source_path: str
    title: str
    loaded_at: datetime
    line: int | None = None


def _man(yen: int) -> str:
    return f"{yen / 10_000:,.0f}万円"


# -- salary-level-inversion ---------------------------------------------------------------------------------
def level_inversions(bands: Iterable[BandPoint]) -> list[Finding]:
    """Bands whose midpoint is below that of a lower level in the same article."""
    by_slug: dict[str, list[BandPoint]] = defaultdict(list)
    for band in bands:
        if band.level in LEVEL_ORDER:
            by_slug[band.slug].append(band)
    findings: list[Finding] = []
    for slug in sorted(by_slug):
        by_rank: dict[int, list[BandPoint]] = defaultdict(list)
        for band in by_slug[slug]:
            by_rank[LEVEL_ORDER.index(band.level or "")].append(band)
        below: BandPoint | None = None  # the highest midpoint among the lower levels seen so far
        for rank in sorted(by_rank):
            for band in sorted(by_rank[rank], key=lambda b: b.ordinal):
                if below is not None and band.midpoint_yen < below.midpoint_yen:
                    findings.append(
                        Finding(
                            source_path=band.source_path,
                            line=band.line,
                            slug=slug,
                            severity="warning",
                            code="salary-level-inversion",
                            field=f"salary_bands[{band.ordinal}]",
                            message=f"the {band.level} band (midpoint {_man(band.midpoint_yen)}) sits below "
                            f"the {below.level} band (midpoint {_man(below.midpoint_yen)}): "
                            "check the rows' order and figures",
                        )
                    )
            top = max(by_rank[rank], key=lambda b: b.midpoint_yen)
            if below is None or top.midpoint_yen > below.midpoint_yen:
                below = top
    return findings


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


def salary_outliers(bands: Iterable[BandPoint], threshold: float = 3.5, min_bands: int = 8) -> list[Finding]:
    """Bands with |robust z| > `threshold` within their category × level, in groups of ≥ `min_bands`."""
    groups: dict[tuple[str | None, str | None], list[BandPoint]] = defaultdict(list)
    for band in bands:
        groups[(band.category, band.level)].append(band)
    findings: list[Finding] = []
    for (category, level), group in groups.items():
        if len(group) < min_bands:
            continue
        median = statistics.median(b.midpoint_yen for b in group)
        for band, z in zip(group, robust_z_scores([b.midpoint_yen for b in group]), strict=True):
            if abs(z) > threshold:
                findings.append(
                    Finding(
                        source_path=band.source_path,
                        line=band.line,
                        slug=band.slug,
                        severity="warning",
                        code="salary-outlier",
                        field=f"salary_bands[{band.ordinal}]",
                        message=f"midpoint {_man(band.midpoint_yen)} is far from the {category or '(none)'} "
                        f"{level or '(unknown level)'} median {_man(round(median))} (robust z {z:+.1f}, "
                        f"{len(group)} bands): check the figures and their unit",
                    )
                )
    return sorted(findings, key=lambda f: (f.source_path, f.field or ""))


# -- title-year-stale ---------------------------------------------------------------------------------------
_TITLE_YEAR = re.compile(r"(?:【\s*(?P<a>(?:19|20)\d\d)\s*年?\s*最新\s*】|(?P<b>(?:19|20)\d\d)\s*年\s*(?:版|最新))")


def title_year(title: str) -> int | None:
    """The year a title claims to be current for: `【2025最新】…` → 2025; None when it claims none."""
    match = _TITLE_YEAR.search(unicodedata.normalize("NFKC", title).replace("[", "【").replace("]", "】"))
    if match is None:
        return None
    return int(match.group("a") or match.group("b"))


def tokyo_today(now: datetime) -> date:
    """The date in Asia/Tokyo at `now` (aware): the articles' readers' calendar."""
    return now.astimezone(TOKYO).date()


def stale_titles(articles: Iterable[ArticleStamp], today: date) -> list[Finding]:
    """Articles whose title claims a year before `today`'s (a date in Asia/Tokyo)."""
    findings: list[Finding] = []
    for article in articles:
        year = title_year(article.title)
        if year is not None and year < today.year:
            findings.append(
                Finding(
                    source_path=article.source_path,
                    line=article.line,
                    slug=article.slug,
                    severity="warning",
                    code="title-year-stale",
                    field="title",
                    message=f"the title claims {year} but it is {today.year} in Japan: "
                    "update the article and its title's year",
                )
            )
    return findings


# -- article-not-updated ------------------------------------------------------------------------------------
def not_updated(articles: Iterable[ArticleStamp], now: datetime, days: int = 365) -> list[Finding]:
    """Articles whose current version was loaded more than `days` days before `now`."""
    limit = now - timedelta(days=days)
    return [
        Finding(
            source_path=a.source_path,
            slug=a.slug,
            severity="warning",
            code="article-not-updated",
            message=f"unchanged since {a.loaded_at.astimezone(TOKYO):%Y-%m-%d} "
            f"({(now - a.loaded_at).days} days, over {days}): review it",
        )
        for a in articles
        if a.loaded_at < limit
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
