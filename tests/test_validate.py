"""Validation codes, per article and corpus-wide, and the `jobpipeline validate` command."""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import make_article
from helpers import cli, rows
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpipeline.discover import is_seed_path, named_by
from jobpipeline.models import Finding
from jobpipeline.read import read_article
from jobpipeline.validate import ERROR_CODES, WARNING_CODES, CorpusEntry, check_corpus, suggest_slug
from jobpipeline.watching import seed_paths, watch_seeds


def warning_codes(text: str) -> list[str]:
    return [f.code for f in read_article(text.encode(), "x.txt").findings if f.severity == "warning"]


def test_related_job_warnings() -> None:
    """Invalid, self-referencing and repeated related jobs are warnings with the entry's line."""
    result = read_article(make_article("alpha", related=["Beta", "alpha", "gamma", "gamma"]).encode(), "x.txt")
    assert result.article is not None
    found = {(f.code, f.field) for f in result.findings}
    assert ("related-invalid-slug", "related_jobs[0]") in found
    assert ("related-self", "related_jobs[1]") in found
    assert ("related-duplicate", "related_jobs[3]") in found
    lines = {f.code: f.line for f in result.findings}
    assert lines["related-self"] == lines["related-invalid-slug"] + 1


@pytest.mark.parametrize(
    ("tags", "said"),
    [
        pytest.param(
            ["#MLOps", "Docker", "MLOps　"], ["`MLOps　` and `#MLOps` are one tag (`MLOps`)"], id="hash-and-space"
        ),
        pytest.param(
            ["python", "Python", "ＰＹＴＨＯＮ"], ["`Python` and `python`", "`ＰＹＴＨＯＮ` and `python`"], id="casing"
        ),
        pytest.param(
            ["k8s", "Kubernetes", "K8S"], ["`K8S` and `k8s` are one tag (`Kubernetes`)"], id="alias-is-no-repeat"
        ),
        pytest.param(["MLOps", "機械学習", "DevOps"], [], id="distinct-tags-say-nothing"),
    ],
)
def test_tags_that_count_as_one_are_a_warning(tags: list[str], said: list[str]) -> None:
    """`["#MLOps", "MLOps　"]` counted the article twice under MLOps in tag_counts' `as_tag`, and nothing told the
    writer that the two tags are one."""
    result = read_article(make_article("alpha", extra={"tags": tags}).encode(), "x.txt")
    found = [f for f in result.findings if f.code == "tag-duplicate"]
    assert [f.severity for f in found] == ["warning"] * len(said)
    for finding, text in zip(found, said, strict=True):
        assert text in finding.message and finding.field == "tags" and finding.line is not None, finding.message


def test_salary_and_image_warnings() -> None:
    """No salary table, a cell with no figure, an implausible band and odd image paths are warnings."""
    text = make_article("alpha", salary=[("ジュニア", "応相談"), ("シニア", "1〜2"), ("ミドル", "900〜600")])
    found = warning_codes(text)
    assert {"salary-no-figure", "salary-implausible", "salary-min-gt-max"} <= set(found)
    no_table = make_article("alpha").split("## 💰")[0] + "本文だけ\n"
    assert "salary-table-missing" in warning_codes(no_table)
    odd_images = make_article("alpha", extra={"thumbnail": "/img/other.png"})
    assert "image-path-unexpected" in warning_codes(odd_images)
    missing = make_article("alpha").replace('"category": "ai-data",', "")
    assert "field-missing" in warning_codes(missing)


def test_corpus_duplicates_and_dangling_links() -> None:
    """The earliest path keeps a slug; links to no article are dangling; order of input does not matter."""
    entries = [
        CorpusEntry("b.txt", "alpha", ("ghost",), (5,)),
        CorpusEntry("a.txt", "alpha", ("beta",), (5,)),
        CorpusEntry("c.txt", "beta", ("alpha", "ghost"), (4, 5)),
    ]
    check = check_corpus(entries)
    assert check.owners == {"alpha": "a.txt", "beta": "c.txt"}
    assert [(f.source_path, f.code) for f in check.findings] == [
        ("b.txt", "slug-duplicate"),
        ("c.txt", "related-dangling"),
    ]
    assert "a.txt" in check.findings[0].message
    assert check_corpus(reversed(entries)).findings == check.findings
    assert check_corpus(entries, also_known={"ghost"}).findings == check.findings[:1]


