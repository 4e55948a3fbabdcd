"""Regenerate the generated parts of docs/ from the code, so that the reference cannot drift from it.

- docs/cli.md, whole: every command with every argument and option, from the typer app;
- docs/settings.md, the block between `<!-- settings:start -->` and `<!-- settings:end -->`, from `Settings`;
- docs/tables.md, the block between `<!-- tables:start -->` and `<!-- tables:end -->`, from `schema`.

(The salary accuracy block of docs/salary.md is measured on the corpus:
`uv run python tests/test_salary_corpus.py --write-docs`.) Tests regenerate each part and compare.

    uv run python scripts/gen_docs.py            # rewrite what changed, and say which files
    uv run python scripts/gen_docs.py --check    # change nothing; exit 1 if a file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

ORDER = ["run", "validate", "query", "tables", "report", "revalidate", "watch", "serve", "server", "salary", "synth"]
"""The order commands are documented in: a user's first steps first. Commands not listed follow, by name."""


def _commands() -> list[tuple[str, Any]]:
    """(`jobpipeline run`, command) for every runnable command, in ORDER, groups expanded."""
    import typer
    from typer.core import TyperGroup

    from jobpipeline.cli import app

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    names = [n for n in ORDER if n in root.commands] + sorted(set(root.commands) - set(ORDER))
    found: list[tuple[str, Any]] = []
    for name in names:
        command = root.commands[name]
        if isinstance(command, TyperGroup):
            found += [(f"jobpipeline {name} {sub}", command.commands[sub]) for sub in command.commands]
        else:
            found.append((f"jobpipeline {name}", command))
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(param: Any) -> str:
    """What the option is when left out, as `--help` shows it."""
    if getattr(param, "required", False):
        return "required"
    if isinstance(getattr(param, "show_default", None), str):
        return _cell(param.show_default)
    if getattr(param, "is_flag", False):
        if param.secondary_opts:
            return f"`{param.opts[0] if param.default else param.secondary_opts[0]}`"
        return "off"
    if param.default is None or param.default == ():
        return ""
    return f"`{param.default}`"


def _name(param: Any) -> str:
    """`--seeds PATH`, `--watch / --no-watch`, `FILES ...`."""
    if param.param_type_name == "argument":
        name = (param.metavar or param.name).upper()
        return f"`{name} ...`" if param.nargs == -1 else f"`{name}`"
    if param.is_flag:
        return " / ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
    metavar = param.metavar or param.opts[0].lstrip("-").upper().replace("-", "_")
    return f"`{param.opts[0]} {metavar}`"


def _section(title: str, command: Any) -> list[str]:
    text = (command.help or "").replace("\\[", "[").strip()  # the CLI escapes `[` for rich
    prose = [line for line in text.splitlines() if not line.strip().startswith("Example:")]
    examples = [line.strip().removeprefix("Example:").strip() for line in text.splitlines() if "Example:" in line]
    lines = [f"## `{title}`", "", "\n".join(prose).strip(), ""]
    if examples:
        lines += ["```sh", *examples, "```", ""]
    params = [p for p in command.params if p.name != "help"]
    if params:
        lines += ["| argument or option | default | what it does |", "|---|---|---|"]
        for param in params:
            lines.append(f"| {_name(param)} | {_default(param)} | {_cell(getattr(param, 'help', None) or '')} |")
        lines.append("")
    return lines


def cli_reference() -> str:
    """docs/cli.md: the exit codes, the global options, then every command with every option."""
    import typer

    from jobpipeline import cli

    root = typer.main.get_command(cli.app)
    intro = (cli.__doc__ or "").split("\n\n", 1)[1].strip()
    lines = [
        "# Command reference",
        "",
        "<!-- Generated from the CLI by scripts/gen_docs.py (a test keeps it equal): edit the code, then rerun it. -->",
        "",
        "Every command also prints this with `--help`. Paths default to `seeds/` and `warehouse/jobs.duckdb`,",
        "or the settings in [settings.md](settings.md); an option given on the command line wins.",
        "",
        " ".join(intro.split()),
        "",
        "Global options go before the command (`jobpipeline --debug run`):",
        "",
        "| option | default | what it does |",
        "|---|---|---|",
        *(f"| {_name(p)} | {_default(p)} | {_cell(p.help or '')} |" for p in root.params),
        "",
    ]
    for title, command in _commands():
        lines += _section(title, command)
    return "\n".join(lines).rstrip("\n") + "\n"


def replace_block(text: str, name: str, block: str) -> str:
    """`text` with the lines between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced by `block`."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n?<!-- {name}:end -->)", re.S)
    assert pattern.search(text), f"no {name} block"
    return pattern.sub(lambda m: m.group(1) + block.rstrip("\n") + "\n" + m.group(2).lstrip("\n"), text, count=1)


def generated() -> dict[Path, str]:
    """Every generated file's expected text."""
    from jobpipeline.schema import markdown_reference
    from jobpipeline.settings import settings_table

    settings = DOCS / "settings.md"
    tables = DOCS / "tables.md"
    return {
        DOCS / "cli.md": cli_reference(),
        settings: replace_block(settings.read_text(encoding="utf-8"), "settings", settings_table()),
        tables: replace_block(tables.read_text(encoding="utf-8"), "tables", markdown_reference()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Change nothing; exit 1 if a file is out of date.")
    args = parser.parse_args()
    stale = []
    for path, text in generated().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "rewrote"
    print(f"{verb}: {', '.join(stale)}" if stale else "docs are up to date")
    sys.exit(1 if args.check and stale else 0)


if __name__ == "__main__":
    main()
