"""Rule 4, basis: the pay period of each band, from the basis words around it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jobpipeline.salary._model import PLAUSIBLE_YEN, Band, Basis, State, Tok
from jobpipeline.salary._text import normalize_text
from jobpipeline.salary._tokens import tokenize


def run(state: State) -> None:
    """Give each band the basis its words name; the figure's size settles words that disagree."""
    for segment in state.segments:
        assign_basis(segment.seq, segment.bands)


def fits(basis: Basis, values: Iterable[int]) -> bool:
    """Whether all `values` fall in the plausible yen range of `basis`."""
    low, high = PLAUSIBLE_YEN[basis]
    return all(low <= v <= high for v in values)


def pick_basis(found: Sequence[Tok], values: Sequence[int]) -> tuple[Basis | None, tuple[Basis, ...]]:
    """Choose among basis words (closest first); when they disagree, the figure's size decides."""
    options: list[Basis] = []
    for tok in found:
        if tok.basis is not None and tok.basis not in options:
            options.append(tok.basis)
    if len(options) <= 1:
        return (options[0] if options else None), ()
    strong = [t.basis for t in found if t.strong and t.basis is not None]
    plausible = [b for b in options if fits(b, values)]
    strong_plausible = [b for b in plausible if b in strong]
    if strong_plausible:
        chosen = strong_plausible[0]
        contested = len(set(strong_plausible)) > 1
    elif plausible:
        chosen = plausible[0]
        contested = len(plausible) > 1
    else:
        chosen = next((b for b in options if b in strong), options[0])
        contested = True
    return chosen, (tuple(options) if contested else ())


def assign_basis(seq: Sequence[Tok], bands: Sequence[Band]) -> None:
    """Set `basis` on each band: a suffix right after it, else words before it, else words after it."""
    # The words before a band reach back to the last band that is pay, past any number of excluded
    # ones (`賞与300万円 ` twelve thousand times). Rescanning that span for each band was quadratic
    # (101 s for one 193 KB cell), so the span is read once, left to right, into `_Words`: what
    # `pick_basis` needs of it (each basis once, closest first, and whether any of its words is strong).
    words = _Words()
    scanned = 0
    for index, band in enumerate(bands):
        values = [v for v in (band.min_yen, band.max_yen) if v is not None]
        after = band.last + 1
        if index > 0 and not bands[index - 1].excluded:
            # Excluded bands (賞与…, 業績年俸75万円) do not hide the basis words before them; a pay band does.
            words = _Words()
            scanned = bands[index - 1].last + 1
        for tok in seq[scanned : band.first]:
            words.add(tok)
        scanned = max(scanned, band.first)
        if after < len(seq) and seq[after].kind == "suffix":
            band.basis = seq[after].basis
            continue
        # Words inside the band (`最高年収1,200万円 最低年収500万円`) come first, then those before it.
        inside = [t for t in seq[band.first : band.last + 1] if t.kind == "basis"]
        band.basis, band.basis_options = pick_basis(inside + words.closest_first(), values)
        if band.basis is None:
            next_start = bands[index + 1].first if index + 1 < len(bands) else len(seq)
            trailing = [t for t in seq[after:next_start] if t.kind in ("basis", "suffix")]
            band.basis, band.basis_options = pick_basis(trailing, values)


class _Words:
    """The basis words of a span read left to right, kept as `pick_basis` reads them: per basis, the
    closest (last) word and whether any word of that basis is strong. At most four entries."""

    def __init__(self) -> None:
        self._last: dict[Basis, tuple[Tok, bool]] = {}

    def add(self, tok: Tok) -> None:
        if tok.kind != "basis" or tok.basis is None:
            return
        seen = self._last.pop(tok.basis, None)  # re-inserted: the dict's order is nearest last
        self._last[tok.basis] = (tok, tok.strong or (seen is not None and seen[1]))

    def closest_first(self) -> list[Tok]:
        return [
            tok if tok.strong == strong else Tok(tok.kind, tok.start, tok.end, basis=tok.basis, strong=strong)
            for tok, strong in reversed(self._last.values())
        ]


def basis_from_text(text: str) -> Basis | None:
    """The pay basis named by the first basis word in `text` (a header or a cell), or None.

    Example words (年収例, モデル年収) do not count.

    >>> basis_from_text("年収範囲 (万円)")
    'annual'
    >>> basis_from_text("月給")
    'monthly'
    >>> basis_from_text("経験年数") is None
    True
    """
    tokens = tokenize(normalize_text(text))
    # A bare 年/月 before a digit (`賞与年2回`) is too weak to name a whole text's basis.
    found = [t for t in tokens if t.kind in ("basis", "suffix") and (t.strong or t.end - t.start > 1)]
    strong = [t for t in found if t.strong]
    chosen = (strong or found)[:1]
    return chosen[0].basis if chosen else None
