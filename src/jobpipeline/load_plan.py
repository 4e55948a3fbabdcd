"""The rules of a load, with no I/O: what changed, who owns each slug, what is kept, what leaves.

The warehouse edge reads its state into these values (`KnownFile`, `KnownArticle`), the read
stage adds what it staged, and these functions decide; the edge then writes the decisions. Every
rule here has a table-driven test in tests/test_load_plan.py.

- **Change plan** (`plan_changes`): a discovered file is new, suspect (size or mtime moved: read it
  and compare hashes), unchanged or deleted. A re-validation of given paths looks at those alone,
  and always hashes them. Also suspect whatever size and mtime say: every file with `verify`, and a
  "racily clean" file (git's rule: its mtime was not safely older than the moment it was read, so a
  same-size save in the same timestamp tick would look unchanged; `is_racy`).
  A known file under a folder that could not be listed is not deleted: it is present but unlisted.
- **Unlisted files** (`decide(unlisted=...)`): they count as files that no longer read, so their
  slugs are kept as last known good until the folder lists again (then they are restored).
- **Slug ownership** (`decide`): the file whose article is loaded keeps its slug; otherwise the earliest
  path among readable files claiming it owns it; the others are duplicates (`validate.check_corpus`). A
  copy saved beside a loaded article never takes its slug, whatever its name.
- **Last known good**: a slug whose file now fails to read (and does not claim another slug) keeps
  its rows with `is_current` false; when the unchanged file reads again it is restored.
- **Deletions**: a slug nobody owns any more and that is not kept leaves the current tables.
- **Another folder** (`deletions_from_another_folder`): a whole-folder run from another seeds folder than
  the last run's, that would delete most of the known files, stops unless told the folder is new.
- **An empty listing** (`refuses_empty_listing`): a whole-folder run that lists no seed file while the
  warehouse knows files from it stops instead of deleting them all, unless told the folder is empty
  on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobpipeline.discover import SeedFile
from jobpipeline.models import Finding
from jobpipeline.rows import FileVersion
from jobpipeline.validate import CorpusCheck, CorpusEntry, check_corpus

RACY_NS = 2 * 10**9
"""An mtime less than this before the read is not trusted: 1-second timestamps (ext4 with 128-byte
inodes, many network mounts) and FAT's 2-second ones cannot tell a later save from the one read."""

ACCEPTED = "accepted"
REJECTED = "rejected"
DUPLICATE = "duplicate"
STAGED_STATUS = REJECTED
"""The status a freshly read file is written with until `decide` says otherwise."""


@dataclass(frozen=True)
class KnownFile(FileVersion):
    """What the warehouse remembers of a seed file: the version last read, and its status."""

    status: str = ""


@dataclass(frozen=True)
class KnownArticle:
    """An article in the current tables: which file version provides it, and whether that file reads."""

    slug: str
    source_path: str
    content_hash: str
    is_current: bool


@dataclass(frozen=True)
class ChangePlan:
    """What discovery found, compared with what the warehouse remembers."""

    present: list[str]
    new: list[str]
    suspect: list[str]
    """Known files whose size or mtime changed: read and hash them to know."""
    unchanged: list[str]
    deleted: list[str]
    unlisted: list[str] = field(default_factory=list)
    """Known files under a folder that could not be listed: present (never deleted) but unreadable."""
    stale: list[str] = field(default_factory=list)
    """Known files another reader read (`files.reader`: an older jobpipeline): parse them again, whatever
    their size, mtime and hash say."""

    @property
    def to_read(self) -> list[str]:
        return sorted(self.new + self.suspect + self.stale)


def refuses_empty_listing(listed: int, unlisted: int, known: int, *, allow_empty: bool) -> bool:
    """Whether a whole-folder run must stop before deleting everything: the folder lists no seed file
    (and no folder it could not list), the warehouse knows files from it, and no `allow_empty`.

    An unmounted share shows as its empty mount point, a checkout of the wrong branch or a sync still
    under way as an empty folder: committed, the run removed every article and published empty
    datasets (the history kept them, but every reader saw none until the folder came back). Deleting
    some files is ordinary; deleting all of them at once is asked for explicitly (`--allow-empty`)."""
    return listed == 0 and unlisted == 0 and known > 0 and not allow_empty


