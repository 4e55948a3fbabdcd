"""The examples in the library's docstrings run, and print what they say they print.

A test rather than `--doctest-modules`: `jobpipeline.orchestration` is a namespace package (no
`__init__.py`), so pytest's rootdir-based import would load `orchestration/dask.py` as a top-level
`dask` and break `distributed`. Here each module is imported by its dotted name, as users import it.
"""

from __future__ import annotations

import doctest
import importlib

import pytest
from conftest import ROOT

SRC = ROOT / "src"


def modules_with_examples() -> list[str]:
    """Modules whose source holds a `>>>` example, by dotted name (`__init__` stands for its package)."""
    names = []
    for path in sorted((SRC / "jobpipeline").rglob("*.py")):
        if ">>> " not in path.read_text(encoding="utf-8"):
            continue  # importing it would run nothing
        parts = path.relative_to(SRC).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_examples_are_found() -> None:
    """The scan finds the modules that document themselves with examples (a broken scan runs nothing)."""
    found = modules_with_examples()
    assert {"jobpipeline.salary", "jobpipeline.levels", "jobpipeline.decode"} <= set(found), found


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples(name: str) -> None:
    """Each example in the module's docstrings gives the output written under it."""
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0, f"{name} has `>>> ` in its source but no example doctest runs"
    assert failed == 0, f"{failed} of {attempted} examples in {name} failed (doctest printed them above)"
