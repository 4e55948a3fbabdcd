"""Run the atheris fuzz targets for a fixed budget each, from a seed corpus built from the real article.

    uv venv fuzz/.venv && uv pip install --python fuzz/.venv atheris -e .
    fuzz/.venv/bin/python fuzz/run.py --budget 120            # every target, 120 s each
    fuzz/.venv/bin/python fuzz/run.py --budget 600 reader     # one target

Corpus, logs and crash artifacts go under --work (default fuzz/work/). Prints executions and
crashes per target; exits 1 when a target crashed. Not part of pytest.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
SEED = ROOT / "seeds" / "000_d9b025f51903baf0.txt"
REGRESSIONS = ROOT / "tests" / "fuzz_regressions"
TARGETS = {"reader": FUZZ / "fuzz_reader.py", "salary": FUZZ / "fuzz_salary.py"}

READER_TOKENS = [
    "---json",
    "---",
    "---yaml",
    "---toml",
    "\n---\n",
    "{",
    "}",
    "[",
    "]",
    '"slug": ',
    '"title": ',
    '"tags": ',
    '"related_jobs": ',
    "NaN",
    "Infinity",
    "\\ud800",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object/apply:",
    "!!binary",
    "? ",
    "| ",
    " |",
    "|---|",
    "| :--- |",
    "\\|",
    "# ",
    "## ",
    "> ",
    "- ",
    "```",
    "#推奨タグ",
    "`#",
    "年収",
    "年収範囲 (万円)",
    "経験年数",
    "ツール",
    "スキル",
    "質問",
    "キャリア段階",
    "〜",
    "万円",
    "+",
    "以上",
    "\r\n",
    "\r",
    "\x00",
    "\xef\xbb\xbf",
    "(",
    ")",
    "（",
    "）",
    "![",
    "](",
    "<http://",
    "&#",
    "*",
    "_",
]
SALARY_TOKENS = [
    "万円",
    "万",
    "円",
    "千",
    "億",
    "K",
    "M",
    "〜",
    "~",
    "から",
    "-",
    "以上",
    "以下",
    "未満",
    "まで",
    "超",
    "+",
    "約",
    "程度",
    "年収",
    "月給",
    "時給",
    "日給",
    "基本給",
    "賞与",
    "手当",
    "年収例",
    "（",
    "）",
    "(",
    ")",
    "※",
    "、",
    ",",
    "\n",
    "①",
    "五百",
    "一万",
    "千二百",
    "時間",
    "歳",
    "年",
    "年目",
    "ヶ月",
    "回",
    "/",
    "応相談",
    "シニア",
    "ジュニア",
    "マネージャー",
    "リード",
    "新卒",
    "Senior",
    "years",
    "以上/",
    ".5",
]


def reader_corpus(directory: Path) -> None:
    from jobpipeline.decode import decode_article

    seed = SEED.read_bytes()
    text = decode_article(seed)
    front, body = text.split("\n---\n", 1)
    inputs = {
        "seed": seed,
        "crlf": text.replace("\n", "\r\n").encode(),
        "head": (front + "\n---\n" + body[:2500]).encode(),
        "yaml": b"---\nslug: mlops_engineer\ntitle: t\ntags: [a, b]\nrelated_jobs:\n  - x\n---\n"
        + body[:1500].encode(),
        "tables": b'---json\n{"slug": "a", "title": "t"}\n---\n'
        + "\n\n".join(re.findall(r"(?m)(?:^\|.*\n)+", body)).encode(),
    }
    for name, data in inputs.items():
        (directory / name).write_bytes(data)
    if REGRESSIONS.is_dir():
        for path in REGRESSIONS.iterdir():
            if path.is_file() and not path.name.startswith("salary-"):
                shutil.copy(path, directory / path.name)


def salary_corpus(directory: Path) -> None:
    from jobpipeline.read import read_article

    article = read_article(SEED.read_bytes(), "seed.txt").article
    assert article is not None
    texts = [row.band.raw for row in article.salary_rows]
    texts += [row.experience.label for row in article.salary_rows]
    texts += [
        "月給30万円（年収420万円〜）",
        "基本給（月額平均）又は時間額 200,000円〜250,000円",
        "2800K円",
        "応相談",
        "時給1,200円〜",
        "420-650万",
        "2,000〜1億",
        "五百万円",
        "3年未満",
        "1.5年",
        "シニアマネージャー (10年以上)",
    ]
    for index, text in enumerate(texts):
        (directory / f"text-{index}").write_bytes(bytes([1, index % 6]) + text.encode())
    if REGRESSIONS.is_dir():
        for path in REGRESSIONS.glob("salary-*"):
            shutil.copy(path, directory / path.name)


def write_dict(path: Path, tokens: list[str]) -> None:
    lines = []
    for token in tokens:
        escaped = "".join(f"\\x{b:02x}" if b < 0x20 or b >= 0x7F or b in b'"\\' else chr(b) for b in token.encode())
        lines.append(f'"{escaped}"')
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def run(target: str, budget: int, work: Path) -> tuple[int, list[Path]]:
    """Fuzz `target` for `budget` seconds; returns (inputs run, new crash artifacts).

    libFuzzer stops at the first crash (and its -fork mode cannot re-execute a Python script), so
    the target is restarted on the grown corpus until the budget is spent: one bug does not hide
    the next.
    """
    corpus = work / "corpus" / target
    artifacts = work / "artifacts" / target
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    (reader_corpus if target == "reader" else salary_corpus)(corpus)
    dictionary = work / f"{target}.dict"
    write_dict(dictionary, READER_TOKENS if target == "reader" else SALARY_TOKENS)
    before = set(artifacts.iterdir())
    executed = 0
    deadline = time.monotonic() + budget
    for attempt in itertools.count():
        remaining = int(deadline - time.monotonic())
        if remaining < 5:
            break
        log = work / f"{target}.{attempt}.log"
        command = [
            sys.executable,
            str(TARGETS[target]),
            str(corpus),
            f"-max_total_time={remaining}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-dict={dictionary}",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
        ]
        with open(log, "w") as handle:
            subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False, cwd=ROOT)
        text = log.read_text(errors="replace")
        counts = [int(n) for n in re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)]
        counts = counts or [int(n) for n in re.findall(r"(?m)^#(\d+)\s", text)][-1:]
        executed += max(counts, default=0)
    crashes = sorted(set(artifacts.iterdir()) - before)
    return executed, crashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help="reader and/or salary (default: both)")
    parser.add_argument("--budget", type=int, default=120, help="seconds per target (default 120)")
    parser.add_argument("--work", type=Path, default=FUZZ / "work", help="corpus, logs and artifacts")
    args = parser.parse_args()
    failed = False
    print(f"{'target':8} {'budget':>7} {'inputs run':>12} crashes")
    for target in args.targets or list(TARGETS):
        if target not in TARGETS:
            parser.error(f"unknown target {target!r}: use {' or '.join(TARGETS)}")
        execs, crashes = run(target, args.budget, args.work)
        failed |= bool(crashes)
        print(f"{target:8} {args.budget:>6}s {execs:>12,} {len(crashes)}", flush=True)
        for crash in crashes:
            print(f"    {crash}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
