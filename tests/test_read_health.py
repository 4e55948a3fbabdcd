"""An unreachable seeds folder is an infrastructure failure, not a corpus of broken files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_article
from helpers import rows, run_local

from jobpipeline import batches
from jobpipeline.batches import FileContents, ReadHealth
from jobpipeline.errors import SeedsUnreachableError
from jobpipeline.models import Finding
from jobpipeline.rows import Batch


def batch(readable: int, unreadable: int) -> tuple[Batch, int]:
    findings = [
        Finding(source_path=f"u{i}.txt", severity="error", code="file-unreadable", message="cannot read")
        for i in range(unreadable)
    ]
    return Batch(findings=findings), readable + unreadable


@pytest.mark.parametrize(
    ("batches_seen", "fails"),
    [
        ([(5, 0)], False),  # all readable
        ([(4, 1)], False),  # one bad file is bad input
        ([(1, 0)], False),
        ([(0, 1)], False),  # a single file gone between discovery and reading
        ([(0, 2)], True),  # every file of a batch: the folder is not there
        ([(3, 0), (0, 3)], True),
        ([(2, 1), (1, 2)], False),  # 3 of 6: half is not more than half
        ([(2, 2), (0, 1), (1, 1)], True),  # 4 of 7
        ([(1, 1), (1, 1)], False),  # 2 of 4
        ([(0, 1), (1, 0), (0, 1), (0, 1)], True),  # 3 of 4, in batches of one
    ],
)
def test_read_health_rules(batches_seen: list[tuple[int, int]], fails: bool) -> None:
    """A batch none of whose (two or more) files opened, or more than half of a run's files, fails the run."""
    health = ReadHealth()

    def feed() -> None:
        for readable, unreadable in batches_seen:
            health.add(*batch(readable, unreadable))
        health.finish()

    if fails:
        with pytest.raises(SeedsUnreachableError, match="nothing was committed"):
            feed()
    else:
        feed()


@pytest.mark.parametrize(
    ("unlisted", "corpus", "read", "fails"),
    [
        (20, 100, (0, 0), False),  # one locked folder of 20 in 100: kept, the run goes on
        (20, 20, (0, 0), True),  # every file of the folder is under folders that cannot be listed
        (50, 100, (0, 0), False),  # half is not more than half
        (49, 100, (1, 2), True),  # with the files that did not open, more than half is lost
        (3, 3, (0, 0), False),  # too few files to call it an outage
        (0, 100, (5, 0), False),
    ],
)
def test_unlisted_files_count_in_the_unreadable_majority(
    unlisted: int, corpus: int, read: tuple[int, int], fails: bool
) -> None:
    """Known files under folders that cannot be listed count as unreadable against the whole folder (issue 16.2)."""
    health = ReadHealth()
    folder = Finding(source_path="sub", severity="error", code="folder-unreadable", message="cannot list")
    health.add_unlisted(unlisted, corpus, [folder])
    if read != (0, 0):
        health.add(*batch(*read))
    if fails:
        with pytest.raises(SeedsUnreachableError, match="nothing was committed"):
            health.finish()
    else:
        health.finish()


def test_unreachable_folder_fails_the_run_and_keeps_the_warehouse(
    seeds_dir: Path, tmp_path: Path, write_seed: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the storage under the seeds stops answering, the run fails with one line, commits nothing
    and marks no article as last known good."""
    warehouse = tmp_path / "wh" / "jobs.duckdb"
    for index in range(4):
        write_seed(f"{index}.txt", make_article(f"job_{index}"))
    run_local(seeds_dir, warehouse)
    for index in range(4):  # every file changed, so every file is read again
        write_seed(f"{index}.txt", make_article(f"job_{index}", related=["job_0"]))
    monkeypatch.setattr(batches, "read_contents", lambda path: FileContents(error=OSError(5, "Input/output error")))

    from helpers import cli

    result = cli("run", "--local", "--seeds", str(seeds_dir), "--warehouse", str(warehouse))
    assert result.exit_code == 2
    assert "could not be opened where the read batches ran" in result.output
    assert rows(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    assert rows(warehouse, "SELECT count(*) FROM articles WHERE is_current") == [(4,)]
    assert rows(warehouse, "SELECT count(*) FROM related_job_links") == [(0,)]