def deletions_from_another_folder(
    last_seeds: str, seeds: str, listed: Iterable[str], known: Iterable[str], *, allow: bool
) -> int:
    """How many known files a whole-folder run would delete because it reads another seeds folder than the
    warehouse's last run did, when that is most of them; 0 when the run may go on.

    `--seeds seeds/0000` (a subfolder, tab completion) or `--seeds ~/other-site` removed every article the
    folder lacked and published the rest, with the quality checks failing only after the commit. A folder
    that moved (`/a/seeds` to `/b/seeds`, same files) deletes nothing and goes on; deleting some files from
    the same folder is ordinary; replacing the warehouse's folder is asked for explicitly (`--new-seeds`).

    >>> deletions_from_another_folder("/a/seeds", "/a/seeds/0000", ["x.txt"], ["x.txt", "y.txt", "z.txt"], allow=False)
    2
    >>> deletions_from_another_folder("/a/seeds", "/b/seeds", ["x.txt", "y.txt"], ["x.txt", "y.txt"], allow=False)
    0
    """
    known_files = set(known)
    if allow or not last_seeds or last_seeds == seeds or not known_files:
        return 0
    missing = len(known_files - set(listed))
    return missing if missing * 2 > len(known_files) else 0


def plan_changes(
    files: Sequence[SeedFile],
    known: Mapping[str, FileVersion],
    only: set[str] | None = None,
    *,
    unlisted: Sequence[str] = (),
    verify: bool = False,
    reader: str | None = None,
) -> ChangePlan:
    """Compare discovered files with the warehouse's `files` table (size + mtime fast path).

    With `only` (re-validation of given paths), other files count as unchanged without a look, and
    the given ones are hashed whatever their size and mtime. `unlisted`: folders discovery could not
    list; the known files under them are not deleted. `verify`: hash every known file (after a
    restore or a copy that kept mtimes). A racy file (`is_racy`) is hashed again too. `reader`: this
    run's reader (`reader_version`); a known file another reader read is stale, parsed again.
    """
    present: list[str] = []
    new: list[str] = []
    suspect: list[str] = []
    stale: list[str] = []
    unchanged: list[str] = []
    for f in files:
        previous = known.get(f.path)
        if only is not None and f.path not in only:
            if previous is not None:  # a new file outside `only` waits for the next full run
                present.append(f.path)
                unchanged.append(f.path)
            continue
        present.append(f.path)
        if previous is None:
            new.append(f.path)
        elif reader is not None and previous.reader != reader:
            stale.append(f.path)
        elif (previous.size, previous.mtime_ns) != (f.size, f.mtime_ns) or _hash_anyway(previous, verify, only):
            suspect.append(f.path)
        else:
            unchanged.append(f.path)
    present_set = set(present)
    missing = sorted(p for p in known if p not in present_set and (only is None or p in only))
    hidden = [p for p in missing if under_any(p, unlisted)]
    deleted = [p for p in missing if not under_any(p, unlisted)]
    if hidden:
        present_set.update(hidden)
        present = sorted(present_set)
    if only is not None:
        # Files outside `only` that vanished are still present as far as this re-validation knows.
        present = sorted(present_set | {p for p in known if p not in present_set and p not in only})
    return ChangePlan(
        present=present, new=new, suspect=suspect, unchanged=unchanged, deleted=deleted, unlisted=hidden, stale=stale
    )


def _hash_anyway(previous: FileVersion, verify: bool, only: set[str] | None) -> bool:
    """Read a known file even though its size and mtime match: --verify, a named path, a racy one."""
    return verify or only is not None or is_racy(previous)


def is_racy(previous: FileVersion) -> bool:
    """Whether the recorded size and mtime may hide a later save (git's "racily clean" entries).

    A save after the read in the same timestamp tick, of the same size, leaves both unchanged. That
    can only happen when the recorded mtime is within RACY_NS of the read; such a file is hashed
    again until a read happens safely after its mtime. Never recorded (None): hashed once.
    """
    return previous.read_ns is None or previous.mtime_ns >= previous.read_ns - RACY_NS


