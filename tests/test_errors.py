"""Tests for jobpipeline.errors: one module, one root, and every error survives pickling with its fields."""

from __future__ import annotations

import ast
import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobpipeline import errors
from jobpipeline.errors import (
    ArticleError,
    ConfigurationError,
    DatasetNotFoundError,
    DecodeError,
    DuplicateKeyError,
    FlowFailedError,
    FrontMatterError,
    JobpipelineError,
    JSONConstantError,
    OutputExistsError,
    OutputWriteError,
    PublishedSharedError,
    QueryError,
    RunDidNotStop,
    RunInterrupted,
    SeedFileNotFoundError,
    SeedsEmptyError,
    SeedsFolderChangedError,
    SeedsNotFoundError,
    SeedsUnreachableError,
    SeedsUnreadableError,
    ServeBusyError,
    ServerError,
    WarehouseBusyError,
    WarehouseError,
    WarehouseMissingError,
    YAMLGraphError,
)

PACKAGE = Path(errors.__file__).parent

# One instance of every class in errors.py, with every field set to something other than its default.
INSTANCES: list[JobpipelineError] = [
    JobpipelineError("something went wrong: do this"),
    SeedsNotFoundError("/no/such/seeds", is_file=True),
    SeedFileNotFoundError("seeds/2025", "seeds", kind="folder"),
    SeedsEmptyError("/mnt/share/seeds", 30),
    SeedsFolderChangedError("seeds/sub", "/home/u/seeds", 290, 300),
    SeedsUnreachableError("300 of 600 files", "a/b.txt", "cannot read the file (No such file or directory)"),
    SeedsUnreadableError("/mnt/share/seeds", "Permission denied"),
    ConfigurationError("JOBPIPELINE_TASK_RUNNER='x' is not known: use local or dask"),
    OutputExistsError("warehouse/jobs.duckdb", "a jobpipeline report"),
    OutputWriteError("/srv/ro/report.html", "the report", "Permission denied"),
    WarehouseError("/wh/jobs.duckdb", "the folder is read-only: pass --warehouse PATH"),
    WarehouseBusyError("/wh/jobs.duckdb", "pid 4242 on host", 612.5),
    WarehouseMissingError("/wh/jobs.duckdb", above="/home/u/project"),
    PublishedSharedError("/wh/test.duckdb", "jobs.duckdb", "/wh/test/test.duckdb"),
    QueryError("Catalog Error: Table with name nope does not exist!"),
    DatasetNotFoundError("nope", "/wh/published", ["articles", "salary_bands"]),
    ArticleError("file-unreadable", 3, "the file could not be read", "slug"),
    DecodeError("encoding-not-utf8", 7, "byte 12 is not valid UTF-8: save the file as UTF-8"),
    FrontMatterError("frontmatter-duplicate-key", 4, "key `slug` appears more than once: keep one", "slug"),
    DuplicateKeyError("slug", 2),
    JSONConstantError("NaN"),
    YAMLGraphError(5, "a YAML alias (`*name`) refers to a value that contains it: remove the alias"),
    FlowFailedError("ingest", "WarehouseBusyError: warehouse busy"),
    ServerError("prefect server did not answer on http://127.0.0.1:1/api within 90 s"),
    ServeBusyError("/home/u/.prefect", "pid 4242 since 2026-12-06T10:00:00+00:00, seeds /srv/seeds"),
    RunInterrupted(15, True, 7),
    RunDidNotStop(2, 20.0, "/tmp/jobpipeline-stopped-1-x.txt"),
]


def error_classes() -> list[type[BaseException]]:
    """Every exception class defined in errors.py."""
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors.__name__
    ]


def facts(error: BaseException) -> tuple[object, ...]:
    """What a copy of an error must keep: its type, message, args, fields and transient flag."""
    return type(error), str(error), error.args, vars(error), getattr(error, "transient", None)


