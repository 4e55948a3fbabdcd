"""Split an article into front matter and body, and load the front matter safely.

python-frontmatter knows YAML (`---`) and bare JSON, but not the `---json` fence the site uses:
without a handler it returns empty metadata and leaves the JSON in the body, silently. This module
registers a handler for `---json … ---` and keeps YAML working, and it reports every problem with
the line in the *file* (not in the block), because that is where the author has to look.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler

from jobpipeline.errors import DuplicateKeyError, JSONConstantError, YAMLGraphError
from jobpipeline.errors import FrontMatterError as FrontMatterError  # re-exported: callers catch it from here

MAX_JSON_DEPTH = 64
"""Front matter is a flat record; deeper nesting is rejected before json.loads can recurse."""
MAX_YAML_NODES = 50_000
"""Values YAML front matter may hold (an article has ~60). The pure-Python YAML loader costs ~20 µs a
value, so a 2 MB flow list of 600,000 took 12 s and 500 MB; JSON is ~15x cheaper and is left to the
list limits in read.py."""
MAX_JSON_VALUES = MAX_YAML_NODES
"""Values (keys included, as YAML counts them) JSON front matter may hold. json.loads reads 5 MB in
milliseconds, but every value then costs Python work downstream: one file of 200,000 unknown keys
became 200,000 `field-unknown` findings and rows. Now it is one error."""
MAX_YAML_EXPANSION = 5 * 1024 * 1024
"""Characters YAML front matter may hold once its aliases are expanded (the file's own size limit):
`&a [...]` reused through `*a` nine times per level is a "billion laughs" bomb that would expand
to gigabytes in anything that walks or serializes the values."""

_OPEN_FENCE = re.compile(r"^---([A-Za-z0-9_+-]*)[ \t]*$")
_CLOSE_FENCE = re.compile(r"^---[ \t]*$")


class JSONFenceHandler(BaseHandler):
    """python-frontmatter handler for a `---json` opening fence closed by `---`."""

    FM_BOUNDARY = re.compile(r"^---(?:json)?[ \t]*$", re.MULTILINE)
    START_DELIMITER = "---json"
    END_DELIMITER = "---"

    def detect(self, text: str) -> bool:
        return text.startswith("---json")

    def load(self, fm: str, **kwargs: object) -> Any:
        return json.loads(fm, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        return json.dumps(metadata, ensure_ascii=False, indent=2)


class _SafeYAMLHandler(YAMLHandler):
    """YAML front matter through SafeLoader only: no tags that construct Python objects."""

    def load(self, fm: str, **kwargs: object) -> Any:
        loader = _NoDuplicatesSafeLoader(fm)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_yaml_graph(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()


HANDLERS: tuple[BaseHandler, ...] = (JSONFenceHandler(), _SafeYAMLHandler())
"""Handlers tried in order; the JSON fence first because `---json` also starts with `---`."""


@dataclass(frozen=True)
class SplitArticle:
    """Front matter data and body text, with where each starts in the file."""

    data: dict[str, Any]
    fence: str
    block_text: str
    block_line: int
    body: str
    body_line: int


def split_front_matter(text: str) -> SplitArticle:
    """Split `text` (LF line endings) into front matter and body.

    >>> s = split_front_matter('---json\\n{"slug": "a"}\\n---\\nbody\\n')
    >>> s.data, s.body_line
    ({'slug': 'a'}, 4)

    Raises FrontMatterError with the file line of the problem.
    """
    lines = text.split("\n")
    opening = _OPEN_FENCE.match(lines[0]) if lines else None
    if opening is None:
        raise FrontMatterError("frontmatter-missing", 1, missing_fence_message(lines))
    fence = opening.group(1).lower() or "yaml"
    if fence not in ("json", "yaml", "yml"):
        # Never hand an unknown language to an engine: gray-matter's `---js` fence ran code.
        raise FrontMatterError(
            "frontmatter-unknown-fence",
            1,
            f"front matter fence `---{opening.group(1)}` is not supported: use `---json` (or `---` for YAML)",
        )
    close_index = next((i for i in range(1, len(lines)) if _CLOSE_FENCE.match(lines[i])), None)
    if close_index is None:
        raise FrontMatterError(
            "frontmatter-unclosed",
            1,
            f"the `---{opening.group(1)}` fence opened on line 1 is never closed: add a line `---` "
            "after the front matter",
        )
    handler = HANDLERS[0] if fence == "json" else HANDLERS[1]
    block_text = "\n".join(lines[1:close_index])
    block_line = 2
    data = _load_block(handler, fence, block_text, block_line)
    _check_values(data, "json" if fence == "json" else "yaml", block_line)
    if not isinstance(data, dict):
        raise FrontMatterError(
            "frontmatter-not-object",
            block_line,
            f"the front matter must be an object of fields, found {type(data).__name__}: "
            'write `{"slug": …, "title": …}`',
        )
    body = "\n".join(lines[close_index + 1 :])
    return SplitArticle(
        data=data,
        fence="json" if fence == "json" else "yaml",
        block_text=block_text,
        block_line=block_line,
        body=body,
        body_line=close_index + 2,
    )


def missing_fence_message(lines: list[str]) -> str:
    """What to do about a file whose line 1 opens no front matter, from what line 1 (and what follows) is.

    >>> print(missing_fence_message(["--- json", "{}"]))
    line 1 is `--- json`: write `---json`, with no space, then the JSON object, then `---`
    """
    first = lines[0] if lines else ""
    usual = "put `---json` on line 1, the JSON object, then `---`"
    spaced = re.fullmatch(r"---[ \t]+([A-Za-z]+)[ \t]*", first)
    if spaced is not None:
        return (
            f"line 1 is `{first.strip()}`: write `---{spaced.group(1)}`, with no space, "
            "then the JSON object, then `---`"
        )
    if first.strip() == "+++":
        return "TOML front matter (`+++`) is not read: write the fields as JSON between `---json` and `---`"
    if first != first.lstrip() and _OPEN_FENCE.match(first.lstrip()):
        return "line 1 has spaces before its `---` fence: start the line with `---`"
    if not first.strip():
        text_line = next((i for i, line in enumerate(lines[:50]) if line.strip()), None)
        if text_line is not None and _OPEN_FENCE.match(lines[text_line]):
            return (
                f"the front matter fence is on line {text_line + 1}: "
                "remove the blank lines above it (it must be line 1)"
            )
    if first.lstrip().startswith("{"):
        return "the JSON object has no fences: put a line `---json` before it and a line `---` after it"
    # No fence near the top at all: as often a README or notes kept beside the articles as a broken article.
    return (
        f"the file does not start with a front matter fence: {usual}; if it is not an article (a README, "
        "notes), add its name to `.jobpipelineignore` in the seeds folder"
    )


def _load_block(handler: BaseHandler, fence: str, block: str, block_line: int) -> Any:
    if fence == "json":
        depth_line = _excessive_nesting_line(block)
        if depth_line is not None:
            raise FrontMatterError(
                "frontmatter-invalid-json",
                block_line + depth_line - 1,
                f"the JSON nests deeper than {MAX_JSON_DEPTH} levels: front matter fields are flat values or lists",
            )
        try:
            return handler.load(block)
        except DuplicateKeyError as exc:
            raise FrontMatterError(
                "frontmatter-duplicate-key",
                _key_line(block, exc.key, block_line, last=True),
                str(exc),
                field=exc.key,
            ) from None
        except JSONConstantError as exc:
            raise FrontMatterError(
                "frontmatter-invalid-json",
                _first_line_with(block, exc.constant, block_line),
                str(exc),
            ) from None
        except json.JSONDecodeError as exc:
            line = block_line + exc.lineno - 1
            hint = "check commas, quotes and brackets"
            typo = json_typo(exc.doc, exc.pos, exc.msg)
            if typo is not None:
                line = block_line + exc.doc.count("\n", 0, typo.pos)
                hint = typo.hint
            elif exc.msg.startswith("Expecting ',' delimiter") and exc.colno <= _first_text_column(block, exc.lineno):
                # The parser trips on the next key; the comma is missing at the end of the line before.
                previous = _previous_text_line(block, exc.lineno)
                if previous is not None:
                    line = block_line + previous - 1
                    hint = f"add a comma at the end of line {line}"
            elif exc.msg == "Extra data":
                # The object is whole and text follows: mostly the `---` after it is missing, so the block
                # ran on into the body (up to a `---` rule there).
                ends = block_line + block.count("\n", 0, len(block[: exc.pos].rstrip()))
                closed_by = block_line + block.count("\n") + 1
                hint = (
                    f"the object ends on line {ends}: if the front matter ends there, add a line `---` after it "
                    f"(the front matter now runs to the `---` on line {closed_by}); otherwise remove what follows"
                )
            elif exc.msg.startswith("Invalid control character"):
                hint = _raw_control_hint(exc.doc[exc.pos : exc.pos + 1])
            raise FrontMatterError(
                "frontmatter-invalid-json",
                line,
                # json's message for a raw control character ends in " at" itself ("... character at").
                f"the JSON front matter does not parse ({exc.msg.removesuffix(' at')} at line "
                f"{block_line + exc.lineno - 1} column "
                f"{exc.colno}): {hint}",
            ) from None
        except RecursionError:
            raise FrontMatterError(
                "frontmatter-invalid-json", block_line, "the JSON nests too deeply to read"
            ) from None
        except ValueError as exc:  # e.g. an integer longer than Python's 4,300-digit limit
            raise FrontMatterError(
                "frontmatter-invalid-json",
                block_line,
                f"the JSON front matter has a value that cannot be read ({_one_line(exc)}): shorten it",
            ) from None
    try:
        return handler.load(block)
    except YAMLGraphError as exc:
        raise FrontMatterError("frontmatter-invalid-yaml", block_line + exc.line, exc.message) from None
    except DuplicateKeyError as exc:
        raise FrontMatterError(
            "frontmatter-duplicate-key",
            block_line + (exc.line or 0),
            str(exc),
            field=exc.key,
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = block_line + mark.line if mark is not None else block_line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = "check indentation and quoting"
        typed = _yaml_full_width_key(block)
        tripped = mark.line if mark is not None else None
        if typed is not None and tripped is not None and typed <= tripped <= typed + 2:
            # The key's line reads as text, and YAML trips on it or a line or two later: point at the key.
            # (A `：` further from the error is text YAML read as such: another mistake is being reported.)
            line, hint = (
                block_line + typed,
                "`：` after a key is a full-width character (typed with the Japanese input on?): type `:` instead",
            )
        raise FrontMatterError(
            "frontmatter-invalid-yaml",
            line,
            f"the YAML front matter does not parse ({problem}): {hint}",
        ) from None
    except RecursionError:
        raise FrontMatterError("frontmatter-invalid-yaml", block_line, "the YAML nests too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # SafeLoader's constructors raise these for `2024-13-45` (a date), a 5,000-digit integer...
        raise FrontMatterError(
            "frontmatter-invalid-yaml",
            block_line,
            f"the YAML front matter has a value that cannot be read ({_one_line(exc)}): quote it as text",
        ) from None


def field_lines(block: str, block_line: int, fence: str) -> dict[str, int]:
    """Map each top-level key to its 1-based line in the file (best effort, for messages)."""
    pattern = re.compile(r'"([^"\\]+)"\s*:' if fence == "json" else r"^([A-Za-z_][\w-]*)\s*:")
    found: dict[str, int] = {}
    for offset, line in enumerate(block.split("\n")):
        for match in pattern.finditer(line):
            found.setdefault(match.group(1), block_line + offset)
    return found


def list_item_lines(block: str, block_line: int, key: str, items: tuple[str, ...]) -> tuple[int | None, ...]:
    """File line of each string item of list field `key`: where the JSON puts it, else (YAML) by
    searching for its text from the key's line onwards."""
    found = _json_string_items(block, key)
    if found is not None and tuple(value for value, _ in found) == items:
        return tuple(block_line + block.count("\n", 0, start) for _, start in found)
    lines = block.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(rf'^\s*"?{re.escape(key)}"?\s*:', line)), None)
    if start is None:
        return tuple(None for _ in items)
    result: list[int | None] = []
    cursor = start
    for item in items:
        hit = None
        for i in range(cursor, len(lines)):
            if item and item in lines[i]:
                hit = i
                break
        result.append(block_line + hit if hit is not None else None)
        if hit is not None:
            cursor = hit if lines[hit].count(item) > 1 else hit + 1
    return tuple(result)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _json_string_items(block: str, key: str) -> list[tuple[str, int]] | None:
    """(value, offset) of each string in the top-level JSON object's `key` array, in order; None when the
    block is not such an object. A text search put two items of one line on different lines and matched
    an item inside another field (`"alpha"` in the slug's line)."""
    decoder = json.JSONDecoder()

    def skip(pos: int, separator: str = "") -> int:
        pos = _JSON_SPACE.match(block, pos).end()  # type: ignore[union-attr]
        if separator and block.startswith(separator, pos):
            pos = _JSON_SPACE.match(block, pos + 1).end()  # type: ignore[union-attr]
        return pos

    try:
        pos = skip(0)
        if not block.startswith("{", pos):
            return None
        pos = skip(pos + 1)
        while not block.startswith("}", pos):
            name, pos = decoder.raw_decode(block, pos)
            pos = skip(pos, ":")
            if name == key and block.startswith("[", pos):
                items: list[tuple[str, int]] = []
                pos = skip(pos + 1)
                while not block.startswith("]", pos):
                    value, end = decoder.raw_decode(block, pos)
                    if isinstance(value, str):
                        items.append((value, pos))
                    pos = skip(end, ",")
                return items
            _, pos = decoder.raw_decode(block, pos)
            pos = skip(pos, ",")
    except (ValueError, IndexError):
        return None
    return None


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


