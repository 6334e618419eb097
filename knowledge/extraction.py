"""Text from uploaded files, with caps so a hostile file cannot exhaust the worker
(ASVS 5.2.3): pages, characters, and the unpacked size of DOCX archives."""

import html
import io
import zipfile

import nh3

MAX_TEXT_CHARS = 500_000
MAX_PDF_PAGES = 300
MAX_DOCX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_DOCX_RATIO = 100  # unpacked / packed; zip bombs go far beyond this


class ExtractionError(Exception):
    """The file could not be read as the kind it claims to be."""


def html_to_text(markup: str) -> str:
    # nh3 drops <script>/<style> with their content; unescape turns entities back.
    return html.unescape(nh3.clean(markup, tags=set())).strip()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted")
        parts, total = [], 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            if total >= MAX_TEXT_CHARS:
                break
    except PdfReadError as exc:
        raise ExtractionError(f"unreadable PDF: {exc}") from exc
    return "\n".join(parts)


def _docx_text(data: bytes) -> str:
    from docx import Document

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ExtractionError("not a DOCX (zip) file") from exc
    if unpacked > MAX_DOCX_UNPACKED_BYTES or unpacked > MAX_DOCX_RATIO * max(
        len(data), 1
    ):
        raise ExtractionError("the DOCX unpacks to too much data")
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a broken file
        raise ExtractionError(f"unreadable DOCX: {exc}") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def extract_text(data: bytes, kind: str) -> str:
    """Plain text of a file of `kind` (see knowledge.uploads), capped in length."""
    if kind == "pdf":
        text = _pdf_text(data)
    elif kind == "docx":
        text = _docx_text(data)
    elif kind == "html":
        text = html_to_text(_decode(data[: MAX_TEXT_CHARS * 4]))
    elif kind in {"text", "markdown"}:
        text = _decode(data[: MAX_TEXT_CHARS * 4])
    else:
        return ""
    # PostgreSQL text cannot hold NUL characters.
    return text.replace("\x00", " ")[:MAX_TEXT_CHARS]
