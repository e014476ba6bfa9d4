"""Internal comments (内部备注) on an order: outside the workflow actions (no
event, no version change), staff-only, append-only, escaped, idempotent on the
form token / Idempotency-Key; the API and the HTMX form."""

from __future__ import annotations

import pytest
from django.utils import timezone

from griddesk.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from griddesk.workorders import services
from griddesk.workorders.models import WorkOrder, WorkOrderComment

from .conftest import actor


def test_comment_is_not_an_event_and_keeps_the_version(order_in):
    order = order_in("dispatched")
    events = order.events.count()
    comment, created = services.order_comment_add(order=order.number, actor=actor("marketing"), body="  已电话联系客户，明天上门。\r\n  ")
    assert created and comment.body == "已电话联系客户，明天上门。"
    assert comment.author.username == "marketing" and comment.at <= timezone.now()
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.version == order.version and fresh.state == order.state and fresh.updated_at == order.updated_at
    assert fresh.events.count() == events
    # An action with the version read before the comment still goes through.
    services.work_order_act(order=order.number, actor=actor("marketing"), action="accept", data={"version": order.version})


def test_comments_are_append_only(order_in):
    order = order_in("received")
    comment, _ = services.order_comment_add(order=order.number, actor=actor("agent"), body="一")
    comment.body = "改"
    with pytest.raises(RuntimeError):
        comment.save()
    with pytest.raises(RuntimeError):
        comment.delete()


@pytest.mark.parametrize(
    "body,code",
    [("", "required"), ("   \n ", "required"), ("字" * 2001, "too_long"), ("坏\x00字", "control_characters"), ("a\x07", "control_characters")],
)
def test_bad_text_is_refused_with_a_code(order_in, body, code):
    order = order_in("received")
    with pytest.raises(InvalidInput) as exc:
        services.order_comment_add(order=order.number, actor=actor("agent"), body=body)
    assert exc.value.code == code and exc.value.field == "body"
    assert not WorkOrderComment.objects.exists()


def test_2000_characters_is_the_limit(order_in):
    order = order_in("received")
    comment, _ = services.order_comment_add(order=order.number, actor=actor("agent"), body="字" * 2000)
    assert len(comment.body) == 2000


def test_leader_reads_but_may_not_comment_and_others_do_not_see_the_order(order_in):
    order = order_in("received")
    with pytest.raises(Forbidden) as exc:
        services.order_comment_add(order=order.number, actor=actor("leader"), body="看看")
    assert exc.value.code == "comment_forbidden"
    with pytest.raises(NotFound):  # not dispatched: not the station's
        services.order_comment_add(order=order.number, actor=actor("station"), body="看看")
    with pytest.raises(NotFound):
        services.order_comment_add(order="TS-NONE", actor=actor("agent"), body="看看")


def test_archived_orders_take_no_comments(order_in):
    order = order_in("archived")
    with pytest.raises(Conflict) as exc:
        services.order_comment_add(order=order.number, actor=actor("manager"), body="补充")
    assert exc.value.code == "archived_immutable"


def test_closed_but_not_archived_orders_take_comments(order_in):
    order = order_in("assessed")
    _, created = services.order_comment_add(order=order.number, actor=actor("manager"), body="归档前补充说明")
    assert created


def test_a_retry_with_the_same_key_returns_the_first_comment(order_in):
    order = order_in("received")
    a, created_a = services.order_comment_add(order=order.number, actor=actor("agent"), body="同一条", client_key="k-1")
    b, created_b = services.order_comment_add(order=order.number, actor=actor("agent"), body="同一条", client_key="k-1")
    assert created_a and not created_b and a.pk == b.pk
    # Another user's key is their own.
    c, created_c = services.order_comment_add(order=order.number, actor=actor("specialist"), body="同一条", client_key="k-1")
    assert created_c and c.pk != a.pk
    with pytest.raises(Conflict) as exc:
        services.order_comment_add(order=order.number, actor=actor("agent"), body="另一条", client_key="k-1")
    assert exc.value.code == "client_key_reused"
    with pytest.raises(InvalidInput) as bad:
        services.order_comment_add(order=order.number, actor=actor("agent"), body="x", client_key="k" * 65)
    assert bad.value.code == "invalid_client_key"
    assert WorkOrderComment.objects.count() == 2


# ------------------------------------------------------------------ API


