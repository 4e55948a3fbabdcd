"""The synthetic corpus generator: deterministic, seed-shaped, broken exactly where it says."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SEED

from jobpipeline.models import ReadResult
from jobpipeline.read import read_article
from jobpipeline.salary import normalize_salary
from jobpipeline.synth import (
    BROKEN_KINDS,
    CATEGORIES,
    EXPECTED_CODES,
    MARKER,
    SynthReport,
    _salary_cell,
    default_template,
    generate_corpus,
    job_identity,
    prepare_template,
)
from jobpipeline.validate import SLUG_PATTERN, CorpusEntry, check_corpus

N = 200
SHARE = 0.1
SEED_SIZE = 38_883


@dataclass(frozen=True)
class Corpus:
    root: Path
    report: SynthReport
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("synth") / "a"
    calls: list[tuple[int, int]] = []
    report = generate_corpus(root, N, seed=7, broken_share=SHARE, progress=lambda d, t: calls.append((d, t)))
    return Corpus(root, report, calls)


@pytest.fixture(scope="module")
def reads(corpus: Corpus) -> dict[str, ReadResult]:
    """Every file of the corpus read once, by relative path."""
    found: dict[str, ReadResult] = {}
    for path in sorted(corpus.root.rglob("*.txt")):
        relative = path.relative_to(corpus.root).as_posix()
        found[relative] = read_article(path.read_bytes(), relative)
    return found


def entries_of(reads: dict[str, ReadResult]) -> list[CorpusEntry]:
    articles = [r.article for r in reads.values() if r.article is not None]
    return [
        CorpusEntry(a.source_path, a.slug, a.front_matter.related_jobs, a.front_matter.related_lines) for a in articles
    ]


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_arguments_give_byte_identical_corpora(corpus: Corpus, tmp_path: Path) -> None:
    """Generating again with the same n, seed and share writes the same bytes, marker included."""
    generate_corpus(tmp_path / "b", N, seed=7, broken_share=SHARE)
    assert files_of(tmp_path / "b") == files_of(corpus.root)
    generate_corpus(tmp_path / "c", 20, seed=8, broken_share=SHARE)
    first = files_of(corpus.root)
    assert all(first.get(path) != data for path, data in files_of(tmp_path / "c").items())


def test_layout_marker_and_report(corpus: Corpus) -> None:
    """N files named NNNNNNN_<slug>.txt in 1,000-file folders, with a marker matching the report."""
    paths = sorted(p.relative_to(corpus.root).as_posix() for p in corpus.root.rglob("*.txt"))
    assert len(paths) == N == corpus.report.files_written
    assert all(re.fullmatch(r"0000/[0-9]{7}_[a-z][a-z0-9_]*\.txt", p) for p in paths)
    assert [int(p[5:12]) for p in paths] == list(range(N))
    marker = json.loads((corpus.root / MARKER).read_text(encoding="utf-8"))
    assert marker["complete"] is True
    assert (marker["n"], marker["seed"], marker["broken_share"]) == (N, 7, SHARE)
    assert marker["broken"] == corpus.report.broken
    on_disk = sum(p.stat().st_size for p in corpus.root.rglob("*.txt"))
    assert marker["bytes"] == corpus.report.bytes_written == on_disk
    assert sum(corpus.report.broken.values()) == round(N * SHARE) == len(corpus.report.broken_files)
    assert min(corpus.report.broken.values()) >= 2 and set(corpus.report.broken) == set(BROKEN_KINDS)
    assert corpus.progress == [(N, N)]


def test_articles_are_about_the_seed_size(corpus: Corpus) -> None:
    """Files average ~39 KB (within 25%) and vary in size."""
    sizes = [p.stat().st_size for p in corpus.root.rglob("*.txt")]
    assert abs(sum(sizes) / len(sizes) - SEED_SIZE) < 0.25 * SEED_SIZE
    assert len(set(sizes)) > N // 2


def test_sound_articles_are_accepted_with_parsed_salaries(corpus: Corpus, reads: dict[str, ReadResult]) -> None:
    """Every file not marked broken reads without any finding, with 3-5 salary rows that all parse."""
    broken = corpus.report.broken_files
    categories: set[str] = set()
    for relative, result in reads.items():
        if relative in broken:
            continue
        assert result.article is not None, [f.format_line() for f in result.findings]
        assert result.findings == (), [f.format_line() for f in result.findings]
        article = result.article
        assert 3 <= len(article.salary_rows) <= 5
        for row in article.salary_rows:
            # `〜800` is the one form with an open lower end: it still has its upper figure.
            assert row.band.min_yen is not None or (row.band.raw.startswith("〜") and row.band.max_yen)
        assert relative.endswith(f"_{article.slug}.txt")
        assert article.front_matter.thumbnail == f"/static/img/{article.slug}.png"
        assert 1 <= len(article.front_matter.related_jobs) <= 4
        assert article.hashtags and article.tools and article.interview_questions
        categories.add(article.front_matter.category or "")
    assert len(categories) >= 10


def test_broken_files_raise_their_expected_code(corpus: Corpus, reads: dict[str, ReadResult]) -> None:
    """Each broken file is rejected or flagged with the code its kind promises, and no sound file is."""
    codes = {relative: {f.code for f in result.findings} for relative, result in reads.items()}
    for finding in check_corpus(entries_of(reads)).findings:
        codes[finding.source_path].add(finding.code)
    for relative, kind in corpus.report.broken_files.items():
        assert codes[relative] - {"related-dangling"} == {EXPECTED_CODES[kind]}, (relative, kind)
        if kind not in ("salary_unparseable", "duplicate_slug"):
            assert reads[relative].article is None
    flagged = {r for r, found in codes.items() if found & (set(EXPECTED_CODES.values()))}
    assert flagged == set(corpus.report.broken_files)
    assert {k for k in BROKEN_KINDS if corpus.report.broken[k]} == set(BROKEN_KINDS)


def test_about_one_related_link_in_ten_dangles(corpus: Corpus, reads: dict[str, ReadResult]) -> None:
    """check_corpus finds 5-20% of related links dangling, matching the report's count."""
    entries = entries_of(reads)
    check = check_corpus(entries)
    losers = check.losers
    links = sum(len(e.related_jobs) for e in entries if e.source_path not in losers)
    dangling = sum(1 for f in check.findings if f.code == "related-dangling")
    assert links == corpus.report.related_links
    assert dangling == corpus.report.dangling_links
    assert 0.05 <= dangling / links <= 0.20


