"""Reading one article: encodings, fences, field checks, and the body's sections and tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import make_article
from hypothesis import given
from hypothesis import strategies as st

from jobpipeline.read import read_article


def codes(data: bytes | str, path: str = "x.txt") -> list[tuple[str, str, int | None]]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return [(f.severity, f.code, f.line) for f in read_article(raw, path).findings]


GOOD = make_article("alpha")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", ("error", "file-empty", None), id="empty"),
        pytest.param(b"\xef\xbb\xbf", ("error", "file-empty", None), id="lone-bom"),
        pytest.param(
            "---json\n{}\n---\n".encode("cp932") + "日本語".encode("cp932"),
            ("error", "encoding-not-utf8", 4),
            id="shift-jis",
        ),
        pytest.param(
            "\ufeff".encode("utf-16-le") + "x".encode("utf-16-le"), ("error", "encoding-not-utf8", 1), id="utf-16-bom"
        ),
        pytest.param(GOOD.encode()[:40] + b"\x00" + GOOD.encode()[40:], ("error", "file-binary", 4), id="nul-byte"),
        pytest.param(b"x" * (5 * 1024 * 1024 + 1), ("error", "file-too-large", None), id="over-5mb"),
        pytest.param(b"# no front matter\n", ("error", "frontmatter-missing", 1), id="no-fence"),
        pytest.param(b'---json\n{"slug": "a"}\n', ("error", "frontmatter-unclosed", 1), id="unclosed"),
        pytest.param(b"---toml\nslug = 'a'\n---\n", ("error", "frontmatter-unknown-fence", 1), id="toml-fence"),
        pytest.param(
            b"---js\nrequire('child_process')\n---\n",
            ("error", "frontmatter-unknown-fence", 1),
            id="js-fence-never-executed",
        ),
        pytest.param(
            b'---json\n{\n  "slug": "a",\n  "title": \n}\n---\n',
            ("error", "frontmatter-invalid-json", 5),
            id="bad-json-line",
        ),
        pytest.param(
            b'---json\n{"slug": "a", "slug": "b", "title": "t"}\n---\n',
            ("error", "frontmatter-duplicate-key", 2),
            id="duplicate-key",
        ),
        pytest.param(
            b'---json\n{"slug": "a", "title": "t", "x": NaN}\n---\n', ("error", "frontmatter-invalid-json", 2), id="nan"
        ),
        pytest.param(
            b"---json\n" + b"[" * 100 + b"]" * 100 + b"\n---\n",
            ("error", "frontmatter-invalid-json", 2),
            id="deep-nesting",
        ),
        pytest.param(b'---json\n["a"]\n---\n', ("error", "frontmatter-not-object", 2), id="json-array"),
        pytest.param(b"---\nslug: a\ntitle: [\n---\n", ("error", "frontmatter-invalid-yaml", 3), id="bad-yaml"),
        pytest.param(
            b"---\nslug: !!python/object/apply:os.system ['echo hi']\ntitle: t\n---\n",
            ("error", "frontmatter-invalid-yaml", 2),
            id="yaml-python-tag",
        ),
        pytest.param(b'---json\n{"title": "t"}\n---\n', ("error", "slug-missing", 2), id="no-slug"),
        pytest.param(b'---json\n{"slug": "a"}\n---\n', ("error", "title-missing", 2), id="no-title"),
        pytest.param(b'---json\n{"slug": "Alpha", "title": "t"}\n---\n', ("error", "slug-invalid", 2), id="upper"),
        pytest.param(
            '---json\n{"slug": "аlpha", "title": "t"}\n---\n'.encode(),
            ("error", "slug-invalid", 2),
            id="cyrillic-homoglyph",
        ),
        pytest.param(
            '---json\n{"slug": "al\u200bpha", "title": "t"}\n---\n'.encode(),
            ("error", "slug-invalid", 2),
            id="zero-width-space",
        ),
        pytest.param(
            b'---json\n{"slug": "a", "title": "t", "related_jobs": "b"}\n---\n',
            ("error", "field-invalid", 2),
            id="related-as-string",
        ),
    ],
)
def test_rejections(data: bytes, expected: tuple[str, str, int | None]) -> None:
    """Each kind of unreadable article is rejected with its code and the file line."""
    found = codes(data)
    assert expected in found, found
    assert read_article(data, "x.txt").article is None


def test_crlf_bom_and_yaml_are_accepted() -> None:
    """UTF-8 with a BOM and CRLF endings reads like LF; YAML front matter works too."""
    crlf = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()
    result = read_article(crlf, "x.txt")
    assert result.article is not None and result.article.front_matter.slug == "alpha"
    assert result.article.salary_rows[0].band.min_yen == 4_500_000
    yaml_text = (
        "---\nslug: beta\ntitle: ベータ\nrelated_jobs: [alpha]\n---\n\n"
        "| 経験年数 | 年収 (万円) |\n|---|---|\n| ミドル | 600 |\n"
    )
    result = read_article(yaml_text.encode(), "y.md")
    assert result.article is not None
    assert result.article.front_matter.related_jobs == ("alpha",)
    assert result.article.salary_rows[0].band.max_yen == 6_000_000


def test_unknown_fields_are_kept_with_a_warning() -> None:
    """Sites add fields: they are kept as extra data and named in a warning."""
    result = read_article(make_article("alpha", extra={"author": "x"}).encode(), "x.txt")
    assert result.article is not None
    assert result.article.front_matter.extra == {"author": "x"}
    assert ("warning", "field-unknown") in [(f.severity, f.code) for f in result.findings]


def test_messages_name_file_line_field_and_fix() -> None:
    """A finding renders as path:line: severity[code] field: message, with a fix in the message."""
    result = read_article(b'---json\n{"slug": "Bad Slug", "title": "t"}\n---\n', "seeds/x.txt")
    line = next(f.format_line() for f in result.findings if f.code == "slug-invalid")
    assert line.startswith("seeds/x.txt:2: error[slug-invalid] slug: ")
    assert "use `bad_slug`" in line


def test_content_hash_describes_the_bytes() -> None:
    """The hash is the sha256 of exactly the bytes read."""
    import hashlib

    data = GOOD.encode()
    assert read_article(data, "x.txt").content_hash == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("賞与300万円 " * 12_000, ["salary-cell-too-long"], id="issue-16-bonus-cell-over-the-cap"),
        pytest.param("1〜" * 5_000, ["salary-cell-too-long"], id="ranges-over-the-cap"),
        pytest.param("賞与300万円 " * 200, ["salary-no-figure"], id="bonus-cell-under-the-cap"),
        pytest.param("1〜" * 900, ["salary-ambiguous", "salary-implausible"], id="ranges-under-the-cap"),
    ],
)
def test_pathological_salary_cells(cell: str, expected: list[str]) -> None:
    """A salary cell over 2,000 characters is not read (one warning, no band); under the cap the
    pathological cells of issue 16 read to their usual findings, and the article is kept either way."""
    result = read_article(make_article("alpha", salary=[("ジュニア", cell)]).encode(), "x.txt")
    assert result.article is not None
    band = result.article.salary_rows[0].band
    assert [w.code for w in band.warnings] == expected
    if expected == ["salary-cell-too-long"]:
        assert (band.min_yen, band.max_yen) == (None, None)
        assert f"{len(cell.strip()):,} characters" in band.warnings[0].message
    row_findings = [f for f in result.findings if f.field == "salary_bands[0]"]
    assert [(f.severity, f.code) for f in row_findings] == [("warning", code) for code in expected]


def test_json_front_matter_has_the_yaml_value_cap() -> None:
    """JSON front matter of 200,000 unknown keys was 200,000 `field-unknown` findings: over 50,000 values
    (keys counted, as YAML counts them) it is one error, like YAML's cap."""
    keys = ", ".join(f'"k{i}": 1' for i in range(200_000))
    found = codes('---json\n{"slug": "a", "title": "t", ' + keys + "}\n---\n")
    assert found == [("error", "frontmatter-invalid-json", 2)]
    yaml_keys = ", ".join(f"k{i}: 1" for i in range(30_000))
    assert [c for _, c, _ in codes("---\nslug: a\ntitle: t\nbig: {" + yaml_keys + "}\n---\n")] == [
        "frontmatter-invalid-yaml"
    ]
    under = ", ".join(f'"k{i}": 1' for i in range(100))
    assert [c for _, c, _ in codes('---json\n{"slug": "a", "title": "t", ' + under + "}\n---\n")].count(
        "field-unknown"
    ) == 100


