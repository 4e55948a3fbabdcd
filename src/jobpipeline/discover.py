"""The file-system edge: find seed files and read their bytes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobpipeline.errors import ConfigurationError, SeedFileProblem, SeedsUnreadableError
from jobpipeline.models import Finding

SEED_SUFFIXES = (".txt", ".md")
NEAR_SEED_SUFFIXES = {".txt": ".txt", ".md": ".md", ".markdown": ".md", ".mdown": ".md", ".mkd": ".md", ".text": ".txt"}
"""Suffixes (any case) of files that look like articles but are not read, and the seed suffix to rename to."""


def hidden(name: str) -> bool:
    """A file or folder whose name begins with a dot is not content, as MkDocs and Hugo treat it: tools and
    editors keep their own there (.git, .ipynb_checkpoints with JupyterLab's copy of every saved article,
    vim's .a.txt.swp, Emacs's .#a.txt lock link, macOS's ._a.txt on shared drives). Read, a checkpoint copy
    sorted first and took the real article's slug, which was rejected as its duplicate."""
    return name.startswith(".")


IGNORE_FILE = ".jobpipelineignore"
"""In the seeds folder: files and folders that are not articles (a README, drafts, templates), in
.gitignore's syntax. Without it a `README.md` was read as an article on every run, and rejected
(`frontmatter-missing`), and nothing told it from a broken article."""


@dataclass(frozen=True)
class Ignore:
    """The patterns of a seeds folder's IGNORE_FILE (none: nothing is ignored)."""

    spec: Any = None
    """A `pathspec.GitIgnoreSpec` (pathspec: git's own matching rules, `**`, `!` and folder patterns)."""

    def ignores(self, relative: str, *, folder: bool = False) -> bool:
        """Whether the seeds-relative POSIX `relative` (a folder if `folder`) is ignored."""
        return self.spec is not None and bool(self.spec.match_file(relative + "/" if folder else relative))


NOTHING_IGNORED = Ignore()


def load_ignore(root: Path) -> Ignore:
    """The ignore rules of the seeds folder `root` (NOTHING_IGNORED without an IGNORE_FILE).

    A file that cannot be read or holds a pattern that is not valid raises ConfigurationError (one line,
    naming the file and the line): reading on regardless would load what the person meant to leave out."""
    path = root / IGNORE_FILE
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        return NOTHING_IGNORED
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise ConfigurationError(f"{path} cannot be read ({reason}): fix it or remove it") from None
    import pathspec

    try:
        return Ignore(pathspec.GitIgnoreSpec.from_lines(lines))
    except (ValueError, re.error):
        pass
    for number, line in enumerate(lines, 1):  # which line: compiled one by one only when the whole file fails
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, re.error) as exc:
            why = exc.msg if isinstance(exc, re.error) else str(exc)  # not the position in pathspec's regex
            raise ConfigurationError(f"{path}:{number}: {why} (.gitignore syntax): fix the pattern") from None
    raise ConfigurationError(f"{path}: the patterns cannot be read together (.gitignore syntax): fix them")


def is_seed_path(relative: str, ignore: Ignore = NOTHING_IGNORED) -> bool:
    """Whether the seeds-relative POSIX `relative` names a seed file: `*.txt` or `*.md`, nothing hidden,
    nothing the seeds folder's IGNORE_FILE leaves out."""
    parts = relative.split("/")
    return (
        parts[-1].endswith(SEED_SUFFIXES) and not any(hidden(part) for part in parts) and not ignore.ignores(relative)
    )


@dataclass(frozen=True, order=True)
class SeedFile:
    """A seed file as discovery saw it (path relative to the seeds folder, POSIX style)."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Discovery:
    files: list[SeedFile]
    findings: list[Finding]
    unlisted: list[str] = field(default_factory=list)
    """Folders (seeds-relative, POSIX) that could not be listed: what was under them is unknown, not gone."""
    ignore: Ignore = NOTHING_IGNORED
    """The folder's ignore rules, as discovery applied them."""


