"""Every exception of the project: one root, each error keeping its context as attributes.

`transient` tells the orchestrator what is worth retrying (a busy warehouse) from what is not
(bad input, a full disk, a read-only folder).

Errors cross process and Dask boundaries (a batch read in a worker, a flow's failure on the
server), so each one survives `pickle.loads(pickle.dumps(error))` with its message, its fields and
its transient flag. Python pickles an exception as `type(error)(*error.args)`, which breaks as soon
as a constructor takes fields instead of the message; the root pickles the message and the fields
instead and never calls the constructor again.
"""

from __future__ import annotations

import signal
from typing import Any, ClassVar, Literal

SeedFileProblem = Literal["missing", "folder", "not-seed", "ignored"]
"""Why a path named on the command line is not a seed file (SeedFileNotFoundError's `kind`)."""


def _restore(cls: type[JobpipelineError], args: tuple[Any, ...], state: dict[str, Any]) -> JobpipelineError:
    """Rebuild a pickled error without calling its constructor (see the module docstring)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class JobpipelineError(Exception):
    """Root of the project's errors. `str(error)` is one line that says what to do."""

    transient: ClassVar[bool] = False

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


# -- the run's environment --------------------------------------------------------------------------


class SeedsNotFoundError(JobpipelineError):
    """The seeds folder is missing, or is a file (`--seeds seeds/a.txt`): say which, the fixes differ."""

    def __init__(self, path: str, *, is_file: bool = False, above: str | None = None) -> None:
        problem = "is a file, not a folder" if is_file else "does not exist"
        above = None if is_file else above
        fix = (
            f"run from {above}, which has it, or pass --seeds DIR"
            if above
            else "pass --seeds DIR or set JOBPIPELINE_SEEDS"
        )
        super().__init__(f"seeds folder {path} {problem}: {fix}")
        self.path = path
        self.is_file = is_file
        self.above = above
        """A folder above the current one that has `path` (the command was run from a subfolder)."""


class SeedFileNotFoundError(JobpipelineError):
    """A path named on the command line (`revalidate PATH`) that is not a seed file of the seeds folder:
    `kind` says why, the fixes differ: missing, a folder (`revalidate seeds/2025`), or a file that is not
    a seed (`notes.csv`, a hidden `.draft.txt`)."""

    def __init__(self, path: str, seeds: str, *, kind: SeedFileProblem = "missing") -> None:
        if kind == "folder":
            message = (
                f"{path} is a folder: name the files to re-validate (`jobpipeline revalidate {path}/*.txt`), "
                "or `jobpipeline run` for the whole seeds folder"
            )
        elif kind == "ignored":
            message = f"{path} is ignored by the seeds folder's .jobpipelineignore: it is not an article"
        elif kind == "not-seed":
            message = (
                f"{path} is not a seed file (seed files are *.txt or *.md, and names beginning with a dot are "
                "passed over): name a seed file"
            )
        else:
            message = (
                f"{path}: no such file in the seeds folder {seeds} - check the path (relative to the current "
                "folder, or to --seeds); `jobpipeline run` drops the articles of deleted files"
            )
        super().__init__(message)
        self.path = path
        self.seeds = seeds
        self.kind = kind


class SeedsFolderChangedError(JobpipelineError):
    """A whole-folder run from another seeds folder would delete most articles
    (load_plan.deletions_from_another_folder)."""

    def __init__(self, path: str, last: str, missing: int, known: int) -> None:
        super().__init__(
            f"seeds folder {path} is not the one this warehouse was built from ({last}): it lacks {missing} of "
            f"the warehouse's {known} files, and this run would delete their articles: pass --seeds {last}, or "
            "give this folder a warehouse of its own (--warehouse); to make it this warehouse's seeds folder, run "
            "again with --new-seeds; nothing was committed"
        )
        self.path = path
        self.last = last
        self.missing = missing
        self.known = known


