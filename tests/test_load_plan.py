"""The rules of a load on the pure model (jobpipeline.load_plan): no files, no DuckDB."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from jobpipeline.discover import SeedFile
from jobpipeline.load_plan import (
    RACY_NS,
    ChangePlan,
    KnownArticle,
    KnownFile,
    LoadResult,
    decide,
    deletions_from_another_folder,
    is_racy,
    kept_findings,
    plan_changes,
    plan_load,
    refuses_empty_listing,
    reread_unchanged,
    run_counts,
    run_row,
    run_status,
    status_changes,
)
from jobpipeline.models import Finding


def known(
    path: str,
    slug: str | None = None,
    *,
    size: int = 10,
    mtime: int = 1,
    digest: str | None = None,
    ok: bool = True,
    related: tuple[str, ...] = (),
    status: str = "accepted",
    read_ns: int | None = 10**12,
    reader: str | None = "r1",
) -> KnownFile:
    """A file version as the warehouse (or this run's read) records it (read long after its mtime: not racy)."""
    return KnownFile(
        source_path=path,
        size=size,
        mtime_ns=mtime,
        content_hash=digest or f"h-{path}",
        claimed_slug=slug,
        slug_line=2 if slug else None,
        parse_ok=ok,
        related_jobs=related,
        related_lines=tuple(range(3, 3 + len(related))),
        status=status,
        read_ns=read_ns,
        reader=reader,
    )


def broken(path: str, slug: str | None = None, digest: str | None = None) -> KnownFile:
    """A file that no longer reads (invalid JSON: no slug is readable unless given)."""
    return known(path, slug, ok=False, digest=digest or f"broken-{path}", status="rejected")


def article(slug: str, path: str, *, digest: str | None = None, current: bool = True) -> KnownArticle:
    return KnownArticle(slug, path, digest or f"h-{path}", current)


# ------------------------------------------------------------------------------------------------ change plan


def seed(path: str, size: int = 10, mtime: int = 1) -> SeedFile:
    return SeedFile(path, size, mtime)


PLAN_CASES = [
    pytest.param([seed("a")], {}, None, ChangePlan(["a"], ["a"], [], [], []), id="new-file"),
    pytest.param([seed("a")], {"a": known("a")}, None, ChangePlan(["a"], [], [], ["a"], []), id="unchanged"),
    pytest.param(
        [seed("a", size=11)], {"a": known("a")}, None, ChangePlan(["a"], [], ["a"], [], []), id="size-moved-is-suspect"
    ),
    pytest.param(
        [seed("a", mtime=2)], {"a": known("a")}, None, ChangePlan(["a"], [], ["a"], [], []), id="mtime-moved-is-suspect"
    ),
    pytest.param([], {"a": known("a")}, None, ChangePlan([], [], [], [], ["a"]), id="deleted"),
    pytest.param(
        [seed("a"), seed("b")],
        {"a": known("a")},
        {"a"},
        ChangePlan(["a"], [], ["a"], [], []),
        id="only-ignores-new-files-outside",
    ),
    pytest.param(
        [seed("a", size=99), seed("b", size=99)],
        {"a": known("a"), "b": known("b")},
        {"a"},
        ChangePlan(["a", "b"], [], ["a"], ["b"], []),
        id="only-does-not-look-at-others",
    ),
    pytest.param(
        [seed("a")],
        {"a": known("a"), "b": known("b")},
        {"a"},
        ChangePlan(["a", "b"], [], ["a"], [], []),
        id="only-keeps-vanished-others-present",
    ),
    pytest.param(
        [],
        {"a": known("a"), "b": known("b")},
        {"a"},
        ChangePlan(["b"], [], [], [], ["a"]),
        id="only-deletes-a-given-path",
    ),
    pytest.param([seed("c")], {}, {"c", "gone"}, ChangePlan(["c"], ["c"], [], [], []), id="only-new-given-path-is-new"),
]


@pytest.mark.parametrize(("files", "remembered", "only", "expected"), PLAN_CASES)
def test_plan_changes(
    files: list[SeedFile], remembered: dict[str, KnownFile], only: set[str] | None, expected: ChangePlan
) -> None:
    """Discovery against the `files` table: new, suspect (size or mtime moved), unchanged, deleted."""
    assert plan_changes(files, remembered, only) == expected


READER_CASES = [
    pytest.param({"a": known("a")}, None, ChangePlan(["a"], [], [], ["a"], []), id="same-reader-is-unchanged"),
    pytest.param(
        {"a": known("a", reader="r0")},
        None,
        ChangePlan(["a"], [], [], [], [], stale=["a"]),
        id="another-reader-is-stale",
    ),
    pytest.param(
        {"a": known("a", reader=None)},
        None,
        ChangePlan(["a"], [], [], [], [], stale=["a"]),
        id="never-recorded-reader-is-stale",
    ),
    pytest.param(
        {"a": known("a", reader="r0", size=11)},
        None,
        ChangePlan(["a"], [], [], [], [], stale=["a"]),
        id="moved-and-another-reader-is-stale-not-suspect",
    ),
    pytest.param(
        {"a": known("a", reader="r0"), "b": known("b", reader="r0")},
        {"b"},
        ChangePlan(["a", "b"], [], [], ["a"], [], stale=["b"]),
        id="revalidation-re-reads-only-the-named-stale-file",
    ),
]


@pytest.mark.parametrize(("remembered", "only", "expected"), READER_CASES)
def test_plan_changes_reads_again_what_another_reader_read(
    remembered: dict[str, KnownFile], only: set[str] | None, expected: ChangePlan
) -> None:
    """A file an older jobpipeline read (`files.reader`) is parsed again, whatever its size, mtime and hash."""
    files = [seed(path) for path in sorted(remembered)]
    plan = plan_changes(files, remembered, only, reader="r1")
    assert plan == expected
    assert set(expected.stale) <= set(plan.to_read)
    # Without a reader to compare (the rule switched off), nothing is stale.
    assert plan_changes(files, remembered, only).stale == []


@pytest.mark.parametrize(
    ("stale", "staged", "expected"),
    [
        pytest.param(["a"], {"a": known("a")}, 1, id="same-bytes-is-a-reread"),
        pytest.param(["a"], {"a": known("a", digest="edited")}, 0, id="new-bytes-is-a-change"),
        pytest.param(["a"], {}, 0, id="not-staged"),
        pytest.param([], {"a": known("a")}, 0, id="not-stale"),
    ],
)
def test_reread_unchanged(stale: list[str], staged: dict[str, KnownFile], expected: int) -> None:
    """A stale file whose bytes are the ones loaded counts as unchanged (read again), not as changed."""
    remembered = {"a": known("a", reader="r0")}
    assert reread_unchanged(stale, remembered, staged) == expected
    plan = ChangePlan(["a"], [], [], [], [], stale=list(stale))
    counts = run_counts(plan, 1, 0, expected)
    assert (counts.changed, counts.unchanged, counts.reread) == (len(stale) - expected, expected, expected)


UNLISTED_CASES = [
    pytest.param(
        [seed("a")],
        {"a": known("a"), "sub/b": known("sub/b")},
        None,
        ["sub"],
        ChangePlan(["a", "sub/b"], [], [], ["a"], [], ["sub/b"]),
        id="known-file-under-unlisted-folder-is-present-not-deleted",
    ),
    pytest.param(
        [],
        {"sub/deep/b": known("sub/deep/b"), "subway/c": known("subway/c")},
        None,
        ["sub"],
        ChangePlan(["sub/deep/b"], [], [], [], ["subway/c"], ["sub/deep/b"]),
        id="nested-files-are-kept-a-sibling-with-the-same-prefix-is-deleted",
    ),
    pytest.param(
        [seed("sub/ok/x")],
        {"sub/ok/x": known("sub/ok/x"), "sub/locked/y": known("sub/locked/y")},
        None,
        ["sub/locked"],
        ChangePlan(["sub/locked/y", "sub/ok/x"], [], [], ["sub/ok/x"], [], ["sub/locked/y"]),
        id="only-the-unlisted-subtree-is-kept",
    ),
    pytest.param(
        [seed("a")],
        {"a": known("a"), "sub/b": known("sub/b")},
        {"sub/b"},
        ["sub"],
        ChangePlan(["a", "sub/b"], [], [], ["a"], [], ["sub/b"]),
        id="revalidating-a-file-under-an-unlisted-folder-keeps-it",
    ),
]


@pytest.mark.parametrize(("files", "remembered", "only", "unlisted", "expected"), UNLISTED_CASES)
def test_plan_changes_never_deletes_under_an_unlisted_folder(
    files: list[SeedFile],
    remembered: dict[str, KnownFile],
    only: set[str] | None,
    unlisted: list[str],
    expected: ChangePlan,
) -> None:
    """A known file under a folder discovery could not list is present but unlisted, never deleted (issue 16.2)."""
    assert plan_changes(files, remembered, only, unlisted=unlisted) == expected


SECOND = 10**9
HASH_ANYWAY_CASES = [
    pytest.param(
        known("a", mtime=100 * SECOND, read_ns=100 * SECOND + RACY_NS + 1), False, None, False, id="read-safely-later"
    ),
    pytest.param(
        known("a", mtime=100 * SECOND, read_ns=100 * SECOND + RACY_NS), False, None, True, id="racy-within-2s"
    ),
    pytest.param(known("a", mtime=100 * SECOND, read_ns=100 * SECOND), False, None, True, id="racy-same-instant"),
    pytest.param(
        known("a", mtime=101 * SECOND, read_ns=100 * SECOND), False, None, True, id="racy-mtime-after-the-read"
    ),
    pytest.param(known("a", read_ns=None), False, None, True, id="never-recorded-read-is-hashed-once"),
    pytest.param(known("a"), True, None, True, id="verify-hashes-every-file"),
    pytest.param(known("a"), False, {"a"}, True, id="revalidate-hashes-the-named-file"),
    pytest.param(known("a"), False, {"b"}, False, id="revalidate-does-not-look-at-others"),
]


@pytest.mark.parametrize(("remembered", "verify", "only", "hashed"), HASH_ANYWAY_CASES)
def test_plan_hashes_files_whose_size_and_mtime_cannot_be_trusted(
    remembered: KnownFile, verify: bool, only: set[str] | None, hashed: bool
) -> None:
    """Same size and mtime: hashed anyway when racy, with --verify, or named by a re-validation (issue 16.4)."""
    plan = plan_changes(
        [seed("a", size=remembered.size, mtime=remembered.mtime_ns)], {"a": remembered}, only, verify=verify
    )
    assert (plan.suspect == ["a"]) is hashed, plan
    assert plan.deleted == [] and plan.new == []


@pytest.mark.parametrize(
    ("listed", "unlisted", "known", "allow_empty", "refused"),
    [
        (0, 0, 30, False, True),  # an unmounted share's empty mount point, a wrong checkout: stop
        (0, 0, 30, True, False),  # `--allow-empty`: the person means it
        (0, 0, 0, False, False),  # a first run over an empty folder deletes nothing
        (1, 0, 30, False, False),  # deleting 29 of 30 is ordinary (the article-count-drop check says so)
        (0, 1, 30, False, False),  # a folder it could not list: its files are kept, not deleted
    ],
)
def test_refuses_empty_listing(listed: int, unlisted: int, known: int, allow_empty: bool, refused: bool) -> None:
    assert refuses_empty_listing(listed, unlisted, known, allow_empty=allow_empty) is refused


@pytest.mark.parametrize(
    ("last", "now", "listed", "known", "allow", "deleted"),
    [
        pytest.param("/s", "/s/sub", ["b"], ["a", "d", "sub/b"], False, 3, id="a-subfolder-would-delete-all"),
        pytest.param("/s", "/other", ["a", "x"], ["a", "b", "c"], False, 2, id="another-folder-lacking-most"),
        pytest.param("/s", "/other", ["a", "b"], ["a", "b", "c"], False, 0, id="another-folder-lacking-a-few"),
        pytest.param("/s", "/moved", ["a", "b", "c"], ["a", "b", "c"], False, 0, id="a-moved-folder"),
        pytest.param("/s", "/s", [], ["a", "b"], False, 0, id="the-same-folder-is-the-empty-rules"),
        pytest.param("", "/s", [], ["a", "b"], False, 0, id="no-run-recorded-a-folder"),
        pytest.param("/s", "/other", [], [], False, 0, id="an-empty-warehouse"),
        pytest.param("/s", "/other", [], ["a", "b"], True, 0, id="new-seeds-allows-it"),
    ],
)
def test_deletions_from_another_folder(
    last: str, now: str, listed: list[str], known: list[str], allow: bool, deleted: int
) -> None:
    assert deletions_from_another_folder(last, now, listed, known, allow=allow) == deleted


def test_racy_is_mtime_not_safely_older_than_the_read() -> None:
    """The racily-clean rule compares the recorded mtime with the recorded read, 2 s apart at least."""
    assert is_racy(known("a", mtime=5 * SECOND, read_ns=6 * SECOND))
    assert not is_racy(known("a", mtime=5 * SECOND, read_ns=8 * SECOND))


def test_to_read_is_new_and_suspect_in_path_order() -> None:
    """A run reads new and suspect files, in path order."""
    assert ChangePlan(["a", "b", "c"], ["c"], ["a"], ["b"], []).to_read == ["a", "c"]


# ------------------------------------------------------------------------------------------------ ownership


@dataclass
class Case:
    """A corpus state before decide(), and what it must decide."""

    present: list[str]
    known: dict[str, KnownFile]
    staged: dict[str, KnownFile]
    articles: dict[str, KnownArticle]
    replace: dict[str, str] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)
    keep: set[str] = field(default_factory=set)
    newly_broken: set[str] = field(default_factory=set)
    restored: set[str] = field(default_factory=set)
    reparse: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)


