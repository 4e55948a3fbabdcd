"""Hostile and odd seed files: each gets a clear finding naming the file, and the other files still load.

One seeds folder holds every hostile file below plus one good article; `jobpipeline run --local` runs
over it once (in-process) and each case checks its own findings in `validation_issues`. The file
system cases that need timing (a file that changes or vanishes during a run) have their own tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import rows, run_local, spawn

from jobpipeline.batches import read_contents
from jobpipeline.decode import MAX_FILE_BYTES
from jobpipeline.discover import discover_seeds
from jobpipeline.pipeline import ReadItem, ReadTask, read_batch
from jobpipeline.read import read_article

GOOD_SLUG = "good"


@dataclass(frozen=True)
class Hostile:
    """A seed file and what the run must say about it: a finding `code` (at `line`), or `accepted`."""

    data: bytes
    code: str | None = None
    line: int | None = None
    accepted_slug: str | None = None


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def with_byte_at_line(text: str, line: int, byte: bytes) -> bytes:
    """`text` as UTF-8 with `byte` inserted at the start of `line`."""
    lines = text.split("\n")
    return ("\n".join(lines[: line - 1]) + "\n").encode() + byte + "\n".join(lines[line - 1 :]).encode()


def article_with_slug(slug: str) -> tuple[str, int]:
    """An article whose front matter slug is `slug` (any text), and the slug's line."""
    text = make_article("placeholder").replace('"slug": "placeholder"', '"slug": ' + json.dumps(slug))
    return text, line_of(text, '"slug"')


def salary_table(rows_: list[tuple[str, str, str]]) -> str:
    return "| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |\n" + "".join(
        f"| {a} | {b} | {c} |\n" for a, b, c in rows_
    )


def front(slug: str, **fields: Any) -> str:
    return (
        "---json\n"
        + json.dumps({"slug": slug, "title": f"{slug}の記事", **fields}, ensure_ascii=False, indent=2)
        + "\n---\n\n"
    )


