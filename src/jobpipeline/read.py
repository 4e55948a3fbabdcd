"""Read one seed article: bytes in, a ReadResult (article and findings) out. No I/O here."""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from typing import Any

from pydantic import ValidationError

from jobpipeline.body import loaded_salary_table, parse_body, salary_columns, table_cells
from jobpipeline.decode import DecodeError, decode_article
from jobpipeline.front_matter import (
    FrontMatterError,
    field_lines,
    is_finite_json,
    list_item_lines,
    split_front_matter,
)
from jobpipeline.levels import experience_of_row
from jobpipeline.models import NAME_FIELDS, Article, Finding, FrontMatter, ReadResult, SalaryRow, Severity, Table
from jobpipeline.salary import Basis, SalaryWarning, YenBand, basis_from_text, normalize_salary, unit_from_header
from jobpipeline.validate import check_article, extra_salary_tables

KNOWN_FIELDS = frozenset(
    ("slug", "title", "category", "meta_description", "tags", "keywords", "related_jobs", "thumbnail", "hero_image")
)
LIST_FIELDS = ("tags", "keywords", "related_jobs")
MAX_TABLE_CELLS = 100_000
"""Articles have a few hundred table cells; parsing costs per cell (see `body.table_cells`)."""
MAX_LIST_ITEMS = 1_000
"""Articles list ~10 tags, keywords and related jobs; a list of 500,000 is an export gone wrong and
would become 500,000 rows (and one finding per bad item)."""
SALARY_CELL_MAX_CHARS = 2_000
"""Characters of a salary cell that are normalized (real cells hold 3-300); a longer cell gets a
`salary-cell-too-long` warning and no band. The normalizer is linear, but a cell near the 5 MB file
limit would still take seconds. A reader limit like the others here, not a `JOBPIPELINE_` setting:
runs skip files whose bytes are unchanged, so a cap that differed between runs would leave articles
read under the old cap (and settings.py would cost each reader process ~65 ms of imports)."""
SALARY_TABLE_MAX_CHARS = 20_000
"""Characters of salary cells normalized per article (ten cells at the cap; the real article has ~60).
The normalizer costs ~30 µs a character, markdown ~0.5 µs a byte: 15,000 rows of 330 characters took
83 s, and a file of them must read within a few times an ordinary 5 MB (issue 16). Cells past the
budget get `salary-cell-too-long` and no band."""


def read_article(data: bytes, source_path: str) -> ReadResult:
    """Read the bytes of one seed file, named `source_path` in findings.

    Never raises for bad input: every problem is a Finding, and the article is None when any
    finding is an error.
    """
    content_hash = hashlib.sha256(data).hexdigest()

    def rejected(
        code: str, line: int | None, message: str, field: str | None = None, slug: str | None = None
    ) -> ReadResult:
        finding = Finding(
            source_path=source_path, line=line, slug=slug, severity="error", code=code, field=field, message=message
        )
        return ReadResult(source_path=source_path, content_hash=content_hash, size=len(data), findings=(finding,))

    try:
        text = decode_article(data)
        split = split_front_matter(text)
    except (DecodeError, FrontMatterError) as exc:
        return rejected(exc.code, exc.line, exc.message, getattr(exc, "field", None))

    lines = field_lines(split.block_text, split.block_line, split.fence)
    raw_slug = split.data.get("slug")
    slug = raw_slug if isinstance(raw_slug, str) else None
    findings: list[Finding] = []

    def finding(severity: Severity, code: str, field: str | None, message: str, line: int | None = None) -> None:
        findings.append(
            Finding(
                source_path=source_path,
                line=line if line else lines.get(field or "", None),
                slug=slug,
                severity=severity,
                code=code,
                field=field,
                message=message,
            )
        )

    front_matter = _front_matter(split.data, split.block_text, split.block_line, lines, finding)
    if front_matter is None:
        return ReadResult(
            source_path=source_path,
            content_hash=content_hash,
            size=len(data),
            claimed_slug=slug,
            findings=tuple(findings),
        )

    cells = table_cells(split.body)
    if cells > MAX_TABLE_CELLS:
        findings.append(
            Finding(
                source_path=source_path,
                line=split.body_line,
                slug=slug,
                severity="error",
                code="file-too-large",
                field="body",
                message=f"the tables hold about {cells:,} cells, over the {MAX_TABLE_CELLS:,} limit "
                "(an article has a few hundred): split the file or remove it from the seeds folder",
            )
        )
        return ReadResult(
            source_path=source_path,
            content_hash=content_hash,
            size=len(data),
            claimed_slug=front_matter.slug,
            findings=tuple(findings),
        )
    body = parse_body(split.body, split.body_line)
    loaded = loaded_salary_table(body.tables)
    salary_rows = tuple(_salary_rows(loaded))
    findings.extend(check_article(source_path, front_matter, salary_rows, split.block_line))
    findings.extend(extra_salary_tables(source_path, front_matter.slug, body.tables, loaded))
    article = Article(
        source_path=source_path,
        content_hash=content_hash,
        front_matter=front_matter,
        body_line=split.body_line,
        body_chars=len(split.body),
        sections=body.sections,
        tables=body.tables,
        salary_rows=salary_rows,
        skills=body.skills,
        tools=body.tools,
        career_stages=body.career_stages,
        interview_questions=body.interview_questions,
        hashtags=body.hashtags,
    )
    has_error = any(f.severity == "error" for f in findings)
    return ReadResult(
        source_path=source_path,
        content_hash=content_hash,
        size=len(data),
        claimed_slug=front_matter.slug,
        article=None if has_error else article,
        findings=tuple(findings),
    )


