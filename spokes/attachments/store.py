"""Store and serve attachments: sniffed by content, size-limited, kept outside static/."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Response, current_app, send_file
from flask_babel import gettext as _

from spokes.core.uploads import UploadRejected, read_upload, safe_display_name, storage_name
from spokes.extensions import db
from spokes.attachments.models import Attachment

log = logging.getLogger(__name__)

STAFF_KINDS = ("pdf", "jpeg", "png", "docx", "xlsx", "pptx", "doc", "xls", "ppt")
PUBLIC_KINDS = ("pdf", "jpeg", "png")


def upload_root() -> Path:
    """Return the folder that holds uploaded files (inside the instance folder)."""
    root = Path(current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass
class Upload:
    """A file a form received, with the size it may have; ``store`` checks and keeps it."""

    stream: IO[bytes]
    filename: str | None
    max_bytes: int

    @classmethod
    def of(cls, storage: Any, max_bytes: int) -> Upload | None:
        """Return the upload of a form's file field, or None when no file was chosen."""
        if not (storage and getattr(storage, "filename", "")):
            return None
        return cls(storage.stream, storage.filename, max_bytes)


def store(
    stream: IO[bytes], filename: str | None, *, max_bytes: int, allowed: tuple[str, ...], purpose: str,
    request_id: int | None = None, answer_id: int | None = None, publication_id: int | None = None,
    uploaded_by: Any = None, is_public: bool = False,
) -> Attachment:
    """Check and save an upload; raise UploadRejected with a Vietnamese message if it is refused."""
    data, sniffed = read_upload(stream, max_bytes=max_bytes, allowed=allowed)
    name = storage_name(sniffed)
    write_file(name, data)
    display = safe_display_name(filename)
    if not display.lower().endswith("." + sniffed.extension):
        display = f"{display.rsplit('.', 1)[0] if '.' in display else display}.{sniffed.extension}"
    attachment = Attachment(
        request_id=request_id, answer_id=answer_id, publication_id=publication_id, purpose=purpose,
        display_name=display, storage_name=name, mime_type=sniffed.mime, size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), is_public=is_public,
        uploaded_by_id=getattr(uploaded_by, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def write_file(name: str, data: bytes) -> Path:
    """Write an upload to disk in full, or leave nothing behind and raise UploadRejected("storage").

    A full or read-only disk must not leave a partial file, nor a database row pointing at
    one: the caller rolls back, and the user is told plainly that nothing was stored.
    """
    path = None
    try:
        path = upload_root() / name
        # O_EXCL: never overwrite (the name is random); 0640: no other account reads uploads.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        log.error("cannot store upload %s: %s", name, err)
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.warning("cannot remove partial upload %s", path, exc_info=True)
        raise UploadRejected("storage", _(
            "Máy chủ không lưu được tệp đính kèm (bộ nhớ đầy hoặc không ghi được). Chưa có gì được lưu; "
            "nội dung bạn nhập vẫn còn trên biểu mẫu, vui lòng thử lại sau ít phút.")) from err
    return path


def remove_files(attachments: list[Attachment]) -> None:
    """Delete the files of attachments whose rows are being rolled back (best effort)."""
    for attachment in attachments:
        try:
            path_of(attachment).unlink(missing_ok=True)
        except (OSError, UploadRejected):
            log.warning("cannot remove upload %s", attachment.storage_name, exc_info=True)


def path_of(attachment: Attachment) -> Path:
    """Return the file's path; the stored name is ours, never the uploader's."""
    root = upload_root().resolve()
    path = (root / attachment.storage_name).resolve()
    if root not in path.parents:
        raise UploadRejected("bad_type", "Tệp không hợp lệ.")
    return path


def servable_path(attachment: Attachment) -> Path | None:
    """Return the file's path if it lies in the upload folder and exists; None means "answer 404"."""
    try:
        path = path_of(attachment)
    except UploadRejected:
        return None
    return path if path.is_file() else None


def send_attachment(attachment: Attachment | None) -> Response | None:
    """Return the download response for a stored file, or None when there is nothing to send.

    The caller has checked that the reader may have it; None (no row, or no file on disk)
    becomes the caller's own 404.
    """
    path = servable_path(attachment) if attachment is not None else None
    if attachment is None or path is None:
        return None
    return send_file(path, mimetype=attachment.mime_type, as_attachment=True, download_name=attachment.display_name)