def hostile_files(marker: Path) -> dict[str, Hostile]:
    """Every hostile file, by name. `marker` is a path that only executed front matter would create."""
    files: dict[str, Hostile] = {}

    # -- encodings --------------------------------------------------------------------------------
    sjis = make_article("sjis_article")
    first_japanese = next(i for i, ch in enumerate(sjis) if ord(ch) > 127)
    files["sjis.txt"] = Hostile(
        sjis.encode("cp932", errors="replace"), "encoding-not-utf8", sjis[:first_japanese].count("\n") + 1
    )
    files["utf16-bom.txt"] = Hostile(
        "\ufeff".encode("utf-16-le") + make_article("utf16").encode("utf-16-le"), "encoding-not-utf8", 1
    )
    files["utf16-no-bom.txt"] = Hostile('---json\n{"slug": "u"}\n---\n'.encode("utf-16-le"), "encoding-not-utf8", 1)
    files["invalid-bytes-mid.txt"] = Hostile(
        with_byte_at_line(make_article("invalid_mid"), 20, b"\xff\xfe"), "encoding-not-utf8", 20
    )
    files["nul-byte.txt"] = Hostile(with_byte_at_line(make_article("nul_byte"), 17, b"\x00"), "file-binary", 17)
    files["lone-bom.txt"] = Hostile(b"\xef\xbb\xbf", "file-empty")
    files["crlf.txt"] = Hostile(
        b"\xef\xbb\xbf" + make_article("crlf_endings").replace("\n", "\r\n").encode(), accepted_slug="crlf_endings"
    )
    files["cr-only.txt"] = Hostile(make_article("cr_endings").replace("\n", "\r").encode(), accepted_slug="cr_endings")
    mixed = make_article("mixed_endings").split("\n")
    # CR then an empty line's LF would read as one CRLF: a CR ending is only used before a non-empty line.
    endings = [("\r\n", "\r", "\n")[i % 3] if i + 1 < len(mixed) and mixed[i + 1] else "\n" for i in range(len(mixed))]
    files["mixed-endings.txt"] = Hostile(
        "".join(line + end for line, end in zip(mixed, endings, strict=True)).encode(), accepted_slug="mixed_endings"
    )
    cr_bad = make_article("cr_bad").replace('"category"', '"category" "oops",\n  "x"')
    files["cr-only-bad-json.txt"] = Hostile(
        cr_bad.replace("\n", "\r").encode(), "frontmatter-invalid-json", line_of(cr_bad, '"oops"')
    )
    files["cr-only-bad-byte.txt"] = Hostile(
        with_byte_at_line(make_article("cr_byte"), 22, b"\xc3").replace(b"\n", b"\r"), "encoding-not-utf8", 22
    )

    # -- front matter ------------------------------------------------------------------------------
    files["unclosed.txt"] = Hostile(
        b'---json\n{"slug": "unclosed", "title": "t"}\n\n## body\n', "frontmatter-unclosed", 1
    )
    files["toml-fence.txt"] = Hostile(b"---toml\nslug = 'toml'\ntitle = 't'\n---\n", "frontmatter-unknown-fence", 1)
    files["js-fence.txt"] = Hostile(
        f"---js\nrequire('child_process').execSync('touch {marker}')\n---\n".encode(), "frontmatter-unknown-fence", 1
    )
    files["duplicate-key.txt"] = Hostile(
        b'---json\n{\n  "slug": "dup",\n  "title": "t",\n  "slug": "dup2"\n}\n---\n', "frontmatter-duplicate-key", 5
    )
    related = make_article("related_string", extra={"related_jobs": "beta"})
    files["related-as-string.txt"] = Hostile(related.encode(), "field-invalid", line_of(related, '"related_jobs"'))
    files["nested-10000.txt"] = Hostile(
        b'---json\n{"slug": "deep",\n "title": "t",\n "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}\n---\n",
        "frontmatter-invalid-json",
        4,
    )
    tags = json.dumps({"slug": "many_tags", "title": "t", "tags": ["tag1"] * 500_000})  # 4 MB, under the limit
    # Over the 50,000-value cap JSON now shares with YAML (issue 16); a list of 1,001-50,000 is field-invalid.
    files["tags-500k.txt"] = Hostile(f"---json\n{tags}\n---\n".encode(), "frontmatter-invalid-json", 2)
    lol = "[" + ", ".join(['"lol"'] * 9) + "]"
    bomb = (
        "---\nslug: bomb\ntitle: t\nl0: &l0 "
        + lol
        + "\n"
        + "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
        + "tags: *l9\n---\n"
    )
    files["yaml-billion-laughs.md"] = Hostile(bomb.encode(), "frontmatter-invalid-yaml")
    files["yaml-600k-values.md"] = Hostile(
        b"---\nslug: flow\ntitle: t\ntags: [" + b"a, " * 600_000 + b"a]\n---\n", "frontmatter-invalid-yaml", 4
    )
    files["yaml-python-tag.md"] = Hostile(
        f"---\nslug: py\ntitle: t\nx: !!python/object/apply:os.system ['touch {marker}']\n---\n".encode(),
        "frontmatter-invalid-yaml",
        4,
    )
    files["yaml-date-key.md"] = Hostile(
        b"---\nslug: dated\ntitle: t\nx: {2024-01-01: a}\n---\n", "frontmatter-invalid-yaml"
    )
    files["yaml-self-alias.md"] = Hostile(
        b"---\nslug: selfref\ntitle: t\nx: &x [*x]\n---\n", "frontmatter-invalid-yaml", 4
    )
    files["json-nan.txt"] = Hostile(
        b'---json\n{"slug": "nan",\n "title": "t",\n "x": NaN}\n---\n', "frontmatter-invalid-json", 4
    )
    files["json-infinity.txt"] = Hostile(
        b'---json\n{"slug": "inf",\n "title": "t",\n "x": -Infinity}\n---\n', "frontmatter-invalid-json", 4
    )
    files["json-5000-digits.txt"] = Hostile(
        b'---json\n{"slug": "digits", "title": "t", "x": ' + b"9" * 5000 + b"}\n---\n", "frontmatter-invalid-json", 2
    )
    files["json-lone-surrogate.txt"] = Hostile(
        b'---json\n{"slug": "surrogate", "title": "\\ud800"}\n---\n', "frontmatter-invalid-json", 2
    )

    # -- slugs that look right -----------------------------------------------------------------------
    for name, slug in [
        ("fullwidth", "ｆｕｌｌｗｉｄｔｈ"),
        ("zero-width", "zero\u200bwidth"),
        ("trailing-space", "trailing "),
        ("cyrillic", "cyrillic_\u0430"),
        ("uppercase", "Uppercase"),
        ("trailing-newline", "newline\n"),
        ("path", "../../etc/passwd"),
    ]:
        text, line = article_with_slug(slug)
        files[f"slug-{name}.txt"] = Hostile(text.encode(), "slug-invalid", line)

    # -- markdown ------------------------------------------------------------------------------------
    files["ragged-table.txt"] = Hostile(
        (
            front("ragged") + salary_table([]) + "| ジュニア | 450〜700 |\n| ミドル | 700〜1,100 | a | b | c |\n|\n"
        ).encode(),
        accepted_slug="ragged",
    )
    files["escaped-pipes.txt"] = Hostile(
        (front("pipes") + salary_table([("ジュニア \\| 新卒", "450〜700", "a \\| b")])).encode(), accepted_slug="pipes"
    )
    files["salary-1000-rows.txt"] = Hostile(
        (
            front("thousand_rows")
            + salary_table([(f"ミドル ({i % 40}年)", f"{400 + i}〜{800 + i}", "x") for i in range(1000)])
        ).encode(),
        accepted_slug="thousand_rows",
    )
    files["nested-quotes-50k.txt"] = Hostile((front("quotes") + "> " * 50_000 + "x\n").encode(), accepted_slug="quotes")
    files["nested-lists-50k.txt"] = Hostile((front("lists") + "- " * 50_000 + "x\n").encode(), accepted_slug="lists")
    files["lines-25k.txt"] = Hostile(
        (front("many_lines") + "".join("  " * (i % 40) + "- x\n" for i in range(25_000))).encode(), "file-too-large"
    )
    under = front("five_mb_line") + salary_table([("ミドル", "500", "x")]) + "\n"
    files["5mb-line-under.txt"] = Hostile(
        (under + "a" * (MAX_FILE_BYTES - len(under.encode()) - 1) + "\n").encode(), accepted_slug="five_mb_line"
    )
    files["5mb-line-over.txt"] = Hostile(
        (under + "a" * (MAX_FILE_BYTES - len(under.encode())) + "\n").encode(), "file-too-large"
    )
    files["wide-table.txt"] = Hostile(
        (front("wide") + "|" + "年収|" * 200 + "\n|" + "-|" * 200 + "\n" + "|a|\n" * 2000).encode(), "file-too-large"
    )
    files["huge-heading.txt"] = Hostile(
        (front("huge_heading") + "# " + "![" * 1_000_000 + "\n").encode(), accepted_slug="huge_heading"
    )
    files["long-tools-cell.txt"] = Hostile(
        (front("tools_cell") + "| ツール | 説明 |\n|---|---|\n| CI | " + "AB (C D) " * 25_000 + "|\n").encode(),
        accepted_slug="tools_cell",
    )
    files["salary-brackets.txt"] = Hostile(
        (front("brackets") + salary_table([("ミドル", "(" * 100_000, "x")])).encode(), accepted_slug="brackets"
    )
    return files


