"""One root exception; each error keeps its context and builds a message a person can act on.

`transient` tells the orchestrator what is worth retrying (a busy warehouse) from what is not
(bad input, a full disk, a read-only folder).
"""

from __future__ import annotations


class JobpipelineError(Exception):
    """Root of the project's errors. `str(error)` is one line that says what to do."""

    transient = False


class SeedsNotFoundError(JobpipelineError):
    def __init__(self, path: str) -> None:
        super().__init__(f"seeds folder {path} does not exist: pass --seeds DIR or set JOBPIPELINE_SEEDS")
        self.path = path


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


class WarehouseMissingError(WarehouseError):
    def __init__(self, path: str) -> None:
        super().__init__(path, "does not exist yet: run `jobpipeline run` first")


class QueryError(JobpipelineError):
    """SQL the warehouse could not run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ConfigurationError(JobpipelineError):
    """A setting or environment variable the pipeline cannot use."""


class ServerError(JobpipelineError):
    """The Prefect server could not be reached, started or stopped."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class FlowFailedError(JobpipelineError):
    """A flow run ended in a failed or crashed state."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"the {name} flow failed: {reason}")
        self.name = name
        self.reason = reason

    def __reduce__(self) -> tuple[type[FlowFailedError], tuple[str, str]]:
        return (type(self), (self.name, self.reason))
