"""Where things may live: one DuckDB edge, thin Prefect entrypoints, no module state passed into flows."""

from __future__ import annotations

import re

from conftest import ROOT

SRC = ROOT / "src" / "jobpipeline"


def test_only_the_warehouse_module_opens_duckdb() -> None:
    """No module but warehouse.py imports DuckDB at run time or opens a connection."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "warehouse.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^(import duckdb|from duckdb)", text, re.M) or "duckdb.connect(" in text:
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
