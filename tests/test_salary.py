"""Tests for jobpipeline.salary: a table of salary forms, real job-posting strings, and properties.

Real-world strings are marked `real:` with where they were seen (quoted in stored public pages and
repositories; job boards change their pages, so the exact listing may be gone).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
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

# text, unit, basis hint, min_yen, max_yen, min_open, max_open, basis, warning codes
CASES = [
    # --- worked examples from the issue (header 年収範囲 (万円)) -----------------------------------
    pytest.param("450〜700", "万円", "annual", 450 * M, 700 * M, False, False, "annual", (),
                 id="worked-range-header-unit"),
    pytest.param("700〜1,100", "万円", "annual", 700 * M, 1100 * M, False, False, "annual", (),
                 id="worked-range-comma"),
    pytest.param("1,100〜1,800+", "万円", "annual", 1100 * M, 1800 * M, False, True, "annual", (),
                 id="worked-plus-on-upper-keeps-max"),
    pytest.param("1,000万円以上", "万円", "annual", 1000 * M, None, False, True, "annual", (),
                 id="worked-ijou-open-upper"),
    pytest.param("2,000万超", "万円", "annual", 2000 * M, None, False, True, "annual", (),
                 id="worked-chou-open-upper"),
    pytest.param("2,000〜1億", "万円", "annual", 2000 * M, 100_000_000, False, False, "annual", (),
                 id="worked-bare-lower-steps-down-from-oku"),
    # --- units -------------------------------------------------------------------------------------
    pytest.param("600", "万円", None, 600 * M, 600 * M, False, False, "unknown", (),
                 id="unit-none-single-figure-uses-header"),
    pytest.param("300,000円", None, None, 300_000, 300_000, False, False, "unknown", (), id="unit-en"),
    pytest.param("4,500千円", None, None, 4_500_000, 4_500_000, False, False, "unknown", (), id="unit-sen-en"),
    pytest.param("450万", None, None, 450 * M, 450 * M, False, False, "unknown", (), id="unit-man"),
    pytest.param("450万円", None, None, 450 * M, 450 * M, False, False, "unknown", (), id="unit-man-en"),
    pytest.param("1億", None, None, 10**8, 10**8, False, False, "unknown", (), id="unit-oku"),
    pytest.param("1億円", None, None, 10**8, 10**8, False, False, "unknown", (), id="unit-oku-en"),
    pytest.param("1億2,000万", None, None, 120_000_000, 120_000_000, False, False, "unknown", (),
                 id="unit-mixed-oku-man"),
    pytest.param("1億2,000万円〜1億5,000万円", None, None, 120_000_000, 150_000_000, False, False, "unknown", (),
                 id="unit-mixed-oku-man-range"),
    pytest.param("1.5億", None, None, 150_000_000, 150_000_000, False, False, "unknown", (),
                 id="unit-decimal-oku"),
    pytest.param("450.5", "万円", None, 4_505_000, 4_505_000, False, False, "unknown", (),
                 id="unit-decimal-exact-with-header"),
    pytest.param("450.5万円", None, None, 4_505_000, 4_505_000, False, False, "unknown", (),
                 id="unit-decimal-exact-in-cell"),
    pytest.param("1,200,000円〜1,500,000円", None, None, 1_200_000, 1_500_000, False, False, "unknown", (),
                 id="unit-commas-yen-both-ends"),
    pytest.param("6,500", "千円", "annual", 6_500_000, 6_500_000, False, False, "annual", (),
                 id="unit-header-sen-en"),
    pytest.param("250,000", "円", "monthly", 250_000, 250_000, False, False, "monthly", (),
                 id="unit-header-en"),
    pytest.param("4,500〜6,000万", "千円", None, 4500 * M, 6000 * M, False, False, "unknown", (),
                 id="unit-in-cell-beats-header"),
    # --- full width ----------------------------------------------------------------------------------
    pytest.param("４５０～６５０", "万円", None, 450 * M, 650 * M, False, False, "unknown", (),
                 id="fullwidth-digits-and-wave-dash"),
    pytest.param("４５０〜６５０万円", None, None, 450 * M, 650 * M, False, False, "unknown", (),
                 id="fullwidth-digits-wave-dash-301c"),
    pytest.param("１，１００～１，８００＋", "万円", None, 1100 * M, 1800 * M, False, True, "unknown", (),
                 id="fullwidth-comma-and-plus"),
    pytest.param("年収　４５０万円～（経験による）", None, None, 450 * M, None, False, True, "annual", (),
                 id="fullwidth-space-paren-note-open-upper"),
    # --- range marks ---------------------------------------------------------------------------------
    pytest.param("450~650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-tilde"),
    pytest.param("450-650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-hyphen"),
    pytest.param("450–650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-en-dash"),
    pytest.param("450—650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-em-dash"),
    pytest.param("450−650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-minus-sign"),
    pytest.param("450から650", "万円", None, 450 * M, 650 * M, False, False, "unknown", (), id="mark-kara"),
    pytest.param("450ー650万", None, None, 450 * M, 650 * M, False, False, "unknown", (),
                 id="mark-long-vowel-between-digits"),
    pytest.param("400万円〜600万円", None, None, 400 * M, 600 * M, False, False, "unknown", (),
                 id="units-on-both-ends"),
    pytest.param("420-650万", None, None, 420 * M, 650 * M, False, False, "unknown", (),
                 id="unit-only-at-end"),
    pytest.param("400 〜 600 万円", None, None, 400 * M, 600 * M, False, False, "unknown", (),
                 id="spaces-around-mark-and-unit"),
    # --- open ends -------------------------------------------------------------------------------------
    pytest.param("1,800+", "万円", None, 1800 * M, None, False, True, "unknown", (), id="open-plus-single"),
    pytest.param("500万〜", None, None, 500 * M, None, False, True, "unknown", (), id="open-trailing-mark"),
    pytest.param("500万円から", None, None, 500 * M, None, False, True, "unknown", (), id="open-trailing-kara"),
    pytest.param("〜800万", None, None, None, 800 * M, True, False, "unknown", (), id="open-leading-mark"),
    pytest.param("800万円以下", None, None, None, 800 * M, True, False, "unknown", (), id="open-ika"),
    pytest.param("800万円未満", None, None, None, 800 * M, True, False, "unknown", (),
                 id="open-miman-keeps-exclusive-bound"),
    pytest.param("800万円まで", None, None, None, 800 * M, True, False, "unknown", (), id="open-made"),
    pytest.param("300万円〜500万円以上", None, None, 300 * M, 500 * M, False, True, "unknown", (),
                 id="open-marker-on-range-upper"),
    pytest.param("最低20万円", None, None, 200_000, None, False, True, "unknown", (), id="open-prefix-saitei"),
    pytest.param("最大800万円", None, None, None, 800 * M, True, False, "unknown", (), id="open-prefix-saidai"),
    pytest.param("1,100〜1,800万+α", None, None, 1100 * M, 1800 * M, False, True, "unknown", (),
                 id="open-plus-alpha"),
    pytest.param("2,000万円を超える", None, None, 2000 * M, None, False, True, "unknown", (),
                 id="open-wo-koeru"),
    # --- basis words -------------------------------------------------------------------------------
    pytest.param("年収600万円", None, None, 600 * M, 600 * M, False, False, "annual", (), id="basis-nenshu"),
    pytest.param("年俸600万円", None, None, 600 * M, 600 * M, False, False, "annual", (), id="basis-nenpo"),
    pytest.param("月給25万円", None, None, 250_000, 250_000, False, False, "monthly", (), id="basis-gekkyu"),
    pytest.param("月収30万円", None, None, 300_000, 300_000, False, False, "monthly", (), id="basis-gesshu"),
    pytest.param("時給1,200円", None, None, 1200, 1200, False, False, "hourly", (), id="basis-jikyu"),
    pytest.param("日給10,000円", None, None, 10_000, 10_000, False, False, "daily", (), id="basis-nikkyu"),
    pytest.param("30万円/月", None, None, 300_000, 300_000, False, False, "monthly", (), id="basis-per-month-suffix"),
    pytest.param("月給30万円", None, "annual", 300_000, 300_000, False, False, "monthly", (),
                 id="basis-word-in-cell-beats-hint"),
    pytest.param("450〜700 (年収)", "万円", None, 450 * M, 700 * M, False, False, "annual", (),
                 id="basis-word-after-figures"),
    pytest.param("年俸制（12分割） 月額 30万円", None, None, 300_000, 300_000, False, False, "monthly", (),
                 id="basis-conflict-settled-by-size"),
    # --- kanji numerals, K and 千 multipliers, approximations --------------------------------------------
    pytest.param("五百万円", None, None, 500 * M, 500 * M, False, False, "unknown", (), id="kanji-gohyakuman"),
    pytest.param("一万", None, None, 10_000, 10_000, False, False, "unknown", (), id="kanji-ichiman"),
    pytest.param("千二百万", None, None, 1200 * M, 1200 * M, False, False, "unknown", (), id="kanji-sennihyakuman"),
    pytest.param("年収五百万〜八百万円", None, None, 500 * M, 800 * M, False, False, "annual", (),
                 id="kanji-range"),
    pytest.param("450K", None, None, 450_000, 450_000, False, False, "unknown", (), id="k-multiplier-is-thousand"),
    pytest.param("3.5千円", None, None, 3500, 3500, False, False, "unknown", (), id="sen-multiplier-decimal"),
    pytest.param("約500万円", None, None, 500 * M, 500 * M, False, False, "unknown", (), id="approx-yaku"),
    pytest.param("500万円程度", None, None, 500 * M, 500 * M, False, False, "unknown", (), id="approx-teido"),
    pytest.param("500万円くらい", None, None, 500 * M, 500 * M, False, False, "unknown", (), id="approx-kurai"),
    pytest.param("¥300,000", None, None, 300_000, 300_000, False, False, "unknown", (), id="yen-sign-prefix"),
    # --- no figure -------------------------------------------------------------------------------------
    pytest.param("応相談", "万円", "annual", None, None, False, False, "annual", NO_FIG, id="nofig-soudan"),
    pytest.param("経験による", None, None, None, None, False, False, "unknown", NO_FIG, id="nofig-keiken"),
    pytest.param("", "万円", None, None, None, False, False, "unknown", NO_FIG, id="nofig-empty"),
    pytest.param("-", "万円", None, None, None, False, False, "unknown", NO_FIG, id="nofig-dash-only"),
    pytest.param("時給応相談", None, None, None, None, False, False, "hourly", NO_FIG, id="nofig-keeps-basis-word"),
    pytest.param("賞与年2回", None, None, None, None, False, False, "unknown", NO_FIG, id="nofig-bonus-only"),
    pytest.param("年収例 520万円／入社2年目", None, None, None, None, False, False, "unknown", NO_FIG,
                 id="nofig-example-pay-only"),
    pytest.param("モデル年収 600万円", None, None, None, None, False, False, "unknown", NO_FIG,
                 id="nofig-model-pay-only"),
    pytest.param("年齢 25歳〜35歳", None, None, None, None, False, False, "unknown", NO_FIG, id="nofig-ages-only"),
    pytest.param("(1)08時30分〜17時00分", None, None, None, None, False, False, "unknown", NO_FIG,
                 id="nofig-hours-only"),
    # --- warnings ----------------------------------------------------------------------------------------
    pytest.param("700〜450", "万円", "annual", 700 * M, 450 * M, False, False, "annual", ("salary-min-gt-max",),
                 id="warn-min-gt-max-kept-as-written"),
    pytest.param("45〜70", "万円", "annual", 450_000, 700_000, False, False, "annual", ("salary-implausible",),
                 id="warn-implausible-annual-too-low"),
    pytest.param("年収10億円", None, None, 10**9, 10**9, False, False, "annual", ("salary-implausible",),
                 id="warn-implausible-annual-too-high"),
    pytest.param("月給3万円", None, None, 30_000, 30_000, False, False, "monthly", ("salary-implausible",),
                 id="warn-implausible-monthly"),
    pytest.param("時給100,000円", None, None, 100_000, 100_000, False, False, "hourly", ("salary-implausible",),
                 id="warn-implausible-hourly"),
    pytest.param("日給1,000円", None, None, 1000, 1000, False, False, "daily", ("salary-implausible",),
                 id="warn-implausible-daily"),
    pytest.param("450〜700", None, None, 450, 700, False, False, "unknown",
                 ("salary-unit-assumed", "salary-implausible"), id="warn-no-unit-anywhere-reads-yen"),
    pytest.param("450〜700", "ドル", "annual", 450, 700, False, False, "annual",
                 ("salary-unit-unknown", "salary-unit-assumed", "salary-implausible"), id="warn-unknown-header-unit"),
    # --- job-posting text: labels, notes, several figures --------------------------------------------------
    pytest.param("想定年収：500万円～800万円", None, None, 500 * M, 800 * M, False, False, "annual", (),
                 id="posting-label-soutei-nenshu"),
    pytest.param("【年収】400万円〜600万円", None, None, 400 * M, 600 * M, False, False, "annual", (),
                 id="posting-label-lenticular-brackets"),
    pytest.param("月給30万円（年収420万円〜）", None, None, 300_000, 300_000, False, False, "monthly", (),
                 id="posting-yearly-conversion-note-skipped"),
    pytest.param("年収 1200万円（月給100万円×12）", None, None, 1200 * M, 1200 * M, False, False, "annual", (),
                 id="posting-monthly-breakdown-note-skipped"),
    pytest.param("25歳〜35歳 月給25万円〜30万円 実働8時間", None, None, 250_000, 300_000, False, False,
                 "monthly", (), id="posting-ages-and-hours-skipped"),
    pytest.param("月給25万円 残業手当別途", None, None, 250_000, 250_000, False, False, "monthly", (),
                 id="posting-allowance-words-after-pay"),
    pytest.param("月給25万円以上 ※試用期間3ヶ月は月給22万円", None, None, 250_000, None, False, True, "monthly", (),
                 id="posting-kome-note-probation-skipped"),
    pytest.param("固定残業代込み 30万円", None, None, 300_000, 300_000, False, False, "unknown", (),
                 id="posting-overtime-included-still-pay"),
    pytest.param("固定残業代 5万円", None, None, None, None, False, False, "unknown", NO_FIG,
                 id="posting-overtime-amount-is-not-pay"),
    pytest.param("９：００～１８：００ 時給１，２００円", None, None, 1200, 1200, False, False, "hourly", (),
                 id="posting-clock-times-skipped"),
    pytest.param("千葉県 月給25万円", None, None, 250_000, 250_000, False, False, "monthly", (),
                 id="posting-kanji-place-name-not-a-figure"),
    pytest.param("2024年4月入社 月給25万円", None, None, 250_000, 250_000, False, False, "monthly", (),
                 id="posting-dates-skipped"),
    pytest.param("①月給25万円 ②時給1,200円", None, None, 250_000, 250_000, False, False, "monthly",
                 ("salary-ambiguous",), id="posting-two-pay-figures-ambiguous"),
    pytest.param("年収 500万～900万円 / 月給 35万～60万円", None, None, 500 * M, 900 * M, False, False, "annual",
                 ("salary-ambiguous",), id="posting-annual-and-monthly-first-wins"),
    pytest.param("年収：500万円〜800万円　月給：31万円〜50万円", None, "monthly", 310_000, 500_000, False, False,
                 "monthly", (), id="posting-basis-hint-picks-candidate"),
    # --- real strings (source in the id's comment) -------------------------------------------------
    # real: carejinzaibank.com job list, 給与 field
    pytest.param("月給:207,500円 ~ 260,500円", None, None, 207_500, 260_500, False, False, "monthly", (),
                 id="real-carejinzaibank-gekkyu-range"),
    # real: carejinzaibank.com job list, bracket label and hyphen range
    pytest.param("【月給】168,000-248,400円", None, None, 168_000, 248_400, False, False, "monthly", (),
                 id="real-carejinzaibank-bracket-label-hyphen"),
    # real: get-baito.com (介護福祉士 鹿児島県) listing
    pytest.param("時給1,300円〜", None, None, 1300, None, False, True, "hourly", (),
                 id="real-get-baito-jikyu-open"),
    # real: get-baito.com (介護福祉士 鹿児島県) listing
    pytest.param("日給24,300円〜", None, None, 24_300, None, False, True, "daily", (),
                 id="real-get-baito-nikkyu-open"),
    # real: tensyoku.wakai-boki.com article quoting a public job board
    pytest.param("給与:20万円以上", None, None, 200_000, None, False, True, "unknown", (),
                 id="real-wakai-boki-kyuyo-ijou"),
    # real: mynavi posting guideline (mynavi20252 mirror), allowed and disallowed examples
    pytest.param("月給 23 万円~30 万円", None, None, 230_000, 300_000, False, False, "monthly", (),
                 id="real-mynavi-guideline-spaced-units"),
    pytest.param("月給 18 万~25 万円程度", None, None, 180_000, 250_000, False, False, "monthly", (),
                 id="real-mynavi-guideline-teido"),
    pytest.param("時給約 900 円", None, None, 900, 900, False, False, "hourly", (),
                 id="real-mynavi-guideline-yaku"),
    # real: paiza business FAQ, fixed-overtime posting template
    pytest.param("月給:約33万〜41万円(固定残業代を含む)", None, None, 330_000, 410_000, False, False, "monthly", (),
                 id="real-paiza-gekkyu-includes-overtime"),
    pytest.param("固定残業代:45時間分、約9万~12万円(超過分は別途支給)", None, None, None, None, False, False,
                 "unknown", NO_FIG, id="real-paiza-overtime-line-is-not-pay"),
    # real: e2e mock of en-japan / doda / indeed / Hello Work pages in a public GitHub repo
    pytest.param("月給28万円～42万円＋賞与年2回（昨年度実績：5ヶ月分）", None, None, 280_000, 420_000, False, False,
                 "monthly", (), id="real-en-japan-mock-bonus-skipped"),
    pytest.param("月給30万円（固定残業代：月40時間分、7万円を含む。超過分は別途支給）", None, None, 300_000, 300_000,
                 False, False, "monthly", (), id="real-doda-mock-overtime-note-skipped"),
    pytest.param("月給 28万円 ~ 30万円", None, None, 280_000, 300_000, False, False, "monthly", (),
                 id="real-indeed-mock-gekkyu"),
    pytest.param("基本給（月額平均）又は時間額 164,900円〜164,900円", None, None, 164_900, 164_900, False, False,
                 "monthly", (), id="real-hellowork-mock-equal-ends-monthly-by-size"),
    # real: Hello Work listing mirrored on hello-a.jp (年俸 job, K円 figures in the notes)
    pytest.param(HELLO_WORK_NENPO, None, None, 2_800_000, 4_200_000, False, False, "annual", ("salary-ambiguous",),
                 id="real-hellowork-nenpo-and-monthly-ambiguous"),
    pytest.param(HELLO_WORK_NENPO, None, "monthly", 200_000, 300_000, False, False, "monthly", (),
                 id="real-hellowork-nenpo-monthly-hint"),
    pytest.param("2800K円~4200K円", None, None, 2_800_000, 4_200_000, False, False, "unknown", (),
                 id="real-hellowork-k-yen"),
    # real: Hello Work listing in a public GitHub repo's page mock (介護職員, 熊本県荒尾市)
    pytest.param(HELLO_WORK_KAIGO, None, None, 145_000, 165_000, False, False, "monthly", (),
                 id="real-hellowork-kaigo-allowances-skipped"),
    # Hello Work field shapes quoted in the issue
    pytest.param("a 基本給（月額平均）又は時間額 200,000円〜250,000円", None, None, 200_000, 250_000, False, False,
                 "monthly", (), id="hellowork-kihonkyu-monthly-by-size"),
    pytest.param("時間額 1,050円〜1,200円", None, None, 1050, 1200, False, False, "hourly", (),
                 id="hellowork-jikangaku"),
    pytest.param("a 基本給（月額平均）又は時間額 1,050円〜1,200円", None, None, 1050, 1200, False, False, "hourly", (),
                 id="hellowork-kihonkyu-hourly-by-size"),
    pytest.param("月給 180,000円〜230,000円", None, None, 180_000, 230_000, False, False, "monthly", (),
                 id="hellowork-gekkyu"),
]


@pytest.mark.parametrize(
    ("text", "unit", "basis", "min_yen", "max_yen", "min_open", "max_open", "expected_basis", "codes"), CASES
)
def test_normalize_salary_table(
    text: str, unit: str | None, basis: Basis | None, min_yen: int | None, max_yen: int | None,
    min_open: bool, max_open: bool, expected_basis: Basis, codes: tuple[str, ...],
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
        YenBand(raw="", basis="annual", min_yen=None, max_yen=None, min_open=False, max_open=False,
                extra=1)  # type: ignore[call-arg]


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
        return f"{tenths // 10:,}.{tenths % 10}" if draw(st.booleans()) else f"{tenths // 10}.{tenths % 10}", (
            Decimal(tenths) / 10
        )
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
        return f"{label}{draw(st.sampled_from(['〜', '～', '~']))}{hi_text}{unit}{note}", None, _yen(hi, scale)
    return f"{label}{hi_text}{unit}以下{note}", None, _yen(hi, scale)


_FULL_WIDTH = str.maketrans("0123456789,.~-+()", "０１２３４５６７８９，．～－＋（）")
_ANY_UNIT = st.sampled_from([None, "万円", "千円", "円", "億円", "", "ドル"])
_ANY_BASIS = st.sampled_from([None, "annual", "monthly", "hourly", "daily", "unknown"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), unit=_ANY_UNIT, basis=_ANY_BASIS)
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
@given(text=st.one_of(st.text(alphabet="0123456789,.万円億千〜~-+以上下超年収月給時 ()【】", max_size=30),
                      salary_strings().map(lambda c: c[0])),
       unit=_ANY_UNIT)
def test_min_not_above_max_unless_warned(text: str, unit: str | None) -> None:
    """When both ends exist, min ≤ max or a `salary-min-gt-max` warning says otherwise."""
    band = normalize_salary(text, unit=unit)
    if band.min_yen is not None and band.max_yen is not None and band.min_yen > band.max_yen:
        assert "salary-min-gt-max" in {w.code for w in band.warnings}


@settings(max_examples=300, deadline=None)
@given(case=salary_strings(), unit=_ANY_UNIT, basis=_ANY_BASIS)
def test_full_width_equals_half_width(
    case: tuple[str, int | None, int | None], unit: str | None, basis: Basis | None
) -> None:
    """Converting digits, commas, periods and marks to full width does not change the band."""
    half = normalize_salary(case[0], unit=unit, basis=basis)
    full = normalize_salary(case[0].translate(_FULL_WIDTH), unit=unit, basis=basis)
    assert (full.min_yen, full.max_yen, full.min_open, full.max_open, full.basis) == (
        half.min_yen, half.max_yen, half.min_open, half.max_open, half.basis,
    )
    assert [w.code for w in full.warnings] == [w.code for w in half.warnings]


def _as_yen_text(band: YenBand) -> str:
    low = "" if band.min_yen is None else f"{band.min_yen}円"
    high = "" if band.max_yen is None else f"{band.max_yen}円"
    return f"{low}〜{high}"


@settings(max_examples=300, deadline=None)
@given(case=salary_strings(), unit=_ANY_UNIT)
def test_formatted_band_renormalizes_to_same_numbers(case: tuple[str, int | None, int | None],
                                                     unit: str | None) -> None:
    """Writing a band back as `{min}円〜{max}円` and normalizing again gives the same numbers."""
    band = normalize_salary(case[0], unit=unit)
    again = normalize_salary(_as_yen_text(band))
    assert (again.min_yen, again.max_yen) == (band.min_yen, band.max_yen)
