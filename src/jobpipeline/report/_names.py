"""A job's name from its article's title (pure): what a bar of the salary chart is labelled with.

Article titles are written for search engines: `【2026最新】MLOpsエンジニアの年収・将来性は？…`. The chart
needs `MLOpsエンジニア`. The rules, in order:

1. A name in the front matter wins: `job_name`, then `name` (a non-empty string).
2. Every 【…】 and [...] part goes (`【完全ガイド】`, `【2025年版】`), and a trailing year in brackets (`（2025）`).
3. A leading `未経験から` goes (`未経験から{job}へ：…`).
4. The title is cut at the first clickbait tail (`の年収`, `とは`, `になるには`, `に転職するには`, `へ：`,
   `？`, …; see TAILS) that leaves a name before it.
5. `English Name（日本語名）` gives the Japanese name: the bracket translates a spelled-out English name.
   An acronym keeps its expansion (`SRE（サイト信頼性エンジニア）`).

When the rules leave nothing, the title (trimmed) is the name: a label never goes blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from jobpipeline.models import NAME_FIELDS

TAILS: Final = (
    "に転職するには",
    "への転職",
    "になるには",
    "になる方法",
    "とは",
    "の年収",
    "の平均年収",
    "の仕事内容",
    "の仕事",
    "の将来性",
    "の需要",
    "の求人",
    "のキャリア",
    "の必要スキル",
    "のなり方",
    "の魅力",
    "へ：",
    "へ:",
    "：",
    "？",
    "?",
    "！",
    "｜",
    "|",
    " - ",
    "　",
)
"""Where a title's clickbait starts: the name ends at the first of these that is not at its start."""

_BRACKETS: Final = re.compile(r"【[^】]*】|\[[^\]]*\]")
_TRAILING_YEAR: Final = re.compile(r"[（(]\s*\d{4}\s*年?\s*(?:版|最新)?\s*[)）]\s*$")
_LEADING: Final = re.compile(r"^(?:未経験から|未経験で|文系から)")
_TRANSLATED: Final = re.compile(r"^(?P<en>[A-Za-z][A-Za-z&/.'-]*(?: [A-Za-z&/.'-]+)+)\s*[（(](?P<ja>[^()（）]+)[)）]$")


def job_name(title: str, front_matter: Mapping[str, object] | None = None) -> str:
    """The job's name for a chart label (see the module docstring for the rules).

    >>> job_name("【2026最新】MLOpsエンジニアの年収・将来性は？未経験からのロードマップを徹底解説")
    'MLOpsエンジニア'
    """
    for key in NAME_FIELDS:
        value = (front_matter or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    text = _TRAILING_YEAR.sub("", _BRACKETS.sub("", title)).strip()
    text = _LEADING.sub("", text).strip()
    cuts = [i for i in (text.find(tail) for tail in TAILS) if i > 0]
    if cuts:
        text = text[: min(cuts)].strip()
    translated = _TRANSLATED.match(text)
    if translated:
        text = translated["ja"].strip()
    return text or title.strip()