_FIELD_NAMES = sorted(KNOWN_FIELDS | set(NAME_FIELDS))


def meant_field(key: str, present: set[str]) -> str | None:
    """The known field a misspelt or miscapitalised `key` most likely is, unless the article has it already.

    >>> meant_field("meta_descripton", set()), meant_field("Title", set()), meant_field("tag", {"tags"})
    ('meta_description', 'title', None)
    """
    if key.lower() in _FIELD_NAMES:
        near = key.lower()
    else:
        close = difflib.get_close_matches(key.lower(), _FIELD_NAMES, n=1, cutoff=0.8)
        near = close[0] if close else ""
    return near if near and near not in present else None


def missing_text_message(data: dict[str, Any], key: str, example: str) -> str:
    """Why a required text field (slug, title) is not there: absent, not text, or blank.

    >>> print(missing_text_message({"title": 123}, "title", '"…"'))
    `title` is the number 123, not text: write it in double quotes, `"title": "…"`
    >>> print(missing_text_message({}, "title", '"…"'))
    the article has no title: add `"title": "…"`
    """
    value = data.get(key)
    if key not in data or value is None:
        return f'the article has no {key}: add `"{key}": {example}`'
    if isinstance(value, str):
        return f'the {key} is blank: write it, `"{key}": {example}`'
    return f'`{key}` is {json_kind(value)}, not text: write it in double quotes, `"{key}": {example}`'


