"""Experience level and years from a salary-table row label such as `シニア (7年以上/リード)`.

Conventions:

- The first level word outside brackets is the primary one (`シニア (7年以上/リード)` is senior);
  bracketed words count only when nothing outside does.
- Adjacent level words form one title whose last word is the head: `シニアマネージャー` is manager.
- An open lower end of years starts at 0: `3年未満` and `〜3年` are 0 … 3 (experience cannot be
  negative, and a closed lower bound filters better). `未満` keeps its stated bound.
- `N年目` (the N-th year) is read as N years: `5年目` is 5 … 5 and `1〜3年目` is 1 … 3.
- Fractional years widen outward: `1.5年` is 1 … 2, and so is `1年半`; `半年` is 0 … 1.
- `以降` and `以後` (from then on) open the upper end like `以上`: `3年目以降` is 3 … open.
- A range written larger number first (`5-3年`, `7〜3年`) is read in order, 3 … 5, and flagged
  (`years_reversed`): the author meant a range, and validation warns `years-min-gt-max` so the label
  gets fixed. Like a salary band's `salary-min-gt-max`, it is a warning, never a rejection.
- Levels are never inferred from years alone.
- Japanese titles: 課長 and 部長 are manager (the top level), 係長 and a deputy (課長代理) are lead;
  Staff and Principal engineers (スタッフエンジニア, プリンシパル) are lead. 主任 and スタッフ alone name
  no level (companies use them for anything from a first promotion to a senior post).
- A job named manager is no rank: `プロダクトマネージャー`, `プロジェクトマネージャー` (and `Product Manager`) name no
  level, so `シニアプロダクトマネージャー` is senior and `プロダクトマネージャー (3-5年)` has years alone.
- Titles above and around the ladder: directors, heads, CTO/VPoE and 責任者 are manager (the top level);
  architects, fellows and チーフ are lead; experts and specialists senior; associates and assistants
  junior; interns, trainees and 見習い entry. (A salary row `CTO / VPoE` had no level, so its band fell out
  of every category × level table.)
- A table may give the years a column of their own (`| レベル | 経験年数 | 年収 |`): the row's years then
  come from that cell when its label states none (`experience_of_row`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["entry", "junior", "mid", "senior", "lead", "manager"]


class ExperienceLevel(BaseModel):
    """A row label read as a canonical experience level and a range of years."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(description="The row label as written, stripped.")
    level: Level | None = Field(description="Canonical level; None when the label names none.")
    years_min: int | None = Field(description="Fewest years of experience; None when not stated.")
    years_max: int | None = Field(description="Most years of experience; None when open or not stated.")
    years_reversed: bool = Field(
        default=False, description="The label wrote the larger number first (`5-3年`); the years are put in order."
    )


_LEVEL_RE: Final = re.compile(
    r"""
    (?P<manager>マネージャー|マネジャー|マネージャ|管理職|課長(?!代理)|部長(?!代理)|ディレクター|責任者|執行役員
        |(?<![A-Za-z])(?:CTO|CIO|VPoE|VPoP|VP|(?i:manager|mgr|director|head\s+of))(?![A-Za-z]))
  | (?P<lead>テックリード|リーダー|リード|係長|課長代理|部長代理|プリンシパル|スタッフエンジニア
        |アーキテクト|フェロー|チーフ
        |(?<![A-Za-z])(?i:(?:tech\s*)?lead(?:er)?|principal|staff\s+engineer|architect|fellow)(?![A-Za-z]))
  | (?P<senior>シニア|ベテラン|上級|熟練|エキスパート|スペシャリスト
        |(?<![A-Za-z])(?i:senior|sr\.?|expert|specialist)(?![A-Za-z]))
  | (?P<mid>ミドル|ミッド|中堅|中級|(?<![A-Za-z])(?i:middle|mid(?:-level)?|intermediate)(?![A-Za-z]))
  | (?P<junior>ジュニア|若手|初級|アソシエイト|アシスタント
        |(?<![A-Za-z])(?i:junior|jr\.?|associate|assistant)(?![A-Za-z]))
  | (?P<entry>第二新卒|新卒|未経験|新人|エントリー|インターン|見習い|トレーニー
        |(?<![A-Za-z])(?i:entry(?:-level)?|new\s*grad(?:uate)?|graduate|intern|trainee)(?![A-Za-z]))
    """,
    re.VERBOSE,
)
_JOB_TITLE_RE: Final = re.compile(
    r"(?:プロダクト|プロジェクト|プログラム)[\s・]*マネー?ジャー?|(?<![A-Za-z])(?i:(?:product|project|program)\s+manager)"
)
"""Jobs named `manager` that are no rank: a PM article's row `プロダクトマネージャー (3-5年)` is not level manager."""
_COMPOUND_GAP_RE: Final = re.compile(r"[\s・\-]*")
_OPENERS: Final = "([【〔「『"
_CLOSERS: Final = ")]】〕」』"

