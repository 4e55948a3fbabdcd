"""Values shared by the salary rules: the public band and warning models, tokens, candidate bands."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

Basis = Literal["annual", "monthly", "hourly", "daily", "unknown"]

PLAUSIBLE_YEN: Final[dict[Basis, tuple[int, int]]] = {
    "annual": (1_000_000, 500_000_000),
    "monthly": (50_000, 40_000_000),
    "hourly": (500, 50_000),
    "daily": (3_000, 500_000),
    # Unknown basis: only reject what no basis could mean.
    "unknown": (500, 500_000_000),
}
"""Inclusive yen range a figure of each basis may fall in before `salary-implausible` is raised."""


def figures_outside_plausible(basis: Basis, min_yen: int | None, max_yen: int | None) -> list[int]:
    """The band's distinct figures outside `PLAUSIBLE_YEN[basis]`: the one rule behind the warning and
    `YenBand.plausible`."""
    low, high = PLAUSIBLE_YEN[basis]
    return [v for v in dict.fromkeys((min_yen, max_yen)) if v is not None and not low <= v <= high]


class SalaryWarning(BaseModel):
    """A problem found while normalizing one salary string."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Stable kebab-case code, e.g. `salary-no-figure`.")
    message: str = Field(description="What is wrong and how to fix it, quoting the salary text.")


class YenBand(BaseModel):
    """A salary string normalized to a band of yen on one pay basis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str = Field(description="The salary text as given.")
    basis: Basis = Field(description="Pay period of the figures: annual, monthly, hourly, daily or unknown.")
    min_yen: int | None = Field(description="Lower bound in yen; None when open or when no figure was found.")
    max_yen: int | None = Field(description="Upper bound in yen; None when open or when no figure was found.")
    min_open: bool = Field(description="The lower end is open (`以下`, `未満`, `まで`, `〜800万`).")
    max_open: bool = Field(description="The upper end is open (`以上`, `超`, `+`, `500万〜`).")
    warnings: tuple[SalaryWarning, ...] = Field(default=(), description="Problems found, in a stable order.")

    @property
    def plausible(self) -> bool:
        """No figure outside `PLAUSIBLE_YEN` for the band's basis: false exactly when `salary-implausible` is
        among the warnings. Such a band is kept but counted in no aggregate (`salary_bands.plausible`)."""
        return not figures_outside_plausible(self.basis, self.min_yen, self.max_yen)


TokKind = Literal[
    "fig",
    "range",
    "dash",
    "open_up",
    "open_low",
    "pre_min",
    "pre_max",
    "basis",
    "suffix",
    "per",
    "excl",
    "neutral",
    "sep",
    "stop",
    "newline",
    "note",
    "popen",
    "pclose",
    "between",
]


@dataclass(slots=True)
class Tok:
    """One token of a salary string: a figure, a mark, a word, a bracket or a separator."""

    kind: TokKind
    start: int
    end: int
    basis: Basis | None = None
    strong: bool = False
    value: Decimal = Decimal(0)
    explicit: bool = False  # carries its own unit (円, 万, 億, 千, K, M, million)
    scale: int = 1  # smallest unit written, for a bare partner to inherit
    money: bool = True
    excluded: bool = False
    unit_at: int = -1  # where the figure's unit begins (for --explain); -1 when it has none
    why_not_money: str = ""  # the rule that made a figure not money (for --explain)
    per_unit: bool = False  # a count of tasks or sites (`1件`, `1現場につき`): the next band is a price


@dataclass(slots=True)
class Band:
    """A candidate pay band: one figure or a range, with open ends, yen values and basis."""

    lo: Tok | None
    hi: Tok | None
    min_open: bool
    max_open: bool
    first: int
    last: int
    note: bool = False
    label: str = ""  # "min" or "max" when a label word (最低, 上限, minimum…) introduced the band
    min_yen: int | None = None
    max_yen: int | None = None
    unit_assumed: bool = False
    basis: Basis | None = None
    basis_options: tuple[Basis, ...] = ()
    merged: list[str] = field(default_factory=list)  # rules that joined this band (for --explain)

    @property
    def figs(self) -> list[Tok]:
        return [f for f in (self.lo, self.hi) if f is not None]

    @property
    def excluded(self) -> bool:
        return any(f.excluded for f in self.figs)

    @property
    def pos(self) -> int:
        return min(f.start for f in self.figs)

    @property
    def key(self) -> tuple[int | None, int | None, bool, bool]:
        return (self.min_yen, self.max_yen, self.min_open, self.max_open)


@dataclass(slots=True)
class Segment:
    """The main text or one note (a bracket or `※` line holding money), with its bands."""

    note: bool
    seq: list[Tok]
    bands: list[Band] = field(default_factory=list)


@dataclass(slots=True)
class State:
    """Everything the rules know about one string; each rule fills in its part, in order."""

    raw: str
    unit: str | None
    hint: Basis | None
    text: str = ""
    header_scale: int | None = None
    unit_unknown: bool = False
    tokens: list[Tok] = field(default_factory=list)
    pairs: dict[int, int] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    distinct: list[Band] = field(default_factory=list)
    chosen: Band | None = None
    reason: str = ""
    basis: Basis = "unknown"
    warnings: list[SalaryWarning] = field(default_factory=list)

    def result(self) -> YenBand:
        """The band this state settled on."""
        band = self.chosen
        return YenBand(
            raw=self.raw,
            basis=self.basis,
            min_yen=band.min_yen if band else None,
            max_yen=band.max_yen if band else None,
            min_open=band.min_open if band else False,
            max_open=band.max_open if band else False,
            warnings=tuple(self.warnings),
        )
