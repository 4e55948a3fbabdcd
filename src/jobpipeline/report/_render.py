"""Filling the template and writing the page (the only I/O besides the warehouse's queries)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket

from jobpipeline.errors import OutputExistsError
from jobpipeline.report._format import format_man_yen, format_yen
from jobpipeline.report._model import LEVELS, OPEN_CATEGORIES, WIDTH, ReportData
from jobpipeline.report._sections import report_data

if TYPE_CHECKING:
    import duckdb

    from jobpipeline.warehouse import WarehouseReader

# --------------------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class PageSection:
    """One section of the page: a `<section id=anchor>` drawn by its own template, linked from the contents."""

    anchor: str
    label: str
    """Its name in the table of contents."""
    template: str
    """Its template, under templates/; it draws from `data` (a ReportData) alone."""


SECTIONS: Final = (
    PageSection("overview", "概要", "report/overview.html.j2"),
    PageSection("salary", "年収レンジ", "report/salary.html.j2"),
    PageSection("benchmarks", "年収ベンチマーク", "report/benchmarks.html.j2"),
    PageSection("health", "コーパスの健全性", "report/health.html.j2"),
    PageSection("checks", "品質チェック", "report/checks.html.j2"),
    PageSection("gaps", "未執筆の記事", "report/gaps.html.j2"),
    PageSection("tags", "タグ・ツール", "report/tags.html.j2"),
    PageSection("run", "実行", "report/run.html.j2"),
)
"""The page's sections in order. A new one is a field of ReportData (filled in `report_data`), a
template under templates/report/, and an entry here."""


class TemplateCache(FileSystemBytecodeCache):
    """The report's compiled templates, kept between processes: compiling the page's eleven templates
    costs 60-80 ms of CPU in every command that writes a report (a `jobpipeline run --local` on the
    bundled seeds takes ~0.9 s); loading them compiled ~3 ms.

    Jinja's own cache (its default folder is private to the user, 0700, under the temp dir), with one
    rule added: it never fails a run. A cache entry is keyed by template and checked against the
    template's source checksum and the Python version, so an edited template or a new Python compiles
    again; an entry that cannot be read or written is compiled as if there were no cache."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a truncated or corrupt entry: pickle's and marshal's errors vary
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a full or read-only temp dir: the next process compiles again
            super().dump_bytecode(bucket)


def template_cache(directory: str | None = None) -> TemplateCache | None:
    """The cache in `directory` (default: Jinja's per-user folder), or None when it cannot be made."""
    try:
        return TemplateCache(directory)
    except (OSError, RuntimeError):  # RuntimeError: Jinja found the default folder unsafe (not ours, not 0700)
        return None


def template_environment(cache_directory: str | None = None) -> Environment:
    """The report's Jinja environment; compiled templates are cached in `cache_directory` (default:
    Jinja's per-user folder under the temp dir), or not at all when that cannot be made."""
    env = Environment(
        loader=PackageLoader("jobpipeline", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_cache(cache_directory),
    )
    env.filters["man_yen"] = format_man_yen
    env.filters["yen"] = format_yen
    env.filters["num"] = lambda n: f"{n:,}"
    return env


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # One per process: Jinja keeps compiled templates per environment; TemplateCache keeps them across processes.
    return template_environment()


def warm_templates() -> None:
    """Load the report's templates now, the page and every part it includes (long-lived processes call
    this before their first run, so that run's report is not the one that compiles them)."""
    env = _environment()
    for name in env.list_templates(filter_func=lambda name: name.startswith("report")):
        env.get_template(name)


def render_report(data: ReportData) -> str:
    """The page for `data`: one self-contained HTML string (pure; no I/O beyond loading the template)."""
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            width=WIDTH,
            levels=[(key or "unknown", label) for key, label in LEVELS],
            open_categories=OPEN_CATEGORIES,
            sections=SECTIONS,
        )
    )


GENERATOR_MARK: Final = b'<meta name="generator" content="jobpipeline">'
"""In the head of every report page: what makes an existing file one `write_report` may replace."""


def replaceable(path: Path) -> bool:
    """Whether `write_report` may replace the file at `path`: none there, an empty file, or a report page
    (its head carries GENERATOR_MARK). `report --out warehouse/jobs.duckdb` (a slip of tab completion)
    replaced the warehouse, history and all, with a web page; `--out seeds/a.txt` an article."""
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except FileNotFoundError:
        return True
    except OSError:
        return True  # a folder or an unreadable file: the write itself says what is wrong
    return not head or GENERATOR_MARK in head


def write_report(source: WarehouseReader | duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Query, render and write the report to `path` atomically (a temporary file renamed over it). A file
    there that is not a report is left alone (OutputExistsError)."""
    path = Path(path)
    if path.is_file() and not replaceable(path):  # through a link too: it would be written through
        raise OutputExistsError(str(path), "a jobpipeline report")
    html = render_report(report_data(source))
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # `--out /dev/stdout` (a link to the process's fd 1), a pipe, a device: a stream to write into, not a
        # file to replace. A rename would replace the link or the node itself where that is allowed (root),
        # and the shell's redirection would never see the page. A link to a page elsewhere is written through.
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(html)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(html)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
