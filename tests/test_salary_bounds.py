"""Rule 3, bounds and open ends: how figures group into candidate bands."""

from __future__ import annotations

import pytest

from jobpipeline.salary import read_salary

M = 10_000
Bands = list[tuple[int | None, int | None, bool, bool]]


def bands(text: str) -> Bands:
    """(min, max, min_open, max_open) of every candidate band, in order."""
    return [(b.min_yen, b.max_yen, b.min_open, b.max_open) for b in read_salary(text).bands]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("400万円〜600万円", [(400 * M, 600 * M, False, False)], id="range"),
        pytest.param("500万円〜", [(500 * M, None, False, True)], id="open-upper-mark"),
        pytest.param("〜800万円", [(None, 800 * M, True, False)], id="open-lower-mark"),
        pytest.param("300万円〜500万円以上", [(300 * M, 500 * M, False, True)], id="ijou-on-upper-keeps-it"),
        pytest.param("最低20万円", [(20 * M, None, False, True)], id="min-label"),
        pytest.param("最高90万円まで", [(None, 90 * M, True, False)], id="max-label"),
        pytest.param("1,400円-", [(1400, None, False, True)], id="trailing-dash-opens"),
        pytest.param("2,000万円を超える", [(2000 * M, None, False, True)], id="verb-of-exceeding"),
        pytest.param("800万円オーバー", [(800 * M, None, False, True)], id="over-katakana"),
        pytest.param("300万円超400万円以下", [(300 * M, 400 * M, False, False)], id="two-bound-words-around-a-range"),
        pytest.param("200万円超 300万円以下 11.5%", [(200 * M, 300 * M, False, False)], id="bound-words-spaced"),
        pytest.param("最高額:1,000万円〜 最低額:400万円", [(400 * M, 1000 * M, False, True)], id="labels-max-first"),
        pytest.param("下限 20万円 上限 30万円", [(20 * M, 30 * M, False, False)], id="labels-min-first"),
        pytest.param(
            "月給300,000円から月給900,000円", [(300_000, 900_000, False, False)], id="basis-repeated-in-range"
        ),
        pytest.param(
            "from 130,000 JPY per month to 200,000 JPY per month",
            [(130_000, 200_000, False, False)],
            id="basis-between-figure-and-mark",
        ),
        pytest.param("at least 250,000 yen", [(250_000, None, False, True)], id="english-at-least"),
        pytest.param("up to 700,000 to 840,000 JPY", [(700_000, 840_000, False, False)], id="label-before-range"),
        pytest.param("¥400,000 and up", [(400_000, None, False, True)], id="english-and-up"),
        pytest.param(
            "月給30万円〜 年収420万円〜",
            [(30 * M, None, False, True), (420 * M, None, False, True)],
            id="different-basis-words-do-not-join",
        ),
    ],
)
def test_bands(text: str, expected: Bands) -> None:
    """Each string groups into the expected candidate bands."""
    assert bands(text) == expected


def test_note_bands_are_marked() -> None:
    """A bracket holding money is a note; its band is marked so the main text wins."""
    state = read_salary("月給30万円（年収420万円〜）")
    assert [(b.min_yen, b.note) for b in state.bands] == [(300_000, False), (4_200_000, True)]
