"""Rule 3, bounds and open ends: group figures into candidate bands, per main text and per note."""

from __future__ import annotations

from collections.abc import Sequence

from jobpipeline.salary._figures import band_yen
from jobpipeline.salary._model import Band, Segment, State, Tok

_BOUND_MARKS = ("open_up", "open_low")
# Words that may sit between a figure and its range mark: `224,000 JPY per month (minimum) to …`.
_BETWEEN_FIGURE_AND_MARK = ("basis", "suffix", "neutral", "pre_min", "pre_max")
_ENDS = ("newline", "sep", "stop")


def run(state: State) -> None:
    """Split the tokens into segments, group each into bands and give every band its yen values."""
    state.segments = segments(state.tokens, state.pairs)
    for segment in state.segments:
        segment.bands = merge_bounds(group(segment.seq, segment.note), segment.seq)
        for band in segment.bands:
            band_yen(band, state.header_scale)
    state.bands = sorted((b for s in state.segments for b in s.bands), key=lambda b: b.pos)


def _note_groups(tokens: Sequence[Tok], pairs: dict[int, int]) -> set[int]:
    """Opening indexes of brackets (and `※` lines) that hold a money figure."""
    # Money figures before each index, so "does this bracket hold money" is O(1) (nested brackets
    # `((((…` made a scan per bracket quadratic).
    money_before = [0]
    for tok in tokens:
        money_before.append(money_before[-1] + (tok.kind == "fig" and tok.money))
    return {o for o, c in pairs.items() if money_before[c] - money_before[min(o + 1, c)] > 0}


def segments(tokens: Sequence[Tok], pairs: dict[int, int]) -> list[Segment]:
    """Split tokens into the main sequence and one sequence per note (a bracket holding money)."""
    if not pairs:  # most table cells: no bracket, one segment
        return [Segment(False, list(tokens))]
    note_groups = _note_groups(tokens, pairs)
    closers: dict[int, list[int]] = {}
    for open_idx, close_idx in pairs.items():
        closers.setdefault(close_idx, []).append(open_idx)
    segs: list[Segment] = [Segment(False, [])]
    stack: list[int] = [0]
    boundary = Tok("sep", -1, -1)
    for idx, tok in enumerate(tokens):
        for open_idx in closers.get(idx, ()):
            if open_idx in note_groups and len(stack) > 1:
                stack.pop()
                segs[stack[-1]].seq.append(boundary)
        if idx in pairs:
            if idx in note_groups:
                parent = segs[stack[-1]].seq
                # A basis word right before the note names the note's basis: `人月単価(例: 80万円)`.
                inherited = [parent[-1]] if parent and parent[-1].kind == "basis" else []
                parent.append(boundary)
                segs.append(Segment(True, inherited))
                stack.append(len(segs) - 1)
            continue
        if tok.kind in ("pclose", "note"):
            continue
        segs[stack[-1]].seq.append(tok)
    return segs


def is_pay(tok: Tok) -> bool:
    """A figure that is money."""
    return tok.kind == "fig" and tok.money


def _skip_marks(seq: Sequence[Tok], j: int) -> tuple[int, bool, bool]:
    """Skip the open-end marks after a figure: (next index, saw an upper mark, saw a lower mark)."""
    up = low = False
    while j < len(seq) and seq[j].kind in _BOUND_MARKS:
        up, low = up or seq[j].kind == "open_up", low or seq[j].kind == "open_low"
        j += 1
    return j, up, low


def _range_mark_after(seq: Sequence[Tok], j: int) -> int:
    """Index of a range mark at or after `j`, past basis words and labels; `j` when there is none."""
    k = j
    while k < len(seq) and seq[k].kind in _BETWEEN_FIGURE_AND_MARK:
        k += 1
    return k if k > j and k < len(seq) and seq[k].kind in ("range", "dash") else j


def _upper_after(seq: Sequence[Tok], j: int, lo_first: int) -> int | None:
    """Index of the pay figure that ends a range whose mark is `seq[j]`, or None.

    A basis word may repeat between the mark and the figure when it also stands before the lower
    figure: `月給300,000円から月給900,000円`.
    """
    k = j + 1
    before = seq[lo_first - 1] if lo_first > 0 else None
    while k < len(seq) and seq[k].kind == "basis" and before is not None and before.basis == seq[k].basis:
        k += 1
    return k if k < len(seq) and is_pay(seq[k]) else None


