"""The README is a short tour; the reference lives in docs/, and its generated parts match the code."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))


def gen_docs() -> ModuleType:
    """scripts/gen_docs.py, imported (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_match_the_code() -> None:
    """docs/cli.md, and the generated blocks of docs/settings.md and docs/tables.md, are exactly what
    `uv run python scripts/gen_docs.py` writes from the CLI, `Settings` and `schema`."""
    for path, expected in gen_docs().generated().items():
        assert path.read_text(encoding="utf-8") == expected, (
            f"{path.relative_to(ROOT)} is out of date: run `uv run python scripts/gen_docs.py`"
        )


def test_cli_reference_has_every_command_and_option() -> None:
    """docs/cli.md names every command and every one of its options and arguments."""
    import typer

    from jobpipeline.cli import app

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for title, command in gen_docs()._commands():
        assert f"## `{title}`" in text
        for param in command.params:
            names = getattr(param, "opts", None) if param.param_type_name == "option" else [param.name.upper()]
            assert names and f"`{names[0]}" in text, (title, names)
    assert typer.main.get_command(app).params, "the global options are documented too"


def test_readme_is_a_short_tour() -> None:
    """The README stays under 200 lines and opens with the two commands, exactly as before."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 200
    assert (
        "```sh\n"
        "uv run jobpipeline run    # read, validate, load and publish the bundled seeds/ into warehouse/jobs.duckdb\n"
        "uv run pytest             # the test suite\n"
        "```\n"
    ) in "\n".join(text.splitlines()[:10]) + "\n"
    assert "The test suite takes about" in text  # how long it takes, said near the two commands


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    anchors = set()
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and (match := re.match(r"#+ (.*)", line)):
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(path: Path) -> None:
    """Every relative link of the README and docs/ names a file that exists, and a heading that exists."""
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{path.name}: {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked.read_text(encoding="utf-8")), f"{path.name}: {target}"