def raise_it(error: BaseException) -> None:
    """Raise `error` (in a worker process: it crosses the boundary twice, as argument and as result)."""
    raise error


def test_every_class_has_an_instance_in_the_table() -> None:
    """The round-trip table holds exactly one instance of each class in errors.py."""
    assert sorted(type(e).__name__ for e in INSTANCES) == sorted(cls.__name__ for cls in error_classes())


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_class_derives_from_the_root(cls: type[BaseException]) -> None:
    """Every exception in errors.py is a JobpipelineError, so the CLI's one boundary catches it."""
    assert issubclass(cls, JobpipelineError)


@pytest.mark.parametrize("error", INSTANCES, ids=lambda e: type(e).__name__)
def test_pickle_round_trip_keeps_fields_message_and_transient(error: JobpipelineError) -> None:
    """pickle.loads(pickle.dumps(error)) gives the same type, message, args, fields and transient flag."""
    for protocol in range(pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert copy is not error
        assert facts(copy) == facts(error)


def test_only_the_busy_warehouse_is_transient() -> None:
    """Retrying makes sense for a busy warehouse only, and the flag is still there after pickling."""
    transient = {type(e).__name__ for e in INSTANCES if pickle.loads(pickle.dumps(e)).transient}
    assert transient == {"WarehouseBusyError"}


def test_notes_and_extra_attributes_survive() -> None:
    """A note added on the way up and an attribute set after construction are pickled too."""
    error = WarehouseBusyError("/wh", "pid 1", 3.0)
    error.add_note("while loading batch 7")
    error.transient = False  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(error))
    assert copy.__notes__ == ["while loading batch 7"] and copy.transient is False
    assert type(copy).transient is True


def test_article_errors_keep_the_finding_fields() -> None:
    """DecodeError and FrontMatterError carry what read_article turns into a finding."""
    error = pickle.loads(pickle.dumps(FrontMatterError("frontmatter-unclosed", 1, "add a line `---`")))
    assert (error.code, error.line, error.message, error.field, str(error)) == (
        "frontmatter-unclosed",
        1,
        "add a line `---`",
        None,
        "add a line `---`",
    )
    assert isinstance(error, ArticleError) and isinstance(DecodeError("file-empty", None, "x"), ArticleError)


def test_old_import_paths_still_work() -> None:
    """decode and front_matter still export the errors they raise, as the same classes."""
    from jobpipeline.decode import DecodeError as from_decode
    from jobpipeline.front_matter import FrontMatterError as from_front_matter

    assert from_decode is DecodeError and from_front_matter is FrontMatterError


def test_no_exception_class_is_defined_outside_errors() -> None:
    """No module of the package but errors.py defines an exception class."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base).split(".")[-1].endswith(("Error", "Exception")) for base in node.bases
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert found == []


_TEXT = st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.builds(WarehouseBusyError, _TEXT, _TEXT, st.floats(0, 1e6)),
        st.builds(FrontMatterError, _TEXT, st.none() | st.integers(1, 10**6), _TEXT, st.none() | _TEXT),
        st.builds(DecodeError, _TEXT, st.none() | st.integers(1, 10**6), _TEXT),
        st.builds(FlowFailedError, _TEXT, _TEXT),
        st.builds(YAMLGraphError, st.integers(0, 10**6), _TEXT),
    )
)
def test_any_field_values_round_trip(error: JobpipelineError) -> None:
    """Whatever the field values (any text, surrogates included), a pickled copy keeps them all."""
    assert facts(pickle.loads(pickle.dumps(error))) == facts(error)


@pytest.mark.slow
def test_errors_cross_a_process_boundary() -> None:
    """Raised in a worker process (as a batch read would be), each error arrives whole in the parent."""
    context = multiprocessing.get_context("spawn")  # no fork of a threaded test process
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        futures = [(error, pool.submit(raise_it, error)) for error in INSTANCES]
        for error, future in futures:
            received = future.exception(timeout=60)
            assert received is not None and facts(received) == facts(error)
