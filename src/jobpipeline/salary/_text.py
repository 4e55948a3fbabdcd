"""Rule 1a: the text every other rule reads (NFKC, circled numbers as separators)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_CIRCLED_RE: Final = re.compile("[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")


_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
"""Zero-width spaces and joiners, word joiner, BOM, soft hyphen: text copied from web pages carries them
between characters (a zero-width space after `1,800+`), where they hide what follows a figure."""


def normalize_text(text: str) -> str:
    r"""NFKC (full-width digits, `～`, `，`, `（）` become ASCII); circled numbers become `・`; invisible
    characters go; Windows and old Mac line ends are `\n`.

    >>> normalize_text("１,８００+\u200b\r\n")
    '1,800+\n'
    """
    # Circled numbers enumerate alternatives (①月給 ②時給); NFKC would turn them into digits.
    text = _CIRCLED_RE.sub("・", text)
    text = text.translate(_INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFKC", text)
