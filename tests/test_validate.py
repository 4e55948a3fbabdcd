"""Validation codes, per article and corpus-wide, and the `jobpipeline validate` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import make_article
from helpers import cli

from jobpipeline.read import read_article
from jobpipeline.validate import ERROR_CODES, WARNING_CODES, CorpusEntry, check_corpus, suggest_slug


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


def test_every_code_is_documented_in_docs() -> None:
    """Every finding code appears in the table of codes of docs/findings.md."""
    doc = (Path(__file__).parent.parent / "docs" / "findings.md").read_text(encoding="utf-8")
    for code in [*ERROR_CODES, *WARNING_CODES, "file-symlink-skipped", "kept-last-known-good"]:
        assert f"`{code}`" in doc, code


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


def test_pre_commit_hook_definition() -> None:
    """The pre-commit hook runs `jobpipeline validate` on changed .txt/.md files."""
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "jobpipeline-validate" and hook["entry"] == "jobpipeline validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    assert re.search(hook["files"], "seeds/000_x.txt") and not re.search(hook["files"], "src/cli.py")
