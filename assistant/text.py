"""Text from outside (command-line arguments, stdin, HTTP) made safe to process.

Python hands over undecodable bytes in arguments and stdin as lone surrogates
("surrogateescape"); the tokenizer, JSON output and Chroma all reject those. Each becomes the
replacement character instead, and control characters become spaces, so one bad byte never
ends a batch.
"""

from __future__ import annotations

import unicodedata

MAX_QUESTION_CHARS = 2000  # a question longer than this is cut (the model reads 256 tokens)


def clean_text(text: str) -> str:
    """``text`` as valid Unicode: undecodable bytes and lone surrogates become U+FFFD."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def clean_question(text: str) -> str:
    """A question fit to search and answer: valid Unicode, no control characters, trimmed."""
    text = clean_text(text)
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


def decode_line(raw: bytes) -> str:
    """One line of stdin as text, whatever its bytes (invalid UTF-8 becomes U+FFFD)."""
    return raw.decode("utf-8", "replace")


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: str) -> str:
    """``text`` fit for a terminal: control characters (an escape sequence, a newline, a
    carriage return) and bidirectional overrides appear as ``\\x1b``-style escapes instead of
    acting on the screen."""
    out = []
    for c in clean_text(text):
        if unicodedata.category(c) == "Cc" or c in _BIDI:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(c)
    return "".join(out)
