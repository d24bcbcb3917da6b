"""Text helpers every layer shares (``ingest`` and ``vectorstore`` may import this module).

- Text from outside (command-line arguments, stdin, HTTP) made safe to process. Python hands
  over undecodable bytes in arguments and stdin as lone surrogates ("surrogateescape"); the
  tokenizer, JSON output and Chroma all reject those. Each becomes the replacement character
  instead, and control characters become spaces, so one bad byte never ends a batch.
- Text folded for comparison: whitespace collapsed, case folded, curly quotes and dashes as
  ASCII, invisible characters dropped.
- The shared word lists that carry no topic: English stopwords, the verbs a request is put
  with, and the words a question is framed with. The lists of ``answering.followup``,
  ``answering.question`` and ``answering.extractive`` are built from these.
"""

from __future__ import annotations

import unicodedata

MAX_QUESTION_CHARS = 2000  # a question longer than this is cut (the model reads 256 tokens)

# -- text from outside ----------------------------------------------------------------------


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
    return collapse(text)[:MAX_QUESTION_CHARS]


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


# -- text folded for comparison -------------------------------------------------------------

_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\ufeff\xad")


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces (how quotes are compared with passages)."""
    return " ".join(text.split())


def fold(text: str, *, marks: bool = False) -> str:
    """``text`` collapsed and case folded, to compare with text folded the same way; with
    ``marks``, curly quotes and dashes are written as ASCII first."""
    return collapse(text.translate(_MARKS) if marks else text).casefold()


def visible(text: str) -> str:
    """``text`` without zero-width characters, byte-order marks and soft hyphens."""
    return text.translate(_INVISIBLE)


# -- words that carry no topic --------------------------------------------------------------


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text``, as a set."""
    return frozenset(text.split())


# English function words: keyword search drops them from its tokens, topics leave them out.
STOPWORDS = words(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself nor of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves also may might
    must shall upon whether within without"""
)
# The verbs a request is put with ("find ...", "show me ...", "give examples of ...").
REQUEST_VERBS = words("find give list show tell")
# Words that frame a question ("what do the reports say about ...") rather than name its topic.
FRAMING = words(
    """say says said saying tell tells told mention mentions mentioned describe describes know
    think document documents report reports happen happened example examples"""
)
