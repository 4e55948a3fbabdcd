"""`jobpipeline query`'s table: one line per row, fitted to the terminal, whole in a pipe, never raw control
characters from the seeds."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from helpers import ROOT, cli, rows, run_local
from rich.cells import cell_len

from jobpipeline.query_table import NARROWEST, Fit, csv_text, fit_columns, table_width


@pytest.mark.parametrize(
    ("natural", "room", "expected"),
    [
        pytest.param([4, 6], 80, Fit((0, 1), (4, 6)), id="fits-as-it-is"),
        pytest.param([4, 6], None, Fit((0, 1), (4, 6)), id="not-a-terminal-keeps-every-width"),
        pytest.param([300, 2], None, Fit((0, 1), (300, 2)), id="not-a-terminal-cuts-nothing"),
        pytest.param([4, 60, 60], 80, Fit((0, 1, 2), (4, 33, 33)), id="the-widest-give-way-first"),
        pytest.param([4, 90, 20], 80, Fit((0, 1, 2), (4, 46, 20)), id="only-the-widest-is-cut"),
        pytest.param([10] * 12, 80, Fit((0, 1, 2, 9, 10, 11), (9,) * 6, split=3), id="middle-columns-give-way"),
        pytest.param([10] * 7, 80, Fit((0, 1, 2, 3, 4, 5, 6), (8,) * 7), id="seven-fit-at-their-narrowest"),
        pytest.param([3] * 30, 80, Fit((*range(6), *range(24, 30)), (3,) * 12, split=6), id="narrow-many"),
        pytest.param([50], 20, Fit((0,), (16,)), id="one-wide-column-is-cut-to-the-terminal"),
        pytest.param([50, 50], 10, Fit((0,), (8,), split=1), id="narrower-than-two-columns-keeps-the-first"),
        pytest.param([50, 50, 50], 20, Fit((0,), (12,), split=1), id="the-first-beside-the-mark"),
        pytest.param([], 80, Fit((), ()), id="no-columns"),
    ],
)
def test_fit_columns(natural: list[int], room: int | None, expected: Fit) -> None:
    """What is drawn at what width, by the terminal's width and each column's widest cell."""
    fit = fit_columns(natural, room)
    assert fit == expected
    drawn = table_width([*fit.widths, *([1] if fit.split is not None else [])])
    assert room is None or drawn <= room or min(fit.widths) == NARROWEST  # only a too-narrow terminal overflows


def test_hidden_columns_are_those_between_the_halves() -> None:
    fit = fit_columns([10] * 12, 80)
    assert list(fit.hidden(12)) == [3, 4, 5, 6, 7, 8]
    assert list(fit_columns([4, 6], 80).hidden(2)) == []


@pytest.fixture
def seed_warehouse(tmp_path: Path, seeds_dir: Path, write_seed: Callable[..., Path], seed_bytes: bytes) -> Path:
    """The real seed loaded, one note carrying the escape sequences a hostile or broken editor can leave:
    a window title (OSC 0) and clear-screen."""
    text = seed_bytes.decode("utf-8")
    note = "データ基盤の運用補助"
    assert note in text
    write_seed("mlops.txt", text.replace(note, "\x1b]0;PWNED\x07\x1b[2J" + note, 1))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    assert run_local(seeds_dir, warehouse)["files_rejected"] == 0
    return warehouse


def on_a_terminal(columns: int, *args: str) -> str:
    """`jobpipeline ARGS` as a real process on a pseudo-terminal `columns` wide; what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jobpipeline.cli", *args], cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    drawn = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(master)
        process.wait(60)
    assert process.returncode == 0, drawn.decode("utf-8", "replace")
    return drawn.decode("utf-8")


