"""What `uv run jobpipeline …` costs a user, with and without `[tool.uv] compile-bytecode`.

For each setting it copies the project (pyproject.toml, uv.lock, src/) into a temporary folder,
syncs a fresh environment there, then times new processes: the first `uv run` after the sync and
the median of later ones, for `jobpipeline --help`, `jobpipeline tables` and `import prefect` (what
every flow command pays). It also says whether uv printed "Bytecode compiled". The user's shell is
assumed ordinary: PYTHONDONTWRITEBYTECODE is removed, so Python writes .pyc files at import as usual
(`--dont-write-bytecode` measures the CI-like case where it is set). Nothing is left behind.

    uv run python benchmarks/uv_startup.py [--repeat 9] [--dont-write-bytecode]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "jobpipeline --help": ["jobpipeline", "--help"],
    "jobpipeline tables": ["jobpipeline", "tables", "--warehouse", "none.duckdb"],
    "python -c 'import prefect'": ["python", "-c", "import prefect"],
}


def project_copy(where: Path, compile_bytecode: bool) -> Path:
    """The project's files uv needs, with `compile-bytecode` set as asked."""
    where.mkdir()
    for name in ("uv.lock", "README.md", ".python-version"):
        shutil.copy2(ROOT / name, where / name)
    shutil.copytree(ROOT / "src", where / "src", ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^compile-bytecode = .*\n", "", text)
    if compile_bytecode:
        if re.search(r"(?m)^\[tool\.uv\]$", text):
            text = re.sub(r"(?m)^\[tool\.uv\]$", "[tool.uv]\ncompile-bytecode = true", text)
        else:
            text += "\n[tool.uv]\ncompile-bytecode = true\n"
    (where / "pyproject.toml").write_text(text, encoding="utf-8")
    return where


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system seconds of uv and everything it started: less swayed by other work
    noisy: bool  # uv printed "Bytecode compiled"


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    """One new process, timed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-500:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Timing(seconds, cpu, "Bytecode compiled" in done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="Later invocations per command (median).")
    parser.add_argument(
        "--dont-write-bytecode", action="store_true", help="Set PYTHONDONTWRITEBYTECODE=1 (CI-like) instead."
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV")}
    env.pop("UV_COMPILE_BYTECODE", None)
    if args.dont_write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PYTHONDONTWRITEBYTECODE {'=1' if args.dont_write_bytecode else 'unset'}; "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| compile-bytecode | what | first `uv run` after the sync: wall (CPU) | later: median wall (min) | "
        "later: median CPU | runs printing 'Bytecode compiled' |"
    )
    print("|---|---|---|---|---|---|")
    labels = {True: "true", False: "false"}
    with tempfile.TemporaryDirectory(prefix="uv-startup-") as tmp:
        projects: dict[bool, Path] = {}
        firsts: dict[tuple[bool, str], Timing] = {}
        for compile_bytecode in (True, False):
            project = project_copy(Path(tmp) / f"compile-{compile_bytecode}", compile_bytecode)
            start = time.perf_counter()
            subprocess.run(["uv", "sync", "--locked", "-q"], cwd=project, env=env, check=True)
            sync = time.perf_counter() - start
            print(f"| {labels[compile_bytecode]} | `uv sync --locked` (a new environment) | {sync:.2f} s | | | |")
            projects[compile_bytecode] = project
            # The first invocation of each command right after the sync: what a new checkout pays once.
            for name, command in COMMANDS.items():
                firsts[compile_bytecode, name] = timed(["uv", "run", *command], project, env)
        for name, command in COMMANDS.items():
            later: dict[bool, list[Timing]] = {True: [], False: []}
            for _ in range(args.repeat):  # alternate the two, so that load from other work hits both alike
                for compile_bytecode, project in projects.items():
                    later[compile_bytecode].append(timed(["uv", "run", *command], project, env))
            for compile_bytecode in projects:
                first = firsts[compile_bytecode, name]
                runs = later[compile_bytecode]
                walls = [t.wall for t in runs]
                noisy = sum(t.noisy for t in [first, *runs])
                print(
                    f"| {labels[compile_bytecode]} | `uv run {name}` | {first.wall:.2f} s ({first.cpu:.2f} s) | "
                    f"{statistics.median(walls):.2f} s ({min(walls):.2f} s) | "
                    f"{statistics.median(t.cpu for t in runs):.2f} s | {noisy} of {1 + len(runs)} |"
                )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
