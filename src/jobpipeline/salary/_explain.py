"""How a string was read, for `jobpipeline salary --explain`: tokens with roles, candidates, the choice."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from jobpipeline.salary._model import Band, Basis, Segment, State, Tok, YenBand

_ROLES = {
    "fig": "figure", "range": "range mark", "dash": "range mark", "open_up": "bound word",
    "open_low": "bound word", "pre_min": "bound word", "pre_max": "bound word", "between": "bound word",
    "basis": "basis word", "suffix": "basis word", "neutral": "pay word", "excl": "context word",
    "per": "per-task mark", "note": "note", "popen": "bracket", "pclose": "bracket",
}  # fmt: skip
_DETAILS = {
    "open_up": "opens the top, or keeps the top figure with an open end",
    "open_low": "opens the bottom",
    "pre_min": "labels the lower bound",
    "pre_max": "labels the upper bound",
    "between": "starts a range",
    "neutral": "names pay without a basis; ends a context word's reach",
    "excl": "the band after it is not the pay (bonus, allowance, example pay…)",
    "per": "the figure before it is paid per task",
}


class ExplainedToken(BaseModel):
    """One piece of the normalized text and the role the rules gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(description="The piece of normalized text.")
    role: str = Field(description="figure, unit, range mark, bound word, basis word, pay word, context word, note…")
    detail: str = Field(default="", description="What the role means here (a basis, why a figure is not money).")


class ExplainedBand(BaseModel):
    """One candidate band and what became of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(description="The text the band was read from.")
    basis: Basis | None = Field(description="The basis its words name, or None.")
    min_yen: int | None = Field(description="Lower bound in yen.")
    max_yen: int | None = Field(description="Upper bound in yen.")
    min_open: bool = Field(description="The lower end is open.")
    max_open: bool = Field(description="The upper end is open.")
    status: str = Field(description="chosen, or why it was passed over.")


class Explanation(BaseModel):
    """How one salary string was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(description="The text after NFKC normalization, which the rules read.")
    tokens: tuple[ExplainedToken, ...] = Field(description="Tokens in order, with roles.")
    candidates: tuple[ExplainedBand, ...] = Field(description="Candidate bands in text order.")
    reason: str = Field(description="Why the chosen band won, or why there is none.")
    result: YenBand = Field(description="The band returned, with its warnings.")


def _figure_tokens(text: str, tok: Tok) -> Iterator[ExplainedToken]:
    split = tok.unit_at if tok.start < tok.unit_at < tok.end else tok.end
    detail = "money" if tok.money else f"not money: {tok.why_not_money or 'not a pay figure'}"
    yield ExplainedToken(text=text[tok.start : split].strip(), role="figure", detail=detail)
    if split < tok.end:
        yield ExplainedToken(text=text[split : tok.end].strip(), role="unit")


def _token(text: str, tok: Tok, notes: set[int], idx: int) -> Iterator[ExplainedToken]:
    if tok.kind == "fig":
        yield from _figure_tokens(text, tok)
        return
    role = _ROLES.get(tok.kind)
    if role is None:
        return  # separators
    if tok.kind in ("popen", "note", "pclose") and idx in notes:
        role, detail = "note", "holds money: its bands count only when nothing outside is pay"
    elif tok.kind == "dash" and text[tok.start : tok.end] in "?・":
        detail = "stands for a range mark lost in an encoding round trip"
    elif tok.kind in ("basis", "suffix"):
        detail = f"{tok.basis}{'' if tok.strong else ' (weak)'}"
    else:
        detail = _DETAILS.get(tok.kind, "")
    yield ExplainedToken(text=text[tok.start : tok.end], role=role, detail=detail)


def _status(state: State, band: Band) -> str:
    status = _fate(state, band)
    return f"{status} (joined by {', '.join(band.merged)})" if band.merged else status


def _fate(state: State, band: Band) -> str:
    if band is state.chosen:
        return f"chosen: {state.reason}"
    if band.excluded:
        return "passed over: follows a context word (bonus, allowance, example pay…)"
    if any(b.key == band.key for b in state.distinct[:1]):
        return "same figures as the chosen band"
    if band.note and state.chosen is not None and not state.chosen.note:
        return "passed over: inside a note"
    if state.hint is not None and band.basis not in (None, state.hint):
        return f"passed over: its basis is not the hinted {state.hint}"
    return "passed over: a later pay band (salary-ambiguous)"


def _candidates(state: State) -> Iterator[ExplainedBand]:
    located: list[tuple[int, Band, Segment]] = [(b.pos, b, s) for s in state.segments for b in s.bands]
    for _, band, seg in sorted(located, key=lambda item: item[0]):
        start = min(t.start for t in seg.seq[band.first : band.last + 1] if t.start >= 0)
        end = max(t.end for t in seg.seq[band.first : band.last + 1])
        yield ExplainedBand(
            text=state.text[start:end], basis=band.basis, min_yen=band.min_yen, max_yen=band.max_yen,
            min_open=band.min_open, max_open=band.max_open, status=_status(state, band),
        )  # fmt: skip


def explain(state: State) -> Explanation:
    """The explanation of a state the rules have run over."""
    holding = [(o, c) for o, c in state.pairs.items() if any(t.kind == "fig" and t.money for t in state.tokens[o:c])]
    notes = {i for pair in holding for i in pair}
    tokens = [e for idx, tok in enumerate(state.tokens) for e in _token(state.text, tok, notes, idx)]
    return Explanation(
        text=state.text, tokens=tuple(tokens), candidates=tuple(_candidates(state)),
        reason=state.reason, result=state.result(),
    )  # fmt: skip


def _columns(text: str) -> int:
    """Terminal columns `text` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _columns(text), 0)


def _yen(value: int | None) -> str:
    return "…" if value is None else f"{value:,}"


def explanation_text(ex: Explanation) -> str:
    """The explanation as text for people: tokens, candidates, result, warnings."""
    lines = [f"「{ex.text}」", "  tokens:"]
    width = max((_columns(t.text) for t in ex.tokens), default=1)
    lines += [f"    {_pad(t.text, width)}  {t.role:<13} {t.detail}".rstrip() for t in ex.tokens]
    lines.append("  candidate bands:")
    for band in ex.candidates:
        mark = "*" if band.status.startswith("chosen") else "-"
        span = f"{_yen(band.min_yen)}–{_yen(band.max_yen)} yen ({band.basis or 'no basis word'})"
        lines.append(f"    {mark} 「{band.text}」 {span}: {band.status}")
    if not ex.candidates:
        lines.append(f"    none: {ex.reason}")
    r = ex.result
    lines.append(f"  result: {r.basis} {_yen(r.min_yen)}–{_yen(r.max_yen)} (min_open={r.min_open}, "
                 f"max_open={r.max_open})")  # fmt: skip
    lines.append("  warnings:" + ("" if r.warnings else " none"))
    lines += [f"    {w.code}: {w.message}" for w in r.warnings]
    return "\n".join(lines)
