"""`jobpipeline query`'s table: a result drawn to fit the terminal, as DuckDB's own shell draws it.

rich shares the width out among the columns and folds what does not fit, so `SELECT * FROM salary_bands`
(18 columns) on an 80-column terminal came out one letter wide, a cell a column of characters, three rows
some sixty lines. Here a value keeps one line (or its own lines, when it has line breaks): wide values are
cut with `…`, and when even the narrowest cut does not fit, the middle columns give way to a `…` column and
the last line says which went (DuckDB's duckbox does the same). Output that is not a terminal (a pipe, a
file) keeps every column and every character. (`csv_text`, for `--format csv`, is here too: the other way
a result is drawn.) The values are the seeds' own text, so control characters
are shown escaped: a note holding ESC or OSC sequences must not drive the reader's terminal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from rich.cells import cell_len
from rich.table import Table

from jobpipeline.models import one_line

NARROWEST = 8
"""Cells a cut column keeps (`min_yen`, `2026-12-…`): narrower, a cut value says nothing."""

HIDDEN_MARK = "…"

_BORDER = 1
"""The table's left edge; each column adds its width, a space either side and its right edge (3)."""


def table_width(widths: Sequence[int]) -> int:
    """Cells the drawn table takes for columns of these widths."""
    return _BORDER + sum(width + 3 for width in widths)


@dataclass(frozen=True)
class Fit:
    """How a result's columns are drawn: which (by index, in order) at what width; hidden columns, if
    any, are those between `shown[split - 1]` and `shown[split]`, where the `…` column goes."""

    shown: tuple[int, ...]
    widths: tuple[int, ...]
    split: int | None = None

    def hidden(self, columns: int) -> range:
        """The columns left out, of `columns` in all."""
        if self.split is None:
            return range(0)
        end = self.shown[self.split] if self.split < len(self.shown) else columns
        return range(self.shown[self.split - 1] + 1, end)

    def cut(self, natural: Sequence[int]) -> bool:
        """True when some shown column is narrower than its widest value."""
        return any(width < natural[index] for index, width in zip(self.shown, self.widths, strict=True))


def _narrowest(natural: Sequence[int]) -> tuple[int, ...]:
    """Each column at the narrowest it is cut to (a narrower one keeps its own width)."""
    return tuple(min(width, NARROWEST) for width in natural)


def _capped(natural: Sequence[int], room: int) -> tuple[int, ...] | None:
    """Widths no wider than `natural` and than the largest cap that fits `room` cells of table; the
    widest columns give way first. None if the columns do not fit even at `NARROWEST`."""
    if table_width(_narrowest(natural)) > room:
        return None
    low, high = NARROWEST, max(natural, default=NARROWEST)
    while low < high:  # the largest cap whose table fits
        middle = (low + high + 1) // 2
        if table_width([min(width, middle) for width in natural]) <= room:
            low = middle
        else:
            high = middle - 1
    return tuple(min(width, low) for width in natural)


def fit_columns(natural: Sequence[int], room: int | None) -> Fit:
    """Which columns to draw at what width, given each column's natural width (its widest cell or
    header) and the terminal's width (`room`; None: not a terminal, nothing is cut).

    >>> fit_columns([4, 6], 80)
    Fit(shown=(0, 1), widths=(4, 6), split=None)
    >>> fit_columns([4, 60, 60], 80).widths  # the wide columns give way, the narrow one keeps its width
    (4, 33, 33)
    >>> fit_columns([10] * 12, 80)  # the first and last columns stay; the middle ones give way to `…`
    Fit(shown=(0, 1, 2, 9, 10, 11), widths=(9, 9, 9, 9, 9, 9), split=3)
    """
    everything = tuple(range(len(natural)))
    if room is None:
        return Fit(everything, tuple(natural))
    widths = _capped(natural, room)
    if widths is not None:
        return Fit(everything, widths)
    # Left and right alternately, while they fit beside the `…` column at their narrowest.
    left: list[int] = []
    right: list[int] = []
    chosen = [len(HIDDEN_MARK)]
    for index in _outside_in(len(natural)):
        narrowest = min(natural[index], NARROWEST)
        if table_width([*chosen, narrowest]) > room and left:
            break
        (left if index < len(natural) / 2 else right).append(index)
        chosen.append(narrowest)
    shown = (*left, *sorted(right))
    if len(shown) == len(natural):  # a terminal narrower than one column: cut, hide nothing
        return Fit(shown, _narrowest(natural))
    kept = [natural[index] for index in shown]
    return Fit(shown, _capped(kept, room - (len(HIDDEN_MARK) + 3)) or _narrowest(kept), len(left))


