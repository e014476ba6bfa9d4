import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook

from griddesk.assessment.models import ArchiveCorrection, ArchiveEntry
from griddesk.common.errors import Conflict
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder

from .conftest import SH, Spec, actor

pytestmark = pytest.mark.django_db

OCT = datetime(2026, 10, 12, 9, 0, tzinfo=SH)


@pytest.fixture
def archived(drive_order):
    a = drive_order(Spec(received=OCT, stop="archived", content="台区变压器噪音扰民，夜间无法入睡，要求更换。"))
    b = drive_order(Spec(received=OCT.replace(day=13), stop="archived", content="营业厅工作人员态度生硬，推诿不办。"))
    open_one = drive_order(Spec(received=OCT.replace(day=14), stop="visited", content="变压器噪音很大，希望尽快处理。"))
    return a, b, open_one


def test_archived_orders_refuse_every_action_with_a_stable_code(archived, client_for):
    a, _b, _o = archived
    for who, action, extra in [("manager", "reopen", {"reason": "再查"}), ("agent", "urge", {}), ("manager", "assess", {})]:
        r = client_for(who).post(f"/api/v1/work-orders/{a.number}/actions/", {"action": action, **extra}, format="json")
        assert r.status_code == 409, r.content
        assert r.json()["code"] == "archived_immutable" and r.json()["allowed_actions"] == []
        assert "已归档" in r.json()["message"]
    with pytest.raises(Conflict) as e:
        services.work_order_reopen(order=a.number, actor=actor("admin"), reason="x")
    assert e.value.code == "archived_immutable"
    before = WorkOrder.objects.get(pk=a.pk)
    assert before.state == "archived" and before.version == a.version


def test_corrections_are_linked_records(archived, client_for):
    a, _b, open_one = archived
    url = f"/api/v1/archive/{a.number}/corrections/"
    r = client_for("manager").post(url, {"note": "责任部门更正为东湖县营销部", "data": {"responsible_department": "east-marketing"}}, format="json")
    assert r.status_code == 201, r.content
    assert ArchiveCorrection.objects.filter(order=a).count() == 1
    assert WorkOrder.objects.get(pk=a.pk).version == a.version  # the order itself is unchanged
    r = client_for("manager").post(url, {"note": "  "}, format="json")
    assert r.status_code == 400 and "note" in r.json()["errors"]
    r = client_for("manager").post(f"/api/v1/archive/{open_one.number}/corrections/", {"note": "x"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "not_archived"
    assert client_for("station").post(url, {"note": "x"}, format="json").status_code == 403
    # the correction text is searchable
    r = client_for("manager").get("/api/v1/archive/search/", {"q": "更正为东湖"})
    assert [o["number"] for o in r.json()["results"]] == [a.number]


@pytest.mark.parametrize(
    "q,which",
    [("噪音", {"a"}), ("变压器噪音", {"a"}), ("态度", {"b"}), ("推诿不办", {"b"}), ("核实", {"a", "b"}), ("不存在的词", set())],
)
def test_full_text_search_over_archived_orders_only(archived, client_for, q, which):
    a, b, _open_one = archived  # the open order also says 变压器噪音 but is not archived
    r = client_for("manager").get("/api/v1/archive/search/", {"q": q})
    assert r.status_code == 200, r.content
    names = {"a": a.number, "b": b.number}
    assert {o["number"] for o in r.json()["results"]} == {names[w] for w in which}


def test_search_needs_two_characters_and_escapes_wildcards(archived, client_for):
    r = client_for("manager").get("/api/v1/archive/search/", {"q": "噪"})
    assert r.status_code == 400 and r.json()["errors"]["q"][0]["code"] == "too_short"
    assert client_for("manager").get("/api/v1/archive/search/", {"q": "%%"}).json()["count"] == 0


def test_search_respects_visibility(archived, client_for):
    # a station investigator sees only orders its station worked on: none here
    assert client_for("station").get("/api/v1/archive/search/", {"q": "噪音"}).json()["count"] == 0
    assert ArchiveEntry.objects.count() == 2


def test_archive_export_jsonl_and_xlsx(archived, client_for):
    a, b, _o = archived
    from django.utils import timezone

    period = timezone.localtime(ArchiveEntry.objects.get(order=a).archived_at).strftime("%Y-%m")
    r = client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "jsonl"})
    assert r.status_code == 200 and r["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(x) for x in b"".join(r.streaming_content).decode().splitlines()]
    assert [x["number"] for x in lines] == [a.number, b.number]
    first = lines[0]
    assert [e["action"] for e in first["events"]][0] == "create" and first["events"][-1]["action"] == "archive"
    assert len(first["events"]) == WorkOrder.objects.get(pk=a.pk).events.count()
    assert first["assessment"]["rules_version"] >= 1
    r = client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "xlsx"})
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    orders, events, attachments = wb.worksheets
    assert attachments.max_row == 1  # header only: no attachments here
    assert [row[0].value for row in orders.iter_rows(min_row=2)] == [a.number, b.number]
    assert events.max_row - 1 == sum(len(x["events"]) for x in lines)
    assert client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "pdf"}).status_code == 400
    assert client_for("manager").get("/api/v1/archive/export/", {"period": "2020-01", "export": "jsonl"}).status_code == 200


def test_archive_export_writes_a_customers_formula_as_inert_text(drive_order, client_for):
    from django.utils import timezone

    evil = '=HYPERLINK("http://x","y")'
    order = drive_order(Spec(received=OCT, stop="archived", content=evil))
    period = timezone.localtime(ArchiveEntry.objects.get(order=order).archived_at).strftime("%Y-%m")
    r = client_for("manager").get("/api/v1/archive/export/", {"period": period, "export": "xlsx"})
    assert r.status_code == 200
    orders = load_workbook(io.BytesIO(r.content)).worksheets[0]
    header = [c.value for c in orders[1]]
    row = next(r for r in orders.iter_rows(min_row=2) if r[0].value == order.number)
    content = row[header.index("内容")]
    assert content.data_type != "f" and content.value == "'" + evil
    score = row[header.index("得分")]
    assert score.data_type == "n" and isinstance(score.value, (int, float))  # numbers stay numbers