def test_a_second_salary_table_is_named_not_dropped_unseen() -> None:
    """An article with a second salary table (`### 外資系企業の場合` with its own bands) loaded the first and
    dropped the second's figures without a word. The first still becomes the bands; the second is a warning
    on its header line naming its section and where the loaded one is."""
    second = "\n\n### 外資系企業の場合\n\n| 経験年数 | 年収範囲 (万円) |\n| --- | --- |\n| ジュニア | 600〜900 |\n"
    text = make_article("alpha", body_extra=second)
    result = read_article(text.encode(), "x.txt")
    assert result.article is not None and len(result.article.salary_rows) > 0
    assert all(row.band.min_yen != 6_000_000 for row in result.article.salary_rows)
    [finding] = [f for f in result.findings if f.code == "salary-table-extra"]
    lines = text.split("\n")
    assert finding.line == lines.index("| 経験年数 | 年収範囲 (万円) |") + 1
    first = next(n for n, line in enumerate(lines, 1) if "年収" in line and line.startswith("|"))
    assert f"(under 「外資系企業の場合」) is not loaded: only the one on line {first}" in finding.message


def test_salary_table_has_a_character_budget() -> None:
    """Cells under the cap still cost ~30 µs a character (15,000 rows of 330 characters took 83 s): past
    20,000 characters of salary cells in one article, a cell gets `salary-cell-too-long` and no band."""
    cell = "1〜" * 999 + "1"  # 1,999 characters, one under the cap
    result = read_article(make_article("alpha", salary=[("ジュニア", cell)] * 12).encode(), "x.txt")
    assert result.article is not None
    bands = [row.band for row in result.article.salary_rows]
    assert all(band.min_yen == 10_000 for band in bands[:10])
    assert [[w.code for w in band.warnings] for band in bands[10:]] == [["salary-cell-too-long"]] * 2
    assert bands[10].min_yen is None and "past 20,000 characters" in bands[10].warnings[0].message


def _front(related_block: str) -> str:
    """A JSON front matter whose `related_jobs` is written as given (line 2 of the file onwards)."""
    return (
        '---json\n{\n  "slug": "alpha",\n  "title": "alpha の年収",\n  "related_jobs": '
        + related_block
        + ',\n  "category": "ai-data"\n}\n---\n本文\n'
    )


@pytest.mark.parametrize(
    ("related_block", "expected"),
    [
        # one item per line: lines 5, 6, 7 (the key is on line 5)
        ('[\n    "beta",\n    "gamma"\n  ]', (6, 7)),
        # several on the key's line, then one per line: a finding on the second named the slug's line 3
        ('["Beta ", "alpha",\n    "gamma",\n    "delta"\n  ]', (5, 5, 6, 7)),
        # an item that is part of another and of the title: its own line, not the first substring hit
        ('[\n    "alpha_lead",\n    "alpha"\n  ]', (6, 7)),
        ('["a", "b", "a"]', (5, 5, 5)),
    ],
)
def test_related_items_get_their_own_line(related_block: str, expected: tuple[int, ...]) -> None:
    """Each `related_jobs` item's finding names the line that item is on. The search for the text found
    `"alpha"` in the slug's line, and gave up (no line) for every item after it."""
    from jobpipeline.front_matter import list_item_lines, split_front_matter

    split = split_front_matter(_front(related_block))
    items = tuple(split.data["related_jobs"])
    assert list_item_lines(split.block_text, split.block_line, "related_jobs", items) == expected