class SeedsEmptyError(JobpipelineError):
    """A whole-folder run found no seed file where the warehouse knows some (load_plan.refuses_empty_listing)."""

    def __init__(self, path: str, known: int) -> None:
        super().__init__(
            f"seeds folder {path} lists no seed file (*.txt or *.md) but the warehouse has {known} "
            f"{'file' if known == 1 else 'files'} from it: "
            "if it is a mount, check that it is mounted (or the branch, or the sync); to delete every article, "
            "run again with --allow-empty; nothing was committed"
        )
        self.path = path
        self.known = known


class SeedsUnreadableError(JobpipelineError):
    """The seeds folder exists but cannot be listed: no run can tell a deleted file from an unseen one."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"seeds folder {path} cannot be listed ({reason}): check its permissions, or that the share is "
            "mounted; nothing was committed"
        )
        self.path = path
        self.reason = reason


class SeedsUnreachableError(JobpipelineError):
    """The read batches ran where the seeds folder cannot be opened: infrastructure, not bad input."""

    def __init__(self, what: str, example: str, reason: str) -> None:
        super().__init__(
            f"{what} could not be opened where the read batches ran (e.g. {example}: {reason}): the seeds folder "
            "is not reachable there (a Dask worker without it? an unmounted volume?), so nothing was committed "
            "and no article was marked last known good - fix the mount or the workers and run again"
        )
        self.what = what
        self.example = example
        self.reason = reason


class ConfigurationError(JobpipelineError):
    """A setting or environment variable the pipeline cannot use."""


class OutputExistsError(JobpipelineError):
    """An output path names a file jobpipeline did not write (`report --out` over an article, the warehouse)."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(
            f"{path} exists and is not {what}: refusing to replace it (remove it first, or pick another name)"
        )
        self.path = path
        self.what = what


class OutputWriteError(JobpipelineError):
    """A file or folder a command was asked to write (`report --out`, `synth --out`) cannot be written."""

    def __init__(self, path: str, what: str, reason: str) -> None:
        super().__init__(
            f"cannot write {what} to {path} ({reason}): pick another --out, or fix the folder's permissions or "
            "free some space"
        )
        self.path = path
        self.what = what
        self.reason = reason


# -- the warehouse edge ------------------------------------------------------------------------------


class WarehouseError(JobpipelineError):
    """A problem with the warehouse file or its folder."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"warehouse {path}: {message}")
        self.path = path


class WarehouseBusyError(WarehouseError):
    """Another run holds the warehouse; worth retrying later."""

    transient = True

    def __init__(self, path: str, holder: str, waited: float) -> None:
        super().__init__(
            path,
            f"another run ({holder}) is writing it; gave up after {waited:.0f} s - wait for it to finish "
            "or raise --wait",
        )
        self.holder = holder
        self.waited = waited


class PublishedSharedError(WarehouseError):
    """`published/` beside this warehouse holds another warehouse file's datasets (`publish.published_by_other`)."""

    def __init__(self, path: str, owner: str, suggestion: str) -> None:
        super().__init__(
            path,
            f"published/ beside it holds the datasets of {owner}, another warehouse in the same folder, and a "
            f"run would overwrite them: give each warehouse a folder of its own (e.g. --warehouse {suggestion}); "
            "nothing was committed",
        )
        self.owner = owner
        self.suggestion = suggestion


class WarehouseMissingError(WarehouseError):
    def __init__(self, path: str, *, above: str | None = None) -> None:
        if above:
            super().__init__(path, f"does not exist here: run from {above}, which has it, or pass --warehouse FILE")
        else:
            super().__init__(path, "does not exist yet: run `jobpipeline run` first")
        self.above = above
        """A folder above the current one that has `path` (the command was run from a subfolder)."""


