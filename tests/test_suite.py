"""The test suite's own machinery: environment restored after each test, bounded waits, and one verdict
for a missing capability (skip on a developer's machine, fail in CI)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import kept_environment
from helpers import lacking, read_line


def test_kept_environment_puts_back_set_changed_and_removed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables added, changed or removed inside the block are as before once it exits."""
    monkeypatch.setenv("JOBPIPELINE_SUITE_CHANGED", "before")
    monkeypatch.setenv("JOBPIPELINE_SUITE_REMOVED", "kept")
    monkeypatch.delenv("JOBPIPELINE_SUITE_ADDED", raising=False)
    with kept_environment():
        os.environ["JOBPIPELINE_SUITE_ADDED"] = "leak"
        os.environ["JOBPIPELINE_SUITE_CHANGED"] = "after"
        del os.environ["JOBPIPELINE_SUITE_REMOVED"]
    assert "JOBPIPELINE_SUITE_ADDED" not in os.environ
    assert os.environ["JOBPIPELINE_SUITE_CHANGED"] == "before"
    assert os.environ["JOBPIPELINE_SUITE_REMOVED"] == "kept"


def test_in_process_cli_leaves_no_prefect_variable_behind() -> None:
    """What the in-process CLI sets before importing Prefect (`quiet_prefect`) is gone after the block, as the
    autouse `restore_environment` fixture does after every test."""
    from jobpipeline.orchestration.launch import quiet_prefect

    before = dict(os.environ)
    with kept_environment():
        os.environ.pop("PREFECT_SERVER_LOGGING_LEVEL", None)
        quiet_prefect()
        assert os.environ["PREFECT_SERVER_LOGGING_LEVEL"] == "WARNING"
    assert dict(os.environ) == before


def test_read_line_gives_up_at_its_deadline() -> None:
    """A process that never writes a line fails the wait after its timeout, and is killed, instead of
    blocking the reader for as long as the process lives."""
    silent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(AssertionError, match="no line on stderr within"):
            read_line(silent, timeout=0.5)
        assert silent.wait(10) != 0  # killed, not left sleeping
    finally:
        silent.kill()
        silent.wait()


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [
        pytest.param("true", pytest.fail.Exception, id="ci-fails"),
        pytest.param("", pytest.skip.Exception, id="locally-skips"),
    ],
)
def test_a_missing_capability_fails_in_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    """`lacking` fails the test when CI=true and skips it otherwise, naming what is missing either way."""
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium"):
        lacking("chromium on PATH")


def test_a_script_that_imports_the_tests_builders_leaves_no_prefect_home() -> None:
    """benchmarks/pathological.py imports the tests' corpus builders, so conftest: each run left an empty
    /tmp/jobpipeline-test-prefect-* folder behind (118 had piled up here)."""
    from conftest import ROOT

    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, 'tests'); import conftest; print(conftest.SESSION_PREFECT_HOME)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    home = done.stdout.strip()
    assert home and not os.path.exists(home), home
