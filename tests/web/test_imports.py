"""Importing work orders from CSV and XLSX files, with a per-row error report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from griddesk.imports import services as import_services
from griddesk.imports.models import ImportJob
from griddesk.workorders.models import WorkOrder

from .conftest import actor

HEADER = [
    "external_id", "channel", "type", "category", "content", "received_at",
    "account_no", "customer_name", "phone", "address", "customer_category", "remedy_sought",
]


def when(hours: int = 3) -> str:
    return (timezone.now() - timedelta(hours=hours)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def good_row(i: int, **overrides: str) -> dict[str, str]:
    row = {
        "external_id": f"IMP-{i:05d}", "channel": "95598", "type": "complaint", "category": "business.tariff",
        "content": f"第{i}号客户反映电费异常。", "received_at": when(), "account_no": f"33000{i:05d}",
        "customer_name": "张三", "phone": "13812341234", "address": "江城市东湖路88号", "customer_category": "residential",
        "remedy_sought": "",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8-sig", header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def upload(web, q_sync):
    def run(name: str, data: bytes, username: str = "agent", follow: bool = True):
        r = web(username).post("/imports/", {"file": SimpleUploadedFile(name, data)})
        if not follow or r.status_code != 302:
            return r, None
        job = ImportJob.objects.get(pk=int(r["Location"].rstrip("/").rsplit("/", 1)[1]))
        return r, job

    return run


def test_good_csv_is_imported(upload, web):
    r, job = upload("orders.csv", csv_bytes([good_row(i) for i in range(1, 6)]))
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.pk}/"
    assert (job.state, job.total, job.processed, job.created, job.existing, job.failed) == ("done", 5, 5, 5, 0, 0)
    assert job.errors == [] and bytes(job.data) == b""  # the file is not kept
    assert WorkOrder.objects.filter(external_id__startswith="IMP-").count() == 5
    page = web("agent").get(r["Location"]).content.decode()
    assert "已完成" in page and "所有行均已导入" in page and 'hx-trigger="every 1s"' not in page
    assert "5 / 5" in page or "5 行中已处理 5 行" in page


def test_reimport_is_idempotent(upload):
    data = csv_bytes([good_row(i) for i in range(1, 4)])
    upload("orders.csv", data)
    _, job = upload("orders.csv", data)
    assert (job.created, job.existing, job.failed) == (0, 3, 0)
    assert WorkOrder.objects.count() == 3


def test_gb18030_csv_with_chinese_labels(upload):
    rows = [good_row(1, channel="95598热线", type="投诉", customer_category="居民", received_at="2026-03-02 09:30")]
    _, job = upload("订单.csv", csv_bytes(rows, encoding="gb18030"))
    assert (job.state, job.created, job.failed) == ("done", 1, 0), job.errors
    order = WorkOrder.objects.get()
    assert order.channel == "95598" and order.type == "complaint" and order.content == "第1号客户反映电费异常。"
    assert order.received_at == datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC"))  # read as Beijing time


def test_bad_rows_are_reported_per_row(upload, web):
    rows = [
        good_row(1),
        good_row(2, content=""),  # row 3
        good_row(3, channel="pigeon", phone="call me"),  # row 4: two problems
        good_row(4, received_at=(timezone.now() + timedelta(days=3)).isoformat()),  # row 5
        good_row(5, external_id=""),  # row 6
        good_row(1, content="same id again"),  # row 7 repeats row 2's id
        good_row(7, category="no.such"),  # row 8: refused by the service, not the serializer
        good_row(8, account_no="33-00"),  # row 9
        good_row(9),
    ]
    _, job = upload("orders.csv", csv_bytes(rows))
    assert (job.state, job.total, job.created, job.existing, job.failed) == ("done", 9, 2, 0, 7)
    got = [(e["row"], e["field"], e["code"]) for e in job.errors]
    assert got == [
        (3, "content", "required"),
        (4, "channel", "invalid_choice"),
        (4, "phone", "invalid"),
        (5, "received_at", "future"),
        (6, "external_id", "required"),
        (7, "external_id", "duplicate_in_file"),
        (8, "category", "unknown_category"),
        (9, "account_no", "invalid"),
    ]
    messages = {(e["row"], e["field"]): e["message"] for e in job.errors}
    assert messages[(3, "content")] == "该字段是必填项。"
    assert messages[(7, "external_id")] == "本文件第 2 行已有相同的 95598 工单号。"
    assert "未知的业务分类" in messages[(8, "category")]
    assert set(WorkOrder.objects.values_list("external_id", flat=True)) == {"IMP-00001", "IMP-00009"}

    page = web("agent").get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-errors"' in page and "该字段是必填项。" in page
    r = web("agent").get(f"/imports/{job.pk}/errors.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    raw = r.content
    assert raw.startswith("\ufeff".encode())  # Excel-friendly BOM
    report = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert report[0] == ["行号", "列", "代码", "说明"]
    assert report[1] == ["3", "content", "required", "该字段是必填项。"]
    assert len(report) == 9


def test_good_and_bad_xlsx(upload):
    now = timezone.localtime().replace(tzinfo=None) - timedelta(hours=2)
    rows = [
        ["X-1", 95598, "complaint", "business.metering", "电表走快了", now, 3300111222, "王五", 13900001111, "西山路1号", "commercial", ""],
        ["X-2", "wechat", "suggestion", None, "建议增加缴费渠道", now, None, None, None, None, None, None],
        ["X-3", "95598", "complaint", "business.tariff", None, now, 3300111223, "赵六", 13900001112, "", "", ""],
        ["X-4", "95598", "complaint", "business.tariff", "时间有误", "not a time", 3300111224, "", "", "", "", ""],
        [None, None, None, None, None, None, None, None, None, None, None, None],  # blank row: skipped
    ]
    _, job = upload("orders.xlsx", xlsx_bytes(rows))
    assert (job.state, job.total, job.created, job.failed) == ("done", 4, 1, 3), job.errors
    # X-2 has no customer and is not anonymous: its return visit could reach nobody.
    assert [(e["row"], e["field"], e["code"]) for e in job.errors] == [
        (3, "account_no", "contact_required"), (4, "content", "required"), (5, "received_at", "invalid")]
    order = WorkOrder.objects.get(external_id="X-1")
    assert order.customer.account_no == "3300111222" and order.customer.phone == "13900001111"  # not 3300111222.0
    assert order.channel == "95598" and order.customer.category == "commercial"
    assert not WorkOrder.objects.filter(external_id="X-2").exists()


def test_small_chunks_commit_progress_as_they_go(upload, monkeypatch):
    monkeypatch.setattr(import_services, "CHUNK_SIZE", 2)
    rows = [good_row(i) for i in range(1, 6)]
    rows[3]["content"] = ""
    _, job = upload("orders.csv", csv_bytes(rows))
    assert (job.processed, job.created, job.failed) == (5, 4, 1)
    assert [e["row"] for e in job.errors] == [5]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("orders.txt", b"external_id\n1\n", "只能导入 CSV"),
        ("orders.xls", b"\xd0\xcf\x11\xe0", "另存为 .xlsx"),
        ("orders.csv", b"", "文件为空"),
        ("orders.csv", ",".join(HEADER).encode() + b"\n", "没有可导入的行"),
        ("orders.csv", b"\xff\xfe\xfa\xff\x81" * 10, "无法读取"),
        ("orders.csv", b"abc\x00def", "无法读取"),
        ("orders.csv", b"external_id,channel\nA,95598\n", "缺少列"),
        ("orders.xlsx", b"this is not a zip", "不是有效的 XLSX"),
        ("orders.xlsx", b"PK\x03\x04broken", "不是有效的 XLSX"),
    ],
)
def test_files_that_cannot_be_imported_are_refused(upload, name, data, message):
    r, _ = upload(name, data)
    assert r.status_code == 400
    body = r.content.decode()
    assert 'id="upload-error"' in body and message in body, body[body.find("upload-error") :][:300]
    assert not ImportJob.objects.exists()


def test_too_many_rows_are_refused(upload):
    line = "E{},95598,complaint,,c,2026-01-01 08:00,,,,,,\n"
    data = (",".join(HEADER) + "\n" + "".join(line.format(i) for i in range(20_001))).encode()
    r, _ = upload("big.csv", data)
    assert r.status_code == 400
    assert "超过 20000 行" in r.content.decode()
    assert not ImportJob.objects.exists()


def test_exactly_the_limit_is_accepted_by_the_reader():
    from griddesk.imports import files

    line = "E{},95598,complaint,,c,2026-01-01 08:00\n"
    data = (",".join(HEADER[:6]) + "\n" + "".join(line.format(i) for i in range(20_000))).encode()
    table = files.read_table("ok.csv", data)
    assert len(table.rows) == 20_000 and table.rows[-1][0] == 20_001


def test_no_file_chosen(web):
    r = web("agent").post("/imports/", {})
    assert r.status_code == 400 and "请选择" in r.content.decode()


def test_import_pages_are_for_intake_roles_and_owners(upload, web):
    assert web("manager").get("/imports/").status_code == 403
    assert web("manager").post("/imports/", {"file": SimpleUploadedFile("a.csv", csv_bytes([good_row(1)]))}).status_code == 403
    _, job = upload("orders.csv", csv_bytes([good_row(1)]))
    assert web("agent").get("/imports/").content.decode().count(f'href="/imports/{job.pk}/"') == 1
    assert web("specialist").get(f"/imports/{job.pk}/").status_code == 404
    assert web("specialist").get(f"/imports/{job.pk}/errors.csv").status_code == 404
    assert web("admin").get(f"/imports/{job.pk}/").status_code == 200


def test_template_download(web):
    r = web("agent").get("/imports/template.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert import_services.row_payload(dict(zip(rows[0], rows[1], strict=True)))["customer"]["account_no"] == "3300112233"


# ------------------------------------------------------------------ the background task


def test_queued_job_is_polled_then_runs_once(org, web, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    job = import_services.import_job_create(actor=actor("agent"), filename="a.csv", data=csv_bytes([good_row(1), good_row(2)]))
    assert job.state == "pending"
    partial = web("agent").get(f"/imports/{job.pk}/progress/").content.decode()
    assert 'hx-get="/imports/{}/progress/"'.format(job.pk) in partial and 'hx-trigger="every 1s"' in partial
    assert "等待后台任务" in partial
    import_services.import_job_run(job_id=job.pk)
    import_services.import_job_run(job_id=job.pk)  # a second delivery of the task does nothing
    job.refresh_from_db()
    assert (job.state, job.created, job.existing) == ("done", 2, 0)
    assert WorkOrder.objects.count() == 2
    partial = web("agent").get(f"/imports/{job.pk}/progress/").content.decode()
    assert "hx-get" not in partial and 'data-state="done"' in partial


def test_stale_running_job_resumes_where_it_stopped(org, settings, monkeypatch):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    monkeypatch.setattr(import_services, "CHUNK_SIZE", 2)
    job = import_services.import_job_create(
        actor=actor("agent"), filename="a.csv", data=csv_bytes([good_row(i) for i in range(1, 6)])
    )
    # A worker took the job, committed the first chunk and died.
    ImportJob.objects.filter(pk=job.pk).update(
        state="running", processed=2, created=2, updated_at=timezone.now() - timedelta(hours=1)
    )
    import_services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.processed, job.created) == ("done", 5, 5)
    # Rows 1-2 were "committed" by the dead worker (here: not at all), so only 3 orders exist.
    assert WorkOrder.objects.count() == 3


def test_live_running_job_is_left_alone(org, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    job = import_services.import_job_create(actor=actor("agent"), filename="a.csv", data=csv_bytes([good_row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    import_services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.processed) == ("running", 0)


def test_job_fails_cleanly_when_the_uploader_loses_the_intake_role(org, settings):
    from griddesk.organisation.models import StaffProfile

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    job = import_services.import_job_create(actor=actor("agent"), filename="a.csv", data=csv_bytes([good_row(1)]))
    StaffProfile.objects.filter(user__username="agent").update(role="leader")
    import_services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "无权受理" in job.message
    assert not WorkOrder.objects.exists()


def test_local_times_as_the_instructions_say_and_a_date_error_naming_those_formats(upload):
    rows = [
        good_row(1, received_at="2026-03-01 09:30"),
        good_row(2, received_at="2026-03-01 09:30:15"),
        good_row(3, received_at="yesterday morning"),  # row 4
    ]
    _, job = upload("orders.csv", csv_bytes(rows))
    assert (job.created, job.failed) == (2, 1)
    sh = ZoneInfo("Asia/Shanghai")
    got = sorted(WorkOrder.objects.filter(external_id__in=[rows[0]["external_id"], rows[1]["external_id"]]).values_list("received_at", flat=True))
    assert got == [datetime(2026, 3, 1, 9, 30, tzinfo=sh), datetime(2026, 3, 1, 9, 30, 15, tzinfo=sh)]
    [err] = job.errors
    assert (err["row"], err["field"], err["code"]) == (4, "received_at", "invalid")
    assert "2026-03-01 09:30" in err["message"] and "北京时间" in err["message"]
    assert "YYYY-MM-DDThh:mm:ss+08:00" not in err["message"]
