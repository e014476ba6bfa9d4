"""Attachments through the API: upload, list, download, visibility, refusals."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from PIL import Image

from griddesk.attachments import services
from griddesk.attachments.models import Attachment, AttachmentAccess, AttachmentRule
from griddesk.workorders.models import WorkOrder

from . import files
from .conftest import stored_files

pytestmark = pytest.mark.django_db


def _content(client, url):
    r = client.get(url)
    return r, b"".join(r.streaming_content)


def test_photo_upload_list_and_download(make_order, upload, client_for, media) -> None:
    n = make_order()["number"]
    data = files.jpeg(taken="2026:12:01 09:30:05", gps=(30.590167, 114.300333))
    a = upload("agent", n, "现场照片.jpg", data, stage="order", note="表箱外观")
    assert a["filename"] == "现场照片.jpg"
    assert a["content_type"] == "image/jpeg" and a["kind"] == "image"
    assert a["size"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest()
    assert a["stage"] == "order" and a["note"] == "表箱外观" and a["uploaded_by"] == "王坐席"
    assert a["width"] == 1200 and a["height"] == 900
    # EXIF DateTimeOriginal is camera-local time: Asia/Shanghai.
    assert datetime.fromisoformat(a["taken_at"]) == datetime(2026, 12, 1, 9, 30, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert a["gps"]["lat"] == pytest.approx(30.590167, abs=1e-5) and a["gps"]["lon"] == pytest.approx(114.300333, abs=1e-5)

    listed = client_for("agent").get(f"/api/v1/work-orders/{n}/attachments/").json()
    assert [x["id"] for x in listed] == [a["id"]]

    r, body = _content(client_for("agent"), a["content_url"])
    assert r.status_code == 200 and body == data
    assert r["Content-Type"] == "image/jpeg"
    assert r["X-Content-Type-Options"] == "nosniff" and "no-store" in r["Cache-Control"]
    assert "inline" in r["Content-Disposition"] and "filename*=utf-8''" in r["Content-Disposition"]
    assert AttachmentAccess.objects.filter(attachment_id=a["id"], user__username="agent", variant="content").count() == 1

    r, thumb = _content(client_for("agent"), a["thumbnail_url"])
    img = Image.open(io.BytesIO(thumb))
    assert img.format == "JPEG" and max(img.size) == 320 and img.size == (320, 240)
    assert AttachmentAccess.objects.filter(attachment_id=a["id"], variant="thumbnail").count() == 1
    # File and thumbnail are stored side by side under the order's number.
    assert len(stored_files(media)) == 2 and all(p.startswith(f"attachments/{n}/") for p in stored_files(media))


def test_exif_offset_is_honoured_and_missing_exif_gives_nulls(make_order, upload, media) -> None:
    n = make_order()["number"]
    a = upload("agent", n, "a.jpeg", files.jpeg(taken="2026:11:30 23:10:00", offset="+00:00"))
    assert datetime.fromisoformat(a["taken_at"]) == datetime(2026, 11, 30, 23, 10, tzinfo=ZoneInfo("UTC"))
    assert a["gps"] is None
    b = upload("agent", n, "b.png", files.png())
    assert b["taken_at"] is None and b["gps"] is None and b["thumbnail_url"]


@pytest.mark.parametrize(
    ("name", "build", "mime", "kind"),
    [
        ("a.webp", files.webp, "image/webp", "image"),
        ("IMG_0001.HEIC", files.heic, "image/heic", "image"),
        ("95598录音.mp3", files.mp3, "audio/mpeg", "audio"),
        ("call.wav", files.wav, "audio/wav", "audio"),
        ("call.amr", files.amr, "audio/amr", "audio"),
        ("报告.pdf", files.pdf, "application/pdf", "document"),
        ("台账.xlsx", files.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
        ("说明.docx", files.docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
        ("旧表.xls", files.ole, "application/vnd.ms-excel", "document"),
        ("旧文.doc", files.ole, "application/msword", "document"),
    ],
)
def test_each_allowed_kind_is_typed_from_its_bytes(make_order, upload, client_for, media, name, build, mime, kind) -> None:
    n = make_order()["number"]
    data = build()
    a = upload("agent", n, name, data)
    assert (a["content_type"], a["kind"]) == (mime, kind)
    assert (a["thumbnail_url"] is not None) == (kind == "image")
    r, body = _content(client_for("agent"), a["content_url"])
    assert body == data and r["Content-Type"] == mime
    if mime.startswith("application/vnd"):
        assert r["Content-Disposition"].startswith("attachment")


def test_other_department_gets_404_for_list_upload_and_content(make_order, upload, client_for, media) -> None:
    n = make_order()["number"]
    a = upload("agent", n, "a.png", files.png())
    # The audit office leads nothing on this order: it does not exist for them.
    assert client_for("audit").get(f"/api/v1/work-orders/{n}/attachments/").status_code == 404
    assert client_for("audit").get(a["content_url"]).status_code == 404
    assert client_for("audit").get(a["thumbnail_url"]).status_code == 404
    r = upload("audit", n, "b.png", files.png(), expect=404)
    assert r["code"] == "not_found"
    assert AttachmentAccess.objects.count() == 0
    assert Attachment.objects.count() == 1


def test_leader_sees_but_may_not_upload(make_order, upload, client_for, media) -> None:
    n = make_order()["number"]
    assert client_for("leader").get(f"/api/v1/work-orders/{n}/attachments/").status_code == 200
    assert upload("leader", n, "a.png", files.png(), expect=403)["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("name", "build", "status", "code"),
    [
        ("empty.jpg", lambda: b"", 400, "file_empty"),
        ("photo.png", files.jpeg, 400, "file_type_mismatch"),
        ("photo", files.jpeg, 400, "file_type_mismatch"),
        ("report.pdf", files.docx, 400, "file_type_mismatch"),
        ("x.ppt.exe", files.ole, 400, "file_type_mismatch"),
        ("setup.jpg", files.pe, 415, "file_executable"),
        ("a.out", files.elf, 415, "file_executable"),
        ("tool.pdf", files.macho, 415, "file_executable"),
        ("run.amr", files.script, 415, "file_executable"),
        ("notes.txt", lambda: "纯文本".encode(), 415, "file_type_not_allowed"),
        ("a.zip", files.plain_zip, 415, "file_type_not_allowed"),
        ("bomb.png", files.png_bomb, 400, "image_too_many_pixels"),
        ("broken.jpg", lambda: files.jpeg()[:300], 400, "image_unreadable"),
    ],
)
def test_refusals_have_codes_and_leave_nothing_behind(make_order, upload, media, name, build, status, code) -> None:
    n = make_order()["number"]
    body = upload("agent", n, name, build(), expect=status)
    assert body["code"] == code
    assert body["errors"]["file"][0]["code"] == code and body["message"]
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_pixel_limit_is_editable(make_order, upload, media) -> None:
    n = make_order()["number"]
    AttachmentRule.objects.create(max_pixels=1200 * 900 - 1)
    assert upload("agent", n, "a.jpg", files.jpeg((1200, 900)), expect=400)["code"] == "image_too_many_pixels"
    assert upload("agent", n, "b.jpg", files.jpeg((1000, 900)))["width"] == 1000


def test_size_limit_is_editable_and_refused_with_413(make_order, upload, media) -> None:
    n = make_order()["number"]
    data = files.wav()
    AttachmentRule.objects.create(max_bytes=len(data) - 1)
    body = upload("agent", n, "call.wav", data, expect=413)
    assert body["code"] == "file_too_large" and body["limit"] == len(data) - 1
    AttachmentRule.objects.update(max_bytes=len(data))
    assert upload("agent", n, "call.wav", data)["size"] == len(data)


def test_body_above_the_limit_is_refused_before_parsing(make_order, client_for, media) -> None:
    n = make_order()["number"]
    AttachmentRule.objects.create(max_bytes=1024)
    # Declared length far above the limit (and above the API's 8 MB body cap): 413 file_too_large.
    r = client_for("agent").generic(
        "POST", f"/api/v1/work-orders/{n}/attachments/", b"x", content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(9 * 1024 * 1024),
    )
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"


def test_default_limit_admits_a_file_above_the_api_body_cap(make_order, upload, media, settings) -> None:
    # The API's general body cap (8 MB) does not apply to attachments: 20 MB by default.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    n = make_order()["number"]
    data = files.wav() * 1  # ~16 KB, above the lowered cap
    assert len(data) > 1024
    assert upload("agent", n, "call.wav", data)["size"] == len(data)


def test_missing_file_and_bad_stage(make_order, client_for, upload, media) -> None:
    n = make_order()["number"]
    r = client_for("agent").post(f"/api/v1/work-orders/{n}/attachments/", {"note": "x"}, format="multipart")
    assert r.status_code == 400 and r.json()["errors"]["file"][0]["code"] == "required"
    body = upload("agent", n, "a.png", files.png(), expect=400, stage="nope")
    assert "stage" in body["errors"]


def test_archived_order_refuses_uploads_and_keeps_its_attachments(make_order, upload, client_for, media) -> None:
    n = make_order()["number"]
    a = upload("agent", n, "a.png", files.png())
    WorkOrder.objects.filter(number=n).update(state="archived")
    body = upload("agent", n, "b.png", files.png(), expect=409)
    assert body["code"] == "archived_immutable"
    assert Attachment.objects.filter(order__number=n).count() == 1 and len(stored_files(media)) == 2
    # Still readable.
    r, data = _content(client_for("agent"), a["content_url"])
    assert data == files.png()
    # No write endpoint exists for an attachment.
    assert client_for("admin").delete(a["content_url"]).status_code == 405


def test_a_failure_after_storing_removes_the_file_and_writes_no_row(make_order, upload, media, monkeypatch) -> None:
    n = make_order()["number"]

    def fail(**kwargs):
        raise IntegrityError("simulated failure writing the row")

    monkeypatch.setattr(Attachment.objects, "create", fail)
    with pytest.raises(IntegrityError):
        services.attachment_upload(
            actor=_actor("agent"), number=n, file=io.BytesIO(files.jpeg()), filename="a.jpg",
        )
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_archived_while_storing_deletes_the_stored_file(make_order, media, monkeypatch) -> None:
    """The order is archived between the file write and the row: the lock re-check wins, the file goes."""
    n = make_order()["number"]
    real = services._record

    def archive_then_record(**kwargs):
        assert stored_files(media)  # the file and its thumbnail were written
        WorkOrder.objects.filter(number=n).update(state="archived")
        return real(**kwargs)

    monkeypatch.setattr(services, "_record", archive_then_record)
    with pytest.raises(services.Conflict):
        services.attachment_upload(actor=_actor("agent"), number=n, file=io.BytesIO(files.png()), filename="a.png")
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def _actor(username: str):
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for

    return actor_for(get_user_model().objects.get(username=username))