def _reject_constant(constant: str) -> float:
    raise JSONConstantError(constant)


def _excessive_nesting_line(block: str) -> int | None:
    depth = 0
    in_string = False
    escaped = False
    line = 1
    for char in block:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return line
        elif char in "]}":
            depth -= 1
    return None


def _first_text_column(block: str, lineno: int) -> int:
    text = block.split("\n")[lineno - 1]
    return len(text) - len(text.lstrip()) + 1


def _previous_text_line(block: str, lineno: int) -> int | None:
    lines = block.split("\n")
    for index in range(lineno - 2, -1, -1):
        if lines[index].strip():
            return index + 1
    return None


def _key_line(block: str, key: str, block_line: int, *, last: bool) -> int:
    hits = [i for i, line in enumerate(block.split("\n")) if f'"{key}"' in line]
    if not hits:
        return block_line
    return block_line + (hits[-1] if last else hits[0])


def _first_line_with(block: str, needle: str, block_line: int) -> int:
    for i, line in enumerate(block.split("\n")):
        if needle in line:
            return block_line + i
    return block_line


class _NoDuplicatesSafeLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys instead of keeping the last one, and stops
    composing after MAX_YAML_NODES values."""

    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise YAMLGraphError(
                parent.start_mark.line if parent is not None else 0,
                f"the YAML front matter holds more than {MAX_YAML_NODES:,} values: an article "
                "needs a few dozen; remove the bulk data",
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` merges; SafeConstructor.flatten_mapping handles it
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise DuplicateKeyError(key, key_node.start_mark.line)
            if isinstance(key, str):
                seen.add(key)
        # Unhashable keys (`? [a, b]`) are left to SafeConstructor, which raises a ConstructorError.
        return super().construct_mapping(node, deep=deep)


def _check_yaml_graph(root: yaml.Node) -> None:
    """Refuse alias bombs, self-referencing aliases and deep nesting before anything is constructed.

    Sizes are memoized per node, so a bomb is measured in time proportional to the text, not to
    its expansion. Iterative: the graph may be deeper than Python's recursion limit.
    """
    measured: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded characters, height)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _yaml_children(node)
        if children_done:
            on_path.discard(key)
            size = len(node.value) + 1 if isinstance(node, yaml.ScalarNode) else 1
            height = 0
            for child in children:
                child_size, child_height = measured[id(child)]
                size += child_size
                height = max(height, child_height)
            measured[key] = (size, height + 1)
            if size > MAX_YAML_EXPANSION:
                raise YAMLGraphError(
                    node.start_mark.line,
                    f"the YAML aliases (`*name`) expand to more than {MAX_YAML_EXPANSION:,} characters: "
                    "write the values out instead of repeating aliases",
                )
            if height + 1 > MAX_JSON_DEPTH:
                raise YAMLGraphError(
                    node.start_mark.line,
                    f"the YAML nests deeper than {MAX_JSON_DEPTH} levels: front matter fields are flat values or lists",
                )
            continue
        if key in measured:
            continue
        if key in on_path:
            raise YAMLGraphError(
                node.start_mark.line,
                "a YAML alias (`*name`) refers to a value that contains it: remove the alias",
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_values(data: Any, fence: str, block_line: int) -> None:
    """Keys must be text, text must be encodable (`"\\ud800"` in JSON makes an unpaired surrogate
    that no file, database or terminal can write), and there are at most MAX_JSON_VALUES values."""
    language = "JSON" if fence == "json" else "YAML"
    code = f"frontmatter-invalid-{fence}"
    stack: list[Any] = [data]
    values = 0
    while stack:
        value = stack.pop()
        values += 1
        if values > MAX_JSON_VALUES:  # YAML stopped composing at the same count (MAX_YAML_NODES)
            raise FrontMatterError(
                code,
                block_line,
                f"the {language} front matter holds more than {MAX_JSON_VALUES:,} values: an article "
                "needs a few dozen; remove the bulk data",
            )
        if isinstance(value, str):
            match = _SURROGATE.search(value)
            if match:
                raise FrontMatterError(
                    code,
                    block_line,
                    f"the {language} front matter has an unpaired surrogate `\\u{ord(match.group()):04x}` "
                    "(an escape for half a character): write the character itself",
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise FrontMatterError(
                        code,
                        block_line,
                        f"the {language} front matter has a key that is not text ({type(key).__name__} "
                        f"{str(key)[:40]!r}): quote it",
                    )
                stack.append(key)
                stack.append(item)
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)


FULL_WIDTH_PUNCTUATION = {
    "“": '"',
    "”": '"',
    "＂": '"',
    "‘": "'",
    "’": "'",
    "：": ":",
    "，": ",",
    "、": ",",
    "｛": "{",
    "｝": "}",
    "［": "[",
    "］": "]",
    "「": '"',
    "」": '"',
    "\u3000": " ",
}
"""Punctuation the Japanese input method types in place of JSON's, and what JSON wants there."""