OWNERSHIP_CASES = [
    pytest.param(
        Case(["a"], {}, {"a": known("a", "alpha")}, {}, replace={"alpha": "a"}, statuses={"a": "accepted"}),
        id="new-file-loads",
    ),
    pytest.param(
        Case(["a"], {"a": known("a", "alpha")}, {}, {"alpha": article("alpha", "a")}, statuses={"a": "accepted"}),
        id="unchanged-owner-changes-nothing",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha")},
            {"a": known("a", "alpha", digest="v2")},
            {"alpha": article("alpha", "a")},
            replace={"alpha": "a"},
            statuses={"a": "accepted"},
        ),
        id="edited-owner-replaces-its-rows",
    ),
    pytest.param(
        Case(
            ["a", "b"],
            {},
            {"a": known("a", "same"), "b": known("b", "same")},
            {},
            replace={"same": "a"},
            statuses={"a": "accepted", "b": "duplicate"},
        ),
        id="earliest-path-owns-a-shared-slug",
    ),
    pytest.param(
        Case(
            ["b", "a"],
            {},
            {"b": known("b", "same"), "a": known("a", "same")},
            {},
            replace={"same": "a"},
            statuses={"a": "accepted", "b": "duplicate"},
        ),
        id="ownership-ignores-the-order-given",
    ),
    pytest.param(
        Case(
            ["b"],
            {"a": known("a", "same"), "b": known("b", "same", status="duplicate")},
            {},
            {"same": article("same", "a")},
            reparse=["b"],
            statuses={"b": "accepted"},
        ),
        id="loser-whose-winner-left-is-reparsed",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha")},
            {"a": broken("a")},
            {"alpha": article("alpha", "a")},
            keep={"alpha"},
            newly_broken={"alpha"},
            statuses={"a": "rejected"},
        ),
        id="broken-file-keeps-last-known-good",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": broken("a")},
            {"a": broken("a", digest="worse")},
            {"alpha": article("alpha", "a", current=False)},
            keep={"alpha"},
            statuses={"a": "rejected"},
        ),
        id="still-broken-is-kept-but-not-newly",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha")},
            {"a": broken("a", "alpha")},
            {"alpha": article("alpha", "a")},
            keep={"alpha"},
            newly_broken={"alpha"},
            statuses={"a": "rejected"},
        ),
        id="broken-file-still-naming-its-slug-is-kept",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha")},
            {"a": broken("a", "other")},
            {"alpha": article("alpha", "a")},
            remove={"alpha"},
            statuses={"a": "rejected"},
        ),
        id="broken-file-naming-another-slug-removes-the-old",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": broken("a")},
            {},
            {"alpha": article("alpha", "a", current=False)},
            keep={"alpha"},
            statuses={"a": "rejected"},
        ),
        id="unchanged-broken-stays-kept",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha", status="rejected")},
            {},
            {"alpha": article("alpha", "a", current=False)},
            restored={"alpha"},
            statuses={"a": "accepted"},
        ),
        id="unchanged-good-again-is-restored",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": broken("a")},
            {"a": known("a", "alpha")},
            {"alpha": article("alpha", "a", current=False)},
            replace={"alpha": "a"},
            statuses={"a": "accepted"},
        ),
        id="fixed-file-replaces-last-known-good",
    ),
    pytest.param(
        Case([], {"a": known("a", "alpha")}, {}, {"alpha": article("alpha", "a")}, remove={"alpha"}),
        id="deleted-file-removes-its-article",
    ),
    pytest.param(
        Case([], {"a": broken("a")}, {}, {"alpha": article("alpha", "a", current=False)}, remove={"alpha"}),
        id="deleted-kept-file-removes-its-article",
    ),
    pytest.param(
        Case(
            ["a"],
            {"a": known("a", "alpha")},
            {"a": known("a", "beta", digest="v2")},
            {"alpha": article("alpha", "a")},
            replace={"beta": "a"},
            remove={"alpha"},
            statuses={"a": "accepted"},
        ),
        id="renamed-slug-removes-old-and-loads-new",
    ),
    pytest.param(
        Case(
            ["b"],
            {"a": known("a", "alpha")},
            {"b": known("b", "alpha")},
            {"alpha": article("alpha", "a")},
            replace={"alpha": "b"},
            statuses={"b": "accepted"},
        ),
        id="file-renamed-moves-the-slug",
    ),
    pytest.param(
        Case(
            ["a", "b"],
            {"b": known("b", "alpha")},
            {"a": known("a", "alpha")},
            {"alpha": article("alpha", "b")},
            statuses={"a": "duplicate", "b": "accepted"},
        ),
        # A copy saved beside a loaded article (`mlops のコピー.txt` sorts before `mlops.txt`) took its slug and
        # replaced its rows; the original was told to "delete the copy".
        id="a-loaded-owner-keeps-its-slug-from-an-earlier-newcomer",
    ),
    pytest.param(
        Case(
            ["a", "b"],
            {"b": known("b", "alpha")},
            {"a": known("a", "alpha"), "b": known("b", "alpha", digest="v2")},
            {"alpha": article("alpha", "b")},
            replace={"alpha": "b"},
            statuses={"a": "duplicate", "b": "accepted"},
        ),
        id="a-loaded-owner-edited-beside-a-copy-keeps-its-slug",
    ),
    pytest.param(
        Case(
            ["a", "b"],
            {"b": known("b", "alpha")},
            {"a": known("a", "alpha"), "b": broken("b", "alpha")},
            {"alpha": article("alpha", "b")},
            replace={"alpha": "a"},
            statuses={"a": "accepted", "b": "rejected"},
        ),
        id="a-claimant-takes-the-slug-when-the-loaded-owner-no-longer-reads",
    ),
    pytest.param(
        Case(["a"], {}, {"a": known("a", "alpha", ok=False)}, {}, statuses={"a": "rejected"}),
        id="new-invalid-file-loads-nothing",
    ),
    pytest.param(Case(["a"], {}, {"a": broken("a")}, {}, statuses={"a": "rejected"}), id="new-broken-file-is-rejected"),
]