SYMLINKS = {"loop.txt": "loop.txt", "loopdir": "loopdir", "up": "..", "outside.txt": "../outside/secret.txt"}


@dataclass(frozen=True)
class HostileRun:
    seeds: Path
    warehouse: Path
    files: dict[str, Hostile]
    marker: Path
    summary: dict[str, Any]
    issues: dict[str, list[tuple[str, str, int | None, str]]]
    """source_path -> (severity, code, line, message) of every finding in `validation_issues`."""
    current: set[str]
    """Slugs of the current articles."""
    code: int
    stderr: str
    peak_mib: float
    """The run's exit code, stderr and peak RSS (it ran as a real process: `run_measured`)."""

    def findings(self, path: str) -> list[tuple[str, str, int | None, str]]:
        return self.issues.get(path, [])


def build_seeds(root: Path) -> tuple[Path, dict[str, Hostile], Path]:
    seeds = root / "seeds"
    seeds.mkdir()
    marker = root / "PWNED"
    files = hostile_files(marker)
    for name, hostile in files.items():
        (seeds / name).write_bytes(hostile.data)
    (seeds / "good.txt").write_text(make_article(GOOD_SLUG), encoding="utf-8")
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text(make_article("outside_secret"), encoding="utf-8")
    for name, target in SYMLINKS.items():
        os.symlink(target, seeds / name)
    return seeds, files, marker


