"""Benchmark jobpipeline at 1,000 and 10,000 articles (100,000 with --full) and write docs/benchmarks.md.

Everything is measured from outside with public tools: wall time with time.perf_counter around real
`jobpipeline` processes, peak memory by sampling the RSS of the run's whole process tree from /proc
(the run plus its reader processes), and per-stage seconds from the `runs` table the run wrote.

    uv run python benchmarks/run.py            # 1k and 10k
    uv run python benchmarks/run.py --full     # and 100k (about 4 GB of corpus on disk)
    uv run python benchmarks/run.py --sizes 1000 --no-server

Prefect's own costs (first run, warm server, watch, serve) and the dlt peer are benchmarks/prefect_path.py's;
this script carries its section of docs/benchmarks.md over unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobpipeline.pipeline import STAGES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prefect_path import existing_section, machine
from watch_latency import stop_managed_server

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "benchmarks" / "corpus"
OUT = ROOT / "benchmarks" / "out"
QUERY = (
    "SELECT a.category, b.level, count(*) AS bands, median(b.midpoint_yen) AS median_yen "
    "FROM salary_bands b JOIN articles a USING (slug) GROUP BY ALL ORDER BY 1, 2"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- measuring a process tree --------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return " ".join(w for w in handle.read().decode(errors="replace").split("\0") if w)
    except OSError:
        return ""


def _label(pid: int) -> str:
    """A short name for a process of the tree: the run, a reader, the forkserver, the resource tracker."""
    text = _cmdline(pid)
    try:
        with open(f"/proc/{pid}/stat") as handle:
            parent = int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        parent = 0
    # A reader is forked by the forkserver and keeps its command line: tell them apart by the parent.
    if "forkserver" in text:
        return "reader" if "forkserver" in _cmdline(parent) else "forkserver"
    for marker, name in (("jobpipeline.cli", "run"), ("resource_tracker", "resource tracker")):
        if marker in text:
            return name
    return text[:40] or str(pid)


@dataclass
class Measured:
    seconds: float
    peak_tree_mb: float
    stdout: str
    stderr: str
    returncode: int
    peak_at: float = 0.0
    """Seconds after the start when the tree's RSS peaked."""
    peak_parts: list[tuple[str, float]] = field(default_factory=list)
    """(process, MiB) of the tree at its peak: which process holds the memory."""


def measure(args: list[str], env: dict[str, str] | None = None, sample_every: float = 0.1) -> Measured:
    """Run a command; wall time and the peak summed RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    peak_at = 0.0
    peak_parts: list[tuple[str, float]] = []
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_at, peak_parts
        while not done.is_set():
            tree = [process.pid]
            index = 0
            while index < len(tree):
                tree.extend(_children(tree[index]))
                index += 1
            sizes = [(pid, _rss_kb(pid)) for pid in tree]
            total = sum(kb for _, kb in sizes)
            if total > peak:
                peak, peak_at = total, time.perf_counter() - started
                peak_parts = [(_label(pid), kb / 1024) for pid, kb in sizes]
            done.wait(sample_every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return Measured(seconds, peak / 1024, stdout, stderr, process.returncode, peak_at, peak_parts)  # MiB


def jobpipeline(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobpipeline.cli", *args]


def run_pipeline(
    seeds: Path, warehouse: Path, env: dict[str, str], local: bool = False
) -> tuple[Measured, dict[str, Any]]:
    result = measure(
        jobpipeline(
            "run",
            "--seeds",
            str(seeds),
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
            *(["--local"] if local else []),
        ),
        env=env,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"run failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result, json.loads(result.stdout)


# -- the floor: markdown-it-py alone ---------------------------------------------------------------
def markdown_floor(seeds: Path) -> tuple[float, int]:
    """Seconds for markdown-it-py (commonmark + tables, the full parse) over every body, one core."""
    code = r"""
import sys, time
from pathlib import Path
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table")
files = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.suffix in (".txt", ".md"))
bodies = []
for p in files:
    text = p.read_bytes().decode("utf-8", "replace")
    parts = text.split("\n---\n", 1)
    bodies.append(parts[1] if len(parts) == 2 else text)
start = time.perf_counter()
for body in bodies:
    md.parse(body)
