"""`jobpipeline salary`: JSON by default, `--explain` for how a string was read."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_salary_corpus import load_corpus
from typer.testing import CliRunner

from jobpipeline.cli import app
from jobpipeline.salary import Explanation, explain_salary


def run(*args: str, stdin: str | None = None) -> str:
    """stdout of the CLI; fails when it exits non-zero."""
    result = CliRunner().invoke(app, ["salary", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_has_no_explain_field_unless_asked() -> None:
    """The plain JSON record keeps its fields; `explain` appears only with --explain."""
    (plain,) = [json.loads(line) for line in run("月給25万円").splitlines()]
    assert "explain" not in plain
    (explained,) = [json.loads(line) for line in run("--explain", "--format", "json", "月給25万円").splitlines()]
    assert {k: v for k, v in explained.items() if k != "explain"} == plain
    assert [t["role"] for t in explained["explain"]["tokens"]] == ["basis word", "figure", "unit"]
    assert explained["explain"]["candidates"][0]["status"].startswith("chosen")


def test_explain_text_shows_tokens_candidates_winner_and_warnings() -> None:
    """The text explanation lists roles, every candidate with its fate, the result and each warning."""
    out = run("--explain", "①月給25万円 ②時給1,200円")
    for expected in (
        "basis word",
        "figure",
        "unit",
        "candidate bands:",
        "* 「25万円」",
        "chosen: the first pay band",
        "- 「1,200円」",
        "passed over: a later pay band",
        "result: monthly",
        "salary-ambiguous:",
    ):
        assert expected in out


def test_explain_reads_stdin_one_line_per_text() -> None:
    """Without arguments, each stdin line is explained in turn."""
    out = run("--explain", stdin="20万?25万円\n応相談\n")
    assert out.count("candidate bands:") == 2
    assert "lost in an encoding round trip" in out
    assert "salary-no-figure" in out


def test_text_format_without_explain_is_one_line_per_band() -> None:
    """`--format text` alone prints the band in one line, then its warnings."""
    assert (
        run("--format", "text", "--unit", "万円", "450〜700").strip() == "「450〜700」 unknown 4,500,000–7,000,000 yen"
    )


def test_unknown_format_is_a_usage_error() -> None:
    """A format other than json or text exits 2 with what to use."""
    result = CliRunner().invoke(app, ["salary", "--format", "csv", "450"])
    assert result.exit_code == 2
    assert "json or text" in result.output


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        pytest.param(
            "300万円超400万円以下", ["figure", "unit", "bound word", "figure", "unit", "bound word"], id="bound-words"
        ),
        pytest.param("賞与 30万円", ["context word", "figure", "unit"], id="context-word"),
        pytest.param("25万円（月給）", ["figure", "unit", "bracket", "basis word", "bracket"], id="bracket-basis"),
        pytest.param(
            "月給25万円（年収300万円）",
            ["basis word", "figure", "unit", "note", "basis word", "figure", "unit", "note"],
            id="note",
        ),
    ],
)
def test_roles(text: str, roles: list[str]) -> None:
    """Each token gets the role an editor would look for."""
    assert [t.role for t in explain_salary(text).tokens] == roles


@settings(max_examples=200, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60), st.text(alphabet="0123456789万円〜~-?・()（）年収月給時以上以下超 ", max_size=30)
    )
)
def test_explanation_never_raises_and_chooses_the_band_it_returns(text: str) -> None:
    """Any text can be explained, and the explanation agrees with itself: the candidate it marks chosen has
    the figures and open ends of the band returned (and its basis, when its words name one); with none
    chosen, the band has no figures. (Comparing `result` with `normalize_salary` would compare one call
    with itself: both run `read_salary`.)"""
    explanation = explain_salary(text)
    assert_chooses_the_band_it_returns(explanation)


def assert_chooses_the_band_it_returns(explanation: Explanation) -> None:
    band = explanation.result
    chosen = [c for c in explanation.candidates if c.status.startswith("chosen")]
    assert len(chosen) <= 1, chosen
    if not chosen:
        assert (band.min_yen, band.max_yen) == (None, None), explanation
        return
    [candidate] = chosen
    assert (candidate.min_yen, candidate.max_yen, candidate.min_open, candidate.max_open) == (
        band.min_yen,
        band.max_yen,
        band.min_open,
        band.max_open,
    ), explanation
    assert candidate.basis in (None, band.basis), explanation


def test_every_corpus_string_can_be_explained() -> None:
    """Each real corpus string explains without error, with one chosen candidate at most."""
    for row in load_corpus():
        assert_chooses_the_band_it_returns(explain_salary(row.text))