def json_kind(value: Any) -> str:
    """`value` as the person who typed the front matter would name it (JSON's words, not Python's: a message
    said "input should be a valid tuple (got NoneType 'None')").

    >>> json_kind(7), json_kind(True), json_kind(None), json_kind(["a"]), json_kind({"a": 1})
    ('the number 7', 'true', 'null', 'a list', 'an object')
    >>> print(json_kind("data_scientist, mlops"))
    the text "data_scientist, mlops"
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value!r}"[:44]
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return "the text " + (shown if len(shown) <= 60 else shown[:58] + '…"')
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, datetime.date):  # YAML reads an unquoted 2026-12-07 as a date
        return f"the date {value.isoformat()}"
    return f"a {type(value).__name__}"


def invalid_field_message(known: dict[str, Any], loc: tuple[str | int, ...], error_type: str, msg: str) -> str:
    """What is wrong with the value at `loc` (a field, or an item of a list field) and what to write.

    >>> print(invalid_field_message({"related_jobs": "a, b"}, ("related_jobs",), "tuple_type", ""))
    `related_jobs` is the text "a, b", not a list: write `"related_jobs": ["a", "b"]`
    >>> print(invalid_field_message({"tags": ["ok", 5]}, ("tags", 1), "string_type", ""))
    `tags[1]` is the number 5, not text: write every item of `tags` in double quotes, `"tags": ["a", "b"]`
    >>> print(invalid_field_message({"category": ["ai"]}, ("category",), "string_type", ""))
    `category` is a list, not text: write it in double quotes, `"category": "…"`
    """
    top = str(loc[0])
    value: Any = known.get(top)
    for part in loc[1:]:
        try:
            value = value[part]
        except (LookupError, TypeError):
            break
    shown = top + "".join(f"[{part}]" for part in loc[1:])
    if top in LIST_FIELDS and len(loc) == 1:
        if isinstance(value, str):  # "a, b": the list it was meant to be
            items = [item.strip() for item in re.split(r"[,、，]", value) if item.strip()] or ["a", "b"]
            example = json.dumps(items, ensure_ascii=False)
        else:
            example = '["a", "b"]'
        return f'`{shown}` is {json_kind(value)}, not a list: write `"{top}": {example}`'
    if error_type == "string_type":
        if top in LIST_FIELDS:
            return (
                f"`{shown}` is {json_kind(value)}, not text: write every item of `{top}` in double quotes, "
                f'`"{top}": ["a", "b"]`'
            )
        return f'`{shown}` is {json_kind(value)}, not text: write it in double quotes, `"{top}": "…"`'
    return f"{msg.lower()} (it is {json_kind(value)})"


DRAFT_FIELDS = frozenset({"draft", "published", "unpublished", "hidden"})
"""Site generators' fields that keep a page from being published; a writer may expect them to keep an
article out of the warehouse."""


def _front_matter(
    data: dict[str, Any], block: str, block_line: int, lines: dict[str, int], finding: Any
) -> FrontMatter | None:
    if not is_finite_json(data):
        finding("error", "frontmatter-invalid-json", None, "NaN or Infinity is not a valid value: use a number")
        return None
    known = {key: value for key, value in data.items() if key in KNOWN_FIELDS}
    extra = {key: value for key, value in data.items() if key not in KNOWN_FIELDS}
    unknown = [key for key in extra if key not in NAME_FIELDS]  # those the report reads are no surprise
    present = set(data)
    misspelt: set[str] = set()
    for index, key in enumerate(unknown):
        # A misspelt field is kept as extra data and its real field is missing: name the one meant. (Only
        # for the first few: a front matter of thousands of keys is an export gone wrong, not typos.)
        meant = meant_field(key, present) if index < 100 else None
        if meant:
            misspelt.add(meant)
        if meant:
            message = f"unknown field `{key}`: did you mean `{meant}`? Rename it (until then it is kept as extra data)"
        elif key.lower() in DRAFT_FIELDS:
            # Hugo's and Jekyll's `draft: true` / `published: false` leave a page out; here it changes nothing.
            message = (
                f"`{key}` does not leave the article out: every seed file is loaded; to leave drafts out, list them "
                "in `.jobpipelineignore` in the seeds folder (the field is kept as extra data)"
            )
        else:
            message = f"unknown field `{key}` is kept as extra data: remove it or ask for it to be added to the schema"
        finding("warning", "field-unknown", key, message)
    ok = True
    if not isinstance(known.get("slug"), str) or not known.get("slug", "").strip():
        finding(
            "error",
            "slug-missing",
            "slug",
            missing_text_message(data, "slug", '"job_name"') + " (lowercase letters, digits and _)",
            line=lines.get("slug", block_line),
        )
        ok = False
    if not isinstance(known.get("title"), str) or not known.get("title", "").strip():
        finding(
            "error",
            "title-missing",
            "title",
            missing_text_message(data, "title", '"…"'),
            line=lines.get("title", block_line),
        )
        ok = False
    for key in ("category", "meta_description", "thumbnail", "hero_image"):
        if key not in known and key not in misspelt:  # `meta-description` already says to rename it
            finding(
                "warning",
                "field-missing",
                key,
                f"`{key}` is missing: add it so the page and the datasets are complete",
                line=block_line,
            )
    for key in LIST_FIELDS:
        value = known.get(key)
        if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            finding(
                "error",
                "field-invalid",
                key,
                f"`{key}` has {len(value):,} items, over the {MAX_LIST_ITEMS:,} "
                "limit: keep the ones that describe the article",
                line=lines.get(key),
            )
            ok = False
    if not ok:
        return None
    try:
        model = FrontMatter.model_validate({**known, "extra": extra, "field_lines": lines}, strict=False)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            finding(
                "error",
                "field-invalid",
                str(loc[0]) + "".join(f"[{part}]" for part in loc[1:]),
                invalid_field_message(known, loc, error["type"], error["msg"]),
                line=lines.get(str(loc[0])),
            )
        return None
    related_lines = list_item_lines(block, block_line, "related_jobs", model.related_jobs)
    kept: dict[str, Any] = {}
    for key in ("tags", "keywords"):
        items: tuple[str, ...] = getattr(model, key)
        blank = [index for index, item in enumerate(items) if not item.strip()]
        if not blank:
            continue
        # A blank tag was a tag of its own: the first row of tag_counts, named "".
        item_lines = list_item_lines(block, block_line, key, items)
        for index in blank:
            finding(
                "warning",
                "list-item-blank",
                f"{key}[{index}]",
                f"`{key}[{index}]` is {'empty' if not items[index] else 'blank'}: remove it (it is left out)",
                line=item_lines[index] if index < len(item_lines) else lines.get(key),
            )
        kept[key] = tuple(item for item in items if item.strip())
    return model.model_copy(update={"related_lines": related_lines, **kept})


def _salary_rows(table: Table | None) -> list[SalaryRow]:
    if table is None:
        return []
    columns = salary_columns(table.header)
    label_column = next(i for i in range(len(table.header) + 1) if i not in columns)
    # `| レベル | 経験年数 | 想定年収 |`: the years have a column of their own.
    years_column = next(
        (i for i, cell in enumerate(table.header) if i not in columns and i != label_column and _names_years(cell)),
        None,
    )
    headers = [table.header[i] for i in columns]
    # The header's unit; else a note beside the table (`（単位：万円）`) or its heading's (`推定年収（万円）`).
    unit = next(filter(None, map(unit_from_header, headers)), None) or table.note_unit
    unit = unit or unit_from_header(table.section_title)
    basis = basis_from_text(" ".join(headers)) or "annual"
    rows: list[SalaryRow] = []
    budget = SALARY_TABLE_MAX_CHARS
    for row, line in zip(table.rows, table.row_lines, strict=False):
        cell = salary_cell(row, columns)
        label = row[label_column] if label_column < len(row) else ""
        years = row[years_column] if years_column is not None and years_column < len(row) else None
        if is_note_row(label, cell):
            continue
        notes = [c for i, c in enumerate(row) if i not in (*columns, label_column, years_column) and c]
        if is_undisclosed(cell):
            band = _no_band(cell, basis)
        elif len(cell) <= SALARY_CELL_MAX_CHARS and len(cell) > budget:
            band = _over_table_budget(cell, basis)
        else:
            band = normalize_salary(cell, unit=unit, basis=basis, max_chars=SALARY_CELL_MAX_CHARS)
            budget -= min(len(cell), SALARY_CELL_MAX_CHARS)
        rows.append(
            SalaryRow(
                ordinal=len(rows),
                line=line,
                experience=experience_of_row(label, years),
                band=band,
                note=" / ".join(notes) or None,
            )
        )
    return rows


NOTE_MARKS = ("※", "*", "＊", "注", "出典", "参考", "備考")
"""How a row that is a note on the table begins (`| ※ 賞与を含む | | |`, `| 出典: doda | - |`)."""
UNDISCLOSED = frozenset({"", "-", "－", "—", "―", "ー", "–", "非公開", "なし", "N/A", "n/a"})
"""A salary cell that says nothing is known: no band figures and no warning (the warnings say to leave an
undisclosed cell empty)."""


def is_note_row(label: str, cell: str) -> bool:
    """A row that is a note on the table, not a level: its label begins with a note mark and its salary cell
    holds no figure. It is no band (it was one, with `salary-no-figure`, and counted in the table's rows).

    >>> is_note_row("※ 賞与を含む", ""), is_note_row("出典: doda", "-"), is_note_row("※ 海外", "2,000")
    (True, True, False)
    """
    return label.strip().startswith(NOTE_MARKS) and not _has_figure(cell)


def is_undisclosed(cell: str) -> bool:
    """An empty salary cell, or one holding only a dash or 非公開: the pay is not given.

    >>> is_undisclosed(""), is_undisclosed(" - "), is_undisclosed("応相談")
    (True, True, False)
    """
    return cell.strip() in UNDISCLOSED


def _has_figure(text: str) -> bool:
    return any(c.isdigit() for c in text)


def salary_cell(row: tuple[str, ...], columns: tuple[int, ...]) -> str:
    """The salary text of a row: its salary cell, or a range joined from its low and high cells.

    An end left empty or written without a figure (`-`, `上限なし`) is open.

    >>> salary_cell(("ジュニア", "450", "700"), (1, 2))
    '450〜700'
    >>> salary_cell(("シニア", "1,100", "上限なし"), (1, 2))
    '1,100〜'
    >>> salary_cell(("ジュニア", "450〜700"), (1,))
    '450〜700'
    """
    cells = [row[i] if i < len(row) else "" for i in columns]
    if len(cells) == 1:
        return cells[0]
    low, high = (cell.strip() if _has_figure(cell) else "" for cell in cells)
    return f"{low}〜{high}" if low or high else ""


def _names_years(header: str) -> bool:
    """True for a column header that names years of experience: `経験年数`, `経験`, `年数`, `Years`."""
    return "経験" in header or "年数" in header or "years" in header.lower()


def _over_table_budget(cell: str, basis: Basis) -> YenBand:
    """The unread band of a cell past the table's SALARY_TABLE_MAX_CHARS."""
    warning = SalaryWarning(
        code="salary-cell-too-long",
        message=f"This cell would take the article's salary cells past {SALARY_TABLE_MAX_CHARS:,} characters "
        "(an article's hold a few dozen), so it was not read: keep one short pay figure (e.g. `450〜700`) "
        "per cell and move the rest to the article's text.",
    )
    return _no_band(cell, basis, warning)


def _no_band(cell: str, basis: Basis, *warnings: SalaryWarning) -> YenBand:
    """A band with no figures: the cell was not read, or says the pay is not given."""
    return YenBand(raw=cell, basis=basis, min_yen=None, max_yen=None, min_open=False, max_open=False, warnings=warnings)