@pytest.mark.parametrize(
    ("link", "meant"),
    [
        pytest.param("data_scientst", "data_scientist", id="a-letter-missing"),
        pytest.param("data_sciientist", "data_scientist", id="a-letter-extra"),
        pytest.param("data_scientisf", "data_scientist", id="a-letter-changed"),
        pytest.param("mlosp_engineer", "mlops_engineer", id="two-letters-swapped"),
        pytest.param("ml_engineer", "ml_engineers", id="the-first-of-several-in-order"),
        pytest.param("frontend_engineer", None, id="nothing-near-is-not-written-yet"),
        pytest.param("data_scnetist", None, id="two-edits-is-too-far"),
        pytest.param("erp_architect_02821", None, id="another-number-is-another-article"),
        pytest.param("erp_architect_0182", None, id="a-digit-missing-is-another-number"),
    ],
)
def test_a_dangling_link_names_the_slug_it_most_likely_meant(link: str, meant: str | None) -> None:
    """`related_jobs: ["data_scientst"]` said only "no article has slug `data_scientst`: write it, fix the
    slug, or remove the link", with `data_scientist` in the corpus: a typo one letter away is named."""
    slugs = ["data_scientist", "mlops_engineer", "mle_engineer", "ml_engineers", "erp_architect_01821"]
    entries = [CorpusEntry(f"{slug}.txt", slug, (), ()) for slug in slugs]
    entries.append(CorpusEntry("z.txt", "zeta", (link,), (7,)))
    [finding] = check_corpus(entries).findings
    assert finding.code == "related-dangling" and finding.line == 7
    if meant is None:
        assert finding.message == f"no article has slug `{link}`: write it, fix the slug, or remove the link"
    else:
        assert (
            finding.message
            == f"no article has slug `{link}`: did you mean `{meant}`? Otherwise write it or remove the link"
        )


@pytest.mark.parametrize(
    ("link", "said"),
    [
        pytest.param(
            "mlops",
            "`mlops` names the file ai/mlops.txt, not a slug: its article's slug is `mlops_engineer`",
            id="file-stem",
        ),
        pytest.param(
            "ds.txt",
            "`ds.txt` names the file ds.txt, not a slug: its article's slug is `data_scientist`",
            id="file-name",
        ),
        pytest.param(
            "AI/MLOps.txt",
            "`AI/MLOps.txt` names the file ai/mlops.txt, not a slug: its article's slug is `mlops_engineer`",
            id="path-any-case",
        ),
        pytest.param("ml_engineer.txt", None, id="its-name-already-suggests-the-slug"),
        pytest.param("notes", None, id="two-files-share-the-name"),
    ],
)
def test_a_link_that_names_a_file_names_that_files_slug(link: str, said: str | None) -> None:
    """`related_jobs: ["mlops"]` with mlops.txt's slug `mlops_engineer` said "no article has slug `mlops`: write
    it", and a writer who did made a second MLOps article. A link that names an article's file says its slug."""
    entries = [
        CorpusEntry("ai/mlops.txt", "mlops_engineer"),
        CorpusEntry("ds.txt", "data_scientist"),
        CorpusEntry("ml_engineer.txt", "ml_engineer"),
        CorpusEntry("a/notes.md", "notes_a"),
        CorpusEntry("b/notes.md", "notes_b"),
        CorpusEntry("z.txt", "zeta", (link,), (7,)),
    ]
    messages = [f.message for f in check_corpus(entries).findings if f.field == "related_jobs[0]"]
    if said is None:
        assert not any("names the file" in message for message in messages), messages
    else:
        assert messages == [said]


@pytest.mark.parametrize(
    ("link", "said"),
    [
        pytest.param(
            "データサイエンティスト",
            "`データサイエンティスト` is the job of ds.txt, not a slug: its article's slug is `data_scientist`",
            id="the-job-its-title-names",
        ),
        pytest.param(
            "MLOps エンジニア",
            "`MLOps エンジニア` is the job of ml.txt, not a slug: its article's slug is `mlops_engineer`",
            id="spaces-and-case-aside",
        ),
        pytest.param(
            "データサイエンティストとは",
            "`データサイエンティストとは` is the job of ds.txt, not a slug: its article's slug is `data_scientist`",
            id="the-whole-title",
        ),
        pytest.param(
            "データ・サイエンティスト",
            "`データ・サイエンティスト` is the job of ds.txt, not a slug: its article's slug is `data_scientist`",
            id="middle-dot-aside",
        ),
        pytest.param("エンジニア", None, id="a-word-of-a-title-is-no-job"),
        pytest.param("営業", None, id="two-articles-share-the-job"),
    ],
)
def test_a_link_that_names_a_job_names_its_articles_slug(link: str, said: str | None) -> None:
    """A writer who links the job (`データサイエンティスト`) rather than its slug was told "did you mean `job_name`?".
    The job a title is about (before の年収, とは, a colon or a question mark) names its article's slug."""
    entries = [
        CorpusEntry("ds.txt", "data_scientist", title="データサイエンティストとは"),
        CorpusEntry("ml.txt", "mlops_engineer", title="【2026最新】MLOpsエンジニアの年収・将来性は？"),
        CorpusEntry("s1.txt", "sales_a", title="営業の年収"),
        CorpusEntry("s2.txt", "sales_b", title="営業の仕事"),
        CorpusEntry("z.txt", "zeta", (link,), (7,), title="ゼータの年収"),
    ]
    messages = [f.message for f in check_corpus(entries).findings]
    assert messages == ([said] if said else []), messages