_RANGE_MARK_RE: Final = re.compile(r"[〜~∼⁓\-‐‑‒–—―−]|から")
_NUM: Final = r"(?<![0-9.])([0-9]{1,3}(?:\.[0-9]+)?)"
_UNIT: Final = r"(?:年目|年|(?i:years?|yrs?|y)(?![A-Za-z]))"
_YEARS_RANGE_RE: Final = re.compile(rf"{_NUM}\s*{_UNIT}?\s*~\s*{_NUM}\s*{_UNIT}")
_YEARS_OPEN_UP_RE: Final = re.compile(
    rf"{_NUM}\s*\+\s*{_UNIT}|{_NUM}\s*{_UNIT}\s*(?:以上|以降|以後|超|~|\+|(?i:or\s+more|plus))"
)
_HALF_YEAR_RE: Final = re.compile(r"(?<![0-9.])([0-9]{1,3})\s*年半|(?<![0-9年])半年")
"""`1年半` (one and a half years) and `半年` (half a year), written as `1.5年` and `0.5年` before matching."""
_YEARS_OPEN_LOW_RE: Final = re.compile(rf"~\s*{_NUM}\s*{_UNIT}|{_NUM}\s*{_UNIT}\s*(?:未満|以下|まで|以内)")
_YEARS_SINGLE_RE: Final = re.compile(rf"{_NUM}\s*{_UNIT}")
_MAX_YEARS: Final = 60  # larger "years" are calendar years (2024年), not experience


def _level(text: str) -> Level | None:
    text = _JOB_TITLE_RE.sub(lambda m: " " * len(m.group()), text)  # same length: the bracket depths hold
    depth_at: list[int] = []
    depth = 0
    for ch in text:
        if ch in _CLOSERS:
            depth = max(depth - 1, 0)
        depth_at.append(depth)
        if ch in _OPENERS:
            depth += 1
    words: list[tuple[int, int, Level, int]] = []
    for match in _LEVEL_RE.finditer(text):
        kind: Level = match.lastgroup  # type: ignore[assignment]
        start, end = match.span()
        if words and _COMPOUND_GAP_RE.fullmatch(text, words[-1][1], start):
            # `シニアマネージャー`, `Senior Manager`: the last word of a title is its head.
            words[-1] = (words[-1][0], end, kind, words[-1][3])
        else:
            words.append((start, end, kind, depth_at[start]))
    if not words:
        return None
    outside = [w for w in words if w[3] == 0]
    return (outside or words)[0][2]


def _years(text: str) -> tuple[int | None, int | None, bool]:
    """Years from, years to, and whether the label wrote them in reverse order."""
    text = _RANGE_MARK_RE.sub("~", text)
    text = _HALF_YEAR_RE.sub(lambda m: f"{m.group(1)}.5年" if m.group(1) else "0.5年", text)
    found: list[tuple[int, int | None, int | None, bool]] = []
    for match in _YEARS_RANGE_RE.finditer(text):
        first, second = float(match.group(1)), float(match.group(2))
        found.append((match.start(), math.floor(min(first, second)), math.ceil(max(first, second)), first > second))
    for match in _YEARS_OPEN_UP_RE.finditer(text):
        found.append((match.start(), _floor(match.group(1) or match.group(2)), None, False))
    for match in _YEARS_OPEN_LOW_RE.finditer(text):
        found.append((match.start(), 0, _ceil(match.group(1) or match.group(2)), False))
    for match in _YEARS_SINGLE_RE.finditer(text):
        found.append((match.start(), _floor(match.group(1)), _ceil(match.group(1)), False))
    plausible = [f for f in found if all(v is None or v <= _MAX_YEARS for v in f[1:3])]
    if not plausible:
        return None, None, False
    # Earliest expression wins; at the same start the more specific pattern was appended first.
    _, low, high, reversed_ = min(plausible, key=lambda f: f[0])
    return low, high, reversed_


def _floor(number: str) -> int:
    return math.floor(float(number))


def _ceil(number: str) -> int:
    return math.ceil(float(number))


def parse_experience(label: str) -> ExperienceLevel:
    """Read a level and a range of years from a row label; never raises.

    >>> parse_experience("シニア (7年以上/リード)")
    ExperienceLevel(label='シニア (7年以上/リード)', level='senior', years_min=7, years_max=None, years_reversed=False)
    >>> parse_experience("ジュニア (0-3年)").years_max
    3
    >>> parse_experience("5-3年").years_min, parse_experience("5-3年").years_reversed
    (3, True)
    """
    stripped = label.strip()
    text = unicodedata.normalize("NFKC", stripped)
    years_min, years_max, years_reversed = _years(text)
    return ExperienceLevel(
        label=stripped, level=_level(text), years_min=years_min, years_max=years_max, years_reversed=years_reversed
    )


__all__ = ["ExperienceLevel", "Level", "parse_experience"]


def experience_of_row(label: str, years_cell: str | None) -> ExperienceLevel:
    """A salary row's level and years from its label, and from a cell of the table's years column
    (`経験年数`) when the row has one and the label states no years. The label keeps its level; a years
    cell's level word (`未経験〜2年`) counts only when the label names none.

    >>> row = experience_of_row("ジュニア", "0〜3年")
    >>> row.label, row.level, row.years_min, row.years_max
    ('ジュニア', 'junior', 0, 3)
    >>> experience_of_row("シニア (7年以上)", "5〜10年").years_min  # the label's own years win
    7
    """
    experience = parse_experience(label)
    if years_cell is None or experience.years_min is not None or experience.years_max is not None:
        return experience
    years = parse_experience(years_cell)
    return experience.model_copy(
        update={
            "level": experience.level or years.level,
            "years_min": years.years_min,
            "years_max": years.years_max,
            "years_reversed": years.years_reversed,
        }
    )