def test_a_missing_closing_fence_says_where_the_object_ends() -> None:
    """An article whose `---` after the JSON was lost (its body has a `---` rule further down) said
    "Extra data ...: check commas, quotes and brackets", and nothing about the fence."""
    article = make_article("alpha", body_extra="\n---\n\n## 続き\n")
    text = article.replace("}\n---\n", "}\n", 1)
    result = read_article(text.encode(), "seeds/x.txt")
    [finding] = [f for f in result.findings if f.code == "frontmatter-invalid-json"]
    closes = text.split("\n").index("}") + 1
    assert finding.line is not None and finding.line > closes
    assert f"the object ends on line {closes}" in finding.message and "add a line `---` after it" in finding.message
    assert "check commas" not in finding.message


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        pytest.param("長い説明の\n続き", "a string holds a line break as is: write it as \\n", id="line-break"),
        pytest.param("長い説明の\r\n続き", "a string holds a line break as is: write it as \\n", id="crlf"),
        pytest.param("a\tb", "a string holds a tab as is: write it as \\t", id="tab"),
        pytest.param("a\x1b[31mb", "the control character \\x1b as is: write it as \\u001b", id="escape"),
    ],
)
def test_a_raw_control_character_in_a_json_string_says_how_to_write_it(typed: str, said: str) -> None:
    """A meta_description wrapped by hand (a line break inside the quotes) said "Invalid control character at
    at line 6 ...: check commas, quotes and brackets": json's message doubled, and a hint that sent the
    writer looking for punctuation. It names the character and how JSON writes it, on the string's line."""
    text = make_article("alpha").replace('"meta_description": "', '"meta_description": "' + typed, 1)
    assert typed in text
    result = read_article(text.encode(), "seeds/x.txt")
    [finding] = [f for f in result.findings if f.code == "frontmatter-invalid-json"]
    lines = text.split("\n")
    assert finding.line == next(n for n, line in enumerate(lines, 1) if "meta_description" in line)
    assert said in finding.message and "at at" not in finding.message and "check commas" not in finding.message


@pytest.mark.parametrize(
    ("typed_as", "said", "on_the_line_of"),
    [
        pytest.param('"slug"： "alpha"', "`：` is a full-width character", '"slug"', id="full-width-colon"),
        pytest.param('"slug": "alpha"，', "`，` is a full-width character", '"slug"', id="full-width-comma"),
        pytest.param("“slug”: “alpha”", "`“` is a full-width character", "slug", id="full-width-quotes"),
        pytest.param('// the slug\n  "slug": "alpha"', "JSON has no comments", "// the slug", id="line-comment"),
        pytest.param('/* slug */ "slug": "alpha"', "JSON has no comments", "/* slug */", id="block-comment"),
        pytest.param("'slug': 'alpha'", "double quotes: write \"...\", not '...'", "'slug'", id="single-quotes"),
        pytest.param('slug: "alpha"', 'put the key in double quotes: `"slug"`', "slug:", id="unquoted-key"),
        pytest.param('"slug": alpha', 'put the text in double quotes: `"alpha"`', '"slug"', id="unquoted-text"),
        pytest.param('"slug": "alpha", "draft": True', "JSON writes `true`, not `True`", '"draft"', id="python-true"),
        pytest.param(
            '"slug": "alpha", "tags": ["a", "b",]', "remove the comma after the last item", '"tags"', id="comma"
        ),
        pytest.param('"slug": "alpha",,', "two commas in a row: remove one", '"slug"', id="double-comma"),
    ],
)
def test_a_json_typo_says_what_to_type(typed_as: str, said: str, on_the_line_of: str) -> None:
    """JSON typed by hand, often with the Japanese input method still on: full-width `：` `，` `“”`, comments,
    single quotes, a bare key or word, Python's True, a comma after the last item. Each said only "check
    commas, quotes and brackets"; each names the mistake, on its line."""
    text = make_article("alpha").replace('"slug": "alpha"', typed_as, 1)
    assert typed_as in text
    result = read_article(text.encode(), "seeds/x.txt")
    [finding] = [f for f in result.findings if f.code == "frontmatter-invalid-json"]
    assert said in finding.message and "check commas" not in finding.message, finding.message
    assert finding.line == next(n for n, line in enumerate(text.split("\n"), 1) if on_the_line_of in line)