def test_titles_are_asked_for_only_when_a_link_dangles() -> None:
    """A run fetches every article's title (0.1 s at 100,000 articles) only when some link needs them."""

    def titles() -> dict[str, str]:
        raise AssertionError("asked for titles with no link dangling")

    entries = [CorpusEntry("a.txt", "alpha", ("beta",)), CorpusEntry("b.txt", "beta", ("alpha",))]
    assert check_corpus(entries, titles=titles).findings == []


@pytest.mark.parametrize("how", ["validate", "run", "run-again"])
def test_a_job_named_as_a_related_job_is_told_its_slug_by_every_command(
    how: str, seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """`validate` (titles from the files it reads) and a run that reads the files or none of them (titles from
    the warehouse) say the same."""
    write_seed("ds.txt", make_article("data_scientist", title="データサイエンティストの年収・将来性は？"))
    write_seed("a.txt", make_article("alpha", related=["データサイエンティスト"]))
    said = "`データサイエンティスト` is the job of ds.txt, not a slug: its article's slug is `data_scientist`"
    if how == "validate":
        out = cli("validate", "--seeds", str(seeds_dir)).stdout
    else:
        warehouse = tmp_path / "wh" / "jobs.duckdb"
        for _ in range(1 if how == "run" else 2):
            cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        out = "\n".join(m for (m,) in rows(warehouse, "SELECT message FROM validation_issues"))
    assert said in out, out


@pytest.mark.parametrize(
    ("link", "said"),
    [
        pytest.param("mlops-engineer", "did you mean `mlops_engineer`?", id="hyphen"),
        pytest.param(
            "data_scientist.txt",
            "that is a file name: write the slug in its front matter (often `data_scientist`)",
            id="file-name",
        ),
        pytest.param(
            "データサイエンティスト",
            "write the article's slug (the `slug` in its front matter, e.g. `data_scientist`), not its title",
            id="job-title",
        ),
    ],
)
def test_a_related_job_that_is_no_slug_says_what_to_write(link: str, said: str) -> None:
    """A job title got "did you mean `job_name`?" (the placeholder slug), a file name `data_scientist_txt`."""
    [finding] = [
        f
        for f in read_article(make_article("alpha", related=[link]).encode(), "x.txt").findings
        if f.code == "related-invalid-slug"
    ]
    assert finding.message.endswith(said), finding.message


@pytest.mark.parametrize("how", ["validate", "run"])
def test_a_link_to_an_article_that_does_not_load_names_its_file(
    how: str, seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path
) -> None:
    """A link to an article whose file is rejected (here a title written as a number) said "no article has
    slug `data_scientist`: write it": the writer wrote it again, and the corpus had two. It names the file
    that holds the slug and says to fix it; that file's own finding says what is wrong with the title."""
    write_seed("a.txt", make_article("mlops_engineer", related=["data_scientist"]))
    text = make_article("data_scientist").replace('"title": "data_scientist', '"title": 123, "was": "', 1)
    write_seed("ds/b.txt", text)
    if how == "validate":
        result = cli("validate", "--seeds", str(seeds_dir))
        out = result.stdout
    else:
        warehouse = tmp_path / "wh" / "jobs.duckdb"
        cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
        out = "\n".join(m for (m,) in rows(warehouse, "SELECT source_path || ': ' || message FROM validation_issues"))
    assert "`data_scientist` is the slug of ds/b.txt, which does not load: fix that file" in out, out
    assert "`title` is the number 123, not text" in out, out


def test_check_corpus_names_the_broken_file_only_for_a_slug_nobody_loads() -> None:
    entries = [CorpusEntry("a.txt", "alpha", ("beta", "gamma")), CorpusEntry("g.txt", "gamma")]
    messages = [f.message for f in check_corpus(entries, broken={"beta": "b.txt", "gamma": "g2.txt"}).findings]
    assert messages == ["`beta` is the slug of b.txt, which does not load: fix that file (its own findings say how)"]


def _numbers(slug: str) -> list[str]:
    return re.findall(r"[0-9]+", slug)


@given(
    slugs=st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), max_size=12),
    link=st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
)
@settings(max_examples=300, deadline=None)
def test_the_slug_index_finds_what_comparing_with_every_slug_finds(slugs: list[str], link: str) -> None:
    """The deletion index finds exactly the slugs one edit away that a comparison with each would."""
    from jobpipeline.validate import SlugIndex, _one_edit_apart

    near = sorted(slug for slug in set(slugs) if _one_edit_apart(link, slug) and _numbers(slug) == _numbers(link))
    assert SlugIndex(slugs).nearest(link) == (near[0] if near else None)


