"""Rule 1, tokens: split the normalized text into figures, marks, words, brackets and separators."""

from __future__ import annotations

import re
from typing import Final

from jobpipeline.salary._amounts import AMOUNT_START, DATE_TIME_RE, MAX_VALUE, is_ascii_letter, read_amount
from jobpipeline.salary._model import Basis, State, Tok, TokKind
from jobpipeline.salary._text import normalize_text

BASIS_GROUPS: Final[dict[str, tuple[Basis, bool]]] = {
    "annual": ("annual", True),
    "monthly": ("monthly", True),
    "hourly": ("hourly", True),
    "daily": ("daily", True),
    "w_annual": ("annual", False),
    "w_monthly": ("monthly", False),
    "w_hourly": ("hourly", False),
    "w_daily": ("daily", False),
    "s_annual": ("annual", True),
    "s_monthly": ("monthly", True),
    "s_hourly": ("hourly", True),
    "s_daily": ("daily", True),
}

_END: Final = r"(?![A-Za-z])"  # an English word ends here

# Japanese words, marks and brackets. Every branch starts with a fixed character, so the regex
# engine rejects other characters at once (the tokenizer tries it at every position).
TOKEN_RE: Final = re.compile(
    rf"""
    (?P<excl>
        (?:想定)?(?:年収|月収|月給|給与|収入|年俸|時給|日給)(?:例|モデル|事例|実績|イメージ)
      | モデル(?:年収|月収|給与)? | 業績年俸 | 成果報酬 | 決算賞与 | 賞与 | ボーナス | 寸志 | 手当
      | 交通費 | 通勤費 | 残業代 | 固定残業代? | みなし(?:残業代?)? | インセンティブ | 歩合 | 昇給
      | 退職金 | 試用 | 研修(?:期間|中) | 駐車場 | 自己負担 | 補助 | 報奨 | 出来高 | 家賃 | 寮費
      | 社宅 | 祝い?金 | 支度金 | 資本金 | 売上高? | 年商 | 食費 | 水道光熱費 | 光熱費
    )
  | (?P<annual>想定年収|理論年収|年収|年俸|年棒|年給|年間給与|年間収入)
  | (?P<monthly>日給月給|月給|月収|月俸|月例給与|月単価|月額単価|人月単価|人月)
  | (?P<hourly>時給|時間給|時間額|時間単価)
  | (?P<daily>日給|日当)
  | (?P<w_annual>年額|年(?<=\(年)(?=\))|年(?=[ \t]*[0-9]))
  | (?P<w_monthly>月額|月(?<=\(月)(?=\))|月(?:に|あたり|当たり)?(?=[ \t]*[0-9]))
  | (?P<w_hourly>時(?<=\(時)間?(?=\)))
  | (?P<w_daily>日額|日(?<=\(日)(?=\)))
  | (?P<neutral>基本給|初任給|総支給額?|支給額|給与|給料|賃金|報酬)
  | (?P<s_annual>/[ \t]*(?:年(?![収俸額給])|(?i:yr|year){_END}))
  | (?P<s_monthly>/[ \t]*(?:月(?![給収額俸])|(?i:mo|month){_END}))
  | (?P<s_hourly>/[ \t]*(?:時間(?![給額])|時(?![給間])|(?i:h|hr|hour){_END}))
  | (?P<s_daily>/[ \t]*(?:日(?![給当額])|(?i:day){_END}))
  | (?P<per>/[ \t]*(?:回|件|個|枚|本|人|名|食|泊|コマ|席|台))
  | (?P<open_up>以上|超(?!過)|越(?=え)|\+[ \t]*α|オーバー|を?上回)
  | (?P<open_low>以下|未満|まで|迄|以内|を?下回)
  | (?P<pre_min>最低(?!賃金)(?:額|値)?|下限)
  | (?P<pre_max>最大|最高(?:額|値)?|上限)
  | (?P<range>[~〜∼⁓]|から)
  | (?P<dash>[-‐‑‒–—―−⁃]|ー(?<=[0-9万円千億 \t]ー)(?=[ \t]*[0-9]))
  | (?P<plus>\+)
  | (?P<lost>[?・〓])
  | (?P<popen>[(\[〔⦅])
  | (?P<pclose>[)\]〕⦆])
  | (?P<newline>\n|<(?i:br)[ \t]*/?>)
  | (?P<note>※)
  | (?P<stop>。)
  | (?P<sep>[、,;|/★☆◆◇■□●○◎▼▽▲△♪→⇒])
    """,
    re.VERBOSE,
)
# English words, tried only where an ASCII word starts.
EN_TOKEN_RE: Final = re.compile(
    rf"""
    (?i:
      (?P<excl>bonus(?:es)?|allowances?|commissions?|incentives?)
    | (?P<annual>annual(?:ly)?|yearly|per\s+(?:year|annum)|an?\s+year|each\s+year|p\.a\.?|p1y)
    | (?P<monthly>monthly|per\s+month|an?\s+month|each\s+month|every\s+month|p1m)
    | (?P<hourly>hourly|per\s+hour|an\s+hour|each\s+hour|pt1h)
    | (?P<daily>daily|per\s+day|a\s+day|each\s+day|p1d)
    | (?P<neutral>salary|salaries|wages?|pay)
    | (?P<open_up>or\s+(?:more|above|higher)|and\s+(?:up|above|over))
    | (?P<open_low>or\s+(?:less|below|under))
    | (?P<pre_min>min(?:imum)?|at\s+least|upwards\s+of|more\s+than|over|above|in\s+excess\s+of
        |start(?:s|ing)?\s+(?:at|from)|from)
    | (?P<pre_max>max(?:imum)?|up\s+to|no\s+more\s+than|less\s+than|under|below)
    | (?P<between>between)
    | (?P<range_word>to|through|and)
    ){_END}
    """,
    re.VERBOSE,
)
_KINDS: Final[dict[str, TokKind]] = {
    kind: kind
    for kind in (
        "excl",
        "neutral",
        "per",
        "open_up",
        "open_low",
        "pre_min",
        "pre_max",
        "range",
        "dash",
        "popen",
        "pclose",
        "newline",
        "note",
        "sep",
        "stop",
        "between",
    )
}
# `JPY250,000`, `yen 3,000`: a currency word before the number, like ¥.
_YEN_WORD_RE: Final = re.compile(r"(?<![A-Za-z])(?i:jpy|yen)[ \t]*(?=[0-9])")
# `includes bonuses`, `bonus included`: the figure includes it, so it is still the pay.
_INCLUDED_BEFORE_RE: Final = re.compile(r"(?i:includ(?:e|es|ed|ing))[ \t]+\Z")
_DIGIT_AHEAD_RE: Final = re.compile(r"[ \t]*[0-9]")
# An English bound word counts only right before its figure: `less than ¥4m`, not `less than one year`.
_FIGURE_AHEAD_RE: Final = re.compile(
    r"[ \t]*(?:(?i:about|around|approximately|roughly|some)[ \t]+)?(?:¥|\\|(?i:jpy|yen)[ \t]*)?[0-9]"
)
_INCLUDED_RE: Final = re.compile(r"[ \t]*[をも]?[ \t]*(?:込|含)")
# A `+` stuck to a figure and followed by a space, punctuation or the end is an open upper end
# (`1,800+`); otherwise it joins parts (`月給28万円＋賞与`, `a + b`).
_PLUS_OPEN_FOLLOW_RE: Final = re.compile(r"$|[ \t)\]〕、。,;|/・\n(※+]")