@pytest.mark.parametrize("key_line", [1, 2], ids=["first-key", "second-key"])
def test_a_full_width_colon_in_yaml_front_matter_names_its_line(key_line: int) -> None:
    """`title： t` in YAML reads as text, and YAML trips on a later line ("mapping values are not allowed
    here: check indentation and quoting"). The finding is on the key's line and names the colon."""
    keys = ["slug: alpha", "title: alpha の年収"]
    keys[key_line - 1] = keys[key_line - 1].replace(":", "：", 1)
    text = "---\n" + "\n".join(keys) + "\n---\n# alpha\n"
    [finding] = [f for f in read_article(text.encode(), "x.md").findings if f.code == "frontmatter-invalid-yaml"]
    assert finding.line == key_line + 1 and "`：` after a key is a full-width character" in finding.message


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        pytest.param(
            lambda t: t.replace("---json", "--- json", 1), "line 1 is `--- json`: write `---json`", id="space"
        ),
        pytest.param(
            lambda t: "\n\n" + t, "the front matter fence is on line 3: remove the blank lines", id="blank-lines"
        ),
        pytest.param(lambda t: "  " + t, "line 1 has spaces before its `---` fence", id="indented"),
        pytest.param(lambda t: t.replace("---json\n", "", 1), "the JSON object has no fences", id="no-fences"),
        pytest.param(
            lambda t: "+++\ntitle = 'a'\n+++\n" + t.split("\n---\n", 1)[1],
            "TOML front matter (`+++`) is not read",
            id="toml",
        ),
        pytest.param(
            lambda t: "\n\n# 見出し\n\n---\n", "does not start with a front matter fence: put `---json`", id="none"
        ),
        pytest.param(
            lambda t: "# メモ\n\nこれは記事ではありません。\n",
            "if it is not an article (a README, notes), add its name to `.jobpipelineignore` in the seeds folder",
            id="a-readme-is-told-of-the-ignore-file",
        ),
    ],
)
def test_a_file_without_a_fence_on_line_1_says_what_line_1_is(edit: Callable[[str], str], said: str) -> None:
    """Each of these said only "the file does not start with a front matter fence": a space in `--- json`,
    blank lines or spaces before the fence, a JSON object without fences, Hugo's TOML `+++`."""
    result = read_article(edit(make_article("alpha")).encode(), "seeds/x.txt")
    [finding] = [f for f in result.findings if f.code == "frontmatter-missing"]
    assert said in finding.message and finding.line == 1, finding.message


@pytest.mark.parametrize("field", ["draft", "published", "Draft"])
def test_a_draft_field_says_it_does_not_leave_the_article_out(field: str) -> None:
    """Hugo's `draft: true` (Jekyll's `published: false`) was "unknown field `draft` is kept as extra data: ...
    ask for it to be added to the schema"; the writer expected the draft to stay out, and it was loaded and
    published. The warning says every file is loaded and how to leave drafts out."""
    text = make_article("alpha", extra={field: field != "published"})
    [finding] = [f for f in read_article(text.encode(), "x.txt").findings if f.code == "field-unknown"]
    assert finding.field == field and finding.severity == "warning"
    assert f"`{field}` does not leave the article out" in finding.message and ".jobpipelineignore" in finding.message


@pytest.mark.parametrize(
    ("written", "field", "meant"),
    [
        pytest.param("meta_descripton", "meta_description", "meta_description", id="letter-missing"),
        pytest.param("related_job", "related_jobs", "related_jobs", id="singular"),
        pytest.param("Tags", "tags", "tags", id="capital"),
        pytest.param("catgory", "category", "category", id="typo"),
        pytest.param("salary_note", None, None, id="a-field-of-its-own"),
    ],
)
def test_a_misspelt_field_names_the_field_meant(written: str, field: str | None, meant: str | None) -> None:
    """A misspelt field name was "unknown field `meta_descripton` is kept as extra data: remove it or ask for
    it to be added to the schema", and the real field silently missing. It names the field meant."""
    text = make_article("alpha", extra={written: "x"})
    if field is not None:
        text = text.replace(f'"{field}":', '"was":', 1)  # the article has no field of that name but the typo
    [finding] = [f for f in read_article(text.encode(), "x.txt").findings if f.field == written]
    if meant is None:
        assert "is kept as extra data: remove it or ask" in finding.message, finding.message
    else:
        assert f"did you mean `{meant}`? Rename it" in finding.message, finding.message


def test_a_misspelt_field_is_not_also_reported_missing() -> None:
    """Hugo-style keys (`meta-description:`, `hero-image:`) gave two warnings each: "did you mean
    `meta_description`? Rename it" and "`meta_description` is missing: add it". The first says it all."""
    text = (
        "---\nslug: alpha\ntitle: t\ncategory: ai-data\nthumbnail: /static/img/alpha.png\n"
        "meta-description: 説明\nhero-image: /static/img/alpha_hero.png\n---\n"
    )
    findings = read_article(text.encode(), "x.md").findings
    assert [(f.code, f.field) for f in findings if f.code.startswith("field-")] == [
        ("field-unknown", "meta-description"),
        ("field-unknown", "hero-image"),
    ]


@pytest.mark.parametrize(
    ("value", "field", "said"),
    [
        pytest.param(
            {"related_jobs": "data_scientist, mlops"},
            "related_jobs",
            '`related_jobs` is the text "data_scientist, mlops", not a list: '
            'write `"related_jobs": ["data_scientist", "mlops"]`',
            id="list-as-text",
        ),
        pytest.param(
            {"keywords": "年収、将来性"},
            "keywords",
            '`keywords` is the text "年収、将来性", not a list: write `"keywords": ["年収", "将来性"]`',
            id="list-as-japanese-text",
        ),
        pytest.param({"tags": None}, "tags", '`tags` is null, not a list: write `"tags": ["a", "b"]`', id="null-list"),
        pytest.param(
            {"related_jobs": ["mlops", 5]},
            "related_jobs[1]",
            "`related_jobs[1]` is the number 5, not text: write every item of `related_jobs` in double quotes",
            id="number-item",
        ),
        pytest.param(
            {"category": ["ai-data"]},
            "category",
            '`category` is a list, not text: write it in double quotes, `"category": "…"`',
            id="text-as-list",
        ),
        pytest.param(
            {"meta_description": True},
            "meta_description",
            "`meta_description` is true, not text",
            id="text-as-true",
        ),
    ],
)
def test_a_field_of_the_wrong_kind_says_so_in_json_words(value: dict[str, Any], field: str, said: str) -> None:
    """It said "input should be a valid tuple (got NoneType 'None')" or, for an item, showed the whole list as
    Python prints it (`got list "['mlops', 5]"`) under the field name `related_jobs.1`. It names the field or
    item as JSON does, says what kind of value it is, and for a list typed as text the list it meant."""
    text = make_article("alpha", extra=value)
    [finding] = [f for f in read_article(text.encode(), "x.txt").findings if f.code == "field-invalid"]
    key = field.split("[")[0]
    key_line = 1 + next(i for i, line in enumerate(text.split("\n")) if line.lstrip().startswith(f'"{key}"'))
    assert (finding.field, finding.line) == (field, key_line)
    assert said in finding.message, finding.message