def current_slugs(warehouse: Path) -> set[str]:
    return {r[0] for r in rows(warehouse, "SELECT slug FROM articles WHERE is_current")}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    """One run over every hostile file, as a real process whose peak memory is measured: the findings tests
    and the bound test read the same run (a second run over the corpus cost ~4 s of CPU)."""
    root = tmp_path_factory.mktemp("hostile")
    seeds, files, marker = build_seeds(root)
    warehouse = root / "wh" / "jobs.duckdb"
    command = [sys.executable, "-m", "jobpipeline.cli", "run", "--local", "--seeds", str(seeds), "--warehouse"]
    code, stderr, peak_mib = run_measured([*command, str(warehouse)], timeout=300)
    summary: dict[str, Any] = {}
    issues: dict[str, list[tuple[str, str, int | None, str]]] = {}
    current: set[str] = set()
    if warehouse.exists():  # else the bound test says why (the run's exit code and stderr)
        [(summary["files_seen"], summary["files_rejected"])] = rows(
            warehouse, "SELECT files_seen, files_rejected FROM runs"
        )
        for path, *finding in rows(
            warehouse,
            "SELECT source_path, severity, code, line, message FROM validation_issues ORDER BY source_path, line",
        ):
            issues.setdefault(path, []).append(tuple(finding))  # type: ignore[arg-type]
        current = current_slugs(warehouse)
    yield HostileRun(seeds, warehouse, files, marker, summary, issues, current, code, stderr, peak_mib)


_CASES = {name: h.code for name, h in hostile_files(Path("/marker")).items()}
REJECTED = [name for name, code in _CASES.items() if code]
ACCEPTED = [name for name, code in _CASES.items() if not code]


@pytest.mark.parametrize("name", REJECTED)
def test_hostile_file_is_rejected_with_a_finding(hostile_run: HostileRun, name: str) -> None:
    """The hostile file gets an error with its code (at the right line), and the good article still loads."""
    hostile = hostile_run.files[name]
    found = hostile_run.findings(name)
    assert any(code == hostile.code and (hostile.line is None or line == hostile.line) for _, code, line, _ in found), (
        found
    )
    assert all(message for *_, message in found)
    assert GOOD_SLUG in hostile_run.current


@pytest.mark.parametrize("name", ACCEPTED)
def test_odd_but_valid_file_is_accepted(hostile_run: HostileRun, name: str) -> None:
    """An odd but valid file (CR endings, ragged or huge tables, deep nesting, a 5 MB line) loads."""
    hostile = hostile_run.files[name]
    assert hostile.accepted_slug in hostile_run.current, hostile_run.findings(name)
    assert not [f for f in hostile_run.findings(name) if f[0] == "error"]


