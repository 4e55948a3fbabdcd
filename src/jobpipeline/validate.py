"""Validation rules: per article, and across the whole corpus. Findings are data, never raised."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from jobpipeline.enrich import canonical_tag
from jobpipeline.models import Finding, FrontMatter, SalaryRow, Severity, Table
from jobpipeline.quality import CODES as ENRICHMENT_CODES

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\Z")
"""`\\Z`, not `$`: `$` also matches before a final newline, and `"alpha\\n"` is not a slug."""
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "avif", "svg")

ERROR_CODES: dict[str, str] = {
    "file-unreadable": "the file could not be read (permissions, vanished, a directory)",
    "file-name-not-utf8": "the file or folder name is not UTF-8: skipped",
    "folder-unreadable": "a subfolder could not be listed: its known files keep their last good version",
    "file-empty": "the file is empty",
    "file-too-large": "the file is over 5 MB",
    "file-binary": "the file contains NUL bytes",
    "encoding-not-utf8": "the file is not UTF-8 (Shift_JIS, UTF-16, invalid bytes)",
    "frontmatter-missing": "the file does not open with a front matter fence",
    "frontmatter-unclosed": "the front matter fence is never closed",
    "frontmatter-unknown-fence": "the fence names a language other than json or yaml",
    "frontmatter-invalid-json": "the JSON front matter does not parse",
    "frontmatter-invalid-yaml": "the YAML front matter does not parse",
    "frontmatter-not-object": "the front matter is not an object of fields",
    "frontmatter-duplicate-key": "a front matter key appears twice",
    "field-invalid": "a known field has the wrong type",
    "slug-missing": "no slug",
    "slug-invalid": "the slug does not match ^[a-z][a-z0-9_]*$",
    "slug-duplicate": "another file has the same slug: the one whose article is loaded, else the earliest path",
    "title-missing": "no title",
}
WARNING_CODES: dict[str, str] = {
    "field-unknown": "a field the schema does not know (kept as extra data)",
    "field-missing": "an optional field is absent",
    "related-invalid-slug": "a related job is not a valid slug",
    "related-self": "a related job names the article itself",
    "related-duplicate": "a related job is listed twice",
    "related-dangling": "no article in the corpus has the related slug",
    "list-item-blank": "an empty or blank tag or keyword (left out)",
    "tag-duplicate": "one tag written twice (`#MLOps` and `mlops`)",
    "salary-table-missing": "no table with a 年収 (or 年俸) header",
    "salary-table-extra": "a salary table after the first is not loaded",
    "salary-no-figure": "a salary cell holds no figure",
    "salary-min-gt-max": "a band's lower figure exceeds its upper one",
    "salary-implausible": "a band outside the plausible range for its basis",
    "salary-ambiguous": "a cell holds several candidate figures; one was chosen",
    "salary-unit-assumed": "no unit in the cell or its header: figures were read as yen",
    "salary-unit-unknown": "the header's unit is not a yen unit",
    "salary-cell-too-long": "a salary cell over 2,000 characters, or past 20,000 in one article: not read",
    "years-min-gt-max": "a row label's years are written larger first (`5-3年`); read in order",
    "image-path-unexpected": "thumbnail/hero_image do not follow /static/img/<slug>[_hero].<ext>",
    "file-symlink-skipped": "a symbolic link in the seeds folder was not followed",
    "file-suffix-not-seed": "a file named like an article (`.TXT`, `.markdown`) is not read",
    "kept-last-known-good": "the file no longer reads; the article's previous version is kept",
    # Found by the enrich stage over the warehouse (jobpipeline.quality), not when a file is read.
    **ENRICHMENT_CODES,
}


def suggest_slug(value: str) -> str:
    """A valid slug close to `value`: `ＭＬＯｐｓ-Engineer ` -> `mlops_engineer`."""
    text = unicodedata.normalize("NFKC", value).strip().lower()
    text = re.sub(r"[\s\-.]+", "_", text)
    text = re.sub(r"[^a-z0-9_]", "", text).strip("_")
    return text if text and text[0].isalpha() else f"job_{text}" if text else "job_name"


def related_slug_hint(value: str) -> str:
    """What to write instead of `value`, a related job that is not a slug, from the text alone (the corpus
    check may name the article too). A job title or a file name is not a slug: "did you mean `job_name`?"
    answered `データサイエンティスト`, and `data_scientist.txt` got `data_scientist_txt`.

    >>> related_slug_hint("mlops-engineer")
    'did you mean `mlops_engineer`?'
    >>> related_slug_hint("data_scientist.txt")
    'that is a file name: write the slug in its front matter (often `data_scientist`)'
    >>> related_slug_hint("データサイエンティスト")
    "write the article's slug (the `slug` in its front matter, e.g. `data_scientist`), not its title"
    """
    suggested = guessed_slug(value)
    if _file_stem(value):
        return f"that is a file name: write the slug in its front matter (often `{suggested}`)"
    if suggested == "job_name" or not any(char.isascii() and char.isalnum() for char in value):
        return "write the article's slug (the `slug` in its front matter, e.g. `data_scientist`), not its title"
    return f"did you mean `{suggested}`?"


def guessed_slug(value: str) -> str:
    """The slug a related job that is not one most likely meant, from its text alone (a file name: its stem)."""
    return suggest_slug(_file_stem(value) or value)


def _file_stem(value: str) -> str:
    """`value` without its suffix when it looks like a seed file's name (`data_scientist.txt`), else ""."""
    stem, dot, suffix = value.rpartition(".")
    return stem if dot and stem and suffix.lower() in ("txt", "md", "markdown", "text") else ""


