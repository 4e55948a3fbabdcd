"""One settings object: every JOBPIPELINE_* variable, its default, and the docs/settings.md table made from it."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from jobpipeline.errors import ConfigurationError
from jobpipeline.settings import LOCK_WAIT_SECONDS, Settings, get_settings, settings_table


def test_docs_settings_table_is_generated_from_the_class() -> None:
    """The settings table of docs/settings.md is exactly what `settings_table()` makes."""
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert match is not None
    assert match.group(1) == settings_table()


def test_no_module_reads_jobpipeline_variables_itself() -> None:
    """Only settings.py reads JOBPIPELINE_* from the environment (faults.py's test hooks aside)."""
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "src").rglob("*.py")
        if re.search(r"environ(\.get)?\W+[\"']JOBPIPELINE_", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("JOBPIPELINE_LOCK_WAIT_SECONDS", "30", "lock_wait_seconds", 30.0),
        ("JOBPIPELINE_PREFECT_SERVER", "ephemeral", "prefect_server", "ephemeral"),
        ("JOBPIPELINE_TASK_RUNNER", "dask", "task_runner", "dask"),
        ("JOBPIPELINE_SERVER_PORT", "4300", "server_port", 4300),
    ],
)
def test_variables_set_fields(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    """Each variable sets its field."""
    monkeypatch.setenv(variable, value)
    assert getattr(get_settings(), field) == expected


def test_defaults_are_written_once() -> None:
    """The lock wait default is one constant, used by the settings and the flows alike."""
    from jobpipeline.orchestration.flows import ingest_flow, revalidate_flow

    assert Settings().lock_wait_seconds == LOCK_WAIT_SECONDS
    for flow in (ingest_flow, revalidate_flow):
        assert flow.fn.__defaults__ is not None and LOCK_WAIT_SECONDS in flow.fn.__defaults__


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JOBPIPELINE_TASK_RUNNER", "spark"),
        ("JOBPIPELINE_LOCK_WAIT_SECONDS", "-1"),
        ("JOBPIPELINE_PREFECT_SERVER", "cloud"),
    ],
)
def test_a_bad_value_is_one_configuration_error(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    """A value the settings cannot use names the variable and the value."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"{variable}={value!r}"):
        get_settings()
