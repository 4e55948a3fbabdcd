"""Normalize Japanese salary text into a yen band.

Serves both the estimated-salary cells of the career articles (`450〜700` under a `年収範囲 (万円)`
header) and free job-posting text (`月給30万円（年収420万円〜）`, Hello Work's
`基本給（月額平均）又は時間額 200,000円〜250,000円`). Pure functions on frozen models: no I/O.

How a string is read:

1. NFKC (full-width digits, `～`, `，`, `（）` become ASCII) and circled numbers become separators.
2. Tokens: figures (a number with its multipliers 千/万/億/K/M and 円), range marks (〜 ~ から and,
   between two figures only, dashes), open markers (以上 超 + / 以下 未満 まで), basis words
   (年収 月給 時給 日給 ...), context words that make the following figures non-pay (賞与, 手当,
   年収例 ...), separators and brackets.
3. A figure followed by a counter (`8時間`, `25歳`, `年2回`, `3ヶ月`) is not money; a bracket
   holding money figures is a note, used only when nothing outside brackets is pay.
4. Figures are grouped into candidate bands; the first pay band wins (a basis hint breaks ties) and
   `salary-ambiguous` says so when other distinct pay bands were passed over.

Conventions:

- `K`/`k` multiply by 1,000 (Hello Work writes `2800K円` for 2,800,000 yen); `M` by 1,000,000;
  `千` after an Arabic number is a unit (`3.5千円` = 3,500 yen).
- A bare number takes the unit written on the other end of its range (`420-650万`), stepping to the
  next smaller unit when that would put the lower end above the upper (`2,000〜1億`); a range
  with no unit at all takes the header's unit; with no unit anywhere it is read as yen and
  `salary-unit-assumed` is raised.
- Stated bounds are kept even when exclusive (`未満`, `超`) or approximate (`約`, `程度`).
- Sub-yen results are rounded half-up; arithmetic is Decimal, never float.
- Kanji numerals are read when they carry 万/億 or 円 (`五百万円`, `一万`, `千二百万`), so words
  like `千葉` or `一部` are not figures.

Warning codes: `salary-no-figure` (no pay figure; min/max None), `salary-min-gt-max` (kept as
written), `salary-implausible` (outside `PLAUSIBLE_YEN` for the basis), `salary-ambiguous` (several
distinct pay figures, or basis words that the figure's size cannot settle), `salary-unit-assumed`
(no unit in the text or header: read as yen), `salary-unit-unknown` (the header unit is not a yen unit).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
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


# --------------------------------------------------------------------------------------------------
# Tokens

_TokKind = Literal[
    "fig", "range", "dash", "open_up", "open_low", "pre_min", "pre_max", "basis", "suffix", "per",
    "excl", "neutral", "sep", "newline", "note", "popen", "pclose",
]


@dataclass(slots=True)
class _Tok:
    kind: _TokKind
    start: int
    end: int
    basis: Basis | None = None
    strong: bool = False
    value: Decimal = Decimal(0)
    explicit: bool = False  # carries its own unit (円, 万, 億, 千, K, M)
    scale: int = 1  # smallest unit written, for a bare partner to inherit
    money: bool = True
    excluded: bool = False


@dataclass(slots=True)
class _Band:
    lo: _Tok | None
    hi: _Tok | None
    min_open: bool
    max_open: bool
    first: int
    last: int
    note: bool = False
    min_yen: int | None = None
    max_yen: int | None = None
    unit_assumed: bool = False
    basis: Basis | None = None
    basis_options: tuple[Basis, ...] = ()

    @property
    def figs(self) -> list[_Tok]:
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


_KANJI_DIGITS: Final[dict[str, int]] = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_SMALL_MULT: Final[dict[str, int]] = {"十": 10, "百": 100, "千": 1_000}
_LATIN_MULT: Final[dict[str, int]] = {"K": 1_000, "k": 1_000, "M": 1_000_000}
_BIG_MULT: Final[dict[str, int]] = {"万": 10_000, "億": 100_000_000}
_AMOUNT_START: Final = frozenset("0123456789") | frozenset(_KANJI_DIGITS) | frozenset(_SMALL_MULT)
_MAX_VALUE: Final = Decimal(10) ** 16  # 1京 yen: anything larger is an ID or noise, not pay

_ARABIC_RE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_YEN_AFTER_RE: Final = re.compile(r"[ \t]*(?:円|(?i:yen|jpy)(?![A-Za-z]))")
# What follows a number that makes it a count, a duration or a date part rather than money.
_COUNTER_RE: Final = re.compile(
    r"[ \t]*(?:時間(?![給額単])|時(?![給間])|日(?![給当額])|月(?![給収額俸例])|年(?![収俸額給棒])"
    r"|分|秒|週|歳|才|回|度|[ヶヵケ]|カ[月所国]|か[月所国]|箇|人|名|件|社|倍|点|号|級|期|代|次|階"
    r"|泊|個|枚|本|店|校|部|割|%|[A-Za-z])"
)
_DATE_TIME_RE: Final = re.compile(r"[0-9]{4}[/.][0-9]{1,2}[/.][0-9]{1,2}|[0-9]{1,2}:[0-9]{2}")

_BASIS_GROUPS: Final[dict[str, tuple[Basis, bool]]] = {
    "annual": ("annual", True),
    "monthly": ("monthly", True),
    "hourly": ("hourly", True),
    "daily": ("daily", True),
    "w_annual": ("annual", False),
    "w_monthly": ("monthly", False),
    "w_daily": ("daily", False),
    "s_annual": ("annual", True),
    "s_monthly": ("monthly", True),
    "s_hourly": ("hourly", True),
    "s_daily": ("daily", True),
}

_TOKEN_RE: Final = re.compile(
    r"""
    (?P<excl>
        (?:想定)?(?:年収|月収|月給|給与|収入|年俸|時給|日給)(?:例|モデル|事例|実績|イメージ)
      | モデル(?:年収|月収|給与)? | 業績年俸 | 成果報酬 | 決算賞与 | 賞与 | ボーナス | 寸志 | 手当
      | 交通費 | 通勤費 | 残業代 | 固定残業代? | みなし(?:残業代?)? | インセンティブ | 歩合 | 昇給
      | 退職金 | 試用 | 研修(?:期間|中) | 駐車場 | 自己負担 | 補助 | 報奨 | 出来高 | 家賃 | 寮費
      | 社宅 | 祝い?金 | 支度金
      | (?i:bonus|allowance|commission|incentive)
    )
  | (?P<annual>想定年収|理論年収|年収|年俸|年棒|年給|年間給与|年間収入
        |(?i:annual|yearly|per\s+(?:year|annum)))
  | (?P<monthly>月給|月収|月俸|月例給与|(?i:monthly|per\s+month))
  | (?P<hourly>時給|時間給|時間額|時間単価|(?i:hourly|per\s+hour))
  | (?P<daily>日給|日当|(?i:daily|per\s+day))
  | (?P<w_annual>年額|年(?=[ \t]*[0-9]))
  | (?P<w_monthly>月額|月(?=[ \t]*[0-9]))
  | (?P<w_daily>日額)
  | (?P<neutral>基本給|初任給|総支給額?|支給額|給与|給料|賃金|報酬|(?i:salary|wages?|pay)(?![A-Za-z]))
  | (?P<s_annual>/[ \t]*(?:年(?![収俸額給])|(?i:yr|year)(?![A-Za-z])))
  | (?P<s_monthly>/[ \t]*(?:月(?![給収額俸])|(?i:mo|month)(?![A-Za-z])))
  | (?P<s_hourly>/[ \t]*(?:時間(?![給額])|時(?![給間])|(?i:h|hr|hour)(?![A-Za-z])))
  | (?P<s_daily>/[ \t]*(?:日(?![給当額])|(?i:day)(?![A-Za-z])))
  | (?P<per>/[ \t]*(?:回|件|個|枚|本|人|名|食|泊|コマ|席|台))
  | (?P<open_up>以上|超(?!過)|\+[ \t]*α)
  | (?P<open_low>以下|未満|まで|迄|以内)
  | (?P<pre_min>最低(?!賃金)|下限)
  | (?P<pre_max>最大|上限|(?i:max(?:imum)?|up\s+to)(?![A-Za-z]))
  | (?P<range>[~〜∼⁓]|から)
  | (?P<dash>[-‐‑‒–—―−⁃]|(?<=[0-9万円千億 \t])ー(?=[ \t]*[0-9]))
  | (?P<plus>\+)
  | (?P<popen>[(\[〔⦅])
  | (?P<pclose>[)\]〕⦆])
  | (?P<newline>\n|(?i:<br[ \t]*/?>))
  | (?P<note>※)
  | (?P<sep>[、。,;|/・★☆◆◇■□●○◎▼▽▲△♪→⇒])
    """,
    re.VERBOSE,
)
_KINDS: Final[dict[str, _TokKind]] = {
    kind: kind
    for kind in ("excl", "neutral", "per", "open_up", "open_low", "pre_min", "pre_max", "range", "dash",
                 "popen", "pclose", "newline", "note", "sep")
}
_INCLUDED_RE: Final = re.compile(r"[ \t]*[をも]?[ \t]*(?:込|含)")
# A `+` stuck to a figure and followed by a space, punctuation or the end is an open upper end
# (`1,800+`); otherwise it joins parts (`月給28万円＋賞与`, `a + b`).
_PLUS_OPEN_FOLLOW_RE: Final = re.compile(r"$|[ \t)\]〕、。,;|/・\n(※+]")
_CIRCLED_RE: Final = re.compile("[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")


def _normalize_text(text: str) -> str:
    # Circled numbers enumerate alternatives (①月給 ②時給); NFKC would turn them into digits.
    text = _CIRCLED_RE.sub("・", text)
    return unicodedata.normalize("NFKC", text)


@dataclass(slots=True)
class _Amount:
    end: int
    value: Decimal
    explicit: bool
    scale: int
    money: bool
    word: bool = False  # kanji numerals that are part of a word (千葉, 一部): skip, no token


def _read_amount(s: str, i: int) -> _Amount | None:
    """Read a figure at `s[i]`: `1億2,000万円`, `3.5千円`, `450K`, `千二百万`, `1,800`."""
    n = len(s)
    start = i
    total = Decimal(0)
    section = Decimal(0)
    current: Decimal | None = None
    current_arabic = False
    saw_arabic = saw_big = explicit = False
    too_long = False
    scale: int | None = None
    while i < n:
        m = _ARABIC_RE.match(s, i)
        if m is not None:
            if current is not None:
                break
            digits = m.group().replace(",", "")
            whole, _, frac = digits.partition(".")
            too_long = too_long or len(whole) > 18 or len(frac) > 8
            current, current_arabic, saw_arabic = Decimal(digits), True, True
            i = m.end()
            continue
        ch = s[i]
        if ch in _KANJI_DIGITS:
            if current is not None and current_arabic:
                break
            current = Decimal(_KANJI_DIGITS[ch]) + (current * 10 if current is not None else 0)
            current_arabic = False
            too_long = too_long or current > _MAX_VALUE
            i += 1
            continue
        j = i
        while j < n and s[j] in " \t":
            j += 1
        if j >= n or (j > i and current is None):
            break
        ch = s[j]
        if ch in _SMALL_MULT:
            mult = _SMALL_MULT[ch]
            if current is not None and current_arabic:
                explicit = True
                scale = mult if scale is None else min(scale, mult)
            section += (current if current is not None else Decimal(1)) * mult
            current = None
        elif ch in _LATIN_MULT and current is not None and current_arabic and not _is_ascii_letter(s, j + 1):
            mult = _LATIN_MULT[ch]
            section += current * mult
            current = None
            explicit = True
            scale = mult if scale is None else min(scale, mult)
        elif ch in _BIG_MULT and (current is not None or section or total):
            mult = _BIG_MULT[ch]
            if current is None and not section:
                block = Decimal(1)  # a bare 万 after 億 (`1億万`) counts one
            else:
                block = section + (current if current is not None else Decimal(0))
            total += block * mult
            section, current = Decimal(0), None
            saw_big = explicit = True
            scale = mult if scale is None else min(scale, mult)
        else:
            break
        i = j + 1
    if i == start:
        return None
    value = total + section + (current if current is not None else Decimal(0))
    yen = _YEN_AFTER_RE.match(s, i)
    end = yen.end() if yen is not None else i
    if not saw_arabic and not saw_big and yen is None:
        # Kanji numerals alone are words (千葉, 一部, 十分) unless they carry 万/億 or 円.
        return _Amount(end=i, value=value, explicit=False, scale=1, money=False, word=True)
    money = not too_long and value < _MAX_VALUE
    if yen is None and _COUNTER_RE.match(s, i):
        money = False
    if (start > 0 and s[start - 1] in "数何第") or _is_ascii_letter(s, start - 1):
        money = False
    return _Amount(end=end, value=value, explicit=explicit or yen is not None, scale=scale or 1, money=money)


def _is_ascii_letter(s: str, i: int) -> bool:
    return 0 <= i < len(s) and s[i].isascii() and s[i].isalpha()


def _tokenize(s: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(s)
    yen_prefix = False
    while i < n:
        ch = s[i]
        if ch in " \t\r\u3000":
            i += 1
            continue
        if ch in "0123456789":
            dt = _DATE_TIME_RE.match(s, i)
            if dt is not None:
                tokens.append(_Tok("fig", i, dt.end(), money=False))
                i, yen_prefix = dt.end(), False
                continue
        if ch in _AMOUNT_START:
            amount = _read_amount(s, i)
            if amount is not None and amount.word:
                i = amount.end
                continue
            if amount is not None:
                explicit = amount.explicit or yen_prefix
                tokens.append(_Tok(
                    "fig", i, amount.end, value=amount.value, explicit=explicit, scale=amount.scale,
                    money=amount.money or (yen_prefix and amount.value < _MAX_VALUE),
                ))
                i, yen_prefix = amount.end, False
                continue
        if ch in "¥\\":
            yen_prefix = True
            i += 1
            continue
        yen_prefix = False
        m = _TOKEN_RE.match(s, i)
        if m is None:
            i += 1
            continue
        group = m.lastgroup or "sep"
        if group == "excl" and _INCLUDED_RE.match(s, m.end()):
            # `残業代込み`, `固定残業代を含む`: the figure includes it, so it is still the pay.
            i = m.end()
            continue
        if group in _BASIS_GROUPS:
            basis, strong = _BASIS_GROUPS[group]
            kind: _TokKind = "suffix" if group.startswith("s_") else "basis"
            tokens.append(_Tok(kind, m.start(), m.end(), basis=basis, strong=strong))
        elif group == "plus":
            attached = m.start() > 0 and s[m.start() - 1] not in " \t"
            kind = "open_up" if attached and _PLUS_OPEN_FOLLOW_RE.match(s, m.end()) else "sep"
            tokens.append(_Tok(kind, m.start(), m.end()))
        else:
            tokens.append(_Tok(_KINDS.get(group, "sep"), m.start(), m.end()))
        i = max(m.end(), i + 1)
    return tokens


# --------------------------------------------------------------------------------------------------
# Context: what is money, what is a note, what is excluded


def _pair_brackets(tokens: Sequence[_Tok]) -> dict[int, int]:
    """Map each opening bracket (and `※`) index to its closing index (len(tokens) if unclosed)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for idx, tok in enumerate(tokens):
        if tok.kind == "popen":
            stack.append(idx)
        elif tok.kind == "pclose" and stack:
            pairs[stack.pop()] = idx
    for idx in stack:
        pairs[idx] = len(tokens)
    end_of_note: int | None = None
    for idx in range(len(tokens) - 1, -1, -1):
        if tokens[idx].kind == "newline":
            end_of_note = idx
        elif tokens[idx].kind == "note":
            pairs[idx] = end_of_note if end_of_note is not None else len(tokens)
    return pairs