print(time.perf_counter() - start, len(bodies))
"""
    out = subprocess.run([sys.executable, "-c", code, str(seeds)], capture_output=True, text=True, check=True)
    seconds, count = out.stdout.split()
    return float(seconds), int(count)


# -- a Prefect server for the "with server" figures --------------------------------------------
class Server:
    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="jp-bench-prefect-"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import urllib.request

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1):
                    return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the Prefect server did not start")

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.process:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        shutil.rmtree(self.home, ignore_errors=True)


# -- one size ----------------------------------------------------------------------------------------
@dataclass
class SizeResult:
    n: int
    corpus_mb: float
    floor_s: float
    cold: Measured
    cold_record: dict[str, Any]
    cold_stages: dict[str, float]
    nochange: Measured
    nochange_stages: dict[str, float]
    edit: Measured
    edit_stages: dict[str, float]
    warehouse_mb: float
    published_mb: float
    query_cli_s: float
    query_inprocess_s: float
    local_cold_s: float | None = None
    notes: list[str] = field(default_factory=list)


def stages(warehouse: Path) -> dict[str, float]:
    code = (
        "import duckdb, json, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute('SELECT stage_seconds FROM runs ORDER BY run_id DESC LIMIT 1').fetchall()[0][0])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def bench_size(n: int, env: dict[str, str], work: Path, with_local: bool, floor: bool = True) -> SizeResult:
    corpus = CORPORA / f"n{n}"
    if not (corpus / ".synth.json").exists() or json.loads((corpus / ".synth.json").read_text()).get("n") != n:
        log(f"generating {n} articles into {corpus}...")
        subprocess.run(
            jobpipeline("synth", "--n", str(n), "--out", str(corpus), "--seed", "1"),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    corpus_mb = folder_mb(corpus)
    floor_s = float("nan")
    if floor:
        log(f"[{n}] markdown-it-py floor...")
        floor_s, _ = markdown_floor(corpus)
    # Work on a copy so the edit does not touch the cached corpus.
    seeds = work / f"seeds-{n}"
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.copytree(corpus, seeds, ignore=shutil.ignore_patterns(".synth.json"))
    warehouse = work / f"wh-{n}" / "jobs.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    log(f"[{n}] cold run...")
    cold, cold_record = run_pipeline(seeds, warehouse, env)
    cold_stages = stages(warehouse)
    parts = ", ".join(f"{name} {mib:,.0f}" for name, mib in sorted(cold.peak_parts, key=lambda p: -p[1]))
    log(f"[{n}] cold peak {cold.peak_tree_mb:,.0f} MiB at {cold.peak_at:.1f} s of {cold.seconds:.1f} s ({parts} MiB)")
    log(f"[{n}] cold stages: {cold_stages}")
    log(f"[{n}] no-change rerun...")
    nochange, _ = run_pipeline(seeds, warehouse, env)
    nochange_stages = stages(warehouse)
    victim = sorted(seeds.rglob("*.txt"))[n // 2]
    with open(victim, "a", encoding="utf-8") as handle:
        handle.write("\n追記: ベンチマークによる編集。\n")
    log(f"[{n}] rerun after editing {victim.name}...")
    edit, edit_record = run_pipeline(seeds, warehouse, env)
    assert edit_record["files_changed"] == 1, edit_record
    edit_stages = stages(warehouse)
    query = measure(jobpipeline("query", "--warehouse", str(warehouse), "--format", "csv", QUERY))
    code = (
        "import duckdb, sys, time; t = time.perf_counter(); c = duckdb.connect(sys.argv[1], read_only=True); "
        f"c.execute({QUERY!r}).fetchall(); print(time.perf_counter() - t)"
    )
    inprocess = min(
        float(
            subprocess.run(
                [sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    )
    local_cold = None
    if with_local:
        log(f"[{n}] cold run without Prefect (--local)...")
        local_wh = work / f"wh-local-{n}" / "jobs.duckdb"
        shutil.rmtree(local_wh.parent, ignore_errors=True)
        local_cold = run_pipeline(seeds, local_wh, env, local=True)[0].seconds
        shutil.rmtree(local_wh.parent, ignore_errors=True)
    result = SizeResult(
        n=n,
        corpus_mb=corpus_mb,
        floor_s=floor_s,
        cold=cold,
        cold_record=cold_record,
        cold_stages=cold_stages,
        nochange=nochange,
        nochange_stages=nochange_stages,
        edit=edit,
        edit_stages=edit_stages,
        warehouse_mb=warehouse.stat().st_size / 1e6,
        published_mb=folder_mb(warehouse.parent / "published"),
        query_cli_s=query.seconds,
        query_inprocess_s=inprocess,
        local_cold_s=local_cold,
    )
    shutil.rmtree(seeds, ignore_errors=True)
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    return result


def fixed_cost(env: dict[str, str], work: Path) -> float:
    """Best of two runs on an empty seeds folder: what every run pays before it reads a file."""
    empty = work / "empty-seeds"
    empty.mkdir(exist_ok=True)
    times = []
    for attempt in range(2):
        warehouse = work / f"wh-empty-{attempt}" / "jobs.duckdb"
        times.append(run_pipeline(empty, warehouse, env)[0].seconds)
        shutil.rmtree(warehouse.parent, ignore_errors=True)
    return min(times)


# -- report -----------------------------------------------------------------------------------------------
def render(results: list[SizeResult], fixed: float, mode: str, prefect_section: str | None) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()} by `benchmarks/run.py` ({mode}).",
        "Corpora are `jobpipeline synth` output (seed 1, ~39 KB per article, 2% broken files).",
        "",
        # What a run pays for Prefect (first run, warm server, watch, serve, the dlt peer) is measured by
        # benchmarks/prefect_path.py; its section is carried over as it was last written.
        prefect_section or "Prefect's own costs: see `benchmarks/prefect_path.py`.\n",
        f"Figures below are net of the fixed cost ({fixed:.2f} s, a run on an empty seeds folder in the same "
        "setting) where marked *net*.",
        "",
        "## Runs",
        "",
        "| articles | corpus MB | floor s | cold s (net) | articles/s | cold / floor | no-change s (net) | "
        "no-change / cold | one edit s (net) | one edit / cold | peak RSS MiB | warehouse MB | published MB | "
        "query s (in-process / CLI) |",
        "|" + "---|" * 14,
    ]
    for r in results:
        cold_net = max(r.cold.seconds - fixed, 0.001)
        nochange_net = max(r.nochange.seconds - fixed, 0.0)
        edit_net = max(r.edit.seconds - fixed, 0.0)
        peak = max(r.cold.peak_tree_mb, r.nochange.peak_tree_mb, r.edit.peak_tree_mb)
        lines.append(
            f"| {r.n:,} | {r.corpus_mb:,.0f} | {r.floor_s:.2f} | {r.cold.seconds:.2f} ({cold_net:.2f}) | "
            f"{r.n / cold_net:,.0f} | {cold_net / r.floor_s:.2f} | {r.nochange.seconds:.2f} ({nochange_net:.2f}) | "
            f"{nochange_net / cold_net:.1%} | {r.edit.seconds:.2f} ({edit_net:.2f}) | {edit_net / cold_net:.1%} | "
            f"{peak:,.0f} | {r.warehouse_mb:,.1f} | {r.published_mb:,.1f} | "
            f"{r.query_inprocess_s:.3f} / {r.query_cli_s:.2f} |"
        )
    lines += [
        "",
        "## Seconds per stage (from the `runs` table)",
        "",
        "| articles | run | " + " | ".join(STAGES) + " |",
        "|" + "---|" * (len(STAGES) + 2),
    ]
    for r in results:
        for name, st in (("cold", r.cold_stages), ("no change", r.nochange_stages), ("one edit", r.edit_stages)):
            lines.append(f"| {r.n:,} | {name} | " + " | ".join(f"{st.get(k, 0):.2f}" for k in STAGES) + " |")
    local = [r for r in results if r.local_cold_s is not None]
    if local:
        lines += ["", "## Without Prefect (`jobpipeline run --local`, cold)", "", "| articles | seconds |", "|---|---|"]
        lines += [f"| {r.n:,} | {r.local_cold_s:.2f} |" for r in local]
    lines += [
        "",
        "## How to read this",
        "",
        "- *floor*: markdown-it-py (commonmark + tables) parsing every body on one core, nothing else.",
        "- *cold*: an empty warehouse; `jobpipeline run` through Prefect, all stages, wall time of the process.",
        "- *no-change* and *one edit*: reruns on the same warehouse; the edit appends a paragraph to one file.",
        "- *peak RSS*: the largest sum of resident memory over the run's process tree (run + reader processes),",
        "  sampled every 0.1 s from /proc.",
        "- *copy* is the copy-on-write price: the live warehouse file is copied before each load so readers are",
        "  never blocked; it grows with the warehouse size, not with the edit.",
        f"- *query*: `{QUERY}`; in-process is open + execute on a read-only connection (best of 3); CLI is the whole",
        "  `jobpipeline query` process including Python start-up.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 100,000 articles")
    parser.add_argument("--sizes", type=int, nargs="*", help="article counts (default 1000 10000)")
    parser.add_argument(
        "--no-server", action="store_true", help="run through Prefect's temporary server instead of a running one"
    )
    parser.add_argument("--local", action="store_true", help="also time cold runs without Prefect")
    parser.add_argument("--no-floor", action="store_true", help="skip the markdown-it-py floor (slow at 100k)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sizes = args.sizes or ([1000, 10000, 100000] if args.full else [1000, 10000])
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="jp-bench-", dir=OUT))
    # A private PREFECT_HOME: whatever server a run starts or finds is this benchmark's alone.
    base_env = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "ERROR",
        "PREFECT_HOME": str(work / "prefect-home"),
    }
    os.environ.pop("PREFECT_API_URL", None)
    try:
        results: list[SizeResult] = []
        if args.no_server:
            env = {**base_env, "JOBPIPELINE_PREFECT_SERVER": "ephemeral"}
            log("fixed cost with Prefect's temporary server...")
            fixed = fixed_cost(env, work)
            for n in sizes:
                results.append(bench_size(n, env, work, args.local, not args.no_floor))
            mode = "runs through Prefect's temporary server"
        else:
            with Server() as server:
                env = {**base_env, "PREFECT_API_URL": server.url}
                log("fixed cost against a running server...")
                fixed = fixed_cost(env, work)
                for n in sizes:
                    results.append(bench_size(n, env, work, args.local, not args.no_floor))
            mode = "runs against a local Prefect server"
        previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        text = render(results, fixed, mode, existing_section(previous))
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(text)
    finally:
        stop_managed_server(work / "prefect-home")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