@pytest.mark.parametrize("name", ["crlf.txt", "cr-only.txt", "mixed-endings.txt"])
def test_line_endings_keep_line_numbers(hostile_run: HostileRun, name: str) -> None:
    """CRLF, CR-only and mixed endings give the same line numbers as LF."""
    slug = hostile_run.files[name].accepted_slug
    assert slug is not None
    reference = read_article(make_article(slug).encode(), name).article
    assert reference is not None
    for table, expected in [
        ("salary_bands", [r.line for r in reference.salary_rows]),
        ("sections", [s.line for s in reference.sections]),
    ]:
        got = [
            r[0]
            for r in rows(hostile_run.warehouse, f"SELECT line FROM {table} WHERE slug = '{slug}' ORDER BY ordinal")
        ]
        assert got == expected, table


def test_markdown_tables_read_as_written(hostile_run: HostileRun) -> None:
    """Escaped pipes stay inside their cell, ragged rows are padded, and all 1,000 salary rows load."""
    wh = hostile_run.warehouse
    assert rows(wh, "SELECT level_label, note FROM salary_bands WHERE slug = 'pipes'") == [("ジュニア | 新卒", "a | b")]
    assert rows(wh, "SELECT count(*), count(min_yen) FROM salary_bands WHERE slug = 'ragged'") == [(3, 2)]
    assert rows(wh, "SELECT count(*), min(min_yen), max(max_yen) FROM salary_bands WHERE slug = 'thousand_rows'") == [
        (1000, 4_000_000, 17_990_000)
    ]


def test_front_matter_is_never_executed(hostile_run: HostileRun) -> None:
    """`---js` and `!!python/object/apply` front matter are refused, never run."""
    assert not hostile_run.marker.exists()


def test_symlinks_are_not_followed(hostile_run: HostileRun) -> None:
    """Symbolic links (a loop, a folder above, a file outside the seeds folder) are skipped with a warning."""
    for name in SYMLINKS:
        assert ("warning", "file-symlink-skipped") in [(s, c) for s, c, _, _ in hostile_run.findings(name)], name
    assert "outside_secret" not in hostile_run.current


def test_a_linked_folder_is_called_a_folder_and_a_linked_seeds_folder_is_read(tmp_path: Path) -> None:
    """A folder of articles linked into seeds/ (`ln -s ~/drafts seeds/drafts`) was told "copy the file into
    the seeds folder". It says folder, and how to have it read: point --seeds at it. A seeds folder that is
    itself a link (`seeds -> ~/Dropbox/articles`) is read."""
    real = tmp_path / "real"
    (real / "drafts").mkdir(parents=True)
    (real / "drafts" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "drafts").symlink_to(real / "drafts")
    (seeds / "b.txt").symlink_to(real / "drafts" / "a.txt")
    messages = {f.source_path: f.message for f in discover_seeds(seeds).findings}
    assert "copy the folder in, or point --seeds at it" in messages["drafts"], messages
    assert "copy the file in, or point --seeds at it" in messages["b.txt"], messages
    (tmp_path / "linked").symlink_to(real)
    assert [f.path for f in discover_seeds(tmp_path / "linked").files] == ["drafts/a.txt"]


def test_slugs_that_look_right_get_a_suggestion(hostile_run: HostileRun) -> None:
    """Look-alike slugs are named with the offending character and a valid suggestion."""
    messages = {
        name: next(m for _, code, _, m in hostile_run.findings(name) if code == "slug-invalid")
        for name in REJECTED
        if name.startswith("slug-")
    }
    assert "U+200B" in messages["slug-zero-width.txt"]
    assert "CYRILLIC SMALL LETTER A" in messages["slug-cyrillic.txt"]
    assert "use `fullwidth`" in messages["slug-fullwidth.txt"]
    assert "use `newline`" in messages["slug-trailing-newline.txt"]


def test_hostile_run_is_counted(hostile_run: HostileRun) -> None:
    """The run's summary counts every hostile file as seen and every rejected one as rejected."""
    summary = hostile_run.summary
    assert summary["files_seen"] == len(hostile_run.files) + 1
    assert summary["files_rejected"] == len(REJECTED)


