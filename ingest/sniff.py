"""What a file is by its first bytes, so a file whose name says one type and whose content is
another is refused with a message saying which, instead of being read as garbage.

Only formats that cannot be mistaken are recognised (a PDF, a zip such as .docx, images,
executables, old binary Office files, RTF, gzip, a web page); anything else is left to the
loader of the file's extension.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import UnreadableFileError

# (magic at offset 0, kind, suffixes whose loader reads that kind)
_MAGIC: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "a PDF", (".pdf",)),
    (b"PK\x03\x04", "a zip archive (such as a Word .docx)", (".docx",)),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ()),
    (b"\xff\xd8\xff", "a JPEG image", ()),
    (b"GIF8", "a GIF image", ()),
    (b"II*\x00", "a TIFF image", ()),
    (b"MM\x00*", "a TIFF image", ()),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old binary Office file (.doc or .xls)", ()),
    (b"{\\rtf", "an RTF document", ()),
    (b"\x1f\x8b", "a gzip archive", ()),
    (b"\x7fELF", "a program", ()),
    (b"MZ", "a Windows program", ()),
)
_HTML = (b"<!doctype html", b"<html")
_SAVE_AS = {".pdf": "PDF", ".docx": "Word .docx"}


def sniff(head: bytes) -> tuple[str, tuple[str, ...]] | None:
    """The kind of content ``head`` (a file's first bytes) starts, and the suffixes that read it."""
    for magic, kind, suffixes in _MAGIC:
        if head.startswith(magic):
            return kind, suffixes
    # A PDF may have a few bytes of junk before its header; readers accept that.
    if b"%PDF-" in head[:1024]:
        return "a PDF", (".pdf",)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML):
        return "a web page (HTML)", (".html", ".htm")
    return None


def check_kind(path: Path) -> None:
    """Raise ``UnreadableFileError`` when ``path``'s content is not what its name says."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    suffix = path.suffix.lower()
    found = sniff(head)
    if found is None:
        if suffix in _SAVE_AS:  # a PDF or .docx must start with its signature
            raise UnreadableFileError(
                str(path),
                f"the file is named {suffix} but is not a {_SAVE_AS[suffix]} file (it is "
                "damaged, or is another kind of file renamed)",
            )
        return
    kind, suffixes = found
    if suffix in suffixes or (suffix in (".md", ".markdown", ".txt") and "HTML" in kind):
        return  # HTML inside a text file is still text a reader can see
    if suffixes:
        raise UnreadableFileError(
            str(path),
            f"the file is named {suffix or 'without an extension'} but its content is {kind}; "
            f"rename it to {suffixes[0]} to ingest it",
        )
    raise UnreadableFileError(
        str(path),
        f"the file is named {suffix or 'without an extension'} but its content is {kind}, "
        "which cannot be ingested (save it as PDF, Word .docx, text or HTML)",
    )
