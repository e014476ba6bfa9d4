"""Attachments on the order page: upload form (camera on phones), gallery with
EXIF time and GPS, audio player, and station findings carried into the report form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from griddesk.attachments.models import Attachment
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder

from ..attachments import files
from .conftest import actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _post(web: Any, username: str, number: str, name: str, data: bytes, **fields: str) -> Any:
    return web(username).post(f"/orders/{number}/attachments/", {"file": SimpleUploadedFile(name, data), **fields})


def test_upload_from_the_page_shows_photo_with_exif_and_audio_player(web, order_in, media) -> None:
    order = order_in("received")
    page = web("agent").get(f"/orders/{order.number}/").content.decode()
    # A phone opens the camera directly; the picker offers photos, recordings and documents.
    assert re.search(r'<input type="file"[^>]*accept="image/\*,audio/\*,[^"]*\.pdf[^"]*"[^>]*capture="environment"', page)
    assert 'id="no-attachments"' in page

    # EXIF time 01:30 UTC offset-less → read as Shanghai camera time 09:30.
    r = _post(web, "agent", order.number, "表箱.jpg", files.jpeg(taken="2026:12:01 09:30:05", gps=(30.59017, 114.30033)),
              stage="order", note="表箱封印完好")
    assert r.status_code == 302 and r["Location"].endswith("#attachments")
    r = _post(web, "agent", order.number, "95598通话.wav", files.wav())
    assert r.status_code == 302
    page = web("agent").get(f"/orders/{order.number}/").content.decode()
    photo, call = Attachment.objects.filter(order=order).order_by("pk")
    assert f'src="/api/v1/attachments/{photo.pk}/thumbnail"' in page
    assert '<span class="exif-time">2026-12-01 09:30:05</span>' in page
    assert '<span class="exif-gps">30.59017, 114.30033</span>' in page
    assert "表箱封印完好" in page and "王坐席" in page
    assert f'<audio controls preload="none" src="/api/v1/attachments/{call.pk}/content">' in page


def test_refused_upload_shows_the_reason_and_stores_nothing(web, order_in, media) -> None:
    order = order_in("received")
    r = _post(web, "agent", order.number, "照片.jpg", files.pdf())
    assert r.status_code == 400
    assert "扩展名与内容不符" in r.content.decode()
    assert not Attachment.objects.exists() and not any(p.is_file() for p in media.rglob("*"))


def test_archived_order_offers_no_upload_form(web, order_in, media) -> None:
    order = order_in("received")
    assert _post(web, "agent", order.number, "a.png", files.png()).status_code == 302
    WorkOrder.objects.filter(pk=order.pk).update(state="archived")
    page = web("agent").get(f"/orders/{order.number}/").content.decode()
    assert 'id="attach-form"' not in page and "a.png" in page
    r = _post(web, "agent", order.number, "b.png", files.png())
    assert r.status_code == 409 and Attachment.objects.filter(order=order).count() == 1


def test_station_findings_and_photos_carry_over_into_the_report_form(web, order_in, media) -> None:
    order = order_in("investigating")
    services.work_order_act(order=order.number, actor=actor("marketing"), action="assign_station", data={"stations": ["east-ps-1"]})
    station_page = web("station").get(f"/orders/{order.number}/").content.decode()
    assert re.search(r'<option value="station_findings" selected>', station_page)  # the station's default stage
    assert _post(web, "station", order.number, "电表.jpg", files.jpeg(), stage="station_findings").status_code == 302
    assert _post(web, "marketing", order.number, "其它.png", files.png(), stage="report").status_code == 302
    services.work_order_act(
        order=order.number, actor=actor("station"), action="station_findings", data={"findings": "现场核查电表运行正常，读数无误。"}
    )
    page = web("marketing").get(f"/orders/{order.number}/").content.decode()
    form = page[page.index('id="action-submit_report"'):]
    form = form[: form.index("</form>")]
    textarea = re.search(r'<textarea id="submit_report-findings"[^>]*>(.*?)</textarea>', form, re.S)
    assert textarea and "现场核查电表运行正常，读数无误。" in textarea.group(1) and "供电所" in textarea.group(1)
    station_photo = Attachment.objects.get(filename="电表.jpg")
    other = Attachment.objects.get(filename="其它.png")
    assert f"/api/v1/attachments/{station_photo.pk}/thumbnail" in form
    assert f"/api/v1/attachments/{other.pk}/thumbnail" not in form


def test_photo_with_gps_but_no_time_shows_only_the_position(web, order_in, media) -> None:
    order = order_in("received")
    assert _post(web, "agent", order.number, "a.jpg", files.jpeg(gps=(-33.8688, 151.2093))).status_code == 302
    page = web("agent").get(f"/orders/{order.number}/").content.decode()
    exif = re.search(r'<div class="exif"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert '<span class="exif-gps">-33.86880, 151.20930</span>' in exif
    assert "exif-time" not in exif and "·" not in exif