_WITHOUT_FILE_PERMISSION_OVERRIDE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (linux/capability.h)
    if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP (linux/prctl.h)
        sys.exit(f"prctl(PR_CAPBSET_DROP, {capability}): {os.strerror(ctypes.get_errno())}")
os.execv(sys.argv[1], sys.argv[1:])
"""
"""Run argv[1:] still as root but without the capabilities that let root read any file: dropped from the
bounding set, they are not in the exec'd program's capabilities, so the kernel checks file modes for it."""


@pytest.mark.slow
def test_unreadable_file(seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]) -> None:
    """A file the run may not read (chmod 000) is `file-unreadable` and the others load, as root too (CI runs as
    root): there the run is a process without the capabilities that let root ignore file permissions."""
    write_seed("good.txt", make_article(GOOD_SLUG))
    locked = write_seed("locked.txt", make_article("locked"))
    locked.chmod(0)
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    as_root = os.geteuid() == 0
    run = [
        sys.executable,
        "-m",
        "jobpipeline.cli",
        "run",
        "--local",
        "--seeds",
        str(seeds_dir),
        "--warehouse",
        str(warehouse),
        "--format",
        "json",
    ]
    if as_root:
        run = [sys.executable, "-c", _WITHOUT_FILE_PERMISSION_OVERRIDE, *run]
    completed = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode in (0, 1), completed.stderr
    found = rows(warehouse, "SELECT code, message FROM validation_issues WHERE source_path = 'locked.txt'")
    assert [code for code, _ in found] == ["file-unreadable"] and "Permission denied" in found[0][1], found
    assert GOOD_SLUG in current_slugs(warehouse)
    if as_root:  # the same file is readable with the capabilities, so it was the permission that stopped the run
        assert locked.read_bytes() == make_article("locked").encode()


def test_file_turned_folder_after_discovery(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that becomes a folder between discovery and reading (unreadable even for root) is `file-unreadable`."""
    import jobpipeline.pipeline as pipeline

    write_seed("good.txt", make_article(GOOD_SLUG))
    victim = write_seed("a.txt", make_article("victim"))

    def discover_then_swap(root: Path) -> Any:
        found = discover_seeds(root)
        victim.unlink()
        victim.mkdir()
        return found

    monkeypatch.setattr(pipeline, "discover_seeds", discover_then_swap)
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    found = rows(warehouse, "SELECT code, message FROM validation_issues WHERE source_path = 'a.txt'")
    assert [code for code, _ in found] == ["file-unreadable"] and "Is a directory" in found[0][1]
    assert current_slugs(warehouse) == {GOOD_SLUG}


