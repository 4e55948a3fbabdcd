"""Property tests (hypothesis) for the reader, the salary normalizer and the experience parser, and
regression tests for every crash the fuzzers (fuzz/, atheris) or the hostile-input probes found.

Properties: no exception escapes; every finding names the file and has a code; the article is None
exactly when a finding is an error; what is accepted can be turned into rows and written as UTF-8.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobpipeline.levels import parse_experience
from jobpipeline.models import ReadResult
from jobpipeline.read import read_article
from jobpipeline.rows import article_rows
from jobpipeline.salary import normalize_salary
from jobpipeline.validate import ERROR_CODES, WARNING_CODES

PATH = "fuzz/input.txt"
REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
SEED_BYTES = SEED.read_bytes()
SEED_LINES = SEED_BYTES.split(b"\n")
CODES = {*ERROR_CODES, *WARNING_CODES}
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False)


def check_reader(data: bytes) -> ReadResult:
    """Read `data` and assert the reader's contract (the same checks as fuzz/fuzz_reader.py)."""
    result = read_article(data, PATH)
    assert result.source_path == PATH
    for finding in result.findings:
        assert finding.source_path == PATH and finding.code, finding
        assert finding.code in CODES, finding.code
        finding.model_dump_json().encode("utf-8")
    has_error = any(f.severity == "error" for f in result.findings)
    assert (result.article is None) == has_error, result.findings
    if result.article is not None:
        json.dumps(article_rows(result.article), ensure_ascii=False, default=str).encode("utf-8")
    return result


@FAST
@given(st.binary(max_size=4000))
def test_reader_on_arbitrary_bytes(data: bytes) -> None:
    """Arbitrary bytes never make the reader raise, and the findings keep their contract."""
    check_reader(data)


@FAST
@given(
    st.builds(lambda head, fm: b"---json\n" + head + b"\n---\n" + fm, st.binary(max_size=300), st.binary(max_size=300))
)
def test_reader_on_fenced_garbage(data: bytes) -> None:
    """Garbage inside a `---json` fence is always a finding, never an exception."""
    check_reader(data)


INSERTS = [
    b"---",
    b"|",
    b"#",
    b"{",
    b"}",
    b"[",
    b'"',
    b"\\",
    b"---json",
    b"| a | b |",
    b"|---|",
    b"\r",
    b"\x00",
    b"\xff",
    b"&a",
    b"*a",
    b"\xe3\x80\x9c",
]

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(SEED_BYTES) - 1), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, len(SEED_BYTES))),
    st.tuples(st.just("delete-line"), st.integers(0, len(SEED_LINES) - 1)),
    st.tuples(st.just("duplicate-line"), st.integers(0, len(SEED_LINES) - 1), st.integers(1, 50)),
    st.tuples(st.just("insert"), st.integers(0, len(SEED_BYTES)), st.sampled_from(INSERTS)),
)


def mutate(data: bytes, op: tuple[object, ...]) -> bytes:
    kind = op[0]
    if kind == "flip":
        index, mask = op[1], op[2]
        assert isinstance(index, int) and isinstance(mask, int)
        index %= max(len(data), 1)
        return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :] if data else data
    if kind == "truncate":
        assert isinstance(op[1], int)
        return data[: op[1]]
    lines = data.split(b"\n")
    if kind in ("delete-line", "duplicate-line"):
        assert isinstance(op[1], int)
        index = op[1] % len(lines)
        if kind == "delete-line":
            return b"\n".join(lines[:index] + lines[index + 1 :])
        assert isinstance(op[2], int)
        return b"\n".join(lines[: index + 1] + [lines[index]] * op[2] + lines[index + 1 :])
    assert isinstance(op[1], int) and isinstance(op[2], bytes)
    position = op[1] % (len(data) + 1)
    return data[:position] + op[2] + data[position:]


@FAST
@given(st.lists(mutation, min_size=1, max_size=6))
def test_reader_on_mutated_seed(ops: list[tuple[object, ...]]) -> None:
    """The real article with bytes flipped, lines deleted or duplicated, cut short or with `---`, `|`, `#`, `{`
    inserted: never an exception."""
    data = SEED_BYTES
    for op in ops:
        data = mutate(data, op)
    check_reader(data)


