"""An archived order's attachments: immutable, and listed in the archive export."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from griddesk.assessment.models import ArchiveEntry
from griddesk.workorders import services
from tests.assessment.conftest import SH, Spec, actor, drive

from . import files

pytestmark = pytest.mark.django_db


def test_attachments_go_into_the_archive_export_and_stay_immutable(org, upload, client_for, media) -> None:
    order = drive(Spec(received=datetime(2026, 10, 12, 9, 0, tzinfo=SH), stop="assessed"))
    photo = files.jpeg(taken="2026:10:12 10:00:00", gps=(30.5, 114.25))
    upload("admin", order.number, "现场.jpg", photo, stage="station_findings")
    upload("admin", order.number, "回访录音.amr", files.amr(), stage="return_visit")
    services.work_order_act(order=order.number, actor=actor("manager"), action="archive", data={})

    assert upload("admin", order.number, "迟到.pdf", files.pdf(), expect=409)["code"] == "archived_immutable"

    period = timezone.localtime(ArchiveEntry.objects.get(order=order).archived_at).strftime("%Y-%m")
    r = client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "jsonl"})
    (line,) = [json.loads(x) for x in b"".join(r.streaming_content).decode().splitlines()]
    got = [(a["filename"], a["sha256"], a["size"], a["stage"]) for a in line["attachments"]]
    assert got == [
        ("现场.jpg", hashlib.sha256(photo).hexdigest(), len(photo), "station_findings"),
        ("回访录音.amr", hashlib.sha256(files.amr()).hexdigest(), len(files.amr()), "return_visit"),
    ]
    assert line["attachments"][0]["gps_lat"] == pytest.approx(30.5)
    assert datetime.fromisoformat(line["attachments"][0]["taken_at"]) == datetime(2026, 10, 12, 10, 0, tzinfo=SH)

    r = client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[2]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [(order.number, *g[:1], g[2], g[1], g[3]) for g in got]
    assert sheet.cell(1, 5).value == "SHA-256"
