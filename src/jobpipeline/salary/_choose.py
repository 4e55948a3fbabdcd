"""Rule 5, choosing the band: skip figures that are not the pay, prefer the main text, first band wins."""

from __future__ import annotations

from collections.abc import Sequence

from jobpipeline.salary._basis import basis_from_text
from jobpipeline.salary._model import Band, State


def run(state: State) -> None:
    """Choose among the bands that are pay and settle the basis."""
    pay = [b for b in state.bands if not b.excluded]
    pool = [b for b in pay if not b.note] or [b for b in pay if b.note]
    if not pool:
        state.reason = "no band is pay"
        state.basis = basis_from_text(state.raw) or state.hint or "unknown"
        return
    if state.hint is not None:
        pool = [b for b in pool if b.basis in (None, state.hint)] or pool
    state.distinct = distinct_bands(pool)
    state.chosen = state.distinct[0]
    state.basis = state.chosen.basis or state.hint or "unknown"
    state.reason = _reason(state, pay)


def _reason(state: State, pay: Sequence[Band]) -> str:
    """Why the chosen band won, in words for `--explain`."""
    chosen = state.chosen
    assert chosen is not None
    parts = ["the first pay band" if len(state.distinct) > 1 else "the only pay band"]
    if chosen.note:
        parts.append("inside a note, as nothing outside the notes is pay")
    elif any(b.note for b in pay):
        parts.append("outside the notes")
    if state.hint is not None and chosen.basis in (None, state.hint):
        parts.append(f"on the hinted basis ({state.hint})")
    return "; ".join(parts)


def distinct_bands(pool: Sequence[Band]) -> list[Band]:
    """Bands with distinct values, in order; a repeat lends its basis to the first when that has none."""
    # Looked up by key, not by scanning the list: a cell of thousands of different bands was quadratic.
    distinct: dict[tuple[int | None, int | None, bool, bool], Band] = {}
    for band in pool:
        same = distinct.get(band.key)
        if same is None:
            distinct[band.key] = band
        elif same.basis is None and band.basis is not None:
            same.basis, same.basis_options = band.basis, band.basis_options
    return list(distinct.values())
