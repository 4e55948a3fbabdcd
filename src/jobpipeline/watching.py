"""Watch a seeds folder and hand each debounced burst of changes to a callback.

The callback does the work (re-validate in this process, or emit an event for a deployment);
this module only turns file-system noise into sorted lists of seed paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from threading import Event

from jobpipeline.discover import SEED_SUFFIXES, is_seed_path, shown_name


def seed_paths(changes: Iterable[tuple[object, str]], root: Path) -> list[str]:
    """Relative POSIX paths of changed seed files (`*.txt`, `*.md`, nothing hidden: what discovery
    lists) under `root`, sorted, unique."""
    resolved = root.resolve()
    paths: set[str] = set()
    for _, raw in changes:
        path = Path(raw)
        if not path.name.endswith(SEED_SUFFIXES):
            continue  # most events (a checkout's .git/objects, editors' temp files): no resolve for them
        try:
            relative = path.resolve().relative_to(resolved).as_posix()
        except ValueError:
            continue
        if is_seed_path(relative):
            paths.add(shown_name(relative))
    return sorted(paths)


def watch_seeds(
    root: Path,
    on_change: Callable[[list[str], float], None],
    *,
    debounce_ms: int = 400,
    stop: Event | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Call `on_change(paths, first_seen)` for each burst of saves until `stop` is set (or Ctrl-C).

    `first_seen` is the monotonic time the burst was first noticed, so callers can report the
    seconds from a save to its findings.
    """
    from watchfiles import watch

    ready = False
    # An empty yield after the timeout means the watcher is running: only then say "watching", or a
    # save made right after that line could go unseen.
    for changes in watch(root, debounce=debounce_ms, step=50, stop_event=stop, rust_timeout=200, yield_on_timeout=True):
        if not ready:
            ready = True
            if on_ready is not None:
                on_ready()
        if not changes:
            continue
        noticed = time.monotonic()
        paths = seed_paths(changes, root)
        if paths:
            on_change(paths, noticed)