def _mark_money(tokens: Sequence[_Tok], pairs: dict[int, int]) -> None:
    # A bare number ranged with a count is a count too: `0-3年`, `20~23日`.
    for _ in range(2):
        for idx in range(1, len(tokens) - 1):
            left, mid, right = tokens[idx - 1], tokens[idx], tokens[idx + 1]
            if mid.kind in ("range", "dash") and left.kind == "fig" and right.kind == "fig":
                if not left.money and not right.explicit:
                    right.money = False
                if not right.money and not left.explicit:
                    left.money = False
    for idx, tok in enumerate(tokens):
        if tok.kind == "per" and idx > 0 and tokens[idx - 1].kind == "fig":
            tokens[idx - 1].money = False  # `5,500円/回` is paid per task, not a wage
    for open_idx, close_idx in pairs.items():
        if close_idx - open_idx != 2:  # not slicing first: nested brackets made that quadratic
            continue
        inner = tokens[open_idx + 1]
        if inner.kind == "fig" and not inner.explicit and inner.value < 100:
            inner.money = False  # `(1)` enumerates


def _mark_exclusion(tokens: Sequence[_Tok], pairs: dict[int, int]) -> None:
    """Figures after a context word (賞与, 手当, 年収例...) until a pay word, a newline or bracket end."""
    closers: dict[int, list[int]] = {}
    for open_idx, close_idx in pairs.items():
        closers.setdefault(close_idx, []).append(open_idx)
    stack: list[bool] = [False]
    for idx, tok in enumerate(tokens):
        for _ in closers.get(idx, ()):
            if len(stack) > 1:
                stack.pop()
        if idx in pairs:
            stack.append(stack[-1])
            continue
        if tok.kind == "excl":
            stack[-1] = True
        elif (tok.kind == "basis" and tok.strong) or tok.kind == "neutral" or tok.kind == "newline":
            stack[-1] = False
        elif tok.kind == "fig":
            tok.excluded = stack[-1]


