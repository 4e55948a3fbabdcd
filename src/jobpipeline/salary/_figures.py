"""Rule 2, figures and units: which figures are money and which are the pay, and bands in yen.

The rule reads the header unit, marks figures that are counts or per-task prices, and excludes the
band after a context word (賞与, 手当, 年収例…). `band_yen` gives a band its yen values once the
bounds rule has paired the figures. Reading a number is `_amounts.read_amount`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from jobpipeline.salary._amounts import to_yen, unit_scale
from jobpipeline.salary._model import Band, State, Tok

# --------------------------------------------------------------------------------------------------
# The rule: header unit and money marking


def run(state: State) -> None:
    """Read the header unit and mark the figures that are counts, not pay."""
    if state.unit is not None and state.unit.strip() != "":
        state.header_scale = unit_scale(state.unit)
        state.unit_unknown = state.header_scale is None
    mark_money(state.tokens, state.pairs)
    mark_exclusion(state.tokens, state.pairs)


def _range_of_counts(tokens: Sequence[Tok]) -> None:
    """A bare number ranged with a count is a count too: `0-3年`, `20~23日`."""
    for _ in range(2):
        for idx in range(1, len(tokens) - 1):
            left, mid, right = tokens[idx - 1], tokens[idx], tokens[idx + 1]
            if mid.kind in ("range", "dash") and left.kind == "fig" and right.kind == "fig":
                if not left.money and not right.explicit:
                    right.money, right.why_not_money = False, _ranged_with(left)
                if not right.money and not left.explicit:
                    left.money, left.why_not_money = False, _ranged_with(right)


def _ranged_with(other: Tok) -> str:
    """Why a bare figure ranged with `other` is not pay: `$120,000〜180,000` is dollars at both ends."""
    return other.why_not_money if other.why_not_money == "another currency" else "ranged with a count"


def _per_unit_prices(tokens: Sequence[Tok]) -> None:
    """The band right after `1件` or `1現場につき` is a price per task or site, not a wage."""
    for idx in range(len(tokens) - 1):
        if not (tokens[idx].kind == "fig" and tokens[idx].per_unit):
            continue
        price = [idx + 1]
        if idx + 3 < len(tokens) and tokens[idx + 2].kind in ("range", "dash"):
            price.append(idx + 3)
        for k in price:
            if tokens[k].kind == "fig" and tokens[k].money:
                tokens[k].money, tokens[k].why_not_money = False, "a price per task or site, not a wage"


def mark_money(tokens: Sequence[Tok], pairs: dict[int, int]) -> None:
    """Mark figures that are not money: ranged counts, per-task prices, enumerators `(1)`."""
    _range_of_counts(tokens)
    _per_unit_prices(tokens)
    for idx, tok in enumerate(tokens):
        if tok.kind == "per" and idx > 0 and tokens[idx - 1].kind == "fig":
            prev = tokens[idx - 1]
            prev.money, prev.why_not_money = False, "paid per task, not a wage"  # `5,500円/回`
    for open_idx, close_idx in pairs.items():
        if close_idx - open_idx != 2:  # not slicing first: nested brackets made that quadratic
            continue
        inner = tokens[open_idx + 1]
        if inner.kind == "fig" and not inner.explicit and inner.value < 100:
            inner.money, inner.why_not_money = False, "an enumerator like (1)"


# --------------------------------------------------------------------------------------------------
# Context words: the band after 賞与, 手当, 年収例… is not the pay

_FREE, _WAITING, _IN_BAND = 0, 1, 2
# Tokens that continue an excluded band: its range mark, open-end marks, a `/月` suffix.
_BAND_PARTS = ("range", "dash", "open_up", "open_low", "suffix", "per")
_RESETS = ("neutral", "newline", "stop")


def _step(mode: int, tok: Tok, prev: Tok | None) -> int:
    """The exclusion mode after `tok`; marks `tok` when it is a figure inside an excluded band."""
    if tok.kind == "excl":
        return _WAITING
    if tok.kind in _RESETS or (tok.kind == "basis" and tok.strong):
        return _FREE
    if tok.kind == "fig":
        partner = prev is not None and prev.kind in ("range", "dash")
        if (mode == _WAITING and tok.money) or (mode == _IN_BAND and partner and tok.money):
            tok.excluded = True
            return _IN_BAND
        return _FREE if mode == _IN_BAND else mode
    return mode if mode != _IN_BAND or tok.kind in _BAND_PARTS else _FREE


def mark_exclusion(tokens: Sequence[Tok], pairs: dict[int, int]) -> None:
    """Exclude the band after a context word (賞与, 手当, 資本金, 年収例...).

    The word covers the next money figure and its range partner, and ends earlier at a pay word, a
    line or sentence end, or the end of its bracket: `業績年俸75万円(…) 3,800,000円~` keeps the second.
    """
    if not any(t.kind == "excl" for t in tokens):
        return
    closers: dict[int, list[int]] = {}
    for open_idx, close_idx in pairs.items():
        closers.setdefault(close_idx, []).append(open_idx)
    stack: list[int] = [_FREE]
    prev: Tok | None = None
    for idx, tok in enumerate(tokens):
        for _ in closers.get(idx, ()):
            if len(stack) > 1:
                inner = stack.pop()
                stack[-1] = _FREE if inner == _IN_BAND and stack[-1] == _IN_BAND else stack[-1]
        if idx in pairs:
            stack.append(_WAITING if stack[-1] != _FREE else _FREE)
            continue
        stack[-1] = _step(stack[-1], tok, prev)
        prev = tok


# --------------------------------------------------------------------------------------------------
# Units of a band

_STEP_DOWN: Final = (100_000_000, 10_000, 1_000, 1)
_STEP_UP: Final = (1_000, 10_000, 100_000_000)


def _inherit_scale(bare: Tok, other: Tok, bare_is_low: bool) -> int:
    """The unit a bare end of a range takes from the other end: `420-650万` reads 420 as 420万."""
    if bare_is_low:
        order = (other.scale, *(s for s in _STEP_DOWN if s < other.scale))
    else:
        order = (other.scale, *(s for s in _STEP_UP if s > other.scale))
    for scale in order:
        value = bare.value * scale
        if (value <= other.value) if bare_is_low else (value >= other.value):
            return scale
    return other.scale


def band_yen(band: Band, header_scale: int | None) -> None:
    """Set the band's yen values, giving bare figures the unit of their partner or the header."""
    lo, hi = band.lo, band.hi
    scales: dict[int, int] = {}
    if lo is not None and hi is not None and lo is not hi and lo.explicit != hi.explicit:
        bare, other = (lo, hi) if hi.explicit else (hi, lo)
        scales[id(bare)] = _inherit_scale(bare, other, bare_is_low=bare is lo)
    else:
        for fig in band.figs:
            if not fig.explicit:
                if header_scale is None:
                    band.unit_assumed = True
                scales[id(fig)] = header_scale or 1
    band.min_yen = None if lo is None else to_yen(lo.value * scales.get(id(lo), 1))
    band.max_yen = None if hi is None else to_yen(hi.value * scales.get(id(hi), 1))