@dataclass(frozen=True)
class JsonTypo:
    pos: int
    """Where the mistake is in the block (its line is the finding's)."""
    hint: str


PYTHON_CONSTANTS = {"True": "true", "False": "false", "None": "null", "TRUE": "true", "FALSE": "false", "NULL": "null"}


def json_typo(doc: str, pos: int, msg: str) -> JsonTypo | None:
    """The common mistake at `pos`, where json stopped reading `doc` saying `msg`, with what to do; None for
    any other (the caller's hints, and its general "check commas, quotes and brackets", apply).

    >>> print(json_typo('{"slug"： "a"}', 7, "Expecting ':' delimiter").hint)
    `：` is a full-width character (typed with the Japanese input on?): type `:` instead
    >>> print(json_typo('{"a": [1, 2,]}', 12, "Expecting value").hint)
    remove the comma after the last item: JSON allows none before `]`
    >>> json_typo('{"a": 1 "b": 2}', 8, "Expecting ',' delimiter") is None
    True
    >>> print(json_typo('{"a": 1,, "b": 2}', 8, "Expecting property name enclosed in double quotes").hint)
    two commas in a row: remove one
    """
    if msg == "Extra data" or msg.startswith("Invalid control character"):
        return None  # text after a whole object, or inside a string: the caller's own hints
    char = doc[pos : pos + 1]
    if char in FULL_WIDTH_PUNCTUATION:
        shown = "an ideographic space" if char == "\u3000" else f"`{char}`"
        return JsonTypo(
            pos,
            f"{shown} is a full-width character (typed with the Japanese input on?): "
            f"type `{FULL_WIDTH_PUNCTUATION[char]}` instead",
        )
    if doc.startswith(("//", "/*"), pos) or char == "#":
        return JsonTypo(pos, "JSON has no comments: remove it (a note for writers can go in the article's body)")
    if char == "'":
        return JsonTypo(pos, "JSON writes keys and strings in double quotes: write \"...\", not '...'")
    if char in "]}" and char:
        before = doc[:pos].rstrip()
        if before.endswith(","):
            return JsonTypo(len(before) - 1, f"remove the comma after the last item: JSON allows none before `{char}`")
    if char == "," and doc[:pos].rstrip().endswith(","):
        return JsonTypo(pos, "two commas in a row: remove one")
    word = re.match(r"[^\W\d][\w-]*", doc[pos:])
    if word is not None:
        if doc[pos + word.end() :].lstrip().startswith(":"):
            return JsonTypo(pos, f'put the key in double quotes: `"{word.group()}"`')
        if word.group() in PYTHON_CONSTANTS:
            return JsonTypo(pos, f"JSON writes `{PYTHON_CONSTANTS[word.group()]}`, not `{word.group()}`")
        if msg == "Expecting value":
            return JsonTypo(pos, f'put the text in double quotes: `"{word.group()}"`')
    if not doc[pos:].strip() and doc.count("{") > doc.count("}"):
        return JsonTypo(len(doc.rstrip()), "the object is not closed: add a line `}` before the closing `---`")
    return None


