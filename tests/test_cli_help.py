"""Every command's `--help`, as rich renders it: an example, and what each option does when left out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import make_article
from helpers import cli
from typer.core import TyperGroup, TyperOption

from jobpipeline.cli import app


def leaf_commands(group: TyperGroup | None = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every runnable command (`run`, `server stop`, ...)."""
    group = group or typer.main.get_command(app)  # type: ignore[assignment]
    assert isinstance(group, TyperGroup)
    for name, command in sorted(group.commands.items()):
        if isinstance(command, TyperGroup):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


def command_of(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return command


def option_rows(rendered: str) -> dict[str, str]:
    """Each option's row of the rendered Options panel (continuation lines joined), by option name."""
    rows: dict[str, str] = {}
    current = None
    for line in rendered.splitlines():
        if not line.startswith("│"):
            continue
        content = line.strip("│").rstrip()
        words = content.split()
        # An option's row starts near the left edge (`*` marks a required one); its help wraps far right.
        if words and words[0][0] in "-*" and content.index(words[0]) <= 4:
            current = words[1] if words[0] == "*" else words[0]
            rows[current] = content
        elif current is not None:
            rows[current] += " " + content.strip()
    return rows


def must_show_default(option: TyperOption) -> bool:
    """Every option says what happens when it is left out, except flags that are simply off."""
    return not option.required and not (option.is_flag and not option.default and not option.secondary_opts)


@pytest.mark.parametrize("path", list(leaf_commands()), ids=" ".join)
def test_every_command_help_shows_its_defaults_and_an_example(path: tuple[str, ...]) -> None:
    """`jobpipeline CMD --help` shows an example of CMD and `[default: …]` on every option that has one
    (rich once read `[default: JOBPIPELINE_SEEDS, else seeds/]` as a style tag and printed `Seeds folder .`)."""
    result = cli(*path, "--help", env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert f"Example: jobpipeline {' '.join(path)}" in result.output
    rows = option_rows(result.output)
    for option in command_of(path).params:
        if not isinstance(option, TyperOption) or not must_show_default(option):
            continue
        name = option.opts[0]
        assert name in rows, f"{name} missing from the help of {' '.join(path)}"
        assert "[default: " in rows[name] and "[default: ]" not in rows[name], (name, rows[name])


def test_every_command_is_checked() -> None:
    """The walk finds the commands the README's tour and docs/cli.md name (a typo'd walk checks nothing)."""
    assert {"run", "validate", "query", "watch", "serve", "server start"} <= {" ".join(p) for p in leaf_commands()}


# What each command with a `--format` needs besides it to get that far (its required arguments).
FORMAT_COMMANDS = {
    ("run",): ["--local"],
    ("enrich",): ["--local"],
    ("validate",): [],
    ("query",): ["SELECT 1"],
    ("salary",): ["450〜700"],
}


def test_every_format_option_is_checked() -> None:
    """FORMAT_COMMANDS is every command with a --format option (a new one joins the test below)."""
    have_format = {path for path in leaf_commands() if any("--format" in p.opts for p in command_of(path).params)}
    assert have_format == set(FORMAT_COMMANDS)


@pytest.mark.parametrize("path", list(FORMAT_COMMANDS), ids=" ".join)
def test_an_unknown_format_is_a_usage_error_before_any_work(
    path: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--format jsn` exits 2 naming the choices, and nothing is run: `run` and `enrich` took any value,
    loaded and published the whole folder, then printed text to a script that parses JSON."""
    seeds, warehouse = tmp_path / "seeds", tmp_path / "wh" / "jobs.duckdb"
    seeds.mkdir()
    (seeds / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    monkeypatch.setenv("JOBPIPELINE_SEEDS", str(seeds))
    monkeypatch.setenv("JOBPIPELINE_WAREHOUSE", str(warehouse))
    result = cli(*path, *FORMAT_COMMANDS[path], "--format", "jsn")
    assert result.exit_code == 2, result.output
    assert "--format" in result.output and "use " in result.output and " or " in result.output, result.output
    assert result.stdout == ""
    assert not warehouse.parent.exists()
