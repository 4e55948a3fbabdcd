"""Which reader read a file: a fingerprint of the code and libraries that turn a seed's bytes into rows.

A run reads a file only when its bytes change, so rows parsed by an older jobpipeline stayed as they were
after an upgrade that reads salaries, years or tables better: the warehouse mixed two readings of the same
corpus until every file happened to be edited. `files.reader` records the fingerprint of the reader that
read each file, and a run reads again every file another reader read (once, after an upgrade), as dbt's
`--full-refresh` would, but only when the reading changed.

The fingerprint covers the source of `READER_MODULES` and the versions of `READER_LIBRARIES`: nothing
else decides a file's rows (tests/test_architecture.py checks the list against what read.py and rows.py
import).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

READER_MODULES = (
    "body.py",
    "decode.py",
    "enrich.py",
    "errors.py",
    "front_matter.py",
    "levels.py",
    "models.py",
    "quality.py",
    "read.py",
    "rows.py",
    "salary",
    "schema.py",
    "validate.py",
)
"""The modules (and the one package) whose code turns a seed file into rows and findings."""

READER_LIBRARIES = ("markdown-it-py", "python-frontmatter", "PyYAML", "pydantic")
"""The libraries that parse for them: an upgrade of one may read the same bytes differently."""


@functools.cache
def reader_version() -> str:
    """The fingerprint of this installation's reader (12 hex digits), computed once per process."""
    digest = hashlib.sha256()
    for name in READER_MODULES:
        path = PACKAGE / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(PACKAGE).as_posix().encode())
            try:
                digest.update(source.read_bytes())
            except OSError:  # an installation without sources (a frozen app): its libraries still count
                digest.update(b"no source")
    for library in READER_LIBRARIES:
        digest.update(f"{library}=={_version(library)}".encode())
    return digest.hexdigest()[:12]


def _version(library: str) -> str:
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        return "absent"