def test_the_name_fields_the_report_reads_are_not_unknown() -> None:
    """The README tells writers to add `job_name` (or `name`) to label the report's bars; every article that
    did got "unknown field `job_name` ...: remove it". They are kept in extra_fields, without a finding."""
    text = make_article("alpha", extra={"job_name": "MLOpsエンジニア", "name": "MLOps"})
    result = read_article(text.encode(), "x.txt")
    assert [f for f in result.findings if f.code == "field-unknown"] == []
    assert result.article is not None and result.article.front_matter.extra["job_name"] == "MLOpsエンジニア"


def test_a_full_width_colon_inside_a_yaml_text_is_not_blamed_for_another_error() -> None:
    """`時刻：10時` inside a block scalar is text; the error is the unclosed list two lines below."""
    text = "---\nslug: alpha\ntitle: t\nnote: |\n  時刻：10時\n  ok\ntags: [a\n---\n# alpha\n"
    [finding] = [f for f in read_article(text.encode(), "x.md").findings if f.code == "frontmatter-invalid-yaml"]
    assert "full-width" not in finding.message and "check indentation and quoting" in finding.message


def test_a_json_object_left_open_says_to_close_it() -> None:
    text = make_article("alpha").replace("}\n---\n", "\n---\n", 1)
    result = read_article(text.encode(), "seeds/x.txt")
    [finding] = [f for f in result.findings if f.code == "frontmatter-invalid-json"]
    assert "the object is not closed: add a line `}`" in finding.message, finding.message


def with_salary_table(table: str) -> str:
    """A seed-shaped article whose salary table is `table` (Markdown lines, no blank line)."""
    article = make_article("alpha")
    start = article.index("| 経験年数 |")
    end = article.index("\n\n", start)
    return article[:start] + table + article[end:]


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        pytest.param(
            "| レベル | 経験年数 | 想定年収（万円） | 特徴 |",
            "| ジュニア | 0〜3年 | 450〜700 | 補助 |",
            ("junior", 0, 3, "補助"),
            id="years-in-their-own-column",
        ),
        pytest.param(
            "| 想定年収（万円） | レベル | 経験 | 特徴 |",
            "| 450〜700 | シニア | 7年以上 | 統括 |",
            ("senior", 7, None, "統括"),
            id="salary-first-years-after-the-label",
        ),
        pytest.param(
            "| レベル | 経験年数 | 想定年収（万円） |",
            "| シニア (5年以上) | 7〜10年 | 1,100〜1,800 |",
            ("senior", 5, None, None),
            id="the-labels-own-years-win",
        ),
        pytest.param(
            "| 区分 | 経験年数 | 年収（万円） |",
            "| A | 未経験〜2年 | 300〜400 |",
            ("entry", 0, 2, None),
            id="a-level-word-in-the-years-cell-when-the-label-has-none",
        ),
        pytest.param(
            "| 経験年数 | 年収範囲 (万円) | 特徴 |",
            "| ジュニア (0-3年) | 450〜700 | 3年で昇格 |",
            ("junior", 0, 3, "3年で昇格"),
            id="the-seeds-own-layout-is-unchanged",
        ),
    ],
)
def test_a_salary_tables_years_column(header: str, row: str, expected: tuple[Any, ...]) -> None:
    """`| レベル | 経験年数 | 想定年収 |` gives the years a column of their own: they were read as a note
    ("0〜3年 / 補助") and every band had no years. They are the row's years when its label states none."""
    result = read_article(
        with_salary_table(f"{header}\n|{'---|' * (header.count('|') - 1)}\n{row}").encode(), "seeds/x.txt"
    )
    assert result.article is not None, [f.message for f in result.findings]
    [band] = result.article.salary_rows
    experience = band.experience
    assert (experience.level, experience.years_min, experience.years_max, band.note) == expected


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        pytest.param(
            "| 経験年数 | 年収下限 (万円) | 年収上限 (万円) | 特徴 |",
            "| ジュニア (0-3年) | 450 | 700 | 補助 |",
            (4_500_000, 7_000_000, False, "450〜700", "補助"),
            id="low-and-high-under-salary-words",
        ),
        pytest.param(
            "| 経験年数 | 最低年収 (万円) | 最高年収 (万円) |",
            "| シニア (7年以上) | 1,100 | 1,800+ |",
            (11_000_000, 18_000_000, True, "1,100〜1,800+", None),
            id="saitei-and-saikou-with-an-open-end",
        ),
        pytest.param(
            "| 経験年数 | 下限 (万円) | 上限 (万円) |",
            "| ミドル (3-7年) | 700 | 1,100 |",
            (7_000_000, 11_000_000, False, "700〜1,100", None),
            id="no-salary-word-but-a-yen-unit",
        ),
        pytest.param(
            "| 経験年数 | 年収下限 (万円) | 年収上限 (万円) |",
            "| シニア (7年以上) | 1,100 | 上限なし |",
            (11_000_000, None, True, "1,100〜", None),
            id="an-upper-end-with-no-figure-is-open",
        ),
        pytest.param(
            "| 経験年数 | 最低年収 (万円) | 平均年収 (万円) | 最高年収 (万円) |",
            "| ミドル (3-7年) | 700 | 850 | 1,100 |",
            (7_000_000, 11_000_000, False, "700〜1,100", "850"),
            id="an-average-between-them-is-a-note",
        ),
    ],
)
def test_a_salary_range_in_two_columns_is_one_band(header: str, row: str, expected: tuple[Any, ...]) -> None:
    """`| 経験年数 | 年収下限 (万円) | 年収上限 (万円) |` was read from its first column alone: every band a point
    at the low end (450〜700 became 4,500,000–4,500,000), the upper ends gone with no finding; headed
    `下限 (万円) | 上限 (万円)` it was no salary table at all (`salary-table-missing`)."""
    result = read_article(
        with_salary_table(f"{header}\n|{'---|' * (header.count('|') - 1)}\n{row}").encode(), "seeds/x.txt"
    )
    assert result.article is not None, [f.message for f in result.findings]
    assert "salary-table-missing" not in {f.code for f in result.findings}
    [salary] = result.article.salary_rows
    band = salary.band
    assert (band.min_yen, band.max_yen, band.max_open, band.raw, salary.note) == expected


