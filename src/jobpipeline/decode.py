"""Turn a seed file's bytes into text, or say exactly why not. Nothing is guessed."""

from __future__ import annotations

from jobpipeline.errors import DecodeError as DecodeError  # re-exported: callers catch it from here

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Articles are ~40 KB; a file over 5 MB is an export or a mistake, and would slow every run."""
MAX_LINES = 20_000
"""Articles are ~500 lines. Parsing costs per line (a 5 MB file of one-line headings or table rows
takes ~40 s and ~3 GB), so more lines than this are refused like an oversized file."""

_BOMS = {  # UTF-32 first: its little-endian BOM starts with UTF-16's
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


def decode_article(data: bytes) -> str:
    """Decode UTF-8 (BOM optional) and normalize CRLF and CR line endings to LF.

    >>> decode_article(b"\\xef\\xbb\\xbf---json\\r\\n")
    '---json\\n'

    Raises DecodeError for an empty or oversized file, another encoding, or NUL bytes.
    """
    if len(data) > MAX_FILE_BYTES:
        raise DecodeError(
            "file-too-large",
            None,
            f"the file is {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit: split it or remove it "
            "from the seeds folder",
        )
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise DecodeError("encoding-not-utf8", 1, f"the file is {name}: save it as UTF-8 (without a BOM is best)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise DecodeError("file-empty", None, "the file is empty: write the article or delete the file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_at(data[: exc.start])
        hint = " (it looks like Shift_JIS/CP932)" if _looks_like_shift_jis(data) else ""
        raise DecodeError(
            "encoding-not-utf8",
            line,
            f"byte {exc.start} is not valid UTF-8{hint}: save the file as UTF-8",
        ) from None
    if "\x00" in text:
        nul = data.index(b"\x00")
        if _looks_like_utf16(data):
            raise DecodeError("encoding-not-utf8", 1, "the file looks like UTF-16 without a BOM: save it as UTF-8")
        raise DecodeError("file-binary", _line_at(data[:nul]), "the file contains NUL bytes: it is not a text article")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise DecodeError(
            "file-too-large",
            None,
            f"the file has {lines:,} lines, over the {MAX_LINES:,}-line limit (articles are ~500): split it or "
            "remove it from the seeds folder",
        )
    return text


def _line_at(prefix: bytes) -> int:
    """1-based line of the byte after `prefix`, counting CRLF, CR and LF as one line break each."""
    return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1


def _looks_like_utf16(data: bytes) -> bool:
    """ASCII text saved as UTF-16 without a BOM: every other byte of the start is NUL."""
    head = data[:200]
    return len(head) >= 4 and (head[1::2].count(0) == len(head[1::2]) or head[0::2].count(0) == len(head[0::2]))


def _looks_like_shift_jis(data: bytes) -> bool:
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return False
    return True