REGISTRY = {**dict.fromkeys(ERROR_CODES, "error"), **dict.fromkeys(WARNING_CODES, "warning")}
"""Every finding code with its severity, as validate.py registers them."""
SRC = Path(__file__).parent.parent / "src" / "jobpipeline"
ERROR_RAISERS = ("DecodeError", "FrontMatterError", "rejected")
"""Calls whose first argument is an error's code."""


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def codes_raised_in_src() -> dict[str, set[str | None]]:
    """code -> the severities it is raised with (None: not stated at the call), from every literal in src:
    `code="..."` (with `severity="..."` beside it), `add("warning", "code", ...)`-style helpers, the first
    argument of DecodeError/FrontMatterError/rejected (errors), and SalaryWarning (warnings)."""
    found: dict[str, set[str | None]] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            keywords = {k.arg: k.value for k in node.keywords}
            first, second = [*(_text(a) for a in node.args[:2]), None, None][:2]
            code, severity = _text(keywords.get("code")), _text(keywords.get("severity"))
            if code is not None and name == "SalaryWarning":
                severity = "warning"
            elif code is None and name in ERROR_RAISERS:
                code, severity = first, "error"
            elif code is None and first in ("error", "warning"):
                code, severity = second, first
            if code is not None:
                found.setdefault(code, set()).add(severity)
    return found


def documented_finding_codes() -> dict[str, str]:
    """code -> severity, from the rows of the table of codes in docs/findings.md."""
    section = (Path(__file__).parent.parent / "docs" / "findings.md").read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            assert cells[0][1:-1] not in table, f"{cells[0]} is listed twice"
            table[cells[0][1:-1]] = cells[1]
    return table


def test_every_code_raised_in_src_is_registered_with_its_severity() -> None:
    """Each finding code written in src is in validate.py's registry, with the severity it is raised with."""
    raised = codes_raised_in_src()
    assert len(raised) >= 30, sorted(raised)  # the scan still sees the calls (a broken one would pass)
    assert {code: sorted(map(str, severities)) for code, severities in raised.items() if code not in REGISTRY} == {}
    assert {
        code: (sorted(s for s in severities if s), REGISTRY[code])
        for code, severities in raised.items()
        if {s for s in severities if s} - {REGISTRY[code]}
    } == {}


def test_docs_table_lists_every_registered_code_with_its_severity() -> None:
    """docs/findings.md's table of codes has one row per registered code, with its severity, and no other."""
    assert documented_finding_codes() == REGISTRY


def test_suggest_slug() -> None:
    """Suggestions turn near-misses into valid slugs."""
    assert suggest_slug("ＭＬＯｐｓ-Engineer ") == "mlops_engineer"
    assert suggest_slug("3d artist") == "job_3d_artist"