UNITS = st.sampled_from([None, "万円", "円", "千円", "億円", "USD", ""])
BASES = st.sampled_from([None, "annual", "monthly", "hourly", "daily", "unknown"])
SALARY_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            [
                "450",
                "1,100",
                "〜",
                "万円",
                "万",
                "円",
                "+",
                "以上",
                "未満",
                "（",
                "）",
                "年収",
                "月給",
                "時給",
                "賞与",
                "①",
                "五百",
                "K",
                "-",
                " ",
                "、",
                "応相談",
                "※",
                "\n",
                "8時間",
                "25歳",
            ]
        ),
        max_size=20,
    ).map("".join),
)


@FAST
@given(SALARY_TEXT, UNITS, BASES)
def test_salary_normalizer_never_raises(text: str, unit: str | None, basis: str | None) -> None:
    """Any salary text gives a band: the raw text kept, integer yen, documented warning codes only."""
    band = normalize_salary(text, unit=unit, basis=basis)  # type: ignore[arg-type]
    assert band.raw == text
    assert all(value is None or isinstance(value, int) for value in (band.min_yen, band.max_yen))
    assert {w.code for w in band.warnings} <= set(WARNING_CODES)


@FAST
@given(SALARY_TEXT | st.text(max_size=60))
def test_parse_experience_never_raises(label: str) -> None:
    """Any row label gives a level (or None) and years within 0-60."""
    level = parse_experience(label)
    assert all(years is None or 0 <= years <= 60 for years in (level.years_min, level.years_max))


# -- regressions: found by the hostile-input probes (each used to raise or hang) -------------------
PROBE_REGRESSIONS = {
    "json-integer-over-4300-digits": (
        b'---json\n{"slug": "a", "title": "t", "x": ' + b"9" * 5000 + b"}\n---\n",
        "frontmatter-invalid-json",
    ),
    "yaml-integer-over-4300-digits": (
        b"---\nslug: a\ntitle: t\nx: " + b"9" * 5000 + b"\n---\n",
        "frontmatter-invalid-yaml",
    ),
    "yaml-impossible-date": (b"---\nslug: a\ntitle: t\nx: 2024-13-45\n---\n", "frontmatter-invalid-yaml"),
    "yaml-list-as-key": (b"---\nslug: a\ntitle: t\n? [a, b]\n: c\n---\n", "frontmatter-invalid-yaml"),
    "yaml-integer-key": (b"---\nslug: a\ntitle: t\n1: x\n---\n", "frontmatter-invalid-yaml"),
    "yaml-date-key-nested": (b"---\nslug: a\ntitle: t\nx: {2024-01-01: a}\n---\n", "frontmatter-invalid-yaml"),
    "yaml-self-referencing-alias": (b"---\nslug: a\ntitle: t\nx: &x {y: *x}\n---\n", "frontmatter-invalid-yaml"),
    "yaml-alias-chain-deeper-than-64": (
        b"---\nslug: a\ntitle: t\nl0: &l0 [1]\n"
        + b"".join(f"l{i}: &l{i} [*l{i - 1}]\n".encode() for i in range(1, 100))
        + b"---\n",
        "frontmatter-invalid-yaml",
    ),
    "json-lone-surrogate": (b'---json\n{"slug": "a", "title": "\\udfff"}\n---\n', "frontmatter-invalid-json"),
    "slug-with-trailing-newline": (b'---json\n{"slug": "alpha\\n", "title": "t"}\n---\n', "slug-invalid"),
    "ascii-utf16-without-bom": ('---json\n{"slug": "a"}\n---\n'.encode("utf-16-le"), "encoding-not-utf8"),
    "utf32-bom": ("\ufeff---json\n".encode("utf-32-le"), "encoding-not-utf8"),
}


@pytest.mark.parametrize("name", PROBE_REGRESSIONS)
def test_probe_regression(name: str) -> None:
    """Inputs that used to raise out of the reader are now one clear finding."""
    data, code = PROBE_REGRESSIONS[name]
    result = check_reader(data)
    assert code in [f.code for f in result.findings if f.severity == "error"], result.findings