def test_file_rewritten_or_deleted_after_discovery(seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """The content hash describes the bytes actually parsed, even when the file changed after discovery."""
    write_seed("a.txt", make_article("before"))
    write_seed("b.txt", make_article("doomed"))
    discovery = discover_seeds(seeds_dir)
    assert [f.path for f in discovery.files] == ["a.txt", "b.txt"]
    rewritten = make_article("after", body_extra="新しい本文。" * 100).encode()
    (seeds_dir / "a.txt").write_bytes(rewritten)
    (seeds_dir / "b.txt").unlink()
    batch = read_batch(ReadTask(str(seeds_dir), (ReadItem("a.txt", None), ReadItem("b.txt", None))))
    by_path = {f.source_path: f for f in batch.files}
    assert by_path["a.txt"].content_hash == hashlib.sha256(rewritten).hexdigest()
    assert by_path["a.txt"].claimed_slug == "after" and by_path["a.txt"].size == len(rewritten)
    assert [f.code for f in batch.findings if f.source_path == "b.txt"] == ["file-unreadable"]


def test_save_between_read_and_stat_is_read_again(seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """A save landing after the bytes were read but before the stat is seen (the stat moved) and the file is read
    again: the recorded size and mtime always describe the bytes recorded (issue 16.4a)."""
    path = write_seed("a.txt", make_article("alpha", title="version-1"))
    saved_again = make_article("alpha", title="version-2").encode()
    saves: list[int] = []

    def save_once() -> None:
        if not saves:
            path.write_bytes(saved_again)  # same size, same inode: only the stat tells
            os.utime(path, ns=(1_600_000_000 * 10**9, 1_600_000_000 * 10**9))
            saves.append(1)

    contents = read_contents(path, _after_read=save_once)
    assert contents.data == saved_again
    assert (contents.size, contents.mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)


@pytest.mark.slow
def test_seeds_folder_vanishes_mid_run(seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path]) -> None:
    """Seeds deleted while a run is paused after its copy: no traceback, and the committed articles survive."""
    write_seed("a.txt", make_article("alpha"))
    write_seed("b.txt", make_article("beta"))
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    run_local(seeds_dir, warehouse)
    before = rows(warehouse, "SELECT slug, content_hash FROM articles ORDER BY slug")
    write_seed("a.txt", make_article("alpha", title="変更後"))  # so the paused run has a file to read
    flag = tmp_path / "pause"
    process = spawn(
        "run",
        "--local",
        "--seeds",
        str(seeds_dir),
        "--warehouse",
        str(warehouse),
        env={"JOBPIPELINE_PAUSE_AT": "after-copy", "JOBPIPELINE_PAUSE_FILE": str(flag)},
    )
    deadline = time.monotonic() + 30
    while not Path(f"{flag}.reached").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the pause point"
        time.sleep(0.05)
    shutil.rmtree(seeds_dir)
    Path(f"{flag}.release").touch()
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err + out
    assert process.returncode in (0, 1, 2), err
    if process.returncode == 2:
        assert len(err.strip().splitlines()) == 1, err
    # Whatever the run decided, the warehouse opens and still holds both articles.
    assert [r[0] for r in rows(warehouse, "SELECT slug FROM articles ORDER BY slug")] == [s for s, _ in before]


_MEASURE = """
import json, os, sys
actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=actions)
_, status, usage = os.wait4(pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), usage.ru_maxrss]))
"""


def run_measured(args: list[str], timeout: float) -> tuple[int, str, float]:
    """Run `args`; its exit code, stderr, and its peak RSS in MiB (with the children it waited for).

    A small Python process starts the run and reads wait4's figure for it. Measured from here it would be
    wrong twice: RUSAGE_CHILDREN is the largest child this test process ever waited for, and a child's peak
    starts at its parent's RSS at the fork (the kernel keeps the pre-exec high-water mark), so the figure
    would include pytest's own memory.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _MEASURE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)  # a guard against a hang, not a measure
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the wrapper's own session: the run goes too
        process.communicate()
        pytest.fail(f"{args} did not finish within {timeout:.0f} s")
    assert process.returncode == 0, err
    code, peak_kib = json.loads(out)
    return code, err, peak_kib / 1024


@pytest.mark.slow
def test_run_over_every_hostile_file_is_bounded(hostile_run: HostileRun) -> None:
    """A run (a real process) over all the hostile files at once succeeds and peaks under 1.5 GB of memory,
    measured on that run alone (its seconds are a benchmark figure: benchmarks/pathological.py)."""
    print(f"hostile run: {len(hostile_run.files)} hostile files, peak RSS {hostile_run.peak_mib:.0f} MiB")
    assert hostile_run.code == 0, hostile_run.stderr
    assert "Traceback" not in hostile_run.stderr
    assert 20 < hostile_run.peak_mib < 1536  # above 20 MiB: the figure is this Python run's, not a tiny wrapper's


def test_run_measured_reads_the_run_it_started() -> None:
    """run_measured reports the peak of the process it ran, not the largest child seen before."""
    big = [sys.executable, "-c", "x = bytearray(300 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"]
    small = [sys.executable, "-c", "pass"]
    assert run_measured(big, timeout=60)[2] > 300
    assert run_measured(small, timeout=60)[2] < 100