class QueryError(JobpipelineError):
    """SQL the warehouse could not run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class DatasetNotFoundError(JobpipelineError):
    """No published dataset by that name (or nothing published yet)."""

    def __init__(self, name: str, where: str, available: list[str]) -> None:
        known = ", ".join(available) if available else "none: run `jobpipeline run` first"
        super().__init__(f"no published dataset `{name}` in {where} (published: {known})")
        self.name = name
        self.where = where
        self.available = available


# -- one seed file -----------------------------------------------------------------------------------


class ArticleError(JobpipelineError):
    """Why a seed file is not a readable article, located in the file.

    `read_article` turns it into one error finding (`code`, `line`, `field`, `message`); it never
    stops the run.
    """

    def __init__(self, code: str, line: int | None, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class DecodeError(ArticleError):
    """The file's bytes are not an article's text: empty, oversized, not UTF-8, binary."""


class FrontMatterError(ArticleError):
    """The front matter is missing, unclosed, unparseable or not an object of fields."""


class DuplicateKeyError(JobpipelineError):
    """A front matter key appears twice (raised while loading; front_matter reports it as a FrontMatterError)."""

    def __init__(self, key: str, line: int | None = None) -> None:
        super().__init__(f"key `{key}` appears more than once: keep one")
        self.key = key
        self.line = line  # 0-based in the block, when the loader knows it


class JSONConstantError(JobpipelineError):
    """JSON front matter holds NaN or Infinity (raised by json.loads; reported as a FrontMatterError)."""

    def __init__(self, constant: str) -> None:
        super().__init__(f"`{constant}` is not valid JSON: use a number or null")
        self.constant = constant


class YAMLGraphError(JobpipelineError):
    """YAML front matter too big or too deep once its aliases are followed (reported as a FrontMatterError)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line  # 0-based in the block
        self.message = message


# -- orchestration -----------------------------------------------------------------------------------


class FlowFailedError(JobpipelineError):
    """A Prefect flow run the CLI started ended without its result."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"the {name} flow failed: {reason}")
        self.name = name
        self.reason = reason


class RunInterrupted(JobpipelineError):
    """A run stopped by SIGINT or SIGTERM: says truthfully whether the commit happened, and which run the
    warehouse holds (jobpipeline.interrupts)."""

    def __init__(self, signum: int, committed: bool, run_id: int | None) -> None:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        if committed:
            message = f"interrupted ({name}) after the commit: run {run_id} is committed"
        elif run_id is None:
            message = f"interrupted ({name}): nothing was committed; the warehouse is as it was before the run"
        else:
            message = f"interrupted ({name}): nothing was committed; the warehouse is as it was at run {run_id}"
        super().__init__(message)
        self.signum = signum
        self.committed = committed
        self.run_id = run_id

    @property
    def exit_code(self) -> int:
        """What a shell reports for a command stopped by the signal: 130 (SIGINT), 143 (SIGTERM)."""
        return 128 + self.signum


class RunDidNotStop(RunInterrupted):
    """A run stopped before its commit that was still unwinding `grace` seconds after the signal: the
    process ends there (jobpipeline.interrupts); `stacks` names the file with its threads' stacks."""

    def __init__(self, signum: int, grace: float, stacks: str) -> None:
        super().__init__(signum, committed=False, run_id=None)
        name = signal.Signals(signum).name
        self.args = (
            f"interrupted ({name}): nothing was committed; the run did not stop within {grace:g} s of the "
            f"signal, so it ends now (its threads' stacks: {stacks})",
        )
        self.grace = grace
        self.stacks = stacks


class ServerError(JobpipelineError):
    """The Prefect server could not be started, or does not answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ServeBusyError(JobpipelineError):
    """Another `jobpipeline serve` serves on this PREFECT_HOME's Prefect server (`serving.serve_lock`)."""

    def __init__(self, home: str, holder: str) -> None:
        super().__init__(
            f"another `jobpipeline serve` ({holder}) serves on this Prefect server (PREFECT_HOME {home}): serve's "
            "deployments have fixed names, so a second one would take them over and delete them when it stops; "
            "stop that one first (Ctrl-C in its terminal), or give this one a PREFECT_HOME of its own"
        )
        self.home = home
        self.holder = holder


__all__ = [
    "ArticleError",
    "ConfigurationError",
    "DecodeError",
    "DuplicateKeyError",
    "FlowFailedError",
    "FrontMatterError",
    "JSONConstantError",
    "JobpipelineError",
    "PublishedSharedError",
    "QueryError",
    "RunInterrupted",
    "SeedsNotFoundError",
    "SeedsUnreachableError",
    "SeedsUnreadableError",
    "ServeBusyError",
    "ServerError",
    "WarehouseBusyError",
    "WarehouseError",
    "WarehouseMissingError",
    "YAMLGraphError",
]
