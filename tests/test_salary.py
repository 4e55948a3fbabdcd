"""Tests for jobpipeline.salary: a table of salary forms, real job-posting strings, and properties.

Real-world strings are marked `real:` with where they were seen (quoted in stored public pages and
repositories; job boards change their pages, so the exact listing may be gone).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from _pytest.mark import ParameterSet
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpipeline.salary import Basis, YenBand, basis_from_text, normalize_salary, unit_from_header

M = 10_000  # 1万円
NO_FIG = ("salary-no-figure",)

HELLO_WORK_NENPO = (
    "年俸 2,800,000円~4,200,000円 a 基本給(月額平均)又は時間額 200,000円~300,000円 "
    "b 定額的に支払われる手当 a + b 200,000円~300,000円 c その他の手当等付記事項 "
    "月額表示=(年俸)2800K円~4200K円/14で計算 (2か月分は賞与として支給)"
)
HELLO_WORK_KAIGO = (
    "ａ ＋ ｂ（固定残業代がある場合はａ ＋ ｂ ＋ ｃ）145,000円〜165,000円 "
    "基本給（ａ）基本給（月額平均）又は時間額 145,000円〜165,000円 定額的に支払われる手当（ｂ）- "
    "固定残業代（ｃ）なし その他の手当等付記事項（ｄ）・当直手当 5,500円/回 ・介護福祉士 5,000円/月"
)

U = "万円"  # the article header's unit
Y = ("salary-implausible",)
AMB = ("salary-ambiguous",)


def case(
    case_id: str,
    text: str,
    low: int | None,
    high: int | None,
    basis: Basis = "unknown",
    *,
    unit: str | None = None,
    hint: Basis | None = None,
    opened: str = "",
    codes: tuple[str, ...] = (),
) -> ParameterSet:
    """One table row; `opened` is "min" or "max" for an open end."""
    min_open, max_open = opened == "min", opened == "max"
    return pytest.param(text, unit, hint, low, high, min_open, max_open, basis, codes, id=case_id)


CASES = [
    # --- worked examples from the issue (header 年収範囲 (万円)) -----------------------------------
    case("worked-range-header-unit", "450〜700", 450 * M, 700 * M, "annual", unit=U, hint="annual"),
    case("worked-range-comma", "700〜1,100", 700 * M, 1100 * M, "annual", unit=U, hint="annual"),
    case(
        "worked-plus-on-upper-keeps-max",
        "1,100〜1,800+",
        1100 * M,
        1800 * M,
        "annual",
        unit=U,
        hint="annual",
        opened="max",
    ),
    case("worked-ijou-open-upper", "1,000万円以上", 1000 * M, None, "annual", unit=U, hint="annual", opened="max"),
    case("worked-chou-open-upper", "2,000万超", 2000 * M, None, "annual", unit=U, hint="annual", opened="max"),
    case("worked-bare-lower-steps-down-from-oku", "2,000〜1億", 2000 * M, 10**8, "annual", unit=U, hint="annual"),
    # --- units -------------------------------------------------------------------------------------
    case("unit-none-single-figure-uses-header", "600", 600 * M, 600 * M, unit=U),
    case("unit-en", "300,000円", 300_000, 300_000),
    case("unit-sen-en", "4,500千円", 4_500_000, 4_500_000),
    case("unit-man", "450万", 450 * M, 450 * M),
    case("unit-man-en", "450万円", 450 * M, 450 * M),
    case("unit-oku", "1億", 10**8, 10**8),
    case("unit-oku-en", "1億円", 10**8, 10**8),
    case("unit-mixed-oku-man", "1億2,000万", 120_000_000, 120_000_000),
    case("unit-mixed-oku-man-range", "1億2,000万円〜1億5,000万円", 120_000_000, 150_000_000),
    case("unit-decimal-oku", "1.5億", 150_000_000, 150_000_000),
    case("unit-decimal-exact-with-header", "450.5", 4_505_000, 4_505_000, unit=U),
    case("unit-decimal-exact-in-cell", "450.5万円", 4_505_000, 4_505_000),
    case("unit-commas-yen-both-ends", "1,200,000円〜1,500,000円", 1_200_000, 1_500_000),
    case("unit-header-sen-en", "6,500", 6_500_000, 6_500_000, "annual", unit="千円", hint="annual"),
    case("unit-header-en", "250,000", 250_000, 250_000, "monthly", unit="円", hint="monthly"),
    case("unit-in-cell-beats-header", "4,500〜6,000万", 4500 * M, 6000 * M, unit="千円"),
    # --- full width ----------------------------------------------------------------------------------
    case("fullwidth-digits-and-wave-dash", "４５０～６５０", 450 * M, 650 * M, unit=U),
    case("fullwidth-digits-wave-dash-301c", "４５０〜６５０万円", 450 * M, 650 * M),
    case("fullwidth-comma-and-plus", "１，１００～１，８００＋", 1100 * M, 1800 * M, unit=U, opened="max"),
    case(
        "fullwidth-space-paren-note-open-upper",
        "年収　４５０万円～（経験による）",
        450 * M,
        None,
        "annual",
        opened="max",
    ),
    # --- range marks ---------------------------------------------------------------------------------
    case("mark-tilde", "450~650", 450 * M, 650 * M, unit=U),
    case("mark-hyphen", "450-650", 450 * M, 650 * M, unit=U),
    case("mark-en-dash", "450–650", 450 * M, 650 * M, unit=U),
    case("mark-em-dash", "450—650", 450 * M, 650 * M, unit=U),
    case("mark-minus-sign", "450−650", 450 * M, 650 * M, unit=U),
    case("mark-kara", "450から650", 450 * M, 650 * M, unit=U),
    case("mark-long-vowel-between-digits", "450ー650万", 450 * M, 650 * M),
    case("units-on-both-ends", "400万円〜600万円", 400 * M, 600 * M),
    case("unit-only-at-end", "420-650万", 420 * M, 650 * M),
    case("spaces-around-mark-and-unit", "400 〜 600 万円", 400 * M, 600 * M),
    # --- open ends -------------------------------------------------------------------------------------
    case("open-plus-single", "1,800+", 1800 * M, None, unit=U, opened="max"),
    case("open-trailing-mark", "500万〜", 500 * M, None, opened="max"),
    case("open-trailing-kara", "500万円から", 500 * M, None, opened="max"),
    case("open-leading-mark", "〜800万", None, 800 * M, opened="min"),
    case("open-ika", "800万円以下", None, 800 * M, opened="min"),
    case("open-miman-keeps-exclusive-bound", "800万円未満", None, 800 * M, opened="min"),
    case("open-made", "800万円まで", None, 800 * M, opened="min"),
    case("open-marker-on-range-upper", "300万円〜500万円以上", 300 * M, 500 * M, opened="max"),
    case("open-prefix-saitei", "最低20万円", 200_000, None, opened="max"),
    case("open-prefix-saidai", "最大800万円", None, 800 * M, opened="min"),
    case("open-plus-alpha", "1,100〜1,800万+α", 1100 * M, 1800 * M, opened="max"),
    case("open-wo-koeru", "2,000万円を超える", 2000 * M, None, opened="max"),
    # --- basis words -------------------------------------------------------------------------------
    case("basis-nenshu", "年収600万円", 600 * M, 600 * M, "annual"),
    case("basis-nenpo", "年俸600万円", 600 * M, 600 * M, "annual"),
    case("basis-gekkyu", "月給25万円", 250_000, 250_000, "monthly"),
    case("basis-gesshu", "月収30万円", 300_000, 300_000, "monthly"),
    case("basis-jikyu", "時給1,200円", 1200, 1200, "hourly"),
    case("basis-nikkyu", "日給10,000円", 10_000, 10_000, "daily"),
    case("basis-per-month-suffix", "30万円/月", 300_000, 300_000, "monthly"),
    case("basis-word-in-cell-beats-hint", "月給30万円", 300_000, 300_000, "monthly", hint="annual"),
    case("basis-word-after-figures", "450〜700 (年収)", 450 * M, 700 * M, "annual", unit=U),
    case("basis-conflict-settled-by-size", "年俸制（12分割） 月額 30万円", 300_000, 300_000, "monthly"),
    # --- kanji numerals, K and 千 multipliers, approximations --------------------------------------------
    case("kanji-gohyakuman", "五百万円", 500 * M, 500 * M),
    case("kanji-ichiman", "一万", 10_000, 10_000),
    case("kanji-sennihyakuman", "千二百万", 1200 * M, 1200 * M),
    case("kanji-range", "年収五百万〜八百万円", 500 * M, 800 * M, "annual"),
    case("k-multiplier-is-thousand", "450K", 450_000, 450_000),
    case("sen-multiplier-decimal", "3.5千円", 3500, 3500),
    case("approx-yaku", "約500万円", 500 * M, 500 * M),
    case("approx-teido", "500万円程度", 500 * M, 500 * M),
    case("approx-kurai", "500万円くらい", 500 * M, 500 * M),
    case("yen-sign-prefix", "¥300,000", 300_000, 300_000),
    # --- no figure -------------------------------------------------------------------------------------
    case("nofig-soudan", "応相談", None, None, "annual", unit=U, hint="annual", codes=NO_FIG),
    case("nofig-keiken", "経験による", None, None, codes=NO_FIG),
    case("nofig-empty", "", None, None, unit=U, codes=NO_FIG),
    case("nofig-dash-only", "-", None, None, unit=U, codes=NO_FIG),
    case("nofig-keeps-basis-word", "時給応相談", None, None, "hourly", codes=NO_FIG),
    case("nofig-bonus-only", "賞与年2回", None, None, codes=NO_FIG),
    case("nofig-example-pay-only", "年収例 520万円／入社2年目", None, None, codes=NO_FIG),
    case("nofig-model-pay-only", "モデル年収 600万円", None, None, codes=NO_FIG),
    case("nofig-ages-only", "年齢 25歳〜35歳", None, None, codes=NO_FIG),
    case("nofig-hours-only", "(1)08時30分〜17時00分", None, None, codes=NO_FIG),
    # --- warnings ----------------------------------------------------------------------------------------
    case(
        "warn-min-gt-max-kept-as-written",
        "700〜450",
        700 * M,
        450 * M,
        "annual",
        unit=U,
        hint="annual",
        codes=("salary-min-gt-max",),
    ),
    case("warn-implausible-annual-too-low", "45〜70", 450_000, 700_000, "annual", unit=U, hint="annual", codes=Y),
    case("warn-implausible-annual-too-high", "年収10億円", 10**9, 10**9, "annual", codes=Y),
    case("warn-implausible-monthly", "月給3万円", 30_000, 30_000, "monthly", codes=Y),
    case("warn-implausible-hourly", "時給100,000円", 100_000, 100_000, "hourly", codes=Y),
    case("warn-implausible-daily", "日給1,000円", 1000, 1000, "daily", codes=Y),
    case("warn-no-unit-anywhere-reads-yen", "450〜700", 450, 700, codes=("salary-unit-assumed", *Y)),
    case(
        "warn-unknown-header-unit",
        "450〜700",
        450,
        700,
        "annual",
        unit="ドル",
        hint="annual",
        codes=("salary-unit-unknown", "salary-unit-assumed", *Y),
    ),
    # --- job-posting text: labels, notes, several figures --------------------------------------------------
    case("posting-label-soutei-nenshu", "想定年収：500万円～800万円", 500 * M, 800 * M, "annual"),
    case("posting-label-lenticular-brackets", "【年収】400万円〜600万円", 400 * M, 600 * M, "annual"),
    case("posting-yearly-conversion-note-skipped", "月給30万円（年収420万円〜）", 300_000, 300_000, "monthly"),
    case("posting-monthly-breakdown-note-skipped", "年収 1200万円（月給100万円×12）", 1200 * M, 1200 * M, "annual"),
    case("posting-ages-and-hours-skipped", "25歳〜35歳 月給25万円〜30万円 実働8時間", 250_000, 300_000, "monthly"),
    case("posting-allowance-words-after-pay", "月給25万円 残業手当別途", 250_000, 250_000, "monthly"),
    case(
        "posting-kome-note-probation-skipped",
        "月給25万円以上 ※試用期間3ヶ月は月給22万円",
        250_000,
        None,
        "monthly",
        opened="max",
    ),
    case("posting-overtime-included-still-pay", "固定残業代込み 30万円", 300_000, 300_000),
    case("posting-overtime-amount-is-not-pay", "固定残業代 5万円", None, None, codes=NO_FIG),
    case("posting-clock-times-skipped", "９：００～１８：００ 時給１，２００円", 1200, 1200, "hourly"),
    case("posting-kanji-place-name-not-a-figure", "千葉県 月給25万円", 250_000, 250_000, "monthly"),
    case("posting-dates-skipped", "2024年4月入社 月給25万円", 250_000, 250_000, "monthly"),
    case("posting-two-pay-figures-ambiguous", "①月給25万円 ②時給1,200円", 250_000, 250_000, "monthly", codes=AMB),
    case(
        "posting-annual-and-monthly-first-wins",
        "年収 500万～900万円 / 月給 35万～60万円",
        500 * M,
        900 * M,
        "annual",
        codes=AMB,
    ),
    case(
        "posting-basis-hint-picks-candidate",
        "年収：500万円〜800万円　月給：31万円〜50万円",
        310_000,
        500_000,
        "monthly",
        hint="monthly",
    ),
    # --- real strings (source in the comment above each) ---------------------------------------------
    # real: carejinzaibank.com job list, 給与 field
    case("real-carejinzaibank-gekkyu-range", "月給:207,500円 ~ 260,500円", 207_500, 260_500, "monthly"),
    # real: carejinzaibank.com job list, bracket label and hyphen range
    case("real-carejinzaibank-bracket-label-hyphen", "【月給】168,000-248,400円", 168_000, 248_400, "monthly"),
    # real: get-baito.com (介護福祉士 鹿児島県) listing
    case("real-get-baito-jikyu-open", "時給1,300円〜", 1300, None, "hourly", opened="max"),
    case("real-get-baito-nikkyu-open", "日給24,300円〜", 24_300, None, "daily", opened="max"),
    # real: tensyoku.wakai-boki.com article quoting a public job board
    case("real-wakai-boki-kyuyo-ijou", "給与:20万円以上", 200_000, None, opened="max"),
    # real: mynavi posting guideline (mynavi20252 mirror), its allowed and disallowed examples
    case("real-mynavi-guideline-spaced-units", "月給 23 万円~30 万円", 230_000, 300_000, "monthly"),
    case("real-mynavi-guideline-teido", "月給 18 万~25 万円程度", 180_000, 250_000, "monthly"),
    case("real-mynavi-guideline-yaku", "時給約 900 円", 900, 900, "hourly"),
    # real: paiza business FAQ, fixed-overtime posting template
    case("real-paiza-gekkyu-includes-overtime", "月給:約33万〜41万円(固定残業代を含む)", 330_000, 410_000, "monthly"),
    case(
        "real-paiza-overtime-line-is-not-pay",
        "固定残業代:45時間分、約9万~12万円(超過分は別途支給)",
        None,
        None,
        codes=NO_FIG,
    ),
    # real: e2e mock of en-japan / doda / indeed / Hello Work pages in a public GitHub repo
    case(
        "real-en-japan-mock-bonus-skipped",
        "月給28万円～42万円＋賞与年2回（昨年度実績：5ヶ月分）",
        280_000,
        420_000,
        "monthly",
    ),
    case(
        "real-doda-mock-overtime-note-skipped",
        "月給30万円（固定残業代：月40時間分、7万円を含む。超過分は別途支給）",
        300_000,
        300_000,
        "monthly",
    ),
    case("real-indeed-mock-gekkyu", "月給 28万円 ~ 30万円", 280_000, 300_000, "monthly"),
    case(
        "real-hellowork-mock-equal-ends-monthly-by-size",
        "基本給（月額平均）又は時間額 164,900円〜164,900円",
        164_900,
        164_900,
        "monthly",
    ),
    # real: Hello Work listing mirrored on hello-a.jp (年俸 job, K円 figures in the notes)
    case("real-hellowork-nenpo-and-monthly-ambiguous", HELLO_WORK_NENPO, 2_800_000, 4_200_000, "annual", codes=AMB),
    case("real-hellowork-nenpo-monthly-hint", HELLO_WORK_NENPO, 200_000, 300_000, "monthly", hint="monthly"),
    case("real-hellowork-k-yen", "2800K円~4200K円", 2_800_000, 4_200_000),
    # real: Hello Work listing in a public GitHub repo's page mock (介護職員, 熊本県荒尾市)
    case("real-hellowork-kaigo-allowances-skipped", HELLO_WORK_KAIGO, 145_000, 165_000, "monthly"),
    # Hello Work field shapes quoted in the issue
    case(
        "hellowork-kihonkyu-monthly-by-size",
        "a 基本給（月額平均）又は時間額 200,000円〜250,000円",
        200_000,
        250_000,
        "monthly",
    ),
    case("hellowork-kihonkyu-hourly-by-size", "a 基本給（月額平均）又は時間額 1,050円〜1,200円", 1050, 1200, "hourly"),
    case("hellowork-jikangaku", "時間額 1,050円〜1,200円", 1050, 1200, "hourly"),
    case("hellowork-gekkyu", "月給 180,000円〜230,000円", 180_000, 230_000, "monthly"),
    # invisible characters copied from web pages, and Windows line ends: they hid the open end after `+`
    case("zero-width-space-after-plus", "1,800+\u200b", 18_000_000, None, unit="万円", opened="max"),
    case("carriage-return-after-plus", "1,800+\r", 18_000_000, None, unit="万円", opened="max"),
    case("zero-width-space-inside-a-figure", "4\u200b50〜7\u00ad00", 4_500_000, 7_000_000, unit="万円"),
    # `N台`, the N range: it was read as N exactly (年収400万円台 was 4,000,000 … 4,000,000)
    case("decade", "年収400万円台", 400 * M, 500 * M, "annual"),
    case("decade-thousands", "1,000万円台", 1000 * M, 2000 * M),
    case("decade-latter-half", "年収400万円台後半", 450 * M, 500 * M, "annual"),
    case("decade-first-half", "月給20万円台前半", 200_000, 250_000, "monthly"),
    case("decade-of-a-two-digit-figure", "月給25万円台", 250_000, 260_000, "monthly"),
    case("decade-oku", "1億円台", 100_000_000, 200_000_000),
    case("decade-as-lower-bound", "800万円台から", 800 * M, None, opened="max"),
    case("decade-as-upper-bound", "500万〜1,000万円台", 500 * M, 2000 * M),
    case("decade-latter-half-as-lower-bound", "時給2,000円台後半〜6,000円", 2_500, 6_000, "hourly"),
    case("dai-counting-machines-is-no-decade", "月給30万円 PC2台支給", 300_000, 300_000, "monthly"),
]


@pytest.mark.parametrize(
    ("text", "unit", "basis", "min_yen", "max_yen", "min_open", "max_open", "expected_basis", "codes"), CASES
)
def test_normalize_salary_table(
    text: str,
    unit: str | None,
    basis: Basis | None,
    min_yen: int | None,
    max_yen: int | None,
    min_open: bool,
    max_open: bool,
    expected_basis: Basis,
    codes: tuple[str, ...],
) -> None:
    """Each salary form normalizes to the expected yen band, basis and warning codes."""
    band = normalize_salary(text, unit=unit, basis=basis)
    got = (band.min_yen, band.max_yen, band.min_open, band.max_open, band.basis)
    assert got == (min_yen, max_yen, min_open, max_open, expected_basis)
    assert tuple(w.code for w in band.warnings) == codes
    assert band.raw == text


def test_table_is_large_and_ids_are_unique() -> None:
    """The case table keeps at least 80 cases, each with its own id."""
    ids = [case.id for case in CASES]
    assert len(ids) >= 80
    assert len(set(ids)) == len(ids)


def test_no_figure_message_quotes_the_cell_and_says_how_to_fix() -> None:
    """A `salary-no-figure` warning quotes the cell and suggests a written figure."""
    (warning,) = normalize_salary("応相談", unit="万円").warnings
    assert "「応相談」" in warning.message
    assert "450〜700万円" in warning.message


def test_ambiguous_message_names_the_chosen_and_skipped_figures() -> None:
    """A `salary-ambiguous` warning says which figure was used and which were passed over."""
    (warning,) = normalize_salary("①月給25万円 ②時給1,200円").warnings
    assert "250,000 yen (monthly)" in warning.message
    assert "1,200 yen (hourly)" in warning.message


def test_band_is_frozen() -> None:
    """YenBand is immutable and rejects unknown fields."""
    band = normalize_salary("450〜700", unit="万円")
    with pytest.raises(ValueError):
        band.min_yen = 1  # type: ignore[misc]
    with pytest.raises(ValueError):
        YenBand(raw="", basis="annual", min_yen=None, max_yen=None, min_open=False, max_open=False, extra=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        pytest.param("年収範囲 (万円)", "万円", id="halfwidth-parens"),
        pytest.param("月給（千円）", "千円", id="fullwidth-parens"),
        pytest.param("年収", None, id="no-unit"),
        pytest.param("年収（単位：万円）", "万円", id="tani-in-parens"),
        pytest.param("単位:千円", "千円", id="tani-prefix"),
        pytest.param("金額[円]", "円", id="square-brackets-en"),
        pytest.param("年収 (百万円)", "百万円", id="hyakuman-en"),
        pytest.param("年収(万円/年)", "万円", id="unit-then-period"),
        pytest.param("経験年数", None, id="not-a-salary-header"),
    ],
)
def test_unit_from_header(header: str, unit: str | None) -> None:
    """The unit a header states in brackets or after 単位 is returned as written."""
    assert unit_from_header(header) == unit


@pytest.mark.parametrize(
    ("text", "basis"),
    [
        pytest.param("年収範囲 (万円)", "annual", id="nenshu-header"),
        pytest.param("年俸", "annual", id="nenpo"),
        pytest.param("月給", "monthly", id="gekkyu"),
        pytest.param("月収（万円）", "monthly", id="gesshu"),
        pytest.param("時給", "hourly", id="jikyu"),
        pytest.param("日給", "daily", id="nikkyu"),
        pytest.param("経験年数", None, id="none"),
        pytest.param("年収例", None, id="example-pay-is-not-a-basis"),
    ],
)
def test_basis_from_text(text: str, basis: Basis | None) -> None:
    """A basis word maps to its pay basis; example-pay labels do not count."""
    assert basis_from_text(text) == basis


# --------------------------------------------------------------------------------------------------
# Properties

_UNITS = [("万円", 10_000), ("万", 10_000), ("円", 1), ("千円", 1_000), ("億円", 100_000_000)]
_LABELS = ["", "年収", "月給", "時給", "日給", "想定年収：", "【年収】", "給与 ", "年俸 "]
_NOTES = ["", "（経験・能力を考慮）", " ※賞与年2回", "＋賞与", " 実働8時間", " 交通費支給"]
_CLOSED_MARKS = ["〜", "～", "~", "-", "–", "—", "から"]
_OPEN_MARKS = ["〜", "～", "~", "から"]


def _figure(draw: st.DrawFn) -> tuple[str, Decimal]:
    tenths = draw(st.integers(min_value=0, max_value=999_999))
    if draw(st.booleans()) and tenths % 10:
        whole_text = f"{tenths // 10:,}" if draw(st.booleans()) else str(tenths // 10)
        return f"{whole_text}.{tenths % 10}", Decimal(tenths) / 10
    whole = tenths // 10
    return (f"{whole:,}" if draw(st.booleans()) else str(whole)), Decimal(whole)


def _yen(value: Decimal, scale: int) -> int:
    return int((value * scale).to_integral_value(rounding=ROUND_HALF_UP))


@st.composite
def salary_strings(draw: st.DrawFn) -> tuple[str, int | None, int | None]:
    """A realistic salary string with the band it must normalize to."""
    label = draw(st.sampled_from(_LABELS))
    note = draw(st.sampled_from(_NOTES))
    unit, scale = draw(st.sampled_from(_UNITS))
    lo_text, lo = _figure(draw)
    hi_text, hi = _figure(draw)
    if lo > hi:
        lo_text, lo, hi_text, hi = hi_text, hi, lo_text, lo
    shape = draw(st.sampled_from(["both", "end", "single", "ijou", "ika", "plus", "trailing", "leading"]))
    if shape == "both":
        mark = draw(st.sampled_from(_CLOSED_MARKS))
        return f"{label}{lo_text}{unit}{mark}{hi_text}{unit}{note}", _yen(lo, scale), _yen(hi, scale)
    if shape == "end":
        mark = draw(st.sampled_from(_CLOSED_MARKS))
        return f"{label}{lo_text}{mark}{hi_text}{unit}{note}", _yen(lo, scale), _yen(hi, scale)
    if shape == "single":
        return f"{label}{lo_text}{unit}{note}", _yen(lo, scale), _yen(lo, scale)
    if shape in ("ijou", "plus"):
        marker = "以上" if shape == "ijou" else "+"
        return f"{label}{lo_text}{unit}{marker}{note}", _yen(lo, scale), None
    if shape == "trailing":
        return f"{label}{lo_text}{unit}{draw(st.sampled_from(_OPEN_MARKS))}{note}", _yen(lo, scale), None
    if shape == "leading":
        mark = draw(st.sampled_from(["〜", "～", "~"]))
        return f"{label}{mark}{hi_text}{unit}{note}", None, _yen(hi, scale)
    return f"{label}{hi_text}{unit}以下{note}", None, _yen(hi, scale)


_FULL_WIDTH = str.maketrans("0123456789,.~-+()", "０１２３４５６７８９，．～－＋（）")
_ANY_UNIT = st.sampled_from([None, "万円", "千円", "円", "億円", "", "ドル"])
_ANY_BASIS = st.sampled_from([None, "annual", "monthly", "hourly", "daily", "unknown"])


_SALARYISH = st.text(
    alphabet="0123456789０１２,.，万円億千百〜～~-–+＋以上下未満超まで年収月給時日()（）【】※、 \n",
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=80), _SALARYISH, salary_strings().map(lambda c: c[0])),
    unit=_ANY_UNIT,
    basis=_ANY_BASIS,
)
def test_never_raises_on_any_text(text: str, unit: str | None, basis: Basis | None) -> None:
    """Any string, with any header unit and basis hint, gives a band instead of an exception."""
    band = normalize_salary(text, unit=unit, basis=basis)
    assert band.raw == text


@settings(max_examples=300, deadline=None)
@given(case=salary_strings(), unit=_ANY_UNIT, basis=_ANY_BASIS)
def test_realistic_strings_give_expected_band(
    case: tuple[str, int | None, int | None], unit: str | None, basis: Basis | None
) -> None:
    """Generated label + figure + unit + mark + note strings normalize to exactly their band."""
    text, min_yen, max_yen = case
    band = normalize_salary(text, unit=unit, basis=basis)
    assert (band.min_yen, band.max_yen) == (min_yen, max_yen), text
    assert band.min_open == (min_yen is None)
    assert band.max_open == (max_yen is None)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_SALARYISH, salary_strings().map(lambda c: c[0])), unit=_ANY_UNIT)
def test_min_not_above_max_unless_warned(text: str, unit: str | None) -> None:
    """When both ends exist, min ≤ max or a `salary-min-gt-max` warning says otherwise."""
    band = normalize_salary(text, unit=unit)
    if band.min_yen is not None and band.max_yen is not None and band.min_yen > band.max_yen:
        assert "salary-min-gt-max" in {w.code for w in band.warnings}


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(_SALARYISH, salary_strings().map(lambda c: c[0])), unit=_ANY_UNIT, basis=_ANY_BASIS)
def test_plausible_exactly_when_not_warned_implausible(text: str, unit: str | None, basis: Basis | None) -> None:
    """`YenBand.plausible` (what keeps a band out of the aggregates) agrees with the `salary-implausible` warning
    (what tells the writer): a band is never left out silently, nor warned about and counted."""
    band = normalize_salary(text, unit=unit, basis=basis)
    assert band.plausible == ("salary-implausible" not in {w.code for w in band.warnings}), band


@given(case=salary_strings(), unit=_ANY_UNIT, basis=_ANY_BASIS)
def test_full_width_equals_half_width(
    case: tuple[str, int | None, int | None], unit: str | None, basis: Basis | None
) -> None:
    """Converting digits, commas, periods and marks to full width does not change the band."""
    half = normalize_salary(case[0], unit=unit, basis=basis)
    full = normalize_salary(case[0].translate(_FULL_WIDTH), unit=unit, basis=basis)
    assert (full.min_yen, full.max_yen, full.min_open, full.max_open, full.basis) == (
        half.min_yen,
        half.max_yen,
        half.min_open,
        half.max_open,
        half.basis,
    )
    assert [w.code for w in full.warnings] == [w.code for w in half.warnings]


def _as_yen_text(band: YenBand) -> str:
    low = "" if band.min_yen is None else f"{band.min_yen}円"
    high = "" if band.max_yen is None else f"{band.max_yen}円"
    return f"{low}〜{high}"


@settings(max_examples=300, deadline=None)
@given(case=salary_strings(), unit=_ANY_UNIT)
def test_formatted_band_renormalizes_to_same_numbers(
    case: tuple[str, int | None, int | None], unit: str | None
) -> None:
    """Writing a band back as `{min}円〜{max}円` and normalizing again gives the same numbers."""
    band = normalize_salary(case[0], unit=unit)
    again = normalize_salary(_as_yen_text(band))
    assert (again.min_yen, again.max_yen) == (band.min_yen, band.max_yen)