def _segments(tokens: Sequence[_Tok], pairs: dict[int, int]) -> list[tuple[bool, list[_Tok]]]:
    """Split tokens into the main sequence and one sequence per note (a bracket holding money)."""
    # Money figures before each index, so "does this bracket hold money" is O(1) (nested brackets
    # `((((…` made a scan per bracket quadratic).
    money_before = [0]
    for tok in tokens:
        money_before.append(money_before[-1] + (tok.kind == "fig" and tok.money))
    note_groups = {o for o, c in pairs.items() if money_before[c] - money_before[min(o + 1, c)] > 0}
    closers: dict[int, list[int]] = {}
    for open_idx, close_idx in pairs.items():
        closers.setdefault(close_idx, []).append(open_idx)
    seqs: list[tuple[bool, list[_Tok]]] = [(False, [])]
    stack: list[int] = [0]
    boundary = _Tok("sep", -1, -1)
    for idx, tok in enumerate(tokens):
        for open_idx in closers.get(idx, ()):
            if open_idx in note_groups and len(stack) > 1:
                stack.pop()
                seqs[stack[-1]][1].append(boundary)
        if idx in pairs:
            if idx in note_groups:
                seqs[stack[-1]][1].append(boundary)
                seqs.append((True, []))
                stack.append(len(seqs) - 1)
            continue
        if tok.kind in ("pclose", "note"):
            continue
        seqs[stack[-1]][1].append(tok)
    return seqs


