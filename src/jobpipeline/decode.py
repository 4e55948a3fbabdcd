"""Turn a seed file's bytes into text, or say exactly why not. Nothing is guessed."""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Articles are ~40 KB; a file over 5 MB is an export or a mistake, and would slow every run."""

_BOMS = {
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


@dataclass(frozen=True)
class DecodeError(Exception):
    """Why bytes are not a readable article."""

    code: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message


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
            raise DecodeError(
                "encoding-not-utf8", 1, f"the file is {name}: save it as UTF-8 (without a BOM is best)"
            )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise DecodeError("file-empty", None, "the file is empty: write the article or delete the file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        hint = " (it looks like Shift_JIS/CP932)" if _looks_like_shift_jis(data) else ""
        raise DecodeError(
            "encoding-not-utf8",
            line,
            f"byte {exc.start} is not valid UTF-8{hint}: save the file as UTF-8",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DecodeError("file-binary", line, "the file contains NUL bytes: it is not a text article")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_shift_jis(data: bytes) -> bool:
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return False
    return True