@pytest.mark.parametrize("case", OWNERSHIP_CASES)
def test_decide(case: Case) -> None:
    """Slug ownership, last known good, restoration, deletions and statuses, rule by rule."""
    decided = decide(case.present, case.known, case.staged, case.articles)
    assert decided.replace == case.replace
    assert decided.remove == case.remove
    assert decided.keep_last_good == case.keep
    assert decided.newly_broken == case.newly_broken
    assert decided.restored == case.restored
    assert decided.reparse == case.reparse
    assert decided.statuses == case.statuses
    assert decided.gone == sorted(set(case.replace) | case.remove)


UNLISTED_OWNERSHIP_CASES = [
    pytest.param(
        Case(
            ["a", "sub/b"],
            {"a": known("a", "alpha"), "sub/b": known("sub/b", "beta")},
            {},
            {"alpha": article("alpha", "a"), "beta": article("beta", "sub/b")},
            keep={"beta"},
            newly_broken={"beta"},
            statuses={"a": "accepted", "sub/b": "rejected"},
        ),
        id="unlisted-owner-keeps-last-known-good",
    ),
    pytest.param(
        Case(
            ["sub/b"],
            {"sub/b": known("sub/b", "beta", status="rejected")},
            {},
            {"beta": article("beta", "sub/b", current=False)},
            keep={"beta"},
            statuses={"sub/b": "rejected"},
        ),
        id="still-unlisted-stays-kept-not-newly",
    ),
    pytest.param(
        Case(
            ["a", "sub/b"],
            {"a": known("a", "alpha", related=("beta",)), "sub/b": known("sub/b", "beta")},
            {"a": known("a", "alpha", digest="v2", related=("beta",))},
            {"alpha": article("alpha", "a"), "beta": article("beta", "sub/b")},
            replace={"alpha": "a"},
            keep={"beta"},
            newly_broken={"beta"},
            statuses={"a": "accepted", "sub/b": "rejected"},
        ),
        id="others-still-load-beside-an-unlisted-folder",
    ),
]