SIDEWAYS = """| 項目 | ジュニア (0-3年) | ミドル (3-7年) | シニア (7年以上) |
| :--- | :--- | :--- | :--- |
| 年収範囲 (万円) | 450〜700 | 700〜1,100 | 1,100〜1,800+ |
| 特徴 | 補助 | 自走 | 設計 |"""


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param(
            SIDEWAYS,
            [
                ("junior", 0, 3, 4_500_000, 7_000_000, "補助"),
                ("mid", 3, 7, 7_000_000, 11_000_000, "自走"),
                ("senior", 7, None, 11_000_000, 18_000_000, "設計"),
            ],
            id="levels-across-the-header",
        ),
        pytest.param(
            SIDEWAYS.replace("| 特徴 | 補助 | 自走 | 設計 |", "| 経験年数 | 1〜2年 | 4〜6年 | 8年〜 |")
            .replace(" (0-3年)", "")
            .replace(" (3-7年)", "")
            .replace(" (7年以上)", ""),
            [
                ("junior", 1, 2, 4_500_000, 7_000_000, None),
                ("mid", 4, 6, 7_000_000, 11_000_000, None),
                ("senior", 8, None, 11_000_000, 18_000_000, None),
            ],
            id="with-a-years-row",
        ),
        pytest.param(
            "| 比較 | MLOps | SRE |\n| --- | --- | --- |\n| 平均年収 | 800万円 | 700万円 |",
            [],
            id="a-table-comparing-jobs-is-not-this-articles-salary",
        ),
    ],
)
def test_a_salary_table_written_sideways_is_read_one_row_per_level(table: str, expected: list[Any]) -> None:
    """`| 項目 | ジュニア | ミドル | シニア |` with a `| 年収範囲 (万円) | 450〜700 | … |` row was no salary table
    (`salary-table-missing`, no bands). Its rows are read as one band per level, on the salary row's line."""
    text = with_salary_table(table)
    result = read_article(text.encode(), "seeds/x.txt")
    assert result.article is not None, [f.message for f in result.findings]
    got = [
        (r.experience.level, r.experience.years_min, r.experience.years_max, r.band.min_yen, r.band.max_yen, r.note)
        for r in result.article.salary_rows
    ]
    assert got == expected
    missing = "salary-table-missing" in {f.code for f in result.findings}
    assert missing == (not expected)
    if expected:
        salary_line = 1 + text[: text.index("| 年収範囲")].count("\n")
        assert {r.line for r in result.article.salary_rows} == {salary_line}


@pytest.mark.parametrize(
    ("row", "band", "codes"),
    [
        pytest.param("| ミドル (3-7年) | | 自走 |", (1, None, None), [], id="an-empty-cell-is-undisclosed"),
        pytest.param("| ミドル (3-7年) | 非公開 | 自走 |", (1, None, None), [], id="hikoukai"),
        pytest.param("| ミドル (3-7年) | - | 自走 |", (1, None, None), [], id="a-dash"),
        pytest.param(
            "| ミドル (3-7年) | 応相談 | 自走 |", (1, None, None), ["salary-no-figure"], id="negotiable-still-asks"
        ),
        pytest.param("| ※ 賞与を含む | | |", None, [], id="a-note-row-is-no-band"),
        pytest.param("| 出典: doda | - | |", None, [], id="a-source-row-is-no-band"),
        pytest.param(
            "| ※ 海外 | 2,000 | |", (1, 20_000_000, 20_000_000), [], id="a-marked-row-with-a-figure-is-a-band"
        ),
    ],
)
def test_an_empty_cell_or_a_note_row_raises_no_salary_warning(
    row: str, band: tuple[int, int | None, int | None] | None, codes: list[str]
) -> None:
    """An empty salary cell was told "Found no salary figure in 「」 ... or leave the cell empty if undisclosed",
    which it was; a footnote row inside the table (`| ※ 賞与を含む | | |`) became a band with that warning."""
    table = (
        "| 経験年数 | 年収範囲 (万円) | 特徴 |\n| :--- | :--- | :--- |\n| ジュニア (0-3年) | 450〜700 | 補助 |\n" + row
    )
    result = read_article(with_salary_table(table).encode(), "seeds/x.txt")
    assert result.article is not None
    rows = result.article.salary_rows
    got = (rows[1].ordinal, rows[1].band.min_yen, rows[1].band.max_yen) if len(rows) > 1 else None
    assert got == band
    assert [f.code for f in result.findings if f.code.startswith("salary-")] == codes