def test_validate_command(seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """`validate` prints one line per finding, a summary, and exits 1 on errors, 0 on warnings only."""
    write_seed("a.txt", make_article("alpha", related=["ghost"]))
    result = cli("validate", "--seeds", str(seeds_dir))
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{seeds_dir.as_posix()}/a.txt:") and "warning[related-dangling]" in lines[0]
    assert lines[-1] == "1 file checked: 0 errors, 1 warning, 0 files rejected"

    write_seed("b.txt", make_article("alpha"))
    write_seed("c.txt", '---json\n{"slug": "c",\n---\n')
    result = cli("validate", "--seeds", str(seeds_dir))
    assert result.exit_code == 1
    out = result.stdout.strip().splitlines()
    assert any("b.txt:3: error[slug-duplicate] slug:" in line for line in out)
    assert any("c.txt:" in line and "error[frontmatter-invalid-json]" in line for line in out)
    assert out[-1] == "3 files checked: 2 errors, 1 warning, 2 files rejected"

    result = cli("validate", "--seeds", str(seeds_dir), "--format", "json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["code"] for r in records} == {"related-dangling", "slug-duplicate", "frontmatter-invalid-json"}
    result = cli("validate", "--seeds", str(seeds_dir), "--format", "github")
    assert any(
        line.startswith("::error file=") and ",line=3,title=slug-duplicate::" in line
        for line in result.stdout.splitlines()
    )


def test_validate_writes_nothing(seeds_dir: Path, write_seed: Callable[..., Path], tmp_path: Path) -> None:
    """`validate` leaves the seeds folder exactly as it was and creates no warehouse."""
    write_seed("a.txt", make_article("alpha"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    cli("validate", "--seeds", str(seeds_dir))
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_salary_command() -> None:
    """`salary` prints one JSON object per input, in order, from arguments or stdin."""
    from typer.testing import CliRunner

    from jobpipeline.cli import app

    result = cli("salary", "--unit", "万円", "450〜700", "応相談")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["min_yen"], r["max_yen"]) for r in records] == [(4_500_000, 7_000_000), (None, None)]
    assert records[1]["warnings"]
    result = CliRunner().invoke(app, ["salary", "--basis", "monthly"], input="月給30万円\n時給1,300円〜\n")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["basis"] for r in records] == ["monthly", "hourly"]
    assert records[1]["max_open"] is True


def test_salary_command_reads_windows_lines_and_a_bom() -> None:
    """Cells pasted from Windows (CRLF) or a file saved with a BOM: `1,800+\r` lost its open end (the `+`
    was no longer last) and every raw value carried the `\r`."""
    from typer.testing import CliRunner

    from jobpipeline.cli import app

    result = CliRunner().invoke(app, ["salary", "--unit", "万円"], input="\ufeff450〜700\r\n1,800+\r\n")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["raw"], r["min_yen"], r["max_yen"], r["max_open"]) for r in records] == [
        ("450〜700", 4_500_000, 7_000_000, False),
        ("1,800+", 18_000_000, None, True),
    ]


def test_docs_table_reference_is_generated_from_schema() -> None:
    """The table reference of docs/tables.md is exactly what schema.markdown_reference() generates."""
    from jobpipeline.schema import markdown_reference

    doc = (Path(__file__).parent.parent / "docs" / "tables.md").read_text(encoding="utf-8")
    start = doc.index("<!-- tables:start -->") + len("<!-- tables:start -->")
    assert doc[start : doc.index("<!-- tables:end -->")] == "\n" + markdown_reference()


def test_validate_named_files_against_the_whole_folder(seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """`validate FILE` reports only on FILE, yet sees the folder's slugs (duplicates, dangling links)."""
    write_seed("a.txt", make_article("alpha", related=["gamma"]))
    write_seed("b.txt", make_article("alpha", related=["nobody"]))
    write_seed("c.txt", make_article("gamma", related=["nobody"]))
    result = cli("validate", "--seeds", str(seeds_dir), str(seeds_dir / "b.txt"))
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith(f"{seeds_dir.as_posix()}/b.txt") for line in lines[:-1])
    assert any("slug-duplicate" in line and "a.txt" in line for line in lines)
    assert lines[-1].startswith("1 file checked: 1 error,")
    result = cli("validate", "--seeds", str(seeds_dir), str(seeds_dir / "c.txt"))
    assert result.exit_code == 0 and "related-dangling" in result.stdout and "nobody" in result.stdout


@pytest.mark.parametrize(
    ("path", "names", "expected"),
    [
        ("a.txt", {"a.txt"}, "a.txt"),
        ("a.txt", {"b.txt"}, None),
        ("2025/a.txt", {"2025"}, "2025"),
        ("2025/04/a.txt", {"2025"}, "2025"),
        ("2025/04/a.txt", {"2025", "2025/04"}, "2025/04"),  # the nearest folder names it
        ("2025/04/a.txt", {"2025/04/a.txt", "2025"}, "2025/04/a.txt"),  # the file itself first
        ("20251/a.txt", {"2025"}, None),  # a folder is a whole path segment, not a prefix of the name
        ("2025.txt", {"2025"}, None),
        ("a.txt", {"."}, "."),  # `validate seeds`: the seeds folder itself
        ("2025/a.txt", {"."}, "."),
        ("2025/a.txt", set(), None),
    ],
)
def test_named_by_selects_a_file_by_its_name_or_a_folder_above_it(
    path: str, names: set[str], expected: str | None
) -> None:
    assert named_by(path, frozenset(names)) == expected