# At the start of a line: front matter fields are top-level keys. An indented `時刻：10時` is a block scalar's
# text or a nested value, which YAML reads as text; the error being reported is another one.
_YAML_FULL_WIDTH_KEY = re.compile(r"^[\w-]+[ \t]*：", re.MULTILINE)


def _yaml_full_width_key(block: str) -> int | None:
    """The 0-based line of the first `key：` (full-width colon) in a YAML block, if any.

    >>> _yaml_full_width_key("slug: a\\ntitle： t\\n")
    1
    """
    found = _YAML_FULL_WIDTH_KEY.search(block)
    return None if found is None else block.count("\n", 0, found.start() + len(found.group()) - 1)


def _raw_control_hint(char: str) -> str:
    """What to do about a control character typed as is inside a JSON string: mostly a line break (a long
    meta_description wrapped by hand, or by an editor), which JSON strings cannot hold.

    >>> print(_raw_control_hint(chr(10)))
    a string holds a line break as is: write it as \\n inside the quotes, or join the lines
    >>> print(_raw_control_hint(chr(27)))
    a string holds the control character \\x1b as is: write it as \\u001b inside the quotes, or remove it
    """
    if char in ("\n", "\r"):
        return "a string holds a line break as is: write it as \\n inside the quotes, or join the lines"
    if char == "\t":
        return "a string holds a tab as is: write it as \\t inside the quotes, or use spaces"
    shown = char.encode("unicode_escape").decode("ascii")
    escaped = f"\\u{ord(char or chr(0)):04x}"
    return f"a string holds the control character {shown} as is: write it as {escaped} inside the quotes, or remove it"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:120]


def is_finite_json(value: Any) -> bool:
    """True when a loaded value holds no NaN/Infinity (YAML allows `.nan`)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(is_finite_json(v) for v in value.values())
    if isinstance(value, list):
        return all(is_finite_json(v) for v in value)
    return True
