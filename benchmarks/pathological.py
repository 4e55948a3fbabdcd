"""Seconds for the pathological inputs the tests bound by work instead of by time.

The suite has no timed test: it checks that these inputs stay linear (profile event counts) and that
a run over every hostile file stays under its memory bound. This script prints the wall-clock figures
that go with them, for a person to compare across changes.

    uv run python benchmarks/pathological.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the hostile corpus and the measured run are the tests' own

from test_hostile_input import build_seeds, run_measured  # noqa: E402

from jobpipeline.body import tool_names  # noqa: E402
from jobpipeline.levels import parse_experience  # noqa: E402
from jobpipeline.read import read_article  # noqa: E402
from jobpipeline.salary import normalize_salary  # noqa: E402

REGRESSIONS = ROOT / "tests" / "fuzz_regressions"


def seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    cases: list[tuple[str, Callable[[], object]]] = [
        ("salary cell of 40,000 `(` (was ~19 s when quadratic)", lambda: normalize_salary("(" * 40_000, unit="万円")),
        ("tools cell of 20,000 `AB (C D)` (was ~37 s)", lambda: tool_names("AB (C D) " * 20_000)),
    ]
    for path in sorted(REGRESSIONS.glob("reader-*")):
        data = path.read_bytes()
        cases.append((f"fuzz regression {path.name}", lambda data=data: read_article(data, "fuzz/input.txt")))
    for path in sorted(REGRESSIONS.glob("salary-*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))

        def salary(case: dict[str, str] = case) -> None:
            normalize_salary(case["text"], unit=case["unit"], basis=case["basis"])
            parse_experience(case["text"])

        cases.append((f"fuzz regression {path.name}", salary))
    for name, call in cases:
        print(f"{seconds(call):8.3f} s  {name}")
    with tempfile.TemporaryDirectory() as tmp:
        seeds, files, _ = build_seeds(Path(tmp))
        started = time.perf_counter()
        code, _, peak_mib = run_measured(
            [
                sys.executable,
                "-m",
                "jobpipeline.cli",
                "run",
                "--local",
                "--seeds",
                str(seeds),
                "--warehouse",
                str(Path(tmp) / "wh" / "jobs.duckdb"),
            ],
            timeout=600,
        )
        print(
            f"{time.perf_counter() - started:8.3f} s  run over {len(files)} hostile files (exit {code}, "
            f"peak RSS {peak_mib:.0f} MiB)"
        )


if __name__ == "__main__":
    main()
