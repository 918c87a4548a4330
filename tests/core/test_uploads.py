"""Upload checks: type by content, size limits, harmless display and storage names."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokes.core.uploads import (
    KINDS,
    SniffedFile,
    UploadRejected,
    read_upload,
    safe_display_name,
    sniff,
    sniff_stream,
    storage_name,
)

ALL = tuple(KINDS)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
MAIN_TYPES = {
    "docx": ("word/document.xml", "wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "presentationml.presentation.main+xml"),
}


def _ooxml(kind: str, *, main_type: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    part, suffix = MAIN_TYPES[kind]
    content_type = main_type or f"application/vnd.openxmlformats-officedocument.{suffix}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/officeDocument" Target="{part}"/></Relationships>',
        )
        archive.writestr(part, "<root>Phát ngôn</root>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _ole(*streams: str, body: bytes = b"") -> bytes:
    """Build a tiny compound file: header, then one directory sector (root + named streams)."""
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)[:512]
    entries = b""
    for name, kind in (("Root Entry", 5), *((stream, 2) for stream in streams)):
        encoded = name.encode("utf-16-le") + b"\0\0"
        entries += encoded.ljust(64, b"\0") + len(encoded).to_bytes(2, "little") + bytes([kind]) + b"\0" * 61
    return header + entries.ljust(512, b"\0") + body


def _rejected(code: str, data: bytes, allowed: tuple[str, ...] = ALL) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        read_upload(io.BytesIO(data), max_bytes=1024 * 1024, allowed=allowed)
    assert caught.value.code == code
    assert caught.value.message and str(caught.value) == caught.value.message
    return caught.value


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (_ole("WordDocument"), "doc"), (_ole("Workbook"), "xls"),
     (_ole("Book"), "xls"), (_ole("PowerPoint Document"), "ppt")],
)
def test_magic_bytes_decide_the_kind(data: bytes, kind: str) -> None:
    content, sniffed = read_upload(io.BytesIO(data), max_bytes=1024 * 1024, allowed=ALL)
    assert content == data
    assert sniffed == KINDS[kind] and sniffed.kind == kind


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_minimal_ooxml_packages_are_recognised(kind: str) -> None:
    assert read_upload(io.BytesIO(_ooxml(kind)), max_bytes=1024 * 1024, allowed=[kind])[1].kind == kind


def test_real_documents_from_python_docx_and_openpyxl() -> None:
    docx = pytest.importorskip("docx")
    openpyxl = pytest.importorskip("openpyxl")
    document, workbook = io.BytesIO(), io.BytesIO()
    docx.Document().save(document)
    openpyxl.Workbook().save(workbook)
    assert sniff(document.getvalue(), ["docx"]).kind == "docx"
    assert sniff(workbook.getvalue(), ["xlsx"]).kind == "xlsx"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",  # HTML renamed .pdf
        b"   %PDF-1.7 spoofed after whitespace",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"GIF89a\x01\x00\x01\x00",
        b"MZ\x90\x00\x03 an .exe",
        b"\x89PNG\r\n",  # truncated signature
        _ooxml("docx")[:200],  # truncated ZIP: no central directory
        _ole("Root Only"),  # compound file without an Office stream (.msi, .msg, ...)
        _ole("Other", body="WordDocument".encode("utf-16-le") + b"\0\0"),  # name in body text only
    ],
)
def test_unknown_or_disguised_content_is_rejected(data: bytes) -> None:
    assert _rejected("bad_type", data).message.startswith("Định dạng tệp không được chấp nhận")


def test_corrupt_compressed_data_is_rejected_not_crashing() -> None:
    package = bytearray(_ooxml("docx"))
    offset = 30 + len("[Content_Types].xml")  # first local header, then its deflated data
    package[offset : offset + 4] = b"\xff\xff\xff\xff"
    _rejected("bad_type", bytes(package))


@given(st.data())
def test_damaged_office_files_never_crash(data: st.DataObject) -> None:
    package = bytearray(_ooxml("xlsx"))
    for _ in range(data.draw(st.integers(1, 6))):
        package[data.draw(st.integers(0, len(package) - 1))] = data.draw(st.integers(0, 255))
    try:
        assert sniff(bytes(package), ALL).kind == "xlsx"
    except UploadRejected as rejected:
        assert rejected.code == "bad_type"


def test_random_zip_is_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")  # looks like Word, but no [Content_Types].xml
        archive.writestr("readme.txt", "xin chào")
    _rejected("bad_type", buffer.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        _ooxml("docx", main_type="application/vnd.ms-word.document.macroEnabled.main+xml"),  # .docm
        _ooxml("docx", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),  # macros under a .docx type
        _ooxml("docx", main_type="application/xml"),  # no main document declared
    ],
)
def test_macro_enabled_or_undeclared_office_files_are_rejected(data: bytes) -> None:
    _rejected("bad_type", data)


def test_kind_must_be_allowed() -> None:
    rejected = _rejected("bad_type", PNG, allowed=("pdf", "docx", "jpeg"))
    assert rejected.message == "Định dạng tệp không được chấp nhận. Chỉ nhận: PDF, JPG, DOCX."


def test_unknown_allowed_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown upload kinds"):
        sniff(PDF, ["pdf", "exe"])


def test_oversized_is_rejected_with_limit_in_mb() -> None:
    with pytest.raises(UploadRejected) as caught:
        read_upload(io.BytesIO(PDF + b"\0" * (10 * 1024 * 1024)), max_bytes=10 * 1024 * 1024, allowed=ALL)
    assert caught.value.code == "too_large"
    assert caught.value.message == "Tệp quá lớn: tối đa 10 MB."
    with pytest.raises(UploadRejected, match="tối đa 1,5 MB"):
        read_upload(io.BytesIO(b"x" * 2_000_000), max_bytes=1536 * 1024, allowed=ALL)


def test_exact_limit_is_accepted_and_short_reads_are_completed() -> None:
    class Trickle(io.BytesIO):
        """A stream that hands out at most three bytes per read, like a slow socket."""

        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(3 if size is None or size < 0 else min(size, 3))

    assert read_upload(Trickle(PDF), max_bytes=len(PDF), allowed=["pdf"])[0] == PDF
    with pytest.raises(UploadRejected, match="tối đa"):
        read_upload(Trickle(PDF), max_bytes=len(PDF) - 1, allowed=["pdf"])


def test_empty_is_rejected() -> None:
    _rejected("empty", b"")


def test_sniff_stream_reads_everything_and_rewinds() -> None:
    stream = io.BytesIO(_ooxml("pptx"))
    assert sniff_stream(stream, ["pptx"]) == KINDS["pptx"]
    assert stream.tell() == 0
    with pytest.raises(UploadRejected):
        sniff_stream(io.BytesIO(b"plain text"), ["pdf"])


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("/abs/x.pdf", "x.pdf"),
        ("C:\\Users\\Phòng\\Báo cáo.docx", "Báo cáo.docx"),
        ("..", "tep-dinh-kem"),
        ("dir/", "tep-dinh-kem"),
        (".htaccess", "htaccess"),
        ("evil\x00.pdf", "evil.pdf"),
        ("a\r\nb.pdf", "ab.pdf"),
        ("bao-cao\u202efdp.exe", "bao-caofdp.exe"),  # right-to-left override spoofing
        ('Thông báo: "khẩn"?.pdf', "Thông báo_ _khẩn__.pdf"),
        ("  Quyết   định.pdf  ", "Quyết định.pdf"),
        ("Đê biển Vân Khánh Đông.pdf", "Đê biển Vân Khánh Đông.pdf"),
        ("Tha\u0300nh pho\u0302\u0301.pdf", "Thành phố.pdf"),  # NFD names from macOS become NFC
        ("", "tep-dinh-kem"),
        (None, "tep-dinh-kem"),
    ],
)
def test_safe_display_name(filename: str | None, expected: str) -> None:
    assert safe_display_name(filename) == expected


def test_safe_display_name_limits_length_and_keeps_extension() -> None:
    name = safe_display_name("Biên bản " * 40 + ".docx")
    assert len(name) <= 120 and name.endswith(".docx")
    assert len(safe_display_name("x" * 500)) == 120
    assert safe_display_name("..", default="tai-lieu") == "tai-lieu"


@given(st.text())
def test_safe_display_name_never_has_path_or_control_characters(filename: str) -> None:
    name = safe_display_name(filename)
    assert name and len(name) <= 120
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert not re.search(r"[\x00-\x1f\x7f]", name)


def test_storage_name_is_random_and_uses_sniffed_extension() -> None:
    sniffed = SniffedFile("pdf", "application/pdf", "pdf")
    names = {storage_name(sniffed) for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}\.pdf", name) for name in names)