@pytest.mark.parametrize(
    ("path", "seed"),
    [
        ("a.txt", True),
        ("a.md", True),
        ("2025/04/a.txt", True),
        ("a.csv", False),
        ("a.txt~", False),  # an editor's backup
        ("#a.txt#", False),  # Emacs's autosave
        (".a.txt.swp", False),  # vim's swap file
        (".#a.txt", False),  # Emacs's lock link
        ("._a.txt", False),  # macOS's AppleDouble file on a shared drive
        (".draft.txt", False),
        (".ipynb_checkpoints/a-checkpoint.txt", False),  # JupyterLab's copy of every saved file
        ("2025/.git/a.txt", False),
        ("a.b/c.txt", True),  # a dot inside a name is not a hidden name
    ],
)
def test_is_seed_path_and_the_watcher_agree(path: str, seed: bool, tmp_path: Path) -> None:
    """What a run lists and what watch reacts to are the same files: `*.txt`/`*.md`, nothing hidden (the
    watcher passed over hidden files but not files in hidden folders; discovery read both)."""
    assert is_seed_path(path) is seed
    assert seed_paths([(None, str(tmp_path / path))], tmp_path) == ([path] if seed else [])


def test_hidden_files_and_folders_are_not_seeds(seeds_dir: Path, write_seed: Callable[..., Path]) -> None:
    """JupyterLab keeps a copy of every saved article in .ipynb_checkpoints/: read, the copy sorted first and
    took the slug, and the real article was rejected as its duplicate. Emacs's lock link warned on every
    edit. Hidden files and folders are passed over, as MkDocs and Hugo do."""
    write_seed("a.txt", make_article("alpha"))
    write_seed(".ipynb_checkpoints/a-checkpoint.txt", make_article("alpha"))
    write_seed(".a.txt.swp", "vim's swap")
    (seeds_dir / ".#a.txt").symlink_to("user@host.1234:1700000000")  # Emacs's lock: a dangling link
    result = cli("validate", "--seeds", str(seeds_dir))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "1 file checked: 0 errors, 0 warnings, 0 files rejected"


def test_validate_a_folder_checks_the_files_under_it_against_the_whole_folder(
    seeds_dir: Path, write_seed: Callable[..., Path]
) -> None:
    """`validate seeds/2025` checks every seed file under 2025/ (it said "no such seed file"), still against
    the whole folder's slugs; a folder with no seed file under it is named as before."""
    write_seed("0-first.txt", make_article("alpha", related=["nobody"]))  # sorts first: it keeps `alpha`
    write_seed("2025/b.txt", make_article("beta", related=["nobody"]))
    write_seed("2025/04/c.txt", make_article("alpha"))
    write_seed("empty/notes.csv", "not a seed")
    result = cli("validate", "--seeds", str(seeds_dir), str(seeds_dir / "2025"))
    assert result.exit_code == 1, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("2 files checked: 1 error, 1 warning"), lines
    assert all(line.startswith(f"{seeds_dir.as_posix()}/2025/") for line in lines[:-1]), lines
    assert any("2025/04/c.txt" in line and "slug-duplicate" in line and "0-first.txt" in line for line in lines), lines
    assert any("2025/b.txt" in line and "related-dangling" in line for line in lines), lines
    empty = cli("validate", "--seeds", str(seeds_dir), str(seeds_dir / "empty"))
    assert empty.exit_code == 1 and "empty: error[file-unreadable] no such seed file" in empty.stdout, empty.stdout


def test_pre_commit_hook_definition() -> None:
    """The pre-commit hook runs `jobpipeline validate` on changed .txt/.md files."""
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "jobpipeline-validate" and hook["entry"] == "jobpipeline validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    assert re.search(hook["files"], "seeds/000_x.txt") and not re.search(hook["files"], "src/cli.py")

    # pre-commit passes a file when `files` matches and `exclude` does not: the hook sees what discovery lists.
    def passed(path: str) -> bool:
        return bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)

    for path in ("seeds/000_x.txt", "seeds/a.b/c.md", "seeds/.ipynb_checkpoints/a-checkpoint.txt", ".draft.md"):
        assert passed(path) is is_seed_path(path.removeprefix("seeds/")), path


@pytest.mark.parametrize(
    ("path", "message", "line"),
    [
        pytest.param("a\nb.txt", "m", "a\\nb.txt:3: warning[c] f: m", id="newline-in-path"),
        pytest.param("a\r\tb.txt", "m", "a\\r\\tb.txt:3: warning[c] f: m", id="cr-and-tab"),
        pytest.param("a.txt", "x\x1b[31my\x85z\x7f", "a.txt:3: warning[c] f: x\\x1b[31my\\x85z\\x7f", id="esc-c1-del"),
        pytest.param("a.txt", "one\u2028two", "a.txt:3: warning[c] f: one\\u2028two", id="line-separator"),
        pytest.param("日本語.txt", "年収 〜", "日本語.txt:3: warning[c] f: 年収 〜", id="printable-unchanged"),
    ],
)
def test_format_line_is_one_line(path: str, message: str, line: str) -> None:
    """Control characters in a finding's path or message are escaped, so one finding is one line and
    ESC cannot drive the terminal (a file named `a\\nb.txt` split its lines)."""
    finding = Finding(source_path=path, line=3, severity="warning", code="c", field="f", message=message)
    assert finding.format_line() == line


