"""Rule 1a: the text every other rule reads (NFKC, circled numbers as separators)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_CIRCLED_RE: Final = re.compile("[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]")


def normalize_text(text: str) -> str:
    """NFKC (full-width digits, `～`, `，`, `（）` become ASCII); circled numbers become `・`."""
    # Circled numbers enumerate alternatives (①月給 ②時給); NFKC would turn them into digits.
    text = _CIRCLED_RE.sub("・", text)
    return unicodedata.normalize("NFKC", text)
