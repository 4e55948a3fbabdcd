"""Rule 4, basis: the pay period each band gets from the words around it."""

from __future__ import annotations

import pytest

from jobpipeline.salary import Basis, read_salary


@pytest.mark.parametrize(
    ("text", "basis", "options"),
    [
        pytest.param("年収600万円", "annual", (), id="word-before"),
        pytest.param("30万円/月", "monthly", (), id="suffix-after"),
        pytest.param("1,800円〜2,200円が時給相場", "hourly", (), id="word-after"),
        pytest.param("750円(時給)", "hourly", (), id="word-in-a-bracket-after"),
        pytest.param("日給月給 150,000円", "monthly", (), id="pay-system-word"),
        pytest.param("月単価: 30万円~60万円", "monthly", (), id="freelance-monthly-rate"),
        pytest.param("単価相場は月に40万~60万円", "monthly", (), id="per-month-particle"),
        pytest.param("人月単価(例: 80万円)", "monthly", (), id="word-before-a-note"),
        pytest.param("25万円(月)", "monthly", (), id="bracketed-month"),
        pytest.param("1,200円(時)", "hourly", (), id="bracketed-hour"),
        pytest.param("最高年収1,200万円 最低年収500万円", "annual", (), id="word-inside-a-labelled-band"),
        pytest.param("JPY 5,000,000 - 7,000,000 / year", "annual", (), id="english-suffix"),
        pytest.param("¥250k a month", "monthly", (), id="english-a-month"),
        pytest.param("515,000 JPY each month", "monthly", (), id="english-each-month"),
        pytest.param("¥6 million - ¥10 million annually", "annual", (), id="english-annually"),
        pytest.param("年俸制（12分割） 月額 30万円", "monthly", (), id="size-settles-a-tie"),
        pytest.param("年収 月給 300万円", "monthly", ("monthly", "annual"), id="closest-wins-a-real-tie"),
        pytest.param("年俸 業績年俸75万円(賞与) 380万円", "annual", (), id="excluded-band-does-not-hide-words"),
    ],
)
def test_basis(text: str, basis: Basis, options: tuple[str, ...]) -> None:
    """The chosen band gets the basis its words name; a contested choice keeps its options."""
    state = read_salary(text)
    assert state.chosen is not None
    assert (state.chosen.basis, state.chosen.basis_options) == (basis, options)
