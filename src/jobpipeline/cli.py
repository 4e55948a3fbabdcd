"""`jobpipeline` command line: parse options, call one pipeline function or flow, print.

Exit codes: 0 ok; 1 validation errors (validate) or rejected files with --strict (run);
2 a usage or environment problem, or a failed run.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobpipeline.errors import ConfigurationError, JobpipelineError, OutputWriteError, RunInterrupted
from jobpipeline.models import one_line
from jobpipeline.records import EnrichRecord, RunRecord
from jobpipeline.settings import found_above, given_path, warehouse_file

app = typer.Typer(
    help="Turn a folder of career articles into a DuckDB warehouse and published datasets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# markup off: findings contain `[code]`, which rich would read as a style tag and drop.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


# Defaults that come from settings go in `show_default`: written into the help text as
# `[default: …]`, rich read them as a style tag and dropped them (`Seeds folder .`).
def _given_path(text: str) -> Path:
    """A path option's value; an empty one is a usage error. `--seeds "$SEEDS"` with SEEDS unset gave
    Path(""), the current folder: a run read the whole project as articles and dropped the real ones."""
    if not text.strip():
        raise typer.BadParameter("is empty (an unset shell variable?): name the path, or leave the option out")
    return given_path(text)


def _more_than_zero(value: float | None) -> float | None:
    """Seconds that must be more than 0: `serve --interval 0` was taken as no interval (the cron default
    served instead), `--poll 0` polled in a busy loop."""
    if value is not None and value <= 0:
        raise typer.BadParameter(f"must be more than 0 seconds (got {value:g})")
    return value


def _schedule_problem(*, cron: str = "0 0 * * *", timezone: str = "UTC") -> None:
    """A usage error when Prefect's schedule would refuse `cron` or `timezone` (after starting a server, as
    an internal error to report)."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as exc:
        raise typer.BadParameter(
            "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        ) from None


def _cron(value: str) -> str:
    _schedule_problem(cron=value)  # the time zone is checked on its own
    return value


def _timezone(value: str) -> str:
    _schedule_problem(timezone=value)
    return value


SeedsOption = Annotated[
    Path | None,
    typer.Option(
        "--seeds",
        metavar="DIR",
        parser=_given_path,
        help="Seeds folder.",
        show_default="JOBPIPELINE_SEEDS, else seeds/",
    ),
]
WarehouseOption = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        metavar="FILE",
        parser=_given_path,
        help="DuckDB file.",
        show_default="JOBPIPELINE_WAREHOUSE, else warehouse/jobs.duckdb",
    ),
]
WaitOption = Annotated[
    float | None,
    typer.Option(
        "--wait",
        metavar="SECONDS",
        min=0,
        help="Seconds to wait for another run's lock.",
        show_default="JOBPIPELINE_LOCK_WAIT_SECONDS, else 600",
    ),
]


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 file`, `0 files`, `2 files`: every count the CLI prints goes through here."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def check_seeds_folder(seeds: Path) -> None:
    """One line, exit 2, when the seeds folder is missing or is a file (`--seeds seeds/a.txt`)."""
    from jobpipeline.errors import SeedsNotFoundError

    if not seeds.is_dir():
        raise SeedsNotFoundError(str(seeds), is_file=seeds.is_file(), above=found_above(seeds))


def _settings() -> Any:
    from jobpipeline.settings import get_settings

    with error_boundary():
        return get_settings()


class _State:
    debug = False


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (and Prefect's log lines).")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show Prefect's log lines on the terminal (always in the UI).")
    ] = False,
) -> None:
    # --verbose and --debug take effect in main(), before Prefect is imported.
    _State.debug = debug


@contextmanager
def error_boundary() -> Iterator[None]:
    """One red line for the project's errors; --debug shows the traceback."""
    try:
        yield
    except RunInterrupted as exc:
        err.print(f"[yellow]{escape(str(exc))}[/yellow]", markup=True)
        raise typer.Exit(exc.exit_code) from None
    except JobpipelineError as exc:
        if _State.debug:
            raise
        err.print(f"[red]error:[/red] {escape(one_line(str(exc)))}", markup=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except Exception as exc:
        if _State.debug:
            raise
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {escape(one_line(str(exc)))} (rerun with --debug for "
            "the traceback and report it); the warehouse keeps its previous state",
            markup=True,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]: nothing was committed by the interrupted run", markup=True)
        raise typer.Exit(130) from None


@contextmanager
def say_interrupted(warehouse: Path) -> Iterator[None]:
    """Inside `interrupts.stop_on_signals()`: a run stopped by SIGINT or SIGTERM ends with one line that says
    truthfully whether its commit happened (read back from the warehouse) and which run the warehouse holds."""
    from jobpipeline import interrupts

    try:
        yield
    except BaseException as exc:
        signum = interrupts.received()
        # KeyboardInterrupt from our handler; or Prefect's TerminationSignal, raised where its own handler
        # (installed for a flow run's length) still runs; never an exit.
        if signum is None or isinstance(exc, (SystemExit, GeneratorExit)):
            raise
        # An error after the signal stopped the run is the stop's own doing: the handler's KeyboardInterrupt
        # raised inside a call DuckDB made into Python comes back as DuckDB's error ("... failed:
        # KeyboardInterrupt"). Once a commit has begun the signal is only held, so an error then is real.
        if isinstance(exc, Exception) and interrupts.committing() is not None:
            raise
        from jobpipeline.warehouse import last_run_id

        committed = last_run_id(warehouse)
        raise RunInterrupted(
            signum, committed is not None and committed == interrupts.committing(), committed
        ) from None


def interrupted_after_commit(run_id: int) -> None:
    """The last line of a run that a signal reached once its commit had begun (the run finished)."""
    from jobpipeline import interrupts

    signum = interrupts.received()
    if signum is not None:
        with error_boundary():
            raise RunInterrupted(signum, committed=True, run_id=run_id)


def stop_on_sigterm() -> None:
    """Treat SIGTERM, and SIGHUP unless ignored (`nohup`), like Ctrl-C, so long-running commands clean up
    (serve removes its deployments) instead of dying where they stand when stopped or their terminal closes."""
    import signal

    from jobpipeline.interrupts import handled, leave_the_terminal

    def interrupt(signum: int, frame: Any) -> None:
        if signum == signal.SIGHUP:
            leave_the_terminal()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    if handled(signal.SIGHUP):
        signal.signal(signal.SIGHUP, interrupt)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage} files", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def one_of(value: str, allowed: tuple[str, ...], option: str) -> str:
    """`value` when it is one of `allowed`; else click's usage error (exit 2) before any work is done: a
    typo'd `--format jsn` used to run the whole load and print text to a script that parses JSON."""
    if value not in allowed:
        choices = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
        raise typer.BadParameter(f"use {choices}", param_hint=option)
    return value


@app.command()
def validate(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Only these seed files, or every file under these folders (the rest of the seeds folder is "
            "still read for slugs and links)."
        ),
    ] = None,
    seeds: SeedsOption = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or github.")] = "text",
) -> None:
    """Check every seed file (or just FILES, files or folders) and print one line per finding; writes nothing.

    Each finding is `path:line: severity[code] field: message` (the codes: docs/findings.md), then a
    summary; `--format github` prints workflow annotations. Exit 1 when any file has an error. Two files
    with one slug: the one whose article the warehouse holds keeps it, as in a run.

    Example: jobpipeline validate --seeds seeds --format github
    """
    settings = _settings()
    seeds = seeds or settings.seeds

    from jobpipeline.pipeline import LocalRunner, validate_seeds

    one_of(output_format, ("text", "json", "github"), "--format")
    with error_boundary():
        check_seeds_folder(seeds)
        from jobpipeline.discover import outside_seeds, seed_relative

        outside = [f for f in files or [] if outside_seeds(seeds, f)]
        if outside:
            err.print(
                f"passed over {plural(len(outside), 'file')} outside the seeds folder {one_line(str(seeds))}: "
                + ", ".join(one_line(f) for f in outside)
            )
            files = [f for f in files or [] if f not in outside]
            if not files:
                raise typer.Exit(0)
        from jobpipeline.warehouse import loaded_slug_owners

        # The warehouse's owners keep their slugs, so validate names the same duplicate as the next run.
        incumbents = loaded_slug_owners(settings.warehouse, seeds)
        with progress_bar(output_format == "text" and err.is_terminal) as update:
            only = frozenset(seed_relative(seeds, f) for f in files) if files else None
            report = validate_seeds(seeds, LocalRunner(), progress=update, only=only, incumbents=incumbents)
    for finding in report.findings:
        shown = finding.model_copy(update={"source_path": _display_path(seeds, finding.source_path)})
        if output_format == "json":
            print(shown.model_dump_json())
        elif output_format == "github":
            print(_github_annotation(shown))
        else:
            print(shown.format_line())
    summary = (
        f"{plural(report.files_seen, 'file')} checked: {plural(report.errors, 'error')}, "
        f"{plural(report.warnings, 'warning')}, {plural(report.rejected_files, 'file')} rejected"
    )
    if output_format == "json":
        err.print(summary)
    else:
        print(summary)
    raise typer.Exit(1 if report.errors else 0)


def _display_path(seeds: Path, relative: str) -> str:
    return (seeds / relative).as_posix()


def _github_annotation(finding: Any) -> str:
    """A GitHub workflow command, escaped as the runner decodes it: `%`, CR and LF in the message, and
    `:` and `,` too in properties. Unescaped, a file named `x\\n::error::…` printed a command of its own."""
    level = "error" if finding.severity == "error" else "warning"
    props = f"file={_github_property(finding.source_path)}"
    if finding.line:
        props += f",line={finding.line}"
    props += f",title={_github_property(finding.code)}"
    message = _github_data(f"{finding.field + ': ' if finding.field else ''}{finding.message}")
    return f"::{level} {props}::{message}"


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


@app.command()
def salary(
    texts: Annotated[
        list[str] | None, typer.Argument(help="Salary texts; read one per line from stdin if none.")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Unit the header gives, e.g. 万円.", show_default="none: the text's own units"),
    ] = None,
    basis: Annotated[
        str | None,
        typer.Option("--basis", help="annual, monthly, hourly or daily.", show_default="read from the text"),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show how each text was read: tokens, candidate bands, the winner.")
    ] = False,
    output_format: Annotated[
        str | None, typer.Option("--format", help="json or text.", show_default="json; text with --explain")
    ] = None,
) -> None:
    """Show what the normalizer makes of salary text: one JSON object per input, in order.

    `--explain` shows how each text was read: tokens with their roles, the candidate bands, which
    won and why, and each warning (with `--format json`, as an `explain` field). The conventions:
    docs/salary.md.

    Example: jobpipeline salary "450〜700" --unit 万円
    Example: jobpipeline salary --explain "最高額:1,000万円〜 最低額:400万円"
    """
    from jobpipeline.salary import explain_salary, explanation_text

    if basis is not None:
        one_of(basis, ("annual", "monthly", "hourly", "daily"), "--basis")
    fmt = one_of(output_format or ("text" if explain else "json"), ("json", "text"), "--format")
    # Lines from Windows (CRLF) or a file saved with a BOM: the line, without either.
    lines = texts if texts else [line.rstrip("\r\n").removeprefix("\ufeff") for line in sys.stdin]
    for text in lines:
        ex = explain_salary(text, unit=unit, basis=basis)  # type: ignore[arg-type]
        band = ex.result
        if fmt == "text":
            print(explanation_text(ex) if explain else _band_line(band))
            continue
        line: dict[str, Any] = {
            "raw": band.raw,
            "basis": band.basis,
            "min_yen": band.min_yen,
            "max_yen": band.max_yen,
            "min_open": band.min_open,
            "max_open": band.max_open,
            "warnings": [f"{w.code}: {w.message}" for w in band.warnings],
        }
        if explain:
            line["explain"] = ex.model_dump(mode="json", exclude={"result"})
        print(json.dumps(line, ensure_ascii=False))


def _band_line(band: Any) -> str:
    """One line for a salary band: `「450〜700」 annual 4,500,000–7,000,000 yen`, then its warnings."""
    low = "…" if band.min_yen is None else f"{band.min_yen:,}"
    high = "…" if band.max_yen is None else f"{band.max_yen:,}"
    warnings = "".join(f"\n  {w.code}: {w.message}" for w in band.warnings)
    return f"「{band.raw}」 {band.basis} {low}–{high} yen{warnings}"


@app.command()
def run(
    seeds: SeedsOption = None,
    warehouse: WarehouseOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any file is rejected.")] = False,
    wait: WaitOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Also publish CSV copies (UTF-8 with BOM, for Excel).")] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Hash every file, not only those whose size or mtime moved (after a restore from backup "
            "or a copy that kept mtimes).",
        ),
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Let a seeds folder with no seed file delete every article (without it such a run stops: "
            "an unmounted share looks like an empty folder).",
        ),
    ] = False,
    new_seeds: Annotated[
        bool,
        typer.Option(
            "--new-seeds",
            help="Let a seeds folder other than the warehouse's last delete the articles it lacks (without it "
            "such a run stops: `--seeds seeds/sub` would delete every article outside sub/).",
        ),
    ] = False,
    local: Annotated[bool, typer.Option("--local", help="Run without Prefect (no flow run is recorded).")] = False,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Read batches on the Dask scheduler "
            "at ADDRESS (tcp://host:8786), or `local` for a local cluster (when it "
            "pays off: docs/benchmarks.md).",
            show_default="JOBPIPELINE_TASK_RUNNER, else the local process pool",
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json summary.")] = "text",
) -> None:
    """Read, validate, load and publish the seeds folder (through Prefect's ingest flow).

    Runs on the Prefect server from Prefect's settings, or the managed one (started once and left
    running for later commands); `--local` runs the same stages without Prefect. Prints the files
    seen, new, changed, unchanged, deleted and rejected, and the published datasets. `--csv` copies
    carry a UTF-8 BOM so that Excel in Japan opens them as UTF-8.

    Example: jobpipeline run --seeds seeds --warehouse warehouse/jobs.duckdb
    """
    one_of(output_format, ("text", "json"), "--format")
    settings = _settings()
    seeds = seeds or settings.seeds
    warehouse = warehouse_file(warehouse or settings.warehouse)
    wait = settings.lock_wait_seconds if wait is None else wait

    from jobpipeline.pipeline import RunOptions

    options = RunOptions(
        seeds=seeds,
        warehouse=warehouse,
        wait_seconds=wait,
        csv=csv,
        verify=verify,
        allow_empty=allow_empty,
        new_seeds=new_seeds,
    )
    show_progress = output_format == "text" and err.is_terminal
    if local and dask:
        raise typer.BadParameter("--dask runs read batches as Prefect tasks: drop --local", param_hint="--dask")
    from jobpipeline.interrupts import stop_on_signals

    with stop_on_signals(settings.stop_grace_seconds):
        with error_boundary(), say_interrupted(warehouse):
            from jobpipeline.orchestration import routes

            with progress_bar(show_progress) as update:
                record = routes.ingest(options, local=local, say=err.print, dask=dask, progress=update)
        if output_format == "json":
            print(json.dumps(record.as_dict(), ensure_ascii=False, indent=2))
        else:
            print_summary(record)
        interrupted_after_commit(record.run_id)
    raise typer.Exit(1 if strict and record.files_rejected else 0)


def _print_failed_checks(failed: list[str]) -> None:
    """The corpus checks that failed (quality_checks), one line each: a run that emptied the articles
    table recorded `article-count-drop` as failed and said nothing on the terminal."""
    for line in failed:
        out.print(f"  FAIL {line}")


def print_summary(record: RunRecord) -> None:
    """Say what the run did: files seen/new/changed/unchanged/deleted/rejected and what was published."""
    r = record
    out.print(
        f"run {r.run_id}: {plural(r.files_seen, 'file')} seen, {r.files_new} new, "
        f"{r.files_changed} changed, {r.files_unchanged} unchanged, {r.files_deleted} deleted, "
        f"{r.files_rejected} rejected"
    )
    if r.files_reread:
        out.print(
            f"read {plural(r.files_reread, 'unchanged file')} again: this jobpipeline reads articles differently "
            "from the one that read them (an upgrade), so their rows are rebuilt once"
        )
    if r.nothing_changed:
        out.print("nothing changed: no article rows were rewritten")
    else:
        out.print(f"loaded {plural(r.articles_loaded, 'article')}, removed {r.articles_removed}")
    for slug in r.newly_broken:
        out.print(
            f"[bold red]LAST KNOWN GOOD[/bold red]: `{escape(slug)}` no longer reads; its previous version "
            "stays in the warehouse (is_current = false) until the file is fixed",
            markup=True,
        )
    for line in r.error_lines[:20]:
        out.print(f"  {line}")
    if r.errors > 20:
        out.print(
            f"  ... and {plural(r.errors - 20, 'more error')}: jobpipeline query "
            "\"SELECT * FROM validation_issues WHERE severity = 'error'\""
        )
    out.print(f"findings: {plural(r.errors, 'error')}, {plural(r.warnings, 'warning')}")
    _print_failed_checks(r.quality_failed)
    published = Path(r.warehouse).parent / "published"
    out.print(f"published {plural(len(r.datasets), 'dataset')} to {one_line(str(published))}: {', '.join(r.datasets)}")
    out.print(f"report: {one_line(str(published / 'report.html'))} (jobpipeline report --open)")
    from jobpipeline.pipeline import STAGES

    timings = ", ".join(f"{k} {r.stage_seconds[k]:.2f}s" for k in STAGES if k in r.stage_seconds)
    out.print(f"warehouse {one_line(str(r.warehouse))} ({timings})")


@app.command()
def enrich(
    warehouse: WarehouseOption = None,
    wait: WaitOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Also publish CSV copies (UTF-8 with BOM, for Excel).")] = False,
    local: Annotated[bool, typer.Option("--local", help="Run without Prefect (no flow run is recorded).")] = False,
    output_format: Annotated[str, typer.Option("--format", help="text or json summary.")] = "text",
) -> None:
    """Rebuild the salary benchmarks and run the quality checks over the warehouse (never the seeds),
    then publish (through Prefect's jobpipeline-enrich flow). Every run does this too; on its own it
    catches what changes with the date alone (title-year-stale, article-not-updated).

    Example: jobpipeline enrich --local
    """
    one_of(output_format, ("text", "json"), "--format")
    settings = _settings()
    warehouse = warehouse_file(warehouse or settings.warehouse)
    wait = settings.lock_wait_seconds if wait is None else wait

    from jobpipeline.pipeline import RunOptions

    options = RunOptions(seeds=settings.seeds, warehouse=warehouse, trigger="enrich", wait_seconds=wait, csv=csv)
    from jobpipeline.interrupts import stop_on_signals

    with stop_on_signals(settings.stop_grace_seconds), error_boundary(), say_interrupted(warehouse):
        from jobpipeline.orchestration import routes

        r = routes.enrich(options, local=local, say=err.print)
    if output_format == "json":
        print(json.dumps(r.as_dict(), ensure_ascii=False, indent=2))
        return
    out.print(f"enrichment {r.run_id}: findings: {plural(r.errors, 'error')}, {plural(r.warnings, 'warning')}")
    for code, count in sorted(r.enrichment_findings.items()):
        out.print(f"  {code}: {count}")
    checks = r.quality_checks
    out.print(f"corpus checks: {checks['pass']} pass, {checks['warn']} warn, {checks['fail']} fail")
    _print_failed_checks(r.quality_failed)
    out.print(f"published to {Path(r.warehouse).parent / 'published'}")


@app.command()
def revalidate(
    paths: Annotated[list[str], typer.Argument(help="Changed seed files (relative to --seeds, or absolute).")],
    seeds: SeedsOption = None,
    warehouse: WarehouseOption = None,
    wait: WaitOption = None,
    local: Annotated[bool, typer.Option("--local", help="Run without Prefect.")] = False,
) -> None:
    """Re-read only PATHS (always hashed, whatever their size and mtime), re-check corpus-wide references,
    update the warehouse and the report.

    Each path must be a file in the seeds folder (exit 2 otherwise: for a folder, `jobpipeline run`
    reads what changed in it); `jobpipeline run` is what drops the articles of deleted files.

    Example: jobpipeline revalidate seeds/000_d9b025f51903baf0.txt
    """
    settings = _settings()
    seeds = seeds or settings.seeds
    warehouse = warehouse_file(warehouse or settings.warehouse)
    wait = settings.lock_wait_seconds if wait is None else wait

    from jobpipeline.discover import load_ignore, seed_file_problem, seed_relative
    from jobpipeline.interrupts import stop_on_signals

    with stop_on_signals(settings.stop_grace_seconds):
        with error_boundary(), say_interrupted(warehouse):
            check_seeds_folder(seeds)
            relative = [seed_relative(seeds, p) for p in paths]
            ignore = load_ignore(seeds)  # once, not once per named file
            for given, path in zip(paths, relative, strict=True):
                kind = seed_file_problem(seeds, path, ignore)
                if kind is not None:
                    from jobpipeline.errors import SeedFileNotFoundError

                    raise SeedFileNotFoundError(given, str(seeds), kind=kind)
            from jobpipeline.orchestration import routes
            from jobpipeline.pipeline import RunOptions

            options = RunOptions(
                seeds=seeds,
                warehouse=warehouse,
                trigger="revalidate",
                only_paths=frozenset(relative),
                wait_seconds=wait,
            )
            record = routes.ingest(options, local=local, say=err.print)
        _print_revalidation(record, paths)
        interrupted_after_commit(record.run_id)
    raise typer.Exit(1 if record.error_lines else 0)


def _print_revalidation(record: RunRecord, paths: list[str], *, findings: bool = True) -> None:
    out.print(
        f"re-validated {plural(len(paths), 'file')} in run {record.run_id}: {record.files_changed} changed, "
        f"{record.files_deleted} deleted; corpus now has {plural(record.errors, 'error')}, "
        f"{plural(record.warnings, 'warning')}"
    )
    for slug in record.newly_broken:
        out.print(
            f"[bold red]LAST KNOWN GOOD[/bold red]: `{escape(slug)}` no longer reads; its previous version is kept",
            markup=True,
        )
    for line in record.changed_findings if findings else ():
        out.print(f"  {line}")


@app.command()
def watch(
    seeds: SeedsOption = None,
    warehouse: WarehouseOption = None,
    debounce_ms: Annotated[
        int, typer.Option("--debounce-ms", min=0, help="Quiet time that ends a burst of saves.")
    ] = 400,
    local: Annotated[bool, typer.Option("--local", help="Re-validate without Prefect.")] = False,
) -> None:
    """Watch the seeds folder and re-validate changed files within a second of a save.

    Finds the Prefect server the way `run` does (starting the managed one if none is configured)
    before it says it is watching. When a re-validation deployment is being served (`jobpipeline
    serve`, or a work-pool worker) it emits `jobpipeline.seeds.changed` and the deployment does
    the work; otherwise each save is re-validated by a flow run in this process. It says which.
    The warehouse is never held open between runs.

    Example: jobpipeline watch --seeds seeds
    """
    settings = _settings()
    seeds = seeds or settings.seeds
    warehouse = warehouse_file(warehouse or settings.warehouse)

    import time
    from contextlib import ExitStack

    from jobpipeline.watching import folder_note, watch_seeds

    stop_on_sigterm()
    with ExitStack() as stack:
        with error_boundary():
            check_seeds_folder(seeds)
            from jobpipeline.orchestration import routes

            route = routes.watch_route(seeds, local=local, stack=stack, say=err.print)
        if route.kind == "served":
            out.print(route.description)
            return

        def on_change(paths: list[str], noticed: float) -> None:
            from jobpipeline.pipeline import RunOptions

            out.print(f"changed: {one_line(', '.join(paths))}")
            options = RunOptions(
                seeds=seeds,
                warehouse=warehouse,
                trigger="revalidate",
                only_paths=frozenset(paths),
                wait_seconds=settings.lock_wait_seconds,
            )
            try:
                with error_boundary():
                    result = routes.revalidate_saved(
                        route, options, say=err.print, on_findings=lambda found: findings_ready(found, noticed)
                    )
            except typer.Exit as stopped:
                if stopped.exit_code == 130:  # Ctrl-C during a re-validation stops the watch too
                    raise KeyboardInterrupt from None
                return  # the error line is printed; keep watching
            if isinstance(result, str):
                out.print(f"emitted jobpipeline.seeds.changed ({result})")
                return
            _print_revalidation(result, paths, findings=False)
            out.print(f"warehouse updated {time.monotonic() - noticed:.2f} s after the change was noticed")

        def findings_ready(findings: list[Any], noticed: float) -> None:
            for finding in findings:
                out.print(f"  {finding.format_line()}")
            out.print(
                f"findings ready {time.monotonic() - noticed:.2f} s after the change was noticed "
                f"({plural(len(findings), 'finding')} for the changed files); updating the warehouse"
            )

        try:
            watch_seeds(
                seeds,
                on_change,
                debounce_ms=debounce_ms,
                on_ready=lambda: out.print(f"watching {one_line(str(seeds))} ({route.description}); Ctrl-C stops"),
                on_folder=lambda there: out.print(folder_note(seeds, there)),
                on_polling=out.print,
            )
        except KeyboardInterrupt:
            out.print("stopped watching")


@app.command()
def serve(
    seeds: SeedsOption = None,
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str, typer.Option("--cron", help="Ingest schedule (cron, in --timezone).", callback=_cron)
    ] = "*/30 * * * *",
    timezone: Annotated[
        str, typer.Option("--timezone", help="Time zone of the cron schedule.", callback=_timezone)
    ] = "Asia/Tokyo",
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            help="Ingest every N seconds instead of cron.",
            show_default="off: --cron",
            callback=_more_than_zero,
        ),
    ] = None,
    poll: Annotated[
        float,
        typer.Option(
            "--poll", help="Seconds between checks for scheduled or triggered runs.", callback=_more_than_zero
        ),
    ] = 0.5,
    watch_folder: Annotated[
        bool,
        typer.Option(
            "--watch/--no-watch", help="Also watch the seeds folder and send jobpipeline.seeds.changed for each save."
        ),
    ] = True,
    debounce_ms: Annotated[
        int, typer.Option("--debounce-ms", min=0, help="Quiet time that ends a burst of saves.")
    ] = 400,
) -> None:
    """Serve the scheduled ingest and the event-triggered re-validation on this machine, and watch
    the seeds folder so that every save is re-validated.

    Uses the Prefect server from Prefect's settings, or the managed one (started if needed, left
    running: `jobpipeline server stop`). Flow runs execute inside this process. Its deployments
    are named serve-scheduled-ingest and serve-revalidate-on-change (the work-pool route of
    prefect.yaml keeps its own) and are removed when serve stops.

    Example: jobpipeline serve --interval 300
    """
    settings = _settings()
    seeds = seeds or settings.seeds
    warehouse = warehouse_file(warehouse or settings.warehouse)

    from jobpipeline.orchestration.serving import serve_deployments

    stop_on_sigterm()
    with error_boundary():
        serve_deployments(
            seeds=seeds,
            warehouse=warehouse,
            cron=cron,
            timezone=timezone,
            interval=interval,
            poll=poll,
            watch=watch_folder,
            debounce_ms=debounce_ms,
            say=out.print,
            on_record=_print_served_run,
        )


def _print_served_run(flow_name: str, data: dict[str, Any]) -> None:
    """What a run under serve did, as `watch` says it: a re-validation's findings for its files;
    an ingest's counts when something changed (a no-change tick is one line already); an
    enrichment's failed corpus checks."""
    if flow_name == "jobpipeline-enrich":
        enriched = EnrichRecord.from_dict({k: v for k, v in data.items() if k != "parameters"})
        _print_failed_checks(enriched.quality_failed)
        return
    record = RunRecord.from_dict(data)
    if flow_name == "jobpipeline-revalidate":
        paths = record.parameters.get("paths", [])
        _print_revalidation(record, paths.splitlines() if isinstance(paths, str) else list(paths))
    elif not record.nothing_changed:
        reread = f", {record.files_reread} read again (another jobpipeline read them)" if record.files_reread else ""
        out.print(
            f"  run {record.run_id}: {record.files_changed} changed, {record.files_deleted} deleted, "
            f"{record.files_rejected} rejected{reread}; {plural(record.errors, 'error')}, "
            f"{plural(record.warnings, 'warning')}"
        )
        shown = record.changed_findings[:SERVED_FINDINGS_SHOWN]
        for line in shown:
            out.print(f"  {line}")
        if len(record.changed_findings) > len(shown):
            out.print(f"  ... and {len(record.changed_findings) - len(shown)} more in the validation_issues table")
        _print_failed_checks(record.quality_failed)


SERVED_FINDINGS_SHOWN = 50
"""Findings of the changed files a served ingest prints (a first load of a big folder has thousands)."""


server_app = typer.Typer(
    help="The background Prefect server jobpipeline starts when none is configured.", no_args_is_help=True
)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start() -> None:
    """Start the managed Prefect server (or say where it already runs).

    Example: jobpipeline server start
    """
    from jobpipeline.orchestration.launch import quiet_prefect

    quiet_prefect()
    with error_boundary():
        from jobpipeline.orchestration.server import resolve_api

        api = resolve_api(out.print)
    if api.source == "configured":
        out.print(f"Prefect's settings name a server ({api.url}): jobpipeline uses it and starts none")
    elif api.source == "ephemeral":
        out.print("JOBPIPELINE_PREFECT_SERVER=ephemeral: no background server is used")
    elif api.source == "managed":
        out.print(f"already running: UI at {api.url.removesuffix('/api') if api.url else ''}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop the managed Prefect server and every process it started.

    Only a process that is still the server it recorded (pid, start time and command line) is
    signalled; a stale state file is removed and the process its pid now names is left alone.

    Example: jobpipeline server stop
    """
    from jobpipeline.orchestration.launch import quiet_prefect

    quiet_prefect()
    with error_boundary():
        from jobpipeline.orchestration.server import prefect_home, stale_note, stop_server

        home = prefect_home()
        stopped = stop_server(home)
    if stopped.outcome == "stopped" and stopped.server is not None:
        out.print(f"stopped the Prefect server at {stopped.server.ui_url} (pid {stopped.server.pid})")
    elif stopped.outcome == "stale" and stopped.server is not None:
        out.print(f"no managed Prefect server is running: {stale_note(home, stopped.server)}; removed the file")
    else:
        out.print("no managed Prefect server is running")


@server_app.command("status")
def server_status() -> None:
    """Say which Prefect server commands use, and whether it answers (exit 1 if none runs); when it
    answers, the last line is `PREFECT_API_URL=...` for other tools.

    Example: jobpipeline server status
    """
    from jobpipeline.orchestration.launch import quiet_prefect

    quiet_prefect()
    with error_boundary():
        from jobpipeline.errors import ServerError
        from jobpipeline.orchestration.server import (
            check_configured_api,
            check_process,
            configured_api_url,
            is_healthy,
            prefect_home,
            read_state,
            stale_note,
        )

        configured = configured_api_url()
        home = prefect_home()
        state = read_state(home)
    if configured:
        try:
            check_configured_api(configured)
        except ServerError as exc:
            out.print(f"configured by Prefect's settings: {configured}: NOT usable: {exc}")
            raise typer.Exit(1) from None
        out.print(f"configured by Prefect's settings: {configured} (answering)")
        out.print(f"PREFECT_API_URL={configured}")
        raise typer.Exit(0)
    if state is None:
        out.print(f"no managed Prefect server (PREFECT_HOME {home}); the next run starts one")
        raise typer.Exit(1)
    check = check_process(state)
    if check == "stale":
        out.print(f"no managed Prefect server: {stale_note(home, state)}; the next run starts a new one")
        raise typer.Exit(1)
    healthy = check == "ours" and is_healthy(state.api_url)
    condition = "answering" if healthy else ("NOT answering" if check == "ours" else "its process has exited")
    out.print(f"managed Prefect server: UI at {state.ui_url}, pid {state.pid}, {condition}; log {state.log}")
    if healthy:
        out.print(f"PREFECT_API_URL={state.api_url}")
    raise typer.Exit(0 if healthy else 1)


@server_app.command("env")
def server_env() -> None:
    """Print `export PREFECT_API_URL=...` for the server commands use, so that other tools (`prefect`,
    a worker) in this shell talk to it (exit 2 if none answers).

    Example: jobpipeline server env    (in a shell: eval "$(jobpipeline server env)")
    """
    from jobpipeline.orchestration.launch import quiet_prefect

    quiet_prefect()
    with error_boundary():
        from jobpipeline.orchestration.server import answering_api_url

        url = answering_api_url()
    import shlex

    print(f"export PREFECT_API_URL={shlex.quote(url)}")


@app.command()
def synth(
    n: Annotated[int, typer.Option("--n", help="Number of articles.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write (a previous synth corpus is replaced).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed gives byte-identical files.")] = 0,
    broken_share: Annotated[float, typer.Option("--broken-share", help="Share of deliberately broken files.")] = 0.02,
    anomalies: Annotated[
        int,
        typer.Option(
            "--anomalies",
            help="Plant this many of each anomaly the enrichment checks for (salary inversion, outlier, "
            "stale title year, a drifting front matter key); listed in .synth.json.",
        ),
    ] = 0,
) -> None:
    """Write a synthetic corpus shaped like the real seed, for benchmarks and stress tests.

    Example: jobpipeline synth --n 10000 --out benchmarks/corpus-10k --seed 1
    """
    from jobpipeline.synth import generate_corpus

    if n < 0 or not 0 <= broken_share <= 1:
        raise typer.BadParameter("--n must be >= 0 and --broken-share between 0 and 1")
    with error_boundary(), progress_bar(err.is_terminal) as update:
        try:
            report = generate_corpus(
                out_dir,
                n,
                seed=seed,
                broken_share=broken_share,
                progress=(lambda done, total: update("synth", done, total)) if update else None,
                anomalies=anomalies,
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        except OSError as exc:  # a read-only or full folder: the person's to fix, not an internal error
            raise OutputWriteError(str(out_dir), "the corpus", exc.strerror or str(exc)) from None
    broken = ", ".join(f"{kind} {count}" for kind, count in report.broken.items() if count)
    out.print(
        f"wrote {plural(report.files_written, 'article')} ({report.bytes_written / 1e6:.1f} MB) to {out_dir} in "
        f"{report.seconds:.1f} s; broken: {broken or 'none'}; {report.dangling_links} of "
        f"{plural(report.related_links, 'related link')} dangling"
        + (f"; {plural(len(report.planted_files), 'anomaly', 'anomalies')} planted" if report.planted_files else "")
    )


@app.command()
def report(
    warehouse: WarehouseOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the page here (a folder: report.html in it) instead of using the one the last run published; "
            "an existing file is replaced only if it is a report page.",
            show_default="the published report.html",
        ),
    ] = None,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """Show where the HTML report of the last run is (each run publishes one), or write it anew.

    The page (warehouse/published/report.html) shows salary bands as range bars by category and
    level, corpus health, missing articles, tag and tool counts and the run's timings; it is one
    self-contained file (no network requests), readable on a laptop or a phone.

    Example: jobpipeline report --open
    """
    settings = _settings()
    warehouse = warehouse_file(warehouse or settings.warehouse)

    from jobpipeline.publish import REPORT_FILE, other_publisher, published_path

    with error_boundary():
        if output is None:
            page = published_path(warehouse) / REPORT_FILE
            if not page.exists():
                from jobpipeline.errors import WarehouseError, WarehouseMissingError

                if not warehouse.exists():
                    raise WarehouseMissingError(str(warehouse), above=found_above(warehouse))
                # The warehouse is there: saying it "does not exist yet" sent people to look for the wrong file.
                raise WarehouseError(
                    str(warehouse),
                    f"no report is published beside it ({page.parent.name}/{REPORT_FILE}): run `jobpipeline run` "
                    "to publish one, or `jobpipeline report --out report.html` to write one from the warehouse now",
                )
            other = other_publisher(warehouse)
            if other is not None:
                from jobpipeline.errors import WarehouseError

                raise WarehouseError(
                    str(warehouse),
                    f"{page.parent.name}/{REPORT_FILE} beside it is the report of {other}, another warehouse in "
                    "the same folder: `jobpipeline report --out report.html` writes this warehouse's",
                )
            say_if_published_lags(warehouse)
        else:
            from jobpipeline.report import write_report
            from jobpipeline.warehouse import open_read_only

            if output.is_dir():  # `--out reports/`: as cp does, the file goes in it (it was an internal error)
                output = output / REPORT_FILE
            conn = open_read_only(warehouse)
            try:
                page = write_report(conn, output)
            except OSError as exc:  # a read-only folder, a full disk: the person's to fix, not an internal error
                raise OutputWriteError(str(output), "the report", exc.strerror or str(exc)) from None
            finally:
                conn.close()
    # On stderr when the page went to a stream (`--out /dev/stdout > page.html`): not into the page.
    (out if page.is_file() and not page.is_symlink() else err).print(f"report: {page.absolute()}")
    if open_page:
        import webbrowser

        # With no browser (a server, a container, BROWSER naming a missing command) webbrowser.open
        # returns False without a word, or raises; say so, so the path printed above is the way in.
        try:
            opened = webbrowser.open(page.resolve().as_uri())
        except (webbrowser.Error, OSError):
            opened = False
        if not opened:
            err.print(f"no web browser found to open the report (set BROWSER to one): open {page.absolute()} yourself")


QUERY_TABLE_ROWS = 40
"""Rows `query` draws as a table by default: a terminal table of 100,000 rows took 19 s and 300 MB to draw
(csv: 0.8 s for 3 million), and nobody reads past a screenful (the duckdb shell shows 40 too)."""


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOption = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (one line a row, fitted to the terminal; whole when piped), csv, json or markdown.",
        ),
    ] = "table",
    max_rows: Annotated[
        int,
        typer.Option(
            "--max-rows",
            min=0,
            help="Rows the table format shows at most (0: all); csv, json and markdown write every row.",
        ),
    ] = QUERY_TABLE_ROWS,
) -> None:
    """Query the warehouse read-only; answers from the last committed run even while one is loading.

    Example: jobpipeline query "SELECT category, level, median_midpoint_yen FROM salary_by_category_level"
    """
    settings = _settings()
    warehouse = warehouse_file(warehouse or settings.warehouse)

    from jobpipeline.warehouse import empty_result_hint, run_query

    one_of(output_format, ("table", "csv", "json", "markdown"), "--format")
    if not sql.strip():
        raise typer.BadParameter('the SQL is empty: e.g. jobpipeline query "SELECT * FROM runs"', param_hint="SQL")
    with error_boundary():
        try:
            frame = run_query(warehouse, sql)
        except KeyboardInterrupt:  # Ctrl-C: a query writes nothing, so no word about commits
            err.print("[yellow]interrupted[/yellow]", markup=True)
            raise typer.Exit(130) from None
    if output_format == "csv":
        from jobpipeline.query_table import csv_text

        sys.stdout.write(csv_text(frame))
    elif output_format == "json":
        print(json.dumps(_json_safe(frame.to_dicts()), ensure_ascii=False, default=str, indent=2))
    elif output_format == "markdown":
        print(_markdown(frame))
    else:
        from jobpipeline.query_table import draw

        shown = frame.head(max_rows) if max_rows else frame
        if frame.height:
            table, across, left_out = draw(
                frame.columns, list(shown.iter_rows()), out.width if out.is_terminal else None
            )
            # Not a terminal: as wide as the table, so a pipe or a file gets every character unwrapped (print's
            # own width= can only narrow the console).
            wide = out if out.is_terminal else Console(highlight=False, markup=False, width=max(out.width, across))
            wide.print(table)
            counted = plural(frame.height, "row")
            if shown.height < frame.height:
                counted += f" (the first {shown.height} shown: --max-rows 0 shows all, --format csv writes every row)"
            out.print(counted + (f"; {left_out}" if left_out else ""))
        else:  # an empty table of many columns is a wall of wrapped headers
            out.print(f"no rows (columns: {', '.join(frame.columns)})" if frame.width else "no rows")
    hint = empty_result_hint(sql) if frame.height == 0 else None
    if hint:  # on stderr: a CSV or JSON answer stays the answer
        err.print(f"hint: {hint}", markup=False, highlight=False)
    say_if_published_lags(warehouse)


def say_if_published_lags(warehouse: Path) -> None:
    """A note on stderr when `published/` shows an older run than the warehouse (a run stopped between
    its commit and its publish): what `query` answers and what the published files say differ."""
    from jobpipeline.publish import published_behind

    behind = published_behind(warehouse)
    if behind is not None:
        committed, live = behind
        shows = f"shows run {live}" if live is not None else "has no datasets yet"
        err.print(
            f"note: published/ {shows} but the warehouse is at run {committed} (a run was stopped between its "
            f"commit and its publish): run `jobpipeline run` to publish run {committed}"
        )


def _json_safe(value: Any) -> Any:
    """`value` with floats JSON cannot hold (NaN, Infinity) as strings: json.dumps writes them bare, and
    strict parsers (jq) then refuse the whole output."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _markdown_cell(text: str) -> str:
    """A value in one markdown table cell: line breaks as spaces, other control characters escaped (the
    text is the seeds': ESC printed raw drives the reader's terminal), `|` escaped."""
    return one_line(" ".join(text.splitlines())).replace("|", "\\|")


def _markdown(frame: Any) -> str:
    from jobpipeline.query_table import value_text

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.iter_rows():
        cells = ("" if v is None else _markdown_cell(value_text(v)) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@app.command()
def tables(warehouse: WarehouseOption = None) -> None:
    """List the warehouse's tables and views with their columns and what each holds.

    Example: jobpipeline tables
    """
    settings = _settings()
    warehouse = warehouse_file(warehouse or settings.warehouse)

    from jobpipeline import schema

    with error_boundary():
        from jobpipeline.warehouse import table_row_counts

        counts = table_row_counts(warehouse) if warehouse.exists() else {}
    for spec in schema.TABLES:
        rows = f" ({plural(counts[spec.name], 'row')})" if spec.name in counts else ""
        out.print(f"[bold]{spec.name}[/bold]{rows}: {escape(spec.description)}", markup=True)
        for column in spec.columns:
            out.print(f"  {column.name:<24} {column.type:<12} {column.description}")
    for name, (description, _) in schema.DERIVED.items():
        rows = f", {plural(counts[name], 'row')}" if name in counts else ""
        out.print(f"[bold]{name}[/bold] (derived table{rows}): {escape(description)}", markup=True)
    for name, (description, _) in schema.VIEWS.items():
        out.print(f"[bold]{name}[/bold] (view): {escape(description)}", markup=True)


def _wants_prefect_logs(argv: list[str]) -> bool:
    """`jobpipeline [--verbose|--debug] COMMAND ...`: Prefect's log lines on the terminal too."""
    options = argv[: next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))]
    return bool({"--verbose", "--debug"} & set(options))


def help_prose(doc: str) -> str:
    r"""A command's docstring as `--help` shows it: each paragraph one line, which rich wraps to the
    terminal; `Example:` lines stay lines of their own. Typer 0.29 keeps the source's line breaks, so
    help wrapped at 100 columns in the source broke mid-sentence at every terminal width.

    >>> help_prose("Read the seeds,\n    then load.\n\n    Example: a\n    Example: b\n")
    'Read the seeds, then load.\n\nExample: a\nExample: b'
    """
    paragraphs = []
    for paragraph in inspect.cleandoc(doc).split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not line.startswith("Example:"):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# Escaped: rich reads help as markup, and `severity[code]` lost its `[code]` as a style tag.
for _group in (app, server_app):
    for _command in _group.registered_commands:
        _doc = _command.help or (_command.callback.__doc__ if _command.callback else "") or ""
        _command.help = escape(help_prose(_doc))


def _open_standard_streams() -> None:
    """Put /dev/null on any of file descriptors 0-2 that is closed (`jobpipeline run >&-`, some cron and
    service setups), as daemons do.

    Python leaves `sys.stdout` None then, and the next file opened takes the free number: the writer
    lock or the warehouse's copy would become "standard output" for this process and every child it
    starts, and a stray write there (a reader's traceback, a signal's message) would land in it.
    """
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False))  # noqa: SIM115
    # A terminal whose encoding cannot hold every character (PYTHONIOENCODING=ascii, a latin-1 or EUC-JP
    # locale) raised UnicodeEncodeError at the first title that did not fit, after the work was done:
    # a traceback instead of the answer. Such a character is written as `\u3010` there instead.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="backslashreplace")


def main() -> None:
    _open_standard_streams()
    from jobpipeline.orchestration.launch import QUIET, quiet_prefect

    # Prefect reads its settings at import: set them first. Every command, serve too, prints what
    # it did and one line per error; Prefect's lines are in the UI and jobpipeline-runs.log.
    quiet_prefect(console_level="INFO" if _wants_prefect_logs(sys.argv[1:]) else QUIET)
    try:
        app()
    except SystemExit as exc:
        _exit(exc.code)
    except OSError as exc:
        if exc.filename is not None:
            raise
        # Every file the commands write turns its errors into one line inside `error_boundary`; an OSError
        # without a file name that gets here is standard output or error failing (`query ... > out.csv` on a
        # full disk): it was a traceback of rich's or print's internals, after the work was done.
        _say_output_failed(exc)
        _exit(2)
    _exit(0)


def _say_output_failed(exc: OSError) -> None:
    """One line on stderr, if stderr can take it, for output that could not be written."""
    line = (
        f"error: could not write the output: {exc.strerror or exc}: it is incomplete; what the command did "
        "(a run's commit, a published dataset) is not undone\n"
    )
    with suppress(OSError):
        os.write(2, line.encode("utf-8", "backslashreplace"))


def _exit(code: object) -> None:
    """Exit without tearing the interpreter down module by module.

    Measured on the bundled seeds: finalizing the modules a run loads costs 0.3 s without Prefect
    and 0.5-0.9 s with it (~2,000 modules), after the work is done. Everything that must outlive
    the command (Prefect's log and event queues, logging handlers) is flushed by the atexit
    handlers, run here first; the warehouse is closed by then (runs commit before they return).
    """
    import atexit

    if isinstance(code, str):
        print(code, file=sys.stderr)
    if "prefect" in sys.modules:
        from jobpipeline.orchestration.launch import flush_prefect

        flush_prefect()  # before the atexit handlers stop a temporary server the queues still talk to
    atexit._run_exitfuncs()
    status = code if isinstance(code, int) else (0 if code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # a closed pipe (`jobpipeline query ... | head`): nothing more to say there
            status = status or 1
    os._exit(status)


if __name__ == "__main__":
    main()
