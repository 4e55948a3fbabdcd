"""Rule 3, bounds and open ends: group figures into candidate bands, per main text and per note."""

from __future__ import annotations

from collections.abc import Sequence

from jobpipeline.salary._figures import band_yen
from jobpipeline.salary._model import Band, Segment, State, Tok

_BOUND_MARKS = ("open_up", "open_low")


def run(state: State) -> None:
    """Split the tokens into segments, group each into bands and give every band its yen values."""
    state.segments = segments(state.tokens, state.pairs)
    for segment in state.segments:
        segment.bands = group(segment.seq, segment.note)
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
                segs[stack[-1]].seq.append(boundary)
                segs.append(Segment(True, []))
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


def _from_figure(seq: Sequence[Tok], i: int, first: int, prefix: str | None, note: bool) -> tuple[Band, int]:
    """The band that starts with the pay figure `seq[i]`, and the index after it."""
    tok = seq[i]
    j, up, low = _skip_marks(seq, i + 1)
    n = len(seq)
    if j < n and seq[j].kind in ("range", "dash") and not low:
        if j + 1 < n and is_pay(seq[j + 1]):
            k, hi_up, _ = _skip_marks(seq, j + 2)
            return Band(tok, seq[j + 1], False, hi_up, first, k - 1, note), k
        if seq[j].kind == "range":
            return Band(tok, None, False, True, first, j, note), j + 1
    if low or prefix == "pre_max":
        band = Band(None, tok, True, False, first, j - 1, note)
    elif up or prefix == "pre_min":
        band = Band(tok, None, False, True, first, j - 1, note)
    else:
        band = Band(tok, tok, False, False, first, j - 1, note)
    return band, j


def group(seq: Sequence[Tok], note: bool) -> list[Band]:
    """Candidate bands of one segment, in order: ranges, single figures and open ends."""
    bands: list[Band] = []
    i, n = 0, len(seq)
    while i < n:
        first = i
        prefix = None
        if seq[i].kind in ("pre_min", "pre_max") and i + 1 < n and is_pay(seq[i + 1]):
            prefix = seq[i].kind
            i += 1
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