def explain_invalid_slug(value: str) -> str:
    """Why `value` is not a slug, naming the offending character where it helps."""
    for char in value:
        if char in "\u200b\u200c\u200d\u2060\ufeff":
            return f"it contains an invisible character U+{ord(char):04X}"
        if char.isspace():
            return "it contains a space"
        if ord(char) > 127:
            name = unicodedata.name(char, "unknown")
            return f"it contains `{char}` (U+{ord(char):04X} {name}), which is not ASCII"
        if char.isupper():
            return "it contains uppercase letters"
    if value and not value[0].isalpha():
        return "it must start with a letter"
    return "only lowercase ASCII letters, digits and _ are allowed"


def check_article(
    source_path: str, front_matter: FrontMatter, salary_rows: Sequence[SalaryRow], block_line: int
) -> list[Finding]:
    """Checks that need only this article (the corpus-wide ones are in `check_corpus`)."""
    slug = front_matter.slug
    lines = front_matter.field_lines
    findings: list[Finding] = []

    def add(severity: Severity, code: str, field: str | None, message: str, line: int | None) -> None:
        findings.append(
            Finding(
                source_path=source_path,
                line=line,
                slug=slug,
                severity=severity,
                code=code,
                field=field,
                message=message,
            )
        )

    if not SLUG_PATTERN.match(slug):
        add(
            "error",
            "slug-invalid",
            "slug",
            f"slug {slug!r} is invalid: {explain_invalid_slug(slug)}; use `{suggest_slug(slug)}`",
            lines.get("slug", block_line),
        )
    seen: set[str] = set()
    for index, (related, line) in enumerate(
        zip(front_matter.related_jobs, _padded(front_matter.related_lines, len(front_matter.related_jobs)), strict=True)
    ):
        where = f"related_jobs[{index}]"
        at = line or lines.get("related_jobs")
        if not related.strip():
            add("warning", "related-invalid-slug", where, "the item is empty: remove it", at)
        elif not SLUG_PATTERN.match(related):
            add(
                "warning",
                "related-invalid-slug",
                where,
                f"{related!r} is not a valid slug ({explain_invalid_slug(related)}): {related_slug_hint(related)}",
                at,
            )
        elif related == slug:
            add("warning", "related-self", where, f"the article lists itself (`{related}`): remove it", at)
        elif related in seen:
            add("warning", "related-duplicate", where, f"`{related}` is listed twice: remove the repeat", at)
        seen.add(related)
    # The same word written twice (`#MLOps`, `mlops`, `ＭＬＯｐｓ`), not another name of it: `Kubernetes` beside
    # `K8s` is often meant, for search, and counts once in tag_counts anyway.
    first_of: dict[str, str] = {}
    for tag in front_matter.tags:
        key = unicodedata.normalize("NFKC", tag).strip().lstrip("#").strip().casefold()
        if key not in first_of:
            first_of[key] = tag
            continue
        message = f"`{tag}` and `{first_of[key]}` are one tag (`{canonical_tag(tag)}`): remove the repeat"
        add("warning", "tag-duplicate", "tags", message, lines.get("tags"))
    findings.extend(_salary_findings(source_path, slug, salary_rows, block_line))
    findings.extend(_image_findings(source_path, front_matter, add))
    return findings


