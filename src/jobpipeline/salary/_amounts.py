"""Reading amounts: a number with its multipliers and yen unit, and the unit a column header states.

Used by the tokenizer (rule 1) for every figure and by the figures rule (rule 2) for the header.
A reading also says whether the number looks like money: counts (`8時間`), dates, ordinals, years
in English prose, list numbers and other currencies are read but marked as not money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Final

from jobpipeline.salary._text import normalize_text

KANJI_DIGITS: Final[dict[str, int]] = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL_MULT: Final[dict[str, int]] = {"十": 10, "百": 100, "千": 1_000}
_LATIN_MULT: Final[dict[str, int]] = {"K": 1_000, "k": 1_000, "M": 1_000_000}
_BIG_MULT: Final[dict[str, int]] = {"万": 10_000, "億": 100_000_000}
AMOUNT_START: Final = frozenset("0123456789") | frozenset(KANJI_DIGITS) | frozenset(_SMALL_MULT)
MAX_VALUE: Final = Decimal(10) ** 16  # 1京 yen: anything larger is an ID or noise, not pay

_ARABIC_RE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_YEN_AFTER_RE: Final = re.compile(r"[ \t]*(?:円|(?i:yen|jpy)(?![A-Za-z]))")
# What follows a number that makes it a count, a duration or a date part rather than money.
_COUNTER_RE: Final = re.compile(
    r"[ \t]*(?:(?P<item>件|案件|記事|コマ)"
    r"|時間(?![給額単])|時(?![給間])|日(?![給当額])|月(?![給収額俸例単])|年(?![収俸額給棒])"
    r"|分|秒|週|歳|才|回|度|[ヶヵケ]|カ[月所国]|か[月所国]|箇|人|名|社|倍|点|号|級|期|代|次|階|位"
    r"|泊|個|枚|本|店|校|部|割|%)"
    # A letter stuck to the number (`32h`, `20s`, `3F`), or an English count word after a space.
    r"|[A-Za-z]|[ \t]+(?i:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|times|people|persons?"
    r"|employees?|staff|percent|per\s*cent|%)(?![A-Za-z])"
)
# `1現場につき`, `1時間あたり`: a count per which a price is given.
_PER_UNIT_RE: Final = re.compile(r"[ \t]*[^\s0-9、。,]{0,4}?(?:につき|あたり|当たり)")
# A number spelled with `million` (`¥5.2 million`, `4.43 Million Yen`), or `8,1 million` with a decimal comma.
_MILLION_RE: Final = re.compile(r"(?:,(?P<frac>[0-9]{1,2}))?[ \t]*(?i:million|mil|mn)(?![A-Za-z])")
_MILLION: Final = Decimal(1_000_000)
# Money in another currency: `$24,000`, `US$34,657`, `(37,200 USD)`, `3万ドル`.
_FOREIGN_BEFORE_RE: Final = re.compile(r"(?:\$|€|£|(?<![A-Za-z])(?:USD|EUR|GBP))[ \t]*\Z")
_FOREIGN_AFTER_RE: Final = re.compile(r"[ \t]*(?:(?:USD|EUR|GBP|dollars?)(?![A-Za-z])|ドル|ユーロ|ウォン|元)")
# A calendar year in English prose: `in 2020`, `since 2019`.
_YEAR_BEFORE_RE: Final = re.compile(r"(?<![A-Za-z])(?i:in|since|by)[ \t]+\Z")
_YEAR_RE: Final = re.compile(r"(?:19|20)[0-9]{2}(?![0-9.,])")
# A list number at the start of a line: `8. 単金`, `1) 月給`.
_ENUMERATOR_RE: Final = re.compile(r"[0-9]{1,2}[.)](?=[ \t]*[^0-9 \t])")
DATE_TIME_RE: Final = re.compile(r"[0-9]{4}[/.][0-9]{1,2}[/.][0-9]{1,2}|[0-9]{1,2}:[0-9]{2}")


@dataclass(slots=True)
class Amount:
    """A number read from the text, with what it says about its unit."""

    end: int
    value: Decimal
    explicit: bool
    scale: int
    money: bool
    word: bool = False  # kanji numerals that are part of a word (千葉, 一部): skip, no token
    unit_at: int = -1
    why_not_money: str = ""
    per_unit: bool = False


@dataclass(slots=True)
class _Reader:
    """The running state of `read_amount` over one number."""

    total: Decimal = Decimal(0)
    section: Decimal = Decimal(0)
    current: Decimal | None = None
    current_arabic: bool = False
    saw_arabic: bool = False
    saw_big: bool = False
    explicit: bool = False
    too_long: bool = False
    scale: int | None = None
    unit_at: int = -1
    yen_sign: bool = False  # a ¥ or JPY before the number: a lowercase `m` after it is a million
    digits: str = ""  # the last Arabic digits read, as written
    last_big: str = ""  # the last of 万/億 applied

    def add_scale(self, mult: int) -> None:
        self.scale = mult if self.scale is None else min(self.scale, mult)

    @property
    def value(self) -> Decimal:
        return self.total + self.section + (self.current if self.current is not None else Decimal(0))


def _take_digits(s: str, i: int, r: _Reader) -> int | None:
    """Read Arabic or kanji digits at `s[i]`; the new index, or None when there are none."""
    m = _ARABIC_RE.match(s, i)
    if m is not None:
        if r.current is not None:
            return -1
        digits = m.group().replace(",", "")
        whole, _, frac = digits.partition(".")
        r.too_long = r.too_long or len(whole) > 18 or len(frac) > 8
        r.current, r.current_arabic, r.saw_arabic = Decimal(digits), True, True
        r.digits = digits
        return m.end()
    ch = s[i]
    if ch in KANJI_DIGITS:
        if r.current is not None and r.current_arabic:
            return -1
        r.current = Decimal(KANJI_DIGITS[ch]) + (r.current * 10 if r.current is not None else 0)
        r.current_arabic = False
        r.too_long = r.too_long or r.current > MAX_VALUE
        return i + 1
    return None


def _take_multiplier(s: str, j: int, r: _Reader) -> bool:
    """Apply the multiplier at `s[j]` (千, K, 万, 億…); False when `s[j]` is not one."""
    ch = s[j]
    if ch in _SMALL_MULT:
        mult = _SMALL_MULT[ch]
        if r.current is not None and r.current_arabic:
            r.explicit = True
            r.add_scale(mult)
        r.section += (r.current if r.current is not None else Decimal(1)) * mult
    elif _latin(s, j, r):
        mult = 1_000_000 if ch == "m" else _LATIN_MULT[ch]
        assert r.current is not None
        r.section += r.current * mult
        r.explicit = True
        r.add_scale(mult)
    elif ch in _BIG_MULT and (r.current is not None or r.section or r.total):
        mult = _BIG_MULT[ch]
        if r.current is None and not r.section:
            block = Decimal(1)  # a bare 万 after 億 (`1億万`) counts one
        else:
            block = r.section + (r.current if r.current is not None else Decimal(0))
        r.total += block * mult
        r.section, r.current = Decimal(0), None
        r.saw_big = r.explicit = True
        r.last_big = ch
        r.add_scale(mult)
    else:
        return False
    if r.unit_at < 0:
        r.unit_at = j
    r.current = None
    return True


def _latin(s: str, j: int, r: _Reader) -> bool:
    """Whether `s[j]` is a Latin multiplier for the number read so far (`450K`, `¥3m`)."""
    ch = s[j]
    known = ch in _LATIN_MULT or (ch == "m" and r.yen_sign)
    return known and r.current is not None and r.current_arabic and not is_ascii_letter(s, j + 1)


def _spelled_million(s: str, i: int, r: _Reader) -> int:
    """Apply a `million` written after the number (`¥5.2 million`, `8,1 million`); the new index."""
    if s[i : i + 1] not in (" ", "\t", ",", "m", "M"):
        return i  # cheap test first: this runs after every figure
    m = _MILLION_RE.match(s, i)
    if m is None or r.current is None or not r.current_arabic or r.total or r.section:
        return i
    value = r.current
    if m.group("frac"):
        value += Decimal(m.group("frac")) / (10 ** len(m.group("frac")))
    r.current = None
    r.section = value * _MILLION
    r.explicit = True
    r.add_scale(1_000_000)
    r.unit_at = i if r.unit_at < 0 else r.unit_at
    return m.end()


_POINT_THOUSANDS_RE: Final = re.compile(r"[0-9]{1,3}\.[0-9]{3}")


def _shorthand(s: str, i: int, r: _Reader, yen: bool) -> None:
    """Readings people use for the last digits: `28万8` is 288,000; `1.200円` is 1,200."""
    if r.current is None or not r.current_arabic:
        return
    if not yen and r.last_big == "万" and not r.section and len(r.digits) == 1 and r.digits != "0":
        r.current *= 1000  # one digit after 万 with no 円 counts thousands (28万8 = 28万8千)
    elif yen and not r.saw_big and r.scale is None and "." in r.digits and _POINT_THOUSANDS_RE.fullmatch(r.digits):
        r.current = Decimal(r.digits.replace(".", ""))  # a point used as a thousands separator


def _scan(s: str, i: int, r: _Reader) -> int:
    """Read digits and multipliers from `s[i]`; the index after the number."""
    n = len(s)
    while i < n:
        nxt = _take_digits(s, i, r)
        if nxt == -1:
            break
        if nxt is not None:
            i = nxt
            continue
        j = i
        while j < n and s[j] in " \t":
            j += 1
        if j >= n or (j > i and r.current is None) or not _take_multiplier(s, j, r):
            break
        i = j + 1
    return i


def read_amount(s: str, i: int, *, yen_sign: bool = False) -> Amount | None:
    """Read a figure at `s[i]`: `1億2,000万円`, `3.5千円`, `450K`, `千二百万`, `1,800`, `5.2 million`."""
    start = i
    r = _Reader(yen_sign=yen_sign)
    i = _spelled_million(s, _scan(s, i, r), r)
    if i == start:
        return None
    yen = _YEN_AFTER_RE.match(s, i)
    _shorthand(s, i, r, yen is not None)
    end = yen.end() if yen is not None else i
    unit_at = r.unit_at if r.unit_at >= 0 else (i if yen is not None else -1)
    if not r.saw_arabic and not r.saw_big and yen is None:
        # Kanji numerals alone are words (千葉, 一部, 十分) unless they carry 万/億 or 円.
        return Amount(end=i, value=r.value, explicit=False, scale=1, money=False, word=True)
    amount = Amount(
        end=end,
        value=r.value,
        explicit=r.explicit or yen is not None,
        scale=r.scale or 1,
        money=not r.too_long and r.value < MAX_VALUE,
        unit_at=unit_at,
    )
    _not_money(s, start, i, yen is not None, amount)
    return amount


def _not_money(s: str, start: int, i: int, yen: bool, amount: Amount) -> None:
    """Mark a figure that is a count, a date part, an ordinal, a year or another currency."""
    # The anchored match reads a few characters after the figure; a `word in s` test first read the
    # whole text once per figure (quadratic in a cell of many figures, `1〜1〜1〜…`).
    per = not yen and _PER_UNIT_RE.match(s, i) is not None
    counter = None if yen or per else _COUNTER_RE.match(s, i)
    if per or counter is not None:
        amount.money, amount.why_not_money = False, "a count, duration or date part"
        # `1現場につき`, `1件`: what follows is a price per task or site, not a wage.
        amount.per_unit = per or (amount.value == 1 and counter is not None and counter.group("item") is not None)
    if (start > 0 and s[start - 1] in "数何第") or is_ascii_letter(s, start - 1):
        amount.money, amount.why_not_money = False, "part of a word or an ordinal"
    if _FOREIGN_BEFORE_RE.search(s, max(0, start - 5), start) or _FOREIGN_AFTER_RE.match(s, amount.end):
        amount.money, amount.why_not_money = False, "another currency"
    elif i - start == 4 and not yen and _YEAR_RE.fullmatch(s, start, i) and _YEAR_BEFORE_RE.search(s, start - 8, start):
        amount.money, amount.why_not_money = False, "a calendar year"
    if (start == 0 or s[start - 1] == "\n") and _ENUMERATOR_RE.match(s, start) and i - start <= 2:
        amount.money, amount.why_not_money = False, "a list number"


def is_ascii_letter(s: str, i: int) -> bool:
    """Whether `s[i]` exists and is an ASCII letter."""
    return 0 <= i < len(s) and s[i].isascii() and s[i].isalpha()


def to_yen(value: Decimal) -> int:
    """Round half-up to whole yen."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------------
# The header's unit

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
    match = _HEADER_UNIT_RE.search(normalize_text(header))
    return match.group("unit") if match is not None else None


@lru_cache(maxsize=256)  # a column's header unit is read once per cell: cache it
def unit_scale(unit: str) -> int | None:
    """Yen per unit: `万円` -> 10,000; `円` -> 1; None when `unit` is not a yen unit."""
    text = normalize_text(unit).strip()
    text = unit_from_header(text) or text
    text = text.removesuffix("円").strip()
    if not text:
        return 1
    amount = read_amount("1" + text, 0)
    if amount is None or amount.end != len(text) + 1 or not amount.explicit or amount.value > 10**12:
        return None
    return to_yen(amount.value)