def test_a_wide_result_on_a_terminal_keeps_one_line_per_row(seed_warehouse: Path) -> None:
    """`query "SELECT * FROM salary_bands"` on an 80-column terminal drew 18 columns one letter wide: a value
    a column of characters, three rows some sixty lines. Each row is one line within the terminal now, the
    middle columns give way to `…`, and the last line says which and how to see them."""
    import re

    drawn = on_a_terminal(80, "query", "--warehouse", str(seed_warehouse), "SELECT * FROM salary_bands")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", drawn)  # rich's bold headers
    lines = plain.replace("\r\n", "\n").rstrip("\n").split("\n")
    table, last = lines[:-1], lines[-1]
    assert all(cell_len(line) <= 80 for line in table), plain
    assert len([line for line in table if line.startswith("│")]) == 3, plain
    [(columns,)] = rows(
        seed_warehouse, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'salary_bands'"
    )
    assert last.startswith("3 rows; "), last
    assert f"of {columns} columns fit the terminal" in last and "--format csv writes them all" in last, last
    assert "┃ slug" in plain and "run_id ┃" in plain  # first and last columns kept

    notes = on_a_terminal(80, "query", "--warehouse", str(seed_warehouse), "SELECT note FROM salary_bands")
    assert "\x1b]" not in notes and "\\x1b]0;PWNED\\x07\\x1b[2J" in notes, notes


def test_a_piped_result_is_whole_and_shows_control_characters_escaped(seed_warehouse: Path) -> None:
    """Not a terminal (a pipe, a file): every column and every character, at the table's own width; a note
    holding ESC sequences (a window title, clear-screen) reached the reader's terminal raw and ran."""
    result = cli("query", "--warehouse", str(seed_warehouse), "SELECT * FROM salary_bands ORDER BY ordinal")
    assert result.exit_code == 0, result.output
    [(columns,)] = rows(
        seed_warehouse, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'salary_bands'"
    )
    notes = [note for (note,) in rows(seed_warehouse, "SELECT note FROM salary_bands ORDER BY ordinal")]
    lines = result.stdout.splitlines()
    header = lines[1]
    assert header.count("┃") == columns + 1, header
    assert "\x1b" not in result.stdout
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in lines[3], lines[3]
    for note, line in zip(notes, lines[3:6], strict=True):
        assert note.replace("\x1b", "\\x1b").replace("\x07", "\\x07") in line
    assert lines[-1] == "3 rows"
    # Line breaks drive nothing: a value keeps its lines (an EXPLAIN plan stays a drawing).
    plan = cli("query", "--warehouse", str(seed_warehouse), "EXPLAIN SELECT * FROM articles").stdout
    assert "\\n" not in plan and any(line.startswith("│ ") and "Seq Scan" in line for line in plan.splitlines()), plan
    markdown = cli("query", "--warehouse", str(seed_warehouse), "SELECT note FROM salary_bands", "--format", "markdown")
    assert "\x1b" not in markdown.stdout and "\\x1b]0;PWNED" in markdown.stdout


def test_csv_writes_lists_and_structs_as_json_text(seed_warehouse: Path) -> None:
    """`--format csv` of a result with a list or a struct (`tool_counts.spellings`, `list(...)`, a struct
    literal) ended in a polars traceback, "CSV format does not support nested data". Such values are JSON
    text in their cell; the format of the plain columns is as before."""
    sql = "SELECT slug, list(tag ORDER BY tag) AS tags, {'n': count(*)} AS counted FROM tags GROUP BY slug"
    result = cli("query", "--warehouse", str(seed_warehouse), "--format", "csv", sql)
    assert result.exit_code == 0, result.output
    header, line = result.stdout.strip().split("\n")
    assert header == "slug,tags,counted"
    assert line.startswith('mlops_engineer,"[""') and line.endswith('""機械学習運用""]","{""n"": 13}"'), line


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        pytest.param(pl.Series("v", [["a", "b"]]), '"[""a"", ""b""]"', id="list"),
        pytest.param(pl.Series("v", [{"n": 1}]), '"{""n"": 1}"', id="struct"),
        pytest.param(pl.Series("v", [b"ab\x00\\"]), "ab\\x00\\x5C", id="blob-as-duckdb-casts-it"),
        pytest.param(pl.Series("v", [None], dtype=pl.List(pl.String)), "", id="null-list"),
        pytest.param(pl.Series("v", [1.5]), "1.5", id="plain-stays-plain"),
    ],
)
def test_csv_text_writes_what_csv_cannot_hold_as_text(column: pl.Series, cell: str) -> None:
    """A BLOB column made `--format csv` raise "datatype binary cannot be written to CSV" as the nested ones
    did: each kind of value gets the text it is written as."""
    assert csv_text(pl.DataFrame([column])) == f"v\n{cell}\n"