@pytest.mark.parametrize("case", UNLISTED_OWNERSHIP_CASES)
def test_decide_keeps_unlisted_files_as_last_known_good(case: Case) -> None:
    """Known files under a folder that could not be listed count as files that no longer read (issue 16.2)."""
    unlisted = [p for p in case.present if p.startswith("sub/")]
    decided = decide(case.present, case.known, case.staged, case.articles, unlisted=unlisted)
    assert decided.replace == case.replace
    assert decided.remove == case.remove
    assert decided.keep_last_good == case.keep
    assert decided.newly_broken == case.newly_broken
    assert decided.restored == case.restored
    assert decided.statuses == case.statuses
    assert not [f for f in decided.corpus.findings if f.code == "related-dangling"]


def test_unlisted_folder_listing_again_restores_its_articles() -> None:
    """Once the folder lists again, its unchanged files are restored from the kept rows (nothing re-read)."""
    decided = decide(
        ["sub/b"],
        {"sub/b": known("sub/b", "beta", status="rejected")},
        {},
        {"beta": article("beta", "sub/b", current=False)},
    )
    assert (decided.restored, decided.keep_last_good, decided.reparse) == ({"beta"}, set(), [])
    assert decided.statuses == {"sub/b": "accepted"}


def test_links_to_a_kept_article_are_not_dangling() -> None:
    """A related job naming a slug kept as last known good resolves; one naming nothing is dangling."""
    decided = decide(
        ["a", "b"],
        {"a": known("a", "alpha"), "b": known("b", "beta")},
        {"a": broken("a"), "b": known("b", "beta", digest="v2", related=("alpha", "nobody"))},
        {"alpha": article("alpha", "a"), "beta": article("beta", "b")},
    )
    assert [(f.code, f.field) for f in decided.corpus.findings] == [("related-dangling", "related_jobs[1]")]