def test_github_annotation_escapes_data_and_properties() -> None:
    """`%`, CR and LF are escaped in the message, and `:` and `,` too in the file and title properties, as
    the Actions runner decodes them: a file named `x\\n::error::evil.txt` printed a command of its own."""
    from jobpipeline.cli import _github_annotation

    finding = Finding(
        source_path="s/x\n::error::e,v%l.txt", line=2, severity="error", code="c", field="f", message="50%\r\n::x"
    )
    assert _github_annotation(finding) == (
        "::error file=s/x%0A%3A%3Aerror%3A%3Ae%2Cv%25l.txt,line=2,title=c::f: 50%25%0D%0A::x"
    )


def test_watch_follows_its_path_when_the_folder_is_moved_deleted_or_replaced(tmp_path: Path) -> None:
    """`mv seeds seeds.old`, `rm -rf seeds` and a fresh checkout: the watch went on following the old
    folder, said nothing, and no save in the new folder was ever re-validated (or a save in the moved one
    was re-validated at a path that was gone). Now it says the folder went, waits, says when one is there
    again, hands every seed file in it over, and watches the new folder."""
    root = tmp_path / "seeds"
    root.mkdir()
    (root / "a.txt").write_text("one", encoding="utf-8")
    said: list[object] = []
    with watching(root, said, "on_folder"):
        root.rename(tmp_path / "seeds.old")
        until(said, [False])
        (tmp_path / "seeds.old" / "a.txt").write_text("saved in the old folder", encoding="utf-8")
        time.sleep(0.5)  # not this watch's folder any more: nothing to re-validate
        root.mkdir()
        (root / "b.txt").write_text("two", encoding="utf-8")
        (root / "notes.csv").write_text("not a seed", encoding="utf-8")
        until(said, [False, True, ["b.txt"]])
        (root / "b.txt").write_text("saved in the new folder", encoding="utf-8")
        until(said, [False, True, ["b.txt"], ["b.txt"]])


@contextmanager
def watching(root: Path, said: list[object], *notes: str) -> Iterator[None]:
    """`watch_seeds` on `root` in a thread, ready when the block begins: each burst's paths go to `said`, and so
    do the arguments of the callbacks named in `notes` (`on_folder`, `on_polling`). Stopped when it ends."""
    ready, stop = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=watch_seeds,
        args=(root, lambda paths, noticed: said.append(paths)),
        kwargs={"debounce_ms": 50, "stop": stop, "on_ready": ready.set, **dict.fromkeys(notes, said.append)},
        daemon=True,
    )
    watcher.start()
    try:
        assert ready.wait(20)
        yield
    finally:
        stop.set()
        watcher.join(20)
    assert not watcher.is_alive()


def until(said: list[object], expected: list[object]) -> None:
    deadline = time.monotonic() + 20
    while said != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert said == expected


@pytest.mark.parametrize(
    ("patterns", "path", "seed"),
    [
        ("", "README.md", True),  # no ignore file: every *.md is an article
        ("README.md", "README.md", False),
        ("README.md", "2025/README.md", False),  # a name without a slash matches at any depth, as in git
        ("/README.md", "2025/README.md", True),  # anchored to the seeds folder
        ("drafts/", "drafts/a.txt", False),
        ("drafts/", "2025/drafts/b/a.txt", False),
        ("_*.md", "_template.md", False),
        ("_*.md\n!_index.md", "_index.md", True),  # a negation brings one back
        ("*.md\n# a comment\n", "a.txt", True),
    ],
)
def test_the_seeds_folders_ignore_file_leaves_out_what_is_not_an_article(
    patterns: str, path: str, seed: bool, tmp_path: Path
) -> None:
    """`.jobpipelineignore` in the seeds folder, in .gitignore's syntax: a README, drafts, templates are not
    articles (a README.md was read and rejected as `frontmatter-missing` on every run). Discovery and the
    watcher agree on it."""
    from jobpipeline.discover import discover_seeds, load_ignore

    if patterns:
        (tmp_path / ".jobpipelineignore").write_text(patterns, encoding="utf-8")
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text("x", encoding="utf-8")
    assert is_seed_path(path, load_ignore(tmp_path)) is seed
    assert [f.path for f in discover_seeds(tmp_path).files] == ([path] if seed else [])
    assert seed_paths([(None, str(tmp_path / path))], tmp_path) == ([path] if seed else [])