def test_salary_cells_parse_in_every_form() -> None:
    """A few thousand generated cells normalize under a 万円 header with no warning and low ≤ high."""
    rng = random.Random(1)
    cells = set()
    for _ in range(3_000):
        low = rng.randrange(200, 3_000, 10)
        high = low + rng.randrange(100, 1_500, 50)
        if rng.random() < 0.05:
            low, high = rng.randrange(6_000, 9_000, 500), rng.randrange(10_000, 15_000, 1_000)
        cells.add(_salary_cell(rng, low, high, first=rng.random() < 0.5, last=rng.random() < 0.5))
    for expected in ("〜", "-", "～", "+", "以上", "超", "万〜", ".5", "億"):
        assert any(expected in cell for cell in cells), expected
    for cell in sorted(cells):
        band = normalize_salary(cell, unit="万円", basis="annual")
        assert band.warnings == (), (cell, band.warnings)
        assert band.min_yen is not None or band.max_yen is not None, cell
        if band.min_yen is not None and band.max_yen is not None:
            assert band.min_yen <= band.max_yen, cell


def test_identities_are_valid_unique_slugs() -> None:
    """Slugs are unique, match the slug pattern, and spread over the categories."""
    jobs = [job_identity(3, i) for i in range(2_000)]
    assert len({j.slug for j in jobs}) == len(jobs)
    assert all(SLUG_PATTERN.match(j.slug) for j in jobs)
    assert {j.category for j in jobs} == set(CATEGORIES) and len(CATEGORIES) == 12


def test_refuses_a_folder_that_is_not_a_synthetic_corpus(tmp_path: Path) -> None:
    """A non-empty folder without a synth marker is left untouched and a ValueError raised."""
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="not a synthetic corpus"):
        generate_corpus(tmp_path, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_replaces_a_previous_synthetic_corpus_only(tmp_path: Path) -> None:
    """A previous corpus is replaced, but a stray file inside it makes the generator refuse."""
    out = tmp_path / "corpus"
    generate_corpus(out, 30, broken_share=0.0)
    report = generate_corpus(out, 5, seed=1, broken_share=0.0)
    assert report.files_written == 5 and len(list(out.rglob("*.txt"))) == 5
    (out / "0000" / "mine.md").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mine\.md"):
        generate_corpus(out, 5)
    assert (out / "0000" / "mine.md").exists() and len(list(out.rglob("*.txt"))) == 5


def test_default_template_is_package_data_copied_from_the_seed() -> None:
    """The default template is read from the package (never from seeds/), and is the real seed's bytes."""
    assert default_template().encode("utf-8") == SEED.read_bytes()
    assert len(SEED.read_bytes()) == SEED_SIZE


def test_given_template_sets_the_size_and_must_have_a_salary_table(tmp_path: Path) -> None:
    """A template given as text sets the article size, and one without a 年収 table is refused."""
    text = default_template()
    template = text[: text.index("\n## ", len(text) // 2)]  # the first half of the seed: a smaller article
    size = len(template.encode())
    assert size < 0.75 * SEED_SIZE
    report = generate_corpus(tmp_path / "given", 12, template=template, broken_share=0.0)
    assert abs(report.bytes_written / 12 - size) < 0.25 * size
    with pytest.raises(ValueError, match="salary"):
        prepare_template('---json\n{"slug": "a"}\n---\n\n本文だけ。\n')


def digest(root: Path) -> str:
    """One sha256 over every file's relative path and bytes."""
    hasher = hashlib.sha256()
    for path, data in files_of(root).items():
        hasher.update(f"{path}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()


@pytest.mark.slow
def test_a_built_wheel_writes_the_same_bytes_as_the_checkout(tmp_path: Path) -> None:
    """`jobpipeline synth` from a wheel installed in a fresh venv, run away from the checkout, writes exactly
    the corpus the checkout writes for the same arguments."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True
    )
    [wheel] = (tmp_path / "dist").glob("jobpipeline-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--offline", "--no-deps", "--python", str(python), str(wheel)],
        check=True,
        capture_output=True,
    )
    # The wheel's jobpipeline, with its dependencies from this environment (a PYTHONPATH entry is not a site
    # folder, so the checkout's editable-install .pth is not read).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(site.getsitepackages())}
    env.pop("VIRTUAL_ENV", None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import jobpipeline.synth as s; print(s.__file__)"],
        env=env,
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    subprocess.run(
        [
            str(venv / "bin" / "jobpipeline"),
            "synth",
            "--n",
            "30",
            "--seed",
            "11",
            "--broken-share",
            "0.2",
            "--out",
            str(tmp_path / "from-wheel"),
        ],
        env=env,
        cwd=elsewhere,
        check=True,
        capture_output=True,
    )
    generate_corpus(tmp_path / "from-checkout", 30, seed=11, broken_share=0.2)
    assert digest(tmp_path / "from-wheel") == digest(tmp_path / "from-checkout")