def run(state: State) -> None:
    """Normalize the text, split it into tokens and pair its brackets."""
    state.text = normalize_text(state.raw)
    state.tokens = tokenize(state.text)
    state.pairs = pair_brackets(state.tokens)


def _figure_token(s: str, i: int, yen_prefix: bool, tokens: list[Tok]) -> int | None:
    """Append the figure (or date/time) starting at `s[i]`; the index after it, or None if there is none."""
    if s[i] in "0123456789":
        dt = DATE_TIME_RE.match(s, i)
        if dt is not None:
            tokens.append(Tok("fig", i, dt.end(), money=False, why_not_money="a date or a clock time"))
            return dt.end()
    amount = read_amount(s, i, yen_sign=yen_prefix)
    if amount is None:
        return None
    if amount.word:
        return amount.end
    tokens.append(
        Tok(
            "fig",
            i,
            amount.end,
            value=amount.value,
            explicit=amount.explicit or yen_prefix,
            scale=amount.scale,
            money=amount.money or (yen_prefix and amount.value < MAX_VALUE),
            unit_at=amount.unit_at,
            why_not_money="" if amount.money or yen_prefix else amount.why_not_money,
            per_unit=amount.per_unit,
        )
    )
    return amount.end


def _lost_range_mark(s: str, m: re.Match[str], tokens: list[Tok]) -> TokKind:
    """The mark a `?`, `・` or `〓` stands for when an encoding round trip lost a `〜` (`20万?25万円`).

    Between two figures it joins them; a `?` stuck to the end of a figure (`1,000円?`) or to the
    start of the first one (`?800万円`) opens that end. Anything else stays a separator.
    """
    after_fig = bool(tokens) and tokens[-1].kind == "fig"
    digit_ahead = _DIGIT_AHEAD_RE.match(s, m.end()) is not None
    if m.group() == "・":  # a list dot too: only when it touches both figures
        touching = after_fig and tokens[-1].end == m.start() and s[m.end() : m.end() + 1].isdigit()
        return "dash" if touching else "sep"
    if after_fig and s[tokens[-1].end : m.start()].strip() == "":
        if digit_ahead:
            return "dash"
        return "range" if tokens[-1].end == m.start() and m.group() == "?" else "sep"
    return "range" if not after_fig and s[m.end() : m.end() + 1].isdigit() else "sep"


