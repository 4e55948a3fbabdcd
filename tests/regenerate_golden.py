"""The golden summary of the real seed article, and the one explicit step that rewrites it.

    uv run python tests/regenerate_golden.py           # show the diff and rewrite tests/golden/
    uv run python tests/regenerate_golden.py --check   # show the diff only; exit 1 when it differs

The test (tests/test_golden_seed.py) only compares: it never writes the expectation, so a change in
the reader's output fails until someone runs this step, reads the diff and commits it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from jobpipeline.models import ReadResult
from jobpipeline.read import read_article

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "mlops_engineer.json"
SOURCE = "000_d9b025f51903baf0.txt"
SEED = ROOT / "seeds" / SOURCE


def summarize(result: ReadResult) -> dict[str, Any]:
    """What the golden file pins of one read: front matter, lines, sections, tables, salaries, findings."""
    article = result.article
    assert article is not None
    fm = article.front_matter
    return {
        "front_matter": fm.model_dump(exclude={"field_lines", "related_lines"}),
        "field_lines": fm.field_lines,
        "related_lines": list(fm.related_lines),
        "body_line": article.body_line,
        "sections": [[s.level, s.title, s.line] for s in article.sections],
        "tables": [[t.kind, t.line, list(t.header), len(t.rows)] for t in article.tables],
        "salary": [
            {
                "label": r.experience.label,
                "level": r.experience.level,
                "years": [r.experience.years_min, r.experience.years_max],
                "min_yen": r.band.min_yen,
                "max_yen": r.band.max_yen,
                "max_open": r.band.max_open,
                "basis": r.band.basis,
                "raw": r.band.raw,
                "line": r.line,
            }
            for r in article.salary_rows
        ],
        "tools": [t.name for t in article.tools],
        "skills": [s.name for s in article.skills],
        "career_levels": [c.experience.level for c in article.career_stages],
        "interview_questions": len(article.interview_questions),
        "hashtags": list(article.hashtags),
        "findings": [f.format_line() for f in result.findings],
    }


def golden_text(data: bytes) -> str:
    """The golden file's text for the seed's bytes (JSON, one space indent, Japanese kept as written)."""
    return json.dumps(summarize(read_article(data, SOURCE)), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show how the seed's golden summary changes, and rewrite it.")
    parser.add_argument("--check", action="store_true", help="show the diff only; exit 1 when it differs")
    args = parser.parse_args(argv)
    new = golden_text(SEED.read_bytes())
    old = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    relative = GOLDEN.relative_to(ROOT).as_posix()
    diff = list(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{relative}", f"b/{relative}"
        )
    )
    if not diff:
        print(f"{relative} is up to date")
        return 0
    sys.stdout.writelines(diff)
    if args.check:
        print(f"\n{relative} differs from the reader's output (run without --check to rewrite it)")
        return 1
    GOLDEN.write_text(new, encoding="utf-8")
    print(f"\nrewrote {relative}: review the diff above and commit it with the change that caused it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