def _padded(values: tuple[int | None, ...], length: int) -> tuple[int | None, ...]:
    return (values + (None,) * length)[:length]


def extra_salary_tables(source_path: str, slug: str, tables: tuple[Table, ...], loaded: Table | None) -> list[Finding]:
    """A salary table besides the `loaded` one (`### 外資系企業の場合` and its own bands) is not normalized: the
    warehouse holds one estimated-salary table an article. Say so, rather than drop its figures unseen."""
    return [
        Finding(
            source_path=source_path,
            line=table.line,
            slug=slug,
            severity="warning",
            code="salary-table-extra",
            field="salary",
            message=f"a second salary table (under 「{table.section_title}」) is not loaded: only the one on "
            f"line {loaded.line} becomes salary_bands; merge its rows into that table (a note column can "
            "say what differs), or turn it into prose",
        )
        for table in tables
        if loaded is not None and table.kind == "salary" and table is not loaded
    ]


def _salary_findings(source_path: str, slug: str, rows: Sequence[SalaryRow], block_line: int) -> list[Finding]:
    if not rows:
        return [
            Finding(
                source_path=source_path,
                line=None,
                slug=slug,
                severity="warning",
                code="salary-table-missing",
                field="salary",
                message="no salary table found: add a table whose header has 年収, e.g. | 経験年数 | 年収範囲 (万円) |",
            )
        ]
    findings: list[Finding] = []
    for row in rows:
        experience = row.experience
        if experience.years_reversed:
            findings.append(
                Finding(
                    source_path=source_path,
                    line=row.line,
                    slug=slug,
                    severity="warning",
                    code="years-min-gt-max",
                    field=f"salary_bands[{row.ordinal}]",
                    message=f"`{experience.label}` gives the years larger first; read as {experience.years_min}"
                    f"〜{experience.years_max}年: write the smaller number first (e.g. "
                    f"`{experience.years_min}-{experience.years_max}年`).",
                )
            )
        for warning in row.band.warnings:
            findings.append(
                Finding(
                    source_path=source_path,
                    line=row.line,
                    slug=slug,
                    severity="warning",
                    code=warning.code,
                    field=f"salary_bands[{row.ordinal}]",
                    message=warning.message,
                )
            )
    return findings


def _image_findings(source_path: str, fm: FrontMatter, add: object) -> list[Finding]:
    findings: list[Finding] = []
    expected = {
        "thumbnail": f"/static/img/{fm.slug}",
        "hero_image": f"/static/img/{fm.slug}_hero",
    }
    for field_name, stem in expected.items():
        value = getattr(fm, field_name)
        if value is None:
            continue
        if not any(value == f"{stem}.{ext}" for ext in IMAGE_EXTENSIONS):
            findings.append(
                Finding(
                    source_path=source_path,
                    line=fm.field_lines.get(field_name),
                    slug=fm.slug,
                    severity="warning",
                    code="image-path-unexpected",
                    field=field_name,
                    message=f"{value!r} does not follow the usual path: use `{stem}.png`",
                )
            )
    return findings


@dataclass(frozen=True)
class CorpusEntry:
    """What the corpus checks need to know of one readable file."""

    source_path: str
    slug: str
    related_jobs: tuple[str, ...] = ()
    related_lines: tuple[int | None, ...] = ()
    slug_line: int | None = None
    title: str | None = None
    """For a link that gives the job's name instead of its slug (`データサイエンティスト`)."""


