"""Rule 1, tokens: what each piece of a salary string is taken for."""

from __future__ import annotations

import pytest

from jobpipeline.salary import read_salary


def kinds(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every token of `text`."""
    state = read_salary(text)
    return [(t.kind, state.text[t.start : t.end]) for t in state.tokens]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("月給25万円〜", [("basis", "月給"), ("fig", "25万円"), ("range", "〜")], id="basis-figure-mark"),
        pytest.param("20万?25万円", [("fig", "20万"), ("dash", "?"), ("fig", "25万円")], id="lost-mark-question"),
        pytest.param("30万円 ? 38万円", [("fig", "30万円"), ("dash", "?"), ("fig", "38万円")], id="lost-mark-spaced"),
        pytest.param("1,000円・1,200円", [("fig", "1,000円"), ("dash", "・"), ("fig", "1,200円")], id="lost-mark-dot"),
        pytest.param(
            "月給20万円・賞与",
            [("basis", "月給"), ("fig", "20万円"), ("sep", "・"), ("excl", "賞与")],
            id="list-dot-stays-a-separator",
        ),
        pytest.param(
            "from 800 to 950 yen",
            [("pre_min", "from"), ("fig", "800"), ("dash", "to"), ("fig", "950 yen")],
            id="english-from-to",
        ),
        pytest.param(
            "between 2 and 3",
            [("between", "between"), ("fig", "2"), ("dash", "and"), ("fig", "3")],
            id="english-between-and",
        ),
        pytest.param("salt and pepper", [("sep", "and")], id="and-without-between-is-a-separator"),
        pytest.param("less than one year", [], id="english-bound-word-needs-a-figure"),
        pytest.param("JPY250,000 per month", [("fig", "250,000"), ("basis", "per month")], id="jpy-before-number"),
        pytest.param("includes bonuses", [], id="included-bonus-is-not-a-context-word"),
        pytest.param("日給月給 20万円", [("basis", "日給月給"), ("fig", "20万円")], id="pay-system-word"),
        pytest.param("人月単価80万円", [("basis", "人月単価"), ("fig", "80万円")], id="freelance-rate-word"),
        pytest.param("月に40万円", [("basis", "月に"), ("fig", "40万円")], id="per-month-particle"),
        pytest.param("終わり。次", [("stop", "。")], id="sentence-end"),
        pytest.param("20万円〓30万円", [("fig", "20万円"), ("dash", "〓"), ("fig", "30万円")], id="lost-mark-geta"),
        pytest.param("時給1,000円?", [("basis", "時給"), ("fig", "1,000円"), ("range", "?")], id="lost-mark-trailing"),
        pytest.param("?800万円", [("range", "?"), ("fig", "800万円")], id="lost-mark-leading"),
        pytest.param("月給20万円 ?", [("basis", "月給"), ("fig", "20万円"), ("sep", "?")], id="spaced-question-stays"),
        pytest.param(
            "25万円(月)", [("fig", "25万円"), ("popen", "("), ("basis", "月"), ("pclose", ")")], id="bracketed-month"
        ),
        pytest.param("300000 JPY P1M", [("fig", "300000 JPY"), ("basis", "P1M")], id="iso-duration"),
        pytest.param("6,000,000 JPY p.a.", [("fig", "6,000,000 JPY"), ("basis", "p.a.")], id="per-annum-abbreviation"),
        pytest.param("Tokyo", [], id="to-inside-a-word-is-not-a-mark"),
    ],
)
def test_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    """Each string splits into the expected token kinds."""
    assert kinds(text) == expected


def test_basis_tokens_carry_their_basis_and_strength() -> None:
    """Basis words name a basis; a bare 月 before a digit is weak."""
    state = read_salary("年収 月25万")
    assert [(t.basis, t.strong) for t in state.tokens if t.kind == "basis"] == [("annual", True), ("monthly", False)]