# --------------------------------------------------------------------------------------------------
# Bands


def _is_pay(tok: _Tok) -> bool:
    return tok.kind == "fig" and tok.money


def _group(seq: Sequence[_Tok], note: bool) -> list[_Band]:
    bands: list[_Band] = []
    i, n = 0, len(seq)
    while i < n:
        first = i
        prefix = None
        if seq[i].kind in ("pre_min", "pre_max") and i + 1 < n and _is_pay(seq[i + 1]):
            prefix = seq[i].kind
            i += 1
        tok = seq[i]
        if _is_pay(tok):
            j = i + 1
            up = low = False
            while j < n and seq[j].kind in ("open_up", "open_low"):
                up, low = up or seq[j].kind == "open_up", low or seq[j].kind == "open_low"
                j += 1
            if j < n and seq[j].kind in ("range", "dash") and not low:
                if j + 1 < n and _is_pay(seq[j + 1]):
                    k = j + 2
                    hi_up = False
                    while k < n and seq[k].kind in ("open_up", "open_low"):
                        hi_up = hi_up or seq[k].kind == "open_up"
                        k += 1
                    bands.append(_Band(tok, seq[j + 1], False, hi_up, first, k - 1, note))
                    i = k
                    continue
                if seq[j].kind == "range":
                    bands.append(_Band(tok, None, False, True, first, j, note))
                    i = j + 1
                    continue
            if low or prefix == "pre_max":
                bands.append(_Band(None, tok, True, False, first, j - 1, note))
            elif up or prefix == "pre_min":
                bands.append(_Band(tok, None, False, True, first, j - 1, note))
            else:
                bands.append(_Band(tok, tok, False, False, first, j - 1, note))
            i = j
            continue
        if tok.kind == "range" and i + 1 < n and _is_pay(seq[i + 1]):
            k = i + 2
            while k < n and seq[k].kind in ("open_up", "open_low"):
                k += 1
            bands.append(_Band(None, seq[i + 1], True, False, first, k - 1, note))
            i = k
            continue
        i += 1
    return bands


