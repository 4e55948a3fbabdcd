"""Typed values that flow between the pipeline's stages.

Every model is frozen: a stage returns new values and never edits what it was given, so batches
can be handed to worker processes and cached without defensive copies.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from jobpipeline.levels import ExperienceLevel
from jobpipeline.salary import YenBand

Severity = Literal["error", "warning"]

_SHOWN_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with control characters escaped (`\\n`, `\\x1b`, `\\x85`), for output read line by line.

    A file may be named `a\\nb.txt` or hold ESC: printed raw, a newline splits one finding into two
    lines (and a second line can pass for a GitHub workflow command) and ESC drives the terminal.
    Line and paragraph separators (U+2028/9) are escaped too: some viewers break lines there.

    >>> one_line("x\\n::error::evil.txt")
    'x\\\\n::error::evil.txt'
    """
    return _CONTROL_RE.sub(lambda m: _SHOWN_ESCAPES.get(m.group()) or _escape(m.group()), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


TableKind = Literal["salary", "skills", "tools", "career", "interview", "other"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(_Frozen):
    """One validation result: data, never an exception."""

    source_path: str = Field(description="Path of the seed file, relative to the seeds folder.")
    line: int | None = Field(default=None, description="1-based line in the file, when known.")
    slug: str | None = Field(default=None, description="Slug the file claims, when it could be read.")
    severity: Severity = Field(description="`error` rejects the article; `warning` keeps it.")
    code: str = Field(description="Stable kebab-case code, e.g. `slug-invalid`.")
    field: str | None = Field(default=None, description="Front matter field or body part concerned.")
    message: str = Field(description="What is wrong and how to fix it.")

    def format_line(self) -> str:
        """Render as `path:line: severity[code] field: message` (the compiler-style line), on one line:
        control characters in the path, field or message are escaped (see `one_line`)."""
        where = f"{self.source_path}:{self.line}" if self.line else self.source_path
        field = f" {self.field}:" if self.field else ""
        return one_line(f"{where}: {self.severity}[{self.code}]{field} {self.message}")


NAME_FIELDS = ("job_name", "name")
"""Front matter fields that name the job outright (the report's bar labels, jobpipeline.report._names), checked
in this order. Not in the schema: they are kept in `extra_fields` like any other, but no `field-unknown`
finding is raised for them (the README tells writers to add them)."""


class FrontMatter(_Frozen):
    """The article's metadata, checked field by field."""

    slug: str = Field(description="Article key: `^[a-z][a-z0-9_]*$`.")
    title: str = Field(description="Page title.")
    category: str | None = Field(default=None, description="Site category, e.g. `ai-data`.")
    meta_description: str | None = Field(default=None, description="Search-engine description.")
    tags: tuple[str, ...] = Field(default=(), description="Display tags.")
    keywords: tuple[str, ...] = Field(default=(), description="SEO keywords.")
    related_jobs: tuple[str, ...] = Field(default=(), description="Slugs of related articles.")
    thumbnail: str | None = Field(default=None, description="Thumbnail image path.")
    hero_image: str | None = Field(default=None, description="Hero image path.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Fields the schema does not know.")
    field_lines: dict[str, int] = Field(
        default_factory=dict, description="1-based file line of each top-level key, when found."
    )
    related_lines: tuple[int | None, ...] = Field(
        default=(), description="File line of each `related_jobs` entry, parallel to it."
    )


class Section(_Frozen):
    """A heading and the Markdown under it, up to the next heading."""

    ordinal: int = Field(description="0-based position among the article's sections.")
    level: int = Field(description="Heading level 1-6; 0 for text before the first heading.")
    title: str = Field(description="Heading text without markup.")
    line: int = Field(description="1-based file line of the heading.")
    text: str = Field(description="Markdown source of the section body.")


class Table(_Frozen):
    """A Markdown table as plain-text cells."""

    ordinal: int = Field(description="0-based position among the article's tables.")
    kind: TableKind = Field(description="What the header says the table holds.")
    section_title: str = Field(description="Title of the section the table sits in.")
    line: int = Field(description="1-based file line of the header row.")
    header: tuple[str, ...] = Field(description="Header cells.")
    rows: tuple[tuple[str, ...], ...] = Field(description="Body rows, cells as plain text.")
    row_lines: tuple[int, ...] = Field(description="1-based file line of each body row.")
    note_unit: str | None = Field(
        default=None, description="The yen unit a short note just above or below the table states (`（単位：万円）`)."
    )


class SalaryRow(_Frozen):
    """One row of the estimated-salary table, normalized."""

    ordinal: int = Field(description="0-based row position in the salary table.")
    line: int = Field(description="1-based file line of the row.")
    experience: ExperienceLevel = Field(description="Level and years read from the row label.")
    band: YenBand = Field(description="The salary cell as a yen band.")
    note: str | None = Field(default=None, description="The row's remaining text (特徴).")


class Skill(_Frozen):
    """A row of a skills table."""

    ordinal: int = Field(description="0-based position among the article's skills.")
    group: str = Field(description="Section title the table sits under, e.g. 技術スキル（ハードスキル）.")
    name: str = Field(description="Skill name.")
    description: str = Field(description="Skill description.")
    line: int = Field(description="1-based file line.")


class Tool(_Frozen):
    """A tool named in the tools table."""

    name: str = Field(description="Tool name as written, e.g. `GitHub Actions`.")
    tool_category: str = Field(description="The tools table's category cell, e.g. CI/CDツール.")
    line: int = Field(description="1-based file line of the row naming it.")


class CareerStage(_Frozen):
    """A row of the career-path table."""

    ordinal: int = Field(description="0-based position on the career path.")
    stage: str = Field(description="Stage label, e.g. ジュニア MLOps Engineer.")
    experience: ExperienceLevel = Field(description="Canonical level read from the stage label.")
    responsibilities: str = Field(description="主な役割と責任.")
    outlook: str = Field(description="今後の展望.")
    line: int = Field(description="1-based file line.")


class InterviewQuestion(_Frozen):
    """A row of the interview-questions table."""

    ordinal: int = Field(description="0-based position.")
    question: str = Field(description="The question, without its leading number.")
    answer_points: str = Field(description="回答のポイント.")
    line: int = Field(description="1-based file line.")


class Article(_Frozen):
    """An accepted article: front matter plus everything read from the body."""

    source_path: str = Field(description="Path relative to the seeds folder.")
    content_hash: str = Field(description="sha256 of the file's bytes, hex.")
    front_matter: FrontMatter = Field(description="Checked metadata.")
    body_line: int = Field(description="1-based file line where the Markdown body starts.")
    body_chars: int = Field(description="Length of the body in characters.")
    sections: tuple[Section, ...] = Field(description="Every section in order.")
    tables: tuple[Table, ...] = Field(description="Every table in order.")
    salary_rows: tuple[SalaryRow, ...] = Field(description="Rows of the salary table.")
    skills: tuple[Skill, ...] = Field(description="Rows of the skills tables.")
    tools: tuple[Tool, ...] = Field(description="Tool names from the tools table.")
    career_stages: tuple[CareerStage, ...] = Field(description="Rows of the career-path table.")
    interview_questions: tuple[InterviewQuestion, ...] = Field(description="Interview questions.")
    hashtags: tuple[str, ...] = Field(description="Recommended tags at the end, without `#`.")

    @property
    def slug(self) -> str:
        return self.front_matter.slug


class ReadResult(_Frozen):
    """What reading one file produced: an article, findings, or both."""

    source_path: str = Field(description="Path relative to the seeds folder.")
    content_hash: str = Field(description="sha256 of the bytes that were parsed, hex.")
    size: int = Field(description="Size in bytes of what was parsed.")
    claimed_slug: str | None = Field(default=None, description="Slug in the front matter, if readable.")
    article: Article | None = Field(default=None, description="The article; None when rejected.")
    findings: tuple[Finding, ...] = Field(default=(), description="Everything worth telling.")

    @property
    def accepted(self) -> bool:
        return self.article is not None