@pytest.mark.parametrize(
    "refusal",
    [
        OSError('OS file watch limit reached. about ["/s/d40"] (Error { kind: MaxFilesWatch, paths: ["/s/d40"] })'),
        RuntimeError("Error creating recommended watcher: Too many open files (os error 24)"),
    ],
    ids=["max_user_watches", "max_user_instances"],
)
def test_watch_polls_when_the_system_refuses_more_inotify_watches(
    refusal: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seeds tree with more folders than the system's inotify limits allow (fs.inotify.max_user_watches,
    max_user_instances: editors and other watchers share them) ended `watch` in a 40-line traceback, and
    serve's watcher thread died while serve went on as if it watched. The watch now says which limit, polls
    the folder instead, and a save is still re-validated. (Lowering the limit itself would change it for
    every process on the machine, the suite's other watchers included: the refusal is raised here instead.)"""
    import watchfiles

    real_watch = watchfiles.watch

    def limited_watch(*args: Any, **kwargs: Any) -> Any:  # a generator, as watchfiles.watch: it raises at start
        if not kwargs.get("force_polling"):
            raise refusal
        yield from real_watch(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", limited_watch)
    root = tmp_path / "seeds"
    root.mkdir()
    said: list[object] = []
    with watching(root, said, "on_polling"):
        [note] = said
        limit = "max_user_watches" if isinstance(refusal, OSError) else "max_user_instances"
        assert isinstance(note, str) and f"fs.inotify.{limit}" in note and "polling" in note, note
        (root / "a.txt").write_text("saved", encoding="utf-8")
        until(said, [note, ["a.txt"]])


@pytest.mark.parametrize(
    ("name", "warned", "rename"),
    [
        ("a.txt", False, None),
        ("a.md", False, None),
        ("A.TXT", True, "A.txt"),  # saved by Windows tools
        ("a.Md", True, "a.md"),
        ("a.markdown", True, "a.md"),
        ("a.text", True, "a.txt"),
        ("a.csv", False, None),  # not an article's name: passed over without a word, as before
        ("a.txt.bak", False, None),
    ],
)
def test_a_file_named_almost_like_a_seed_gets_a_warning(
    name: str, warned: bool, rename: str | None, tmp_path: Path
) -> None:
    """Seed files end in .txt or .md: a folder of `.TXT` or `.markdown` articles loaded nothing, and said
    "0 files seen" and nothing else. Such a file is still not read, with a warning that says how to rename it
    (or list it in .jobpipelineignore, which silences it)."""
    from jobpipeline.discover import discover_seeds

    (tmp_path / "2025").mkdir()
    (tmp_path / "2025" / name).write_text(make_article("alpha"), encoding="utf-8")
    discovery = discover_seeds(tmp_path)
    found = [(f.severity, f.code, f.source_path) for f in discovery.findings]
    if warned:
        assert found == [("warning", "file-suffix-not-seed", f"2025/{name}")]
        assert f"`2025/{rename}`" in discovery.findings[0].message, discovery.findings[0].message
        (tmp_path / ".jobpipelineignore").write_text(name, encoding="utf-8")
        assert discover_seeds(tmp_path).findings == []
    else:
        assert found == []
    assert [f.path for f in discovery.files] == ([f"2025/{name}"] if name.endswith((".txt", ".md")) else [])


def test_named_files_outside_the_seeds_folder_are_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-commit hook names every staged *.txt and *.md of the repository: a commit touching the
    repository's README.md failed with `seeds/README.md: error[file-unreadable] no such seed file` (a path
    that is not there). A named file that exists outside the seeds folder is not a seed: it is passed over
    and said so, and only the seeds named are reported on."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    (tmp_path / "README.md").write_text("# the site's articles\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("notes\n", encoding="utf-8")
    result = cli("validate", "--seeds", "seeds", "README.md", "docs/notes.txt", "seeds/a.txt")
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout.replace("0 errors", ""), result.stdout
    assert "1 file checked" in result.stdout
    assert "passed over 2 files outside the seeds folder seeds: README.md, docs/notes.txt" in result.output
    only_outside = cli("validate", "--seeds", "seeds", "README.md")
    assert only_outside.exit_code == 0, only_outside.output
    missing = cli("validate", "--seeds", "seeds", "b.txt")  # not there at all: still an error, as before
    assert missing.exit_code == 1 and "no such seed file" in missing.stdout, missing.output
