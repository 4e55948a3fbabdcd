"""Seconds for the pathological inputs the tests bound by work instead of by time.

The suite has no timed test: it checks that these inputs stay linear (profile event counts) and that
a run over every hostile file stays under its memory bound. This script prints the wall-clock figures
that go with them, for a person to compare across changes.

    uv run python benchmarks/pathological.py
    uv run python benchmarks/pathological.py --five-mb   # only the 5 MB files of issue 16, as a table
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the hostile corpus and the measured run are the tests' own

from test_hostile_input import build_seeds, run_measured  # noqa: E402

from jobpipeline.body import tool_names  # noqa: E402
from jobpipeline.decode import MAX_FILE_BYTES  # noqa: E402
from jobpipeline.levels import parse_experience  # noqa: E402
from jobpipeline.read import read_article  # noqa: E402
from jobpipeline.salary import normalize_salary  # noqa: E402
from jobpipeline.synth import default_template, make_plan, prepare_template, synth_article  # noqa: E402

REGRESSIONS = ROOT / "tests" / "fuzz_regressions"


def seconds(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def cpu_seconds(call: Callable[[], object]) -> float:
    """CPU time of this process: on a shared machine the wall clock mostly measures the neighbours."""
    started = time.process_time()
    call()
    return time.process_time() - started


FILE_BYTES = MAX_FILE_BYTES - 4096  # just under the reader's 5 MB limit
"""Issue 16: every 5 MB file reads within BUDGET times the time of 5 MB of ordinary articles."""
BUDGET = 5.0


def _fill(head: str, unit: str, tail: str = "", limit: int = FILE_BYTES) -> bytes:
    """`head`, then `unit` repeated until the file is just under `limit` bytes, then `tail`."""
    room = limit - len(head.encode()) - len(tail.encode())
    return (head + unit * (room // len(unit.encode())) + tail).encode()


def _front(**extra: object) -> str:
    fields = {"slug": "hostile", "title": "t", "category": "c", "meta_description": "d", **extra}
    return "---json\n" + json.dumps(fields, ensure_ascii=False) + "\n---\n\n"


SALARY_HEAD = "## 💰 日本での推定年収\n\n| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |\n"


def adversarial_files() -> dict[str, bytes]:
    """5 MB files built to be slow: the cases of issue 16 and a few more."""
    keys = {f"k{i}": 1 for i in range(24_000)}  # 48,000 values, under the cap: 24,000 field-unknown findings
    many = ", ".join(f'"k{i}": 1' for i in range(FILE_BYTES // 14))
    files = {
        "one salary cell of `賞与300万円 ` (issue 16: 101 s at 193 KB)": _fill(
            _front() + SALARY_HEAD + "| ジュニア | ", "賞与300万円 ", " | x |\n"
        ),
        "one salary cell of `1〜`": _fill(_front() + SALARY_HEAD + "| ジュニア | ", "1〜", " | x |\n"),
        "15,000 salary rows of 330 characters": _fill(
            _front() + SALARY_HEAD, "| ジュニア | " + "1〜2 " * 80 + "月給30万円 | x |\n"
        ),
        "1,900 salary rows of 1,999 characters (under the cap)": _fill(
            _front() + SALARY_HEAD, "| ジュニア | " + "1〜" * 999 + "1 |\n"
        ),
        "JSON front matter of 24,000 unknown keys (under the value cap)": (_front(**keys) + "本文\n").encode(),
        "JSON front matter of 5 MB of unknown keys (over the value cap)": (
            '---json\n{"slug": "hostile", "title": "t", ' + many + "}\n---\n本文\n"
        ).encode(),
        "one 5 MB line of prose": _fill(_front(), "あいうえお。", "\n"),
        "3,700 tables of one 1.4 KB row (under the line cap)": _fill(
            _front(), "| a | b |\n|---|---|\n| " + "x" * 700 + " | " + "y" * 700 + " |\n\n"
        ),
        "tables in quotes nested 40 deep (under the line cap)": _fill(
            _front(),
            ">" * 40 + " | a | b |\n" + ">" * 40 + " |---|---|\n" + ">" * 40 + " | " + "x" * 1_200 + " | y |\n\n",
        ),
        "a table of 100,000 cells": _fill(_front(), "| " + " | ".join("x" * 10 for _ in range(20)) + " |\n"),
        "tools cell of `AB (C D)`": _fill(
            _front()
            + "### 💻 ツール・サービス\n\n| ツールカテゴリ | 具体的なツール名と用途 |\n| :--- | :--- |\n| CI | ",
            "AB (C D) ",
            " |\n",
        ),
    }
    return files


def ordinary_seconds(target: int = FILE_BYTES) -> tuple[float, int, int]:
    """Seconds to read ~5 MB of ordinary `jobpipeline synth` articles (best of 3), with their count and bytes."""
    plan = make_plan(400, 1, 0.0, prepare_template(default_template()))
    articles: list[bytes] = []
    while sum(map(len, articles)) < target:
        articles.append(synth_article(plan, len(articles)).data)
    best = min(cpu_seconds(lambda: [read_article(a, "x.txt") for a in articles]) for _ in range(3))
    return best, len(articles), sum(map(len, articles))


def five_megabytes() -> None:
    """Each adversarial 5 MB file against 5 MB of ordinary articles; prints a Markdown table."""
    base, count, size = ordinary_seconds()
    print(f"\n5 MB of ordinary articles: {count} synth articles, {size:,} bytes, {base:.3f} CPU s (best of 3)\n")
    print("| 5 MB file | bytes | CPU s | × ordinary | findings | within 5× |")
    print("|---|---:|---:|---:|---|---|")
    for name, data in adversarial_files().items():
        result = None

        def read(data: bytes = data) -> None:
            nonlocal result
            result = read_article(data, "hostile.txt")

        spent = cpu_seconds(read)
        assert result is not None
        codes = Counter(f.code for f in result.findings)
        shown = ", ".join(f"{code} ×{n:,}" for code, n in codes.most_common(3))
        verdict = "yes" if spent <= BUDGET * base else "NO"
        print(f"| {name} | {len(data):,} | {spent:.3f} | {spent / base:.1f} | {shown} | {verdict} |")


def main() -> None:
    if "--five-mb" in sys.argv:
        five_megabytes()
        return
    cases: list[tuple[str, Callable[[], object]]] = [
        ("salary cell of 40,000 `(` (was ~19 s when quadratic)", lambda: normalize_salary("(" * 40_000, unit="万円")),
        ("tools cell of 20,000 `AB (C D)` (was ~37 s)", lambda: tool_names("AB (C D) " * 20_000)),
        (
            "salary cell of 12,000 `賞与300万円 `, no cap (issue 16: 101 s)",
            lambda: normalize_salary("賞与300万円 " * 12_000, unit="万円", basis="annual"),
        ),
        ("salary cell of 32,000 `1〜`, no cap (was 16.9 s)", lambda: normalize_salary("1〜" * 32_000, unit="万円")),
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
    five_megabytes()
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
