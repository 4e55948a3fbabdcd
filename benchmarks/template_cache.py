"""What the report's template cache saves each command that writes a report.

Times `jobpipeline run --local --verify` on the bundled seeds (every stage runs, the report is
written) in new processes, pairs interleaved so that a busy moment of the machine hits both: once
with Jinja's cache of compiled templates in its usual folder (warmed first), once with TMPDIR
pointing at a folder where that cache cannot be made (so every process compiles the templates).
Also times loading the eleven templates in one process, compiled from source and from the cache.
Prints medians; everything it writes is in a temporary folder, removed at the end.

    uv run python benchmarks/template_cache.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOAD_TEMPLATES = """
import sys, time
from jobpipeline.report._render import template_environment
env = template_environment(sys.argv[1])
names = env.list_templates(filter_func=lambda name: name.startswith("report"))
start = time.process_time()
for name in names:
    env.get_template(name)
print(len(names), time.process_time() - start)
"""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def load_seconds(cache: Path) -> tuple[int, float]:
    out = subprocess.run([sys.executable, "-c", LOAD_TEMPLATES, str(cache)], check=True, capture_output=True, text=True)
    count, seconds = out.stdout.split()
    return int(count), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    jobpipeline = shutil.which("jobpipeline") or str(Path(sys.executable).with_name("jobpipeline"))
    with tempfile.TemporaryDirectory(prefix="template-cache-") as scratch:
        root = Path(scratch)
        no_cache_tmp = root / "tmp-without-cache"
        no_cache_tmp.mkdir()
        # Jinja's default folder is `_jinja2-cache-<uid>` under the temp dir: a file there makes it refuse it.
        (no_cache_tmp / f"_jinja2-cache-{os.getuid()}").write_text("not a folder")
        run = [jobpipeline, "run", "--local", "--verify", "--seeds", str(ROOT / "seeds"), "--warehouse"]
        settings = {
            "cache": dict(os.environ),
            "no cache": {**os.environ, "TMPDIR": str(no_cache_tmp)},
        }
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in settings}
        for name, env in settings.items():  # warm both: the first process writes the cache and the .pyc files
            timed([*run, str(root / name.replace(" ", "-") / "jobs.duckdb")], env)
        for _ in range(args.repeat):
            for name, env in settings.items():
                timings[name].append(timed([*run, str(root / name.replace(" ", "-") / "jobs.duckdb")], env))

        cache_folder = root / "templates"
        cache_folder.mkdir()
        count, compiled = load_seconds(cache_folder)
        loads = [load_seconds(cache_folder)[1] for _ in range(5)]

    print(f"{platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(
        f"loading the report's {count} templates: compiled {compiled * 1000:.0f} ms CPU, "
        f"from the cache {statistics.median(loads) * 1000:.1f} ms CPU (median of 5)"
    )
    print(f"`jobpipeline run --local --verify` on the bundled seeds, median of {args.repeat} (min):")
    for name, values in timings.items():
        walls, cpus = [v[0] for v in values], [v[1] for v in values]
        print(
            f"  {name:9} wall {statistics.median(walls):.3f} s ({min(walls):.3f})   "
            f"CPU {statistics.median(cpus):.3f} s ({min(cpus):.3f})"
        )


if __name__ == "__main__":
    main()
