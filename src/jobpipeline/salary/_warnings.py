"""Rule 6, warnings: what an editor should check, each message quoting the cell and giving the fix."""

from __future__ import annotations

from jobpipeline.salary._model import PLAUSIBLE_YEN, Band, SalaryWarning, State, Tok, figures_outside_plausible


def run(state: State) -> None:
    """Collect the warnings for the chosen band (or for the lack of one), in a stable order."""
    quoted = quote(state.raw)
    warns = state.warnings
    if state.unit_unknown:
        warns.append(
            SalaryWarning(
                code="salary-unit-unknown",
                message=(
                    f"The column unit {state.unit!r} for {quoted} is not a yen unit (円, 千円, 万円, 億円); "
                    "write the header unit as e.g. `年収 (万円)`."
                ),
            )
        )
    chosen = state.chosen
    if chosen is None:
        warns.append(_no_figure(quoted, state.tokens))
        return
    if chosen.unit_assumed:
        warns.append(
            SalaryWarning(
                code="salary-unit-assumed",
                message=(
                    f"No unit in {quoted} or its column header, so the figures were read as yen; "
                    "add a unit to the cell (e.g. `450〜700万円`) or to the header (e.g. `年収 (万円)`)."
                ),
            )
        )
    warns.extend(_ambiguous(quoted, state))
    if chosen.min_yen is not None and chosen.max_yen is not None and chosen.min_yen > chosen.max_yen:
        warns.append(
            SalaryWarning(
                code="salary-min-gt-max",
                message=(
                    f"Lower bound {chosen.min_yen:,} yen exceeds upper bound {chosen.max_yen:,} yen "
                    f"in {quoted}; write the smaller figure first (e.g. `450〜700`)."
                ),
            )
        )
    implausible = _implausible(quoted, state)
    if implausible is not None:
        warns.append(implausible)


def too_long(state: State, max_chars: int) -> None:
    """The one warning of a text over the cap, which the rules do not read."""
    state.basis = state.hint or "unknown"
    state.reason = "not read: longer than the cap"
    state.warnings.append(
        SalaryWarning(
            code="salary-cell-too-long",
            message=(
                f"The salary cell is {len(state.raw):,} characters, over the {max_chars:,}-character limit "
                f"(a pay cell holds a few dozen), so it was not read: {quote(state.raw)}; keep the pay figure "
                "(e.g. `450〜700`) in the cell and move the rest to the article's text."
            ),
        )
    )


def quote(text: str) -> str:
    """The text in 「」, on one line, cut at 60 characters."""
    flat = " ".join(text.split())
    return f"「{flat[:60]}…」" if len(flat) > 60 else f"「{flat}」"


def fmt_band(band: Band) -> str:
    """`450,000–700,000 yen (annual)`: a band for a message."""
    low = f"{band.min_yen:,}" if band.min_yen is not None else "…"
    high = f"{band.max_yen:,}" if band.max_yen is not None else "…"
    span = low if band.min_yen == band.max_yen else f"{low}–{high}"
    return f"{span} yen ({band.basis or 'no basis word'})"


def _no_figure(quoted: str, tokens: list[Tok]) -> SalaryWarning:
    figures = [t for t in tokens if t.kind == "fig"]
    # Name the rules that set the figures aside (`another currency` for `$120,000`), else the usual kinds.
    reasons = list(dict.fromkeys(t.why_not_money for t in figures if t.why_not_money))
    if any(not t.why_not_money for t in figures):  # set aside by their words (賞与, 手当, 例)
        reasons.append("counts, hours, ages, bonuses, allowances, example pay")
    kinds = "; ".join(reasons)
    detail = f"only figures that are not the pay ({kinds})" if figures else "no salary figure"
    # The warehouse holds yen: a foreign amount is not converted at some day's rate.
    convert = " in yen" if "another currency" in reasons else ""
    return SalaryWarning(
        code="salary-no-figure",
        message=(
            f"Found {detail} in {quoted}; write the pay{convert} as a figure with its unit "
            "(e.g. `450〜700万円`, `月給25万円〜`) or leave the cell empty if undisclosed."
        ),
    )


def _ambiguous(quoted: str, state: State) -> list[SalaryWarning]:
    chosen = state.chosen
    assert chosen is not None
    found: list[SalaryWarning] = []
    if len(state.distinct) > 1:
        others = "; ".join(fmt_band(b) for b in state.distinct[1:4])
        found.append(
            SalaryWarning(
                code="salary-ambiguous",
                message=(
                    f"{quoted} holds several pay figures; used {fmt_band(chosen)} over {others}. "
                    "Keep one pay figure per cell, or label the others (e.g. 年収例, 賞与) so they are "
                    "skipped."
                ),
            )
        )
    if chosen.basis_options:
        options = ", ".join(chosen.basis_options)
        found.append(
            SalaryWarning(
                code="salary-ambiguous",
                message=(
                    f"{quoted} names several pay bases ({options}) for the same figure; used {state.basis}. "
                    "Keep one basis word (年収, 月給, 時給, 日給) next to each figure."
                ),
            )
        )
    return found


def _implausible(quoted: str, state: State) -> SalaryWarning | None:
    chosen = state.chosen
    assert chosen is not None
    low, high = PLAUSIBLE_YEN[state.basis]
    outside = figures_outside_plausible(state.basis, chosen.min_yen, chosen.max_yen)
    if not outside:
        return None
    figures = " and ".join(f"{v:,}" for v in outside)
    verb = "are" if len(outside) > 1 else "is"
    return SalaryWarning(
        code="salary-implausible",
        message=(
            f"{figures} yen from {quoted} {verb} outside the plausible {state.basis} range "
            f"{low:,}–{high:,} yen; check the unit (円/千円/万円) and the basis word "
            "(年収/月給/時給/日給) in the cell or its column header."
        ),
    )
