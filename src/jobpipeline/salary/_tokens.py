"""Rule 1, tokens: split the normalized text into figures, marks, words, brackets and separators."""

from __future__ import annotations

import re
from typing import Final

from jobpipeline.salary._figures import AMOUNT_START, DATE_TIME_RE, MAX_VALUE, read_amount
from jobpipeline.salary._model import Basis, State, Tok, TokKind
from jobpipeline.salary._text import normalize_text

BASIS_GROUPS: Final[dict[str, tuple[Basis, bool]]] = {
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

TOKEN_RE: Final = re.compile(
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
    )
}
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
    amount = read_amount(s, i)
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
        )
    )
    return amount.end


def _word_token(s: str, m: re.Match[str], tokens: list[Tok]) -> None:
    """Append the token for a matched word or mark (`m` from TOKEN_RE)."""
    group = m.lastgroup or "sep"
    if group == "excl" and _INCLUDED_RE.match(s, m.end()):
        return  # `残業代込み`, `固定残業代を含む`: the figure includes it, so it is still the pay.
    if group in BASIS_GROUPS:
        basis, strong = BASIS_GROUPS[group]
        kind: TokKind = "suffix" if group.startswith("s_") else "basis"
        tokens.append(Tok(kind, m.start(), m.end(), basis=basis, strong=strong))
    elif group == "plus":
        attached = m.start() > 0 and s[m.start() - 1] not in " \t"
        kind = "open_up" if attached and _PLUS_OPEN_FOLLOW_RE.match(s, m.end()) else "sep"
        tokens.append(Tok(kind, m.start(), m.end()))
    else:
        tokens.append(Tok(_KINDS.get(group, "sep"), m.start(), m.end()))


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
        yen_prefix = False
        m = TOKEN_RE.match(s, i)
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
