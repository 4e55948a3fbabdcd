"""Watch a seeds folder and hand each debounced burst of changes to a callback.

The callback does the work (re-validate in this process, or emit an event for a deployment);
this module only turns file-system noise into sorted lists of seed paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISDIR
from threading import Event

from jobpipeline.discover import NOTHING_IGNORED, SEED_SUFFIXES, discover_seeds, is_seed_path, load_ignore, shown_name
from jobpipeline.errors import JobpipelineError
from jobpipeline.models import one_line


def seed_paths(changes: Iterable[tuple[object, str]], root: Path) -> list[str]:
    """Relative POSIX paths of changed seed files (`*.txt`, `*.md`, nothing hidden: what discovery
    lists) under `root`, sorted, unique."""
    resolved = root.resolve()
    try:
        ignore = load_ignore(root)
    except JobpipelineError:
        ignore = NOTHING_IGNORED  # the re-validation itself says what is wrong with the file
    paths: set[str] = set()
    for _, raw in changes:
        path = Path(raw)
        if not path.name.endswith(SEED_SUFFIXES):
            continue  # most events (a checkout's .git/objects, editors' temp files): no resolve for them
        try:
            relative = path.resolve().relative_to(resolved).as_posix()
        except ValueError:
            continue
        if is_seed_path(relative, ignore):
            paths.add(shown_name(relative))
    return sorted(paths)


FolderIdentity = tuple[int, int]
"""(device, inode) of the watched folder: a folder moved away keeps it, a new one at the path has another."""

COME_BACK_POLL_SECONDS = 0.25
"""How often a watch whose folder is gone looks for a folder at its path again."""


def folder_identity(root: Path) -> FolderIdentity | None:
    """The folder at `root` now (through a symlink, as the watch sees it); None: no folder there."""
    try:
        stat = root.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino) if S_ISDIR(stat.st_mode) else None


def all_seed_paths(root: Path) -> list[str]:
    """Every seed file's relative path under `root` now, as discovery lists them (shown names)."""
    try:
        discovery = discover_seeds(root)
    except (OSError, JobpipelineError):
        return []
    return [shown_name(seed.path) for seed in discovery.files]


def folder_note(root: Path, there: bool) -> str:
    """What a watch says when its folder goes (`there` False) or a folder is at its path again."""
    name = one_line(shown_name(str(root)))
    if there:
        return f"seeds folder {name} is there again: watching it, re-validating every seed file in it"
    return (
        f"seeds folder {name} was moved, deleted or replaced: waiting for a folder there "
        "(the warehouse keeps its articles)"
    )


POLL_DELAY_MS = 300
"""How often a watch the system refused inotify watches looks at the folder's files (a save is still
seen within about a second, with the debounce)."""


def polling_note(refusal: BaseException) -> str:
    """What a watch says when the system refuses it inotify watches, and what raises the limit.

    >>> polling_note(RuntimeError("Error creating recommended watcher: Too many open files (os error 24)"))[:60]
    'the system allows no more inotify instances (fs.inotify.max_'
    """
    text = str(refusal)
    if "Too many open files" in text:
        what, setting, value = "no more inotify instances", "fs.inotify.max_user_instances", "1024"
    elif "watch limit" in text or "No space left on device" in text:
        what, setting, value = "no more inotify watches", "fs.inotify.max_user_watches", "524288"
    else:
        what, setting, value = f"no file-system notifications ({one_line(text)[:120]})", "", ""
    raise_it = f"; for notice at once raise the limit: `sudo sysctl {setting}={value}`" if setting else ""
    return (
        f"the system allows {what} ({setting or 'inotify'}): polling the seeds folder every {POLL_DELAY_MS} ms "
        f"instead{raise_it}"
    )


def watch_seeds(
    root: Path,
    on_change: Callable[[list[str], float], None],
    *,
    debounce_ms: int = 400,
    stop: Event | None = None,
    on_ready: Callable[[], None] | None = None,
    on_folder: Callable[[bool], None] | None = None,
    on_polling: Callable[[str], None] | None = None,
) -> None:
    """Call `on_change(paths, first_seen)` for each burst of saves until `stop` is set (or Ctrl-C).

    `first_seen` is the monotonic time the burst was first noticed, so callers can report the
    seconds from a save to its findings.

    The watch follows a folder, not a path: moved away (`mv seeds seeds.old`), deleted, or replaced by
    a new one (`rm -rf seeds` and a fresh checkout or unzip), it would go on watching the old folder
    and say nothing while saves went to the new one. So the folder at `root` is checked at every tick:
    when it is not the one watched, `on_folder(False)` is called and the watch waits for a folder at
    `root`; when there is one, `on_folder(True)`, every seed file in it goes to `on_change` (what
    changed meanwhile is unknown), and the watch goes on there.

    When the system refuses inotify (a tree with more folders than fs.inotify.max_user_watches allows, or
    no inotify instance left), `on_polling(note)` is called and the watch polls the folder instead.
    """
    import watchfiles

    ready = False
    polling = False
    watched = folder_identity(root)
    list_all = False  # the folder is new to this watch: what changed in it meanwhile is unknown
    while True:
        if watched is None:
            if on_folder is not None:
                on_folder(False)
            while watched is None:
                if stop is not None and stop.wait(COME_BACK_POLL_SECONDS):
                    return
                if stop is None:
                    time.sleep(COME_BACK_POLL_SECONDS)
                watched = folder_identity(root)
            if on_folder is not None:
                on_folder(True)
            list_all = True
        # An empty yield after the timeout means the watcher is running: only then say "watching" (or list a
        # new folder), or a save made just before the watcher started could go unseen.
        bursts = watchfiles.watch(
            root,
            debounce=debounce_ms,
            step=50,
            stop_event=stop,
            rust_timeout=200,
            yield_on_timeout=True,
            force_polling=polling or None,
            poll_delay_ms=POLL_DELAY_MS,
        )
        while True:
            try:
                changes = next(bursts)
            except StopIteration:
                return  # stopped
            except FileNotFoundError:
                watched = None  # gone between the look and the watcher's start
                break
            except (OSError, RuntimeError) as exc:  # RuntimeError: watchfiles' own, for inotify_init's EMFILE
                if folder_identity(root) != watched:
                    watched = None
                    break
                if polling:
                    raise
                polling = True
                if on_polling is not None:
                    on_polling(polling_note(exc))
                list_all = ready  # refused mid-watch: what changed while it switched is unknown
                break
            if not ready:
                ready = True
                if on_ready is not None:
                    on_ready()
            if folder_identity(root) != watched:
                watched = None  # these changes (if any) were made in the old folder
                break
            noticed = time.monotonic()
            paths = seed_paths(changes, root)
            if list_all:
                list_all = False
                paths = sorted(set(paths) | set(all_seed_paths(root)))
            if paths:
                on_change(paths, noticed)