def under_any(path: str, folders: Sequence[str]) -> bool:
    """`path` lies inside one of `folders` (seeds-relative POSIX paths)."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)


@dataclass(frozen=True)
class Ownership:
    """Who provides each slug after this run, and what must change in the current tables."""

    corpus: CorpusCheck
    replace: dict[str, str]
    """slug -> source path whose staged rows replace the slug's rows."""
    remove: set[str]
    """Slugs leaving the current tables (file deleted, or it now claims another slug)."""
    keep_last_good: set[str]
    """Slugs whose file is now broken: rows stay, `is_current` false."""
    newly_broken: set[str]
    """The subset of keep_last_good that was current before this run (report it loudly)."""
    restored: set[str]
    """Slugs kept as last known good before whose unchanged owner is fine again."""
    reparse: list[str]
    """Unchanged files that now own a slug but whose rows were never loaded (parse them, stage, retry)."""
    statuses: dict[str, str]
    """source path -> accepted | rejected | duplicate, for every present file."""

    @property
    def gone(self) -> list[str]:
        """Slugs whose current rows are deleted: replaced by staged rows, or removed."""
        return sorted(set(self.replace) | self.remove)

    @property
    def files_rejected(self) -> int:
        return sum(1 for status in self.statuses.values() if status != ACCEPTED)


def decide(
    present: Iterable[str],
    known: Mapping[str, FileVersion],
    staged: Mapping[str, FileVersion],
    articles: Mapping[str, KnownArticle],
    check: Callable[..., CorpusCheck] = check_corpus,
    *,
    unlisted: Iterable[str] = (),
    titles: Callable[[], Mapping[str, str]] | None = None,
) -> Ownership:
    """Decide slug ownership across the corpus and what each current slug becomes.

    `known` is what the warehouse remembered before this run, `staged` what this run read (it wins),
    `articles` the current articles table, `unlisted` the known files under folders that could not
    be listed (they count as files that no longer read: their slugs are kept, not removed), `titles` gives
    the title of each file's article when a link dangles (one that names a job is told the job's slug).
    """
    state = {path: staged.get(path) or known[path] for path in present if path in staged or path in known}
    for path in unlisted:
        if path in state and path not in staged:
            state[path] = dataclasses.replace(state[path], parse_ok=False)
    entries = [
        CorpusEntry(p, f.claimed_slug, f.related_jobs, f.related_lines, f.slug_line)
        for p, f in state.items()
        if f.parse_ok and f.claimed_slug
    ]
    incumbents = {slug: article.source_path for slug, article in articles.items()}
    owners = check(entries, incumbents=incumbents).owners
    replace: dict[str, str] = {}
    reparse: list[str] = []
    restored: set[str] = set()
    for slug, path in owners.items():
        current = articles.get(slug)
        if path in staged:
            replace[slug] = path
        elif current is not None and (current.source_path, current.content_hash) == (path, state[path].content_hash):
            if not current.is_current:
                restored.add(slug)
        else:
            reparse.append(path)
    remove: set[str] = set()
    keep: set[str] = set()
    for slug, current in articles.items():
        if slug in owners:
            continue
        now = state.get(current.source_path)
        if now is not None and not now.parse_ok and now.claimed_slug in (None, slug):
            keep.add(slug)
        else:
            remove.add(slug)
    broken: dict[str, str] = {}
    for path, f in sorted(state.items()):
        if not f.parse_ok and f.claimed_slug:
            broken.setdefault(f.claimed_slug, path)
    corpus = check(entries, also_known=keep, broken=broken, titles=titles, incumbents=incumbents)
    losers = corpus.losers
    statuses: dict[str, str] = {}
    for path, f in state.items():
        if path in losers:
            statuses[path] = DUPLICATE
        elif f.parse_ok and owners.get(f.claimed_slug or "") == path:
            statuses[path] = ACCEPTED
        else:
            statuses[path] = REJECTED
    return Ownership(
        corpus=corpus,
        replace=replace,
        remove=remove,
        keep_last_good=keep,
        newly_broken={s for s in keep if articles[s].is_current},
        restored=restored,
        reparse=sorted(reparse),
        statuses=statuses,
    )


def status_changes(
    ownership: Ownership, known: Mapping[str, KnownFile], staged: Iterable[str]
) -> list[tuple[str, str]]:
    """(path, status) for every file whose status as written differs from the decided one.

    Staged files are written as STAGED_STATUS; the others keep the status the warehouse had.
    """
    fresh = set(staged)
    written = {
        p: STAGED_STATUS if p in fresh else (known[p].status if p in known else None) for p in ownership.statuses
    }
    return [(p, s) for p, s in ownership.statuses.items() if written[p] != s]