def _from_figure(seq: Sequence[Tok], i: int, first: int, prefix: str | None, note: bool) -> tuple[Band, int]:
    """The band that starts with the pay figure `seq[i]`, and the index after it."""
    tok = seq[i]
    j, up, low = _skip_marks(seq, i + 1)
    j = _range_mark_after(seq, j)
    n = len(seq)
    label = {"pre_min": "min", "pre_max": "max"}.get(prefix or "", "")
    if j < n and seq[j].kind in ("range", "dash") and not low:
        upper = _upper_after(seq, j, first)
        if upper is not None:
            k, hi_up, _ = _skip_marks(seq, upper + 1)
            return Band(tok, seq[upper], False, hi_up, first, k - 1, note), k
        # `500万円〜`; a dash stuck to the figure at the end of a line too (`1,400円-`).
        trailing_dash = seq[j].start == tok.end and (j + 1 == n or seq[j + 1].kind in _ENDS)
        if seq[j].kind == "range" or trailing_dash:
            return Band(tok, None, False, True, first, j, note, label=label), j + 1
    if low or prefix == "pre_max":
        band = Band(None, tok, True, False, first, j - 1, note, label=label)
    elif up or prefix == "pre_min":
        band = Band(tok, None, False, True, first, j - 1, note, label=label)
    else:
        band = Band(tok, tok, False, False, first, j - 1, note)
    return band, j


def _labelled_figure(seq: Sequence[Tok], i: int) -> int | None:
    """Index of the pay figure a label at `seq[i]` introduces (`最低20万円`, `最高年収1,200万円`), or None."""
    if seq[i].kind not in ("pre_min", "pre_max"):
        return None
    k = i + 1
    while k < len(seq) and seq[k].kind in ("basis", "neutral"):
        k += 1
    return k if k < len(seq) and is_pay(seq[k]) else None


def group(seq: Sequence[Tok], note: bool) -> list[Band]:
    """Candidate bands of one segment, in order: ranges, single figures and open ends."""
    bands: list[Band] = []
    i, n = 0, len(seq)
    while i < n:
        first = i
        prefix = None
        labelled = _labelled_figure(seq, i)
        if labelled is not None:
            prefix = seq[i].kind
            i = labelled
        tok = seq[i]
        if is_pay(tok):
            band, i = _from_figure(seq, i, first, prefix, note)
            bands.append(band)
            continue
        if tok.kind == "range" and i + 1 < n and is_pay(seq[i + 1]):
            k, _, _ = _skip_marks(seq, i + 2)
            bands.append(Band(None, seq[i + 1], True, False, first, k - 1, note))
            i = k
            continue
        i += 1
    return bands


def _only_separators(seq: Sequence[Tok], start: int, stop: int) -> bool:
    return all(t.kind in ("sep", "neutral") for t in seq[start:stop])


def _labelled_pair(a: Band, b: Band) -> Band | None:
    """One band from a `最低…` band and a `最高…` band, in either order (`最高額:1,000万円〜 最低額:400万円`)."""
    if {a.label, b.label} != {"min", "max"}:
        return None
    low, high = (a, b) if a.label == "min" else (b, a)
    lo = low.lo or low.hi
    hi = high.hi or high.lo
    # An open mark on the highest figure (`1,000万円〜`, `以上`) leaves the top open.
    max_open = high.hi is None and high.max_open
    return Band(lo, hi, False, max_open, min(a.first, b.first), max(a.last, b.last), a.note, merged=["labels"])


def _worded_pair(a: Band, b: Band) -> Band | None:
    """One band from `X超` followed by `Y以下` (two bound words around a range)."""
    if a.label or b.label or a.hi is not None or a.lo is None or b.lo is not None or b.hi is None:
        return None
    return Band(a.lo, b.hi, False, False, a.first, b.last, a.note, merged=["bound words"])


def merge_bounds(bands: list[Band], seq: Sequence[Tok]) -> list[Band]:
    """Join neighbouring half-open bands that state the two ends of one range."""
    merged: list[Band] = []
    for band in bands:
        prev = merged[-1] if merged else None
        if prev is not None and _only_separators(seq, prev.last + 1, band.first):
            joined = _labelled_pair(prev, band) or _worded_pair(prev, band)
            if joined is not None:
                merged[-1] = joined
                continue
        merged.append(band)
    return merged