@pytest.mark.parametrize(
    ("tables", "loaded", "basis", "extra"),
    [
        pytest.param(
            ["| 経験 | 月給 (万円) |\n| --- | --- |\n| ジュニア (0-3年) | 30〜45 |"],
            300_000,
            "monthly",
            0,
            id="monthly",
        ),
        pytest.param(
            ["| Level | Salary (万円) |\n| --- | --- |\n| Junior (0-3年) | 450〜700 |"],
            4_500_000,
            "annual",
            0,
            id="english",
        ),
        pytest.param(
            [
                "| 雇用形態 | 給与 (万円) |\n| --- | --- |\n| 契約社員 | 400〜500 |",
                "| 経験年数 | 年収範囲 (万円) |\n| --- | --- |\n| ジュニア (0-3年) | 450〜700 |",
            ],
            4_500_000,
            "annual",
            1,
            id="a-nenshu-table-wins-over-an-earlier-pay-table",
        ),
        pytest.param(
            ["| スキル | 給与計算の経験 |\n| --- | --- |\n| 労務 | 3年 |"],
            None,
            None,
            0,
            id="a-pay-word-without-a-unit-is-not-pay",
        ),
    ],
)
def test_a_pay_table_under_another_word_is_read_when_no_salary_table_is(
    tables: list[str], loaded: int | None, basis: str | None, extra: int
) -> None:
    """`| 経験 | 月給 (万円) |` or `| Level | Salary (万円) |` was no salary table (`salary-table-missing`, no bands).
    With a yen unit in the header it is read; a 年収 table, wherever it stands, stays the one loaded."""
    result = read_article(with_salary_table("\n\n".join(tables)).encode(), "seeds/x.txt")
    assert result.article is not None
    rows = result.article.salary_rows
    assert (rows[0].band.min_yen, rows[0].band.basis) == (loaded, basis) if loaded else not rows
    codes = [f.code for f in result.findings]
    assert codes.count("salary-table-extra") == extra
    assert ("salary-table-missing" in codes) == (loaded is None)


_CELLS = st.sampled_from(
    ["", "項目", "ジュニア", "シニア (7年以上)", "3〜5年", "年収 (万円)", "下限 (万円)", "上限", "450〜700", "x"]
)


@given(st.lists(_CELLS, min_size=1, max_size=6), st.lists(st.lists(_CELLS, max_size=7), max_size=5))
def test_salary_columns_and_turned_tables_keep_to_the_table(header: list[str], body: list[list[str]]) -> None:
    """Whatever the cells: the salary columns are columns of the header, low before high; a turned table has
    one row per header cell after the first, each as long as the new header, all on one line of the table."""
    from jobpipeline.body import salary_columns, turned_upright

    columns = salary_columns(tuple(header))
    assert all(0 <= i < len(header) for i in columns) and list(columns) == sorted(set(columns))
    rows = tuple(tuple(row) for row in body)
    turned = turned_upright(tuple(header), rows, tuple(range(10, 10 + len(rows))))
    if turned is not None:
        new_header, new_rows, lines = turned
        assert len(new_header) == len(rows) + 1 and len(new_rows) == len(header) - 1
        assert all(len(row) == len(new_header) for row in new_rows) and len(set(lines)) == 1
        assert salary_columns(new_header)


@pytest.mark.parametrize(
    "first_column",
    [
        "キャリア段階",
        "キャリアパス",
        "キャリアステップ",
        "キャリアステージ",
        "キャリア",
        "ポジション",
        "役職",
        "ステージ",
    ],
)
def test_the_career_path_table_under_the_names_writers_give_it(first_column: str) -> None:
    """The seed heads its career table `キャリア段階`; a table headed `キャリアパス` (the section's own word),
    `キャリアステップ`, or just `キャリア`, `ポジション`, `役職` was an `other` table, and the article had no career
    stages at all."""
    header = f"| {first_column} | 主な役割 | 今後の展望 |"
    table = f"\n\n## キャリアパス\n\n{header}\n| --- | --- | --- |\n| シニア | 設計 | 統括 |\n"
    result = read_article(make_article("alpha", body_extra=table).encode(), "x.txt")
    assert result.article is not None
    assert [(s.stage, s.experience.level) for s in result.article.career_stages] == [("シニア", "senior")]


@pytest.mark.parametrize(
    ("before", "after", "heading", "min_yen"),
    [
        pytest.param("（単位：万円）", "", "想定年収", 4_500_000, id="note-above"),
        pytest.param("", "※単位は万円", "想定年収", 4_500_000, id="note-below"),
        pytest.param("", "", "想定年収（万円）", 4_500_000, id="unit-in-the-heading"),
        pytest.param("（単位：千円）", "", "想定年収", 450_000, id="thousands"),
        pytest.param(
            "年収は経験と地域で大きく変わります。目安として、次の表をご覧ください。", "", "想定年収", 450, id="prose"
        ),
    ],
)
def test_a_unit_stated_beside_the_salary_table(before: str, after: str, heading: str, min_yen: int) -> None:
    """`（単位：万円）` just above or below a table whose header states no unit (a common Japanese layout), or a
    heading that states it: the cells were read as yen (`450〜700` as 450 yen, salary-implausible) and those
    bands went into every salary aggregate. The note's or heading's unit applies; prose beside it does not."""
    table = "| 経験年数 | 年収範囲 |\n| --- | --- |\n| ジュニア | 450〜700 |"
    body = (
        f"\n\n## {heading}\n\n" + (f"{before}\n\n" if before else "") + table + (f"\n\n{after}" if after else "") + "\n"
    )
    text = make_article("alpha", salary=[]).replace("\n---\n", "\n---\n" + body, 1)
    result = read_article(text.encode(), "x.txt")
    assert result.article is not None
    assert [row.band.min_yen for row in result.article.salary_rows] == [min_yen]