@dataclass(frozen=True)
class CorpusCheck:
    """Who owns each slug, and the findings that need the whole corpus to see."""

    owners: dict[str, str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def losers(self) -> set[str]:
        """Source paths whose slug was already taken."""
        return {f.source_path for f in self.findings if f.code == "slug-duplicate"}


def check_corpus(
    entries: Iterable[CorpusEntry],
    *,
    also_known: Iterable[str] = (),
    broken: Mapping[str, str] | None = None,
    titles: Callable[[], Mapping[str, str]] | None = None,
    incumbents: Mapping[str, str] | None = None,
) -> CorpusCheck:
    """Resolve slug ownership and flag dangling related jobs.

    The file whose article the warehouse holds for a slug (`incumbents`: slug -> path) keeps it; among
    other claimants the earliest path wins. So a copy saved beside a loaded article (`mlops のコピー.txt`
    sorts before `mlops.txt`) is the duplicate, and never replaces the article's rows with its own.
    `also_known` are slugs that exist outside `entries` (articles kept as last known good),
    so links to them are not dangling. `broken` maps slugs to the file that names each in its front
    matter but does not load: a link to one dangles, and its finding names that file (the article exists;
    writing it again would make a duplicate). `titles` gives the title of each path's article for entries
    that carry none (asked only when a link dangles: a link naming a job is told its slug). The result does
    not depend on the order of `entries`.
    """
    held = incumbents or {}
    ordered = sorted(entries, key=lambda e: e.source_path)
    owners: dict[str, str] = {}
    findings: list[Finding] = []
    for entry in sorted(ordered, key=lambda e: held.get(e.slug) != e.source_path):  # stable: then path order
        owner = owners.get(entry.slug)
        if owner is None:
            owners[entry.slug] = entry.source_path
            continue
        why = "whose article the warehouse holds" if held.get(entry.slug) == owner else "which comes first"
        findings.append(
            Finding(
                source_path=entry.source_path,
                line=entry.slug_line,
                slug=entry.slug,
                severity="error",
                code="slug-duplicate",
                field="slug",
                message=f"slug `{entry.slug}` is already used by {owner}, {why}, and it keeps it: "
                "give this article its own slug, or delete this file if it is a copy",
            )
        )
    known = set(owners) | set(also_known)
    nearest: SlugIndex | None = None
    files: dict[str, tuple[str, str]] | None = None
    jobs: dict[str, tuple[str, str]] | None = None
    for entry in ordered:
        if owners.get(entry.slug) != entry.source_path:
            continue
        lines = _padded(entry.related_lines, len(entry.related_jobs))
        for index, (related, line) in enumerate(zip(entry.related_jobs, lines, strict=True)):
            if related in known or related == entry.slug:
                continue
            files = files if files is not None else files_by_name(owners)  # only when some link dangles
            jobs = jobs if jobs is not None else jobs_by_name(ordered, owners, titles() if titles else {})
            named = files.get(related.strip().lower())
            job = jobs.get(job_key(related))
            valid = SLUG_PATTERN.match(related) is not None
            if named is not None and named[1] != entry.slug and (valid or guessed_slug(related) != named[1]):
                message = f"`{related}` names the file {named[0]}, not a slug: its article's slug is `{named[1]}`"
            elif job is not None and job[1] != entry.slug:
                message = f"`{related}` is the job of {job[0]}, not a slug: its article's slug is `{job[1]}`"
            elif not valid:
                continue  # said when the file was read (related-invalid-slug), with the slug its name suggests
            elif broken and related in broken:
                message = (
                    f"`{related}` is the slug of {broken[related]}, which does not load: fix that file "
                    "(its own findings say how)"
                )
            else:
                nearest = nearest or slug_index(frozenset(known))  # only when some link dangles
                near = nearest.nearest(related)
                message = (
                    f"no article has slug `{related}`: did you mean `{near}`? Otherwise write it or remove the link"
                    if near
                    else f"no article has slug `{related}`: write it, fix the slug, or remove the link"
                )
            findings.append(
                Finding(
                    source_path=entry.source_path,
                    line=line,
                    slug=entry.slug,
                    severity="warning",
                    code="related-dangling",
                    field=f"related_jobs[{index}]",
                    message=message,
                )
            )
    return CorpusCheck(owners=owners, findings=findings)


def files_by_name(owners: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """(path, slug) of each article's file by the names a link may give it instead of the slug: its path, its
    file name and its name without the suffix, lowercased (`mlops` for mlops.txt, whose slug is
    `mlops_engineer`). A name two files share names neither.

    >>> files_by_name({"mlops_engineer": "ai/mlops.txt"})["mlops"]
    ('ai/mlops.txt', 'mlops_engineer')
    """
    found: dict[str, tuple[str, str] | None] = {}
    for slug, path in owners.items():
        name = path.rsplit("/", 1)[-1]
        for key in {path.lower(), name.lower(), name.rpartition(".")[0].lower()} - {""}:
            found[key] = (path, slug) if key not in found else None
    return {key: value for key, value in found.items() if value is not None}


_TITLE_PREFIX = re.compile(r"^\s*(?:【[^】]*】|\[[^\]]*\]|[(（][^)）]*[)）])\s*")
_TITLE_JOB_END = re.compile(
    r"の(?:年収|給料|給与|収入|仕事|将来性|平均|転職|需要|資格|なり方|キャリア)|とは|になるには|[：:｜|!！?？]"
)


def job_key(text: str) -> str:
    """How a job's name compares: NFKC, case, spaces and the middle dot aside (`MLOps エンジニア` is
    `mlopsエンジニア`, `データ・サイエンティスト` is `データサイエンティスト`)."""
    return re.sub(r"[\s・]+", "", unicodedata.normalize("NFKC", text).casefold())


def job_of_title(title: str) -> str:
    """The job a title is about: what comes before `の年収`, `とは`, a colon or a question mark, after any
    leading `【2026最新】`.

    >>> job_of_title("【2026最新】MLOpsエンジニアの年収・将来性は？"), job_of_title("データサイエンティストとは")
    ('MLOpsエンジニア', 'データサイエンティスト')
    """
    text = unicodedata.normalize("NFKC", title)
    while (prefix := _TITLE_PREFIX.match(text)) is not None and prefix.end():
        text = text[prefix.end() :]
    end = _TITLE_JOB_END.search(text)
    return (text[: end.start()] if end else text).strip()


def jobs_by_name(
    entries: Iterable[CorpusEntry], owners: Mapping[str, str], titles: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """(path, slug) of each owning article by its job's name and by its whole title (`job_key`; the entry's
    title, else `titles` by path); a name two articles share names neither."""
    found: dict[str, tuple[str, str] | None] = {}
    for entry in entries:
        title = entry.title or titles.get(entry.source_path)
        if title is None or owners.get(entry.slug) != entry.source_path:
            continue
        for key in {job_key(title), job_key(job_of_title(title))} - {""}:
            found[key] = (entry.source_path, entry.slug) if key not in found else None
    return {key: value for key, value in found.items() if value is not None}


@functools.lru_cache(maxsize=2)
def slug_index(slugs: frozenset[str]) -> SlugIndex:
    """The index of `slugs`, kept for the next check of the same corpus: a run checks it twice, and `watch`
    once a save, mostly with the same slugs (building it takes ~0.2 s at 10,000 articles)."""
    return SlugIndex(slugs)


class SlugIndex:
    """The corpus's slugs, to find the one a dangling link most likely meant: one typo away (a letter
    missing, extra, changed, or two swapped: `data_scientst`, `ml_engineer` for `mle_engineer`).

    Indexed by every one-letter deletion of each slug (SymSpell's trick): a lookup costs a few dozen set
    probes whatever the corpus's size, where comparing with every slug would cost minutes for thousands
    of dangling links in a corpus of thousands.

    >>> index = SlugIndex(["data_scientist", "data_engineer", "mlops_engineer"])
    >>> index.nearest("data_scientst"), index.nearest("mlosp_engineer"), index.nearest("frontend_engineer")
    ('data_scientist', 'mlops_engineer', None)
    """

    def __init__(self, slugs: Iterable[str]) -> None:
        self._by_variant: dict[str, set[str]] = {}
        for slug in slugs:
            for variant in _deletions(slug):
                self._by_variant.setdefault(variant, set()).add(slug)

    def nearest(self, slug: str) -> str | None:
        """The slug one edit from `slug` (the first in order when several are); None when none is. Numbers
        must match: `erp_architect_02821` and `erp_architect_01821` are two articles, not a typo."""
        found = {candidate for variant in _deletions(slug) for candidate in self._by_variant.get(variant, ())}
        numbers = _NUMBER.findall(slug)
        close = sorted(c for c in found if _one_edit_apart(slug, c) and _NUMBER.findall(c) == numbers)
        return close[0] if close else None


_NUMBER = re.compile(r"[0-9]+")


def _deletions(word: str) -> set[str]:
    """`word` and every word one letter shorter made from it."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution, or swap of neighbours turns `a` into `b` (not equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
