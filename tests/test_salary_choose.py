"""Rule 5, choosing the band: which candidate becomes the result, and why."""

from __future__ import annotations

import pytest

from jobpipeline.salary import Basis, read_salary


@pytest.mark.parametrize(
    ("text", "hint", "expected", "distinct", "reason"),
    [
        pytest.param("月給25万円", None, (250_000, 250_000), 1, "the only pay band", id="only-band"),
        pytest.param("①月給25万円 ②時給1,200円", None, (250_000, 250_000), 2, "the first pay band", id="first-wins"),
        pytest.param(
            "月給30万円（年収420万円〜）",
            None,
            (300_000, 300_000),
            1,
            "the only pay band; outside the notes",
            id="main-text-before-notes",
        ),
        pytest.param(
            "（年収420万円〜）",
            None,
            (4_200_000, None),
            1,
            "the only pay band; inside a note, as nothing outside the notes is pay",
            id="note-when-nothing-else",
        ),
        pytest.param(
            "年収：500万円〜800万円　月給：31万円〜50万円",
            "monthly",
            (310_000, 500_000),
            1,
            "the only pay band; on the hinted basis (monthly)",
            id="hint-picks",
        ),
        pytest.param(
            "245,000円〜350,000円 245,000円〜350,000円",
            None,
            (245_000, 350_000),
            1,
            "the only pay band",
            id="repeats-are-one-band",
        ),
    ],
)
def test_choice(
    text: str, hint: Basis | None, expected: tuple[int | None, int | None], distinct: int, reason: str
) -> None:
    """The chosen band, how many distinct pay bands there were, and the reason given."""
    state = read_salary(text, basis=hint)
    assert state.chosen is not None
    assert (state.chosen.min_yen, state.chosen.max_yen) == expected
    assert len(state.distinct) == distinct
    assert state.reason == reason


@pytest.mark.parametrize(
    ("text", "basis"),
    [
        pytest.param("応相談", "unknown", id="no-figure"),
        pytest.param("時給応相談", "hourly", id="no-figure-keeps-basis-word"),
        pytest.param("$24,000-$31,000 annually", "annual", id="only-another-currency"),
    ],
)
def test_no_band(text: str, basis: Basis) -> None:
    """Without a pay band nothing is chosen, but a basis word still names the basis."""
    state = read_salary(text)
    assert state.chosen is None
    assert state.basis == basis