def _outside_in(count: int) -> list[int]:
    """0, count-1, 1, count-2, ...: the order DuckDB keeps columns when not all fit."""
    order: list[int] = []
    low, high = 0, count - 1
    while low <= high:
        order.append(low)
        if high != low:
            order.append(high)
        low, high = low + 1, high - 1
    return order


def cell_text(value: Any) -> str:
    """A value as the table shows it: NULL empty, control characters escaped but for line breaks, which
    the cell keeps (an EXPLAIN plan, a multi-line note; they drive nothing).

    >>> cell_text("a\\r\\nb\\x1b[2J"), cell_text(None)
    ('a\\nb\\\\x1b[2J', '')
    """
    if value is None:
        return ""
    return "\n".join(one_line(line) for line in value_text(value).replace("\r\n", "\n").split("\n"))


def value_text(value: Any) -> str:
    """A value as text, the same in every format: lists, structs and maps as JSON (as the CSV and JSON
    formats write them, not Python's `['a']`), a BLOB as DuckDB casts it.

    >>> value_text(["ジュピター", "b"]), value_text({"a": 1}), value_text(b"ab"), value_text(1.5)
    ('["ジュピター", "b"]', '{"a": 1}', 'ab', '1.5')
    """
    if isinstance(value, list | tuple | dict):
        return _json_text(value)
    if isinstance(value, bytes):
        return _blob_text(value)
    return str(value)


def text_width(text: str) -> int:
    """Terminal cells the widest line of `text` takes (CJK characters take two)."""
    return max(cell_len(line) for line in text.split("\n"))


def draw(columns: Sequence[str], rows: Sequence[Sequence[Any]], room: int | None) -> tuple[Table, int, str | None]:
    """The table of `rows` fitted to `room` cells (None: not a terminal), the cells it takes across, and
    what the last line should add about columns or values left out (None when nothing was)."""
    texts = [[cell_text(value) for value in row] for row in rows]
    headers = [cell_text(name) for name in columns]
    natural = [
        max([text_width(headers[index]), *(text_width(row[index]) for row in texts)]) for index in range(len(headers))
    ]
    fit = fit_columns(natural, room)
    table = Table(show_lines=False)
    picked = list(fit.shown)
    if fit.split is not None:
        picked.insert(fit.split, -1)
    width_of = dict(zip(fit.shown, fit.widths, strict=True))
    for index in picked:
        if index < 0:
            table.add_column(HIDDEN_MARK, no_wrap=True, width=len(HIDDEN_MARK))
        else:
            table.add_column(headers[index], no_wrap=True, overflow="ellipsis", width=width_of[index])
    for row in texts:
        table.add_row(*(HIDDEN_MARK if index < 0 else row[index] for index in picked))
    notes = []
    hidden = fit.hidden(len(columns))
    if hidden:
        first, last = headers[hidden[0]], headers[hidden[-1]]
        names = first if len(hidden) == 1 else f"{first} … {last}"
        notes.append(
            f"{len(fit.shown)} of {len(columns)} columns fit the terminal ({names} hidden): "
            "SELECT the columns you want, or --format csv writes them all"
        )
    if fit.cut(natural):
        notes.append("values cut at … are whole in --format csv or json")
    drawn = [*fit.widths, *([len(HIDDEN_MARK)] if fit.split is not None else [])]
    return table, table_width(drawn), "; ".join(notes) or None


def csv_text(frame: pl.DataFrame) -> str:
    """`frame` as CSV. What CSV cannot hold is written as text: lists, structs and maps as JSON
    (`["a", "b"]`), bytes (a BLOB) as DuckDB writes them (`ab\\x00`).

    >>> print(csv_text(pl.DataFrame({"tool": ["x"], "spellings": [["ジュピター", "b"]], "raw": [b"ab\\x00"]})), end="")
    tool,spellings,raw
    x,"[""ジュピター"", ""b""]",ab\\x00
    """
    text = [
        pl.col(name).map_elements(_json_text if dtype.is_nested() else _blob_text, return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype.is_nested() or dtype == pl.Binary
    ]
    return (frame.with_columns(text) if text else frame).write_csv()


def _blob_text(value: bytes) -> str:
    """A BLOB as DuckDB casts one to text: printable ASCII as is, any other byte (and `\\`) as `\\xHH`."""
    return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in value)


def _json_text(value: Any) -> str:
    return json.dumps(value.to_list() if isinstance(value, pl.Series) else value, ensure_ascii=False, default=str)