def test_api_post_and_list(client_for, order_in):
    order = order_in("dispatched")
    url = f"/api/v1/work-orders/{order.number}/comments/"
    r = client_for("marketing").post(url, {"body": "已核实表计，<b>无异常</b>"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["author"] == "赵营销" and r.json()["author_username"] == "marketing"
    client_for("specialist").post(url, {"body": "请尽快回复客户"}, format="json")
    listed = client_for("manager").get(url)
    assert listed.status_code == 200
    assert [c["body"] for c in listed.json()] == ["已核实表计，<b>无异常</b>", "请尽快回复客户"]
    assert [c["author"] for c in listed.json()] == ["赵营销", "李专责"]


def test_api_idempotency_key(client_for, order_in):
    order = order_in("received")
    url = f"/api/v1/work-orders/{order.number}/comments/"
    c = client_for("agent")
    first = c.post(url, {"body": "重试"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    again = c.post(url, {"body": "重试"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = c.post(url, {"body": "不同"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert other.status_code == 409 and other.json()["code"] == "client_key_reused"
    long_key = c.post(url, {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert long_key.status_code == 400 and long_key.json()["errors"]["client_key"][0]["code"] == "invalid_client_key"
    assert WorkOrderComment.objects.count() == 1


@pytest.mark.parametrize(
    "payload,code",
    [({}, "required"), ({"body": ""}, "blank"), ({"body": "字" * 2001}, "max_length"), ({"body": "a\x01"}, "control_characters"),
     ({"body": ["列表"]}, "invalid")],
)
def test_api_bad_input_is_400_with_a_code_and_chinese(client_for, order_in, payload, code):
    order = order_in("received")
    r = client_for("agent").post(f"/api/v1/work-orders/{order.number}/comments/", payload, format="json")
    assert r.status_code == 400, r.content
    err = r.json()["errors"]["body"][0]
    assert err["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])


def test_api_visibility_and_roles(client_for, order_in):
    order = order_in("received")
    url = f"/api/v1/work-orders/{order.number}/comments/"
    assert client_for("station").get(url).status_code == 404
    assert client_for("station").post(url, {"body": "x"}, format="json").status_code == 404
    r = client_for("leader").post(url, {"body": "x"}, format="json")
    assert r.status_code == 403 and r.json()["code"] == "comment_forbidden"
    assert client_for("leader").get(url).status_code == 200


# ------------------------------------------------------------------ page


def test_page_shows_comments_in_time_order_with_names_escaped(web, order_in):
    order = order_in("dispatched")
    services.order_comment_add(order=order.number, actor=actor("specialist"), body="第一条")
    services.order_comment_add(order=order.number, actor=actor("marketing"), body="<script>alert(1)</script>第二条")
    body = web("manager").get(f"/orders/{order.number}/").content.decode()
    assert body.index("第一条") < body.index("第二条")
    assert "李专责" in body and "赵营销" in body
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;第二条" in body


def test_form_post_without_script_redirects_and_the_token_makes_it_once(web, order_in):
    order = order_in("received")
    c = web("agent")
    page = c.get(f"/orders/{order.number}/").content.decode()
    assert 'id="comment-form"' in page and 'name="client_key"' in page
    data = {"body": "客户来电催办", "client_key": "tok-1"}
    r = c.post(f"/orders/{order.number}/comments/", data)
    assert r.status_code == 302 and r["Location"].endswith("#comments")
    c.post(f"/orders/{order.number}/comments/", data)  # a double submit
    assert WorkOrderComment.objects.filter(order=order).count() == 1


def test_htmx_post_returns_the_block_and_errors_come_back_as_400(web, order_in):
    order = order_in("received")
    c = web("agent")
    r = c.post(f"/orders/{order.number}/comments/", {"body": "第一条备注", "client_key": "t1"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<section class="card" id="comments">') and "第一条备注" in html and "王坐席" in html
    assert 'value="t1"' not in html  # a fresh token for the next comment
    bad = c.post(f"/orders/{order.number}/comments/", {"body": "   ", "client_key": "t2"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "请填写备注内容。" in bad.content.decode()
    long = c.post(f"/orders/{order.number}/comments/", {"body": "字" * 2001, "client_key": "t3"}, HTTP_HX_REQUEST="true")
    assert long.status_code == 400 and "备注最多 2000 个字。" in long.content.decode()
    assert WorkOrderComment.objects.count() == 1


def test_leader_sees_comments_but_no_form_and_is_refused(web, order_in):
    order = order_in("received")
    services.order_comment_add(order=order.number, actor=actor("agent"), body="坐席备注")
    c = web("leader")
    page = c.get(f"/orders/{order.number}/").content.decode()
    assert "坐席备注" in page and 'id="comment-form"' not in page
    r = c.post(f"/orders/{order.number}/comments/", {"body": "x"})
    assert r.status_code == 403
    assert web("station").post(f"/orders/{order.number}/comments/", {"body": "x"}).status_code == 404
    assert WorkOrderComment.objects.count() == 1


def test_print_view_leaves_internal_comments_out(web, order_in):
    order = order_in("received")
    services.order_comment_add(order=order.number, actor=actor("agent"), body="内部讨论勿外传")
    assert "内部讨论勿外传" not in web("agent").get(f"/orders/{order.number}/print/").content.decode()


def test_archived_order_page_shows_the_comments_but_no_form(web, order_in):
    order = order_in("assessed")
    services.order_comment_add(order=order.number, actor=actor("manager"), body="归档前的说明")
    services.work_order_act(order=order.number, actor=actor("manager"), action="archive", data={})
    page = web("manager").get(f"/orders/{order.number}/").content.decode()
    assert "归档前的说明" in page and 'id="comment-form"' not in page
    r = web("manager").post(f"/orders/{order.number}/comments/", {"body": "再补一句"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "归档" in r.content.decode()
