"""Rule 6, warnings: which codes a string raises, and what the messages say."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jobpipeline.salary import RULES, normalize_salary

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "jobpipeline" / "salary"


@pytest.mark.parametrize(
    ("text", "unit", "codes"),
    [
        pytest.param("月給25万円", None, (), id="clean"),
        pytest.param("応相談", None, ("salary-no-figure",), id="no-figure"),
        pytest.param("700〜450", "万円", ("salary-min-gt-max",), id="min-gt-max"),
        pytest.param("月給3万円", None, ("salary-implausible",), id="implausible"),
        pytest.param("450〜700", None, ("salary-unit-assumed", "salary-implausible"), id="unit-assumed"),
        pytest.param(
            "450〜700", "ドル", ("salary-unit-unknown", "salary-unit-assumed", "salary-implausible"), id="unit-unknown"
        ),
        pytest.param("①月給25万円 ②時給1,200円", None, ("salary-ambiguous",), id="several-bands"),
        pytest.param("年収 月給 300万円", None, ("salary-ambiguous",), id="several-bases"),
        pytest.param("最高額:1,000万円〜 最低額:400万円", None, (), id="labelled-bounds-are-one-band"),
    ],
)
def test_warning_codes(text: str, unit: str | None, codes: tuple[str, ...]) -> None:
    """Each string raises exactly these warning codes, in this order."""
    assert tuple(w.code for w in normalize_salary(text, unit=unit).warnings) == codes


def test_messages_quote_the_cell_and_give_the_fix() -> None:
    """Every warning quotes the cell in 「」 and says what to write instead."""
    for text in ("応相談", "450〜700", "①月給25万円 ②時給1,200円", "月給3万円"):
        for warning in normalize_salary(text).warnings:
            assert "「" in warning.message
            assert any(hint in warning.message for hint in ("write", "add", "Keep", "check"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param(
            "$120,000〜$180,000",
            "not the pay (another currency) in 「$120,000〜$180,000」; write the pay in yen",
            id="dollars",
        ),
        pytest.param("3名", "not the pay (a count, duration or date part)", id="a-count"),
        pytest.param(
            "賞与300万円", "not the pay (counts, hours, ages, bonuses, allowances, example pay)", id="a-bonus"
        ),
        pytest.param("応相談", "Found no salary figure in 「応相談」", id="no-figure-at-all"),
    ],
)
def test_no_figure_names_why_the_figures_are_not_the_pay(text: str, says: str) -> None:
    """A US salary (`$120,000〜$180,000`, common in 海外の年収 rows) was told its figures were "counts, hours, ages,
    bonuses, allowances, example pay", none of which it holds: the message names the rule that set each aside."""
    [warning] = normalize_salary(text, unit="万円").warnings
    assert warning.code == "salary-no-figure"
    assert says in warning.message, warning.message


def test_rules_run_in_the_documented_order() -> None:
    """RULES lists tokens, figures, bounds, basis, choosing and warnings, in that order."""
    assert [r.__module__.rsplit(".", 1)[1] for r in RULES] == [
        "_tokens",
        "_figures",
        "_bounds",
        "_basis",
        "_choose",
        "_warnings",
    ]


def test_no_function_in_the_package_is_over_fifty_lines() -> None:
    """The rules stay small: no function in jobpipeline.salary is longer than 50 lines."""
    long = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            size = (node.end_lineno or node.lineno) - node.lineno + 1 if isinstance(node, ast.FunctionDef) else 0
            if size > 50:
                long.append(f"{path.name}:{node.name}")
    assert long == []