def test_yaml_merge_keys_work() -> None:
    """`<<: *base` merge keys used to be refused by the duplicate-key check; they merge as YAML says."""
    result = check_reader(b"---\nslug: a\ntitle: t\nbase: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n---\n")
    assert result.article is not None
    assert result.article.front_matter.extra["d"] == {"x": 1, "y": 2}


def profile_events(call: Callable[[], object]) -> int:
    """Python calls and returns (generator resumptions included) made by `call()`: a count of work that,
    unlike a clock, is the same on every machine and every run."""
    events = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal events
        events += 1

    sys.setprofile(count)
    try:
        call()
    finally:
        sys.setprofile(None)
    return events


@pytest.mark.parametrize("n", [2_000, 4_000])
def test_salary_nested_brackets_are_linear(n: int) -> None:
    """Unclosed brackets in a salary cell used to be quadratic (40,000 `(` took ~19 s): twice the brackets
    is at most 2.5 times the work (the quadratic code did 3.9 times; timings in benchmarks/pathological.py)."""
    small = profile_events(lambda: normalize_salary("(" * (n // 2), unit="万円"))
    large = profile_events(lambda: normalize_salary("(" * n, unit="万円"))
    assert large <= 2.5 * small, (small, large)


def test_tool_cell_with_many_brackets_is_linear() -> None:
    """A tools cell with thousands of `(…)` used to be quadratic (20,000 took ~37 s): the Python work doubles
    with the cell, and each bracket's search for the name it expands reads a bounded window, not the whole
    prefix (the regex work a profile cannot count; timings in benchmarks/pathological.py)."""
    from jobpipeline.body import tool_names

    small = profile_events(lambda: tool_names("AB (C D) " * 2_000))
    large = profile_events(lambda: tool_names("AB (C D) " * 4_000))
    assert large <= 2.5 * small, (small, large)
    names = tool_names("AB (C D) " * 4_000)
    assert names[1:] == ["C D"] * 4_000
    assert tool_names("DVC (Data Version Control)") == ["DVC"]  # an expansion is dropped...
    far = tool_names("DVC" + "あ" * 300 + "(Data Version Control)")  # ...but the name is only looked for nearby
    assert "Data Version Control" in far


# -- regressions: crashes found by atheris (fuzz/), one file each in tests/fuzz_regressions/ -----------
def regression_files(prefix: str) -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob(f"{prefix}*") if p.is_file()) if REGRESSIONS.is_dir() else []


def check_salary(unit: str | None, basis: str | None, text: str) -> None:
    """The salary target's contract (fuzz/fuzz_salary.py)."""
    band = normalize_salary(text, unit=unit, basis=basis)  # type: ignore[arg-type]
    assert band.raw == text
    assert {w.code for w in band.warnings} <= set(WARNING_CODES)
    level = parse_experience(text)
    assert all(years is None or 0 <= years <= 60 for years in (level.years_min, level.years_max))


@pytest.mark.parametrize("path", regression_files("reader-"), ids=lambda p: p.name)
def test_fuzz_crash_regressions_reader(path: Path) -> None:
    """Every reader input atheris crashed on (tests/fuzz_regressions/reader-*) now reads within its contract."""
    check_reader(path.read_bytes())


@pytest.mark.parametrize("path", regression_files("salary-"), ids=lambda p: p.name)
def test_fuzz_crash_regressions_salary(path: Path) -> None:
    """Every salary input atheris crashed on (tests/fuzz_regressions/salary-*.json: unit, basis, text) now passes."""
    case = json.loads(path.read_text(encoding="utf-8"))
    check_salary(case["unit"], case["basis"], case["text"])


def replay(name: str, code: str) -> None:
    result = check_reader((REGRESSIONS / name).read_bytes())
    assert code in [f.code for f in result.findings if f.severity == "error"], result.findings


def test_fuzz_crash_ff8a736931a4() -> None:
    """atheris on 092e3cf: `"thumbnail": "…\\ud800…"` was accepted with a lone surrogate, which no UTF-8 writer takes
    (UnicodeEncodeError building rows); now frontmatter-invalid-json."""
    replay("reader-ff8a736931a4", "frontmatter-invalid-json")


def test_fuzz_crash_1a82915c23af() -> None:
    """atheris on 092e3cf: the same lone surrogate in `hero_image` of the real article."""
    replay("reader-1a82915c23af", "frontmatter-invalid-json")


def test_fuzz_crash_aa2cb15ba475() -> None:
    """atheris on 092e3cf: a key `"title\\ud800"` put the surrogate into a finding's field and message, so the
    finding itself could not be serialized (PydanticSerializationError)."""
    replay("reader-aa2cb15ba475", "frontmatter-invalid-json")


def test_fuzz_crash_a67e447205b8() -> None:
    """atheris on 092e3cf: the lone surrogate again, in a mutated copy of the real article's `hero_image`."""
    replay("reader-a67e447205b8", "frontmatter-invalid-json")


@pytest.mark.parametrize(
    ("unit", "cell"),
    [
        pytest.param("賞与300万円 ", lambda n: "賞与300万円 " * n, id="issue-16-repeated-bonus"),
        pytest.param("1〜2 ", lambda n: " ".join(f"{i}〜{i + 1}" for i in range(n)), id="distinct-ranges"),
    ],
)
def test_salary_many_bands_are_linear(unit: str, cell: Callable[[int], str]) -> None:
    """A cell of many bands is linear in the bands: each band used to look back over every band before it
    (`賞与300万円 ` 12,000 times took 101 s; the basis rule re-read every excluded band, the choice compared
    each band with every distinct one). Twice the bands is at most 2.5 times the work (was 3.5-3.9 times)."""
    small = profile_events(lambda: normalize_salary(cell(400), unit="万円"))
    large = profile_events(lambda: normalize_salary(cell(800), unit="万円"))
    assert large <= 2.5 * small, (unit, small, large)


class _CountingList(list):  # type: ignore[type-arg]
    """A list that counts the items its slices copy: work a profile of Python calls cannot see."""

    copied = 0

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        if isinstance(key, slice):
            _CountingList.copied += len(item)
        return item


class _CountingText(str):
    """Text that counts the characters `in` tests read: work a profile of Python calls cannot see."""

    read = 0

    def __contains__(self, part: object) -> bool:
        _CountingText.read += len(self)
        return super().__contains__(part)  # type: ignore[operator]


def test_salary_ranges_are_linear_in_copies_and_reads() -> None:
    """`1〜` repeated was quadratic below the profile: the basis rule copied `bands[:index]` for each band,
    and each figure tested the whole text for `につき` (~17 s for 32,000). Items copied and characters
    read now grow linearly."""
    from jobpipeline.salary import read_salary
    from jobpipeline.salary._basis import assign_basis
    from jobpipeline.salary._tokens import tokenize

    def work(n: int) -> tuple[int, int]:
        state = read_salary("1〜" * n, unit="万円")
        _CountingList.copied = _CountingText.read = 0
        for segment in state.segments:
            assign_basis(_CountingList(segment.seq), _CountingList(segment.bands))
        tokenize(_CountingText("1〜" * n))
        return _CountingList.copied, _CountingText.read

    (copied_small, read_small), (copied_large, read_large) = work(1_000), work(2_000)
    assert copied_large <= 2.5 * max(copied_small, 1), (copied_small, copied_large)
    assert read_large <= 2.5 * max(read_small, 1), (read_small, read_large)


@FAST
@given(st.text(alphabet="AB cd.-#+(1)あ/_&,", max_size=40))
def test_last_tool_name_is_the_last_match(text: str) -> None:
    """The tools rule finds the name before a bracket in the final run of name characters instead of
    matching every name in its window (a third of a 5 MB tools cell's time); the result is the same."""
    from jobpipeline.body import _TOOL_NAME, _last_tool_name

    previous = _TOOL_NAME.findall(text)
    assert _last_tool_name(text) == (previous[-1] if previous else "")
