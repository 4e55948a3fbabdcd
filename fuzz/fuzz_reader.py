"""Coverage-guided fuzzing of the reader (atheris): `read_article` on arbitrary bytes.

Run through fuzz/run.sh (see fuzz/README.md); one input:  python fuzz/fuzz_reader.py CRASH_FILE

A crash is any exception, or a broken invariant:
- every finding names the file and has a code;
- the article is None exactly when a finding is an error;
- everything the reader returns can be turned into warehouse rows and written as UTF-8 JSON
  (a lone surrogate or a date-typed key would break the load in another process).
"""

from __future__ import annotations

import json
import sys

import atheris

with atheris.instrument_imports(include=["jobpipeline", "yaml", "markdown_it", "frontmatter"]):
    from jobpipeline.read import read_article
    from jobpipeline.rows import article_rows

PATH = "fuzz/input.txt"


def check(data: bytes) -> None:
    result = read_article(data, PATH)
    assert result.source_path == PATH
    for finding in result.findings:
        assert finding.source_path == PATH and finding.code, finding
        finding.model_dump_json().encode("utf-8")
    has_error = any(f.severity == "error" for f in result.findings)
    assert (result.article is None) == has_error, result.findings
    if result.article is not None:
        rows = article_rows(result.article)
        json.dumps(rows, ensure_ascii=False, default=str).encode("utf-8")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
