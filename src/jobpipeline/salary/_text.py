"""Rule 1a: the text every other rule reads (NFKC, circled numbers as separators, `300万円台` as a band)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_CIRCLED_RE: Final = re.compile("[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")


_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
"""Zero-width spaces and joiners, word joiner, BOM, soft hyphen: text copied from web pages carries them
between characters (a zero-width space after `1,800+`), where they hide what follows a figure."""


_DECADE_RE: Final = re.compile(
    r"(?<![0-9.,])([1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)[ \t]*(万円|万|千円|億円|億|円)台(前半|後半)?"
)
_DECADE_BEFORE_RE: Final = re.compile(r"[~〜\-][ \t]*\Z|から[ \t]*\Z")
_DECADE_AFTER_RE: Final = re.compile(r"[ \t]*(?:[~〜\-]|から|以上)")


def _decade(match: re.Match[str]) -> str:
    """`300万円台` (the 300万 range) as the band it names, `300万円〜400万円`; a bound of a range names one end
    (`800万円台から`: from 800万円; `〜1,000万円台`: up to 2,000万円). 前半 and 後半 take half the range."""
    digits, unit, half = match.group(1).replace(",", ""), match.group(2), match.group(3)
    value, step = int(digits), 10 ** (len(digits) - len(digits.rstrip("0")))  # 月給25万円台: 25万 … 26万
    low, high = value + (step // 2 if half == "後半" else 0), value + (step // 2 if half == "前半" else step)
    if _DECADE_BEFORE_RE.search(match.string[max(match.start() - 16, 0) : match.start()]):  # a bounded look back
        return f"{high:,}{unit}"
    if _DECADE_AFTER_RE.match(match.string, match.end()):
        return f"{low:,}{unit}"
    return f"{low:,}{unit}〜{high:,}{unit}"


def normalize_text(text: str) -> str:
    r"""NFKC (full-width digits, `～`, `，`, `（）` become ASCII); circled numbers become `・`; invisible
    characters go; Windows and old Mac line ends are `\n`; a figure's range (`300万円台`, the 300万 range:
    read as 300万円 exactly before) becomes the band it names.

    >>> normalize_text("１,８００+\u200b\r\n")
    '1,800+\n'
    >>> normalize_text("300万円台"), normalize_text("1,000万円台後半"), normalize_text("時給1,000円台前半")
    ('300万円〜400万円', '1,500万円〜2,000万円', '時給1,000円〜1,500円')
    >>> normalize_text("800万円台から"), normalize_text("500万〜1,000万台"), normalize_text("月給25万円台")
    ('800万円から', '500万〜2,000万', '月給25万円〜26万円')
    """
    # Circled numbers enumerate alternatives (①月給 ②時給); NFKC would turn them into digits.
    text = _CIRCLED_RE.sub("・", text)
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    return _DECADE_RE.sub(_decade, text) if "台" in text else text