def test_duplicate_finding_says_the_loaded_owner_keeps_the_slug() -> None:
    """A newcomer claiming a loaded article's slug is the duplicate, told why and to delete it if it is a copy."""
    decided = decide(["a", "b"], {"b": known("b", "same")}, {"a": known("a", "same")}, {"same": article("same", "b")})
    [finding] = decided.corpus.findings
    assert (finding.source_path, finding.code) == ("a", "slug-duplicate")
    assert "used by b, whose article the warehouse holds, and it keeps it" in finding.message
    assert "delete this file if it is a copy" in finding.message


def test_duplicate_finding_names_the_owner() -> None:
    """The loser of a shared slug gets one slug-duplicate error that names the file keeping it."""
    decided = decide(["a", "b"], {}, {"a": known("a", "same"), "b": known("b", "same")}, {})
    [finding] = decided.corpus.findings
    assert (finding.source_path, finding.code, finding.severity) == ("b", "slug-duplicate", "error")
    assert "used by a" in finding.message


# ------------------------------------------------------------------------------------------------ what gets written


@pytest.mark.parametrize(
    ("statuses", "remembered", "staged", "expected"),
    [
        pytest.param({"a": "accepted"}, {}, ["a"], [("a", "accepted")], id="staged-accepted-is-written"),
        pytest.param({"a": "rejected"}, {}, ["a"], [], id="staged-rejected-is-already-right"),
        pytest.param({"a": "accepted"}, {"a": known("a", "alpha")}, [], [], id="unchanged-status-untouched"),
        pytest.param(
            {"b": "accepted"},
            {"b": known("b", "x", status="duplicate")},
            [],
            [("b", "accepted")],
            id="unchanged-file-whose-status-moved",
        ),
    ],
)
def test_status_changes(
    statuses: dict[str, str], remembered: dict[str, KnownFile], staged: list[str], expected: list[tuple[str, str]]
) -> None:
    """Only statuses that differ from what is written are updated (staged files are written rejected)."""
    decided = decide([], {}, {}, {})
    decided = type(decided)(**{**decided.__dict__, "statuses": statuses})
    assert status_changes(decided, remembered, staged) == expected


