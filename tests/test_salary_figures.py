"""Rule 2, figures and units: reading amounts, and which figures are money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jobpipeline.salary import read_salary
from jobpipeline.salary._amounts import read_amount


@pytest.mark.parametrize(
    ("text", "value", "explicit"),
    [
        pytest.param("1億2,000万円", Decimal(120_000_000), True, id="oku-man"),
        pytest.param("3.5千円", Decimal(3500), True, id="sen"),
        pytest.param("450K", Decimal(450_000), True, id="k"),
        pytest.param("千二百万", Decimal(12_000_000), True, id="kanji"),
        pytest.param("1,800", Decimal(1800), False, id="bare"),
        pytest.param("28万8", Decimal(288_000), True, id="one-digit-after-man-is-thousands"),
        pytest.param("30万700円", Decimal(300_700), True, id="digits-after-man-with-yen-are-yen"),
        pytest.param("1.200円", Decimal(1200), True, id="point-as-thousands-separator"),
        pytest.param("2,355.8円", Decimal("2355.8"), True, id="one-decimal-stays-a-decimal"),
        pytest.param("5.2 million", Decimal(5_200_000), True, id="million"),
        pytest.param("4.43 Million Yen", Decimal(4_430_000), True, id="million-capital"),
        pytest.param("8,1 million", Decimal(8_100_000), True, id="million-decimal-comma"),
    ],
)
def test_read_amount(text: str, value: Decimal, explicit: bool) -> None:
    """Each figure reads to its value, and says whether it carries its own unit."""
    amount = read_amount(text, 0)
    assert amount is not None
    assert (amount.value, amount.explicit) == (value, explicit)


def test_lowercase_m_is_a_million_only_after_a_yen_sign() -> None:
    """`¥3m` is three million yen; `3m` alone is three metres."""
    signed = read_amount("3m a year", 0, yen_sign=True)
    assert signed is not None and signed.value == 3_000_000
    plain = read_amount("3m", 0)
    assert plain is not None and not plain.money


def money(text: str) -> list[tuple[str, bool, bool]]:
    """(figure text, money, excluded) for each figure of `text`."""
    state = read_salary(text)
    return [(state.text[t.start : t.end], t.money, t.excluded) for t in state.tokens if t.kind == "fig"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("実働8時間 時給1,200円", [("8", False, False), ("1,200円", True, False)], id="hours"),
        pytest.param("0-3年", [("0", False, False), ("3", False, False)], id="ranged-count"),
        pytest.param("当直 5,500円/回", [("5,500円", False, False)], id="per-task"),
        pytest.param("1件5000円~", [("1", False, False), ("5000円", False, False)], id="price-per-item"),
        pytest.param(
            "1現場につき3000~13000円",
            [("1", False, False), ("3000", False, False), ("13000円", False, False)],
            id="price-per-site",
        ),
        pytest.param(
            "¥3.77 million (US$34,657)",
            [("3.77 million", True, False), ("34,657", False, False)],
            id="another-currency",
        ),
        pytest.param(
            "in 2020 was 4.09 million JPY",
            [("2020", False, False), ("4.09 million JPY", True, False)],
            id="calendar-year",
        ),
        pytest.param("8.単金", [("8", False, False)], id="list-number"),
        pytest.param("報酬：1案件5万円", [("1", False, False), ("5万円", False, False)], id="price-per-project"),
        pytest.param("1位:福岡県……3,206円", [("1", False, False), ("3,206円", True, False)], id="rank"),
        pytest.param("賞与 30万円 月給25万円", [("30万円", True, True), ("25万円", True, False)], id="bonus-excluded"),
        pytest.param(
            "業績年俸75万円(賞与に相当) 380万円",
            [("75万円", True, True), ("380万円", True, False)],
            id="context-word-covers-the-next-band-only",
        ),
        pytest.param(
            "手当 1万〜2万円 3万円",
            [("1万", True, True), ("2万円", True, True), ("3万円", True, False)],
            id="context-word-covers-a-range",
        ),
        pytest.param("賞与あり。300万円", [("300万円", True, False)], id="sentence-end-resets-context"),
        pytest.param("That includes bonuses and ¥382,000", [("382,000", True, False)], id="included-bonus"),
    ],
)
def test_money(text: str, expected: list[tuple[str, bool, bool]]) -> None:
    """Counts, prices per task, other currencies, years and context-word figures are not the pay."""
    assert money(text) == expected


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        pytest.param("420-650万", None, (4_200_000, 6_500_000), id="bare-lower-takes-upper-unit"),
        pytest.param("2,000〜1億", None, (20_000_000, 100_000_000), id="step-down-when-above"),
        pytest.param("450〜700", "万円", (4_500_000, 7_000_000), id="header-unit"),
        pytest.param("3.5 to 4.5 million JPY", None, (3_500_000, 4_500_000), id="bare-lower-takes-million"),
    ],
)
def test_band_units(text: str, unit: str | None, expected: tuple[int, int]) -> None:
    """A bare end takes its partner's unit, or the header's."""
    band = read_salary(text, unit=unit).chosen
    assert band is not None
    assert (band.min_yen, band.max_yen) == expected
