"""Accepting uploads safely.

The type is sniffed from the first bytes (never trusted from the name or the
client's Content-Type), the size is capped, and the file is stored under a
random name. Serving a file is the owning capability's job: it checks access
through its own operation and then returns ``file_response(stored)``.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from qifu.core import audit, tenancy
from qifu.core.errors import ApiError
from qifu.core.files_models import StoredFile

# kind → (extension, content type, magic-number test)
KINDS = {
    "pdf": ("pdf", "application/pdf", lambda h: h.startswith(b"%PDF-")),
    "png": ("png", "image/png", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("jpg", "image/jpeg", lambda h: h.startswith(b"\xff\xd8\xff")),
    "xlsx": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda h: h.startswith(b"PK\x03\x04"),
    ),
    "docx": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda h: h.startswith(b"PK\x03\x04"),
    ),
    "csv": ("csv", "text/csv", lambda h: b"\x00" not in h),
}
KIND_LABELS = {"pdf": "PDF", "png": "PNG", "jpg": "JPG", "xlsx": "Excel", "docx": "Word", "csv": "CSV"}


def sniff(head: bytes, allowed: tuple[str, ...]) -> str | None:
    for kind in allowed:
        if KINDS[kind][2](head):
            return kind
    return None


@transaction.atomic
def save_upload(
    upload, *, purpose: str, allowed: tuple[str, ...] = ("pdf", "jpg", "png"), max_bytes: int | None = None
):
    """Validate and store an UploadedFile (or any file-like with .name/.size/.read)."""
    limit = max_bytes or settings.QIFU_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    data = upload.read(limit + 1)
    if size is None:
        size = len(data)
    if size > limit or len(data) > limit:
        raise ApiError("file.too_large", f"文件过大：不能超过 {limit // 1024 // 1024 or 1} MB", status=413)
    if not data:
        raise ApiError("file.empty", "文件为空", status=422)
    kind = sniff(data[:16], allowed)
    if kind is None:
        allowed_text = "、".join(KIND_LABELS[k] for k in allowed)
        raise ApiError("file.bad_type", f"文件类型不支持：仅接受 {allowed_text}（按文件内容识别）", status=415)
    ext, content_type, _ = KINDS[kind]
    # Under the tenant's own directory: a name unique within the tenant is unique in the storage
    # (the row's constraint is per tenant, so the data can be distributed by tenant).
    name = f"t{tenancy.current_tenant().pk}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"
    stored_name = default_storage.save(name, ContentFile(data))
    # Bytes are written before the row, so a row never points at nothing. If the row cannot be
    # written the bytes go too; a caller whose own step after this can fail deletes
    # ``stored.storage_name`` when its transaction rolls back (see marketplace upload_evidence).
    try:
        stored = StoredFile.objects.create(
            purpose=purpose,
            original_name=(getattr(upload, "name", "") or f"upload.{ext}")[-200:],
            storage_name=stored_name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        audit.record("file.upload", stored, changes={"purpose": {"after": purpose}, "size": {"after": len(data)}})
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return stored


def file_response(stored: StoredFile, *, inline: bool = False) -> FileResponse:
    handle = default_storage.open(stored.storage_name, "rb")
    response = FileResponse(
        handle, content_type=stored.content_type, as_attachment=not inline, filename=stored.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