def discover_seeds(root: Path, *, follow_symlinks: bool = False) -> Discovery:
    """Every `*.txt` and `*.md` under `root`, recursively, in path order; hidden files and folders (a name
    beginning with a dot) are passed over without a word, like the other files that are not seeds.

    Symbolic links are skipped (with a warning) unless `follow_symlinks`: a link can point outside
    the seeds folder or into a loop. A subfolder that cannot be listed (permissions, an unmounted
    share) is named in `unlisted` with a `folder-unreadable` error; the seeds folder itself that
    cannot be listed raises SeedsUnreadableError (there is nothing to go on).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"seeds folder {root} does not exist or is not a folder")
    ignore = NOTHING_IGNORED  # read once the folder itself could be listed (else: SeedsUnreadableError)
    files: list[SeedFile] = []
    findings: list[Finding] = []
    unlisted: list[str] = []
    visited: set[tuple[int, int]] = set()

    def walk(directory: Path) -> None:
        nonlocal ignore
        try:
            stat = directory.stat()
            if (stat.st_dev, stat.st_ino) in visited:
                return
            visited.add((stat.st_dev, stat.st_ino))
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            if directory == root:
                raise SeedsUnreadableError(str(root), exc.strerror or type(exc).__name__) from None
            relative = _relative(root, directory)
            unlisted.append(relative)
            findings.append(folder_unreadable_finding(relative, exc))
            return
        if directory == root:
            ignore = load_ignore(root)
        for entry in entries:
            if hidden(entry.name):
                continue
            path = Path(entry.path)
            relative = _relative(root, path)
            if ignore.spec is not None and ignore.ignores(relative, folder=_points_to_folder(entry)):
                continue
            bad_name = name_not_utf8(relative)
            if bad_name is not None:
                if entry.name.endswith(SEED_SUFFIXES) or _points_to_folder(entry):
                    findings.append(bad_name)
                continue
            try:
                if entry.is_symlink() and not follow_symlinks:
                    folder = _points_to_folder(entry)
                    if entry.name.endswith(SEED_SUFFIXES) or folder:
                        findings.append(
                            Finding(
                                source_path=relative,
                                severity="warning",
                                code="file-symlink-skipped",
                                message=(
                                    "symbolic links inside the seeds folder are not followed (they can reach "
                                    f"outside it): copy the {'folder' if folder else 'file'} in, or point --seeds "
                                    "at it (a seeds folder that is itself a link is read)"
                                ),
                            )
                        )
                    continue
                if entry.is_dir():
                    walk(path)
                elif entry.is_file() and entry.name.endswith(SEED_SUFFIXES):
                    stat = entry.stat()
                    files.append(SeedFile(relative, stat.st_size, stat.st_mtime_ns))
                elif entry.is_file():
                    near = near_seed_finding(relative)
                    if near is not None:
                        findings.append(near)
            except OSError as exc:
                findings.append(unreadable_finding(relative, exc))

    walk(root)
    files.sort()
    return Discovery(files=files, findings=findings, unlisted=sorted(unlisted), ignore=ignore)


def seed_relative(seeds: Path, path: str) -> str:
    """`path` as the seeds-relative POSIX path the pipeline uses.

    Accepts a path relative to the working directory (`seeds/a.txt`), an absolute one, or one
    already relative to the seeds folder (`a.txt`, as events carry them).
    """
    inside = _within(seeds, path)
    return shown_name(inside if inside is not None else Path(path).as_posix().removeprefix("./"))


def _within(seeds: Path, path: str) -> str | None:
    """`path` (relative to the working directory, or absolute) relative to the seeds folder, if it is in it."""
    candidate = Path(path)
    absolute = (candidate if candidate.is_absolute() else Path.cwd() / candidate).resolve()
    try:
        return absolute.relative_to(seeds.resolve()).as_posix()
    except ValueError:
        return None


def outside_seeds(seeds: Path, path: str) -> bool:
    """`path` (relative to the working directory, or absolute) names a file or folder that exists outside the
    seeds folder: not a seed, whatever its name (the pre-commit hook names every *.md of the repository)."""
    # A name not found from here may be seeds-relative (`a.txt`, as events carry them): seed_relative decides.
    return Path(path).exists() and _within(seeds, path) is None


def seed_file_problem(seeds: Path, relative: str, ignore: Ignore | None = None) -> SeedFileProblem | None:
    """Why the seeds-relative `relative` cannot be re-validated (SeedFileNotFoundError's kind), or None.
    (Re-validating a name that is not there used to report success and change nothing.)"""
    if Path(relative).is_absolute():
        return "missing"  # outside the seeds folder
    target = seeds / relative
    if target.is_dir():
        return "folder"
    if not target.is_file():
        return "missing"
    if not is_seed_path(relative):
        return "not-seed"
    return "ignored" if (ignore if ignore is not None else load_ignore(seeds)).ignores(relative) else None


def named_by(path: str, names: frozenset[str]) -> str | None:
    """Which of `names` (seeds-relative, as `seed_relative` gives them) selects the seeds-relative `path`:
    the path itself, the nearest folder above it (`validate seeds/2025` names every file under 2025/), or
    `.` (the seeds folder itself); None when none does. One set lookup per folder level of `path`."""
    if path in names:
        return path
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        folder = "/".join(parts[:depth])
        if folder in names:
            return folder
    return "." if "." in names else None


def shown_name(path: str) -> str:
    """`path` as findings name it: bytes that are not UTF-8 escaped (`latin1_\\xe9\\xff.txt`), so a
    name given on the command line or by a file watcher matches its `file-name-not-utf8` finding."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _points_to_folder(entry: os.DirEntry[str]) -> bool:
    """A link to a folder, or one that cannot be resolved (a loop): both worth a warning, never an error."""
    try:
        return entry.is_dir()
    except OSError:
        return True


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def name_not_utf8(relative: str) -> Finding | None:
    """The `file-name-not-utf8` error when the file or folder `relative` is not named in UTF-8, or None.

    Linux hands back such a name with its bad bytes as lone surrogates (`\\udce9`), which no UTF-8
    writer takes: one of them crashed every run and validate. The finding shows the bytes escaped
    (`latin1_\\xe9\\xff.txt`) and the file (or folder) is skipped, so the rest of the folder loads.
    """
    shown = shown_name(relative)
    if shown != relative:
        return Finding(
            source_path=shown,
            severity="error",
            code="file-name-not-utf8",
            message="the name is not UTF-8 (saved from another system's encoding?), so it was skipped: "
            "rename it with UTF-8 characters",
        )
    return None


def near_seed_finding(relative: str) -> Finding | None:
    """A warning for a file named like an article that is not read (`A.TXT`, `a.markdown`): a folder of
    them loaded nothing and said only "0 files seen". None for any other name.

    >>> near_seed_finding("2025/A.TXT").message.split("; ")[1]
    'rename it `2025/A.txt`, or list it in .jobpipelineignore'
    >>> near_seed_finding("2025/A.csv") is None
    True
    """
    stem, dot, suffix = relative.rpartition(".")
    seed_suffix = NEAR_SEED_SUFFIXES.get(f".{suffix.lower()}") if dot and stem else None
    if seed_suffix is None or relative.endswith(SEED_SUFFIXES):
        return None
    return Finding(
        source_path=relative,
        severity="warning",
        code="file-suffix-not-seed",
        message=f"named like an article but not read: seed files end in .txt or .md; rename it `{stem}{seed_suffix}`, "
        "or list it in .jobpipelineignore",
    )


def unreadable_finding(path: str, exc: OSError) -> Finding:
    """The `file-unreadable` error for an I/O failure on `path`."""
    reason = exc.strerror or type(exc).__name__
    return Finding(
        source_path=path,
        severity="error",
        code="file-unreadable",
        message=f"cannot read the file ({reason}): check it exists and is readable",
    )


def folder_unreadable_finding(path: str, exc: OSError) -> Finding:
    """The `folder-unreadable` error of a subfolder that cannot be listed."""
    reason = exc.strerror or type(exc).__name__
    return Finding(
        source_path=path,
        severity="error",
        code="folder-unreadable",
        message=f"cannot list the folder ({reason}): the files loaded from it keep their last good version "
        "and nothing under it is deleted; check its permissions, or that the share is mounted, and run again",
    )
