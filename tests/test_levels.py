"""Tests for jobpipeline.levels: row labels to a canonical level and a range of years."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpipeline.levels import ExperienceLevel, Level, parse_experience

# label, level, years_min, years_max
CASES = [
    # the article table's row labels
    pytest.param("ジュニア (0-3年)", "junior", 0, 3, id="article-junior-range"),
    pytest.param("ミドル (3-7年)", "mid", 3, 7, id="article-mid-range"),
    pytest.param("シニア (7年以上/リード)", "senior", 7, None, id="article-senior-primary-beats-bracketed"),
    # level words
    pytest.param("リード", "lead", None, None, id="lead-katakana"),
    pytest.param("テックリード（10年以上）", "lead", 10, None, id="tech-lead-fullwidth-parens"),
    pytest.param("新卒", "entry", None, None, id="entry-shinsotsu"),
    pytest.param("未経験OK", "entry", None, None, id="entry-mikeiken"),
    pytest.param("マネージャー", "manager", None, None, id="manager-katakana"),
    pytest.param("中堅 (5年)", "mid", 5, 5, id="mid-chuken-single-year"),
    pytest.param("ベテラン", "senior", None, None, id="senior-veteran"),
    pytest.param("Junior (0-2 years)", "junior", 0, 2, id="english-junior-years"),
    pytest.param("mid-level", "mid", None, None, id="english-mid-level-lowercase"),
    pytest.param("MIDDLE", "mid", None, None, id="english-middle-uppercase"),
    pytest.param("Lead Engineer", "lead", None, None, id="english-lead"),
    pytest.param("Sr. Engineer 5+ years", "senior", 5, None, id="english-sr-plus-years"),
    pytest.param("Senior Manager", "manager", None, None, id="english-compound-head-wins"),
    pytest.param("シニアマネージャー", "manager", None, None, id="compound-head-wins"),
    pytest.param("ジュニア〜ミドル", "junior", None, None, id="first-level-wins"),
    pytest.param("(リード) シニア", "senior", None, None, id="outside-brackets-beats-inside"),
    pytest.param("  ミドル  ", "mid", None, None, id="label-is-stripped"),
    pytest.param("middleware", None, None, None, id="no-level-inside-english-word"),
    # a job named manager is no rank (a PM article's rows read as level manager, above lead)
    pytest.param("プロダクトマネージャー (3-5年)", None, 3, 5, id="product-manager-is-a-job"),
    pytest.param("シニアプロダクトマネージャー", "senior", None, None, id="senior-product-manager-is-senior"),
    pytest.param("リード・プロジェクトマネージャー", "lead", None, None, id="lead-project-manager-is-lead"),
    pytest.param("Senior Product Manager", "senior", None, None, id="english-senior-product-manager"),
    pytest.param("プロダクトマネージャー（マネージャー職）", "manager", None, None, id="a-manager-post-still-counts"),
    pytest.param("エンジニアリングマネージャー", "manager", None, None, id="engineering-manager-is-a-rank"),
    # Japanese titles and the upper rungs of an engineering ladder (they read as no level before)
    pytest.param("課長クラス", "manager", None, None, id="kacho-is-manager"),
    pytest.param("部長 (15年以上)", "manager", 15, None, id="bucho-is-manager"),
    pytest.param("課長代理", "lead", None, None, id="deputy-is-lead"),
    pytest.param("係長", "lead", None, None, id="kakaricho-is-lead"),
    pytest.param("Staff Engineer", "lead", None, None, id="staff-engineer-is-lead"),
    pytest.param("プリンシパル", "lead", None, None, id="principal-is-lead"),
    pytest.param("主任", None, None, None, id="shunin-names-no-level"),
    pytest.param("スタッフ", None, None, None, id="staff-alone-names-no-level"),
    pytest.param("経験年数", None, None, None, id="no-level-no-years"),
    # titles above and around the ladder (a salary row headed `CTO / VPoE` had no level)
    pytest.param("CTO / VPoE", "manager", None, None, id="cto-vpoe-is-manager"),
    pytest.param("ディレクター", "manager", None, None, id="director-is-manager"),
    pytest.param("Head of Data (10年以上)", "manager", 10, None, id="head-of-is-manager"),
    pytest.param("事業責任者", "manager", None, None, id="sekininsha-is-manager"),
    pytest.param("MLOps アーキテクト", "lead", None, None, id="architect-is-lead"),
    pytest.param("シニアアーキテクト", "lead", None, None, id="senior-architect-head-is-lead"),
    pytest.param("チーフエンジニア", "lead", None, None, id="chief-engineer-is-lead"),
    pytest.param("スペシャリスト", "senior", None, None, id="specialist-is-senior"),
    pytest.param("アソシエイト (1-3年)", "junior", 1, 3, id="associate-is-junior"),
    pytest.param("インターン", "entry", None, None, id="intern-katakana-is-entry"),
    pytest.param("VPN運用", None, None, None, id="vp-inside-a-word-is-no-title"),
    pytest.param("CTOS", None, None, None, id="cto-inside-a-word-is-no-title"),
    # years forms
    pytest.param("3年未満", None, 0, 3, id="years-miman-starts-at-zero"),
    pytest.param("〜3年", None, 0, 3, id="years-leading-mark-starts-at-zero"),
    pytest.param("5年目", None, 5, 5, id="years-nenme"),
    pytest.param("10年〜", None, 10, None, id="years-trailing-mark-open"),
    pytest.param("（０〜３年）", None, 0, 3, id="years-fullwidth-digits-and-tilde"),
    pytest.param("1〜3年目", None, 1, 3, id="years-range-nenme"),
    pytest.param("3年〜5年", None, 3, 5, id="years-unit-on-both-ends"),
    pytest.param("1.5年", None, 1, 2, id="years-fraction-widens"),
    pytest.param("2024年入社", None, None, None, id="calendar-year-is-not-experience"),
    # a range written larger first is read in order (and flagged, see test_reversed_years_are_flagged)
    pytest.param("5-3年", None, 3, 5, id="years-reversed-dash-put-in-order"),
    pytest.param("7〜3年", None, 3, 7, id="years-reversed-wave-dash-put-in-order"),
    pytest.param("シニア (10〜7年)", "senior", 7, 10, id="years-reversed-in-brackets"),
    pytest.param("5.5-3.2年", None, 3, 6, id="years-reversed-fraction-widens-outward"),
    # written out as people write them (3年目以降 was 3 … 3, 1年半〜3年 was 1 … 1, 半年 no years)
    pytest.param("3年目以降", None, 3, None, id="years-ikou-is-open"),
    pytest.param("5年以後", None, 5, None, id="years-igo-is-open"),
    pytest.param("1年半〜3年", None, 1, 3, id="years-and-a-half-range"),
    pytest.param("2年半", None, 2, 3, id="years-and-a-half-widens"),
    pytest.param("半年〜1年", None, 0, 1, id="half-a-year-range"),
    pytest.param("シニア (5年半以上)", "senior", 5, None, id="years-and-a-half-open"),
]

# label, years written larger first
REVERSED = [
    pytest.param("5-3年", True, id="dash-reversed"),
    pytest.param("7〜3年", True, id="wave-dash-reversed"),
    pytest.param("1.5~1.2年", True, id="fraction-reversed"),
    pytest.param("3-5年", False, id="ordered"),
    pytest.param("3-3年", False, id="equal-ends"),
    pytest.param("5年目", False, id="single-year"),
    pytest.param("10年〜", False, id="open-up"),
    pytest.param("〜3年", False, id="open-low"),
]


@pytest.mark.parametrize(("label", "level", "years_min", "years_max"), CASES)
def test_parse_experience_table(label: str, level: Level | None, years_min: int | None, years_max: int | None) -> None:
    """Each label reads as the expected level and range of years."""
    parsed = parse_experience(label)
    assert (parsed.level, parsed.years_min, parsed.years_max) == (level, years_min, years_max)
    assert parsed.label == label.strip()


@pytest.mark.parametrize(("label", "reversed_"), REVERSED)
def test_reversed_years_are_flagged(label: str, reversed_: bool) -> None:
    """`years_reversed` is set exactly when the label wrote its range larger number first."""
    assert parse_experience(label).years_reversed is reversed_


def test_reversed_years_in_a_salary_table_warn() -> None:
    """A salary row labelled `5-3年` is kept with years 3 … 5 and a `years-min-gt-max` warning on its line."""
    from conftest import make_article

    from jobpipeline.read import read_article

    text = make_article("alpha", salary=[("ジュニア (0-3年)", "450〜700"), ("ミドル (7〜3年)", "700〜1,100")])
    result = read_article(text.encode(), "a.txt")
    assert result.article is not None
    row = result.article.salary_rows[1]
    assert (row.experience.years_min, row.experience.years_max, row.experience.years_reversed) == (3, 7, True)
    [warning] = [f for f in result.findings if f.code == "years-min-gt-max"]
    assert (warning.severity, warning.field, warning.line) == ("warning", "salary_bands[1]", row.line)
    assert "`3-7年`" in warning.message


def test_table_is_large_and_ids_are_unique() -> None:
    """The case table keeps at least 20 cases, each with its own id."""
    ids = [case.id for case in CASES]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)


def test_experience_level_is_frozen() -> None:
    """ExperienceLevel is immutable."""
    parsed = parse_experience("ジュニア (0-3年)")
    assert isinstance(parsed, ExperienceLevel)
    with pytest.raises(ValueError):
        parsed.level = "senior"  # type: ignore[misc]


_LABELISH = st.text(alphabet="0123456789０３〜~-()（）年目以上未満ジュニアミドルシニアリードSenorLad /", max_size=30)


@settings(max_examples=300, deadline=None)
@given(label=st.one_of(st.text(max_size=60), _LABELISH))
def test_never_raises(label: str) -> None:
    """Any string gives an ExperienceLevel whose years are ordered when both are present."""
    parsed = parse_experience(label)
    assert parsed.label == label.strip()
    assert all(years is None or 0 <= years <= 60 for years in (parsed.years_min, parsed.years_max))
    if parsed.years_min is not None and parsed.years_max is not None:
        assert parsed.years_min <= parsed.years_max
    assert not parsed.years_reversed or parsed.years_max is not None


@settings(max_examples=300, deadline=None)
@given(low=st.integers(0, 60), high=st.integers(0, 60), mark=st.sampled_from(["-", "〜", "~", "から", "－"]))
def test_ranges_read_in_order_whichever_end_comes_first(low: int, high: int, mark: str) -> None:
    """`{a}{mark}{b}年` gives min(a, b) … max(a, b), flagged when a > b."""
    parsed = parse_experience(f"{low}{mark}{high}年")
    assert (parsed.years_min, parsed.years_max, parsed.years_reversed) == (min(low, high), max(low, high), low > high)