def kept_findings(keep_last_good: Iterable[str], articles: Mapping[str, KnownArticle]) -> list[Finding]:
    """The `kept-last-known-good` notice of each slug served from its last good version."""
    findings: list[Finding] = []
    for slug in sorted(keep_last_good):
        article = articles[slug]
        findings.append(
            Finding(
                source_path=article.source_path,
                slug=slug,
                severity="warning",
                code="kept-last-known-good",
                message=f"the file no longer reads, so `{slug}` keeps its last good version "
                f"(sha256 {article.content_hash[:12]}): fix the errors above to update it",
            )
        )
    return findings


@dataclass(frozen=True)
class LoadDecision:
    """Everything the warehouse writes for a run, decided before it writes anything."""

    ownership: Ownership
    deleted: list[str]
    """Files gone since the last run: their `files` row and findings leave."""
    status_changes: list[tuple[str, str]]
    """(path, status) of files whose status changes."""
    findings: list[Finding]
    """Findings beyond each file's own: corpus-wide, discovery, and last-known-good notices."""


def plan_load(
    ownership: Ownership,
    deleted: Sequence[str],
    known: Mapping[str, KnownFile],
    staged: Iterable[str],
    articles: Mapping[str, KnownArticle],
    discovery_findings: Sequence[Finding],
) -> LoadDecision:
    """The full decision of a load, from the ownership decided over the corpus."""
    return LoadDecision(
        ownership=ownership,
        deleted=list(deleted),
        status_changes=status_changes(ownership, known, staged),
        findings=[*ownership.corpus.findings, *discovery_findings, *kept_findings(ownership.keep_last_good, articles)],
    )


@dataclass(frozen=True)
class LoadResult:
    """What a load wrote: the counts a run reports and records."""

    run_id: int
    articles_loaded: int
    articles_removed: int
    kept_last_good: list[str]
    newly_broken: list[str]
    files_rejected: int
    errors: int
    warnings: int


def run_status(files_rejected: int) -> str:
    """`runs.status`: ok, or ok_with_rejections when any file was rejected."""
    return "ok_with_rejections" if files_rejected else "ok"


@dataclass(frozen=True)
class RunCounts:
    """What the change plan and the read found, as the `runs` row and the summary count them."""

    seen: int
    new: int
    changed: int
    unchanged: int
    deleted: int
    reread: int = 0
    """Files read again because another reader had read them, whose bytes had not changed (in `unchanged`)."""


def run_counts(plan: ChangePlan, seen: int, touched: int, reread: int = 0) -> RunCounts:
    """Counts of a run: `touched` files were suspect but hashed to the bytes already loaded; `reread` stale
    files were parsed again with the bytes already loaded (`reread_unchanged`)."""
    return RunCounts(
        seen=seen,
        new=len(plan.new),
        changed=len(plan.to_read) - touched - reread,
        unchanged=len(plan.unchanged) + touched + reread,
        deleted=len(plan.deleted),
        reread=reread,
    )


def reread_unchanged(stale: Iterable[str], known: Mapping[str, FileVersion], staged: Mapping[str, FileVersion]) -> int:
    """How many stale files, parsed again, had the bytes the warehouse already had (not an edit)."""
    return sum(
        1
        for path in stale
        if path in staged and path in known and staged[path].content_hash == known[path].content_hash
    )


def run_row(counts: RunCounts, load: LoadResult, **fields: Any) -> dict[str, Any]:
    """The `runs` row of a run (without run_id and finished_at, stamped when it is written).

    `fields` are started_at, trigger, seeds_dir, stage_seconds and flow_run_id.
    """
    return {
        **fields,
        "status": run_status(load.files_rejected),
        "files_seen": counts.seen,
        "files_new": counts.new,
        "files_changed": counts.changed,
        "files_unchanged": counts.unchanged,
        "files_deleted": counts.deleted,
        "files_rejected": load.files_rejected,
        "articles_loaded": load.articles_loaded,
        "articles_removed": load.articles_removed,
        "articles_kept_last_good": len(load.kept_last_good),
        "errors": load.errors,
        "warnings": load.warnings,
    }
