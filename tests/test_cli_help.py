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


REQUIRED_ARGUMENTS = {("query",): ["SELECT 1"], ("revalidate",): ["a.txt"]}


def path_options() -> Iterator[tuple[tuple[str, ...], str]]:
    """(command, option) for every --seeds and --warehouse option of the CLI."""
    for path in leaf_commands():
        for param in command_of(path).params:
            for option in set(param.opts) & {"--seeds", "--warehouse"}:
                yield path, option


@pytest.mark.parametrize(("path", "option"), list(path_options()), ids=lambda value: " ".join(value))
def test_an_empty_path_option_is_a_usage_error(
    path: tuple[str, ...], option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--seeds "$SEEDS"` with SEEDS unset is `--seeds ''`, which was the current folder: `run` read the
    whole project (README, docs, CHANGELOG) as articles. An empty path is a usage error, nothing run."""
    monkeypatch.chdir(tmp_path)
    # Were the empty value taken again, serve and watch would fail at once on this address, not start a server.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = cli(*path, option, "", *REQUIRED_ARGUMENTS.get(path, []))
    assert result.exit_code == 2, result.output
    assert option in result.output and "is empty" in result.output, result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("given", ["option", "variable"])
def test_a_path_beginning_with_a_tilde_is_in_the_home_folder(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`JOBPIPELINE_SEEDS=~/career/seeds` in a service or .env file, or a quoted `--seeds "~/career/seeds"`,
    reaches the program with the `~` unexpanded (only a shell expands it, and not in quotes): "seeds folder
    ~/career/seeds does not exist". A leading `~` is the home folder, as in a shell."""
    home = tmp_path / "home"
    (home / "career" / "seeds").mkdir(parents=True)
    (home / "career" / "seeds" / "a.txt").write_text(make_article("alpha"), encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    args = ["--seeds", "~/career/seeds"] if given == "option" else []
    if given == "variable":
        monkeypatch.setenv("JOBPIPELINE_SEEDS", "~/career/seeds")
        monkeypatch.setenv("JOBPIPELINE_WAREHOUSE", "~/career/wh/jobs.duckdb")
    else:
        args += ["--warehouse", "~/career/wh/jobs.duckdb"]
    result = cli("run", "--local", *args)
    assert result.exit_code == 0, result.output
    assert (home / "career" / "wh" / "jobs.duckdb").is_file()
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize("variable", ["JOBPIPELINE_SEEDS", "JOBPIPELINE_WAREHOUSE"])
def test_an_empty_path_variable_is_one_line(variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`JOBPIPELINE_SEEDS=` (an empty line in a service file) was the current folder too."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, "")
    result = cli("run", "--local")
    assert result.exit_code == 2, result.output
    assert f"{variable}='': is empty: set a path or unset the variable" in result.stderr, result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("path", "option"), [(("watch",), "--debounce-ms"), (("serve",), "--debounce-ms"), (("run",), "--wait")]
)
def test_a_negative_duration_is_a_usage_error(path: tuple[str, ...], option: str) -> None:
    """`watch --debounce-ms -5` ended in OverflowError; `run --wait -1` was taken as no wait."""
    result = cli(*path, option, "-5")
    said = " ".join(line.strip("│ ") for line in result.output.splitlines())  # the error box, unwrapped
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in said and "greater than or equal to 0" in said


@pytest.mark.parametrize("path", list(leaf_commands()), ids=" ".join)
def test_help_prose_wraps_at_the_terminal_not_at_the_source_line(path: tuple[str, ...]) -> None:
    """Each paragraph of a command's description reads as one run of text at a wide terminal, and the
    commands list shows each command's first sentence unbroken. Typer 0.29 kept the docstring's own line
    breaks: at any width `run --help` read "(started once and left" / "running for later commands)"."""
    command = command_of(path)
    result = cli(*path, "--help", env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    shown = " ".join(line.strip(" │") for line in result.output.splitlines())
    described = (command.help or "").replace("\\[", "[")  # escaped for rich, shown unescaped
    for paragraph in described.split("\n\n"):
        for line in paragraph.splitlines():  # one line each: an `Example:` line stands apart
            assert " ".join(line.split()) in " ".join(shown.split()), (line, result.output)
        assert len(paragraph.splitlines()) == 1 or all(
            line.startswith("Example:") for line in paragraph.splitlines()
        ), paragraph
    parent = cli(*path[:-1], "--help", env={"COLUMNS": "400"})
    first = described.split("\n\n")[0]
    assert any(first[:60] in line for line in parent.output.splitlines()), parent.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--cron", "*/30 * * *"], 'Invalid cron string: "*/30 * * *"'),
        (["--cron", "61 * * * *"], "Invalid cron string"),
        (["--timezone", "Asia/Tokio"], 'Invalid timezone: "Asia/Tokio"'),
        (["--interval", "0"], "must be more than 0"),
        (["--interval", "-5"], "must be more than 0"),
        (["--poll", "0"], "must be more than 0"),
    ],
)
def test_a_schedule_serve_cannot_keep_is_a_usage_error_before_any_work(
    args: list[str], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron string with four fields or a misspelt time zone started the managed server, then ended in
    "internal error: ... report it"; `--interval 0` was taken as no interval (the cron default served
    instead) and `--poll 0` served in a busy loop. Each is a usage error naming the option, before any work."""
    monkeypatch.chdir(tmp_path)
    # Were the value taken, serve would fail at once on this address instead of starting a server.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = cli("serve", *args)
    assert result.exit_code == 2, result.output
    assert args[0] in result.output and said in " ".join(result.output.replace("│", " ").split()), result.output
    assert list(tmp_path.iterdir()) == []
