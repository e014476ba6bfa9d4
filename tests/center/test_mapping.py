"""The field mapping is data: an administrator's edit (admin pages) changes the
body sent to the center and is audited as a RuleChange, like every rule."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from griddesk.center.models import FieldMapping, ReplyRule
from griddesk.workorders.models import RuleChange
from tests.walk import PATH


def _form(row: FieldMapping, **changes: Any) -> dict[str, Any]:
    data = {"source": row.source, "target": row.target, "position": row.position, "active": "on" if row.active else ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_mapping_edits_change_the_body_and_are_audited(center: Any, configure: Any, make_order: Any, walk: Any,
                                                       committed: Any, client: Any) -> None:
    configure(center.url)
    admin = get_user_model().objects.get(username="admin")
    client.force_login(admin)
    handler = FieldMapping.objects.get(source="report.handler")
    kind = FieldMapping.objects.get(source="reply.kind")

    bad = client.post(f"/admin/center/fieldmapping/{handler.pk}/change/", _form(handler, target="1 处理人"))
    assert bad.status_code == 200 and "请使用字母、数字和下划线" in bad.content.decode()
    r = client.post(f"/admin/center/fieldmapping/{handler.pk}/change/", _form(handler, target="chuliren"))
    assert r.status_code == 302, r.content.decode()[:2000]
    r = client.post(f"/admin/center/fieldmapping/{kind.pk}/change/", _form(kind, active=""))
    assert r.status_code == 302
    r = client.post("/admin/center/fieldmapping/add/", {"source": "order.state", "target": "state", "position": 1,
                                                         "active": "on"})
    assert r.status_code == 200  # each GridDesk field once (it is already mapped)

    changes = RuleChange.objects.filter(model="center.FieldMapping").order_by("at")
    assert [(c.change, c.before["target"], c.after["target"], c.after["active"]) for c in changes] == [
        ("update", "handler_name", "chuliren", True), ("update", "reply_type", "reply_type", False),
    ]
    assert all(c.actor_id == admin.pk for c in changes)

    order = committed(make_order)
    walk(order["number"], PATH[:6])
    (got,) = center.got
    data = got.json["data"]
    assert data["chuliren"] == "系统管理员" and "handler_name" not in data and "reply_type" not in data
    assert data["center_order_id"] == order["external_id"]

    listing = client.get("/admin/center/fieldmapping/").content.decode()
    assert "处理人（调查报告提交人，姓名）" in listing and "chuliren" in listing
    for page in ("reply", "replyrule", "centerendpoint"):
        assert client.get(f"/admin/center/{page}/").status_code == 200


def test_the_time_limit_is_an_audited_rule(center: Any, configure: Any, make_order: Any, walk: Any, committed: Any,
                                           client: Any) -> None:
    configure(center.url)
    client.force_login(get_user_model().objects.get(username="admin"))
    rule = ReplyRule.objects.get()
    r = client.post(f"/admin/center/replyrule/{rule.pk}/change/", {"ack_limit_minutes": 120, "warn_minutes": 30})
    assert r.status_code == 302
    change = RuleChange.objects.get(model="center.ReplyRule")
    assert change.before["ack_limit_minutes"] == 1440 and change.after["ack_limit_minutes"] == 120
    order = committed(make_order)
    walk(order["number"], PATH[:6])
    from griddesk.center.models import Reply

    reply = Reply.objects.get()
    assert (reply.due_at - reply.occurred_at).total_seconds() == 120 * 60
