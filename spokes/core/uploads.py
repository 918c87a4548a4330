"""Validate uploaded files by their content and name them safely.

The client's file name and Content-Type are never trusted: the kind comes from
magic bytes and, for Office files, from the container's internal structure.

Legacy Office files (.doc/.xls/.ppt) share one OLE2 "compound file" signature, so
they are told apart by their main stream's directory entry ("WordDocument",
"Workbook"/"Book", "PowerPoint Document"); other OLE2 files such as .msi
installers or .msg e-mails have none of these and are rejected.
"""

from __future__ import annotations

import io
import secrets
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

RejectCode = Literal["too_large", "empty", "bad_type", "storage"]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SniffedFile:
    """A file type established from content: kind key, MIME type to serve, storage extension."""

    kind: str
    mime: str
    extension: str


KINDS: dict[str, SniffedFile] = {
    k.kind: k
    for k in (
        SniffedFile("pdf", "application/pdf", "pdf"),
        SniffedFile("jpeg", "image/jpeg", "jpg"),
        SniffedFile("png", "image/png", "png"),
        SniffedFile("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        SniffedFile("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        SniffedFile("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
        SniffedFile("doc", "application/msword", "doc"),
        SniffedFile("xls", "application/vnd.ms-excel", "xls"),
        SniffedFile("ppt", "application/vnd.ms-powerpoint", "ppt"),
    )
}
_LABELS = {"jpeg": "JPG"}

_MAGIC = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# (kind, folder prefix, main-part content type). The exact main content type rules out
# macro-enabled (.docm/.xlsm/.pptm) and template variants, which declare different ones.
_OOXML = (
    ("docx", "word/", b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    ("xlsx", "xl/", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    ("pptx", "ppt/", b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
)
_OLE_STREAMS = (("doc", "WordDocument"), ("xls", "Workbook"), ("xls", "Book"), ("ppt", "PowerPoint Document"))
_CONTENT_TYPES_LIMIT = 512 * 1024
_UNSAFE_NAME_CHARS = str.maketrans({c: "_" for c in '<>:"|?*'})
_MAX_NAME = 120

_MESSAGES: dict[RejectCode, str] = {
    "too_large": "Tệp quá lớn.",
    "empty": "Tệp tải lên rỗng (0 byte). Vui lòng chọn lại tệp.",
    "bad_type": "Định dạng tệp không được chấp nhận.",
    "storage": "Máy chủ không lưu được tệp đính kèm; chưa có gì được lưu.",
}


class UploadRejected(ValueError):
    """An upload refused for a reason the user can fix.

    ``message`` is Vietnamese (logs, the command line); pages show ``core.forms.upload_error(err)``,
    which says the same in the reader's language from ``code``, ``accepted`` (the kinds taken,
    for "bad_type") and ``max_bytes`` (for "too_large").
    """

    def __init__(self, code: RejectCode, message: str | None = None, *, accepted: str | None = None,
                 max_bytes: int | None = None) -> None:
        """Store the machine-readable *code*, the user-facing *message* and what it depends on."""
        self.code: RejectCode = code
        self.message: str = message or _MESSAGES[code]
        self.accepted = accepted
        self.max_bytes = max_bytes
        self.translated = message is not None and code == "storage"  # already in the reader's language
        super().__init__(self.message)


def _allowed_kinds(allowed: Iterable[str]) -> frozenset[str]:
    kinds = frozenset(allowed)
    if unknown := kinds - KINDS.keys():
        raise ValueError(f"unknown upload kinds: {sorted(unknown)}")  # a programming error
    return kinds


def _detect_ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_LIMIT:
                return None
            # Bounded read, and a substring test rather than an XML parser (no entity tricks).
            with archive.open(info) as part:
                content_types = part.read(_CONTENT_TYPES_LIMIT + 1)
    # zipfile raises NotImplementedError for compression methods it lacks: treat as unreadable.
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, EOFError, RuntimeError, NotImplementedError):
        return None  # truncated, corrupt, encrypted or not an OOXML package
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None  # macros, whatever the declared type
    for kind, folder, main_type in _OOXML:
        if main_type in content_types and any(name.startswith(folder) for name in names):
            return kind
    return None


def _ole_has_stream(data: bytes, name: str) -> bool:
    # A directory entry is 128-byte aligned: UTF-16LE name, NUL, name size (incl. NUL)
    # at +64 and object type 2 (stream) at +66; body text rarely lines up like that.
    needle = name.encode("utf-16-le") + b"\0\0"
    size_and_type = len(needle).to_bytes(2, "little") + b"\x02"
    at = data.find(needle)
    while at != -1:
        if at % 128 == 0 and data[at + 64 : at + 67] == size_and_type:
            return True
        at = data.find(needle, at + 1)
    return False


def _detect(data: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    if data.startswith(_ZIP_MAGIC):
        return _detect_ooxml(data)
    if data.startswith(_OLE_MAGIC):
        return next((kind for kind, stream in _OLE_STREAMS if _ole_has_stream(data, stream)), None)
    return None


def sniff(head: bytes, allowed: Iterable[str]) -> SniffedFile:
    """Identify *head* by its content and check it against the *allowed* kinds.

    PDF and images need only the first bytes; Office kinds need the whole file
    (their structure sits at the end), so pass everything or use ``sniff_stream``.
    """
    kinds = _allowed_kinds(allowed)
    kind = _detect(head)
    if kind is None or kind not in kinds:
        accepted = ", ".join(_LABELS.get(k, k.upper()) for k in KINDS if k in kinds)
        raise UploadRejected("bad_type", f"Định dạng tệp không được chấp nhận. Chỉ nhận: {accepted}.",
                             accepted=accepted)
    return KINDS[kind]


def read_upload(stream: BinaryIO, *, max_bytes: int, allowed: Iterable[str]) -> tuple[bytes, SniffedFile]:
    """Read the whole upload (at most *max_bytes*), reject empty or oversized files, then sniff."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be positive")
    chunks: list[bytes] = []
    size = 0
    # Loop because a raw stream may return short reads before the end of the file.
    while size <= max_bytes and (chunk := stream.read(max_bytes + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise UploadRejected("too_large", f"Tệp quá lớn: tối đa {human_size(max_bytes)}.", max_bytes=max_bytes)
    if size == 0:
        raise UploadRejected("empty")
    data = b"".join(chunks)
    return data, sniff(data, allowed)


def sniff_stream(stream: BinaryIO, allowed: Iterable[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> SniffedFile:
    """Sniff a whole stream (up to *max_bytes*) and rewind it when it is seekable."""
    start = stream.tell() if stream.seekable() else None
    try:
        return read_upload(stream, max_bytes=max_bytes, allowed=allowed)[1]
    finally:
        if start is not None:
            stream.seek(start)


def human_size(size: int) -> str:
    # Vietnamese writes decimals with a comma.
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " MB"
    return f"{max(size // 1024, 1)} KB" if size >= 1024 else f"{size} byte"


def safe_display_name(filename: str | None, default: str = "tep-dinh-kem") -> str:
    """Return a harmless name to show or download as; never use it as a storage path."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    # Cc: NUL and controls; Cf: bidi overrides ("fdp.exe" spoofing) and zero-width marks;
    # Cs: lone surrogates, which cannot be encoded into a Content-Disposition header.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    # Most readers open downloads on Windows, which refuses these characters in names.
    name = " ".join(name.translate(_UNSAFE_NAME_CHARS).split()).lstrip(". ").rstrip()
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 10:
            name = stem[: _MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:_MAX_NAME].rstrip()
    return name or default


def storage_name(sniffed: SniffedFile) -> str:
    """Return a fresh random file name for storage, with the sniffed extension."""
    return f"{secrets.token_hex(16)}.{sniffed.extension}"
