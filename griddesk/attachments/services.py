"""Writes: upload an attachment, log a download.

An upload is checked completely before anything is stored (type from the
bytes, size, image pixels). Then the file (and a photo's thumbnail) goes to
the default storage, then the row, under the order's row lock; if anything
after the first write fails, the stored files are deleted again, so a failed
upload leaves neither a file nor a row behind."""

from __future__ import annotations

import hashlib
import uuid
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import status

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from griddesk.engines.workflow import State
from griddesk.organisation.access import Actor
from griddesk.workorders.models import WorkOrder
from griddesk.workorders.selectors import work_orders_visible_to

from . import inspection, selectors
from .models import Attachment, AttachmentAccess, Kind, Stage


class TooLarge(ServiceError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"


class Unsupported(ServiceError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    code = "file_type_not_allowed"


def _refusal(exc: inspection.Refused, *, max_bytes: int) -> ServiceError:
    p = exc.params
    if exc.code == "file_executable":
        return Unsupported(_("Programs and scripts cannot be attached."), code=exc.code, field="file")
    if exc.code == "file_type_not_allowed":
        return Unsupported(
            _("This kind of file cannot be attached; attach photos (JPEG, PNG, WebP, HEIC), recordings (MP3, WAV, AMR), PDF or Office files."),
            code=exc.code, field="file", detected=p.get("detected", ""),
        )
    if exc.code == "file_type_mismatch":
        return InvalidInput(
            _("The file name's extension does not match its content (%(detected)s).") % {"detected": p.get("detected") or "?"},
            code=exc.code, field="file", detected=p.get("detected", ""),
        )
    if exc.code == "image_too_many_pixels":
        return InvalidInput(
            _("The image has too many pixels (at most %(limit)s); it may be a decompression bomb.") % {"limit": p["limit"]},
            code=exc.code, field="file",
        )
    return InvalidInput(_("The image cannot be read; it may be damaged."), code=exc.code, field="file")


def _check_may_upload(actor: Actor, order: WorkOrder) -> None:
    if order.state == State.ARCHIVED.value:
        raise Conflict(
            _("Archived orders cannot be changed; their attachments are part of the archive."),
            code="archived_immutable",
            state=order.state,
        )
    if not selectors.may_upload_role(actor):
        raise Forbidden(_("Your role may not add attachments."), action="attach")


def _sha256(fh: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fh.seek(0)
    for chunk in iter(lambda: fh.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    fh.seek(0)
    return digest.hexdigest(), size


def attachment_upload(
    *, actor: Actor, number: str, file: IO[bytes], filename: str, stage: str = "", note: str = ""
) -> Attachment:
    """Attach ``file`` (named ``filename`` by the client) to order ``number``."""
    order = work_orders_visible_to(actor).filter(number=number).first()
    if order is None:
        raise NotFound(_("Work order %(number)s was not found.") % {"number": number})
    _check_may_upload(actor, order)
    stage = stage or Stage.ORDER
    if stage not in Stage.values:
        raise InvalidInput(_("Unknown stage “%(stage)s”.") % {"stage": stage}, code="invalid_choice", field="stage")
    rule = selectors.attachment_rule()
    sha256, size = _sha256(file)
    if size == 0:
        raise InvalidInput(_("The file is empty."), code="file_empty", field="file")
    if size > rule.max_bytes:
        raise TooLarge(
            _("The file is larger than %(limit)s MB.") % {"limit": round(rule.max_bytes / 1024 / 1024, 1)},
            field="file", limit=rule.max_bytes,
        )
    try:
        ft = inspection.sniff(file, filename)
        image = inspection.inspect_image(file, max_pixels=rule.max_pixels) if ft.kind == Kind.IMAGE else None
    except inspection.Refused as exc:
        raise _refusal(exc, max_bytes=rule.max_bytes) from None

    storage = storages["default"]
    key = f"attachments/{order.number}/{uuid.uuid4().hex}"
    stored: list[str] = []
    try:
        file.seek(0)
        stored.append(storage.save(f"{key}.{ft.extensions[0]}", File(file)))
        if image is not None:
            stored.append(storage.save(f"{key}.thumb.jpg", ContentFile(image.thumbnail)))
        return _record(
            actor=actor, order=order, stored=stored, filename=filename, ft=ft, size=size, sha256=sha256,
            stage=stage, note=note, image=image,
        )
    except BaseException:
        for name in stored:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - the original error matters more
                pass
        raise


@transaction.atomic
def _record(
    *, actor: Actor, order: WorkOrder, stored: list[str], filename: str, ft: inspection.FileType, size: int,
    sha256: str, stage: str, note: str, image: inspection.ImageInfo | None,
) -> Attachment:
    # Under the order's lock: an archive that ran while the file was stored wins.
    locked = WorkOrder.objects.select_for_update().only("pk", "state").get(pk=order.pk)
    _check_may_upload(actor, locked)
    user = actor.user if getattr(actor.user, "pk", None) else None
    return Attachment.objects.create(
        order_id=order.pk,
        stage=stage,
        note=note[:500],
        kind=ft.kind,
        file=stored[0],
        thumbnail=stored[1] if len(stored) > 1 else "",
        filename=filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255],
        content_type=ft.mime,
        size=size,
        sha256=sha256,
        width=image.width if image else None,
        height=image.height if image else None,
        taken_at=image.taken_at if image else None,
        gps_lat=image.gps_lat if image else None,
        gps_lon=image.gps_lon if image else None,
        uploaded_by=user,
        uploaded_by_name=_name(user),
    )


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, "first_name", "") or user.get_username())[:150]


def attachment_access_log(*, actor: Actor, attachment: Attachment, variant: str = AttachmentAccess.Variant.CONTENT) -> AttachmentAccess:
    user = actor.user if getattr(actor.user, "pk", None) else None
    return AttachmentAccess.objects.create(attachment=attachment, user=user, user_name=_name(user), variant=variant)