_STEP_DOWN: Final = (100_000_000, 10_000, 1_000, 1)
_STEP_UP: Final = (1_000, 10_000, 100_000_000)


def _to_yen(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _inherit_scale(bare: _Tok, other: _Tok, bare_is_low: bool) -> int:
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


def _compute_yen(band: _Band, header_scale: int | None) -> None:
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

    def yen(fig: _Tok | None) -> int | None:
        if fig is None:
            return None
        return _to_yen(fig.value * scales.get(id(fig), 1))

    band.min_yen = yen(lo)
    band.max_yen = yen(hi)


def _fits(basis: Basis, values: Iterable[int]) -> bool:
    low, high = PLAUSIBLE_YEN[basis]
    return all(low <= v <= high for v in values)


def _pick_basis(found: Sequence[_Tok], values: Sequence[int]) -> tuple[Basis | None, tuple[Basis, ...]]:
    """Choose among basis words (closest first); when they disagree, the figure's size decides."""
    options: list[Basis] = []
    for tok in found:
        if tok.basis is not None and tok.basis not in options:
            options.append(tok.basis)
    if len(options) <= 1:
        return (options[0] if options else None), ()
    strong = [t.basis for t in found if t.strong and t.basis is not None]
    plausible = [b for b in options if _fits(b, values)]
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


def _assign_basis(seq: Sequence[_Tok], bands: Sequence[_Band]) -> None:
    for index, band in enumerate(bands):
        values = [v for v in (band.min_yen, band.max_yen) if v is not None]
        after = band.last + 1
        if after < len(seq) and seq[after].kind == "suffix":
            band.basis = seq[after].basis
            continue
        prev_end = bands[index - 1].last + 1 if index else 0
        before = [t for t in reversed(seq[prev_end : band.first]) if t.kind == "basis"]
        band.basis, band.basis_options = _pick_basis(before, values)
        if band.basis is None:
            next_start = bands[index + 1].first if index + 1 < len(bands) else len(seq)
            trailing = [t for t in seq[after:next_start] if t.kind in ("basis", "suffix")]
            band.basis, band.basis_options = _pick_basis(trailing, values)


# --------------------------------------------------------------------------------------------------
# Public API

_HEADER_UNIT_RE: Final = re.compile(
    r"(?:[(\[【〔]|単位)[ \t]*(?:単位[ \t]*:?[ \t]*)?:?[ \t]*"
    r"(?P<unit>億円|百万円|十万円|万円|千円|円|億|百万|万|千|[KkM]円?)(?![0-9万千億百十円])"
)


def unit_from_header(header: str) -> str | None:
    """The yen unit a column header states in brackets or after `単位`, or None.

    Full-width brackets are read too.

    >>> unit_from_header("年収範囲 (万円)")
    '万円'
    >>> unit_from_header("月給（千円）")
    '千円'
    >>> unit_from_header("年収") is None
    True
    """
    match = _HEADER_UNIT_RE.search(_normalize_text(header))
    return match.group("unit") if match is not None else None


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
    tokens = _tokenize(_normalize_text(text))
    # A bare 年/月 before a digit (`賞与年2回`) is too weak to name a whole text's basis.
    found = [t for t in tokens if t.kind in ("basis", "suffix") and (t.strong or t.end - t.start > 1)]
    strong = [t for t in found if t.strong]
    chosen = (strong or found)[:1]
    return chosen[0].basis if chosen else None


def _unit_scale(unit: str) -> int | None:
    """Yen per unit: `万円` -> 10,000; `円` -> 1; None when `unit` is not a yen unit."""
    text = _normalize_text(unit).strip()
    text = unit_from_header(text) or text
    text = text.removesuffix("円").strip()
    if not text:
        return 1
    amount = _read_amount("1" + text, 0)
    if amount is None or amount.end != len(text) + 1 or not amount.explicit or amount.value > 10**12:
        return None
    return _to_yen(amount.value)


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return f"「{flat[:60]}…」" if len(flat) > 60 else f"「{flat}」"


def _fmt_band(band: _Band) -> str:
    low = f"{band.min_yen:,}" if band.min_yen is not None else "…"
    high = f"{band.max_yen:,}" if band.max_yen is not None else "…"
    span = low if band.min_yen == band.max_yen else f"{low}–{high}"
    return f"{span} yen ({band.basis or 'no basis word'})"


def normalize_salary(text: str, *, unit: str | None = None, basis: Basis | None = None) -> YenBand:
    """Normalize one salary string to a yen band; never raises.

    `unit` is the unit the column header gives (e.g. `万円`), used for figures that carry none.
    `basis` is the basis the header or context gives; a basis word in the text wins.

    >>> band = normalize_salary("1,100〜1,800+", unit="万円", basis="annual")
    >>> band.min_yen, band.max_yen, band.max_open
    (11000000, 18000000, True)
    >>> normalize_salary("月給30万円（年収420万円〜）").basis
    'monthly'
    >>> normalize_salary("応相談").warnings[0].code
    'salary-no-figure'
    """
    quoted = _quote(text)
    warnings: list[SalaryWarning] = []
    has_unit = unit is not None and unit.strip() != ""
    header_scale = _unit_scale(unit) if unit is not None and has_unit else None
    if has_unit and header_scale is None:
        warnings.append(SalaryWarning(
            code="salary-unit-unknown",
            message=(f"The column unit {unit!r} for {quoted} is not a yen unit (円, 千円, 万円, 億円); "
                     "write the header unit as e.g. `年収 (万円)`."),
        ))

    normalized = _normalize_text(text)
    tokens = _tokenize(normalized)
    pairs = _pair_brackets(tokens)
    _mark_money(tokens, pairs)
    _mark_exclusion(tokens, pairs)

    all_bands: list[_Band] = []
    for note, seq in _segments(tokens, pairs):
        bands = _group(seq, note)
        for band in bands:
            _compute_yen(band, header_scale)
        _assign_basis(seq, bands)
        all_bands.extend(bands)
    all_bands.sort(key=lambda b: b.pos)

    pay = [b for b in all_bands if not b.excluded]
    pool = [b for b in pay if not b.note] or [b for b in pay if b.note]
    if not pool:
        detail = ("only figures that are not the pay (counts, hours, ages, bonuses, allowances, example pay)"
                  if any(t.kind == "fig" for t in tokens) else "no salary figure")
        warnings.append(SalaryWarning(
            code="salary-no-figure",
            message=(f"Found {detail} in {quoted}; write the pay as a figure with its unit "
                     "(e.g. `450〜700万円`, `月給25万円〜`) or leave the cell empty if undisclosed."),
        ))
        return YenBand(
            raw=text, basis=basis_from_text(text) or basis or "unknown", min_yen=None, max_yen=None,
            min_open=False, max_open=False, warnings=tuple(warnings),
        )

    if basis is not None:
        pool = [b for b in pool if b.basis in (None, basis)] or pool
    distinct: list[_Band] = []
    for band in pool:
        same = next((d for d in distinct if d.key == band.key), None)
        if same is None:
            distinct.append(band)
        elif same.basis is None and band.basis is not None:
            same.basis, same.basis_options = band.basis, band.basis_options
    chosen = distinct[0]
    final_basis: Basis = chosen.basis or basis or "unknown"

    if chosen.unit_assumed:
        warnings.append(SalaryWarning(
            code="salary-unit-assumed",
            message=(f"No unit in {quoted} or its column header, so the figures were read as yen; "
                     "add a unit to the cell (e.g. `450〜700万円`) or to the header (e.g. `年収 (万円)`)."),
        ))
    if len(distinct) > 1:
        others = "; ".join(_fmt_band(b) for b in distinct[1:4])
        warnings.append(SalaryWarning(
            code="salary-ambiguous",
            message=(f"{quoted} holds several pay figures; used {_fmt_band(chosen)} over {others}. "
                     "Keep one pay figure per cell, or label the others (e.g. 年収例, 賞与) so they are "
                     "skipped."),
        ))
    if chosen.basis_options:
        options = ", ".join(chosen.basis_options)
        warnings.append(SalaryWarning(
            code="salary-ambiguous",
            message=(f"{quoted} names several pay bases ({options}) for the same figure; used {final_basis}. "
                     "Keep one basis word (年収, 月給, 時給, 日給) next to each figure."),
        ))
    if chosen.min_yen is not None and chosen.max_yen is not None and chosen.min_yen > chosen.max_yen:
        warnings.append(SalaryWarning(
            code="salary-min-gt-max",
            message=(f"Lower bound {chosen.min_yen:,} yen exceeds upper bound {chosen.max_yen:,} yen "
                     f"in {quoted}; write the smaller figure first (e.g. `450〜700`)."),
        ))
    low, high = PLAUSIBLE_YEN[final_basis]
    bounds = dict.fromkeys(v for v in (chosen.min_yen, chosen.max_yen) if v is not None)
    outside = [v for v in bounds if not low <= v <= high]
    if outside:
        figures = " and ".join(f"{v:,}" for v in outside)
        verb = "are" if len(outside) > 1 else "is"
        warnings.append(SalaryWarning(
            code="salary-implausible",
            message=(f"{figures} yen from {quoted} {verb} outside the plausible {final_basis} range "
                     f"{low:,}–{high:,} yen; check the unit (円/千円/万円) and the basis word "
                     "(年収/月給/時給/日給) in the cell or its column header."),
        ))
    return YenBand(
        raw=text, basis=final_basis, min_yen=chosen.min_yen, max_yen=chosen.max_yen,
        min_open=chosen.min_open, max_open=chosen.max_open, warnings=tuple(warnings),
    )


__all__ = [
    "PLAUSIBLE_YEN",
    "Basis",
    "SalaryWarning",
    "YenBand",
    "basis_from_text",
    "normalize_salary",
    "unit_from_header",
]