def test_kept_findings_name_the_version_kept() -> None:
    """Each kept slug gets a kept-last-known-good warning with its file and the hash it is served from."""
    [finding] = kept_findings({"alpha"}, {"alpha": article("alpha", "a.txt", digest="0123456789abcdef")})
    assert (finding.source_path, finding.slug, finding.severity, finding.code) == (
        "a.txt",
        "alpha",
        "warning",
        "kept-last-known-good",
    )
    assert "0123456789ab" in finding.message


def test_plan_load_gathers_every_extra_finding() -> None:
    """The decision carries corpus findings, then discovery findings, then last-known-good notices."""
    articles = {"alpha": article("alpha", "a"), "beta": article("beta", "b")}
    decided = decide(
        ["a", "b", "c"],
        {"a": known("a", "alpha"), "b": known("b", "beta")},
        {"a": broken("a"), "c": known("c", "beta")},
        articles,
    )
    discovery = Finding(source_path="link.txt", severity="warning", code="file-symlink-skipped", message="m")
    decision = plan_load(
        decided, ["gone.txt"], {"a": known("a", "alpha"), "b": known("b", "beta")}, ["a", "c"], articles, [discovery]
    )
    assert [f.code for f in decision.findings] == ["slug-duplicate", "file-symlink-skipped", "kept-last-known-good"]
    assert decision.deleted == ["gone.txt"]
    assert decision.status_changes == [("c", "duplicate")]


@pytest.mark.parametrize(("rejected", "status"), [(0, "ok"), (1, "ok_with_rejections"), (7, "ok_with_rejections")])
def test_run_status(rejected: int, status: str) -> None:
    """A run with any rejected file says so in its status."""
    assert run_status(rejected) == status


def test_run_counts_move_touched_files_to_unchanged() -> None:
    """Suspect files whose bytes hash the same count as unchanged, not changed."""
    plan = ChangePlan(["a", "b", "c", "d"], ["a"], ["b", "c"], ["d"], ["e"])
    counts = run_counts(plan, seen=4, touched=1)
    assert (counts.seen, counts.new, counts.changed, counts.unchanged, counts.deleted) == (4, 1, 2, 2, 1)
    row = run_row(counts, LoadResult(3, 2, 1, ["k"], [], 1, 1, 0), trigger="cli")
    assert row["status"] == "ok_with_rejections" and row["articles_kept_last_good"] == 1
    assert row["files_changed"] == 2 and row["trigger"] == "cli"
