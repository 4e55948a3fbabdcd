"""Read an article's Markdown body: sections, tables, and the typed tables the site uses.

markdown-it-py gives every block token the body lines it spans (`token.map`); adding the line
where the body starts turns those into file lines, which is what every finding reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from jobpipeline.levels import parse_experience
from jobpipeline.models import CareerStage, InterviewQuestion, Section, Skill, Table, TableKind, Tool
from jobpipeline.salary import unit_from_header

# Block structure only: inline markup is parsed just for the headings and table cells we read
# (see _inline_text), which skips ~35% of markdown-it's work on the prose paragraphs.
_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": 50}).enable("table").disable(["inline", "text_join"])
_INLINE = MarkdownIt("commonmark", {"maxNesting": 50})
INLINE_BUDGET = 100_000
"""Characters of headings and cells per article whose inline markup is parsed. markdown-it costs up to
~25 µs a character (`![![![…`: a 5 MB heading took 210 s), an article has ~15,000; past the budget,
and for a single heading or cell over INLINE_MAX_CHARS, the text is kept as written."""
INLINE_MAX_CHARS = 2_000

SALARY_HEADER_WORDS = ("年収", "年俸")
"""A header cell holding one of these is the salary column (`想定年俸 (万円)`: a contract's annual pay)."""

PAY_HEADER_WORDS = re.compile(r"月給|月収|給与|給料|報酬|\b(?:salary|pay|compensation)\b", re.IGNORECASE)
"""Other names of a pay column (`| 経験 | 月給 (万円) |`, `| Level | Salary (万円) |`): one counts only with a yen
unit in the same header cell (`給与計算の経験` in a skills table is no pay column), and a table of them only
when the article has no table under a salary word (a 年収 table is the estimated-salary table)."""

SALARY_LOW_WORDS = ("下限", "最低", "最小", "min")
SALARY_HIGH_WORDS = ("上限", "最高", "最大", "max")
"""A range written in two columns, `| 経験年数 | 年収下限 (万円) | 年収上限 (万円) |`: the low end's header holds
a low word, the high end's a high word (English compared in lower case: `Min (万円)`)."""

# Checked in order, after the salary words and the first column alone: the first keyword found decides.
TABLE_KINDS: tuple[tuple[str, TableKind], ...] = (
    ("キャリア段階", "career"),
    # The career-path table under other names writers give its first column.
    ("キャリアパス", "career"),
    ("キャリアステップ", "career"),
    ("キャリアステージ", "career"),
    ("質問", "interview"),
    ("ツール", "tools"),
    ("スキル", "skills"),
)


@dataclass(frozen=True)
class Body:
    """Everything read from a body, before salary normalization."""

    sections: tuple[Section, ...]
    tables: tuple[Table, ...]
    tools: tuple[Tool, ...]
    skills: tuple[Skill, ...]
    career_stages: tuple[CareerStage, ...]
    interview_questions: tuple[InterviewQuestion, ...]
    hashtags: tuple[str, ...]


def parse_body(body: str, body_line: int) -> Body:
    """Parse Markdown `body`, whose first line is line `body_line` of the file."""
    tokens = _MARKDOWN.parse(body)
    lines = body.split("\n")
    budget = [INLINE_BUDGET]
    sections = _sections(tokens, lines, body_line, budget)
    tables = _tables(tokens, sections, body_line, budget)
    return Body(
        sections=sections,
        tables=tables,
        tools=extract_tools(tables),
        skills=_skills(tables),
        career_stages=_career_stages(tables),
        interview_questions=_interview_questions(tables),
        hashtags=extract_hashtags(lines),
    )


_DELIMITER_CHARS = frozenset("|:- \t")


def table_cells(body: str) -> int:
    """An upper bound on the table cells markdown-it would make of `body`, counted without parsing it.

    Each cell costs ~16 µs and ~1 KB to parse and keep, and markdown-it pads every row to the
    header's width: a 5 MB body of 200-column rows is 2.6 million cells (~40 s, ~2.7 GB). A table
    is a header line with a `|`, a delimiter row (`|---|:--:|`) and the lines up to the next blank one.
    """
    lines = [line.lstrip(" \t>") for line in body.split("\n")]  # tables may sit in quotes and lists
    cells = 0
    covered = 0  # lines up to here are already counted as part of a table
    for index in range(1, len(lines)):
        line = lines[index]
        if index < covered or "-" not in line or "|" not in lines[index - 1] or not _DELIMITER_CHARS.issuperset(line):
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip():
            end += 1
        cells += (line.strip().strip("|").count("|") + 1) * (end - index)
        covered = end
    return cells


FIRST_COLUMN_KINDS: dict[str, TableKind] = {
    **dict.fromkeys(("キャリア", "ポジション", "役職", "職位", "段階", "ステージ", "ステップ"), "career"),
    **dict.fromkeys(("Q", "Q.", "問", "設問"), "interview"),
}
"""A career-path or question table's first column as writers also head it: alone, these words name the
table (inside another header, `キャリアに役立つスキル`, they do not)."""


def salary_columns(header: tuple[str, ...], *, pay: bool = True) -> tuple[int, ...]:
    """The salary column of a table's header, or its low and high columns; () when it has none.

    A range in two columns is read as one: `下限`/`上限` beside each other under a salary word, or with a
    yen unit of their own (`| 経験年数 | 下限 (万円) | 上限 (万円) |`). Else the first salary-word column; else,
    with `pay`, the first column under another pay word with a yen unit (`月給 (万円)`, `Salary (万円)`).

    >>> salary_columns(("経験年数", "年収範囲 (万円)", "特徴"))
    (1,)
    >>> salary_columns(("経験年数", "年収下限 (万円)", "年収上限 (万円)"))
    (1, 2)
    >>> salary_columns(("経験年数", "下限 (万円)", "上限 (万円)"))
    (1, 2)
    >>> salary_columns(("スキル", "最低限のレベル", "最高のレベル"))
    ()
    >>> salary_columns(("経験", "月給 (万円)")), salary_columns(("スキル", "給与計算の経験"))
    ((1,), ())
    """
    salary = [i for i, cell in enumerate(header) if any(word in cell for word in SALARY_HEADER_WORDS)]
    low = _column_with(header, SALARY_LOW_WORDS)
    high = _column_with(header, SALARY_HIGH_WORDS, after=low)
    if low is not None and high is not None:
        pair = (header[low], header[high])
        named = any(i in salary for i in (low, high)) or any(unit_from_header(cell) for cell in pair)
        if named:
            return (low, high)
    if salary:
        return (salary[0],)
    if not pay:
        return ()
    paid = next((i for i, cell in enumerate(header) if PAY_HEADER_WORDS.search(cell) and unit_from_header(cell)), None)
    return () if paid is None else (paid,)


def loaded_salary_table(tables: Sequence[Table]) -> Table | None:
    """The article's estimated-salary table: the first under a salary word (`年収`, `年俸`, or a 下限/上限 pair),
    else the first under another pay word (`月給 (万円)`). The others are `salary-table-extra`."""
    salary = [t for t in tables if t.kind == "salary"]
    return next((t for t in salary if salary_columns(t.header, pay=False)), salary[0] if salary else None)


def _column_with(header: tuple[str, ...], words: tuple[str, ...], after: int | None = -1) -> int | None:
    """The first column after `after` whose header holds one of `words`."""
    if after is None:
        return None
    return next((i for i, cell in enumerate(header) if i > after and any(word in cell.lower() for word in words)), None)


def classify_table(header: tuple[str, ...]) -> TableKind:
    """Name a table's kind from its header cells: `('経験年数', '年収範囲 (万円)')` is `salary`."""
    joined = " ".join(header)
    if salary_columns(header):  # `| ポジション | 年収 |`, `| 経験 | 下限 (万円) | 上限 (万円) |`
        return "salary"
    first = header[0].strip() if header else ""
    if first in FIRST_COLUMN_KINDS:
        return FIRST_COLUMN_KINDS[first]
    return next((kind for keyword, kind in TABLE_KINDS if keyword in joined), "other")


def _inline_text(token: Token, budget: list[int]) -> str:
    """Plain text of an inline token (markup such as ** dropped, code spans kept).

    `budget[0]` is how many characters may still be parsed (see INLINE_BUDGET).
    """
    if not token.content:
        return ""
    if len(token.content) > min(budget[0], INLINE_MAX_CHARS):
        return token.content.strip()
    budget[0] -= len(token.content)
    parsed = _INLINE.parseInline(token.content)
    children = parsed[0].children if parsed else None
    parts: list[str] = []
    for child in children or ():
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _sections(tokens: list[Token], lines: list[str], body_line: int, budget: list[int]) -> tuple[Section, ...]:
    headings: list[tuple[int, int, str]] = []  # (body line index, level, title)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            headings.append((token.map[0], int(token.tag[1]), _inline_text(tokens[i + 1], budget)))
    sections: list[Section] = []
    first_heading = headings[0][0] if headings else len(lines)
    preamble = "\n".join(lines[:first_heading]).strip()
    if preamble:
        sections.append(Section(ordinal=0, level=0, title="", line=body_line, text=preamble))
    for index, (start, level, title) in enumerate(headings):
        end = headings[index + 1][0] if index + 1 < len(headings) else len(lines)
        sections.append(
            Section(
                ordinal=len(sections),
                level=level,
                title=title,
                line=body_line + start,
                text="\n".join(lines[start + 1 : end]).strip(),
            )
        )
    return tuple(sections)


def _tables(tokens: list[Token], sections: tuple[Section, ...], body_line: int, budget: list[int]) -> tuple[Table, ...]:
    tables: list[Table] = []
    i = 0
    while i < len(tokens):
        if tokens[i].type != "table_open":
            i += 1
            continue
        table_map = tokens[i].map
        start = table_map[0] if table_map else 0
        before = _paragraph_ending_at(tokens, i - 1)
        header: list[str] = []
        rows: list[tuple[str, ...]] = []
        row_lines: list[int] = []
        row: list[str] = []
        in_head = False
        i += 1
        while i < len(tokens) and tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                row = []
                if not in_head:
                    row_lines.append(body_line + (token.map[0] if token.map else start))
            elif token.type == "inline":
                row.append(_inline_text(token, budget))
            elif token.type == "tr_close":
                if in_head:
                    header = row
                else:
                    rows.append(tuple(row))
            i += 1
        file_line = body_line + start
        header_tuple = tuple(header)
        upright = turned_upright(header_tuple, tuple(rows), tuple(row_lines))
        if upright is not None:
            header_tuple, rows_tuple, lines_tuple = upright
            rows, row_lines = list(rows_tuple), list(lines_tuple)
        tables.append(
            Table(
                ordinal=len(tables),
                kind=classify_table(header_tuple),
                section_title=_section_at(sections, file_line),
                line=file_line,
                header=header_tuple,
                rows=tuple(rows),
                row_lines=tuple(row_lines),
                note_unit=_note_unit(before, _paragraph_starting_at(tokens, i + 1)),
            )
        )
        i += 1
    return tuple(tables)


def turned_upright(
    header: tuple[str, ...], rows: tuple[tuple[str, ...], ...], row_lines: tuple[int, ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[int, ...]] | None:
    """A salary table written sideways, turned to one row per level; None for any other table.

    Sideways: the levels across the header and a row whose first cell is a salary header
    (`| 項目 | ジュニア (0-3年) | ミドル (3-7年) |` then `| 年収範囲 (万円) | 450〜700 | 700〜1,100 |`). Most of the
    header's other cells must name a level or years, so a table comparing jobs (`| | MLOps | SRE |`, a
    `平均年収` row) is not read as this article's salary. Each turned row takes the salary row's line.

    >>> header, rows, lines = turned_upright(
    ...     ("項目", "ジュニア", "シニア"), (("年収 (万円)", "450〜700", "1,100〜"), ("特徴", "補助", "設計")), (5, 6)
    ... )
    >>> header, rows, lines
    (('項目', '年収 (万円)', '特徴'), (('ジュニア', '450〜700', '補助'), ('シニア', '1,100〜', '設計')), (5, 5))
    >>> turned_upright(("比較", "MLOps", "SRE"), (("平均年収", "800万円", "700万円"),), (5,)) is None
    True
    """
    if len(header) < 2 or salary_columns(header):
        return None
    salary_row = next((k for k, row in enumerate(rows) if row and salary_columns(row[:1])), None)
    if salary_row is None:
        return None
    labels = header[1:]
    named = sum(1 for label in labels if _names_experience(label))
    if named * 2 <= len(labels):
        return None
    turned = tuple(
        (label, *(row[column] if column < len(row) else "" for row in rows))
        for column, label in enumerate(labels, start=1)
    )
    line = row_lines[salary_row] if salary_row < len(row_lines) else 0
    return (header[0], *(row[0] if row else "" for row in rows)), turned, (line,) * len(turned)


def _names_experience(label: str) -> bool:
    experience = parse_experience(label)
    return experience.level is not None or experience.years_min is not None or experience.years_max is not None


NOTE_MAX_CHARS = 80
"""A paragraph longer than this beside a table is prose, not a note on the table's unit."""


def _paragraph_ending_at(tokens: list[Token], close: int) -> str | None:
    if close >= 2 and tokens[close].type == "paragraph_close" and tokens[close - 1].type == "inline":
        return tokens[close - 1].content
    return None


def _paragraph_starting_at(tokens: list[Token], opening: int) -> str | None:
    if opening + 1 < len(tokens) and tokens[opening].type == "paragraph_open" and tokens[opening + 1].type == "inline":
        return tokens[opening + 1].content
    return None


def _note_unit(*paragraphs: str | None) -> str | None:
    """The yen unit a short note just above or below a table states: `（単位：万円）`, `※単位は千円`.

    >>> _note_unit("（単位：万円）", None), _note_unit(None, "単位: 千円"), _note_unit("年収の目安です。", None)
    ('万円', '千円', None)
    """
    for text in paragraphs:
        if text is not None and len(text) <= NOTE_MAX_CHARS and "単位" in text:
            unit = unit_from_header(text.replace("単位は", "単位:"))
            if unit is not None:
                return unit
    return None


def _section_at(sections: tuple[Section, ...], line: int) -> str:
    title = ""
    for section in sections:
        if section.line <= line:
            title = section.title
    return title


def _cell(row: tuple[str, ...], index: int) -> str:
    return row[index] if index < len(row) else ""


def _skills(tables: tuple[Table, ...]) -> tuple[Skill, ...]:
    skills: list[Skill] = []
    for table in tables:
        if table.kind != "skills":
            continue
        for row, line in zip(table.rows, table.row_lines, strict=False):
            if not _cell(row, 0):
                continue
            skills.append(
                Skill(
                    ordinal=len(skills),
                    group=table.section_title,
                    name=_cell(row, 0),
                    description=_cell(row, 1),
                    line=line,
                )
            )
    return tuple(skills)


def _career_stages(tables: tuple[Table, ...]) -> tuple[CareerStage, ...]:
    stages: list[CareerStage] = []
    for table in tables:
        if table.kind != "career":
            continue
        for row, line in zip(table.rows, table.row_lines, strict=False):
            if not _cell(row, 0):
                continue
            stages.append(
                CareerStage(
                    ordinal=len(stages),
                    stage=_cell(row, 0),
                    experience=parse_experience(_cell(row, 0)),
                    responsibilities=_cell(row, 1),
                    outlook=_cell(row, 2),
                    line=line,
                )
            )
    return tuple(stages)


# The question's own number, however it is written: `1.`, `Q1：`, `問1.`, `質問3`, `Q.1`, `(1)`, `①`. A bare
# number needs its mark (`5年後のキャリアは？` starts with a number that is part of the question).
_QUESTION_NUMBER = re.compile(
    r"^\s*(?:(?:Q|問|質問)\s*\.?\s*\d+\s*[.．、)）:：]?|[(（]\s*\d+\s*[)）]|\d+\s*[.．、)）:：]|[\u2460-\u2473])\s*"
)


def _interview_questions(tables: tuple[Table, ...]) -> tuple[InterviewQuestion, ...]:
    questions: list[InterviewQuestion] = []
    for table in tables:
        if table.kind != "interview":
            continue
        for row, line in zip(table.rows, table.row_lines, strict=False):
            question = _QUESTION_NUMBER.sub("", _cell(row, 0)).strip()
            if not question:
                continue
            questions.append(
                InterviewQuestion(ordinal=len(questions), question=question, answer_points=_cell(row, 1), line=line)
            )
    return tuple(questions)


# A tool name is a run of Latin letters, digits and the marks that occur in product names;
# Japanese text ends it. `など` ("and so on") ends the list of names in a cell.
_TOOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.+#&/_\- ]*[A-Za-z0-9+#]|[A-Za-z]")
_PARENTHESIS = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_NAME_WINDOW = 200
"""Characters before a bracket searched for the name it may expand (`DVC (Data Version Control)`)."""
_NAME_RUN = re.compile(r"[A-Za-z0-9.+#&/_\- ]*")  # the characters `_TOOL_NAME` may hold
_WORD = re.compile(r"[A-Za-z]+")
_LIST_SEPARATORS = re.compile(
    r"[,、，/／・]|\s+や\s*|\s*および\s*|\s+and\s+"
    # Japanese "and"/"or" between two names, spaced or not: `Docker及びKubernetes`, `Amazon S3やGCS`, `PythonとGo`
    r"|(?<=[A-Za-z0-9+#])\s*(?:及び|および|または|又は|や|と)\s*(?=[A-Za-z])"
)
_ET_CETERA = re.compile(r"\s*(?:等|など|ほか|etc\.?)\s*$")
_ET_CETERA_ENDS = (
    "等",
    "など",
    "ほか",
    "etc",
    "etc.",
    " ",
    "\u3000",
)  # a cheap test first: a cell may hold 500,000 brackets
"""`等` ("and so on") closing a bracket of names (`SQL（BigQuery等）`): the names stay; a Japanese note goes."""
_DOTTED_NAME = re.compile(r"(?<![A-Za-z0-9])\.[A-Z]{2,}(?![A-Za-z])")
"""A name that starts with its dot (`.NET`): the dot is part of it."""


def extract_tools(tables: tuple[Table, ...]) -> tuple[Tool, ...]:
    """Tool names from the tools tables' description cells, in order, without repeats.

    `Prometheus, Grafana (メトリクス収集), ELK Stack (Elasticsearch, Logstash, Kibana) による…`
    gives Prometheus, Grafana, ELK Stack, Elasticsearch, Logstash, Kibana: parenthesised notes
    in Japanese are dropped, and so is an expansion of the name before it (`DVC (Data Version
    Control)`), while a parenthesised list of names is kept.
    """
    tools: list[Tool] = []
    seen: set[str] = set()
    for table in tables:
        if table.kind != "tools":
            continue
        for row, line in zip(table.rows, table.row_lines, strict=False):
            category, text = _cell(row, 0), _cell(row, 1)
            for name in tool_names(text):
                if name.casefold() not in seen:
                    seen.add(name.casefold())
                    tools.append(Tool(name=name, tool_category=category, line=line))
    return tuple(tools)


def tool_names(text: str) -> list[str]:
    """Tool names in one description cell (see `extract_tools`)."""
    text = text.split("など")[0]
    kept_parentheses: list[str] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.endswith(_ET_CETERA_ENDS):
            inner = _ET_CETERA.sub("", inner)
        # Only the name just before the bracket matters: scanning the whole prefix for every bracket
        # made a long cell quadratic (a 5 MB cell of `AB (C D) ` took hours).
        before = text[max(0, match.start() - _NAME_WINDOW) : match.start()].rstrip()
        if _JAPANESE.search(inner) or _is_expansion(before, inner):
            return " "
        kept_parentheses.append(inner)
        return " "

    outside = _PARENTHESIS.sub(keep_or_drop, text)
    names: list[str] = []
    for chunk in [outside, *kept_parentheses]:
        for piece in _LIST_SEPARATORS.split(chunk):
            # Japanese splits a piece into runs, but only its leading run is a name
            # (`Python (データ処理)` -> Python; `GitHub Actions を用いた` -> GitHub Actions).
            match = _TOOL_NAME.search(piece)
            if match is None:
                continue
            if _JAPANESE.search(piece[: match.start()]):
                continue
            name = " ".join(match.group(0).split()).strip(" .-")
            if match.start() and _DOTTED_NAME.match(piece, match.start() - 1):
                name = "." + name
            if len(name) >= 2 or name.isupper():
                names.append(name)
    return names


def _is_expansion(before: str, inner: str) -> bool:
    """Whether `inner` spells out the last name in `before` (`DVC` before `(Data Version Control)`)."""
    words = _WORD.findall(inner)
    if len(words) < 2:
        return False
    initials = "".join(word[0] for word in words).upper()
    if before[-1:].isascii() and before[-1:].isalpha() and before[-1] != initials[-1]:
        # `before` ends in a letter: the last name ends there, so an acronym of these words would too.
        return False
    acronym = _last_tool_name(before).strip()
    if not acronym.isupper():
        return False
    return initials == acronym.replace(" ", "")


def _last_tool_name(text: str) -> str:
    """The last `_TOOL_NAME` match in `text`, or "".

    A match never crosses a character outside the name characters, so the last one lies in the final
    run of them, and is the only match there: found without matching every name in the window
    (`findall` on 200 characters per bracket was a third of a 5 MB tools cell's 7 s).
    """
    run = _NAME_RUN.match(text[::-1])
    start = len(text) - (run.end() if run is not None else 0)
    last = _TOOL_NAME.search(text, start)
    if last is not None:
        return last.group(0)
    previous = _TOOL_NAME.findall(text, 0, start)
    return previous[-1] if previous else ""


# `#` or the full-width `＃` the Japanese input method types; a `#` right after a tag ends it when a space or the
# line's end follows (`#C#`, `#F#`), else it starts the next tag (`#MLOps#AI`).
_HASHTAG = re.compile(r"[#＃]([^\s`#＃,、，]+(?:#(?=[\s`,、，]|$))?)")


def extract_hashtags(lines: list[str]) -> tuple[str, ...]:
    """The recommended tags at the end (`#推奨タグ` then `` `#MLOpsエンジニア` `` lines)."""
    marker = next((i for i in range(len(lines) - 1, -1, -1) if "推奨タグ" in lines[i]), None)
    if marker is None:
        return ()
    tags: list[str] = []
    for line in lines[marker:]:
        for tag in _HASHTAG.findall(line):
            if tag != "推奨タグ" and tag not in tags:
                tags.append(tag)
    return tuple(tags)
