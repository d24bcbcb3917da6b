"""Hostile and damaged files, made byte by byte for the tests (nothing is downloaded).

``pdf`` writes a PDF from numbered object bodies with a correct cross-reference table, so each
file is exactly as damaged as a test means it to be and no more.
"""

from __future__ import annotations

import base64
import io
import random
import string
import zlib
from pathlib import Path

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>"
)


def pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[i]) if i in objects else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", *, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text_pdf(text: str, pages: int = 1) -> bytes:
    """``pages`` references to one page that shows ``text`` (so 50,000 pages cost 300 KB)."""
    body = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
    kids = b" ".join([b"3 0 R"] * pages)
    return pdf({
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        3: _PAGE, 4: stream(body), 5: _FONT,
    })


def slow_pdf(pages: int = 2000, ops_mb: float = 3.0) -> bytes:
    """Every page draws one compressed content stream of ``ops_mb`` MB of text operators:
    a few KB on disk that take a reader about a second a page, so half an hour in all."""
    op = b"BT /F1 12 Tf 72 720 Td (Slow text) Tj ET\n"
    ops = op * int(ops_mb * 1024 * 1024 / len(op))
    kids = b" ".join([b"3 0 R"] * pages)
    return pdf({
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        3: _PAGE, 4: stream(ops, compress=True), 5: _FONT,
    })


def cyclic_pdf() -> bytes:
    """A page tree that contains itself."""
    return pdf({
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        3: _PAGE, 4: stream(b"BT /F1 12 Tf 72 720 Td (Loop) Tj ET"), 5: _FONT,
    })


def self_drawing_pdf() -> bytes:
    """A form that draws itself, forever if the reader lets it."""
    form = b" /Type /XObject /Subtype /Form /BBox [0 0 612 792] " \
           b"/Resources << /Font << /F1 5 0 R >> /XObject << /X0 6 0 R >> >>"
    return pdf({
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
           b"/Resources << /Font << /F1 5 0 R >> /XObject << /X0 6 0 R >> >> >>",
        4: stream(b"BT /F1 12 Tf 72 720 Td (Drawn once) Tj ET /X0 Do"), 5: _FONT,
        6: stream(b"BT /F1 12 Tf (Again) Tj ET /X0 Do", form),
    })


def many_objects_pdf(n: int = 30_000) -> bytes:
    """One page carrying ``n`` annotation objects."""
    refs = b" ".join(b"%d 0 R" % i for i in range(6, 6 + n))
    objects = {
        1: _CATALOG,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: _PAGE[:-2] + b" /Annots [" + refs + b"] >>",
        4: stream(b"BT /F1 12 Tf 72 720 Td (A page with many objects) Tj ET"), 5: _FONT,
    }
    for i in range(6, 6 + n):
        objects[i] = b"<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] /Contents (x) >>"
    return pdf(objects)


def encrypted_pdf(source: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret",
                   algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_only_pdf() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 500), "white").save(out, format="PDF")
    return out.getvalue()


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="PNG")
    return out.getvalue()


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no room on disk."""
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


def long_runs(size: int) -> dict[str, str]:
    """Runs of ``size`` characters without spaces in the shapes that made a pattern quadratic
    (base64 blobs, rules of dashes, minified code, markup), and a few that hold spaces or tabs
    where a pattern had two runs that could both take them."""
    rnd = random.Random(11)

    def fill(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    div = size // 12
    return {
        "letters": "".join(rnd.choice(string.ascii_letters) for _ in range(size)),
        "base64": base64.b64encode(rnd.randbytes(size)).decode()[:size],
        "dashes": "-" * size,
        "at-and-dots": fill("a@b."),
        "at-signs": fill("@a"),
        "nested-div": ("<div>" * div + "text" + "</div>" * div).ljust(size, ">"),
        "minified-js": fill("function(a,b){return!a.b+c[d]*e/f-g%h;};x=y.z('q',\"r\");"
                            "if(a<b&&c>d){e++}"),
        "digits": fill("0123456789"),
        "punctuation": fill(".,;:!?"),
        "hyphenated": fill("ab-"),
        "link-brackets": fill("[a]("),
        "curly-quotes": fill("“‘"),
        "theme-words": "information " + fill("share-")[12:],
        "spaces": "© " + " " * (size - 8) + "2019 x",
        "tabs": "\t".join(["Row", "1 (" + " " * (size - 10) + "x", "2"]),
        "quotations": fill("“We were not told about it” said one. "),
    }
