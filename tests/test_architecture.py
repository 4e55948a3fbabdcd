"""Where things may live: one DuckDB edge, thin Prefect entrypoints, no module state passed into flows."""

from __future__ import annotations

import ast
import re
import textwrap

import pytest
from conftest import ROOT

SRC = ROOT / "src" / "jobpipeline"


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def runtime_imports(source: str) -> set[str]:
    """Every module `source` imports when it runs: top level, inside functions, classes and branches alike
    (a lazy import is still an import); only the body of `if TYPE_CHECKING:` is left out."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            for child in getattr(node, "orelse", []):
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def calls_of(source: str, owner: str) -> set[str]:
    """The `owner.name(...)` calls in `source`, anywhere in it, by name."""
    return {
        node.func.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("import duckdb", {"duckdb"}, id="top-level"),
        pytest.param("def f():\n    import duckdb.typing\n", {"duckdb.typing"}, id="inside-a-function"),
        pytest.param("class C:\n    def m(self):\n        from duckdb import connect\n", {"duckdb"}, id="in-a-method"),
        pytest.param("try:\n    import duckdb\nexcept ImportError:\n    pass\n", {"duckdb"}, id="in-a-try"),
        pytest.param("if TYPE_CHECKING:\n    import duckdb\n", set(), id="type-checking-only"),
        pytest.param("if TYPE_CHECKING:\n    pass\nelse:\n    import duckdb\n", {"duckdb"}, id="type-checking-else"),
        pytest.param("from . import duckdb", set(), id="relative"),
    ],
)
def test_runtime_imports_sees_every_import(source: str, expected: set[str]) -> None:
    """The scan the boundary tests use finds imports wherever they are written, not only at the top."""
    assert runtime_imports(textwrap.dedent(source)) == expected


def test_only_the_warehouse_module_opens_duckdb() -> None:
    """No module but warehouse.py imports DuckDB at run time (anywhere in it) or opens a connection."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "warehouse.py":
            continue
        text = path.read_text(encoding="utf-8")
        imports = {name for name in runtime_imports(text) if name == "duckdb" or name.startswith("duckdb.")}
        if imports or "connect" in calls_of(text, "duckdb"):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_flow_entrypoints_are_a_few_lines() -> None:
    """flows/ only re-exports the flows that prefect.yaml names; they live in the package."""
    for path in (ROOT / "flows").glob("*.py"):
        code = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith(("#", '"""'))
        ]
        assert len(code) <= 5, path
        assert all("jobpipeline.orchestration" in line or "__all__" in line for line in code), path


def test_no_module_global_feeds_the_flows() -> None:
    """Nothing assigns into the orchestration modules from outside (state reaches flows as parameters or
    through a context variable set around the call)."""
    pattern = re.compile(r"\b(flows|orchestration\.\w+|flows_ingest)\.[A-Z_]+\s*=[^=]")
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in list(SRC.rglob("*.py")) + list(ROOT.glob("tests/*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_cli_leaves_the_route_choice_to_routes() -> None:
    """cli.py parses, calls and prints: whether work runs locally, as a flow run, or as an event for a
    served deployment is decided in orchestration/routes.py, and records come back typed."""
    source = (SRC / "cli.py").read_text(encoding="utf-8")
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    names |= {node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)}
    route_pieces = {"prefect_api", "run_ingest_flow", "run_enrich_flow", "served_revalidation", "FlowSession"}
    assert not names & route_pieces, sorted(names & route_pieces)
    assert not re.search(r"""record\[["']""", source), "read records by attribute (jobpipeline.records)"


def test_the_reader_fingerprint_covers_every_module_that_reads() -> None:
    """`reader_version` hashes READER_MODULES: every jobpipeline module that read.py and rows.py import, at
    any depth, must be among them, or a change there would not make runs read files again."""
    from jobpipeline.reader_version import READER_MODULES

    def module_file(name: str) -> str:
        relative = name.removeprefix("jobpipeline.").split(".")[0]
        return relative if (SRC / relative).is_dir() else f"{relative}.py"

    seen: set[str] = set()
    todo = ["read.py", "rows.py"]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        sources = sorted((SRC / current).rglob("*.py")) if (SRC / current).is_dir() else [SRC / current]
        for source in sources:
            for name in runtime_imports(source.read_text(encoding="utf-8")):
                if name.startswith("jobpipeline.") and name != "jobpipeline.reader_version":
                    todo.append(module_file(name))
    assert seen <= set(READER_MODULES), sorted(seen - set(READER_MODULES))
