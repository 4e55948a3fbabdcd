"""Normalize Japanese salary text into a yen band.

Serves both the estimated-salary cells of the career articles (`450〜700` under a `年収範囲 (万円)`
header) and free job-posting text (`月給30万円（年収420万円〜）`, Hello Work's
`基本給（月額平均）又は時間額 200,000円〜250,000円`). Pure functions on frozen models: no I/O.

A string is read by small rules run in order (`RULES`), each filling in its part of one `State`,
the way markdown-it-py runs its parser rules:

1. `_tokens`: NFKC text, then figures (read by `_amounts`), range marks, bound words, basis words,
   context words, brackets and separators.
2. `_figures`: the header unit, which figures are money (`8時間`, `25歳`, `5,500円/回` are not), and
   which are the pay (the band after 賞与, 手当, 年収例 is not).
3. `_bounds`: figures grouped into candidate bands with open ends, per main text and per note.
4. `_basis`: the pay period of each band, from its basis words (the figure's size settles a tie).
5. `_choose`: the main text before notes, the hinted basis, then the first pay band wins.
6. `_warnings`: what an editor should check.

docs/salary.md lists the conventions, with examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from jobpipeline.salary import _basis, _bounds, _choose, _figures, _tokens, _warnings
from jobpipeline.salary._amounts import unit_from_header
from jobpipeline.salary._basis import basis_from_text
from jobpipeline.salary._explain import ExplainedBand, ExplainedToken, Explanation, explain, explanation_text
from jobpipeline.salary._model import PLAUSIBLE_YEN, Basis, SalaryWarning, State, YenBand

RULES: Final[tuple[Callable[[State], None], ...]] = (
    _tokens.run,
    _figures.run,
    _bounds.run,
    _basis.run,
    _choose.run,
    _warnings.run,
)
"""The rules, in the order they run."""


def read_salary(
    text: str, *, unit: str | None = None, basis: Basis | None = None, max_chars: int | None = None
) -> State:
    """Run every rule over `text` and return the full state (tokens, candidate bands, choice).

    A text longer than `max_chars` is not read: the state holds one `salary-cell-too-long` warning.
    """
    state = State(raw=text, unit=unit, hint=basis)
    if max_chars is not None and len(text) > max_chars:
        _warnings.too_long(state, max_chars)
        return state
    for rule in RULES:
        rule(state)
    return state


def normalize_salary(
    text: str, *, unit: str | None = None, basis: Basis | None = None, max_chars: int | None = None
) -> YenBand:
    """Normalize one salary string to a yen band; never raises.

    `unit` is the unit the column header gives (e.g. `万円`), used for figures that carry none.
    `basis` is the basis the header or context gives; a basis word in the text wins.
    `max_chars` caps the text read (the reader's `SALARY_CELL_MAX_CHARS`): a longer text gets no band and
    a `salary-cell-too-long` warning. The rules are linear in the text, the cap bounds the constant.

    >>> band = normalize_salary("1,100〜1,800+", unit="万円", basis="annual")
    >>> band.min_yen, band.max_yen, band.max_open
    (11000000, 18000000, True)
    >>> normalize_salary("月給30万円（年収420万円〜）").basis
    'monthly'
    >>> normalize_salary("応相談").warnings[0].code
    'salary-no-figure'
    """
    return read_salary(text, unit=unit, basis=basis, max_chars=max_chars).result()


def explain_salary(text: str, *, unit: str | None = None, basis: Basis | None = None) -> Explanation:
    """How `text` is read: tokens with roles, candidate bands, the winner and why, and the warnings.

    >>> ex = explain_salary("月給30万円（年収420万円〜）")
    >>> [t.role for t in ex.tokens][:3]
    ['basis word', 'figure', 'unit']
    >>> ex.candidates[0].status
    'chosen: the only pay band; outside the notes'
    """
    return explain(read_salary(text, unit=unit, basis=basis))


__all__ = [
    "PLAUSIBLE_YEN",
    "RULES",
    "Basis",
    "ExplainedBand",
    "ExplainedToken",
    "Explanation",
    "SalaryWarning",
    "YenBand",
    "basis_from_text",
    "explain_salary",
    "explanation_text",
    "normalize_salary",
    "read_salary",
    "unit_from_header",
]
