"""Strings per second the salary normalizer reads, on the real-world corpus and on article table cells.

Reads every string of `tests/data/salary_corpus.tsv` (real job-posting, Hello Work and article
text, 3 to 300 characters) and the cells of an article's salary table (`450〜700` under a
`年収範囲 (万円)` header), best of several rounds, and prints strings per second and microseconds
per string for each. Time is this process's CPU time, so other work on a shared machine does not
inflate it. The figure to keep is "well under 0.1 ms per table cell".

    uv run python benchmarks/salary_speed.py [--rounds 5] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import csv
import platform
import time
from collections.abc import Callable
from pathlib import Path

from jobpipeline.salary import normalize_salary

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "salary_corpus.tsv"
CELLS = ["450〜700", "700〜1,100", "1,100〜1,800+", "1,000万円以上", "応相談", "2,000〜1億"]


def corpus_texts() -> list[str]:
    """The corpus strings, with `\\n` turned back into line breaks."""
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [row["text"].replace("\\n", "\n") for row in rows]


def best_rate(work: Callable[[], int], rounds: int, seconds: float) -> float:
    """The best strings per CPU second of `rounds` rounds, each repeating `work` for about `seconds`."""
    best = 0.0
    for _ in range(rounds):
        done, start = 0, time.process_time()
        while (elapsed := time.process_time() - start) < seconds:
            done += work()
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    texts = corpus_texts()

    def corpus() -> int:
        for text in texts:
            normalize_salary(text)
        return len(texts)

    def cells() -> int:
        for cell in CELLS:
            normalize_salary(cell, unit="万円", basis="annual")
        return len(CELLS)

    print(f"Python {platform.python_version()}, best of {args.rounds} rounds of {args.seconds:g} CPU s")
    print("| input | strings | strings/s | µs per string |")
    print("|---|---:|---:|---:|")
    for name, work, n in (("corpus", corpus, len(texts)), ("table cells", cells, len(CELLS))):
        rate = best_rate(work, args.rounds, args.seconds)
        print(f"| {name} | {n} | {rate:,.0f} | {1e6 / rate:.1f} |")


if __name__ == "__main__":
    main()