def _mark_kind(s: str, m: re.Match[str], group: str, tokens: list[Tok]) -> TokKind:
    """The kind of a matched mark whose role depends on its neighbours."""
    if group == "plus":
        attached = m.start() > 0 and s[m.start() - 1] not in " \t"
        return "open_up" if attached and _PLUS_OPEN_FOLLOW_RE.match(s, m.end()) else "sep"
    if group == "lost":
        return _lost_range_mark(s, m, tokens)
    if group == "range_word":  # `from 800 to 950`, `between 200,000 and 600,000`
        if m.group().lower() != "and":
            return "dash"
        return "dash" if len(tokens) >= 2 and [t.kind for t in tokens[-2:]] == ["between", "fig"] else "sep"
    return _KINDS.get(group, "sep")


def _word_token(s: str, m: re.Match[str], tokens: list[Tok]) -> None:
    """Append the token for a matched word or mark (`m` from TOKEN_RE)."""
    group = m.lastgroup or "sep"
    if group == "excl" and (
        _INCLUDED_RE.match(s, m.end()) or _INCLUDED_BEFORE_RE.search(s, max(0, m.start() - 12), m.start())
    ):
        return  # `残業代込み`, `固定残業代を含む`, `includes bonuses`: the figure is still the pay.
    if group in ("pre_min", "pre_max") and m.group().isascii() and not _FIGURE_AHEAD_RE.match(s, m.end()):
        return
    if group in BASIS_GROUPS:
        basis, strong = BASIS_GROUPS[group]
        kind: TokKind = "suffix" if group.startswith("s_") else "basis"
        tokens.append(Tok(kind, m.start(), m.end(), basis=basis, strong=strong))
    else:
        tokens.append(Tok(_mark_kind(s, m, group, tokens), m.start(), m.end()))


def tokenize(s: str) -> list[Tok]:
    """The tokens of normalized text `s`, in order; unknown characters are skipped."""
    tokens: list[Tok] = []
    i, n = 0, len(s)
    yen_prefix = False
    while i < n:
        ch = s[i]
        if ch in " \t\r\u3000":
            i += 1
            continue
        if ch in AMOUNT_START:
            nxt = _figure_token(s, i, yen_prefix, tokens)
            if nxt is not None:
                i, yen_prefix = nxt, False
                continue
        if ch in "¥\\":
            yen_prefix = True
            i += 1
            continue
        yen_word = _YEN_WORD_RE.match(s, i) if ch in "JjYy" else None
        if yen_word is not None:
            yen_prefix, i = True, yen_word.end()
            continue
        yen_prefix = False
        english = ch.isascii() and ch.isalpha()
        if english and is_ascii_letter(s, i - 1):
            i += 1  # inside an English word
            continue
        m = (EN_TOKEN_RE if english else TOKEN_RE).match(s, i)
        if m is None:
            i += 1
            continue
        _word_token(s, m, tokens)
        i = max(m.end(), i + 1)
    return tokens


def pair_brackets(tokens: list[Tok]) -> dict[int, int]:
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