def test_blank_tags_and_keywords_are_left_out_with_a_finding() -> None:
    """`"tags": ["MLOps", "", " "]` made a tag named "" (the first row of tag_counts, counted twice), and
    nothing said so; an empty related job was "'' is not a valid slug: did you mean `job_name`?"."""
    text = make_article("alpha", extra={"tags": ["MLOps", "", " "], "keywords": ["", "k"]}, related=["", "beta"])
    result = read_article(text.encode(), "x.txt")
    assert result.article is not None
    assert (result.article.front_matter.tags, result.article.front_matter.keywords) == (("MLOps",), ("k",))
    blank = {f.field: f.message for f in result.findings if f.code == "list-item-blank"}
    assert blank == {
        "tags[1]": "`tags[1]` is empty: remove it (it is left out)",
        "tags[2]": "`tags[2]` is blank: remove it (it is left out)",
        "keywords[0]": "`keywords[0]` is empty: remove it (it is left out)",
    }
    [empty] = [f for f in result.findings if f.field == "related_jobs[0]"]
    assert empty.message == "the item is empty: remove it"


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        pytest.param("`#MLOps` `#機械学習`", ("MLOps", "機械学習"), id="the-seeds-form"),
        pytest.param("＃MLOps ＃機械学習", ("MLOps", "機械学習"), id="full-width-hash"),
        pytest.param("#C# #F# #.NET #C++", ("C#", "F#", ".NET", "C++"), id="a-hash-ending-a-tag"),
        pytest.param("#MLOps#AI", ("MLOps", "AI"), id="a-hash-starting-the-next"),
    ],
)
def test_recommended_hashtags(line: str, tags: tuple[str, ...]) -> None:
    """Hashtags typed with the Japanese input method (`＃`) were not read at all, and `#C#` was `C`."""
    from jobpipeline.body import extract_hashtags

    assert extract_hashtags(["#推奨タグ", line]) == tags


@pytest.mark.parametrize(
    ("cell", "question"),
    [
        pytest.param("1. モデルドリフトとは？", "モデルドリフトとは？", id="number-and-point"),
        pytest.param("Q1：モデルドリフトとは？", "モデルドリフトとは？", id="q-and-full-width-colon"),
        pytest.param("問1. モデルドリフトとは？", "モデルドリフトとは？", id="toi"),
        pytest.param("(1) モデルドリフトとは？", "モデルドリフトとは？", id="bracketed"),
        pytest.param("①モデルドリフトとは？", "モデルドリフトとは？", id="circled"),
        pytest.param("5年後のキャリアは？", "5年後のキャリアは？", id="a-number-of-the-question-stays"),
    ],
)
def test_an_interview_questions_own_number_is_taken_off(cell: str, question: str) -> None:
    """`Q1：`, `問1.`, `(1)` and `①` stayed in the question text (only `1.` and `Q1.` were taken off), so the
    same question numbered two ways counted as two."""
    from jobpipeline.body import parse_body

    body = parse_body(f"## 面接\n\n| 質問 | 回答のポイント |\n| --- | --- |\n| {cell} | 要点 |\n", 1)
    assert [q.question for q in body.interview_questions] == [question]


def test_a_salary_table_headed_nenpo_is_read() -> None:
    """`| 経験年数 | 想定年俸 (万円) |` (年俸: a contract's annual pay) was no salary table: `salary-table-missing` and
    no bands."""
    text = make_article("alpha").replace("年収範囲 (万円)", "想定年俸 (万円)")
    result = read_article(text.encode(), "x.txt")
    assert result.article is not None
    assert [(r.band.min_yen, r.band.basis) for r in result.article.salary_rows][:1] == [(4_500_000, "annual")]
    assert "salary-table-missing" not in {f.code for f in result.findings}


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        pytest.param(("ポジション", "主な役割", "年収"), "salary", id="a-salary-column-makes-it-salary"),
        pytest.param(("キャリアに役立つスキル", "説明"), "skills", id="career-inside-a-header-is-not-the-career-table"),
        pytest.param(("ポジション", "主な役割"), "career", id="position-alone-heads-the-career-table"),
        pytest.param(("Q", "A"), "interview", id="q-and-a-is-the-question-table"),
        pytest.param(("QA", "メモ"), "other", id="only-the-whole-cell-counts"),
        pytest.param(("経験", "想定年俸 (万円)"), "salary", id="nenpo-is-a-salary-header-too"),
        pytest.param(("ポジション", "年俸"), "salary", id="position-with-nenpo-is-salary"),
        pytest.param(("経験", "下限 (万円)", "上限 (万円)"), "salary", id="low-and-high-in-yen-are-salary"),
        pytest.param(("スキル", "最低限", "最高"), "skills", id="low-and-high-words-alone-are-not-salary"),
    ],
)
def test_a_first_column_alone_names_the_career_table(header: tuple[str, ...], kind: str) -> None:
    from jobpipeline.body import classify_table

    assert classify_table(header) == kind


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        pytest.param("Docker及びKubernetesによる運用", ["Docker", "Kubernetes"], id="oyobi-in-kanji"),
        pytest.param("Amazon S3やGCSといったストレージ", ["Amazon S3", "GCS"], id="ya-unspaced"),
        pytest.param("PythonとGoによる開発", ["Python", "Go"], id="to"),
        pytest.param("Terraform または Pulumi", ["Terraform", "Pulumi"], id="mataha"),
        pytest.param("SQL（BigQuery等）", ["SQL", "BigQuery"], id="names-in-a-bracket-with-etc"),
        pytest.param("C#, .NET, Node.js", ["C#", ".NET", "Node.js"], id="dot-net-keeps-its-dot"),
        pytest.param("Kubernetesとの連携", ["Kubernetes"], id="to-before-japanese-splits-nothing"),
        pytest.param("Grafana (メトリクス収集)", ["Grafana"], id="a-japanese-note-still-goes"),
    ],
)
def test_tool_names_joined_the_japanese_way_are_each_read(cell: str, names: list[str]) -> None:
    """`Docker及びKubernetes` gave Docker only, `Amazon S3やGCS` Amazon S3 only, `SQL（BigQuery等）` SQL only
    (the bracket was dropped as a Japanese note for its 等), `.NET` was `NET`: tool_counts missed them."""
    from jobpipeline.body import tool_names

    assert tool_names(cell) == names
